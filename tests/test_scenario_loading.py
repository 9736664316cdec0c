"""Scenario loading: bad input gives one clear message (file, field path, expectation); good input loads."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scenario_factory import (
    SMALL_TRADE_ROWS,
    TRADE_FILE,
    small_scenario_dict,
    write_small_scenario,
    write_trade_csv,
    write_yaml,
)

from sim.errors import EXIT_BAD_INPUT, InputError, Problem, ScenarioError
from sim.scenario import LoadedScenario, load_scenario, scenario_json_schema


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def assert_problem(err: ScenarioError, file: Path | str, field: str, *expected: str) -> str:
    """The message has a line '<file>[:LINE:COLUMN]: <field>: ...' containing every `expected`
    fragment (the position is checked in tests/test_error_lines.py)."""
    prefix = re.escape(str(file)) + r"(?::\d+:\d+)?: " + (re.escape(field) + ": " if field else "")
    lines = [line for line in str(err).splitlines() if re.match(prefix, line)]
    assert lines, f"no line starts with {prefix!r} in:\n{err}"
    line = lines[0]
    for fragment in expected:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def write_variant(
    tmp_path: Path, data: dict[str, Any], rows: Any = None, filename: str = "small.yaml"
) -> Path:
    return write_small_scenario(tmp_path, data=data, trade_rows=rows, filename=filename)


# ============================================================================ valid input
def test_small_scenario_loads(small_scenario: Path) -> None:
    loaded = load_scenario(small_scenario)
    assert isinstance(loaded, LoadedScenario)
    spec = loaded.spec
    assert [a.name for a in spec.actors] == ["Kazakhstan", "Russia", "China", "RestOfWorld"]
    assert loaded.path == small_scenario
    assert loaded.sources == [small_scenario, small_scenario.parent / TRADE_FILE]
    assert len(loaded.content_hash) == 64
    int(loaded.content_hash, 16)


def test_baseline_flows_shape_and_values(small_scenario: Path) -> None:
    loaded = load_scenario(small_scenario)
    flows = loaded.baseline_flows
    assert flows.shape == (4, 4, 2)
    assert flows.dtype == np.float64
    a, g = loaded.actor_index, loaded.good_index
    assert flows[a["Kazakhstan"], a["China"], g["oil"]] == 10.0
    assert flows[a["Kazakhstan"], a["RestOfWorld"], g["oil"]] == 30.0
    assert flows[a["RestOfWorld"], a["Russia"], g["electronics"]] == 20.0
    assert flows[a["China"], a["Kazakhstan"], g["oil"]] == 0.0
    assert flows.sum() == pytest.approx(sum(r[3] for r in SMALL_TRADE_ROWS))
    assert not flows.flags.writeable
    table = loaded.flow_sources
    assert list(table.columns) == ["exporter", "importer", "good", "value_usd_bn", "source"]
    assert len(table) == len(SMALL_TRADE_ROWS)
    assert table["value_usd_bn"].dtype == np.float64


def test_json_schema_lists_scenario_fields() -> None:
    schema = scenario_json_schema()
    assert schema["title"] == "ScenarioSpec"
    assert {"actors", "routes", "events", "trade"} <= set(schema["properties"])


# ============================================================================ file-level errors
def test_malformed_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nactors: [\n  {name: A\n", encoding="utf-8")
    err = load_error(path)
    line = assert_problem(err, path, "", "malformed YAML")
    assert line.startswith(f"{path}:4:1: malformed YAML")
    assert (err.file, err.line) == (str(path), 4)
    assert "expected" in line


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: a\nstart: 2022-01\nname: b\n", encoding="utf-8")
    err = load_error(path)
    line = assert_problem(err, path, "", "malformed YAML", "duplicate key 'name'")
    assert line.startswith(f"{path}:3:1: ")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    err = load_error(path)
    assert str(err) == f"{path}: file not found; expected a scenario file"
    assert err.exit_code == EXIT_BAD_INPUT == 2


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert_problem(load_error(path), path, "", "expected a mapping of keys at the top level", "got a list")


def test_missing_extends_target(tmp_path: Path) -> None:
    write_small_scenario(tmp_path)
    child = write_yaml(tmp_path / "child.yaml", {"extends": "nothere.yaml", "name": "child"})
    err = load_error(child)
    assert_problem(
        err, child, "extends", "file not found", str(tmp_path / "nothere.yaml"), "expected a scenario file"
    )


def test_extends_cycle(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    b = write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    err = load_error(a)
    assert_problem(err, b, "extends", f"extends cycle: {a} -> {b} -> {a}", "expected a chain without loops")


# ============================================================================ schema errors
def test_unknown_top_level_key(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["colour"] = "blue"
    path = write_variant(tmp_path, data)
    line = assert_problem(load_error(path), path, "colour", "unknown key 'colour'", "valid keys:")
    for key in ("name", "start", "actors", "routes", "events", "decisions", "extends"):
        assert key in line


def test_unknown_nested_key(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["routes"][1]["capacity"] = 30
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path),
        path,
        "routes[1].capacity",
        "unknown key 'capacity'",
        "did you mean 'capacity_per_year'?",
        "valid keys: name, mode, unit,",
        "tariff_usd_per_unit",
    )


def test_unknown_key_inside_an_action(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][1]["action"]["capacity"] = 0.5
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, "events[1].action.capacity", "valid keys:", "capacity_factor")


def test_wrong_type(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["routes"][0]["capacity_per_year"] = "lots"
    path = write_variant(tmp_path, data)
    err = load_error(path)
    at = f"{path}:{err.line}:{err.problems[0].column}"
    assert str(err) == f"{at}: routes[0].capacity_per_year: expected a number, got 'lots'"
    assert (err.file, err.field) == (str(path), "routes[0].capacity_per_year")
    assert "capacity_per_year: lots" in path.read_text().splitlines()[err.line - 1]


def test_missing_required_key(tmp_path: Path) -> None:
    data = small_scenario_dict()
    del data["routes"][0]["tariff_usd_per_unit"]
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "routes[0].tariff_usd_per_unit", "missing required key", "expected a number"
    )


def test_unknown_action_type(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][0]["action"]["type"] = "embargo"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "events[0].action", "unknown type 'embargo'", "'sanction'", "'signal'"
    )


def test_unknown_actor_in_event(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][0]["action"]["target"] = "Rusia"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path),
        path,
        "events[0].action.target",
        "unknown actor 'Rusia'",
        "did you mean 'Russia'?",
        "known actors: Kazakhstan, Russia, China, RestOfWorld",
    )


def test_unknown_sender_lists_actors_and_blocs(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][0]["action"]["sender"] = "G7"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "events[0].action.sender", "unknown actor or bloc 'G7'", "EAEU, Coalition"
    )


def test_unknown_route_in_event(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][1]["action"]["route"] = "BTC"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "events[1].action.route", "unknown route 'BTC'", "known routes: CPC, KCP"
    )


def test_unknown_actor_in_menu_key(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["decisions"]["menus"]["Kazakstan"] = data["decisions"]["menus"].pop("Kazakhstan")
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, "decisions.menus.Kazakstan", "unknown actor or bloc 'Kazakstan'")


def test_unknown_pole(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["decisions"]["menus"]["Kazakhstan"][0]["action"]["toward"] = "EU"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path),
        path,
        "decisions.menus.Kazakhstan[0].action.toward",
        "unknown pole 'EU'",
        "known poles: Russia, China, West",
    )


def test_date_outside_horizon(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][1]["date"] = "2025-01"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "events[1].date", "2025-01 is outside the scenario horizon 2022-01 .. 2023-12"
    )


@pytest.mark.parametrize(
    ("field", "value", "got"),
    [("start", "2022-13", "'2022-13'"), ("end", "2023/12", "'2023/12'")],
)
def test_bad_month_format(tmp_path: Path, field: str, value: str, got: str) -> None:
    data = small_scenario_dict()
    data[field] = value
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, field, "expected a month as 'YYYY-MM'", got)


def test_full_date_is_not_a_month(tmp_path: Path) -> None:
    path = write_small_scenario(tmp_path)
    text = path.read_text(encoding="utf-8").replace("date: 2022-03", "date: 2022-03-01")
    path.write_text(text, encoding="utf-8")
    # read as text, never as a YAML timestamp: the usual message with the value as written
    assert_problem(load_error(path), path, "events[0].date", "expected a month as 'YYYY-MM'", "'2022-03-01'")


def test_end_before_start(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["end"] = "2021-12"
    data["events"], data["hazards"] = [], []
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, "end", "before start 2022-01", "expected start <= end")


def test_negative_capacity(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["routes"][0]["capacity_per_year"] = -5
    path = write_variant(tmp_path, data)
    err = load_error(path)
    at = f"{path}:{err.line}:{err.problems[0].column}"
    assert str(err) == f"{at}: routes[0].capacity_per_year: expected greater than or equal to 0, got -5"
    assert "capacity_per_year: -5" in path.read_text().splitlines()[err.line - 1]


def test_alignment_not_summing_to_one(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["actors"][0]["alignment"] = {"Russia": 0.5, "China": 0.3, "West": 0.3}
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "actors[0].alignment", "alignment shares must sum to 1, got 1.1000"
    )


def test_nan_is_refused(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["actors"][1]["gdp_usd_bn"] = float("nan")
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, "actors[1].gdp_usd_bn", "expected a finite number", "got nan")


def test_duplicate_names(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["routes"][1]["name"] = "CPC"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "routes[1].name", "duplicate route name 'CPC'", "also at routes[0]"
    )


def test_exactly_one_rest_of_world(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["actors"][3]["kind"] = "state"
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, "actors", "expected exactly one actor with kind: rest_of_world")


def test_lift_of_undefined_sanction_label(tmp_path: Path) -> None:
    data = small_scenario_dict()
    lift = {"type": "lift_sanction", "sender": "Coalition", "label": "ru_chips"}
    data["events"].append({"date": "2023-01", "action": lift})
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "events[2].action.label", "no sanction has label 'ru_chips'", "ru_electronics"
    )


def test_route_carried_good_needs_a_price(tmp_path: Path) -> None:
    data = small_scenario_dict()
    del data["goods"][0]["price_usd_per_unit"]
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), path, "shipments[0].value_usd_per_unit", "good 'oil' has no price_usd_per_unit"
    )
    data["shipments"][0]["value_usd_per_unit"] = 450.0
    assert load_scenario(write_variant(tmp_path, data)).spec.shipments[0].value_usd_per_unit == 450.0


def test_all_problems_are_listed_one_per_line(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["routes"][0]["capacity_per_year"] = "lots"
    data["routes"][1]["mode"] = "truck"
    path = write_variant(tmp_path, data)
    err = load_error(path)
    assert len(err.problems) == 2
    assert str(err).splitlines() == [str(p) for p in err.problems]
    assert_problem(err, path, "routes[1].mode", "expected 'pipeline', 'rail', 'sea', 'road' or 'multimodal'")


# ============================================================================ trade CSV errors
def test_trade_csv_unknown_actor(tmp_path: Path) -> None:
    rows = [*SMALL_TRADE_ROWS, ("Kazakstan", "China", "oil", 1.0, "typo")]
    path = write_variant(tmp_path, small_scenario_dict(), rows)
    assert_problem(
        load_error(path),
        path,
        "trade.baseline_file",
        f"{tmp_path / TRADE_FILE}: line 8: exporter: unknown actor 'Kazakstan'",
        "known actors: Kazakhstan, Russia, China, RestOfWorld",
    )


def test_trade_csv_unknown_good(tmp_path: Path) -> None:
    rows = [("Kazakhstan", "China", "gas", 1.0, "x"), *SMALL_TRADE_ROWS]
    path = write_variant(tmp_path, small_scenario_dict(), rows)
    assert_problem(
        load_error(path), path, "trade.baseline_file", "line 2: good: unknown good 'gas'", "known goods: oil"
    )


def test_trade_csv_negative_value(tmp_path: Path) -> None:
    rows = [*SMALL_TRADE_ROWS[:2], ("Russia", "China", "oil", -3.0, "x"), *SMALL_TRADE_ROWS[2:]]
    path = write_variant(tmp_path, small_scenario_dict(), rows)
    assert_problem(
        load_error(path),
        path,
        "trade.baseline_file",
        "line 4: value_usd_bn: expected a finite number >= 0 (USD bn per year), got -3.0",
    )


def test_trade_csv_non_numeric_value(tmp_path: Path) -> None:
    rows = [("Russia", "China", "oil", "n/a", "x")]
    path = write_variant(tmp_path, small_scenario_dict(), rows)
    assert_problem(
        load_error(path), path, "trade.baseline_file", "line 2: value_usd_bn: expected a number", "'n/a'"
    )


def test_trade_csv_duplicate_row(tmp_path: Path) -> None:
    rows = [*SMALL_TRADE_ROWS, SMALL_TRADE_ROWS[0]]
    path = write_variant(tmp_path, small_scenario_dict(), rows)
    assert_problem(
        load_error(path),
        path,
        "trade.baseline_file",
        "line 8: duplicate flow Kazakhstan -> China of oil",
        "line 2",
    )


def test_trade_csv_self_flow(tmp_path: Path) -> None:
    rows = [*SMALL_TRADE_ROWS, ("China", "China", "oil", 1.0, "x")]
    path = write_variant(tmp_path, small_scenario_dict(), rows)
    assert_problem(
        load_error(path), path, "trade.baseline_file", "line 8: exporter and importer are both 'China'"
    )


def test_trade_csv_missing_column(tmp_path: Path) -> None:
    path = write_small_scenario(tmp_path)
    (tmp_path / TRADE_FILE).write_text("exporter,importer,good,value\nRussia,China,oil,1\n", encoding="utf-8")
    assert_problem(load_error(path), path, "trade.baseline_file", "missing column(s) value_usd_bn, source")


def test_trade_csv_missing_file(tmp_path: Path) -> None:
    path = write_small_scenario(tmp_path)
    (tmp_path / TRADE_FILE).unlink()
    assert_problem(
        load_error(path), path, "trade.baseline_file", "file not found", "expected a CSV with columns"
    )


# ============================================================================ extends
def test_extends_overrides_route_and_appends_event(tmp_path: Path) -> None:
    base = write_small_scenario(tmp_path, filename="base.yaml")
    event = {"date": "2023-02", "action": {"type": "enforcement", "actor": "Kazakhstan", "level": 0.7}}
    child = write_yaml(
        tmp_path / "variants" / "child.yaml",
        {
            "extends": "../base.yaml",
            "name": "child",
            "routes": [{"name": "KCP", "capacity_per_year": 30.0}],
            "events": [event],
        },
    )
    loaded = load_scenario(child)
    spec = loaded.spec
    assert spec.name == "child"
    assert [r.name for r in spec.routes] == ["CPC", "KCP"]
    kcp = spec.routes[1]
    assert kcp.capacity_per_year == 30.0
    assert (kcp.tariff_usd_per_unit, kcp.destination, kcp.mode) == (20.0, "China", "pipeline")
    assert spec.routes[0].capacity_per_year == 60.0
    assert [e.action.type for e in spec.events] == ["sanction", "route_disruption", "enforcement"]
    assert spec.events[2].date == "2023-02"
    assert spec.description == small_scenario_dict()["description"]
    assert loaded.sources == [child, base, tmp_path / TRADE_FILE]


def test_extends_appends_new_named_items_and_merges_nested(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    new_actor = {"name": "Turkey", "gdp_usd_bn": 819.0, "alignment": {"West": 0.6, "Russia": 0.4}}
    child = write_yaml(
        tmp_path / "child.yaml",
        {
            "extends": "base.yaml",
            "actors": [new_actor, {"name": "Kazakhstan", "alignment": {"West": 0.4, "Russia": 0.3}}],
            "decisions": {"menus": {"Russia": []}},
        },
    )
    spec = load_scenario(child).spec
    assert [a.name for a in spec.actors] == ["Kazakhstan", "Russia", "China", "RestOfWorld", "Turkey"]
    # mappings merge key by key: China's 0.3 share comes from the base
    assert spec.actors[0].alignment == {"Russia": 0.3, "China": 0.3, "West": 0.4}
    assert spec.actors[0].gdp_usd_bn == 197.0
    # menus merge per actor: Russia's list replaced, Kazakhstan's kept
    assert spec.decisions.menus["Russia"] == []
    assert [m.name for m in spec.decisions.menus["Kazakhstan"]] == ["signal_west"]
    assert spec.decisions.every_months == 3


def test_extends_chain(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    write_yaml(tmp_path / "mid.yaml", {"extends": "base.yaml", "seed": 11})
    top = write_yaml(tmp_path / "top.yaml", {"extends": "mid.yaml", "name": "top"})
    spec = load_scenario(top).spec
    assert (spec.name, spec.seed, spec.start) == ("top", 11, "2022-01")


def test_extends_item_removal(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(
        tmp_path / "child.yaml",
        {
            "extends": "base.yaml",
            "routes": [{"name": "KCP", "remove": True}],
            "shipments": [{"name": "kz_oil", "routes": ["CPC"]}],
            "hazards": [{"name": "cpc_storm", "remove": True}],
        },
    )
    spec = load_scenario(child).spec
    assert [r.name for r in spec.routes] == ["CPC"]
    assert spec.shipments[0].routes == ["CPC"]
    assert spec.shipments[0].volume_per_year == 70.0
    assert spec.hazards == []


def test_extends_remove_then_redefine_replaces_item(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    kcp = {
        "name": "KCP",
        "mode": "pipeline",
        "unit": "Mt",
        "destination": "China",
        "capacity_per_year": 25.0,
        "tariff_usd_per_unit": 30.0,
    }
    child = write_yaml(
        tmp_path / "child.yaml",
        {"extends": "base.yaml", "routes": [{"name": "KCP", "remove": True}, kcp]},
    )
    spec = load_scenario(child).spec
    assert [r.name for r in spec.routes] == ["CPC", "KCP"]
    assert (spec.routes[1].capacity_per_year, spec.routes[1].tariff_usd_per_unit) == (25.0, 30.0)


def test_duplicate_name_within_one_file(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(
        tmp_path / "child.yaml",
        {"extends": "base.yaml", "goods": [{"name": "gas", "unit": "bcm"}, {"name": "gas", "unit": "Mt"}]},
    )
    assert_problem(load_error(child), child, "goods[1].name", "duplicate good name 'gas'", "also at goods[0]")


def test_extends_removal_of_unknown_item(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(
        tmp_path / "child.yaml", {"extends": "base.yaml", "routes": [{"name": "BTC", "remove": True}]}
    )
    assert_problem(
        load_error(child), child, "routes[0].name", "cannot remove: unknown route 'BTC'", "CPC, KCP"
    )


def test_removal_left_dangling_reference(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(
        tmp_path / "child.yaml", {"extends": "base.yaml", "routes": [{"name": "KCP", "remove": True}]}
    )
    err = load_error(child)
    # the shipment comes from the base file: the problem is reported there
    assert_problem(
        err, tmp_path / "base.yaml", "shipments[0].routes[1]", "unknown route 'KCP'", "known routes: CPC"
    )


def test_error_in_base_file_names_the_base(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["routes"][0]["capacity_per_year"] = "lots"
    base = write_small_scenario(tmp_path, filename="base.yaml", data=data)
    child = write_yaml(
        tmp_path / "child.yaml", {"extends": "base.yaml", "routes": [{"name": "KCP", "unit": 5}]}
    )
    err = load_error(child)
    assert_problem(err, base, "routes[0].capacity_per_year", "expected a number, got 'lots'")
    # in the child's own terms: its first routes item, not the merged list's second
    assert_problem(err, child, "routes[0].unit", "expected a string, got 5")


# ============================================================================ parameters
def test_parameters_file_and_override_precedence(tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "calibration" / "params.yaml",
        {
            "trade_elasticity": {"value": 5.5, "bounds": [2, 8], "unit": "1", "source": "Head & Mayer 2014"},
            "route_logit_scale": 0.1,
            "decision_rationality": {"value": 2.0},
        },
    )
    data = small_scenario_dict()
    data["parameters_file"] = "calibration/params.yaml"
    data["parameters"] = {"decision_rationality": 4.0}
    path = write_variant(tmp_path, data)
    loaded = load_scenario(path)
    params = loaded.spec.parameters
    assert params.trade_elasticity == 5.5
    assert params.route_logit_scale == 0.1
    assert params.decision_rationality == 4.0
    assert params.alignment_gain_rate == type(params)().alignment_gain_rate
    assert tmp_path / "calibration" / "params.yaml" in loaded.sources


def test_parameters_file_unknown_parameter(tmp_path: Path) -> None:
    params = write_yaml(tmp_path / "params.yaml", {"trade_elasticty": {"value": 5.0}})
    data = small_scenario_dict()
    data["parameters_file"] = "params.yaml"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path),
        params,
        "trade_elasticty",  # where it is in the parameters file (not wrapped in `parameters:`)
        "unknown key 'trade_elasticty'",
        "did you mean 'trade_elasticity'?",
    )


def test_parameters_file_missing(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["parameters_file"] = "params.yaml"
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, "parameters_file", "file not found", str(tmp_path / "params.yaml"))


def test_parameters_file_entry_without_value(tmp_path: Path) -> None:
    params = write_yaml(tmp_path / "params.yaml", {"trade_elasticity": {"bounds": [2, 8]}})
    data = small_scenario_dict()
    data["parameters_file"] = "params.yaml"
    path = write_variant(tmp_path, data)
    assert_problem(
        load_error(path), params, "trade_elasticity", "expected a number or a mapping with a 'value' key"
    )


# ============================================================================ content hash
def test_content_hash_stable_and_sensitive(tmp_path: Path) -> None:
    path = write_small_scenario(tmp_path / "a")
    first = load_scenario(path).content_hash
    assert load_scenario(path).content_hash == first
    # same content elsewhere, with comments and other formatting: same hash
    other = write_small_scenario(tmp_path / "b")
    other.write_text("# a comment\n" + other.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert load_scenario(other).content_hash == first
    # a changed flow in the trade CSV changes the hash
    rows = [(*SMALL_TRADE_ROWS[0][:3], 11.0, "test"), *SMALL_TRADE_ROWS[1:]]
    write_trade_csv(tmp_path / "b" / TRADE_FILE, rows)
    assert load_scenario(other).content_hash != first
    # and so does a changed scenario value
    data = small_scenario_dict()
    data["seed"] = 8
    assert load_scenario(write_small_scenario(tmp_path / "c", data=data)).content_hash != first


def test_content_hash_same_for_extends_and_flattened(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(tmp_path / "child.yaml", {"extends": "base.yaml", "seed": 9})
    data = small_scenario_dict()
    data["seed"] = 9
    flat = write_yaml(tmp_path / "flat.yaml", data)
    assert load_scenario(child).content_hash == load_scenario(flat).content_hash


# ============================================================================ error objects
def test_scenario_error_formatting_and_pickling() -> None:
    err = ScenarioError("s.yaml", "routes[2].capacity_per_year", "expected a number, got 'lots'")
    assert str(err) == "s.yaml: routes[2].capacity_per_year: expected a number, got 'lots'"
    many = ScenarioError(problems=[Problem("a.yaml", "x", "bad"), Problem("b.yaml", "", "worse")])
    assert str(many) == "a.yaml: x: bad\nb.yaml: worse"
    assert (many.file, many.field, many.expected) == ("a.yaml", "x", "bad")
    again = pickle.loads(pickle.dumps(many))
    assert type(again) is ScenarioError
    assert str(again) == str(many)
    placed = ScenarioError(
        problems=[Problem("a.yaml", "events[0].date", "bad", 12, 7), Problem("b.yaml", "", "x", 3)]
    )
    assert str(placed) == "a.yaml:12:7: events[0].date: bad\nb.yaml:3: x"
    assert placed.line == 12 and pickle.loads(pickle.dumps(placed)).problems == placed.problems
    cli = InputError("expected a positive integer, got -1", field="--runs")
    assert str(cli) == "--runs: expected a positive integer, got -1"
    assert isinstance(cli, ScenarioError)
    assert str(pickle.loads(pickle.dumps(cli))) == str(cli)


def test_extends_removes_a_named_base_event(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][1]["name"] = "cpc_halt"
    write_small_scenario(tmp_path, filename="base.yaml", data=data)
    extra = {"date": "2022-09", "action": {"type": "enforcement", "actor": "Kazakhstan", "level": 0.5}}
    child = write_yaml(
        tmp_path / "child.yaml",
        {"extends": "base.yaml", "events": [{"name": "cpc_halt", "remove": True}, extra]},
    )
    spec = load_scenario(child).spec
    assert [e.action.type for e in spec.events] == ["sanction", "enforcement"]
    bad = write_yaml(
        tmp_path / "bad.yaml", {"extends": "base.yaml", "events": [{"name": "cpx", "remove": True}]}
    )
    assert_problem(load_error(bad), bad, "events[0].name", "cannot remove: unknown event 'cpx'", "cpc_halt")


def test_duplicate_event_names_are_rejected(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][0]["name"] = data["events"][1]["name"] = "same"
    path = write_variant(tmp_path, data)
    assert_problem(load_error(path), path, "events[1].name", "duplicate event name 'same'", "events[0]")


def test_menu_item_availability_window(tmp_path: Path) -> None:
    from sim.api import load, simulate

    data = small_scenario_dict()
    data["hazards"] = []
    item = data["decisions"]["menus"]["Russia"][0]
    item["available_from"], item["available_until"] = "2022-07", "2022-12"
    item["reason"], item["source"] = "test window", "assumption: test"
    _, world = load(write_variant(tmp_path, data))
    out = simulate(world, seed=1)
    offered = {r["month"] for r in out.decisions if r["actor"] == "Russia" and r["candidate"] == item["name"]}
    assert offered and all("2022-07" <= m <= "2022-12" for m in offered)

"""Bad scenario files end in one clean exit-2 message naming the file, in seconds: never a
traceback, a hang or a non-finite result (issue 13). The cases are the classes a careless user
produced: impossible dates, explicit YAML tags, deep nesting, alias bombs, huge files and
counts, extreme and non-finite numbers, files pointed at that are not scenario data."""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from robustness_helpers import assert_clean_error as _assert_clean_error
from robustness_helpers import cli
from scenario_factory import (
    SMALL_TRADE_ROWS,
    TRADE_FILE,
    small_scenario_dict,
    write_small_scenario,
    write_yaml,
)

from sim.errors import ScenarioError
from sim.scenario.loader import (
    MAX_EXTENDS_DEPTH,
    load_scenario,
    load_scenario_mapping,
    load_scenario_text,
)
from sim.scenario.safe_yaml import MAX_YAML_DEPTH

SMALL_TEXT = yaml.safe_dump(small_scenario_dict(), sort_keys=False)


def _write_text(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    write_small_scenario(tmp_path, filename="small.yaml")  # the trade CSV beside it
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


_POSITION = re.compile(r"(?<=\S):\d+:\d+: ")


def assert_clean_error(code: int, err: str, mentions: str | None = None) -> None:
    """A clean error naming `mentions` (file: field: message). The ``:LINE:COLUMN`` after the
    file name is left out of the comparison here; tests/test_error_lines.py checks it."""
    _assert_clean_error(code, err, None)
    if mentions is not None:
        assert mentions in _POSITION.sub(": ", err), f"{mentions!r} not in:\n{err}"


def _validate(path: Path, seconds: float = 20) -> tuple[int, str]:
    code, _, err = cli(["validate", str(path)], seconds=seconds)
    return code, err


# ------------------------------------------------------------------ dates read as text
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("start: 2022-01", "start: 2022-02-30"),
        ("start: 2022-01", "start: 2021-13-01"),
        ("start: 2022-01", "start: 0000-01-01"),
        ("start: 2022-01", "start: 2022-01-01T25:00:00Z"),
        ("date: 2022-03", "date: 2022-02-30"),
        ("end: 2023-12", "end: 2023-12-01"),
    ],
)
def test_impossible_dates_get_the_month_message(tmp_path: Path, old: str, new: str) -> None:
    assert old in SMALL_TEXT
    path = _write_text(tmp_path, SMALL_TEXT.replace(old, new, 1))
    code, err = _validate(path)
    assert_clean_error(code, err, str(path))
    assert "expected a month as 'YYYY-MM'" in err
    assert repr(new.split(": ", 1)[1]) in err  # the value as written, as text


def test_impossible_date_in_a_base_file_names_the_base(tmp_path: Path) -> None:
    base = _write_text(tmp_path, SMALL_TEXT.replace("start: 2022-01", "start: 2022-02-30"), "base.yaml")
    child = write_yaml(tmp_path / "child.yaml", {"extends": "base.yaml", "name": "child"})
    code, err = _validate(child)
    assert_clean_error(code, err, f"{base}: start: expected a month as 'YYYY-MM'")


# ------------------------------------------------------------------ YAML tags
@pytest.mark.parametrize(
    "value",
    [
        "!!int 'abc'",
        "!!float 'x'",
        "!!timestamp 'garbage'",
        "!!binary aGVsbG8=",
        "!!python/object:os.system {}",
        "!custom 3",
        "!!set {a, b}",
        "!!bool 'maybe'",
        "!!null 'x'",
    ],
)
def test_explicit_tags_are_refused(tmp_path: Path, value: str) -> None:
    path = _write_text(tmp_path, SMALL_TEXT.replace("seed: 7", f"seed: {value}", 1))
    code, err = _validate(path)
    _assert_clean_error(code, err, f"{path}:")
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: ", err), err  # the line and column of the tag
    assert "seed" not in err.split("\n")[0] or "tag" in err or "not a valid" in err


def test_a_correct_explicit_tag_is_fine(tmp_path: Path) -> None:
    path = _write_text(tmp_path, SMALL_TEXT.replace("seed: 7", "seed: !!int 7", 1))
    assert load_scenario(path).spec.seed == 7


# ------------------------------------------------------------------ nesting, aliases, size
def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    deep = "[" * 1000 + "]" * 1000
    path = _write_text(tmp_path, SMALL_TEXT + f"description: {deep}\n".replace("description", "x_deep"))
    code, err = _validate(path)
    assert_clean_error(code, err, str(path))
    assert "nested" in err or "malformed YAML" in err


def test_nesting_just_under_the_limit_is_a_schema_error_not_a_crash(tmp_path: Path) -> None:
    depth = MAX_YAML_DEPTH - 2
    path = _write_text(tmp_path, SMALL_TEXT + "x_deep: " + "[" * depth + "]" * depth + "\n")
    code, err = _validate(path)
    assert_clean_error(code, err, f"{path}: x_deep: unknown key 'x_deep'")


@pytest.mark.parametrize(("width", "levels"), [(9, 9), (12, 4), (10, 12)])
def test_alias_bombs_are_refused_in_seconds(tmp_path: Path, width: int, levels: int) -> None:
    lines = ["a0: &a0 [lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    bomb = "\n".join(lines)
    text = SMALL_TEXT.replace(
        "description: ", f"x_bomb:\n  {bomb.replace(chr(10), chr(10) + '  ')}\ndescription: ", 1
    )
    path = _write_text(tmp_path, text)
    code, err = _validate(path, seconds=10)
    assert_clean_error(code, err, str(path))
    assert "alias" in err


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = _write_text(tmp_path, SMALL_TEXT + "x_loop: &loop [*loop]\n")
    code, err = _validate(path)
    assert_clean_error(code, err, str(path))


def test_too_large_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = _write_text(tmp_path, SMALL_TEXT + "# " + "x" * (5 * 1024 * 1024) + "\n")
    code, err = _validate(path, seconds=10)
    assert_clean_error(code, err, str(path))
    assert "larger than the limit" in err


def test_many_unknown_keys_answer_quickly(tmp_path: Path) -> None:
    keys = "".join(f"junk_key_{i}: {i}\n" for i in range(60_000))
    path = _write_text(tmp_path, SMALL_TEXT + keys)
    code, err = _validate(path, seconds=30)
    assert_clean_error(code, err, f"{path}: junk_key_0: unknown key")
    assert len(err.splitlines()) <= 60
    assert "more problem(s)" in err


def test_too_many_values_are_refused(tmp_path: Path) -> None:
    keys = "".join(f"junk_key_{i}: {i}\n" for i in range(150_000))
    path = _write_text(tmp_path, SMALL_TEXT + keys)
    code, err = _validate(path, seconds=30)
    _assert_clean_error(code, err, f"{path}:1:1: the document has more than 200,000 values")


# ------------------------------------------------------------------ counts and horizon
def test_twenty_thousand_events_are_refused(tmp_path: Path) -> None:
    event = small_scenario_dict()["events"][0]
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(
        tmp_path / "child.yaml",
        {"extends": "base.yaml", "events": [copy.deepcopy(event) for _ in range(20_000)]},
    )
    code, err = _validate(child, seconds=30)
    assert_clean_error(code, err, str(child))
    assert "expected a smaller scenario" in err or "expected at most 2,000" in err


def test_event_count_is_capped(tmp_path: Path) -> None:
    event = small_scenario_dict()["events"][0]
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(
        tmp_path / "child.yaml",
        {"extends": "base.yaml", "events": [copy.deepcopy(event) for _ in range(3_000)]},
    )
    code, err = _validate(child, seconds=30)
    assert_clean_error(code, err, f"{child}: events: 3,002 events; expected at most 2,000")


@pytest.mark.parametrize("end", ["9999-12", "2100-01"])
def test_horizon_is_capped(tmp_path: Path, end: str) -> None:
    data = small_scenario_dict()
    data["end"] = end
    path = write_small_scenario(tmp_path, data=data)
    code, err = _validate(path)
    assert_clean_error(code, err, f"{path}: end: the horizon 2022-01 .. {end}")
    assert "expected at most 600 months" in err


# ------------------------------------------------------------------ numbers
@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("parameters", "decision_rationality"), float("inf")),
        (("parameters", "trade_elasticity"), float("nan")),
        (("parameters", "reexport_base_utility"), -1e308),
        (("parameters", "route_risk_premium_usd_per_unit"), {"CPC": 1e308}),
        (("actors", 0, "gdp_usd_bn"), 1e308),
        (("actors", 0, "hedging_weight"), float("inf")),
        (("routes", 0, "tariff_usd_per_unit"), 1e308),
        (("routes", 0, "capacity_per_year"), 1e300),
        (("shipments", 0, "volume_per_year"), 1e308),
        (("goods", 0, "price_usd_per_unit"), float("inf")),
        (("events", 0, "action", "rate"), 1e308),
        (("hazards", 0, "rate_per_year"), 1e308),
        (("seed",), 10**40),
        (("blocs", 0, "vote_weights"), {"Kazakhstan": 1e308}),
    ],
)
def test_extreme_and_non_finite_numbers_are_refused(tmp_path: Path, where: tuple, value: object) -> None:
    data = small_scenario_dict()
    node = data
    for key in where[:-1]:
        node = node.setdefault(key, {}) if isinstance(key, str) else node[key]
    node[where[-1]] = value
    path = write_small_scenario(tmp_path, data=data)
    code, err = _validate(path)
    assert_clean_error(code, err, str(path))
    assert "expected" in err


def test_inducement_of_1e308_is_refused(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"].append(
        {
            "date": "2022-05",
            "action": {
                "type": "inducement",
                "sender": "China",
                "target": "Kazakhstan",
                "amount_usd_bn": 1e308,
            },
        }
    )
    path = write_small_scenario(tmp_path, data=data)
    code, err = _validate(path)
    assert_clean_error(code, err, f"{path}: events[2].action.amount_usd_bn")


# ------------------------------------------------------------------ numbers in data files
@pytest.mark.parametrize("value", ["1e308", "-1e308", "inf", "nan", "100001"])
def test_extreme_trade_values_are_refused_naming_file_line_and_column(tmp_path: Path, value: str) -> None:
    rows = [list(r) for r in SMALL_TRADE_ROWS]
    rows[1][3] = value  # line 3 of the CSV (after the header and the first row)
    path = write_small_scenario(tmp_path, trade_rows=rows)
    code, err = _validate(path)
    assert_clean_error(
        code, err, f"{path}: trade.baseline_file: {tmp_path / TRADE_FILE}: line 3: value_usd_bn:"
    )
    assert "expected" in err and "USD bn per year" in err
    assert len(err.strip().splitlines()) == 1, err


def test_largest_plausible_trade_value_is_accepted(tmp_path: Path) -> None:
    rows = [list(r) for r in SMALL_TRADE_ROWS]
    rows[1][3] = 1e5  # the bound itself: a flow above world trade is refused, this one is not
    loaded = load_scenario(write_small_scenario(tmp_path, trade_rows=rows))
    assert np.isfinite(loaded.baseline_flows).all() and loaded.baseline_flows.max() == 1e5


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("price,oil,2022,1e308,USD/t,test", "value"),
        ("price,oil,2022,-1e308,USD/t,test", "value"),
        ("price,oil,2022,inf,USD/t,test", "value"),
        ("price,oil,2022,1e7.5,USD/t,test", "value"),
        ("price,oil,99999999999999999999999,480,USD/t,test", "year"),
        ("price,oil," + "9" * 400 + ",480,USD/t,test", "year"),
        ("price,oil,1066,480,USD/t,test", "year"),
    ],
)
def test_extreme_path_values_are_refused_naming_file_line_and_column(
    tmp_path: Path, row: str, column: str
) -> None:
    data = small_scenario_dict()
    data["paths"] = {"file": "paths.csv"}
    (tmp_path / "paths.csv").write_text(
        f"series,name,year,value,unit,source\nprice,oil,2023,490,USD/t,test\n{row}\n", encoding="utf-8"
    )
    path = write_small_scenario(tmp_path, data=data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.field == "paths.file", problem
    assert problem.message.startswith(f"{tmp_path / 'paths.csv'}: line 3: {column}: expected "), problem
    assert " between " in problem.message, problem


# ------------------------------------------------------------------ extends and referenced files
def test_extends_chain_too_deep_names_the_chain(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="f0.yaml")
    n = MAX_EXTENDS_DEPTH + 40
    for i in range(1, n):
        write_yaml(tmp_path / f"f{i}.yaml", {"extends": f"f{i - 1}.yaml"})
    code, err = _validate(tmp_path / f"f{n - 1}.yaml", seconds=20)
    assert_clean_error(code, err, "extends chain longer than")
    assert f"f{n - 1}.yaml -> " in err


def test_extends_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    child = write_yaml(tmp_path / "child.yaml", {"extends": "a.yaml"})
    code, err = _validate(child)
    assert_clean_error(code, err, f"{child}: extends:")


def test_extends_cycle(tmp_path: Path) -> None:
    write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml"})
    code, err = _validate(tmp_path / "a.yaml")
    assert_clean_error(code, err, "extends cycle")


@pytest.mark.parametrize(
    ("field", "target"),
    [
        ("extends", "/etc/passwd"),
        ("extends", "/proc/self/environ"),
        ("parameters_file", "/etc/passwd"),
        ("parameters_file", "/proc/self/environ"),
        ("trade.baseline_file", "/etc/passwd"),
        ("trade.baseline_file", "/etc/shadow"),
    ],
)
def test_only_expected_extensions_are_read_and_nothing_is_quoted(
    tmp_path: Path, field: str, target: str
) -> None:
    data = small_scenario_dict()
    if field == "trade.baseline_file":
        data["trade"]["baseline_file"] = target
    else:
        data[field] = target
    path = write_small_scenario(tmp_path, data=data)
    code, err = _validate(path)
    assert_clean_error(code, err, f"{path}: {field}: {target} does not end in")
    assert "root:" not in err and "PATH=" not in err  # no content of the file pointed at


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_fifo_is_refused_before_reading(tmp_path: Path, suffix: str) -> None:
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    data = small_scenario_dict()
    if suffix == ".csv":
        data["trade"]["baseline_file"] = fifo.name
        field = "trade.baseline_file"
    else:
        data["parameters_file"] = fifo.name
        field = "parameters_file"
    path = write_small_scenario(tmp_path, data=data)
    code, err = _validate(path, seconds=10)
    assert_clean_error(code, err, f"{path}: {field}: {fifo}: is not a regular file")


def test_fifo_as_the_scenario_itself(tmp_path: Path) -> None:
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    code, err = _validate(fifo, seconds=10)
    assert_clean_error(code, err, f"{fifo}: is not a regular file")


def test_device_as_the_scenario(tmp_path: Path) -> None:
    code, err = _validate(Path("/dev/zero"), seconds=10)
    assert_clean_error(code, err, "/dev/zero: is not a regular file")


def test_null_byte_in_a_path(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["trade"]["baseline_file"] = "a\0b.csv"
    path = write_small_scenario(tmp_path, data=data)
    code, err = _validate(path)
    assert_clean_error(code, err, f"{path}: trade.baseline_file")


# ------------------------------------------------------------------ removing everything
@pytest.mark.parametrize("section", ["shipments", "routes", "both"])
def test_removing_every_shipment_or_route(tmp_path: Path, section: str) -> None:
    data = small_scenario_dict()
    data["hazards"] = []
    data["events"] = [data["events"][0]]  # the route disruption would name a removed route
    write_small_scenario(tmp_path, data=data, filename="base.yaml")
    child: dict = {"extends": "base.yaml", "name": f"no_{section}", "end": "2022-06"}
    if section in ("shipments", "both"):
        child["shipments"] = [{"name": "kz_oil", "remove": True}]
    if section in ("routes", "both"):
        child["routes"] = [{"name": "CPC", "remove": True}, {"name": "KCP", "remove": True}]
    path = write_yaml(tmp_path / "child.yaml", child)
    code, _, err = cli(["run", str(path), "--out", str(tmp_path / "out"), "--no-plots"], seconds=60)
    if section == "routes":  # the shipment now names unknown routes: a clean error
        assert_clean_error(
            code, err, f"{tmp_path / 'base.yaml'}: shipments[0].routes[0]: unknown route 'CPC'"
        )
    else:
        assert code == 0, err
        assert "Traceback" not in err


# ------------------------------------------------------------------ errors in the user's terms, one pass
def test_child_event_is_reported_by_its_own_index(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    child = write_yaml(
        tmp_path / "child.yaml",
        {
            "extends": "base.yaml",
            "events": [
                {"date": "2022-05", "action": {"type": "signal", "actor": "Nowhere", "toward": "West"}}
            ],
        },
    )
    code, err = _validate(child)
    assert_clean_error(code, err, f"{child}: events[0].action.actor: unknown actor 'Nowhere'")
    assert "events[2]" not in err


def test_a_bad_date_does_not_hide_other_problems(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["events"][0]["date"] = "2022-13"
    data["events"][1]["action"]["route"] = "Nowhere pipeline"
    data["shipments"][0]["routes"] = ["CPC", "KCPP"]
    data["decisions"]["menus"]["Russia"][0]["action"]["target"] = "Atlantis"
    path = write_small_scenario(tmp_path, data=data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    fields = [p.field for p in info.value.problems]
    assert "events[0].date" in fields
    assert "events[1].action.route" in fields
    assert "shipments[0].routes[1]" in fields
    assert "decisions.menus.Russia[0].action.target" in fields


def test_a_bad_start_does_not_hide_unknown_names(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["start"] = "2022-02-30"
    data["shipments"][0]["routes"] = ["CPC", "KCPP"]
    path = write_small_scenario(tmp_path, data=data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    fields = [p.field for p in info.value.problems]
    assert fields[0] == "start"
    assert "shipments[0].routes[1]" in fields
    assert not any("horizon" in p.message for p in info.value.problems)


def test_a_bad_actor_does_not_make_its_name_unknown(tmp_path: Path) -> None:
    data = small_scenario_dict()
    data["actors"][0]["gdp_usd_bn"] = "big"
    data["routes"][0]["destination"] = "Atlantis"
    path = write_small_scenario(tmp_path, data=data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert "actors[0].gdp_usd_bn" in text
    assert "routes[0].destination: unknown actor 'Atlantis'" in text
    assert "unknown actor 'Kazakhstan'" not in text


# ------------------------------------------------------------------ text and mapping entry points
def test_load_from_text_and_mapping_match_the_file(tmp_path: Path) -> None:
    path = write_small_scenario(tmp_path)
    from_file = load_scenario(path)
    from_text = load_scenario_text(path.read_text(encoding="utf-8"), tmp_path)
    from_map = load_scenario_mapping(small_scenario_dict(), tmp_path)
    assert from_text.spec == from_file.spec == from_map.spec
    assert from_text.content_hash == from_file.content_hash == from_map.content_hash
    assert (from_text.baseline_flows == from_file.baseline_flows).all()


def test_load_text_errors_name_the_text_and_resolve_against_base_dir(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    text = (
        "extends: base.yaml\nname: t\nevents:\n"
        "  - date: 2022-02-30\n    action: {type: signal, actor: X, toward: West}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, tmp_path, name="notebook cell")
    lines = str(info.value).splitlines()
    assert lines[0] == "notebook cell:4:11: events[0].date: expected a month as 'YYYY-MM', got '2022-02-30'"
    assert any(
        line.startswith("notebook cell:5:35: events[0].action.actor: unknown actor 'X'") for line in lines
    )


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ({"name": object()}, "name: expected a plain value"),
        ({"name": "x", "seed": {1: 2}}, "seed: expected string keys"),
        (["not", "a", "dict"], "expected a mapping (dict)"),
    ],
)
def test_load_mapping_refuses_non_plain_values(tmp_path: Path, mapping: object, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_mapping(mapping, tmp_path)  # type: ignore[arg-type]
    assert expected in str(info.value)


def test_load_mapping_refuses_self_reference(tmp_path: Path) -> None:
    data = small_scenario_dict()
    loop: list = []
    loop.append(loop)
    data["description"] = loop
    with pytest.raises(ScenarioError) as info:
        load_scenario_mapping(data, tmp_path)
    assert "nested more than" in str(info.value)


def test_load_mapping_does_not_modify_its_argument(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    data = {"extends": "base.yaml", "name": "m"}
    load_scenario_mapping(data, tmp_path)
    assert data == {"extends": "base.yaml", "name": "m"}

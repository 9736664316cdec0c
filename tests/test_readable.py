"""Readable answers: the headline window, numbers below the tolerance printed as 0, labels from
one registry, no empty plot, same-month causes named in the run summary, and `mvsim new`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.compare import compare, write_comparison
from sim.compare.plots import plot_stems
from sim.compare.report import clean_question, headline_lines, headline_rows, report_markdown
from sim.compare.window import auto_window, event_windows, moving_months, parse_window, resolve_window
from sim.errors import InputError
from sim.outcome_labels import ZERO_TOL, fmt_signed, fmt_value, label, short_label

SCI = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?e[-+]?\d+", re.IGNORECASE)
"""A number in scientific notation (1e-09, -8.14e-16, 2.8E+03)."""


def sci_values(text: str) -> list[float]:
    return [float(m) for m in SCI.findall(text)]


@pytest.fixture
def halt3(small_scenario: Path) -> Path:
    """Russia halts CPC for three months from 2023-03 (the small scenario runs 2022-01..2023-12)."""
    child = small_scenario.parent / "halt3.yaml"
    event = {"type": "route_disruption", "actor": "Russia", "route": "CPC", "capacity_factor": 0.0}
    child.write_text(
        "# What if Russia halts CPC for three months in 2023?\n"
        + yaml.safe_dump(
            {
                "extends": small_scenario.name,
                "name": "halt3",
                "events": [{"date": "2023-03", "action": {**event, "duration_months": 3}}],
            }
        )
    )
    return child


# --------------------------------------------------------------------------- numbers and labels
def test_values_below_the_tolerance_print_as_zero_and_none_in_scientific_notation():
    assert fmt_signed(-8.14e-16) == "0" and fmt_signed(2.84e-15) == "0" and fmt_value(-1e-12) == "0"
    assert fmt_signed(0.5 * ZERO_TOL) == "0" and fmt_signed(3 * ZERO_TOL) != "0"
    for k in range(-8, 5):
        for x in (1.234 * 10.0**k, -5.0 * 10.0**k):
            assert not SCI.search(fmt_signed(x)), fmt_signed(x)
            assert not SCI.search(fmt_value(abs(x))), fmt_value(abs(x))
            a = abs(x)
            rounding = 0.05 if a >= 10 else 0.005 if a >= 0.1 else 0.0005 if a >= 0.001 else 0.005 * a
            assert abs(float(fmt_signed(x)) - x) <= rounding * 1.001
    assert fmt_signed(0.000178) == "+0.000178" and fmt_signed(-0.8008) == "-0.80"


def test_one_registry_labels_columns_and_comparison_items_with_units():
    assert label("welfare_route_revenue_usd_bn") == "Route revenue (USD bn/yr)"
    assert label("alignment_China") == "Alignment with China (0-1)"
    assert label("CPC", group="route_volume", unit="Mt/yr") == "CPC volume, all shippers (Mt/yr)"
    assert short_label("total", group="trade_pole") == "Trade, all partners"
    from sim.core.recorder import ACTOR_METRICS

    for col in ACTOR_METRICS:  # every recorded indicator has a readable name, not its column name
        assert short_label(col) != col.replace("_", " "), col


# --------------------------------------------------------------------------- windows
def test_parse_window_accepts_ranges_and_names_the_option_on_bad_input():
    assert parse_window("2025-03:2025-05") == ("2025-03", "2025-05")
    assert parse_window("2025-03") == ("2025-03", "2025-03")
    assert parse_window("auto") == "auto" and parse_window("all") == "all"
    for bad in ("2025-3:2025-05", "2025-05:2025-03", "2025-13", "soon"):
        with pytest.raises(InputError, match="--window"):
            parse_window(bad)


def test_auto_window_is_the_halt_and_the_headline_reports_it(small_scenario, halt3):
    cmp = compare(small_scenario, halt3, replications=2)
    win = auto_window(cmp)
    # B's own event has a duration: the headline is while it lasts (the "after" block has the rest)
    assert (win.how, win.start, win.end, win.count) == ("events", "2023-03", "2023-05", 3)
    assert "while B's own events last" in win.text()
    # the moving months: the halt and the months in which the deferred crude is shipped
    assert {"2023-03", "2023-04", "2023-05"} <= set(moving_months(cmp))
    assert "2023-02" not in moving_months(cmp)
    given = resolve_window(cmp, "2023-03:2023-05")
    assert (given.start, given.end, given.count) == ("2023-03", "2023-05", 3)
    assert resolve_window(cmp, "2000-01:2030-12").how == "all"
    with pytest.raises(InputError, match="outside the compared months"):
        resolve_window(cmp, "2031-01:2031-03")
    # the window's mean delta is the halt's monthly effect, the horizon's mean is diluted 24/3 times
    whole = cmp.summarize().set_index(["group", "item"]).loc[("exports_by_route", "CPC"), "delta_mean"]
    during = cmp.summarize("2023-03", "2023-05").set_index(["group", "item"])
    halt = during.loc[("exports_by_route", "CPC"), "delta_mean"]
    assert halt < 0 and abs(halt) > 7.0 * abs(whole)
    rows = {r[0]: r for r in headline_rows(cmp, given)}
    assert rows["Exports via CPC"][3].startswith(fmt_signed(halt))
    lines = headline_lines(cmp, window=given)
    assert lines[0].startswith("  window: 2023-03..2023-05 (3 months")
    (ev,) = event_windows(cmp)
    assert (ev.during.start, ev.during.end) == ("2023-03", "2023-05")
    assert ev.after is not None and (ev.after.start, ev.after.end) == ("2023-06", "2023-12")
    text = report_markdown(cmp, plots=False, window="2023-03:2023-05")
    assert "## Headline (2023-03..2023-05)" in text and "during (2023-03..2023-05)" in text


def test_auto_window_of_a_permanent_change_is_the_moving_months(small_scenario):
    child = small_scenario.parent / "cheap_oil_for_good.yaml"
    event = {"type": "price_change", "good": "oil", "factor": 0.7}  # no duration: permanent
    child.write_text(
        yaml.safe_dump(
            {
                "extends": small_scenario.name,
                "name": "for_good",
                "events": [{"date": "2023-03", "action": event}],
            }
        )
    )
    cmp = compare(small_scenario, child, replications=2)
    win = auto_window(cmp)
    assert win.how == "auto" and win.start == "2023-03" and win.end == moving_months(cmp)[-1]


def test_auto_window_sees_an_event_added_in_memory(small_scenario):
    """A workbench edit is not in B's file: the window reads the events as run."""
    from sim.runs.job import with_spec
    from sim.scenario.loader import load_scenario
    from sim.scenario.schema import EventSpec

    loaded = load_scenario(small_scenario)
    event = {"type": "route_disruption", "actor": "Russia", "route": "CPC", "capacity_factor": 0.0}
    added = EventSpec.model_validate({"date": "2023-03", "action": {**event, "duration_months": 3}})
    edited = with_spec(loaded, loaded.spec.model_copy(update={"events": [*loaded.spec.events, added]}))
    win = auto_window(compare(loaded, edited, replications=2))
    assert (win.how, win.start, win.end) == ("events", "2023-03", "2023-05")


def test_shipped_pipeline_halt_headline_is_the_halt_window(tmp_path, capsys):
    """Scenario 11 (China halts the Kazakhstan-China oil pipeline 2025-03..2025-05): the default
    headline covers the three halt months, not the horizon, nor the years in which the decisions
    that answer the halt keep B apart from A (those are the event's "after" block)."""
    root = Path(__file__).resolve().parent.parent / "scenarios"
    args = [str(root / "baseline.yaml"), str(root / "11_china_pipeline_halt_3m.yaml")]
    code = main(
        ["compare", *args, "--replications", "1", "--end", "2026-06", "--out", str(tmp_path), "--no-plots"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "window: 2025-03..2025-05 (3 months, while B's own events last)" in out
    assert "Exports via Kazakhstan-China oil: -1.50 Mt/yr" in out
    lost = re.search(r"Route exports lost \(no capacity\): \+(\d\.\d+) USD bn/yr", out)
    assert lost and 0.6 < float(lost.group(1)) < 1.1  # ~1.5 Mt/yr at the crude netback


def test_cli_window_option(tmp_path, small_scenario, halt3, capsys):
    args = ["compare", str(small_scenario), str(halt3), "--replications", "1", "--out", str(tmp_path)]
    assert main([*args, "--no-plots", "--window", "2023-03:2023-05"]) == 0
    out = capsys.readouterr().out
    assert "window: 2023-03..2023-05 (3 months, window asked for)" in out
    assert "during (2023-03..2023-05)" in out
    manifest = json.loads(next(tmp_path.glob("compare_*/manifest.json")).read_text())
    assert manifest["window"] == {"first": "2023-03", "last": "2023-05", "count": 3, "how": "given"}
    assert main([*args, "--window", "March"]) == 2
    assert "--window" in capsys.readouterr().err


# --------------------------------------------------------------------------- reports and plots
def test_report_has_no_tiny_scientific_values_and_no_empty_plot(tmp_path, small_scenario, halt3):
    for a, b in ((small_scenario, halt3), (small_scenario, small_scenario)):
        cmp = compare(a, b, replications=2)
        out = write_comparison(cmp, tmp_path / "cmp")
        text = (out / "report.md").read_text()
        assert not sci_values(text), text  # no -8.14e-16 style residue, no scientific notation at all
        pngs = sorted(p.stem for p in out.glob("*.png"))
        assert pngs == sorted(plot_stems(cmp))
        for stem in pngs:
            assert f"({stem}.png)" in text
        if a == b:
            assert pngs == [] and "No difference." in text  # identical sides: nothing to draw


def test_delta_plot_starts_before_the_first_difference_and_shows_alignment_in_points(small_scenario, halt3):
    import matplotlib.dates as mdates

    from sim.compare.plots import CONTEXT_MONTHS, plot_deltas

    cmp = compare(small_scenario, halt3, replications=1)
    fig = plot_deltas(cmp, "alignment", [("alignment", None)])
    left = fig.axes[0]
    start = mdates.num2date(left.get_xlim()[0]).strftime("%Y-%m")
    first = cmp.months.index("2023-03")
    assert start == cmp.months[max(0, first - CONTEXT_MONTHS)]
    assert left.get_ylabel() == "delta (pp)"
    assert not fig.axes[1].axison  # a share is a level: no cumulative point-months


def test_question_drops_the_editor_modeline():
    q = "yaml-language-server: $schema=../docs/scenario.schema.json What if China halts it?"
    assert clean_question(q) == "What if China halts it?"
    assert clean_question("What if?") == "What if?"


# --------------------------------------------------------------------------- mvsim new
def test_new_template_question_and_compare_command_with_an_absolute_base(tmp_path, small_scenario, capsys):
    from sim.compare.sides import scenario_question

    out_dir = tmp_path / "mine"
    out_dir.mkdir()
    assert main(["new", "q1", "--dir", str(out_dir), "--extends", str(small_scenario)]) == 0
    text = (out_dir / "q1.yaml").read_text()
    assert "yaml-language-server: $schema=" in text
    assert "yaml-language-server" not in scenario_question(out_dir / "q1.yaml")
    command = next(line for line in text.splitlines() if "Compare with its base" in line)
    a, b = command.split("mvsim compare", 1)[1].split()[:2]
    assert Path(a) == small_scenario and Path(a).is_file()
    assert Path(b) == out_dir / "q1.yaml" and Path(b).is_file()
    assert main(["validate", str(out_dir / "q1.yaml")]) == 0


# --------------------------------------------------------------------------- run summary attribution
def test_run_summary_says_when_several_actions_share_the_month(scenario_writer, small_scenario_data):
    from sim.api import run_scenario
    from sim.results.summary import consequential_actions, month_causes

    data = small_scenario_data
    data["hazards"] = []
    data["events"].append(
        {
            "date": "2023-03",
            "action": {
                "type": "route_disruption",
                "actor": "China",
                "route": "KCP",
                "capacity_factor": 0.5,
                "duration_months": 2,
            },
        }
    )
    data["events"].append(
        {"date": "2023-03", "action": {"type": "price_change", "good": "oil", "factor": 1.1}}
    )
    path = scenario_writer(data)
    result = run_scenario(path, seed=1)
    tables = result.tables
    causes = month_causes(tables)
    assert any(c.startswith("price_change") for c in causes["2023-03"])
    assert any(c.startswith("end of route_disruption [KCP]") for c in causes["2023-05"])
    assert "yearly paths (prices, volumes)" in causes["2023-01"]
    top = {c.head: c for c in consequential_actions(tables, "Kazakhstan", n=20)}
    kcp = next(c for h, c in top.items() if h.startswith("2023-03 China: route_disruption [KCP]"))
    assert (
        "shared with" in kcp.reason
        and "price_change" in kcp.reason
        and "not this action's alone" in kcp.reason
    )

"""The back-test harness scores episodes, placebos and base rates as documented (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.scenario.loader import load_scenario
from sim.validation import episodes as E

SCEN = Path(__file__).resolve().parent.parent / "scenarios"


def _ev(rows):
    cols = ["run_id", "month", "kind", "name", "type", "actor", "target", "parameters"]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], columns=cols)


HALT = json.dumps({"type": "route_disruption", "route": "CPC"})
REPRICE = json.dumps({"type": "route_reprice", "route": "Northern corridor"})


def test_coercion_counts_decided_and_executed_acts_of_russia_only():
    ev = _ev(
        [
            ("a", "2022-06", "decision", "halt CPC", "route_disruption", "Russia", "Kazakhstan", HALT),
            ("a", "2022-07", "threat", "execute threat: gas_union", "route_disruption", "Russia", "", HALT),
            ("a", "2022-03", "event", "route_disruption", "route_disruption", "", "", HALT),  # the storm
            ("b", "2022-08", "threat_withheld", "withhold threat", "route_disruption", "Russia", "", HALT),
            ("b", "2022-10", "decision", "reprice Northern corridor", "route_reprice", "Russia", "", REPRICE),
        ]
    )
    acts = E.coercion_acts(ev)
    assert list(acts["month"]) == ["2022-06", "2022-07", "2022-10"]
    assert list(E.cpc_stoppages(ev)["month"]) == ["2022-06", "2022-07"]
    hit = E.any_in(acts, ["a", "b", "c"], E.months("2022-06", "2022-09"))
    assert hit.to_dict() == {"a": True, "b": False, "c": False}


def test_monthly_base_rate_and_its_window_equivalent():
    ev = _ev([("a", "2022-02", "decision", "halt CPC", "route_disruption", "Russia", "", HALT)] * 2)
    rate = E.monthly_rate(E.coercion_acts(ev), ["a", "b"], E.months("2022-02", "2022-05"))
    assert rate == pytest.approx(1 / 8)  # one (run, month) cell of 8, duplicates counted once
    assert E.window_rate(rate, 4) == pytest.approx(1 - (7 / 8) ** 4)


def test_tightening_needs_the_level_and_bypass_needs_a_route_russia_does_not_control():
    enf = lambda lv: json.dumps({"type": "enforcement", "level": lv})  # noqa: E731
    ev = _ev(
        [
            ("a", "2022-07", "decision", "tighten enforcement", "enforcement", "Kazakhstan", "", enf(0.8)),
            ("b", "2022-07", "decision", "loosen enforcement", "enforcement", "Kazakhstan", "", enf(0.1)),
            (
                "a",
                "2022-05",
                "decision",
                "contract BTC deliveries",
                "contract",
                "Kazakhstan",
                "",
                json.dumps({"route": "Trans-Caspian oil"}),
            ),
            (
                "b",
                "2022-05",
                "decision",
                "counter gas_union (Russia)",
                "contract",
                "Kazakhstan",
                "",
                json.dumps({"route": "Central Asia-Center gas"}),
            ),
            ("b", "2023-03", "decision", "concede gas_union (Russia)", "contract", "Kazakhstan", "", "{}"),
        ]
    )
    assert list(E.tightening_acts(ev)["run_id"]) == ["a"]
    assert list(E.bypass_acts(ev)["run_id"]) == ["a"]
    assert list(E.gas_union_joins(ev)["run_id"]) == ["b"]


def test_verdict_needs_probability_and_lift():
    ep = E.EPISODES[0]
    assert E.verdict(ep, 0.84, 0.74) == "not reproduced (trigger adds < 0.3)"  # issue 19's figures
    assert E.verdict(ep, 0.45, 0.0).startswith("not reproduced (p < 0.5")
    assert E.verdict(ep, 0.9, 0.5) == "reproduced"
    gas = next(e for e in E.EPISODES if e.key == "gas_union")
    assert (
        E.verdict(gas, 0.79, None).startswith("not reproduced") and E.verdict(gas, 0.8, None) == "reproduced"
    )


def test_score_reads_each_placebo_run_in_its_window():
    def halts(prefix, months):
        return [
            (f"{prefix}{i}", m, "decision", "halt CPC", "route_disruption", "Russia", "", HALT)
            for i, m in enumerate(months)
        ]

    empty = _ev([("z0", "2022-01", "event", "x", "signal", "Kazakhstan", "", "{}")])
    runs = {f: empty for f in (E.MAIN, *E.PLACEBOS)}
    runs[E.MAIN] = _ev(halts("m", ["2022-06", "2022-07", "2022-03", "2023-01"]))
    runs["backtest_2022_no_spief.yaml"] = _ev(halts("p", ["2022-07", "2022-12", "2023-05", "2023-06"]))
    r = E.score(E.EPISODES[0], runs)
    assert (r.probability, r.placebo, r.runs) == (0.5, 0.25, 4)
    assert r.base_monthly == pytest.approx(1 / 16) and r.verdict.startswith("not reproduced (trigger")


@pytest.mark.parametrize(
    ("placebo", "removed"),
    [
        ("backtest_2022_no_spief.yaml", "spief_statement_2022_06"),
        ("backtest_2022_no_us_threat.yaml", "us_reexport_control_2022_07"),
    ],
)
def test_each_placebo_differs_from_the_back_test_only_by_its_trigger(placebo, removed):
    main = load_scenario(SCEN / E.MAIN).spec
    pl = load_scenario(SCEN / placebo).spec
    assert [e for e in main.events if e.name != removed] == list(pl.events)
    assert pl.decisions == main.decisions and pl.actors == main.actors


def test_the_hedging_placebo_changes_only_kazakhstans_hedging_weight():
    main = load_scenario(SCEN / E.MAIN).spec
    pl = load_scenario(SCEN / "backtest_2022_no_hedging.yaml").spec
    diff = [(a.name, b.hedging_weight) for a, b in zip(main.actors, pl.actors, strict=True) if a != b]
    assert diff == [("Kazakhstan", 0.0)] and pl.events == main.events

"""The baseline knows only what was published by the end of 2022 (issue 19).

Every dated input of scenarios/baseline.yaml (events, contracts, enforcement steps, routes,
shipments, time-path rows of calibration/paths_2022.csv) carries `as_of`; none is after
2022-12 (full-year 2022 statistics published by 2023-06 may be used if they say they cover 2022).
What happened later is the overlay scenarios/history_2023_24.yaml, which must stay separate.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.loader import load_scenario
from sim.validation.knowledge import late_inputs

SCEN = Path(__file__).resolve().parent.parent / "scenarios"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCEN / "baseline.yaml").spec


def test_no_baseline_input_is_published_after_2022(baseline):
    assert late_inputs(baseline) == []


def test_every_path_row_of_the_baseline_has_as_of(baseline):
    rows = baseline.paths.series
    assert len(rows) > 50 and all(r.as_of is not None for r in rows)


def test_the_check_fails_on_a_2023_input_and_on_a_missing_as_of(baseline):
    events = list(baseline.events)
    late = events[0].model_copy(update={"as_of": "2023-04"})
    undated = events[1].model_copy(update={"as_of": None})
    spec = baseline.model_copy(update={"events": [late, undated, *events[2:]]})
    problems = late_inputs(spec)
    assert len(problems) == 2
    assert "as_of 2023-04 is after the cut-off 2022-12" in problems[0]
    assert "no as_of" in problems[1]


def test_a_2022_statistic_published_in_2023_passes_only_if_it_covers_2022(baseline):
    ships = list(baseline.shipments)
    gas = next(s for s in ships if s.name == "Kazakh gas exports")
    assert (gas.as_of, gas.covers) == ("2023-01", "2022")  # the Astana Times full-year figure
    for covers, as_of, n in (("2022", "2023-06", 0), ("2023", "2023-06", 1), ("2022", "2023-07", 1)):
        other = [s.model_copy(update={"covers": covers, "as_of": as_of}) if s is gas else s for s in ships]
        assert len(late_inputs(baseline.model_copy(update={"shipments": other}))) == n


def test_no_baseline_event_is_a_2023_outcome(baseline):
    # Only decisions announced in 2022 may be dated 2023: the BTC agreement (Nov 2022) and the
    # EU products embargo (adopted June 2022).
    later = sorted((e.date, e.name or e.action.type) for e in baseline.events if e.date >= "2023-01")
    assert later == [("2023-01", "btc_contract_2023"), ("2023-02", "sanction")]
    assert baseline.decisions.start == "2023-01"


def test_the_known_history_overlay_holds_the_2023_outcomes():
    spec = load_scenario(SCEN / "history_2023_24.yaml").spec
    late = late_inputs(spec)
    names = {e.name for e in spec.events}
    for moved in (
        "kz_monitoring_2023_04",
        "kz_106_products_2023_10",
        "schwedt_contract_2023",
        "btc_tankers_2023",
    ):
        assert moved in names
    assert any("routes[Middle Corridor]" in p for p in late)
    assert any("paths[volume Kazakh crude 2023]" in p for p in late)
    assert spec.decisions.start == "2024-01"


@pytest.mark.parametrize(
    "name",
    [
        "backtest_2022.yaml",
        "backtest_2022_no_spief.yaml",
        "backtest_2022_spief_december.yaml",
        "backtest_2022_no_us_threat.yaml",
        "backtest_2022_no_hedging.yaml",
        "09_baseline_ensemble.yaml",
    ],
)
def test_back_test_placebos_and_ensemble_baseline_stay_before_the_cut_off(name):
    # The back-test and its placebos are validation targets: nothing published after 2022.
    assert late_inputs(load_scenario(SCEN / name).spec) == []

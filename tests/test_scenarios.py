"""The scenario library: every file validates and runs, states its question, and moves the
model in the direction its mechanism implies (paired runs vs its comparison file, short
horizons, 1-3 seeds)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.api import simulate
from sim.compare import Comparison, compare, drop_events, truncate_spec
from sim.results.tables import to_tables
from sim.scenario.compile import build_world
from sim.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.yaml"))
LIBRARY = [f for f in FILES if f.name != "baseline.yaml"]
COMPARE_WITH = re.compile(r"^#\s*Compare with:\s*(\S+\.yaml)", re.MULTILINE)
TOL = 1e-9


@functools.cache
def paired(b: str, a: str, end: str, reps: int = 2) -> Comparison:
    """compare(a, b) for two files of scenarios/ (cached across tests)."""
    return compare(SCENARIOS / a, SCENARIOS / b, replications=reps, root_seed=11, horizon_end=end)


def per_rep(
    cmp: Comparison, group: str, item: str, start: str, end: str, column: str = "delta"
) -> np.ndarray:
    """Mean of `column` over months [start, end], one value per replication."""
    v = cmp.values(group, item, column)
    return v.loc[start:end].mean().to_numpy()


def window(cmp: Comparison, group: str, item: str, start: str, end: str, column: str = "delta") -> np.ndarray:
    """Month x replication array of `column` within [start, end]."""
    return cmp.values(group, item, column).loc[start:end].to_numpy()


# ----------------------------------------------------------------------------- library
def test_library_has_the_issue_scenarios():
    names = {f.name for f in FILES}
    for prefix in ("01_", "01b_", "02_", "03_", "03b_", "04_", "05_", "06_", "07_", "08_", "08b_", "09_"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert "baseline.yaml" in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_scenario_validates_and_runs_a_short_horizon(path):
    loaded = load_scenario(path)
    spec = truncate_spec(loaded.spec, "2024-09")
    out = simulate(build_world(spec, loaded.baseline_flows), seed=3)
    tables = to_tables(out, spec)  # checks shipped + lost = offered
    assert len(tables["actor_month"]["month"].unique()) == 33
    numeric = tables["actor_month"].select_dtypes("number").to_numpy()
    assert np.isfinite(numeric).all()
    assert (tables["routes"]["volume_per_year"] <= tables["routes"]["capacity_per_year"] + 1e-6).all()


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_every_scenario_states_question_comparison_and_sources(path):
    text = path.read_text(encoding="utf-8")
    header = text.split("\nextends:")[0]
    assert text.startswith("# "), "header comment first"
    first_paragraph = header.split("\n#\n")[0]
    assert first_paragraph.rstrip().endswith("?"), "the first paragraph is the question"
    match = COMPARE_WITH.search(header)
    assert match, "a 'Compare with: <file>.yaml' line"
    assert (SCENARIOS / match.group(1)).is_file()
    assert "Sources:" in header
    if not path.name[:2].isdigit():  # backtest_2022.yaml: its sources are revised with its dated inputs
        assert re.search(r"\d{3}_[0-9a-f]{16}\.txt|figures\.csv", header), "an article file or figures.csv"
    else:
        assert re.search(r"calibration/|https?://|article \"", header), (
            "a repository file, address or article"
        )
        assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", header), (
            "reading-list file names are not in the repository"
        )
        assert not re.search(r"(?<!calibration/)figures\.csv", header), (
            "figures.csv is calibration/figures.csv"
        )
        ids = set(pd.read_csv(SCENARIOS.parent / "calibration" / "figures.csv")["id"])
        for cited in re.findall(r"calibration/figures\.csv ((?:[a-z0-9_]+(?:, | and )?)+)", header):
            for name in re.split(r", | and ", cited.strip()):
                assert name in ids, f"calibration/figures.csv has no row {name!r}"
    assert re.search(r"^extends: \S+\.yaml$", text, re.MULTILINE)


# ----------------------------------------------------------------------------- mechanisms
def test_01_full_june_2022_suspension_moves_oil_to_bypass_routes_and_loses_the_rest():
    cmp = paired("01_cpc_suspension_june2022.yaml", "baseline.yaml", "2022-12", reps=1)
    assert cmp.first_difference == "2022-06"
    june = slice("2022-06", "2022-06")
    assert (window(cmp, "route_volume", "CPC", june.start, june.stop, "b") == 0).all()
    assert (window(cmp, "exports_by_route", "CPC", june.start, june.stop) < 0).all()
    cap = window(cmp, "route_capacity", "Trans-Caspian oil", june.start, june.stop, "b")
    vol = window(cmp, "route_volume", "Trans-Caspian oil", june.start, june.stop, "b")
    np.testing.assert_allclose(vol, cap, rtol=1e-9)  # the bypass is full
    assert (window(cmp, "indicators", "lost_exports_usd_bn", june.start, june.stop) > 0).all()


def test_01_baseline_without_the_june_2022_suspension_in_memory():
    loaded = load_scenario(SCENARIOS / "baseline.yaml")

    def june_cpc(e):
        a = e.action
        return e.date == "2022-06" and a.type == "route_disruption" and a.route == "CPC"

    without = drop_events(loaded, june_cpc, name="baseline_without_june2022_cpc")
    assert len(without.spec.events) == len(loaded.spec.events) - 1
    cmp = compare(without, loaded, seeds=[5], horizon_end="2022-12")
    assert cmp.first_difference == "2022-06"
    assert window(cmp, "route_capacity", "CPC", "2022-06", "2022-06").item() < 0
    assert window(cmp, "route_volume", "CPC", "2022-06", "2022-06").item() < 0
    with pytest.raises(ValueError, match="no event"):
        drop_events(without, june_cpc)


def test_01b_six_month_cpc_halt_fills_the_bypass_and_loses_exports():
    cmp = paired("01b_cpc_halt_6m.yaml", "history_2023_24.yaml", "2025-06")
    assert cmp.first_difference == "2024-07"  # common random numbers: identical before the halt
    halt = ("2024-07", "2024-12")
    assert (window(cmp, "route_volume", "CPC", *halt, "b") == 0).all()
    assert (window(cmp, "exports_by_route", "CPC", *halt) < 0).all()
    tc_vol = window(cmp, "route_volume", "Trans-Caspian oil", *halt, "b")
    tc_cap = window(cmp, "route_capacity", "Trans-Caspian oil", *halt, "b")
    np.testing.assert_allclose(tc_vol, tc_cap, rtol=1e-9)  # up to its capacity
    assert (window(cmp, "exports_by_route", "Trans-Caspian oil", *halt) >= -TOL).all()
    assert (per_rep(cmp, "exports_by_route", "Trans-Caspian oil", *halt) > 0).all()
    assert (window(cmp, "exports_by_route", "lost (Mt)", *halt) > 0).all()
    assert (window(cmp, "indicators", "lost_exports_usd_bn", *halt, "b") > 0).all()  # once it is full
    assert (per_rep(cmp, "indicators", "net_welfare_usd_bn", *halt) < 0).all()


def test_02_tighter_secondary_sanctions_cut_kazakh_reexports_and_divert_them():
    cmp = paired("02_us_secondary_sanctions.yaml", "history_2023_24.yaml", "2025-12")
    assert cmp.first_difference == "2024-01"
    era = ("2024-01", "2025-12")
    assert (per_rep(cmp, "reexports", "Kazakhstan", *era) < 0).all()
    other = per_rep(cmp, "reexports", "Kyrgyzstan", *era) + per_rep(cmp, "reexports", "Armenia", *era)
    assert (other > 0).all()  # diversion to other intermediaries
    assert (per_rep(cmp, "indicators", "welfare_expected_penalty_usd_bn", *era) > 0).all()
    assert (per_rep(cmp, "pressure", "West", *era) > 0).all()


def test_03_middle_corridor_expansion_adds_capacity_after_the_lag_and_takes_northern_freight():
    cmp = paired("03_middle_corridor_10mt.yaml", "03b_middle_corridor_frozen.yaml", "2030-12")
    cap = cmp.values("route_capacity", "Middle Corridor")
    assert (cap.loc[:"2026-12"].abs() < TOL).all().all()  # nothing before the lag
    np.testing.assert_allclose(cap.loc["2027-01":].to_numpy(), 4.2)  # 5.8 -> 10 Mt/yr
    after = ("2027-01", "2030-12")
    assert (per_rep(cmp, "route_volume", "Middle Corridor", *after) > 0).all()
    assert (per_rep(cmp, "route_volume", "Northern corridor", *after) < 0).all()


def test_03b_frozen_corridor_never_exceeds_todays_capacity():
    cmp = paired("03b_middle_corridor_frozen.yaml", "baseline.yaml", "2030-12")
    assert (cmp.values("route_capacity", "Middle Corridor", "b").to_numpy() <= 5.8 + TOL).all()
    invest = cmp.actions[cmp.actions["name"] == "invest in Middle Corridor"]
    assert (invest["b_mean"] == 0).all()


def test_03c_cheaper_corridor_shifts_freight_every_month():
    cmp = paired("03c_middle_corridor_faster.yaml", "03_middle_corridor_10mt.yaml", "2028-12")
    assert cmp.first_difference == "2027-01"
    after = ("2027-01", "2028-12")
    assert (per_rep(cmp, "route_volume", "Middle Corridor", *after) > 0).all()
    assert (per_rep(cmp, "route_volume", "Northern corridor", *after) < 0).all()


def test_04_gas_union_pulls_kazakh_gas_north_and_alignment_toward_russia():
    cmp = paired("04_gas_union.yaml", "history_2023_24.yaml", "2027-06", reps=8)
    assert cmp.first_difference == "2024-01"
    era = ("2024-01", "2027-06")
    # Over the era, on average over 8 paired seeds by more than twice the standard error (not in
    # every seed: the comparison keeps Russia's gas-union demand on its menu, and where Kazakhstan
    # concedes it there, 3 concessions in 8 seeds on 2026-12-03, that side's gas goes north too).
    north = per_rep(cmp, "exports_by_route", "Central Asia-Center gas", *era)
    east = per_rep(cmp, "exports_by_route", "Central Asia-China gas", *era)
    assert north.mean() > 2.0 * north.std(ddof=1) / np.sqrt(len(north)) > 0
    assert -east.mean() > 2.0 * east.std(ddof=1) / np.sqrt(len(east)) > 0
    # Dependence on Russia rises, by more than twice the standard error over 8 paired seeds: since
    # trade answers politics (issue 18: political trade costs, facilitation agreements), Kazakhstan's
    # decisions move its trade too, so one seed's decisions can offset the pipeline's pull.
    dep = per_rep(cmp, "dependence", "Russia", *era)
    assert dep.mean() > 2.0 * dep.std(ddof=1) / np.sqrt(len(dep)) > 0
    assert (per_rep(cmp, "indicators", "welfare_transfers_usd_bn", *era) > 0).all()
    # Alignment moves toward Russia on average over 8 paired seeds, by more than one standard error;
    # not in every seed, because Kazakhstan's hedging (insurance against coercion) answers the
    # pipeline control it hands to Russia with its own decisions.
    shift = window(cmp, "alignment", "Russia", "2027-06", "2027-06").ravel()
    assert shift.mean() > shift.std(ddof=1) / np.sqrt(len(shift)) > 0


def test_05_southern_corridor_takes_transit_and_fees_from_kazakhstan():
    cmp = paired("05_southern_corridor.yaml", "baseline.yaml", "2027-12")
    era = ("2024-04", "2027-12")
    assert (per_rep(cmp, "indicators", "welfare_transit_fees_usd_bn", *era) < 0).all()
    assert (per_rep(cmp, "route_volume", "CA-Russia rail via Kazakhstan", *era) < 0).all()
    assert (per_rep(cmp, "route_volume", "Southern corridor", *era) > 0).all()


def test_06_western_pivot_ends_reexports_and_draws_russian_pressure():
    cmp = paired("06_western_pivot.yaml", "history_2023_24.yaml", "2025-12", reps=8)
    era = ("2024-01", "2025-12")
    assert (window(cmp, "reexports", "Kazakhstan", *era, "b") == 0).all()  # full enforcement
    assert (per_rep(cmp, "reexports", "Kazakhstan", *era) < 0).all()
    # More Russian coercion in every seed, scripted retaliation and decisions together (not ">= 5" as
    # under the old 6-month default cooldown: the scripted retaliation settles part of Russia's
    # grievance, so its own decisions add fewer acts; 1 to 7 per seed over 8 seeds), and Russia decides
    # more CPC halts on average (the decided instrument shifts from gas-union demands to halts).
    assert (cmp.values("pressure", "Russia").loc[slice(*era)].sum().to_numpy() > 0).all()
    halts = cmp.actions[(cmp.actions["actor"] == "Russia") & (cmp.actions["name"] == "halt CPC")]
    assert float(halts["delta"].sum()) > 0
    # the scripted 3-month CPC halt (a month may coincide with a decided halt on the comparison side)
    assert (per_rep(cmp, "route_capacity", "CPC", "2024-02", "2024-04") < 0).all()
    assert (per_rep(cmp, "indicators", "lost_exports_usd_bn", "2024-02", "2024-07") > 0).all()
    assert (per_rep(cmp, "trade_pole", "Russia", *era) < 0).all()


def test_07_demarche_brings_russian_pressure():
    cmp = paired("07_russian_pressure_demarche.yaml", "history_2023_24.yaml", "2025-12", reps=8)
    assert cmp.first_difference == "2024-06"
    # Russia answers (the scripted CPC halt and demand); beyond that answer its decided coercion does
    # not rise on average, because the answer settles the grievance the demarche created
    # (grievance_relief_per_coercion): total coercion after the demarche is higher on average over 8
    # paired seeds, not in every seed.
    pressure = cmp.values("pressure", "Russia").loc["2024-06":].sum().to_numpy()
    assert pressure.mean() > 0
    assert (window(cmp, "route_volume", "CPC", "2024-07", "2024-07") < 0).all()
    # the demarche itself moves Kazakhstan away from Russia that month
    assert (window(cmp, "alignment", "Russia", "2024-06", "2024-06") < 0).all()


def _rosatom() -> Comparison:
    # 16 paired seeds: since demands are valued by their expected outcome (2026-12-03), a grievance
    # no longer makes Russia's costless demands attractive, and the award's effect on the count of
    # Russian pressure months is about -2.4 per seed (s.d. 3.7), 2.7 standard errors at 16 seeds.
    cmp = paired("08_npp_rosatom.yaml", "08b_npp_western.yaml", "2027-12", reps=16)
    assert cmp.first_difference == "2025-01"
    return cmp


def test_08_rosatom_award_brings_less_russian_coercion_than_a_western_award():
    # Less Russian coercion after a Rosatom award, by more than twice the standard error over the 16
    # seeds (not in every seed: with no default cooldown and grievance relief, Russia's coercion is
    # drawn round by round, and one seed's draws can match or exceed the other side's).
    fewer = _rosatom().values("pressure", "Russia").loc["2025-01":].sum().to_numpy()
    assert -fewer.mean() > 2.0 * fewer.std(ddof=1) / np.sqrt(len(fewer))


@pytest.mark.xfail(
    strict=True,
    reason="defect, reported 2026-12-06 (docs/validation.md): since tariff orders no longer compound "
    "and Kazakhstan's rationality is fitted, the award moves alignment with Russia at the end of 2027 by "
    "+0.012 (s.e. 0.011 over 16 paired seeds), inside the seed noise; strict: a pass flags the fix",
)
def test_08_rosatom_award_aligns_kazakhstan_more_with_russia_than_a_western_award():
    cmp = _rosatom()
    end = ("2027-12", "2027-12")
    # By more than twice the standard error over the paired seeds (decision noise can reverse one seed).
    for pole, sign in (("Russia", 1.0), ("West", -1.0)):
        shift = sign * window(cmp, "alignment", pole, *end).ravel()
        assert shift.mean() > 2.0 * shift.std(ddof=1) / np.sqrt(len(shift)), pole


def test_09_fuller_hazard_set_adds_outages_and_lost_exports():
    cmp = paired("09_baseline_ensemble.yaml", "baseline.yaml", "2030-12", reps=3)
    hazards = cmp.actions[cmp.actions["kind"] == "hazard"]
    assert hazards["delta"].sum() > 5
    assert float(np.mean(per_rep(cmp, "indicators", "lost_exports_usd_bn", "2023-01", "2030-12"))) > 0

"""Grid ABC of the decision parameters (sim.calibration.decision_abc, issue 19): known answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.calibration import decision_abc as D
from sim.params import Parameters
from sim.paths import CALIBRATION_DIR

STATS = [s for s, _ in D.STATISTICS]


def _events(rows: list[tuple[str, str, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["month", "actor", "kind", "type", "name", "parameters"])


def test_record_of_codes_a_hand_made_2022():
    halt = ("Russia", "decision", "route_disruption", "halt CPC", '{"route": "CPC"}')
    ev = _events(
        [
            ("2022-03", *halt),
            ("2022-07", *halt),
            ("2022-09", "Kazakhstan", "decision", "enforcement", "tighten enforcement", '{"level": 0.8}'),
            ("2022-10", "Kazakhstan", "decision", "route_reprice", "grain transit tariffs on Russia", "{}"),
            ("2023-02", "Kazakhstan", "decision", "demand_response", "concede gas_union (Russia)", "{}"),
        ]
    )
    assert D.record_of(ev) == {
        "halt_after_spief": 1,
        "stoppages_2022": 1,  # two stoppages: the recorded range
        "enforcement_2022": 1,
        "grain_autumn_2022": 1,
        "no_gas_union_2022": 1,  # conceded in 2023, not 2022
    }
    more = _events([("2022-0" + str(m), *halt) for m in (2, 4, 5)])
    rec = D.record_of(more)
    assert rec["stoppages_2022"] == 2 and rec["halt_after_spief"] == 0 and rec["grain_autumn_2022"] == 0
    early_grain = _events(
        [("2022-04", "Kazakhstan", "decision", "route_reprice", "grain transit tariffs on Russia", "{}")]
    )
    assert D.record_of(early_grain)["grain_autumn_2022"] == 0  # first imposed before August


def test_posterior_weights_hand_worked():
    # Two points, 10 runs each; the observed record reproduced 6 and 1 times.
    runs = pd.DataFrame(
        [
            {"point": p, **dict.fromkeys(STATS, 1 if k < hits else 0)}
            for p, hits in ((0, 6), (1, 1))
            for k in range(10)
        ]
    )
    table, total = D.likelihood_table(runs, 2)
    w = D.posterior_weights(dict.fromkeys(STATS, 1), table, total)
    like = np.array([6.5, 1.5]) / 11.0  # (hits + 0.5) / (runs + 1)
    assert np.allclose(w, like / like.sum())
    # A record no run produced: every point at the floor, so the flat prior comes back.
    assert np.allclose(
        D.posterior_weights({**dict.fromkeys(STATS, 1), "stoppages_2022": 2}, table, total), 0.5
    )


def test_central_interval_and_pit():
    mass = np.array([0.05, 0.1, 0.7, 0.1, 0.05])
    assert D.central_interval(mass, 0.8) == (1, 3)
    assert D.central_interval(mass, 0.5) == (2, 2)
    assert D.randomised_pit(mass, 2, 0.0) == pytest.approx(0.15)
    assert D.randomised_pit(mass, 2, 1.0) == pytest.approx(0.85)
    assert D.sd_ratio(np.full(5, 0.2)) == pytest.approx(1.0)  # the flat prior itself
    assert D.sd_ratio(np.array([0.0, 0.0, 1.0, 0.0, 0.0])) == 0.0
    assert D.sd_ratio(np.array([0.5, 0, 0, 0, 0.5])) == pytest.approx(2.0 / np.sqrt(2.0))  # sd 2 vs sqrt(2)


def test_coverage_check_passes_an_exact_toy_and_fails_a_wrong_one():
    """SBC on a toy with a known likelihood: theta in 0..4 sets the chance of 3 binary statistics.
    Inverted with its own likelihood the 90 % intervals cover ~90 %; inverted with a likelihood
    that ignores the data they cover ~100 % only by being the prior, and a shifted one fails."""
    rng = np.random.default_rng(7)
    grid = (D.Axis("theta", (0.0, 1.0, 2.0, 3.0, 4.0), "toy"),)
    points = D.grid_points(grid)
    p = np.array([0.1, 0.3, 0.5, 0.7, 0.9])

    def sample(point: int, n: int) -> list[dict]:
        draws = rng.random((n, len(STATS))) < p[point]
        return [{"point": point, **{s: int(v) for s, v in zip(STATS, row, strict=True)}} for row in draws]

    runs = pd.DataFrame([r for k in range(5) for r in sample(k, 400)])
    sbc = pd.DataFrame([r for k in range(5) for r in sample(k, 200)])
    res = D.fit(runs, sbc, points, grid)
    assert 0.85 <= res.coverage90["theta"] <= 0.95
    # a wrong model: the pseudo-records come from the next point up
    shifted = sbc.assign(point=np.clip(sbc["point"] - 1, 0, 4))
    assert D.fit(runs, shifted, points, grid).coverage90["theta"] < 0.85


def test_draws_follow_the_weights_and_carry_the_statement_on_both_events():
    grid = (D.Axis("punishment_weight", (0.01, 0.02), "t"), D.Axis(D.SPIEF_PATH, (0.1, 0.5), "t", log=False))
    points = D.grid_points(grid)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    marg = {a.name: D.marginal(points, w, a) for a in grid}
    res = D.AbcResult(points, w, marg, 10, np.zeros(4), {}, {}, {}, 0)
    a = D.draws_frame(res, 100)
    moved = "events[spief_statement_moved_2022_12].action.strength"
    assert set(a.columns) == {"draw", "weight", "punishment_weight", D.SPIEF_PATH, moved}
    assert (a[D.SPIEF_PATH] == a[moved]).all()
    assert (a["punishment_weight"] == 0.02).mean() == pytest.approx(0.7, abs=0.01)  # 0.3 + 0.4
    assert (a[D.SPIEF_PATH] == 0.5).mean() == pytest.approx(0.6, abs=0.01)  # 0.2 + 0.4
    assert a.equals(D.draws_frame(res, 100))
    est = D.point_estimates(res, grid)
    assert est["punishment_weight"] == pytest.approx(
        float(f"{np.exp(0.3 * np.log(0.01) + 0.7 * np.log(0.02)):.2g}")
    )
    assert est[D.SPIEF_PATH] == pytest.approx(0.4 * 0.1 + 0.6 * 0.5)


def test_a_draw_sets_the_statement_in_the_run_and_skips_it_where_removed():
    """Draw.overrides puts a scenario input into the run's scenario; the no-SPIEF placebo, which
    removed the event, runs without it (sim.runs.job)."""
    from sim.api import load_loaded
    from sim.runs.job import Base, Draw, prepare
    from sim.validation.episodes import SCENARIOS

    values = D.draw_values({"punishment_weight": 0.02, D.SPIEF_PATH: 0.35})
    base = Base.of(load_loaded(SCENARIOS / "backtest_2022.yaml"), end="2022-08")
    spec, _ = prepare(base, draw=Draw(0, values))
    (ev,) = [e for e in spec.events if e.name == "spief_statement_2022_06"]
    assert ev.action.strength == 0.35 and spec.parameters.punishment_weight == 0.02
    moved = Base.of(load_loaded(SCENARIOS / "backtest_2022_spief_december.yaml"), end="2023-01")
    spec, _ = prepare(moved, draw=Draw(0, values))
    (ev,) = [e for e in spec.events if e.name == "spief_statement_moved_2022_12"]
    assert ev.action.strength == 0.35
    none = Base.of(load_loaded(SCENARIOS / "backtest_2022_no_spief.yaml"), end="2022-08")
    spec, _ = prepare(none, draw=Draw(0, values))
    assert not [e for e in spec.events if e.name and e.name.startswith("spief")]


def test_shipped_fit_is_the_models_default():
    """The decision parameters' defaults and the baseline's SPIEF strength are the shipped fit's
    point estimates (calibration/decision_abc.json, written by `mvsim calibrate --decisions`)."""
    from sim.scenario.loader import load_scenario
    from sim.validation.episodes import SCENARIOS

    fit = json.loads((CALIBRATION_DIR / "decision_abc.json").read_text())
    defaults = Parameters()
    for axis in D.GRID:
        est = fit["point_estimates"][axis.name]
        if axis.name == D.SPIEF_PATH:
            for file, name in (
                ("baseline.yaml", D.SPIEF_EVENTS[0]),
                ("backtest_2022_spief_december.yaml", D.SPIEF_EVENTS[1]),
            ):
                (ev,) = [e for e in load_scenario(SCENARIOS / file).spec.events if e.name == name]
                assert ev.action.strength == pytest.approx(est), file
        else:
            assert getattr(defaults, axis.name) == pytest.approx(est), axis.name

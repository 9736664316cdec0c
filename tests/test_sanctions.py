"""Known-answer tests of sanctions and re-export diversion (sim.core.sanctions)."""

import math

import numpy as np
import pytest

from sim.core.sanctions import (
    DiversionParams,
    Measure,
    SecondaryMeasure,
    apply_diversion,
    cost_factors,
    expected_penalty,
    reexport_diversion,
)

# actors: 0 West (sender), 1 Russia (target), 2 Kazakhstan (intermediary), 3 Rest of World
N, G = 4, 2
PARAMS = DiversionParams(
    base_utility=-6.0,
    premium_sensitivity=6.0,
    enforcement_sensitivity=4.0,
    penalty_sensitivity=2.0,
    customs_union_bonus=1.0,
    size_elasticity=1.0,
    markup=0.15,
)


def blocked_cell(value: float = 10.0) -> np.ndarray:
    b = np.zeros((N, N, G))
    b[0, 1, 1] = value
    return b


def sizes(intermediary: float = 10.0, target: float = 10.0) -> np.ndarray:
    """Baseline imports per actor and good (USD bn/yr): intermediary 2, target 1."""
    s = np.ones((N, G))
    s[2, 1], s[1, 1] = intermediary, target
    return s


def divert(
    enforcement=0.0, penalty=0.0, premium=0.3, customs=False, eligible=(False, False, True, False), size=None
):
    prem = np.zeros((N, G))
    prem[1, 1] = premium
    enf = np.zeros(N)
    enf[2] = enforcement
    pen = np.zeros((N, G))
    pen[2, 1] = penalty
    cu = np.zeros((N, N), bool)
    cu[2, 1] = cu[1, 2] = customs
    sanctioners = np.zeros((N, N, G), bool)
    sanctioners[0, 1, 1] = True
    return reexport_diversion(
        blocked_cell(),
        prem,
        sanctioners,
        enf,
        pen,
        cu,
        np.array(eligible),
        sizes() if size is None else size,
        PARAMS,
    )


def test_cost_factors_ban_and_compounding_ad_valorem():
    ms = [
        Measure("ban", (0,), 1, (1,), "exports", True, 0.0),
        Measure("tariff", (0, 3), 1, (0,), "exports", False, 0.25),
        Measure("tariff2", (0,), 1, (0,), "exports", False, 0.10),
        Measure("embargo", (0,), 1, (0,), "imports", True, 0.0),
    ]
    t = cost_factors(ms, (N, N, G))
    assert np.isinf(t[0, 1, 1])
    assert t[0, 1, 0] == pytest.approx(1.25 * 1.10)
    assert t[3, 1, 0] == pytest.approx(1.25)
    assert np.isinf(t[1, 0, 0])  # imports direction: target -> sender
    assert t[2, 1, 1] == 1.0


def test_single_intermediary_share_is_the_logit_with_outside_option():
    d = divert()
    v = -6.0 + 6.0 * 0.3
    expected = 10.0 * math.exp(v) / (1.0 + math.exp(v))
    assert d.attempted[0, 2] == pytest.approx(expected)
    assert d.diverted[0, 2] == pytest.approx(expected)  # no enforcement: everything attempted gets through
    assert d.attempted[0, [0, 1, 3]].sum() == 0.0  # sender, target and ineligible actors excluded


def test_ban_with_no_enforcement_diverts_with_full_enforcement_does_not():
    assert divert(enforcement=0.0).diverted.sum() > 0.0
    assert divert(enforcement=1.0).diverted.sum() == 0.0


def test_enforcement_penalty_and_premium_move_diversion_the_right_way():
    base = divert().diverted.sum()
    assert divert(enforcement=0.5).diverted.sum() < base
    assert divert(penalty=0.5).diverted.sum() < base
    assert divert(premium=0.6).diverted.sum() > base
    assert divert(customs=True).diverted.sum() > base


def test_an_intermediary_that_sanctions_the_target_cannot_divert():
    prem = np.zeros((N, G))
    sanctioners = np.zeros((N, N, G), bool)
    sanctioners[[0, 2], 1, 1] = True
    d = reexport_diversion(
        blocked_cell(),
        prem,
        sanctioners,
        np.zeros(N),
        np.zeros((N, G)),
        np.zeros((N, N), bool),
        np.array([False, False, True, False]),
        sizes(),
        PARAMS,
    )
    assert d.diverted.sum() == 0.0


def test_small_intermediary_diverts_in_proportion_to_its_size():
    # size ratio 1/10 enters as ln(0.1): V = -6 + 1.8 + ln(0.1)
    d = divert(size=sizes(intermediary=1.0, target=10.0))
    v = -6.0 + 6.0 * 0.3 + math.log(0.1)
    assert d.attempted[0, 2] == pytest.approx(10.0 * math.exp(v) / (1.0 + math.exp(v)))
    # an intermediary that imports none of the good cannot channel it; larger than the target is capped
    assert divert(size=sizes(intermediary=0.0)).attempted.sum() == 0.0
    assert divert(size=sizes(intermediary=50.0)).attempted.sum() == pytest.approx(divert().attempted.sum())


def test_diversion_adds_both_legs_with_markup():
    d = divert()
    flows = np.zeros((N, N, G))
    out = apply_diversion(flows, d, PARAMS.markup)
    x = d.diverted[0, 2]
    assert out[0, 2, 1] == pytest.approx(x)  # West -> Kazakhstan
    assert out[2, 1, 1] == pytest.approx(1.15 * x)  # Kazakhstan -> Russia
    np.testing.assert_allclose(d.by_intermediary(G)[2], [0.0, x])


def test_expected_penalty_is_probability_times_penalty():
    pen = expected_penalty(
        [SecondaryMeasure(0, 2, (1,), 0.1, 2.0), SecondaryMeasure(3, 2, (0, 1), 0.05, 1.0)], N, G
    )
    assert pen[2, 1] == pytest.approx(0.1 * 2.0 + 0.05)
    assert pen[2, 0] == pytest.approx(0.05)

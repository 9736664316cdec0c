"""Known-answer tests of the structural-gravity trade layer (sim.core.trade)."""

import numpy as np
import pytest

from sim.core.trade import gravity_equilibrium, import_cost_change, partial_adjustment


def three_country(value_a: float = 60.0, value_b: float = 40.0) -> np.ndarray:
    """Exporters A, B sell one good to importer C (index 2). USD bn/yr."""
    x = np.zeros((3, 3, 1))
    x[0, 2, 0] = value_a
    x[1, 2, 0] = value_b
    return x


def test_ad_valorem_three_countries_worked_by_hand():
    # C spends 100: 60 from A, 40 from B. A 10 % cost rise on A -> C, eps = 4:
    #   weight A = 0.6 * 1.1**-4 = 0.409808, weight B = 0.4, sum = 0.809808
    #   new share A = 0.50606 -> recorded at exporter prices 100 * 0.50606 / 1.1 = 46.005
    #   new share B = 0.49394 -> 49.394; price index change 0.809808**-0.25 = 1.05416
    t = np.ones((3, 3, 1))
    t[0, 2, 0] = 1.1
    flows, price = gravity_equilibrium(three_country(), t, 4.0)
    assert flows[0, 2, 0] == pytest.approx(46.00507, rel=1e-6)
    assert flows[1, 2, 0] == pytest.approx(49.39442, rel=1e-6)
    assert price[2, 0] == pytest.approx(1.054155, rel=1e-6)
    # importers with no imports keep a price index of 1
    assert price[0, 0] == 1.0 and price[1, 0] == 1.0


def test_ban_shifts_all_spending_to_the_remaining_supplier():
    t = np.ones((3, 3, 1))
    t[0, 2, 0] = np.inf
    flows, price = gravity_equilibrium(three_country(), t, 4.0)
    assert flows[0, 2, 0] == 0.0
    assert flows[1, 2, 0] == pytest.approx(100.0)
    assert price[2, 0] == pytest.approx(0.4**-0.25)


def test_banning_every_supplier_leaves_no_imports_and_infinite_price():
    t = np.full((3, 3, 1), np.inf)
    flows, price = gravity_equilibrium(three_country(), t, 4.0)
    assert flows.sum() == 0.0
    assert np.isinf(price[2, 0])
    # the compensating variation caps the loss at the good's spending
    assert import_cost_change(three_country().sum(axis=0), price)[2] == pytest.approx(100.0)


def test_unchanged_costs_reproduce_the_baseline():
    rng = np.random.default_rng(0)
    x = rng.gamma(1.0, 5.0, size=(5, 5, 3))
    flows, price = gravity_equilibrium(x, np.ones_like(x), 5.0)
    np.testing.assert_allclose(flows, x)
    np.testing.assert_allclose(price, 1.0)


def test_higher_elasticity_diverts_more():
    t = np.ones((3, 3, 1))
    t[0, 2, 0] = 1.2
    low, _ = gravity_equilibrium(three_country(), t, 2.0)
    high, _ = gravity_equilibrium(three_country(), t, 8.0)
    assert high[0, 2, 0] < low[0, 2, 0]


def test_column_restricted_solution_matches_full_solution():
    rng = np.random.default_rng(1)
    x = rng.gamma(1.0, 5.0, size=(6, 6, 2))
    t = np.ones_like(x)
    t[0, 3, :] = 1.5
    t[1, 3, 1] = np.inf
    full, pfull = gravity_equilibrium(x, t, 4.0)
    part, ppart = gravity_equilibrium(x, t, 4.0, columns=np.array([3]))
    np.testing.assert_allclose(part[:, 3], full[:, 3])
    np.testing.assert_allclose(ppart[3], pfull[3])
    np.testing.assert_allclose(part[:, 0], x[:, 0])  # untouched columns stay at baseline


def test_partial_adjustment_closes_a_share_of_the_gap():
    prev, target = np.array([10.0]), np.array([0.0])
    x = prev
    for _ in range(3):
        x = partial_adjustment(x, target, 0.25)
    assert x[0] == pytest.approx(10.0 * 0.75**3)

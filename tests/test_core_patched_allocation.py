"""Large-network code paths give the same numbers as the dense ones they replace.

Counterfactuals on networks above `routes.DENSE_CELLS` shipment x route cells patch one
route-network component (`PatchedAllocation`) and compute route money per shipment / route
(`route_economy.shipment_revenue`, `route_economy.tariff_paid`) instead of copying and summing the whole
(S, R) matrices. These tests force that path on the baseline and on small random cases: the
patched matrices are bit-identical; sums over a column slice may differ from the whole-matrix
sums in the last bit (numpy picks the summation order by shape), so money is compared to 1e-12.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim.core.counterfactual as counterfactual_mod
import sim.core.route_economy as economy_mod
from sim.api import load, simulate
from sim.core.route_economy import ContractTerms, RouteState, route_money, shipment_revenue, tariff_paid
from sim.core.routes import Allocation, PatchedAllocation

ROOT = Path(__file__).resolve().parent.parent


def _random_allocation(rng: np.random.Generator, n_s: int, n_r: int, firm: bool) -> Allocation:
    shipped = rng.uniform(0, 5, (n_s, n_r)) * (rng.uniform(size=(n_s, n_r)) < 0.5)
    return Allocation(shipped, rng.uniform(0, 1, n_s), shipped * 0.3 if firm else None)


@pytest.mark.parametrize("firm", [False, True])
def test_patched_rows_and_columns_equal_the_copied_matrix(firm):
    rng = np.random.default_rng(3)
    n_s, n_r = 9, 7
    base = _random_allocation(rng, n_s, n_r, firm)
    ships, routes = np.array([1, 4, 5]), np.array([0, 2, 6])
    sub = _random_allocation(rng, len(ships), len(routes), firm)
    first = PatchedAllocation(base, ships, routes, sub, has_firm=firm)
    # a second patch on top of the first (several cuts in one counterfactual)
    ships2, routes2 = np.array([0, 7]), np.array([3, 4])
    sub2 = _random_allocation(rng, len(ships2), len(routes2), firm)
    second = PatchedAllocation(first, ships2, routes2, sub2, has_firm=firm)

    expected = base.shipped.copy()
    expected[np.ix_(ships, routes)] = sub.shipped
    expected[np.ix_(ships2, routes2)] = sub2.shipped
    lazy = PatchedAllocation(first, ships2, routes2, sub2, has_firm=firm)  # never materialised below
    for rows in ([0, 7], [1, 4], [2, 3], [0, 1, 2]):  # inside, other patch, outside, mixed
        assert np.array_equal(lazy.rows(np.array(rows)), expected[rows])
    for cols in ([3, 4], [0, 2], [1, 5], [0, 3]):
        assert np.array_equal(lazy.cols(np.array(cols)), expected[:, cols])
    assert np.array_equal(second.shipped, expected)
    assert np.array_equal(second.lost[ships2], sub2.lost) and np.array_equal(second.lost[ships], sub.lost)
    if firm:
        ef = base.firm.copy()
        ef[np.ix_(ships, routes)] = sub.firm
        ef[np.ix_(ships2, routes2)] = sub2.firm
        fresh = PatchedAllocation(first, ships2, routes2, sub2, has_firm=True)
        assert np.array_equal(fresh.firm_rows(np.array([0, 7])), ef[[0, 7]])
        assert np.array_equal(fresh.firm_cols(np.array([0, 2])), ef[:, [0, 2]])
        assert np.array_equal(second.firm, ef)
    else:
        assert second.firm is None and not lazy.firm_rows(np.array([1])).any()


def test_money_by_shipment_and_route_equals_the_whole_matrix(monkeypatch):
    """shipment_revenue / tariff_paid on the large-network path = the rows / columns of route_money."""
    monkeypatch.setattr(economy_mod, "DENSE_CELLS", 0)
    rng = np.random.default_rng(7)
    n_s, n_r = 8, 6
    alloc = _random_allocation(rng, n_s, n_r, firm=True)
    committed = alloc.firm * rng.uniform(1.0, 1.5, (n_s, n_r))
    terms = ContractTerms(
        committed,
        rng.uniform(5, 20, (n_s, n_r)),
        rng.uniform(0, 1, (n_s, n_r)),
        np.full((n_s, n_r), -1, dtype=np.intp),
    )
    args = (rng.uniform(5, 50, n_r), rng.uniform(5, 20, n_r), rng.uniform(1, 10, n_s))
    rs_parts = RouteState(args[0], args[1], args[2], alloc, rng.uniform(30, 80, n_s), terms)
    rs_whole = RouteState(args[0], args[1], args[2], alloc, rs_parts.value, terms)
    rev, paid = route_money(rs_whole)
    ships, routes = np.array([0, 3, 5]), np.array([1, 4])
    np.testing.assert_allclose(shipment_revenue(rs_parts, ships), rev[ships], rtol=1e-12, atol=0)
    np.testing.assert_allclose(tariff_paid(rs_parts, routes), paid[routes], rtol=1e-12, atol=0)


def test_baseline_is_identical_on_the_large_network_path(monkeypatch):
    _, world = load(ROOT / "scenarios" / "baseline.yaml", end="2024-06")
    dense = simulate(world, seed=4)
    for mod in (counterfactual_mod, economy_mod):
        monkeypatch.setattr(mod, "DENSE_CELLS", 0)
    patched = simulate(world, seed=4)
    assert [(d["month"], d["candidate"], d["chosen"]) for d in dense.decisions] == [
        (d["month"], d["candidate"], d["chosen"]) for d in patched.decisions
    ]
    np.testing.assert_allclose(
        [d["utility"] for d in patched.decisions],
        [d["utility"] for d in dense.decisions],
        rtol=1e-12,
        atol=1e-15,
    )
    for name in ("route_volume", "alignment", "flows", "dependence"):
        np.testing.assert_allclose(
            getattr(patched, name), getattr(dense, name), rtol=1e-12, atol=1e-15, err_msg=name
        )

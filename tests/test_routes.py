"""Known-answer tests of capacity-constrained logit route allocation (sim.core.routes)."""

import math

import numpy as np
import pytest

from sim.core.routes import allocate

INF = np.inf


def one_shipment(offered, capacity, cost, value=INF, mu=0.1):
    n_r = len(capacity)
    return allocate(
        np.array([offered], float),
        np.array([value], float),
        np.ones((1, n_r), bool),
        np.array(cost, float),
        np.array(capacity, float),
        mu,
    )


def test_equal_costs_split_evenly_when_capacity_is_ample():
    a = one_shipment(60.0, [100.0, 100.0], [30.0, 30.0])
    np.testing.assert_allclose(a.shipped[0], [30.0, 30.0])
    assert a.lost[0] == 0.0


def test_logit_shares_follow_cost_difference():
    # share ratio = exp(mu * (c2 - c1)) = exp(0.1 * 10) = e
    a = one_shipment(10.0, [100.0, 100.0], [20.0, 30.0])
    assert a.shipped[0, 0] / a.shipped[0, 1] == pytest.approx(math.e)


def test_outage_with_spare_capacity_elsewhere_reroutes():
    a = one_shipment(70.0, [0.0, 100.0], [20.0, 60.0])
    np.testing.assert_allclose(a.shipped[0], [0.0, 70.0])
    assert a.lost[0] == 0.0


def test_outage_without_spare_capacity_loses_exports():
    a = one_shipment(70.0, [0.0, 20.0], [20.0, 60.0])
    np.testing.assert_allclose(a.shipped[0], [0.0, 20.0])
    assert a.lost[0] == pytest.approx(50.0)


def test_saturated_route_overflow_is_resplit_over_open_routes():
    # Route 0 is cheapest but holds only 10; the rest splits over routes 1 and 2 by logit.
    a = one_shipment(100.0, [10.0, 200.0, 200.0], [0.0, 20.0, 20.0])
    assert a.shipped[0, 0] == pytest.approx(10.0)
    assert a.shipped[0, 1] == pytest.approx(45.0)
    assert a.shipped[0, 2] == pytest.approx(45.0)
    assert a.lost[0] == pytest.approx(0.0, abs=1e-9)


def test_route_costing_more_than_the_netback_is_not_used():
    a = one_shipment(10.0, [100.0, 100.0], [20.0, 600.0], value=500.0)
    np.testing.assert_allclose(a.shipped[0], [10.0, 0.0])
    b = one_shipment(10.0, [100.0], [600.0], value=500.0)
    assert b.lost[0] == pytest.approx(10.0)


def test_shared_route_is_rationed_pro_rata():
    # Two shipments both want only route 0 (capacity 30): 40 and 20 offered -> 20 and 10 shipped.
    a = allocate(
        np.array([40.0, 20.0]),
        np.array([INF, INF]),
        np.array([[True], [True]]),
        np.array([10.0]),
        np.array([30.0]),
        0.1,
    )
    np.testing.assert_allclose(a.shipped[:, 0], [20.0, 10.0])
    np.testing.assert_allclose(a.lost, [20.0, 10.0])


def test_invariants_on_random_networks():
    rng = np.random.default_rng(42)
    for _ in range(200):
        n_s, n_r = rng.integers(1, 5), rng.integers(1, 6)
        offered = rng.uniform(0, 100, n_s)
        allowed = rng.random((n_s, n_r)) < 0.7
        cost = rng.uniform(0, 80, n_r)
        cap = rng.uniform(0, 60, n_r) * (rng.random(n_r) < 0.8)
        value = np.where(rng.random(n_s) < 0.5, INF, rng.uniform(20, 100, n_s))
        a = allocate(offered, value, allowed, cost, cap, 0.05)
        assert (a.shipped >= -1e-12).all()
        assert (a.shipped.sum(axis=0) <= cap + 1e-9).all()
        np.testing.assert_allclose(a.shipped.sum(axis=1) + a.lost, offered, atol=1e-9)
        assert (a.shipped[~allowed] == 0).all()
        # exports are lost only if every usable route of that shipment is full
        usable = allowed & (cost[None, :] < value[:, None]) & (cap[None, :] > 0)
        full = a.shipped.sum(axis=0) >= cap - 1e-6
        for s in range(n_s):
            if a.lost[s] > 1e-6:
                assert full[usable[s]].all()

"""Known-answer tests of per-shipment tariff shares (`ShipmentSpec.tariff_share`).

A shipment that pays a share of a route's tariff (a bulk haul on a corridor priced for through
containers) sees that share of the tariff and of the political risk premium in its generalized
cost, and pays that share in route money; shipments without a share are untouched, bit for bit.
"""

import math

import numpy as np
import pytest

from sim.api import load
from sim.core.policy import initial_policy
from sim.core.route_economy import generalized_cost, route_money, route_state
from sim.core.routes import allocate
from sim.core.sanctions import Measure
from sim.errors import ScenarioError

MU = 0.1


def test_allocate_splits_each_shipment_by_its_own_row_of_costs():
    # row 0: 100 vs 110 USD/t -> share of route 0 = 1 / (1 + exp(-0.1 x 10)) = 0.7311
    # row 1: 100 vs  90 USD/t -> share of route 0 = 1 / (1 + exp(+0.1 x 10)) = 0.2689
    cost = np.array([[100.0, 110.0], [100.0, 90.0]])
    a = allocate(
        np.array([10.0, 10.0]),
        np.array([np.inf, np.inf]),
        np.ones((2, 2), bool),
        cost,
        np.array([50.0, 50.0]),
        MU,
    )
    s = 1.0 / (1.0 + math.exp(-1.0))
    np.testing.assert_allclose(a.shipped, [[10 * s, 10 * (1 - s)], [10 * (1 - s), 10 * s]])


def test_a_row_of_costs_per_route_equals_the_broadcast_matrix_exactly():
    cost = np.array([100.0, 104.0, 97.0])
    args = (np.array([10.0, 3.0]), np.array([np.inf, 120.0]), np.ones((2, 3), bool))
    cap = np.array([4.0, 50.0, 50.0])
    one = allocate(*args, cost, cap, MU)
    two = allocate(*args, np.broadcast_to(cost, (2, 3)).copy(), cap, MU)
    assert np.array_equal(one.shipped, two.shipped) and np.array_equal(one.lost, two.lost)


def _world(scenario_writer, small_scenario_data, share: float | None):
    data = small_scenario_data
    data["events"], data["hazards"] = [], []
    data.pop("decisions")
    # KCP as dear as CPC, through Russia too, with capacity that does not bind
    data["routes"][1].update(capacity_per_year=60.0, tariff_usd_per_unit=38.0, transit=["Russia"])
    data["shipments"].append(
        {
            "name": "bulk",
            "shipper": "Kazakhstan",
            "volume_per_year": 10.0,
            "value_usd_per_unit": 300.0,
            "routes": ["CPC", "KCP"],
            **({"tariff_share": {"KCP": share}} if share is not None else {}),
        }
    )
    data["parameters"] = {"transit_risk_per_sanctioned_share": 0.1, "route_logit_scale": MU}
    return load(scenario_writer(data))[1]


def test_a_shipment_sees_and_pays_its_share_of_the_tariff(scenario_writer, small_scenario_data):
    world = _world(scenario_writer, small_scenario_data, 0.5)
    policy = initial_policy(world)
    cpc, kcp = world.route_index["CPC"], world.route_index["KCP"]
    oil, bulk = world.shipments.index("kz_oil"), world.shipments.index("bulk")
    cost = generalized_cost(world, policy, world.route_tariff0)
    assert cost.shape == (2, len(world.routes))
    # the oil shipment pays both tariffs whole (38, 38); bulk pays half of KCP's: 19
    np.testing.assert_array_equal(cost[oil, [cpc, kcp]], [38.0, 38.0])
    np.testing.assert_allclose(cost[bulk, [cpc, kcp]], [38.0, 19.0])
    rs = route_state(world, policy, 0)
    s_kcp = 1.0 / (1.0 + math.exp(-MU * 19.0))  # bulk's logit share of KCP at a 19 USD/t gap
    shipped = rs.allocation.shipped
    np.testing.assert_allclose(shipped[bulk, [cpc, kcp]], [10 * (1 - s_kcp), 10 * s_kcp])
    revenue, paid = route_money(rs)
    # USD bn/yr: volume (Mt) x (value - tariff paid) (USD/t) x 1e-3
    expected = (shipped[bulk, cpc] * (300 - 38) + shipped[bulk, kcp] * (300 - 19)) * 1e-3
    assert revenue[bulk] == pytest.approx(expected, rel=1e-12)
    assert paid[kcp] == pytest.approx((shipped[oil, kcp] * 38 + shipped[bulk, kcp] * 19) * 1e-3, rel=1e-12)


def test_the_political_premium_scales_with_the_share(scenario_writer, small_scenario_data):
    world = _world(scenario_writer, small_scenario_data, 0.5)
    policy = initial_policy(world)
    ru, row = world.index["Russia"], world.index["RestOfWorld"]
    policy.measures["ban"] = Measure(
        "ban", (row,), ru, (world.good_index["electronics"],), "exports", True, 0.0
    )
    premium = 38.0 * 0.1 * 2.0 / 3.0  # both routes cross Russia: 2/3 of its trade under the measure
    cost = generalized_cost(world, policy, world.route_tariff0)
    kcp, bulk = world.route_index["KCP"], world.shipments.index("bulk")
    assert cost[world.shipments.index("kz_oil"), kcp] == pytest.approx(38.0 + premium)
    assert cost[bulk, kcp] == pytest.approx(0.5 * (38.0 + premium))


def test_without_shares_costs_stay_per_route(scenario_writer, small_scenario_data):
    world = _world(scenario_writer, small_scenario_data, None)
    assert world.ship_tariff_share is None
    assert generalized_cost(world, initial_policy(world), world.route_tariff0).shape == (len(world.routes),)


def test_a_share_on_a_route_the_shipment_does_not_use_is_refused(scenario_writer, small_scenario_data):
    data = small_scenario_data
    data["shipments"][0]["tariff_share"] = {"Northern": 0.5}
    with pytest.raises(ScenarioError) as err:
        load(scenario_writer(data))
    assert "shipments[0].tariff_share.Northern" in str(err.value)
    assert "not one of the shipment's routes" in str(err.value)

"""Known-answer tests of the political (sanctions/transit) risk premium in route choice.

A 3-node network: origin A ships to destination D over corridor B (through transit state B) or
corridor C (through C). Raising B's risk premium moves the shipment to C up to C's capacity.
"""

import math

import numpy as np
import pytest

from sim.api import load
from sim.core.policy import initial_policy
from sim.core.route_economy import generalized_cost, route_state, sanctioned_share
from sim.core.routes import allocate, congested_days, political_risk
from sim.core.sanctions import Measure

# routes x actors (A, B, C, D): corridor B crosses B, corridor C crosses C
TRANSIT = np.array([[False, True, False, False], [False, False, True, False]])
TARIFF = np.array([100.0, 100.0])
MU = 0.1


def _split(sanctioned_b: float, per_sanctioned: float, capacity_c: float = 6.0) -> np.ndarray:
    premium = political_risk(
        TARIFF, TRANSIT, np.array([0.0, sanctioned_b, 0.0, 0.0]), np.zeros(4), per_sanctioned, 0.0
    )
    a = allocate(
        np.array([10.0]),
        np.array([np.inf]),
        np.ones((1, 2), bool),
        TARIFF + premium,
        np.array([20.0, capacity_c]),
        MU,
    )
    return a.shipped[0]


def test_premium_is_a_surcharge_on_the_tariff_of_routes_through_the_state():
    # 100 USD/t x 0.1 per unit share x 0.5 share = 5 USD/t on corridor B only
    p = political_risk(TARIFF, TRANSIT, np.array([0.0, 0.5, 0.0, 0.0]), np.zeros(4), 0.1, 0.0)
    np.testing.assert_allclose(p, [5.0, 0.0])
    # coercion memory of the state's pole adds per_coercion x memory
    p = political_risk(TARIFF, TRANSIT, np.zeros(4), np.array([0.0, 0.0, 1.0, 0.0]), 0.1, 0.02)
    np.testing.assert_allclose(p, [0.0, 2.0])


def test_equal_corridors_split_evenly_without_risk():
    np.testing.assert_allclose(_split(0.0, 0.1), [5.0, 5.0])


def test_moderate_premium_moves_the_logit_share():
    # premium on B = 100 x 0.04 x 0.5 = 2 USD/t: share of C = 1 / (1 + exp(-0.1 x 2)) = 0.5498
    shipped = _split(0.5, 0.04)
    share_c = 1.0 / (1.0 + math.exp(-MU * 2.0))
    np.testing.assert_allclose(shipped, [10.0 * (1 - share_c), 10.0 * share_c])
    assert shipped[1] < 6.0  # below C's capacity


def test_high_premium_fills_the_other_corridor_up_to_its_capacity():
    # premium 100 x 0.1 x 0.5 = 5 USD/t: logit demand for C = 6.22 > capacity 6 -> C full, rest on B
    np.testing.assert_allclose(_split(0.5, 0.1), [4.0, 6.0])
    np.testing.assert_allclose(_split(1.0, 2.0), [4.0, 6.0])  # never beyond its capacity


def test_sanctions_on_a_transit_state_raise_its_routes_cost_in_a_world(scenario_writer, small_scenario_data):
    data = small_scenario_data
    data["events"], data["hazards"] = [], []
    data.pop("decisions")
    data["routes"][1].update(capacity_per_year=40.0, tariff_usd_per_unit=38.0)  # KCP as dear as CPC
    data["parameters"] = {"transit_risk_per_sanctioned_share": 0.1, "route_logit_scale": 0.1}
    _, world = load(scenario_writer(data))
    cpc, kcp = world.route_index["CPC"], world.route_index["KCP"]
    policy = initial_policy(world)
    before = route_state(world, policy, 0).allocation.route_volume
    np.testing.assert_allclose(before[[cpc, kcp]], [35.0, 35.0])
    ru, row = world.index["Russia"], world.index["RestOfWorld"]
    policy.measures["ban"] = Measure(
        "ban", (row,), ru, (world.good_index["electronics"],), "exports", True, 0.0
    )
    # Russia trades 30 USD bn/yr, 20 of it RestOfWorld electronics under the measure: share 2/3
    assert sanctioned_share(world, policy)[ru] == pytest.approx(20.0 / 30.0)
    premium = 38.0 * 0.1 * 2.0 / 3.0
    np.testing.assert_allclose(
        generalized_cost(world, policy, world.route_tariff0)[[cpc, kcp]], [38 + premium, 38]
    )
    after = route_state(world, policy, 0).allocation.route_volume
    share_kcp = 1.0 / (1.0 + math.exp(-0.1 * premium))
    np.testing.assert_allclose(after[[cpc, kcp]], [70 * (1 - share_kcp), 70 * share_kcp])


def test_congestion_delay_follows_the_bpr_function():
    # 30 days, alpha 1, power 4: half full -> 30 x (1 + 0.5^4) = 31.875; full -> 60; no capacity -> 60
    d = congested_days(
        np.array([30.0, 30.0, 30.0, 0.0]),
        np.array([5.0, 10.0, 1.0, 5.0]),
        np.array([10.0, 10.0, 0.0, 10.0]),
        1.0,
        4.0,
    )
    np.testing.assert_allclose(d, [31.875, 60.0, 60.0, 0.0])


def test_added_capacity_lowers_the_congested_corridors_cost_and_draws_freight():
    """Corridor C is half full last month; doubling its capacity cuts its delay from 30 x 0.0625 to
    30 x 0.0039 days, i.e. 1.758 USD/t at 1 USD/t/day: the logit share of C rises accordingly."""
    days, load = np.array([0.0, 30.0]), np.array([5.0, 5.0])
    before = congested_days(days, load, np.array([20.0, 10.0]), 1.0, 4.0)
    after = congested_days(days, load, np.array([20.0, 20.0]), 1.0, 4.0)
    assert before[1] - after[1] == pytest.approx(30 * (0.5**4 - 0.25**4))
    share = [
        allocate(
            np.array([10.0]),
            np.array([np.inf]),
            np.ones((1, 2), bool),
            TARIFF + d,
            np.array([20.0, 20.0]),
            MU,
        ).shipped[0, 1]
        / 10.0
        for d in (before, after)
    ]
    assert share[1] / (1 - share[1]) / (share[0] / (1 - share[0])) == pytest.approx(
        math.exp(MU * 30 * (0.5**4 - 0.25**4))
    )


def test_baseline_reproduces_the_2022_corridor_shift_without_scripting_it():
    """China-EU rail leaves the Northern corridor in 2022 through the political risk premium alone:
    no scripted reprice of the corridor, Middle Corridor 0.6 -> 1.5 Mt/yr and Northern ~4.1 Mt/yr
    within the figures' tolerances (calibration/figures.csv titr_cargo_2021/2022, northern_corridor_2022)."""
    from sim.api import simulate
    from sim.core.actions import RouteRepriceAction

    _, world = load("scenarios/baseline.yaml", end="2022-12")
    assert not any(
        isinstance(e.action, RouteRepriceAction) and e.action.route == "Northern corridor"
        for e in world.events
    )
    out = simulate(world, seed=1)
    mc, nc = world.route_index["Middle Corridor"], world.route_index["Northern corridor"]
    pre = out.route_volume[:2]  # January-February 2022: the figures' 2021 convention for routes
    assert pre[:, mc].mean() == pytest.approx(0.6, abs=0.2)
    assert out.route_volume[:, mc].mean() == pytest.approx(1.5, abs=0.3)
    assert out.route_volume[:, nc].mean() == pytest.approx(4.1, abs=0.6)
    assert out.route_volume[-1, nc] < pre[:, nc].mean() - 1.0  # the Northern corridor lost freight

"""Hedging as insurance against coercion: known answers worked by hand (sim/core/coercion.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.api import load
from sim.core.coercion import (
    ambiguity,
    coercion_probability,
    coercion_risk,
    perceived_probability,
    route_value_at_risk,
    sovereignty_change,
)
from sim.core.counterfactual import snapshot
from sim.core.policy import fade, initial_policy
from sim.core.utility import annuity_years
from sim.params import Parameters

# The small scenario without Russian and Chinese exports to Kazakhstan: only route coercion counts.
ROWS = [
    ("Kazakhstan", "China", "oil", 10.0, "test"),
    ("Kazakhstan", "RestOfWorld", "oil", 30.0, "test"),
    ("China", "Russia", "electronics", 8.0, "test"),
    ("RestOfWorld", "Russia", "electronics", 20.0, "test"),
]
PARAMS = {
    "decision_horizon_months": 12,
    "decision_discount_rate": 0.0,
    "grievance_decay_per_month": 0.0,
    "coercion_hazard_base_per_month": 0.01,
    "coercion_hazard_per_grievance": 0.05,
    "coercion_duration_months": 6.0,
}


@pytest.fixture
def world(scenario_writer, small_scenario_data):
    data = small_scenario_data
    data["events"], data["hazards"] = [], []
    data["parameters"] = dict(PARAMS)
    return load(scenario_writer(data, trade_rows=ROWS))[1]


def test_coercion_risk_of_a_three_pole_case_worked_by_hand(world):
    """Kazakhstan ships 70 Mt of oil (500 USD/t) on CPC (60 Mt/yr, 38 USD/t, transit Russia) and KCP
    (20 Mt/yr, 20 USD/t, to China). KCP is cheaper, so it is full: 20 Mt on KCP, 50 Mt on CPC.

    Russia cuts CPC: 50 Mt x (500 - 38) = 23.1 USD bn/yr lost. China cuts KCP: CPC takes 60 of the 70,
    revenue falls from 20 x 480 + 50 x 462 = 32.7 to 60 x 462 = 27.72: 4.98 USD bn/yr. The West (the
    Rest of World) controls no route Kazakhstan uses and sells it nothing: 0.

    Russia holds grievance 1: Lambda = 0.01 x 12 + 0.05 x 1 x 12 = 0.72, P = 1 - e^-0.72; the others
    only the base: P = 1 - e^-0.12. Expected loss = sum P x VaR x 0.5 yr (6 months, no discounting).
    """
    kz, ru = world.index["Kazakhstan"], world.index["Russia"]
    policy = initial_policy(world)
    policy.grievance[ru, kz] = 1.0
    snap = snapshot(world, policy, 0)
    risk = coercion_risk(world, snap, kz)
    poles = world.pole_index
    p_ru, p_base = 1.0 - math.exp(-0.72), 1.0 - math.exp(-0.12)
    assert risk.probability[poles["Russia"]] == pytest.approx(p_ru)
    assert risk.probability[poles["China"]] == pytest.approx(p_base)
    assert risk.value_at_risk[poles["Russia"]] == pytest.approx(23.1, rel=1e-3)
    assert risk.value_at_risk[poles["China"]] == pytest.approx(4.98, rel=1e-3)
    assert risk.value_at_risk[poles["West"]] == pytest.approx(0.0, abs=1e-9)
    assert annuity_years(world.params, 0, 6) == pytest.approx(0.5)
    assert risk.expected_loss == pytest.approx(0.5 * (p_ru * 23.1 + p_base * 4.98), rel=1e-3)


def test_bypass_capacity_lowers_the_value_russia_controls(world):
    """10 Mt/yr more on KCP (not Russian) keeps 10 Mt moving when Russia cuts CPC: VaR falls by 10 x 480."""
    from sim.core import actions as A

    kz, ru = world.index["Kazakhstan"], world.pole_index["Russia"]
    snap = snapshot(world, initial_policy(world), 0)
    base = route_value_at_risk(world, snap, kz, ru)
    policy = initial_policy(world)
    from sim.core.apply import apply_action

    apply_action(
        world,
        policy,
        A.RouteInvestmentAction(
            actor="Kazakhstan",
            route="KCP",
            capacity_added=10.0,
            lag_months=0,
            cost_usd_bn=0,
        ),
        0,
    )
    more = route_value_at_risk(world, snapshot(world, policy, 0), kz, ru)
    # With 30 Mt on KCP and 40 on CPC: the cut loses 40 x 462 = 18.48 (vs 23.1).
    assert base - more == pytest.approx(23.1 - 18.48, rel=1e-3)


@pytest.mark.parametrize("lag", [0, 24])
def test_a_candidate_investment_adds_its_capacity_once(world, lag):
    """Scored as if arrived: +10 Mt/yr on KCP whether immediate (already in the policy) or pending.

    An immediate investment used to be added twice (policy + counterfactual), which overstated
    the capacity with which the insurance value of investments was judged.
    """
    from sim.core import actions as A
    from sim.core.counterfactual import counterfactual

    sq = snapshot(world, initial_policy(world), 0)
    r = world.route_index["KCP"]
    action = A.RouteInvestmentAction(
        actor="Kazakhstan",
        route="KCP",
        capacity_added=10.0,
        lag_months=lag,
        cost_usd_bn=0,
    )
    cf = counterfactual(world, sq, action, 0)
    assert cf.routes.capacity[r] == pytest.approx(sq.routes.capacity[r] + 10.0)
    assert cf.routes.allocation.shipped[:, r].sum() <= cf.routes.capacity[r] + 1e-9


def test_coercion_chance_rises_with_observed_acts_and_the_memory_fades(world):
    """A Russian route cut against Kazakhstan is remembered; the memory halves every half-life."""
    from sim.core import actions as A
    from sim.core.apply import apply_action

    kz, ru = world.index["Kazakhstan"], world.pole_index["Russia"]
    policy = initial_policy(world)
    before = coercion_probability(world, policy, kz)[ru]
    apply_action(
        world,
        policy,
        A.RouteDisruptionAction(actor="Russia", route="CPC", capacity_factor=0.0),
        0,
    )
    assert policy.coercion_seen[kz, ru] == pytest.approx(1.0)  # intensity 1 on its target
    assert coercion_probability(world, policy, kz)[ru] > before
    p = world.params
    for _ in range(int(p.coercion_memory_half_life_months)):
        fade(policy, p)
    assert policy.coercion_seen[kz, ru] == pytest.approx(0.5)


def test_one_off_security_change_decays_with_its_half_life(world):
    """The CSTO intervention must not add a permanent pull: security_change halves every half-life."""
    policy = initial_policy(world)
    policy.security_change[0, 0] = 0.8
    p = Parameters(security_half_life_months=4.0)
    for _ in range(4):
        fade(policy, p)
    assert policy.security_change[0, 0] == pytest.approx(0.4)
    for _ in range(4):
        fade(policy, p)
    assert policy.security_change[0, 0] == pytest.approx(0.2)


def test_security_pull_of_a_one_off_guarantee_is_bounded(scenario_writer, small_scenario_data):
    """Cumulative security force of a one-off guarantee converges (geometric), not linear growth."""
    from sim.api import simulate

    data = small_scenario_data
    data["hazards"] = []
    data["decisions"]["enabled"] = False
    data["events"].append(
        {
            "date": "2022-01",
            "action": {
                "type": "security_guarantee",
                "sender": "Russia",
                "target": "Kazakhstan",
                "level": 0.5,
            },
        }
    )
    world = load(scenario_writer(data))[1]
    out = simulate(world, seed=1)
    kz, ru = world.index["Kazakhstan"], world.pole_index["Russia"]
    sec = out.forces["security"][:, kz, ru]
    hl = world.params.security_half_life_months
    assert sec[0] > 0
    assert sec[int(hl)] == pytest.approx(sec[0] * 0.5, rel=1e-6)
    assert np.all(np.diff(sec) <= 1e-12)


def test_sovereignty_change_worked_by_hand():
    """h x A x [sum P~0 (V1 - V0) x lasting + (1 - e) sum (P1 - P0) V1], P~ = (1 - e) P + e, e = h/(1+h)."""
    p0, v0 = np.array([0.5, 0.2]), np.array([10.0, 4.0])
    # h = 1: e = 1/2, P~0 = (0.75, 0.6). A bypass cuts the first pole's value at risk by 2 USD bn/yr.
    insure = sovereignty_change(1.0, p0, v0, p0, np.array([8.0, 4.0]), years=0.5)
    assert insure == pytest.approx(1.0 * 0.75 * -2.0 * 0.5)  # -0.75 USD bn PV
    # Appeasement lowers the first pole's chance by 0.1: weighed by 1 - e = 1/2.
    appease = sovereignty_change(1.0, p0, v0, np.array([0.4, 0.2]), v0, years=0.5)
    assert appease == pytest.approx(1.0 * 0.5 * -0.1 * 10.0 * 0.5)  # -0.25 USD bn PV
    # An investment in force for 40 % of the horizon counts 40 % of its loss-size change.
    assert sovereignty_change(1.0, p0, v0, p0, np.array([8.0, 4.0]), 0.5, lasting=0.4) == pytest.approx(
        0.4 * insure
    )
    # No hedging, no term; at h = 3 (e = 3/4) insurance is worth 3 x (0.125 + 0.75) / 0.75 = 3.5 x
    # what it is at h = 1, appeasement only 3 x (1/4) / (1/2) = 1.5 x.
    assert sovereignty_change(0.0, p0, v0, p0, np.array([8.0, 4.0]), 0.5) == 0.0
    assert sovereignty_change(3.0, p0, v0, p0, np.array([8.0, 4.0]), 0.5) == pytest.approx(3.5 * insure)
    assert sovereignty_change(3.0, p0, v0, np.array([0.4, 0.2]), v0, 0.5) == pytest.approx(1.5 * appease)


def test_perceived_chance_is_the_contaminated_learnt_chance():
    assert ambiguity(0.0) == 0.0 and ambiguity(1.0) == 0.5 and ambiguity(3.0) == 0.75
    assert perceived_probability(np.array([0.2]), 1.0)[0] == pytest.approx(0.6)
    assert perceived_probability(np.array([0.2]), 0.0)[0] == pytest.approx(0.2)

"""Repetition of coercion is governed by utility, not a clock (issue 19).

A coercive act settles `grievance_relief_per_coercion` x intensity of the sender's grievance
against its target, so the punishment motive of a repeat is gone unless a new offence renews it;
the target's grievance against the sender grows by the intensity (retaliation motive).
"""

from __future__ import annotations

import dataclasses

import pytest

from sim.api import load
from sim.core.actions import action_from_dict
from sim.core.apply import apply_action
from sim.core.policy import initial_policy

HALT = {
    "type": "route_disruption",
    "actor": "Russia",
    "route": "CPC",
    "capacity_factor": 0.2,
    "duration_months": 1,
}


@pytest.fixture(scope="module")
def world():
    return load("scenarios/backtest_2022.yaml")[1]


@pytest.mark.parametrize("relief", [0.0, 0.5, 1.0, 2.0])
def test_a_halt_settles_the_senders_grievance_in_proportion_to_its_intensity(world, relief):
    w = dataclasses.replace(
        world, params=world.params.model_copy(update={"grievance_relief_per_coercion": relief})
    )
    ru, kz = w.index["Russia"], w.index["Kazakhstan"]
    policy = initial_policy(w)
    policy.own_grievance()[ru, kz] = 0.4
    before_kz = float(policy.grievance[kz, ru])
    halt = action_from_dict(HALT)
    apply_action(w, policy, halt, 5)
    assert policy.grievance[ru, kz] == pytest.approx(0.4 * max(0.0, 1.0 - relief * 0.8))
    assert policy.grievance[kz, ru] == pytest.approx(before_kz + 0.8)


def test_without_a_new_offence_the_second_halt_has_less_punishment_value(world):
    from sim.core.agents import Scorer
    from sim.core.counterfactual import snapshot
    from sim.core.model import MultiVectorModel, release

    m = MultiVectorModel(world, rng=1)
    ru, kz = world.index["Russia"], world.index["Kazakhstan"]
    m.policy.own_grievance()[ru, kz] = 0.3
    halt = action_from_dict(HALT)
    first = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment).score(ru, halt)["punishment"]
    apply_action(world, m.policy, halt, 0)
    second = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment).score(ru, halt)["punishment"]
    assert first > 0 and second == pytest.approx(
        first * (1.0 - world.params.grievance_relief_per_coercion * 0.8)
    )
    release(m)

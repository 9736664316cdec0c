"""A sender values a demand by what it expects to follow (sim.core.bargaining.demand_terms).

One step of backward induction in a logit game (Signorino 1999): the target's answers are
forecast by its own logit, a refusal is worth each threat's P_exec x the sender's terms of
carrying it out, and a negotiating demand carries no punishment of its own.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load
from sim.core import actions as A
from sim.core import bargaining as bg
from sim.core.agents import Scorer
from sim.core.apply import apply_action
from sim.core.counterfactual import snapshot
from sim.core.decisions import TERMS, logit_probabilities, total_utility
from sim.core.model import MultiVectorModel, release
from sim.core.policy import OpenDemand
from tests.test_decisions_bargaining import _data


def _setup(scenario_writer, small_scenario_data, grievance: float = 0.0):
    """The small world before the demand is made, with Russia's grievance against Kazakhstan set."""
    data = _data(small_scenario_data)
    # The target's rationality pinned at 4 (the known answer below is worked at it): at the fitted
    # default (17) the small world's target refuses with a chance of 2e-7 (0.015 at 4), so the threat
    # a refusal carries, and with it the grievance's effect on the demand's value, is below rounding.
    data.setdefault("parameters", {})["decision_rationality"] = 4.0
    world = load(scenario_writer(data))[1]
    demand = world.events[0].action  # the bargaining tests' demand, compiled (not fired here)
    assert isinstance(demand, A.DemandAction) and demand.negotiates
    m = MultiVectorModel(world, rng=1)
    ru, kz = world.index["Russia"], world.index["Kazakhstan"]
    m.policy.own_grievance()[ru, kz] = grievance
    scorer = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment)
    return world, m, scorer, demand, ru, kz


def test_demand_value_is_the_forecast_answers_times_their_outcomes(scenario_writer, small_scenario_data):
    """Known answer: the sender's terms are sum_a Q(a) x terms(a), Q the target's logit (lambda 4)."""
    world, m, scorer, demand, ru, kz = _setup(scenario_writer, small_scenario_data, grievance=0.3)
    od = OpenDemand(demand, kz, demand.deadline_months)
    u = {a: float(total_utility(bg.answer_terms(scorer, kz, od, a))) for a in bg.answers(od)}
    lam = world.params.decision_rationality
    z = sum(np.exp(lam * v) for v in u.values())
    q = {a: float(np.exp(lam * v) / z) for a, v in u.items()}
    assert q == pytest.approx(bg.predicted_answers(scorer, od))
    threat = demand.on_refuse[0]
    p_exec, _ = bg.execution_probability(scorer, od, threat)
    t_threat = scorer.score(ru, threat)
    t_conc = scorer.score(ru, demand.on_concede[0])
    t_ctr = scorer.score(ru, demand.counter[0])
    want = {
        k: q["concede"] * t_conc[k] + q["counter"] * t_ctr[k] + q["refuse"] * p_exec * t_threat[k]
        for k in TERMS
    }
    assert bg.demand_terms(scorer, ru, demand) == pytest.approx(want)
    # The demand itself adds only its influence: no punishment of its own despite the grievance.
    got = scorer.score(ru, demand)
    assert got["punishment"] == pytest.approx(want["punishment"])
    assert t_threat["punishment"] > 0 and got["punishment"] < t_threat["punishment"]
    assert got["influence"] - want["influence"] <= 0  # pressure pushes the target away (or nothing)
    release(m)


def test_a_grievance_makes_the_demand_worth_more_through_its_threat(scenario_writer, small_scenario_data):
    """Direction: the demand is worth more to the sender as its grievance grows (its threat punishes)."""
    values = []
    for g in (0.0, 0.5, 1.0):
        _world, m, scorer, demand, ru, _ = _setup(scenario_writer, small_scenario_data, grievance=g)
        values.append(float(total_utility(scorer.score(ru, demand))))
        release(m)
    assert values[0] < values[1] < values[2]


def test_a_negotiating_demand_settles_no_grievance_a_bare_one_does(scenario_writer, small_scenario_data):
    world, m, _scorer, demand, ru, kz = _setup(scenario_writer, small_scenario_data, grievance=0.4)
    apply_action(world, m.policy, demand, 0)
    assert m.policy.grievance[ru, kz] == pytest.approx(0.4)  # the threat, if carried out, settles it
    assert len(m.policy.demands) == 1
    bare = A.DemandAction(sender="Russia", target="Kazakhstan", issue="nuclear_plant", intensity=0.3)
    assert not bare.negotiates
    apply_action(world, m.policy, bare, 0)
    relief = 1.0 - world.params.grievance_relief_per_coercion * 0.3
    assert m.policy.grievance[ru, kz] == pytest.approx(0.4 * relief)
    release(m)


def test_logit_forecast_uses_the_targets_own_rationality(scenario_writer, small_scenario_data):
    data = _data(small_scenario_data)
    data["parameters"] = {"decision_rationality": 0.5, "decision_rationality_pole": 40.0}
    world = load(scenario_writer(data))[1]
    demand = world.events[0].action
    m = MultiVectorModel(world, rng=1)
    kz = world.index["Kazakhstan"]
    scorer = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment)
    od = OpenDemand(demand, kz, demand.deadline_months)
    u = np.array([float(total_utility(bg.answer_terms(scorer, kz, od, a))) for a in bg.answers(od)])
    assert list(bg.predicted_answers(scorer, od).values()) == pytest.approx(list(logit_probabilities(u, 0.5)))
    release(m)

"""Bargaining (sim/core/bargaining.py): concessions and refusals have effects, threats are credible."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim.api import load, simulate
from sim.core.agents import Scorer
from sim.core.counterfactual import snapshot
from sim.core.model import MultiVectorModel, release

THREAT = {
    "type": "route_disruption",
    "actor": "Russia",
    "route": "CPC",
    "capacity_factor": 0.5,
    "duration_months": 1,
}
DEMAND = {
    "type": "demand",
    "sender": "Russia",
    "target": "Kazakhstan",
    "issue": "gas_union",
    "intensity": 0.5,
    "deadline_months": 2,
    "on_concede": [{"type": "enforcement", "actor": "Kazakhstan", "level": 0.9}],
    "counter": [{"type": "enforcement", "actor": "Kazakhstan", "level": 0.4}],
    "on_refuse": [THREAT],
}


def _data(small_scenario_data, end="2022-06"):
    data = small_scenario_data
    data["end"] = end
    data["hazards"] = []
    data["events"] = [{"date": "2022-01", "action": dict(DEMAND)}]
    data["decisions"] = {"every_months": 1, "start": "2022-01", "menus": {}}
    return data


def _model(scenario_writer, data):
    world = load(scenario_writer(data))[1]
    m = MultiVectorModel(world, rng=1)
    m._fire_events()  # month 0: the demand opens
    return world, m


def test_a_demand_opens_and_offers_concede_refuse_counter(scenario_writer, small_scenario_data):
    world, m = _model(scenario_writer, _data(small_scenario_data))
    assert len(m.policy.demands) == 1
    kz = m.states[world.index["Kazakhstan"]]
    scorer = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment)
    d = kz.decide(scorer, 4.0, 0.5)
    names = {c.name for c in d.candidates}
    assert {"concede gas_union (Russia)", "refuse gas_union (Russia)", "counter gas_union (Russia)"} <= names
    refuse = next(c for c in d.candidates if c.name.startswith("refuse"))
    assert refuse.terms["econ"] < 0  # the threatened CPC cut costs Kazakhstan, weighted by its credibility
    release(m)


def test_a_concession_puts_its_terms_in_force(scenario_writer, small_scenario_data):
    from sim.core import bargaining as bg

    world, m = _model(scenario_writer, _data(small_scenario_data))
    kz, ru = world.index["Kazakhstan"], world.index["Russia"]
    g0 = m.policy.grievance[ru, kz]
    scorer = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment)
    m._answer(scorer, m.policy.demands[0], bg.CONCEDE, "Kazakhstan")
    assert m.policy.enforcement[kz] == pytest.approx(0.9)
    assert not m.policy.demands
    assert m.policy.grievance[ru, kz] == pytest.approx(g0)  # no snub
    assert not m.policy.disruptions  # no threat carried out
    release(m)


def test_a_refusal_adds_grievance_and_the_threat_is_decided_and_logged(scenario_writer, small_scenario_data):
    from sim.core import bargaining as bg

    world, m = _model(scenario_writer, _data(small_scenario_data))
    kz, ru = world.index["Kazakhstan"], world.index["Russia"]
    g0 = m.policy.grievance[ru, kz]
    scorer = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment)
    threat = m.policy.demands[0].demand.on_refuse[0]
    m._answer(scorer, m.policy.demands[0], bg.REFUSE, "Kazakhstan")
    assert m.policy.enforcement[kz] == pytest.approx(world.enforcement0[kz])  # nothing conceded
    logged = [a for a in m.recorder.actions if a["kind"] in ("threat", "threat_withheld")]
    assert len(logged) == 1 and "P(execute)=" in logged[0]["note"]
    executed = logged[0]["kind"] == "threat"
    assert bool(m.policy.disruptions) == executed
    # The refusal adds the demand's intensity; an executed threat then settles part of it.
    settled = 1.0 - world.params.grievance_relief_per_coercion * threat.pressure() if executed else 1.0
    assert m.policy.grievance[ru, kz] == pytest.approx((g0 + 0.5) * max(0.0, settled))
    release(m)


def test_threats_are_executed_with_the_logged_probability(scenario_writer, small_scenario_data):
    """Over many seeds the share of executed threats matches the mean logged probability (binomial, 4 sd)."""
    data = _data(small_scenario_data, end="2022-03")
    data["parameters"] = {"threat_credibility_scale_usd_bn": 50.0}  # a probability away from 0 and 1
    # A costly concession (its own export pipeline repriced fivefold) and no counter: refusals are the rule.
    demand = data["events"][0]["action"]
    demand["on_concede"] = [
        {"type": "route_reprice", "actor": "Kazakhstan", "route": "KCP", "tariff_factor": 5.0}
    ]
    demand["counter"] = []
    world = load(scenario_writer(data))[1]
    probs, executed = [], []
    for seed in range(300):
        out = simulate(world, seed=seed, record_flows=False)
        for a in out.actions:
            if a["kind"] in ("threat", "threat_withheld"):
                probs.append(float(a["note"].split("P(execute)=")[1].split()[0]))
                executed.append(a["kind"] == "threat")
    assert len(probs) >= 250
    p = np.array(probs)
    assert 0.1 < p.mean() < 0.9
    sd = math.sqrt((p * (1 - p)).sum())
    assert abs(sum(executed) - p.sum()) < 4 * sd


def test_threat_log_names_the_sender_utility(scenario_writer, small_scenario_data):
    from sim.core import bargaining as bg

    world, m = _model(scenario_writer, _data(small_scenario_data))
    scorer = Scorer(world, snapshot(world, m.policy, 0), 0, m.alignment)
    od = m.policy.demands[0]
    prob, u = bg.execution_probability(scorer, od, od.demand.on_refuse[0])
    scale = world.params.threat_credibility_scale_usd_bn
    assert prob == pytest.approx(1.0 / (1.0 + math.exp(-u / scale)))
    assert json.loads(json.dumps({"p": prob}))["p"] == pytest.approx(prob)
    release(m)

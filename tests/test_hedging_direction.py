"""The hedging weight acts, in the right direction (issue 9; the sweep is scenarios/sweeps/hedging.yaml)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load
from sim.core import actions as A
from sim.core.agents import Scorer
from sim.core.counterfactual import snapshot
from sim.core.decisions import logit_probabilities, total_utility
from sim.core.policy import initial_policy

BYPASS = A.RouteInvestmentAction(
    actor="Kazakhstan",
    route="KCP",
    capacity_added=10.0,
    lag_months=0,
    cost_usd_bn=0.5,
)
SNUB = A.SignalAction(actor="Kazakhstan", toward="West", against="Russia", strength=0.3)


def _scores(scenario_writer, data, hedging: float):
    data = dict(data)
    data["actors"] = [dict(a) for a in data["actors"]]
    data["actors"][0]["hedging_weight"] = hedging
    data["hazards"], data["events"] = [], []
    world = load(scenario_writer(data, filename=f"h{hedging}.yaml"))[1]
    policy = initial_policy(world)
    policy.grievance[world.index["Russia"], world.index["Kazakhstan"]] = 0.5
    sc = Scorer(world, snapshot(world, policy, 0), 0, world.alignment0)
    kz = world.index["Kazakhstan"]
    return sc.score(kz, BYPASS), sc.score(kz, SNUB)


def test_sovereignty_term_scales_with_the_hedging_weight(scenario_writer, small_scenario_data):
    """Bypass capacity lowers the expected loss, a snub to Russia raises it; with the hedger's
    ambiguity e = h / (1 + h) (sim.core.coercion) the loss-size value grows faster than the weight
    (h x P~, P~ = (P + h) / (1 + h)) and the chance value slower (h x (1 - e) = h / (1 + h))."""
    (inv0, snub0), (inv1, snub1), (inv2, snub2) = (
        _scores(scenario_writer, small_scenario_data, h) for h in (0.0, 1.0, 2.0)
    )
    assert inv0["sovereignty"] == 0.0 and snub0["sovereignty"] == 0.0
    assert inv1["sovereignty"] < 0.0  # diversification: less value at Russia's mercy
    assert snub1["sovereignty"] > 0.0  # provoking the pole that controls the exports
    # Insurance (a smaller loss if coerced) is worth more than twice as much at twice the weight:
    assert inv2["sovereignty"] < 2.0 * inv1["sovereignty"] < 0.0
    # appeasement (a smaller chance of coercion) only (2/3) / (1/2) = 4/3 as much: a snub changes
    # the chance, not the value at risk.
    assert snub2["sovereignty"] == pytest.approx(4.0 / 3.0 * snub1["sovereignty"])
    # Everything else is unchanged by the weight.
    for t in ("econ", "security", "alignment", "cost"):
        assert inv2[t] == pytest.approx(inv0[t])


def test_more_hedging_makes_the_bypass_investment_likelier(scenario_writer, small_scenario_data):
    probs = []
    for h in (0.0, 1.0, 2.0):
        inv, snub = _scores(scenario_writer, small_scenario_data, h)
        u = np.array([0.0, float(total_utility(inv)), float(total_utility(snub))])
        probs.append(logit_probabilities(u, 4.0))
    p_invest = [p[1] for p in probs]
    p_snub = [p[2] for p in probs]
    assert p_invest[0] < p_invest[1] < p_invest[2]
    assert p_snub[0] > p_snub[1] > p_snub[2]

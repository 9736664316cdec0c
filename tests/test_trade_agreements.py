"""Known-answer tests of political trade costs and trade facilitation agreements (sim.core.trade,
sim.core.economy.trade_cost_factor, the `trade_agreement` action)."""

import math

import numpy as np
import pytest

from sim.api import load
from sim.core.actions import TradeAgreementAction
from sim.core.apply import apply_action
from sim.core.counterfactual import counterfactual, snapshot
from sim.core.economy import evaluate
from sim.core.policy import initial_policy
from sim.core.trade import alignment_distance, gravity_equilibrium, political_cost_factors


def test_alignment_distance_is_half_the_l1_distance():
    a = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    d = alignment_distance(a)
    np.testing.assert_allclose(d, [[0, 0.5, 1], [0.5, 0, 1], [1, 1, 0]])


def test_political_distance_moves_pair_trade_by_the_semi_elasticity():
    # beta 0.8, eps 4: a 0.25 rise in distance is a cost factor exp(0.05); a small supplier's
    # trade (the price index barely moves) falls by exp(-0.8 x 0.25) = 0.8187
    f = political_cost_factors(np.array([[0.0, 0.25]]), 0.8, 4.0)
    np.testing.assert_allclose(f, [[1.0, math.exp(0.05)]])
    x = np.zeros((2, 1, 1))
    x[0, 0, 0], x[1, 0, 0] = 1e-6, 1.0  # exporter 1 tiny, exporter 0 the rest
    t = np.ones((2, 1, 1))
    t[0, 0, 0] = f[0, 1]
    flows, _ = gravity_equilibrium(x, t, 4.0)
    # at exporter prices X' = pi' E / t: the factor's own division adds exp(-0.05)
    assert flows[0, 0, 0] / 1e-6 == pytest.approx(math.exp(-0.2) * math.exp(-0.05), rel=1e-5)


@pytest.fixture
def small_world(scenario_writer, small_scenario_data):
    data = small_scenario_data
    data["events"], data["hazards"] = [], []
    data.pop("decisions")
    data["parameters"] = {"trade_elasticity": 4.0}
    return load(scenario_writer(data))[1]


def test_agreement_raises_the_pair_trade_by_the_ces_elasticity(small_world):
    """Kazakhstan imports electronics from China (5) and Russia (2); an agreement with China cuts
    the pair's cost factor to 0.95. By hand (eps 4): w_C = 5/7 x 0.95^-4 = 0.876956, w_R = 2/7,
    share_C = 0.754260; China's flow at exporter prices x 0.754260 / (5/7) / 0.95 = 1.111543,
    Russia's x 0.245740 / (2/7) = 0.860091 (relative to Russia: 0.95^-5 = 1.292363)."""
    w = small_world
    kz, cn, ru = w.index["Kazakhstan"], w.index["China"], w.index["Russia"]
    el = w.good_index["electronics"]
    policy = initial_policy(w)
    before = evaluate(w, policy, 0, None).direct
    apply_action(w, policy, TradeAgreementAction(actor="Kazakhstan", partner="China", trade_cost_cut=0.05), 0)
    after = evaluate(w, policy, 0, None).direct
    assert after[cn, kz, el] / before[cn, kz, el] == pytest.approx(1.111543, rel=1e-5)
    assert after[ru, kz, el] / before[ru, kz, el] == pytest.approx(0.860091, rel=1e-5)
    ratio = (after[cn, kz, el] / before[cn, kz, el]) / (after[ru, kz, el] / before[ru, kz, el])
    assert ratio == pytest.approx(0.95**-5, rel=1e-9)
    assert after[ru, cn, el] == pytest.approx(before[ru, cn, el])  # other pairs' shares untouched


def test_agreement_takes_effect_after_its_lag_and_decisions_judge_it_arrived(small_world):
    w = small_world
    kz, cn, el = w.index["Kazakhstan"], w.index["China"], w.good_index["electronics"]
    action = TradeAgreementAction(actor="Kazakhstan", partner="China", trade_cost_cut=0.05, lag_months=6)
    policy = initial_policy(w)
    base = evaluate(w, policy, 0, None).direct[cn, kz, el]
    apply_action(w, policy, action, 0)
    assert evaluate(w, policy, 5, None).direct[cn, kz, el] == pytest.approx(base)  # not yet
    assert evaluate(w, policy, 6, None).direct[cn, kz, el] / base == pytest.approx(1.111543, rel=1e-5)
    sq = snapshot(w, initial_policy(w), 0)
    cf = counterfactual(w, sq, action, 0)
    assert cf.direct[cn, kz, el] / sq.direct[cn, kz, el] == pytest.approx(1.111543, rel=1e-5)


def test_agreement_is_not_a_sanction(small_world):
    w = small_world
    policy = initial_policy(w)
    apply_action(w, policy, TradeAgreementAction(actor="Kazakhstan", partner="China", trade_cost_cut=0.05), 0)
    out = evaluate(w, policy, 0, None)
    assert not out.blocked.any() and not (out.tau > 1).any()


def test_a_hedger_values_an_agreement_with_a_pole_that_does_not_coerce_it(
    scenario_writer, small_scenario_data
):
    """Hedging is insurance against coercion: Russia (holding a grievance) is Kazakhstan's main
    supplier of electronics (5 of 7 USD bn); an agreement with China shifts imports away from it, so
    the expected loss from a Russian export ban falls more than the loss from a (less likely)
    Chinese one rises: sovereignty term < 0 (a gain), linear in the hedging weight; econ does not
    depend on the weight. (With China the dominant supplier the same agreement concentrates the
    imports and the term turns positive: diversification is toward minor partners.)"""
    from scenario_factory import SMALL_TRADE_ROWS

    from sim.core.agents import Scorer

    rows = [
        (e, i, g, {("Russia", "Kazakhstan"): 5.0, ("China", "Kazakhstan"): 2.0}.get((e, i), v), src)
        for e, i, g, v, src in SMALL_TRADE_ROWS
    ]

    agreement = TradeAgreementAction(actor="Kazakhstan", partner="China", trade_cost_cut=0.05)
    terms = []
    for h in (0.0, 1.0, 2.0):
        data = dict(small_scenario_data)
        data["actors"] = [dict(a) for a in data["actors"]]
        data["actors"][0]["hedging_weight"] = h
        data["hazards"], data["events"] = [], []
        world = load(scenario_writer(data, filename=f"agreement{h}.yaml", trade_rows=rows))[1]
        policy = initial_policy(world)
        policy.grievance[world.index["Russia"], world.index["Kazakhstan"]] = 0.5
        sc = Scorer(world, snapshot(world, policy, 0), 0, world.alignment0)
        terms.append(sc.score(world.index["Kazakhstan"], agreement))
    assert terms[0]["sovereignty"] == 0.0
    assert terms[1]["sovereignty"] < 0.0
    # The agreement lowers the value at risk (insurance): weighed by h x P~, more than linear in h.
    assert terms[2]["sovereignty"] < 2.0 * terms[1]["sovereignty"]
    assert terms[2]["econ"] == pytest.approx(terms[0]["econ"]) and terms[0]["econ"] > 0.0

"""Bargaining: a demand gives its target concede / refuse / counter options; threats are conditional.

A demand with effects (`DemandAction.on_concede`, `on_refuse`, `counter`) stays open for
`deadline_months` (`policy.OpenDemand`). At each decision round the target scores, beside its
menu (USD bn PV, `agents.Scorer`):

    concede   sum of its terms of the on_concede actions + stance +intensity toward the sender's pole
    counter   the same for the counter-offer, stance +intensity/2
    refuse    P_exec x its economic loss from the threatened on_refuse actions + stance -intensity

(the status quo is "wait": the demand lapses into a refusal at its deadline). The sender values
making the demand by what it expects to follow (one step of backward induction in a game whose
players choose by logit, the strategic-choice model of Signorino 1999, "Strategic interaction and
the statistical analysis of international conflict", APSR 93(2)):

    U_sender(demand) = sum_answers Q(answer) x U_sender(answer's outcome) + influence(demand)

    Q          the target's logit over its answers (concede / refuse / counter, each scored as
               above, with the target's own rationality; waiting counts as refusing)
    concede    the sender's terms of the on_concede actions (counter: of the counter-offer)
    refuse     sum over threats of P_exec x the sender's terms of carrying it out

so a demand carries no punishment value of its own: the punishment is in the threat it may carry
out, at the grievance the sender holds now (a refusal's new grievance is not counted in advance:
a sender does not value an offence it provokes). A negotiating demand settles no grievance when
made; an executed threat does (sim.core.apply). A bare demand (nothing at stake) is pressure
only, valued like any coercive act. A refusal adds the
demand's intensity to the sender's grievance; the sender then executes each threatened action
with the credibility probability

    P_exec = 1 / (1 + exp(-U_sender(action) / threat_credibility_scale_usd_bn))

from its own utility of carrying it out (punishment motive included), one draw per threat from
the stream ("threat", "<sender>:<issue>:<k>"). The target anticipates the same P_exec. Both
are logged in the actions table (kind "threat", note with the probability and the draw).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sim.core.actions import Action, DemandAction
from sim.core.decisions import TERMS, logit_probabilities, total_utility
from sim.core.policy import OpenDemand
from sim.core.world import World

if TYPE_CHECKING:
    from sim.core.agents import Scorer

CONCEDE, REFUSE, COUNTER = "concede", "refuse", "counter"


def rationality_of(world: World, i: int) -> float:
    """Logit lambda (1/USD bn) of actor i: `decision_rationality_pole` (poles) or `decision_rationality`."""
    p = world.params
    return p.decision_rationality_pole if world.pole_of[i] >= 0 else p.decision_rationality


def sender_index(world: World, od: OpenDemand) -> int:
    """The actor that scores the threat for the sender (a bloc: its first member)."""
    return int(world.members(od.demand.sender)[0])


def credibility(world: World, u_sender: float) -> float:
    """P_exec = 1 / (1 + exp(-U_sender / threat_credibility_scale_usd_bn)), U_sender in USD bn."""
    scale = world.params.threat_credibility_scale_usd_bn
    return 1.0 / (1.0 + math.exp(-np.clip(u_sender / scale, -50.0, 50.0)))


def execution_probability(scorer: Scorer, od: OpenDemand, action: Action) -> tuple[float, float]:
    """(P_exec, U_sender): credibility of a threatened action from the sender's own utility (USD bn)."""
    s = sender_index(scorer.world, od)
    u = float(total_utility(scorer.score(s, action)))
    return credibility(scorer.world, u), u


def _stance_terms(scorer: Scorer, i: int, od: OpenDemand, sign: float) -> dict[str, float]:
    """Security and identity value of pleasing (+) or rebuffing (-) the sender's pole."""
    w, p = scorer.world, scorer.world.params
    q = w.pole_of[sender_index(w, od)]
    terms = dict.fromkeys(TERMS, 0.0)
    if q < 0:
        return terms
    st = np.zeros(len(w.poles))
    st[q] = sign * od.demand.intensity
    per = p.stance_utility * w.gdp[i]
    sec = float((w.security_dependence[i] * np.minimum(st, 0)).sum())
    terms["security"] = w.security_weight[i] * per * sec
    terms["alignment"] = w.alignment_weight[i] * per * float((scorer.alignment[i] * st).sum())
    return terms


def package_terms(scorer: Scorer, i: int, actions: Sequence[Action], weight: float = 1.0) -> dict[str, float]:
    """Sum of actor i's terms of each action (each against the status quo), times `weight`."""
    out = dict.fromkeys(TERMS, 0.0)
    for a in actions:
        for k, v in scorer.score(i, a).items():
            out[k] += weight * v
    return out


def answer_terms(
    scorer: Scorer, i: int, od: OpenDemand, answer: str, p_exec: Sequence[float] | None = None
) -> dict[str, float]:
    """Actor i's utility terms (USD bn PV) of answering an open demand.

    p_exec: each threat's execution probability if already known (else computed here).
    """
    d = od.demand
    if answer == REFUSE:
        terms = _stance_terms(scorer, i, od, -1.0)
        for n, a in enumerate(d.on_refuse):  # the target bears the threat's loss, weighted by its credibility
            prob = execution_probability(scorer, od, a)[0] if p_exec is None else p_exec[n]
            terms["econ"] += prob * scorer.score(i, a)["econ"]
        return terms
    actions, sign = (d.on_concede, 1.0) if answer == CONCEDE else (d.counter, 0.5)
    terms = _stance_terms(scorer, i, od, sign)
    for k, v in package_terms(scorer, i, actions).items():
        terms[k] += v
    return terms


def predicted_answers(
    scorer: Scorer, od: OpenDemand, p_exec: Sequence[float] | None = None
) -> dict[str, float]:
    """The sender's forecast of the target's answer: the target's logit over the demand's answers."""
    opts = answers(od)
    utils = np.array([float(total_utility(answer_terms(scorer, od.target, od, a, p_exec))) for a in opts])
    prob = logit_probabilities(utils, rationality_of(scorer.world, od.target))
    return dict(zip(opts, (float(x) for x in prob), strict=True))


def demand_terms(scorer: Scorer, s: int, demand: DemandAction) -> dict[str, float]:
    """Sender s's expected terms (USD bn PV) of what follows a negotiating demand, over its targets.

    Each target's answers weighted by `predicted_answers`; a refusal by each threat's P_exec.
    """
    w = scorer.world
    out = dict.fromkeys(TERMS, 0.0)
    threats = [scorer.score(s, a) for a in demand.on_refuse]  # the sender's terms of carrying out each
    for t in w.members(demand.target):
        od = OpenDemand(demand, int(t), scorer.month + demand.deadline_months)
        if s == sender_index(w, od):  # the sender's own utility sets the credibility: scored once
            p_exec = [credibility(w, float(total_utility(terms))) for terms in threats]
        else:
            p_exec = [execution_probability(scorer, od, a)[0] for a in demand.on_refuse]
        for ans, q in predicted_answers(scorer, od, p_exec).items():
            if ans == REFUSE:
                for p, terms in zip(p_exec, threats, strict=True):
                    for k, v in terms.items():
                        out[k] += q * p * v
            else:
                actions = demand.on_concede if ans == CONCEDE else demand.counter
                for k, v in package_terms(scorer, s, actions, q).items():
                    out[k] += v
    return out


def answers(od: OpenDemand) -> list[str]:
    """The answers a demand allows."""
    out = [CONCEDE, REFUSE]
    if od.demand.counter:
        out.append(COUNTER)
    return out


def answer_name(od: OpenDemand, answer: str) -> str:
    return f"{answer} {od.demand.issue} ({od.demand.sender})"

"""Bargaining: a demand gives its target concede / refuse / counter options; threats are conditional.

A demand with effects (`DemandAction.on_concede`, `on_refuse`, `counter`) stays open for
`deadline_months` (`policy.OpenDemand`). At each decision round the target scores, beside its
menu (USD bn PV, `agents.Scorer`):

    concede   sum of its terms of the on_concede actions + stance +intensity toward the sender's pole
    counter   the same for the counter-offer, stance +intensity/2
    refuse    P_exec x its economic loss from the threatened on_refuse actions + stance -intensity

(the status quo is "wait": the demand lapses into a refusal at its deadline). A refusal adds the
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

from sim.core.actions import Action
from sim.core.decisions import TERMS, total_utility
from sim.core.policy import OpenDemand
from sim.core.world import World

if TYPE_CHECKING:
    from sim.core.agents import Scorer

CONCEDE, REFUSE, COUNTER = "concede", "refuse", "counter"


def sender_index(world: World, od: OpenDemand) -> int:
    """The actor that scores the threat for the sender (a bloc: its first member)."""
    return int(world.members(od.demand.sender)[0])


def execution_probability(scorer: Scorer, od: OpenDemand, action: Action) -> tuple[float, float]:
    """(P_exec, U_sender): credibility of a threatened action from the sender's own utility (USD bn)."""
    s = sender_index(scorer.world, od)
    u = float(total_utility(scorer.score(s, action)))
    scale = scorer.world.params.threat_credibility_scale_usd_bn
    return 1.0 / (1.0 + math.exp(-np.clip(u / scale, -50.0, 50.0))), u


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


def answer_terms(scorer: Scorer, i: int, od: OpenDemand, answer: str) -> dict[str, float]:
    """Actor i's utility terms (USD bn PV) of answering an open demand."""
    d = od.demand
    if answer == REFUSE:
        terms = _stance_terms(scorer, i, od, -1.0)
        for a in d.on_refuse:  # the target bears the threat's economic loss, weighted by its credibility
            prob, _ = execution_probability(scorer, od, a)
            terms["econ"] += prob * scorer.score(i, a)["econ"]
        return terms
    actions, sign = (d.on_concede, 1.0) if answer == CONCEDE else (d.counter, 0.5)
    terms = _stance_terms(scorer, i, od, sign)
    for k, v in package_terms(scorer, i, actions).items():
        terms[k] += v
    return terms


def answers(od: OpenDemand) -> list[str]:
    """The answers a demand allows."""
    out = [CONCEDE, REFUSE]
    if od.demand.counter:
        out.append(COUNTER)
    return out


def answer_name(od: OpenDemand, answer: str) -> str:
    return f"{answer} {od.demand.issue} ({od.demand.sender})"

"""Decisions: logit choice over expected utility, with every term kept for the log.

An actor scores each candidate action a (status quo included) by

    U(a) = econ(a) + security(a) + alignment(a) + influence(a) + punishment(a)
           + rivalry(a) - sovereignty(a) - cost(a)

all in utility points, where one point is 1 % of the actor's GDP per year:
    econ        100 * change in economic welfare (USD bn/yr, from the trade and
                route layers' counterfactual) * months it lasts / 12 / GDP
    security    security_weight * stance_utility * sum_p security_dependence[p] * min(0, stance[p])
    alignment   alignment_weight * sum_p alignment[p] * (stance_utility * stance[p]
                + 100 * dDependence[p] * lasting)
    influence   influence_weight * 100 * sum_j (GDP_j / GDP of all middle states) * predicted shift of
                middle state j toward i's pole (poles only)
    punishment  punishment_weight * grievance against the target * pressure intensity
    rivalry     rivalry_weight * 100 * sum over rivals r of (-change in r's welfare) / GDP_r,
                rivals being the actors the decider sanctions (why a sanctioning pole
                values closing leakage: the measure bites harder)
    sovereignty hedging_weight * 100 * change in the HHI of dependence across poles * lasting
                (lasting = months the effect lasts within the horizon / horizon)
    cost        100 * direct cost (USD bn) / GDP

and chooses by a multinomial logit with rationality lambda:
    P(a) = exp(lambda * U(a)) / sum_b exp(lambda * U(b))     (McFadden 1974)
The draw uses one uniform number from the model's Generator, so a run is
reproducible from its seed.
"""

from __future__ import annotations

import numpy as np

TERMS = ("econ", "security", "alignment", "influence", "punishment", "rivalry", "sovereignty", "cost")
"""Utility terms in the order they are logged; sovereignty and cost enter with a minus sign."""


def herfindahl(shares: np.ndarray) -> np.ndarray:
    """HHI of shares along the last axis (renormalised; 0 for an all-zero row)."""
    total = shares.sum(axis=-1, keepdims=True)
    s = np.where(total > 0, shares / np.where(total > 0, total, 1.0), 0.0)
    return (s**2).sum(axis=-1)


def multivector_index(shares: np.ndarray) -> np.ndarray:
    """Evenness of dependence across P poles: (1 - HHI) / (1 - 1/P), in [0, 1].

    1 means equal dependence on every pole, 0 dependence on a single pole.
    """
    p = shares.shape[-1]
    return (1.0 - herfindahl(shares)) / (1.0 - 1.0 / p)


def total_utility(terms: dict[str, np.ndarray]) -> np.ndarray:
    """Sum of the named terms with their signs (sovereignty and cost subtract)."""
    return (
        terms["econ"]
        + terms["security"]
        + terms["alignment"]
        + terms["influence"]
        + terms["punishment"]
        + terms["rivalry"]
        - terms["sovereignty"]
        - terms["cost"]
    )


def logit_probabilities(utility: np.ndarray, rationality: float) -> np.ndarray:
    """Choice probabilities exp(lambda U) / sum exp(lambda U), numerically stable."""
    z = rationality * (utility - utility.max())
    w = np.exp(z)
    return w / w.sum()


def logit_choice(utility: np.ndarray, rationality: float, uniform: float) -> tuple[int, np.ndarray]:
    """Index drawn from the logit probabilities with one uniform draw in [0, 1)."""
    prob = logit_probabilities(utility, rationality)
    idx = int(np.searchsorted(np.cumsum(prob), uniform, side="right"))
    return min(idx, len(prob) - 1), prob

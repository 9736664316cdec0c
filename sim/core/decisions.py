"""Decisions: logit choice over expected utility, with every term kept for the log.

An actor scores each candidate action a (status quo included) by

    U(a) = econ(a) + security(a) + alignment(a) + influence(a) + punishment(a)
           + rivalry(a) - sovereignty(a) - cost(a)

every term in USD bn of present value over the decision horizon, as a difference against
the same month's status quo (the terms are computed in `sim.core.agents.Scorer`; the
currency and its exchange rates in `sim.core.utility` and `sim.params`; sovereignty, the
hedging term, in `sim.core.coercion`; docs/model.md, "Decisions (ODD+D)"), and chooses by a
multinomial logit with rationality lambda (1/USD bn):

    P(a) = exp(lambda * U(a)) / sum_b exp(lambda * U(b))     (McFadden 1974)

The draw uses one uniform number from the decider's own random stream, so a run is
reproducible from its seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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

    1 means equal dependence on every pole, 0 dependence on a single pole; an actor with no pole
    exposure at all (every share 0) has index 0, not the 1 / (1 - 1/P) the formula would give.
    """
    p = shares.shape[-1]
    exposed = shares.sum(axis=-1) > 0
    index = (1.0 - herfindahl(shares)) / (1.0 - 1.0 / p)
    return np.clip(np.where(exposed, index, 0.0), 0.0, 1.0)


def total_utility(terms: Mapping[str, Any]) -> Any:
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

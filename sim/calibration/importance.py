"""Importance-sampling arithmetic of the posterior (sim/calibration/posterior.py): proposals, exact
Gaussian likelihood, self-normalised weights, effective sample size, weighted quantiles, the
coverage statistics of the simulation-based calibration check and systematic resampling.

Pure numpy on arrays of parameter vectors `thetas` (n, d); no model runs here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.seeds import stream_rng

LEVEL = 0.9
"""Central credible interval checked by SBC (the 90 % intervals of posterior.md)."""


@dataclass
class Proposal:
    """Importance-sampling proposals with their proposal log density."""

    thetas: np.ndarray  # (n, d)
    log_q: np.ndarray  # (n,) log density of the distribution they were drawn from


def inside_box(thetas: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rows of thetas within the prior's support."""
    return np.all((thetas >= lower) & (thetas <= upper), axis=-1)


def log_likelihood(values: np.ndarray, x: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """log N(x; values, diag tol^2) per row of values (-inf where the model gave no finite value)."""
    z = (values - x) / tol
    ll = -0.5 * np.sum(z * z, axis=-1) - np.sum(np.log(tol)) - 0.5 * len(tol) * np.log(2 * np.pi)
    return np.where(np.isfinite(ll), ll, -np.inf)


def importance_weights(
    proposal: Proposal,
    values: np.ndarray,
    x: np.ndarray,
    tol: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """Normalised weights prior * likelihood / q_mix (all zero if no proposal has positive weight)."""
    log_prior = np.where(inside_box(proposal.thetas, lower, upper), -np.sum(np.log(upper - lower)), -np.inf)
    lw = log_prior + log_likelihood(values, x, tol) - proposal.log_q
    lw = np.where(np.isfinite(lw), lw, -np.inf)
    if not np.isfinite(lw).any():
        return np.zeros(len(lw))
    w = np.exp(lw - lw.max())
    return w / w.sum()


def kish_ess(w: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 (0 for all-zero weights)."""
    s = w.sum()
    return float(s * s / np.sum(w * w)) if s > 0 else 0.0


def weighted_quantile(values: np.ndarray, w: np.ndarray, q: float, order: np.ndarray | None = None) -> float:
    """Inverse of the weighted empirical CDF: the smallest value whose CDF reaches q (`order`:
    np.argsort(values) if already known)."""
    order = np.argsort(values) if order is None else order
    cdf = np.cumsum(w[order])
    k = min(int(np.searchsorted(cdf, q * cdf[-1])), len(order) - 1)
    return float(values[order][k])


def calibration_statistics(
    truth: np.ndarray, thetas: np.ndarray, w: np.ndarray, orders: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(fractional rank = weighted CDF at the truth, truth inside the central LEVEL interval) per parameter.

    All-zero weights (no usable proposal) give rank NaN and "not inside". `orders` (d, n): the
    argsort of each column of thetas, when the same thetas serve many data sets (the pool)."""
    d = len(truth)
    if w.sum() <= 0:
        return np.full(d, np.nan), np.zeros(d, dtype=bool)
    w = w / w.sum()
    tail = (1 - LEVEL) / 2
    ranks = np.array([w[thetas[:, k] < truth[k]].sum() for k in range(d)])
    inside = np.array(
        [
            weighted_quantile(thetas[:, k], w, tail, None if orders is None else orders[k])
            <= truth[k]
            <= weighted_quantile(thetas[:, k], w, 1 - tail, None if orders is None else orders[k])
            for k in range(d)
        ]
    )
    return ranks, inside


def systematic_resample(w: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n indices drawn by systematic resampling (Kitagawa 1996) from normalised weights, shuffled."""
    rng = stream_rng(seed, 4)
    positions = (rng.random() + np.arange(n)) / n
    idx = np.minimum(np.searchsorted(np.cumsum(w), positions), len(w) - 1)
    rng.shuffle(idx)
    return idx

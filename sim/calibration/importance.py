"""Importance-sampling arithmetic of the posterior (sim/calibration/posterior.py): proposals, exact
Gaussian likelihood, self-normalised weights, Pareto smoothing, effective sample size, weighted quantiles, the
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


def _gpd_fit(exceedances: np.ndarray) -> tuple[float, float]:
    """(shape k, scale sigma) of a generalized Pareto fit to sorted positive exceedances: the
    empirical-Bayes estimator of Zhang & Stephens (2009, Technometrics 51:316) with the weakly
    informative prior on k of Vehtari et al. (2024), as in their PSIS reference code."""
    n = len(exceedances)
    m = 30 + int(np.sqrt(n))
    b = 1 - np.sqrt(m / (np.arange(1, m + 1, dtype=float) - 0.5))
    b = b / (3 * exceedances[int(n / 4 + 0.5) - 1]) + 1 / exceedances[-1]
    k = np.log1p(-b[:, None] * exceedances).mean(axis=1)
    profile = n * (np.log(-b / k) - k - 1)
    with np.errstate(over="ignore"):  # exp overflows to inf where a b is far less likely: weight 0
        post = 1 / np.exp(profile - profile[:, None]).sum(axis=1)
    keep = post >= 10 * np.finfo(float).eps
    b, post = b[keep], post[keep] / post[keep].sum()
    b_hat = float(np.sum(b * post))
    k_hat = float(np.log1p(-b_hat * exceedances).mean())
    sigma = -k_hat / b_hat
    return (n * k_hat + 10 * 0.5) / (n + 10), sigma


def pareto_smooth(w: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed importance weights (PSIS; Vehtari, Simpson, Gelman, Yao & Gabry 2024,
    JMLR 25(72)) and the tail shape k-hat.

    The M = min(n/5, 3 sqrt(n)) largest raw weights (n positive weights) are replaced by the
    expected order statistics of a generalized Pareto fitted to them, capped at the largest raw
    weight: the few draws that dominate a raw weighted sample get a share their tail supports, which
    lowers the variance of weighted quantiles at little bias. k-hat > 0.7: even the smoothed
    estimate is unreliable (Vehtari et al.'s threshold). Returns normalised weights."""
    w = np.asarray(w, dtype=float)
    positive = np.flatnonzero(w > 0)
    n = len(positive)
    if n == 0:
        return np.zeros(len(w)), float("inf")
    m = int(np.ceil(min(0.2 * n, 3 * np.sqrt(n))))
    out = w / w.max()
    order = positive[np.argsort(out[positive])]
    if m < 5 or n <= m:
        return out / out.sum(), float("inf")
    cutoff = out[order[-m - 1]]
    tail = order[-m:]
    k, sigma = _gpd_fit(out[tail] - cutoff)
    if np.isfinite(k) and sigma > 0:
        p = (np.arange(m) + 0.5) / m
        quantiles = (
            -np.log1p(-p) if abs(k) < np.finfo(float).eps else np.expm1(-k * np.log1p(-p)) / k
        ) * sigma
        out[tail] = np.minimum(cutoff + quantiles, 1.0)
    return out / out.sum(), float(k)

"""Robustness metrics of candidate policies over an ensemble (definitions: docs/robust.md).

Inputs are objective values `v` of shape (C, M, K): C candidates, M ensemble members (the same
members for every candidate), K objectives; `maximise` (K,) is True for `max` objectives and
`thresholds` (K,) holds the satisficing thresholds (NaN: none). Values are in the objective's
own unit. NaN values (failed runs) are left out of means, percentiles and regrets, and count
as *not* satisficing.

    mean               mean over members
    low percentile     the p-th percentile for a max objective, the (100 - p)-th for a min one
                       (numpy's linear interpolation): the value in the candidate's bad cases
    regret             per member: |best value of any candidate on that member - this value|
                       (Savage); reported as its max (minimax regret) and mean over members
    satisficing share  share of members on which every objective with a threshold is met
                       (value >= threshold for max, <= for min)
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def _check(v: np.ndarray, maximise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(v, dtype=np.float64)
    mx = np.asarray(maximise, dtype=bool)
    if v.ndim != 3 or v.shape[2] != mx.shape[0]:
        raise ValueError(f"expected values (C, M, K) with K = {mx.shape[0]}, got shape {v.shape}")
    return v, mx


def mean(v: np.ndarray) -> np.ndarray:
    """(C, K) mean over members (NaN ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.asarray(v, dtype=np.float64), axis=1)


def low_percentile(v: np.ndarray, maximise: np.ndarray, p: float) -> np.ndarray:
    """(C, K) direction-aware low percentile: p-th (max objectives) or (100 - p)-th (min objectives)."""
    v, mx = _check(v, maximise)
    q = np.where(mx, p, 100.0 - p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([np.nanpercentile(v[:, :, k], q[k], axis=1) for k in range(v.shape[2])], axis=1)


def regret(v: np.ndarray, maximise: np.ndarray) -> np.ndarray:
    """(C, M, K) regret against the best candidate on each member (>= 0; NaN where v is NaN)."""
    v, mx = _check(v, maximise)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        best = np.where(mx, np.nanmax(v, axis=0), np.nanmin(v, axis=0))  # (M, K)
    return np.where(mx, best[None] - v, v - best[None])


def satisfied(v: np.ndarray, maximise: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(C, M) True where every objective with a threshold is met (NaN values fail)."""
    v, mx = _check(v, maximise)
    t = np.asarray(thresholds, dtype=np.float64)
    has = ~np.isnan(t)
    with np.errstate(invalid="ignore"):
        ok = np.where(mx, v >= t, v <= t)  # NaN compares False
    return np.all(ok[:, :, has], axis=2)


def satisficing_share(v: np.ndarray, maximise: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(C,) share of members satisficing; NaN for every candidate when no objective has a threshold."""
    if np.all(np.isnan(np.asarray(thresholds, dtype=np.float64))):
        return np.full(np.asarray(v).shape[0], np.nan)
    return satisfied(v, maximise, thresholds).mean(axis=1)


def table(
    v: np.ndarray, names: list[str], maximise: np.ndarray, thresholds: np.ndarray, p: float
) -> pd.DataFrame:
    """One row per candidate: `<obj>_mean`, `<obj>_p<p>`, `<obj>_regret_max`, `<obj>_regret_mean`,
    `satisficing` and `regret_score` (sum over objectives of max regret / the objective's spread
    over all candidates and members; 0 = never beaten on any member)."""
    v, mx = _check(v, maximise)
    mu, lo, rg = mean(v), low_percentile(v, mx, p), regret(v, mx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rmax, rmean = np.nanmax(rg, axis=1), np.nanmean(rg, axis=1)
        spread = np.nanmax(v, axis=(0, 1)) - np.nanmin(v, axis=(0, 1)) if v.size else np.ones(len(names))
    spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
    cols: dict[str, np.ndarray] = {}
    tag = f"p{p:g}"
    for k, n in enumerate(names):
        cols[f"{n}_mean"] = mu[:, k]
        cols[f"{n}_{tag}"] = lo[:, k]
        cols[f"{n}_regret_max"] = rmax[:, k]
        cols[f"{n}_regret_mean"] = rmean[:, k]
    cols["satisficing"] = satisficing_share(v, mx, thresholds)
    cols["regret_score"] = np.nansum(rmax / spread[None, :], axis=1)
    return pd.DataFrame(cols)


def paired_comparison(a: np.ndarray, b: np.ndarray) -> tuple[int, int, float]:
    """Members where policy A satisfices and B does not, the reverse, and the exact two-sided
    McNemar p-value (binomial test of the discordant pairs at 1/2; 1.0 with none)."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    n_ab, n_ba = int((a & ~b).sum()), int((b & ~a).sum())
    if n_ab + n_ba == 0:
        return n_ab, n_ba, 1.0
    from scipy.stats import binomtest

    return n_ab, n_ba, float(binomtest(n_ab, n_ab + n_ba, 0.5).pvalue)


def most_robust(metrics: pd.DataFrame, eligible: np.ndarray) -> int:
    """Row of the most robust eligible candidate: highest satisficing share, then lowest regret
    score, then the first row (NaN shares rank last)."""
    idx = np.flatnonzero(np.asarray(eligible, dtype=bool))
    if not len(idx):
        raise ValueError("no eligible candidate")
    share = metrics["satisficing"].to_numpy(dtype=np.float64)[idx]
    score = metrics["regret_score"].to_numpy(dtype=np.float64)[idx]
    order = np.lexsort((idx, score, -np.nan_to_num(share, nan=-1.0)))
    return int(idx[order[0]])


__all__ = [
    "low_percentile",
    "mean",
    "most_robust",
    "paired_comparison",
    "regret",
    "satisficing_share",
    "satisfied",
    "table",
]

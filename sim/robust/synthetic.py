"""Known-answer problem for the robust search (no simulator): a two-lever ZDT1.

    f1 = x + u,  g = 1 + 9 y,  f2 = g (1 - sqrt(x / g)) + u        (both minimised)

Levers x, y in [0, 1]; uncertainty u (a shift common to both objectives). For a fixed u the
Pareto set is y = 0, x in [0, 1], and the front is f2 - u = 1 - sqrt(f1 - u) (Zitzler, Deb &
Thiele 2000). Over an ensemble the member means are F1 = x + ubar, F2 = g(1 - sqrt(x/g)) + ubar,
so the front of the means is `front_f2(F1, ubar)`. The seed is unused (deterministic).
`zdt1_timed` is the same problem taking `TIMED_S` of wall time per run, standing in for a
simulator run's cost (the kill-and-resume test stops a search part-way through).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import numpy as np


def zdt1(params: Mapping[str, float], seed: int) -> dict[str, float]:
    """f1, f2 of the two-lever ZDT1 with shift `u` (0 if absent)."""
    del seed
    x, y, u = float(params["x"]), float(params["y"]), float(params.get("u", 0.0))
    g = 1.0 + 9.0 * y
    return {"f1": x + u, "f2": g * (1.0 - math.sqrt(x / g)) + u}


TIMED_S = 0.02


def zdt1_timed(params: Mapping[str, float], seed: int) -> dict[str, float]:
    """`zdt1`, sleeping `TIMED_S` seconds first."""
    time.sleep(TIMED_S)
    return zdt1(params, seed)


def front_f2(f1: np.ndarray, shift: float = 0.0) -> np.ndarray:
    """The analytic front: f2 = 1 - sqrt(f1 - shift) + shift, f1 in [shift, 1 + shift]."""
    return 1.0 - np.sqrt(np.clip(np.asarray(f1, dtype=np.float64) - shift, 0.0, 1.0)) + shift


def front_distance(points: np.ndarray, shift: float = 0.0, n: int = 20_001) -> tuple[np.ndarray, float]:
    """(distance of each point (P, 2) to the analytic front, IGD: mean distance of n front points
    to the nearest point), in objective units."""
    f1 = np.linspace(0.0, 1.0, n) + shift
    front = np.column_stack([f1, front_f2(f1, shift)])
    pts = np.asarray(points, dtype=np.float64)
    d = np.sqrt(((pts[:, None, :] - front[None, ::10, :]) ** 2).sum(axis=2))  # coarse, then refine
    gd = np.array([np.sqrt(((front - p) ** 2).sum(axis=1)).min() for p in pts])
    igd = float(d.min(axis=0).mean())
    return gd, igd


__all__ = ["TIMED_S", "front_distance", "front_f2", "zdt1", "zdt1_timed"]

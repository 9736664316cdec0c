"""Known-answer test functions for custom-model sweeps (`model: sim.sweep.models:ishigami`).

A custom model is `fn(params: dict[str, value], seed: int) -> dict[str, float]`: it receives the
run's parameter values keyed by column name and the run's seed, and returns scalar outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def ishigami(params: Mapping[str, float], seed: int) -> dict[str, float]:
    """Ishigami function y = sin x1 + a sin^2 x2 + b x3^4 sin x1 (a = 7, b = 0.1), x_i in [-pi, pi].

    Parameters `x1`, `x2`, `x3`; the seed is unused (deterministic). Analytic Sobol indices:
    S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) (Ishigami & Homma 1990).
    """
    del seed
    x1, x2, x3 = float(params["x1"]), float(params["x2"]), float(params["x3"])
    return {"y": math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * math.sin(x1)}


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, tuple[float, float, float]]:
    """Analytic first-order (S1) and total (ST) Sobol indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": (v1 / v, v2 / v, 0.0), "ST": ((v1 + v13) / v, v2 / v, v13 / v)}


def linear_noise(params: Mapping[str, float], seed: int) -> dict[str, float]:
    """y = 2 a + b + 0.25 e, e standard normal from the run's seed: a stochastic test function."""
    import numpy as np

    noise = float(np.random.default_rng(seed).standard_normal())
    return {"y": 2.0 * float(params["a"]) + float(params["b"]) + 0.25 * noise}

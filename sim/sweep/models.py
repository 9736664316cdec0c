"""Custom-model sweeps: which models a sweep may name (`resolve_model`) and the project's own
known-answer test functions (`model: sim.sweep.models:ishigami`).

A custom model is `fn(params: dict[str, value], seed: int) -> dict[str, float]`: it receives the
run's parameter values keyed by column name and the run's seed, and returns scalar outcomes.

A sweep file is data, not code: its `model:` must be one of

- the project's models (`PROJECT_MODELS`);
- a model a package registers under the entry point group ``mvsim.sweep_models``
  (in its pyproject.toml: ``[project.entry-points."mvsim.sweep_models"]``
  ``my_model = "my_package.models:my_model"``; the sweep names ``my_package.models:my_model``
  or ``my_model``);
- a model allowed for this run: ``mvsim sweep --allow-model module:function`` (repeatable), or
  ``MVSIM_ALLOW_MODELS=module:function,...`` in the environment (the API and workers).

Anything else (``builtins:print``, ``os:system``) is refused before it is imported.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

ENTRY_POINT_GROUP = "mvsim.sweep_models"
ALLOW_ENV = "MVSIM_ALLOW_MODELS"
PROJECT_MODELS = ("sim.sweep.models:ishigami", "sim.sweep.models:linear_noise")
_ALLOWED: set[str] = set()  # models allowed in this process (`--allow-model`)


class ModelNotAllowed(ValueError):
    """A sweep names a model that is neither the project's, registered, nor allowed."""


def allow(entries: Iterable[str]) -> None:
    """Allow these 'module:function' models in this process (`mvsim sweep --allow-model`)."""
    _ALLOWED.update(str(e).strip() for e in entries if str(e).strip())


def registered() -> dict[str, str]:
    """Models registered under the entry point group: name -> 'module:function'."""
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def allowed_models() -> set[str]:
    """Every 'module:function' a sweep may name here: the project's, the registered ones and
    those allowed by `allow` or ``MVSIM_ALLOW_MODELS``."""
    env = {e.strip() for e in os.environ.get(ALLOW_ENV, "").split(",") if e.strip()}
    return {*PROJECT_MODELS, *registered().values(), *_ALLOWED, *env}


def resolve_model(name: str, allowed: Iterable[str] | None = None) -> Callable[..., Any]:
    """The function a sweep's `model:` names, if it is in `allowed` (default: `allowed_models()`);
    a registered entry point may be named by its name. Raises ModelNotAllowed before importing
    anything otherwise, ImportError/AttributeError/TypeError if it cannot be had."""
    entries = registered()
    entry = entries.get(name, name)
    ok = set(allowed) if allowed is not None else allowed_models()
    if entry not in ok:
        raise ModelNotAllowed(
            f"{name[:80]!r} is not a model this tool runs; expected one of the project's models "
            f"({', '.join(PROJECT_MODELS)}), one registered under the entry point group "
            f"{ENTRY_POINT_GROUP!r}, or one allowed with `mvsim sweep --allow-model module:function`"
        )
    module, _, attr = entry.partition(":")
    fn = getattr(importlib.import_module(module), attr)
    if not callable(fn):
        raise TypeError(f"{entry} is not callable")
    return fn


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

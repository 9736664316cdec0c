"""Ensembles and evaluation: every candidate policy run on every member of an ensemble.

An ensemble (`make_ensemble`) is `n` uncertainty points from a seeded design (Latin hypercube or
Monte Carlo, `sim.seeds.design_rng(seed)`) x `replications` run seeds; member `m` is point
`m // replications` with seed `run_seed(seed, m)`. Every candidate sees the same members (common
random numbers), so differences between candidates come from the levers alone.

`evaluate` runs candidates x members on `sim.runs.executors.map_items` (a process pool with
`workers` > 1) and returns objective values (C, M, K); a run depends only on (candidate, member),
so the array is identical for any worker count. A candidate is a dict lever -> value (a label for
categorical levers), or None for the baseline policy (the base scenario's own lever values: no
lever overrides). The evaluator is the simulator (`sim.runs.job.run_job` with path overrides,
outcomes from `sim.sweep.outcomes`) or a project model `fn(params, seed) -> {objective: value}`
(`model:`, e.g. the known-answer problem sim.robust.synthetic:zdt1).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.robust.load import LoadedRobust
from sim.robust.spec import EnsembleSpec, UncertaintySpec
from sim.runs.executors import map_items
from sim.seeds import design_rng, run_seed
from sim.sweep.design import _from_unit, latin_hypercube
from sim.sweep.spec import ParameterSpec

Candidate = dict[str, Any] | None
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Ensemble:
    """Members of an ensemble: point index, run seed and uncertainty values, (M,) each."""

    label: str  # 'search' or 'reevaluation'
    points: np.ndarray
    seeds: np.ndarray
    values: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return len(self.seeds)

    def member(self, m: int) -> dict[str, Any]:
        return {k: _py(v[m]) for k, v in self.values.items()}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"member": np.arange(self.size), "point": self.points, "seed": self.seeds, **self.values}
        )


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def as_parameter(u: UncertaintySpec) -> ParameterSpec:
    """The uncertainty as a sweep parameter (to reuse the sweep design's sampling)."""
    return ParameterSpec(
        path=u.path or u.name, name=u.name, range=u.range, values=u.values, integer=u.integer
    )


def make_ensemble(uncertainties: list[UncertaintySpec], ens: EnsembleSpec, label: str) -> Ensemble:
    """The ensemble's members (a pure function of the uncertainties and `ens`)."""
    rng = design_rng(ens.seed)
    d = len(uncertainties)
    u = latin_hypercube(ens.n, d, rng) if ens.design == "latin_hypercube" else rng.random((ens.n, d))
    point_values = {x.name: _from_unit(as_parameter(x), u[:, j]) for j, x in enumerate(uncertainties)}
    members = np.arange(ens.n * ens.replications)
    points = members // ens.replications
    seeds = np.array([run_seed(ens.seed, int(m)) for m in members], dtype=np.int64)
    return Ensemble(label, points, seeds, {k: v[points] for k, v in point_values.items()})


@dataclass
class RunBatch:
    """A `map_items` job: item `i` is candidate `i // M` on member `i % M` -> (values (K,), error,
    CPU seconds of the run in its process)."""

    loaded: LoadedRobust
    candidates: list[Candidate]
    ensemble: Ensemble
    _state: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"loaded": self.loaded, "candidates": self.candidates, "ensemble": self.ensemble, "_state": {}}

    def setup(self) -> None:
        if self._state:
            return
        spec = self.loaded.spec
        if spec.model is not None:
            from sim.robust.load import ROBUST_MODELS
            from sim.sweep.models import allowed_models, resolve_model

            self._state["fn"] = resolve_model(spec.model, allowed={*allowed_models(), *ROBUST_MODELS})
        else:
            from sim.sweep.outcomes import Reducer

            assert self.loaded.base is not None
            names = [o.name for o in spec.objectives]
            self._state["reducer"] = Reducer(self.loaded.base.world, spec.focus, names, [])

    def overrides(self, cand: Candidate, m: int) -> list[tuple[Any, Any]]:
        """Scenario overrides of candidate `cand` on member `m` (levers first, then uncertainties)."""
        ld = self.loaded
        out: list[tuple[Any, Any]] = []
        if cand is not None:
            for lv, lk in zip(ld.spec.levers, ld.lever_keys, strict=True):
                out += lk.overrides(lv, cand[lv.name])
        for u, keys in zip(ld.spec.uncertainties, ld.uncertainty_keys, strict=True):
            out.append((keys, _py(self.ensemble.values[u.name][m])))
        return out

    def __call__(self, item: int) -> tuple[list[float], str, float]:
        t0 = time.process_time()
        vals, err = self._run(item)
        return vals, err, time.process_time() - t0

    def _run(self, item: int) -> tuple[list[float], str]:
        self.setup()
        c, m = divmod(int(item), self.ensemble.size)
        cand = self.candidates[c]
        spec = self.loaded.spec
        seed = int(self.ensemble.seeds[m])
        names = [o.name for o in spec.objectives]
        try:
            if spec.model is not None:
                params = {**self.loaded.baseline, **(cand or {}), **self.ensemble.member(m)}
                res = self._state["fn"](params, seed)
                return [float(res[n]) for n in names], ""
            from sim.runs.job import run_job

            assert self.loaded.base is not None
            reducer = self._state["reducer"]
            run = run_job(
                self.loaded.base, seed, overrides=self.overrides(cand, m), record_flows=reducer.needs_flows
            )
            scalars, _ = reducer.reduce(run.output, run.world)
            return [float(scalars[n]) for n in names], ""
        except Exception as exc:  # a failing run is recorded (NaN objectives), the search goes on
            text = f"{type(exc).__name__}: {exc}".replace("\n", " | ")
            return [math.nan] * len(names), text[:MAX_ERROR_CHARS]


@dataclass
class Evaluated:
    """Objective values (C, M, K), error text per run ('' if ok) and CPU seconds per run (C, M)."""

    values: np.ndarray
    errors: list[list[str]]
    cpu_s: np.ndarray


def evaluate(
    loaded: LoadedRobust,
    candidates: list[Candidate],
    ensemble: Ensemble,
    workers: int | None = 1,
    progress: bool | None = False,
    desc: str = "runs",
) -> Evaluated:
    """Run `candidates` on every member of `ensemble` (on `workers` processes)."""
    k = len(loaded.spec.objectives)
    if not candidates:
        return Evaluated(np.empty((0, ensemble.size, k)), [], np.empty((0, ensemble.size)))
    job = RunBatch(loaded, list(candidates), ensemble)
    items = list(range(len(candidates) * ensemble.size))
    res = map_items(job, items, workers=workers, progress=progress, desc=desc)
    values = np.array([r[0] for r in res], dtype=np.float64).reshape(len(candidates), ensemble.size, k)
    errors = [
        [r[1] for r in res[c * ensemble.size : (c + 1) * ensemble.size]] for c in range(len(candidates))
    ]
    cpu = np.array([r[2] for r in res], dtype=np.float64).reshape(len(candidates), ensemble.size)
    return Evaluated(values, errors, cpu)


def runs_frame(
    loaded: LoadedRobust,
    ids: list[int],
    candidates: list[Candidate],
    ensemble: Ensemble,
    ev: Evaluated,
) -> pd.DataFrame:
    """One row per (candidate, member): ids, levers, member, seed, uncertainties, objectives, error,
    cpu_s (CPU seconds of the run: the one column that differs between identical runs)."""
    spec = loaded.spec
    c_n, m_n = len(candidates), ensemble.size
    cols: dict[str, Any] = {
        "candidate": np.repeat(np.asarray(ids, dtype=np.int64), m_n),
        "ensemble": [ensemble.label] * (c_n * m_n),
    }
    for lv in spec.levers:
        col = [loaded.baseline.get(lv.name) if c is None else c[lv.name] for c in candidates]
        arr = pd.Series(np.repeat(np.asarray(col, dtype=object), m_n))
        cols[lv.name] = arr.astype(str) if lv.type == "categorical" else pd.to_numeric(arr, errors="coerce")
    cols["member"] = np.tile(np.arange(m_n), c_n)
    cols["point"] = np.tile(ensemble.points, c_n)
    cols["seed"] = np.tile(ensemble.seeds, c_n)
    for name, v in ensemble.values.items():
        cols[name] = np.tile(v, c_n)
    for j, o in enumerate(spec.objectives):
        cols[o.name] = ev.values[:, :, j].reshape(-1)
    cols["error"] = [e for row in ev.errors for e in row]
    cols["cpu_s"] = ev.cpu_s.reshape(-1)
    return pd.DataFrame(cols)


__all__ = [
    "Candidate",
    "Ensemble",
    "Evaluated",
    "RunBatch",
    "as_parameter",
    "evaluate",
    "make_ensemble",
    "runs_frame",
]

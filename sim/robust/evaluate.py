"""Ensembles and evaluation: every candidate policy run on every member of an ensemble.

An ensemble (`make_ensemble`) is `n` uncertainty points from a seeded design (Latin hypercube or
Monte Carlo, `sim.seeds.design_rng(seed)`) x `replications` run seeds; member `m` is point
`m // replications` with seed `run_seed(seed, m)`. Every candidate sees the same members (common
random numbers), so differences between candidates come from the levers alone.

An uncertainty of `type: posterior` is the calibrated posterior (sim.calibration.ensemble_draws):
point p gets a draw index by systematic resampling on the draws' weights from the ensemble's own
draw stream (`assign_draws(draws, seed, n, 1)`, `sim.seeds.draw_rng(seed)`), and every member of
that point runs with that draw's parameters (levers and other uncertainties set on top). Like the
seeds, the draws are common to every candidate.

A `Runner` runs candidates x members (tasks of one run each) on a `sim.runs.executors` executor
(in this process for 1 worker, a process pool, or Dask with `scheduler`), saving chunks of runs
to a `sim.robust.store.RobustStore` as they complete and reading those a killed run had saved;
it returns objective values (C, M, K). A run depends only on (candidate, member), so the array
is identical for any worker count or executor. A candidate is a dict lever -> value (a label for
categorical levers), or None for the baseline policy (the base scenario's own lever values: no
lever overrides). The evaluator is the simulator (`sim.runs.job.run_job` with path overrides,
outcomes from `sim.sweep.outcomes`) or a project model `fn(params, seed) -> {objective: value}`
(`model:`, e.g. the known-answer problem sim.robust.synthetic:zdt1).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.robust.load import LoadedRobust
from sim.robust.spec import EnsembleSpec, UncertaintySpec
from sim.runs.executors import usable_cpus
from sim.seeds import design_rng, run_seed
from sim.sweep.design import _from_unit, latin_hypercube
from sim.sweep.spec import ParameterSpec

if TYPE_CHECKING:
    from sim.calibration.ensemble_draws import PosteriorDraws
    from sim.robust.store import RobustStore

Candidate = dict[str, Any] | None
RunResult = tuple[list[float], str, float]  # objective values, error text ('' if ok), CPU s
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


def make_ensemble(
    uncertainties: list[UncertaintySpec],
    ens: EnsembleSpec,
    label: str,
    posterior: PosteriorDraws | None = None,
) -> Ensemble:
    """The ensemble's members (a pure function of the uncertainties, `ens` and the draws)."""
    rng = design_rng(ens.seed)
    ranged = [x for x in uncertainties if x.type != "posterior"]
    d = len(ranged)
    u = latin_hypercube(ens.n, d, rng) if ens.design == "latin_hypercube" else rng.random((ens.n, d))
    point_values = {x.name: _from_unit(as_parameter(x), u[:, j]) for j, x in enumerate(ranged)}
    for x in uncertainties:
        if x.type == "posterior":
            if posterior is None:
                raise ValueError(f"uncertainty {x.name!r} is the posterior: pass its draws")
            from sim.calibration.ensemble_draws import assign_draws

            point_values[x.name] = np.asarray(assign_draws(posterior, ens.seed, ens.n, 1), dtype=np.int64)
    point_values = {x.name: point_values[x.name] for x in uncertainties}  # the file's order
    members = np.arange(ens.n * ens.replications)
    points = members // ens.replications
    seeds = np.array([run_seed(ens.seed, int(m)) for m in members], dtype=np.int64)
    return Ensemble(label, points, seeds, {k: v[points] for k, v in point_values.items()})


class RunContext:
    """What every worker needs (sent once per worker process: pool initializer, Dask broadcast):
    the loaded file and the ensembles by label. `run(task)` runs one (candidate, ensemble, member)."""

    def __init__(self, loaded: LoadedRobust, ensembles: dict[str, Ensemble]):
        self.loaded = loaded
        self.ensembles = ensembles
        self._state: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"loaded": self.loaded, "ensembles": self.ensembles}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _state={})

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

    def overrides(self, cand: Candidate, ensemble: Ensemble, m: int) -> list[tuple[Any, Any]]:
        """Scenario overrides of candidate `cand` on member `m` (levers first, then uncertainties)."""
        ld = self.loaded
        out: list[tuple[Any, Any]] = []
        if cand is not None:
            for lv, lk in zip(ld.spec.levers, ld.lever_keys, strict=True):
                out += lk.overrides(lv, cand[lv.name])
        for u, keys in zip(ld.spec.uncertainties, ld.uncertainty_keys, strict=True):
            if u.type != "posterior":
                out.append((keys, _py(ensemble.values[u.name][m])))
        return out

    def run(self, task: tuple[Candidate, str, int]) -> RunResult:
        """(objective values (K,), error text ('' if ok), CPU seconds of the run in its process)."""
        t0 = time.process_time()
        vals, err = self._run(*task)
        return vals, err, time.process_time() - t0

    def _run(self, cand: Candidate, label: str, m: int) -> tuple[list[float], str]:
        self.setup()
        ensemble = self.ensembles[label]
        spec = self.loaded.spec
        seed = int(ensemble.seeds[m])
        names = [o.name for o in spec.objectives]
        try:
            if spec.model is not None:
                params = {**self.loaded.baseline, **(cand or {}), **ensemble.member(m)}
                res = self._state["fn"](params, seed)
                return [float(res[n]) for n in names], ""
            from sim.runs.job import run_job

            assert self.loaded.base is not None
            reducer = self._state["reducer"]
            draw = None
            post = self.loaded.posterior_uncertainty
            if post is not None:
                assert self.loaded.posterior is not None
                draw = self.loaded.posterior.draw(int(ensemble.values[post.name][m]))
            run = run_job(
                self.loaded.base,
                seed,
                draw=draw,
                overrides=self.overrides(cand, ensemble, m),
                record_flows=reducer.needs_flows,
            )
            scalars, _ = reducer.reduce(run.output, run.world)
            return [float(scalars[n]) for n in names], ""
        except Exception as exc:  # a failing run is recorded (NaN objectives), the search goes on
            text = f"{type(exc).__name__}: {exc}".replace("\n", " | ")
            return [math.nan] * len(names), text[:MAX_ERROR_CHARS]


def _run_task(ctx: RunContext, task: tuple[int, Candidate, str, int]) -> RunResult:
    """Worker side: run one task (index, candidate, ensemble label, member); the context's derived
    state (model function or outcome reducer) is built once per process."""
    return ctx.run(task[1:])


@dataclass
class Evaluated:
    """Objective values (C, M, K), error text per run ('' if ok) and CPU seconds per run (C, M)."""

    values: np.ndarray
    errors: list[list[str]]
    cpu_s: np.ndarray


class Runner:
    """Runs candidates on ensembles: on a process pool (`workers` > 1), in this process (1) or on
    a Dask cluster (`scheduler`), saving each chunk of runs to a `RobustStore` (if given) and
    reading the chunks a killed run had saved instead of running them again."""

    def __init__(
        self,
        loaded: LoadedRobust,
        workers: int | None = 1,
        scheduler: str | None = None,
        store: RobustStore | None = None,
        progress: bool | None = False,
    ):
        self.loaded = loaded
        self.workers = usable_cpus() if workers is None else max(1, int(workers))
        self.scheduler = scheduler
        self.store = store
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.ensembles: dict[str, Ensemble] = {}
        self.executor_name = "none"
        self.n_workers = 0

    def evaluate(self, candidates: list[Candidate], ensemble: Ensemble, desc: str = "runs") -> Evaluated:
        """Run `candidates` on every member of `ensemble`; values (C, M, K) in candidate order."""
        from sim.robust.store import CHUNK_RUNS, policy_key
        from sim.runs.executors import WorkerDied, make_executor, stream
        from sim.sweep.runner import _progress

        self.ensembles[ensemble.label] = ensemble
        k, size = len(self.loaded.spec.objectives), ensemble.size
        n = len(candidates) * size
        if not candidates:
            return Evaluated(np.empty((0, size, k)), [], np.empty((0, size)))
        keys = [policy_key(self.loaded, c) for c in candidates]
        runs = [(keys[i // size], i % size, int(ensemble.seeds[i % size])) for i in range(n)]
        results: list[RunResult | None] = [None] * n
        chunks = self.store.chunks(n) if self.store is not None else [-1]
        step = CHUNK_RUNS if self.store is not None else n
        todo: list[int] = []
        pending: dict[int, int] = {}  # chunk position -> runs still missing
        for j, chunk in enumerate(chunks):
            lo, hi = j * step, min(n, (j + 1) * step)
            if self.store is not None and self.store.done(chunk):
                results[lo:hi] = self.store.read(chunk, runs[lo:hi])
            else:
                todo += range(lo, hi)
                pending[j] = hi - lo
        bar = _progress(n, n - len(todo), bool(self.progress), desc)
        try:
            if todo:
                ctx = RunContext(self.loaded, {ensemble.label: ensemble})
                executor = make_executor(min(self.workers, len(todo)), self.scheduler, shared=ctx)
                self.executor_name, self.n_workers = executor.name, executor.workers
                tasks = [(i, candidates[i // size], ensemble.label, i % size) for i in todo]
                with executor as ex:
                    for task, res in stream(ex, _run_task, tasks):
                        i = task[0]
                        if isinstance(res, WorkerDied):
                            res = (
                                [math.nan] * k,
                                f"worker process died {res.attempts} times in this run",
                                0.0,
                            )
                        results[i] = res
                        bar.update(1)
                        j = i // step
                        pending[j] -= 1
                        if pending[j] == 0 and self.store is not None:
                            lo, hi = j * step, min(n, (j + 1) * step)
                            done = [r for r in results[lo:hi] if r is not None]
                            self.store.write(chunks[j], ensemble.label, runs[lo:hi], done)
        finally:
            bar.close()
        res_ok = [r for r in results if r is not None]
        assert len(res_ok) == n
        values = np.array([r[0] for r in res_ok], dtype=np.float64).reshape(len(candidates), size, k)
        errors = [[r[1] for r in res_ok[c * size : (c + 1) * size]] for c in range(len(candidates))]
        cpu = np.array([r[2] for r in res_ok], dtype=np.float64).reshape(len(candidates), size)
        return Evaluated(values, errors, cpu)


def evaluate(
    loaded: LoadedRobust,
    candidates: list[Candidate],
    ensemble: Ensemble,
    workers: int | None = 1,
    progress: bool | None = False,
    desc: str = "runs",
) -> Evaluated:
    """Run `candidates` on every member of `ensemble` (on `workers` processes, nothing saved)."""
    return Runner(loaded, workers, progress=progress).evaluate(list(candidates), ensemble, desc)


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
    "RunContext",
    "Runner",
    "as_parameter",
    "evaluate",
    "make_ensemble",
    "runs_frame",
]

"""Chunked execution of a sweep: serial, a local process pool or a Dask cluster, one interface.

    from sim.sweep import load_sweep, run_sweep
    summary = run_sweep(load_sweep("scenarios/sweeps/smoke.yaml"), "results/sweeps/smoke", workers=2)

Runs are grouped into chunks of `chunk_size` consecutive run ids (a function of the design
alone). A task is one chunk: for each run the worker calls `sim.runs.job.run_job` (the run's
overrides and posterior draw set on the base scenario, re-validated, `record_flows=False` unless
an outcome needs bilateral flows) and reduces the output to the requested outcomes; a run that
raises is recorded with status 'error' and its message, and the chunk goes on. Chunks go to a
`sim.runs.executors` executor (serial, process pool or Dask); workers receive the base scenario
once (pool initializer / Dask broadcast) and cache what they derive from it per process. The
parent writes each finished chunk to the store and keeps nothing else, so its memory does not
grow with the run count; at most `2 x workers` chunks are in flight.

Every run's result depends only on its overrides and its seed, so the tables are identical bit
for bit whatever the executor or worker count.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.runs.executors import (
    DaskExecutor,
    Executor,
    PoolExecutor,
    SerialExecutor,
    WorkerDied,
    make_executor,
    stream,
    usable_cpus,
)
from sim.scenario.overrides import Keys
from sim.seeds import run_seed
from sim.sweep.design import make_design
from sim.sweep.load import LoadedSweep, import_model
from sim.sweep.store import SweepStore, completed_chunks, failed_runs, status_counts

MAX_ERROR_CHARS = 2000
MAX_FAILURES = 10  # failed runs listed in the summary
_ARROW = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "string": pa.string()}


# ============================================================================ context and tasks
@dataclass(frozen=True)
class RunContext:
    """What every worker needs, sent once per worker process."""

    key: str  # the sweep fingerprint: cache key in workers
    model: str | None  # custom model 'module:function', or None for the simulator
    base_mapping: dict[str, Any] | None  # the merged, validated base scenario
    base_flows: np.ndarray | None  # (N, N, G) USD bn/yr
    columns: tuple[str, ...]  # parameter columns
    kinds: tuple[str, ...]  # 'float' | 'int' | 'bool' | 'string' per column
    keys: tuple[Keys, ...]  # resolved scenario keys per column (simulator)
    scalars: tuple[str, ...]
    series: tuple[str, ...]
    focus: str
    posterior: Any = None  # sim.calibration.ensemble_draws.PosteriorDraws with `posterior: true`

    @classmethod
    def from_sweep(cls, loaded: LoadedSweep) -> RunContext:
        spec = loaded.spec
        return cls(
            key=loaded.fingerprint,
            model=spec.model,
            base_mapping=loaded.base_mapping,
            base_flows=None if loaded.base is None else np.asarray(loaded.base.baseline_flows),
            columns=tuple(p.column for p in spec.parameters),
            kinds=tuple(p.kind for p in spec.parameters),
            keys=loaded.keys,
            scalars=tuple(spec.outcomes.scalars),
            series=tuple(spec.outcomes.series),
            focus=spec.focus,
            posterior=loaded.posterior,
        )

    def schemas(self) -> dict[str, pa.Schema]:
        """Arrow schemas of the experiments, outcomes and series tables."""
        id_cols = ["run_id", "point", "replication", "seed", "chunk"]
        if self.posterior is not None:
            id_cols.append("draw")  # the posterior draw of the run's parameters
        ids = [pa.field(c, pa.int64()) for c in id_cols]
        params = [pa.field(c, _ARROW[k]) for c, k in zip(self.columns, self.kinds, strict=True)]
        status = [pa.field("status", pa.string()), pa.field("error", pa.string())]
        return {
            "experiments": pa.schema(ids + params + status),
            "outcomes": pa.schema(
                [pa.field("run_id", pa.int64())] + [pa.field(s, pa.float64()) for s in self.scalars]
            ),
            "series": pa.schema(
                [pa.field("run_id", pa.int64()), pa.field("month", pa.string())]
                + [pa.field(s, pa.float64()) for s in self.series]
            ),
        }


@dataclass(frozen=True)
class ChunkTask:
    """Runs `run_ids` (consecutive) with their design point, replication, seed and parameter values."""

    chunk: int
    run_ids: np.ndarray
    points: np.ndarray
    replications: np.ndarray
    seeds: np.ndarray
    values: dict[str, np.ndarray]
    draws: np.ndarray | None = None  # posterior draw index per run (`posterior: true`)


@dataclass
class ChunkResult:
    """A finished chunk: its tables (Arrow) and failure count."""

    chunk: int
    n_runs: int
    n_failed: int
    tables: dict[str, pa.Table | None]


def chunk_tasks(loaded: LoadedSweep, skip: Iterable[int] = ()) -> Iterator[ChunkTask]:
    """The chunk tasks of a sweep in chunk order, leaving out the chunks in `skip`."""
    spec = loaded.spec
    design = make_design(spec)
    reps = spec.replications
    done = set(skip)
    rep_draws = None
    if loaded.posterior is not None:  # replication r uses the same draw at every point
        from sim.calibration.ensemble_draws import assign_draws

        rep_draws = np.asarray(
            assign_draws(loaded.posterior, spec.seed, reps, spec.seeds_per_draw), dtype=np.int64
        )
    for c in range(loaded.n_chunks):
        if c in done:
            continue
        runs = np.arange(
            c * loaded.chunk_size, min(loaded.n_runs, (c + 1) * loaded.chunk_size), dtype=np.int64
        )
        points, repl = runs // reps, runs % reps
        stream = repl if spec.common_random_numbers else runs
        seeds = np.array([run_seed(spec.seed, int(i)) for i in stream], dtype=np.int64)
        yield ChunkTask(
            c,
            runs,
            points,
            repl,
            seeds,
            {col: arr[points] for col, arr in design.items()},
            None if rep_draws is None else rep_draws[repl],
        )


# ============================================================================ worker side
class _Simulator:
    """Evaluates runs of the simulator for one context (cached per worker process)."""

    def __init__(self, ctx: RunContext):
        from sim.runs.job import Base
        from sim.scenario.schema import ScenarioSpec
        from sim.sweep.outcomes import Reducer

        assert ctx.base_mapping is not None and ctx.base_flows is not None
        self.ctx = ctx
        self.base = Base.of_mapping(
            ScenarioSpec.model_validate(ctx.base_mapping), ctx.base_flows, ctx.base_mapping
        )
        self.reducer = Reducer(self.base.world, ctx.focus, ctx.scalars, ctx.series)

    def __call__(
        self, values: dict[str, Any], seed: int, draw: int | None = None
    ) -> tuple[dict[str, float], dict[str, np.ndarray], list[str]]:
        from sim.runs.job import run_job

        ctx = self.ctx
        overrides = [(k, values[c]) for c, k in zip(ctx.columns, ctx.keys, strict=True)]
        # the draw's parameters first; a varied parameter overrides its draw
        drawn = None if draw is None else ctx.posterior.draw(draw)
        done = run_job(
            self.base, seed, draw=drawn, overrides=overrides, record_flows=self.reducer.needs_flows
        )
        scalars, series = self.reducer.reduce(done.output, done.world)
        return scalars, series, done.output.months


class _CustomModel:
    """Evaluates runs of a custom model `fn(params, seed) -> {outcome: float}`."""

    def __init__(self, ctx: RunContext):
        assert ctx.model is not None
        self.fn = import_model(ctx.model)
        self.scalars = ctx.scalars

    def __call__(
        self, values: dict[str, Any], seed: int
    ) -> tuple[dict[str, float], dict[str, np.ndarray], list[str]]:
        result = self.fn(dict(values), seed)
        missing = [s for s in self.scalars if s not in result]
        if missing:
            raise KeyError(
                f"the model returned no {', '.join(missing)} (returned {', '.join(map(str, result))})"
            )
        return {s: float(result[s]) for s in self.scalars}, {}, []


_EVALUATORS: dict[str, Any] = {}
_EVAL_LOCK = threading.Lock()


def _evaluator(ctx: RunContext) -> Any:
    with _EVAL_LOCK:
        ev = _EVALUATORS.get(ctx.key)
        if ev is None:
            ev = _CustomModel(ctx) if ctx.model is not None else _Simulator(ctx)
            _EVALUATORS.clear()  # one sweep at a time per process
            _EVALUATORS[ctx.key] = ev
        return ev


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _message(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " | ")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."


def run_chunk(ctx: RunContext, task: ChunkTask, failure: str | None = None) -> ChunkResult:
    """Run one chunk; never raises for a failing run (it is recorded with status 'error').

    With `failure`, nothing is run: every run of the chunk is recorded as failed with that message
    (a chunk whose worker process died `MAX_WORKER_RETRIES` times)."""
    schemas = ctx.schemas()
    n = len(task.run_ids)
    status: list[str] = []
    errors: list[str] = []
    ok_ids: list[int] = []
    scal: dict[str, list[float]] = {s: [] for s in ctx.scalars}
    ser_ids: list[np.ndarray] = []
    ser_months: list[str] = []
    ser: dict[str, list[np.ndarray]] = {s: [] for s in ctx.series}
    evaluate: Any = None
    setup_error = failure
    if failure is None:
        try:
            evaluate = _evaluator(ctx)
        except Exception as exc:
            setup_error = f"worker setup failed: {_message(exc)}"
    for i in range(n):
        values = {c: _py(task.values[c][i]) for c in ctx.columns}
        if evaluate is None:
            status.append("error")
            errors.append(setup_error or "")
            continue
        try:
            if task.draws is not None:
                scalars, series, months = evaluate(values, int(task.seeds[i]), int(task.draws[i]))
            else:
                scalars, series, months = evaluate(values, int(task.seeds[i]))
        except Exception as exc:
            status.append("error")
            errors.append(_message(exc))
            continue
        status.append("ok")
        errors.append("")
        rid = int(task.run_ids[i])
        ok_ids.append(rid)
        for s in ctx.scalars:
            scal[s].append(scalars[s])
        if ctx.series:
            ser_ids.append(np.full(len(months), rid, dtype=np.int64))
            ser_months.extend(months)
            for s in ctx.series:
                ser[s].append(series[s])
    exp_cols: dict[str, Any] = {
        "run_id": task.run_ids,
        "point": task.points,
        "replication": task.replications,
        "seed": task.seeds,
        "chunk": np.full(n, task.chunk, dtype=np.int64),
    }
    if ctx.posterior is not None:
        exp_cols["draw"] = task.draws
    for c, k in zip(ctx.columns, ctx.kinds, strict=True):
        col = task.values[c]
        exp_cols[c] = col.tolist() if k == "string" else col
    exp_cols["status"] = status
    exp_cols["error"] = errors
    tables: dict[str, pa.Table | None] = {
        "experiments": pa.Table.from_pydict(exp_cols, schema=schemas["experiments"]),
        "outcomes": pa.Table.from_pydict(
            {
                "run_id": np.asarray(ok_ids, dtype=np.int64),
                **{s: np.asarray(v, dtype=np.float64) for s, v in scal.items()},
            },
            schema=schemas["outcomes"],
        ),
        "series": None,
    }
    if ctx.series:
        tables["series"] = pa.Table.from_pydict(
            {
                "run_id": np.concatenate(ser_ids) if ser_ids else np.zeros(0, dtype=np.int64),
                "month": ser_months,
                **{s: np.concatenate(v) if v else np.zeros(0) for s, v in ser.items()},
            },
            schema=schemas["series"],
        )
    return ChunkResult(task.chunk, n, status.count("error"), tables)


# ============================================================================ the sweep
@dataclass
class SweepSummary:
    """What a sweep did: counts, time and the first failures."""

    out_dir: Path
    n_runs: int
    done: int
    failed: int
    ran_now: int
    elapsed_s: float
    status: str
    executor: str
    workers: int
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Runs per second in this invocation."""
        return self.ran_now / self.elapsed_s if self.elapsed_s > 0 else math.nan

    def line(self) -> str:
        """'N runs, K failed' and where the tables are."""
        return f"{self.done} runs, {self.failed} failed"


def _progress(total: int, initial: int, enabled: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="run",
        desc=desc,
        file=sys.stderr,
        disable=not enabled,
        smoothing=0.05,
        dynamic_ncols=True,
    )


def run_sweep(
    loaded: LoadedSweep,
    out_dir: str | os.PathLike[str],
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool | None = None,
) -> SweepSummary:
    """Run (or, with `resume`, finish) a sweep into `out_dir`; return a summary.

    Args:
        loaded: the sweep (sim.sweep.load.load_sweep).
        out_dir: sweep directory (created; with `resume` an interrupted one is completed).
        workers: local processes (default: the usable CPUs; 1 runs in this process).
        scheduler: Dask scheduler address (tcp://host:port) instead of the local pool.
        resume: skip the chunks already complete in `out_dir`.
        progress: show a progress bar on stderr (default: when stderr is a terminal).
    """
    t0 = time.perf_counter()
    SweepStore.check(out_dir, loaded, resume)  # bad --out: nothing is written
    done = set(completed_chunks(Path(out_dir))) if resume else set()
    todo = loaded.n_chunks - len(done)
    ctx = RunContext.from_sweep(loaded)
    workers = max(1, min(workers or usable_cpus(), max(todo, 1)))
    # connect (Dask) or start the pool before touching out_dir: a bad --scheduler writes nothing
    executor = make_executor(workers, scheduler, shared=ctx) if todo else None
    try:
        store = SweepStore.open(out_dir, loaded, resume)
    except BaseException:
        if executor is not None:
            executor.kill()
        raise
    done_before = sum(
        min(loaded.n_runs, (c + 1) * loaded.chunk_size) - c * loaded.chunk_size for c in store.done_chunks
    )
    # counts and the first failures: of earlier invocations from the files, of this one as they come
    counts = status_counts(store.out_dir) if store.done_chunks else {"done": 0, "failed": 0}
    failures = failed_runs(store.out_dir, limit=MAX_FAILURES) if counts["failed"] else pd.DataFrame()
    new_failures: list[pd.DataFrame] = []
    if progress is None:
        progress = sys.stderr.isatty()
    ran = failed_now = 0
    executor_name = executor.name if executor is not None else "none"
    n_workers = executor.workers if executor is not None else 0
    status = "interrupted"
    bar = _progress(loaded.n_runs, done_before, progress, loaded.spec.name)
    try:
        if executor is not None:
            with executor as ex:
                for task, res in stream(ex, run_chunk, chunk_tasks(loaded, skip=store.done_chunks)):
                    if isinstance(res, WorkerDied):  # the chunk's runs are recorded as failed
                        msg = f"worker process died {res.attempts} times running this chunk"
                        res = run_chunk(ctx, task, failure=msg)
                    store.write_chunk(res.chunk, res.tables)
                    ran += res.n_runs
                    failed_now += res.n_failed
                    counts["done"] += res.n_runs
                    counts["failed"] += res.n_failed
                    if res.n_failed and sum(map(len, new_failures)) < MAX_FAILURES:
                        exp = res.tables["experiments"]
                        assert exp is not None
                        df = exp.to_pandas()
                        new_failures.append(df[df["status"] != "ok"])
                    bar.update(res.n_runs)
                    if failed_now:
                        bar.set_postfix(failed=failed_now, refresh=False)
        status = "complete"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except BaseException:
        status = "aborted"
        raise
    finally:
        bar.close()
        try:
            store.finish(status, executor=executor_name if executor is not None else None, counts=counts)
        finally:
            store.close()
    parts = [f for f in (failures, *new_failures) if len(f)]
    first = (
        pd.concat(parts, ignore_index=True).sort_values("run_id").head(MAX_FAILURES).to_dict("records")
        if parts
        else []
    )
    return SweepSummary(
        out_dir=store.out_dir,
        n_runs=loaded.n_runs,
        done=counts["done"],
        failed=counts["failed"],
        ran_now=ran,
        elapsed_s=time.perf_counter() - t0,
        status=status,
        executor=executor_name,
        workers=n_workers,
        failures=first,
    )


__all__ = [
    "ChunkResult",
    "ChunkTask",
    "DaskExecutor",
    "Executor",
    "PoolExecutor",
    "RunContext",
    "SerialExecutor",
    "SweepSummary",
    "chunk_tasks",
    "make_executor",
    "run_chunk",
    "run_sweep",
]

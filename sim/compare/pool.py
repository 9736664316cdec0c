"""Run one job per seed serially or on a local process pool, with an optional progress bar.

Shared by `sim.api.ensemble` and `compare(..., workers=)`. The pool is the same kind the
sweep runner uses (`concurrent.futures.ProcessPoolExecutor`, spawn start method: Mesa forces
it); a job is a picklable object sent to the workers as bytes with each task and unpickled
once per worker (cached by its hash), whose `setup()` builds what it needs (worlds) once per
process and whose `__call__(seed)` returns one run's result. Results come back in seed order
whatever the worker count, so the output does not depend on it.

A command can `prestart(workers, modules)` the pool before its own heavy imports: a spawned
worker needs 1-2 s to start and import, and this way it does so while the command is still
loading (mvsim compare).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import sys
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any, Protocol


class SeedJob(Protocol):
    """A picklable per-seed job."""

    def setup(self) -> None: ...

    def __call__(self, seed: int) -> Any: ...


_JOBS: dict[bytes, SeedJob] = {}
_POOL: tuple[int, ProcessPoolExecutor] | None = None  # (pool processes, pool) from `prestart`


def _warm(modules: tuple[str, ...]) -> None:
    import importlib

    for name in modules:
        importlib.import_module(name)


def _noop() -> None:
    return None


def _call(key: bytes, blob: bytes, seed: int) -> Any:
    job = _JOBS.get(key)
    if job is None:
        job = pickle.loads(blob)
        job.setup()
        _JOBS.clear()  # one job at a time per worker
        _JOBS[key] = job
    return job(seed)


def prestart(workers: int | None, modules: Sequence[str] = ()) -> None:
    """Start the pool's processes now, importing `modules` in each (no-op for 1 worker).

    `map_seeds` with the same worker count then uses this pool; `shutdown` ends it (also at exit).
    """
    global _POOL
    n = usable_cpus() if workers is None else max(1, int(workers))
    if n <= 1 or _POOL is not None:
        return
    pool = ProcessPoolExecutor(
        max_workers=n - 1, mp_context=get_context("spawn"), initializer=_warm, initargs=(tuple(modules),)
    )
    for _ in range(n - 1):  # processes are spawned on submission
        pool.submit(_noop)
    _POOL = (n - 1, pool)
    atexit.register(shutdown)


def shutdown() -> None:
    """End a prestarted pool."""
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _bar(total: int, desc: str, enabled: bool | None) -> Any:
    """A tqdm bar on stderr (None when disabled; default: only on a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, leave=False)


def map_seeds(
    job: SeedJob,
    seeds: Sequence[int],
    workers: int | None = 1,
    progress: bool | None = False,
    desc: str = "runs",
) -> list[Any]:
    """`[job(s) for s in seeds]` on `workers` processes (None: all usable CPUs; 1: in-process).

    With N > 1 workers this process is one of them: it starts N - 1 pool processes and runs
    seeds itself while they start and work (a spawned worker needs 1-2 s before its first
    run). Seeds are handed out one at a time from the front; results are returned in seed order.
    progress: True shows a tqdm bar on stderr, None shows one only on a terminal.
    """
    seeds = [int(s) for s in seeds]
    n_workers = min(usable_cpus() if workers is None else max(1, int(workers)), max(1, len(seeds)))
    bar = _bar(len(seeds), desc, progress)
    out: list[Any] = [None] * len(seeds)

    def done(k: int, result: Any) -> None:
        out[k] = result
        if bar is not None:
            bar.update(1)

    try:
        job.setup()
        if n_workers <= 1:
            for k, s in enumerate(seeds):
                done(k, job(s))
            return out
        blob = pickle.dumps(job)
        key = hashlib.sha256(blob).digest()
        own = _POOL is None or _POOL[0] != n_workers - 1
        pool = (
            ProcessPoolExecutor(max_workers=n_workers - 1, mp_context=get_context("spawn"))
            if own
            else _POOL[1]
        )
        try:
            window = 2 * (n_workers - 1)  # one running and one queued per pool process
            pending: dict[Future[Any], int] = {}
            nxt = 0
            while nxt < len(seeds) or pending:
                while nxt < len(seeds) and len(pending) < window:
                    pending[pool.submit(_call, key, blob, seeds[nxt])] = nxt
                    nxt += 1
                finished = [f for f in pending if f.done()]
                for f in finished:
                    done(pending.pop(f), f.result())
                if finished:
                    continue
                if nxt < len(seeds):  # the pool is busy: run the next seed here
                    done(nxt, job(seeds[nxt]))
                    nxt += 1
                else:
                    finished_set, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for f in finished_set:
                        done(pending.pop(f), f.result())
            return out
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if bar is not None:
            bar.close()


__all__ = ["SeedJob", "map_seeds", "prestart", "shutdown", "usable_cpus"]

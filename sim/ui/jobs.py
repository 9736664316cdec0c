"""Background comparisons for the workbench: a warm worker pool, progress, partial results, cancel.

A `ComparisonJob` runs B against A on paired seeds, one task per seed (`adapter.compare_seed`)
plus one in-memory run of B at the first seed for the decision inspector
(`adapter.run_tables`), on a `WorkerPool`: the process pool of the sweep and compare
executors (`workers=1`: one thread in this process). As tasks finish, the per-seed
comparisons are stacked in seed order (`adapter.merge_comparisons`), so the first results
show after the first seed and the final comparison equals `compare(a, b, seeds=...)`.
`cancel()` drops the seeds not started; the ones running finish and are discarded.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.ui import adapter

if TYPE_CHECKING:
    import pandas as pd

    from sim.compare import Comparison
    from sim.scenario.loader import LoadedScenario

MERGE_EVERY_S = 4.0  # partial results at most this often (the first and the last always show):
# every update redraws the panels, which costs the server CPU the workers need


WORKER_NICENESS = 10  # workers yield the CPU to the server process, so the page stays responsive


def _warm() -> int:
    """Import the model stack in a worker (the first task then runs at full speed)."""
    import sim.compare
    import sim.core.model  # noqa: F401

    time.sleep(0.2)  # hold the worker so the next warm-up task starts another one
    return os.getpid()


class WorkerPool:
    """The processes the app's jobs run on: the run path's process pool (`sim.runs.executors`:
    workers fork from a preloaded server, exit with the app, ignore Ctrl-C), or one thread."""

    def __init__(self, workers: int | None = None):
        from sim.runs.executors import usable_cpus

        self.workers = max(1, usable_cpus() if workers is None else int(workers))
        self._lock = threading.Lock()
        self._executor: Executor | None = None

    def _make(self) -> Executor:
        if self.workers == 1:
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="mvsim-ui")
        from sim.runs.executors import PoolExecutor

        return PoolExecutor(self.workers, niceness=WORKER_NICENESS)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        with self._lock:
            if self._executor is None:
                self._executor = self._make()
            try:
                return self._executor.submit(fn, *args)
            except RuntimeError:  # a broken pool (a worker was killed): start a new one
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._make()
                return self._executor.submit(fn, *args)

    def warm(self) -> None:
        """Start every worker and import the model in it (blocks until done)."""
        for f in [self.submit(_warm) for _ in range(self.workers)]:
            f.result()

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None


@dataclass(frozen=True)
class Snapshot:
    """The state of a job at one moment (what the UI renders)."""

    status: str  # "running", "done", "cancelled" or "failed"
    done: int  # seeds finished
    total: int
    comparison: Comparison | None  # over the finished seeds, in seed order
    inspect: dict[str, pd.DataFrame] | None  # tables of B's run at the first seed
    error: str | None
    elapsed_s: float
    first_result_s: float | None  # time to the first partial comparison

    @property
    def finished(self) -> bool:
        return self.status != "running"


class ComparisonJob:
    """B against A on `seeds` in the background; `snapshot()` any time, `cancel()` to stop."""

    def __init__(
        self,
        pool: WorkerPool,
        a: LoadedScenario,
        b: LoadedScenario,
        seeds: list[int],
        focus: str = "Kazakhstan",
        end: str | None = None,
        inspect: bool = True,
    ):
        if not seeds:
            raise ValueError("expected at least one seed")
        self.pool, self.a, self.b, self.seeds = pool, a, b, list(seeds)
        self.focus, self.end, self.inspect_run = focus, end, inspect
        self._cancel = threading.Event()
        self._changed = threading.Condition()
        self._version = 0
        self._t0 = time.perf_counter()
        self._snap = Snapshot("running", 0, len(self.seeds), None, None, None, 0.0, None)
        self._thread = threading.Thread(target=self._run, name="mvsim-ui-job", daemon=True)

    def start(self) -> ComparisonJob:
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    def snapshot(self) -> Snapshot:
        return self._snap

    def wait(self, timeout: float | None = None) -> Snapshot:
        """Block until the job has finished (or timeout); return the last snapshot."""
        self._thread.join(timeout)
        return self._snap

    def wait_change(self, version: int, timeout: float = 1.0) -> tuple[int, Snapshot]:
        """Block until the snapshot is newer than `version` (or timeout)."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != version, timeout)
            return self._version, self._snap

    # ------------------------------------------------------------------ worker thread
    def _publish(self, **changes: Any) -> None:
        fields = {**self._snap.__dict__, **changes, "elapsed_s": time.perf_counter() - self._t0}
        with self._changed:
            self._snap = Snapshot(**fields)
            self._version += 1
            self._changed.notify_all()

    def _run(self) -> None:
        futures: dict[Future[Any], int] = {}  # -1: the inspection run
        try:
            if self.inspect_run:
                futures[self.pool.submit(adapter.run_tables, self.b, self.seeds[0], self.end)] = -1
            for k, s in enumerate(self.seeds):
                futures[self.pool.submit(adapter.compare_seed, self.a, self.b, s, self.focus, self.end)] = k
            parts: dict[int, Comparison] = {}
            pending = set(futures)
            last_merge = 0.0
            while pending:
                if self._cancel.is_set():
                    for f in pending:
                        f.cancel()
                    self._publish(status="cancelled")
                    return
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                changes: dict[str, Any] = {}
                for f in finished:
                    k = futures[f]
                    if k < 0:
                        changes["inspect"] = f.result()
                    else:
                        parts[k] = f.result()
                new_parts = any(futures[f] >= 0 for f in finished)
                now = time.perf_counter()
                if new_parts and (
                    not pending or self._snap.comparison is None or now - last_merge > MERGE_EVERY_S
                ):
                    changes["comparison"] = adapter.merge_comparisons([parts[k] for k in sorted(parts)])
                    changes["done"] = len(parts)
                    last_merge = now
                    if self._snap.first_result_s is None:
                        changes["first_result_s"] = now - self._t0
                if changes:
                    self._publish(**changes)
            self._publish(status="done")
        except Exception as exc:  # a scenario error in a worker, a broken pool: shown in the app
            for f in futures:
                f.cancel()
            self._publish(status="failed", error=str(exc) or type(exc).__name__)


_DEFAULT: WorkerPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool() -> WorkerPool:
    """The pool shared by every session of the app (workers: MVSIM_UI_WORKERS or all CPUs)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            env = os.environ.get("MVSIM_UI_WORKERS")
            _DEFAULT = WorkerPool(int(env) if env else None)
        return _DEFAULT


def shutdown_default_pool() -> None:
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is not None:
            with contextlib.suppress(Exception):
                _DEFAULT.shutdown()
            _DEFAULT = None


__all__ = ["ComparisonJob", "Snapshot", "WorkerPool", "default_pool", "shutdown_default_pool"]

"""Where runs execute: in this process, on a local process pool or on a Dask cluster, one interface.

Every executor is a `concurrent.futures.Executor` (`submit(fn, *args) -> Future`, `shutdown`), so
sweeps, ensembles, comparisons and the workbench drive them the same way:

    with make_executor(workers=4, shared=ctx) as ex:      # ctx is sent once per worker process
        for task, result in stream(ex, run_chunk, tasks):  # run_chunk(ctx, task) in a worker
            ...
    map_items(job, range(8), workers=2)                    # [job(i) ...] in order, this process helping

With `shared`, `submit(fn, *args)` calls `fn(shared, *args)` in the worker: the object is sent once
per worker (pool initializer, Dask broadcast), not with each task.

Pool workers start from a preloaded process: the `forkserver` start method with the run path's
modules (`PRELOAD`) imported once in the fork server, so a worker is a fork of a process that has
the model, numpy, pandas and pyarrow loaded and does not pay their imports (about 1.2 CPU s each
with spawn). The fork server starts once per parent process, at the first pool; workers inherit
its environment, working directory and sys.path from then (tasks carry everything they need).
Where forkserver is missing (not POSIX) workers are spawned. The context is explicit: `import
mesa` sets the default start method to spawn.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import multiprocessing
import os
import pickle
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import Executor as _Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any, Protocol, TypeVar

from sim.errors import InputError

PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "sim.runs.job",
    "sim.core.model",
    "sim.scenario.compile",
    "sim.scenario.loader",
    "sim.results.tables",
)
"""Modules the fork server imports once; every pool worker starts as a fork of it."""
MAX_WORKER_RETRIES = 3  # times a task is resubmitted after its worker process died
DASK_CONNECT_TIMEOUT = 5.0  # seconds to reach a Dask scheduler before a clean error
DASK_WORKER_TIMEOUT = 30.0  # seconds for the first Dask worker to join

T = TypeVar("T")


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def mp_context() -> BaseContext:
    """The start method of pool workers: forkserver preloading `PRELOAD` (spawn where unavailable)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))  # read when the fork server starts (once per process)
    return ctx


# ============================================================================ worker side
_SHARED: Any = None


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the parent died (e.g. kill -9): do not linger as an orphan
            os._exit(1)


def init_worker(shared: Any = None, niceness: int = 0) -> None:
    """Pool worker set-up: keep `shared`, ignore Ctrl-C (the parent's to handle), optionally lower
    the priority, and exit when the parent process (the fork server or the spawning process) dies."""
    global _SHARED
    _SHARED = shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(niceness)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()


def _with_shared(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(_SHARED, *args)


# ============================================================================ executors
class Executor(_Executor):
    """A `concurrent.futures.Executor` with a name, a worker count and `shared` (see the module)."""

    name = "executor"
    workers = 1

    def restart(self) -> None:
        """Start again after a worker process died (a broken pool)."""

    def kill(self) -> None:
        """Stop at once: running tasks are abandoned."""
        self.shutdown(wait=False, cancel_futures=True)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.kill()
        else:
            self.shutdown(wait=True)


_NO = object()


class SerialExecutor(Executor):
    """In this process: `submit` runs the task at once and returns a finished future."""

    name = "serial"

    def __init__(self, shared: Any = _NO):
        self.shared = shared

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        f: Future[Any] = Future()
        try:
            f.set_result(fn(*args, **kwargs) if self.shared is _NO else fn(self.shared, *args, **kwargs))
        except Exception as exc:
            f.set_exception(exc)
        return f


class PoolExecutor(Executor):
    """A local process pool (`mp_context`); a dead worker breaks it until `restart`."""

    name = "pool"

    def __init__(self, workers: int, shared: Any = _NO, niceness: int = 0):
        self.workers = workers
        self.shared = shared
        self.niceness = niceness
        self.restarts = 0
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        shared = None if self.shared is _NO else self.shared
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=mp_context(),
            initializer=init_worker,
            initargs=(shared, self.niceness),
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self.shared is _NO:
            return self.pool.submit(fn, *args, **kwargs)
        return self.pool.submit(_with_shared, fn, *args)

    def restart(self) -> None:
        self.kill()
        self.restarts += 1
        self.pool = self._start()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def kill(self) -> None:
        kill = getattr(self.pool, "kill_workers", None)  # Python >= 3.14
        if kill is not None:
            kill()
        else:
            for p in list((getattr(self.pool, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    p.kill()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _probe_scheduler(address: str, timeout: float) -> None:
    """Ask the scheduler at `address` for its identity; TimeoutError/OSError unless it answers in time."""
    import asyncio

    from distributed.core import rpc

    async def identity() -> None:
        remote = rpc(address, timeout=timeout)
        try:
            await remote.identity()
        finally:
            await remote.close_rpc()

    asyncio.run(asyncio.wait_for(identity(), timeout))


class DaskExecutor(Executor):
    """A Dask distributed cluster the user started (`dask scheduler`; `dask worker ADDRESS --nthreads 1`).

    `shared` is broadcast to every worker once; each task's Dask future is released when it is done."""

    name = "dask"

    def __init__(
        self,
        address: str,
        shared: Any = _NO,
        timeout: float = DASK_WORKER_TIMEOUT,
        connect_timeout: float = DASK_CONNECT_TIMEOUT,
    ):
        try:
            from distributed import Client
        except ImportError:
            raise InputError(
                "--scheduler needs Dask: pip install 'multivector-sim[dask]'", field="--scheduler"
            ) from None
        if not re.fullmatch(r"(tcp|tls|ws|wss|inproc|ucx)://[^\s/]+(:\d{1,5})?/?", address or ""):
            raise InputError(
                f"expected a Dask scheduler address such as tcp://host:8786, got {address[:80]!r}",
                field="--scheduler",
            )
        try:
            _probe_scheduler(address, connect_timeout)  # Client() itself can wait forever on a mute peer
            self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address, ...
            why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise InputError(
                f"cannot reach the Dask scheduler at {address} within {connect_timeout:.0f} s ({why})",
                field="--scheduler",
            ) from None
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            self.client.close()
            raise InputError(
                f"no Dask worker joined the scheduler at {address} within {timeout:.0f} s "
                f"(start one: dask worker {address} --nthreads 1)",
                field="--scheduler",
            ) from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.shared = _NO if shared is _NO else self.client.scatter(shared, broadcast=True, hash=False)
        self.futures: set[Any] = set()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        head = () if self.shared is _NO else (self.shared,)
        remote = self.client.submit(fn, *head, *args, pure=False, **kwargs)
        self.futures.add(remote)
        out: Future[Any] = Future()

        def done(f: Any) -> None:
            self.futures.discard(f)
            try:
                out.set_result(f.result())
            except BaseException as exc:
                out.set_exception(exc)
            finally:
                f.release()

        remote.add_done_callback(done)
        return out

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with contextlib.suppress(Exception):
            if self.futures:
                self.client.cancel(list(self.futures))
            self.client.close()


def make_executor(workers: int, scheduler: str | None = None, shared: Any = _NO) -> Executor:
    """Dask if `scheduler` is given, else a process pool of `workers` (in this process for 1)."""
    if scheduler:
        return DaskExecutor(scheduler, shared)
    if workers <= 1:
        return SerialExecutor(shared)
    return PoolExecutor(workers, shared)


# ============================================================================ driving executors
@dataclass(frozen=True)
class WorkerDied:
    """The result of a task whose worker process died `attempts` times (it was not run to the end)."""

    attempts: int


def stream(
    executor: Executor,
    fn: Callable[..., Any],
    tasks: Iterable[T],
    *,
    window: int | None = None,
    retries: int = MAX_WORKER_RETRIES,
) -> Iterator[tuple[T, Any]]:
    """`(task, fn(task))` as tasks complete, at most `window` (default 2 x workers) in flight; the
    tasks that complete together are yielded in submission order.

    A worker process that dies (killed, out of memory) breaks a process pool: the executor is
    restarted and the tasks in flight resubmitted, each at most `retries` times; after that the
    task's result is `WorkerDied(attempts)`. Results do not depend on which process ran a task.
    """
    window = window or 2 * executor.workers
    pending: dict[Future[Any], tuple[int, T]] = {}
    retry: deque[tuple[int, T]] = deque()
    attempts: dict[int, int] = {}
    todo = enumerate(tasks)
    exhausted = False
    while True:
        broken = False
        while len(pending) < window and (retry or not exhausted):
            item = retry.popleft() if retry else next(todo, None)
            if item is None:
                exhausted = True
                continue
            try:
                pending[executor.submit(fn, item[1])] = item
            except BrokenProcessPool:  # broke since the last submission: the tasks in flight tell
                retry.appendleft(item)
                broken = True
                break
        if not pending:
            if broken:
                executor.restart()
                continue
            return
        finished, _ = wait(set(pending), return_when=FIRST_COMPLETED)
        results: list[tuple[int, T, Any]] = []
        lost: list[tuple[int, T]] = []
        for f in finished:
            i, t = pending.pop(f)
            try:
                results.append((i, t, f.result()))
            except BrokenProcessPool:
                lost.append((i, t))
        if lost:  # a worker died: every task in flight is lost with the pool
            for f, (i, t) in pending.items():
                if f.done() and not f.cancelled() and f.exception() is None:
                    results.append((i, t, f.result()))
                else:
                    lost.append((i, t))
            pending.clear()
            executor.restart()
            for i, t in sorted(lost, key=lambda x: x[0]):
                n = attempts[i] = attempts.get(i, 0) + 1
                if n > retries:
                    results.append((i, t, WorkerDied(n)))
                else:
                    retry.append((i, t))
        elif exhausted and not pending and not retry:
            executor.shutdown(wait=False)  # let the workers exit while the last results are used
        for _, t, r in sorted(results, key=lambda x: x[0]):
            yield t, r


# ============================================================================ per-seed jobs
class SeedJob(Protocol):
    """A picklable per-item job: `setup()` once per process, then `job(item)` per run."""

    def setup(self) -> None: ...

    def __call__(self, item: int, /) -> Any: ...


_JOBS: dict[bytes, SeedJob] = {}
_POOL: tuple[int, PoolExecutor] | None = None  # (pool processes, pool) from `prestart`


def _warm(modules: tuple[str, ...]) -> None:
    import importlib

    for name in modules:
        importlib.import_module(name)


def _call(key: bytes, blob: bytes, item: int) -> Any:
    job = _JOBS.get(key)
    if job is None:
        job = pickle.loads(blob)
        job.setup()
        _JOBS.clear()  # one job at a time per worker
        _JOBS[key] = job
    return job(item)


def prestart(workers: int | None, modules: Sequence[str] = ()) -> None:
    """Start the pool of `map_items` now, importing `modules` in each worker (no-op for 1 worker);
    `shutdown` ends it (also at exit)."""
    global _POOL
    n = usable_cpus() if workers is None else max(1, int(workers))
    if n <= 1 or _POOL is not None:
        return
    pool = PoolExecutor(n - 1)
    for _ in range(n - 1):  # processes are started on submission
        pool.submit(_warm, tuple(modules))
    _POOL = (n - 1, pool)
    atexit.register(shutdown)


def shutdown() -> None:
    """End a prestarted pool."""
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


def _bar(total: int, desc: str, enabled: bool | None) -> Any:
    """A tqdm bar on stderr (None when disabled; default: only on a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, leave=False)


def map_items(
    job: SeedJob,
    items: Sequence[int],
    workers: int | None = 1,
    progress: bool | None = False,
    desc: str = "runs",
) -> list[Any]:
    """`[job(i) for i in items]` on `workers` processes (None: all usable CPUs; 1: in-process).

    With N > 1 workers this process is one of them: it starts N - 1 pool processes and runs items
    itself while they start and work. The job is pickled once and unpickled once per worker
    (cached by its hash); items are handed out one at a time from the front and results are
    returned in item order. progress: True shows a tqdm bar on stderr, None only on a terminal.
    """
    items = [int(s) for s in items]
    n_workers = min(usable_cpus() if workers is None else max(1, int(workers)), max(1, len(items)))
    bar = _bar(len(items), desc, progress)
    out: list[Any] = [None] * len(items)

    def done(k: int, result: Any) -> None:
        out[k] = result
        if bar is not None:
            bar.update(1)

    try:
        job.setup()
        if n_workers <= 1:
            for k, s in enumerate(items):
                done(k, job(s))
            return out
        blob = pickle.dumps(job)
        key = hashlib.sha256(blob).digest()
        own = _POOL is None or _POOL[0] != n_workers - 1
        pool = PoolExecutor(n_workers - 1) if own else _POOL[1]  # type: ignore[index]
        try:
            window = 2 * (n_workers - 1)  # one running and one queued per pool process
            pending: dict[Future[Any], int] = {}
            nxt = 0
            while nxt < len(items) or pending:
                while nxt < len(items) and len(pending) < window:
                    pending[pool.submit(_call, key, blob, items[nxt])] = nxt
                    nxt += 1
                finished = [f for f in pending if f.done()]
                for f in finished:
                    done(pending.pop(f), f.result())
                if finished:
                    continue
                if nxt < len(items):  # the pool is busy: run the next item here
                    done(nxt, job(items[nxt]))
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


__all__ = [
    "PRELOAD",
    "DaskExecutor",
    "Executor",
    "PoolExecutor",
    "SeedJob",
    "SerialExecutor",
    "WorkerDied",
    "init_worker",
    "make_executor",
    "map_items",
    "mp_context",
    "prestart",
    "shutdown",
    "stream",
    "usable_cpus",
]

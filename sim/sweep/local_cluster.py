"""A throwaway Dask cluster on 127.0.0.1 (`dask scheduler` + `dask worker`), for tests and benchmarks.

    with local_dask_cluster(workers=2) as address:      # 'tcp://127.0.0.1:PORT'
        run_sweep(loaded, out, scheduler=address)

Both processes run in their own process group and are stopped (SIGTERM, then SIGKILL) on exit.
Needs the `dask` extra.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from sim.paths import PROJECT_ROOT


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Terminate a process group started here (SIGTERM, then SIGKILL after 15 s)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextlib.contextmanager
def local_dask_cluster(workers: int = 2, log_dir: Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Start a scheduler and `workers` single-threaded worker processes; yield the address.

    Logs go to `log_dir` (scheduler.log, worker.log) when given, else are discarded.
    """
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    local = ["--host", "127.0.0.1", "--no-dashboard"]
    commands = {
        "scheduler": [sys.executable, "-m", "dask", "scheduler", "--port", str(port), *local],
        "worker": [sys.executable, "-m", "dask", "worker", address, "--nworkers", str(workers),
                   "--nthreads", "1", "--memory-limit", "0", *local],
    }  # fmt: skip
    with contextlib.ExitStack() as stack:
        procs = []
        for name, cmd in commands.items():
            out = stack.enter_context((log_dir / f"{name}.log").open("w")) if log_dir else subprocess.DEVNULL
            procs.append(
                subprocess.Popen(cmd, env=env, cwd=log_dir, start_new_session=True, stdout=out,
                                 stderr=subprocess.STDOUT)
            )  # fmt: skip
        try:
            with Client(address, timeout=timeout) as client:
                client.wait_for_workers(workers, timeout=timeout)
            yield address
        finally:
            for p in reversed(procs):
                stop(p)

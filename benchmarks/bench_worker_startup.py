"""Pool worker start-up: spawn (every worker imports the run path) vs the run path's pool
(`sim.runs.executors.mp_context`: workers fork from a server that preloaded it).

    python benchmarks/bench_worker_startup.py [--repeat 4]

Per pool of one worker: wall time from `submit` to the first result of a trivial task that needs
the run path's modules (the model, the scenario layer, the tables, the sweep runner), and the CPU
seconds of the worker process (os.times in the worker, counted from its start). The fork server is
started once per parent process, by the first pool; its CPU is printed apart. `import mesa` comes
first, as in the CLI (it makes spawn the default start method). Prints figures only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODULES = (
    "sim.core.model",
    "sim.scenario.compile",
    "sim.scenario.schema",
    "sim.results.tables",
    "sim.sweep.runner",
    "sim.sweep.outcomes",
)


def probe() -> float:
    """Import what a sweep or compare worker needs; the CPU seconds of this process so far."""
    import importlib

    for m in MODULES:
        importlib.import_module(m)
    t = os.times()
    return t.user + t.system


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of a live process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(method: str, repeat: int) -> list[tuple[float, float]]:
    from sim.runs.executors import mp_context

    rows = []
    for _ in range(repeat):
        ctx = mp_context() if method == "preloaded" else multiprocessing.get_context("spawn")
        t0 = time.perf_counter()
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:
            cpu = pool.submit(probe).result()
        rows.append((time.perf_counter() - t0, cpu))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=4)
    args = ap.parse_args()
    import mesa  # noqa: F401

    for method in ("spawn", "preloaded"):
        rows = measure(method, args.repeat)
        walls = ", ".join(f"{w:.2f}" for w, _ in rows)
        cpus = [c for _, c in rows]
        print(
            f"{method:9s}: submit -> first result {walls} s; worker CPU median {statistics.median(cpus):.2f}"
        )
    from multiprocessing import forkserver

    pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    if pid:
        print(f"fork server (once per parent process): CPU {cpu_of(pid):.2f} s")


if __name__ == "__main__":
    main()

"""Sweep benchmarks: throughput on 1 and 2 workers and on Dask, mesa.batch_run on the same runs,
per-worker start-up, peak memory for 100 vs 2,000 runs, and the wall time of a 1,000-run sweep.

    python benchmarks/bench_sweep.py [--runs 200] [--repeat 2] [--memory 100 2000] [--big 1000] [--quick]
                                     [--scheduler tcp://host:port] [--skip dask batch_run startup memory big]

All sweeps run the baseline scenario (2022-01..2030-12, 108 months) over a full factorial of
the CPC outage rate x Kazakhstan's initial enforcement with replications, keeping 5 scalar
outcomes and 2 monthly series. Throughput = runs / wall time of the whole sweep (pool or
worker start-up, writing the Parquet chunks and the manifest included). CPU = user + system
seconds of this process and every process it started (reaped children and live descendants,
Dask's scheduler and workers included), per run. The Dask figure uses a scheduler and 2
single-threaded workers this script starts on 127.0.0.1 (or --scheduler); their start-up is not
counted, their first import of the package is (first repetition).

mesa.batch_run runs the same work: the same runs (same overrides, same seeds), keeping the same
outcomes (the 5 scalars and the 2 series, compared with the sweep's tables), through a thin
mesa.Model wrapper defined here (ScenarioRunModel), on the same number of processes. Both sides
start cold workers: the sweep pool spawns them, and batch_run's multiprocessing.Pool is made to
spawn too (its default on Linux forks this already-warm process). batch_run keeps its results in
memory and writes nothing; the sweep writes Parquet chunks.

Per-worker start-up: a sweep of one run per worker on the pool against the same runs in this
(warm) process: the wall time from the sweep call (the pool is created first) to the first chunk
on disk, and the pool's extra CPU per worker (imports, loading the sweep, the first run's warm-up).
Spawned workers re-import this script, which imports Mesa as `mvsim` does.

Peak memory is ru_maxrss of the sweep process (parent) and of its largest worker
(RUSAGE_CHILDREN), each measured in a fresh process. Prints figures only. Throughput figures are
the best of --repeat interleaved repetitions (the machine may be shared). --quick: 60 runs, one
repetition, no memory or big sweep (for a loaded machine).
Targets (issue): 2 workers >= 1.8x one worker; at least as fast as mesa.batch_run; peak memory
at 2,000 runs within 1.2x of 100 runs; 1,000 baseline runs in under 3 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Spawned workers (the sweep pool's and batch_run's) re-import this script: import Mesa the way
# `mvsim sweep` does (its core only; the rest on first use), so that they start as the CLI's do.
from sim.cli import import_mesa_core  # noqa: E402

import_mesa_core()
import mesa  # noqa: E402

from sim.core.model import MultiVectorModel, release  # noqa: E402
from sim.scenario.compile import build_world  # noqa: E402
from sim.sweep import load_sweep, read_sweep, run_sweep  # noqa: E402
from sim.sweep.local_cluster import local_dask_cluster  # noqa: E402
from sim.sweep.outcomes import Reducer  # noqa: E402
from sim.sweep.runner import chunk_tasks  # noqa: E402
from sim.sweep.spec import LoadedSweep, validate_override  # noqa: E402

SCALARS = [
    "kz_oil_lost_mt",
    "kz_reexports_usd_bn",
    "alignment_West_end",
    "multivector_index_mean",
    "leakage_share_mean",
]
SERIES = ["kz_oil_lost_mt", "multivector_index"]
RATES = [0.5, 1.0, 1.5, 3.0, 6.0]
ENFORCEMENT = [0.1, 0.5]


def write_sweep(directory: Path, n_runs: int, name: str) -> Path:
    """A baseline sweep of exactly n_runs runs (10 points x n_runs/10 replications)."""
    points = len(RATES) * len(ENFORCEMENT)
    if n_runs % points:
        raise SystemExit(f"--runs must be a multiple of {points}")
    data = {
        "name": name,
        "base": str(ROOT / "scenarios" / "baseline.yaml"),
        "seed": 2024,
        "replications": n_runs // points,
        "design": {"type": "full_factorial"},
        "parameters": [
            {"path": "hazards[CPC outage].rate_per_year", "name": "cpc_rate", "values": RATES},
            {"path": "actors[Kazakhstan].enforcement", "name": "kz_enforcement", "values": ENFORCEMENT},
        ],
        "outcomes": {"scalars": SCALARS, "series": SERIES},
    }
    import yaml

    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def tree_cpu() -> float:
    """CPU seconds (user + system) so far of this process, its reaped children and its live
    descendants (with what they reaped). The difference of two calls is the CPU spent in between
    by every process involved, whether it started, ended or lived through the interval."""
    import psutil

    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def timed_sweep(path: Path, out: Path, **kw: Any) -> tuple[float, float, Any]:
    """(wall s, CPU s, summary) of one sweep."""
    shutil.rmtree(out, ignore_errors=True)
    loaded = load_sweep(path)
    c, t = tree_cpu(), time.perf_counter()
    summary = run_sweep(loaded, out, progress=False, **kw)
    wall, cpu = time.perf_counter() - t, tree_cpu() - c
    assert summary.failed == 0, summary.failures
    return wall, cpu, summary


# ----------------------------------------------------------------------------- mesa.batch_run wrapper
_CACHE: dict[str, tuple[LoadedSweep, dict[int, tuple[dict[str, Any], int]], Reducer]] = {}


def _runs(sweep: str) -> tuple[LoadedSweep, dict[int, tuple[dict[str, Any], int]], Reducer]:
    """The sweep's runs (overrides, seed) by run id, loaded once per process."""
    if sweep not in _CACHE:
        loaded = load_sweep(sweep)
        runs = {}
        for task in chunk_tasks(loaded):
            for i, rid in enumerate(task.run_ids):
                values = {c: task.values[c][i].item() for c in loaded.columns}
                runs[int(rid)] = (values, int(task.seeds[i]))
        assert loaded.base is not None
        world = build_world(loaded.base.spec, loaded.base.baseline_flows)
        _CACHE[sweep] = (loaded, runs, Reducer(world, loaded.spec.focus, SCALARS, SERIES))
    return _CACHE[sweep]


class ScenarioRunModel(mesa.Model):
    """One sweep run as a mesa.Model taking keyword parameters (what mesa.batch_run needs).

    batch_run reads the DataCollector entry at index `steps - 1`, so the wrapper collects after
    every step (not at construction): the entry read is the one after the final month. It keeps
    what the sweep keeps: the scalars and the monthly series (as arrays) of the same Reducer.
    """

    def __init__(self, run_id: int = 0, sweep: str = "", rng: Any = None):
        super().__init__(rng=rng)
        loaded, runs, self.reducer = _runs(sweep)
        values, seed = runs[run_id]
        assert loaded.base is not None and loaded.base_mapping is not None
        overrides = [(k, values[c]) for c, k in zip(loaded.columns, loaded.keys, strict=True)]
        self.world = build_world(
            validate_override(loaded.base_mapping, overrides), loaded.base.baseline_flows
        )
        self.inner = MultiVectorModel(self.world, rng=seed, record_flows=False)
        self.finished = False
        self.outcomes: dict[str, Any] = {}
        reporters = {s: _reporter(s) for s in SCALARS} | {f"series:{s}": _reporter(s, True) for s in SERIES}
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    @property
    def running(self) -> bool:  # read by batch_run after every step; the inner model is released at the end
        return not self.finished

    @running.setter
    def running(self, value: bool) -> None:  # mesa.Model.__init__ sets it
        pass

    def step(self) -> None:
        self.inner.step()
        if not self.inner.running:
            scalars, series = self.reducer.reduce(self.inner.recorder.output(), self.world)
            self.outcomes = scalars | {f"series:{k}": v for k, v in series.items()}
            self.finished = True
            release(self.inner)  # free the finished model with public Mesa calls only
        self.datacollector.collect(self)


def _reporter(name: str, series: bool = False) -> Any:
    key = f"series:{name}" if series else name
    return lambda m: m.outcomes.get(key)


def bench_batch_run(path: Path, n_runs: int, processes: int) -> tuple[float, float, list[dict[str, Any]]]:
    """(wall s, CPU s, results) of mesa.batch_run over the sweep's runs, on spawned processes."""
    months = 108
    assert load_sweep(path).n_runs == n_runs
    c, t = tree_cpu(), time.perf_counter()
    results = mesa.batch_run(
        ScenarioRunModel,
        parameters={"run_id": range(n_runs), "sweep": str(path)},
        number_processes=processes,
        iterations=1,
        data_collection_period=-1,
        max_steps=months,
        display_progress=False,
    )
    return time.perf_counter() - t, tree_cpu() - c, results


def same_outcomes(results: list[dict[str, Any]], ref: dict[str, Any]) -> bool:
    """Whether batch_run's scalars and series equal the sweep's tables, run by run (NaN == NaN)."""
    import numpy as np

    got = {r["run_id"]: r for r in results}
    out = ref["outcomes"].set_index("run_id")
    series = ref["series"].groupby("run_id")
    if sorted(got) != sorted(out.index):
        return False
    for rid, row in got.items():
        for s in SCALARS:
            if not np.array_equal(np.float64(row[s]), np.float64(out.loc[rid, s]), equal_nan=True):
                return False
        months = series.get_group(rid)
        for s in SERIES:
            if not np.array_equal(np.asarray(row[f"series:{s}"]), months[s].to_numpy(), equal_nan=True):
                return False
    return True


# ----------------------------------------------------------------------------- Dask
# ----------------------------------------------------------------------------- machine check
def _burn(n: int = 3_000_000) -> float:
    t = time.perf_counter()
    x = 0
    for i in range(n):
        x += i * i
    return time.perf_counter() - t


def parallel_capacity(workers: int) -> float:
    """How many cores a CPU-bound loop gets right now: workers x t(1 process) / t(N at once).

    About N on an idle machine; less when other tenants share the CPUs (a VM's neighbours do
    not show in `ps` or the load average).
    """
    from multiprocessing import get_context

    with get_context("spawn").Pool(workers) as pool:
        pool.map(_burn, [1000] * workers)  # start-up
        one = _burn()
        many = pool.map(_burn, [3_000_000] * workers)
    return workers * one / max(many)


# ----------------------------------------------------------------------------- per-worker start-up
def write_probe_sweep(directory: Path, runs: int) -> Path:
    """One design point, `runs` replications, one run per chunk: each worker gets one run."""
    import yaml

    data = {
        "name": "startup",
        "base": str(ROOT / "scenarios" / "baseline.yaml"),
        "seed": 7,
        "replications": runs,
        "chunk_size": 1,
        "design": {"type": "full_factorial"},
        "parameters": [{"path": "hazards[CPC outage].rate_per_year", "name": "cpc_rate", "values": [1.0]}],
        "outcomes": {"scalars": SCALARS, "series": SERIES},
    }
    path = directory / "startup.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def first_chunk_after(out: Path, t0: float, stop: threading.Event, found: list[float]) -> None:
    """Record (in `found`) the perf_counter time when the first outcome chunk shows in `out`."""
    while not stop.is_set():
        d = out / "outcomes"
        if d.is_dir() and any(f.name.startswith("chunk-") for f in d.iterdir()):
            found.append(time.perf_counter() - t0)
            return
        time.sleep(0.005)


def bench_startup(tmp: Path, workers: int) -> dict[str, float]:
    """Per-worker start-up of the sweep pool: wall to the first result, extra CPU per worker."""
    path = write_probe_sweep(tmp, workers)
    timed_sweep(path, tmp / "probe_warm", workers=1)  # this process warm (imports, caches)
    serial_wall, serial_cpu, _ = timed_sweep(path, tmp / "probe_serial", workers=1)
    out = tmp / "probe_pool"
    shutil.rmtree(out, ignore_errors=True)
    loaded = load_sweep(path)
    stop, found = threading.Event(), list[float]()
    c, t = tree_cpu(), time.perf_counter()
    watcher = threading.Thread(target=first_chunk_after, args=(out, t, stop, found))
    watcher.start()
    try:
        summary = run_sweep(loaded, out, workers=workers, progress=False)
    finally:
        stop.set()
        watcher.join()
    wall, cpu = time.perf_counter() - t, tree_cpu() - c
    assert summary.failed == 0 and summary.done == workers
    return {
        "first_result_s": found[0] if found else wall,
        "pool_wall_s": wall,
        "run_wall_s": serial_wall / workers,
        "startup_cpu_s": (cpu - serial_cpu) / workers,
        "run_cpu_s": serial_cpu / workers,
    }


# ----------------------------------------------------------------------------- memory
def memory_probe(n_runs: int, workers: int, tmp: str) -> None:
    """Run one sweep in this (fresh) process and print peak RSS of it and its workers as JSON."""
    path = write_sweep(Path(tmp), n_runs, f"mem{n_runs}")
    wall, _, s = timed_sweep(path, Path(tmp) / f"mem{n_runs}", workers=workers)
    # RUSAGE_CHILDREN counts only children that have exited and been reaped: wait for the pool's.
    deadline = time.monotonic() + 30
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps({"runs": n_runs, "wall_s": wall, "parent_mb": parent, "worker_mb": child, "done": s.done})
    )


def measure_memory(n_runs: int, workers: int, tmp: Path) -> dict[str, float]:
    res = subprocess.run(
        [
            sys.executable,
            __file__,
            "--memory-probe",
            str(n_runs),
            "--workers",
            str(workers),
            "--tmp",
            str(tmp),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--runs", type=int, default=200, help="runs for the throughput comparison (multiple of 10)"
    )
    ap.add_argument("--repeat", type=int, default=2, help="repetitions of each throughput measurement")
    ap.add_argument("--memory", type=int, nargs=2, default=[100, 2000], metavar=("SMALL", "LARGE"))
    ap.add_argument("--big", type=int, default=1000, help="runs of the timed large baseline sweep")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="use this Dask scheduler instead of starting one")
    ap.add_argument(
        "--skip", nargs="*", default=[], choices=["dask", "batch_run", "startup", "memory", "big"]
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="60 runs, 1 repetition, no memory or big sweep (a loaded machine)",
    )
    ap.add_argument("--memory-probe", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_probe is not None:
        memory_probe(args.memory_probe, args.workers, args.tmp)
        return
    if args.quick:
        args.runs, args.repeat = 60, 1
        args.skip = sorted({*args.skip, "memory", "big"})
    # batch_run's multiprocessing.Pool uses the default start method: spawn, like the sweep pool,
    # so that both start cold workers (fork would hand batch_run this warm process).
    multiprocessing.set_start_method("spawn", force=True)

    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmpdir:
        tmp = Path(tmpdir)
        path = write_sweep(tmp, args.runs, "throughput")
        print(
            f"sweep: baseline, {args.runs} runs (108 months each), "
            f"{len(SCALARS)} scalars + {len(SERIES)} series; load average {os.getloadavg()[0]:.2f}"
        )

        if "startup" not in args.skip:  # first, while no pool has run yet
            st = bench_startup(tmp, args.workers)
            print(
                f"per-worker start-up ({args.workers} spawned pool workers, one run each): first result "
                f"{st['first_result_s']:.2f} s after the sweep call, last {st['pool_wall_s']:.2f} s "
                "(one run in this warm process: "
                f"{st['run_wall_s']:.2f} s wall, {st['run_cpu_s']:.2f} CPU s); extra CPU per worker "
                f"{st['startup_cpu_s']:.2f} s (imports, loading, first-run warm-up)"
            )

        # Each configuration runs `--repeat` times, interleaved; the best (shortest) wall time counts
        # (the machine is shared, and interference only ever makes a run slower), with its CPU.
        times: dict[str, list[tuple[float, float]]] = {}
        checks: dict[str, bool] = {}
        with contextlib.ExitStack() as stack:
            address = None
            if "dask" not in args.skip:
                address = args.scheduler or stack.enter_context(local_dask_cluster(args.workers))
            for rep in range(args.repeat):
                cap = parallel_capacity(args.workers)
                times.setdefault("serial", []).append(timed_sweep(path, tmp / "w1", workers=1)[:2])
                ref = read_sweep(tmp / "w1")
                times.setdefault("pool", []).append(timed_sweep(path, tmp / "w2", workers=args.workers)[:2])
                checks["pool"] = all(ref[k].equals(v) for k, v in read_sweep(tmp / "w2").items())
                if address is not None:
                    times.setdefault("dask", []).append(
                        timed_sweep(path, tmp / "dask", scheduler=address)[:2]
                    )
                    checks["dask"] = all(ref[k].equals(v) for k, v in read_sweep(tmp / "dask").items())
                if "batch_run" not in args.skip:
                    wb, cb, results = bench_batch_run(path, args.runs, args.workers)
                    times.setdefault("batch_run", []).append((wb, cb))
                    checks["batch_run"] = same_outcomes(results, ref)
                print(
                    f"  repetition {rep + 1} (CPU check before: {cap:.2f} of {args.workers} cores): "
                    + ", ".join(f"{k} {v[-1][0]:.1f} s ({v[-1][1]:.1f} CPU s)" for k, v in times.items())
                )

        best = {k: min(v) for k, v in times.items()}
        labels = {
            "serial": "1 worker (in process)",
            "pool": f"{args.workers} workers (pool)",
            "dask": f"Dask ({args.workers} workers)",
            "batch_run": f"mesa.batch_run ({args.workers} proc)",
        }
        for k, (w, cpu) in best.items():
            extra = ""
            if k == "pool":
                extra = f"  speed-up {best['serial'][0] / w:.2f}x over 1 worker (target >= 1.8x)"
            elif k == "dask":
                extra = f"  speed-up {best['serial'][0] / w:.2f}x over 1 worker"
            elif k == "batch_run" and "pool" in best:
                extra = (
                    f"  the sweep pool is {w / best['pool'][0]:.2f}x as fast (target >= 1.0x), "
                    f"{cpu / best['pool'][1]:.2f}x as CPU-frugal"
                )
            if k in checks:
                extra += f"; {'identical tables' if k != 'batch_run' else 'same outcomes'}: {checks[k]}"
            print(
                f"{labels[k]:<24} {w:6.1f} s  {args.runs / w:6.2f} runs/s  "
                f"{cpu / args.runs:5.3f} CPU s/run{extra}"
            )

        if "memory" not in args.skip:
            small, large = args.memory
            a = measure_memory(small, args.workers, tmp)
            b = measure_memory(large, args.workers, tmp)
            print(
                f"peak RSS, {small} runs: parent {a['parent_mb']:.0f} MB, "
                f"largest worker {a['worker_mb']:.0f} MB "
                f"({a['wall_s']:.0f} s)"
            )
            print(
                f"peak RSS, {large} runs: parent {b['parent_mb']:.0f} MB, "
                f"largest worker {b['worker_mb']:.0f} MB "
                f"({b['wall_s']:.0f} s)"
            )
            print(
                f"  ratio {large}/{small}: parent {b['parent_mb'] / a['parent_mb']:.2f}x, "
                f"worker {b['worker_mb'] / a['worker_mb']:.2f}x (target <= 1.2x)"
            )

        if "big" not in args.skip:
            big = write_sweep(tmp, args.big, "big")
            wbig, _, _ = timed_sweep(big, tmp / "big", workers=args.workers)
            rate = f"{args.big / wbig:.2f} runs/s"
            if "serial" in best:  # a serial sweep has no start-up: its rate does not depend on the size
                rate += f" = {(args.big / wbig) / (args.runs / best['serial'][0]):.2f}x the 1-worker rate"
            print(
                f"{args.big}-run baseline sweep on {args.workers} workers: {wbig:.0f} s "
                f"({rate}; target < 180 s for 1000)"
            )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

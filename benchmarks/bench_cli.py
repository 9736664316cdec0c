"""CLI benchmarks: start-up (`mvsim --help`, `mvsim validate`), `mvsim run --no-plots`, and
`mvsim compare` on 1 vs 2 workers, each as wall time of a fresh process; the CPU cost of
`mvsim run --no-plots` against its floor, and its import share.

    python benchmarks/bench_cli.py [--repeat 5] [--replications 20] [--skip startup cpu compare]

CPU = user + system seconds of the child process (RUSAGE_CHILDREN). The floor of `mvsim run
baseline --no-plots` (issue 21: at most 1.15x) is a fresh process that only imports mesa,
numpy, pandas, pyarrow, pydantic and yaml, plus one warm run: the same `mvsim run` called a
second time inside one process (`sim.cli.main`, after a first call warmed imports and caches).
Import share = (CPU of the fresh `mvsim run` - the warm run) / CPU of the fresh `mvsim run`:
what the command spends on starting the interpreter and importing, not on the work.

Every figure is the median over --repeat runs with min and max. Ratios are computed per
repetition from runs of the same repetition (the machine may be shared), then their median.
Targets (issue 12): --help under 0.5 s; validate under half of its time before the start-up
work (VALIDATE_BEFORE_S, measured on this machine before the change) and under half of the
old code path measured here in the same repetition (load + world + model imports, which the
old validate did); compare --workers 2 at least 1.7x faster than --workers 1.
Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MVSIM = [sys.executable, "-m", "sim"]
HELP_BEFORE_S = 0.60
VALIDATE_BEFORE_S = 1.07
"""Medians of 6 runs on this machine before the start-up work (2026-11-29, 2 cores)."""
OLD_VALIDATE = (
    "import matplotlib.figure, mesa; from sim.core.model import run_world; from sim.api import load; "
    f"load({str(BASELINE)!r})"
)
"""What `mvsim validate` used to do: the model, Mesa and matplotlib imported, the world built."""


FLOOR_IMPORTS = "import mesa, numpy, pandas, pyarrow, pydantic, yaml"
"""The libraries the run path needs: what a `mvsim run` costs at the least besides its work."""
WARM_RUN = """
import contextlib, io, json, sys, time
from sim.cli import main
argv = sys.argv[1:]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    assert main(argv) == 0  # warms imports and caches
    c, t = time.process_time(), time.perf_counter()
    assert main(argv) == 0
    c, t = time.process_time() - c, time.perf_counter() - t
print(json.dumps({"cpu_s": c, "wall_s": t}))
"""
"""`mvsim run ARGV` twice in one process; prints the CPU and wall seconds of the second call."""


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


def cpu(cmd: list[str]) -> tuple[float, str]:
    """(CPU seconds of the child process, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, res.stdout


def stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.3f} s (min {min(xs):.3f}, max {max(xs):.3f}; n={len(xs)})"


def repeat(n: int, fns: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Run every function once per repetition, interleaved."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(n):
        for k, f in fns.items():
            out[k].append(f())
    return out


def bench_startup(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = repeat(
            n,
            {
                "help": lambda: wall([*MVSIM, "--help"]),
                "validate": lambda: wall([*MVSIM, "validate", str(BASELINE)]),
                "old_validate": lambda: wall([sys.executable, "-c", OLD_VALIDATE]),
                "run_no_plots": lambda: wall(
                    [*MVSIM, "run", str(BASELINE), "--seed", "1", "--out", tmp, "--no-plots"]
                ),
            },
        )
    ratios = [v / o for v, o in zip(t["validate"], t["old_validate"], strict=True)]
    print(f"mvsim --help:                {stats(t['help'])}; before: {HELP_BEFORE_S:.2f} s; target < 0.5 s")
    print(f"mvsim validate baseline:     {stats(t['validate'])}")
    before = statistics.median(t["validate"]) / VALIDATE_BEFORE_S
    print(
        f"  vs before ({VALIDATE_BEFORE_S:.2f} s): {before:.2f}x; "
        f"vs the old code path in the same repetition: median ratio {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); target < 0.5"
    )
    print(f"  old code path (load+world+model imports): {stats(t['old_validate'])}")
    print(f"mvsim run baseline --no-plots: {stats(t['run_no_plots'])}")


def bench_run_cpu(n: int) -> None:
    """CPU of `mvsim run baseline --no-plots` against its floor (imports + a warm run), per repetition."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["run", str(BASELINE), "--seed", "1", "--out", tmp, "--no-plots"]
        t: dict[str, list[float]] = {"interpreter": [], "imports": [], "warm": [], "run": []}
        for _ in range(n):
            t["interpreter"].append(cpu([sys.executable, "-c", "pass"])[0])
            t["imports"].append(cpu([sys.executable, "-c", FLOOR_IMPORTS])[0])
            t["warm"].append(json.loads(cpu([sys.executable, "-c", WARM_RUN, *argv])[1])["cpu_s"])
            t["run"].append(cpu([*MVSIM, *argv])[0])
    ratios = [r / (i + w) for r, i, w in zip(t["run"], t["imports"], t["warm"], strict=True)]
    shares = [(r - w) / r for r, w in zip(t["run"], t["warm"], strict=True)]

    def med(k: str) -> str:
        xs = t[k]
        return f"{statistics.median(xs):.3f} CPU s (min {min(xs):.3f}, max {max(xs):.3f})"

    print(f"mvsim run baseline --no-plots, fresh process: {med('run')}")
    print(f"  floor: import {FLOOR_IMPORTS.removeprefix('import ')}: {med('imports')}")
    print(f"         + one warm in-process run (second `mvsim run` in one process): {med('warm')}")
    print(f"  (a bare interpreter, `python -c pass`: {med('interpreter')})")
    print(
        f"  fresh run / floor, per repetition: median {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); target <= 1.15x"
    )
    print(
        f"  import share (start-up CPU / CPU of the fresh run): median {statistics.median(shares):.0%} "
        f"(min {min(shares):.0%}, max {max(shares):.0%}; n={n})"
    )


def bench_compare(n: int, replications: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:

        def cmp(workers: int) -> float:
            return wall(
                [
                    *MVSIM,
                    "compare",
                    str(BASELINE),
                    str(ROOT / "scenarios" / "01b_cpc_halt_6m.yaml"),
                    "--replications",
                    str(replications),
                    "--workers",
                    str(workers),
                    "--out",
                    tmp,
                    "--no-plots",
                    "--quiet",
                ]
            )

        t = repeat(n, {"w1": lambda: cmp(1), "w2": lambda: cmp(2)})
    speedups = [a / b for a, b in zip(t["w1"], t["w2"], strict=True)]
    print(f"mvsim compare --replications {replications} --workers 1: {stats(t['w1'])}")
    print(f"mvsim compare --replications {replications} --workers 2: {stats(t['w2'])}")
    print(
        f"  speed-up 2 vs 1 worker (per repetition): median {statistics.median(speedups):.2f}x "
        f"(min {min(speedups):.2f}, max {max(speedups):.2f}); target >= 1.7x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--skip", nargs="*", default=[], choices=["startup", "cpu", "compare"])
    args = ap.parse_args()
    if "startup" not in args.skip:
        bench_startup(args.repeat)
    if "cpu" not in args.skip:
        bench_run_cpu(args.repeat)
    if "compare" not in args.skip:
        bench_compare(args.repeat, args.replications)


if __name__ == "__main__":
    main()

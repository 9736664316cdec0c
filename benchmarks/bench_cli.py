"""CLI benchmarks: start-up (`mvsim --help`, `mvsim validate`), `mvsim run --no-plots`, and
`mvsim compare` on 1 vs 2 workers, each as wall time of a fresh process.

    python benchmarks/bench_cli.py [--repeat 5] [--replications 20] [--skip compare]

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


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


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
    ap.add_argument("--skip", nargs="*", default=[], choices=["startup", "compare"])
    args = ap.parse_args()
    if "startup" not in args.skip:
        bench_startup(args.repeat)
    if "compare" not in args.skip:
        bench_compare(args.repeat, args.replications)


if __name__ == "__main__":
    main()

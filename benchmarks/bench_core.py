"""Core benchmarks: baseline run time in-process beside the previous version's, CLI wall time,
per-step cost vs actors.

    python benchmarks/bench_core.py [--repeat 5] [--rev 7f61749] [--sizes 16 64 256 512]

Prints figures only; nothing here asserts. Targets: the baseline no slower than 1.3x the
version before the economy and decision work (rev 7f61749, timed in the same run, alternating;
issues 8 and 9); per-step cost growing no faster than actors^2.2 from 16 to 512 actors.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_versions import DEFAULT_REV, compare_versions, report  # noqa: E402

from sim.api import load, simulate  # noqa: E402
from sim.core.model import MultiVectorModel, release  # noqa: E402
from sim.synthetic import synthetic_world  # noqa: E402


def bench_baseline(repeat: int) -> None:
    t0 = time.perf_counter()
    _, world = load(ROOT / "scenarios" / "baseline.yaml")
    load_s = time.perf_counter() - t0
    simulate(world, seed=1)  # warm-up (imports, caches)
    times = []
    for k in range(repeat):
        t = time.perf_counter()
        simulate(world, seed=1 + k)
        times.append(time.perf_counter() - t)
    print(
        f"baseline: load+validate {load_s * 1000:.0f} ms; run ({len(world.months)} months, "
        f"{world.n} actors) median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {repeat} runs"
    )


def bench_cli() -> None:
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "run",
                str(ROOT / "scenarios" / "baseline.yaml"),
                "--seed",
                "1",
                "--out",
                out,
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        wall = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "run",
                str(ROOT / "scenarios" / "baseline.yaml"),
                "--seed",
                "1",
                "--out",
                out,
                "--no-plots",
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        wall_np = time.perf_counter() - t
    print(f"CLI wall time (mvsim run baseline, with plots): {wall:.2f} s; without plots: {wall_np:.2f} s")


def bench_scaling(sizes: list[int], months: int) -> None:
    per_step = {}
    for n in sizes:
        world = synthetic_world(n, months=months)
        model = MultiVectorModel(world, rng=1, record_flows=False)
        t = time.perf_counter()
        while model.running:
            model.step()
        per_step[n] = (time.perf_counter() - t) / months
        release(model)  # public Mesa calls only (sim.core.model.release)
        print(
            f"synthetic {n:4d} actors: {per_step[n] * 1000:8.2f} ms per step (mean of {months} months, "
            f"decisions every 3)"
        )
    for a, b in itertools.pairwise(sizes):
        k = math.log(per_step[b] / per_step[a]) / math.log(b / a)
        print(f"  growth {a}->{b}: per-step cost ~ actors^{k:.2f}")
    if len(sizes) > 2:
        a, b = sizes[0], sizes[-1]
        k = math.log(per_step[b] / per_step[a]) / math.log(b / a)
        xs = [math.log(n) for n in sizes]
        ys = [math.log(per_step[n]) for n in sizes]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        fit = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
        print(f"  overall {a}->{b}: actors^{k:.2f} (end points), actors^{fit:.2f} (log-log fit); target 2.2")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--skip-cli", action="store_true")
    ap.add_argument("--rev", default=DEFAULT_REV, help="previous version to time beside this tree")
    ap.add_argument("--skip-versions", action="store_true", help="do not time the previous version")
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[16, 64, 256],
        help="synthetic actor counts (e.g. 16 64 256 512; 512 takes minutes)",
    )
    args = ap.parse_args()
    bench_baseline(args.repeat)
    if not args.skip_versions:
        old, new = compare_versions(args.rev, args.repeat, 3)
        report(args.rev, old, new)
    if not args.skip_cli:
        bench_cli()
    bench_scaling(args.sizes, args.months)


if __name__ == "__main__":
    main()

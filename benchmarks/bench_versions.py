"""Baseline run time of this tree beside an earlier version's, measured in the same run.

Usage: python benchmarks/bench_versions.py [--rev 7f61749] [--repeats 7]

The earlier version is exported from git (`git archive REV`) into a temporary directory and
timed in a fresh interpreter of the same virtual environment (same numpy, Mesa, ...), its
`sim` package first on sys.path; this tree is timed the same way, alternating with it, so
machine load affects both alike. Prints median, min and max of the in-process baseline run
(load excluded: `simulate` only) and the ratio of the medians (this tree / earlier).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REV = "7f61749"  # the last commit before the economy and decisions work (issues 8, 9)

_TIMER = """
import json, sys, time
sys.path.insert(0, {root!r})
from sim.api import load, simulate
loaded, world = load({root!r} + "/scenarios/baseline.yaml")
simulate(world, seed=1)  # warm-up (imports, caches)
times = []
for _ in range({inner}):
    t = time.perf_counter()
    simulate(world, seed=1)
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def export(rev: str, into: Path) -> Path:
    """Check out `rev` of this repository (files only) into `into`/src."""
    archive = into / "src.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev], check=True)
    src = into / "src"
    src.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(src, filter="data")
    return src


def time_tree(root: Path, inner: int, timer: str = _TIMER) -> list[float]:
    """Run `timer` (a template with {root} and {inner}; it prints a JSON list last) for the tree at `root`."""
    code = timer.format(root=str(root), inner=inner)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare_versions(
    rev: str, repeats: int, inner: int, timer: str = _TIMER
) -> tuple[list[float], list[float]]:
    """(earlier version's run times, this tree's run times) in seconds, alternating rounds."""
    with tempfile.TemporaryDirectory() as tmp:
        old_root = export(rev, Path(tmp))
        new, old = [], []
        for k in range(repeats):
            print(f"  round {k + 1}/{repeats}", file=sys.stderr)
            old += time_tree(old_root, inner, timer)
            new += time_tree(ROOT, inner, timer)
    return old, new


def report(rev: str, old: list[float], new: list[float]) -> None:
    """Print both trees' medians (min, max) and the ratio of the medians."""

    def fmt(xs: list[float]) -> str:
        med, lo, hi = 1e3 * statistics.median(xs), 1e3 * min(xs), 1e3 * max(xs)
        return f"median {med:7.1f} ms  (min {lo:.1f}, max {hi:.1f})"

    print(f"baseline run (108 months, in-process, {len(new)} runs each, alternating)")
    print(f"  {rev:>10}: {fmt(old)}")
    print(f"  {'this tree':>10}: {fmt(new)}")
    print(f"  ratio this / {rev}: {statistics.median(new) / statistics.median(old):.2f}x (target <= 1.3x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=DEFAULT_REV, help="earlier git revision (default %(default)s)")
    ap.add_argument("--repeats", type=int, default=5, help="alternating rounds (default %(default)s)")
    ap.add_argument("--inner", type=int, default=3, help="runs per round and tree (default %(default)s)")
    args = ap.parse_args()
    old, new = compare_versions(args.rev, args.repeats, args.inner)
    report(args.rev, old, new)


if __name__ == "__main__":
    main()

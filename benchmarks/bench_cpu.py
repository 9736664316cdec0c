"""CPU seconds per baseline run of this tree beside an earlier version's (issue 20), in one run.

    python benchmarks/bench_cpu.py [--rev 7d0c2d0] [--repeats 5] [--inner 4] [--tables]

Process CPU time (`time.process_time`), not wall time: the machine is shared, and another
process's load inflates wall time far more than CPU time. Each tree is timed in a fresh
interpreter of the same virtual environment (the earlier version exported with `git archive`,
as `bench_versions.py` does), alternating rounds so that load affects both alike. Every timed
run loads the baseline anew (load excluded from the time) so that no world memo outlives a run,
as in a sweep, where each run builds its own world; seeds 1..inner. --tables also times
`to_tables` of each run (the result tables a `mvsim run` writes).

Prints median and min CPU seconds per run of both trees and the ratios (target <= 0.5x). Both
trees must give the same figures (tests/test_golden.py): this script only times them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_versions import compare_versions

DEFAULT_REV = "7d0c2d0"  # main before the issue-20 speed-ups

_CPU_TIMER = """
import json, sys, time
sys.path.insert(0, {root!r})
from sim.api import load, simulate
from sim.results.tables import to_tables
TABLES = {tables!r}
loaded, world = load({root!r} + "/scenarios/baseline.yaml")
out = simulate(world, seed=1)  # warm-up (imports, first-call costs)
if TABLES:
    to_tables(out, loaded.spec, seed=1)
times = []
for k in range({inner}):
    loaded, world = load({root!r} + "/scenarios/baseline.yaml")  # a fresh world: cold memos
    t = time.process_time()
    out = simulate(world, seed=1 + k)
    if TABLES:
        to_tables(out, loaded.spec, seed=1 + k)
    times.append(time.process_time() - t)
print(json.dumps(times))
"""


def timer(tables: bool) -> str:
    """The timing template for `bench_versions.time_tree` ({{root}}, {{inner}} left to fill)."""
    return _CPU_TIMER.replace("{tables!r}", repr(tables))


def report(label: str, rev: str, old: list[float], new: list[float]) -> float:
    """Print both trees' median and min CPU seconds per run; return the ratio of the medians."""
    ratio = statistics.median(new) / statistics.median(old)
    print(f"{label} ({len(new)} runs each, alternating, process CPU s per run)")
    for name, xs in ((rev, old), ("this tree", new)):
        print(f"  {name:>10}: median {statistics.median(xs):.3f} s  (min {min(xs):.3f})")
    print(f"  ratio this / {rev}: median {ratio:.2f}x, min {min(new) / min(old):.2f}x (target <= 0.5x)")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default=DEFAULT_REV, help="earlier git revision (default %(default)s)")
    ap.add_argument("--repeats", type=int, default=5, help="alternating rounds (default %(default)s)")
    ap.add_argument("--inner", type=int, default=4, help="runs per round and tree (default %(default)s)")
    ap.add_argument("--tables", action="store_true", help="also time run + to_tables")
    args = ap.parse_args()
    old, new = compare_versions(args.rev, args.repeats, args.inner, timer(False))
    report("baseline run (simulate, 108 months)", args.rev, old, new)
    if args.tables:
        old, new = compare_versions(args.rev, args.repeats, args.inner, timer(True))
        report("baseline run + to_tables", args.rev, old, new)


if __name__ == "__main__":
    main()

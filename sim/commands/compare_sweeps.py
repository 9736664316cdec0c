"""`mvsim compare-sweeps A_DIR B_DIR`: compare two sweeps (delta = B - A).

When both sweeps share their design, seed and replications (the same sweep file over two
scenarios, e.g. scenarios/sweeps/smoke.yaml and smoke_01b.yaml), runs are paired by design
point and seed (common random numbers): paired deltas per design point with their 10-90 % band,
the response surface of the delta over each parameter, quantiles of both outcome distributions
and, for Sobol designs, the Sobol indices side by side. Otherwise the outcome distributions are
compared, with a note. Writes a directory with report.md, tables and plots (docs/sweeps.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "compare two sweeps (paired by design point and seed when they share a design): report and plots"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a_dir", type=Path, help="reference sweep directory (written by mvsim sweep)")
    p.add_argument("b_dir", type=Path, help="sweep directory compared with A")
    p.add_argument(
        "--outcome",
        action="append",
        default=None,
        help="scalar outcome to compare (repeatable; default: all shared)",
    )
    p.add_argument("--out", type=Path, default=Path("results"), help="parent directory of the comparison")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")


def run(args: argparse.Namespace) -> int:
    from sim.results.writer import prepare_out_dir
    from sim.sweep.compare import compare_sweeps
    from sim.sweep.compare_report import summary_lines, write_sweep_comparison

    prepare_out_dir(args.out)
    sc = compare_sweeps(args.a_dir, args.b_dir, outcomes=args.outcome)
    out = write_sweep_comparison(sc, args.out, plots=not args.no_plots)
    kind = "paired by design point and seed" if sc.paired else "not paired: distributions compared"
    print(f"{sc.b_name} vs {sc.a_name}: delta = B - A, {kind}; median [10-90 %]")
    print("\n".join(summary_lines(sc)))
    for note in sc.notes:
        print(f"note: {note}")
    print(f"Report: {out / 'report.md'}")
    return 0

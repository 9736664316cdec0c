"""`mvsim calibrate`: fit the free parameters to calibration/figures.csv and write params.yaml + report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.paths import DEFAULT_FIGURES, DEFAULT_PARAMS, DEFAULT_SETUP

HELP = "fit parameters to the published figures; write calibration/params.yaml and report.md"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=DEFAULT_PARAMS, help="parameter file to write")
    p.add_argument("--setup", type=Path, default=DEFAULT_SETUP, help="free parameters, bounds, window")
    p.add_argument("--figures", type=Path, default=DEFAULT_FIGURES, help="target figures with sources")
    p.add_argument("--report", type=Path, default=None, help="report path (default: report.md next to --out)")
    p.add_argument("--starts", type=int, default=4, help="multi-start count (default 4)")
    p.add_argument(
        "--check",
        action="store_true",
        help="only check that the parameter file at --out still reproduces its recorded fit",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")


def run(args: argparse.Namespace) -> int:
    from sim.calibration import calibrate, check

    if args.check:
        problems = check(args.setup, args.figures, args.out)
        for line in problems:
            print(f"drift: {line}", file=sys.stderr)
        print(f"{args.out}: {'ok' if not problems else f'{len(problems)} figures drifted'}")
        return 0 if not problems else 1
    summary = calibrate(
        args.setup,
        args.figures,
        args.out,
        args.report,
        starts=args.starts,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    r = summary.result
    fitted = [row for row in summary.rows if row.figure.fitted]
    hits = sum(x.hit for x in fitted)
    print(
        f"calibration {summary.version}: {hits}/{len(fitted)} targets within tolerance, "
        f"cost {r.cost:.3f}, Jacobian rank {r.rank}/{len(r.x)}, {r.evaluations} runs in {r.seconds:.1f} s"
    )
    for row in summary.rows:
        mark = "ok  " if row.hit else "MISS"
        print(
            f"  {mark} {row.figure.id:32s} target {row.figure.value:>9.4g}  model {row.model:>9.4g}  "
            f"z {row.z:+.2f}"
        )
    for f in summary.files:
        print(f"wrote {f}")
    return 0

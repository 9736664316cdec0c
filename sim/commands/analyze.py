"""`mvsim analyze SWEEP_DIR`: sensitivity analysis and scenario discovery of a sweep.

Sobol indices (SALib) when the design is Sobol; for any design, feature scores (Spearman rank
correlation, SALib delta); with `--condition 'kz_oil_lost_mt > 5'`, a PRIM box (the parameter
region where the condition holds). Tables, plots and summary.txt go to SWEEP_DIR/analysis.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.errors import InputError

HELP = "Sobol indices, feature scores and a PRIM box of a finished sweep"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sweep_dir", type=Path, help="directory written by mvsim sweep")
    p.add_argument(
        "--outcome",
        action="append",
        default=None,
        help="scalar outcome to analyse (repeatable; default: all)",
    )
    p.add_argument(
        "--condition",
        default=None,
        help="PRIM condition on scalar outcomes, e.g. 'kz_oil_lost_mt > 5' (clauses joined by 'and')",
    )
    p.add_argument(
        "--min-density",
        type=float,
        default=0.8,
        help="PRIM: choose the largest coverage at this density (0-1)",
    )
    p.add_argument("--out", type=Path, default=None, help="output directory (default: SWEEP_DIR/analysis)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--seed", type=int, default=1, help="seed of the bootstrap confidence intervals")


def run(args: argparse.Namespace) -> int:
    from sim.sweep.analyze import analyze_sweep

    if not 0 < args.min_density <= 1:
        raise InputError(f"expected a number in (0, 1], got {args.min_density}", field="--min-density")
    if not args.sweep_dir.is_dir():
        raise InputError(f"{args.sweep_dir} is not a directory", field="SWEEP_DIR")
    result = analyze_sweep(
        args.sweep_dir,
        outcomes=args.outcome,
        condition=args.condition,
        out_dir=args.out,
        plots=not args.no_plots,
        min_density=args.min_density,
        seed=args.seed,
    )
    print(result.text())
    return 0

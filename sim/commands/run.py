"""`mvsim run SCENARIO`: run one scenario and write a run directory."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.errors import InputError
from sim.seeds import check_seed

HELP = "run a scenario and write a run directory"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's seed)")
    p.add_argument("--out", type=Path, default=Path("results"), help="parent directory for run directories")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--focus",
        default=None,
        help="actor the summary and plots describe (default: Kazakhstan if present, else the first state)",
    )
    p.add_argument(
        "--posterior-draw",
        type=int,
        default=None,
        metavar="K",
        help="run with the parameters of posterior draw K (the `draw` index in the posterior file)",
    )
    p.add_argument(
        "--posterior",
        type=Path,
        default=None,
        metavar="PATH",
        help="posterior file of --posterior-draw (default calibration/posterior.parquet)",
    )


def run(args: argparse.Namespace) -> int:
    from sim.api import run_scenario
    from sim.results.summary import summary_text

    if args.seed is not None:
        check_seed(args.seed, "--seed")
    if args.posterior is not None and args.posterior_draw is None:
        raise InputError("expected --posterior-draw K with --posterior", field="--posterior")
    posterior = None
    if args.posterior_draw is not None:
        if args.posterior_draw < 0:
            raise InputError(
                f"expected a draw index >= 0, got {args.posterior_draw}", field="--posterior-draw"
            )
        from sim.calibration.ensemble_draws import load_draws

        posterior = load_draws(args.posterior)  # read once; a missing file or draw fails before the run
        posterior.row(args.posterior_draw)
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"expected a directory, but {args.out} is a file", field="--out")
    from sim.results.writer import prepare_out_dir

    prepare_out_dir(args.out)  # a file, read-only or full --out fails now, not after the runs
    t0 = time.perf_counter()
    result = run_scenario(
        args.scenario,
        seed=args.seed,
        out_dir=args.out,
        plots=not args.no_plots,
        focus=args.focus,
        posterior_draw=args.posterior_draw,
        posterior=posterior,
    )
    print(summary_text(result.tables, result.loaded.spec, focus=args.focus, run_dir=result.run_dir))
    print(f"run time: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0

"""`mvsim backtest`: the 2022 back-test episodes beside their placebos and base rates.

Runs scenarios/backtest_2022.yaml and its placebo files (trigger removed or moved) over N
seeds (1..N by default), scores each recorded episode of docs/validation.md
(sim/validation/episodes.py), prints the Markdown table and writes it to --out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "2022 back-test: each episode's probability beside its placebo and base rate"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seeds", type=int, default=50, help="number of seeds, 1..N (default 50)")
    p.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--posterior",
        nargs="?",
        const=True,
        default=None,
        help="draw parameters from a posterior file (default calibration/posterior.parquet)",
    )
    g.add_argument(
        "--decision-draws",
        action="store_true",
        help="draw the decision parameters and the SPIEF statement's strength from their 2022 fit "
        "(calibration/decision_posterior.parquet, `mvsim calibrate --decisions`); two seeds per draw",
    )
    p.add_argument(
        "--out", type=Path, default=Path("results/backtest/backtest.md"), help="Markdown file to write"
    )


def run(args: argparse.Namespace) -> int:
    from sim.errors import InputError
    from sim.validation.episodes import backtest

    if args.seeds < 1:
        raise InputError(f"expected a positive number of seeds, got {args.seeds}", field="--seeds")
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    posterior = args.posterior
    if args.decision_draws:
        from sim.paths import CALIBRATION_DIR

        posterior = CALIBRATION_DIR / "decision_posterior.parquet"
    _, text = backtest(seeds, workers=args.workers, posterior=posterior)
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0

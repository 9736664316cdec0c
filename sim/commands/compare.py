"""`mvsim compare A B`: paired runs of two scenarios (or run directories), delta = B - A.

Writes a comparison directory (report.md, delta tables, plots with ensemble bands)
atomically and prints the report path and a few headline deltas. See docs/compare.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.errors import InputError

HELP = "compare scenario B with A (paired seeds, delta = B - A): delta tables, plots and a report"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", type=Path, help="reference: scenario YAML file or run directory (e.g. the baseline)")
    p.add_argument("b", type=Path, help="scenario YAML file or run directory compared with A")
    p.add_argument(
        "--replications",
        type=int,
        default=10,
        help="paired runs on common seeds (default 10; a run directory counts as one)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=1,
        help="root seed the replication seeds are spawned from (default 1)",
    )
    p.add_argument("--out", type=Path, default=Path("results"), help="parent directory of the comparison")
    p.add_argument("--focus", default="Kazakhstan", help="actor whose indicators are compared")
    p.add_argument("--end", default=None, metavar="YYYY-MM", help="last month compared (default: horizon)")
    p.add_argument(
        "--window",
        default="auto",
        metavar="auto|all|YYYY-MM:YYYY-MM",
        help="months the headline and report tables cover: 'auto' (default) = the months in which B "
        "differs from A (docs/compare.md), 'all' = the whole horizon, or a range such as 2025-03:2025-05",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes for the paired runs (default 1; 0: all CPUs); results do not depend on it",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--posterior",
        nargs="?",
        const=True,
        default=None,
        type=Path,
        metavar="PATH",
        help="draw the parameters from a posterior (default file calibration/posterior.parquet): "
        "each replication runs both sides with the same draw and seed; the report splits the "
        "spread into parameter and stochastic uncertainty",
    )
    p.add_argument(
        "--seeds-per-draw",
        type=int,
        default=None,
        help="with --posterior: consecutive replications (seeds) per draw (default 2)",
    )


def run(args: argparse.Namespace) -> int:
    from sim.compare import pool

    if args.replications > 1 and args.workers != 1 and args.a.is_file() and args.b.is_file():
        # Spawned workers start and import while this process imports and loads (1-2 s each).
        pool.prestart(args.workers or None, WORKER_MODULES)
    try:
        return _run(args)
    finally:
        pool.shutdown()


WORKER_MODULES = ("sim.cli", "sim.api", "sim.compare.paired", "sim.core.model", "sim.results.tables")
"""What a compare worker imports before its first run (`pool.prestart`), in order: sim.cli first, so
that the worker imports Mesa's core only, as this process did (`sim.cli.import_mesa_core`; a
spawned worker of `python -m sim` does not re-import the entry module)."""


def _run(args: argparse.Namespace) -> int:
    from sim.compare import compare, headline_lines, write_comparison
    from sim.compare.report import differing_months, event_lines
    from sim.compare.window import parse_window, resolve_window
    from sim.results.summary import years_text
    from sim.scenario.schema import MONTH_RE

    if args.replications < 1:
        raise InputError(f"expected a positive integer, got {args.replications}", field="--replications")
    if args.workers < 0:
        raise InputError(f"expected a non-negative integer, got {args.workers}", field="--workers")
    if args.seed < 0:
        raise InputError(f"expected a non-negative integer, got {args.seed}", field="--seed")
    if args.end is not None and not MONTH_RE.match(args.end):
        raise InputError(f"expected a month as YYYY-MM, got {args.end!r}", field="--end")
    parse_window(args.window)  # a bad --window fails before the runs
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"expected a directory, but {args.out} is a file", field="--out")
    from sim.results.writer import prepare_out_dir

    prepare_out_dir(args.out)  # a file, read-only or full --out fails now, not after the runs
    for path in (args.a, args.b):
        if not path.exists():
            raise InputError("file not found; expected a scenario file or a run directory", file=str(path))
    if args.seeds_per_draw is not None and args.posterior is None:
        raise InputError("applies only with --posterior", field="--seeds-per-draw")
    if args.seeds_per_draw is not None and args.seeds_per_draw < 1:
        raise InputError(f"expected a positive integer, got {args.seeds_per_draw}", field="--seeds-per-draw")
    draws = None
    if args.posterior is not None:
        from sim.calibration.ensemble_draws import load_draws

        draws = load_draws(args.posterior)  # a bad file fails now
    t0 = time.perf_counter()
    cmp = compare(
        args.a,
        args.b,
        replications=args.replications,
        root_seed=args.seed,
        focus=args.focus,
        horizon_end=args.end,
        workers=args.workers or None,
        progress=False if args.quiet else None,
        posterior=draws,
        **({"seeds_per_draw": args.seeds_per_draw} if args.seeds_per_draw is not None else {}),
    )
    window = resolve_window(cmp, args.window)
    out = write_comparison(cmp, args.out, plots=not args.no_plots, window=window)
    reps = cmp.replications
    print(
        f"{cmp.b.label} vs {cmp.a.label}: delta = B - A for {cmp.focus}, {cmp.months[0]}..{cmp.months[-1]}, "
        f"{reps} paired replication{'s' if reps != 1 else ''}; median [10-90 %]"
    )
    print("\n".join(headline_lines(cmp, window=window)))
    events = event_lines(cmp)
    if events:
        print("B's own events, during and after:")
        print("\n".join(events))
    years = sorted({int(m[:4]) for m in differing_months(cmp)})
    print(f"B differs from A in: {years_text(years)}" if years else "B does not differ from A")
    from sim.compare.report import uncertainty_lines

    for line in uncertainty_lines(cmp):
        print(line)
    for note in cmp.notes:
        print(f"note: {note}")
    print(f"Report: {out / 'report.md'}")
    print(f"run time: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0

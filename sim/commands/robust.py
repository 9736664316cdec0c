"""`mvsim robust FILE`: robust decision search over policy levers (docs/robust.md).

NSGA-II (pymoo) searches the file's levers, every candidate run on the same ensemble of
uncertainties and seeds; the Pareto set and the baseline policy are re-run on a fresh, larger
ensemble, the robust policy is the one with the highest satisficing share there, and PRIM says
where it fails. Runs go to a local process pool (default: one worker per core; `--workers 1` runs
in this process) or, with `--scheduler tcp://host:port`, to a Dask cluster you started. Every run
is saved in --out (default results/robust/<name>) as it completes: killed or interrupted, rerun
with `--resume` and the same --out to continue (the same front as an uninterrupted run). The
tables (Parquet), manifest.json, report.md and plots are written there at the end. Results are
identical for any --workers or executor. `--quick` runs the file's `quick:` sizes. Bad input:
exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import InputError

HELP = "robust decision search (NSGA-II over levers, re-evaluation, PRIM) into a results directory"
EXIT_INTERRUPTED = 130


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="robust-search YAML file (see docs/robust.md)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (instead of the local pool)",
    )
    p.add_argument("--out", type=Path, default=None, help="output directory (default: results/robust/<name>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted search saved in --out")
    p.add_argument("--quick", action="store_true", help="run the file's small `quick:` sizes")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise InputError(f"expected a positive integer, got {args.workers}", field="--workers")
    try:
        import pymoo  # noqa: F401
    except ImportError:
        raise InputError(
            "the robust search needs pymoo: pip install 'multivector-sim[robust]'", field="FILE"
        ) from None
    from sim.robust import load_robust, run_robust
    from sim.runs.executors import usable_cpus

    loaded = load_robust(args.file, quick=args.quick)
    spec = loaded.spec
    out = args.out if args.out is not None else Path("results") / "robust" / spec.name
    workers = args.workers if args.workers is not None else usable_cpus()
    from sim.robust.store import check

    check(out, loaded, args.resume)  # a bad --out (another search, no --resume) before anything else
    print(
        f"{spec.name}: {len(spec.levers)} levers, {len(spec.uncertainties)} uncertainties, "
        f"{len(spec.objectives)} objectives; NSGA-II {spec.search.population} x {spec.search.generations} "
        f"on {spec.scenarios.n * spec.scenarios.replications} scenarios, re-evaluation on "
        f"{spec.reevaluation.n * spec.reevaluation.replications} -> {out}",
        file=sys.stderr,
    )
    try:
        res = run_robust(
            loaded,
            out,
            workers=workers,
            progress=False if args.quiet else None,
            quick=args.quick,
            scheduler=args.scheduler,
            resume=args.resume,
        )
    except KeyboardInterrupt:
        quick = " --quick" if args.quick else ""
        print(
            f"interrupted: the runs done so far are saved in {out}; continue with: "
            f"mvsim robust {args.file}{quick} --out {out} --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    chosen = res.robust[res.robust["candidate"] == res.robust_id].iloc[0]
    base = res.robust[res.robust["baseline"]]
    line = f"robust policy #{res.robust_id}: satisficing {chosen['satisficing']:.3f}"
    if len(base):
        line += f" vs baseline {base['satisficing'].iloc[0]:.3f}"
    print(f"{line} on {spec.reevaluation.n * spec.reevaluation.replications} fresh scenarios")
    print(res.discovery.text())
    restored = f" ({res.restored_runs} read from the saved runs)" if res.restored_runs else ""
    print(
        f"{res.n_runs} runs{restored} in {res.elapsed_s:.1f} s wall ({res.cpu_s:.0f} CPU s in runs, "
        f"{res.cpu_s / max(res.n_runs, 1):.2f} per run); report {res.out / 'report.md'}"
    )
    return 0

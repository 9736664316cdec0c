"""`mvsim robust FILE`: robust decision search over policy levers (docs/robust.md).

NSGA-II (pymoo) searches the file's levers, every candidate run on the same ensemble of
uncertainties and seeds; the Pareto set and the baseline policy are re-run on a fresh, larger
ensemble, the robust policy is the one with the highest satisficing share there, and PRIM says
where it fails. Outputs (Parquet tables, manifest.json, report.md, plots) are written to a
temporary directory renamed to --out (default results/robust/<name>) at the end. Results are
identical for any --workers. `--quick` runs the file's `quick:` sizes. Bad input: exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import InputError

HELP = "robust decision search (NSGA-II over levers, re-evaluation, PRIM) into a results directory"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="robust-search YAML file (see docs/robust.md)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: results/robust/<name>)")
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
    print(
        f"{spec.name}: {len(spec.levers)} levers, {len(spec.uncertainties)} uncertainties, "
        f"{len(spec.objectives)} objectives; NSGA-II {spec.search.population} x {spec.search.generations} "
        f"on {spec.scenarios.n * spec.scenarios.replications} scenarios, re-evaluation on "
        f"{spec.reevaluation.n * spec.reevaluation.replications} -> {out}",
        file=sys.stderr,
    )
    res = run_robust(loaded, out, workers=workers, progress=False if args.quiet else None, quick=args.quick)
    chosen = res.robust[res.robust["candidate"] == res.robust_id].iloc[0]
    base = res.robust[res.robust["baseline"]]
    line = f"robust policy #{res.robust_id}: satisficing {chosen['satisficing']:.3f}"
    if len(base):
        line += f" vs baseline {base['satisficing'].iloc[0]:.3f}"
    print(f"{line} on {spec.reevaluation.n * spec.reevaluation.replications} fresh scenarios")
    print(res.discovery.text())
    print(
        f"{res.n_runs} runs in {res.elapsed_s:.1f} s wall ({res.cpu_s:.0f} CPU s in runs, "
        f"{res.cpu_s / max(res.n_runs, 1):.2f} per run); report {res.out / 'report.md'}"
    )
    return 0

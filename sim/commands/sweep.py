"""`mvsim sweep SWEEP.yaml`: run a parameter sweep or ensemble into a Parquet dataset.

Runs go to a local process pool (default: one worker per core; `--workers 1` runs in this
process) or, with `--scheduler tcp://host:port`, to a Dask cluster you started (`dask scheduler`,
`dask worker tcp://host:port --nthreads 1`). Results are identical whatever the executor.
Interrupted (Ctrl-C, kill -9)? Rerun with `--resume` and the same `--out`: only the missing
runs are done. A failing run is recorded (status 'error' and its message) and the sweep goes
on; the last line reads 'N runs, K failed' and the exit code is 0, or 1 when every run failed
(with the first failure on stderr). Bad input: exit code 2. A custom `model:` must be one of
the project's models, registered (entry point group `mvsim.sweep_models`) or allowed with
`--allow-model module:function` (sim/sweep/models.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import InputError

HELP = "run a parameter sweep (process pool or Dask) into a Parquet dataset"
EXIT_INTERRUPTED = 130
EXIT_ALL_FAILED = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sweep", type=Path, help="sweep YAML file (see docs/sweeps.md)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786",
    )
    p.add_argument("--out", type=Path, default=None, help="sweep directory (default: results/sweeps/<name>)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted sweep in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--allow-model",
        action="append",
        default=[],
        metavar="MODULE:FUNCTION",
        help="allow this custom model (repeatable; see docs/sweeps.md); the project's and registered "
        "models need no flag",
    )
    p.add_argument(
        "--yes",
        action="store_true",
        help="run a sweep above the confirmation limit of runs (see docs/robustness.md)",
    )


def _fmt(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def run(args: argparse.Namespace) -> int:
    from sim.sweep.runner import run_sweep
    from sim.sweep.spec import load_sweep
    from sim.sweep.store import status_counts

    if args.workers is not None and args.workers < 1:
        raise InputError(f"expected a positive integer, got {args.workers}", field="--workers")
    from sim.sweep.models import allow

    allow(getattr(args, "allow_model", None) or [])  # checked in load_sweep; workers import it
    loaded = load_sweep(args.sweep)
    from sim.sweep.spec import CONFIRM_RUNS

    if loaded.n_runs > CONFIRM_RUNS and not getattr(args, "yes", False):
        raise InputError(
            f"{loaded.n_points:,} points x {loaded.spec.replications:,} replication(s) = "
            f"{loaded.n_runs:,} runs, above the limit of {CONFIRM_RUNS:,} runs without confirmation; "
            "rerun with --yes to run them",
            file=str(args.sweep),
            field="design",
        )
    out = args.out if args.out is not None else Path("results") / "sweeps" / loaded.spec.name
    progress = False if args.quiet else None
    print(
        f"{loaded.spec.name}: {loaded.n_points} points x {loaded.spec.replications} replication(s) = "
        f"{loaded.n_runs} runs in {loaded.n_chunks} chunks of {loaded.chunk_size} -> {out}",
        file=sys.stderr,
    )
    if loaded.posterior is not None:
        print(
            f"parameters drawn from the posterior {loaded.posterior.path} ({loaded.posterior.n} draws; "
            f"{loaded.spec.seeds_per_draw} replication(s) per draw; experiments column `draw`)",
            file=sys.stderr,
        )
    try:
        s = run_sweep(
            loaded, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume, progress=progress
        )
    except KeyboardInterrupt:
        counts = status_counts(out) if out.is_dir() else {"done": 0}
        print(
            f"interrupted: {counts['done']} of {loaded.n_runs} runs are saved in {out}; "
            f"finish with: mvsim sweep {args.sweep} --out {out} --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    names = [p.column for p in loaded.spec.parameters]
    for f in s.failures[:5]:
        params = ", ".join(f"{n}={_fmt(f[n])}" for n in names)
        print(f"failed run {f['run_id']} ({params}): {f['error']}")
    if s.failed > len(s.failures[:5]):
        print(
            f"... {s.failed - len(s.failures[:5])} more failed run(s): status == 'error' in {out}/experiments"
        )
    where = f"{s.executor} x{s.workers}" if s.ran_now else "nothing left to run"
    rate = f", {s.rate:.2f} runs/s" if s.ran_now else ""
    print(f"{s.ran_now} run(s) this time in {s.elapsed_s:.1f} s ({where}{rate}); tables in {s.out_dir}")
    print(s.line())
    if s.done > 0 and s.failed == s.done:
        if s.failures:
            f = s.failures[0]
            params = ", ".join(f"{n}={_fmt(f[n])}" for n in names)
            first = f"run {f['run_id']} ({params}): {f['error']}"
        else:
            first = f"status == 'error' in {out}/experiments"
        print(f"error: all {s.done} runs failed; the first: {first}", file=sys.stderr)
        return EXIT_ALL_FAILED
    return 0

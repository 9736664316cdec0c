"""Command line: `mvsim run | validate | schema` (also `python -m sim ...`).

A thin adapter: every subcommand calls a library function in sim.api or
sim.scenario. Bad input is reported as `error: <file>: <field>: <expected>`
on stderr with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sim import __version__
from sim.errors import EXIT_BAD_INPUT, InputError, ScenarioError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mvsim",
        description="Scenario simulator of multi-vector foreign policy (Kazakhstan between Russia, China, "
        "the West and Turkey).",
    )
    p.add_argument("--version", action="version", version=f"mvsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario and write a run directory")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's seed)")
    run.add_argument("--out", type=Path, default=Path("results"), help="parent directory for run directories")
    run.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    run.add_argument(
        "--focus",
        default=None,
        help="actor the summary and plots describe (default: Kazakhstan if present, else the first state)",
    )

    val = sub.add_parser("validate", help="check a scenario file and report every problem")
    val.add_argument("scenario", type=Path)

    sub.add_parser("schema", help="print the scenario JSON schema")
    return p


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.api import run_scenario
    from sim.results.summary import summary_text

    if args.seed is not None and args.seed < 0:
        raise InputError(f"expected a non-negative integer, got {args.seed}", field="--seed")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"expected a directory, but {args.out} is a file", field="--out")
    t0 = time.perf_counter()
    result = run_scenario(
        args.scenario, seed=args.seed, out_dir=args.out, plots=not args.no_plots, focus=args.focus
    )
    print(summary_text(result.tables, result.loaded.spec, focus=args.focus, run_dir=result.run_dir))
    print(f"run time: {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.api import load

    loaded, world = load(args.scenario)
    spec = loaded.spec
    print(
        f"ok: {args.scenario} ({spec.name}): {len(spec.actors)} actors, {len(spec.blocs)} blocs, "
        f"{len(spec.goods)} goods, {len(spec.routes)} routes, {len(spec.events)} events, "
        f"{len(spec.hazards)} hazards, {len(world.months)} months {spec.start}..{spec.end}"
    )
    return 0


def _cmd_schema(_: argparse.Namespace) -> int:
    from sim.scenario.loader import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mvsim` console script."""
    args = _parser().parse_args(argv)
    handler = {"run": _cmd_run, "validate": _cmd_validate, "schema": _cmd_schema}[args.command]
    try:
        return handler(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no run directory was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""`mvsim validate SCENARIO`: check a scenario file and report every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "check a scenario file and report every problem"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")


def run(args: argparse.Namespace) -> int:
    # The loader alone: validation needs neither the model nor Mesa (start-up time).
    from sim.scenario.loader import load_scenario
    from sim.scenario.schema import month_index

    spec = load_scenario(args.scenario).spec
    n_months = month_index(spec.end) - month_index(spec.start) + 1
    print(
        f"ok: {args.scenario} ({spec.name}): {len(spec.actors)} actors, {len(spec.blocs)} blocs, "
        f"{len(spec.goods)} goods, {len(spec.routes)} routes, {len(spec.events)} events, "
        f"{len(spec.hazards)} hazards, {n_months} months {spec.start}..{spec.end}"
    )
    return 0

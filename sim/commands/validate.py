"""`mvsim validate SCENARIO`: check a scenario file and report every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "check a scenario file and report every problem"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", type=Path, help="scenario YAML file")


def run(args: argparse.Namespace) -> int:
    from sim.api import load

    loaded, world = load(args.scenario)
    spec = loaded.spec
    print(
        f"ok: {args.scenario} ({spec.name}): {len(spec.actors)} actors, {len(spec.blocs)} blocs, "
        f"{len(spec.goods)} goods, {len(spec.routes)} routes, {len(spec.events)} events, "
        f"{len(spec.hazards)} hazards, {len(world.months)} months {spec.start}..{spec.end}"
    )
    return 0

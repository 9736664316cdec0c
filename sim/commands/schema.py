"""`mvsim schema`: print the JSON schema of scenario files (`--robust`: of robust-search files).

mvsim schema > docs/scenario.schema.json
mvsim schema --robust > docs/robust.schema.json
"""

from __future__ import annotations

import argparse
import json

HELP = "print the scenario JSON schema (--robust: the robust-search file schema)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--robust",
        action="store_true",
        help="the schema of robust-search files (scenarios/robust/*.yaml) instead",
    )


def run(args: argparse.Namespace) -> int:
    if getattr(args, "robust", False):
        from sim.robust.spec import robust_json_schema

        print(json.dumps(robust_json_schema(), indent=2))
        return 0
    from sim.scenario.loader import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0

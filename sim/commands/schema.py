"""`mvsim schema`: print the JSON schema of scenario files."""

from __future__ import annotations

import argparse
import json

HELP = "print the scenario JSON schema"


def add_arguments(p: argparse.ArgumentParser) -> None:
    del p  # no arguments


def run(args: argparse.Namespace) -> int:
    from sim.scenario.loader import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0

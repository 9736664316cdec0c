"""Command line: `mvsim COMMAND ...` (also `python -m sim ...`).

A thin adapter: each subcommand is a module in sim.commands (discovered here)
that calls a library function. Bad input is reported as
`error: <file>: <field>: <expected>` on stderr with exit code 2 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import sim.commands
from sim import __version__
from sim.errors import EXIT_BAD_INPUT, ScenarioError


def _commands() -> dict[str, object]:
    """Subcommand name -> module, for every module in sim.commands."""
    names = sorted(m.name for m in pkgutil.iter_modules(sim.commands.__path__) if not m.name.startswith("_"))
    return {n.replace("_", "-"): importlib.import_module(f"sim.commands.{n}") for n in names}


def _parser(commands: dict[str, object]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mvsim",
        description="Scenario simulator of multi-vector foreign policy (Kazakhstan between Russia, China, "
        "the West and Turkey).",
    )
    p.add_argument("--version", action="version", version=f"mvsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, mod in commands.items():
        mod.add_arguments(sub.add_parser(name, help=mod.HELP, description=mod.__doc__))
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `mvsim` console script."""
    commands = _commands()
    args = _parser(commands).parse_args(argv)
    try:
        return commands[args.command].run(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted: nothing was written under a final name", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

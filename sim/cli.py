"""Command line: `mvsim COMMAND ...` (also `python -m sim ...`).

A thin adapter: each subcommand is a module in sim.commands (discovered here)
that calls a library function. Bad input is reported as
`error: <file>: <field>: <expected>` on stderr with exit code 2 and no traceback;
anything else that escapes a command is "internal error, please report" with exit
code 1 and the path of a saved traceback log (`sim.errors.save_traceback`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from types import ModuleType

import sim.commands
from sim import __version__
from sim.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, ScenarioError, describe_os_error, save_traceback


def _commands() -> dict[str, ModuleType]:
    """Subcommand name -> module, for every module in sim.commands."""
    names = sorted(m.name for m in pkgutil.iter_modules(sim.commands.__path__) if not m.name.startswith("_"))
    return {n.replace("_", "-"): importlib.import_module(f"sim.commands.{n}") for n in names}


def _parser(commands: dict[str, ModuleType]) -> argparse.ArgumentParser:
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
    """Entry point of the `mvsim` console script.

    Exit codes: 0 success; 2 bad input or an environment problem (a message of one line per
    problem, no traceback); 1 an internal error (one line with the path of a saved traceback
    log); 130 interrupted.
    """
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
    except OSError as exc:  # the environment (disk full, read-only, permissions), not the program
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print("error: out of memory; expected a smaller scenario or sweep", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception:  # the last line of defence: never a raw traceback
        log = save_traceback(argv if argv is not None else sys.argv[1:])
        where = f"; traceback saved to {log}" if log is not None else ""
        print(f"internal error, please report{where}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

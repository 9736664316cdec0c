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
import importlib.util
import os
import pkgutil
import sys
import threading
from types import ModuleType
from typing import Any

import sim.commands
from sim import __version__
from sim.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, ScenarioError, describe_os_error, save_traceback

MESA_CORE = {
    "Model": "mesa.model",
    "Agent": "mesa.agent",
    "AgentSet": "mesa.agent",
    "DataCollector": "mesa.datacollection",
}
"""The Mesa names the model uses, and the light submodule that defines each."""


def import_mesa_core() -> None:
    """Make `import mesa` cheap in this process: `mesa.Model`, `mesa.Agent` and `mesa.DataCollector`
    come from their own submodules; any other name runs Mesa's package `__init__` on first use.

    Mesa 3.3's `__init__` imports every subpackage (experimental, space, discrete_space,
    batchrunner), which pulls in scipy.spatial, networkx, tqdm and asyncio: about 1 CPU s the
    model never uses. This registers the `mesa` package module without executing its `__init__`
    (the import system still finds its submodules through its path) and executes it, into the
    same module object, the first time another attribute is asked for (`mesa.batch_run`,
    `mesa.__version__`, `from mesa import space`). The classes are the very objects a full import
    gives (the submodules are shared), so isinstance checks and pickles do not change.
    Only the command line installs it (when sim.cli is imported, before anything imports Mesa); a
    library user's `import mesa` is untouched. Does nothing if Mesa is imported already.
    """
    if "mesa" in sys.modules:
        return
    spec = importlib.util.find_spec("mesa")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    loader = spec.loader
    mesa = importlib.util.module_from_spec(spec)
    lock = threading.RLock()
    full = [False]

    def __getattr__(name: str) -> Any:
        with lock:
            if not full[0]:
                if name in MESA_CORE:
                    return getattr(importlib.import_module(MESA_CORE[name]), name)
                full[0] = True  # from here on a missing name is missing (also while __init__ runs)
                loader.exec_module(mesa)
                return getattr(mesa, name)
        raise AttributeError(f"module 'mesa' has no attribute {name!r}")

    mesa.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules["mesa"] = mesa


MODEL_COMMANDS = frozenset({"run", "compare", "sweep", "calibrate", "serve", "robust"})
"""Commands that build models: they import `mesa.model` first thing (see main)."""

# At import, not in main(): spawned pool workers of a command (compare, sweep) re-import the
# entry module (`sim.__main__` or the `mvsim` script, both import this one) without calling main().
import_mesa_core()


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
    if args.command in MODEL_COMMANDS:
        # mesa.model names its logger from inspect.stack(), whose cost grows with the call depth
        # and the number of loaded modules: ~0.03 CPU s here against ~0.15 s deep in the model's
        # import chain.
        importlib.import_module("mesa.model")
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

"""`mvsim serve`: the interactive scenario workbench in the browser (docs/workbench.md).

Pick a scenario, move its levers, run it against its comparison scenario on paired seeds and
inspect deltas, routes, alignment and decisions. Needs the `ui` extra:
pip install -e ".[ui]".
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.errors import InputError

HELP = "open the interactive scenario workbench (a local web app)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765)")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    p.add_argument("--scenarios", type=Path, default=Path("scenarios"), help="scenario directory")
    p.add_argument(
        "--results",
        type=Path,
        default=Path("results") / "workbench",
        help="where runs and comparisons are written (default results/workbench)",
    )
    p.add_argument(
        "--save-dir", type=Path, default=None, help="where edited scenarios are saved (default: --scenarios)"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="processes for the paired runs (default: all CPUs)"
    )


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise InputError(f"expected a port in 1..65535, got {args.port}", field="--port")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"expected a positive integer, got {args.workers}", field="--workers")
    if not args.scenarios.is_dir():
        raise InputError("expected a directory of scenario files", file=str(args.scenarios))
    try:
        import solara  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise InputError("the workbench needs the ui extra: pip install -e '.[ui]'", field="serve") from None
    from sim.ui.server import serve

    serve(args.host, args.port, args.scenarios, args.results, args.save_dir, args.workers)
    return 0

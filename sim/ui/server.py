"""Serve the workbench page with Solara's Starlette app on uvicorn, bound to 127.0.0.1 by default.

Solara's telemetry and version check are switched off (they would call out to the internet);
the worker pool is started (warm) in the background before the first page loads.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

APP = "sim.ui.app"


def configure(scenarios: Path, results: Path, save: Path | None = None) -> None:
    """Environment read by Solara (must be set before it is imported) and by the page."""
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_CHECK_VERSION", "False")
    os.environ["MVSIM_UI_SCENARIOS"] = str(Path(scenarios).resolve())
    os.environ["MVSIM_UI_RESULTS"] = str(Path(results).resolve())
    os.environ["MVSIM_UI_SAVE"] = str(Path(save or scenarios).resolve())


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    scenarios: Path = Path("scenarios"),
    results: Path = Path("results") / "workbench",
    save: Path | None = None,
    workers: int | None = None,
) -> None:
    """Run the server until interrupted (Ctrl-C)."""
    configure(scenarios, results, save)
    if workers is not None:
        os.environ["MVSIM_UI_WORKERS"] = str(workers)
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)

    import uvicorn

    from sim.ui import assets
    from sim.ui.jobs import default_pool, shutdown_default_pool

    try:
        added = assets.ensure_assets()
        if added:
            print(f"cached Solara's front-end files from the npm registry: {', '.join(added)}", flush=True)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"warning: {exc}", flush=True)

    threading.Thread(target=default_pool().warm, name="mvsim-ui-warm", daemon=True).start()
    print(f"mvsim workbench: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    try:
        uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    finally:
        shutdown_default_pool()


__all__ = ["APP", "configure", "serve"]

"""Start-up of the command line: `mvsim` imports Mesa's core only (sim.cli.import_mesa_core), and
the rest of Mesa still loads, as the same objects, when something asks for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("mesa.experimental", "mesa.space", "mesa.batchrunner", "networkx", "scipy.spatial", "tqdm")

PROBE = f"""
import sys
from sim.cli import import_mesa_core

import_mesa_core()
import sim.core.model

heavy = [m for m in {HEAVY!r} if m in sys.modules]
assert heavy == [], heavy
import mesa
from mesa.agent import Agent
from mesa.model import Model

assert sim.core.model.MultiVectorModel.__mro__[1] is Model is mesa.Model and mesa.Agent is Agent
assert callable(mesa.batch_run) and mesa.__version__  # the rest of the package, loaded on first use
assert "mesa.experimental" in sys.modules and mesa.Model is Model
from mesa import space  # noqa: F401
try:
    mesa.no_such_name
except AttributeError:
    pass
else:
    raise AssertionError("a missing name must stay missing")
print("ok")
"""

ALREADY = """
import sys
import mesa
from sim.cli import import_mesa_core

m = sys.modules["mesa"]
import_mesa_core()
assert sys.modules["mesa"] is m and "__getattr__" not in vars(m)
print("ok")
"""


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)


def test_cli_imports_mesa_core_only_and_loads_the_rest_on_demand() -> None:
    res = _python(PROBE)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


def test_the_hook_leaves_an_imported_mesa_alone() -> None:
    res = _python(ALREADY)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr

"""Notebooks: stored without outputs, and each executes headless (nbclient) showing at least one
plot, with no warnings printed (e.g. TqdmWarning) and no error."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = [f"{k:02d}" for k in range(1, 7)]
TIMEOUT_S = 240  # per cell


def test_the_six_notebooks_exist():
    assert [p.name[:2] for p in NOTEBOOKS] == EXPECTED, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        k
        for k, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_and_shows_a_plot(path):
    nb = nbformat.read(path, as_version=4)
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    t0 = time.perf_counter()
    NotebookClient(
        nb, timeout=TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    elapsed = time.perf_counter() - t0
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} shows no plot"
    warnings = [o.get("text", "") for o in outputs if o.get("name") == "stderr"]
    assert not any("Warning" in w for w in warnings), f"{path.name} printed warnings: {warnings}"
    print(f"{path.name}: {elapsed:.1f} s")

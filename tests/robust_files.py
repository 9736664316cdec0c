"""Robust-search files for tests: the synthetic ZDT1 problem (sim.robust.synthetic) written as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def zdt_file(
    tmp: Path,
    *,
    model: str = "zdt1",
    name: str = "zdt1",
    filename: str | None = None,
    reevaluation: dict[str, Any] | None = None,
    **search: object,
) -> Path:
    """A two-lever, two-objective file on `sim.robust.synthetic:<model>`; `search` overrides the
    search block (population 40, generations 60, seed 5)."""
    data = {
        "name": name,
        "model": f"sim.robust.synthetic:{model}",
        "levers": [
            {"name": "x", "type": "real", "range": [0, 1]},
            {"name": "y", "type": "real", "range": [0, 1]},
        ],
        "uncertainties": [{"name": "u", "range": [0.0, 0.2]}],
        "scenarios": {"n": 4, "seed": 3},
        "objectives": [
            {"name": "f1", "direction": "min", "threshold": 0.6},
            {"name": "f2", "direction": "min", "threshold": 0.6},
        ],
        "search": {"population": 40, "generations": 60, "seed": 5, **search},
        "reevaluation": reevaluation or {"n": 20, "seed": 4},
    }
    path = tmp / (filename or f"{name}.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path

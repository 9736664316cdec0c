"""Shared fixtures: a small valid scenario on disk (see tests/scenario_factory.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# Make `import sim` and `from scenario_factory import ...` work without PYTHONPATH or an install.
for _dir in (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent):
    if str(_dir) not in sys.path:
        sys.path.insert(0, str(_dir))

from scenario_factory import small_scenario_dict, write_small_scenario  # noqa: E402


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """Path of the small valid scenario YAML (its trade CSV sits next to it)."""
    return write_small_scenario(tmp_path)


@pytest.fixture
def small_scenario_data() -> dict:
    """A fresh mapping of the small scenario, to modify and write with `scenario_writer`."""
    return small_scenario_dict()


@pytest.fixture
def scenario_writer(tmp_path: Path) -> Callable[..., Path]:
    """`scenario_writer(data=None, filename='small.yaml', trade_rows=None)` writes into tmp_path."""

    def write(data: dict | None = None, filename: str = "small.yaml", trade_rows: list | None = None) -> Path:
        return write_small_scenario(tmp_path, filename=filename, data=data, trade_rows=trade_rows)

    return write

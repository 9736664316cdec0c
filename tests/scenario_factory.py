"""A small valid scenario for tests: 4 actors, 3 poles, 2 goods, 2 routes, 1 shipment.

Use `write_small_scenario(dir)` to get a scenario file (plus its trade CSV) on disk,
or `small_scenario_dict()` / `write_yaml` / `write_trade_csv` to build variants.
The fixtures in `tests/conftest.py` wrap these.
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ACTORS = ["Kazakhstan", "Russia", "China", "RestOfWorld"]
GOODS = ["oil", "electronics"]
TRADE_FILE = "trade_small.csv"

# exporter, importer, good, value_usd_bn, source
SMALL_TRADE_ROWS: list[tuple[str, str, str, float, str]] = [
    ("Kazakhstan", "China", "oil", 10.0, "test"),
    ("Kazakhstan", "RestOfWorld", "oil", 30.0, "test"),
    ("Russia", "Kazakhstan", "electronics", 2.0, "test"),
    ("China", "Kazakhstan", "electronics", 5.0, "test"),
    ("China", "Russia", "electronics", 8.0, "test"),
    ("RestOfWorld", "Russia", "electronics", 20.0, "test"),
]

_SMALL: dict[str, Any] = {
    "name": "small",
    "description": "Four actors, two goods, two pipelines (test fixture).",
    "start": "2022-01",
    "end": "2023-12",
    "seed": 7,
    "poles": ["Russia", "China", "West"],
    "actors": [
        {
            "name": "Kazakhstan",
            "gdp_usd_bn": 197.0,
            "alignment": {"Russia": 0.4, "China": 0.3, "West": 0.3},
            "hedging_weight": 1.0,
            "security_dependence": {"Russia": 0.6},
        },
        {"name": "Russia", "pole": "Russia", "gdp_usd_bn": 1836.0, "alignment": {"Russia": 1.0}},
        {"name": "China", "pole": "China", "gdp_usd_bn": 17734.0, "alignment": {"China": 1.0}},
        {
            "name": "RestOfWorld",
            "kind": "rest_of_world",
            "pole": "West",
            "gdp_usd_bn": 60000.0,
            "alignment": {"West": 1.0},
        },
    ],
    "blocs": [
        {"name": "EAEU", "kind": "customs_union", "members": ["Kazakhstan", "Russia"]},
        {"name": "Coalition", "kind": "sanctions_coalition", "members": ["RestOfWorld"]},
    ],
    "goods": [
        {"name": "oil", "unit": "Mt", "price_usd_per_unit": 500.0},
        {"name": "electronics", "dual_use": True},
    ],
    "trade": {"baseline_file": TRADE_FILE, "base_year": 2021},
    "routes": [
        {
            "name": "CPC",
            "mode": "pipeline",
            "unit": "Mt",
            "nodes": ["Tengiz", "Novorossiysk"],
            "destination": "RestOfWorld",
            "transit": ["Russia"],
            "capacity_per_year": 60.0,
            "tariff_usd_per_unit": 38.0,
        },
        {
            "name": "KCP",
            "mode": "pipeline",
            "unit": "Mt",
            "destination": "China",
            "capacity_per_year": 20.0,
            "tariff_usd_per_unit": 20.0,
        },
    ],
    "shipments": [
        {
            "name": "kz_oil",
            "shipper": "Kazakhstan",
            "good": "oil",
            "volume_per_year": 70.0,
            "routes": ["CPC", "KCP"],
        }
    ],
    "events": [
        {
            "date": "2022-03",
            "action": {
                "type": "sanction",
                "sender": "Coalition",
                "target": "Russia",
                "goods": ["electronics"],
                "label": "ru_electronics",
            },
        },
        {
            "date": "2022-07",
            "action": {"type": "route_disruption", "actor": "Russia", "route": "CPC", "capacity_factor": 0.5},
        },
    ],
    "hazards": [
        {
            "name": "cpc_storm",
            "rate_per_year": 0.5,
            "action": {"type": "route_disruption", "route": "CPC", "capacity_factor": 0.8},
        }
    ],
    "decisions": {
        "every_months": 3,
        "menus": {
            "Russia": [
                {
                    "name": "press_recognition",
                    "action": {
                        "type": "demand",
                        "sender": "Russia",
                        "target": "Kazakhstan",
                        "issue": "recognition",
                    },
                }
            ],
            "Kazakhstan": [
                {
                    "name": "signal_west",
                    "action": {
                        "type": "signal",
                        "actor": "Kazakhstan",
                        "toward": "West",
                        "against": "Russia",
                    },
                }
            ],
        },
    },
}


def small_scenario_dict() -> dict[str, Any]:
    """A fresh (deep-copied) mapping of the small valid scenario."""
    return copy.deepcopy(_SMALL)


def write_yaml(path: Path, data: Any) -> Path:
    """Write `data` as YAML to `path` (parents created); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_trade_csv(path: Path, rows: Iterable[Iterable[Any]] = SMALL_TRADE_ROWS) -> Path:
    """Write a trade CSV (header exporter, importer, good, value_usd_bn, source) to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["exporter", "importer", "good", "value_usd_bn", "source"])
        writer.writerows(rows)
    return path


def write_small_scenario(
    directory: Path,
    *,
    filename: str = "small.yaml",
    data: Mapping[str, Any] | None = None,
    trade_rows: Iterable[Iterable[Any]] | None = None,
) -> Path:
    """Write the small scenario (or `data`) and its trade CSV into `directory`; return the YAML path."""
    directory = Path(directory)
    write_trade_csv(directory / TRADE_FILE, SMALL_TRADE_ROWS if trade_rows is None else trade_rows)
    return write_yaml(directory / filename, dict(data) if data is not None else small_scenario_dict())

"""Load a scenario file: YAML -> `extends:` merge -> parameters file -> validation -> trade data.

Files are parsed with PyYAML's safe loader (a `yaml.SafeLoader` subclass that
also rejects duplicate keys in a mapping, which plain YAML silently drops).

Merge rule for ``extends: other.yaml`` (path relative to the extending file;
chains are allowed, cycles are reported). The child is merged onto its base:

* mappings merge recursively; a child's scalar or list replaces the base value;
* the top-level lists of named items -- ``actors``, ``blocs``, ``goods``,
  ``routes``, ``shipments``, ``hazards`` -- merge by ``name``: a child item with a
  known name is merged (recursively, by the same rules) into the base item, a new
  name is appended, and ``{name: X, remove: true}`` deletes X;
* ``events`` are appended: the base's events, then the child's; an event may carry a
  ``name``, and a child item ``{name: X, remove: true}`` deletes the base event X;
* ``decisions.menus`` merges per actor key: a child's list replaces that actor's
  menu, other actors' menus are kept (this is just the mapping rule);
* any other list replaces the base list.

The ``extends`` key itself is dropped from the merged mapping. Then, if
``parameters_file`` is set, that YAML (relative to the file declaring it) is
read: a mapping of parameter name -> value, or name -> ``{value: ..., ...}``
(other keys such as bounds, unit, source are ignored), optionally wrapped in a
top-level ``parameters:`` key (then other top-level keys, e.g. a calibrated
file's version and fit summary, are metadata and ignored). Values given under the scenario's own
``parameters:`` take precedence. The result is validated against
`ScenarioSpec`; every error becomes a `ScenarioError` problem naming the file
that supplied the value, the line and column where it was written (of the mapping
that lacks it, for a missing key), the field path in that file's own terms (its own
list indices, not the merged list's) and what was expected; merge problems and
validation problems are reported together, in one pass.

Finally ``trade.baseline_file`` (CSV: exporter, importer, good, value_usd_bn,
source; relative to the file declaring it) is read into a dense
(actor, actor, good) array of USD bn per year.

Rooms: `reading` (limits, suffixes, bytes, YAML, the paths files name), `merging` (`extends:`,
named lists, parameters file), `validation` (one pass over the merged mapping), `diagnostics`
(pydantic errors in the user's terms, lines and columns), `datafiles` (trade and paths CSV);
this module keeps `LoadedScenario` and the entry points.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

if TYPE_CHECKING:
    import pandas as pd

from sim.errors import Problem, ScenarioError, format_loc
from sim.scenario.datafiles import load_paths, load_trade
from sim.scenario.diagnostics import MAX_PROBLEMS, pydantic_problems, with_lines
from sim.scenario.merging import MAX_EXTENDS_DEPTH, apply_parameters_file, load_chain
from sim.scenario.origins import Origin
from sim.scenario.reading import (
    CSV_SUFFIXES,
    MAX_DATA_BYTES,
    YAML_SUFFIXES,
    Nodes,
    check_suffix,
    display_name,
    parse_yaml,
    plain_copy,
    read_mapping,
)
from sim.scenario.schema import ScenarioSpec
from sim.scenario.validation import capped, validate_merged

HASH_VERSION = b"mvsim-scenario-hash-v1\n"


@dataclass(frozen=True, eq=False)
class LoadedScenario:
    """A validated scenario with its data. `baseline_flows[e, i, g]` is exports of good g
    from actor e to actor i, USD bn per year, in the order of `spec.actors` and `spec.goods`."""

    path: Path
    spec: ScenarioSpec
    content_hash: str
    sources: list[Path]
    baseline_flows: np.ndarray
    flow_records: tuple[tuple[list[str], list[dict[str, Any]]], ...] = ()  # (header, rows) of the trade CSV

    @functools.cached_property
    def flow_sources(self) -> pd.DataFrame:
        """The trade CSV's rows with their sources, as a DataFrame (built on first use: pandas is
        imported only when a caller asks, so `mvsim validate` does not pay for it)."""
        import pandas as pd

        header, records = self.flow_records[0]
        table = pd.DataFrame.from_records(records, columns=header)
        table["value_usd_bn"] = table["value_usd_bn"].astype("float64")
        return table

    @property
    def actor_index(self) -> dict[str, int]:
        """Actor name -> index into the first two axes of `baseline_flows`."""
        return {a.name: i for i, a in enumerate(self.spec.actors)}

    @property
    def good_index(self) -> dict[str, int]:
        """Good name -> index into the last axis of `baseline_flows`."""
        return {g.name: i for i, g in enumerate(self.spec.goods)}


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a (merged) scenario file."""
    return ScenarioSpec.model_json_schema()


def load_scenario(path: str | os.PathLike[str]) -> LoadedScenario:
    """Read, merge, validate and load the data of a scenario file; raise `ScenarioError` on bad input."""
    path = Path(path)
    display = display_name(path)
    sources: list[Path] = [Path(display)]
    nodes: Nodes = {}
    try:
        data = read_mapping(path, display, "a scenario file", nodes=nodes)
        pending: list[Problem] = []
        merged, origin = load_chain(data, path, display, [], sources, nodes, pending)
        return _finish(path, merged, origin, sources, nodes, pending)
    except ScenarioError as exc:
        raise with_lines(exc, nodes) from None


def load_scenario_text(text: str, base_dir: str | os.PathLike[str], name: str = "<text>") -> LoadedScenario:
    """Load a scenario from YAML text, as if it were the file `base_dir/name`.

    Same limits, merge, validation and errors as `load_scenario` (errors name `name`);
    `extends`, `parameters_file` and data files are resolved relative to `base_dir`.
    """
    if not isinstance(text, str):
        raise ScenarioError(name, "", f"expected YAML text (a str), got a {type(text).__name__}")
    nodes: Nodes = {}
    data = parse_yaml(text.encode("utf-8", errors="surrogatepass"), name, "a scenario", nodes)
    if not isinstance(data, dict):
        got = "an empty text" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(name, "", f"expected a mapping of keys at the top level (a scenario), got {got}")
    return _load_virtual(data, base_dir, name, nodes)


def load_scenario_mapping(
    mapping: dict[str, Any], base_dir: str | os.PathLike[str], name: str = "<mapping>"
) -> LoadedScenario:
    """Load a scenario from a mapping (e.g. built in a notebook), as if it were the file `base_dir/name`.

    The mapping must hold plain values only (str, int, float, bool, None, dicts with string keys,
    lists or tuples), within the YAML limits of `sim.scenario.safe_yaml`; it is copied, never
    modified. Otherwise as `load_scenario_text`.
    """
    if not isinstance(mapping, dict):
        raise ScenarioError(
            name, "", f"expected a mapping (dict) of scenario keys, got a {type(mapping).__name__}"
        )
    return _load_virtual(plain_copy(mapping, name), base_dir, name)


def _load_virtual(
    data: dict[Any, Any], base_dir: str | os.PathLike[str], name: str, nodes: Nodes | None = None
) -> LoadedScenario:
    """Load an in-memory scenario whose relative paths resolve against `base_dir`."""
    path = Path(base_dir) / name
    sources: list[Path] = []  # the text itself is no file; files it extends or reads are
    nodes = {} if nodes is None else nodes
    try:
        pending: list[Problem] = []
        merged, origin = load_chain(data, path, name, [], sources, nodes, pending)
        return _finish(path, merged, origin, sources, nodes, pending, {name: Path(base_dir)})
    except ScenarioError as exc:
        raise with_lines(exc, nodes) from None


def _finish(
    path: Path,
    merged: dict[Any, Any],
    origin: Origin,
    sources: list[Path],
    nodes: Nodes,
    pending: list[Problem],
    folders: dict[str, Path] | None = None,
) -> LoadedScenario:
    """Parameters file, size caps, validation, trade and path data of a merged scenario.

    `pending` holds problems found while merging (reported with the validation's, in one pass);
    `folders` maps the name of an in-memory scenario to the folder its relative paths resolve in."""
    folders = folders or {}
    hash_input = _canonical_json(merged)
    data_files: list[tuple[str, bytes]] = []

    try:
        params_path = apply_parameters_file(merged, origin, data_files, folders, nodes)
        if params_path is not None:
            sources.append(params_path)
        _check_counts(merged, origin)
        spec = validate_merged(merged, origin)
    except ScenarioError as exc:
        if not pending:
            raise
        raise ScenarioError(problems=capped([*pending, *exc.problems])) from None
    if pending:
        raise ScenarioError(problems=capped(pending))

    csv_path, flows, table, csv_bytes = load_trade(spec, origin, folders)
    sources.append(csv_path)
    data_files.append(("trade.baseline_file", csv_bytes))
    spec = load_paths(spec, origin, sources, data_files, folders)

    digest = hashlib.sha256(HASH_VERSION)
    digest.update(hash_input.encode("utf-8"))
    for role, blob in data_files:
        digest.update(f"\n{role}\n{len(blob)}\n".encode())
        digest.update(blob)
    return LoadedScenario(
        path=path,
        spec=spec,
        content_hash=digest.hexdigest(),
        sources=sources,
        baseline_flows=flows,
        flow_records=(table,),
    )


# =============================================================================== size caps
MAX_ITEMS = {  # items per top-level list after merging: far above any real scenario, below a hang
    "actors": 1_000,
    "blocs": 500,
    "goods": 200,
    "routes": 500,
    "shipments": 1_000,
    "events": 2_000,
    "hazards": 500,
}
MAX_MENU_ITEMS = 2_000  # decision menu items over all actors


def _check_counts(merged: dict[Any, Any], origin: Origin) -> None:
    """Refuse scenarios with more items than `MAX_ITEMS` (before validation, which would be slow)."""
    problems = []
    for key, limit in MAX_ITEMS.items():
        items = merged.get(key)
        if isinstance(items, list) and len(items) > limit:
            file, local = origin.at((key,))
            problems.append(
                Problem(file, format_loc(local), f"{len(items):,} {key}; expected at most {limit:,}")
            )
    menus = merged.get("decisions", {}).get("menus") if isinstance(merged.get("decisions"), dict) else None
    if isinstance(menus, dict):
        total = sum(len(v) for v in menus.values() if isinstance(v, list))
        if total > MAX_MENU_ITEMS:
            file, local = origin.at(("decisions", "menus"))
            problems.append(
                Problem(file, format_loc(local), f"{total:,} menu items; expected at most {MAX_MENU_ITEMS:,}")
            )
    if problems:
        raise ScenarioError(problems=problems)


def _canonical_json(data: Any) -> str:
    """Stable text of a mapping: sorted keys, no whitespace, non-JSON scalars as str."""
    return json.dumps(_jsonable(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): _jsonable(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_jsonable(v) for v in data]
    return data


def read_yaml_mapping(path: str | os.PathLike[str], what: str) -> dict[Any, Any]:
    """Read a YAML file that must hold a mapping (safe loader, duplicate keys refused).

    Raises ScenarioError naming the file for a missing file, malformed YAML or a non-mapping.
    """
    p = Path(path)
    return read_mapping(p, display_name(p), what)


def validation_problems(exc: ValidationError, file: str) -> list[Problem]:
    """Pydantic errors as problems with clean field paths and expectations, attributed to `file`."""
    return pydantic_problems(exc, Origin(file))


__all__ = [  # the loader's API; the limits and suffix checks are re-exported from their rooms
    "CSV_SUFFIXES",
    "MAX_DATA_BYTES",
    "MAX_EXTENDS_DEPTH",
    "MAX_ITEMS",
    "MAX_MENU_ITEMS",
    "MAX_PROBLEMS",
    "YAML_SUFFIXES",
    "LoadedScenario",
    "check_suffix",
    "load_scenario",
    "load_scenario_mapping",
    "load_scenario_text",
    "plain_copy",
    "read_yaml_mapping",
    "scenario_json_schema",
    "validation_problems",
]

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
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import io
import json
import math
import os
import stat
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import numpy as np
import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

if TYPE_CHECKING:
    import pandas as pd

from sim.errors import Loc, Problem, ScenarioError, format_loc, parse_loc
from sim.pathpolicy import check_read
from sim.scenario.references import ReferenceProblems, unknown_name
from sim.scenario.safe_yaml import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, parse_limited, position
from sim.scenario.schema import ScenarioSpec

NAMED_LISTS = ("actors", "blocs", "goods", "routes", "shipments", "hazards")
APPENDED_LISTS = ("events",)
TRADE_COLUMNS = ("exporter", "importer", "good", "value_usd_bn", "source")
MAX_CSV_PROBLEMS = 25
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
    display = _display(path)
    sources: list[Path] = [Path(display)]
    nodes: _Nodes = {}
    try:
        data = _read_mapping(path, display, "a scenario file", nodes=nodes)
        pending: list[Problem] = []
        merged, origin = _load_chain(data, path, display, [], sources, nodes, pending)
        return _finish(path, merged, origin, sources, nodes, pending)
    except ScenarioError as exc:
        raise _with_lines(exc, nodes) from None


def load_scenario_text(text: str, base_dir: str | os.PathLike[str], name: str = "<text>") -> LoadedScenario:
    """Load a scenario from YAML text, as if it were the file `base_dir/name`.

    Same limits, merge, validation and errors as `load_scenario` (errors name `name`);
    `extends`, `parameters_file` and data files are resolved relative to `base_dir`.
    """
    if not isinstance(text, str):
        raise ScenarioError(name, "", f"expected YAML text (a str), got a {type(text).__name__}")
    nodes: _Nodes = {}
    data = _parse_yaml(text.encode("utf-8", errors="surrogatepass"), name, "a scenario", nodes)
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
    data: dict[Any, Any], base_dir: str | os.PathLike[str], name: str, nodes: _Nodes | None = None
) -> LoadedScenario:
    """Load an in-memory scenario whose relative paths resolve against `base_dir`."""
    path = Path(base_dir) / name
    sources: list[Path] = []  # the text itself is no file; files it extends or reads are
    nodes = {} if nodes is None else nodes
    try:
        pending: list[Problem] = []
        merged, origin = _load_chain(data, path, name, [], sources, nodes, pending)
        return _finish(path, merged, origin, sources, nodes, pending, {name: Path(base_dir)})
    except ScenarioError as exc:
        raise _with_lines(exc, nodes) from None


_Nodes = dict[str, yaml.Node]  # display name of a YAML file read -> its document's root node


def _with_lines(exc: ScenarioError, nodes: _Nodes) -> ScenarioError:
    """`exc` with the line and column of each problem's field in its file, where known.

    A problem whose field is a location (``events[0].date``) in a YAML file read for this
    scenario gets the position of that value; of its nearest enclosing key or item when the
    value is missing (a missing required key: the mapping that lacks it; for a top-level key,
    the document's first key). A problem about the file as a whole is left as it is.
    """
    caches: dict[str, dict[int, Any]] = {}
    problems = []
    for p in exc.problems:
        root = nodes.get(p.file)
        loc = parse_loc(p.field) if root is not None and p.line is None and p.field else None
        if loc is not None and root is not None:
            line, column, _ = position(root, loc, caches.setdefault(p.file, {}))
            p = dataclasses.replace(p, line=line, column=column)
        problems.append(p)
    exc._set(tuple(problems))
    return exc


def plain_copy(value: Any, name: str, loc: Loc = (), depth: int = 0, budget: list[int] | None = None) -> Any:
    """A deep copy of `value` made of plain YAML types, or ScenarioError naming the bad field.

    Refuses other types (dates, objects, sets), non-string keys, self-references, nesting deeper
    than `MAX_YAML_DEPTH` and more than `MAX_YAML_NODES` values.
    """
    budget = budget if budget is not None else [MAX_YAML_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ScenarioError(name, "", f"more than {MAX_YAML_NODES:,} values; expected a smaller scenario")
    if depth > MAX_YAML_DEPTH:
        raise ScenarioError(
            name,
            format_loc(loc),
            f"nested more than {MAX_YAML_DEPTH} levels deep; expected a flatter mapping",
        )
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ScenarioError(name, format_loc(loc), f"expected string keys, got {_short(key)}")
            out[key] = plain_copy(item, name, (*loc, key), depth + 1, budget)
        return out
    if isinstance(value, list | tuple):
        return [plain_copy(item, name, (*loc, i), depth + 1, budget) for i, item in enumerate(value)]
    raise ScenarioError(
        name,
        format_loc(loc),
        "expected a plain value (text, number, true/false, None, mapping or list), "
        f"got a {type(value).__name__}",
    )


def _finish(
    path: Path,
    merged: dict[Any, Any],
    origin: _Origin,
    sources: list[Path],
    nodes: _Nodes,
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
        params_path = _apply_parameters_file(merged, origin, data_files, folders, nodes)
        if params_path is not None:
            sources.append(params_path)
        _check_counts(merged, origin)
        spec = _validate(merged, origin)
    except ScenarioError as exc:
        if not pending:
            raise
        raise ScenarioError(problems=_capped([*pending, *exc.problems])) from None
    if pending:
        raise ScenarioError(problems=_capped(pending))

    csv_path, flows, table, csv_bytes = _load_trade(spec, origin, folders)
    sources.append(csv_path)
    data_files.append(("trade.baseline_file", csv_bytes))
    spec = _load_paths(spec, origin, sources, data_files, folders)

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


# =============================================================================== YAML
MAX_EXTENDS_DEPTH = 32  # files in one `extends` chain (the library uses 4)
MAX_DATA_BYTES = 64 * 1024 * 1024  # CSV data files (trade, time paths): the shipped ones are ~20 kB
YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)


def _display(path: Path) -> str:
    return os.path.normpath(str(path))


def _refer_error(file: str | None, display: str, field: str, message: str) -> ScenarioError:
    """An error about a file: against the user's `file`/`field` that named it, else the file itself."""
    if file is None:
        return ScenarioError(display, field, message)
    return ScenarioError(file, field, f"{display}: {message}")


def check_suffix(path: Path, suffixes: Sequence[str], what: str, file: str, field: str) -> None:
    """Refuse a referenced file whose name does not end in one of `suffixes` (before touching it)."""
    if path.suffix.lower() not in suffixes:
        raise ScenarioError(
            file,
            field,
            f"{_display(path)} does not end in {' or '.join(suffixes)}; expected {what} with that extension",
        )


def _read_bytes(
    path: Path,
    display: str,
    what: str,
    file: str | None = None,
    field: str = "",
    limit: int = MAX_YAML_BYTES,
) -> bytes:
    """Read a regular file of at most `limit` bytes, or raise ScenarioError.

    Devices, FIFOs, sockets and directories are refused before opening; the error is reported
    against `file`/`field` (the user's file and the field that named this one) when given, and
    never quotes the content of the file read.
    """
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise _refer_error(file, display, field, f"is a directory; expected {what}")
        if not stat.S_ISREG(st.st_mode):
            raise _refer_error(
                file, display, field, f"is not a regular file (a device, FIFO or socket); expected {what}"
            )
        if st.st_size > limit:
            raise _refer_error(
                file,
                display,
                field,
                f"is {st.st_size:,} bytes, larger than the limit of {limit:,}; expected {what}",
            )
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except FileNotFoundError:
        raise _refer_error(file, display, field, f"file not found; expected {what}") from None
    except OSError as exc:
        raise _refer_error(
            file, display, field, f"cannot read: {exc.strerror or exc}; expected {what}"
        ) from None
    except ValueError:  # e.g. a NUL byte in the path
        raise _refer_error(file, display, field, f"not a valid file name; expected {what}") from None
    if len(raw) > limit:
        raise _refer_error(file, display, field, f"larger than the limit of {limit:,} bytes; expected {what}")
    return raw


def _read_yaml(
    path: Path, display: str, what: str, file: str | None = None, field: str = "", nodes: _Nodes | None = None
) -> Any:
    return _parse_yaml(_read_bytes(path, display, what, file, field), display, what, nodes)


def _parse_yaml(raw: bytes, display: str, what: str, nodes: _Nodes | None = None) -> Any:
    """The YAML document in `raw`; with `nodes`, its node graph is kept there (error positions)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(display, "", f"not UTF-8 text (byte {exc.start}); expected {what}") from None
    try:
        return parse_limited(text, display, nodes)  # a SafeLoader subclass with limits: safe
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ScenarioError(
            display,
            "",
            f"malformed YAML: {detail}",
            line=mark.line + 1 if mark is not None else None,
            column=mark.column + 1 if mark is not None else None,
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(display, "", f"malformed YAML: {type(exc).__name__}") from None


def _read_mapping(
    path: Path, display: str, what: str, file: str | None = None, field: str = "", nodes: _Nodes | None = None
) -> dict[Any, Any]:
    data = _read_yaml(path, display, what, file, field, nodes)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(display, "", f"expected a mapping of keys at the top level ({what}), got {got}")
    return data


# =============================================================================== origins
class _Origin:
    """Which file supplied each part of the merged mapping (parallel tree), and where in that file.

    `local` is the location of the node in its own file (a child scenario's first event is its
    `events[0]`, whatever the number of the base's events before it in the merged list).
    """

    __slots__ = ("file", "kids", "local")

    def __init__(
        self, file: str, kids: dict[Any, _Origin] | list[_Origin] | None = None, local: Loc = ()
    ) -> None:
        self.file = file
        self.kids = kids
        self.local = local

    def child(self, key: Any) -> _Origin:
        if isinstance(self.kids, dict) and key in self.kids:
            return self.kids[key]
        if isinstance(self.kids, list) and isinstance(key, int) and 0 <= key < len(self.kids):
            return self.kids[key]
        return _Origin(self.file, None, (*self.local, key))

    def file_at(self, loc: Sequence[Any]) -> str:
        """The file that supplied the value at `loc` (or its nearest existing ancestor)."""
        return self.at(loc)[0]

    def at(self, loc: Sequence[Any]) -> tuple[str, Loc]:
        """(file, location in that file) of the value at merged location `loc`."""
        node = self
        depth = 0
        for seg in loc:
            if node.kids is None or not _has(node.kids, seg):
                break
            node = node.child(seg)
            depth += 1
        return node.file, (*node.local, *loc[depth:])


def _has(kids: dict[Any, _Origin] | list[_Origin], key: Any) -> bool:
    if isinstance(kids, dict):
        return key in kids
    return isinstance(key, int) and 0 <= key < len(kids)


# =============================================================================== extends
def _load_chain(
    data: dict[Any, Any],
    path: Path,
    display: str,
    stack: list[tuple[Path | None, str]],
    sources: list[Path],
    nodes: _Nodes,
    pending: list[Problem],
) -> tuple[dict, _Origin]:
    """Merge the mapping `data` read from `path` onto its `extends` base (recursively).

    Returns (merged mapping, origins); `data` is not modified; `sources` gets each base file,
    `pending` each problem of the merge (a removal of an unknown name, a name given twice: the
    item is left out and loading goes on, so that validation's problems come in the same pass)."""
    data = dict(data)
    stack = [*stack, (_resolved(path), display)]
    base: dict[Any, Any] = {}
    base_origin = _Origin(display, {})
    if "extends" in data:
        ext = data.pop("extends")
        if not isinstance(ext, str) or not ext.strip() or "\0" in ext:
            raise ScenarioError(
                display, "extends", f"expected the path of a scenario file to extend, got {_short(ext)}"
            )
        parent = path.parent / ext
        parent_display = _display(parent)
        chain = " -> ".join([*(d for _, d in stack), parent_display])
        if len(stack) >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                stack[0][1],
                "extends",
                f"extends chain longer than {MAX_EXTENDS_DEPTH} files "
                f"({_short_chain(stack, parent_display)}); expected a shorter chain",
            )
        check_read(path.parent, ext, YAML_SUFFIXES, "a scenario file", display, "extends")
        resolved = _resolved(parent)
        if resolved is None:
            raise ScenarioError(
                display, "extends", f"{parent_display}: symbolic link loop; expected a scenario file"
            )
        for seen, _ in stack:
            if seen == resolved:
                raise ScenarioError(
                    display, "extends", f"extends cycle: {chain}; expected a chain without loops"
                )
        if not parent.is_file():
            what = (
                "file not found"
                if not parent.exists()
                else "a directory"
                if parent.is_dir()
                else "not a regular file (a device, FIFO or socket)"
            )
            raise ScenarioError(
                display,
                "extends",
                f"{what}: {parent_display} (resolved relative to {display}); expected a scenario file",
            )
        sources.append(Path(parent_display))
        parent_data = _read_mapping(parent, parent_display, "a scenario file", nodes=nodes)
        base, base_origin = _load_chain(parent_data, parent, parent_display, stack, sources, nodes, pending)
    merged, origin = _merge(base, base_origin, data, _Origin(display), (), pending)
    return merged, origin


def _folder(declaring: str, folders: dict[str, Path]) -> Path:
    """The folder that paths written in the file `declaring` are relative to."""
    return folders.get(declaring, Path(declaring).parent)


def _resolved(path: Path) -> Path | None:
    """The absolute path with symbolic links resolved, or None for a link loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        return None


def _short_chain(stack: list[tuple[Path | None, str]], last: str) -> str:
    names = [d for _, d in stack] + [last]
    return " -> ".join(names) if len(names) <= 6 else " -> ".join([*names[:3], "...", *names[-2:]])


def _merge(
    base: Any, b_o: _Origin, over: Any, o_o: _Origin, loc: Loc, problems: list[Problem]
) -> tuple[Any, _Origin]:
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over, o_o
    out = dict(base)
    kids = {k: b_o.child(k) for k in base}
    for key, value in over.items():
        here = (*loc, key)
        if not loc and key in NAMED_LISTS and isinstance(value, list) and isinstance(base.get(key, []), list):
            out[key], kids[key] = _merge_named(
                base.get(key, []), b_o.child(key), value, o_o.child(key), here, problems
            )
        elif (
            not loc and key in APPENDED_LISTS and isinstance(value, list) and isinstance(base.get(key), list)
        ):
            out[key], kids[key] = _append_events(
                base[key], b_o.child(key), value, o_o.child(key), here, problems
            )
        elif key in base:
            out[key], kids[key] = _merge(base[key], b_o.child(key), value, o_o.child(key), here, problems)
        else:
            out[key], kids[key] = value, o_o.child(key)
    return out, _Origin(o_o.file, kids, o_o.local)


_REMOVED = object()


def _append_events(
    base: list[Any], b_o: _Origin, over: list[Any], o_o: _Origin, loc: Loc, problems: list[Problem]
) -> tuple[list[Any], _Origin]:
    """Base events then the child's; a child item {name: X, remove: true} deletes base event X."""
    names = [e.get("name") if isinstance(e, dict) else None for e in base]
    keep = list(range(len(base)))
    added, added_o = [], []
    for j, item in enumerate(over):
        if isinstance(item, dict) and item.get("remove") is True:
            name = item.get("name")
            if set(item) != {"name", "remove"} or not _is_name(name):
                problems.append(
                    Problem(o_o.file, format_loc((*loc, j)), "a removal takes only 'name' and 'remove: true'")
                )
            elif name not in names:
                known = [str(n) for n in names if _is_name(n)]
                problems.append(
                    Problem(
                        o_o.file,
                        format_loc((*loc, j, "name")),
                        "cannot remove: "
                        + unknown_name("event", str(name), known, "named events in the base"),
                    )
                )
            else:
                keep = [i for i in keep if names[i] != name]
            continue
        added.append(item)
        added_o.append(o_o.child(j))
    kept = [b_o.child(i) for i in keep] + added_o
    return [base[i] for i in keep] + added, _Origin(o_o.file, kept, o_o.local)


def _merge_named(
    base: list[Any], b_o: _Origin, over: list[Any], o_o: _Origin, loc: Loc, problems: list[Problem]
) -> tuple[list[Any], _Origin]:
    out: list[Any] = list(base)
    kids = [b_o.child(i) for i in range(len(base))]
    index = {
        item["name"]: i for i, item in enumerate(out) if isinstance(item, dict) and _is_name(item.get("name"))
    }
    first_at: dict[str, int] = {}  # a name may appear once per file (besides a removal)
    for j, item in enumerate(over):
        item_o = o_o.child(j)
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(item, dict) and "remove" in item:
            flag = item["remove"]
            rest = {k: v for k, v in item.items() if k != "remove"}
            if not isinstance(flag, bool):
                problems.append(
                    Problem(
                        o_o.file, format_loc((*loc, j, "remove")), f"expected true or false, got {flag!r}"
                    )
                )
                continue
            if flag:
                if set(rest) != {"name"} or not _is_name(name):
                    problems.append(
                        Problem(
                            o_o.file,
                            format_loc((*loc, j)),
                            "a removal item takes only 'name' and 'remove: true', "
                            f"got keys {sorted(map(str, item))}",
                        )
                    )
                elif name not in index:
                    known = [
                        str(x["name"])
                        for x in out
                        if x is not _REMOVED and isinstance(x, dict) and "name" in x
                    ]
                    problems.append(
                        Problem(
                            o_o.file,
                            format_loc((*loc, j, "name")),
                            "cannot remove: "
                            + unknown_name(
                                loc[-1][:-1] if isinstance(loc[-1], str) else "item",
                                str(name),
                                known,
                                f"{loc[-1]} in the base scenario",
                            ),
                        )
                    )
                else:
                    out[index.pop(name)] = _REMOVED
                continue
            item = rest
        if _is_name(name):
            if name in first_at:
                what = str(loc[-1])[:-1]
                problems.append(
                    Problem(
                        o_o.file,
                        format_loc((*loc, j, "name")),
                        f"duplicate {what} name {name!r} (also at {format_loc((*loc, first_at[name]))}); "
                        "expected unique names",
                    )
                )
                continue
            first_at[name] = j
        if _is_name(name) and name in index:
            i = index[name]
            out[i], kids[i] = _merge(out[i], kids[i], item, item_o, (*loc, i), problems)
        else:
            if _is_name(name):
                index[name] = len(out)
            out.append(item)
            kids.append(item_o)
    keep = [i for i, item in enumerate(out) if item is not _REMOVED]
    return [out[i] for i in keep], _Origin(o_o.file, [kids[i] for i in keep], o_o.local)


def _is_name(value: Any) -> bool:
    return isinstance(value, str)


# =============================================================================== parameters
def _apply_parameters_file(
    merged: dict[Any, Any],
    origin: _Origin,
    data_files: list[tuple[str, bytes]],
    folders: dict[str, Path],
    nodes: _Nodes,
) -> Path | None:
    """Fold the parameters file's values under `merged['parameters']` (scenario values win)."""
    rel = merged.get("parameters_file")
    if not isinstance(rel, str):
        return None  # absent; a wrong type is reported by validation
    declaring = origin.file_at(("parameters_file",))
    path = _folder(declaring, folders) / rel
    display = _display(path)
    what = "a YAML mapping of parameter name -> value or -> {value: ...}"
    check_read(
        _folder(declaring, folders), rel, YAML_SUFFIXES, "a parameters file", declaring, "parameters_file"
    )
    raw = _read_bytes(path, display, what, file=declaring, field="parameters_file")
    data_files.append(("parameters_file", raw))
    data = _parse_yaml(raw, display, what, nodes)
    if data is None:
        data = {}
    prefix: Loc = ()
    if isinstance(data, dict) and isinstance(data.get("parameters"), dict):
        data = data["parameters"]  # a calibrated file: other top-level keys are metadata
        prefix = ("parameters",)
    if not isinstance(data, dict):
        raise ScenarioError(display, "", f"expected {what}, got a {type(data).__name__}")
    values: dict[Any, Any] = {}
    problems: list[Problem] = []
    for name, entry in data.items():
        if isinstance(entry, dict):
            if "value" not in entry:
                problems.append(
                    Problem(
                        display,
                        format_loc((*prefix, str(name))),
                        "expected a number or a mapping with a 'value' key, "
                        f"got keys {sorted(map(str, entry))}",
                    )
                )
                continue
            values[name] = entry["value"]
        else:
            values[name] = entry
    if problems:
        raise ScenarioError(problems=problems)
    own = merged.get("parameters")
    if own is None:
        own = {}
    if not isinstance(own, dict):
        return path  # validation reports the bad `parameters` value
    own_origin = origin.child("parameters")
    merged["parameters"] = {**values, **own}
    kids = {k: _Origin(display, None, (*prefix, k)) for k in values}
    kids.update({k: own_origin.child(k) for k in own})
    assert isinstance(origin.kids, dict)
    origin.kids["parameters"] = _Origin(own_origin.file, kids, own_origin.local)
    return path


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
MAX_PROBLEMS = 50  # problems reported for one file (then "... and N more")


def _check_counts(merged: dict[Any, Any], origin: _Origin) -> None:
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


# =============================================================================== validation
_TOP_LISTS = ("actors", "blocs", "goods", "routes", "shipments", "events", "hazards")
_REQUIRED = ("name", "start", "end", "poles", "actors", "goods", "trade")
_WIDE_HORIZON = ("1900-01", "2200-12")


def _validate(merged: dict[Any, Any], origin: _Origin) -> ScenarioSpec:
    """ScenarioSpec of the merged mapping, or ScenarioError with every problem found in one pass.

    Type errors stop pydantic before the cross-reference checks; so that a bad date does not
    hide an unknown route name, the references of the well-typed rest are checked too
    (`_rest_reference_problems`).
    """
    try:
        return ScenarioSpec.model_validate(merged)
    except ValidationError as exc:
        problems = _validation_problems(exc, origin)
        if exc.error_count() <= MAX_PROBLEMS and not _has_reference_problems(exc):
            seen = {(p.file, p.field, p.message) for p in problems}
            for extra in _rest_reference_problems(exc, merged, origin):
                if (extra.file, extra.field, extra.message) not in seen:
                    problems.append(extra)
        raise ScenarioError(problems=_capped(problems)) from None


def _capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    last = problems[MAX_PROBLEMS - 1]
    more = Problem(last.file, "", f"... and {len(problems) - MAX_PROBLEMS + 1:,} more problem(s)")
    return [*problems[: MAX_PROBLEMS - 1], more]


def _has_reference_problems(exc: ValidationError) -> bool:
    return any(isinstance((e.get("ctx") or {}).get("error"), ReferenceProblems) for e in exc.errors())


def _rest_reference_problems(exc: ValidationError, merged: dict[Any, Any], origin: _Origin) -> list[Problem]:
    """Cross-reference problems of `merged` without the parts that failed type validation.

    List items with a type error are left out (their indices mapped back; names they defined are
    not reported as unknown elsewhere); a bad start or end is replaced by a wide horizon (and
    horizon checks skipped); other optional sections with errors are dropped. Gives up (returns
    []) when a required section itself is malformed.
    """
    rest = dict(merged)
    dropped: dict[str, set[int]] = {}
    menu_dropped: dict[str, set[int]] = {}
    series_dropped: set[int] = set()
    skip_horizon = False
    skip_locs: set[Loc] = set()
    errors = exc.errors()
    start_ok = not any(e["loc"][:1] == ("start",) for e in errors) and isinstance(merged.get("start"), str)
    placeholder = merged["start"] if start_ok else _WIDE_HORIZON[0]
    for err in errors:
        loc = err["loc"]
        if not loc:
            return []
        key = loc[0]
        if len(loc) > 1 and loc[-1] in _MONTH_FIELDS and _set_in(rest, loc, placeholder):
            skip_locs.add(tuple(loc))  # a bad date: check the rest of its item with a valid one
            continue
        if key in _TOP_LISTS and len(loc) > 1 and isinstance(loc[1], int):
            dropped.setdefault(str(key), set()).add(loc[1])
        elif key in ("start", "end"):
            skip_horizon = True
        elif key == "decisions" and len(loc) > 3 and loc[1] == "menus" and isinstance(loc[3], int):
            menu_dropped.setdefault(str(loc[2]), set()).add(loc[3])
        elif key == "paths" and len(loc) > 2 and loc[1] == "series" and isinstance(loc[2], int):
            series_dropped.add(loc[2])
        elif key in _REQUIRED:
            return []
        else:
            rest.pop(str(key), None)
    if skip_horizon:
        rest["start"], rest["end"] = _WIDE_HORIZON
    lost_names = set()
    kept: dict[str, list[int]] = {}
    for key, bad in dropped.items():
        items = rest.get(key)
        if not isinstance(items, list):
            return []
        kept[key] = [i for i in range(len(items)) if i not in bad]
        lost_names.update(str(items[i].get("name")) for i in bad if isinstance(items[i], dict))
        rest[key] = [items[i] for i in kept[key]]
    menu_kept: dict[str, list[int]] = {}
    if menu_dropped and isinstance(rest.get("decisions"), dict):
        decisions = dict(rest["decisions"])
        menus = dict(decisions.get("menus") or {})
        for actor, bad in menu_dropped.items():
            items = menus.get(actor)
            if not isinstance(items, list):
                return []
            menu_kept[actor] = [i for i in range(len(items)) if i not in bad]
            menus[actor] = [items[i] for i in menu_kept[actor]]
        decisions["menus"] = menus
        rest["decisions"] = decisions
    series_kept: list[int] | None = None
    if series_dropped:
        paths = rest.get("paths")
        if not isinstance(paths, dict) or not isinstance(paths.get("series"), list):
            return []
        series_kept = [i for i in range(len(paths["series"])) if i not in series_dropped]
        rest["paths"] = {**paths, "series": [paths["series"][i] for i in series_kept]}
    try:
        ScenarioSpec.model_validate(rest)
    except ValidationError as again:
        refs = [
            e["ctx"]["error"]
            for e in again.errors()
            if isinstance((e.get("ctx") or {}).get("error"), ReferenceProblems)
        ]
    else:
        return []
    problems = []
    for ref in refs:
        for loc, message in ref.problems:
            if skip_horizon and ("scenario horizon" in message or loc == ("end",)):
                continue
            if loc in skip_locs:
                continue
            if any(message.startswith("unknown") and f"{name!r}" in message for name in lost_names):
                continue
            loc = _map_back(loc, kept, menu_kept, series_kept)
            file, local = origin.at(loc)
            problems.append(Problem(file, format_loc(local), message))
    return problems


_MONTH_FIELDS = ("date", "active_from", "available_from", "available_until", "start")


def _set_in(data: dict[Any, Any], loc: Sequence[Any], value: Any) -> bool:
    """Set `data` at `loc` to `value`, copying the containers on the way (the original is kept)."""
    node: Any = data
    for seg in loc[:-1]:
        try:
            child = node[seg]
        except (KeyError, IndexError, TypeError):
            return False
        if isinstance(child, dict):
            child = dict(child)
        elif isinstance(child, list):
            child = list(child)
        else:
            return False
        node[seg] = child
        node = child
    last = loc[-1]
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and last < len(node)):
        node[last] = value
        return True
    return False


def _map_back(
    loc: Loc,
    kept: dict[str, list[int]],
    menu_kept: dict[str, list[int]],
    series_kept: list[int] | None = None,
) -> Loc:
    """Location in the pruned mapping -> location in the merged mapping."""
    if (
        series_kept is not None
        and len(loc) > 2
        and loc[:2] == ("paths", "series")
        and isinstance(loc[2], int)
    ):
        return (*loc[:2], series_kept[loc[2]], *loc[3:])
    if len(loc) > 1 and loc[0] in kept and isinstance(loc[1], int):
        return (loc[0], kept[str(loc[0])][loc[1]], *loc[2:])
    if len(loc) > 3 and loc[:2] == ("decisions", "menus") and loc[2] in menu_kept and isinstance(loc[3], int):
        return (*loc[:3], menu_kept[str(loc[2])][loc[3]], *loc[4:])
    return loc


# =============================================================================== validation errors
def _validation_problems(exc: ValidationError, origin: _Origin) -> list[Problem]:
    """Turn pydantic errors into problems with clean field paths and expectations."""
    entries: list[tuple[Loc, str, str | None, tuple[Loc, int] | None]] = []
    errors = exc.errors(include_url=False)
    for err in errors[: MAX_PROBLEMS * 4]:  # beyond that, only counted (a file of 100,000 typos)
        ctx = err.get("ctx") or {}
        if isinstance(ctx.get("error"), ReferenceProblems):
            entries.extend((loc, msg, None, None) for loc, msg in ctx["error"].problems)
            continue
        walk = _walk(err["loc"])
        expected, got = _describe(err, walk)
        union = (walk.loc[: walk.union_depth], walk.union_depth) if walk.union_depth is not None else None
        entries.append((walk.loc, expected, got, union))

    # For a plain union (e.g. `list[str] | 'all'`), when one member got deeper (the input was
    # a list with a bad element) drop the other members' complaints about the whole value.
    deep = {u[0] for loc, _, _, u in entries if u is not None and len(loc) > u[1]}
    entries = [e for e in entries if not (e[3] is not None and e[3][0] in deep and len(e[0]) == e[3][1])]

    grouped: dict[tuple[Loc, str | None], list[str]] = {}
    for loc, expected, got, _ in entries:
        bucket = grouped.setdefault((loc, got), [])
        if expected not in bucket:
            bucket.append(expected)
    problems = []
    if len(errors) > MAX_PROBLEMS * 4:
        grouped[((), None)] = [f"... and {len(errors) - MAX_PROBLEMS * 4:,} more problem(s)"]
    for (loc, got), texts in grouped.items():
        if len(texts) > 1 and all(t.startswith("expected ") for t in texts):
            message = "expected " + " or ".join(t.removeprefix("expected ") for t in texts)
        else:
            message = "; ".join(texts)
        if got is not None:
            message += f", got {got}"
        file, local = origin.at(loc)
        problems.append(Problem(file, format_loc(local), message))
    return problems


@dataclass
class _Walk:
    loc: Loc
    parent: Any  # the type holding the last segment (a model class for keys)
    type: Any  # the type expected at the location, if known
    field: FieldInfo | None  # the model field at the location, if any
    disc: str | None  # discriminator of the union expected at the location, if any
    union_depth: int | None  # len(loc) where a plain-union member tag was dropped


def _unwrap(tp: Any) -> tuple[Any, str | None]:
    """Strip Annotated and Optional; return (type, discriminator if annotated with one)."""
    disc = None
    while get_origin(tp) is Annotated:
        args = get_args(tp)
        tp = args[0]
        for meta in args[1:]:
            if isinstance(meta, FieldInfo) and isinstance(meta.discriminator, str):
                disc = meta.discriminator
    if _is_union(tp):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            inner, d = _unwrap(members[0])
            return inner, disc or d
    return tp, disc


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tags(members: Sequence[Any], disc: str) -> list[str]:
    tags = []
    for m in members:
        m, _ = _unwrap(m)
        if _is_model(m) and disc in m.model_fields:
            tags.extend(str(t) for t in get_args(m.model_fields[disc].annotation))
    return tags


def _pick_member(members: Sequence[Any], seg: Any, disc: str | None) -> Any:
    for m in members:
        inner, _ = _unwrap(m)
        if disc is not None:
            if seg in _tags([inner], disc):
                return inner
            continue
        if (_is_model(inner) and seg == inner.__name__) or (
            isinstance(seg, str)
            and (
                (seg.startswith("list[") and get_origin(inner) is list)
                or (seg.startswith("dict[") and get_origin(inner) is dict)
                or (seg.startswith("literal[") and get_origin(inner) is Literal)
                or seg == getattr(inner, "__name__", None)
            )
        ):
            return inner
    return None


def _walk(raw_loc: Sequence[Any]) -> _Walk:
    """Follow a pydantic error location through the ScenarioSpec types, dropping union tags."""
    tp: Any = ScenarioSpec
    disc: str | None = None
    loc: list[str | int] = []
    parent: Any = None
    field: FieldInfo | None = None
    union_depth: int | None = None
    for seg in raw_loc:
        tp, d = _unwrap(tp)
        disc = disc or d
        if _is_union(tp):
            if disc is None:
                union_depth = len(loc)
            tp, disc = _pick_member([a for a in get_args(tp) if a is not type(None)], seg, disc), None
            continue
        disc = None
        parent, field = tp, None
        loc.append(seg)
        if _is_model(tp):
            field = tp.model_fields.get(seg) if isinstance(seg, str) else None
            tp = field.annotation if field is not None else None
            disc = field.discriminator if field is not None and isinstance(field.discriminator, str) else None
        elif get_origin(tp) in (list, tuple, set, frozenset):
            tp = (get_args(tp) or (None,))[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1] if get_args(tp) else None
        else:
            tp = None
    return _Walk(tuple(loc), parent, tp, field, disc, union_depth)


def _type_text(tp: Any, disc: str | None = None) -> str | None:
    """Human name of a type, e.g. 'a number', "one of 'rail', 'sea'"."""
    tp, d = _unwrap(tp)
    disc = disc or d
    origin = get_origin(tp)
    if tp is None:
        return None
    if _is_union(tp):
        members = [a for a in get_args(tp) if a is not type(None)]
        if disc is not None:
            return f"a mapping with {disc}: one of {', '.join(_tags(members, disc))}"
        texts = [_type_text(m) for m in members]
        return " or ".join(t for t in texts if t) or None
    simple = {float: "a number", int: "an integer", str: "a string", bool: "true or false"}
    if tp in simple:
        return simple[tp]
    if origin is Literal:
        return (
            "one of " + ", ".join(repr(a) for a in get_args(tp))
            if len(get_args(tp)) > 1
            else repr(get_args(tp)[0])
        )
    if origin in (list, tuple, set, frozenset) or tp is list:
        item = _type_text(get_args(tp)[0]) if get_args(tp) else None
        return f"a list (each item {item})" if item else "a list"
    if origin is dict or tp is dict:
        return "a mapping"
    if _is_model(tp):
        return f"a mapping ({tp.__name__})"
    return getattr(tp, "__name__", str(tp))


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(err: Any, walk: _Walk) -> tuple[str, str | None]:
    """(expected text, got text or None) for one pydantic error."""
    kind: str = err["type"]
    msg: str = err["msg"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "missing":
        text = "missing required key"
        expected = _type_text(walk.type, walk.disc)
        if expected:
            text += f"; expected {expected}"
        if walk.field is not None and walk.field.description:
            text += f" ({walk.field.description.rstrip('.')})"
        return text, None
    if kind == "extra_forbidden":
        key = str(walk.loc[-1]) if walk.loc else "?"
        if not _is_model(walk.parent):
            return f"unknown key {key!r}", None
        valid = list(walk.parent.model_fields)
        if walk.parent is ScenarioSpec:
            valid.append("extends")
        return unknown_name("key", key, valid, "valid keys"), None
    if kind == "union_tag_invalid":
        disc = str(ctx.get("discriminator", "tag")).strip("'")
        return f"unknown {disc} {ctx.get('tag')!r}; expected one of: {ctx.get('expected_tags')}", None
    if kind == "union_tag_not_found":
        disc = str(ctx.get("discriminator", "type")).strip("'")
        members = [a for a in get_args(_unwrap(walk.type)[0]) if a is not type(None)]
        tags = ", ".join(_tags(members, disc))
        if not isinstance(value, dict):
            return f"expected a mapping with {disc}: one of {tags}", _short(value)
        return f"missing key {disc!r}; expected one of: {tags}", None
    if kind == "too_short" and "min_length" in ctx:
        return f"expected at least {ctx['min_length']} item(s)", _short(value)
    if kind == "too_long" and "max_length" in ctx:
        return f"expected at most {ctx['max_length']} item(s)", _short(value)
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, "), None
    if kind.endswith(("_type", "_parsing")) or kind in ("int_from_float", "model_attributes_type"):
        expected = _type_text(walk.type, walk.disc)
        if expected:
            return f"expected {expected}", _short(value)
    text = msg.replace("Input should be", "expected", 1)
    if not text.startswith("expected"):
        text = f"expected a valid value ({msg})"
    return text, _short(value)


# =============================================================================== trade data
def _load_trade(
    spec: ScenarioSpec, origin: _Origin, folders: dict[str, Path]
) -> tuple[Path, np.ndarray, tuple[list[str], list[dict[str, Any]]], bytes]:
    """Read trade.baseline_file into (path, flows[exporter, importer, good], rows, raw bytes)."""
    field = "trade.baseline_file"
    declaring = origin.file_at(("trade", "baseline_file"))
    path = _folder(declaring, folders) / spec.trade.baseline_file
    display = _display(path)
    columns = ", ".join(TRADE_COLUMNS)
    what = f"a CSV with columns {columns}"
    check_read(
        _folder(declaring, folders),
        spec.trade.baseline_file,
        CSV_SUFFIXES,
        "a trade CSV file",
        declaring,
        field,
    )
    raw = _read_bytes(path, display, what, file=declaring, field=field, limit=MAX_DATA_BYTES)

    def fail(message: str) -> ScenarioError:
        return ScenarioError(declaring, field, f"{display}: {message}")

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text (byte {exc.start}); expected {what}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        raw_rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise fail(f"line {reader.line_num}: malformed CSV ({exc})") from None
    if not header:
        raise fail(f"the file is empty; expected {what}")
    missing = [c for c in TRADE_COLUMNS if c not in header]
    if missing:
        raise fail(
            f"missing column(s) {', '.join(missing)}; expected header with {columns}, got {', '.join(header)}"
        )
    if len(set(header)) != len(header):
        raise fail(f"duplicate column names in header: {', '.join(header)}")

    actors = [a.name for a in spec.actors]
    goods = [g.name for g in spec.goods]
    a_idx = {n: i for i, n in enumerate(actors)}
    g_idx = {n: i for i, n in enumerate(goods)}
    flows = np.zeros((len(actors), len(actors), len(goods)), dtype=np.float64)
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    problems: list[str] = []
    for line, row in raw_rows:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                f"line {line}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}"
            )
            continue
        rec: dict[str, Any] = {h: cell.strip() for h, cell in zip(header, row, strict=True)}
        bad = False
        for col, known, label in (
            ("exporter", actors, "actor"),
            ("importer", actors, "actor"),
            ("good", goods, "good"),
        ):
            if rec[col] not in (a_idx if label == "actor" else g_idx):
                problems.append(f"line {line}: {col}: {unknown_name(label, rec[col], known)}")
                bad = True
        if rec["exporter"] == rec["importer"]:
            problems.append(
                f"line {line}: exporter and importer are both {rec['exporter']!r}; expected a bilateral flow"
            )
            bad = True
        try:
            value = float(rec["value_usd_bn"])
        except ValueError:
            problems.append(
                f"line {line}: value_usd_bn: expected a number (USD bn per year), got {rec['value_usd_bn']!r}"
            )
            continue
        if not math.isfinite(value) or value < 0:
            problems.append(
                f"line {line}: value_usd_bn: expected a finite number >= 0 (USD bn per year), got {value}"
            )
            bad = True
        key = (rec["exporter"], rec["importer"], rec["good"])
        if key in seen:
            problems.append(
                f"line {line}: duplicate flow {key[0]} -> {key[1]} of {key[2]} (first at line {seen[key]}); "
                "expected one row per exporter, importer and good"
            )
            bad = True
        else:
            seen[key] = line
        if bad:
            continue
        rec["value_usd_bn"] = value
        flows[a_idx[key[0]], a_idx[key[1]], g_idx[key[2]]] = value
        records.append(rec)
    if problems:
        extra = len(problems) - MAX_CSV_PROBLEMS
        shown = problems[:MAX_CSV_PROBLEMS] + ([f"... and {extra} more problem(s)"] if extra > 0 else [])
        raise ScenarioError(problems=[Problem(declaring, field, f"{display}: {p}") for p in shown])
    if not records:
        raise fail(f"no data rows; expected {what}, one row per nonzero flow")
    flows.setflags(write=False)
    return path, flows, (header, records), raw


def _load_paths(
    spec: ScenarioSpec,
    origin: _Origin,
    sources: list[Path],
    data_files: list[tuple[str, bytes]],
    folders: dict[str, Path],
) -> ScenarioSpec:
    """Read `paths.file` (time-path CSV) into `paths.series`, re-validating the references."""
    from sim.scenario.paths_file import merge_rows, parse_paths_csv

    if spec.paths is None or spec.paths.file is None:
        return spec
    field = "paths.file"
    declaring = origin.file_at(("paths", "file"))
    path = _folder(declaring, folders) / spec.paths.file
    display = _display(path)
    what = "a CSV with columns series, name, year, value, unit, source"
    check_read(
        _folder(declaring, folders), spec.paths.file, CSV_SUFFIXES, "a time-path CSV file", declaring, field
    )
    raw = _read_bytes(path, display, what, declaring, field, limit=MAX_DATA_BYTES)
    lines: list[int] = []
    rows, problems = parse_paths_csv(raw, lines)
    if problems:
        raise ScenarioError(problems=[Problem(declaring, field, f"{display}: {p}") for p in problems])
    sources.append(path)
    data_files.append((field, raw))
    inline = [r.model_dump() for r in spec.paths.series]
    merged = spec.model_dump()
    merged["paths"]["series"] = merge_rows(rows, inline)
    # merge_rows keeps the file's rows not overridden inline, then the inline rows
    overridden = {(r["series"], r["name"], r["year"]) for r in inline}
    row_lines = [
        n for r, n in zip(rows, lines, strict=True) if (r["series"], r["name"], r["year"]) not in overridden
    ]
    try:
        return ScenarioSpec.model_validate(merged)
    except ValidationError as exc:
        out = []
        for p in _validation_problems(exc, _Origin("")):
            loc = parse_loc(p.field) or ()
            if loc[:2] == ("paths", "series") and len(loc) > 2 and isinstance(loc[2], int):
                k, rest = loc[2], loc[3:]
                if k >= len(row_lines):  # an inline row: where the user wrote it
                    file, local = origin.at(("paths", "series", k - len(row_lines), *rest))
                    out.append(Problem(file, format_loc(local), p.message))
                    continue
                inner = f"{format_loc(rest)}: " if rest else ""
                out.append(Problem(declaring, field, f"{display}: line {row_lines[k]}: {inner}{p.message}"))
                continue
            out.append(Problem(declaring, field, f"{display}: {p.field}: {p.message}"))
        raise ScenarioError(problems=out) from None


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
    return _read_mapping(p, _display(p), what)


def validation_problems(exc: ValidationError, file: str) -> list[Problem]:
    """Pydantic errors as problems with clean field paths and expectations, attributed to `file`."""
    return _validation_problems(exc, _Origin(file))


__all__ = [
    "LoadedScenario",
    "load_scenario",
    "load_scenario_mapping",
    "load_scenario_text",
    "plain_copy",
    "read_yaml_mapping",
    "scenario_json_schema",
    "validation_problems",
]

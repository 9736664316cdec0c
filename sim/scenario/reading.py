"""Reading scenario input: file limits, suffix checks, bytes and YAML, plain copies of mappings.

Every file a scenario names (its `extends` base, `parameters_file`, `trade.baseline_file`,
`paths.file`) is found by `resolve_extends` or `resolve_data_file` below -- the one place
where a path written in a file becomes a path on disk -- and read by `read_bytes` (regular
files only, at most a size limit). YAML goes through `sim.scenario.safe_yaml` (safe loader,
duplicate keys refused, depth and node limits).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Loc, ScenarioError, format_loc
from sim.scenario.safe_yaml import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, parse_limited

MAX_DATA_BYTES = 64 * 1024 * 1024  # CSV data files (trade, time paths): the shipped ones are ~20 kB
YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)

Nodes = dict[str, yaml.Node]  # display name of a YAML file read -> its document's root node


# =============================================================================== paths
def resolve_extends(path: Path, extends: str) -> Path:
    """The scenario file that `extends: <extends>` in the file at `path` names (relative to its folder)."""
    return path.parent / extends


def resolve_data_file(declaring: str, rel: str, folders: dict[str, Path]) -> Path:
    """The file that a path `rel` written in the file `declaring` names (parameters, trade, paths files).

    `folders` maps the name of an in-memory scenario to the folder its relative paths resolve in;
    a file on disk resolves relative to its own folder."""
    return folders.get(declaring, Path(declaring).parent) / rel


def resolved_path(path: Path) -> Path | None:
    """The absolute path with symbolic links resolved, or None for a link loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError on a symlink loop
        return None


def display_name(path: Path) -> str:
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
            f"{display_name(path)} does not end in {' or '.join(suffixes)}; "
            f"expected {what} with that extension",
        )


def read_bytes(
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


def read_yaml(
    path: Path, display: str, what: str, file: str | None = None, field: str = "", nodes: Nodes | None = None
) -> Any:
    return parse_yaml(read_bytes(path, display, what, file, field), display, what, nodes)


def parse_yaml(raw: bytes, display: str, what: str, nodes: Nodes | None = None) -> Any:
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


def read_mapping(
    path: Path, display: str, what: str, file: str | None = None, field: str = "", nodes: Nodes | None = None
) -> dict[Any, Any]:
    data = read_yaml(path, display, what, file, field, nodes)
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(display, "", f"expected a mapping of keys at the top level ({what}), got {got}")
    return data


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
                raise ScenarioError(name, format_loc(loc), f"expected string keys, got {short_repr(key)}")
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


def short_repr(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""Merging a scenario: the `extends:` chain, named-list merge and the parameters file.

Rules: see `sim.scenario.loader` (module docstring). Problems that do not stop the merge (a
removal of an unknown name, a name given twice) are collected in `pending` and reported with
validation's problems in one pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeGuard

from sim.errors import Loc, Problem, ScenarioError, format_loc
from sim.scenario.origins import Origin
from sim.scenario.reading import (
    YAML_SUFFIXES,
    Nodes,
    check_suffix,
    display_name,
    parse_yaml,
    read_bytes,
    read_mapping,
    resolve_data_file,
    resolve_extends,
    resolved_path,
    short_repr,
)
from sim.scenario.references import unknown_name

NAMED_LISTS = ("actors", "blocs", "goods", "routes", "shipments", "hazards", "contingencies")
APPENDED_LISTS = ("events",)
MAX_EXTENDS_DEPTH = 32  # files in one `extends` chain (the library uses 4)


def load_chain(
    data: dict[Any, Any],
    path: Path,
    display: str,
    stack: list[tuple[Path | None, str]],
    sources: list[Path],
    nodes: Nodes,
    pending: list[Problem],
) -> tuple[dict, Origin]:
    """Merge the mapping `data` read from `path` onto its `extends` base (recursively).

    Returns (merged mapping, origins); `data` is not modified; `sources` gets each base file,
    `pending` each problem of the merge (a removal of an unknown name, a name given twice: the
    item is left out and loading goes on, so that validation's problems come in the same pass)."""
    data = dict(data)
    stack = [*stack, (resolved_path(path), display)]
    base: dict[Any, Any] = {}
    base_origin = Origin(display, {})
    if "extends" in data:
        ext = data.pop("extends")
        if not isinstance(ext, str) or not ext.strip() or "\0" in ext:
            raise ScenarioError(
                display, "extends", f"expected the path of a scenario file to extend, got {short_repr(ext)}"
            )
        parent = resolve_extends(path, ext, display)
        parent_display = display_name(parent)
        chain = " -> ".join([*(d for _, d in stack), parent_display])
        if len(stack) >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                stack[0][1],
                "extends",
                f"extends chain longer than {MAX_EXTENDS_DEPTH} files "
                f"({_short_chain(stack, parent_display)}); expected a shorter chain",
            )
        check_suffix(parent, YAML_SUFFIXES, "a scenario file", display, "extends")
        resolved = resolved_path(parent)
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
        parent_data = read_mapping(parent, parent_display, "a scenario file", nodes=nodes)
        base, base_origin = load_chain(parent_data, parent, parent_display, stack, sources, nodes, pending)
    merged, origin = _merge(base, base_origin, data, Origin(display), (), pending)
    return merged, origin


def _short_chain(stack: list[tuple[Path | None, str]], last: str) -> str:
    names = [d for _, d in stack] + [last]
    return " -> ".join(names) if len(names) <= 6 else " -> ".join([*names[:3], "...", *names[-2:]])


def _merge(
    base: Any, b_o: Origin, over: Any, o_o: Origin, loc: Loc, problems: list[Problem]
) -> tuple[Any, Origin]:
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
    return out, Origin(o_o.file, kids, o_o.local)


_REMOVED = object()


def _append_events(
    base: list[Any], b_o: Origin, over: list[Any], o_o: Origin, loc: Loc, problems: list[Problem]
) -> tuple[list[Any], Origin]:
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
    return [base[i] for i in keep] + added, Origin(o_o.file, kept, o_o.local)


def _merge_named(
    base: list[Any], b_o: Origin, over: list[Any], o_o: Origin, loc: Loc, problems: list[Problem]
) -> tuple[list[Any], Origin]:
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
    return [out[i] for i in keep], Origin(o_o.file, [kids[i] for i in keep], o_o.local)


def _is_name(value: Any) -> TypeGuard[str]:
    return isinstance(value, str)


def apply_parameters_file(
    merged: dict[Any, Any],
    origin: Origin,
    data_files: list[tuple[str, bytes]],
    folders: dict[str, Path],
    nodes: Nodes,
) -> Path | None:
    """Fold the parameters file's values under `merged['parameters']` (scenario values win)."""
    rel = merged.get("parameters_file")
    if not isinstance(rel, str):
        return None  # absent; a wrong type is reported by validation
    declaring = origin.file_at(("parameters_file",))
    path = resolve_data_file(declaring, rel, folders, "parameters_file")
    display = display_name(path)
    what = "a YAML mapping of parameter name -> value or -> {value: ...}"
    check_suffix(path, YAML_SUFFIXES, "a parameters file", declaring, "parameters_file")
    raw = read_bytes(path, display, what, file=declaring, field="parameters_file")
    data_files.append(("parameters_file", raw))
    data = parse_yaml(raw, display, what, nodes)
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
    kids = {k: Origin(display, None, (*prefix, k)) for k in values}
    kids.update({k: own_origin.child(k) for k in own})
    assert isinstance(origin.kids, dict)
    origin.kids["parameters"] = Origin(own_origin.file, kids, own_origin.local)
    return path

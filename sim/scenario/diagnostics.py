"""Diagnostics: pydantic errors rewritten as problems in the user's terms, with line and column.

Each pydantic error becomes a `Problem` naming the file that supplied the value (via the
merge's `Origin`), the field path in that file's own terms and what was expected;
`with_lines` adds the line and column where the value (or the mapping lacking it) is written.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from sim.errors import Loc, Problem, ScenarioError, format_loc, parse_loc
from sim.scenario.origins import Origin
from sim.scenario.reading import Nodes, short_repr
from sim.scenario.references import ReferenceProblems, unknown_name
from sim.scenario.safe_yaml import position
from sim.scenario.schema import ScenarioSpec

MAX_PROBLEMS = 50  # problems reported for one file (then "... and N more")


def with_lines(exc: ScenarioError, nodes: Nodes) -> ScenarioError:
    """`exc` with the line and column of each problem's field in its file, where known.

    A problem whose field is a location (``events[0].date``) in a YAML file read for this
    scenario gets the position of that value (of the value itself when written on its key's
    line, of its key for a block mapping or list, and of the key for a problem with the key,
    `Problem.key`); of its nearest enclosing key or item when the value is missing (a missing
    required key: the mapping that lacks it; for a top-level key, the document's first key).
    A problem about the file as a whole is left as it is.
    """
    caches: dict[str, dict[int, Any]] = {}
    problems = []
    for p in exc.problems:
        root = nodes.get(p.file)
        loc = parse_loc(p.field) if root is not None and p.line is None and p.field else None
        if loc is not None and root is not None:
            line, column, _ = position(root, loc, caches.setdefault(p.file, {}), at_value=not p.key)
            p = dataclasses.replace(p, line=line, column=column)
        problems.append(p)
    exc._set(tuple(problems))
    return exc


def pydantic_problems(exc: ValidationError, origin: Origin) -> list[Problem]:
    """Turn pydantic errors into problems with clean field paths and expectations."""
    entries: list[tuple[Loc, str, str | None, tuple[Loc, int] | None]] = []
    keys: set[Loc] = set()  # locations whose key is the problem (an unknown key or name)
    errors = exc.errors(include_url=False)
    for err in errors[: MAX_PROBLEMS * 4]:  # beyond that, only counted (a file of 100,000 typos)
        ctx = err.get("ctx") or {}
        if isinstance(ctx.get("error"), ReferenceProblems):
            entries.extend((loc, msg, None, None) for loc, msg in ctx["error"].problems)
            keys.update(ctx["error"].keys)
            continue
        walk = walk_loc(err["loc"])
        expected, got = _describe(err, walk)
        union = (walk.loc[: walk.union_depth], walk.union_depth) if walk.union_depth is not None else None
        entries.append((walk.loc, expected, got, union))
        if err["type"] == "extra_forbidden":
            keys.add(walk.loc)

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
        problems.append(Problem(file, format_loc(local), message, key=loc in keys))
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
    tags: list[str] = []
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


def walk_loc(raw_loc: Sequence[Any]) -> _Walk:
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
            return f"expected a mapping with {disc}: one of {tags}", short_repr(value)
        return f"missing key {disc!r}; expected one of: {tags}", None
    if kind == "too_short" and "min_length" in ctx:
        return f"expected at least {ctx['min_length']} item(s)", short_repr(value)
    if kind == "too_long" and "max_length" in ctx:
        return f"expected at most {ctx['max_length']} item(s)", short_repr(value)
    if kind in ("value_error", "assertion_error"):
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, "), None
    if kind.endswith(("_type", "_parsing")) or kind in ("int_from_float", "model_attributes_type"):
        expected = _type_text(walk.type, walk.disc)
        if expected:
            return f"expected {expected}", short_repr(value)
    text = msg.replace("Input should be", "expected", 1)
    if not text.startswith("expected"):
        text = f"expected a valid value ({msg})"
    return text, short_repr(value)

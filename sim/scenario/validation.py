"""Validating a merged scenario mapping in one pass: every problem of the file at once.

Type errors stop pydantic before the cross-reference checks; the references of the well-typed
rest are checked too, so that a bad date does not hide an unknown route name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from sim.errors import Loc, Problem, ScenarioError, format_loc
from sim.scenario.diagnostics import MAX_PROBLEMS, pydantic_problems, walk_loc
from sim.scenario.origins import Origin
from sim.scenario.references import ReferenceProblems
from sim.scenario.schema import ScenarioSpec

_TOP_LISTS = ("actors", "blocs", "goods", "routes", "shipments", "events", "hazards")
_REQUIRED = ("name", "start", "end", "poles", "actors", "goods", "trade")
_WIDE_HORIZON = ("1900-01", "2200-12")


def validate_merged(merged: dict[Any, Any], origin: Origin) -> ScenarioSpec:
    """ScenarioSpec of the merged mapping, or ScenarioError with every problem found in one pass.

    Type errors stop pydantic before the cross-reference checks; so that a bad date does not
    hide an unknown route name, the references of the well-typed rest are checked too
    (`_rest_reference_problems`).
    """
    try:
        return ScenarioSpec.model_validate(merged)
    except ValidationError as exc:
        problems = pydantic_problems(exc, origin)
        if exc.error_count() <= MAX_PROBLEMS and not _has_reference_problems(exc):
            seen = {(p.file, p.field, p.message) for p in problems}
            rest = _rest_reference_problems(exc, merged, origin, gentle=True)
            if rest is None:  # the gentle pruning left a mapping that does not validate
                rest = _rest_reference_problems(exc, merged, origin, gentle=False) or []
            for extra in rest:
                if (extra.file, extra.field, extra.message) not in seen:
                    problems.append(extra)
        raise ScenarioError(problems=capped(problems)) from None


def capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    last = problems[MAX_PROBLEMS - 1]
    more = Problem(last.file, "", f"... and {len(problems) - MAX_PROBLEMS + 1:,} more problem(s)")
    return [*problems[: MAX_PROBLEMS - 1], more]


def _has_reference_problems(exc: ValidationError) -> bool:
    return any(isinstance((e.get("ctx") or {}).get("error"), ReferenceProblems) for e in exc.errors())


def _rest_reference_problems(
    exc: ValidationError, merged: dict[Any, Any], origin: Origin, gentle: bool = False
) -> list[Problem] | None:
    """Cross-reference problems of `merged` without the parts that failed type validation.

    An unknown key is left out, and (`gentle`) so is an optional field with a bad value, the
    rest of its item kept (so that an unknown key or a bad number does not hide the item's
    unknown actor or route). Other list items with a type error are left out (their indices
    mapped back; names they defined are not reported as unknown elsewhere); a bad start or end
    is replaced by a wide horizon (and horizon checks skipped); other optional sections with
    errors are dropped. Gives up (returns []) when a required section itself is malformed;
    None when the pruned mapping has other errors than references (retry with gentle=False).
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
        if len(loc) > 1 and _leave_out(err, gentle) and _set_in(rest, walk_loc(loc).loc, _DELETE):
            continue  # an unknown key or a bad optional value: check the rest of its item
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
    lost_names: set[str] = set()
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
    if not refs and gentle:
        return None
    problems = []
    for ref in refs:
        for loc, message in ref.problems:
            if skip_horizon and ("scenario horizon" in message or loc == ("end",)):
                continue
            if loc in skip_locs:
                continue
            if any(message.startswith("unknown") and f"{name!r}" in message for name in lost_names):
                continue
            is_key = loc in ref.keys
            loc = _map_back(loc, kept, menu_kept, series_kept)
            file, local = origin.at(loc)
            problems.append(Problem(file, format_loc(local), message, key=is_key))
    return problems


_DELETE = object()  # `_set_in` value: delete the key


def _leave_out(err: Any, gentle: bool) -> bool:
    """Whether the key of a pydantic error can be left out to check the rest of its item:
    an unknown key; with `gentle`, an optional model field with a bad value."""
    if err["type"] == "extra_forbidden":
        return True
    if not gentle:
        return False
    walk = walk_loc(err["loc"])
    return walk.field is not None and not walk.field.is_required() and walk.loc[-1:] == tuple(err["loc"][-1:])


_MONTH_FIELDS = ("date", "active_from", "available_from", "available_until", "start")


def _set_in(data: dict[Any, Any], loc: Sequence[Any], value: Any) -> bool:
    """Set `data` at `loc` to `value` (`_DELETE`: delete the key), copying the containers on the
    way (the original is kept)."""
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
    if value is _DELETE:
        if isinstance(node, dict) and last in node:
            del node[last]
            return True
        return False
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

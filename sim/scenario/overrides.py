"""Overrides: the one way to set values in a scenario by field path (sweeps, `sim.api.with_overrides`,
posterior draws, calibration) and re-validate it.

    override_mapping(mapping, {"routes[Middle Corridor].capacity_per_year": 12.0})   # a new mapping
    override_spec(base_mapping, [(keys, value)], parameters=params)                  # validated spec
    with_parameters(spec, params)          # the spec with other (already validated) parameters
    parameter_values(params, {"route_risk_premium_usd_per_unit.CPC": 9.0})            # Parameters

Path syntax (a varied parameter's `path` in a sweep file)::

    parameters.trade_elasticity                     mapping keys, dot-separated
    routes[Middle Corridor].capacity_per_year       [text] on a list: the item whose `name` is text
    events[3].action.detection_probability          [int] on a list: the item at that index
    actors[Kazakhstan].alignment.Russia             keys of mapping-valued fields
    decisions.menus[United States][0].action.level  [text] on a mapping: that key (spaces allowed)
    events[action.label=US_export_restrictions].action.rate
                                                    [field=value,...] on a list: the one item whose
                                                    (dotted) fields equal the values, e.g.
                                                    events[date=2023-10,action.type=enforcement]

Prefer names and field matches to indices: they keep pointing at the same item when the base
scenario gains or loses items.

A path is resolved once against the merged base scenario into concrete keys
(`("routes", 5, "capacity_per_year")`); overrides are then applied to a copy of
the mapping that shares every untouched branch (copy-on-write along the path).
Parameter values (posterior draws, calibration vectors) are set on the `Parameters` model
(`parameter_values`, validated there) and replace a scenario's parameters without re-validating
the rest of it (`with_parameters`): the scenario's other fields do not depend on them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sim.errors import InputError, ScenarioError, format_loc
from sim.scenario.references import unknown_name

if TYPE_CHECKING:
    from sim.params import Parameters
    from sim.scenario.schema import ScenarioSpec

Segment = tuple[str, str]  # ("key", name) | ("sel", text)
Keys = tuple[str | int, ...]

_INT = re.compile(r"^-?\d+$")
FORBIDDEN_ROOTS = {
    "trade": "the baseline trade data is fixed by the base scenario",
    "parameters_file": "parameters files are read when the base scenario is loaded; vary parameters.<name>",
    "seed": "run seeds come from the sweep's root seed",
    "extends": "the base scenario is fixed by the sweep's `base`",
}


class PathError(ValueError):
    """A path that is malformed or does not resolve (message says why)."""


def parse_path(path: str) -> list[Segment]:
    """Split `a.b[sel].c` into segments; raise PathError on bad syntax."""
    if not isinstance(path, str) or not path.strip():
        raise PathError("expected a non-empty field path such as parameters.trade_elasticity")
    segs: list[Segment] = []
    i, n = 0, len(path)
    expect_key = True
    while i < n:
        ch = path[i]
        if ch == "[":
            j = path.find("]", i + 1)
            if j < 0:
                raise PathError(f"unclosed '[' at position {i + 1} in {path!r}")
            text = path[i + 1 : j].strip()
            if not text:
                raise PathError(f"empty selector '[]' at position {i + 1} in {path!r}")
            if not segs:
                raise PathError(f"a path starts with a key, not a selector: {path!r}")
            segs.append(("sel", text))
            i = j + 1
            expect_key = False
        elif ch == ".":
            if expect_key:
                raise PathError(f"empty key at position {i + 1} in {path!r}")
            i += 1
            expect_key = True
            if i == n:
                raise PathError(f"path ends with '.': {path!r}")
        elif ch == "]":
            raise PathError(f"unexpected ']' at position {i + 1} in {path!r}")
        else:
            if not expect_key:
                raise PathError(f"expected '.' or '[' at position {i + 1} in {path!r}")
            j = i
            while j < n and path[j] not in ".[]":
                j += 1
            key = path[i:j].strip()
            if not key:
                raise PathError(f"empty key at position {i + 1} in {path!r}")
            segs.append(("key", key))
            i = j
            expect_key = False
    return segs


def _names(items: Sequence[Any]) -> list[str]:
    return [str(x["name"]) for x in items if isinstance(x, Mapping) and "name" in x]


def _conditions(text: str, path: str) -> list[tuple[list[str], str]]:
    out = []
    for part in text.split(","):
        field, sep, value = part.partition("=")
        if not sep or not field.strip() or not value.strip():
            raise PathError(f"bad selector [{text}] in {path!r}; expected [field=value] or [f1=v1,f2=v2]")
        out.append((field.strip().split("."), value.strip()))
    return out


def _field(item: Any, field: list[str]) -> str | None:
    """The item's value at a dotted field, as text (None if absent)."""
    node = item
    for k in field:
        if not isinstance(node, Mapping) or k not in node:
            return None
        node = node[k]
    return None if node is None or isinstance(node, Mapping | list) else str(node)


def resolve_path(mapping: Mapping[str, Any], path: str) -> Keys:
    """Concrete keys of `path` in `mapping` (a merged scenario); raise PathError if it does not resolve.

    The last key may be missing from a mapping (a new entry of a mapping-valued field such as
    `actors[Kazakhstan].security_dependence.China`); scenario validation then decides.
    """
    segs = parse_path(path)
    if segs[0][1] in FORBIDDEN_ROOTS:
        raise PathError(f"{segs[0][1]!r} cannot be varied: {FORBIDDEN_ROOTS[segs[0][1]]}")
    node: Any = mapping
    keys: list[str | int] = []
    for k, (kind, text) in enumerate(segs):
        last = k == len(segs) - 1
        where = format_loc(keys) or "the scenario"
        if isinstance(node, Mapping):
            if text in node:
                keys.append(text)
                node = node[text]
                continue
            if last:
                keys.append(text)
                node = None
                continue
            raise PathError(unknown_name("key", text, [str(x) for x in node], f"keys of {where}"))
        if isinstance(node, list):
            if kind == "key":
                raise PathError(f"{where} is a list; select an item with [name] or [index], got .{text}")
            if "=" in text:
                conds = _conditions(text, path)
                hits = [i for i, x in enumerate(node) if all(_field(x, f) == v for f, v in conds)]
                if len(hits) != 1:
                    raise PathError(
                        f"{len(hits)} items of {where} match [{text}]; expected exactly one "
                        "(add conditions, e.g. [date=2023-10,action.type=enforcement])"
                    )
                keys.append(hits[0])
                node = node[hits[0]]
                continue
            if _INT.match(text):
                idx = int(text)
                if not 0 <= idx < len(node):
                    raise PathError(f"index {idx} out of range: {where} has {len(node)} item(s)")
                keys.append(idx)
                node = node[idx]
                continue
            hits = [i for i, x in enumerate(node) if isinstance(x, Mapping) and str(x.get("name")) == text]
            if not hits:
                raise PathError(unknown_name("name", text, _names(node), f"names in {where}"))
            if len(hits) > 1:
                raise PathError(f"{len(hits)} items of {where} are named {text!r}; select one by [index]")
            keys.append(hits[0])
            node = node[hits[0]]
            continue
        raise PathError(f"{where} is a value ({node!r}), not a mapping or list; cannot select {text!r}")
    if isinstance(node, Mapping | list):
        kind = "a mapping" if isinstance(node, Mapping) else "a list"
        raise PathError(f"{format_loc(keys)} is {kind}; expected the path of a single value")
    return tuple(keys)


def get_value(mapping: Mapping[str, Any], keys: Keys) -> Any:
    """The value at `keys` (None if the last key is absent)."""
    node: Any = mapping
    for k in keys[:-1]:
        node = node[k]
    if isinstance(node, Mapping):
        return node.get(keys[-1])
    return node[keys[-1]]


def apply_overrides(mapping: Mapping[str, Any], overrides: Iterable[tuple[Keys, Any]]) -> dict[str, Any]:
    """A copy of `mapping` with each (keys, value) set; untouched branches are shared, not copied."""
    root: Any = dict(mapping)
    for keys, value in overrides:
        node = root
        for k in keys[:-1]:
            child = node[k]
            copy = dict(child) if isinstance(child, Mapping) else list(child)  # shallow: siblings shared
            node[k] = copy
            node = copy
        node[keys[-1]] = value
    return root


Overrides = Mapping[str, Any] | Iterable[tuple[Keys, Any]]
"""{path: value} (resolved here) or (resolved keys, value) pairs."""


def resolved(mapping: Mapping[str, Any], overrides: Overrides) -> list[tuple[Keys, Any]]:
    """(keys, value) pairs of `overrides`; a path that does not resolve raises InputError naming it."""
    if not isinstance(overrides, Mapping):
        return list(overrides)
    pairs = []
    for path, value in overrides.items():
        try:
            pairs.append((resolve_path(mapping, path), value))
        except PathError as exc:
            raise InputError(str(exc), field=path) from None
    return pairs


def override_mapping(mapping: Mapping[str, Any], overrides: Overrides) -> dict[str, Any]:
    """A copy of a scenario mapping with `overrides` set (not validated; see `override_spec`)."""
    return apply_overrides(mapping, resolved(mapping, overrides))


def override_spec(
    base: Mapping[str, Any] | ScenarioSpec,
    overrides: Overrides = (),
    *,
    parameters: Parameters | None = None,
    file: str = "override",
) -> ScenarioSpec:
    """The base scenario (a spec or its `model_dump()`) with `parameters` (first) and `overrides`
    set, validated: every problem is reported at once (ScenarioError citing `file`)."""
    from pydantic import ValidationError

    from sim.scenario.loader import validation_problems
    from sim.scenario.schema import ScenarioSpec

    mapping = base.model_dump() if isinstance(base, ScenarioSpec) else base
    if parameters is not None:
        mapping = {**mapping, "parameters": parameters.model_dump()}
    try:
        return ScenarioSpec.model_validate(override_mapping(mapping, overrides))
    except ValidationError as exc:
        raise ScenarioError(problems=validation_problems(exc, file)) from None


def with_parameters(spec: ScenarioSpec, parameters: Parameters | None) -> ScenarioSpec:
    """The scenario with other model parameters (validated `Parameters`; unchanged if None)."""
    return spec if parameters is None else spec.model_copy(update={"parameters": parameters})


ROUTE_KEYED = ("route_risk_premium_usd_per_unit",)
"""Parameter mappings keyed by route name."""


def other_route(path: str, routes: Collection[str]) -> bool:
    """A route-keyed parameter path (`route_risk_premium_usd_per_unit.CPC`) of a route not in `routes`."""
    head, _, key = path.partition(".")
    return head in ROUTE_KEYED and bool(key) and key not in routes


def parameter_values(
    base: Parameters, values: Mapping[str, float], who: str = "a posterior draw"
) -> Parameters:
    """`base` with values set by parameter path: a field name, or `field.key` for a mapping field
    (e.g. `route_risk_premium_usd_per_unit.CPC`). InputError names an unknown path or a bad value."""
    from pydantic import ValidationError

    from sim.params import Parameters

    data = base.model_dump()
    for path, v in values.items():
        head, _, key = path.partition(".")
        if head not in data:
            raise InputError(f"the posterior's parameter {path!r} is not a model parameter", field=path)
        if key:
            if not isinstance(data[head], dict):
                raise InputError(f"the posterior's parameter {path!r}: {head} is not a mapping", field=path)
            data[head] = {**data[head], key: v}
        else:
            data[head] = v
    try:
        return Parameters.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"]))
        raise InputError(f"{who} sets {where} out of range: {first['msg']}", field=where) from None


def draw_parameters(
    base: Parameters, values: Mapping[str, float], routes: Collection[str] | None = None
) -> Parameters:
    """`base` with a posterior draw's values (`parameter_values`); with `routes` (the scenario's
    route names), route-keyed values of other routes are left out."""
    if routes is not None:
        values = {p: v for p, v in values.items() if not other_route(p, routes)}
    return parameter_values(base, values)


__all__ = [
    "FORBIDDEN_ROOTS",
    "ROUTE_KEYED",
    "Keys",
    "Overrides",
    "PathError",
    "apply_overrides",
    "draw_parameters",
    "get_value",
    "other_route",
    "override_mapping",
    "override_spec",
    "parameter_values",
    "parse_path",
    "resolve_path",
    "resolved",
    "with_parameters",
]

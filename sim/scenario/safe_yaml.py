"""YAML reading with limits: plain types only, dates as text, bounded size, aliases and nesting.

`parse_limited(text, display, what)` composes the YAML node graph first (cheap even for an
"alias bomb": an alias is a reference to an already composed node), checks it, and only
then builds Python objects:

* size: at most `MAX_YAML_BYTES` of text (checked by the caller on the raw bytes too);
* nesting: at most `MAX_YAML_DEPTH` levels of mappings and lists;
* aliases: at most `MAX_YAML_ALIASES` alias references, and the document expanded (every
  alias counted as a copy of what it points at) at most `MAX_YAML_NODES` nodes;
* tags: only the plain YAML types (string, integer, float, boolean, null, mapping, list,
  merge key ``<<``); an explicit ``!!int``/``!!float``/``!!bool``/``!!null`` must hold a value
  of that type; ``!!timestamp``, ``!!binary``, ``!!set``, application tags (``!foo``) and the
  rest are refused;
* dates are text: ``start: 2022-01-01`` reads as the string ``'2022-01-01'`` (the schema
  then says "expected 'YYYY-MM'"), never as a YAML timestamp (which fails on 2022-02-30);
* duplicate keys in a mapping are refused (plain YAML silently keeps the last one).

Every violation raises a `ScenarioError` naming the file, line and column.

`parse_limited(..., nodes=...)` also keeps the document's node graph, and `position(root, loc)`
finds where the value at a location such as ``('events', 3, 'date')`` was written (for error
messages; looked up only when there is an error, so loading pays nothing for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from sim.errors import ScenarioError

MAX_YAML_BYTES = 4 * 1024 * 1024  # 4 MiB: the baseline is ~50 kB
MAX_YAML_DEPTH = 64  # levels of nested mappings/lists: the schema needs 6
MAX_YAML_ALIASES = 1_000  # alias references (*name) in one document
MAX_YAML_NODES = 200_000  # nodes after expanding every alias: the baseline has ~2,300

_T = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_T}{t}" for t in ("str", "int", "float", "bool", "null")}
_ALLOWED_TAGS = _SCALAR_TAGS | {f"{_T}map", f"{_T}seq", f"{_T}merge", f"{_T}value"}

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when available (10x faster)


class _PlainResolver(yaml.resolver.Resolver):
    """The YAML 1.1 resolver without the implicit timestamp type (dates stay strings)."""


_PlainResolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in entries if tag != f"{_T}timestamp"]
    for first, entries in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}


class LimitedLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader (no arbitrary objects), no timestamps, duplicate keys refused."""

    yaml_implicit_resolvers = _PlainResolver.yaml_implicit_resolvers


def _construct_mapping(loader: LimitedLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == f"{_T}merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _error(display: str, node: yaml.Node | None, message: str) -> ScenarioError:
    mark = node.start_mark if node is not None else None
    if mark is None:
        return ScenarioError(display, "", message)
    return ScenarioError(display, "", message, line=mark.line + 1, column=mark.column + 1)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def _check_graph(root: yaml.Node, loader: LimitedLoader, display: str) -> None:
    """Refuse deep nesting, too many aliases, too large an expansion and non-plain tags."""
    expanded: dict[int, int] = {}  # id(node) -> nodes in its expansion (memo: aliases are shared)
    aliases = 0
    # iterative post-order walk: (node, depth, children done?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(expanded[id(c)] for c in _children(node))
            if total > MAX_YAML_NODES:
                raise _error(
                    display,
                    node,
                    f"the document has more than {MAX_YAML_NODES:,} values (each YAML alias counted as "
                    "a copy of what it names); expected a smaller scenario",
                )
            expanded[key] = total
            continue
        if key in expanded or key in on_path:
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                raise _error(display, node, f"more than {MAX_YAML_ALIASES:,} YAML aliases; expected fewer")
            if key in on_path:
                raise _error(display, node, "recursive YAML alias; expected a finite document")
            continue
        if depth > MAX_YAML_DEPTH:
            raise _error(
                display,
                node,
                f"nested more than {MAX_YAML_DEPTH} levels deep; expected a flatter document",
            )
        _check_tag(node, loader, display)
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_tag(node: yaml.Node, loader: LimitedLoader, display: str) -> None:
    tag = node.tag
    if tag not in _ALLOWED_TAGS:
        raise _error(
            display,
            node,
            f"YAML tag {_short_tag(tag)!r} is not allowed; expected plain values "
            "(text, numbers, true/false, null, mappings, lists; write dates as 'YYYY-MM')",
        )
    if isinstance(node, yaml.ScalarNode) and tag in _SCALAR_TAGS and tag != f"{_T}str":
        implicit = loader.resolve(yaml.ScalarNode, node.value, (True, False))
        if implicit != tag:
            raise _error(
                display,
                node,
                f"{node.value[:40]!r} is not a valid {_short_tag(tag)} value; "
                "expected a plain value without an explicit YAML tag",
            )


def parse_limited(text: str, display: str, nodes: dict[str, yaml.Node] | None = None) -> Any:
    """Parse one YAML document with the limits above; None for an empty document.

    With `nodes`, the document's root node is stored as ``nodes[display]`` (for `position`)."""
    if len(text) > MAX_YAML_BYTES:
        raise ScenarioError(
            display, "", f"larger than {MAX_YAML_BYTES // 1024 // 1024} MiB; expected a smaller file"
        )
    loader = LimitedLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            raise ScenarioError(
                display, "", f"nested too deeply; expected at most {MAX_YAML_DEPTH} levels"
            ) from None
        if root is None:
            return None
        _check_graph(root, loader, display)
        if nodes is not None:
            nodes[display] = root
        try:
            return loader.construct_document(root)
        except RecursionError:
            raise ScenarioError(
                display, "", f"nested too deeply; expected at most {MAX_YAML_DEPTH} levels"
            ) from None
    finally:
        loader.dispose()


def position(
    root: yaml.Node, loc: Sequence[Any], cache: dict[int, Any] | None = None, at_value: bool = False
) -> tuple[int, int, int]:
    """(line, column, depth) of the value at `loc` in the document `root` (1-based line, column).

    depth is the number of leading segments of `loc` found: when a key is missing the position
    is that of its nearest ancestor (depth 0: the document itself). A mapping value is placed at
    its key (``action:`` rather than the first line of the mapping under it); a list item at
    the item. With `at_value`, a value written on its key's line (a scalar, or a flow ``[...]``
    or ``{...}``) found at the full `loc` is placed at the value itself (where a bad value is
    wrong), not at its key. Merge keys (``<<``) were flattened when the document was
    constructed, so a merged value is found where it was written. `cache` keeps each mapping's
    key index between calls.
    """
    cache = {} if cache is None else cache
    node, mark, depth = root, root.start_mark, 0
    for seg in loc:
        if isinstance(node, yaml.MappingNode):
            index = cache.get(id(node))
            if index is None:
                index = {}
                for key_node, value_node in node.value:  # later keys win, as when constructing
                    if isinstance(key_node, yaml.ScalarNode):
                        index[key_node.value] = (key_node, value_node)
                cache[id(node)] = index
            pair = index.get(seg if isinstance(seg, str) else str(seg))
            if pair is None:
                break
            mark, node = pair[0].start_mark, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int) and 0 <= seg < len(node.value):
            node = node.value[seg]
            mark = node.start_mark
        else:
            break
        depth += 1
    if at_value and depth == len(loc) and depth and _inline(node):
        mark = node.start_mark
    return mark.line + 1, mark.column + 1, depth


def _inline(node: yaml.Node) -> bool:
    """A scalar or a flow collection: a value that starts where it is written, after its key."""
    return isinstance(node, yaml.ScalarNode) or bool(getattr(node, "flow_style", False))


__all__ = [
    "MAX_YAML_ALIASES",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "LimitedLoader",
    "parse_limited",
    "position",
]

"""Event forms and readable field paths for the workbench (no Solara here).

The form of an event is derived from the scenario schema (`sim.scenario.schema.Action`, one
model per action type): one field per model field (nested action lists such as a demand's
`on_concede` are left to YAML). The form's text values become an event mapping
(`build_event`), which joins the scenario's events (`EventEdits`) and is validated by the
loader with the rest of the scenario, so a form shows the same messages as
`mvsim validate`. `named_paths` rewrites the loader's list indices (`routes[0]`) into the
names the levers use (`routes[CPC]`).
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# Form fields whose values are names of things in the scenario: field -> the list they name.
NAMED_FIELDS: dict[str, str] = {
    "sender": "actors+blocs",
    "target": "actors",
    "actor": "actors",
    "buyer": "actors",
    "route": "routes",
    "shipment": "shipments",
    "good": "goods",
    "toward": "poles",
    "against": "poles",
}
SKIPPED = ("type", "note", "source")
NAMED_LISTS = ("actors", "routes", "shipments", "goods", "hazards", "blocs", "contingencies")


@dataclass(frozen=True)
class FormField:
    """One field of an action type's form."""

    name: str
    kind: str  # "text", "number", "integer", "choice", "goods"
    required: bool
    default: str  # as the form shows it ("" for none)
    choices: tuple[str, ...] = ()  # Literal values, or "" when names come from the scenario
    names: str = ""  # NAMED_FIELDS entry: offer the scenario's names of this kind
    description: str = ""


def _action_models() -> dict[str, Any]:
    from sim.scenario import schema as S

    union = typing.get_args(S.Action)[0]
    out = {}
    for model in typing.get_args(union):
        (kind,) = typing.get_args(model.model_fields["type"].annotation)
        out[kind] = model
    return out


def action_types() -> list[str]:
    """The action types of the schema, in its order."""
    return list(_action_models())


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        if any(typing.get_origin(a) is list for a in args):
            return "goods", ()
        return _kind(args[0]) if len(args) == 1 else ("text", ())
    if origin is Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if origin is list:
        return "list", ()
    if annotation is float:
        return "number", ()
    if annotation is int:
        return "integer", ()
    return "text", ()


def form_fields(action_type: str) -> list[FormField]:
    """The fields of one action type's form (schema order, nested action lists left out)."""
    model = _action_models()[action_type]
    out = []
    for name, info in model.model_fields.items():
        if name in SKIPPED:
            continue
        kind, choices = _kind(info.annotation)
        if kind == "list":
            continue
        default = "" if info.is_required() or info.default is None else str(info.default)
        out.append(
            FormField(
                name,
                kind,
                info.is_required(),
                default,
                choices,
                NAMED_FIELDS.get(name, ""),
                info.description or "",
            )
        )
    return out


def names_of(mapping: Mapping[str, Any], names: str) -> list[str]:
    """The scenario's names of a kind ('actors', 'routes', 'actors+blocs', 'poles', ...)."""
    out: list[str] = []
    for part in names.split("+"):
        if part == "poles":
            out += [str(p) for p in mapping.get("poles", [])]
        else:
            out += [
                str(x["name"]) for x in mapping.get(part, []) or [] if isinstance(x, dict) and "name" in x
            ]
    return list(dict.fromkeys(out))


def _value(text: str, kind: str) -> Any:
    """A form text as the YAML value it stands for; text that is not a number stays text
    (the schema then says what it expected)."""
    t = text.strip()
    if kind == "goods":
        return "all" if t in ("", "all") else [g.strip() for g in t.split(",") if g.strip()]
    if kind in ("number", "integer"):
        try:
            f = float(t)
        except ValueError:
            return t
        return int(f) if kind == "integer" and f.is_integer() else f
    return t


def build_event(date: str, action_type: str, values: Mapping[str, str], name: str = "") -> dict[str, Any]:
    """An event mapping from a form: empty optional fields are left out (the schema's default)."""
    action: dict[str, Any] = {"type": action_type}
    for f in form_fields(action_type):
        text = str(values.get(f.name, "")).strip()
        if text == "" and (not f.required or f.kind == "goods"):
            continue
        action[f.name] = _value(text, f.kind)
    event: dict[str, Any] = {"date": date.strip()}
    if name.strip():
        event["name"] = name.strip()
    event["action"] = action
    return event


def form_values(event: Mapping[str, Any]) -> dict[str, str]:
    """The form's texts for an existing event (lists of goods joined by commas)."""
    act = event.get("action", {})
    out = {}
    for k, v in act.items():
        if k in SKIPPED or (isinstance(v, list | dict) and k != "goods"):
            continue
        out[k] = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
    return out


@dataclass(frozen=True)
class EventEdits:
    """Events edited through the form (index -> new event) and events added (appended)."""

    replaced: dict[int, dict[str, Any]] = field(default_factory=dict)
    added: tuple[dict[str, Any], ...] = ()

    def is_empty(self) -> bool:
        return not self.replaced and not self.added

    def replace(self, index: int, event: dict[str, Any], n_base: int) -> EventEdits:
        """Edit event `index` of the scenario (an added one if index >= n_base)."""
        if index >= n_base:
            added = list(self.added)
            added[index - n_base] = event
            return EventEdits(dict(self.replaced), tuple(added))
        return EventEdits({**self.replaced, index: event}, self.added)

    def add(self, event: dict[str, Any]) -> EventEdits:
        return EventEdits(dict(self.replaced), (*self.added, event))


def apply_events(mapping: Mapping[str, Any], ev: EventEdits) -> dict[str, Any]:
    """The mapping with edited events replaced in place and added events appended (indices of
    the scenario's own events do not move)."""
    out = copy.deepcopy(dict(mapping))
    events = list(out.get("events", []))
    for i, e in ev.replaced.items():
        events[i] = copy.deepcopy(e)
    events += [copy.deepcopy(e) for e in ev.added]
    out["events"] = events
    return out


def event_change_lines(mapping: Mapping[str, Any], ev: EventEdits) -> list[str]:
    """The header lines of event edits ("event added: 2025-01 route_disruption ...")."""
    from sim.ui.editor import event_label

    base = mapping.get("events", [])
    lines = [
        f"event edited: {event_label(base[i])} -> {event_label(e)}" for i, e in sorted(ev.replaced.items())
    ]
    return lines + [f"event added: {event_label(e)}" for e in ev.added]


_INDEX = re.compile(r"\b(" + "|".join(NAMED_LISTS) + r")\[(\d+)\]")


def named_paths(text: str, mapping: Mapping[str, Any]) -> str:
    """The loader's field paths with list indices of named things replaced by their names
    (`routes[0].capacity_per_year` -> `routes[CPC].capacity_per_year`); events keep their
    index, as their levers do."""

    def sub(m: re.Match[str]) -> str:
        items = mapping.get(m.group(1), [])
        i = int(m.group(2))
        if isinstance(items, list) and i < len(items) and isinstance(items[i], dict) and "name" in items[i]:
            return f"{m.group(1)}[{items[i]['name']}]"
        return m.group(0)

    return _INDEX.sub(sub, text)


__all__ = [
    "EventEdits",
    "FormField",
    "action_types",
    "apply_events",
    "build_event",
    "event_change_lines",
    "form_fields",
    "form_values",
    "named_paths",
    "names_of",
]

"""The scenario editor's state: levers over a merged scenario mapping, and the edited YAML.

A `Lever` is one number of the mapping the workbench offers as a slider (a route's capacity,
an actor's hedging weight or enforcement, a hazard's rate, the level of a scripted sanction,
secondary sanction or enforcement event). `Edits` holds the values the user moved and the
events switched off; `apply_edits` turns the base mapping and the edits into the edited
mapping, which the loader validates (`adapter.validate_mapping`) exactly as it validates a
file. Nothing here knows what the numbers do in the model.
"""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

# (action type, field, label, unit, upper bound or None for "3 x the value, at least 1")
_EVENT_LEVERS: tuple[tuple[str, str, str, str, float | None], ...] = (
    ("sanction", "rate", "ad valorem rate", "0-1", 1.0),
    ("secondary_sanction", "detection_probability", "detection probability", "per month", 1.0),
    ("secondary_sanction", "penalty_usd_bn", "penalty", "USD bn", None),
    ("enforcement", "level", "enforcement level", "0-1", 1.0),
)


@dataclass(frozen=True)
class Lever:
    """One editable number: where it sits in the mapping, its base value and slider range."""

    key: str  # e.g. "routes[CPC].capacity_per_year", "events[12].action.level"
    group: str  # "routes", "actors", "hazards", "sanctions"
    label: str
    unit: str
    value: float
    lo: float
    hi: float
    path: tuple[str | int, ...]  # indices into the mapping

    @property
    def step(self) -> float:
        span = self.hi - self.lo
        return 0.01 if span <= 1.0 else 0.05 if span <= 5 else 0.1 if span <= 20 else 0.5


@dataclass
class Edits:
    """The user's changes: lever key -> value, and the indices of events switched off."""

    values: dict[str, float] = field(default_factory=dict)
    disabled_events: set[int] = field(default_factory=set)

    def is_empty(self) -> bool:
        return not self.values and not self.disabled_events


def _upper(value: float, bound: float | None) -> float:
    return bound if bound is not None else max(1.0, round(3.0 * value, 2))


def _fmt(x: float) -> str:
    return f"{x:g}"


def levers(mapping: dict[str, Any]) -> list[Lever]:
    """The levers of a merged scenario mapping, in the order the editor shows them."""
    out: list[Lever] = []
    for i, r in enumerate(mapping.get("routes", [])):
        cap = float(r.get("capacity_per_year", 0.0))
        out.append(
            Lever(
                f"routes[{r['name']}].capacity_per_year",
                "routes",
                f"{r['name']} capacity",
                f"{r.get('unit', '')}/yr",
                cap,
                0.0,
                max(2.0 * cap, 10.0),
                ("routes", i, "capacity_per_year"),
            )
        )
    for i, a in enumerate(mapping.get("actors", [])):
        if a.get("kind", "state") != "state":
            continue
        for fld, label, hi in (
            ("hedging_weight", "hedging weight", 2.0),
            ("enforcement", "enforcement", 1.0),
        ):
            v = float(a.get(fld, 0.0))
            out.append(
                Lever(
                    f"actors[{a['name']}].{fld}",
                    "actors",
                    f"{a['name']} {label}",
                    "0-1" if fld == "enforcement" else "weight",
                    v,
                    0.0,
                    max(hi, v),
                    ("actors", i, fld),
                )
            )
    for i, h in enumerate(mapping.get("hazards", [])):
        rate = float(h.get("rate_per_year", 0.0))
        out.append(
            Lever(
                f"hazards[{h['name']}].rate_per_year",
                "hazards",
                f"{h['name']} rate",
                "per year",
                rate,
                0.0,
                _upper(rate, None),
                ("hazards", i, "rate_per_year"),
            )
        )
    for i, e in enumerate(mapping.get("events", [])):
        act = e.get("action", {})
        for kind, fld, label, unit, bound in _EVENT_LEVERS:
            if act.get("type") != kind or fld not in act:
                continue
            if kind == "sanction" and act.get("measure") != "ad_valorem":
                continue
            v = float(act[fld])
            out.append(
                Lever(
                    f"events[{i}].action.{fld}",
                    "sanctions",
                    f"{event_label(e)}: {label}",
                    unit,
                    v,
                    0.0,
                    _upper(v, bound),
                    ("events", i, "action", fld),
                )
            )
    return out


def event_label(event: dict[str, Any]) -> str:
    """A one-line description of a scripted event: date, type, who and on whom or what."""
    act = event.get("action", {})
    who = act.get("sender") or act.get("actor") or ""
    whom = act.get("target") or act.get("route") or act.get("shipment") or act.get("good") or ""
    parts = [str(event.get("date", "")), str(act.get("type", "")), str(who)]
    if whom:
        parts.append(f"-> {whom}")
    name = event.get("name")
    text = " ".join(p for p in parts if p)
    return f"{text} ({name})" if name else text


def apply_edits(mapping: dict[str, Any], edits: Edits, name: str | None = None) -> dict[str, Any]:
    """The edited scenario mapping: lever values set, disabled events removed, renamed `name`."""
    from sim.scenario.overrides import apply_overrides

    by_key = {lv.key: lv for lv in levers(mapping)}
    pairs = []
    for key, value in edits.values.items():
        lever = by_key.get(key)
        if lever is None:
            raise KeyError(f"no lever {key!r}; levers: {', '.join(by_key)}")
        pairs.append((lever.path, value))
    out = apply_overrides(copy.deepcopy(mapping), pairs)
    if edits.disabled_events:
        out["events"] = [e for i, e in enumerate(out.get("events", [])) if i not in edits.disabled_events]
    if name:
        out["name"] = name
    return out


def change_lines(mapping: dict[str, Any], edits: Edits) -> list[str]:
    """Human-readable list of the edits ("CPC capacity: 67 -> 40 Mt/yr")."""
    by_key = {lv.key: lv for lv in levers(mapping)}
    lines = []
    for key, value in edits.values.items():
        lv = by_key[key]
        if value != lv.value:
            lines.append(f"{lv.label}: {_fmt(lv.value)} -> {_fmt(value)} {lv.unit}".rstrip())
    events = mapping.get("events", [])
    lines += [
        f"event off: {event_label(events[i])}" for i in sorted(edits.disabled_events) if i < len(events)
    ]
    return lines


def to_yaml(mapping: dict[str, Any], header: Iterable[str] = ()) -> str:
    """YAML text of a scenario mapping, after a `#` comment header."""
    head = "".join(f"# {line}".rstrip() + "\n" for line in header)
    body = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, width=100)
    return head + ("\n" if head else "") + body


def header(question: str, source: str, compare_with: str | None, changes: list[str]) -> list[str]:
    """The comment header of an edited scenario file (question, comparison, edits)."""
    lines = [*textwrap.wrap(question or "Edited scenario.", 95), ""]
    if compare_with:
        lines += [f"Compare with: {compare_with}", ""]
    lines.append(f"Edited in the mvsim workbench from {source}; data paths are relative to this file.")
    lines += [f"  {c}" for c in changes] or ["  (no changes)"]
    return lines


__all__ = ["Edits", "Lever", "apply_edits", "change_lines", "event_label", "header", "levers", "to_yaml"]

"""`docs/actions.md`: the scenario-writing reference, generated from the typed schema.

Every action type (the members of `schema.Action`) and every section of a scenario file gets a
table of its fields (type, unit, default, constraints, meaning) and a YAML example. Units come
from the field-name conventions of the schema (`_usd_bn`, `_per_year`, `_months`, ...).
Examples are built from EXAMPLE_VALUES (names of the baseline scenario) and the fields'
constraints; tests/test_actions_doc.py runs a counterfactual made of them. Refresh with:

    python -m sim.scenario.actions_doc > docs/actions.md
"""

from __future__ import annotations

import inspect
import json
import types
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario import schema as S

EXAMPLE_VALUES: dict[str, Any] = {
    "sender": "United States",
    "target": "Kazakhstan",
    "actor": "Kazakhstan",
    "route": "Middle Corridor",
    "shipment": "Kazakh crude",
    "good": "crude_oil",
    "goods": ["dual_use"],
    "toward": "West",
    "against": "Russia",
    "buyer": "EU",
    "issue": "recognition",
    "label": "us_dual_use_ban",
}
"""Example value of a field by name (names of actors, routes, ... in scenarios/baseline.yaml)."""

TYPE_EXAMPLES: dict[str, dict[str, Any]] = {
    "sanction": {"goods": ["dual_use"], "direction": "exports", "label": "us_dual_use_ban"},
    "secondary_sanction": {"detection_probability": 0.1, "penalty_usd_bn": 5.0},
    "route_disruption": {"actor": "Russia", "route": "CPC", "capacity_factor": 0.0, "duration_months": 6},
    "route_reprice": {"actor": "Russia", "route": "CPC", "tariff_factor": 1.5, "duration_months": 12},
    "route_investment": {"capacity_added": 5.0, "lag_months": 24, "cost_usd_bn": 1.5},
    "trade_agreement": {"partner": "China", "trade_cost_cut": 0.03, "lag_months": 12, "cost_usd_bn": 0.05},
    "inducement": {"sender": "China", "amount_usd_bn": 2.0, "duration_months": 12},
    "security_guarantee": {"sender": "Russia", "level": -0.2},
    "demand": {"sender": "Russia", "intensity": 0.5},
    "enforcement": {"level": 0.8},
    "signal": {"strength": 0.3},
    "contract": {"route": "CPC", "volume_per_year": 10.0, "duration_months": 60, "take_or_pay": 0.8},
    "volume_change": {"factor": 0.9, "duration_months": 12},
    "price_change": {"factor": 0.8, "duration_months": 6},
}
"""Per action type: example values shown (optional fields included here appear in the example)."""

ACTION_SUMMARY: dict[str, str] = {
    "sanction": "An export or import ban (or ad valorem cost) by a sender (a bloc's members inherit it) "
    "on a target, for some goods or all; lasts until lifted by its `label`.",
    "lift_sanction": "Lifts the sender's sanction with this `label`.",
    "secondary_sanction": "Exposes an intermediary to secondary sanctions: each month its re-exports of "
    "the goods may be detected, and then it pays the penalty and feels the sender's pressure.",
    "route_disruption": "Cuts a route's capacity to `capacity_factor` for `duration_months` (a transit "
    "state's halt, or an accident without `actor`).",
    "route_reprice": "Multiplies a route's tariff (temporarily or for good). An actor's new order on a "
    "route replaces its order in force there (issued twice, 1.5 stays 1.5); orders of different actors, "
    "and reprices without an actor, multiply. A decider's menu leaves out the order it has in force.",
    "route_investment": "Adds capacity to a route after a lag, at a one-off cost to the investor.",
    "inducement": "Aid or investment from sender to target, spread over the duration.",
    "security_guarantee": "Raises (or, negative, withdraws) the sender's security guarantee to the target.",
    "demand": "A political demand (recognition, a base, an order): pressure on the target's alignment.",
    "enforcement": "Sets the actor's enforcement level against re-exports of sanctioned goods.",
    "signal": "A diplomatic signal toward a pole (and optionally against another).",
    "contract": "A long-term contract: committed volume of a shipment on a route, placed first.",
    "volume_change": "Multiplies a shipment's offered volume (a quota cut, a halt, a ramp-up).",
    "price_change": "Multiplies a good's world price (its time path), temporarily or for good.",
}
"""One-line meaning per action type; new types fall back to the class docstring."""

SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("scenario file (top level)", S.ScenarioSpec, ""),
    ("actors[]", S.ActorSpec, "actors"),
    ("blocs[]", S.BlocSpec, "blocs"),
    ("goods[]", S.GoodSpec, "goods"),
    ("trade", S.TradeSpec, "trade"),
    ("routes[]", S.RouteSpec, "routes"),
    ("shipments[]", S.ShipmentSpec, "shipments"),
    ("events[]", S.EventSpec, "events"),
    ("hazards[]", S.HazardSpec, "hazards"),
    ("contingencies[]", S.ContingencySpec, "contingencies"),
    ("contingencies[].when", S.ContingencyTrigger, "contingency_when"),
    ("decisions", S.DecisionSpec, "decisions"),
    ("decisions.menus.<actor>[]", S.MenuItem, "menus"),
    ("paths", S.PathsSpec, "paths"),
]

SECTION_EXAMPLES: dict[str, Any] = {
    "actors": [
        {
            "name": "Mongolia",
            "kind": "state",
            "gdp_usd_bn": 15.0,
            "alignment": {"Russia": 0.4, "China": 0.4, "West": 0.15, "Turkey": 0.05},
        }
    ],
    "blocs": [{"name": "EAEU", "members": ["Russia", "Kazakhstan", "Kyrgyzstan", "Armenia", "Belarus"]}],
    "goods": [{"name": "uranium", "unit": "t", "price_usd_per_unit": 150000.0}],
    "trade": {"baseline_file": "../calibration/trade_2021.csv"},
    "routes": [{"name": "Middle Corridor", "capacity_per_year": 10.0}],
    "shipments": [{"name": "Kazakh crude", "volume_per_year": 75.0}],
    "events": [
        {
            "date": "2024-07",
            "action": {
                "type": "route_disruption",
                "actor": "Russia",
                "route": "CPC",
                "capacity_factor": 0.0,
                "duration_months": 6,
            },
        }
    ],
    "hazards": [
        {
            "name": "Caspian storm",
            "rate_per_year": 1.0,
            "active_from": "2025-01",
            "action": {
                "type": "route_disruption",
                "route": "Middle Corridor",
                "capacity_factor": 0.5,
                "duration_months": 1,
            },
        }
    ],
    "contingencies": [
        {
            "name": "charter Trans-Caspian tankers on a CPC outage",
            "when": {"route": "CPC", "capacity_share_below": 0.5, "for_months": 2},
            "action": {
                "type": "route_investment",
                "actor": "Kazakhstan",
                "route": "Trans-Caspian oil",
                "capacity_added": 2.0,
                "lag_months": 3,
                "cost_usd_bn": 0.4,
            },
            "reason": "assumption: an emergency charter plan",
        }
    ],
    "decisions": {"every_months": 3, "start": "2024-01"},
    "menus": {
        "decisions": {
            "menus": {
                "Kazakhstan": [
                    {
                        "name": "tighten enforcement",
                        "action": {"type": "enforcement", "actor": "Kazakhstan", "level": 0.8},
                    }
                ]
            }
        }
    },
    "paths": None,
}
"""Section -> example YAML (None: no example; data sections show a merge-by-name edit)."""

_UNIT_SUFFIXES = (
    ("_usd_bn", "USD bn"),
    ("_usd_per_unit", "USD/unit"),
    ("rate_per_year", "1/yr"),
    ("_per_year", "route unit/yr"),
    ("_months", "months"),
    ("gdp_usd_bn", "USD bn"),
)
_FRACTIONS = {
    "probability",
    "share",
    "level",
    "intensity",
    "strength",
    "take_or_pay",
    "threshold",
    "capacity_factor",
    "enforcement",
    "compliance_propensity",
    "risk_tolerance",
}
_MULTIPLIERS = {"factor", "tariff_factor"}
_MONTH_FIELDS = {"date", "start", "end", "active_from", "available_from", "available_until"}


def unit_of(name: str, field: FieldInfo) -> str:
    """Unit of a field from the schema's naming conventions ('' if dimensionless or text)."""
    if name in _MONTH_FIELDS:
        return "YYYY-MM"
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    bounds = {(type(m).__name__, getattr(m, type(m).__name__.lower(), None)) for m in field.metadata}
    if name in _FRACTIONS or name.endswith(("_share", "_probability")) or {("Ge", 0), ("Le", 1)} <= bounds:
        return "0-1"
    if name in _MULTIPLIERS or name.endswith("_factor"):
        return "multiplier"
    if name == "rate":
        return "fraction of value"
    return ""


def type_text(tp: Any) -> str:
    """A readable type: `str`, `float`, `list[str] | 'all'`, `'ban' | 'ad_valorem'`, `Action`."""
    origin = get_origin(tp)
    if tp is type(None):
        return "null"
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if all(isinstance(a, type) and issubclass(a, BaseModel) and "type" in a.model_fields for a in args):
            return "Action"
        return " | ".join(type_text(a) for a in args)
    if origin is not None and get_args(tp) and getattr(origin, "__name__", "") == "Annotated":
        return type_text(get_args(tp)[0])
    if hasattr(tp, "__metadata__"):
        return type_text(get_args(tp)[0])
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(type_text(a) for a in get_args(tp))}]"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {"MenuItem": "menu item", "PathRow": "path row"}.get(tp.__name__, tp.__name__)
    return getattr(tp, "__name__", str(tp))


def constraints(field: FieldInfo) -> str:
    """Bounds such as '>= 0, <= 1' from the field's metadata."""
    out = []
    for m in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("min_length", "min items")):
            v = getattr(m, attr, None)
            if v is not None:
                out.append(f"{sym} {v:g}" if isinstance(v, float) else f"{sym} {v}")
    return ", ".join(out)


def default_text(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.get_default(call_default_factory=True, validated_data={})
        return "its defaults" if isinstance(value, BaseModel) else f"`{json.dumps(value)}`"
    return f"`{json.dumps(field.default)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def field_table(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[str]:
    lines = ["| field | type | unit | default | constraints | meaning |", "|---|---|---|---|---|---|"]
    for name, f in model.model_fields.items():
        if name in skip:
            continue
        lines.append(
            f"| `{name}` | {_cell(type_text(f.annotation))} | {unit_of(name, f)} | {default_text(f)} | "
            f"{constraints(f)} | {_cell(f.description or '')} |"
        )
    return lines


def action_types() -> list[type[BaseModel]]:
    """The action classes of the discriminated union `schema.Action`, in schema order."""
    union = get_args(S.Action)[0]
    return list(get_args(union))


def type_name(cls: type[BaseModel]) -> str:
    return get_args(cls.model_fields["type"].annotation)[0]


def _auto_value(name: str, f: FieldInfo) -> Any:
    """A value for a required field: EXAMPLE_VALUES, else one satisfying its bounds."""
    if name in EXAMPLE_VALUES:
        return EXAMPLE_VALUES[name]
    lo = hi = None
    for m in f.metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    value = 1.0 if lo is None else max(float(lo), 1.0)
    if hi is not None:
        value = min(value, float(hi))
    return int(value) if f.annotation is int else value


def action_example(cls: type[BaseModel]) -> dict[str, Any]:
    """Example action: its type, every required field and the fields of TYPE_EXAMPLES."""
    kind = type_name(cls)
    extra = TYPE_EXAMPLES.get(kind, {})
    out: dict[str, Any] = {"type": kind}
    for name, f in cls.model_fields.items():
        if name == "type":
            continue
        if name in extra:
            out[name] = extra[name]
        elif f.is_required():
            out[name] = _auto_value(name, f)
    return cls.model_validate(out).model_dump(include=set(out), mode="json")


def _yaml(data: Any) -> list[str]:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip()
    return ["```yaml", *text.splitlines(), "```"]


def actions_markdown() -> str:
    """The whole reference, docs/actions.md."""
    lines = [
        "# Writing scenarios: actions and sections",
        "",
        "<!-- Generated from sim/scenario/schema.py by sim/scenario/actions_doc.py; do not edit by hand.",
        "     Refresh: python -m sim.scenario.actions_doc > docs/actions.md -->",
        "",
        "A counterfactual is a short file that extends the baseline (`mvsim new NAME --extends",
        "baseline.yaml` writes a commented one); `mvsim validate FILE` lists every problem at once,",
        "each with the file, line and field where it was written.",
        "The first line `# yaml-language-server: $schema=../docs/scenario.schema.json` gives editors",
        "(VS Code with the YAML extension, ...) completion and checking from `mvsim schema`.",
        "",
        *_yaml({"extends": "baseline.yaml", "name": "cpc_halt_6m", "events": SECTION_EXAMPLES["events"]}),
        "",
        "Units: USD bn is money (per year where the name says `_per_year`), `route unit/yr` is",
        "the physical unit of the route (Mt, bcm) per year, `0-1` a fraction, `multiplier` a",
        "factor on the current value, months are `YYYY-MM`. Every action may carry `note` and",
        "`source` (free text, shown in the events table).",
        "",
        "## Actions",
        "",
        "An action appears in `events` (at a `date`), in `hazards` (with a yearly rate) and in",
        "decision menus (`decisions.menus.<actor>`). Types: "
        + ", ".join(f"[`{type_name(c)}`](#{type_name(c)})" for c in action_types())
        + ".",
        "",
    ]
    for cls in action_types():
        kind = type_name(cls)
        doc = _cell(inspect.cleandoc(cls.__doc__ or ""))
        summary = ACTION_SUMMARY.get(kind) or doc or f"The `{kind}` action."
        lines += [f"### {kind}", "", summary, ""]
        lines += field_table(cls, skip=("type", "note", "source"))
        event = [{"date": "2024-07", "action": action_example(cls)}]
        lines += ["", "Example (an event):", "", *_yaml(event), ""]
    lines += ["## Sections", ""]
    for title, model, key in SECTIONS:
        lines += [f"### {title}", "", _cell(inspect.cleandoc(model.__doc__ or "")), ""]
        lines += field_table(model)
        example = SECTION_EXAMPLES.get(key)
        if example is not None:
            data = example if key in ("menus",) else {key: example}
            lines += ["", "Example:", "", *_yaml(data)]
        lines.append("")
    lines += [
        "### parameters",
        "",
        "Overrides of the model parameters (`sim/params.py`: every parameter with its unit and",
        "source), e.g. `parameters: {trade_elasticity: 4.0}`; see `mvsim schema` for the list.",
        "",
    ]
    return "\n".join(lines)


def examples_from_markdown(text: str) -> list[dict[str, Any]]:
    """The example events of the Actions part of docs/actions.md (for the tests)."""
    part = text.split("## Actions", 1)[1].split("## Sections", 1)[0]
    out: list[dict[str, Any]] = []
    for block in part.split("```yaml")[1:]:
        out.extend(yaml.safe_load(block.split("```", 1)[0]))
    return out


if __name__ == "__main__":
    print(actions_markdown(), end="")

"""The core's action types mirror the file schema: same type tags and field names, a handler
for each, and descriptions equal to the schema dump the tables recorded before (sim/core/actions.py)."""

from __future__ import annotations

import json
import typing
from dataclasses import fields
from pathlib import Path

import pytest

from sim.api import load
from sim.core import actions as A
from sim.core.apply import APPLY
from sim.scenario import schema as S
from sim.scenario.compile import compile_action

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_TYPES = typing.get_args(typing.get_args(S.Action)[0])


@pytest.mark.parametrize("cls", SCHEMA_TYPES, ids=lambda c: c.__name__)
def test_every_schema_action_has_a_core_type_with_the_same_fields_and_a_handler(cls):
    tag = typing.get_args(cls.model_fields["type"].annotation)[0]
    core = A.ACTION_TYPES[tag]
    assert {f.name for f in fields(core)} | {"type"} == set(cls.model_fields)
    assert core in APPLY


def test_no_core_type_without_a_schema_type():
    tags = {typing.get_args(c.model_fields["type"].annotation)[0] for c in SCHEMA_TYPES}
    assert set(A.ACTION_TYPES) == tags


def _all_actions(spec):
    stack = [e.action for e in spec.events] + [h.action for h in spec.hazards]
    stack += [m.action for items in spec.decisions.menus.values() for m in items]
    while stack:
        a = stack.pop()
        yield a
        if a.type == "demand":
            stack += [*a.on_concede, *a.on_refuse, *a.counter]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_describe_equals_the_schema_dump_and_actions_hash(path):
    loaded, _ = load(path)
    for a in _all_actions(loaded.spec):
        core = compile_action(a)
        expected = json.dumps(a.model_dump(exclude={"note", "source"}, exclude_none=True), sort_keys=True)
        assert core.describe() == expected
        assert hash(core) == hash(compile_action(a)) and core == compile_action(a)


def test_nested_demand_actions_keep_their_notes_and_defaults():
    demand = S.DemandAction.model_validate(
        {
            "type": "demand",
            "sender": "Russia",
            "target": "Kazakhstan",
            "issue": "gas_union",
            "note": "top-level notes are left out",
            "on_refuse": [{"type": "route_disruption", "route": "CPC", "note": "nested notes stay"}],
        }
    )
    core = compile_action(demand)
    assert isinstance(core.on_refuse, tuple) and isinstance(core.on_refuse[0], A.RouteDisruptionAction)
    text = json.loads(core.describe())
    assert "note" not in text and text["on_refuse"][0]["note"] == "nested notes stay"
    assert text["on_refuse"][0]["duration_months"] == 1 and text["deadline_months"] == 3

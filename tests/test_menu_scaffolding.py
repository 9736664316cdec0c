"""No silent scaffolding in the decision menus (issue 19).

A menu item has no cooldown and no availability window unless it states why (a fact, a legal or
physical lag) and where that comes from; the schema refuses one without; and no shipped menu item
exists only in the back-test (it decides from the baseline's menus).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sim.scenario import schema as S
from sim.scenario.loader import load_scenario

SCEN = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = sorted(p.name for p in SCEN.glob("*.yaml"))
ACTION = {"type": "enforcement", "actor": "Kazakhstan", "level": 0.8}


def test_a_menu_item_has_no_cooldown_or_window_by_default():
    item = S.MenuItem(name="x", action=ACTION)
    assert item.cooldown_months == 0
    assert item.available_from is None and item.available_until is None


@pytest.mark.parametrize(
    "extra", [{"cooldown_months": 6}, {"available_from": "2022-10"}, {"available_until": "2024-12"}]
)
def test_a_cooldown_or_window_without_a_reason_is_refused(extra):
    with pytest.raises(ValidationError, match="needs a 'reason'"):
        S.MenuItem(name="x", action=ACTION, **extra)
    with pytest.raises(ValidationError, match="needs a 'reason'"):
        S.MenuItem(name="x", action=ACTION, reason="because", **extra)  # no source
    S.MenuItem(name="x", action=ACTION, reason="legal lag", source="assumption: test", **extra)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_cooldown_and_window_has_a_reason_and_source(name):
    spec = load_scenario(SCEN / name).spec
    for actor, items in spec.decisions.menus.items():
        for m in items:
            if m.cooldown_months or m.available_from or m.available_until:
                assert m.reason and m.source, f"{name}: {actor}: {m.name}"


def test_no_menu_item_exists_only_in_the_back_test():
    base = load_scenario(SCEN / "baseline.yaml").spec.decisions.menus
    back = load_scenario(SCEN / "backtest_2022.yaml").spec.decisions.menus
    for actor, items in back.items():
        base_items = {m.name: m for m in base.get(actor, [])}
        for m in items:
            assert m.name in base_items, f"{actor}: {m.name} only in the back-test"
            assert m == base_items[m.name], f"{actor}: {m.name} differs from the baseline's"
    assert back["Kazakhstan"] and back["Russia"]  # they decide; the others sit out (empty menus)


def test_the_gas_union_demand_has_no_window_and_russian_halts_no_clock():
    russia = {m.name: m for m in load_scenario(SCEN / "backtest_2022.yaml").spec.decisions.menus["Russia"]}
    assert russia["demand gas union"].available_from is None
    assert russia["demand gas union"].cooldown_months == 0
    assert russia["halt CPC"].cooldown_months == 0

"""Tariff orders on a route (sim.core.apply._reprice, sim.core.agents._reprice_noop).

A tariff order sets a route's tariff for its duration. Issued again by the same actor it replaces
the order in force instead of compounding (until 2026-12-06, 1.5 three times made 3.4: Russia's
noise-drawn repricings of the Northern corridor emptied it in the 2022 back-test), and while the
same order is in force the menu leaves it out (issuing it again would change no tariff now); orders
of different actors, and unattributed scripted reprices, multiply.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load
from sim.core import actions as A
from sim.core.agents import _is_noop
from sim.core.apply import apply_action
from sim.core.counterfactual import snapshot
from sim.core.policy import advance, initial_policy
from sim.core.route_economy import route_conditions


@pytest.fixture
def world(small_scenario):
    return load(small_scenario)[1]


def _tariff(world, policy, route: str = "CPC") -> float:
    return float(route_conditions(world, policy, 0)[1][world.route_index[route]])


def test_the_same_actors_order_replaces_its_order_in_force(world):
    base = _tariff(world, initial_policy(world))  # 38 USD/t
    policy = initial_policy(world)
    order = A.RouteRepriceAction(actor="Russia", route="CPC", tariff_factor=1.5, duration_months=6)
    for month in (0, 1, 2):
        apply_action(world, policy, order, month)
    assert _tariff(world, policy) == pytest.approx(1.5 * base)  # not 1.5 ** 3
    assert [d.until for d in policy.reprices] == [8]  # the last order's expiry
    apply_action(world, policy, A.RouteRepriceAction(actor="Russia", route="CPC", tariff_factor=2.0), 3)
    assert _tariff(world, policy) == pytest.approx(2.0 * base)  # a new factor replaces the old one


def test_orders_of_different_actors_and_scripted_reprices_multiply(world):
    base = _tariff(world, initial_policy(world))
    policy = initial_policy(world)
    apply_action(world, policy, A.RouteRepriceAction(actor="Russia", route="CPC", tariff_factor=1.5), 0)
    apply_action(world, policy, A.RouteRepriceAction(actor="Kazakhstan", route="CPC", tariff_factor=2.0), 0)
    apply_action(world, policy, A.RouteRepriceAction(route="CPC", tariff_factor=1.1), 0)  # market, no actor
    apply_action(world, policy, A.RouteRepriceAction(route="CPC", tariff_factor=1.1), 0)
    assert _tariff(world, policy) == pytest.approx(base * 1.5 * 2.0 * 1.1 * 1.1)
    assert _tariff(world, policy, "KCP") == pytest.approx(_tariff(world, initial_policy(world), "KCP"))


def test_the_menu_leaves_out_an_order_in_force_until_it_expires(world):
    order = A.RouteRepriceAction(actor="Russia", route="CPC", tariff_factor=1.5, duration_months=6)
    policy = initial_policy(world)
    ru = world.index["Russia"]
    assert not _is_noop(world, snapshot(world, policy, 0), order, ru)
    apply_action(world, policy, order, 0)
    assert _is_noop(world, snapshot(world, policy, 1), order, ru)  # in force: issuing it again is a no-op
    other = A.RouteRepriceAction(actor="Russia", route="CPC", tariff_factor=2.0, duration_months=6)
    assert not _is_noop(world, snapshot(world, policy, 1), other, ru)  # a different tariff is a change
    advance(policy, 6, 0.0)
    assert not policy.reprices
    assert not _is_noop(world, snapshot(world, policy, 6), order, ru)  # expired: on the menu again
    assert np.isfinite(_tariff(world, policy))

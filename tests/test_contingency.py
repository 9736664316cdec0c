"""Trigger rules (`contingencies`, sim.core.model._check_contingencies) and the outlays they book."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load, simulate
from sim.errors import ScenarioError

RULE = {
    "name": "charter tankers",
    "when": {"route": "CPC", "capacity_share_below": 0.5, "for_months": 2},
    "action": {
        "type": "route_investment",
        "actor": "Kazakhstan",
        "route": "KCP",
        "capacity_added": 10.0,
        "lag_months": 0,
        "cost_usd_bn": 0.3,
    },
    "max_times": 5,
    "reason": "assumption: test rule",
}


def _outage(date: str, months: int) -> dict:
    return {
        "date": date,
        "action": {
            "type": "route_disruption",
            "route": "CPC",
            "capacity_factor": 0.2,
            "duration_months": months,
        },
    }


def _run(scenario_writer, data, events, rules):
    data = dict(data)
    data["hazards"] = []
    data["decisions"] = {"enabled": False}
    data["events"] = events
    data["contingencies"] = rules
    _, world = load(scenario_writer(data, filename="rule.yaml"))
    return world, simulate(world, 1, record_flows=False)


def _fired(out) -> list[str]:
    return [a["month"] for a in out.actions if a["kind"] == "rule"]


def test_rule_fires_after_its_months_once_per_episode_and_re_arms(scenario_writer, small_scenario_data):
    """Outages 2022-05..08 and 2023-03..05: the rule fires in the second short month of each
    (2022-06, 2023-04), not again while the first outage lasts; the capacity arrives the next month."""
    events = [_outage("2022-05", 4), _outage("2023-03", 3)]
    world, out = _run(scenario_writer, small_scenario_data, events, [RULE])
    assert _fired(out) == ["2022-06", "2023-04"]
    kcp, kz = world.route_index["KCP"], world.index["Kazakhstan"]
    months = list(out.months)
    assert out.route_capacity[months.index("2022-06"), kcp] == pytest.approx(20.0)
    assert out.route_capacity[months.index("2022-07"), kcp] == pytest.approx(30.0)
    assert out.route_capacity[months.index("2023-05"), kcp] == pytest.approx(40.0)
    outlays = out.metrics["outlays_usd_bn"][:, kz]
    assert outlays[months.index("2022-06")] == pytest.approx(0.3)
    assert outlays.sum() == pytest.approx(0.6)  # booked in the months it fired, nowhere else


def test_a_plan_carried_out_once_does_not_fire_again(scenario_writer, small_scenario_data):
    events = [_outage("2022-05", 4), _outage("2023-03", 3)]
    world, out = _run(scenario_writer, small_scenario_data, events, [dict(RULE, max_times=1)])
    assert _fired(out) == ["2022-06"]
    assert out.route_capacity[-1, world.route_index["KCP"]] == pytest.approx(30.0)


def test_rule_waits_for_its_months_and_can_be_switched_off(scenario_writer, small_scenario_data):
    _, short = _run(scenario_writer, small_scenario_data, [_outage("2022-05", 1)], [RULE])
    assert _fired(short) == []  # one month short: below the rule's two
    off = dict(RULE, enabled=False)
    _, out = _run(scenario_writer, small_scenario_data, [_outage("2022-05", 4)], [off])
    assert _fired(out) == []


def test_the_rule_moves_the_crude_it_is_meant_to_move(scenario_writer, small_scenario_data):
    """With the rule, the extra KCP capacity carries crude that CPC cannot during the outage."""
    events = [_outage("2022-05", 6)]
    world, with_rule = _run(scenario_writer, small_scenario_data, events, [RULE])
    _, without = _run(scenario_writer, small_scenario_data, events, [])
    kcp = world.route_index["KCP"]
    assert with_rule.route_volume[6:10, kcp].sum() > without.route_volume[6:10, kcp].sum() + 1.0
    assert with_rule.shipment_lost[6:10].sum() < without.shipment_lost[6:10].sum()


def test_a_rule_on_an_unknown_route_is_refused(scenario_writer, small_scenario_data):
    bad = dict(RULE, when={"route": "Nowhere", "for_months": 2})
    data = dict(small_scenario_data, contingencies=[bad])
    with pytest.raises(ScenarioError) as err:
        load(scenario_writer(data, filename="bad_rule.yaml"))
    assert "contingencies" in str(err.value) and "Nowhere" in str(err.value)


def test_a_rule_action_takes_effect_from_the_next_month(scenario_writer, small_scenario_data):
    """Fired at the end of 2022-06 (the second short month): a lag of 2 months counts from 2022-07,
    so the capacity arrives in 2022-09; a one-month disruption is in force in 2022-07 only."""
    lagged = dict(RULE, action=dict(RULE["action"], lag_months=2))
    world, out = _run(scenario_writer, small_scenario_data, [_outage("2022-05", 4)], [lagged])
    kcp, months = world.route_index["KCP"], list(out.months)
    assert out.route_capacity[months.index("2022-08"), kcp] == pytest.approx(20.0)
    assert out.route_capacity[months.index("2022-09"), kcp] == pytest.approx(30.0)
    brief = dict(
        RULE,
        action={"type": "route_disruption", "route": "KCP", "capacity_factor": 0.5, "duration_months": 1},
    )
    _, out = _run(scenario_writer, small_scenario_data, [_outage("2022-05", 4)], [brief])
    kcp_cap = out.route_capacity[:, kcp]
    assert [months[m] for m in np.flatnonzero(kcp_cap < 20.0 - 1e-9)] == ["2022-07"]


def test_net_welfare_subtracts_outlays_at_twelve_times_the_month(scenario_writer, small_scenario_data):
    """The sweep outcome and the results layer's net welfare agree, and each equals the welfare
    terms (import cost and expected penalty subtracted) less 12 x the month's outlays."""
    from sim.core.economy import WELFARE_TERMS
    from sim.results.summary import net_welfare
    from sim.results.tables import to_tables
    from sim.sweep.outcomes import _welfare

    data = dict(small_scenario_data, hazards=[], decisions={"enabled": False})
    data["events"], data["contingencies"] = [_outage("2022-05", 4)], [RULE]
    loaded, world = load(scenario_writer(data, filename="rule.yaml"))
    out = simulate(world, 1, record_flows=False)
    kz = world.index["Kazakhstan"]
    terms = sum(
        (-1.0 if t in ("import_cost", "expected_penalty") else 1.0)
        * out.metrics[f"welfare_{t}_usd_bn"][:, kz]
        for t in WELFARE_TERMS
    )
    expected = terms - 12.0 * out.metrics["outlays_usd_bn"][:, kz]
    np.testing.assert_allclose(_welfare(out, world, kz), expected)
    tables = to_tables(out, loaded.spec)
    np.testing.assert_allclose(net_welfare(tables, "Kazakhstan").to_numpy(), expected)
    assert (terms - expected).sum() / 12.0 == pytest.approx(0.3)  # one 0.3 USD bn outlay, in one month
    assert np.count_nonzero(terms - expected) == 1

"""Known answers for the moving economy: time paths, volume and price events, contracts,
outage deferral and buyer choice (sim.core.paths, economy, routes)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load, simulate
from sim.core.economy import base_year_flows
from sim.core.paths import gdp_index_levels, interpolate_levels, month_years
from sim.core.route_economy import buyer_shares
from sim.core.routes import allocate_with_contracts, place_commitments


def quiet(data: dict) -> dict:
    """No hazards, no decisions, no scripted events: only what a test adds."""
    data["hazards"] = []
    data["events"] = []
    data["decisions"]["enabled"] = False
    return data


def run(scenario_writer, data: dict, **params):
    data.setdefault("parameters", {}).update(params)
    world = load(scenario_writer(data))[1]
    return world, simulate(world, seed=1)


# ------------------------------------------------------------------ paths
def test_gdp_index_compounds_growth_and_holds_the_last_rate():
    levels = gdp_index_levels({2022: 10.0, 2023: -5.0}, base_year=2021, last_year=2025)
    assert levels[2021] == 1.0
    assert levels[2022] == pytest.approx(1.10)
    assert levels[2023] == pytest.approx(1.10 * 0.95)
    assert levels[2025] == pytest.approx(1.10 * 0.95**3)  # -5 % held after the last given year


def test_levels_sit_at_mid_year_and_interpolate_geometrically():
    at = month_years("2022-01", 24)
    path = interpolate_levels({2022: 100.0, 2023: 121.0}, at)
    assert path[6] == pytest.approx(100.0 * 1.21 ** (1 / 24))  # July 2022 is half a month past mid-year
    assert path[0] == pytest.approx(100.0)  # before the first mid-year: held
    assert path[23] == pytest.approx(121.0)  # after the last: held


def test_importer_growth_and_prices_move_trade_values(scenario_writer, small_scenario_data):
    data = quiet(small_scenario_data)
    data["paths"] = {
        "series": [
            {"series": "real_gdp_growth", "name": "Russia", "year": 2022, "value": 10.0, "source": "test"},
            {"series": "price", "name": "electronics", "year": 2021, "value": 100.0, "source": "test"},
            {"series": "price", "name": "electronics", "year": 2022, "value": 150.0, "source": "test"},
        ]
    }
    world, out = run(scenario_writer, data)
    ru, row, cn = (world.index[a] for a in ("Russia", "RestOfWorld", "China"))
    e = world.good_index["electronics"]
    base = base_year_flows(world)
    july = out.months.index("2022-07")
    # Spending E[j, g] = E0 x real GDP index x price index; at mid-2022 both are the 2022 values
    # (up to half a month of interpolation).
    ratio = out.flows[july, row, ru, e] / base[row, ru, e]
    assert ratio == pytest.approx(1.10 * 1.5, rel=0.02)
    # An importer without a GDP path sees only the price.
    assert (
        out.flows[july, ru, cn, e] / base[ru, cn, e] == pytest.approx(1.5, rel=0.02)
        if base[ru, cn, e]
        else True
    )


def test_a_volume_path_replaces_constant_growth(scenario_writer, small_scenario_data):
    data = quiet(small_scenario_data)
    data["paths"] = {
        "series": [
            {"series": "volume", "name": "kz_oil", "year": 2022, "value": 60.0, "source": "test"},
            {"series": "volume", "name": "kz_oil", "year": 2023, "value": 75.0, "source": "test"},
        ]
    }
    world, out = run(scenario_writer, data)
    s = world.shipments.index("kz_oil")
    assert out.shipment_offered[0, s] == pytest.approx(60.0)
    assert out.shipment_offered[-1, s] == pytest.approx(75.0)
    assert np.all(np.diff(out.shipment_offered[:, s]) >= 0)


# ------------------------------------------------------------------ dated economic actions
def test_volume_and_price_events_change_volume_and_value(scenario_writer, small_scenario_data):
    data = quiet(small_scenario_data)
    data["events"] = [
        {
            "date": "2022-04",
            "action": {"type": "volume_change", "shipment": "kz_oil", "factor": 0.5, "duration_months": 2},
        },
        {"date": "2022-09", "action": {"type": "price_change", "good": "oil", "factor": 2.0}},
    ]
    world, out = run(scenario_writer, data)
    s = world.shipments.index("kz_oil")
    m = {k: out.months.index(k) for k in ("2022-03", "2022-04", "2022-05", "2022-06", "2022-08", "2022-09")}
    assert out.shipment_offered[m["2022-04"], s] == pytest.approx(0.5 * out.shipment_offered[m["2022-03"], s])
    assert out.shipment_offered[m["2022-06"], s] == pytest.approx(out.shipment_offered[m["2022-03"], s])
    kz, cn = world.index["Kazakhstan"], world.index["China"]
    oil = world.good_index["oil"]
    before, after = out.flows[m["2022-08"], kz, cn, oil], out.flows[m["2022-09"], kz, cn, oil]
    assert after == pytest.approx(2.0 * before, rel=1e-6)  # same volume, twice the value


# ------------------------------------------------------------------ contracts
def test_commitments_go_first_and_shrink_with_capacity_and_offer():
    committed = np.array([[0.0, 8.0], [0.0, 6.0]])  # two shipments commit to route 1
    firm, feasible = place_commitments(np.array([20.0, 3.0]), committed, np.array([50.0, 7.0]))
    np.testing.assert_allclose(feasible[:, 1], [4.0, 3.0])  # route 1 holds 7 of 14: half each
    np.testing.assert_allclose(firm[:, 1], [4.0, 3.0])  # shipment 2 offers exactly 3
    alloc = allocate_with_contracts(
        np.array([20.0, 3.0]),
        np.array([np.inf, np.inf]),
        np.array([[True, True], [True, True]]),
        np.array([10.0, 1000.0]),  # route 1 is far dearer: the logit alone would not use it
        np.array([50.0, 7.0]),
        0.08,
        committed,
    )
    np.testing.assert_allclose(alloc.shipped[:, 1], [4.0, 3.0])
    np.testing.assert_allclose(alloc.shipped.sum(axis=1) + alloc.lost, [20.0, 3.0])


def test_a_contract_puts_volume_on_a_dear_route_and_take_or_pay_bills_the_shortfall(
    scenario_writer, small_scenario_data
):
    data = quiet(small_scenario_data)
    data["routes"][0]["capacity_per_year"] = 80.0  # CPC takes everything the logit gives it
    data["routes"][1]["tariff_usd_per_unit"] = 400.0  # KCP far dearer: unused without a contract
    data["events"] = [
        {
            "date": "2022-02",
            "action": {
                "type": "contract",
                "actor": "Kazakhstan",
                "shipment": "kz_oil",
                "route": "KCP",
                "volume_per_year": 10.0,
                "duration_months": 6,
                "take_or_pay": 1.0,
                "buyer": "China",
            },
        },
        {
            "date": "2022-05",
            "action": {"type": "volume_change", "shipment": "kz_oil", "factor": 0.1, "duration_months": 1},
        },
    ]
    world, out = run(scenario_writer, data)
    s, kcp = world.shipments.index("kz_oil"), world.route_index["KCP"]
    jan, mar, may = (out.months.index(k) for k in ("2022-01", "2022-03", "2022-05"))
    assert out.shipment_routes[jan, s, kcp] < 1e-6
    assert out.shipment_routes[mar, s, kcp] == pytest.approx(10.0)
    assert out.shipment_contracted[mar, s] == pytest.approx(10.0)
    # In May only 7 Mt/yr is offered: all of it goes to the contract, 3 Mt/yr are paid for unshipped.
    assert out.shipment_routes[may, s, kcp] == pytest.approx(7.0)
    kz = world.index["Kazakhstan"]
    rev = out.metrics["welfare_route_revenue_usd_bn"][:, kz]
    value = 500.0
    expected_may = (7.0 * (value - 400.0) - 3.0 * 400.0) * 1e-3
    assert rev[may] == pytest.approx(expected_may, rel=1e-9)
    # The contract ends after six months: the dear route is dropped again.
    assert out.shipment_routes[out.months.index("2022-09"), s, kcp] < 1e-6


# ------------------------------------------------------------------ outage deferral
@pytest.mark.parametrize("share", [1.0, 0.0])
def test_a_route_outage_defers_volume_that_is_recovered_afterwards(
    scenario_writer, small_scenario_data, share
):
    data = quiet(small_scenario_data)
    data["routes"][0]["capacity_per_year"] = 200.0  # ample room to recover after the outage
    data["routes"][1]["capacity_per_year"] = 0.0  # nowhere to overflow to
    data["events"] = [
        {"date": "2022-03", "action": {"type": "route_disruption", "route": "CPC", "capacity_factor": 0.0}}
    ]
    world, out = run(scenario_writer, data, outage_recovery_share=share, outage_recovery_months=3.0)
    s = world.shipments.index("kz_oil")
    mar = out.months.index("2022-03")
    shut = out.shipment_lost[mar, s] / 12.0  # Mt not shipped in March
    assert shut == pytest.approx(70.0 / 12.0)
    shipped = out.shipment_routes[:, s].sum(axis=1) / 12.0
    planned = 70.0 * len(out.months) / 12.0
    if share == 1.0:
        # The backlog is offered at backlog x 12 / 3 per year: a third of it each month, so what is
        # still deferred k months later is shut x (2/3)^k; nothing is lost for good.
        later = len(out.months) - 1 - mar
        assert out.shipment_backlog[mar, s] == pytest.approx(shut)
        assert out.shipment_backlog[-1, s] == pytest.approx(shut * (2 / 3) ** later, rel=1e-6)
        assert shipped.sum() == pytest.approx(planned - shut * (2 / 3) ** later, rel=1e-9)
        assert out.shipment_lost_for_good[:, s].sum() == pytest.approx(0.0, abs=1e-9)
        assert out.shipment_routes[mar + 1, s].sum() > 70.0  # the backlog ships on top of the plan
    else:
        assert shipped.sum() == pytest.approx(planned - shut, rel=1e-6)
        assert out.shipment_lost_for_good[mar, s] == pytest.approx(70.0)


# ------------------------------------------------------------------ buyer choice
def test_buyers_follow_ces_demand(scenario_writer, small_scenario_data):
    data = quiet(small_scenario_data)
    data["routes"][0]["buyers"] = {"RestOfWorld": 0.5, "China": 0.5}
    world = load(scenario_writer(data))[1]
    cpc, kz, oil = world.route_index["CPC"], world.index["Kazakhstan"], world.good_index["oil"]
    cn, row = world.index["China"], world.index["RestOfWorld"]
    tau = np.ones(world.shape)
    price = np.ones((world.n, len(world.goods)))
    factor = np.ones_like(price)
    assert buyer_shares(world, tau, price, factor, kz, oil)[cpc, cn] == pytest.approx(0.5)
    # China's import price index up 10 %: its pull rises by 1.1^eps.
    price[cn, oil] = 1.1
    eps = world.params.trade_elasticity
    w = 1.1**eps
    assert buyer_shares(world, tau, price, factor, kz, oil)[cpc, cn] == pytest.approx(w / (1 + w))
    # China bans the shipper's oil: the rest of the world takes it all.
    tau[kz, cn, oil] = np.inf
    shares = buyer_shares(world, tau, price, factor, kz, oil)
    assert shares[cpc, cn] == 0.0 and shares[cpc, row] == pytest.approx(1.0)


# ------------------------------------------------------------------ the baseline
def _baseline_history(path: str = "scenarios/baseline.yaml"):
    """The baseline with hazards and decisions off: the scripted history and the time paths only."""
    from sim.scenario.compile import build_world

    loaded, _ = load(path)
    spec = loaded.spec.model_copy(
        update={"hazards": [], "decisions": loaded.spec.decisions.model_copy(update={"enabled": False})}
    )
    world = build_world(spec, loaded.baseline_flows)
    return world, simulate(world, seed=1)


def _year(out, year: str) -> np.ndarray:
    return np.char.startswith(np.array(out.months), year)


def test_baseline_turnover_with_china_and_turkey_grows_at_the_rates_the_inputs_imply():
    world, out = _baseline_history()
    kz = world.index["Kazakhstan"]
    for partner in ("China", "Turkey"):
        p = world.index[partner]

        def turnover(flows: np.ndarray, kz: int = kz, p: int = p) -> float:
            return float(flows[..., kz, p, :].sum(axis=-1).mean() + flows[..., p, kz, :].sum(axis=-1).mean())

        model = turnover(out.flows[_year(out, "2025")]) / turnover(out.flows[_year(out, "2022")])
        # What the paths alone imply for the same cells: the spending factor of each importer and
        # good, averaged over the year's months, applied to the 2022 flows.
        f22 = world.paths.spend[_year(out, "2022")].mean(axis=0)
        f25 = world.paths.spend[_year(out, "2025")].mean(axis=0)
        flows22 = out.flows[_year(out, "2022")].mean(axis=0)
        implied = (
            (flows22[kz, p] * f25[p] / f22[p]).sum() + (flows22[p, kz] * f25[kz] / f22[kz]).sum()
        ) / turnover(flows22)
        assert model > 1.05, partner  # trade grows: it is no longer frozen at 2021
        assert abs(model - implied) < 0.05, (partner, model, implied)


def test_baseline_ships_contracted_oil_to_the_bypass_route_without_an_outage():
    # The 2023 BTC deliveries and tankers are known history (the end-2022 baseline has the contract
    # as announced but not the tankers): scenarios/history_2023_24.yaml, deliveries 2023-04..12.
    world, out = _baseline_history("scenarios/history_2023_24.yaml")
    s, tc = world.shipments.index("Kazakh crude"), world.route_index["Trans-Caspian oil"]
    cpc = world.route_index["CPC"]
    months_2023 = [m for m in np.flatnonzero(_year(out, "2023")) if out.months[m] >= "2023-04"]
    calm = [m for m in months_2023 if out.route_capacity[m, cpc] >= 0.999 * out.route_capacity[0, cpc]]
    assert calm, "expected months without a CPC outage in 2023"
    # The 2023 BTC contract (1.5 Mt/yr) puts oil on the trans-Caspian route in calm months: by
    # contract, not as overflow (in calm 2022 months the route carries far less).
    assert np.all(out.shipment_contracted[calm, s] >= 1.5 - 1e-9)
    assert np.all(out.shipment_routes[calm, s, tc] >= 1.5 - 1e-9)
    assert out.shipment_routes[1, s, tc] < 0.5  # February 2022: no contract, no outage

"""Known answers for the sanctions accounting: intermediated supply inside the CES nest, both legs
of a re-export checked, diversion on the coalition's export controls only, EBRD leakage."""

from __future__ import annotations

import numpy as np
import pytest

from sim.api import load, simulate
from sim.core import trade
from sim.core.sanctions import (
    DiversionParams,
    Measure,
    cost_factors,
    displace_direct,
    export_controls,
    leakage_shares,
    reexport_diversion,
)

# actors: 0 West (sender), 1 Russia (target), 2 Kazakhstan, 3 Armenia (intermediaries); one good
N, G = 4, 1
PARAMS = DiversionParams(
    base_utility=-2.0,
    premium_sensitivity=2.0,
    enforcement_sensitivity=4.0,
    penalty_sensitivity=2.0,
    customs_union_bonus=1.0,
    size_elasticity=1.0,
    markup=0.15,
)


def base_flows() -> np.ndarray:
    """Russia imports 20 of the good: 10 from the West, 6 from Kazakhstan, 4 from Armenia (USD bn/yr)."""
    x = np.zeros((N, N, G))
    x[0, 1, 0], x[2, 1, 0], x[3, 1, 0] = 10.0, 6.0, 4.0
    x[0, 2, 0], x[0, 3, 0] = 5.0, 5.0  # the West also sells to the intermediaries
    return x


def ban(senders: tuple[int, ...], target: int, direction: str = "exports") -> Measure:
    return Measure("m", senders, target, (0,), direction, True, 0.0)


def divert(x: np.ndarray, tau: np.ndarray, controls: np.ndarray):
    direct, price = trade.gravity_equilibrium(x, tau, 4.0)
    blocked = np.where(tau > 1.0, np.maximum(x - direct, 0.0), 0.0)
    div = reexport_diversion(
        np.where(controls, blocked, 0.0),
        np.where(np.isfinite(price), price - 1.0, 1.0),
        controls,
        np.zeros(N),
        np.zeros((N, G)),
        np.zeros((N, N), dtype=bool),
        np.ones(N, dtype=bool),
        x.sum(axis=0),
        PARAMS,
        leg_cost=tau,
    )
    return direct, div


def test_a_ban_with_diversion_leaves_the_importers_spending_unchanged():
    x = base_flows()
    measures = [ban((0,), 1)]
    tau = cost_factors(measures, x.shape)
    direct, div = divert(x, tau, export_controls(measures, x.shape))
    assert div.diverted.sum() > 0.1  # something is re-exported
    new_direct, div = displace_direct(direct, div, PARAMS.markup)
    intermediated = (1.0 + PARAMS.markup) * div.diverted.sum()
    # Russia's spending on the good: direct imports + intermediated supply = the 20 it spent before.
    assert new_direct[:, 1, 0].sum() + intermediated == pytest.approx(20.0, abs=1e-12)
    # The displaced suppliers lose pro rata: Kazakhstan and Armenia keep their 6:4 ratio.
    assert new_direct[2, 1, 0] / new_direct[3, 1, 0] == pytest.approx(1.5)
    # Flows into other markets are untouched.
    np.testing.assert_array_equal(new_direct[:, 2:, :], direct[:, 2:, :])


def test_a_banned_sender_to_intermediary_leg_carries_nothing():
    x = base_flows()
    measures = [ban((0,), 1), ban((0,), 3)]  # the West bans exports to Russia and to Armenia
    tau = cost_factors(measures, x.shape)
    _, div = divert(x, tau, export_controls(measures, x.shape))
    by_int = div.diverted.sum(axis=0)
    assert by_int[3] == 0.0  # Armenia cannot receive the good from the West: no re-export leg
    assert by_int[2] > 0.0  # Kazakhstan still can


def test_an_import_ban_causes_no_diversion():
    x = base_flows()
    x[1, 0, 0] = 8.0  # Russia exports 8 to the West
    measures = [ban((0,), 1, direction="imports")]  # the West bans imports from Russia
    tau = cost_factors(measures, x.shape)
    controls = export_controls(measures, x.shape)
    assert not controls.any()  # an import ban is not an export control
    direct, div = divert(x, tau, controls)
    assert direct[1, 0, 0] == 0.0  # the import ban bites
    assert div.diverted.sum() == 0.0  # but nothing is routed via intermediaries


def test_leakage_by_the_ebrd_formula_on_a_hand_worked_case():
    # Export controls cut direct exports by 20 USD bn/yr; an import ban cuts another 30 (not
    # intermediable); intermediaries re-export 1.0 at the sender's prices, sold on at a 15 % markup.
    ebrd, all_blocked = leakage_shares(diverted=1.0, controlled=20.0, blocked=50.0, markup=0.15)
    assert ebrd == pytest.approx(1.15 / 20.0)  # intermediated exports / fall in controlled exports
    assert all_blocked == pytest.approx(1.0 / 50.0)  # the former definition, renamed
    assert np.isnan(leakage_shares(0.0, 0.0, 0.0, 0.15)[0])


def test_the_run_reports_leakage_on_controlled_cells_only(scenario_writer, small_scenario_data):
    data = small_scenario_data
    data["hazards"] = []
    data["decisions"]["enabled"] = False
    # An import ban by the coalition on Russian oil adds blocked trade but no intermediable trade.
    data["events"].append(
        {
            "date": "2022-03",
            "action": {
                "type": "sanction",
                "sender": "Coalition",
                "target": "Russia",
                "goods": ["oil"],
                "direction": "imports",
            },
        }
    )
    rows = [
        ["RestOfWorld", "Russia", "electronics", 10.0, "test"],
        ["RestOfWorld", "Kazakhstan", "electronics", 4.0, "test"],
        ["China", "Russia", "electronics", 5.0, "test"],
        ["Russia", "RestOfWorld", "oil", 30.0, "test"],
        ["Kazakhstan", "China", "oil", 5.0, "test"],
        ["China", "Kazakhstan", "electronics", 2.0, "test"],
    ]
    world = load(scenario_writer(data, trade_rows=rows))[1]
    out = simulate(world, seed=1)
    m = out.months.index("2022-12")
    assert out.leakage_share[m] > out.leakage_share_all_blocked[m] > 0.0

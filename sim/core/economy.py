"""One month of the economy: sanctions -> gravity -> re-exports -> routes -> welfare.

Pure functions of (world, policy, month). `evaluate` computes the full monthly
outcome the model records; `Counterfactual` re-evaluates only what an action
touches (the importer columns whose trade costs change, the route component
whose capacity or tariff changes), so a decision costs O(N * G) rather than
O(N^2 * G) per candidate.

Money: USD bn per year. Volumes: route unit per year. VALUE_SCALE converts
volume (Mt or bcm) x price (USD per t or per 1000 m3) to USD bn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core import trade
from sim.core.policy import Policy
from sim.core.routes import Allocation, allocate
from sim.core.sanctions import (
    Diversion,
    DiversionParams,
    apply_diversion,
    cost_factors,
    detection_chance,
    expected_penalty,
    reexport_diversion,
)
from sim.core.world import World

VALUE_SCALE = 1e-3
"""USD bn per (volume unit x USD per unit price): 1e6 t per Mt (1e6 1000-m3 per bcm) / 1e9."""

WELFARE_TERMS = (
    "exports",
    "route_revenue",
    "transit_fees",
    "reexport_margin",
    "import_cost",
    "transfers",
    "expected_penalty",
)
"""Components of economic welfare per actor, USD bn/yr (import_cost and expected_penalty subtract)."""


def diversion_params(world: World) -> DiversionParams:
    p = world.params
    return DiversionParams(
        base_utility=p.reexport_base_utility,
        premium_sensitivity=p.reexport_premium_sensitivity,
        enforcement_sensitivity=p.reexport_enforcement_sensitivity,
        penalty_sensitivity=p.reexport_penalty_sensitivity,
        customs_union_bonus=p.reexport_customs_union_bonus,
        size_elasticity=p.reexport_size_elasticity,
        markup=p.reexport_markup,
    )


@dataclass
class RouteState:
    """Route conditions and allocation for a month."""

    capacity: np.ndarray  # (R,) unit/yr after disruptions and investment
    tariff: np.ndarray  # (R,) USD/unit after repricing
    offered: np.ndarray  # (S,) unit/yr
    allocation: Allocation


@dataclass
class Outcome:
    """Everything the month's economy produced."""

    tau: np.ndarray  # (N, N, G) cost factors
    equilibrium: np.ndarray  # (N, N, G) gravity target flows
    direct: np.ndarray  # (N, N, G) direct flows after partial adjustment
    price: np.ndarray  # (N, G) import price-index change vs baseline
    blocked: np.ndarray  # (N, N, G) fall in direct flows at sanctioned cells
    diversion: Diversion
    routes: RouteState
    flows: np.ndarray  # (N, N, G) recorded: direct + re-export legs + route-carried
    welfare: dict[str, np.ndarray]  # WELFARE_TERMS -> (N,)


def route_conditions(world: World, policy: Policy, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(capacity, tariff, offered) for the month: disruptions take the minimum factor."""
    factor = np.ones(len(world.routes))
    for d in policy.disruptions:
        factor[d.route] = min(factor[d.route], d.factor)
    capacity = (world.route_capacity0 + policy.capacity_added) * factor
    tariff = world.route_tariff0.copy()
    for r in policy.reprices:
        tariff[r.route] *= r.factor
    offered = world.ship_volume0 * (1.0 + world.ship_growth) ** (month / 12.0)
    return capacity, tariff, offered


def route_state(world: World, policy: Policy, month: int) -> RouteState:
    capacity, tariff, offered = route_conditions(world, policy, month)
    alloc = allocate(
        offered,
        world.ship_value,
        world.ship_allowed,
        tariff + world.route_risk0,
        capacity,
        world.params.route_logit_scale,
    )
    return RouteState(capacity, tariff, offered, alloc)


def blocked_flows(world: World, direct: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Fall in direct flows at sanctioned cells, B[s, t, g] in USD bn/yr."""
    return np.where(tau > 1.0, np.maximum(world.gravity_flows - direct, 0.0), 0.0)


def diversion_for(
    world: World,
    policy: Policy,
    direct: np.ndarray,
    tau: np.ndarray,
    price: np.ndarray,
    blocked: np.ndarray | None = None,
    sanctioned: np.ndarray | None = None,
    cells: np.ndarray | None = None,
) -> Diversion:
    """Re-exports for the month's blocked flows (pass `blocked`/`sanctioned` to reuse computed arrays)."""
    if sanctioned is None:
        sanctioned = tau > 1.0
    if blocked is None:
        blocked = blocked_flows(world, direct, tau)
    premium = np.where(np.isfinite(price), price - 1.0, 1.0)
    penalty = expected_penalty(policy.secondary, world.n, len(world.goods))
    return reexport_diversion(
        blocked,
        premium,
        sanctioned,
        policy.enforcement,
        penalty,
        world.customs_union,
        world.is_state,
        world.extra["spend"],
        diversion_params(world),
        cells,
    )


def buyer_shares(world: World, tau: np.ndarray, shipper: int, good: int) -> np.ndarray:
    """Route buyer shares (R, N) for one shipper's good under sanctions.

    A buyer that bans imports of the good from the shipper (cost factor inf) takes
    nothing; its share is sold on the world market (the Rest of World actor). Ad
    valorem wedges do not change the split (limitation: no price discount).
    """
    banned = np.isinf(tau[shipper, :, good])
    if not banned.any():
        return world.route_buyers
    shares = world.route_buyers.copy()
    moved = shares[:, banned].sum(axis=1)
    shares[:, banned] = 0.0
    shares[:, world.extra["rest_of_world"]] += moved
    return shares


def route_carried_flows(world: World, rs: RouteState, tau: np.ndarray) -> np.ndarray:
    """Value of route-carried shipments by [shipper, buyer, good], USD bn/yr (split by route buyers)."""
    out = np.zeros(world.shape)
    value = world.extra["ship_value_finite"]
    for s in np.flatnonzero(world.ship_good >= 0):
        i, g = world.ship_shipper[s], world.ship_good[s]
        v = rs.allocation.shipped[s] * value[s] * VALUE_SCALE  # (R,)
        out[i, :, g] += v @ buyer_shares(world, tau, i, g)
    return out


def welfare(
    world: World,
    policy: Policy,
    direct: np.ndarray,
    price: np.ndarray,
    div: Diversion,
    rs: RouteState,
) -> dict[str, np.ndarray]:
    """Economic welfare components per actor, USD bn/yr (see WELFARE_TERMS)."""
    n = world.n
    value = np.where(np.isfinite(world.ship_value), world.ship_value, 0.0)
    shipped = rs.allocation.shipped
    netback = shipped * (value[:, None] - rs.tariff[None, :]) * VALUE_SCALE
    route_rev = np.bincount(world.ship_shipper, weights=netback.sum(axis=1), minlength=n)
    fees_r = shipped.sum(axis=0) * rs.tariff * world.route_fee_share * VALUE_SCALE
    n_transit = np.maximum(world.route_transit.sum(axis=1), 1)
    transit = (world.route_transit * (fees_r / n_transit)[:, None]).sum(axis=0)
    by_int = div.by_intermediary(len(world.goods))
    margin = world.params.reexport_markup * by_int.sum(axis=1)
    transfers = np.zeros(n)
    for t in policy.transfers:
        transfers[t.target] += t.amount
        transfers[t.sender] -= t.amount
    exp_pen = 12.0 * expected_penalty_flow(world, policy.secondary, by_int)
    spend = trade.expenditure(world.gravity_flows)
    return {
        "exports": direct.sum(axis=(1, 2)),
        "route_revenue": route_rev,
        "transit_fees": transit,
        "reexport_margin": margin,
        "import_cost": trade.import_cost_change(spend, price),
        "transfers": transfers,
        "expected_penalty": exp_pen,
    }


def expected_penalty_flow(world: World, secondary: list, by_int: np.ndarray) -> np.ndarray:
    """Expected secondary-sanction penalty per actor, USD bn per month.

    Sum over measures on the actor of detection_chance(p, re-exports of the covered goods) x penalty.
    """
    out = np.zeros(world.n)
    for m in secondary:
        d = by_int[m.target, list(m.goods)].sum()
        out[m.target] += detection_chance(m.detection_probability, d, world.params.detection_scale_usd_bn) * (
            m.penalty_usd_bn
        )
    return out


def decision_welfare(world: World, w: dict, i: int | None = None):
    """Welfare a decision weighs, USD bn/yr, from WELFARE_TERMS components.

    Elites weight re-export margins by 1 + elite_margin_weight x elite interest, and expected
    penalties count 2 x (1 - risk tolerance) (risk-neutral at 0.5). `w` holds per-actor arrays
    (i None: all actors) or one actor's floats (i its index).
    """
    sel = slice(None) if i is None else i
    elite = 1.0 + world.params.elite_margin_weight * world.elite_interest[sel]
    risk = 2.0 * (1.0 - world.risk_tolerance[sel])
    return (
        w["exports"]
        + w["route_revenue"]
        + w["transit_fees"]
        + elite * w["reexport_margin"]
        - w["import_cost"]
        + w["transfers"]
        - risk * w["expected_penalty"]
    )


def evaluate(world: World, policy: Policy, month: int, previous_direct: np.ndarray | None) -> Outcome:
    """The month's full outcome. previous_direct None means jump to equilibrium."""
    tau = cost_factors(list(policy.measures.values()), world.shape)
    eq, price = trade.gravity_equilibrium(world.gravity_flows, tau, world.params.trade_elasticity)
    if previous_direct is None:
        direct = eq
    else:
        direct = trade.partial_adjustment(previous_direct, eq, world.params.trade_adjustment_per_month)
    blocked = blocked_flows(world, direct, tau)
    div = diversion_for(world, policy, direct, tau, price, blocked)
    rs = route_state(world, policy, month)
    flows = apply_diversion(direct, div, world.params.reexport_markup) + route_carried_flows(world, rs, tau)
    return Outcome(
        tau=tau,
        equilibrium=eq,
        direct=direct,
        price=price,
        blocked=blocked,
        diversion=div,
        routes=rs,
        flows=flows,
        welfare=welfare(world, policy, direct, price, div, rs),
    )


def dependence(world: World, flows: np.ndarray, rs: RouteState) -> np.ndarray:
    """Dependence of each actor on each pole, shares over poles (N, P).

    Value of trade (exports + imports, USD bn/yr) with the pole's actors plus the
    value of the actor's route-carried exports controlled by the pole (transit,
    else destination). Rows without any pole exposure are zero.
    """
    members = world.pole_members().astype(float)  # (N, P)
    bilateral = flows.sum(axis=2)
    trade_v = (bilateral + bilateral.T) @ members
    value = np.where(np.isfinite(world.ship_value), world.ship_value, 0.0)
    ship_v = rs.allocation.shipped * value[:, None] * VALUE_SCALE  # (S, R)
    route_v = np.zeros_like(trade_v)
    np.add.at(route_v, world.ship_shipper, ship_v @ world.route_control)
    v = trade_v + route_v
    total = v.sum(axis=1, keepdims=True)
    return np.where(total > 0, v / np.where(total > 0, total, 1.0), 0.0)


def income_by_pole(world: World, policy: Policy, out: Outcome) -> np.ndarray:
    """Income of each actor attributable to each pole, USD bn/yr (N, P).

    Exports to the pole's actors (incl. route-carried) + transfers from them -
    realised secondary penalties from them - export revenue lost on routes the
    pole controls (attributed by each route's capacity shortfall).
    """
    members = world.pole_members().astype(float)
    inc = out.flows.sum(axis=2) @ members
    for t in policy.transfers:
        q = world.pole_of[t.sender]
        if q >= 0:
            inc[t.target, q] += t.amount
    value = np.where(np.isfinite(world.ship_value), world.ship_value, 0.0)
    lost_v = out.routes.allocation.lost * value * VALUE_SCALE  # (S,)
    shortfall = np.maximum(world.route_capacity0 + policy.capacity_added - out.routes.capacity, 0.0)
    w = world.ship_allowed * shortfall[None, :]
    wsum = w.sum(axis=1, keepdims=True)
    share = np.where(wsum > 0, w / np.where(wsum > 0, wsum, 1.0), 0.0)  # (S, R)
    np.subtract.at(inc, world.ship_shipper, (lost_v[:, None] * share) @ world.route_control)
    return inc

"""Cheap counterfactuals for decisions: what would this action change, for whom.

A decision compares the status quo with each candidate action at the gravity
equilibrium (the lasting effect, not the first month of adjustment). Only the
pieces an action touches are recomputed: the importer columns whose trade
costs change, the re-export logit when costs, enforcement or secondary
sanctions change, and the connected component of the route network when a
route's capacity or tariff changes. Welfare and dependence are then computed
only for the actors the decision needs (the decider and its targets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core import trade
from sim.core.economy import (
    VALUE_SCALE,
    RouteState,
    blocked_flows,
    buyer_shares,
    diversion_for,
    route_conditions,
    route_state,
)
from sim.core.policy import Policy, apply_action
from sim.core.routes import Allocation, allocate
from sim.core.sanctions import Diversion, cost_factors, detection_chance
from sim.core.world import World
from sim.scenario import schema as S


@dataclass
class Snapshot:
    """An equilibrium economy for one policy state (no partial adjustment)."""

    policy: Policy
    tau: np.ndarray
    direct: np.ndarray
    price: np.ndarray
    diversion: Diversion
    routes: RouteState
    blocked: np.ndarray  # (N, N, G) USD bn/yr
    sanctioned: np.ndarray  # (N, N, G) bool


def snapshot(world: World, policy: Policy, month: int) -> Snapshot:
    """Full equilibrium evaluation of a policy state (used once per decision round)."""
    tau = cost_factors(list(policy.measures.values()), world.shape)
    direct, price = trade.gravity_equilibrium(world.gravity_flows, tau, world.params.trade_elasticity)
    blocked, sanctioned = blocked_flows(world, direct, tau), tau > 1.0
    div = diversion_for(world, policy, direct, tau, price, blocked, sanctioned)
    return Snapshot(policy, tau, direct, price, div, route_state(world, policy, month), blocked, sanctioned)


def _changed_columns(world: World, action: S.Action, policy: Policy) -> np.ndarray:
    """Importer columns whose trade costs a sanction action changes."""
    if isinstance(action, S.SanctionAction):
        cols = set()
        senders = world.members(action.sender)
        if action.direction in ("exports", "both"):
            cols.add(world.index[action.target])
        if action.direction in ("imports", "both"):
            cols.update(senders)
        return np.array(sorted(cols), dtype=np.intp)
    if isinstance(action, S.LiftSanctionAction) and action.label in policy.measures:
        m = policy.measures[action.label]
        cols = {m.target} if m.direction in ("exports", "both") else set()
        if m.direction in ("imports", "both"):
            cols.update(m.senders)
        return np.array(sorted(cols), dtype=np.intp)
    return np.zeros(0, dtype=np.intp)


def counterfactual(world: World, sq: Snapshot, action: S.Action, month: int) -> Snapshot:
    """The equilibrium economy if `action` were taken now, recomputing only what it touches."""
    policy = sq.policy.copy()
    apply_action(world, policy, action, month)
    cols = _changed_columns(world, action, sq.policy)
    tau, direct, price, blocked, sanctioned = sq.tau, sq.direct, sq.price, sq.blocked, sq.sanctioned
    if cols.size:
        tau = cost_factors(list(policy.measures.values()), world.shape)
        direct, price = trade.gravity_equilibrium(
            world.gravity_flows, tau, world.params.trade_elasticity, cols
        )
        direct[:, ~np.isin(np.arange(world.n), cols), :] = sq.direct[:, ~np.isin(np.arange(world.n), cols), :]
        keep = np.ones(world.n, dtype=bool)
        keep[cols] = False
        price[keep] = sq.price[keep]
        blocked, sanctioned = blocked_flows(world, direct, tau), tau > 1.0
    touches_div = cols.size or isinstance(action, S.EnforcementAction | S.SecondarySanctionAction)
    cells = sq.diversion.cells if not cols.size else None  # same blocked cells unless costs changed
    div = (
        diversion_for(world, policy, direct, tau, price, blocked, sanctioned, cells)
        if touches_div
        else sq.diversion
    )
    routes = sq.routes
    if isinstance(action, S.RouteDisruptionAction | S.RouteRepriceAction | S.RouteInvestmentAction):
        routes = _reroute(world, policy, sq.routes, world.route_index[action.route], month, action)
    return Snapshot(policy, tau, direct, price, div, routes, blocked, sanctioned)


def _reroute(
    world: World, policy: Policy, base: RouteState, route: int, month: int, action: S.Action
) -> RouteState:
    """Re-allocate only the route-network component containing `route`.

    An investment is evaluated as if its capacity had arrived (its payoff is
    counted only after the lag by the decision horizon).
    """
    capacity, tariff, offered = route_conditions(world, policy, month)
    if isinstance(action, S.RouteInvestmentAction):
        capacity = capacity.copy()
        capacity[route] += action.capacity_added
    ships, rts = world.extra["route_components"][route]
    sub = allocate(
        offered[ships],
        world.ship_value[ships],
        world.ship_allowed[np.ix_(ships, rts)],
        (tariff + world.route_risk0)[rts],
        capacity[rts],
        world.params.route_logit_scale,
    )
    shipped = base.allocation.shipped.copy()
    lost = base.allocation.lost.copy()
    shipped[np.ix_(ships, rts)] = sub.shipped
    lost[ships] = sub.lost
    return RouteState(capacity, tariff, offered, Allocation(shipped, lost))


def actor_welfare(world: World, snap: Snapshot, i: int) -> dict[str, float]:
    """Welfare components of one actor, USD bn/yr (same terms as economy.welfare)."""
    rs = snap.routes
    value = world.extra["ship_value_finite"]
    ships = world.extra["ships_of"][i]
    shipped = rs.allocation.shipped
    route_rev = float((shipped[ships] * (value[ships, None] - rs.tariff[None, :])).sum() * VALUE_SCALE)
    transit = 0.0
    for r in world.extra["transit_routes_of"][i]:
        fee = shipped[:, r].sum() * rs.tariff[r] * world.route_fee_share[r] * VALUE_SCALE
        transit += fee / max(1, int(world.route_transit[r].sum()))
    div = snap.diversion
    n_goods = len(world.goods)
    by_good = (
        np.bincount(div.cells[:, 2], weights=div.diverted[:, i], minlength=n_goods)
        if len(div.cells)
        else np.zeros(n_goods)
    )
    p = world.params
    margin = p.reexport_markup * by_good.sum()
    transfers = sum(t.amount for t in snap.policy.transfers if t.target == i) - sum(
        t.amount for t in snap.policy.transfers if t.sender == i
    )
    rise = np.where(np.isfinite(snap.price[i]), snap.price[i] - 1.0, 1.0)
    return {
        "exports": float(snap.direct[i].sum()),
        "route_revenue": route_rev,
        "transit_fees": float(transit),
        "reexport_margin": float(margin),
        "import_cost": float((world.extra["spend"][i] * np.minimum(rise, 1.0)).sum()),
        "transfers": float(transfers),
        "expected_penalty": float(
            12.0
            * sum(
                detection_chance(
                    m.detection_probability, by_good[list(m.goods)].sum(), p.detection_scale_usd_bn
                )
                * m.penalty_usd_bn
                for m in snap.policy.secondary
                if m.target == i
            )
        ),
    }


def actor_dependence(world: World, snap: Snapshot, i: int) -> np.ndarray:
    """Dependence shares of actor i over poles (same definition as economy.dependence)."""
    bil = snap.direct[i].sum(axis=1) + snap.direct[:, i].sum(axis=1)  # trade with each partner
    div = snap.diversion
    if len(div.cells):
        s, t, _ = div.cells.T
        d = div.diverted
        mk = 1.0 + world.params.reexport_markup
        np.add.at(bil, s, d[:, i])  # s -> i legs
        np.add.at(bil, t, mk * d[:, i])  # i -> t legs
        bil += d[s == i].sum(axis=0) + mk * d[t == i].sum(axis=0)  # i -> m and m -> i legs
    value = world.extra["ship_value_finite"]
    ships = world.extra["ships_of"][i]
    ship_v = snap.routes.allocation.shipped[ships] * value[ships, None] * VALUE_SCALE  # (k, R)
    for k, s in enumerate(ships):
        if world.ship_good[s] >= 0:
            bil += ship_v[k] @ buyer_shares(world, snap.tau, i, world.ship_good[s])
    v = bil @ world.extra["pole_members"] + ship_v.sum(axis=0) @ world.route_control
    total = v.sum()
    return v / total if total > 0 else v

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

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim.core import actions as A
from sim.core import trade
from sim.core.apply import apply_action
from sim.core.economy import blocked_flows, diversion_for, sanctions_economy, spend_factor
from sim.core.policy import Policy
from sim.core.route_economy import (
    VALUE_SCALE,
    ContractTerms,
    RouteState,
    add_deliveries,
    buyer_pull,
    contract_terms,
    generalized_cost,
    recovery_offer,
    route_conditions,
    route_state,
    shipment_revenue,
    tariff_paid,
)
from sim.core.routes import DENSE_CELLS, Allocation, PatchedAllocation, allocate_with_contracts
from sim.core.sanctions import Diversion, Measure, detection_chance, displace_direct
from sim.core.world import World


@dataclass
class Snapshot:
    """An equilibrium economy for one policy state in one month (no partial adjustment)."""

    policy: Policy
    tau: np.ndarray
    direct: np.ndarray  # (N, N, G) after intermediated supply displaced part of the direct flows
    price: np.ndarray
    diversion: Diversion
    routes: RouteState
    blocked: np.ndarray  # (N, N, G) USD bn/yr, all sanctioned cells
    sanctioned: np.ndarray  # (N, N, G) bool
    gravity_direct: np.ndarray  # (N, N, G) before intermediation
    controlled: np.ndarray  # (N, N, G) blocked at the coalition's export-control cells
    controls: np.ndarray  # (N, N, G) bool export-control cells
    spend: np.ndarray  # (N, G) the month's importer spending without measures
    month: int
    factor: np.ndarray  # (N, G) the month's spending factor vs the base year
    # buyer pull per (shipper, good)
    cache: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def pull(self, world: World, shipper: int, good: int) -> np.ndarray:
        """Buyers' CES pull (N,) for a shipper's good in this snapshot (cached; `economy.buyer_pull`)."""
        key = (shipper, good)
        if key not in self.cache:
            self.cache[key] = buyer_pull(world, self.tau, self.price, self.factor, shipper, good)
        return self.cache[key]


def snapshot(world: World, policy: Policy, month: int) -> Snapshot:
    """Full equilibrium evaluation of a policy state (used once per decision round)."""
    tau, base, _, gdirect, price, blocked, controlled, controls = sanctions_economy(
        world, policy, month, None
    )
    div = diversion_for(world, policy, gdirect, tau, price, controlled, controls)
    direct, div = displace_direct(gdirect, div, world.params.reexport_markup)
    return Snapshot(
        policy,
        tau,
        direct,
        price,
        div,
        route_state(world, policy, month),
        blocked,
        tau > 1.0,
        gdirect,
        controlled,
        controls,
        trade.expenditure(base),
        month,
        spend_factor(world, policy, month),
    )


def _measure_columns(m: Measure) -> set[int]:
    """Importer columns whose trade costs measure m sets: the target's (exports), the senders' (imports)."""
    cols = {m.target} if m.direction in ("exports", "both") else set()
    if m.direction in ("imports", "both"):
        cols.update(m.senders)
    return cols


def _changed_columns(action: A.Action, before: Policy, after: Policy) -> np.ndarray:
    """Importer columns whose trade costs an action changes (`changes_trade` types): those of the
    measures it put in force (new or re-set labels) and of those it lifted."""
    cols: set[int] = set()
    if action.changes_trade:
        for g in set(before.agreements) ^ set(after.agreements):  # agreements signed or replaced
            cols |= set(g.a) | set(g.b)
        old = before.measures
        for label, m in after.measures.items():
            if old.get(label) is not m:
                cols |= _measure_columns(m)
        for label, m in old.items():
            if label not in after.measures:
                cols |= _measure_columns(m)
    return np.array(sorted(cols), dtype=np.intp)


def counterfactual(world: World, sq: Snapshot, action: A.Action, month: int) -> Snapshot:
    """The equilibrium economy if `action` were taken now, recomputing only what it touches."""
    policy = sq.policy.copy()
    if action.changes_trade and getattr(action, "lag_months", 0) > 0:
        # judged as if arrived, as investments are (decisions count its effect only after the lag)
        action = replace(action, lag_months=0)  # type: ignore[call-arg]
    apply_action(world, policy, action, month)
    if action.changes_prices:
        return snapshot(world, policy, month)  # a price moves every market of the good: recompute
    cols = _changed_columns(action, sq.policy, policy)
    tau, gdirect, price = sq.tau, sq.gravity_direct, sq.price
    blocked, sanctioned, controlled, controls = sq.blocked, sq.sanctioned, sq.controlled, sq.controls
    if cols.size:
        tau, base, _, gdirect, price, blocked, controlled, controls = sanctions_economy(
            world, policy, month, None, cols
        )
        others = ~np.isin(np.arange(world.n), cols)
        gdirect[:, others, :] = sq.gravity_direct[:, others, :]
        price[others] = sq.price[others]
        blocked = blocked_flows(base, gdirect, tau)
        controlled = np.where(controls, blocked, 0.0)
        sanctioned = tau > 1.0
    touches_div = cols.size or action.changes_diversion
    if touches_div:
        cells = sq.diversion.cells if not cols.size else None  # same blocked cells unless costs changed
        div = diversion_for(world, policy, gdirect, tau, price, controlled, controls, cells)
        direct, div = displace_direct(gdirect, div, world.params.reexport_markup)
    else:
        direct, div = sq.direct, sq.diversion
    routes = sq.routes
    if action.changes_routes:
        route = getattr(action, "route", None)
        r = None if route is None else world.route_index[route]
        routes = _reroute(world, policy, sq.routes, r, month, action)
    return replace(
        sq,
        policy=policy,
        tau=tau,
        direct=direct,
        price=price,
        diversion=div,
        routes=routes,
        blocked=blocked,
        sanctioned=sanctioned,
        gravity_direct=gdirect,
        controlled=controlled,
        controls=controls,
        month=month,
        cache=sq.cache if not cols.size else {},  # buyer pull depends on tau and prices only
    )


def route_cuts(world: World, sq: Snapshot, cuts: list[A.RouteDisruptionAction], month: int) -> Snapshot:
    """The economy with several route disruptions in force at once.

    Same result as applying them one by one with `counterfactual`, but each route-network
    component is re-allocated once, under the policy with every cut (a component's
    allocation depends only on its own routes' conditions).
    """
    policy = sq.policy.copy()
    for a in cuts:
        apply_action(world, policy, a, month)
    routes, seen = sq.routes, set()
    conditions = _conditions(world, policy, month)  # one policy for every component
    for a in cuts:
        r = world.route_index[a.route]
        component = int(world.caches.route_components[r][1][0])
        if component not in seen:
            seen.add(component)
            routes = _reallocate(world, routes, r, conditions)
    return replace(sq, policy=policy, routes=routes, month=month)


def _component_cells(world: World, route: int) -> tuple[Any, np.ndarray, np.ndarray]:
    """(np.ix_ index of the (shipments, routes) block of a route's network component, the block of
    `ship_allowed`, which of its shipments have a finite netback value) (cached: network only)."""
    cache = world.caches.component_cells
    if route not in cache:
        ships, rts = world.caches.route_components[route]
        cell = np.ix_(ships, rts)
        allowed, finite = world.ship_allowed[cell], np.isfinite(world.ship_value[ships])
        allowed.flags.writeable = finite.flags.writeable = False  # shared by every re-allocation
        cache[route] = (cell, allowed, finite)
    return cache[route]


_Conditions = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, ContractTerms | None, np.ndarray]
"""(capacity, tariff, offered, generalized cost, contract terms, recovery offer) of a policy and month."""


def _conditions(
    world: World, policy: Policy, month: int, added: tuple[int, float] | None = None
) -> _Conditions:
    """A policy's route conditions for the month (`added`: (route, capacity) counted as arrived)."""
    cap, tariff, offered = route_conditions(world, policy, month)
    if added is not None:
        cap = cap.copy()
        cap[added[0]] += added[1]
    cost = generalized_cost(world, policy, tariff, cap)
    return cap, tariff, offered, cost, contract_terms(world, policy), recovery_offer(world, policy)


def _reroute(
    world: World, policy: Policy, base: RouteState, route: int | None, month: int, action: A.Action
) -> RouteState:
    """Re-allocate only the route-network component the action touches.

    An investment is evaluated as if its capacity had arrived (its payoff is
    counted only after the lag by the decision horizon): a pending one's capacity is added here,
    an immediate one (lag 0) is already in the policy's `capacity_added`.
    """
    if route is None:  # a volume change: the component of the shipment's first route
        shipment = world.shipments.index(getattr(action, "shipment"))  # noqa: B009 (types without a route have one)
        route = int(np.flatnonzero(world.ship_allowed[shipment])[0])
    added = None
    if getattr(action, "lag_months", 0) > 0:  # a pending investment, judged as if arrived
        added = (route, getattr(action, "capacity_added"))  # noqa: B009 (a lagged type adds capacity)
    return _reallocate(world, base, route, _conditions(world, policy, month, added))


def _reallocate(world: World, base: RouteState, route: int, conditions: _Conditions) -> RouteState:
    """`base` with the component of `route` re-allocated under `conditions` (memoised per run by
    the component's inputs: `Caches.allocation`)."""
    capacity, tariff, offered, cost, terms, recovery = conditions
    ships, rts = world.caches.route_components[route]
    cell, allowed, finite = _component_cells(world, route)
    value = base.value
    args = (
        offered[ships],
        np.where(finite, value[ships], np.inf),
        allowed,
        cost[rts] if cost.ndim == 1 else cost[cell],
        capacity[rts],
        world.params.route_logit_scale,
        None if terms is None else terms.committed[cell],
    )
    key = (
        int(rts[0]),
        args[0].tobytes(),
        args[1].tobytes(),
        args[3].tobytes(),
        args[4].tobytes(),
        None if args[6] is None else args[6].tobytes(),
    )
    sub = world.caches.allocation(key, lambda: _frozen(allocate_with_contracts(*args)))
    alloc: Allocation | PatchedAllocation
    if base.allocation.lost.size * len(world.routes) > DENSE_CELLS:
        alloc = PatchedAllocation(base.allocation, ships, rts, sub, terms is not None)
    else:  # small network: copy and overwrite (same values as the patch)
        shipped = base.allocation.shipped.copy()
        lost = base.allocation.lost.copy()
        shipped[cell] = sub.shipped
        lost[ships] = sub.lost
        firm = None
        if terms is not None:
            firm = np.zeros_like(shipped) if base.allocation.firm is None else base.allocation.firm.copy()
            firm[cell] = sub.firm if sub.firm is not None else 0.0
        alloc = Allocation(shipped, lost, firm)
    return RouteState(capacity, tariff, offered, alloc, value, terms, recovery, base.tariff_share)


def _frozen(alloc: Allocation) -> Allocation:
    """The allocation with read-only arrays (it is shared through the memo)."""
    for a in (alloc.shipped, alloc.lost, alloc.firm):
        if a is not None:
            a.flags.writeable = False
    return alloc


def _route_terms(world: World, snap: Snapshot, i: int) -> tuple[float, float]:
    """(route revenue, transit fees) of actor i, USD bn/yr."""
    rs = snap.routes
    route_rev = float(shipment_revenue(rs, world.caches.ships_of[i]).sum())
    transit = 0.0
    routes = world.caches.transit_routes_of[i]
    if len(routes):
        fee, n_transit = world.caches.transit_share_of[i]
        for x in tariff_paid(rs, routes) * fee / n_transit:
            transit += x
    return route_rev, float(transit)


def _transfers(snap: Snapshot, i: int) -> float:
    transfers = snap.policy.transfers
    if not transfers:
        return 0.0
    return float(
        sum(t.amount for t in transfers if t.target == i) - sum(t.amount for t in transfers if t.sender == i)
    )


def _penalty(world: World, snap: Snapshot, i: int, by_good: np.ndarray) -> float:
    secondary = snap.policy.secondary
    if not secondary:
        return 0.0
    p = world.params
    return float(
        12.0
        * sum(
            detection_chance(m.detection_probability, by_good[list(m.goods)].sum(), p.detection_scale_usd_bn)
            * m.penalty_usd_bn
            for m in secondary
            if m.target == i
        )
    )


def actor_welfare(
    world: World, snap: Snapshot, i: int, base: tuple[Snapshot, dict[str, float]] | None = None
) -> dict[str, float]:
    """Welfare components of one actor, USD bn/yr (same terms as economy.welfare).

    base: (a snapshot, actor i's components in it): components whose inputs `snap` shares
    with that snapshot are taken from it instead of recomputed (same values).
    """
    b, terms = base if base is not None else (None, {})
    out: dict[str, float] = {}
    same_div = b is not None and snap.diversion is b.diversion
    if b is not None and snap.direct is b.direct:
        out["exports"] = terms["exports"]
    else:
        out["exports"] = float(snap.direct[i].sum())
    if b is not None and snap.routes is b.routes:
        out["route_revenue"], out["transit_fees"] = terms["route_revenue"], terms["transit_fees"]
    else:
        out["route_revenue"], out["transit_fees"] = _route_terms(world, snap, i)
    by_good = None
    if same_div:
        out["reexport_margin"] = terms["reexport_margin"]
    else:
        by_good = snap.diversion.by_intermediary(len(world.goods))[i]
        out["reexport_margin"] = float(world.params.reexport_markup * by_good.sum())
    if b is not None and snap.spend is b.spend and snap.price is b.price:
        out["import_cost"] = terms["import_cost"]
    else:
        rise = np.where(np.isfinite(snap.price[i]), snap.price[i] - 1.0, 1.0)
        out["import_cost"] = float((snap.spend[i] * np.minimum(rise, 1.0)).sum())
    out["transfers"] = _transfers(snap, i)
    if same_div and b is not None and snap.policy.secondary == b.policy.secondary:
        out["expected_penalty"] = terms["expected_penalty"]
    else:
        if by_good is None:
            by_good = snap.diversion.by_intermediary(len(world.goods))[i]
        out["expected_penalty"] = _penalty(world, snap, i, by_good)
    return out


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
    ships = world.caches.ships_of[i]
    rs = snap.routes
    shipped = rs.allocation.rows(ships)
    firm_rows = rs.allocation.firm_rows(ships) if rs.contracts is not None else None
    for k, s in enumerate(ships):
        if world.ship_good[s] >= 0:
            firm = None if firm_rows is None else firm_rows[k]
            add_deliveries(
                bil, world, rs, int(s), shipped[k], firm, snap.pull(world, i, int(world.ship_good[s]))
            )
    ship_v = shipped * rs.value[ships, None] * VALUE_SCALE  # (k, R)
    v = bil @ world.caches.pole_members + ship_v.sum(axis=0) @ world.route_control
    total = v.sum()
    return v / total if total > 0 else v

"""Route-carried trade for a month: contracts, route conditions, allocation, deliveries and route money.

Pure functions of (world, policy, month) and of a `RouteState`, used by the monthly economy
(sim.core.economy) and by counterfactuals (sim.core.counterfactual). Money: USD bn per year;
volumes: route unit per year; VALUE_SCALE converts volume (Mt or bcm) x price (USD per t or per
1000 m3) to USD bn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core.caches import MEMO_SIZE
from sim.core.policy import Contract, Policy
from sim.core.routes import (
    DENSE_CELLS,
    Allocation,
    PatchedAllocation,
    allocate_with_contracts,
    congested_days,
    political_risk,
)
from sim.core.sanctions import Measure
from sim.core.world import World

VALUE_SCALE = 1e-3
"""USD bn per (volume unit x USD per unit price): 1e6 t per Mt (1e6 1000-m3 per bcm) / 1e9."""


@dataclass(frozen=True)
class ContractTerms:
    """Contracts in force as (S, R) arrays: committed volume (unit/yr), the volume-weighted
    contract tariff (USD/unit), take-or-pay share, and the buyer index (-1: the route's buyers)."""

    committed: np.ndarray
    tariff: np.ndarray
    take_or_pay: np.ndarray
    buyer: np.ndarray


def contract_terms(world: World, policy: Policy) -> ContractTerms | None:
    """The contracts in force as arrays, or None when there are none (memoised per set of contracts)."""
    if not policy.contracts:
        return None
    key = tuple(policy.contracts)
    memo = world.caches.contract_terms
    if key not in memo:
        if len(memo) >= MEMO_SIZE:  # oldest first out
            memo.pop(next(iter(memo)))
        memo[key] = _contract_arrays(world, key)
    return memo[key]


def _contract_arrays(world: World, contracts: tuple[Contract, ...]) -> ContractTerms:
    shape = world.ship_allowed.shape
    vol, paid, top = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    buyer = np.full(shape, -1, dtype=np.intp)
    for c in contracts:
        vol[c.shipment, c.route] += c.volume
        paid[c.shipment, c.route] += c.volume * c.tariff
        top[c.shipment, c.route] += c.volume * c.take_or_pay
        if c.buyer >= 0:
            buyer[c.shipment, c.route] = c.buyer
    safe = np.where(vol > 0, vol, 1.0)
    terms = ContractTerms(vol, paid / safe, top / safe, buyer)
    for a in (terms.committed, terms.tariff, terms.take_or_pay, terms.buyer):
        a.flags.writeable = False  # shared by every route state with these contracts
    return terms


@dataclass
class RouteState:
    """Route conditions and allocation for a month."""

    capacity: np.ndarray  # (R,) unit/yr after disruptions and investment
    tariff: np.ndarray  # (R,) USD/unit after repricing
    offered: np.ndarray  # (S,) unit/yr, deferred volume offered again included
    allocation: Allocation | PatchedAllocation
    value: np.ndarray  # (S,) netback value USD/unit this month (0 where none)
    contracts: ContractTerms | None = None
    recovery: np.ndarray | None = None  # (S,) part of `offered` that is deferred volume, unit/yr
    tariff_share: np.ndarray | None = None  # (S, R) share of the route tariff each shipment pays (None: 1)
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # derived (route_money)


def ship_values(world: World, policy: Policy, month: int) -> np.ndarray:
    """Netback value per unit of each shipment this month, USD/unit (0 where it has none)."""
    value = world.caches.ship_value_finite.copy()
    goods = world.ship_good
    has = goods >= 0
    price = world.paths.price[min(month, len(world.months) - 1)].copy()
    for t in policy.price_factors:
        price[t.route] *= t.factor
    value[has] *= price[goods[has]]
    return value


def route_conditions(world: World, policy: Policy, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(capacity, tariff, offered) for the month: disruptions take the minimum factor.

    Offered = the shipment's volume path x volume events + deferred volume offered again
    (backlog x 12 / outage_recovery_months, unit/yr).
    """
    factor = np.ones(len(world.routes))
    for d in policy.disruptions:
        factor[d.route] = min(factor[d.route], d.factor)
    capacity = (world.route_capacity0 + policy.capacity_added) * factor
    tariff = world.route_tariff0.copy()
    for r in policy.reprices:
        tariff[r.route] *= r.factor
    return capacity, tariff, planned_volume(world, policy, month) + recovery_offer(world, policy)


def planned_volume(world: World, policy: Policy, month: int) -> np.ndarray:
    """Offered volume before deferred volume, unit/yr (S,): the volume path x volume events."""
    offered = world.paths.volume[min(month, len(world.months) - 1)].copy()
    for v in policy.volume_factors:
        offered[v.route] *= v.factor
    return offered


def recovery_offer(world: World, policy: Policy) -> np.ndarray:
    """Deferred volume offered this month, unit/yr (S,)."""
    return policy.backlog * 12.0 / world.params.outage_recovery_months


def sanctioned_share(world: World, policy: Policy) -> np.ndarray:
    """Share of each actor's base-year trade (exports + imports, USD bn/yr) in cells of measures
    targeting it (N,), 0-1 (memoised per set of measures)."""
    measures = tuple(policy.measures.values())
    last = world.caches.last_sanctioned
    if (
        last is not None
        and len(last[0]) == len(measures)
        and all(a is b for a, b in zip(last[0], measures, strict=True))
    ):
        return last[1]
    out = world.caches.memo("sanctioned_share", measures, lambda: _sanctioned_share(world, measures))
    world.caches.last_sanctioned = (measures, out)
    return out


def _sanctioned_share(world: World, measures: tuple[Measure, ...]) -> np.ndarray:
    flows = world.base_flows
    total = flows.sum(axis=(1, 2)) + flows.sum(axis=(0, 2))
    out = np.zeros(world.n)
    for k in {m.target for m in measures}:
        imports = np.zeros(flows.shape[0::2], dtype=bool)  # (exporter, good) cells into k
        exports = np.zeros(flows.shape[1:], dtype=bool)  # (importer, good) cells out of k
        for m in measures:
            if m.target != k:
                continue
            s = np.asarray(m.senders, dtype=np.intp)[:, None]
            g = np.asarray(m.goods, dtype=np.intp)[None, :]
            if m.direction in ("exports", "both"):  # senders' exports to the target
                imports[s, g] = True
            if m.direction in ("imports", "both"):  # senders' imports from the target
                exports[s, g] = True
        v = flows[:, k][imports].sum() + flows[k][exports].sum()
        out[k] = v / total[k] if total[k] > 0 else 0.0
    return np.minimum(out, 1.0)


def coerced(world: World, policy: Policy) -> np.ndarray:
    """Memory of coercive acts by each actor's pole (N,), capped at 1 (0 for actors without a pole):
    the largest memory any state holds of that pole's acts (1 per act on its target)."""
    if policy.coercion_seen is None or not policy.coercion_seen.any():
        return np.zeros(world.n)
    by_pole = np.minimum(policy.coercion_seen.max(axis=0), 1.0)
    return np.where(world.pole_of >= 0, by_pole[np.maximum(world.pole_of, 0)], 0.0)


def generalized_cost(
    world: World, policy: Policy, tariff: np.ndarray, capacity: np.ndarray | None = None
) -> np.ndarray:
    """Generalized cost, USD/unit: tariff + fixed risk premium + transit days (with congestion
    delay, `routes.congested_days`, when capacity is given) x value of time + the political risk
    premium of its transit states (sim.core.routes.political_risk).

    Per route (R,); per shipment and route (S, R) when shipments pay shares of the tariff
    (`World.ship_tariff_share`): their tariff and political premium scale by the share, the
    fixed premium and transit time do not (a row of share 1 equals the per-route cost exactly)."""
    p = world.params
    days = world.route_days
    if capacity is not None and policy.route_load is not None:
        days = congested_days(
            days, policy.route_load, capacity, p.congestion_delay_alpha, p.congestion_delay_power
        )
    cost = tariff + world.route_risk0 + days * p.value_of_time_usd_per_unit_day
    charged = tariff
    if policy.measures or (policy.coercion_seen is not None and policy.coercion_seen.any()):
        premium = political_risk(
            tariff,
            world.route_transit,
            sanctioned_share(world, policy),
            coerced(world, policy),
            p.transit_risk_per_sanctioned_share,
            p.transit_risk_per_coercion,
        )
        cost, charged = cost + premium, tariff + premium
    return shipment_cost(world, cost, charged)


def shipment_cost(world: World, cost: np.ndarray, charged: np.ndarray) -> np.ndarray:
    """Route costs (R,) as paid by each shipment (S, R) when shipments pay tariff shares: the
    tariff-proportional part `charged` (R,) scaled by the share; (R,) unchanged otherwise."""
    share = world.ship_tariff_share
    if share is None:
        return cost
    return cost[None, :] + (share - 1.0) * charged[None, :]


def shipment_tariff(rs: RouteState, ships: Any = slice(None), routes: Any = slice(None)) -> np.ndarray:
    """Tariff each shipment pays on each route, USD/unit: (len(ships), len(routes)), broadcastable."""
    tariff = rs.tariff[None, routes]
    if rs.tariff_share is None:
        return tariff
    return tariff * rs.tariff_share[ships][:, routes]


def route_state(world: World, policy: Policy, month: int) -> RouteState:
    capacity, tariff, offered = route_conditions(world, policy, month)
    value = ship_values(world, policy, month)
    terms = contract_terms(world, policy)
    alloc = allocate_with_contracts(
        offered,
        np.where(np.isfinite(world.ship_value), value, np.inf),
        world.ship_allowed,
        generalized_cost(world, policy, tariff, capacity),
        capacity,
        world.params.route_logit_scale,
        None if terms is None else terms.committed,
    )
    return RouteState(
        capacity, tariff, offered, alloc, value, terms, recovery_offer(world, policy), world.ship_tariff_share
    )


def update_backlog(world: World, policy: Policy, rs: RouteState) -> np.ndarray:
    """Carry deferred volume to next month; returns the volume shut in for good this month (unit/yr).

    Planned volume is served before deferred volume: of this month's unshipped volume L
    and deferred offer e, if L <= e the deferred volume shipped, (e - L) / 12, leaves the
    backlog; else the planned volume L - e is shut in, a share `outage_recovery_share` of it
    (in unit: / 12 for one month) joins the backlog and the rest is lost (stays in the ground).
    """
    lost, e = rs.allocation.lost, rs.recovery
    shut_in = np.maximum(lost - e, 0.0)
    recovered = np.maximum(e - lost, 0.0)
    share = world.params.outage_recovery_share
    policy.backlog[:] = np.maximum(policy.backlog - recovered / 12.0, 0.0) + share * shut_in / 12.0
    return (1.0 - share) * shut_in


def buyer_pull(
    world: World, tau: np.ndarray, price: np.ndarray, factor: np.ndarray, shipper: int, good: int
) -> np.ndarray:
    """Each actor's CES demand pull (N,) for one shipper's good (see `buyer_shares`)."""
    eps = world.params.trade_elasticity
    t = tau[shipper, :, good]
    with np.errstate(divide="ignore", over="ignore"):
        rise = np.minimum(np.where(np.isfinite(price[:, good]), price[:, good], 2.0), 2.0)
        pull = factor[:, good] * rise**eps
        return np.where(np.isinf(t), 0.0, pull * np.power(t, -eps))


def shares_from_pull(world: World, pull: np.ndarray, routes: np.ndarray | None = None) -> np.ndarray:
    """Buyer shares (len(routes) or R, N) of the listed routes from the buyers' pull (`buyer_pull`)."""
    listed = world.route_buyers if routes is None else world.route_buyers[routes]
    shares = listed * pull[None, :]
    total = shares.sum(axis=1, keepdims=True)
    empty = total[:, 0] <= 0
    shares = np.where(total > 0, shares / np.where(total > 0, total, 1.0), 0.0)
    shares[empty, world.caches.rest_of_world] = 1.0
    return shares


def buyer_shares(
    world: World, tau: np.ndarray, price: np.ndarray, factor: np.ndarray, shipper: int, good: int
) -> np.ndarray:
    """Route buyer shares (R, N) of one shipper's good: CES demand at equal netback.

    Each route lists its candidate buyers with base-year shares w_b. A buyer's demand for
    the shipper's variety in CES (Armington) is proportional to E_b x P_b^eps x t_b^-eps
    (eps the trade elasticity, P_b its import price index of the good, t_b the cost factor
    from shipper to buyer), so shares move with the buyers' spending paths and with the
    sanctions that raise their price index (a buyer that lost other suppliers bids more):

        share_b = w_b x (E_b(t) / E_b0) x min(P_b, 2)^eps x t_b^-eps / sum_k (...)

    factor: the month's spending factor E(t) / E0 per buyer and good (N, G), `spend_factor`.

    A buyer that bans the shipper's good (t = inf) takes nothing; if every listed buyer
    does, the volume goes to the world market (the Rest of World actor).
    """
    return shares_from_pull(world, buyer_pull(world, tau, price, factor, shipper, good))


def deliver(world: World, pull: np.ndarray, value_by_route: np.ndarray) -> np.ndarray:
    """Value delivered to each buyer (N,) from a shipment's value per route (R,), USD bn/yr.

    Only the routes that carry something are expanded into buyer shares, so the cost is
    O(routes used x N), not O(R x N) (it runs once per shipment).
    """
    used = np.flatnonzero(value_by_route)
    if not used.size:
        return np.zeros(len(pull))
    return value_by_route[used] @ shares_from_pull(world, pull, used)


def route_carried_flows(
    world: World, rs: RouteState, tau: np.ndarray, price: np.ndarray, factor: np.ndarray
) -> np.ndarray:
    """Value of route-carried shipments by [shipper, buyer, good], USD bn/yr.

    Contracted volume with a named buyer goes to that buyer; the rest splits by the
    route's buyer shares (`buyer_shares`). Shipments of the same shipper and good share one
    buyer pull, so their values per route are summed before the split (one split per pair).
    """
    out = np.zeros(world.shape)
    ships, pairs = _goods_shipments(world)
    if not ships.size:
        return out
    shipped = rs.allocation.rows(ships)
    value = shipped * rs.value[ships, None] * VALUE_SCALE  # (k, R) USD bn/yr per route
    terms = rs.contracts
    if terms is not None and (terms.buyer[ships] >= 0).any():
        named = terms.buyer[ships] >= 0
        f = rs.allocation.firm_rows(ships) * rs.value[ships, None] * VALUE_SCALE
        k, r = np.nonzero(named)
        s = ships[k]
        np.add.at(out, (world.ship_shipper[s], terms.buyer[s, r], world.ship_good[s]), f[k, r])
        value = value - np.where(named, f, 0.0)
    for (i, g), rows in pairs.items():
        v = value[rows[0]] if len(rows) == 1 else value[rows].sum(axis=0)
        out[i, :, g] += deliver(world, buyer_pull(world, tau, price, factor, i, g), v)
    return out


def _goods_shipments(world: World) -> tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]:
    """Shipments that carry a good, and their rows in that list per (shipper, good) (cached)."""
    if world.caches.goods_shipments is None:
        ships = np.flatnonzero(world.ship_good >= 0)
        pairs: dict[tuple[int, int], list[int]] = {}
        for k, s in enumerate(ships):
            pairs.setdefault((int(world.ship_shipper[s]), int(world.ship_good[s])), []).append(k)
        world.caches.goods_shipments = (ships, {p: np.array(v) for p, v in pairs.items()})
    return world.caches.goods_shipments


def add_deliveries(
    into: np.ndarray,
    world: World,
    rs: RouteState,
    s: int,
    shipped: np.ndarray,
    firm: np.ndarray | None,
    pull: np.ndarray,
) -> None:
    """Add to `into` (N,) the value shipment s delivers to each buyer, USD bn/yr.

    shipped, firm: its volume per route (R,), unit/yr (firm: contracted). Contracted volume with
    a named buyer goes to that buyer; the rest splits by the routes' buyer shares (`deliver`).
    """
    v = shipped * rs.value[s] * VALUE_SCALE  # (R,)
    terms = rs.contracts
    if terms is not None and (terms.buyer[s] >= 0).any():
        named = terms.buyer[s] >= 0
        f = firm * rs.value[s] * VALUE_SCALE
        np.add.at(into, terms.buyer[s, named], f[named])
        v = v - np.where(named, f, 0.0)
    into += deliver(world, pull, v)


def route_money(rs: RouteState) -> tuple[np.ndarray, np.ndarray]:
    """(route revenue per shipment (S,), tariff paid per route (R,)), USD bn/yr.

    Revenue = shipped x (netback value - tariff), with contracted volume paying its
    contract tariff, minus take-or-pay for committed volume the shipper could not fill
    (on the capacity-feasible commitment: a cut route is force majeure). Cached on `rs`.
    """
    if "money" not in rs.cache:
        shipped, firm = rs.allocation.shipped, rs.allocation.firm
        tariff = shipment_tariff(rs)
        gross = shipped * (rs.value[:, None] - tariff)
        paid = shipped * tariff
        if rs.contracts is not None and firm is not None:
            delta = _contract_delta(rs, firm, slice(None), slice(None))
            gross, paid = gross - delta, paid + delta
        rs.cache["money"] = (gross.sum(axis=1) * VALUE_SCALE, paid.sum(axis=0) * VALUE_SCALE)
    return rs.cache["money"]


def _contract_delta(rs: RouteState, firm: np.ndarray, ships: Any, routes: Any) -> np.ndarray:
    """Contracted volume's money on the [ships, routes] block, USD/unit x unit/yr: the contract
    tariff instead of the route tariff on firm volume, plus take-or-pay on the unfilled
    capacity-feasible commitment (`place_commitments`). Revenue falls and tariff paid rises by it."""
    terms = rs.contracts
    assert terms is not None
    if "room" not in rs.cache:  # share of each route's commitments its capacity can carry (R,)
        total, cap = terms.committed.sum(axis=0), rs.capacity
        rs.cache["room"] = np.where(total > cap, cap / np.where(total > 0, total, 1.0), 1.0)
    tariff = terms.tariff[ships, routes]
    feasible = terms.committed[ships, routes] * rs.cache["room"][None, routes]
    unpaid = np.maximum(terms.take_or_pay[ships, routes] * feasible - firm, 0.0)
    return firm * (tariff - shipment_tariff(rs, ships, routes)) + unpaid * tariff


def _dense(rs: RouteState) -> bool:
    """Small network (or money already computed): take rows and columns of `route_money`."""
    return "money" in rs.cache or rs.allocation.lost.size * len(rs.tariff) <= DENSE_CELLS


def shipment_revenue(rs: RouteState, ships: np.ndarray) -> np.ndarray:
    """Route revenue (USD bn/yr) of the given shipments: the rows of `route_money`, same arithmetic.

    O(len(ships) x R) instead of O(S x R): a decision needs only the decider's shipments.
    """
    if _dense(rs):
        return route_money(rs)[0][ships]
    gross = rs.allocation.rows(ships) * (rs.value[ships, None] - shipment_tariff(rs, ships))
    if rs.contracts is not None:
        gross = gross - _contract_delta(rs, rs.allocation.firm_rows(ships), ships, slice(None))
    return gross.sum(axis=1) * VALUE_SCALE


def tariff_paid(rs: RouteState, routes: np.ndarray) -> np.ndarray:
    """Tariff paid (USD bn/yr) on the given routes: the columns of `route_money`, same arithmetic."""
    if _dense(rs):
        return route_money(rs)[1][routes]
    paid = rs.allocation.cols(routes) * shipment_tariff(rs, routes=routes)
    if rs.contracts is not None:
        paid = paid + _contract_delta(rs, rs.allocation.firm_cols(routes), slice(None), routes)
    return paid.sum(axis=0) * VALUE_SCALE

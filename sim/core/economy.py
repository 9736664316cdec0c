"""One month of the economy: time paths -> sanctions -> gravity -> re-exports -> routes -> welfare.

Pure functions of (world, policy, month). `evaluate` computes the full monthly
outcome the model records; `Counterfactual` re-evaluates only what an action
touches (the importer columns whose trade costs change, the route component
whose capacity or tariff changes), so a decision costs O(N * G) rather than
O(N^2 * G) per candidate.

Money: USD bn per year. Volumes: route unit per year. VALUE_SCALE converts
volume (Mt or bcm) x price (USD per t or per 1000 m3) to USD bn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core import trade
from sim.core.caches import MEMO_SIZE
from sim.core.policy import Policy
from sim.core.routes import (
    DENSE_CELLS,
    Allocation,
    PatchedAllocation,
    allocate,
    allocate_with_contracts,
)
from sim.core.sanctions import (
    Diversion,
    DiversionParams,
    apply_diversion,
    cost_factors,
    detection_chance,
    displace_direct,
    expected_penalty,
    export_controls,
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


def _contract_arrays(world: World, contracts: tuple) -> ContractTerms:
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
    value: np.ndarray | None = None  # (S,) netback value USD/unit this month (0 where none)
    contracts: ContractTerms | None = None
    recovery: np.ndarray | None = None  # (S,) part of `offered` that is deferred volume, unit/yr
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # derived values (route_money)


@dataclass
class Outcome:
    """Everything the month's economy produced."""

    tau: np.ndarray  # (N, N, G) cost factors
    equilibrium: np.ndarray  # (N, N, G) gravity target flows
    gravity_direct: np.ndarray  # (N, N, G) direct flows after partial adjustment, before intermediation
    direct: np.ndarray  # (N, N, G) direct flows after intermediated supply displaced part of them
    price: np.ndarray  # (N, G) import price-index change vs baseline
    blocked: np.ndarray  # (N, N, G) fall in direct flows at sanctioned cells
    controlled: np.ndarray  # (N, N, G) fall in direct flows at the coalition's export-control cells
    diversion: Diversion
    routes: RouteState
    flows: np.ndarray  # (N, N, G) recorded: direct + re-export legs + route-carried
    welfare: dict[str, np.ndarray]  # WELFARE_TERMS -> (N,)
    base: np.ndarray  # (N, N, G) the month's flows without any measure (time paths applied)

    @property
    def hat(self) -> np.ndarray:
        """gravity_direct / base: the policy effect carried into next month's partial adjustment."""
        return flow_hat(self.gravity_direct, self.base)


def spend_factor(world: World, policy: Policy, month: int) -> np.ndarray:
    """Importer spending factor (N, G) of the month vs the base year: time paths x price events."""
    f = world.paths.spend[min(month, len(world.months) - 1)]
    if policy.price_factors:
        f = f.copy()
        for t in policy.price_factors:
            f[:, t.route] *= t.factor
    return f


def base_flows(world: World, policy: Policy, month: int) -> np.ndarray:
    """The month's gravity flows without measures, X0[i, j, g] x spending factor[j, g], USD bn/yr.

    The last month's array is cached (decisions evaluate many counterfactuals per month).
    """
    key = (month, tuple((t.route, t.factor) for t in policy.price_factors))
    c = world.caches
    if c.base_month is None or c.base_month[0] != key:
        c.base_month = (key, world.gravity_flows * spend_factor(world, policy, month)[None, :, :])
    return c.base_month[1]


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


def route_state(world: World, policy: Policy, month: int) -> RouteState:
    capacity, tariff, offered = route_conditions(world, policy, month)
    value = ship_values(world, policy, month)
    terms = contract_terms(world, policy)
    alloc = allocate_with_contracts(
        offered,
        np.where(np.isfinite(world.ship_value), value, np.inf),
        world.ship_allowed,
        tariff + world.route_risk0,
        capacity,
        world.params.route_logit_scale,
        None if terms is None else terms.committed,
    )
    return RouteState(capacity, tariff, offered, alloc, value, terms, recovery_offer(world, policy))


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


def coalition_measures(world: World, policy: Policy) -> list:
    """Measures of the sanctions coalition (every sender in a `sanctions_coalition` bloc).

    Without such a bloc in the scenario, every measure counts.
    """
    members = world.caches.coalition
    measures = list(policy.measures.values())
    if members is None:
        return measures
    return [m for m in measures if all(members[s] for s in m.senders)]


def blocked_flows(base: np.ndarray, direct: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Fall in direct flows at sanctioned cells vs the month's unsanctioned flows, USD bn/yr."""
    return np.where(tau > 1.0, np.maximum(base - direct, 0.0), 0.0)


def diversion_for(
    world: World,
    policy: Policy,
    direct: np.ndarray,
    tau: np.ndarray,
    price: np.ndarray,
    controlled: np.ndarray,
    controls: np.ndarray,
    cells: np.ndarray | None = None,
) -> Diversion:
    """Re-exports for the month's blocked flows under the coalition's export controls.

    controlled: the fall in direct flows at export-control cells (USD bn/yr); controls: bool
    mask of those cells (an intermediary under its own control of (t, g) cannot serve it).
    """
    premium = np.where(np.isfinite(price), price - 1.0, 1.0)
    secondary = tuple(policy.secondary)
    penalty = world.caches.memo(
        "expected_penalty",
        secondary,
        lambda: expected_penalty(list(secondary), world.n, len(world.goods)),
    )
    return reexport_diversion(
        controlled,
        premium,
        controls,
        policy.enforcement,
        penalty,
        world.customs_union,
        world.is_state,
        world.caches.spend,
        diversion_params(world),
        cells,
        leg_cost=tau,
    )


def sanctions_economy(
    world: World,
    policy: Policy,
    month: int,
    previous_hat: np.ndarray | None,
    columns: np.ndarray | None = None,
) -> tuple:
    """(tau, base, equilibrium, gravity_direct, price, blocked, controlled, controls) for a policy.

    Partial adjustment acts on the policy effect, not on growth: the ratio of direct to
    unsanctioned flows (the "hat" x'/x) moves a share `trade_adjustment_per_month` toward its
    equilibrium each month, while the time paths move the level at once. previous_hat None:
    jump to the equilibrium.
    """
    measures = list(policy.measures.values())
    tau = world.caches.memo("cost_factors", tuple(measures), lambda: cost_factors(measures, world.shape))
    base = base_flows(world, policy, month)
    eq, price = trade.gravity_equilibrium(base, tau, world.params.trade_elasticity, columns)
    if previous_hat is None:
        direct = eq
    else:
        hat = trade.partial_adjustment(
            previous_hat, flow_hat(eq, base), world.params.trade_adjustment_per_month
        )
        direct = hat * base
    blocked = blocked_flows(base, direct, tau)
    coalition = coalition_measures(world, policy)
    controls = world.caches.memo(
        "export_controls", tuple(coalition), lambda: export_controls(coalition, world.shape)
    )
    return tau, base, eq, direct, price, blocked, np.where(controls, blocked, 0.0), controls


def flow_hat(flows: np.ndarray, base: np.ndarray) -> np.ndarray:
    """flows / base per cell (1 where the base is 0): the policy effect the partial adjustment tracks."""
    return np.where(base > 0, flows / np.where(base > 0, base, 1.0), 1.0)


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
        gross = shipped * (rs.value[:, None] - rs.tariff[None, :])
        paid = shipped * rs.tariff[None, :]
        if rs.contracts is not None:
            delta = _contract_delta(rs, firm, slice(None), slice(None))
            gross, paid = gross - delta, paid + delta
        rs.cache["money"] = (gross.sum(axis=1) * VALUE_SCALE, paid.sum(axis=0) * VALUE_SCALE)
    return rs.cache["money"]


def _contract_delta(rs: RouteState, firm: np.ndarray, ships: object, routes: object) -> np.ndarray:
    """Contracted volume's money on the [ships, routes] block, USD/unit x unit/yr: the contract
    tariff instead of the route tariff on firm volume, plus take-or-pay on the unfilled
    capacity-feasible commitment (`place_commitments`). Revenue falls and tariff paid rises by it."""
    terms = rs.contracts
    if "room" not in rs.cache:  # share of each route's commitments its capacity can carry (R,)
        total, cap = terms.committed.sum(axis=0), rs.capacity
        rs.cache["room"] = np.where(total > cap, cap / np.where(total > 0, total, 1.0), 1.0)
    tariff = terms.tariff[ships, routes]
    feasible = terms.committed[ships, routes] * rs.cache["room"][None, routes]
    unpaid = np.maximum(terms.take_or_pay[ships, routes] * feasible - firm, 0.0)
    return firm * (tariff - rs.tariff[None, routes]) + unpaid * tariff


def _dense(rs: RouteState) -> bool:
    """Small network (or money already computed): take rows and columns of `route_money`."""
    return "money" in rs.cache or rs.allocation.lost.size * len(rs.tariff) <= DENSE_CELLS


def shipment_revenue(rs: RouteState, ships: np.ndarray) -> np.ndarray:
    """Route revenue (USD bn/yr) of the given shipments: the rows of `route_money`, same arithmetic.

    O(len(ships) x R) instead of O(S x R): a decision needs only the decider's shipments.
    """
    if _dense(rs):
        return route_money(rs)[0][ships]
    gross = rs.allocation.rows(ships) * (rs.value[ships, None] - rs.tariff[None, :])
    if rs.contracts is not None:
        gross = gross - _contract_delta(rs, rs.allocation.firm_rows(ships), ships, slice(None))
    return gross.sum(axis=1) * VALUE_SCALE


def tariff_paid(rs: RouteState, routes: np.ndarray) -> np.ndarray:
    """Tariff paid (USD bn/yr) on the given routes: the columns of `route_money`, same arithmetic."""
    if _dense(rs):
        return route_money(rs)[1][routes]
    paid = rs.allocation.cols(routes) * rs.tariff[None, routes]
    if rs.contracts is not None:
        paid = paid + _contract_delta(rs, rs.allocation.firm_cols(routes), slice(None), routes)
    return paid.sum(axis=0) * VALUE_SCALE


def welfare(
    world: World,
    policy: Policy,
    direct: np.ndarray,
    price: np.ndarray,
    div: Diversion,
    rs: RouteState,
    spend: np.ndarray,
) -> dict[str, np.ndarray]:
    """Economic welfare components per actor, USD bn/yr (see WELFARE_TERMS).

    spend: the month's importer spending per good without measures, E[j, g] USD bn/yr.
    """
    n = world.n
    rev_s, paid_r = route_money(rs)
    route_rev = np.bincount(world.ship_shipper, weights=rev_s, minlength=n)
    fees_r = paid_r * world.route_fee_share
    n_transit = np.maximum(world.route_transit.sum(axis=1), 1)
    transit = (world.route_transit * (fees_r / n_transit)[:, None]).sum(axis=0)
    by_int = div.by_intermediary(len(world.goods))
    margin = world.params.reexport_markup * by_int.sum(axis=1)
    transfers = np.zeros(n)
    for t in policy.transfers:
        transfers[t.target] += t.amount
        transfers[t.sender] -= t.amount
    exp_pen = 12.0 * expected_penalty_flow(world, policy.secondary, by_int)
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


def evaluate(world: World, policy: Policy, month: int, previous_hat: np.ndarray | None) -> Outcome:
    """The month's full outcome. previous_hat: last month's `Outcome.hat` (None: jump to equilibrium)."""
    tau, base, eq, gdirect, price, blocked, controlled, controls = sanctions_economy(
        world, policy, month, previous_hat
    )
    div = diversion_for(world, policy, gdirect, tau, price, controlled, controls)
    direct, div = displace_direct(gdirect, div, world.params.reexport_markup)
    rs = route_state(world, policy, month)
    spend = trade.expenditure(base)
    flows = apply_diversion(direct, div, world.params.reexport_markup) + route_carried_flows(
        world, rs, tau, price, spend_factor(world, policy, month)
    )
    return Outcome(
        tau=tau,
        equilibrium=eq,
        gravity_direct=gdirect,
        direct=direct,
        price=price,
        blocked=blocked,
        controlled=controlled,
        diversion=div,
        routes=rs,
        flows=flows,
        welfare=welfare(world, policy, direct, price, div, rs, spend),
        base=base,
    )


def base_year_flows(world: World) -> np.ndarray:
    """Flows of the trade base year without measures (N, N, G), USD bn/yr: the growth reference.

    Gravity flows at base-year spending plus route-carried goods at the shipments' base
    volumes, allocated without disruptions or contracts, valued at base-year prices. Depends on
    the world only: computed once per world (read-only).
    """
    if world.caches.base_year_flows is None:
        flows = _base_year_flows(world)
        flows.flags.writeable = False
        world.caches.base_year_flows = flows
    return world.caches.base_year_flows


def _base_year_flows(world: World) -> np.ndarray:
    capacity = world.route_capacity0.copy()
    value = world.caches.ship_value_finite.copy()
    has = world.ship_good >= 0
    value[has] /= world.paths.price_ref[world.ship_good[has]]
    alloc = allocate(
        world.ship_volume0,
        np.where(np.isfinite(world.ship_value), value, np.inf),
        world.ship_allowed,
        world.route_tariff0 + world.route_risk0,
        capacity,
        world.params.route_logit_scale,
    )
    rs = RouteState(capacity, world.route_tariff0.copy(), world.ship_volume0.copy(), alloc, value)
    ones = np.ones((world.n, len(world.goods)))
    return world.gravity_flows + route_carried_flows(world, rs, np.ones(world.shape), ones, ones)


def dependence(world: World, flows: np.ndarray, rs: RouteState) -> np.ndarray:
    """Dependence of each actor on each pole, shares over poles (N, P).

    Value of trade (exports + imports, USD bn/yr) with the pole's actors plus the
    value of the actor's route-carried exports controlled by the pole (transit,
    else destination). Rows without any pole exposure are zero.
    """
    members = world.caches.pole_members  # (N, P) float
    bilateral = flows.sum(axis=2)
    trade_v = (bilateral + bilateral.T) @ members
    ship_v = rs.allocation.shipped * rs.value[:, None] * VALUE_SCALE  # (S, R)
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
    members = world.caches.pole_members
    inc = out.flows.sum(axis=2) @ members
    for t in policy.transfers:
        q = world.pole_of[t.sender]
        if q >= 0:
            inc[t.target, q] += t.amount
    lost_v = out.routes.allocation.lost * out.routes.value * VALUE_SCALE  # (S,)
    shortfall = np.maximum(world.route_capacity0 + policy.capacity_added - out.routes.capacity, 0.0)
    w = world.ship_allowed * shortfall[None, :]
    wsum = w.sum(axis=1, keepdims=True)
    share = np.where(wsum > 0, w / np.where(wsum > 0, wsum, 1.0), 0.0)  # (S, R)
    np.subtract.at(inc, world.ship_shipper, (lost_v[:, None] * share) @ world.route_control)
    return inc

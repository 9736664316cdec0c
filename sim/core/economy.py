"""One month of the economy: time paths -> sanctions -> gravity -> re-exports -> routes -> welfare.

Pure functions of (world, policy, month). `evaluate` computes the full monthly
outcome the model records; `Counterfactual` re-evaluates only what an action
touches (the importer columns whose trade costs change, the route component
whose capacity or tariff changes), so a decision costs O(N * G) rather than
O(N^2 * G) per candidate.

The route-carried part (contracts, allocation, deliveries, route money) is sim.core.route_economy.
Money: USD bn per year. Volumes: route unit per year. VALUE_SCALE (route_economy) converts
volume (Mt or bcm) x price (USD per t or per 1000 m3) to USD bn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core import trade
from sim.core.policy import Policy
from sim.core.route_economy import (  # re-exported: the economy of a month includes its routes
    VALUE_SCALE,
    RouteState,
    route_carried_flows,
    route_money,
    route_state,
    shipment_cost,
)
from sim.core.routes import allocate
from sim.core.sanctions import (
    Diversion,
    DiversionParams,
    Measure,
    SecondaryMeasure,
    apply_diversion,
    cost_factors,
    detection_chance,
    displace_direct,
    expected_penalty,
    export_controls,
    reexport_diversion,
)
from sim.core.world import World

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
SUBTRACTED_WELFARE = frozenset({"import_cost", "expected_penalty"})
"""Welfare terms that enter net welfare with a minus sign."""


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


def coalition_measures(world: World, policy: Policy) -> list[Measure]:
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
) -> tuple[np.ndarray, ...]:
    """(tau, base, equilibrium, gravity_direct, price, blocked, controlled, controls) for a policy.

    Partial adjustment acts on the policy effect, not on growth: the ratio of direct to
    unsanctioned flows (the "hat" x'/x) moves a share `trade_adjustment_per_month` toward its
    equilibrium each month, while the time paths move the level at once. previous_hat None:
    jump to the equilibrium.
    """
    measures = list(policy.measures.values())
    tau = world.caches.memo("cost_factors", tuple(measures), lambda: cost_factors(measures, world.shape))
    base = base_flows(world, policy, month)
    political = trade_cost_factor(world, policy, month)
    tau_g = tau if political is None else tau * political
    eq, price = trade.gravity_equilibrium(base, tau_g, world.params.trade_elasticity, columns)
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


def trade_cost_factor(world: World, policy: Policy, month: int) -> np.ndarray | None:
    """Non-sanction trade-cost factors (N, N, G) the gravity layer prices on top of the measures:
    political trade costs (the pairs' alignment distance change, `trade.political_cost_factors`)
    x facilitation agreements in force (factor 1 - cut on both directions). None: all ones.

    Sanction accounting (blocked cells, export controls, re-export legs, buyer pull) keeps the
    measures' factors only: a political trade cost is not a sanctioned cell.
    """
    p = world.params
    active = [a for a in policy.agreements if a.active(month)]
    dist = policy.political_distance
    if not active and (dist is None or p.political_distance_semi_elasticity == 0):
        return None
    key = tuple(active)
    last = world.caches.last_political
    if last is not None and last[0] is dist and last[1] == key:
        return last[2]
    f = np.ones(world.shape)
    if dist is not None and p.political_distance_semi_elasticity != 0:
        pol = trade.political_cost_factors(dist, p.political_distance_semi_elasticity, p.trade_elasticity)
        f *= pol[:, :, None]
    for a in active:
        side_a, side_b, g = (np.asarray(x, dtype=np.intp) for x in (a.a, a.b, a.goods))
        f[np.ix_(side_a, side_b, g)] *= a.factor
        f[np.ix_(side_b, side_a, g)] *= a.factor
    f.flags.writeable = False
    world.caches.last_political = (dist, key, f)
    return f


def flow_hat(flows: np.ndarray, base: np.ndarray) -> np.ndarray:
    """flows / base per cell (1 where the base is 0): the policy effect the partial adjustment tracks."""
    return np.where(base > 0, flows / np.where(base > 0, base, 1.0), 1.0)


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


def expected_penalty_flow(world: World, secondary: list[SecondaryMeasure], by_int: np.ndarray) -> np.ndarray:
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


def decision_welfare(world: World, w: dict[str, Any], i: int | None = None) -> Any:
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
    days_cost = world.route_days * world.params.value_of_time_usd_per_unit_day
    alloc = allocate(
        world.ship_volume0,
        np.where(np.isfinite(world.ship_value), value, np.inf),
        world.ship_allowed,
        shipment_cost(world, world.route_tariff0 + world.route_risk0 + days_cost, world.route_tariff0),
        capacity,
        world.params.route_logit_scale,
    )
    rs = RouteState(
        capacity,
        world.route_tariff0.copy(),
        world.ship_volume0.copy(),
        alloc,
        value,
        tariff_share=world.ship_tariff_share,
    )
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

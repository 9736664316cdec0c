"""Static structure of a run: the scenario compiled to index maps and numpy arrays.

Dimension order used everywhere: actors N, goods G, poles P, routes R,
shipments S. Flows are [exporter, importer, good] in USD bn per year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core.paths import EconomyPaths, build_paths
from sim.params import Parameters
from sim.scenario.schema import ScenarioSpec, month_index


def month_labels(start: str, end: str) -> list[str]:
    """All months 'YYYY-MM' from start to end inclusive."""
    a, b = month_index(start), month_index(end)
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(a, b + 1)]


@dataclass(frozen=True)
class World:
    """Immutable arrays and names compiled from a ScenarioSpec (no I/O)."""

    spec: ScenarioSpec
    params: Parameters
    months: list[str]
    actors: list[str]
    goods: list[str]
    poles: list[str]
    routes: list[str]
    shipments: list[str]
    index: dict[str, int]  # actor name -> index
    good_index: dict[str, int]
    route_index: dict[str, int]
    pole_index: dict[str, int]
    bloc_members: dict[str, tuple[int, ...]]
    gdp: np.ndarray  # (N,) USD bn
    pole_of: np.ndarray  # (N,) pole index or -1
    is_state: np.ndarray  # (N,) bool, False for Rest of World
    alignment0: np.ndarray  # (N, P)
    hedging: np.ndarray  # (N,)
    security_dependence: np.ndarray  # (N, P) 0-1
    security_provision0: np.ndarray  # (N, P) guarantee provided to i by pole p, 0-1
    sovereignty: np.ndarray  # (N,)
    elite_interest: np.ndarray  # (N,)
    compliance: np.ndarray  # (N,) compliance propensity 0-1 (0.5 neutral)
    risk_tolerance: np.ndarray  # (N,) 0-1 (0.5 risk-neutral)
    security_weight: np.ndarray  # (N,)
    alignment_weight: np.ndarray  # (N,)
    enforcement0: np.ndarray  # (N,)
    customs_union: np.ndarray  # (N, N) bool
    base_flows: np.ndarray  # (N, N, G) all baseline flows, USD bn/yr
    gravity_flows: np.ndarray  # (N, N, G) baseline minus route-carried cells
    route_carried: np.ndarray  # (N, G) bool: (shipper, good) set by routes, not gravity
    # routes
    route_unit: list[str]
    route_capacity0: np.ndarray  # (R,) unit/yr
    route_tariff0: np.ndarray  # (R,) USD/unit
    route_risk0: np.ndarray  # (R,) USD/unit
    route_dest: np.ndarray  # (R,) actor index
    route_buyers: np.ndarray  # (R, N) shares of delivered volume booked as each actor's imports
    route_transit: np.ndarray  # (R, N) bool
    route_fee_share: np.ndarray  # (R,)
    route_control: np.ndarray  # (R, P) share of control by pole (transit poles, else destination pole)
    # shipments
    ship_shipper: np.ndarray  # (S,)
    ship_good: np.ndarray  # (S,) good index or -1
    ship_volume0: np.ndarray  # (S,) unit/yr
    ship_growth: np.ndarray  # (S,) per year
    ship_value: np.ndarray  # (S,) USD/unit, inf if none
    ship_allowed: np.ndarray  # (S, R) bool
    paths: EconomyPaths | None = None  # monthly spending, price and volume factors
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.actors)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.actors), len(self.actors), len(self.goods))

    def members(self, name: str) -> tuple[int, ...]:
        """Actor indices behind an actor or bloc name."""
        if name in self.index:
            return (self.index[name],)
        return self.bloc_members[name]

    def pole_members(self) -> np.ndarray:
        """(N, P) bool: actor i embodies pole p."""
        out = np.zeros((self.n, len(self.poles)), dtype=bool)
        has = self.pole_of >= 0
        out[np.flatnonzero(has), self.pole_of[has]] = True
        return out


def _pole_vector(values: dict[str, float], pole_index: dict[str, int]) -> np.ndarray:
    v = np.zeros(len(pole_index))
    for k, x in values.items():
        v[pole_index[k]] = x
    return v


def build_world(spec: ScenarioSpec, base_flows: np.ndarray, params: Parameters | None = None) -> World:
    """Compile a validated scenario and its baseline flows (N, N, G) into a World."""
    params = params or spec.parameters
    actors = [a.name for a in spec.actors]
    goods = [g.name for g in spec.goods]
    poles = list(spec.poles)
    index = {a: i for i, a in enumerate(actors)}
    gidx = {g: i for i, g in enumerate(goods)}
    pidx = {p: i for i, p in enumerate(poles)}
    n, n_p = len(actors), len(poles)
    blocs = {b.name: tuple(index[m] for m in b.members) for b in spec.blocs}

    pole_of = np.array([pidx[a.pole] if a.pole else -1 for a in spec.actors], dtype=np.intp)
    gdp = np.array([a.gdp_usd_bn for a in spec.actors])
    customs = np.zeros((n, n), dtype=bool)
    provision = np.zeros((n, n_p))
    for b in spec.blocs:
        mem = np.array(blocs[b.name], dtype=np.intp)
        if b.kind == "customs_union":
            customs[np.ix_(mem, mem)] = True
        if b.kind == "security" and b.security_guarantee > 0:
            for m in mem:
                for q in mem:
                    if q != m and pole_of[q] >= 0:
                        provision[m, pole_of[q]] = max(provision[m, pole_of[q]], b.security_guarantee)
    np.fill_diagonal(customs, False)

    routes = [r.name for r in spec.routes]
    ridx = {r: i for i, r in enumerate(routes)}
    n_r = len(routes)
    transit = np.zeros((n_r, n), dtype=bool)
    control = np.zeros((n_r, n_p))
    buyers = np.zeros((n_r, n))
    for k, r in enumerate(spec.routes):
        for name, share in (r.buyers or {r.destination: 1.0}).items():
            buyers[k, index[name]] = share
        for t in r.transit:
            transit[k, index[t]] = True
        tpoles = {int(pole_of[index[t]]) for t in r.transit if pole_of[index[t]] >= 0}
        if not tpoles and pole_of[index[r.destination]] >= 0:
            tpoles = {int(pole_of[index[r.destination]])}
        for p in tpoles:
            control[k, p] = 1.0 / len(tpoles)

    goods_by_name = {g.name: g for g in spec.goods}
    n_s = len(spec.shipments)
    ship_allowed = np.zeros((n_s, n_r), dtype=bool)
    ship_value = np.full(n_s, np.inf)
    ship_good = np.full(n_s, -1, dtype=np.intp)
    route_carried = np.zeros((n, len(goods)), dtype=bool)
    for k, s in enumerate(spec.shipments):
        for r in s.routes:
            ship_allowed[k, ridx[r]] = True
        if s.good is not None:
            ship_good[k] = gidx[s.good]
            route_carried[index[s.shipper], gidx[s.good]] = True
            price = goods_by_name[s.good].price_usd_per_unit
            ship_value[k] = s.value_usd_per_unit or price or np.inf
        elif s.value_usd_per_unit is not None:
            ship_value[k] = s.value_usd_per_unit

    base = np.asarray(base_flows, dtype=float)
    gravity = base * ~route_carried[:, None, :]
    months = month_labels(spec.start, spec.end)

    world = World(
        spec=spec,
        params=params,
        months=months,
        actors=actors,
        goods=goods,
        poles=poles,
        routes=routes,
        shipments=[s.name for s in spec.shipments],
        index=index,
        good_index=gidx,
        route_index=ridx,
        pole_index=pidx,
        bloc_members=blocs,
        gdp=gdp,
        pole_of=pole_of,
        is_state=np.array([a.kind == "state" for a in spec.actors]),
        alignment0=np.array([_pole_vector(a.alignment, pidx) for a in spec.actors]),
        hedging=np.array([a.hedging_weight for a in spec.actors]),
        security_dependence=np.array([_pole_vector(a.security_dependence, pidx) for a in spec.actors]),
        security_provision0=provision,
        sovereignty=np.array([a.sovereignty_sensitivity for a in spec.actors]),
        elite_interest=np.array([a.elite_reexport_interest for a in spec.actors]),
        compliance=np.array([a.compliance_propensity for a in spec.actors]),
        risk_tolerance=np.array([a.risk_tolerance for a in spec.actors]),
        security_weight=np.array([a.security_weight for a in spec.actors]),
        alignment_weight=np.array([a.alignment_weight for a in spec.actors]),
        enforcement0=np.array([a.enforcement for a in spec.actors]),
        customs_union=customs,
        base_flows=base,
        gravity_flows=gravity,
        route_carried=route_carried,
        route_unit=[r.unit for r in spec.routes],
        route_capacity0=np.array([r.capacity_per_year for r in spec.routes], dtype=float),
        route_tariff0=np.array([r.tariff_usd_per_unit for r in spec.routes], dtype=float),
        route_risk0=np.array(
            [
                params.route_risk_premium_usd_per_unit.get(r.name, r.risk_premium_usd_per_unit)
                for r in spec.routes
            ],
            dtype=float,
        ),
        route_dest=np.array([index[r.destination] for r in spec.routes], dtype=np.intp),
        route_buyers=buyers,
        route_transit=transit,
        route_fee_share=np.array([r.transit_fee_share for r in spec.routes], dtype=float),
        route_control=control,
        ship_shipper=np.array([index[s.shipper] for s in spec.shipments], dtype=np.intp),
        ship_good=ship_good,
        ship_volume0=np.array([s.volume_per_year for s in spec.shipments], dtype=float),
        ship_growth=np.array([s.growth_per_year for s in spec.shipments], dtype=float),
        ship_value=ship_value,
        ship_allowed=ship_allowed,
        paths=build_paths(spec, len(months)),
    )
    world.extra.update(_derived(world))
    return world


def _derived(w: World) -> dict:
    """Lookup tables derived once from the arrays (cached for counterfactuals)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_s, n_r = w.ship_allowed.shape
    comps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if n_s and n_r:
        s_idx, r_idx = np.nonzero(w.ship_allowed)
        graph = coo_matrix((np.ones(len(s_idx)), (s_idx, n_s + r_idx)), shape=(n_s + n_r, n_s + n_r))
        _, label = connected_components(graph, directed=False)
        for r in range(n_r):
            lab = label[n_s + r]
            comps[r] = (np.flatnonzero(label[:n_s] == lab), np.flatnonzero(label[n_s:] == lab))
    ships_of = [np.flatnonzero(w.ship_shipper == i) for i in range(w.n)]
    coalition = None
    for b in w.spec.blocs:
        if b.kind == "sanctions_coalition":
            coalition = np.zeros(w.n, dtype=bool) if coalition is None else coalition
            coalition[list(w.bloc_members[b.name])] = True
    transit_of = [np.flatnonzero(w.route_transit[:, i]) for i in range(w.n)]
    # per transit state: (fee share, number of transit states) of each of its transit routes
    n_transit = np.maximum(w.route_transit.sum(axis=1), 1).astype(float)
    transit_share = [(w.route_fee_share[r], n_transit[r]) for r in transit_of]
    return {
        "route_components": comps,
        "ships_of": ships_of,
        "transit_routes_of": transit_of,
        "transit_share_of": transit_share,  # per actor: ((k,) fee shares, (k,) transit states)
        "ship_value_finite": np.where(np.isfinite(w.ship_value), w.ship_value, 0.0),
        "spend": w.gravity_flows.sum(axis=0),
        "pole_members": w.pole_members().astype(float),
        "rest_of_world": int(np.flatnonzero(~w.is_state)[0]),
        "coalition": coalition,  # (N,) bool members of a sanctions coalition, or None
    }

"""Compile a validated scenario into the core's World (the scenario layer's translation step).

The file schema (sim/scenario/schema.py, pydantic) stops here: actions become the core's
dataclasses (sim/core/actions.py) by their type tag, with the same field names, so a new action
type needs no code here; months become indices into the run's horizon; names become index maps
and numpy arrays (sim/core/world.py).
"""

from __future__ import annotations

import numpy as np

from sim.core.actions import Action, Bloc, Contingency, Decisions, Event, Hazard, MenuItem, action_from_dict
from sim.core.paths import EconomyPaths, gdp_index_levels, interpolate_levels, month_years
from sim.core.world import World, month_index, month_labels
from sim.params import Parameters
from sim.scenario import schema as S
from sim.scenario.schema import ScenarioSpec

__all__ = ["build_paths", "build_world", "compile_action"]


def compile_action(action: S.Action) -> Action:
    """The core's action for a validated schema action (nested demand actions included)."""
    return action_from_dict(action.model_dump())


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
        for route_name in s.routes:
            ship_allowed[k, ridx[route_name]] = True
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

    start = month_index(spec.start)

    def at(month: str | None) -> int | None:
        return None if month is None else month_index(month) - start

    dec = spec.decisions
    world = World(
        name=spec.name,
        seed=spec.seed,
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
        route_days=np.array([r.transit_days for r in spec.routes], dtype=float),
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
        ship_tariff_share=_tariff_shares(spec),
        dual_use=np.array([g.dual_use for g in spec.goods], dtype=bool),
        events=tuple(
            Event(month_index(e.date) - start, compile_action(e.action), e.name) for e in spec.events
        ),
        hazards=tuple(
            Hazard(h.name, h.rate_per_year, compile_action(h.action), at(h.active_from) or 0)
            for h in spec.hazards
        ),
        contingencies=tuple(
            Contingency(
                c.name,
                ridx[c.when.route],
                c.when.capacity_share_below,
                c.when.for_months,
                compile_action(c.action),
                c.max_times,
            )
            for c in spec.contingencies
            if c.enabled
        ),
        decisions=Decisions(
            enabled=dec.enabled,
            every_months=dec.every_months,
            start=at(dec.start) or 0,
            menus={
                name: tuple(
                    MenuItem(
                        m.name,
                        compile_action(m.action),
                        m.cooldown_months,
                        at(m.available_from),
                        at(m.available_until),
                    )
                    for m in items
                )
                for name, items in dec.menus.items()
            },
        ),
        blocs=tuple(
            Bloc(
                b.name,
                b.kind,
                tuple(b.members),
                dict(b.vote_weights) if b.vote_weights else None,
                b.threshold,
                b.internal_tariff,
                b.security_guarantee,
            )
            for b in spec.blocs
        ),
        paths=build_paths(spec, len(months)),
    )
    return world


def _series(spec: ScenarioSpec, kind: str) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    if spec.paths is not None:
        for row in spec.paths.series:
            if row.series == kind:
                out.setdefault(row.name, {})[row.year] = row.value
    return out


def build_paths(spec: ScenarioSpec, n_months: int) -> EconomyPaths:
    """Compile the scenario's time paths (or constant factors where none is given)."""
    at = month_years(spec.start, n_months)
    base_year = spec.trade.base_year
    last_year = int(at[-1]) + 1
    actors = [a.name for a in spec.actors]
    goods = list(spec.goods)
    gdp = np.ones((n_months, len(actors)))
    for name, growth in _series(spec, "real_gdp_growth").items():
        gdp[:, actors.index(name)] = interpolate_levels(gdp_index_levels(growth, base_year, last_year), at)
    price = np.ones((n_months, len(goods)))
    price_trade = np.ones((n_months, len(goods)))
    price_ref = np.ones(len(goods))
    prices = _series(spec, "price")
    for k, g in enumerate(goods):
        if g.name not in prices:
            continue
        levels = prices[g.name]
        path = interpolate_levels(levels, at)
        ref_year = g.price_year or base_year
        price[:, k] = path / interpolate_levels(levels, np.array([ref_year + 0.5]))[0]
        at_base = interpolate_levels(levels, np.array([base_year + 0.5]))[0]
        price_trade[:, k] = path / at_base
        price_ref[k] = interpolate_levels(levels, np.array([ref_year + 0.5]))[0] / at_base
    volumes = _series(spec, "volume")
    volume = np.empty((n_months, len(spec.shipments)))
    for k, s in enumerate(spec.shipments):
        if s.name in volumes:
            volume[:, k] = interpolate_levels(volumes[s.name], at)
        else:
            volume[:, k] = s.volume_per_year * (1.0 + s.growth_per_year) ** (np.arange(n_months) / 12.0)
    spend = gdp[:, :, None] * price_trade[:, None, :]
    return EconomyPaths(
        spend=spend, price=price, price_trade=price_trade, volume=volume, gdp_index=gdp, price_ref=price_ref
    )


def _tariff_shares(spec: ScenarioSpec) -> np.ndarray | None:
    """Each shipment's share of each route's tariff (S, R), or None when every shipment pays them whole."""
    if not any(s.tariff_share for s in spec.shipments):
        return None
    ridx = {r.name: k for k, r in enumerate(spec.routes)}
    shares = np.ones((len(spec.shipments), len(spec.routes)))
    for k, s in enumerate(spec.shipments):
        for route, share in s.tariff_share.items():
            shares[k, ridx[route]] = share
    return shares

"""Model counterparts of the calibration figures: metric name -> value from a run.

A figure's `metric` column is `name` or `name:argument`. Periods: a year 'YYYY'
is the mean of that year's monthly (annualised) values; 'YYYY-YYYY' spans years.
For trade flows, '2021' (the trade base year) is the model's base-year economy
(`economy.base_year_flows`: the 2021 matrix, route goods at 2021 prices, no
measures); for route metrics it is the pre-shock months of the run
(January-February 2022, before the first sanctions and outages). Growth figures
compare a year with the base-year flows: the time paths (GDP, prices) move the
run's own January 2022 away from the 2021 annual level.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.calibration.figures import Figure
from sim.core.economy import base_year_flows
from sim.core.recorder import RunOutput
from sim.core.world import World

PRE_SHOCK_MONTHS = ("2022-01", "2022-02")

Metric = Callable[[RunOutput, World, Figure, str], float]


def months_of(out: RunOutput, period: str) -> np.ndarray:
    """Boolean mask of the run months that a figure's period covers."""
    months = np.array(out.months)
    if period == "2021":
        return np.isin(months, PRE_SHOCK_MONTHS)
    if "-" in period and len(period) == 9:
        a, b = period.split("-")
        years = np.array([m[:4] for m in months]).astype(int)
        return (years >= int(a)) & (years <= int(b))
    return np.char.startswith(months, period)


def _mask(out: RunOutput, period: str) -> np.ndarray:
    sel = months_of(out, period)
    if not sel.any():
        raise ValueError(f"period {period!r} is outside the run {out.months[0]}..{out.months[-1]}")
    return sel


def _flows(out: RunOutput) -> np.ndarray:
    """The run's recorded flows (T, N, N, G), USD bn/yr; calibration runs always record them."""
    if out.flows is None:
        raise ValueError("the run did not record flows (record_flows=False)")
    return out.flows


def _actors(world: World, names: str) -> list[int]:
    return [world.index[n.strip()] for n in names.split("/")]


def period_flows(out: RunOutput, world: World, period: str) -> np.ndarray:
    """Mean flows (N, N, G) over a period, USD bn/yr; '2021' is the base-year economy."""
    if period == "2021":
        return base_year_flows(world)
    return _flows(out)[_mask(out, period)].mean(axis=0)


def _turnover(f: np.ndarray, a: list[int], p: list[int]) -> float:
    return float(f[a][:, p].sum() + f[p][:, a].sum())


def turnover(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Exports + imports between actor and partner, USD bn/yr."""
    a, p = _actors(world, fig.actor), _actors(world, fig.partner)
    return _turnover(period_flows(out, world, fig.period), a, p)


def turnover_growth(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Growth of actor-partner turnover over the base-year (2021) economy (fraction)."""
    a, p = _actors(world, fig.actor), _actors(world, fig.partner)
    base = _turnover(base_year_flows(world), a, p)
    return _turnover(period_flows(out, world, fig.period), a, p) / base - 1.0


def export_growth(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Growth of actor -> partner exports over the base-year (2021) economy (fraction)."""
    a, p = _actors(world, fig.actor), _actors(world, fig.partner)
    base = float(base_year_flows(world)[a][:, p].sum())
    return float(period_flows(out, world, fig.period)[a][:, p].sum()) / base - 1.0


def west_export_growth(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Growth of exports from the actors named in `actor` (e.g. EU/United States) to `partner`."""
    return export_growth(out, world, fig, arg)


def dual_use_exports(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Actor -> partner exports of the dual-use good(s), USD bn/yr (re-exports included)."""
    goods = [int(k) for k in np.flatnonzero(world.dual_use)]
    a, p = _actors(world, fig.actor), _actors(world, fig.partner)
    f = _flows(out)[_mask(out, fig.period)][:, a][:, :, p][..., goods]
    return float(f.sum(axis=(1, 2, 3)).mean())


def _crude_shipments(world: World, actor: str) -> list[int]:
    i = world.index[actor]
    return [s for s in range(len(world.shipments)) if world.ship_shipper[s] == i and world.ship_good[s] >= 0]


def oil_exports(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Shipped volume of the actor's route-carried goods shipments, unit/yr (Mt for crude)."""
    crude = [s for s in _crude_shipments(world, fig.actor) if world.goods[world.ship_good[s]] == "crude_oil"]
    sel = _mask(out, fig.period)
    return float(out.shipment_routes[sel][:, crude].sum(axis=(1, 2)).mean())


def route_kz_volume(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Actor's shipped volume on one or more routes ('A+B'), unit/yr."""
    routes = [world.route_index[r] for r in arg.split("+")]
    ships = [s for s in range(len(world.shipments)) if world.ship_shipper[s] == world.index[fig.actor]]
    sel = _mask(out, fig.period)
    return float(out.shipment_routes[sel][:, ships][:, :, routes].sum(axis=(1, 2)).mean())


def route_kz_share(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Share of the actor's crude exports carried by a route."""
    crude = [s for s in _crude_shipments(world, fig.actor) if world.goods[world.ship_good[s]] == "crude_oil"]
    sel = _mask(out, fig.period)
    routes = [world.route_index[r] for r in arg.split("+")]
    on = out.shipment_routes[sel][:, crude][:, :, routes].sum()
    return float(on / out.shipment_routes[sel][:, crude].sum())


def route_volume(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Total volume on a route, unit/yr."""
    return float(out.route_volume[_mask(out, fig.period), world.route_index[arg]].mean())


def shipment_volume(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """Shipped volume of a named shipment, unit/yr."""
    s = world.shipments.index(arg)
    return float(out.shipment_routes[_mask(out, fig.period), s].sum(axis=1).mean())


def leakage(out: RunOutput, world: World, fig: Figure, arg: str) -> float:
    """EBRD leakage (intermediated exports / fall in direct exports under export controls), period mean."""
    vals = out.leakage_share[_mask(out, fig.period)]
    return float(np.nanmean(vals)) if np.isfinite(vals).any() else 0.0


METRICS: dict[str, Metric] = {
    "turnover": turnover,
    "turnover_growth": turnover_growth,
    "export_growth": export_growth,
    "west_export_growth": west_export_growth,
    "dual_use_exports": dual_use_exports,
    "oil_exports": oil_exports,
    "route_kz_volume": route_kz_volume,
    "route_kz_share": route_kz_share,
    "route_volume": route_volume,
    "shipment_volume": shipment_volume,
    "leakage": leakage,
}


def model_value(out: RunOutput, world: World, fig: Figure) -> float:
    """The model's value of a figure's metric (same unit as the figure)."""
    name, _, arg = fig.metric.partition(":")
    return METRICS[name](out, world, fig, arg)

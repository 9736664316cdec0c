"""Exogenous time paths compiled to monthly arrays: spending, prices, offered volumes.

Method. The gravity layer is a CES/Armington demand system with a Cobb-Douglas
upper tier (sim/core/trade.py), so importer j's nominal spending on good g is a
constant real share of its income times the good's price:

    E[j, g](t) = E[j, g](base year) x Y_j(t) x p_g(t) / p_g(base year)

with Y_j the real GDP index (base year = 1, unit income elasticity) and p_g the
world price of g. Scaling an importer's spending scales every flow into (j, g)
in proportion (shares are unchanged), so the baseline flows of month t are the
base-year matrix times this factor; sanctions then act on top (trade.py).
Route-carried goods are valued at the good's price in month t relative to the
year the scenario's prices quote (`GoodSpec.price_year`). Offered volumes follow
a shipment's `volume` path (producers' plans), else its constant growth rate.

Annual values sit at mid-year; months in between are interpolated geometrically;
outside the given years, prices and volumes hold the nearest year's value and
GDP keeps growing at the nearest year's rate (rates between given years are
interpolated linearly).

Arrays: spend (T, N, G) factor, 1 = base-year spending; price (T, G) price
relative to the good's price year (netbacks); price_trade (T, G) relative to the
trade base year; volume (T, S) unit/yr.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import ScenarioSpec, month_index


@dataclass(frozen=True)
class EconomyPaths:
    """Monthly exogenous factors of a run (see module docstring for units)."""

    spend: np.ndarray  # (T, N, G)
    price: np.ndarray  # (T, G)
    price_trade: np.ndarray  # (T, G)
    volume: np.ndarray  # (T, S)
    gdp_index: np.ndarray  # (T, N) real GDP, base year = 1
    price_ref: np.ndarray  # (G,) price in the good's price year / price in the trade base year


def month_years(start: str, n_months: int) -> np.ndarray:
    """Fractional calendar year at the middle of each month (2022-01 -> 2022 + 0.5/12)."""
    first = month_index(start)
    m = first + np.arange(n_months)
    return m // 12 + (m % 12 + 0.5) / 12.0


def interpolate_levels(values: dict[int, float], at: np.ndarray) -> np.ndarray:
    """Geometric interpolation of annual levels anchored at mid-year; nearest level held outside."""
    years = np.array(sorted(values), dtype=float)
    logs = np.log([values[int(y)] for y in years])
    return np.exp(np.interp(at, years + 0.5, logs))


def gdp_index_levels(growth_pct: dict[int, float], base_year: int, last_year: int) -> dict[int, float]:
    """Real GDP index by year (base year = 1) from annual growth in %.

    Rates between given years are interpolated linearly; the first and last rates are held outside.
    """
    years = sorted(growth_pct)
    lo = min(years[0] - 1, base_year)
    hi = max(years[-1], last_year) + 1
    span = np.arange(lo, hi + 1)
    interp = np.interp(span, years, [growth_pct[y] for y in years]) / 100.0
    rate = {int(y): float(r) for y, r in zip(span, interp, strict=True)}
    level = {base_year: 1.0}
    for y in range(base_year + 1, hi + 1):
        level[y] = level[y - 1] * (1.0 + rate[y])
    for y in range(base_year - 1, lo - 1, -1):
        level[y] = level[y + 1] / (1.0 + rate[y + 1])
    return level


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

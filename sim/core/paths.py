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


@dataclass(frozen=True)
class EconomyPaths:
    """Monthly exogenous factors of a run (see module docstring for units)."""

    spend: np.ndarray  # (T, N, G)
    price: np.ndarray  # (T, G)
    price_trade: np.ndarray  # (T, G)
    volume: np.ndarray  # (T, S)
    gdp_index: np.ndarray  # (T, N) real GDP, base year = 1
    price_ref: np.ndarray  # (G,) price in the good's price year / price in the trade base year


def month_index(month: str) -> int:
    """Months since year 0 for a 'YYYY-MM' string (its form is checked by the scenario schema)."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_labels(start: str, end: str) -> list[str]:
    """All months 'YYYY-MM' from start to end inclusive."""
    a, b = month_index(start), month_index(end)
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(a, b + 1)]


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

"""Plots of a comparison: median delta per month with its 10-90 % band and the mean delta,
beside the cumulative mean delta (`plot_deltas`), and the report's set of figures (`PLOTS`,
`comparison_figures`, only those with something to show: `plot_stems`). Intermittent effects
(random outages) can leave the median at 0 in every month while the mean and the cumulative
delta show them. The time axis starts CONTEXT_MONTHS before the first month in which a plotted
item differs; shares (0-1) are drawn in percentage points and not summed over months. Legend
labels come from sim.outcome_labels. matplotlib is imported when a figure is drawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.compare.paired import Comparison
from sim.outcome_labels import ZERO_TOL, short_label
from sim.results.tables import month_dates

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PLOTS: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    ("delta_trade_pole", "{focus}: trade by partner pole", [("trade_pole", None)]),
    ("delta_trade_partner", "{focus}: trade by partner", [("trade_partner", None)]),
    (
        "delta_exports_by_route",
        "{focus}: route exports and volume lost",
        [("exports_by_route", None)],
    ),
    (
        "delta_reexports_lost",
        "{focus}: re-exports, lost route exports, net welfare",
        [
            ("indicators", "reexports_usd_bn"),
            ("indicators", "lost_exports_usd_bn"),
            ("indicators", "net_welfare_usd_bn"),
            ("indicators", "exports_usd_bn"),
        ],
    ),
    (
        "delta_dependence",
        "{focus}: dependence on poles and multi-vector index",
        [("dependence", None), ("indicators", "multivector_index")],
    ),
    ("delta_alignment", "{focus}: alignment with poles", [("alignment", None)]),
    ("delta_reexports_by_state", "Re-exports of sanctioned goods through each state", [("reexports", None)]),
    ("delta_route_volume", "Route volumes, all shippers", [("route_volume", None)]),
]
"""Comparison plots: (file stem, title, [(group, item or None for the whole group)])."""

MAX_LINES = 8
CONTEXT_MONTHS = 6
"""Months drawn before the first month in which a plotted item differs."""
SHARE_UNITS = frozenset({"0-1"})
"""Units of shares, drawn as percentage points (x 100) and not summed over months."""


def _selected(cmp: Comparison, picks: list[tuple[str, str | None]]) -> pd.DataFrame:
    parts = []
    for group, item in picks:
        rows = cmp.bands[cmp.bands["group"] == group]
        parts.append(rows if item is None else rows[rows["item"] == item])
    return pd.concat(parts, ignore_index=True)


def _moving(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of the items whose band or median differs from 0 in some month."""
    band = rows[["delta_p10", "delta_p50", "delta_p90", "delta_mean"]].abs().to_numpy() >= ZERO_TOL
    moves = pd.Series(band.any(axis=1), index=rows.index).groupby(rows["item"], sort=False).transform("any")
    return rows[moves.astype(bool)]


def _first_month(rows: pd.DataFrame, months: list[str]) -> int:
    """Index of the first month drawn: CONTEXT_MONTHS before the first month with a delta."""
    band = rows[["delta_p10", "delta_p50", "delta_p90", "delta_mean"]].abs().to_numpy() >= ZERO_TOL
    hit = set(rows.loc[band.any(axis=1), "month"])
    first = next((k for k, m in enumerate(months) if m in hit), 0)
    return max(0, first - CONTEXT_MONTHS)


def _as_points(rows: pd.DataFrame) -> pd.DataFrame:
    """Shares (0-1) in percentage points ('pp')."""
    share = rows["unit"].isin(SHARE_UNITS).to_numpy()
    if not share.any():
        return rows
    rows = rows.copy()
    cols = [c for c in rows.columns if c.startswith("delta_")]
    rows.loc[share, cols] = rows.loc[share, cols] * 100.0
    rows.loc[share, "unit"] = "pp"
    return rows


def plot_deltas(cmp: Comparison, title: str, picks: list[tuple[str, str | None]]) -> Figure:
    """Left: median delta (solid), 10-90 % band (shaded) and mean delta (dotted) per month, one
    panel per unit. Right: the cumulative mean delta from the first month (for per-year rates:
    sum of monthly deltas / 12, in the unit without '/yr'; counts per month: their sum; shares are
    not summed). At most MAX_LINES items per panel (the largest |median| or |mean| delta). Items
    and units that never differ are left out; the axis starts CONTEXT_MONTHS before the first
    difference."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = _moving(_selected(cmp, picks))
    months = cmp.months[_first_month(rows, cmp.months) :] if len(rows) else cmp.months
    rows = _as_points(rows[rows["month"].isin(set(months))])
    units = list(dict.fromkeys(rows["unit"]))
    fig = Figure(figsize=(13.0, 1.3 + 3.0 * max(1, len(units))), layout="constrained")
    FigureCanvasAgg(fig)
    reps = cmp.replications
    fig.suptitle(
        f"{title}\ndelta = {cmp.b.label} - {cmp.a.label} ({reps} paired replication"
        f"{'s' if reps != 1 else ''}; solid: median, band: 10-90 %, dotted: mean; right: cumulative mean)",
        fontsize="medium",
    )
    axes = fig.subplots(max(1, len(units)), 2, sharex=True, squeeze=False, width_ratios=[3, 2])
    dates = month_dates(months)
    edges = dates.append(pd.DatetimeIndex([dates[-1] + pd.offsets.MonthBegin(1)]))
    for (ax, cum_ax), unit in zip(axes, units or [""], strict=True):
        items = _panel(ax, rows[rows["unit"] == unit], unit, edges, months)
        _cumulative(cum_ax, rows[rows["unit"] == unit], items, unit, dates, months)
    return fig


def cumulative_unit(unit: str) -> tuple[str, float]:
    """(unit of the cumulative delta, factor on the sum of monthly values): rates per year are
    summed over months / 12 (USD bn/yr -> USD bn), counts per month are summed (actions/month ->
    actions); shares and points are levels, not summed ('' : no cumulative panel)."""
    if unit.endswith("/yr"):
        return unit.removesuffix("/yr"), 1.0 / 12.0
    if unit.endswith("/month"):
        return unit.removesuffix("/month"), 1.0
    return "", 0.0


def _cumulative(
    ax: Axes, rows: pd.DataFrame, items: list[str], unit: str, dates: pd.DatetimeIndex, months: list[str]
) -> None:
    """Cumulative mean delta per item (the same items and colours as the left panel)."""
    import matplotlib.dates as mdates

    cum_unit, factor = cumulative_unit(unit)
    if not cum_unit:
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"{unit or 'levels'}: a level, not summed over months",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="0.4",
            fontsize="small",
        )
        return
    ax.axhline(0.0, color="0.5", lw=0.8)
    for k, item in enumerate(items):
        g = rows[rows["item"] == item].set_index("month").reindex(months)
        ax.plot(dates, np.cumsum(g["delta_mean"].fillna(0.0).to_numpy()) * factor, color=f"C{k % 10}", lw=1.6)
    ax.set_ylabel(f"cumulative mean delta ({cum_unit})", fontsize="small")
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(True, alpha=0.3)


def _panel(ax: Axes, rows: pd.DataFrame, unit: str, edges: pd.DatetimeIndex, months: list[str]) -> list[str]:
    """One panel: a step line per item over month edges (each month's value held for the month);
    returns the items drawn."""
    import matplotlib.dates as mdates

    size = rows.groupby("item", sort=False)["delta_p50"].apply(lambda x: float(x.abs().max()))
    size = size + rows.groupby("item", sort=False)["delta_mean"].apply(lambda x: float(x.abs().max()))
    spread = rows.groupby("item", sort=False)["delta_p90"].apply(lambda x: float(x.abs().max()))
    items = (size + 1e-6 * spread).sort_values(ascending=False, kind="stable").index[:MAX_LINES]
    ax.axhline(0.0, color="0.5", lw=0.8)
    for k, item in enumerate(items):
        g = rows[rows["item"] == item].set_index("month").reindex(months)

        def held(col: str, g: pd.DataFrame = g) -> np.ndarray:
            v = g[col].to_numpy()
            return np.append(v, v[-1])

        colour = f"C{k % 10}"
        ax.fill_between(
            edges, held("delta_p10"), held("delta_p90"), step="post", color=colour, alpha=0.2, lw=0
        )
        ax.step(edges, held("delta_p50"), where="post", color=colour, lw=1.6, label=_legend(rows, str(item)))
        ax.step(edges, held("delta_mean"), where="post", color=colour, lw=1.0, ls=":")
    ax.set_ylabel(f"delta ({unit})" if unit else "delta")
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=12))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(True, alpha=0.3)
    if len(items):
        ax.legend(loc="upper left", frameon=False, fontsize="x-small", ncols=2)
    return [str(i) for i in items]


def _legend(rows: pd.DataFrame, item: str) -> str:
    group = str(rows.loc[rows["item"] == item, "group"].iloc[0])
    return short_label(item) if group == "indicators" else item


def plot_stems(cmp: Comparison) -> list[str]:
    """The `PLOTS` stems with at least one item that differs (the others would be empty)."""
    return [stem for stem, _, picks in PLOTS if len(_moving(_selected(cmp, picks)))]


def comparison_figures(cmp: Comparison) -> dict[str, Figure]:
    """The `PLOTS` figures of a comparison that have something to show, keyed by file stem."""
    keep = set(plot_stems(cmp))
    return {
        stem: plot_deltas(cmp, title.format(focus=cmp.focus), picks)
        for stem, title, picks in PLOTS
        if stem in keep
    }


__all__ = ["CONTEXT_MONTHS", "MAX_LINES", "PLOTS", "comparison_figures", "plot_deltas", "plot_stems"]

"""Plots of a comparison: median delta per month with its 10-90 % band (`plot_deltas`), and
the report's set of figures (`PLOTS`, `comparison_figures`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.compare.paired import Comparison
from sim.results.tables import month_dates

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


def _selected(cmp: Comparison, picks: list[tuple[str, str | None]]) -> pd.DataFrame:
    parts = []
    for group, item in picks:
        rows = cmp.bands[cmp.bands["group"] == group]
        parts.append(rows if item is None else rows[rows["item"] == item])
    return pd.concat(parts, ignore_index=True)


def _moving(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of the items whose band or median differs from 0 in some month."""
    band = rows[["delta_p10", "delta_p50", "delta_p90"]].abs().to_numpy() > 0
    moves = pd.Series(band.any(axis=1), index=rows.index).groupby(rows["item"], sort=False).transform("any")
    return rows[moves.astype(bool)]


def plot_deltas(cmp: Comparison, title: str, picks: list[tuple[str, str | None]]) -> Figure:
    """Median delta (line) and 10-90 % band (shaded) per month, one panel per unit; at most
    MAX_LINES items per panel (the largest |median delta|). Items and units that never differ
    are left out ("no difference" if nothing does)."""
    rows = _moving(_selected(cmp, picks))
    units = list(dict.fromkeys(rows["unit"]))
    fig = Figure(figsize=(10.0, 1.2 + 3.0 * max(1, len(units))), layout="constrained")
    FigureCanvasAgg(fig)
    reps = cmp.replications
    fig.suptitle(
        f"{title}\ndelta = {cmp.b.label} - {cmp.a.label} ({reps} paired replication"
        f"{'s' if reps != 1 else ''}; line: median, band: 10-90 %)",
        fontsize="medium",
    )
    axes = fig.subplots(max(1, len(units)), 1, sharex=True, squeeze=False)[:, 0]
    dates = month_dates(cmp.months)
    edges = dates.append(pd.DatetimeIndex([dates[-1] + pd.offsets.MonthBegin(1)]))
    for ax, unit in zip(axes, units or [""], strict=True):
        _panel(ax, rows[rows["unit"] == unit], unit, edges, cmp.months)
    return fig


def _panel(ax: Axes, rows: pd.DataFrame, unit: str, edges: pd.DatetimeIndex, months: list[str]) -> None:
    """One panel: a step line per item over month edges (each month's value held for the month)."""
    import matplotlib.dates as mdates

    size = rows.groupby("item", sort=False)["delta_p50"].apply(lambda x: float(x.abs().max()))
    spread = rows.groupby("item", sort=False)["delta_p90"].apply(lambda x: float(x.abs().max()))
    items = (size + 1e-6 * spread).sort_values(ascending=False, kind="stable").index[:MAX_LINES]
    ax.axhline(0.0, color="0.5", lw=0.8)
    if len(items) == 0:
        ax.text(0.5, 0.5, "no difference", ha="center", va="center", transform=ax.transAxes, color="0.4")
    for k, item in enumerate(items):
        g = rows[rows["item"] == item].set_index("month").reindex(months)

        def held(col: str, g: pd.DataFrame = g) -> np.ndarray:
            v = g[col].to_numpy()
            return np.append(v, v[-1])

        colour = f"C{k % 10}"
        ax.fill_between(
            edges, held("delta_p10"), held("delta_p90"), step="post", color=colour, alpha=0.2, lw=0
        )
        ax.step(edges, held("delta_p50"), where="post", color=colour, lw=1.6, label=str(item))
    ax.set_ylabel(f"delta ({unit})" if unit else "delta")
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=12))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(True, alpha=0.3)
    if len(items):
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize="small")


def comparison_figures(cmp: Comparison) -> dict[str, Figure]:
    """The `PLOTS` figures of a comparison, keyed by file stem."""
    return {stem: plot_deltas(cmp, title.format(focus=cmp.focus), picks) for stem, title, picks in PLOTS}


__all__ = ["MAX_LINES", "PLOTS", "comparison_figures", "plot_deltas"]

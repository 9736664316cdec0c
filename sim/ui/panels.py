"""What the workbench's panels show, as tables and matplotlib figures (no Solara here).

Inputs are a `Comparison` (bands over paired replications; `sim.compare`) and the tables of
one run (`sim.results.tables`, for the decision inspector). Shares and utilisation are
ratios of the comparison's own series (median over replications); nothing is recomputed
from the model.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.ui.adapter import decision_terms

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.compare import Comparison

TOTAL = "total"


DPI = 80  # the page shows the PNGs at about this size; more costs render time on 2 cores


def _figure(width: float = 7.5, height: float = 3.4) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _dates(months: list[str]) -> np.ndarray:
    """Months 'YYYY-MM' as fractional years (a plain numeric axis: cheaper than date ticks)."""
    return np.array([int(m[:4]) + (int(m[5:7]) - 1) / 12.0 for m in months])


ZERO = 1e-9  # |values| below this print as 0: floating-point noise of differences, not a result


def fmt(x: float) -> str:
    """Three significant digits; |x| below ZERO as a signless 0."""
    if not np.isfinite(x):
        return "n/a"
    return "0" if abs(x) < ZERO else f"{x:.3g}"


def html_table(df: pd.DataFrame) -> str:
    """A small HTML table (numbers to three significant digits)."""
    pad = "padding:2px 10px 2px 0;text-align:left;border-bottom:1px solid #ddd"
    head = "".join(f'<th style="{pad}">{html.escape(str(c))}</th>' for c in df.columns)
    rows = []
    for _, r in df.iterrows():
        cells = "".join(f'<td style="{pad}">{_cell(v)}</td>' for v in r)
        rows.append(f"<tr>{cells}</tr>")
    return (
        '<table class="mvsim-table" style="border-collapse:collapse;font-size:13px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(v: object) -> str:
    if isinstance(v, int | float | np.number) and not isinstance(v, bool):
        return fmt(float(v))
    return html.escape(str(v))


# ----------------------------------------------------------------------------- partner shares
def partner_shares(cmp: Comparison, side: str = "b") -> pd.DataFrame:
    """Month x pole share of the focus actor's trade (median trade by pole / median total)."""
    t = cmp.table("trade_pole", f"{side}_p50")
    if TOTAL not in t.columns:
        raise KeyError("the comparison has no trade by pole (run without flows?)")
    total = t[TOTAL].replace(0.0, np.nan)
    return t.drop(columns=TOTAL).div(total, axis=0).fillna(0.0)


def partner_shares_figure(cmp: Comparison) -> Figure:
    fig = _figure()
    ax = fig.subplots()
    a, b = partner_shares(cmp, "a"), partner_shares(cmp, "b")
    x = _dates(cmp.months)
    for i, pole in enumerate(b.columns):
        color = f"C{i}"
        ax.plot(x, b[pole], color=color, label=pole)
        ax.plot(x, a[pole], color=color, ls="--", lw=0.9)
    ax.set_ylabel("share of trade")
    ax.set_title(
        f"{cmp.focus}: partner shares by pole ({cmp.b.label} solid, {cmp.a.label} dashed)", fontsize=9
    )
    ax.legend(fontsize=7, ncol=3)
    return fig


# ----------------------------------------------------------------------------- routes
def route_utilisation(cmp: Comparison, side: str = "b") -> pd.DataFrame:
    """Month x route utilisation (median volume / median usable capacity; routes with capacity)."""
    vol = cmp.table("route_volume", f"{side}_p50")
    cap = cmp.table("route_capacity", f"{side}_p50").reindex(columns=vol.columns)
    util = vol / cap.where(cap > 0)
    return util.loc[:, util.notna().any()]


def route_summary(cmp: Comparison) -> pd.DataFrame:
    """Per route: mean utilisation in A and in B over the horizon, and the change."""
    a, b = route_utilisation(cmp, "a"), route_utilisation(cmp, "b")
    routes = list(dict.fromkeys([*b.columns, *a.columns]))
    out = pd.DataFrame(
        {
            "route": routes,
            "A utilisation": [float(a[r].mean()) if r in a else np.nan for r in routes],
            "B utilisation": [float(b[r].mean()) if r in b else np.nan for r in routes],
        }
    )
    out["change"] = out["B utilisation"] - out["A utilisation"]
    return out


def route_utilisation_figure(cmp: Comparison, ncols: int = 4) -> Figure:
    """Small multiples: one panel per route with capacity, utilisation (volume / usable
    capacity) of B solid and A dashed, median over replications; shared axes."""
    b, a = route_utilisation(cmp, "b"), route_utilisation(cmp, "a")
    routes = list(dict.fromkeys([*b.columns, *a.columns]))
    n = max(len(routes), 1)
    nrows = -(-n // ncols)
    fig = _figure(9.0, 0.6 + 1.45 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()
    x = _dates(cmp.months)
    top = max(1.05, float(np.nanmax([b.max().max(), a.max().max(), 0.0])) * 1.05)
    for ax, r in zip(axes, routes, strict=False):
        if r in a:
            ax.plot(x, a[r], color="0.45", ls="--", lw=0.9)
        if r in b:
            ax.plot(x, b[r], color="C0", lw=1.2)
        ax.set_title(r, fontsize=7.5, pad=2)
        ax.set_ylim(0.0, top)
        ax.tick_params(labelsize=6.5)
        ax.grid(color="0.92", lw=0.5)
    for ax in axes[len(routes) :]:
        ax.set_visible(False)
    for ax in axes[::ncols]:
        ax.set_ylabel("volume / cap.", fontsize=7)
    fig.suptitle(
        f"Route utilisation: {cmp.b.label} solid, {cmp.a.label} dashed (median over replications)",
        fontsize=9,
    )
    return fig


def outcome_figure(
    cmp: Comparison, group: str, item: str, label: str, unit: str, start: str, end: str, context: int = 3
) -> Figure:
    """Median delta (B - A) of one outcome per month with its 10-90 % band, over the window
    [start, end] (shaded) and `context` months either side."""
    fig = _figure()
    ax = fig.subplots()
    i0 = max(cmp.months.index(start) - context, 0)
    i1 = min(cmp.months.index(end) + context, len(cmp.months) - 1)
    months = cmp.months[i0 : i1 + 1]
    x = _dates(months)
    mid, lo, hi = (cmp.table(group, c)[item].reindex(months) for c in ("delta_p50", "delta_p10", "delta_p90"))
    ax.axvspan(_dates([start])[0], _dates([end])[0] + 1 / 12, color="#f3e9c6", lw=0, label="window")
    ax.fill_between(x, lo, hi, color="C0", alpha=0.25, lw=0, step="post", label="10-90 % band")
    ax.step(x, mid, where="post", color="C0", label="median")
    ax.axhline(0.0, color="0.5", lw=0.6)
    ax.set_ylabel(f"delta, {unit}")
    ax.set_xlabel("year (months from the left edge of each step)")
    ax.set_title(f"{label}: {cmp.b.label} - {cmp.a.label}, {start}..{end}", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


# ----------------------------------------------------------------------------- alignment and deltas
def alignment_change(cmp: Comparison) -> pd.DataFrame:
    """Per pole: the focus actor's alignment delta (B - A) in the last month, median and band."""
    s = cmp.summary[cmp.summary["group"] == "alignment"]
    return pd.DataFrame(
        {
            "pole": s["item"].to_numpy(),
            "A mean": s["a_mean"].to_numpy(),
            "delta end": s["delta_end"].to_numpy(),
            "p10": s["delta_end_p10"].to_numpy(),
            "p90": s["delta_end_p90"].to_numpy(),
            "delta mean": s["delta_mean"].to_numpy(),
        }
    )


def band_figure(cmp: Comparison, group: str, items: list[str] | None = None, title: str = "") -> Figure:
    """Median delta (B - A) per month with the 10-90 % band, one line per item."""
    fig = _figure()
    ax = fig.subplots()
    x = _dates(cmp.months)
    mid, lo, hi = (cmp.table(group, c) for c in ("delta_p50", "delta_p10", "delta_p90"))
    for i, item in enumerate(items or list(mid.columns)):
        ax.plot(x, mid[item], color=f"C{i % 10}", label=item)
        ax.fill_between(x, lo[item], hi[item], color=f"C{i % 10}", alpha=0.2, lw=0)
    ax.axhline(0.0, color="0.5", lw=0.6)
    unit = cmp.bands.loc[cmp.bands["group"] == group, "unit"].iloc[0]
    ax.set_ylabel(f"delta, {unit}")
    ax.set_title(
        title or f"{group}: delta = {cmp.b.label} - {cmp.a.label}, median and 10-90 % band", fontsize=9
    )
    ax.legend(fontsize=7, ncol=2)
    return fig


def indicator_items(cmp: Comparison) -> list[str]:
    return list(dict.fromkeys(cmp.series.loc[cmp.series["group"] == "indicators", "item"]))


def delta_summary(cmp: Comparison, group: str = "indicators") -> pd.DataFrame:
    """Per item of a group: A and B means, and the mean delta with its 10-90 % band."""
    s = cmp.summary[cmp.summary["group"] == group]
    return pd.DataFrame(
        {
            "item": s["item"].to_numpy(),
            "unit": s["unit"].to_numpy(),
            "A mean": s["a_mean"].to_numpy(),
            "B mean": s["b_mean"].to_numpy(),
            "delta mean": s["delta_mean"].to_numpy(),
            "p10": s["delta_mean_p10"].to_numpy(),
            "p90": s["delta_mean_p90"].to_numpy(),
        }
    )


# ----------------------------------------------------------------------------- one run, one month
def run_month(tables: dict[str, pd.DataFrame], focus: str, month: str) -> dict[str, Any]:
    """One month of one run: route volume, capacity and unit per route, and the focus
    actor's indicators (actor_month columns) in that month."""
    r = tables["routes"]
    r = r[r["month"].astype(str) == month]
    am = tables["actor_month"]
    row = am[(am["actor"] == focus) & (am["month"].astype(str) == month)]
    return {
        "volume": dict(zip(r["route"], r["volume_per_year"].astype(float), strict=True)),
        "capacity": dict(zip(r["route"], r["capacity_per_year"].astype(float), strict=True)),
        "unit": dict(zip(r["route"], r["unit"] + "/yr", strict=True)),
        "actor": row.iloc[0].to_dict() if len(row) else {},
    }


def run_months(tables: dict[str, pd.DataFrame]) -> list[str]:
    return list(dict.fromkeys(tables["routes"]["month"].astype(str)))


# ----------------------------------------------------------------------------- decisions
def decision_actors(decisions: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(decisions["actor"].astype(str)))


def decision_months(decisions: pd.DataFrame, actor: str) -> list[str]:
    """Months in which `actor` decided (chose among candidates)."""
    return sorted(set(decisions.loc[decisions["actor"] == actor, "month"].astype(str)))


def decision_table(decisions: pd.DataFrame, actor: str, month: str) -> pd.DataFrame:
    """The candidates of one decision: chosen flag, probability, utility and every term."""
    rows = decisions[(decisions["actor"] == actor) & (decisions["month"].astype(str) == month)]
    terms = decision_terms(decisions)
    out = rows[["candidate", "chosen", "probability", "utility", *terms]].copy()
    out["chosen"] = np.where(out["chosen"].astype(bool), "yes", "")
    return out.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)


def decision_figure(table: pd.DataFrame, terms: list[str], title: str) -> Figure:
    """Utility terms per candidate (stacked bars; the dot marks the total utility)."""
    fig = _figure(6.4, 0.5 + 0.35 * max(len(table), 2))
    ax = fig.subplots()
    y = np.arange(len(table))
    pos, neg = np.zeros(len(table)), np.zeros(len(table))
    for i, t in enumerate(terms):
        v = table[t].to_numpy(dtype=float)
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=f"C{i % 10}", label=t)
        pos, neg = pos + np.clip(v, 0, None), neg + np.clip(v, None, 0)
    ax.plot(table["utility"].to_numpy(dtype=float), y, "ko", ms=4, label="utility")
    ax.set_yticks(
        y, [f"{c} ({fmt(p)})" for c, p in zip(table["candidate"], table["probability"], strict=True)]
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.invert_yaxis()
    ax.axvline(0.0, color="0.5", lw=0.6)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, ncol=5, loc="lower right")
    return fig


__all__ = [
    "alignment_change",
    "band_figure",
    "decision_actors",
    "decision_figure",
    "decision_months",
    "decision_table",
    "delta_summary",
    "html_table",
    "indicator_items",
    "outcome_figure",
    "partner_shares",
    "partner_shares_figure",
    "route_summary",
    "route_utilisation",
    "route_utilisation_figure",
    "run_month",
    "run_months",
]

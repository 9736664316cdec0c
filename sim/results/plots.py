"""PNG plots of one run, drawn from its tables (see sim.results.tables).

Figures are plain `matplotlib.figure.Figure` objects rendered by the Agg canvas:
pyplot is never used, so nothing is shown, no global figure state is kept and
importing this module does not change the matplotlib backend of the caller.
Each plot function takes `(tables, focus)` and returns a Figure. matplotlib is
imported when a plot is drawn, not when this module is imported (`mvsim run
--no-plots` never loads it). In a notebook a returned Figure displays itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.results.summary import consequential_actions
from sim.results.tables import focus_shipments, month_dates, partner_shares, poles_of, resolve_focus

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

DPI = 110
TOP_PARTNERS = 6
ALIGNMENT_LABELS = 8
LABEL_LEVELS = 3
REPEAT_LABEL_MONTHS = 12
ACCIDENT = "(no actor)"
KIND_STYLE: dict[str, tuple[str, str]] = {  # kind -> (marker, colour)
    "event": ("o", "tab:blue"),
    "hazard": ("X", "tab:orange"),
    "decision": ("^", "tab:green"),
    "penalty": ("s", "tab:red"),
    "rule": ("D", "tab:purple"),
    "threat": ("v", "tab:brown"),
}


def _figure(width: float = 10.0, height: float = 5.0) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _line(**kw: Any) -> Line2D:
    from matplotlib.lines import Line2D

    return Line2D([], [], **kw)


def _date_axis(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(True, alpha=0.3)


def _year_axis(ax: Axes) -> None:
    """Year ticks (for narrow panels)."""
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.YearLocator(base=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(True, alpha=0.3)


def _month_edges(months: pd.Series | list[str]) -> pd.DatetimeIndex:
    """Month start dates plus the start of the month after the last: bin edges for stairs."""
    dates = month_dates(months)
    return dates.append(pd.DatetimeIndex([dates[-1] + pd.offsets.MonthBegin(1)]))


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def _involving(events: pd.DataFrame, actor: str) -> pd.DataFrame:
    """Events acted by `actor` or targeting it."""
    targets = events["target"].str.split(", ")
    hit = (events["actor"] == actor) | targets.map(lambda ts: actor in ts)
    return events[hit.astype(bool)]


def plot_partner_shares(tables: Mapping[str, pd.DataFrame], focus: str | None = None) -> Figure:
    """Stacked area of the focus actor's partner shares of total trade (exports + imports), in %."""
    focus = resolve_focus(tables, focus)
    fig = _figure()
    ax = fig.add_subplot()
    ax.set_title(f"{focus}: partner shares of total trade (exports + imports, % of USD bn/yr)")
    if "flows" not in tables:
        _empty(ax, "bilateral flows were not recorded for this run")
        return fig
    shares = partner_shares(tables, focus)
    order = shares.mean().sort_values(ascending=False, kind="stable").index
    top = [p for p in order[:TOP_PARTNERS] if shares[p].max() > 0]
    rest = [p for p in shares.columns if p not in top]
    data = shares[top].copy()
    if rest and shares[rest].to_numpy().sum() > 0:
        data["other"] = shares[rest].sum(axis=1)
    if data.empty or data.shape[1] == 0:
        _empty(ax, f"{focus} has no recorded trade")
        return fig
    dates = month_dates(shares.index)
    ax.stackplot(dates, (data.to_numpy() * 100.0).T, labels=list(data.columns), alpha=0.85)
    ax.set_ylabel("share of total trade (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(dates[0], dates[-1])
    _date_axis(ax)
    handles, labels = ax.get_legend_handles_labels()  # legend top-down like the stack
    ax.legend(
        handles[::-1],
        labels[::-1],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        title="partner",
        frameon=False,
    )
    return fig


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of consecutive True runs."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


ROUTE_COLUMNS = 3


def _focus_route_volume(tables: Mapping[str, pd.DataFrame], focus: str) -> pd.DataFrame:
    """Month x route volume shipped by `focus`'s shipments (unit/yr); empty if unknown."""
    ships = tables.get("shipments")
    if ships is None or ships.empty:
        return pd.DataFrame()
    mine = ships[ships["shipment"].isin(set(focus_shipments(tables, focus)))]
    return mine.pivot_table(
        index="month", columns="route", values="shipped_per_year", aggfunc="sum", fill_value=0.0
    )


def plot_route_utilisation(tables: Mapping[str, pd.DataFrame], focus: str | None = None) -> Figure:
    """Small multiples, one panel per route: volume of all shippers (filled), the focus actor's
    own volume (darker fill) and capacity (dashed), in the route's unit per year; months with
    capacity below its previous maximum (outages, disruptions) are shaded."""
    focus = resolve_focus(tables, focus)
    routes = tables["routes"]
    names = list(dict.fromkeys(routes["route"].tolist()))
    ncols = min(ROUTE_COLUMNS, max(1, len(names)))
    nrows = max(1, -(-len(names) // ncols))
    fig = _figure(4.0 * ncols + 1.0, 1.2 + 2.4 * nrows)
    fig.suptitle(f"Routes: volume of all shippers vs capacity, with {focus}'s own volume (unit/yr per panel)")
    if not names:
        _empty(fig.add_subplot(), "no routes in this scenario")
        return fig
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).reshape(-1)
    mine = _focus_route_volume(tables, focus)
    for ax, route in zip(axes, names, strict=False):
        rows = routes[routes["route"] == route]
        unit = str(rows["unit"].iloc[0])
        edges = _month_edges(rows["month"])
        cap = rows["capacity_per_year"].to_numpy()
        vol = rows["volume_per_year"].to_numpy()
        own = (
            mine[route].reindex(rows["month"]).fillna(0.0).to_numpy()
            if route in mine.columns
            else np.zeros(len(rows))
        )
        ax.stairs(vol, edges, fill=True, color="tab:blue", alpha=0.3, label="all shippers")
        if own.any():
            ax.stairs(own, edges, fill=True, color="tab:blue", alpha=0.75, label=focus)
        ax.stairs(cap, edges, color="0.2", lw=1.1, ls="--", baseline=None, label="capacity")
        outage = cap < np.maximum.accumulate(cap) * (1.0 - 1e-9)
        for a, b in _runs(outage):
            ax.axvspan(edges[a], edges[b], color="tab:red", alpha=0.12, lw=0)
        share = own.sum() / vol.sum() if vol.sum() > 0 else 0.0
        ax.set_title(f"{route} ({unit}/yr); {focus} {share:.0%} of volume", fontsize="small")
        ax.set_ylabel(f"{unit}/yr", fontsize="small")
        ax.set_ylim(bottom=0, top=max(float(cap.max()), float(vol.max()), 1e-9) * 1.1)
        ax.tick_params(labelsize="x-small")
        _year_axis(ax)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    handles = [
        _line(color="tab:blue", alpha=0.3, lw=6),
        _line(color="tab:blue", alpha=0.75, lw=6),
        _line(color="0.2", ls="--"),
        _line(color="tab:red", alpha=0.2, lw=6),
    ]
    labels = ["volume, all shippers", f"volume shipped by {focus}", "capacity", "capacity below its maximum"]
    fig.legend(handles, labels, loc="outside lower center", ncols=4, frameon=False, fontsize="small")
    return fig


def plot_alignment(tables: Mapping[str, pd.DataFrame], focus: str | None = None) -> Figure:
    """The focus actor's alignment as change from the first month per pole (percentage points),
    with the actions it takes or is targeted by in a lane below (markers by kind); the
    ALIGNMENT_LABELS most consequential ones (sim.results.summary.consequential_actions) are
    labelled in the lane."""
    focus = resolve_focus(tables, focus)
    am = tables["actor_month"]
    rows = am[am["actor"] == focus]
    poles = poles_of(tables)
    dates = month_dates(rows["month"])
    fig = _figure(10.0, 6.0)
    ax, lane = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    since = rows["month"].iloc[0]
    ax.set_title(f"{focus}: alignment with each pole, change since {since} (percentage points)")
    shares = rows[[f"alignment_{p}" for p in poles]].to_numpy() * 100.0
    change = shares - shares[0]
    for k, p in enumerate(poles):
        ax.plot(dates, change[:, k], color=f"C{k}", lw=2, label=f"{p} (start {shares[0, k]:.1f} %)")
    ax.axhline(0.0, color="0.3", lw=0.8)
    ax.set_ylabel("change in alignment share (pp)")
    ax.set_xlim(dates[0], dates[-1])
    _date_axis(ax)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, title="pole (start share)")
    events = _involving(tables["events"], focus)
    kinds = [k for k in KIND_STYLE if (events["kind"] == k).any()]
    y_of = {k: len(kinds) - 1 - i for i, k in enumerate(kinds)}
    for kind, group in events.groupby("kind", sort=False):
        marker, colour = KIND_STYLE.get(str(kind), ("o", "0.3"))
        when = month_dates(group["month"])
        lane.plot(when, [y_of.get(str(kind), 0)] * len(when), marker=marker, color=colour, ms=6, ls="")
    lo, hi = dates[0], dates[-1]
    char_days = max(1, (hi - lo).days) * 5.8 / (0.75 * 10.0 * DPI)
    occupied: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for c in consequential_actions(tables, focus, n=ALIGNMENT_LABELS):
        when = month_dates([c.month])[0]
        text = f"{c.month} {c.actor or ACCIDENT}: {c.name}"
        right = (when - lo) > 0.65 * (hi - lo)
        x = float((when - lo).days)
        span = (x - len(text) * char_days, x) if right else (x, x + len(text) * char_days)
        free = (all(b < span[0] or a > span[1] for a, b in occupied.get((c.kind, k), [])) for k in range(2))
        level = next((k for k, ok in enumerate(free) if ok), None)
        if level is None:
            continue  # would overlap another label: the marker stays
        occupied.setdefault((c.kind, level), []).append(span)
        lane.annotate(
            text,
            (when, y_of.get(c.kind, 0)),
            xytext=(-3 if right else 3, 4 + 8 * level),
            textcoords="offset points",
            fontsize="x-small",
            ha="right" if right else "left",
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "alpha": 0.75, "lw": 0},
        )
    lane.set_yticks([y_of[k] for k in kinds], kinds)
    lane.set_ylim(-0.7, max(1, len(kinds)) - 0.3 + 0.6)
    lane.set_ylabel("actions", fontsize="small")
    lane.set_xlabel("month")
    _date_axis(lane)
    if events.empty:
        lane.text(0.5, 0.5, f"no actions by or against {focus}", ha="center", transform=lane.transAxes)
    return fig


def _short_params(parameters: str) -> str:
    try:
        p = json.loads(parameters)
    except (TypeError, ValueError):
        return ""
    for key in ("route", "issue", "toward", "label"):
        if key in p:
            return str(p[key])
    return ""


def _timeline_text(ev: pd.Series) -> str:
    detail = _short_params(ev["parameters"])
    text = ev["name"] + (f" [{detail}]" if detail and detail not in ev["name"] else "")
    return text + (f" -> {ev['target']}" if ev["target"] else "")


def plot_timeline(tables: Mapping[str, pd.DataFrame], focus: str | None = None) -> Figure:
    """Event timeline: one lane per acting actor (focus on top, actions without an actor at the
    bottom); markers by kind (event, hazard, decision, penalty). Labels (action [detail] -> target)
    sit on up to LABEL_LEVELS heights per lane; a label that would overlap another, or repeat the
    same text within REPEAT_LABEL_MONTHS in its lane, is omitted (the marker stays)."""
    focus = resolve_focus(tables, focus)
    events = tables["events"]
    acting = list(dict.fromkeys(a or ACCIDENT for a in events["actor"].tolist()))
    lanes = [a for a in acting if a == focus] + [a for a in acting if a not in (focus, ACCIDENT)]
    lanes += [ACCIDENT] if ACCIDENT in acting else []
    width = 11.0
    fig = _figure(width, 1.6 + 0.6 * max(3, len(lanes)))
    ax = fig.add_subplot()
    ax.set_title("Timeline of actions that took effect (lane: acting actor; label: action -> target)")
    months = tables["actor_month"]["month"]
    start, end = month_dates([months.iloc[0]])[0], month_dates([months.iloc[-1]])[0]
    if events.empty:
        _empty(ax, "no actions took effect in this run")
        return fig
    y_of = {a: len(lanes) - 1 - k for k, a in enumerate(lanes)}
    lo, hi = start - pd.Timedelta(days=20), end + pd.Timedelta(days=20)
    # Approximate label extent in days: characters x (axis span / axis width in characters).
    char_days = (hi - lo).days * 5.8 / (0.75 * width * DPI)
    occupied: dict[tuple[str, int], list[tuple[float, float]]] = {}
    last_text: dict[tuple[str, str], pd.Timestamp] = {}
    points: dict[tuple[str, str], list[pd.Timestamp]] = {}
    omitted = 0
    for _, ev in events.iterrows():
        lane = ev["actor"] or ACCIDENT
        when = month_dates([ev["month"]])[0]
        points.setdefault((lane, ev["kind"]), []).append(when)
        text = _timeline_text(ev)
        prev = last_text.get((lane, text))
        if prev is not None and (when - prev).days < 30.5 * REPEAT_LABEL_MONTHS:
            omitted += 1
            continue
        right = (when - start) > 0.7 * (end - start)  # late labels extend leftwards, inside the axes
        x = float((when - lo).days)
        span = (x - len(text) * char_days, x) if right else (x, x + len(text) * char_days)
        level = next(
            (
                k
                for k in range(LABEL_LEVELS)
                if all(b < span[0] or a > span[1] for a, b in occupied.get((lane, k), []))
            ),
            None,
        )
        if level is None:
            omitted += 1
            continue
        occupied.setdefault((lane, level), []).append(span)
        last_text[(lane, text)] = when
        ax.annotate(
            text,
            (when, y_of[lane]),
            xytext=(-4 if right else 4, 6 + 9 * level),
            textcoords="offset points",
            fontsize="x-small",
            va="bottom",
            ha="right" if right else "left",
            clip_on=True,
        )
    for (lane, kind), dates in points.items():
        marker, colour = KIND_STYLE.get(kind, ("o", "0.3"))
        ax.plot(dates, [y_of[lane]] * len(dates), marker=marker, color=colour, ms=8, ls="", zorder=3)
    ax.set_yticks([y_of[a] for a in lanes], lanes)
    for label in ax.get_yticklabels():
        if label.get_text() == focus:
            label.set_fontweight("bold")
    ax.set_ylim(-0.6, len(lanes) - 0.1)
    ax.set_xlim(lo, hi)
    _date_axis(ax)
    handles = [ax.plot([], [], marker=m, color=c, ls="")[0] for m, c in KIND_STYLE.values()]
    ax.legend(handles, list(KIND_STYLE), loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    note = f"{len(events)} actions; {omitted} repeated or overlapping labels omitted" if omitted else ""
    ax.set_xlabel("month" + (f"   ({note})" if note else ""))
    return fig


def plot_envelope(env: pd.DataFrame, title: str, unit: str) -> Figure:
    """An ensemble envelope (sim.api.envelope): median line, 10-90 % band and min-max band per
    month, in `unit` (e.g. 'Mt/yr')."""
    fig = _figure(9.0, 3.8)
    ax = fig.add_subplot()
    dates = pd.DatetimeIndex(env["date"])
    ax.fill_between(
        dates, env["min"], env["max"], step="mid", color="tab:blue", alpha=0.12, lw=0, label="min-max"
    )
    if {"p10", "p90"} <= set(env.columns):
        ax.fill_between(
            dates, env["p10"], env["p90"], step="mid", color="tab:blue", alpha=0.3, lw=0, label="10-90 %"
        )
    ax.step(dates, env["p50"], where="mid", color="tab:blue", lw=1.6, label="median")
    ax.step(dates, env["mean"], where="mid", color="tab:orange", lw=1.0, ls=":", label="mean")
    runs = int(env["runs"].max()) if "runs" in env.columns else 0
    ax.set_title(f"{title} ({runs} runs)" if runs else title)
    ax.set_ylabel(unit)
    ax.set_xlim(dates[0], dates[-1])
    _date_axis(ax)
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    return fig


PLOTS: dict[str, str] = {
    "partner_shares": "plot_partner_shares",
    "route_utilisation": "plot_route_utilisation",
    "alignment": "plot_alignment",
    "timeline": "plot_timeline",
}
"""Plot file stem -> name of the plot function in this module (looked up at call time)."""


def write_plots(tables: Mapping[str, pd.DataFrame], focus: str | None, directory: Path) -> list[Path]:
    """Draw every plot in PLOTS and write `<directory>/<name>.png` at DPI; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    focus = resolve_focus(tables, focus)
    paths: list[Path] = []
    for stem, func_name in PLOTS.items():
        func: Callable[[Mapping[str, pd.DataFrame], str | None], Figure] = globals()[func_name]
        fig = func(tables, focus)
        try:
            path = directory / f"{stem}.png"
            fig.savefig(path, dpi=DPI)
            paths.append(path)
        finally:
            fig.clear()
    return paths

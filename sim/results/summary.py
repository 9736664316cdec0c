"""A short plain-text summary of one run for the focus actor (shown after `mvsim run`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core.decisions import TERMS
from sim.core.recorder import net_welfare_of
from sim.outcome_labels import short_label
from sim.results.tables import (
    DEFAULT_FOCUS,
    STATUS_QUO,
    actor_info_table,
    focus_shipments,
    partner_poles_from_spec,
    partner_poles_from_tables,
    poles_of,
    resolve_focus,
    shipment_info_table,
    trade_by_pole,
)

if TYPE_CHECKING:
    from sim.scenario.schema import ScenarioSpec

SUBTRACTED_TERMS = frozenset({"sovereignty", "cost"})
"""Utility terms that enter utility with a minus sign (see sim.core.decisions.TERMS)."""
TOP_ACTIONS = 5
ECONOMIC_TYPES = frozenset(
    {
        "sanction",
        "lift_sanction",
        "secondary_sanction",
        "route_disruption",
        "route_reprice",
        "route_investment",
        "inducement",
        "enforcement",
    }
)
"""Action types whose consequence is scored by the month's change in net welfare."""

__all__ = [
    "Consequence",
    "consequential_actions",
    "month_causes",
    "net_welfare",
    "partner_poles_from_spec",
    "summary_text",
]


def net_welfare(tables: Mapping[str, pd.DataFrame], actor: str, outlays: bool = True) -> pd.Series:
    """Month -> net economic welfare of `actor` (USD bn/yr): the sum of WELFARE_TERMS, with
    import_cost and expected_penalty subtracted, less the month's one-off outlays (investments,
    agreements) as an annual rate (x 12, `OUTLAY_RATE_PER_USD_BN`); `outlays=False` leaves them in."""
    rows = tables["actor_month"].loc[lambda d: d["actor"] == actor].set_index("month")
    total: pd.Series = net_welfare_of(rows.__getitem__, outlays and "outlays_usd_bn" in rows)
    return total


def alignment_shift(tables: Mapping[str, pd.DataFrame], actor: str) -> pd.Series:
    """Month -> total-variation distance (0-1) between `actor`'s alignment at the end of the month
    and at the end of the previous month (0 for the first month)."""
    rows = tables["actor_month"].loc[lambda d: d["actor"] == actor].set_index("month")
    a = rows[[f"alignment_{p}" for p in poles_of(tables)]]
    return (0.5 * a.diff().abs().sum(axis=1)).fillna(0.0)


def _contributions(row: pd.Series) -> dict[str, float]:
    """Signed contribution of each utility term to the total (sovereignty and cost negated)."""
    return {t: (-1.0 if t in SUBTRACTED_TERMS else 1.0) * float(row[t]) for t in TERMS}


def _involves(events: pd.DataFrame, actor: str) -> pd.Series:
    targets = events["target"].str.split(", ")
    return ((events["actor"] == actor) | targets.map(lambda ts: actor in ts)).astype(bool)


def _params(parameters: str) -> dict:
    try:
        p = json.loads(parameters)
    except (TypeError, ValueError):
        return {}
    return p if isinstance(p, dict) else {}


def _detail(params: Mapping[str, object]) -> str:
    for key in ("route", "issue", "toward", "label"):
        if key in params:
            return f" [{params[key]}]"
    return ""


@dataclass(frozen=True)
class Consequence:
    """An action that took effect, scored by its consequence (utility points)."""

    score: float
    month: str
    actor: str
    name: str
    kind: str
    head: str  # 'YYYY-MM actor: name [detail]'
    reason: str
    times: int = 1  # occurrences of the same actor/name/kind in the run

    @property
    def line(self) -> str:
        again = f"; {self.times} times in the run" if self.times > 1 else ""
        return f"{self.head} ({self.reason}{again})"


def consequential_actions(
    tables: Mapping[str, pd.DataFrame], focus: str, n: int = TOP_ACTIONS
) -> list[Consequence]:
    """The `n` actions most consequential for `focus`, highest score first.

    Candidates: actions that took effect (scripted events, hazards, chosen non-status-quo
    decisions, penalties) acted by `focus` or targeting it. A decision scores the largest
    |contribution| of a utility term to the decider's utility (USD bn of present value) and
    gives its two largest terms as the reason; a penalty scores its amount; any other action scores the change in
    the focus actor's net welfare from the previous month if its type has an economic channel
    (ECONOMIC_TYPES), else the month's alignment shift of the focus actor (percentage points of
    total variation). Money is put in utility points (100 x USD bn / focus GDP; USD bn if GDP is
    unknown). Changes are the month's, whatever else happened in it: when other causes share the
    month (`month_causes`: any other action that took effect, an action whose duration ended, the
    yearly paths changing in January), the reason names them and says the change is not the
    action's alone, and the action scores 1/k of the change for k causes. Repeats of the same
    actor, name and kind are listed once, at their highest score, with the number of occurrences.
    """
    events = tables["events"]
    mine = events[_involves(events, focus)] if len(events) else events
    decisions = tables["decisions"]
    chosen = decisions[decisions["chosen"]].set_index(["month", "actor", "candidate"])
    delta = net_welfare(tables, focus, outlays=False).diff().fillna(0.0)  # an outlay is not a consequence
    shift = alignment_shift(tables, focus)
    gdp = None
    if "actor_info" in tables:
        info = tables["actor_info"]
        gdp_rows = info.loc[info["actor"] == focus, "gdp_usd_bn"]
        gdp = float(gdp_rows.iloc[0]) if len(gdp_rows) else None

    def points(usd_bn: float) -> float:
        return abs(100.0 * usd_bn / gdp) if gdp else abs(usd_bn)

    causes = month_causes(tables)

    def others(ev: pd.Series) -> list[str]:
        """Other causes of the same month: the month's change is theirs too."""
        me = _cause(ev)
        return [c for c in causes.get(ev["month"], []) if c != me]

    def along(ev: pd.Series) -> str:
        rest = others(ev)
        if not rest:
            return ""
        return f"; shared with {', '.join(rest)}: not this action's alone"

    best: dict[tuple[str, str, str], Consequence] = {}
    order: dict[tuple[str, str, str], int] = {}
    for _, ev in mine.iterrows():
        who = ev["actor"] or "(no actor)"
        params = _params(ev["parameters"])
        detail = "" if ev["kind"] == "penalty" else _detail(params)
        head = f"{ev['month']} {who}: {ev['name']}{detail}"
        if ev["target"] and ev["actor"] == focus:
            head += f" -> {ev['target']}"
        key = (ev["month"], ev["actor"], ev["name"])
        if ev["kind"] == "decision" and key in chosen.index:
            row = chosen.loc[key]
            row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
            contrib = _contributions(row)
            top = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))[:2]
            score = points(top[0][1])  # USD bn of present value, put in points like money
            terms = ", ".join(f"{t} {v:+.2f}" for t, v in top if abs(v) >= 0.005) or "all terms ~0"
            reason = f"utility {float(row['utility']):+.2f} USD bn (present value): {terms}"
        elif ev["kind"] == "penalty":
            amount = float(params.get("penalty_usd_bn", 0.0))
            score = points(amount)
            reason = f"penalty {amount:.1f} USD bn"
        elif ev["type"] in ECONOMIC_TYPES:
            change = float(delta.get(ev["month"], 0.0))
            score = points(change) / (1 + len(others(ev)))
            reason = f"{ev['kind']}; {focus} net welfare {change:+.1f} USD bn/yr that month{along(ev)}"
        else:
            moved = float(shift.get(ev["month"], 0.0))
            score = 100.0 * moved / (1 + len(others(ev)))
            reason = f"{ev['kind']}; {focus} alignment shift {100.0 * moved:.1f} pp that month{along(ev)}"
        c = Consequence(score, ev["month"], ev["actor"], ev["name"], ev["kind"], head, reason)
        group = (ev["actor"], ev["name"], ev["kind"])
        order.setdefault(group, len(order))
        prev = best.get(group)
        times = (prev.times + 1) if prev else 1
        keep = c if prev is None or c.score > prev.score else prev
        best[group] = Consequence(**{**keep.__dict__, "times": times})
    ranked = sorted(best.items(), key=lambda kv: (-kv[1].score, order[kv[0]]))
    return [c for _, c in ranked[:n]]


def _cause(ev: pd.Series) -> str:
    """'name (actor)' or 'name [detail] (actor)' of an action that took effect."""
    detail = "" if ev["kind"] == "penalty" else _detail(_params(ev["parameters"]))
    who = f" ({ev['actor']})" if ev["actor"] else ""
    return f"{ev['name']}{detail}{who}"


def _month_after(month: str, k: int) -> str:
    t = int(month[:4]) * 12 + int(month[5:7]) - 1 + k
    return f"{t // 12:04d}-{t % 12 + 1:02d}"


def month_causes(tables: Mapping[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Month -> what changed the economy that month: every action that took effect (any actor or
    target, decisions and penalties included), the end of every action with `duration_months`
    (its first month without it), and 'yearly paths (prices, volumes)' in each January after the
    first month (the price and volume paths are yearly)."""
    events = tables["events"]
    out: dict[str, list[str]] = {}
    for _, ev in events.iterrows():
        out.setdefault(ev["month"], []).append(_cause(ev))
        d = _params(ev["parameters"]).get("duration_months")
        if isinstance(d, int) and d > 0:
            out.setdefault(_month_after(ev["month"], d), []).append(f"end of {_cause(ev)} from {ev['month']}")
    months = tables["actor_month"]["month"].unique()
    for m in months[1:]:
        if str(m).endswith("-01"):
            out.setdefault(str(m), []).append("yearly paths (prices, volumes)")
    return {m: list(dict.fromkeys(v)) for m, v in out.items()}


DROP = 0.10
"""A route's yearly volume this far below the previous year's names the year in the summary."""


def _year_label(year: int, months: int) -> str:
    return str(year) if months == 12 else f"{year} ({months} mo)"


def _fmt_row(label: str, values: list[float], width: int = 22) -> str:
    return f"  {label:<{width}}" + "".join(f"{v:>12.2f}" for v in values)


def _trade_lines(
    tables: Mapping[str, pd.DataFrame], focus: str, partner_poles: Mapping[str, str | None], years: pd.Series
) -> list[str]:
    first, last = int(years.min()), int(years.max())
    cols = [first] if first == last else [first, last]
    counts = years.value_counts()
    header = "".join(f"{_year_label(y, int(counts[y])):>12}" for y in cols)
    if "flows" not in tables:
        rows = tables["actor_month"].loc[lambda d: d["actor"] == focus]
        yr = pd.Series(years.to_numpy(), index=rows.index)
        lines = [f"Trade of {focus} (USD bn/yr, mean of months; flows not recorded):", f"  {'':<22}{header}"]
        for col in ("exports_usd_bn", "imports_usd_bn"):
            label = short_label(col).lower()
            means = rows[col].groupby(yr).mean()
            lines.append(_fmt_row(label, [float(means[y]) for y in cols]))
        return lines
    by_pole = trade_by_pole(tables, focus, partner_poles)
    yr = pd.Series(years.to_numpy(), index=by_pole.index)
    means = by_pole.groupby(yr).mean()
    lines = [f"Trade of {focus} by partner pole (exports + imports, USD bn/yr, mean of months):"]
    lines.append(f"  {'pole':<22}{header}")
    for pole in by_pole.columns:
        lines.append(_fmt_row(pole, [float(means.loc[y, pole]) for y in cols]))
    lines.append(_fmt_row("total", [float(means.loc[y].sum()) for y in cols]))
    return lines


def _route_lines(tables: Mapping[str, pd.DataFrame], focus: str) -> list[str]:
    """Focus shipments: mean volume per route and lost volume per unit, first and last calendar
    year, and the years in between whose route volumes differ from both (disruptions, new routes)."""
    ships = focus_shipments(tables, focus)
    if not ships:
        return []
    shipped = tables["shipments"]
    totals = tables["shipment_totals"]
    mine = shipped[shipped["shipment"].isin(ships)]
    mine_totals = totals[totals["shipment"].isin(ships)]
    month_years = pd.Series([int(m[:4]) for m in totals["month"].unique()])
    all_years = sorted(month_years.unique())
    years = all_years if len(all_years) <= 2 else [all_years[0], all_years[-1]]
    counts = month_years.value_counts()

    def yearly(frame: pd.DataFrame, col: str, which: list[int] = years) -> list[float]:
        per_month = frame.groupby("month")[col].sum()
        yr = pd.Series([int(m[:4]) for m in per_month.index], index=per_month.index)
        means = per_month.groupby(yr).mean()
        return [float(means.get(y, 0.0)) for y in which]

    if "shipment_info" in tables:
        info = tables["shipment_info"]
        unit_of_ship = dict(zip(info["shipment"], info["unit"], strict=True))
    else:
        unit_of_ship = dict(zip(shipped["shipment"], shipped["unit"], strict=True))
    rows: list[tuple[str, list[float]]] = []
    for route, group in mine.groupby("route", sort=False):
        rows.append((f"{route} ({group['unit'].iloc[0]}/yr)", yearly(group, "shipped_per_year")))
    ship_units = mine_totals["shipment"].map(lambda sh: unit_of_ship.get(sh) or "unit")
    for unit, group in mine_totals.groupby(ship_units, sort=False):
        rows.append((f"lost ({unit}/yr)", yearly(group, "lost_per_year")))
    width = max(22, *(len(label) + 1 for label, _ in rows))
    header = "".join(f"{_year_label(y, int(counts[y])):>12}" for y in years)
    lines = [
        f"Route shipments of {focus} (volume per year, mean of months):",
        f"  {'route':<{width}}{header}",
    ]
    lines += [_fmt_row(label, values, width) for label, values in rows]
    middle = all_years[1:-1]
    if middle:
        per_route = [yearly(g, "shipped_per_year", all_years) for _, g in mine.groupby("route", sort=False)]
        lost = yearly(mine_totals, "lost_per_year", all_years)
        differ = [
            y
            for k, y in enumerate(all_years)
            if 0 < k < len(all_years) - 1
            and (lost[k] > 1e-9 or any(v[k] < (1.0 - DROP) * v[k - 1] for v in per_route))
        ]
        if differ:
            lines.append(f"  years in between with volume lost or a route down > 10 %: {years_text(differ)}")
    return lines


def years_text(years: list[int]) -> str:
    """[2023, 2024, 2025, 2028] -> '2023-2025, 2028'."""
    parts: list[tuple[int, int]] = []
    for y in years:
        if parts and parts[-1][1] == y - 1:
            parts[-1] = (parts[-1][0], y)
        else:
            parts.append((y, y))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def summary_text(
    tables: Mapping[str, pd.DataFrame],
    spec: ScenarioSpec | None = None,
    *,
    focus: str | None = DEFAULT_FOCUS,
    run_dir: str | PathLike[str] | None = None,
    partner_poles: Mapping[str, str | None] | None = None,
) -> str:
    """Plain-text summary (under ~40 lines) of a run for the focus actor.

    Args:
        tables: the run's tables (sim.results.tables.to_tables or read_run).
        spec: the scenario, for actor poles and shipment shippers when `tables` lack the
            `actor_info` / `shipment_info` tables (without either, trade is not grouped by
            pole and every shipment is listed).
        focus: focus actor; the default 'Kazakhstan' (or None) falls back to the first
            state actor when absent.
        run_dir: the run directory, printed on the last line if given.
        partner_poles: actor -> pole it embodies (None: none); default from `spec`
            (partner_poles_from_spec) or the `actor_info` table.
    """
    if isinstance(spec, str):
        raise TypeError("summary_text(tables, spec=None, *, focus=...): pass the focus actor as focus=")
    if spec is not None:
        tables = dict(tables)
        tables.setdefault("actor_info", actor_info_table(spec))
        tables.setdefault("shipment_info", shipment_info_table(spec))
    focus = resolve_focus(tables, focus)
    if partner_poles is None:
        partner_poles = (
            partner_poles_from_spec(spec) if spec is not None else partner_poles_from_tables(tables)
        )
    am = tables["actor_month"]
    rows = am[am["actor"] == focus]
    months = rows["month"].tolist()
    years = pd.Series([int(m[:4]) for m in months])
    lines = [f"Run summary for {focus}: {months[0]} to {months[-1]} ({len(months)} months)", ""]
    lines += _trade_lines(tables, focus, partner_poles, years)
    route_lines = _route_lines(tables, focus)
    if route_lines:
        lines += ["", *route_lines]

    poles = poles_of(tables)
    first, last = rows.iloc[0], rows.iloc[-1]
    lines += ["", f"Alignment of {focus} (share, end of month): {months[0]} -> {months[-1]}"]
    for p in poles:
        a, b = float(first[f"alignment_{p}"]), float(last[f"alignment_{p}"])
        lines.append(f"  {p:<22}{a:>8.3f} -> {b:.3f} ({b - a:+.3f})")
    mvi = rows["multivector_index"].to_numpy()
    k = int(np.argmin(mvi))
    lines.append(
        f"Multivector index (0-1, 1 = even dependence): {mvi[0]:.3f} -> {mvi[-1]:.3f} "
        f"(min {mvi[k]:.3f} in {months[k]})"
    )

    dec = tables["decisions"]
    taken = dec[dec["chosen"] & (dec["candidate"] != STATUS_QUO)]
    rounds = dec[["month", "actor"]].drop_duplicates()
    lines += [
        "",
        f"Decisions: {len(taken)} action{'' if len(taken) == 1 else 's'} chosen over the status quo "
        f"in {len(rounds)} decision rounds ({int((taken['actor'] == focus).sum())} by {focus}).",
    ]
    top = consequential_actions(tables, focus)
    if top:
        lines.append(f"Most consequential actions by or aimed at {focus}:")
        lines += [f"  {c.line}" for c in top]
    else:
        lines.append(f"No action by or aimed at {focus} took effect.")
    if run_dir is not None:
        lines += ["", f"Results: {Path(run_dir)}"]
    return "\n".join(lines)

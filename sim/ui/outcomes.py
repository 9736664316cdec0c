"""Every outcome of a comparison, with a readable label and unit, over a chosen window.

An outcome is one (group, item) of `Comparison.series` (groups: `sim.compare.GROUPS`):
the focus actor's indicators, each route's volume and usable capacity (all shippers), the
focus actor's shipments by route, its trade with each partner and pole, re-exports per
state, dependence, alignment and pressure. `LABELS` names the indicator items and
`GROUP_LABELS` the groups; they are the workbench's one place for outcome names, kept in
this module so a project-wide registry can replace them. Windows are [start, end] months
'YYYY-MM' (inclusive), the same as `Comparison.summarize(start, end)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from sim.compare import Comparison

LABELS: dict[str, str] = {
    "exports_usd_bn": "exports",
    "imports_usd_bn": "imports",
    "net_welfare_usd_bn": "net welfare",
    "welfare_exports_usd_bn": "welfare: export earnings",
    "welfare_route_revenue_usd_bn": "welfare: route revenue",
    "welfare_transit_fees_usd_bn": "welfare: transit fees",
    "welfare_reexport_margin_usd_bn": "welfare: re-export margin",
    "welfare_import_cost_usd_bn": "welfare: import cost",
    "welfare_transfers_usd_bn": "welfare: transfers",
    "welfare_expected_penalty_usd_bn": "welfare: expected penalties",
    "reexports_usd_bn": "re-exports of sanctioned goods",
    "reexports_intercepted_usd_bn": "re-exports intercepted",
    "lost_exports_usd_bn": "lost exports (no capacity)",
    "deferred_exports_usd_bn": "deferred exports",
    "outlays_usd_bn": "outlays (investments, agreements)",
    "penalty_realised_usd_bn": "secondary penalties realised",
    "enforcement": "enforcement against re-exports",
    "multivector_index": "multi-vector index",
    "leakage_share": "sanctions leakage (all states)",
}
"""Indicator item -> readable label (the unit comes from the comparison)."""

GROUP_LABELS: dict[str, str] = {
    "indicators": "{focus}: indicator",
    "route_volume": "Route volume (all shippers)",
    "route_capacity": "Route usable capacity",
    "exports_by_route": "{focus}: shipments by route",
    "trade_partner": "{focus}: trade with partner (pair)",
    "trade_pole": "{focus}: trade by pole",
    "reexports": "Re-exports through state",
    "dependence": "{focus}: dependence on pole",
    "alignment": "{focus}: alignment with pole",
    "pressure": "{focus}: coercive actions by pole",
}
"""Group -> readable label of its items ({focus}: the focus actor)."""

ZERO = 1e-9  # a median delta below this in size has no peak month (nothing moved)
UNIT_LABELS: dict[str, str] = {"0-1": "share 0-1", "actions/month": "actions per month"}


@dataclass(frozen=True)
class Outcome:
    """One selectable outcome: where it sits in the series, its label and unit."""

    group: str
    item: str
    label: str
    unit: str

    @property
    def key(self) -> str:
        return f"{self.group}:{self.item}"

    @property
    def axis(self) -> str:
        """Axis label of the delta: 'delta of exports, USD bn/yr'."""
        return f"delta of {self.label}, {UNIT_LABELS.get(self.unit, self.unit)}"


def item_label(item: str) -> str:
    return LABELS.get(item, item.replace("_", " "))


def group_label(group: str, focus: str) -> str:
    return GROUP_LABELS.get(group, group.replace("_", " ")).format(focus=focus)


def outcomes(cmp: Comparison) -> list[Outcome]:
    """Every (group, item) of the comparison, in the comparison's order."""
    keys = cmp.series[["group", "item", "unit"]].drop_duplicates()
    return [
        Outcome(g, i, item_label(i) if g == "indicators" else i, u)
        for g, i, u in keys.itertuples(index=False)
    ]


def groups(cmp: Comparison) -> dict[str, str]:
    """Group -> its readable label, for the groups the comparison has."""
    return {g: group_label(g, cmp.focus) for g in dict.fromkeys(cmp.series["group"])}


def find(cmp: Comparison, group: str, item: str) -> Outcome:
    for o in outcomes(cmp):
        if o.group == group and o.item == item:
            return o
    raise KeyError(f"no outcome {group}:{item} in the comparison")


def clip_window(cmp: Comparison, start: str | None, end: str | None) -> tuple[str, str]:
    """[start, end] inside the comparison's months (None: its first / last month; swapped if
    given the wrong way round)."""
    lo, hi = cmp.months[0], cmp.months[-1]
    s = min(max(start or lo, lo), hi)
    e = max(min(end or hi, hi), lo)
    return (s, e) if s <= e else (e, s)


def auto_window(cmp: Comparison, context: int = 0) -> tuple[str, str]:
    """The headline window of `mvsim compare` (sim.compare.window.auto_window: while B's own timed
    events last, else the months in which a main effect moves), widened by `context` months on
    each side."""
    from sim.compare.window import auto_window as headline_window

    w = headline_window(cmp)
    i0, i1 = cmp.months.index(w.start), cmp.months.index(w.end)
    return cmp.months[max(i0 - context, 0)], cmp.months[min(i1 + context, len(cmp.months) - 1)]


def window_summary(cmp: Comparison, group: str, start: str, end: str) -> pd.DataFrame:
    """Per item of a group over [start, end]: A and B means, the mean delta with its
    10-90 % band over paired replications, and the peak month; readable labels and units."""
    s = cmp.summarize(start, end)
    s = s[s["group"] == group]
    label = s["item"].map(item_label) if group == "indicators" else s["item"]
    return pd.DataFrame(
        {
            "outcome": label.to_numpy(),
            "unit": s["unit"].map(lambda u: UNIT_LABELS.get(u, u)).to_numpy(),
            "A mean": s["a_mean"].to_numpy(),
            "B mean": s["b_mean"].to_numpy(),
            "delta mean": s["delta_mean"].to_numpy(),
            "p10": s["delta_mean_p10"].to_numpy(),
            "p90": s["delta_mean_p90"].to_numpy(),
            "peak month": s["peak_month"].where(s["peak_delta"].abs() >= ZERO, "").to_numpy(),
        }
    )


HEADLINE_NAMES = {
    "route_volume": "route volume, {item}",
    "exports_by_route": "{focus} shipments, {item}",
    "trade_partner": "{focus} trade with {item}",
}
HEADLINE_GROUPS = ("indicators", "route_volume", "exports_by_route", "trade_partner")


def _signed(x: float) -> str:
    return "0" if abs(x) < ZERO else f"{x:+.3g}"


def window_headlines(cmp: Comparison, start: str, end: str, limit: int = 8) -> list[str]:
    """The outcomes that moved most over [start, end] (relative to A's mean), one line each:
    label: mean delta [10-90 % band] unit (A mean)."""
    s = cmp.summarize(start, end)
    s = s[s["group"].isin(HEADLINE_GROUPS) & (s["delta_mean"].abs() >= ZERO)]
    if s.empty:
        return [f"  no outcome differs over {start}..{end}"]
    rel = s["delta_mean"].abs() / s["a_mean"].abs().clip(lower=1e-6)
    top = s.loc[rel.sort_values(ascending=False, kind="stable").index[:limit]]
    lines = []
    for _, r in top.iterrows():
        name = HEADLINE_NAMES.get(r["group"], "{item}")
        what = name.format(
            item=item_label(r["item"]) if r["group"] == "indicators" else r["item"], focus=cmp.focus
        )
        band = f"[{_signed(r['delta_mean_p10'])}, {_signed(r['delta_mean_p90'])}]"
        lines.append(f"  {what}: {_signed(r['delta_mean'])} {band} {r['unit']} (A: {r['a_mean']:.3g})")
    return lines


def route_window(
    cmp: Comparison, start: str, end: str
) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Per route over [start, end]: B's mean volume (median over replications), the mean
    delta B - A, and the unit."""
    s = cmp.summarize(start, end)
    s = s[s["group"] == "route_volume"]
    vol = dict(zip(s["item"], s["b_mean"].astype(float), strict=True))
    delta = dict(zip(s["item"], s["delta_mean"].astype(float), strict=True))
    return vol, delta, dict(zip(s["item"], s["unit"], strict=True))


__all__ = [
    "GROUP_LABELS",
    "LABELS",
    "Outcome",
    "auto_window",
    "clip_window",
    "find",
    "group_label",
    "groups",
    "item_label",
    "outcomes",
    "route_window",
    "window_headlines",
    "window_summary",
]

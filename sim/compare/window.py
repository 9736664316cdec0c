"""The months a comparison's headline covers: a given window, the whole horizon, or `auto`.

    resolve_window(cmp, "2025-03:2025-05")   # the halt itself
    resolve_window(cmp, "auto")              # B's own timed events, else the months B differs (default)
    resolve_window(cmp, "all")               # the whole horizon
    event_windows(cmp)                       # B's own events: during and after each

`auto` (`auto_window`): when B has events of its own (not in A) and every one has a duration
(a halt of three months), the span from the first one's start to the last one's end: the
headline answers "what does it do while it lasts", and each event's "after" block reports the
responses that follow (decisions that answer the shock can keep B apart from A for years: after
China's three-month pipeline halt, Russia's CPC halts change for the rest of the horizon).
Otherwise (a permanent change, parameters, no own events) the span from the first to the last
month in which a main effect is beyond the tolerance. The items considered are the flow
indicators of the focus actor (the `indicators` group, trade with all partners, route exports
by route); an item is a main effect if its peak |median delta| (over replications) is at least
REL_TOL (5 %) of the largest peak among items of the same unit, and a month counts for it if

    |delta| > max(ZERO_TOL, REL_TOL x the item's peak |median delta|)

in more than half of the replications, with the same sign (with 2 replications: both).

Stocks that decay slowly (alignment, enforcement) and action counts are left out, so a
permanent change is not credited with the years over which alignment drifts; the random
divergence of decisions (a different outage draw in one replication) moves one replication, not
a majority. If no median moves, the mean delta is used; if nothing moves, the whole horizon.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.errors import InputError, ScenarioError
from sim.outcome_labels import ZERO_TOL

if TYPE_CHECKING:
    from sim.compare.paired import Comparison

REL_TOL = 0.05
"""Auto window: a main effect peaks at >= this share of the largest peak of its unit, and a month
counts if the item's |median delta| exceeds this share of its own peak."""
AUTO_GROUPS = ("indicators", "trade_pole", "exports_by_route")
"""Groups whose items decide the auto window (flows of the focus actor)."""
AUTO_SKIP = frozenset({"enforcement", "penalty_realised_usd_bn"})
"""Indicators left out of the auto window (a slowly moving level and one-off amounts)."""

WindowArg = str | tuple[str, str] | None
"""'auto', 'all', 'YYYY-MM:YYYY-MM', 'YYYY-MM' (one month), (start, end), or None (= 'auto')."""

_RANGE = re.compile(r"^(\d{4}-\d{2})(?::(\d{4}-\d{2}))?$")


@dataclass(frozen=True)
class Window:
    """A closed range of months [start, end] and how it was chosen ('auto', 'given', 'all')."""

    start: str
    end: str
    how: str
    count: int

    def text(self) -> str:
        """'2025-03..2025-05 (3 months, the months in which B differs from A)'."""
        why = {
            "auto": "the months in which B differs from A",
            "events": "while B's own events last",
            "given": "window asked for",
            "all": "the whole horizon",
        }[self.how]
        n = f"{self.count} month{'s' if self.count != 1 else ''}"
        return f"{self.start}..{self.end} ({n}, {why})"

    @property
    def whole(self) -> bool:
        return self.how == "all"


def parse_window(text: str, field: str = "--window") -> tuple[str, str] | str:
    """'auto' / 'all' as they are, 'YYYY-MM:YYYY-MM' or 'YYYY-MM' as (start, end)."""
    t = str(text).strip()
    if t in ("auto", "all"):
        return t
    m = _RANGE.match(t)
    if not m:
        raise InputError(f"expected 'auto', 'all', YYYY-MM or YYYY-MM:YYYY-MM, got {text!r}", field=field)
    start, end = m.group(1), m.group(2) or m.group(1)
    for month in (start, end):
        if not 1 <= int(month[5:]) <= 12:
            raise InputError(f"expected a month 01-12, got {month!r}", field=field)
    if end < start:
        raise InputError(f"expected the start before the end, got {start}:{end}", field=field)
    return start, end


def _span(months: Sequence[str], start: str, end: str, how: str) -> Window:
    inside = [m for m in months if start <= m <= end]
    return Window(start, end, how, len(inside))


def moving_months(cmp: Comparison) -> list[str]:
    """Months in which a flow indicator's median delta is beyond the tolerance (module doc)."""
    b = cmp.bands[cmp.bands["group"].isin(AUTO_GROUPS) & ~cmp.bands["item"].isin(AUTO_SKIP)]
    s = cmp.series[cmp.series["group"].isin(AUTO_GROUPS) & ~cmp.series["item"].isin(AUTO_SKIP)]
    for col in ("delta_p50", "delta_mean"):
        peaks = b.assign(d=b[col].abs()).groupby(["group", "item", "unit"], sort=False)["d"].max()
        unit_max = peaks.groupby(level="unit").transform("max")
        main = peaks[(peaks > ZERO_TOL) & (peaks >= REL_TOL * unit_max)]
        hit: set[str] = set()
        n_rep = cmp.replications
        for (group, item, _unit), peak in main.items():
            tol = max(ZERO_TOL, REL_TOL * float(peak))
            if col == "delta_mean":
                g = b[(b["group"] == group) & (b["item"] == item)]
                hit.update(g.loc[g[col].abs() > tol, "month"])
                continue
            rows = s[(s["group"] == group) & (s["item"] == item)]
            up = (rows["delta"] > tol).groupby(rows["month"], sort=False).sum()
            down = (rows["delta"] < -tol).groupby(rows["month"], sort=False).sum()
            agree = np.maximum(up.to_numpy(), down.to_numpy())
            hit.update(up.index[agree > n_rep / 2])
        if hit:
            return [m for m in cmp.months if m in hit]
    return []


def auto_window(cmp: Comparison) -> Window:
    """While B's own events last, if all are timed (module doc); else first to last moving month
    (`moving_months`); the whole horizon if none moves."""
    timed = event_windows(cmp, limit=None)
    if timed and all(ev.bounded for ev in timed):
        start = min(ev.during.start for ev in timed)
        end = max(ev.during.end for ev in timed)
        return _span(cmp.months, start, end, "events")
    moving = moving_months(cmp)
    if not moving:
        return _span(cmp.months, cmp.months[0], cmp.months[-1], "all")
    return _span(cmp.months, moving[0], moving[-1], "auto")


def resolve_window(cmp: Comparison, window: WindowArg = "auto") -> Window:
    """The `Window` of a comparison for `window` (see `WindowArg`); a given window must overlap
    the compared months (it is clipped to them)."""
    if window is None:
        window = "auto"
    spec = parse_window(window) if isinstance(window, str) else (str(window[0]), str(window[1]))
    if spec == "auto":
        return auto_window(cmp)
    if spec == "all" or isinstance(spec, str):
        return _span(cmp.months, cmp.months[0], cmp.months[-1], "all")
    start, end = spec
    lo, hi = max(start, cmp.months[0]), min(end, cmp.months[-1])
    if lo > hi:
        raise InputError(
            f"window {start}..{end} is outside the compared months {cmp.months[0]}..{cmp.months[-1]}",
            field="--window",
        )
    if (lo, hi) == (cmp.months[0], cmp.months[-1]):
        return _span(cmp.months, lo, hi, "all")
    return _span(cmp.months, lo, hi, "given")


def window_summary(cmp: Comparison, window: Window) -> pd.DataFrame:
    """`Comparison.summarize` over the window (the whole-horizon summary when it is whole)."""
    return cmp.summary if window.whole else cmp.summarize(window.start, window.end)


@dataclass(frozen=True)
class EventWindow:
    """One of B's own events (not in A): its label, the months while it lasts and after it."""

    label: str
    during: Window
    after: Window | None
    bounded: bool = False  # the action has a duration (it ends), not a permanent change


def _add_months(month: str, k: int) -> str:
    y, m = int(month[:4]), int(month[5:])
    t = y * 12 + (m - 1) + k
    return f"{t // 12:04d}-{t % 12 + 1:02d}"


def _own_events(cmp: Comparison) -> list:
    """Events of B's scenario that A's does not have, as run (else read from the files; empty for
    run directories or unreadable files)."""
    from sim.scenario.loader import load_scenario

    if cmp.a.kind != "scenario" or cmp.b.kind != "scenario":
        return []
    if cmp.a.events or cmp.b.events:  # the scenarios as run (a workbench edit is not in the file)
        seen = [e.model_dump() for e in cmp.a.events]
        return [e for e in cmp.b.events if e.model_dump() not in seen]
    if not all(isinstance(side.source, str | os.PathLike) for side in (cmp.a, cmp.b)):
        return []
    try:
        ea = load_scenario(cmp.a.source).spec.events
        eb = load_scenario(cmp.b.source).spec.events
    except (OSError, ValueError, ScenarioError):  # e.g. an in-memory scenario's label
        return []
    seen = [e.model_dump() for e in ea]
    return [e for e in eb if e.model_dump() not in seen]


def event_windows(cmp: Comparison, limit: int | None = 5) -> list[EventWindow]:
    """B's own events (at most `limit`) with their windows within the compared months: an action
    with `duration_months` d lasts [date, date + d - 1] and 'after' is the rest of the horizon;
    other actions last from their date to the end (no 'after')."""
    out = []
    first, last = cmp.months[0], cmp.months[-1]
    for ev in _own_events(cmp)[:limit]:
        act = ev.action
        start = ev.date
        if start > last:
            continue
        d = getattr(act, "duration_months", None)
        end = last if d is None else min(last, _add_months(start, int(d) - 1))
        after = None
        if d is not None and end < last:
            after = _span(cmp.months, _add_months(end, 1), last, "given")
        where = getattr(act, "route", None) or getattr(act, "target", None) or ""
        who = getattr(act, "actor", None) or getattr(act, "sender", None) or ""
        text = f"{start} {who + ': ' if who else ''}{act.type}{f' [{where}]' if where else ''}"
        if d is not None:
            text += f", {d} month{'s' if int(d) != 1 else ''}"
        during = _span(cmp.months, max(start, first), end, "given")
        out.append(EventWindow(text, during, after, bounded=d is not None))
    return out


__all__ = [
    "AUTO_GROUPS",
    "REL_TOL",
    "EventWindow",
    "Window",
    "WindowArg",
    "auto_window",
    "event_windows",
    "moving_months",
    "parse_window",
    "resolve_window",
    "window_summary",
]

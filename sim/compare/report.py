"""The written comparison: headline rows and lines, the Markdown report and the atomic
comparison directory (`write_comparison`: report.md, tables, manifest.json, plots)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.compare.paired import Comparison
from sim.compare.plots import comparison_figures
from sim.compare.sides import Side
from sim.compare.window import Window, WindowArg, event_windows, resolve_window, window_summary
from sim.outcome_labels import ZERO_TOL, ZERO_TOL_TEXT, clean, fmt_signed, fmt_value, short_label
from sim.results.writer import MANIFEST, git_commit, make_tmp_dir, publish_dir

STAT_LABEL = {"mean": "mean over months", "end": "last month", "total": "sum over months"}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MODELINE = re.compile(r"^\s*yaml-language-server:\s*\$schema=\S*\s*", re.IGNORECASE)


HEADLINES: list[tuple[str, str, str]] = [
    ("trade_pole", "total", "mean"),
    ("indicators", "exports_usd_bn", "mean"),
    ("indicators", "net_welfare_usd_bn", "mean"),
    ("indicators", "lost_exports_usd_bn", "mean"),
    ("exports_by_route", "*", "mean"),
    ("indicators", "welfare_transit_fees_usd_bn", "mean"),
    ("indicators", "reexports_usd_bn", "mean"),
    ("indicators", "enforcement", "end"),
    ("indicators", "penalty_realised_usd_bn", "total"),
    ("indicators", "multivector_index", "mean"),
]
"""Headline rows of the report: (group, item, statistic), labels from sim.outcome_labels;
item '*' stands for the ROUTE_ROWS route items whose mean delta is largest in the window;
alignment and pressure are added per pole."""

ROUTE_ROWS = 3
"""Route-export rows of the headline (the focus actor's routes that move most)."""


def clean_question(text: str) -> str:
    """A scenario's question without an editor modeline ('yaml-language-server: $schema=...')."""
    return _MODELINE.sub("", text or "").strip()


def _fmt(x: float) -> str:
    """Signed delta, '0' below ZERO_TOL (sim.outcome_labels.fmt_signed)."""
    return fmt_signed(x)


def _band(row: pd.Series, stat: str) -> str:
    mid, lo, hi = (clean(float(row[f"delta_{stat}{s}"])) for s in ("", "_p10", "_p90"))
    if lo == hi == mid:
        return _fmt(mid)
    return f"{_fmt(mid)} [{_fmt(lo)}, {_fmt(hi)}]"


def _routes(summ: pd.DataFrame, limit: int = ROUTE_ROWS) -> list[str]:
    rows = summ[summ["group"] == "exports_by_route"]
    rows = rows[rows["delta_mean"].abs() >= ZERO_TOL]
    order = np.argsort(-rows["delta_mean"].abs().to_numpy(), kind="stable")
    return [str(i) for i in rows["item"].to_numpy()[order][:limit]]


def _picks(cmp: Comparison, summ: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    summ = cmp.summary if summ is None else summ
    picks: list[tuple[str, str, str]] = []
    for group, item, stat in HEADLINES:
        if item == "*":
            picks += [(group, r, stat) for r in _routes(summ)]
        else:
            picks.append((group, item, stat))
    picks += [("alignment", p, "end") for p in _items(cmp, "alignment")]
    picks += [("pressure", p, "total") for p in _items(cmp, "pressure")]
    return picks


def _unit(row: pd.Series, group: str, stat: str) -> str:
    unit = str(row["unit"])
    if group == "alignment":
        return "pp"
    if stat == "total":
        return "actions" if group == "pressure" else unit.replace("/month", "").replace("/yr", "")
    return unit


def _scaled(row: pd.Series, group: str) -> pd.Series:
    """Alignment shares (0-1) in percentage points."""
    if group != "alignment":
        return row
    row = row.copy()
    for c in row.index:
        if str(c).startswith("delta_") and isinstance(row[c], float | np.floating):
            row[c] = 100.0 * float(row[c])
    return row


def headline_rows(cmp: Comparison, window: WindowArg | Window = "auto") -> list[tuple[str, str, str, str]]:
    """(label, unit, statistic, 'median [p10, p90]') for the report's headline table over
    `window` (sim.compare.window: 'auto' = the months in which B differs from A, 'all', or
    'YYYY-MM:YYYY-MM'); alignment in percentage points (pp). Labels from sim.outcome_labels."""
    win = window if isinstance(window, Window) else resolve_window(cmp, window)
    summ = window_summary(cmp, win).set_index(["group", "item"])
    out = []
    for group, item, stat in _picks(cmp, summ.reset_index()):
        if (group, item) not in summ.index:
            continue
        row = _scaled(summ.loc[(group, item)], group)
        out.append((short_label(item, group), _unit(row, group, stat), STAT_LABEL[stat], _band(row, stat)))
    return out


def uncertainty_rows(cmp: Comparison) -> list[tuple[str, str, float, float, str]]:
    """Headline deltas with a spread over replications, with posterior draws only:
    (label, statistic, sd of the per-replication delta, share of its variance due to the
    parameters (0-1), dominant source). Empty without draws."""
    if cmp.draws is None:
        return []
    tabs = {stat: cmp.uncertainty(stat).set_index(["group", "item"]) for stat in STAT_LABEL}
    out = []
    for group, item, stat in _picks(cmp):
        label = short_label(item, group)
        t = tabs[stat]
        if (group, item) not in t.index:
            continue
        r = t.loc[(group, item)]
        if not np.isfinite(r["share_param"]):
            continue
        sd = math.sqrt(r["var_param"] + r["var_stoch"])
        out.append((label, STAT_LABEL[stat], sd, float(r["share_param"]), str(r["dominant"])))
    return out


def uncertainty_verdict(cmp: Comparison) -> str:
    """One sentence: which source dominates the spread of the headline deltas ('' without draws)."""
    if cmp.draws is None:
        return ""
    rows = uncertainty_rows(cmp)
    n_draws = len(set(cmp.draws))
    what = (
        f"{cmp.replications} replications = {-(-cmp.replications // cmp.seeds_per_draw)} posterior draw "
        f"groups x {cmp.seeds_per_draw} seeds ({n_draws} distinct draws)"
    )
    if not rows:
        return f"{what}: no headline delta varies over replications, nothing to split"
    mean_share = float(np.mean([r[3] for r in rows]))
    n_param = sum(r[4] == "parameters" for r in rows)
    dom = "parameter" if mean_share > 0.5 else "stochastic"
    return (
        f"{what}: {dom} uncertainty dominates the spread of the headline deltas "
        f"(parameters explain {mean_share:.0%} of the variance on average; they dominate "
        f"{n_param} of {len(rows)} deltas)"
    )


def uncertainty_lines(cmp: Comparison, limit: int = 8) -> list[str]:
    """Plain-text lines for the CLI: the verdict and the split of a few headline deltas."""
    if cmp.draws is None:
        return []
    lines = [f"uncertainty: {uncertainty_verdict(cmp)}"]
    for label, stat, sd, share, _ in uncertainty_rows(cmp)[:limit]:
        lines.append(f"  {label} ({stat}): sd {sd:.3g}; parameters {share:.0%}, stochastic {1 - share:.0%}")
    return lines


def _items(cmp: Comparison, group: str) -> list[str]:
    return list(dict.fromkeys(cmp.summary.loc[cmp.summary["group"] == group, "item"]))


def headline_lines(cmp: Comparison, limit: int = 8, window: WindowArg | Window = "auto") -> list[str]:
    """Plain-text lines: which window the headline covers, then the headline rows whose median
    delta is not zero (below ZERO_TOL counts as zero)."""
    win = window if isinstance(window, Window) else resolve_window(cmp, window)
    rows = [r for r in headline_rows(cmp, win) if r[3].split(" ")[0] != "0"]
    lines = [f"  window: {win.text()}"]
    lines += [
        f"  {label} (0-1): {value} ({stat})" if unit == "0-1" else f"  {label}: {value} {unit} ({stat})"
        for label, unit, stat, value in rows[:limit]
    ]
    if not rows:
        lines.append("  no indicator differs between the two sides")
    return lines


def event_lines(cmp: Comparison, limit: int = 4) -> list[str]:
    """Per event of B that A does not have: its main deltas during it and after it."""
    out = []
    for ev in event_windows(cmp):
        out.append(f"  {ev.label}:")
        for part, win in (("during", ev.during), ("after", ev.after)):
            if win is None:
                continue
            rows = [r for r in headline_rows(cmp, win) if r[3].split(" ")[0] != "0"][:limit]
            text = "; ".join(f"{lb} {v} {u}" for lb, u, _, v in rows) or "no difference"
            out.append(f"    {part} ({win.start}..{win.end}): {text}")
    return out


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _group_rows(cmp: Comparison, group: str, summ: pd.DataFrame, limit: int = 10) -> list[list[str]]:
    """Rows of one report section: items whose delta (mean, last month or peak) is beyond
    ZERO_TOL, largest |mean delta| first; alignment in percentage points."""
    rows = summ[summ["group"] == group]
    moving = rows[(rows[["delta_mean", "delta_end", "peak_delta"]].abs() >= ZERO_TOL).any(axis=1)]
    moving = moving.iloc[np.argsort(-moving["delta_mean"].abs().to_numpy(), kind="stable")][:limit]
    out = []
    for _, r in moving.iterrows():
        d = _scaled(r, group)
        peak = clean(float(d["peak_delta"]))
        out.append(
            [
                short_label(str(r["item"])) if group == "indicators" else str(r["item"]),
                "pp (A, B: 0-1)" if group == "alignment" else str(r["unit"]),
                fmt_value(float(r["a_mean"])),
                fmt_value(float(r["b_mean"])),
                _band(d, "mean"),
                _band(d, "end"),
                f"{_fmt(peak)} ({r['peak_month']})" if peak != 0.0 else "0",
            ]
        )
    return out


def differing_months(cmp: Comparison) -> list[str]:
    """Months in which some indicator's delta is beyond ZERO_TOL in some replication."""
    diff = cmp.series.loc[cmp.series["delta"].abs() >= ZERO_TOL, "month"]
    hit = set(diff.unique())
    return [m for m in cmp.months if m in hit]


REPORT_SECTIONS: list[tuple[str, str, str | None]] = [
    ("trade_pole", "Trade by partner pole", "delta_trade_pole"),
    ("trade_partner", "Trade by partner (largest changes)", "delta_trade_partner"),
    ("exports_by_route", "Route exports and lost volume", "delta_exports_by_route"),
    ("indicators", "Re-exports, lost exports, welfare and other indicators", "delta_reexports_lost"),
    ("reexports", "Re-exports through each state", "delta_reexports_by_state"),
    ("dependence", "Dependence on poles", "delta_dependence"),
    ("alignment", "Alignment", "delta_alignment"),
    ("route_volume", "Route volumes (all shippers)", "delta_route_volume"),
    ("route_capacity", "Route capacity", None),
    ("pressure", "Coercive actions aimed at the focus actor (per month)", None),
]


def report_markdown(
    cmp: Comparison, plots: bool | list[str] = True, window: WindowArg | Window = "auto"
) -> str:
    """The short Markdown report of a comparison over `window` (sim.compare.window; default the
    months in which B differs from A). `plots`: reference the figures by file name (True: those
    `plot_stems` draws; a list: these stems; False: none)."""
    from sim.compare.plots import plot_stems
    from sim.results.summary import years_text

    win = window if isinstance(window, Window) else resolve_window(cmp, window)
    summ = window_summary(cmp, win)
    drawn = set(plot_stems(cmp) if plots is True else plots or [])
    reps = cmp.replications
    seeds = ", ".join(map(str, cmp.seeds[:10])) + (", ..." if reps > 10 else "")
    how = (
        f"{reps} paired replication{'s' if reps != 1 else ''} (seeds {seeds}"
        + (f", spawned from root seed {cmp.root_seed}" if cmp.root_seed is not None else "")
        + ")"
    )
    lines = [
        f"# {cmp.b.label} vs {cmp.a.label}",
        "",
        f"- **A**: {cmp.a.describe()}",
    ]
    qa, qb = clean_question(cmp.a.question), clean_question(cmp.b.question)
    if qa:
        lines.append(f"  - {qa}")
    lines.append(f"- **B**: {cmp.b.describe()}")
    if qb:
        lines.append(f"  - {qb}")
    differ = differing_months(cmp)
    lines += [
        f"- Focus: {cmp.focus}; months {cmp.months[0]}..{cmp.months[-1]} ({len(cmp.months)}); {how}.",
        "- **delta = B - A**, per replication and month; tables give the median over replications and, in "
        "brackets, the 10-90 % band. 'mean' is the mean over the window's months, 'last' its last month. "
        f"Values below {ZERO_TOL_TEXT} in absolute value print as 0; alignment deltas are in percentage "
        "points (pp).",
        f"- **Window**: {win.text()}; `mvsim compare --window` chooses another (see docs/compare.md).",
        f"- First month in which the runs differ: {differ[0] if differ else 'none (identical runs)'}.",
    ]
    if differ:
        lines.append(
            f"- Years in which B differs from A: {years_text(sorted({int(m[:4]) for m in differ}))}."
        )
    lines += [f"- Note: {n}." for n in cmp.notes]
    if cmp.draws is not None:
        lines.append(
            f"- Parameters drawn from the posterior `{cmp.posterior}`: both sides use the same draw and "
            f"seed in each replication; {cmp.seeds_per_draw} seeds per draw. The bands show parameter "
            "and stochastic uncertainty together."
        )
    lines += ["", f"## Headline ({win.start}..{win.end})", ""]
    lines += _md_table(
        ["indicator", "unit", "statistic", "delta"], [list(r) for r in headline_rows(cmp, win)]
    )
    events = event_lines(cmp)
    if events:
        lines += ["", "## B's own events: during and after", ""]
        lines += [ln.replace("    ", "  - ", 1) if ln.startswith("    ") else "-" + ln[1:] for ln in events]
    if cmp.draws is not None:
        lines += ["", "## Parameter vs. stochastic uncertainty", ""]
        lines.append(
            f"{uncertainty_verdict(cmp)}. Variance over replications of each headline delta (whole "
            "horizon), split by one-way ANOVA over the draw groups: between draws = parameter "
            "uncertainty, between seeds of one draw = stochastic (`uncertainty.csv` has every item)."
        )
        urows = uncertainty_rows(cmp)
        if urows:
            lines.append("")
            lines += _md_table(
                ["indicator", "statistic", "sd of delta", "parameters", "stochastic", "dominant"],
                [[lb, st, f"{sd:.3g}", f"{sh:.0%}", f"{1 - sh:.0%}", dom] for lb, st, sd, sh, dom in urows],
            )
    header = ["item", "unit", "A mean", "B mean", "delta, mean", "delta, last month", "peak median delta"]
    for group, title, plot in REPORT_SECTIONS:
        rows = _group_rows(cmp, group, summ)
        if not rows and group not in ("trade_pole", "alignment"):
            continue
        lines += ["", f"## {title} ({win.start}..{win.end})", ""]
        lines += _md_table(header, rows) if rows else ["No difference."]
        if plot and plot in drawn:
            lines += ["", f"![{title}]({plot}.png)"]
    acts = cmp.actions[cmp.actions["delta"].abs() >= ZERO_TOL].head(15)
    lines += ["", "## Actions that differ (mean count per replication, whole horizon)", ""]
    if acts.empty:
        lines.append("The same actions took effect in A and B.")
    else:
        lines += _md_table(
            ["actor", "kind", "action", "A", "B", "delta"],
            [
                [
                    r.actor or "(no actor)",
                    r.kind,
                    r.name,
                    fmt_value(r.a_mean),
                    fmt_value(r.b_mean),
                    _fmt(r.delta),
                ]
                for r in acts.itertuples()
            ],
        )
    return "\n".join(lines) + "\n"


def comparison_dir_name(cmp: Comparison, created: datetime) -> str:
    """`compare_<B>_vs_<A>_<YYYYmmddTHHMMSS>`, names made filesystem-safe."""

    def safe(s: str) -> str:
        return _UNSAFE.sub("_", s).strip("._") or "x"

    return f"compare_{safe(cmp.b.label)}_vs_{safe(cmp.a.label)}_{created.strftime('%Y%m%dT%H%M%S')}"


REPORT = "report.md"
TABLES = ("series", "bands", "summary", "actions")


def _manifest(cmp: Comparison, created: datetime, files: list[str]) -> dict[str, Any]:
    def side(s: Side) -> dict[str, Any]:
        return {
            "label": s.label,
            "source": str(Path(s.source).resolve()) if s.source else "",
            "kind": s.kind,
            "question": clean_question(s.question),
            "start": s.start,
            "end": s.end,
            "seed": s.seed,
        }

    return {
        "kind": "comparison",
        "delta": "B - A",
        "a": side(cmp.a),
        "b": side(cmp.b),
        "focus": cmp.focus,
        "seeds": cmp.seeds,
        "root_seed": cmp.root_seed,
        "replications": cmp.replications,
        "paired": cmp.paired,
        "months": {"first": cmp.months[0], "last": cmp.months[-1], "count": len(cmp.months)},
        "first_difference": cmp.first_difference,
        "posterior": None
        if cmp.draws is None
        else {"file": cmp.posterior, "draws": cmp.draws, "seeds_per_draw": cmp.seeds_per_draw},
        "notes": cmp.notes,
        "package_version": sim.__version__,
        "git_commit": git_commit(Path(sim.__file__).resolve().parent),
        "created": created.isoformat(timespec="seconds"),
        "files": files,
    }


def write_comparison(
    cmp: Comparison,
    out_dir: str | os.PathLike[str],
    plots: bool = True,
    created: datetime | None = None,
    window: WindowArg | Window = "auto",
) -> Path:
    """Write a comparison directory under `out_dir` atomically (temp dir, then rename).

    Contents: report.md (headline over `window`, see sim.compare.window); series, bands, summary
    and actions as Parquet (summary and actions also as CSV; summary over the whole horizon,
    window_summary.csv over the window); manifest.json (sides, seeds, horizon, window,
    versions); the `PLOTS` PNGs that have something to show (no empty plot is written).
    Returns the final directory.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = created or datetime.now(UTC)
    win = window if isinstance(window, Window) else resolve_window(cmp, window)
    tmp = make_tmp_dir(out_dir)
    try:
        files = []
        for name in TABLES:
            df: pd.DataFrame = getattr(cmp, name)
            df.to_parquet(tmp / f"{name}.parquet", engine="pyarrow", index=False)
            files.append(f"{name}.parquet")
        for name in ("summary", "actions"):
            getattr(cmp, name).to_csv(tmp / f"{name}.csv", index=False)
            files.append(f"{name}.csv")
        window_summary(cmp, win).to_csv(tmp / "window_summary.csv", index=False)
        files.append("window_summary.csv")
        if cmp.draws is not None:
            parts = [cmp.uncertainty(stat).assign(statistic=stat) for stat in STAT_LABEL]
            pd.concat(parts, ignore_index=True).to_csv(tmp / "uncertainty.csv", index=False)
            files.append("uncertainty.csv")
        drawn: list[str] = []
        if plots:
            for stem, fig in comparison_figures(cmp).items():
                fig.savefig(tmp / f"{stem}.png", dpi=110)
                files.append(f"{stem}.png")
                drawn.append(stem)
        (tmp / REPORT).write_text(report_markdown(cmp, plots=drawn, window=win), encoding="utf-8")
        files.append(REPORT)
        manifest = _manifest(cmp, created, files)
        manifest["window"] = {"first": win.start, "last": win.end, "count": win.count, "how": win.how}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        return publish_dir(tmp, out_dir, comparison_dir_name(cmp, created))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


__all__ = [
    "HEADLINES",
    "REPORT",
    "REPORT_SECTIONS",
    "STAT_LABEL",
    "TABLES",
    "clean_question",
    "comparison_dir_name",
    "differing_months",
    "event_lines",
    "headline_lines",
    "headline_rows",
    "report_markdown",
    "uncertainty_lines",
    "uncertainty_rows",
    "uncertainty_verdict",
    "write_comparison",
]

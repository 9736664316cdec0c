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
from sim.results.writer import MANIFEST, git_commit, make_tmp_dir, publish_dir

STAT_LABEL = {"mean": "mean over months", "end": "last month", "total": "sum over months"}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


HEADLINES: list[tuple[str, str, str, str]] = [
    ("trade_pole", "total", "trade, all partners", "mean"),
    ("indicators", "exports_usd_bn", "exports", "mean"),
    ("indicators", "net_welfare_usd_bn", "net economic welfare", "mean"),
    ("indicators", "lost_exports_usd_bn", "route exports lost (no capacity)", "mean"),
    ("indicators", "welfare_transit_fees_usd_bn", "transit fees earned", "mean"),
    ("indicators", "reexports_usd_bn", "re-exports of sanctioned goods", "mean"),
    ("indicators", "enforcement", "enforcement against re-exports", "end"),
    ("indicators", "penalty_realised_usd_bn", "secondary penalties realised", "total"),
    ("indicators", "multivector_index", "multi-vector index", "mean"),
]
"""Headline rows of the report: (group, item, label, statistic); alignment and pressure are added per pole."""


def _fmt(x: float) -> str:
    """Signed number: 1 decimal from 10, 2 from 0.1, 3 from 0.001, else 3 significant digits."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    a = abs(x)
    return f"{x:+.1f}" if a >= 10 else f"{x:+.2f}" if a >= 0.1 else f"{x:+.3f}" if a >= 0.001 else f"{x:+.3g}"


def _band(row: pd.Series, stat: str) -> str:
    mid, lo, hi = row[f"delta_{stat}"], row[f"delta_{stat}_p10"], row[f"delta_{stat}_p90"]
    if lo == hi == mid:
        return _fmt(mid)
    return f"{_fmt(mid)} [{_fmt(lo)}, {_fmt(hi)}]"


def _picks(cmp: Comparison) -> list[tuple[str, str, str, str]]:
    picks = list(HEADLINES)
    picks += [("alignment", p, f"alignment with {p}", "end") for p in _items(cmp, "alignment")]
    picks += [("pressure", p, f"coercive actions by {p}", "total") for p in _items(cmp, "pressure")]
    return picks


def headline_rows(cmp: Comparison) -> list[tuple[str, str, str, str]]:
    """(label, unit, statistic, 'median [p10, p90]') for the report's headline table."""
    summ = cmp.summary.set_index(["group", "item"])
    out = []
    for group, item, label, stat in _picks(cmp):
        if (group, item) not in summ.index:
            continue
        row = summ.loc[(group, item)]
        unit = (
            str(row["unit"]) if stat != "total" else str(row["unit"]).replace("/month", "").replace("/yr", "")
        )
        if stat == "total" and group == "pressure":
            unit = "actions"
        out.append((label, unit, STAT_LABEL[stat], _band(row, stat)))
    return out


def uncertainty_rows(cmp: Comparison) -> list[tuple[str, str, float, float, str]]:
    """Headline deltas with a spread over replications, with posterior draws only:
    (label, statistic, sd of the per-replication delta, share of its variance due to the
    parameters (0-1), dominant source). Empty without draws."""
    if cmp.draws is None:
        return []
    tabs = {stat: cmp.uncertainty(stat).set_index(["group", "item"]) for stat in STAT_LABEL}
    out = []
    for group, item, label, stat in _picks(cmp):
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


def headline_lines(cmp: Comparison, limit: int = 8) -> list[str]:
    """A few plain-text lines: the headline rows whose median delta is not zero."""
    rows = [r for r in headline_rows(cmp) if not r[3].startswith("0")]
    lines = [
        f"  {label} (0-1): {value} ({stat})" if unit == "0-1" else f"  {label}: {value} {unit} ({stat})"
        for label, unit, stat, value in rows[:limit]
    ]
    return lines or ["  no indicator differs between the two sides"]


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _group_rows(cmp: Comparison, group: str, limit: int = 10) -> list[list[str]]:
    summ = cmp.summary[cmp.summary["group"] == group]
    moving = summ[(summ[["delta_mean", "delta_end", "peak_delta"]].abs() > 0).any(axis=1)]
    moving = moving.iloc[np.argsort(-moving["delta_mean"].abs().to_numpy(), kind="stable")][:limit]
    return [
        [
            str(r["item"]),
            str(r["unit"]),
            f"{r['a_mean']:.3g}",
            f"{r['b_mean']:.3g}",
            _band(r, "mean"),
            _band(r, "end"),
            f"{_fmt(r['peak_delta'])} ({r['peak_month']})",
        ]
        for _, r in moving.iterrows()
    ]


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


def report_markdown(cmp: Comparison, plots: bool = True) -> str:
    """The short Markdown report of a comparison (plots referenced by file name)."""
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
    if cmp.a.question:
        lines.append(f"  - {cmp.a.question}")
    lines.append(f"- **B**: {cmp.b.describe()}")
    if cmp.b.question:
        lines.append(f"  - {cmp.b.question}")
    first = cmp.first_difference
    lines += [
        f"- Focus: {cmp.focus}; months {cmp.months[0]}..{cmp.months[-1]} ({len(cmp.months)}); {how}.",
        "- **delta = B - A**, per replication and month; tables give the median over replications and, in "
        "brackets, the 10-90 % band. 'mean' is the mean over all months, 'last' the last month.",
        f"- First month in which the runs differ: {first or 'none (identical runs)'}.",
    ]
    if cmp.years_differing:
        from sim.results.summary import years_text

        lines.append(f"- Years in which B differs from A: {years_text(cmp.years_differing)}.")
    lines += [f"- Note: {n}." for n in cmp.notes]
    if cmp.draws is not None:
        lines.append(
            f"- Parameters drawn from the posterior `{cmp.posterior}`: both sides use the same draw and "
            f"seed in each replication; {cmp.seeds_per_draw} seeds per draw. The bands show parameter "
            "and stochastic uncertainty together."
        )
    lines += ["", "## Headline", ""]
    lines += _md_table(["indicator", "unit", "statistic", "delta"], [list(r) for r in headline_rows(cmp)])
    if cmp.draws is not None:
        lines += ["", "## Parameter vs. stochastic uncertainty", ""]
        lines.append(
            f"{uncertainty_verdict(cmp)}. Variance over replications of each headline delta, split by "
            "one-way ANOVA over the draw groups: between draws = parameter uncertainty, between "
            "seeds of one draw = stochastic (`uncertainty.csv` has every item)."
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
        rows = _group_rows(cmp, group)
        if not rows and group not in ("trade_pole", "alignment"):
            continue
        lines += ["", f"## {title}", ""]
        lines += _md_table(header, rows) if rows else ["No difference."]
        if plots and plot:
            lines += ["", f"![{title}]({plot}.png)"]
    acts = cmp.actions[cmp.actions["delta"] != 0].head(15)
    lines += ["", "## Actions that differ (mean count per replication)", ""]
    if acts.empty:
        lines.append("The same actions took effect in A and B.")
    else:
        lines += _md_table(
            ["actor", "kind", "action", "A", "B", "delta"],
            [
                [r.actor or "(no actor)", r.kind, r.name, f"{r.a_mean:.2g}", f"{r.b_mean:.2g}", _fmt(r.delta)]
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
            "question": s.question,
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
    cmp: Comparison, out_dir: str | os.PathLike[str], plots: bool = True, created: datetime | None = None
) -> Path:
    """Write a comparison directory under `out_dir` atomically (temp dir, then rename).

    Contents: report.md; series, bands, summary and actions as Parquet (summary and actions
    also as CSV); manifest.json (sides, seeds, horizon, versions); the `PLOTS` PNGs.
    Returns the final directory.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = created or datetime.now(UTC)
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
        if cmp.draws is not None:
            parts = [cmp.uncertainty(stat).assign(statistic=stat) for stat in STAT_LABEL]
            pd.concat(parts, ignore_index=True).to_csv(tmp / "uncertainty.csv", index=False)
            files.append("uncertainty.csv")
        if plots:
            for stem, fig in comparison_figures(cmp).items():
                fig.savefig(tmp / f"{stem}.png", dpi=110)
                files.append(f"{stem}.png")
        (tmp / REPORT).write_text(report_markdown(cmp, plots=plots), encoding="utf-8")
        files.append(REPORT)
        manifest = _manifest(cmp, created, files)
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
    "comparison_dir_name",
    "headline_lines",
    "headline_rows",
    "report_markdown",
    "uncertainty_lines",
    "uncertainty_rows",
    "uncertainty_verdict",
    "write_comparison",
]

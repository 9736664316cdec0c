"""The written sweep comparison: CLI lines, report.md, plots and the atomic directory.

`summary_lines` (the CLI), `report_markdown`, `figures` (delta surfaces per outcome, outcome
distributions) and `write_sweep_comparison`. Labels and number formats: sim.outcome_labels.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outcome_labels import ZERO_TOL, ZERO_TOL_TEXT, clean, fmt_signed, fmt_value, sweep_label
from sim.sweep.compare import QUANTILES, SweepComparison
from sim.sweep.store import MANIFEST, read_table

REPORT = "report.md"


def _band_text(r: pd.Series) -> str:
    mid, lo, hi = (clean(float(r[c])) for c in ("delta_p50", "delta_p10", "delta_p90"))
    return fmt_signed(mid) if lo == hi == mid else f"{fmt_signed(mid)} [{fmt_signed(lo)}, {fmt_signed(hi)}]"


def _param_text(r: pd.Series, params: list[dict[str, Any]]) -> list[str]:
    out = []
    for p in params:
        v = r[p["column"]]
        out.append(str(v) if p["kind"] == "string" else f"{float(v):g}")
    return out


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(r) + " |" for r in rows]


def summary_lines(sc: SweepComparison, limit: int = 6) -> list[str]:
    """Plain-text lines for the CLI: per outcome the delta over all pairs (paired) or the shift
    of the median (unpaired), then the design points of the first outcome."""
    lines = []
    for _, r in sc.overall.iterrows():
        name = sweep_label(str(r["outcome"]))
        if sc.paired:
            up, down = float(r["share_up"]), float(r["share_down"])
            lines.append(f"  {name}: {_band_text(r)} ({up:.0%} of pairs up, {down:.0%} down)")
        else:
            med = sc.quantiles[(sc.quantiles["outcome"] == r["outcome"]) & (sc.quantiles["q"] == 0.5)].iloc[0]
            lines.append(
                f"  {name}: median {fmt_value(med['a'])} -> {fmt_value(med['b'])} ({fmt_signed(med['diff'])})"
            )
    if sc.paired and len(sc.points):
        first = sc.outcomes[0]
        pts = sc.points[sc.points["outcome"] == first]
        cols = ", ".join(p["column"] for p in sc.params)
        lines.append(f"  per design point ({cols}): {sweep_label(first)}, delta median [10-90 %]")
        for _, r in pts.head(limit * 3).iterrows():
            lines.append(f"    {', '.join(_param_text(r, sc.params))}: {_band_text(r)}")
    return lines


def report_markdown(sc: SweepComparison, plots: list[str] | None = None) -> str:
    """The Markdown report of a sweep comparison (plots referenced by file name)."""
    plots = plots or []
    how = (
        "paired: the same design, seed and replications, so each run of B has a partner in A with the "
        "same parameter values and seed (common random numbers); delta = B - A per run pair"
        if sc.paired
        else "not paired: " + "; ".join(n for n in sc.notes if "no run pairs" in n or "partner" in n)
    )
    lines = [
        f"# Sweep {sc.b_name} vs {sc.a_name}",
        "",
        f"- **A**: {sc.a_name} ({sc.a_dir}){f', base {sc.a_base}' if sc.a_base else ''}",
        f"- **B**: {sc.b_name} ({sc.b_dir}){f', base {sc.b_base}' if sc.b_base else ''}",
        f"- Parameters: {', '.join(p['column'] for p in sc.params)}.",
        f"- Comparison: {how}.",
        f"- Bands: 10-90 % over replications (per point) or over all pairs (overall); values below "
        f"{ZERO_TOL_TEXT} in absolute value print as 0.",
    ]
    lines += [f"- Note: {n}." for n in sc.notes if not (not sc.paired and "no run pairs" in n)]
    lines += ["", "## Overall", ""]
    if sc.paired:
        lines += _md_table(
            ["outcome", "A mean", "B mean", "delta median [p10, p90]", "pairs up", "pairs down"],
            [
                [
                    sweep_label(str(r["outcome"])),
                    fmt_value(r["a_mean"]),
                    fmt_value(r["b_mean"]),
                    _band_text(r),
                    f"{r['share_up']:.0%}",
                    f"{r['share_down']:.0%}",
                ]
                for _, r in sc.overall.iterrows()
            ],
        )
    else:
        lines += _md_table(
            ["outcome", "A mean", "B mean", "runs A", "runs B"],
            [
                [
                    sweep_label(str(r["outcome"])),
                    fmt_value(r["a_mean"]),
                    fmt_value(r["b_mean"]),
                    str(r["n_a"]),
                    str(r["n_b"]),
                ]
                for _, r in sc.overall.iterrows()
            ],
        )
    if sc.paired:
        for o in sc.outcomes:
            pts = sc.points[sc.points["outcome"] == o]
            if not (sc.runs.loc[sc.runs["outcome"] == o, "delta"].abs() >= ZERO_TOL).any():
                lines += [
                    "",
                    f"## Paired delta per design point: {sweep_label(o)}",
                    "",
                    "No difference in any pair.",
                ]
                continue
            lines += ["", f"## Paired delta per design point: {sweep_label(o)}", ""]
            lines += _md_table(
                [*(p["column"] for p in sc.params), "A mean", "B mean", "delta median [p10, p90]", "pairs"],
                [
                    [
                        *_param_text(r, sc.params),
                        fmt_value(r["a_mean"]),
                        fmt_value(r["b_mean"]),
                        _band_text(r),
                        str(int(r["n"])),
                    ]
                    for _, r in pts.iterrows()
                ],
            )
            stem = f"delta_surface_{_safe(o)}"
            if stem in plots:
                lines += ["", f"![delta surface of {o}]({stem}.png)"]
    lines += ["", "## Where B's distribution differs (quantiles over runs)", ""]
    qt = sc.quantiles
    lines += _md_table(
        ["outcome", *(f"q{round(q * 100):02d} A -> B" for q in QUANTILES)],
        [
            [
                sweep_label(o),
                *(
                    f"{fmt_value(r['a'])} -> {fmt_value(r['b'])} ({fmt_signed(r['diff'])})"
                    for _, r in qt[qt["outcome"] == o].iterrows()
                ),
            ]
            for o in sc.outcomes
        ],
    )
    if "distributions" in plots:
        lines += ["", "![outcome distributions](distributions.png)"]
    if sc.sobol is not None and len(sc.sobol):
        lines += ["", "## Sobol indices side by side", ""]
        extra = "S1_delta" in sc.sobol.columns
        header = [
            "outcome",
            "parameter",
            "S1 A",
            "ST A",
            "S1 B",
            "ST B",
            *(["S1 delta", "ST delta"] if extra else []),
        ]
        rows = []
        for _, r in sc.sobol.iterrows():
            vals = [
                r["S1_a"],
                r["ST_a"],
                r["S1_b"],
                r["ST_b"],
                *([r["S1_delta"], r["ST_delta"]] if extra else []),
            ]
            rows.append(
                [
                    sweep_label(str(r["outcome"])),
                    str(r["parameter"]),
                    *(f"{clean(float(v)):.2f}" for v in vals),
                ]
            )
        lines += _md_table(header, rows)
    return "\n".join(lines) + "\n"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def figures(sc: SweepComparison) -> dict[str, Any]:
    """Plots: per outcome the paired delta over each parameter (`delta_surface_<outcome>`: runs as
    dots, median delta and 10-90 % band per value; with two parameters also the median delta per
    design point as a heat map), and the outcome distributions of A and B (`distributions`:
    empirical CDFs). Outcomes whose delta is zero everywhere get no surface plot."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    out: dict[str, Any] = {}
    if sc.paired:
        for o in sc.outcomes:
            runs = sc.runs[sc.runs["outcome"] == o]
            if not (runs["delta"].abs() >= ZERO_TOL).any():
                continue
            n_p = len(sc.params)
            grid = n_p == 2 and all(p["kind"] != "string" for p in sc.params)
            fig = Figure(figsize=(4.2 * (n_p + grid), 3.6), layout="constrained")
            FigureCanvasAgg(fig)
            axes = fig.subplots(1, n_p + grid, squeeze=False)[0]
            for ax, p in zip(axes, sc.params, strict=False):
                col = p["column"]
                s = sc.surface[(sc.surface["outcome"] == o) & (sc.surface["parameter"] == col)]
                x = (
                    runs[col]
                    if p["kind"] != "string"
                    else runs[col].map({v: i for i, v in enumerate(p["values"])})
                )
                xs = (
                    s["x"] if p["kind"] != "string" else s["x"].map({v: i for i, v in enumerate(p["values"])})
                )
                ax.axhline(0.0, color="0.5", lw=0.8)
                ax.scatter(x, runs["delta"], s=10, color="0.45", alpha=0.6, label="run pairs")
                ax.fill_between(
                    xs, s["delta_p10"], s["delta_p90"], color="C0", alpha=0.25, lw=0, label="10-90 %"
                )
                ax.plot(xs, s["delta_p50"], color="C0", lw=1.8, marker="o", label="median")
                ax.set_xlabel(col)
                if p["kind"] == "string":
                    ax.set_xticks(range(len(p["values"])), p["values"])
                ax.grid(True, alpha=0.3)
            axes[0].set_ylabel(f"delta B - A\n{sweep_label(o)}", fontsize="x-small")
            axes[0].legend(frameon=False, fontsize="x-small")
            if grid:
                ax = axes[-1]
                c1, c2 = (p["column"] for p in sc.params)
                pts = sc.points[sc.points["outcome"] == o]
                table = pts.pivot_table(index=c2, columns=c1, values="delta_p50", aggfunc="median")
                lim = float(np.nanmax(np.abs(table.to_numpy()))) or 1.0
                im = ax.pcolormesh(
                    np.arange(table.shape[1] + 1),
                    np.arange(table.shape[0] + 1),
                    table.to_numpy(),
                    cmap="RdBu_r",
                    vmin=-lim,
                    vmax=lim,
                )
                ax.set_xticks(np.arange(table.shape[1]) + 0.5, [f"{float(v):g}" for v in table.columns])
                ax.set_yticks(np.arange(table.shape[0]) + 0.5, [f"{float(v):g}" for v in table.index])
                ax.set_xlabel(c1)
                ax.set_ylabel(c2)
                ax.set_title("median delta per design point", fontsize="small")
                fig.colorbar(im, ax=ax, shrink=0.85)
                for (i, j), v in np.ndenumerate(table.to_numpy()):
                    ax.text(
                        j + 0.5, i + 0.5, fmt_signed(float(v)), ha="center", va="center", fontsize="small"
                    )
            fig.suptitle(
                f"{sc.b_name} - {sc.a_name}: paired delta of {o} over the parameters", fontsize="medium"
            )
            out[f"delta_surface_{_safe(o)}"] = fig
    n = len(sc.outcomes)
    fig = Figure(figsize=(4.0 * min(n, 3), 3.2 * -(-n // 3)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(-(-n // 3), min(n, 3), squeeze=False).ravel()
    a_runs = read_table(sc.a_dir, "outcomes")
    b_runs = read_table(sc.b_dir, "outcomes")
    for ax, o in zip(axes, sc.outcomes, strict=False):
        for tag, df, colour in ((sc.a_name, a_runs, "C0"), (sc.b_name, b_runs, "C3")):
            v = np.sort(df[o].to_numpy(dtype=np.float64))
            v = v[np.isfinite(v)]
            ax.step(v, np.arange(1, v.size + 1) / max(v.size, 1), where="post", color=colour, label=tag)
        ax.set_xlabel(sweep_label(o), fontsize="x-small")
        ax.set_ylabel("share of runs", fontsize="x-small")
        ax.grid(True, alpha=0.3)
    for ax in axes[n:]:
        ax.set_axis_off()
    axes[0].legend(frameon=False, fontsize="x-small")
    fig.suptitle(f"Outcome distributions over runs: {sc.a_name} (A) and {sc.b_name} (B)", fontsize="medium")
    out["distributions"] = fig
    return out


def write_sweep_comparison(
    sc: SweepComparison, out_dir: str | os.PathLike[str], plots: bool = True, created: datetime | None = None
) -> Path:
    """Write `compare_sweeps_<B>_vs_<A>_<time>/` under `out_dir` atomically: report.md, overall.csv,
    points.csv, surface.csv, quantiles.csv, runs.parquet (paired), sobol.csv (Sobol designs),
    manifest.json and the `figures` PNGs. Returns the directory."""
    from sim.results.writer import make_tmp_dir, publish_dir

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = created or datetime.now(UTC)
    tmp = make_tmp_dir(out_dir)
    try:
        files = []
        for name in ("overall", "points", "surface", "quantiles"):
            getattr(sc, name).to_csv(tmp / f"{name}.csv", index=False)
            files.append(f"{name}.csv")
        if len(sc.runs):
            sc.runs.to_parquet(tmp / "runs.parquet", index=False)
            files.append("runs.parquet")
        if sc.sobol is not None:
            sc.sobol.to_csv(tmp / "sobol.csv", index=False)
            files.append("sobol.csv")
        drawn = []
        if plots:
            for stem, fig in figures(sc).items():
                fig.savefig(tmp / f"{stem}.png", dpi=110)
                files.append(f"{stem}.png")
                drawn.append(stem)
        (tmp / REPORT).write_text(report_markdown(sc, drawn), encoding="utf-8")
        files.append(REPORT)
        manifest = {
            "kind": "sweep-comparison",
            "delta": "B - A",
            "a": str(sc.a_dir.resolve()),
            "b": str(sc.b_dir.resolve()),
            "paired": sc.paired,
            "outcomes": sc.outcomes,
            "notes": sc.notes,
            "created": created.isoformat(timespec="seconds"),
            "files": files,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        name = f"compare_sweeps_{_safe(sc.b_name)}_vs_{_safe(sc.a_name)}_{created.strftime('%Y%m%dT%H%M%S')}"
        return publish_dir(tmp, out_dir, name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


__all__ = [
    "REPORT",
    "figures",
    "report_markdown",
    "summary_lines",
    "write_sweep_comparison",
]

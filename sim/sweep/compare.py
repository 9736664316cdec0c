"""Two sweeps compared, delta = B - A: `compare_sweeps` and `write_sweep_comparison`.

    from sim.sweep.compare import compare_sweeps, write_sweep_comparison
    sc = compare_sweeps("results/sweeps/smoke", "results/sweeps/smoke_01b")
    sc.points.query("outcome == 'kz_oil_lost_mt'")   # paired delta per design point, median [p10, p90]
    write_sweep_comparison(sc, "results")             # report.md, tables, plots (atomic)

Paired (`SweepComparison.paired`): both sweeps have the same design (type, levels or samples,
parameters, ranges and values), seed and replications, so run k of A and run k of B have the
same parameter values and the same seed: B - A per run is a paired delta on common random
numbers (the sweep over the baseline and the same sweep over a scenario). Per design point the
delta's median and 10-90 % band over replications (`points`); over each parameter the response
surface of the delta (`surface`: the median delta per parameter value, other parameters
pooled; binned into SURFACE_BINS quantile bins for continuous designs); over all runs, where B's
outcome distribution differs from A's (`quantiles`). With two Sobol designs, the Sobol indices
of A and B side by side and those of the delta (`sobol`).

Unpaired (the designs, seeds or replications differ): there are no run pairs; the comparison
is of the outcome distributions over all runs of each sweep (`quantiles`), which mixes the
scenario effect with the difference of the designs (the note says so). Sobol indices are
still set side by side when both are Sobol designs.

Only complete chunks are read (sim.sweep.store.read_sweep); failed runs are left out, and so are
their partners in a paired comparison. Outcomes compared: the scalar outcomes both sweeps have.
Units are those of the outcomes (sim.sweep.outcomes); labels from sim.outcome_labels.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.outcome_labels import ZERO_TOL, clean, fmt_signed, fmt_value, sweep_label
from sim.sweep.store import MANIFEST, load_manifest, read_table

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
"""Quantiles of each side's outcome distribution over runs."""
BAND = (0.1, 0.9)
"""The band of a delta: 10 % and 90 % quantiles over replications (or runs)."""
SURFACE_BINS = 5
"""Quantile bins of a continuous parameter for its response surface."""
DESIGN_KEYS = ("design", "seed", "replications", "parameters")
"""The parts of a sweep file that must agree for run-by-run pairing."""
REPORT = "report.md"


@dataclass
class SweepComparison:
    """Two sweeps, delta = B - A.

    runs: paired: one row per run pair and outcome: point, replication, seed, the parameter
        columns, outcome, a, b, delta. Unpaired: empty.
    points: paired: per design point and outcome: the parameter values, a_mean, b_mean (means over
        replications), delta_p10, delta_p50, delta_p90, delta_mean, n (pairs). Unpaired: empty.
    surface: paired: per outcome, parameter and parameter value (or bin): x (value or bin
        centre), delta_p10, delta_p50, delta_p90, delta_mean, n. Unpaired: empty.
    quantiles: per outcome and quantile q: a, b (the q-quantiles over runs), diff = b - a.
    overall: per outcome: a_mean, b_mean, n_a, n_b and, paired, delta_p10/p50/p90/mean over all
        run pairs and share_up / share_down (pairs with delta > / < 0 beyond ZERO_TOL).
    sobol: with two Sobol designs: outcome, parameter, S1_a, ST_a, S1_b, ST_b (and, paired,
        S1_delta, ST_delta); None otherwise.
    """

    a_dir: Path
    b_dir: Path
    a_name: str
    b_name: str
    paired: bool
    params: list[dict[str, Any]]
    outcomes: list[str]
    runs: pd.DataFrame
    points: pd.DataFrame
    surface: pd.DataFrame
    quantiles: pd.DataFrame
    overall: pd.DataFrame
    sobol: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)
    a_base: str = ""
    b_base: str = ""


def _design(manifest: dict[str, Any]) -> dict[str, Any]:
    sweep = manifest.get("sweep", {})
    return {k: sweep.get(k) for k in DESIGN_KEYS}


def design_difference(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The design keys on which two sweep manifests differ (empty: pairable)."""
    da, db = _design(a), _design(b)
    return [k for k in DESIGN_KEYS if json.dumps(da[k], sort_keys=True) != json.dumps(db[k], sort_keys=True)]


def _side(path: Path) -> tuple[dict[str, Any], pd.DataFrame, list[str]]:
    """(manifest, ok runs merged with their outcomes, notes) of one sweep directory."""
    if not path.is_dir() or not (path / MANIFEST).is_file():
        raise InputError(
            f"expected a sweep directory written by `mvsim sweep` (with {MANIFEST})", file=str(path)
        )
    manifest = load_manifest(path)
    exp = read_table(path, "experiments")
    if not len(exp):
        raise InputError("the sweep holds no finished runs yet", file=str(path))
    notes = []
    if manifest.get("status") != "complete" or len(exp) < int(manifest["n_runs"]):
        notes.append(
            f"{manifest['name']} is {manifest.get('status')}: {len(exp)} of {manifest['n_runs']} runs "
            "done (finish it with mvsim sweep ... --resume)"
        )
    ok = exp[exp["status"] == "ok"]
    if len(ok) < len(exp):
        notes.append(f"{manifest['name']}: {len(exp) - len(ok)} failed run(s) left out")
    out = read_table(path, "outcomes")
    return manifest, ok.merge(out, on="run_id", how="inner"), notes


def _q(x: pd.Series | np.ndarray, q: float) -> float:
    v = np.asarray(x, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(np.quantile(v, q)) if v.size else float("nan")


def _band_frame(g: pd.core.groupby.SeriesGroupBy) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "delta_p10": g.quantile(BAND[0]),
            "delta_p50": g.median(),
            "delta_p90": g.quantile(BAND[1]),
            "delta_mean": g.mean(),
            "n": g.count(),
        }
    )


def _surface(runs: pd.DataFrame, params: list[dict[str, Any]]) -> pd.DataFrame:
    parts = []
    for p in params:
        col = p["column"]
        x = runs[col]
        if p["kind"] == "string" or x.nunique() <= 2 * SURFACE_BINS:
            key = x
            centre = x
        else:
            key = pd.qcut(x.astype(float), SURFACE_BINS, duplicates="drop")
            centre = key.map(lambda iv: float(iv.mid)).astype(float)
        g = runs.assign(_key=key, x=centre).groupby(["outcome", "_key"], sort=True, observed=True)
        band = _band_frame(g["delta"])
        band["x"] = g["x"].first()
        band = band.reset_index().drop(columns="_key").assign(parameter=col)
        parts.append(band)
    cols = ["outcome", "parameter", "x", "delta_p10", "delta_p50", "delta_p90", "delta_mean", "n"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _sobol(
    ma: dict[str, Any],
    a: pd.DataFrame,
    mb: dict[str, Any],
    b: pd.DataFrame,
    outcomes: list[str],
    runs: pd.DataFrame,
) -> tuple[pd.DataFrame | None, list[str]]:
    from sim.sweep.analyze import sobol_indices

    if ma["sweep"]["design"]["type"] != "sobol" or mb["sweep"]["design"]["type"] != "sobol":
        return None, []
    notes: list[str] = []
    tables = []
    for tag, m, df in (("a", ma, a), ("b", mb, b)):
        if len(df) < int(m["n_runs"]):
            notes.append(f"Sobol indices of {m['name']} need the complete design: skipped")
            return None, notes
        sob, _, n = sobol_indices(df[["run_id", "point"]], df[["run_id", *outcomes]], m, outcomes)
        notes += [f"{m['name']}: {x}" for x in n]
        tables.append(
            sob.rename(columns={"S1": f"S1_{tag}", "ST": f"ST_{tag}"})[
                ["outcome", "parameter", f"S1_{tag}", f"ST_{tag}"]
            ]
        )
    both = tables[0].merge(tables[1], on=["outcome", "parameter"], how="outer")
    if len(runs):
        wide = runs.pivot_table(
            index="point", columns="outcome", values="delta", aggfunc="mean"
        ).reset_index()
        wide["run_id"] = wide["point"]
        sob, _, n = sobol_indices(wide[["run_id", "point"]], wide[["run_id", *outcomes]], ma, outcomes)
        notes += [f"delta: {x}" for x in n]
        if len(sob):
            d = sob.rename(columns={"S1": "S1_delta", "ST": "ST_delta"})[
                ["outcome", "parameter", "S1_delta", "ST_delta"]
            ]
            both = both.merge(d, on=["outcome", "parameter"], how="left")
    return both, notes


def compare_sweeps(
    a_dir: str | os.PathLike[str], b_dir: str | os.PathLike[str], outcomes: list[str] | None = None
) -> SweepComparison:
    """Compare sweep directory `b_dir` with `a_dir` (delta = B - A); see the module doc.

    outcomes: scalar outcomes to compare (default: those both sweeps have).
    """
    a_path, b_path = Path(a_dir), Path(b_dir)
    ma, a, notes_a = _side(a_path)
    mb, b, notes_b = _side(b_path)
    notes = notes_a + notes_b
    common = [o for o in ma["outcomes"]["scalars"] if o in set(mb["outcomes"]["scalars"])]
    if outcomes:
        unknown = [o for o in outcomes if o not in common]
        if unknown:
            raise InputError(
                f"unknown outcome(s) {', '.join(unknown)}; "
                f"scalar outcomes of both sweeps: {', '.join(common)}",
                field="--outcome",
            )
        common = list(outcomes)
    if not common:
        raise InputError(
            f"the sweeps share no scalar outcome ({', '.join(ma['outcomes']['scalars'])} vs "
            f"{', '.join(mb['outcomes']['scalars'])})",
            field="B_DIR",
        )
    differ = design_difference(ma, mb)
    params = list(ma["parameters"])
    paired = not differ
    cols = [p["column"] for p in params]
    runs = pd.DataFrame()
    if paired:
        key = ["point", "replication", "seed", *cols]
        both = a[[*key, *common]].merge(b[[*key, *common]], on=key, how="inner", suffixes=("_a", "_b"))
        lost = max(len(a), len(b)) - len(both)
        if lost:
            notes.append(f"{lost} run(s) without a partner (failed or not yet run on one side) left out")
        if not len(both):
            paired = False
            notes.append("no run of A has a partner in B with the same point, seed and parameters")
        else:
            parts = [both[key].assign(outcome=o, a=both[f"{o}_a"], b=both[f"{o}_b"]) for o in common]
            runs = pd.concat(parts, ignore_index=True)
            runs["delta"] = runs["b"] - runs["a"]
    if not paired and differ:
        notes.append(
            f"the sweeps differ in their {', '.join(differ)}: no run pairs; compared are the outcome "
            "distributions over all runs of each sweep, which mix the scenario effect with the "
            "difference of the designs"
        )
    points = pd.DataFrame()
    surface = pd.DataFrame()
    if paired:
        g = runs.groupby(["outcome", "point"], sort=False)
        points = _band_frame(g["delta"])
        points["a_mean"] = g["a"].mean()
        points["b_mean"] = g["b"].mean()
        for c in cols:
            points[c] = g[c].first()
        points = points.reset_index()[
            [
                "outcome",
                "point",
                *cols,
                "a_mean",
                "b_mean",
                "delta_p10",
                "delta_p50",
                "delta_p90",
                "delta_mean",
                "n",
            ]
        ]
        surface = _surface(runs, params)
    qrows = []
    orows = []
    for o in common:
        for q in QUANTILES:
            qa, qb = _q(a[o], q), _q(b[o], q)
            qrows.append({"outcome": o, "q": q, "a": qa, "b": qb, "diff": qb - qa})
        row: dict[str, Any] = {
            "outcome": o,
            "a_mean": float(np.nanmean(a[o])) if len(a) else float("nan"),
            "b_mean": float(np.nanmean(b[o])) if len(b) else float("nan"),
            "n_a": int(a[o].notna().sum()),
            "n_b": int(b[o].notna().sum()),
        }
        if paired:
            d = runs.loc[runs["outcome"] == o, "delta"]
            row.update(
                delta_p10=_q(d, BAND[0]),
                delta_p50=_q(d, 0.5),
                delta_p90=_q(d, BAND[1]),
                delta_mean=float(d.mean()),
                share_up=float((d >= ZERO_TOL).mean()),
                share_down=float((d <= -ZERO_TOL).mean()),
            )
        orows.append(row)
    sobol, n_sob = _sobol(ma, a, mb, b, common, runs)
    notes += n_sob
    return SweepComparison(
        a_dir=a_path,
        b_dir=b_path,
        a_name=str(ma["name"]),
        b_name=str(mb["name"]),
        paired=paired,
        params=params,
        outcomes=common,
        runs=runs,
        points=points,
        surface=surface,
        quantiles=pd.DataFrame(qrows),
        overall=pd.DataFrame(orows),
        sobol=sobol,
        notes=notes,
        a_base=str((ma.get("base") or {}).get("name", "")),
        b_base=str((mb.get("base") or {}).get("name", "")),
    )


def _band_text(r: pd.Series) -> str:
    mid, lo, hi = (clean(float(r[c])) for c in ("delta_p50", "delta_p10", "delta_p90"))
    return fmt_signed(mid) if lo == hi == mid else f"{fmt_signed(mid)} [{fmt_signed(lo)}, {fmt_signed(hi)}]"


def _param_text(r: pd.Series, params: list[dict[str, Any]]) -> list[str]:
    out = []
    for p in params:
        v = r[p["column"]]
        out.append(str(v) if p["kind"] == "string" else fmt_value(float(v)))
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
        f"{ZERO_TOL:g} in absolute value print as 0.",
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
            axes[0].set_ylabel(f"delta, {sweep_label(o)}", fontsize="small")
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
                ax.set_xticks(np.arange(table.shape[1]) + 0.5, [fmt_value(float(v)) for v in table.columns])
                ax.set_yticks(np.arange(table.shape[0]) + 0.5, [fmt_value(float(v)) for v in table.index])
                ax.set_xlabel(c1)
                ax.set_ylabel(c2)
                ax.set_title("median delta per design point", fontsize="small")
                fig.colorbar(im, ax=ax, shrink=0.85)
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
    "QUANTILES",
    "SweepComparison",
    "compare_sweeps",
    "design_difference",
    "figures",
    "report_markdown",
    "summary_lines",
    "write_sweep_comparison",
]

"""Analysis of a finished sweep: Sobol indices, feature scores, PRIM scenario discovery, plots.

    from sim.sweep.analyze import analyze_sweep
    result = analyze_sweep("results/sweeps/hedging_sobol", condition="kz_oil_lost_mt > 5")

* **Sobol indices** (SALib.analyze.sobol; Saltelli 2010, Jansen estimators, bootstrap 95 %
  intervals) when the design is `sobol`: the outcome is averaged over replications per design
  point, every point must have a successful run.
* **Feature scores** for any design, per outcome and parameter: Spearman's rank correlation
  (sign and strength of a monotone effect, with its p-value) and the first-order index S1 by
  RBD-FAST (SALib.analyze.rbd_fast; Plischke 2010, Tarantola et al. 2006): the runs sorted by
  one parameter are read as a periodic signal whose low harmonics carry that parameter's share
  of the variance, so it needs no special design and also sees non-monotone effects. With
  fewer than MIN_FAST_RUNS runs only Spearman is given. String-valued parameters are scored by
  their value's index in the sweep file's list. (SALib's moment-independent delta was tried:
  at a few thousand runs it takes tens of seconds per outcome and prints bin notices, so it
  is left out.)
* **PRIM** (Friedman & Fisher 1999) for a condition such as `kz_oil_lost_mt > 5` (clauses joined
  by `and`; operators > >= < <= == !=): the box in parameter space where the condition holds,
  found with the PRIM package (Project-Platypus/PRIM, the standalone version of the EMA
  Workbench's implementation). From the peeling trajectory the box with the largest coverage
  among those with density >= `min_density` is chosen (else the densest).

Files written to `<sweep>/analysis/` (or `out_dir`): sobol.csv (and sobol_s2.csv with second
order), feature_scores.csv, prim_box.csv, prim_trajectory.csv, summary.txt and the plots
sobol.png (S1/ST bars), scatter.png (each outcome against each parameter), prim_tradeoff.png
(coverage vs density along the peeling trajectory) and prim_box.png (box limits on each
restricted parameter's range).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.sweep.store import load_manifest, read_table

OPS = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_CLAUSE = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
MAX_SCATTER_POINTS = 5000
MIN_FAST_RUNS = 100  # with fewer finite outcome values RBD-FAST indices are noise: Spearman only


@dataclass
class PrimResult:
    """A PRIM box: limits of the restricted parameters and its statistics."""

    condition: str
    n_cases: int  # runs where the condition holds
    n_runs: int
    limits: pd.DataFrame  # index parameter; columns min, max, qp_value
    coverage: float  # share of the cases of interest inside the box
    density: float  # share of the runs inside the box that are cases of interest
    mass: float  # share of all runs inside the box
    trajectory: pd.DataFrame  # coverage, density, mean, res_dim, mass per peeling step
    selected: int  # index of the chosen box in the trajectory

    def text(self) -> str:
        lines = [
            f"PRIM box for {self.condition!r}: {self.n_cases} of {self.n_runs} runs are cases of interest",
            f"  coverage {self.coverage:.2f}, density {self.density:.2f}, mass {self.mass:.2f} "
            f"(step {self.selected} of {len(self.trajectory) - 1})",
        ]
        if not len(self.limits):
            lines.append("  no parameter is restricted: the condition is not explained by a box")
        for name, row in self.limits.iterrows():
            weak = "; not significant, could be dropped" if row["qp_value"] > 0.05 else ""
            lines.append(
                f"  {name}: {_fmt(row['min'])} .. {_fmt(row['max'])} (quasi-p {row['qp_value']:.2g}{weak})"
            )
        return "\n".join(lines)


@dataclass
class Analysis:
    """Results of `analyze_sweep`."""

    sweep_dir: Path
    n_runs: int
    n_ok: int
    outcomes: list[str]
    sobol: pd.DataFrame | None
    sobol_s2: pd.DataFrame | None
    scores: pd.DataFrame
    prim: PrimResult | None
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def text(self) -> str:
        """Plain-text report."""
        out = [f"sweep {self.sweep_dir}: {self.n_ok} successful runs of {self.n_runs}"]
        out += [f"note: {n}" for n in self.notes]
        if self.sobol is not None and len(self.sobol):
            out.append("\nSobol indices (S1 first order, ST total; +- 95 % interval):")
            for oc, grp in self.sobol.groupby("outcome", sort=False):
                out.append(f"  {oc}")
                for _, r in grp.iterrows():
                    out.append(
                        f"    {r['parameter']:<32} S1 {r['S1']:6.3f} +- {r['S1_conf']:.3f}   "
                        f"ST {r['ST']:6.3f} +- {r['ST_conf']:.3f}"
                    )
        if len(self.scores):
            out.append("\nFeature scores (Spearman rank correlation rho, RBD-FAST first-order index S1):")
            for oc, grp in self.scores.groupby("outcome", sort=False):
                out.append(f"  {oc}")
                order = grp.assign(key=grp["S1_fast"].fillna(grp["spearman"].abs()))
                for _, r in order.sort_values("key", ascending=False, na_position="last").iterrows():
                    rho = f"rho {r['spearman']:6.3f} (p {r['spearman_p']:.2g})"
                    s1 = ""
                    if pd.notna(r["S1_fast"]):
                        s1 = f"   S1 {r['S1_fast']:6.3f} +- {r['S1_fast_conf']:.3f}"
                    out.append(f"    {r['parameter']:<32} {rho}{s1}")
        if self.prim is not None:
            out.append("\n" + self.prim.text())
        if self.files:
            out.append("\nfiles: " + ", ".join(str(f) for f in self.files))
        return "\n".join(out)


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return f"{float(v):.4g}"
    if isinstance(v, set | frozenset | list | tuple):
        return "{" + ", ".join(sorted(map(str, v))) + "}"
    return str(v)


def parse_condition(text: str, outcomes: list[str]) -> list[tuple[str, str, float]]:
    """'kz_oil_lost_mt > 5 and alignment_West_end < 0.3' -> [(outcome, op, value), ...]."""
    clauses = re.split(r"\s+and\s+", text.strip()) if text and text.strip() else []
    if not clauses:
        raise InputError("expected a condition such as 'kz_oil_lost_mt > 5'", field="--condition")
    out = []
    for c in clauses:
        m = _CLAUSE.match(c)
        if m is None:
            raise InputError(
                f"cannot read {c!r}; expected '<outcome> <op> <number>' with op one of {' '.join(OPS)}, "
                "clauses joined by 'and'",
                field="--condition",
            )
        name, op, value = m.group(1), m.group(2), float(m.group(3))
        if name not in outcomes:
            from sim.scenario.references import unknown_name

            raise InputError(
                unknown_name("outcome", name, outcomes, "scalar outcomes of the sweep"), field="--condition"
            )
        out.append((name, op, value))
    return out


def _numeric(df: pd.DataFrame, params: list[dict[str, Any]]) -> tuple[np.ndarray, list[list[float]]]:
    """(runs, D) numeric matrix of the parameters and bounds per column (strings -> value index)."""
    cols, bounds = [], []
    for p in params:
        s = df[p["column"]]
        if p["kind"] == "string":
            codes = {v: i for i, v in enumerate(p["values"])}
            x = s.map(codes).to_numpy(dtype=np.float64)
            lo, hi = 0.0, float(len(p["values"]) - 1)
        else:
            x = s.to_numpy(dtype=np.float64)
            if p["range"] is not None:
                lo, hi = map(float, p["range"])
            else:
                lo, hi = float(np.min(p["values"])), float(np.max(p["values"]))
        cols.append(x)
        bounds.append([lo, hi])
    return np.column_stack(cols) if cols else np.zeros((len(df), 0)), bounds


def feature_scores(
    df: pd.DataFrame, params: list[dict[str, Any]], outcomes: list[str], seed: int = 1, resamples: int = 100
) -> tuple[pd.DataFrame, list[str]]:
    """Spearman rho and RBD-FAST first-order index of each outcome on each parameter (a row per pair)."""
    from SALib.analyze import rbd_fast
    from scipy.stats import spearmanr

    notes: list[str] = []
    x, bounds = _numeric(df, params)
    rows = []
    for oc in outcomes:
        y = df[oc].to_numpy(dtype=np.float64)
        keep = np.isfinite(y)
        xs, ys = x[keep], y[keep]
        res: dict[str, Any] | None = None
        varying = [j for j in range(x.shape[1]) if xs.shape[0] > 2 and np.ptp(xs[:, j]) > 0]
        if len(ys) >= MIN_FAST_RUNS and np.ptp(ys) > 0 and varying:
            problem = {
                "num_vars": len(varying),
                "names": [params[j]["column"] for j in varying],
                "bounds": [bounds[j] for j in varying],
            }
            try:
                with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                    warnings.simplefilter("ignore")
                    res = rbd_fast.analyze(problem, xs[:, varying], ys, num_resamples=resamples, seed=seed)
            except Exception as exc:
                notes.append(f"RBD-FAST for {oc} failed: {type(exc).__name__}: {exc}")
        elif len(ys) and np.ptp(ys) == 0:
            notes.append(f"{oc} is constant: not scored")
        elif len(ys) < MIN_FAST_RUNS:
            notes.append(
                f"{oc}: RBD-FAST indices need at least {MIN_FAST_RUNS} runs ({len(ys)}): Spearman only"
            )
        for j, p in enumerate(params):
            rho = pval = s1 = s1c = math.nan
            if len(ys) > 2 and np.ptp(ys) > 0 and np.ptp(xs[:, j]) > 0:
                r = spearmanr(xs[:, j], ys)
                rho, pval = float(r.statistic), float(r.pvalue)
            if res is not None and j in varying:
                k = varying.index(j)
                s1, s1c = float(res["S1"][k]), float(res["S1_conf"][k])
            rows.append(
                {
                    "outcome": oc,
                    "parameter": p["column"],
                    "spearman": rho,
                    "spearman_p": pval,
                    "S1_fast": s1,
                    "S1_fast_conf": s1c,
                }
            )
    return pd.DataFrame(rows), notes


def sobol_indices(
    exp: pd.DataFrame,
    out: pd.DataFrame,
    manifest: dict[str, Any],
    outcomes: list[str],
    seed: int = 1,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[str]]:
    """SALib Sobol indices per outcome from a Sobol-design sweep (replications averaged)."""
    from SALib.analyze import sobol

    design = manifest["sweep"]["design"]
    params = manifest["parameters"]
    problem: dict[str, Any] = {
        "num_vars": len(params),
        "names": [p["column"] for p in params],
        "bounds": [list(p["range"]) for p in params],
    }
    second = bool(design.get("second_order"))
    n_points = int(manifest["n_points"])
    notes = []
    merged = exp[["run_id", "point"]].merge(out, on="run_id", how="inner")
    means = merged.groupby("point")[outcomes].mean().reindex(range(n_points))
    rows, rows2 = [], []
    for oc in outcomes:
        y = means[oc].to_numpy(dtype=np.float64)
        bad = int((~np.isfinite(y)).sum())
        if bad:
            notes.append(
                f"Sobol indices of {oc} skipped: {bad} of {n_points} design points have no finite value"
            )
            continue
        if np.ptp(y) == 0:
            notes.append(f"Sobol indices of {oc} skipped: the outcome is constant")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si = sobol.analyze(problem, y, calc_second_order=second, num_resamples=200, seed=seed)
        for j, name in enumerate(problem["names"]):
            rows.append(
                {
                    "outcome": oc,
                    "parameter": name,
                    "S1": float(si["S1"][j]),
                    "S1_conf": float(si["S1_conf"][j]),
                    "ST": float(si["ST"][j]),
                    "ST_conf": float(si["ST_conf"][j]),
                }
            )
        if second:
            for j in range(len(params)):
                for k in range(j + 1, len(params)):
                    rows2.append(
                        {
                            "outcome": oc,
                            "parameter_1": problem["names"][j],
                            "parameter_2": problem["names"][k],
                            "S2": float(si["S2"][j, k]),
                            "S2_conf": float(si["S2_conf"][j, k]),
                        }
                    )
    return pd.DataFrame(rows), (pd.DataFrame(rows2) if second else None), notes


def prim_box(
    df: pd.DataFrame,
    params: list[dict[str, Any]],
    condition: str,
    outcomes: list[str],
    min_density: float = 0.8,
) -> tuple[PrimResult | None, list[str]]:
    """PRIM box for `condition` over the parameters (PRIM package)."""
    clauses = parse_condition(condition, outcomes)
    try:
        import prim
    except ImportError:
        raise InputError(
            "scenario discovery needs the optional PRIM package (GPL-3.0): "
            "pip install 'multivector-sim[prim]'",
            field="--condition",
        ) from None
    y = np.ones(len(df), dtype=bool)
    for name, op, value in clauses:
        y &= OPS[op](df[name].to_numpy(dtype=np.float64), value)  # NaN compares False
    n_cases = int(y.sum())
    if n_cases == 0 or n_cases == len(y):
        what = "no run" if n_cases == 0 else "every run"
        return None, [f"PRIM skipped: {what} satisfies {condition!r}"]
    x = pd.DataFrame(
        {
            p["column"]: df[p["column"]].astype(object)
            if p["kind"] in ("string", "bool")
            else df[p["column"]].astype(float)
            for p in params
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, y.astype(np.float64), threshold=0.5, threshold_type=">")
        box = finder.find_box()
    traj = box.peeling_trajectory.reset_index(drop=True).rename(columns={"res dim": "res_dim"})
    ok = traj.index[traj["density"] >= min_density]
    sel = int(traj.loc[ok, "coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
    box.select(sel)
    lim = box.limits.rename(columns={"qp values": "qp_value"})
    lim.index.name = "parameter"
    row = traj.iloc[sel]
    notes = [] if len(ok) else [f"no PRIM box reaches density {min_density}; the densest one is reported"]
    return (
        PrimResult(
            condition=condition,
            n_cases=n_cases,
            n_runs=len(y),
            limits=lim,
            coverage=float(row["coverage"]),
            density=float(row["density"]),
            mass=float(row["mass"]),
            trajectory=traj,
            selected=sel,
        ),
        notes,
    )


# ============================================================================ plots
def _figure(size: tuple[float, float]) -> Any:
    """A Figure on the Agg canvas (no pyplot: the caller's backend and figure state are untouched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def _plot_sobol(sob: pd.DataFrame, path: Path) -> None:
    outs = list(dict.fromkeys(sob["outcome"]))
    fig = _figure((7, 2.6 * len(outs)))
    axes = fig.subplots(len(outs), 1, squeeze=False)
    for ax, oc in zip(axes[:, 0], outs, strict=True):
        g = sob[sob["outcome"] == oc]
        pos = np.arange(len(g))
        ax.bar(pos - 0.2, g["S1"], 0.4, yerr=g["S1_conf"], label="S1 (first order)", capsize=3)
        ax.bar(pos + 0.2, g["ST"], 0.4, yerr=g["ST_conf"], label="ST (total)", capsize=3)
        ax.set_xticks(pos, g["parameter"], rotation=20, ha="right", fontsize=8)
        ax.set_title(oc, fontsize=9)
        ax.set_ylabel("index")
        ax.axhline(0, color="black", lw=0.5)
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _plot_scatter(df: pd.DataFrame, params: list[dict[str, Any]], outcomes: list[str], path: Path) -> None:
    data = df if len(df) <= MAX_SCATTER_POINTS else df.sample(MAX_SCATTER_POINTS, random_state=0)
    outs, ps = outcomes[:8], params[:8]
    fig = _figure((2.6 * len(ps), 2.2 * len(outs)))
    axes = fig.subplots(len(outs), len(ps), squeeze=False, sharey="row")
    for i, oc in enumerate(outs):
        for j, p in enumerate(ps):
            ax = axes[i, j]
            xv = data[p["column"]]
            if p["kind"] == "string":
                xv = xv.map({v: k for k, v in enumerate(p["values"])})
                ax.set_xticks(range(len(p["values"])), p["values"], fontsize=6, rotation=20)
            ax.scatter(xv.astype(float), data[oc], s=6, alpha=0.5, lw=0)
            if i == len(outs) - 1:
                ax.set_xlabel(p["column"], fontsize=7)
            if j == 0:
                ax.set_ylabel(oc, fontsize=7)
            ax.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot_prim(res: PrimResult, params: list[dict[str, Any]], tradeoff: Path, limits: Path) -> None:
    t = res.trajectory
    fig = _figure((5, 4))
    ax = fig.subplots()
    sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    ax.scatter(
        [res.coverage], [res.density], s=120, facecolors="none", edgecolors="red", label="selected box"
    )
    fig.colorbar(sc, ax=ax, label="restricted dimensions")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_title(f"PRIM: {res.condition}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(tradeoff, dpi=110)

    by = {p["column"]: p for p in params}
    names = [n for n in res.limits.index if n in by]
    fig = _figure((6, 0.6 * max(len(names), 1) + 1.2))
    ax = fig.subplots()
    for i, n in enumerate(names):
        p, row = by[n], res.limits.loc[n]
        if p["kind"] in ("string", "bool"):
            allowed = row["min"] if isinstance(row["min"], set | frozenset) else {row["min"]}
            vals = p["values"]
            for k, v in enumerate(vals):
                lo = k / len(vals)
                ax.barh(
                    i,
                    1 / len(vals),
                    left=lo,
                    color="tab:blue" if v in allowed else "lightgrey",
                    edgecolor="white",
                )
                ax.text(lo + 0.5 / len(vals), i, str(v), ha="center", va="center", fontsize=7)
            continue
        lo_b, hi_b = p["range"] if p["range"] is not None else (min(p["values"]), max(p["values"]))
        span = (hi_b - lo_b) or 1.0
        a, b = (float(row["min"]) - lo_b) / span, (float(row["max"]) - lo_b) / span
        ax.barh(i, 1.0, color="lightgrey")
        ax.barh(i, b - a, left=a, color="tab:blue")
        ax.text(a, i + 0.3, _fmt(row["min"]), fontsize=7, ha="left")
        ax.text(b, i + 0.3, _fmt(row["max"]), fontsize=7, ha="right")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the sampled range")
    ax.set_title(
        f"PRIM box for {res.condition}: coverage {res.coverage:.2f}, density {res.density:.2f}", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(limits, dpi=110)


# ============================================================================ entry point
def analyze_sweep(
    sweep_dir: str | os.PathLike[str],
    outcomes: list[str] | None = None,
    condition: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    plots: bool = True,
    min_density: float = 0.8,
    seed: int = 1,
    write: bool = True,
) -> Analysis:
    """Analyse a sweep directory (complete chunks); write tables and plots unless `write` is False.

    Args:
        sweep_dir: a directory written by `mvsim sweep`.
        outcomes: scalar outcomes to analyse (default: all of the sweep's).
        condition: PRIM condition, e.g. 'kz_oil_lost_mt > 5' (None: no scenario discovery).
        out_dir: where files go (default `<sweep_dir>/analysis`).
        plots: also write PNG plots.
        min_density: PRIM box choice: the largest coverage with at least this density.
        seed: seed of the bootstrap resampling of the confidence intervals.
        write: write files (False: only return the results).
    """
    sweep_dir = Path(sweep_dir)
    manifest = load_manifest(sweep_dir)
    params = manifest["parameters"]
    all_outs = list(manifest["outcomes"]["scalars"])
    if outcomes:
        unknown = [o for o in outcomes if o not in all_outs]
        if unknown:
            raise InputError(
                f"unknown outcome(s) {', '.join(unknown)}; "
                f"scalar outcomes of the sweep: {', '.join(all_outs)}",
                field="--outcome",
            )
    outs = list(outcomes) if outcomes else all_outs
    if condition is not None:
        parse_condition(condition, all_outs)  # fail fast on a bad condition
    exp = read_table(sweep_dir, "experiments")
    if not len(exp):
        raise InputError(f"{sweep_dir} holds no finished runs yet", field="SWEEP_DIR")
    out = read_table(sweep_dir, "outcomes")
    notes: list[str] = []
    if manifest.get("status") != "complete" or len(exp) < manifest["n_runs"]:
        notes.append(
            f"the sweep is {manifest.get('status')}: {len(exp)} of {manifest['n_runs']} runs done "
            "(finish it with mvsim sweep ... --resume)"
        )
    ok = exp[exp["status"] == "ok"]
    if len(ok) < len(exp):
        notes.append(f"{len(exp) - len(ok)} failed run(s) left out")
    df = ok.merge(out, on="run_id", how="inner")

    sob = sob2 = None
    if manifest["sweep"]["design"]["type"] == "sobol":
        if len(exp) < manifest["n_runs"]:
            notes.append("Sobol indices need the complete design: skipped")
        else:
            sob, sob2, n2 = sobol_indices(exp, out, manifest, outs, seed=seed)
            notes += n2
    scores, n3 = feature_scores(df, params, outs, seed=seed)
    notes += n3
    pr = None
    if condition is not None:
        pr, n4 = prim_box(df, params, condition, all_outs, min_density=min_density)
        notes += n4
    result = Analysis(sweep_dir, len(exp), len(ok), outs, sob, sob2, scores, pr, notes)
    if not write:
        return result

    target = Path(out_dir) if out_dir is not None else sweep_dir / "analysis"
    target.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def save_csv(frame: pd.DataFrame, name: str, index: bool = False) -> None:
        frame.to_csv(target / name, index=index)
        files.append(target / name)

    if sob is not None:
        save_csv(sob, "sobol.csv")
    if sob2 is not None:
        save_csv(sob2, "sobol_s2.csv")
    save_csv(scores, "feature_scores.csv")
    if pr is not None:
        lim = pr.limits.copy()
        for c in ("min", "max"):
            lim[c] = lim[c].map(_fmt)
        save_csv(lim, "prim_box.csv", index=True)
        save_csv(pr.trajectory, "prim_trajectory.csv", index=True)
    if plots:
        if sob is not None and len(sob):
            _plot_sobol(sob, target / "sobol.png")
            files.append(target / "sobol.png")
        if len(df) and params:
            _plot_scatter(df, params, outs, target / "scatter.png")
            files.append(target / "scatter.png")
        if pr is not None:
            _plot_prim(pr, params, target / "prim_tradeoff.png", target / "prim_box.png")
            files += [target / "prim_tradeoff.png", target / "prim_box.png"]
    result.files = files
    (target / "summary.txt").write_text(result.text() + "\n", encoding="utf-8")
    files.append(target / "summary.txt")
    return result


__all__ = [
    "Analysis",
    "PrimResult",
    "analyze_sweep",
    "feature_scores",
    "parse_condition",
    "prim_box",
    "sobol_indices",
]

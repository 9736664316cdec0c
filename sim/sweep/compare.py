"""Two sweeps compared, delta = B - A: `compare_sweeps` and `write_sweep_comparison`.

    from sim.sweep.compare import compare_sweeps, write_sweep_comparison
    sc = compare_sweeps("results/sweeps/smoke", "results/sweeps/smoke_01b")
    sc.points.query("outcome == 'kz_oil_lost_mt'")   # paired delta per design point, median [p10, p90]
    write_sweep_comparison(sc, "results")             # report.md, tables, plots (atomic)

The report, plots and directory are in sim.sweep.compare_report (re-exported here).

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.outcome_labels import ZERO_TOL
from sim.sweep.store import MANIFEST, load_manifest, read_table

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
"""Quantiles of each side's outcome distribution over runs."""
BAND = (0.1, 0.9)
"""The band of a delta: 10 % and 90 % quantiles over replications (or runs)."""
SURFACE_BINS = 5
"""Quantile bins of a continuous parameter for its response surface."""
DESIGN_KEYS = ("design", "seed", "replications", "parameters")
"""The parts of a sweep file that must agree for run-by-run pairing."""


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
        if sob is None or not len(sob):
            return None, notes
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
        if sob is not None and len(sob):
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


__all__ = ["BAND", "QUANTILES", "SweepComparison", "compare_sweeps", "design_difference"]


def __getattr__(name: str) -> Any:
    """The report functions of sim.sweep.compare_report, importable from here too."""
    if name in ("figures", "report_markdown", "summary_lines", "write_sweep_comparison"):
        from sim.sweep import compare_report

        return getattr(compare_report, name)
    raise AttributeError(f"module 'sim.sweep.compare' has no attribute {name!r}")

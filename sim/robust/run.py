"""A robust search end to end: search, re-evaluation, discovery, tables, plots and report.

    loaded = load_robust("scenarios/robust/kazakhstan_2030.yaml")
    result = run_robust(loaded, "results/robust/kazakhstan_2030", workers=2)

Steps: (1) NSGA-II over the levers on the search ensemble (sim.robust.search); (2) the Pareto
candidates, best satisficing share on the search ensemble first (at most
`reevaluation.max_candidates`), and the baseline policy re-run on a fresh, larger ensemble
(another design seed); (3) metrics over it (sim.robust.metrics), the robust policy (highest
satisficing share, then lowest regret score) and scenario discovery of its failures
(sim.robust.discovery). Every run is saved to the store in `out` as it completes
(sim.robust.store): `resume=True` continues a killed or interrupted search there (replaying the
search, reading the saved runs) and gives the same results. The tables, plots, report and final
manifest are then written into `out`, each to a hidden temporary file renamed into place.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sim
from sim.robust import metrics, plots
from sim.robust.discovery import Discovery, discover
from sim.robust.evaluate import Candidate, Runner, make_ensemble, runs_frame
from sim.robust.load import LoadedRobust
from sim.robust.report import render
from sim.robust.search import SearchResult, run_search
from sim.robust.store import RobustStore
from sim.robust.store import check as check_store

BASELINE_ID = -1


@dataclass
class RobustResult:
    """What `run_robust` found (the tables are also in `out`)."""

    out: Path
    search: SearchResult
    candidates: pd.DataFrame  # every evaluated candidate, search-ensemble metrics, `pareto`
    robust: pd.DataFrame  # re-evaluated candidates (and the baseline), re-evaluation metrics
    robust_id: int  # candidate id of the robust policy
    discovery: Discovery
    elapsed_s: float
    n_runs: int
    cpu_s: float  # CPU seconds of the runs (all processes)
    restored_runs: int = 0  # runs read from the store of an earlier (killed) invocation
    executor: str = "none"


def _lever_frame(loaded: LoadedRobust, ids: list[int], cands: list[Candidate]) -> pd.DataFrame:
    cols: dict[str, Any] = {"candidate": np.asarray(ids, dtype=np.int64)}
    for lv in loaded.spec.levers:
        col = [loaded.baseline.get(lv.name) if c is None else c[lv.name] for c in cands]
        s = pd.Series(col, dtype=object)
        cols[lv.name] = s.astype(str) if lv.type == "categorical" else pd.to_numeric(s, errors="coerce")
    return pd.DataFrame(cols)


def _arrays(loaded: LoadedRobust) -> tuple[list[str], np.ndarray, np.ndarray]:
    objs = loaded.spec.objectives
    names = [o.name for o in objs]
    mx = np.array([o.direction == "max" for o in objs])
    thr = np.array([np.nan if o.threshold is None else o.threshold for o in objs], dtype=np.float64)
    return names, mx, thr


def run_robust(
    loaded: LoadedRobust,
    out: str | os.PathLike[str],
    workers: int | None = 1,
    progress: bool | None = None,
    quick: bool = False,
    log: Any = None,
    scheduler: str | None = None,
    resume: bool = False,
) -> RobustResult:
    """Run the robust search of `loaded` into `out` (see the module): on `workers` local processes
    or the Dask cluster at `scheduler`; `resume` continues the search saved in `out`."""
    log = log if log is not None else sys.stderr
    out = Path(out)
    check_store(out, loaded, resume)  # a bad --out writes nothing
    store = RobustStore.open(out, loaded, resume)
    status = "interrupted"
    try:
        runner = Runner(loaded, workers, scheduler, store, progress)
        result = _run(loaded, out, runner, quick, log, scheduler)
        status = "complete"
        return result
    except KeyboardInterrupt:
        raise
    except BaseException:
        status = "aborted"
        raise
    finally:
        try:
            if status != "complete":
                store.finish(status)
        finally:
            store.close()


def _run(
    loaded: LoadedRobust, out: Path, runner: Runner, quick: bool, log: Any, scheduler: str | None
) -> RobustResult:
    spec = loaded.spec
    store = runner.store
    assert store is not None
    t0 = time.perf_counter()
    names, mx, thr = _arrays(loaded)
    p = spec.search.percentile
    if store.sweep_store.done_chunks:
        print(f"resuming: {len(store.sweep_store.done_chunks)} saved chunk(s) of runs in {out}", file=log)

    ens = make_ensemble(spec.uncertainties, spec.scenarios, "search", loaded.posterior)
    res = run_search(loaded, ens, log=log, runner=runner)
    ids = list(range(len(res.candidates)))
    cand = _lever_frame(loaded, ids, list(res.candidates))
    cand.insert(1, "generation", res.generation + 1)
    cand = pd.concat([cand, metrics.table(res.values, names, mx, thr, p)], axis=1)
    cand["pareto"] = np.isin(cand["candidate"], res.pareto)
    cand["failed_runs"] = [sum(bool(e) for e in row) for row in res.errors]

    par = cand[cand["pareto"]].copy()
    share = par["satisficing"].fillna(-1.0).to_numpy()
    order = np.lexsort((par["candidate"].to_numpy(), par["regret_score"].to_numpy(), -share))
    chosen = [int(par["candidate"].iloc[i]) for i in order[: spec.reevaluation.max_candidates]]
    re_cands: list[Candidate] = [res.candidates[i] for i in chosen]
    re_ids = list(chosen)
    if loaded.base is not None:
        re_cands.append(None)
        re_ids.append(BASELINE_ID)
    fresh = make_ensemble(spec.uncertainties, spec.reevaluation, "reevaluation", loaded.posterior)
    print(f"re-evaluation: {len(re_cands)} policies x {fresh.size} fresh scenarios", file=log)
    re_ev = runner.evaluate(re_cands, fresh, desc="re-evaluation")
    re_vals, re_errs = re_ev.values, re_ev.errors
    robust = _lever_frame(loaded, re_ids, re_cands)
    robust["baseline"] = robust["candidate"] == BASELINE_ID
    robust = pd.concat([robust, metrics.table(re_vals, names, mx, thr, p)], axis=1)
    robust["failed_runs"] = [sum(bool(e) for e in row) for row in re_errs]
    row = metrics.most_robust(robust, ~robust["baseline"].to_numpy())
    robust_id = int(robust["candidate"].iloc[row])
    sat = metrics.satisfied(re_vals, mx, thr)
    fails = ~sat[row]
    base_rows = np.flatnonzero(robust["baseline"].to_numpy())
    paired = (
        metrics.paired_comparison(sat[row], sat[base_rows[0]])
        if len(base_rows) and not np.all(np.isnan(thr))
        else None
    )
    disc = (
        discover(spec, fresh, fails, loaded.posterior)
        if not np.all(np.isnan(thr))
        else Discovery("none", 0, fresh.size, note="no thresholds: no failures to discover")
    )
    elapsed = time.perf_counter() - t0
    n_runs = int(res.values.shape[0] * ens.size + len(re_cands) * fresh.size)
    cpu_s = float(res.evaluated.cpu_s.sum() + re_ev.cpu_s.sum())
    n_workers = runner.n_workers or (1 if runner.workers <= 1 else runner.workers)

    _atomic(
        out / "evaluations.parquet",
        lambda t: runs_frame(loaded, ids, list(res.candidates), ens, res.evaluated).to_parquet(
            t, index=False
        ),
    )
    _atomic(
        out / "reevaluation.parquet",
        lambda t: runs_frame(loaded, re_ids, re_cands, fresh, re_ev).to_parquet(t, index=False),
    )
    _atomic(out / "candidates.parquet", lambda t: cand.to_parquet(t, index=False))
    _atomic(out / "pareto.parquet", lambda t: cand[cand["pareto"]].to_parquet(t, index=False))
    _atomic(out / "robustness.csv", lambda t: robust.to_csv(t, index=False))
    _atomic(out / "convergence.csv", lambda t: res.convergence.to_csv(t, index=False))
    _atomic(out / "pareto_parallel.png", lambda t: plots.parallel(spec, cand[cand["pareto"]], robust_id, t))
    _atomic(out / "tradeoff.png", lambda t: plots.tradeoff(spec, cand, t))
    _atomic(out / "robustness.png", lambda t: plots.robustness(spec, robust, t))
    _atomic(out / "convergence.png", lambda t: plots.convergence(res.convergence, t))
    text = render(
        loaded,
        robust,
        row,
        disc,
        res.convergence,
        int(cand["pareto"].sum()),
        len(ids),
        (ens.size, fresh.size),
        elapsed,
        n_workers,
        quick,
        paired,
    )
    _atomic(out / "report.md", lambda t: t.write_text(text, encoding="utf-8"))
    results = _manifest(loaded, robust, row, disc, elapsed, n_runs, n_workers, quick, ens.size, fresh.size)
    results.update(
        run_cpu_s=round(cpu_s, 2),
        cpu_s_per_run=round(cpu_s / max(n_runs, 1), 4),
        paired_vs_baseline=None if paired is None else list(paired),
        executor=runner.executor_name if scheduler is None else "dask",
        restored_runs=store.restored_runs,
        epsilons=[float(e) for e in res.epsilons],
    )
    store.finish("complete", results)
    return RobustResult(
        out, res, cand, robust, robust_id, disc, elapsed, n_runs, cpu_s, store.restored_runs,
        str(results["executor"]),
    )  # fmt: skip


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """`write(tmp)` to a hidden temporary file next to `path`, then rename it into place."""
    tmp = path.with_name(f".tmp-{path.stem}-{secrets.token_hex(4)}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _manifest(
    loaded: LoadedRobust,
    robust: pd.DataFrame,
    row: int,
    disc: Discovery,
    elapsed: float,
    n_runs: int,
    workers: int,
    quick: bool,
    n_search: int,
    n_fresh: int,
) -> dict[str, Any]:
    import pymoo

    chosen = robust.iloc[row]
    base = robust[robust["baseline"]]
    return {
        "sim_version": sim.__version__,
        "pymoo_version": pymoo.__version__,
        "quick": quick,
        "workers": workers,
        "elapsed_s": round(elapsed, 2),
        "runs": n_runs,
        "search_scenarios": n_search,
        "reevaluation_scenarios": n_fresh,
        "robust_candidate": int(chosen["candidate"]),
        "robust_levers": {lv.name: _py(chosen[lv.name]) for lv in loaded.spec.levers},
        "robust_satisficing": float(chosen["satisficing"]),
        "baseline_levers": {k: _py(v) for k, v in loaded.baseline.items()},
        "baseline_satisficing": float(base["satisficing"].iloc[0]) if len(base) else None,
        "discovery": disc.text(),
    }


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


__all__ = ["BASELINE_ID", "RobustResult", "run_robust"]

"""Search: NSGA-II (pymoo) over the levers, each candidate scored over the search ensemble.

The algorithm works on the unit cube, one coordinate per lever, decoded to lever values
(`decode`: real lo + u (hi - lo); int floor(lo + u (hi - lo + 1)); categorical the floor(u k)-th
of k options). Each generation's new candidates (decoded values not seen before) are run on the
search ensemble (`sim.robust.evaluate`); a candidate's fitness per objective is its robustness
score, the ensemble mean or the direction-aware low percentile (`search.robustness`), negated
for `max` objectives (pymoo minimises). pymoo's random stream is seeded by `search.seed`
(`np.random.default_rng`), evaluation is deterministic, so the same file gives the same front.

Convergence: after each generation the hypervolume (pymoo.indicators.hv.HV) of the
non-dominated set of every candidate evaluated so far, in fitness space normalised by the
ideal and nadir points of all evaluated candidates (reference point 1.1 in each coordinate),
and the epsilon progress (sim.robust.epsilon: improvements of an epsilon-box archive fed every
new candidate in evaluation order; eps per objective from `objectives[].epsilon`, else the first
generation's spread / 100).

Runs go through a `sim.robust.evaluate.Runner` (pool, Dask, store): on resume the algorithm is
replayed from its seed and the saved runs read instead of run, so the front is the same.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.robust import metrics
from sim.robust.epsilon import EpsilonArchive, default_epsilons
from sim.robust.evaluate import Candidate, Ensemble, Evaluated, Runner
from sim.robust.load import LoadedRobust
from sim.robust.spec import LeverSpec

FAILED_FITNESS = 1e12  # fitness of a candidate with a failed run (worse than any real score)
HV_REFERENCE = 1.1


def decode(levers: list[LeverSpec], x: np.ndarray) -> dict[str, Any]:
    """Lever values of a point of the unit cube (one coordinate per lever)."""
    out: dict[str, Any] = {}
    for lv, u in zip(levers, np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0), strict=True):
        if lv.type == "categorical":
            k = len(lv.labels)
            out[lv.name] = lv.labels[min(math.floor(u * k), k - 1)]
        else:
            assert lv.range is not None
            lo, hi = lv.range
            if lv.type == "int":
                out[lv.name] = int(min(math.floor(lo + u * (hi - lo + 1)), hi))
            else:
                out[lv.name] = float(lo + u * (hi - lo))
    return out


def fitness(loaded: LoadedRobust, values: np.ndarray) -> np.ndarray:
    """(C, K) minimisation fitness of candidates' values (C, M, K): the robustness score, negated
    for max objectives; FAILED_FITNESS for a candidate with any failed run."""
    spec = loaded.spec
    mx = np.array([o.direction == "max" for o in spec.objectives])
    if spec.search.robustness == "mean":
        score = metrics.mean(values)
    else:
        score = metrics.low_percentile(values, mx, spec.search.percentile)
    f = np.where(mx, -score, score)
    failed = np.isnan(values).any(axis=(1, 2))
    f[failed] = FAILED_FITNESS
    return f


def non_dominated(f: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated rows of a fitness matrix (minimisation; failed rows excluded)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    ok = np.flatnonzero(~(f >= FAILED_FITNESS).any(axis=1))
    if not len(ok):
        return ok
    front = NonDominatedSorting().do(f[ok], only_non_dominated_front=True)
    return np.sort(ok[np.asarray(front, dtype=np.int64)])


def hypervolumes(f: np.ndarray, generation: np.ndarray, n_gen: int) -> list[float]:
    """Hypervolume after each generation of the archive's front (normalised; see the module)."""
    from pymoo.indicators.hv import HV

    ok = ~(f >= FAILED_FITNESS).any(axis=1)
    if not ok.any():
        return [math.nan] * n_gen
    lo, hi = f[ok].min(axis=0), f[ok].max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    hv = HV(ref_point=np.full(f.shape[1], HV_REFERENCE))
    out = []
    for g in range(n_gen):
        rows = np.flatnonzero(ok & (generation <= g))
        front = rows[non_dominated(f[rows])] if len(rows) else rows
        out.append(float(hv((f[front] - lo) / span)) if len(front) else math.nan)
    return out


@dataclass
class SearchResult:
    """Every evaluated candidate (in evaluation order), its values on the search ensemble and the front."""

    candidates: list[dict[str, Any]]
    generation: np.ndarray  # (C,) generation of first evaluation
    evaluated: Evaluated  # values (C, M, K), errors, CPU s per run

    @property
    def values(self) -> np.ndarray:
        return self.evaluated.values

    @property
    def errors(self) -> list[list[str]]:
        return self.evaluated.errors

    fitness: np.ndarray  # (C, K)
    pareto: np.ndarray  # candidate indices of the final non-dominated set
    convergence: pd.DataFrame  # generation, evaluations, runs, hypervolume, epsilon_progress, front_size
    epsilons: np.ndarray  # (K,) epsilon-box sizes (fitness units = objective units)


def run_search(
    loaded: LoadedRobust,
    ensemble: Ensemble,
    workers: int | None = 1,
    progress: bool | None = False,
    log: Any = None,
    runner: Runner | None = None,
) -> SearchResult:
    """Run NSGA-II on `loaded` (sizes from its `search:` block) against the search ensemble
    (runs on `runner`, default a `Runner` of `workers` processes that saves nothing)."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.core.termination import NoTermination
    from pymoo.problems.static import StaticProblem

    spec = loaded.spec
    log = log if log is not None else sys.stderr
    problem = Problem(n_var=len(spec.levers), n_obj=len(spec.objectives), xl=0.0, xu=1.0)
    algorithm = NSGA2(pop_size=spec.search.population, eliminate_duplicates=True)
    algorithm.setup(problem, termination=NoTermination(), seed=spec.search.seed, verbose=False)
    seen: dict[tuple[Any, ...], int] = {}
    cands: list[dict[str, Any]] = []
    gens: list[int] = []
    blocks: list[np.ndarray] = []
    errors: list[list[str]] = []
    fit_rows: list[np.ndarray] = []
    runs_per_gen: list[int] = []
    cpu: list[np.ndarray] = []
    runner = runner if runner is not None else Runner(loaded, workers, progress=progress)
    given = [o.epsilon for o in spec.objectives]
    archive: EpsilonArchive | None = None
    progress_per_gen: list[int] = []
    for g in range(spec.search.generations):
        pop = algorithm.ask()
        decoded = [decode(spec.levers, x) for x in pop.get("X")]
        new: list[Candidate] = []
        for d in decoded:
            key = tuple(d[lv.name] for lv in spec.levers)
            if key not in seen:
                seen[key] = len(cands) + len(new)
                new.append(d)
        ev = runner.evaluate(new, ensemble, desc=f"generation {g + 1}/{spec.search.generations}")
        vals = ev.values
        cpu.append(ev.cpu_s)
        cands += [d for d in new if d is not None]
        gens += [g] * len(new)
        blocks.append(vals)
        errors += ev.errors
        fit_rows.append(fitness(loaded, vals))
        runs_per_gen.append(len(new) * ensemble.size)
        f_new = np.where(fit_rows[-1] >= FAILED_FITNESS, np.nan, fit_rows[-1])
        if archive is None and np.isfinite(f_new).all(axis=1).any():
            auto = default_epsilons(f_new)
            archive = EpsilonArchive([a if e is None else e for e, a in zip(given, auto, strict=True)])
        if archive is not None:
            for row in f_new:
                archive.add(row)
        progress_per_gen.append(archive.improvements if archive is not None else 0)
        all_fit = np.concatenate(fit_rows) if fit_rows else np.empty((0, problem.n_obj))
        f_pop = np.array([all_fit[seen[tuple(d[lv.name] for lv in spec.levers)]] for d in decoded])
        Evaluator().eval(StaticProblem(problem, F=f_pop), pop)
        algorithm.tell(infills=pop)
        print(
            f"generation {g + 1}/{spec.search.generations}: {len(new)} new candidate(s), "
            f"{len(new) * ensemble.size} run(s), {len(cands)} evaluated, "
            f"epsilon progress {progress_per_gen[-1]}",
            file=log,
        )
    values = np.concatenate(blocks) if blocks else np.empty((0, ensemble.size, len(spec.objectives)))
    fit = np.concatenate(fit_rows)
    generation = np.asarray(gens, dtype=np.int64)
    hv = hypervolumes(fit, generation, spec.search.generations)
    conv = pd.DataFrame(
        {
            "generation": np.arange(1, spec.search.generations + 1),
            "evaluations": [int((generation <= g).sum()) for g in range(spec.search.generations)],
            "runs": np.cumsum(runs_per_gen),
            "hypervolume": hv,
            "epsilon_progress": progress_per_gen,
            "front_size": [len(non_dominated(fit[generation <= g])) for g in range(spec.search.generations)],
        }
    )
    ev_all = Evaluated(values, errors, np.concatenate(cpu) if cpu else np.empty((0, ensemble.size)))
    eps = archive.eps if archive is not None else np.full(problem.n_obj, np.nan)
    return SearchResult(cands, generation, ev_all, fit, non_dominated(fit), conv, eps)


__all__ = ["SearchResult", "decode", "fitness", "hypervolumes", "non_dominated", "run_search"]

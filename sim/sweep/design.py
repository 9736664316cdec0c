"""Designs: pure functions of a sweep spec (and its seed) to design points; per-run seeds.

Run layout: run `r` is design point `r // replications`, replication `r % replications`.
Its seed is `SeedSequence(root).spawn(n_runs)[r]` (`sim.seeds.run_seed`, as `replication_seeds`),
computed on demand as `SeedSequence(root, spawn_key=(r,))`; with `common_random_numbers` the index is
the replication instead, so every point sees the same random streams. The design's own
random numbers come from a separate stream, `SeedSequence(root, spawn_key=(DESIGN_KEY,))`.

Designs (`design.type`):
    full_factorial   every combination of each parameter's values (a range gives `levels`
                     evenly spaced points, ends included); the last parameter varies fastest
    latin_hypercube  `samples` points, one per stratum of each parameter (random within strata)
    monte_carlo      `samples` independent uniform points
    sobol            Saltelli's extension of the Sobol' sequence (SALib.sample.sobol, scrambled),
                     N = `samples`: N(D + 2) points, N(2D + 2) with second order; for
                     SALib.analyze.sobol, in SALib's order
Ranges are sampled uniformly; `values` lists uniformly over their items; `integer` ranges
uniformly over the integers lower..upper.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from sim.seeds import DESIGN_KEY, design_rng, design_seed, run_seed
from sim.sweep.spec import ParameterSpec, SweepSpec, n_points


def sobol_problem(spec: SweepSpec) -> dict[str, Any]:
    """SALib problem dict of a sweep whose parameters all have ranges."""
    return {
        "num_vars": len(spec.parameters),
        "names": [p.column for p in spec.parameters],
        "bounds": [list(p.range) for p in spec.parameters if p.range is not None],
    }


def _dtype(p: ParameterSpec) -> Any:
    return {"float": np.float64, "int": np.int64, "bool": np.bool_, "string": object}[p.kind]


def _typed(p: ParameterSpec, values: Any) -> np.ndarray:
    return np.asarray(values, dtype=_dtype(p))


def _from_unit(p: ParameterSpec, u: np.ndarray) -> np.ndarray:
    """Map uniform samples u in [0, 1) to a parameter's values."""
    if p.values is not None:
        k = len(p.values)
        idx = np.minimum((u * k).astype(np.int64), k - 1)
        return _typed(p, [p.values[i] for i in idx])
    assert p.range is not None
    lo, hi = p.range
    if p.integer:
        a, b = round(lo), round(hi)
        return np.minimum(np.floor(a + u * (b - a + 1)), b).astype(np.int64)
    return lo + u * (hi - lo)


def levels(p: ParameterSpec, default: int) -> np.ndarray:
    """A parameter's full-factorial values."""
    if p.values is not None:
        return _typed(p, p.values)
    assert p.range is not None
    pts = np.linspace(p.range[0], p.range[1], p.levels or default)
    return np.rint(pts).astype(np.int64) if p.integer else pts


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """(n, d) Latin hypercube in [0, 1): each column has one point in each of n equal strata."""
    u = np.empty((n, d))
    for j in range(d):
        u[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return u


def make_design(spec: SweepSpec) -> dict[str, np.ndarray]:
    """Design points: parameter column -> (n_points,) array (float64, int64, bool or str objects)."""
    d = spec.design
    params = spec.parameters
    if d.type == "full_factorial":
        grids = [levels(p, d.levels) for p in params]
        combos = itertools.product(*[range(len(g)) for g in grids])
        idx = np.array(list(combos), dtype=np.int64).reshape(-1, len(params))
        return {p.column: grids[j][idx[:, j]] for j, p in enumerate(params)}
    assert d.samples is not None
    if d.type == "sobol":
        from SALib.sample import sobol

        seed = design_seed(spec.seed)
        x = sobol.sample(sobol_problem(spec), d.samples, calc_second_order=d.second_order, seed=seed)
        return {
            p.column: np.rint(x[:, j]).astype(np.int64) if p.integer else np.ascontiguousarray(x[:, j])
            for j, p in enumerate(params)
        }
    rng = design_rng(spec.seed)
    u = (
        latin_hypercube(d.samples, len(params), rng)
        if d.type == "latin_hypercube"
        else rng.random((d.samples, len(params)))
    )
    out = {p.column: _from_unit(p, u[:, j]) for j, p in enumerate(params)}
    assert all(len(v) == n_points(spec) for v in out.values())
    return out


__all__ = [
    "DESIGN_KEY",
    "design_rng",
    "latin_hypercube",
    "levels",
    "make_design",
    "run_seed",
    "sobol_problem",
]

"""Scenario discovery of a policy's failures: where in the uncertainty space it misses a threshold.

A member *fails* when any objective with a threshold is not met (or its run failed). PRIM
(`sim.sweep.analyze.prim_box`, the PRIM package) finds a box over the uncertainties with a high
share of failures inside (density) that holds many of them (coverage); the box chosen is the
largest coverage at a density of at least `discovery.min_density` and of halfway between the
failure base rate and 1 (`density_target`); else the densest. `method: cart`, or PRIM not
installed, uses a CART tree (scikit-learn, if installed): the leaf with the highest failure
density among leaves holding at least 5 % of the members, described by its path. With a
`type: posterior` uncertainty the inputs are the draw's parameter values (one column per
posterior parameter, e.g. `trade_elasticity`), not the draw index (which has no order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.robust.evaluate import Ensemble, as_parameter
from sim.robust.spec import RobustSpec

if TYPE_CHECKING:
    from sim.calibration.ensemble_draws import PosteriorDraws

MIN_LEAF_SHARE = 0.05


@dataclass
class Discovery:
    """Failures of one policy on an ensemble, and the box (or tree leaf) that explains them."""

    method: str  # 'prim', 'cart' or 'none'
    n_fail: int
    n: int
    coverage: float = float("nan")
    density: float = float("nan")
    mass: float = float("nan")
    limits: list[tuple[str, str]] = field(default_factory=list)  # (uncertainty, condition text)
    note: str = ""
    limits_frame: pd.DataFrame | None = None

    def text(self) -> str:
        if self.method == "none":
            return self.note
        where = " and ".join(f"{n} {c}" for n, c in self.limits) or "(no uncertainty restricted)"
        return (
            f"fails on {self.n_fail} of {self.n} scenarios; {self.method.upper()}: fails when {where} "
            f"(density {self.density:.2f}: share of failures inside; coverage {self.coverage:.2f}: share of "
            f"all failures inside; mass {self.mass:.2f})"
        )


def _fmt(x: object) -> str:
    return f"{x:.4g}" if isinstance(x, float | np.floating) else str(x)


def inputs(
    spec: RobustSpec, ensemble: Ensemble, posterior: PosteriorDraws | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The discovery inputs, one column per uncertainty (a posterior one: one per parameter of
    the member's draw), and each column's kind ('float', 'int', 'string', 'bool')."""
    cols: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for u in spec.uncertainties:
        v = ensemble.values[u.name]
        if u.type == "posterior":
            if posterior is None:
                continue
            rows = np.array([posterior.row(int(k)) for k in v], dtype=np.int64)
            for j, name in enumerate(posterior.names):
                cols[name] = posterior.values[rows, j]
                kinds[name] = "float"
            continue
        cols[u.name] = v
        kinds[u.name] = as_parameter(u).kind
    return pd.DataFrame(cols), kinds


def discover(
    spec: RobustSpec, ensemble: Ensemble, fails: np.ndarray, posterior: PosteriorDraws | None = None
) -> Discovery:
    """PRIM (or CART) box of `fails` (M,) over the ensemble's uncertainties."""
    fails = np.asarray(fails, dtype=bool)
    n, k = len(fails), int(fails.sum())
    if not spec.uncertainties:
        return Discovery("none", k, n, note="no uncertainties: nothing to discover")
    if k == 0 or k == n:
        what = "never fails" if k == 0 else "fails on every scenario"
        return Discovery("none", k, n, note=f"{what} ({k} of {n}); no box to find")
    method = spec.discovery.method
    if method == "prim":
        try:
            import prim  # noqa: F401
        except ImportError:
            method = "cart"
    df, kinds = inputs(spec, ensemble, posterior)
    if method == "prim":
        return _prim(spec, df, kinds, fails)
    try:
        return _cart(df, fails)
    except ImportError:
        return Discovery("none", k, n, note="neither PRIM nor scikit-learn is installed: no discovery")


def density_target(min_density: float, base_rate: float) -> float:
    """The density a PRIM box must reach: the larger of `min_density` and halfway between the
    failure base rate and 1 (with common failures the whole space would qualify otherwise)."""
    return max(min_density, (1.0 + base_rate) / 2.0)


def _prim(spec: RobustSpec, df: pd.DataFrame, kinds: dict[str, str], fails: np.ndarray) -> Discovery:
    from sim.sweep.analyze import prim_box

    df = df.copy()
    df["fails"] = fails.astype(np.float64)
    params = [{"column": c, "kind": k} for c, k in kinds.items()]
    target = density_target(spec.discovery.min_density, float(fails.mean()))
    res, notes = prim_box(df, params, "fails > 0.5", ["fails"], min_density=target)
    if res is None:
        return Discovery("none", int(fails.sum()), len(fails), note="; ".join(notes))
    limits = []
    for name, row in res.limits.iterrows():
        if kinds[str(name)] in ("string", "bool"):
            limits.append((str(name), f"in {row['min']}"))
            continue
        lo, hi = float(df[name].min()), float(df[name].max())
        parts = []
        if float(row["min"]) > lo:
            parts.append(f">= {_fmt(float(row['min']))}")
        if float(row["max"]) < hi:
            parts.append(f"<= {_fmt(float(row['max']))}")
        limits.append((str(name), " and ".join(parts) or f"in [{_fmt(lo)}, {_fmt(hi)}]"))
    return Discovery(
        "prim",
        res.n_cases,
        res.n_runs,
        res.coverage,
        res.density,
        res.mass,
        limits,
        "; ".join(notes),
        res.limits,
    )


def _cart(df: pd.DataFrame, fails: np.ndarray) -> Discovery:
    from sklearn.tree import DecisionTreeClassifier

    cols, codes = [], {}
    for name in df.columns:
        v = df[name].to_numpy()
        if v.dtype.kind in "OUSb":
            cats = sorted({str(x) for x in v})
            codes[name] = cats
            cols.append(np.array([cats.index(str(x)) for x in v], dtype=np.float64))
        else:
            cols.append(v.astype(np.float64))
    x = np.column_stack(cols)
    n = len(fails)
    tree = DecisionTreeClassifier(
        max_depth=3, min_samples_leaf=max(2, int(MIN_LEAF_SHARE * n)), random_state=0
    )
    tree.fit(x, fails)
    leaf = tree.apply(x)
    best, best_d = -1, -1.0
    for lf in np.unique(leaf):
        inside = leaf == lf
        d = float(fails[inside].mean())
        if d > best_d:
            best, best_d = int(lf), d
    inside = leaf == best
    # the path to the leaf
    t = tree.tree_
    parent = {int(c): (int(p), True) for p, c in enumerate(t.children_left) if c >= 0}
    parent.update({int(c): (int(p), False) for p, c in enumerate(t.children_right) if c >= 0})
    limits: list[tuple[str, str]] = []
    node = best
    while node in parent:
        p, left = parent[node]
        name = str(df.columns[int(t.feature[p])])
        thr = float(t.threshold[p])
        limits.append((name, f"{'<=' if left else '>'} {_fmt(thr)}"))
        node = p
    return Discovery(
        "cart",
        int(fails.sum()),
        n,
        float(fails[inside].sum() / fails.sum()),
        best_d,
        float(inside.mean()),
        limits[::-1],
    )


__all__ = ["Discovery", "density_target", "discover", "inputs"]

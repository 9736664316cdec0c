"""Plots of a robust search (matplotlib Agg figures, no pyplot state): parallel coordinates of the
Pareto set, the trade-off scatter, robustness per re-evaluated candidate and convergence."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from sim.robust.spec import RobustSpec
from sim.sweep.analyze import _figure

MAX_PAIRS = 6


def _unit(col: pd.Series, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
    lo = float(np.nanmin(v)) if lo is None else lo
    hi = float(np.nanmax(v)) if hi is None else hi
    return (v - lo) / (hi - lo) if hi > lo else np.full(len(v), 0.5)


def parallel(spec: RobustSpec, pareto: pd.DataFrame, robust_id: int | None, path: Path) -> None:
    """Levers (scaled to their ranges) and search-ensemble means (scaled to the set) of the Pareto set."""
    axes_names, scaled = [], []
    for lv in spec.levers:
        axes_names.append(lv.name)
        if lv.type == "categorical":
            k = len(lv.labels)
            scaled.append(np.array([lv.labels.index(str(x)) / max(k - 1, 1) for x in pareto[lv.name]]))
        else:
            assert lv.range is not None
            scaled.append(_unit(pareto[lv.name], *lv.range))
    for o in spec.objectives:
        axes_names.append(f"{o.name} ({o.direction})")
        scaled.append(_unit(pareto[f"{o.name}_mean"]))
    m = np.column_stack(scaled) if scaled else np.empty((0, 0))
    fig = _figure((max(6.0, 1.3 * len(axes_names)), 4.0))
    ax = fig.subplots()
    xs = np.arange(len(axes_names))
    for i, cid in enumerate(pareto["candidate"]):
        hit = robust_id is not None and int(cid) == robust_id
        ax.plot(
            xs,
            m[i],
            color="C3" if hit else "C0",
            lw=2.5 if hit else 0.8,
            alpha=1.0 if hit else 0.5,
            label="robust policy" if hit else None,
        )
    for x in xs:
        ax.axvline(x, color="grey", lw=0.5)
    ax.set_xticks(xs, axes_names, rotation=25, ha="right", fontsize=7)
    ax.set_yticks([0, 1], ["low", "high"])
    ax.set_title(
        f"Pareto set ({len(pareto)} candidates): levers over their ranges, objective means", fontsize=9
    )
    if robust_id is not None:
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def tradeoff(spec: RobustSpec, cands: pd.DataFrame, path: Path) -> None:
    """Pairwise scatter of the objectives' ensemble means: every candidate, the Pareto set marked."""
    names = [o.name for o in spec.objectives]
    pairs = list(combinations(names, 2))[:MAX_PAIRS]
    fig = _figure((3.4 * len(pairs), 3.2))
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    on = cands["pareto"].to_numpy(dtype=bool)
    for ax, (a, b) in zip(axes, pairs, strict=True):
        ax.scatter(cands[f"{a}_mean"], cands[f"{b}_mean"], s=8, c="lightgrey", label="evaluated")
        ax.scatter(cands.loc[on, f"{a}_mean"], cands.loc[on, f"{b}_mean"], s=14, c="C0", label="Pareto")
        ax.set_xlabel(a, fontsize=7)
        ax.set_ylabel(b, fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0].legend(fontsize=7)
    fig.suptitle("Trade-offs: ensemble means on the search ensemble", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def robustness(spec: RobustSpec, robust: pd.DataFrame, path: Path) -> None:
    """Satisficing share and regret score of each re-evaluated candidate (the baseline policy marked)."""
    labels = [
        "baseline" if b else f"#{c}" for c, b in zip(robust["candidate"], robust["baseline"], strict=True)
    ]
    fig = _figure((max(5.0, 0.6 * len(labels) + 2), 5.0))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    colors = ["C1" if b else "C0" for b in robust["baseline"]]
    xs = np.arange(len(labels))
    ax1.bar(xs, robust["satisficing"].fillna(0.0), color=colors)
    ax1.set_ylabel("satisficing share")
    ax1.set_ylim(0, 1)
    ax2.bar(xs, robust["regret_score"], color=colors)
    ax2.set_ylabel("regret score")
    ax2.set_xticks(xs, labels, fontsize=7, rotation=30)
    ax1.set_title(
        f"Re-evaluation: {spec.reevaluation.n * spec.reevaluation.replications} fresh scenarios", fontsize=9
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def convergence(conv: pd.DataFrame, path: Path) -> None:
    """Hypervolume of the archive's front and epsilon progress (cumulative epsilon-box archive
    improvements, sim.robust.epsilon) after each generation."""
    fig = _figure((8.0, 3.2))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(conv["generation"], conv["hypervolume"], marker="o")
    ax1.set_xlabel("generation")
    ax1.set_ylabel("hypervolume (normalised)")
    ax1.set_title("hypervolume of the front so far", fontsize=9)
    if "epsilon_progress" in conv:
        ax2.plot(conv["generation"], conv["epsilon_progress"], marker="o", color="C2")
    ax2.set_xlabel("generation")
    ax2.set_ylabel("epsilon progress (improvements)")
    ax2.set_title("epsilon-box archive improvements", fontsize=9)
    fig.suptitle("NSGA-II convergence", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


__all__ = ["convergence", "parallel", "robustness", "tradeoff"]

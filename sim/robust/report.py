"""report.md of a robust search: the robust policy, its satisficing share against the baseline
policy on the re-evaluation ensemble, where it fails (PRIM/CART), the Pareto set and convergence."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.robust.discovery import Discovery
from sim.robust.load import LoadedRobust


def _f(x: Any) -> str:
    if isinstance(x, float):
        return "nan" if x != x else f"{x:.4g}"
    return str(x)


def _share(x: float) -> str:
    return "n/a (no thresholds)" if x != x else f"{x:.1%}"


def render(
    loaded: LoadedRobust,
    robust: pd.DataFrame,
    robust_row: int,
    discovery: Discovery,
    conv: pd.DataFrame,
    n_pareto: int,
    n_candidates: int,
    n_members: tuple[int, int],
    elapsed_s: float,
    workers: int,
    quick: bool,
    paired: tuple[int, int, float] | None = None,
) -> str:
    """The report's Markdown text."""
    spec = loaded.spec
    chosen = robust.iloc[robust_row]
    base = robust[robust["baseline"]]
    lines = [
        f"# Robust search: {spec.name}" + (" (quick)" if quick else ""),
        "",
        spec.description.strip(),
        "",
        f"File `{loaded.display}`; {n_candidates} candidate policies evaluated by NSGA-II "
        f"({spec.search.population} x {spec.search.generations} generations, seed {spec.search.seed}) on "
        f"{n_members[0]} search scenarios; {n_pareto} on the Pareto front; {len(robust)} policies "
        f"re-evaluated on {n_members[1]} fresh scenarios (design seed {spec.reevaluation.seed}); "
        f"{elapsed_s:.0f} s wall on {workers} worker(s). Metric definitions: docs/robust.md.",
        "",
        "## Robust policy",
        "",
        f"Candidate **#{int(chosen['candidate'])}** (highest satisficing share on the re-evaluation "
        "ensemble among the re-evaluated Pareto candidates; ties: lowest regret score).",
        "",
        "| lever | robust policy | baseline policy |",
        "| --- | --- | --- |",
    ]
    for lv in spec.levers:
        lines.append(f"| {lv.name} | {_f(chosen[lv.name])} | {_f(loaded.baseline.get(lv.name))} |")
    thresholds = [
        f"{o.name} {'>=' if o.direction == 'max' else '<='} {o.threshold:g}"
        for o in spec.objectives
        if o.threshold is not None
    ]
    lines += [
        "",
        f"Satisficing (all of: {', '.join(thresholds) or 'no thresholds'}) "
        f"on {n_members[1]} fresh scenarios:",
    ]
    lines.append(f"- robust policy #{int(chosen['candidate'])}: {_share(float(chosen['satisficing']))}")
    if len(base):
        b = float(base["satisficing"].iloc[0])
        c = float(chosen["satisficing"])
        verdict = "beats" if c > b else ("ties with" if c == b else "does NOT beat")
        lines.append(f"- baseline policy (the scenario's own lever values): {_share(b)}")
        lines.append(f"- the robust policy {verdict} the baseline on the satisficing share.")
        if paired is not None:
            lines.append(
                f"- paired on the same scenarios: the robust policy satisfices where the baseline does not "
                f"on {paired[0]}, the reverse on {paired[1]} (exact McNemar p = {paired[2]:.3g})."
            )
    else:
        lines.append("- no baseline policy (a custom model has no default lever values)")
    lines += ["", "## Where it fails", "", discovery.text()]
    if discovery.note and discovery.method != "none":
        lines.append(f"({discovery.note})")
    lines += ["", "## Re-evaluated policies", ""]
    cols = ["candidate", "baseline", "satisficing", "regret_score"] + [
        f"{o.name}_{m}"
        for o in spec.objectives
        for m in ("mean", f"p{spec.search.percentile:g}", "regret_max")
    ]
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("| " + " | ".join("---" for _ in cols) + " |")
    for _, row in robust.iterrows():
        lines.append("| " + " | ".join(_f(row[c]) for c in cols) + " |")
    lines += [
        "",
        "## Convergence",
        "",
        "Hypervolume: of the front of all candidates so far (normalised); epsilon progress: "
        "improvements of the epsilon-box archive so far (docs/robust.md).",
        "",
        "| generation | evaluations | runs | hypervolume | epsilon progress | front size |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for _, r in conv.iterrows():
        lines.append(
            f"| {int(r['generation'])} | {int(r['evaluations'])} | {int(r['runs'])} | "
            f"{_f(float(r['hypervolume']))} | {int(r['epsilon_progress'])} | {int(r['front_size'])} |"
        )
    lines += [
        "",
        "Plots: pareto_parallel.png, tradeoff.png, robustness.png, convergence.png. Tables: "
        "evaluations.parquet (search runs), candidates.parquet, pareto.parquet, reevaluation.parquet "
        "(re-evaluation runs), robustness.csv, convergence.csv.",
        "",
    ]
    return "\n".join(lines)


__all__ = ["render"]

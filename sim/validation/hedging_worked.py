"""The worked run of docs/validation.md, "Why alignment with Russia rises with the weight".

    python -m sim.validation.hedging_worked [--seeds 1 10] [--workers 2]

Runs the baseline at Kazakhstan's hedging weight 0 and 2, the latter also with the hedger's
pull damping and/or threat force switched off. For each configuration it prints:
- Kazakhstan's end alignment (share per pole) and its 2025-2030 dependence on Russia;
- the multi-vector index;
- Russia's CPC halts and Kazakhstan's grain transit tariffs (counts per run, 2022-2030);
- Kazakhstan's mean lost exports (USD bn/yr);
- the alignment forces on the Russia share, summed over the months.

Each force term is taken relative to its alignment-weighted mean: f_R - sum_q a_q f_q. To first
order this is the term's share of ln(a_R,end / a_R,start) under the exponentiated step
(sim.core.alignment).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.recorder import ALIGNMENT_FORCES, RunOutput

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
CONFIGS: tuple[tuple[float, float, float], ...] = (
    (0.0, 1.0, 1.0),
    (2.0, 0.0, 0.0),
    (2.0, 1.0, 0.0),
    (2.0, 0.0, 1.0),
    (2.0, 1.0, 1.0),
)
"""(hedging_weight, alignment_hedging_damping, alignment_threat_weight); the last is as shipped."""


@dataclass
class WorkedJob:
    """One (configuration, seed) run per item: item = config index x len(seeds) + seed index."""

    seeds: tuple[int, ...]

    def setup(self) -> None:
        from sim.api import load_loaded
        from sim.runs.job import Base

        self._base = Base.of(load_loaded(BASELINE))

    def __call__(self, item: int) -> dict[str, float]:
        from sim.runs.job import run_job
        from sim.scenario.overrides import resolve_path

        h, damping, threat = CONFIGS[item // len(self.seeds)]
        seed = self.seeds[item % len(self.seeds)]
        paths = (
            "actors[Kazakhstan].hedging_weight",
            "parameters.alignment_hedging_damping",
            "parameters.alignment_threat_weight",
        )
        overrides = [
            (resolve_path(self._base.mapping, p), v) for p, v in zip(paths, (h, damping, threat), strict=True)
        ]
        out = run_job(self._base, seed, overrides=overrides, record_flows=False).output
        return {"hedging": h, "damping": damping, "threat": threat, "seed": seed, **summary(out)}


def summary(out: RunOutput) -> dict[str, float]:
    """The worked run's figures of one run (module docstring)."""
    kz, ru = out.actors.index("Kazakhstan"), out.poles.index("Russia")
    a = out.alignment[:, kz, :]
    before = np.vstack([a[:1], a[:-1]])  # alignment the month's force acted on
    res: dict[str, float] = {}
    for term in ALIGNMENT_FORCES:
        f = out.forces[term][:, kz, :]
        res[f"force_{term}"] = float((f[:, ru] - (before * f).sum(axis=1)).sum())
    for j, pole in enumerate(out.poles):
        res[f"alignment_{pole}_end"] = float(a[-1, j])
    late = np.array(out.months) >= "2025-01"
    res["dependence_Russia_2025_2030"] = float(out.dependence[late, kz, ru].mean())
    res["multivector_index_2025_2030"] = float(out.metrics["multivector_index"][late, kz].mean())
    res["lost_exports_usd_bn"] = float(out.metrics["lost_exports_usd_bn"][:, kz].mean())

    def count(actor: str, name: str) -> float:
        return float(
            sum(
                1
                for x in out.actions
                if x.get("kind") == "decision" and x["actor"] == actor and x["name"] == name
            )
        )

    res["russia_cpc_halts"] = count("Russia", "halt CPC")
    res["kazakh_grain_tariffs"] = count("Kazakhstan", "grain transit tariffs on Russia")
    return res


def worked_run(seeds: tuple[int, ...], workers: int | None = 2, progress: bool | None = None) -> pd.DataFrame:
    """One row per (configuration, seed)."""
    from sim.runs.executors import map_items

    job = WorkedJob(tuple(int(s) for s in seeds))
    rows = map_items(
        job, range(len(CONFIGS) * len(job.seeds)), workers=workers, progress=progress, desc="worked run"
    )
    return pd.DataFrame(rows)


def table(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds per configuration (columns), figures as rows."""
    grouped = runs.drop(columns="seed").groupby(["hedging", "damping", "threat"], sort=False).mean()
    return grouped.T


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs=2, type=int, default=(1, 10), metavar=("FIRST", "LAST"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    runs = worked_run(tuple(range(args.seeds[0], args.seeds[1] + 1)), workers=args.workers, progress=None)
    with pd.option_context("display.width", 200, "display.float_format", "{:.4f}".format):
        print(table(runs).to_string())


if __name__ == "__main__":
    main()

"""Robust decision search (MORDM): levers x an ensemble of deep uncertainties x objectives.

    from sim.robust import load_robust, run_robust
    result = run_robust(load_robust("scenarios/robust/smoke.yaml"), "results/robust/smoke", workers=2)

Modules: spec (the file model), load (validation against the base scenario), evaluate
(ensembles, candidates x members on the process pool), metrics (robustness), search (NSGA-II,
pymoo), discovery (PRIM/CART), plots, report, run (end to end), synthetic (known-answer problem).
Definitions and the file format: docs/robust.md.
"""

from sim.robust.load import LoadedRobust, load_robust
from sim.robust.run import RobustResult, run_robust

__all__ = ["LoadedRobust", "RobustResult", "load_robust", "run_robust"]

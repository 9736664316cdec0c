"""Parameter sweeps and ensembles of scenario runs (see docs/sweeps.md).

    from sim.sweep import load_sweep, run_sweep, read_sweep
    loaded = load_sweep("scenarios/sweeps/smoke.yaml")          # validated against its base scenario
    summary = run_sweep(loaded, "results/sweeps/smoke", workers=2)
    tables = read_sweep("results/sweeps/smoke")                 # experiments, outcomes, series

Modules: spec (sweep file model), load (validation against the base scenario), design (designs;
seeds come from sim.seeds), outcomes (named reducers), runner (chunks run through sim.runs on
serial/pool/Dask executors; field paths and overrides are sim.scenario.overrides),
store (Parquet dataset + manifest, resume), analyze (Sobol, feature scores, PRIM, plots),
models (known-answer test functions for custom-model sweeps).
"""

from sim.sweep.load import LoadedSweep, load_sweep
from sim.sweep.runner import SweepSummary, run_sweep
from sim.sweep.spec import SweepSpec
from sim.sweep.store import read_sweep

__all__ = ["LoadedSweep", "SweepSpec", "SweepSummary", "load_sweep", "read_sweep", "run_sweep"]

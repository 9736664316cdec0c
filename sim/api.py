"""Library entry points shared by the CLI and notebooks.

from sim.api import load, simulate, run_scenario
loaded, world = load("scenarios/baseline.yaml")
out = simulate(world, seed=1)                     # in memory, no files
result = run_scenario("scenarios/baseline.yaml", seed=1, out_dir="results")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.core.model import run_world
from sim.core.recorder import RunOutput
from sim.core.world import World, build_world
from sim.errors import InputError
from sim.scenario.loader import LoadedScenario, load_scenario


def load(path: str | os.PathLike[str]) -> tuple[LoadedScenario, World]:
    """Load and validate a scenario file and compile it (raises ScenarioError on bad input)."""
    loaded = load_scenario(path)
    return loaded, build_world(loaded.spec, loaded.baseline_flows)


def simulate(world: World, seed: int | None = None, record_flows: bool = True) -> RunOutput:
    """Run a compiled scenario in memory. seed None uses the scenario's seed."""
    return run_world(world, world.spec.seed if seed is None else seed, record_flows=record_flows)


@dataclass(frozen=True)
class RunResult:
    """A finished run: its output, tidy tables and (if written) the run directory."""

    loaded: LoadedScenario
    output: RunOutput
    tables: dict
    run_dir: Path | None
    seed: int


def run_scenario(
    path: str | os.PathLike[str],
    seed: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    plots: bool = True,
    focus: str | None = None,
) -> RunResult:
    """Load, run and (if out_dir is given) write one run directory atomically."""
    from sim.results.tables import to_tables
    from sim.results.writer import write_run

    started = datetime.now(UTC)
    loaded, world = load(path)
    if focus is not None and focus not in world.actors:
        raise InputError(f"unknown actor {focus!r}; actors: {', '.join(world.actors)}", field="--focus")
    seed = loaded.spec.seed if seed is None else seed
    out = simulate(world, seed)
    tables = to_tables(out, loaded.spec)
    run_dir = None
    if out_dir is not None:
        run_dir = write_run(
            out, loaded, seed, Path(out_dir), started, plots=plots, focus=focus, tables=tables
        )
    return RunResult(loaded, out, tables, run_dir, seed)


def seeds_for(root: int, n: int) -> list[int]:
    """n independent per-replication seeds spawned from one root (SeedSequence)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(root).spawn(n)]

"""The sides of a comparison: a scenario (file or `LoadedScenario`, run once per seed) or a
run directory written by `mvsim run` (its tables are read, not re-run).

`resolve_side` turns a source into a `SideRunner` that yields a run's tables for a seed;
`drop_events` edits a scenario in memory ("the baseline without event X") and
`scenario_question` reads the question a scenario file asks from its header comment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from sim.errors import InputError
from sim.results.tables import actors_of, to_tables
from sim.results.writer import MANIFEST, load_manifest, read_run
from sim.runs.job import Base, Draw, run_job
from sim.scenario import schema as S
from sim.scenario.horizon import truncate_spec
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.schema import ScenarioSpec


def drop_events(
    loaded: LoadedScenario, match: Callable[[S.EventSpec], bool], name: str | None = None
) -> LoadedScenario:
    """The scenario without the scripted events for which `match(event)` is true, renamed `name`.

    For "the baseline without event X" comparisons: scenario files can only append events
    (the `extends:` merge rule), so removing a base event has to happen in memory. Raises
    ValueError if no event matches.
    """
    spec = loaded.spec
    kept = [e for e in spec.events if not match(e)]
    if len(kept) == len(spec.events):
        raise ValueError(f"no event of {spec.name} matches; nothing to drop")
    data = spec.model_copy(update={"events": kept, "name": name or f"{spec.name}_edited"}).model_dump()
    return dataclasses.replace(loaded, spec=ScenarioSpec.model_validate(data))


def scenario_question(path: str | os.PathLike[str]) -> str:
    """The first paragraph of a scenario file's header comment ('' if none or unreadable)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    para: list[str] = []
    for line in lines:
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if not text:
            if para:
                break
            continue
        para.append(text)
    return " ".join(para)


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a scenario (run per seed) or a run directory (one run)."""

    label: str
    source: str
    kind: Literal["scenario", "run"]
    question: str
    start: str
    end: str
    seed: int | None = None  # run directories: the run's seed
    events: tuple[Any, ...] = ()  # scenarios: the events as run (edits included), for event windows

    def describe(self) -> str:
        what = "scenario" if self.kind == "scenario" else f"run directory, seed {self.seed}"
        return f"{self.label} ({what}: {self.source})"


@dataclass
class SideRunner:
    """A resolved side: its actors and months, and its run's tables for a seed (a scenario is run
    per seed through `sim.runs.job.run_job`; a run directory's tables are returned as they are).

    Picklable: a scenario's `Base` leaves its built world behind (a worker builds it once)."""

    side: Side
    actors: list[str]
    months: list[str]
    base: Base | None = None
    tables: dict[str, pd.DataFrame] | None = None

    @property
    def spec(self) -> ScenarioSpec | None:
        return None if self.base is None else self.base.spec

    def ensure_world(self) -> None:
        """Build the scenario's world now (once per process)."""
        if self.base is not None:
            _ = self.base.world

    def tables_for(self, seed: int, draw: Draw | None = None) -> dict[str, pd.DataFrame]:
        """The run's tables at `seed`, with posterior draw `draw`'s parameters if given (the world
        is then rebuilt: about 3 ms)."""
        if self.base is None:
            if draw is not None:
                raise ValueError("a run directory cannot take a posterior draw")
            assert self.tables is not None
            return self.tables
        done = run_job(self.base, seed, draw=draw)
        return to_tables(done.output, done.spec, seed=seed)


Source = str | os.PathLike[str] | LoadedScenario


def resolve_side(source: Source, horizon_end: str | None) -> SideRunner:
    """The runner of `source`, with its horizon ending at `horizon_end` if earlier (a scenario is
    rebuilt with `truncate_spec`, a run directory's months are cut)."""
    if isinstance(source, LoadedScenario):
        loaded = source
    else:
        path = Path(source)
        if path.is_dir():
            return _run_dir(path, horizon_end)
        loaded = load_scenario(path)
    spec = loaded.spec
    if horizon_end is not None and horizon_end < spec.end:
        if horizon_end < spec.start:
            raise InputError(
                f"{horizon_end} is before the start of {spec.name} ({spec.start}); expected a later month",
                field="--end",
            )
        spec = truncate_spec(spec, horizon_end)
    base = Base(spec, loaded.baseline_flows)
    side = Side(
        label=spec.name,
        source=str(loaded.path),
        kind="scenario",
        question=scenario_question(loaded.path) or spec.description,
        start=spec.start,
        end=spec.end,
        events=tuple(spec.events),
    )
    world = base.world
    return SideRunner(side, list(world.actors), list(world.months), base=base)


def _run_dir(path: Path, horizon_end: str | None) -> SideRunner:
    if not (path / MANIFEST).is_file():
        raise InputError(
            f"a directory without {MANIFEST}; expected a scenario file or a run directory "
            "written by `mvsim run`",
            file=str(path),
        )
    manifest = load_manifest(path)
    tables = read_run(path)
    months = list(dict.fromkeys(tables["actor_month"]["month"].tolist()))
    if horizon_end is not None:
        months = [m for m in months if m <= horizon_end]
    scen = manifest.get("scenario", {})
    file = scen.get("file", "")
    side = Side(
        label=str(scen.get("name") or path.name),
        source=str(path),
        kind="run",
        question=(scenario_question(file) if file else "") or str(scen.get("description", "")),
        start=months[0] if months else "",
        end=months[-1] if months else "",
        seed=int(manifest["seed"]),
    )
    return SideRunner(side, actors_of(tables), months, tables=tables)


__all__ = ["Side", "SideRunner", "Source", "drop_events", "resolve_side", "scenario_question"]

"""One run of the simulator: a scenario at one seed, with optional overrides and posterior draw.

    base = Base.of(loaded, end="2024-12")                 # a validated scenario, cut at `end`
    run = run_job(base, seed=7)                           # run.spec, run.world, run.output
    run = run_job(base, 7, draw=Draw(3, {"trade_elasticity": 1.4}), record_flows=False)
    run = run_job(base, 7, overrides=[(("routes", 5, "capacity_per_year"), 12.0)])

Every caller that runs the model (the API, sweeps, comparisons, calibration, the workbench)
comes through `run_job`, so a run is a function of (scenario, seed, overrides, draw) alone.
The base world is built once per `Base` (and per process: a pickled `Base` leaves it behind);
a run with overrides, a draw or other parameters builds its own world (a few ms).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sim.core.model import run_world
from sim.core.world import World
from sim.scenario.compile import build_world
from sim.scenario.overrides import (
    Keys,
    PathError,
    draw_parameters,
    override_spec,
    resolve_path,
    with_parameters,
)

if TYPE_CHECKING:
    import numpy as np

    from sim.core.recorder import RunOutput
    from sim.params import Parameters
    from sim.scenario.loader import LoadedScenario
    from sim.scenario.schema import ScenarioSpec


@dataclass(frozen=True)
class Draw:
    """A posterior draw: its index (the `draw` column) and its values by parameter path
    (`trade_elasticity`, `route_risk_premium_usd_per_unit.CPC`)."""

    index: int
    values: Mapping[str, float]

    def parameters(self, spec: ScenarioSpec) -> Parameters:
        """The scenario's parameters with this draw's values (route-keyed values of routes the
        scenario lacks are left out; scenario inputs are `overrides`)."""
        values = {k: v for k, v in self.values.items() if not is_scenario_input(k)}
        return draw_parameters(spec.parameters, values, {r.name for r in spec.routes})

    def overrides(self, mapping: Mapping[str, Any]) -> list[tuple[Keys, Any]]:
        """The draw's scenario inputs (`events[<name>].action.strength`) as path overrides of
        `mapping`; an input whose event the scenario lacks (a placebo that removed it) is left out,
        as route-keyed parameters of absent routes are."""
        out: list[tuple[Keys, Any]] = []
        for path, v in self.values.items():
            if is_scenario_input(path):
                try:
                    out.append((resolve_path(mapping, path), v))
                except PathError:
                    continue
        return out


SCENARIO_INPUTS = ("events[",)
"""Prefixes of posterior columns that are scenario inputs (a scripted event's size, fitted by
`sim.calibration.decision_abc`), set by path override rather than in `Parameters`."""


def is_scenario_input(path: str) -> bool:
    """A posterior column that is a scenario input, not a model parameter."""
    return path.startswith(SCENARIO_INPUTS)


@dataclass(frozen=True, eq=False)
class Base:
    """What runs start from: a validated scenario and its baseline flows (N, N, G) USD bn/yr.

    `world` (built on first use) and `mapping` (`spec.model_dump()`, the base of path overrides)
    are cached per object and not pickled."""

    spec: ScenarioSpec
    flows: np.ndarray

    @classmethod
    def of(cls, loaded: LoadedScenario, end: str | None = None) -> Base:
        """The base of a loaded scenario, its horizon shortened to `end` ('YYYY-MM') if given."""
        spec = loaded.spec
        if end is not None and end != spec.end:
            from sim.scenario.horizon import truncate_spec

            spec = truncate_spec(spec, end)
        return cls(spec, loaded.baseline_flows)

    @classmethod
    def of_mapping(cls, spec: ScenarioSpec, flows: np.ndarray, mapping: dict[str, Any]) -> Base:
        """A base whose override mapping is given (`mapping` must be `spec.model_dump()`)."""
        base = cls(spec, flows)
        base.__dict__["mapping"] = mapping
        return base

    @cached_property
    def world(self) -> World:
        return build_world(self.spec, self.flows)

    @cached_property
    def mapping(self) -> dict[str, Any]:
        return self.spec.model_dump()

    def __getstate__(self) -> dict[str, Any]:
        return {"spec": self.spec, "flows": self.flows}  # workers rebuild the caches

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


@dataclass(frozen=True)
class Run:
    """A finished run: the scenario as run (with its overrides and draw), its world and output."""

    spec: ScenarioSpec | None  # None for a compiled world run as it is
    world: World
    output: RunOutput
    seed: int
    draw: int | None = None


def prepare(
    base: Base,
    overrides: Iterable[tuple[Keys, Any]] = (),
    draw: Draw | None = None,
    parameters: Parameters | None = None,
) -> tuple[ScenarioSpec, World]:
    """The scenario and world of a run: `parameters` (or the draw's) replace the base's, then path
    `overrides` are set and the scenario re-validated (`sim.scenario.overrides`)."""
    overrides = list(overrides)
    if draw is not None:
        if parameters is not None:
            raise ValueError("a run takes a posterior draw or parameters, not both")
        parameters = draw.parameters(base.spec)
        overrides += draw.overrides(base.mapping)
    if overrides:
        spec = override_spec(base.mapping, overrides, parameters=parameters)
    elif parameters is not None:
        spec = with_parameters(base.spec, parameters)
    else:
        return base.spec, base.world
    return spec, build_world(spec, base.flows)


def run_job(
    base: Base | World,
    seed: int,
    *,
    draw: Draw | None = None,
    overrides: Iterable[tuple[Keys, Any]] = (),
    parameters: Parameters | None = None,
    record_flows: bool = True,
) -> Run:
    """Run `base` (a scenario, or a compiled world as it is) at `seed`; see `prepare` for the rest.
    record_flows: keep the bilateral flows of every month (large)."""
    if isinstance(base, World):
        if draw is not None or parameters is not None or list(overrides):
            raise ValueError("a compiled world runs as it is; pass a Base to change it")
        spec, world = None, base
    else:
        spec, world = prepare(base, overrides, draw, parameters)
    out = run_world(world, int(seed), record_flows=record_flows)
    return Run(spec, world, out, int(seed), None if draw is None else draw.index)


def with_spec(loaded: LoadedScenario, spec: ScenarioSpec) -> LoadedScenario:
    """The loaded scenario with another (validated) spec."""
    return dataclasses.replace(loaded, spec=spec)


__all__ = ["SCENARIO_INPUTS", "Base", "Draw", "Run", "is_scenario_input", "prepare", "run_job", "with_spec"]

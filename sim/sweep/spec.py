"""Sweep files: the typed model (pydantic, unknown keys rejected) and `load_sweep`.

A sweep file (YAML) names a base scenario, the scenario fields to vary (by path, see
sim.sweep.paths), a design, replications and the outcomes to keep::

    name: sanctions_enforcement
    base: ../baseline.yaml            # relative to this file
    seed: 20240601                    # root seed: run seeds are SeedSequence(seed).spawn(n_runs)
    replications: 4
    design: {type: full_factorial, levels: 3}
    parameters:
      - path: events[3].action.detection_probability
        name: detection               # column name (default: the path)
        range: [0.0, 0.2]             # or `values: [...]`
      - path: actors[Kazakhstan].enforcement
        values: [0.1, 0.5, 0.9]
    outcomes:
      scalars: [kz_oil_lost_mt, kz_reexports_usd_bn, alignment_West_end]
      series: [multivector_index]

`load_sweep` validates the file, loads the base scenario, checks that every path resolves
and that each varied value (range ends, listed values) validates when applied alone to the
base scenario, and that every outcome resolves. Problems raise `ScenarioError` naming the
sweep file, the field (e.g. `parameters[1].values[2]`) and what was expected (exit code 2).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

import sim
from sim.core.world import World
from sim.errors import Problem, ScenarioError, format_loc
from sim.pathpolicy import check_read
from sim.scenario.compile import build_world
from sim.scenario.loader import (
    YAML_SUFFIXES,
    LoadedScenario,
    load_scenario,
    read_yaml_mapping,
    validation_problems,
)
from sim.scenario.references import unknown_name
from sim.scenario.schema import ScenarioSpec
from sim.sweep.outcomes import OutcomeError, Reducer
from sim.sweep.paths import Keys, PathError, apply_overrides, resolve_path

if TYPE_CHECKING:  # imported when a sweep uses the posterior (sim.calibration takes ~0.7 s)
    from sim.calibration.ensemble_draws import PosteriorDraws

DESIGNS = ("full_factorial", "latin_hypercube", "sobol", "monte_carlo")
RESERVED_COLUMNS = ("run_id", "point", "replication", "seed", "chunk", "draw", "status", "error", "month")
MAX_CHUNK = 50
MAX_RUNS = 1_000_000  # runs in one sweep (design points x replications): above it, refused
CONFIRM_RUNS = 10_000  # above this many runs `mvsim sweep` asks for --yes
MAX_DESIGN_CELLS = 20_000_000  # design points x parameters held in memory (~1 GB at worst)
MAX_VALUES = 1_000  # items of one parameter's `values` (each is validated against the base)
MAX_LEVELS = 10_000  # full-factorial levels of one range
MAX_PARAMETERS = 64
MAX_NAME_CHARS = 100
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
FINGERPRINT_VERSION = "mvsim-sweep-v1"

Scalar = bool | int | float | str


_AT = re.compile(r"^@([\w.\[\]]+)@ (.*)$", re.DOTALL)


def _at(field: str, text: str) -> ValueError:
    """A model-level error reported at `field` (a dotted path below the model)."""
    return ValueError(f"@{field}@ {text}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ParameterSpec(_Strict):
    """One varied input: a scenario field path (or, for a custom model, a name) and its values."""

    path: str = Field(description="Scenario field path, e.g. routes[Middle Corridor].capacity_per_year.")
    name: str | None = Field(None, description="Column name in the tables (default: the path).")
    range: tuple[float, float] | None = Field(None, description="[lower, upper] of a continuous input.")
    values: list[Any] | None = Field(
        None, min_length=1, max_length=MAX_VALUES, description="Discrete values (numbers or strings)."
    )
    levels: int | None = Field(
        None,
        ge=2,
        le=MAX_LEVELS,
        description="Full factorial: evenly spaced points over the range (default design.levels).",
    )
    integer: bool = Field(False, description="Round range samples to integers.")

    @field_validator("values")
    @classmethod
    def _scalars(cls, v: list[Any] | None) -> list[Any] | None:
        if v is None:
            return v
        kinds = set()
        for x in v:
            if isinstance(x, bool):
                kinds.add("bool")
            elif isinstance(x, int | float):
                if isinstance(x, float) and not math.isfinite(x):
                    raise ValueError(f"values must be finite, got {x}")
                kinds.add("number")
            elif isinstance(x, str):
                kinds.add("string")
            else:
                raise ValueError(f"values must be numbers, strings or true/false, got {x!r}")
        if len(kinds) > 1:
            raise ValueError(f"values must all be of one kind (numbers, strings or booleans), got {v!r}")
        if len({(type(x).__name__ if isinstance(x, bool) else "", x) for x in v}) != len(v):
            raise ValueError(f"values must be distinct, got {v!r}")
        return v

    @model_validator(mode="after")
    def _one_of(self) -> ParameterSpec:
        if (self.range is None) == (self.values is None):
            raise ValueError("give exactly one of `range: [lower, upper]` or `values: [...]`")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [lower, upper] with lower < upper, got {list(self.range)}")
        if self.values is not None and (self.levels is not None or self.integer):
            raise ValueError("`levels` and `integer` apply to a range, not to `values`")
        return self

    @property
    def column(self) -> str:
        return self.name or self.path

    @property
    def kind(self) -> str:
        """'float', 'int', 'bool' or 'string': the column type in the tables."""
        if self.range is not None:
            return "int" if self.integer else "float"
        assert self.values is not None
        first = self.values[0]
        if isinstance(first, bool):
            return "bool"
        if isinstance(first, str):
            return "string"
        return "int" if all(isinstance(x, int) for x in self.values) else "float"


class DesignSpec(_Strict):
    """How points are drawn from the parameter space."""

    type: Literal["full_factorial", "latin_hypercube", "sobol", "monte_carlo"]
    samples: int | None = Field(
        None,
        ge=1,
        le=MAX_RUNS,
        description="Points (Latin hypercube, Monte Carlo); base sample N (Sobol, a power of 2).",
    )
    levels: int = Field(
        3, ge=2, le=MAX_LEVELS, description="Full factorial: default points per range parameter."
    )
    second_order: bool = Field(False, description="Sobol: also estimate second-order indices.")

    @model_validator(mode="after")
    def _samples(self) -> DesignSpec:
        if self.type == "full_factorial":
            if self.samples is not None:
                raise ValueError(
                    "a full factorial takes no `samples` (its size is the product of the levels)"
                )
        elif self.samples is None:
            raise ValueError(f"design {self.type} needs `samples`")
        if self.type == "sobol" and self.samples is not None and self.samples & (self.samples - 1):
            raise ValueError(f"Sobol `samples` must be a power of 2 (e.g. 64, 128, 256), got {self.samples}")
        return self


class OutcomesSpec(_Strict):
    """What each run keeps: scalar summaries and monthly series (names in sim.sweep.outcomes)."""

    scalars: list[str] = Field(default_factory=list)
    series: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some(self) -> OutcomesSpec:
        if not self.scalars and not self.series:
            raise ValueError("name at least one outcome under `scalars` or `series`")
        for what, names in (("scalars", self.scalars), ("series", self.series)):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {what}: {', '.join(dupes)}")
        return self


class SweepSpec(_Strict):
    """A sweep file."""

    name: str
    description: str = ""
    base: str | None = Field(None, description="Base scenario file (relative to the sweep file).")
    model: str | None = Field(
        None,
        description="Custom model 'module:function' (params dict, seed) -> {outcome: float}; "
        "default: the simulator.",
    )
    seed: int = Field(1, ge=0, le=2**63 - 1, description="Root seed of the run seeds (SeedSequence).")
    focus: str = Field("Kazakhstan", description="Actor the kz_* outcomes describe.")
    replications: int = Field(
        1, ge=1, le=MAX_RUNS, description="Runs per design point, each with its own seed."
    )
    common_random_numbers: bool = Field(
        False, description="Replication r uses the same seed at every point (seed indexed by replication)."
    )
    chunk_size: int | None = Field(
        None, ge=1, le=10_000, description="Runs per task (default: from the run count)."
    )
    posterior: StrictBool = Field(
        False,
        description="Draw the model parameters of each run from the posterior (replication r uses the "
        "same draw at every point; `seeds_per_draw` replications share a draw); experiments gain `draw`.",
    )
    posterior_file: str | None = Field(
        None,
        description="Posterior file (relative to the sweep file; default calibration/posterior.parquet).",
    )
    seeds_per_draw: int = Field(2, ge=1, le=MAX_RUNS, description="With `posterior`: replications per draw.")
    design: DesignSpec
    parameters: list[ParameterSpec] = Field(min_length=1, max_length=MAX_PARAMETERS)
    outcomes: OutcomesSpec

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        return check_sweep_name(v)

    @field_validator("posterior", mode="before")
    @classmethod
    def _yaml_bool(cls, v: Any) -> Any:
        if not isinstance(v, bool):
            raise ValueError(f"expected true or false (a YAML boolean, no quotes), got {v!r}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if (self.base is None) == (self.model is None):
            raise _at("base", "give exactly one of `base` (a scenario file) or `model` ('module:function')")
        if self.model is not None and self.model.count(":") != 1:
            raise _at("model", f"expected 'module:function', got {self.model!r}")
        if self.model is not None and self.outcomes.series:
            raise _at("outcomes.series", "custom models return scalars only; remove `outcomes.series`")
        if self.posterior and self.model is not None:
            raise _at(
                "posterior", "posterior draws set the simulator's parameters; a custom model takes none"
            )
        if not self.posterior and self.posterior_file is not None:
            raise _at("posterior_file", "applies only with `posterior: true`")
        cols = [p.column for p in self.parameters]
        dupes = sorted({c for c in cols if cols.count(c) > 1})
        if dupes:
            raise _at(
                "parameters",
                f"duplicate parameter columns: {', '.join(dupes)} (set `name` to tell them apart)",
            )
        clash = sorted(set(cols) & set(RESERVED_COLUMNS))
        if clash:
            raise _at(
                "parameters", f"parameter names {clash} clash with table columns {list(RESERVED_COLUMNS)}"
            )
        outs = set(self.outcomes.scalars) & set(RESERVED_COLUMNS)
        if outs:
            raise _at("outcomes.scalars", f"outcome names {sorted(outs)} clash with table columns")
        if self.design.type == "full_factorial":
            for p in self.parameters:
                if p.integer and p.range is not None:
                    span = round(p.range[1]) - round(p.range[0]) + 1
                    if (p.levels or self.design.levels) > span:
                        raise _at(
                            "parameters",
                            f"{p.column}: {p.levels or self.design.levels} levels over the integers "
                            f"{round(p.range[0])}..{round(p.range[1])} would repeat values; "
                            f"use at most {span}",
                        )
        if self.design.type == "sobol":
            bad = [p.column for p in self.parameters if p.range is None]
            if bad:
                raise _at(
                    "parameters", f"a Sobol design needs a `range` for every parameter; {bad} have `values`"
                )
        return self


def check_sweep_name(name: str) -> str:
    """A sweep name usable as one directory name (`results/sweeps/<name>`), else ValueError."""
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"expected a name of at most {MAX_NAME_CHARS} characters, got {len(name)}")
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(
            f"expected a name of letters, digits, '.', '_' and '-' (it names the folder "
            f"results/sweeps/<name>; no '/', '..' or leading '.'), got {name[:60]!r}"
        )
    return name


def safe_sweep_name(text: str) -> str:
    """`text` (e.g. a file name) made into a valid sweep name."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).replace("..", "_").lstrip("._-")[:MAX_NAME_CHARS]
    return name or "sweep"


def check_size(spec: SweepSpec, display: str) -> tuple[int, int]:
    """(design points, runs) of a sweep, computed without allocating anything; ScenarioError if the
    run count is above `MAX_RUNS` or the design would not fit in memory (`MAX_DESIGN_CELLS`)."""
    npts = n_points(spec)
    n_runs = npts * spec.replications
    if n_runs > MAX_RUNS:
        raise ScenarioError(
            display,
            "design",
            f"{npts:,} design points x {spec.replications:,} replication(s) = {n_runs:,} runs; "
            f"expected at most {MAX_RUNS:,} runs (split the sweep or use a smaller design)",
        )
    cells = npts * len(spec.parameters)
    if cells > MAX_DESIGN_CELLS:
        raise ScenarioError(
            display,
            "design",
            f"{npts:,} design points x {len(spec.parameters)} parameters = {cells:,} values would not fit in "
            f"memory; expected at most {MAX_DESIGN_CELLS:,}",
        )
    return npts, n_runs


def n_points(spec: SweepSpec) -> int:
    """Number of design points (before replication)."""
    d = spec.design
    if d.type == "full_factorial":
        return math.prod(
            len(p.values) if p.values is not None else (p.levels or d.levels) for p in spec.parameters
        )
    assert d.samples is not None
    if d.type == "sobol":
        k = len(spec.parameters)
        return d.samples * (2 * k + 2 if d.second_order else k + 2)
    return d.samples


def default_chunk_size(n_runs: int) -> int:
    """Runs per chunk from the run count alone (never from the worker count: chunks must not
    depend on it): about 64 chunks, 1..MAX_CHUNK runs each."""
    return max(1, min(MAX_CHUNK, n_runs // 64))


@dataclass(frozen=True, eq=False)
class LoadedSweep:
    """A validated sweep with its base scenario resolved."""

    path: Path
    spec: SweepSpec
    fingerprint: str  # hash of the sweep, the base scenario's content and the package version
    base: LoadedScenario | None
    base_mapping: dict[str, Any] | None  # the merged base scenario, as validated
    keys: tuple[Keys, ...]  # resolved scenario keys per parameter (empty for custom models)
    n_points: int
    n_runs: int
    chunk_size: int
    posterior: PosteriorDraws | None = None  # with `posterior: true`

    @property
    def columns(self) -> list[str]:
        return [p.column for p in self.spec.parameters]

    @property
    def n_chunks(self) -> int:
        return -(-self.n_runs // self.chunk_size)


def _sweep_problems(exc: ValidationError, file: str) -> list[Problem]:
    models: dict[str, type[BaseModel]] = {
        "": SweepSpec,
        "design": DesignSpec,
        "outcomes": OutcomesSpec,
        "parameters": ParameterSpec,
    }
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind, msg = err["type"], err["msg"]
        if kind == "extra_forbidden":
            parent = models.get(str(loc[0]) if len(loc) > 1 else "", SweepSpec)
            text = unknown_name("key", str(loc[-1]), list(parent.model_fields), "valid keys")
        elif kind == "missing":
            text = "missing required key"
        elif kind in ("value_error", "assertion_error"):
            text = msg.removeprefix("Value error, ")
            m = _AT.match(text)
            if m is not None:
                loc = (*loc, *m.group(1).split("."))
                text = m.group(2)
        else:
            got = repr(err.get("input"))
            got = got if len(got) <= 70 else got[:67] + "..."
            text = msg.replace("Input should be", "expected", 1) + f", got {got}"
        out.append(Problem(file, format_loc(loc), text))
    return out


def import_model(entry: str) -> Callable[..., Any]:
    """The function of a 'module:function' entry point (raises ImportError/AttributeError)."""
    module, _, attr = entry.partition(":")
    fn = getattr(importlib.import_module(module), attr)
    if not callable(fn):
        raise TypeError(f"{entry} is not callable")
    return fn


def validate_override(base_mapping: dict[str, Any], overrides: list[tuple[Keys, Any]]) -> ScenarioSpec:
    """The base scenario with `overrides` applied, validated (raises ScenarioError, file 'override')."""
    try:
        return ScenarioSpec.model_validate(apply_overrides(base_mapping, overrides))
    except ValidationError as exc:
        raise ScenarioError(problems=validation_problems(exc, "override")) from None


def _check_values(
    spec: SweepSpec, base_mapping: dict[str, Any], display: str, base_display: str
) -> tuple[list[Keys], list[Problem]]:
    keys: list[Keys] = []
    problems: list[Problem] = []
    for i, p in enumerate(spec.parameters):
        try:
            k = resolve_path(base_mapping, p.path)
        except PathError as exc:
            problems.append(Problem(display, f"parameters[{i}].path", f"{p.path}: does not resolve: {exc}"))
            keys.append(())
            continue
        keys.append(k)
        if p.range is not None:
            lo, hi = p.range
            cands = [
                ("range", round(lo) if p.integer else lo),
                ("range", round(hi) if p.integer else hi),
            ]
        else:
            assert p.values is not None
            cands = [(f"values[{j}]", v) for j, v in enumerate(p.values)]
        for field, value in cands:
            try:
                validate_override(base_mapping, [(k, value)])
            except ScenarioError as exc:
                why = "; ".join(f"{q.field}: {q.message}" for q in exc.problems)
                problems.append(
                    Problem(
                        display,
                        f"parameters[{i}].{field}",
                        f"{p.path} = {value!r} is rejected by the base scenario {base_display}: {why}",
                    )
                )
                break
    return keys, problems


def _check_outcomes(spec: SweepSpec, world: World, display: str) -> list[Problem]:
    problems = []
    if spec.focus not in world.index:
        return [Problem(display, "focus", unknown_name("actor", spec.focus, world.actors, "actors"))]
    for what in ("scalars", "series"):
        for j, name in enumerate(getattr(spec.outcomes, what)):
            try:
                Reducer(
                    world, spec.focus, [name] if what == "scalars" else [], [name] if what == "series" else []
                )
            except OutcomeError as exc:
                problems.append(Problem(display, f"outcomes.{what}[{j}]", str(exc)))
    return problems


def fingerprint(spec: SweepSpec, base_hash: str | None) -> str:
    """Identity of a sweep's results: spec, base scenario content hash and package version."""
    blob = json.dumps(
        {
            "v": FINGERPRINT_VERSION,
            "spec": spec.model_dump(mode="json", exclude={"description"}),
            "base": base_hash,
            "sim": sim.__version__,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def load_sweep(path: str | os.PathLike[str]) -> LoadedSweep:
    """Read and validate a sweep file against its base scenario; raise ScenarioError on bad input."""
    path = Path(path)
    display = os.path.normpath(str(path))
    data = read_yaml_mapping(path, "a sweep file")
    data.setdefault("name", safe_sweep_name(path.stem))
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems=_sweep_problems(exc, display)) from None
    npts, n_runs = check_size(spec, display)  # before anything is allocated or validated per value

    base = base_mapping = None
    keys: tuple[Keys, ...] = ()
    if spec.model is not None:
        from sim.sweep.models import ModelNotAllowed, resolve_model

        try:
            resolve_model(spec.model)
        except ModelNotAllowed as exc:
            raise ScenarioError(display, "model", str(exc)) from None
        except Exception as exc:
            raise ScenarioError(
                display,
                "model",
                f"cannot import {spec.model!r} ({type(exc).__name__}: {exc}); "
                "expected 'module:function' importable here and on every worker",
            ) from None
    if spec.base is not None:
        base_path = path.parent / spec.base
        base_display = os.path.normpath(str(base_path))
        check_read(path.parent, spec.base, YAML_SUFFIXES, "a scenario file", display, "base")
        if not base_path.is_file():
            what = "file not found" if not base_path.exists() else "not a regular file"
            raise ScenarioError(
                display,
                "base",
                f"{what}: {base_display} (relative to {display}); expected a scenario",
            )
        base = load_scenario(base_path)
        base_mapping = base.spec.model_dump()
        problems: list[Problem] = []
        if spec.model is None:
            k, problems = _check_values(spec, base_mapping, display, base_display)
            keys = tuple(k)
            world = build_world(base.spec, base.baseline_flows)
            problems += _check_outcomes(spec, world, display)
        if problems:
            raise ScenarioError(problems=problems)

    draws = None
    base_hash = base.content_hash if base is not None else None
    if spec.posterior:
        assert base is not None
        draws = _load_posterior(spec, path, display, base.spec)
        base_hash = f"{base_hash}+posterior:{draws.digest}"

    return LoadedSweep(
        path=path,
        spec=spec,
        fingerprint=fingerprint(spec, base_hash),
        base=base,
        base_mapping=base_mapping,
        keys=keys,
        n_points=npts,
        n_runs=n_runs,
        chunk_size=spec.chunk_size or default_chunk_size(n_runs),
        posterior=draws,
    )


def _load_posterior(spec: SweepSpec, path: Path, display: str, base: ScenarioSpec) -> PosteriorDraws:
    """The sweep's posterior draws, each checked against the base scenario's parameters."""
    from sim.calibration.ensemble_draws import load_draws
    from sim.errors import InputError

    file = None if spec.posterior_file is None else path.parent / spec.posterior_file
    field = "posterior" if spec.posterior_file is None else "posterior_file"
    if spec.posterior_file is not None:
        check_read(path.parent, spec.posterior_file, (".parquet",), "a posterior file", display, field)
    try:
        draws = load_draws(file)
        for k in draws.ids:
            draws.parameters(base.parameters, int(k), {r.name for r in base.routes})
    except InputError as exc:
        raise ScenarioError(display, field, exc.problems[0].message if exc.problems else str(exc)) from None
    return draws


__all__ = [
    "CONFIRM_RUNS",
    "DESIGNS",
    "MAX_RUNS",
    "DesignSpec",
    "LoadedSweep",
    "OutcomesSpec",
    "ParameterSpec",
    "SweepSpec",
    "check_size",
    "check_sweep_name",
    "default_chunk_size",
    "fingerprint",
    "import_model",
    "load_sweep",
    "n_points",
    "safe_sweep_name",
    "validate_override",
]

"""Sweep files: the typed model (pydantic, unknown keys rejected), names and sizes.

A sweep file (YAML) names a base scenario, the scenario fields to vary (by path, see
sim.scenario.overrides), a design, replications and the outcomes to keep::

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

The model checks the file on its own; `sim.sweep.load.load_sweep` then checks it against the
base scenario (paths, values, outcomes, posterior draws).
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from sim.errors import ScenarioError
from sim.pathpolicy import MAX_NAME_CHARS as pathpolicy_max_chars
from sim.pathpolicy import safe_name
from sim.seeds import SEED_MAX

DESIGNS = ("full_factorial", "latin_hypercube", "sobol", "monte_carlo")
RESERVED_COLUMNS = ("run_id", "point", "replication", "seed", "chunk", "draw", "status", "error", "month")
MAX_CHUNK = 50
MAX_RUNS = 1_000_000  # runs in one sweep (design points x replications): above it, refused
CONFIRM_RUNS = 10_000  # above this many runs `mvsim sweep` asks for --yes
MAX_DESIGN_CELLS = 20_000_000  # design points x parameters held in memory (~1 GB at worst)
MAX_VALUES = 1_000  # items of one parameter's `values` (each is validated against the base)
MAX_LEVELS = 10_000  # full-factorial levels of one range
MAX_PARAMETERS = 64
MAX_NAME_CHARS = pathpolicy_max_chars  # the one sanitiser's limit (sim/pathpolicy.py)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
FINGERPRINT_VERSION = "mvsim-sweep-v1"

Scalar = bool | int | float | str


_AT = re.compile(r"^@([\w.\[\]]+)@ (.*)$", re.DOTALL)


def _at(field: str, text: str) -> ValueError:
    """A model-level error reported at `field` (a dotted path below the model)."""
    return ValueError(f"@{field}@ {text}")


def check_scalars(v: list[Any]) -> list[Any]:
    """A `values` list: finite numbers, strings or booleans, all of one kind, distinct (else ValueError)."""
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
        return v if v is None else check_scalars(v)

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
    seed: int = Field(1, ge=0, le=SEED_MAX, description="Root seed of the run seeds (SeedSequence).")
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
    return safe_name(text.replace("..", "_"), "sweep").lstrip("-") or "sweep"


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


_MOVED = ("LoadedSweep", "fingerprint", "import_model", "load_sweep", "validate_override")


def __getattr__(name: str) -> Any:
    """Names of sim.sweep.load, resolved here too (`from sim.sweep.spec import load_sweep`)."""
    if name in _MOVED:
        from sim.sweep import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CONFIRM_RUNS",
    "DESIGNS",
    "MAX_RUNS",
    "DesignSpec",
    "OutcomesSpec",
    "ParameterSpec",
    "SweepSpec",
    "check_size",
    "check_sweep_name",
    "default_chunk_size",
    "n_points",
    "safe_sweep_name",
]

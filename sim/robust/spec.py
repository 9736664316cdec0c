"""Robust-search files: the typed model (pydantic, unknown keys rejected).

A robust-search file (YAML, `scenarios/robust/*.yaml`) names a base scenario (or a project
model), the *levers* (the policy searched over), the *uncertainties* (the scenario ensemble
every candidate faces) and the *objectives* (sweep outcome names, sim.sweep.outcomes)::

    name: kazakhstan_2030
    base: ../baseline.yaml              # relative to this file (or `model: module:function`)
    levers:
      - name: kz_hedging_weight
        path: actors[Kazakhstan].hedging_weight
        type: real                      # real | int | categorical
        range: [0.0, 2.0]
      - name: eu_trade_agreement
        type: categorical
        options: {on: {}, off: {"decisions.menus[Kazakhstan][x].available_until": "2022-12"}}
    uncertainties:
      - {name: cpc_outages_per_year, path: "hazards[CPC outage].rate_per_year", range: [0.5, 6.0]}
    scenarios: {n: 8, seed: 11}         # the search ensemble (design seed; run seeds)
    objectives:
      - {name: kz_welfare_usd_bn, direction: max, threshold: 69.0}
    search: {population: 12, generations: 5, seed: 7}
    reevaluation: {n: 200, seed: 12}    # a fresh, larger ensemble (another seed)

`sim.robust.load.load_robust` then checks the file against its base scenario.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.seeds import SEED_MAX
from sim.sweep.spec import RESERVED_COLUMNS, check_scalars, check_sweep_name

MAX_LEVERS = 32
MAX_UNCERTAINTIES = 32
MAX_OBJECTIVES = 8
MAX_MEMBERS = 100_000  # ensemble members (scenario points x replications) of one ensemble
MAX_POPULATION = 1_000
MAX_GENERATIONS = 1_000
MAX_OPTIONS = 64
ROBUST_COLUMNS = ("candidate", "generation", "member", "point", "ensemble", "baseline", "pareto")

Scalar = bool | int | float | str


def _at(field: str, text: str) -> ValueError:
    """A model-level error reported at `field` (read by sim.sweep.load's `_AT` convention)."""
    return ValueError(f"@{field}@ {text}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class LinkedSpec(_Strict):
    """A second scenario field set with the lever: value = lever value x factor (e.g. a cost per Mt)."""

    path: str
    factor: float = Field(1.0, description="Multiplier on the lever's value.")
    integer: bool = Field(False, description="Round the linked value to an integer.")


class LeverSpec(_Strict):
    """One policy lever: a scenario path (or a named option set) the search chooses."""

    name: str = Field(description="Column name in the tables.")
    type: Literal["real", "int", "categorical"]
    path: str | None = Field(
        None,
        description="Scenario field path (sim.scenario.overrides syntax; required with a base scenario).",
    )
    range: tuple[float, float] | None = Field(None, description="[lower, upper] of a real or int lever.")
    values: list[Any] | None = Field(None, min_length=2, max_length=MAX_OPTIONS, description="Categorical.")
    options: dict[str, dict[str, Any]] | None = Field(
        None,
        min_length=2,
        max_length=MAX_OPTIONS,
        description="Categorical: option name -> {path: value} overrides ({} = as in the base scenario).",
    )
    linked: list[LinkedSpec] = Field(default_factory=list, description="Fields set to value x factor.")
    unit: str = ""
    description: str = ""

    _vals = field_validator("values")(classmethod(lambda cls, v: v if v is None else check_scalars(v)))

    @model_validator(mode="after")
    def _shape(self) -> LeverSpec:
        if self.type in ("real", "int"):
            if self.range is None:
                raise ValueError(f"a {self.type} lever needs `range: [lower, upper]`")
            if self.values is not None or self.options is not None:
                raise ValueError(f"a {self.type} lever takes `range`, not `values` or `options`")
            if not self.range[0] < self.range[1]:
                raise ValueError(f"range must be [lower, upper] with lower < upper, got {list(self.range)}")
            if self.type == "int" and any(r != round(r) for r in self.range):
                raise ValueError(f"an int lever's range must be integers, got {list(self.range)}")
        else:
            if (self.values is None) == (self.options is None):
                raise ValueError(
                    "a categorical lever needs exactly one of `values` (with `path`) or `options`"
                )
            if self.options is not None and self.path is not None:
                raise ValueError("categorical `options` name their own paths; remove `path`")
            if self.range is not None or self.linked:
                raise ValueError("a categorical lever takes no `range` or `linked`")
            for opt, sets in (self.options or {}).items():
                for p, v in sets.items():
                    if not isinstance(v, bool | int | float | str):
                        raise _at(
                            f"options.{opt}", f"{p}: expected a number, string or true/false, got {v!r}"
                        )
        return self

    @property
    def labels(self) -> list[str]:
        """The categorical choices as text (option names, or the values)."""
        if self.options is not None:
            return list(self.options)
        return [str(v) for v in self.values or []]

    @property
    def kind(self) -> str:
        """Column type: 'float', 'int' or 'string' (categorical levers are stored by label)."""
        return {"real": "float", "int": "int", "categorical": "string"}[self.type]


class UncertaintySpec(_Strict):
    """One deep uncertainty: a scenario path sampled over a range or a discrete set, or the
    calibrated posterior (`type: posterior`: a draw of the model parameters per scenario point)."""

    name: str
    type: Literal["parameter", "posterior"] = Field(
        "parameter",
        description="'parameter': a scenario path over `range` or `values`; 'posterior': the posterior "
        "draws of the model parameters (the column holds the draw index).",
    )
    path: str | None = Field(None, description="Scenario field path (required with a base scenario).")
    range: tuple[float, float] | None = None
    values: list[Any] | None = Field(None, min_length=1, max_length=1_000)
    integer: bool = Field(False, description="Round range samples to integers.")
    file: str | None = Field(
        None,
        description="`type: posterior`: the posterior file (relative to this file; default "
        "calibration/posterior.parquet).",
    )
    unit: str = ""
    description: str = ""

    _vals = field_validator("values")(classmethod(lambda cls, v: v if v is None else check_scalars(v)))

    @model_validator(mode="after")
    def _one_of(self) -> UncertaintySpec:
        if self.type == "posterior":
            extra = [k for k in ("path", "range", "values") if getattr(self, k) is not None]
            if extra or self.integer:
                raise ValueError(
                    f"a posterior uncertainty takes no {', '.join(extra) or 'integer'} (only `file`)"
                )
            return self
        if self.file is not None:
            raise ValueError("`file` applies to `type: posterior`")
        if (self.range is None) == (self.values is None):
            raise ValueError("give exactly one of `range: [lower, upper]` or `values: [...]`")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [lower, upper] with lower < upper, got {list(self.range)}")
        if self.values is not None and self.integer:
            raise ValueError("`integer` applies to a range, not to `values`")
        return self


class EnsembleSpec(_Strict):
    """An ensemble: `n` uncertainty points x `replications` seeds (common to every candidate)."""

    n: int = Field(ge=1, le=MAX_MEMBERS, description="Uncertainty points.")
    seed: int = Field(1, ge=0, le=SEED_MAX, description="Root of the design stream and the run seeds.")
    design: Literal["latin_hypercube", "monte_carlo"] = "latin_hypercube"
    replications: int = Field(1, ge=1, le=1_000, description="Seeds per point.")

    @model_validator(mode="after")
    def _size(self) -> EnsembleSpec:
        if self.n * self.replications > MAX_MEMBERS:
            raise ValueError(
                f"n x replications = {self.n * self.replications}; expected at most {MAX_MEMBERS}"
            )
        return self


class ReevaluationSpec(EnsembleSpec):
    """The fresh ensemble the Pareto set and the baseline policy are re-run on."""

    max_candidates: int = Field(
        8, ge=1, le=1_000, description="Pareto candidates re-run (best satisficing share first)."
    )


class ObjectiveSpec(_Strict):
    """One objective: a scalar outcome of the sweep vocabulary, a direction, an optional threshold."""

    name: str = Field(description="Scalar outcome, e.g. kz_welfare_usd_bn, kz_oil_lost_mt_max.")
    direction: Literal["max", "min"]
    threshold: float | None = Field(
        None, description="Satisficing: met when value >= threshold (max) or <= threshold (min)."
    )
    epsilon: float | None = Field(
        None,
        gt=0,
        description="Epsilon-box size for epsilon progress, in the objective's unit (default: the "
        "first generation's spread / 100).",
    )
    unit: str = ""


class SearchSpec(_Strict):
    """NSGA-II (pymoo) over the levers; each candidate scored on the search ensemble."""

    algorithm: Literal["nsga2"] = "nsga2"
    population: int = Field(12, ge=2, le=MAX_POPULATION)
    generations: int = Field(5, ge=1, le=MAX_GENERATIONS)
    seed: int = Field(1, ge=0, le=2**32 - 1, description="Seed of the algorithm's random stream.")
    robustness: Literal["mean", "percentile"] = Field(
        "mean", description="What the search optimises per objective over the ensemble."
    )
    percentile: float = Field(10.0, gt=0, lt=100, description="Low percentile (direction-aware), %.")


class DiscoverySpec(_Strict):
    """Scenario discovery of the robust policy's failures (not all thresholds met)."""

    method: Literal["prim", "cart"] = "prim"
    min_density: float = Field(0.6, gt=0, le=1, description="PRIM: largest coverage at this density.")


class QuickSpec(_Strict):
    """`--quick`: a small run of the same file (sizes replaced)."""

    population: int = Field(4, ge=2, le=MAX_POPULATION)
    generations: int = Field(2, ge=1, le=MAX_GENERATIONS)
    scenarios: int = Field(3, ge=1, le=MAX_MEMBERS)
    reevaluation: int = Field(12, ge=2, le=MAX_MEMBERS)
    max_candidates: int = Field(2, ge=1, le=1_000)


class RobustSpec(_Strict):
    """A robust-search file."""

    name: str
    description: str = ""
    base: str | None = Field(None, description="Base scenario file (relative to this file).")
    model: str | None = Field(None, description="Project model 'module:function' (params, seed) -> dict.")
    end: str | None = Field(None, description="Cut the base scenario's horizon at this month, YYYY-MM.")
    focus: str = "Kazakhstan"
    levers: list[LeverSpec] = Field(min_length=1, max_length=MAX_LEVERS)
    uncertainties: list[UncertaintySpec] = Field(default_factory=list, max_length=MAX_UNCERTAINTIES)
    objectives: list[ObjectiveSpec] = Field(min_length=2, max_length=MAX_OBJECTIVES)
    scenarios: EnsembleSpec
    search: SearchSpec = Field(default_factory=SearchSpec)
    reevaluation: ReevaluationSpec
    discovery: DiscoverySpec = Field(default_factory=DiscoverySpec)
    quick: QuickSpec = Field(default_factory=QuickSpec)

    _name = field_validator("name")(classmethod(lambda cls, v: check_sweep_name(v)))

    @model_validator(mode="after")
    def _consistent(self) -> RobustSpec:
        if (self.base is None) == (self.model is None):
            raise _at("base", "give exactly one of `base` (a scenario file) or `model` ('module:function')")
        if self.model is not None and self.end is not None:
            raise _at("end", "a horizon applies to a base scenario, not to a custom model")
        names = [lv.name for lv in self.levers] + [u.name for u in self.uncertainties]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise _at("levers", f"duplicate lever/uncertainty names: {', '.join(dupes)}")
        objs = [o.name for o in self.objectives]
        dupes = sorted({n for n in objs if objs.count(n) > 1})
        if dupes:
            raise _at("objectives", f"duplicate objectives: {', '.join(dupes)}")
        clash = sorted(set(names + objs) & set(RESERVED_COLUMNS + ROBUST_COLUMNS))
        if clash:
            raise _at("levers", f"names {clash} clash with table columns")
        posts = [i for i, u in enumerate(self.uncertainties) if u.type == "posterior"]
        if len(posts) > 1:
            raise _at("uncertainties", f"expected at most one `type: posterior`, got {len(posts)}")
        if posts and self.model is not None:
            raise _at("uncertainties", "posterior draws set the simulator's parameters; a `model` takes none")
        if self.reevaluation.seed == self.scenarios.seed:
            raise _at("reevaluation.seed", "expected a seed other than scenarios.seed (a fresh ensemble)")
        return self

    def quick_spec(self) -> RobustSpec:
        """The same file with the `quick` sizes."""
        q = self.quick
        return self.model_copy(
            update={
                "search": self.search.model_copy(
                    update={"population": q.population, "generations": q.generations}
                ),
                "scenarios": self.scenarios.model_copy(update={"n": min(q.scenarios, self.scenarios.n)}),
                "reevaluation": self.reevaluation.model_copy(
                    update={"n": min(q.reevaluation, self.reevaluation.n), "max_candidates": q.max_candidates}
                ),
            }
        )


def robust_json_schema() -> dict[str, Any]:
    """JSON Schema of a robust-search file (docs/robust.schema.json; `mvsim schema --robust`)."""
    schema = RobustSpec.model_json_schema()
    schema["title"] = "mvsim robust-search file (scenarios/robust/*.yaml)"
    return schema


SPEC_MODELS: dict[str, type[BaseModel]] = {
    "": RobustSpec,
    "levers": LeverSpec,
    "uncertainties": UncertaintySpec,
    "objectives": ObjectiveSpec,
    "scenarios": EnsembleSpec,
    "reevaluation": ReevaluationSpec,
    "search": SearchSpec,
    "discovery": DiscoverySpec,
    "quick": QuickSpec,
}

__all__ = [
    "DiscoverySpec",
    "EnsembleSpec",
    "LeverSpec",
    "LinkedSpec",
    "ObjectiveSpec",
    "QuickSpec",
    "ReevaluationSpec",
    "RobustSpec",
    "SearchSpec",
    "UncertaintySpec",
    "robust_json_schema",
]

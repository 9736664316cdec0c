"""Loading a sweep file: `load_sweep` validates it against its base scenario into a `LoadedSweep`.

`load_sweep` validates the file (sim.sweep.spec), loads the base scenario, checks that every path
resolves and that each varied value (range ends, listed values) validates when applied alone to
the base scenario (`sim.scenario.overrides.override_spec`), that every outcome resolves and, with
`posterior: true`, that every posterior draw fits the base scenario. Problems raise
`ScenarioError` naming the sweep file, the field (e.g. `parameters[1].values[2]`) and what was
expected (exit code 2).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

import sim
from sim.core.world import World
from sim.errors import Problem, ScenarioError, format_loc
from sim.pathpolicy import check_read
from sim.scenario.compile import build_world
from sim.scenario.loader import YAML_SUFFIXES, LoadedScenario, load_scenario, read_yaml_mapping
from sim.scenario.overrides import Keys, PathError, override_spec, resolve_path
from sim.scenario.references import unknown_name
from sim.scenario.schema import ScenarioSpec
from sim.sweep.outcomes import OutcomeError, Reducer
from sim.sweep.spec import (
    _AT,
    FINGERPRINT_VERSION,
    DesignSpec,
    OutcomesSpec,
    ParameterSpec,
    SweepSpec,
    check_size,
    default_chunk_size,
    safe_sweep_name,
)

if TYPE_CHECKING:  # imported when a sweep uses the posterior (sim.calibration takes ~0.7 s)
    from sim.calibration.ensemble_draws import PosteriorDraws


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


SpecT = TypeVar("SpecT", bound=BaseModel)


SWEEP_MODELS: dict[str, type[BaseModel]] = {
    "": SweepSpec,
    "design": DesignSpec,
    "outcomes": OutcomesSpec,
    "parameters": ParameterSpec,
}
"""The sweep file's section models by top-level key (for did-you-mean on unknown keys)."""


def read_spec(
    path: Path, what: str, root: type[SpecT], models: dict[str, type[BaseModel]]
) -> tuple[SpecT, str]:
    """A sweep-like YAML file (`what`: "a sweep file") validated against `root`, its name defaulting
    to the file's stem, and the path as displayed; ScenarioError with every problem if invalid."""
    display = os.path.normpath(str(path))
    data = read_yaml_mapping(path, what)
    data.setdefault("name", safe_sweep_name(path.stem))
    try:
        return root.model_validate(data), display
    except ValidationError as exc:
        raise ScenarioError(problems=validation_problems(exc, display, models, root)) from None


def validation_problems(
    exc: ValidationError, file: str, models: dict[str, type[BaseModel]], root: type[BaseModel]
) -> list[Problem]:
    """Problems of a pydantic error on a sweep-like file (sweep, robust search), in the file's own
    terms: unknown keys with did-you-mean against the section's model (`models` by top-level key,
    `root` for the file itself), "missing required key", validator messages at the field they name."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind, msg = err["type"], err["msg"]
        if kind == "extra_forbidden":
            parent = models.get(str(loc[0]) if len(loc) > 1 else "", root)
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


validate_override = override_spec
"""The base scenario with overrides applied, validated (`sim.scenario.overrides.override_spec`)."""


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


def fingerprint(spec: BaseModel, base_hash: str | None, version: str = FINGERPRINT_VERSION) -> str:
    """Identity of a sweep's (or a robust search's) results: file version tag, spec, base scenario
    content hash and package version (SHA-256 hex)."""
    blob = json.dumps(
        {
            "v": version,
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
    spec, display = read_spec(path, "a sweep file", SweepSpec, SWEEP_MODELS)
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


__all__ = ["LoadedSweep", "fingerprint", "import_model", "load_sweep", "validate_override"]

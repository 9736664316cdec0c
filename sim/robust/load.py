"""Loading a robust-search file: `load_robust` validates it against its base scenario.

Checks, after the file model (sim.robust.spec): every lever and uncertainty path resolves in the
(horizon-cut) base scenario, each end of a range, each listed value and each categorical option
validates when applied alone to the base (`sim.scenario.overrides.override_spec`), and every
objective resolves (sim.sweep.outcomes). Problems raise `ScenarioError` naming the file, the field
(e.g. `levers[2].range`) and what was expected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import Problem, ScenarioError
from sim.pathpolicy import check_read
from sim.robust.spec import SPEC_MODELS, LeverSpec, RobustSpec
from sim.scenario.overrides import Keys, PathError, get_value, override_spec, resolve_path
from sim.scenario.references import unknown_name
from sim.sweep.load import fingerprint as sweep_fingerprint
from sim.sweep.load import read_spec

if TYPE_CHECKING:
    from sim.calibration.ensemble_draws import PosteriorDraws
    from sim.robust.spec import UncertaintySpec
    from sim.runs.job import Base

FINGERPRINT_VERSION = "mvsim-robust-v2"  # v2: results in a resumable store
ROBUST_MODELS = ("sim.robust.synthetic:zdt1", "sim.robust.synthetic:zdt1_timed")
"""Project models a robust file may name without `--allow-model` (known-answer problems)."""

Override = tuple[Keys, Any]


@dataclass(frozen=True, eq=False)
class LeverKeys:
    """A lever resolved against the base: its keys, linked keys and categorical option overrides."""

    keys: Keys | None  # real/int/categorical-with-values
    linked: tuple[tuple[Keys, float, bool], ...] = ()  # (keys, factor, integer)
    options: tuple[tuple[Override, ...], ...] = ()  # categorical options: overrides per option

    def overrides(self, lever: LeverSpec, value: Any) -> list[Override]:
        """The scenario overrides that set `lever` to `value` (a label for categorical levers)."""
        if lever.options is not None:
            return list(self.options[lever.labels.index(str(value))])
        assert self.keys is not None
        if lever.type == "categorical":
            assert lever.values is not None
            value = lever.values[lever.labels.index(str(value))]
        out: list[Override] = [(self.keys, int(value) if lever.type == "int" else value)]
        for keys, factor, integer in self.linked:
            v = float(value) * factor
            out.append((keys, round(v) if integer else v))
        return out


@dataclass(frozen=True, eq=False)
class LoadedRobust:
    """A validated robust-search file with its base scenario resolved."""

    path: Path
    spec: RobustSpec
    fingerprint: str
    base: Base | None  # None for a custom model
    lever_keys: tuple[LeverKeys, ...] = ()
    uncertainty_keys: tuple[Keys, ...] = ()
    baseline: dict[str, Any] = field(default_factory=dict)  # lever -> value in the base scenario
    posterior: PosteriorDraws | None = None  # the draws of a `type: posterior` uncertainty

    @property
    def display(self) -> str:
        return os.path.normpath(str(self.path))

    @property
    def posterior_uncertainty(self) -> UncertaintySpec | None:
        """The `type: posterior` uncertainty, if the file has one."""
        return next((u for u in self.spec.uncertainties if u.type == "posterior"), None)


def _resolve(mapping: dict[str, Any], path: str | None, where: str, file: str, probs: list[Problem]) -> Keys:
    if path is None:
        probs.append(Problem(file, f"{where}.path", "missing: with a base scenario every entry sets a field"))
        return ()
    try:
        keys = resolve_path(mapping, path)
    except PathError as exc:
        probs.append(Problem(file, f"{where}.path", f"{path}: does not resolve: {exc}"))
        return ()
    parent = get_value(mapping, keys[:-1]) if len(keys) > 1 else mapping
    if isinstance(parent, dict) and keys[-1] not in parent:
        probs.append(
            Problem(
                file,
                f"{where}.path",
                f"{path}: does not resolve: no field {keys[-1]!r} there; "
                f"fields: {', '.join(map(str, parent))}",
            )
        )
        return ()
    return keys


def _try(
    mapping: dict[str, Any], overrides: list[Override], where: str, file: str, probs: list[Problem]
) -> None:
    try:
        override_spec(mapping, overrides)
    except ScenarioError as exc:
        why = "; ".join(f"{q.field}: {q.message}" for q in exc.problems)
        probs.append(Problem(file, where, f"rejected by the base scenario: {why}"))


def _levers(
    spec: RobustSpec, mapping: dict[str, Any], file: str, probs: list[Problem]
) -> tuple[list[LeverKeys], dict[str, Any]]:
    out: list[LeverKeys] = []
    baseline: dict[str, Any] = {}
    for i, lv in enumerate(spec.levers):
        where = f"levers[{i}]"
        if lv.options is not None:
            opts: list[tuple[Override, ...]] = []
            base_label = None
            for label, sets in lv.options.items():
                items: list[Override] = []
                for p, v in sets.items():
                    k = _resolve(mapping, p, f"{where}.options.{label}", file, probs)
                    if k:
                        items.append((k, v))
                _try(mapping, items, f"{where}.options.{label}", file, probs)
                opts.append(tuple(items))
                if base_label is None and all(_same(get_value(mapping, k), v) for k, v in items):
                    base_label = label
            out.append(LeverKeys(None, (), tuple(opts)))
            baseline[lv.name] = base_label if base_label is not None else "(base)"
            continue
        keys = _resolve(mapping, lv.path, where, file, probs)
        linked = tuple(
            (_resolve(mapping, ln.path, f"{where}.linked[{j}]", file, probs), ln.factor, ln.integer)
            for j, ln in enumerate(lv.linked)
        )
        lk = LeverKeys(keys, linked)
        out.append(lk)
        if not keys or any(not k for k, _, _ in linked):
            continue
        baseline[lv.name] = get_value(mapping, keys)
        tests = (
            [("range", lv.range[0]), ("range", lv.range[1])]
            if lv.range is not None
            else [(f"values[{j}]", label) for j, label in enumerate(lv.labels)]
        )
        for fld, value in tests:
            _try(mapping, lk.overrides(lv, value), f"{where}.{fld}", file, probs)
    return out, baseline


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)


def _uncertainties(spec: RobustSpec, mapping: dict[str, Any], file: str, probs: list[Problem]) -> list[Keys]:
    out: list[Keys] = []
    for i, u in enumerate(spec.uncertainties):
        where = f"uncertainties[{i}]"
        if u.type == "posterior":
            out.append(())
            continue
        keys = _resolve(mapping, u.path, where, file, probs)
        out.append(keys)
        if not keys:
            continue
        if u.range is not None:
            lo, hi = u.range
            tests = [("range", round(lo) if u.integer else lo), ("range", round(hi) if u.integer else hi)]
        else:
            assert u.values is not None
            tests = [(f"values[{j}]", v) for j, v in enumerate(u.values)]
        for fld, value in tests:
            _try(mapping, [(keys, value)], f"{where}.{fld}", file, probs)
    return out


def _objectives(spec: RobustSpec, base: Base, file: str, probs: list[Problem]) -> None:
    from sim.sweep.outcomes import OutcomeError, Reducer

    world = base.world
    if spec.focus not in world.index:
        probs.append(Problem(file, "focus", unknown_name("actor", spec.focus, world.actors, "actors")))
        return
    for j, o in enumerate(spec.objectives):
        try:
            Reducer(world, spec.focus, [o.name], [])
        except OutcomeError as exc:
            probs.append(Problem(file, f"objectives[{j}].name", str(exc)))


def fingerprint(spec: RobustSpec, base_hash: str | None) -> str:
    """Identity of a robust search's results: spec, base scenario content and package version."""
    return sweep_fingerprint(spec, base_hash, FINGERPRINT_VERSION)


def load_robust(path: str | os.PathLike[str], quick: bool = False) -> LoadedRobust:
    """Read and validate a robust-search file (`quick`: with its `quick:` sizes); ScenarioError if bad."""
    from sim.scenario.loader import YAML_SUFFIXES, load_scenario

    path = Path(path)
    spec, display = read_spec(path, "a robust-search file", RobustSpec, SPEC_MODELS)
    if quick:
        spec = spec.quick_spec()
    if spec.model is not None:
        from sim.sweep.models import ModelNotAllowed, allowed_models, resolve_model

        try:
            resolve_model(spec.model, allowed={*allowed_models(), *ROBUST_MODELS})
        except ModelNotAllowed as exc:
            raise ScenarioError(display, "model", str(exc)) from None
        except Exception as exc:
            raise ScenarioError(
                display, "model", f"cannot import {spec.model!r} ({type(exc).__name__}: {exc})"
            ) from None
        baseline = {lv.name: None for lv in spec.levers}
        return LoadedRobust(path, spec, fingerprint(spec, None), None, baseline=baseline)

    from sim.errors import InputError
    from sim.runs.job import Base

    assert spec.base is not None
    check_read(path.parent, spec.base, YAML_SUFFIXES, "a scenario file", display, "base")
    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ScenarioError(
            display, "base", f"file not found: {os.path.normpath(str(base_path))} (relative to {display})"
        )
    loaded = load_scenario(base_path)
    try:
        base = Base.of(loaded, end=spec.end)
    except InputError as exc:
        raise ScenarioError(display, "end", exc.expected) from None
    mapping = base.mapping
    probs: list[Problem] = []
    lever_keys, baseline = _levers(spec, mapping, display, probs)
    unc_keys = _uncertainties(spec, mapping, display, probs)
    _objectives(spec, base, display, probs)
    draws = _posterior(spec, path, display, base, probs)
    if probs:
        raise ScenarioError(problems=probs)
    base_hash = loaded.content_hash if draws is None else f"{loaded.content_hash}+posterior:{draws.digest}"
    return LoadedRobust(
        path,
        spec,
        fingerprint(spec, base_hash),
        base,
        tuple(lever_keys),
        tuple(unc_keys),
        baseline,
        draws,
    )


def _posterior(
    spec: RobustSpec, path: Path, display: str, base: Base, probs: list[Problem]
) -> PosteriorDraws | None:
    """The draws of the `type: posterior` uncertainty, each checked against the base scenario."""
    at = next((i for i, u in enumerate(spec.uncertainties) if u.type == "posterior"), None)
    if at is None:
        return None
    from sim.calibration.ensemble_draws import load_draws
    from sim.errors import InputError

    u = spec.uncertainties[at]
    where = f"uncertainties[{at}].file"
    if u.file is not None:
        check_read(path.parent, u.file, (".parquet",), "a posterior file", display, where)
    try:
        draws = load_draws(None if u.file is None else path.parent / u.file)
        routes = {r.name for r in base.spec.routes}
        for k in draws.ids:
            draws.parameters(base.spec.parameters, int(k), routes)
    except InputError as exc:
        probs.append(Problem(display, where, exc.problems[0].message if exc.problems else str(exc)))
        return None
    return draws


__all__ = ["ROBUST_MODELS", "LeverKeys", "LoadedRobust", "load_robust"]

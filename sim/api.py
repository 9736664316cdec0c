"""Library entry points shared by the CLI and notebooks.

    from sim.api import load, run, ensemble, annual
    loaded, world = load("scenarios/baseline.yaml", end="2024-12")   # a path, a mapping or YAML text
    r = run("scenarios/baseline.yaml", seed=1)                       # in memory: r.tables, r.output
    ens = ensemble("scenarios/01b_cpc_halt_6m.yaml", n=8, workers=2) # stacked tables of 8 runs
    annual(ens["actor_month"].query("actor == 'Kazakhstan'"))        # calendar-year means per run

Every table carries `run_id`, `scenario` and `seed` plus a datetime `date` (docs/tables.md).
Heavy modules (the model, Mesa, pandas) are imported when first needed, so importing this
module is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sim.calibration.ensemble_draws import PosteriorDraws
    from sim.core.recorder import RunOutput
    from sim.core.world import World
    from sim.scenario.loader import LoadedScenario


def _is_yaml_text(source: str) -> bool:
    """YAML text rather than a path: several lines, a `key: value` pair or a flow mapping."""
    return "\n" in source or ": " in source or source.lstrip().startswith("{")


def load_loaded(
    source: Any, *, base_dir: str | os.PathLike[str] | None = None, name: str | None = None
) -> LoadedScenario:
    """Read and validate a scenario from a path, a mapping or YAML text (no world is built).

    base_dir: where `extends:` and data files of a mapping or text resolve (default: the
    current directory); name: the file name errors cite for a mapping or text. Raises
    ScenarioError on bad input, with every problem listed.
    """
    from sim.scenario import loader

    if isinstance(source, loader.LoadedScenario):
        return source
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if isinstance(source, Mapping):
        return loader.load_scenario_mapping(dict(source), base, name or "<mapping>")
    if isinstance(source, str) and _is_yaml_text(source):
        return loader.load_scenario_text(source, base, name or "<text>")
    return loader.load_scenario(source)


def load(
    source: Any,
    *,
    end: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
) -> tuple[LoadedScenario, World]:
    """Load, validate and compile a scenario (path, mapping or YAML text; see `load_loaded`).

    end: shorten the horizon to this month ('YYYY-MM'); the run is then exactly the first
    months of the full run (`sim.scenario.horizon.truncate_spec`).
    """
    import dataclasses

    from sim.scenario.compile import build_world

    loaded = load_loaded(source, base_dir=base_dir, name=name)
    if end is not None and end != loaded.spec.end:
        from sim.scenario.horizon import truncate_spec

        loaded = dataclasses.replace(loaded, spec=truncate_spec(loaded.spec, end))
    return loaded, build_world(loaded.spec, loaded.baseline_flows)


def with_overrides(
    source: Any,
    overrides: Mapping[str, Any],
    *,
    name: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> LoadedScenario:
    """The scenario with values set by path, re-validated (every problem reported at once).

    Paths are those of sweep files (docs/sweeps.md): `parameters.trade_elasticity`,
    `routes[Middle Corridor].capacity_per_year`, `actors[Kazakhstan].hedging_weight`,
    `events[action.label=us_dual_use].action.rate`. A bad path raises InputError naming it.
    """
    from sim.scenario.overrides import override_mapping

    loaded = load_loaded(source, base_dir=base_dir)
    data = override_mapping(loaded.spec.model_dump(mode="json", exclude_none=True), overrides)
    data["name"] = name or data["name"]
    data.pop("parameters_file", None)  # its values are already in `parameters`
    return load_loaded(data, base_dir=base_dir or loaded.path.parent, name=data["name"])


def simulate(world: World, seed: int | None = None, record_flows: bool = True) -> RunOutput:
    """Run a compiled scenario in memory. seed None uses the scenario's seed."""
    from sim.runs.job import run_job

    return run_job(world, world.seed if seed is None else seed, record_flows=record_flows).output


@dataclass(frozen=True)
class RunResult:
    """A finished run: its output, tidy tables (with run_id, scenario, seed) and run directory."""

    loaded: LoadedScenario
    output: RunOutput
    tables: dict
    run_dir: Path | None
    seed: int
    run_id: str = ""


def run(
    source: Any,
    seed: int | None = None,
    *,
    end: str | None = None,
    record_flows: bool = True,
    run_id: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    posterior_draw: int | None = None,
    posterior: str | os.PathLike[str] | PosteriorDraws | None = None,
) -> RunResult:
    """Load and run a scenario in memory (no files); tables carry run_id, scenario and seed.

    posterior_draw: run with that posterior draw's parameters (`draw` index in the posterior
    file `posterior`, default calibration/posterior.parquet, or already read draws).
    """
    from sim.results.tables import run_id_for, to_tables

    loaded = load_loaded(source, base_dir=base_dir)
    seed = loaded.spec.seed if seed is None else int(seed)
    loaded, out = _run(loaded, seed, end, posterior_draw, posterior, record_flows)
    rid = run_id or run_id_for(loaded.spec.name, seed)
    return RunResult(loaded, out, to_tables(out, loaded.spec, seed=seed, run_id=rid), None, seed, rid)


def run_scenario(
    path: str | os.PathLike[str],
    seed: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    plots: bool = True,
    focus: str | None = None,
    posterior_draw: int | None = None,
    posterior: str | os.PathLike[str] | PosteriorDraws | None = None,
) -> RunResult:
    """Load, run and (if out_dir is given) write one run directory atomically.

    posterior_draw: run with that posterior draw's parameters (see `run`); the manifest
    records the drawn parameters and the scenario description names the draw.
    """
    from sim.results.tables import run_id_for, to_tables
    from sim.results.writer import write_run

    started = datetime.now(UTC)
    loaded = load_loaded(path)
    actors = [a.name for a in loaded.spec.actors]
    if focus is not None and focus not in actors:
        raise InputError(f"unknown actor {focus!r}; actors: {', '.join(actors)}", field="--focus")
    seed = loaded.spec.seed if seed is None else seed
    loaded, out = _run(loaded, seed, None, posterior_draw, posterior, True)
    rid = run_id_for(loaded.spec.name, seed)
    tables = to_tables(out, loaded.spec, seed=seed, run_id=rid)
    run_dir = None
    if out_dir is not None:
        run_dir = write_run(
            out, loaded, seed, Path(out_dir), started, plots=plots, focus=focus, tables=tables
        )
    return RunResult(loaded, out, tables, run_dir, seed, rid)


def _run(
    loaded: LoadedScenario,
    seed: int,
    end: str | None,
    k: int | None,
    posterior: str | os.PathLike[str] | PosteriorDraws | None,
    record_flows: bool,
) -> tuple[LoadedScenario, RunOutput]:
    """Run `loaded` (cut at `end`) at `seed` with posterior draw k (none if k is None); the scenario
    as run (its description names the draw) and the output."""
    from sim.runs.job import Base, run_job, with_spec

    draw, note = None, ""
    if k is None:
        if posterior is not None:
            raise InputError("a posterior file needs a draw index", field="--posterior-draw")
    else:
        from sim.calibration.ensemble_draws import PosteriorDraws, load_draws

        draws = posterior if isinstance(posterior, PosteriorDraws) else load_draws(posterior)
        draw, note = draws.draw(k), f"[posterior draw {k} of {draws.path}]"
    done = run_job(Base.of(loaded, end), seed, draw=draw, record_flows=record_flows)
    spec = done.spec
    assert spec is not None, "a scenario run carries its scenario"
    if note:
        spec = spec.model_copy(update={"description": f"{spec.description} {note}".strip()})
    return with_spec(loaded, spec), done.output


def seeds_for(root: int, n: int) -> list[int]:
    """n independent per-replication seeds spawned from one root (`sim.seeds.replication_seeds`)."""
    from sim.seeds import replication_seeds

    return replication_seeds(root, n)


# ----------------------------------------------------------------------------- ensembles
@dataclass
class _EnsembleJob:
    """Per-seed job of `ensemble` (sent once to each worker, sim.runs.executors.map_items)."""

    base: Any  # sim.runs.job.Base: its world is built once per process
    record_flows: bool
    keep: tuple[str, ...] | None
    seeds: list[int] | None = None  # with a posterior: the job is called with replication indices
    draws: list[int] | None = None
    posterior: Any = None  # sim.calibration.ensemble_draws.PosteriorDraws

    def setup(self) -> None:
        _ = self.base.world

    def __call__(self, seed: int) -> dict[str, pd.DataFrame]:
        from sim.results.tables import run_id_for, to_tables
        from sim.runs.job import run_job

        draw = None
        if self.seeds is not None:  # posterior: `seed` is the replication index
            assert self.draws is not None, "assign_draws sets draws with seeds"
            draw = self.posterior.draw(self.draws[seed])
            seed = self.seeds[seed]
        done = run_job(self.base, seed, draw=draw, record_flows=self.record_flows)
        assert done.spec is not None, "a scenario run carries its scenario"
        name = done.spec.name
        rid = run_id_for(name, seed) if draw is None else f"{run_id_for(name, seed)}-d{draw.index}"
        tables = to_tables(done.output, done.spec, seed=seed, run_id=rid)
        if draw is not None:
            tables = {k: v.assign(draw=draw.index) for k, v in tables.items()}
        return {k: v for k, v in tables.items() if self.keep is None or k in self.keep}


def ensemble(
    scenario: Any,
    seeds: Sequence[int] | None = None,
    *,
    n: int | None = None,
    root_seed: int = 1,
    workers: int | None = 1,
    end: str | None = None,
    tables: Sequence[str] | None = None,
    record_flows: bool = False,
    progress: bool | None = False,
    base_dir: str | os.PathLike[str] | None = None,
    posterior: str | os.PathLike[str] | bool | None = None,
    seeds_per_draw: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Run a scenario once per seed and stack each table over the runs (rows keyed by run_id).

    seeds: explicit seeds; or n seeds spawned from root_seed (`seeds_for`).
    workers: local processes (1: in this process; None: all usable CPUs), the same process
        pool the sweep runner uses (sim.runs.executors); results do not depend on the worker count.
    tables: names of the tables to keep (default all); record_flows: keep bilateral flows
        (large; off by default).
    posterior: draw the parameters from a posterior file (True: calibration/posterior.parquet);
        `seeds_per_draw` (default 2) consecutive runs share a draw, chosen from root_seed
        (`sim.calibration.ensemble_draws.assign_draws`); every table gains a `draw` column.
    """
    import pandas as pd

    from sim.runs.executors import map_items
    from sim.runs.job import Base

    if seeds is None:
        if n is None or n < 1:
            raise InputError(f"expected seeds or a positive n, got n={n!r}", field="n")
        from sim.seeds import check_seed

        seeds = seeds_for(check_seed(root_seed, "root_seed"), n)
    if not seeds:
        raise InputError("expected at least one seed", field="seeds")
    base = Base.of(load_loaded(scenario, base_dir=base_dir), end)
    job = _EnsembleJob(base, record_flows, None if tables is None else tuple(tables))
    items: list[int] = list(seeds)
    if posterior is not None and posterior is not False:
        from sim.calibration.ensemble_draws import SEEDS_PER_DRAW, assign_draws, load_draws

        job.posterior = load_draws(posterior)
        job.seeds = [int(s) for s in seeds]
        per = SEEDS_PER_DRAW if seeds_per_draw is None else seeds_per_draw
        job.draws = assign_draws(job.posterior, root_seed, len(job.seeds), per)
        items = list(range(len(job.seeds)))
    runs = map_items(job, items, workers=workers, progress=progress, desc=base.spec.name)
    names = list(runs[0])
    return {k: pd.concat([r[k] for r in runs], ignore_index=True) for k in names}


# ----------------------------------------------------------------------------- aggregation
_PERIODS = {"Y": "year", "Q": "quarter", "M": "month"}


def by_period(
    df: pd.DataFrame, freq: str = "Y", how: str = "mean", values: Sequence[str] | None = None
) -> pd.DataFrame:
    """Aggregate a monthly table by calendar period per run and label (actor, route, ...).

    freq: 'Y' (calendar year), 'Q' (quarter) or 'M'. how: 'mean' (the period mean of annualised
    rates: USD bn/yr, unit/yr), 'sum', 'last', 'min' or 'max'. values: numeric columns to
    aggregate (default all numeric except seed). The result has `period` (period start,
    datetime) and `months` (months averaged) beside the label columns.
    """
    if freq not in _PERIODS:
        raise ValueError(f"freq must be one of {', '.join(_PERIODS)}, got {freq!r}")
    if "date" not in df.columns:
        raise ValueError("expected a monthly table with a `date` column (sim.results.tables)")
    numeric = [c for c in df.select_dtypes("number").columns if c != "seed"]
    cols = list(values) if values is not None else numeric
    labels = [c for c in df.columns if c not in (*numeric, "month", "date") and df[c].dtype.kind not in "fc"]
    period = df["date"].dt.to_period(freq).dt.start_time.rename("period")
    g = df.groupby([*labels, period], sort=False, dropna=False)
    out = getattr(g[cols], how)()
    out.insert(0, "months", g.size())
    return out.reset_index()


def annual(df: pd.DataFrame, how: str = "mean", values: Sequence[str] | None = None) -> pd.DataFrame:
    """Calendar-year aggregate (`by_period(df, 'Y', ...)`) with an integer `year` column."""
    out = by_period(df, "Y", how, values)
    out.insert(out.columns.get_loc("period"), "year", out["period"].dt.year.astype("int64"))
    return out.drop(columns="period")


def envelope(
    df: pd.DataFrame,
    value: str,
    by: Sequence[str] = ("month",),
    quantiles: Sequence[float] = (0.1, 0.5, 0.9),
) -> pd.DataFrame:
    """Ensemble envelope of `value` over runs: its quantiles (columns `p10`, `p50`, `p90`, ...),
    mean, min and max per `by` group (default per month; `date` is added for 'month')."""
    g = df.groupby(list(by), sort=True)[value]
    out = _columns(
        {f"p{round(q * 100):02d}": g.quantile(q) for q in quantiles}
        | {"mean": g.mean(), "min": g.min(), "max": g.max(), "runs": g.size()}
    )
    out = out.reset_index()
    if "month" in by and "date" not in out.columns:
        from sim.results.tables import month_dates

        out.insert(list(by).index("month") + 1, "date", month_dates(out["month"]))
    return out


def _columns(columns: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Series with a common index as the columns of one frame."""
    import pandas as pd

    return pd.concat(columns, axis=1)


__all__ = [
    "RunResult",
    "annual",
    "by_period",
    "ensemble",
    "envelope",
    "load",
    "load_loaded",
    "run",
    "run_scenario",
    "seeds_for",
    "simulate",
    "with_overrides",
]

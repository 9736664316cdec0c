"""Baseline-vs-scenario comparison on common random numbers, with ensemble bands.

    from sim.compare import compare, write_comparison
    cmp = compare("scenarios/baseline.yaml", "scenarios/01b_cpc_halt_6m.yaml", replications=10)
    cmp.summary.query("group == 'indicators'")        # per-item deltas, median and 10-90 % band
    cmp.values("route_volume", "CPC")                 # month x replication deltas, unit/yr
    write_comparison(cmp, "results")                  # report.md, tables, plots (atomic)

Method. A and B are run with the same replication seeds (`sim.api.seeds_for(root_seed, n)`),
so every difference comes from the scenarios, not from different random draws (common
random numbers). The engine draws its random numbers in a fixed order, so A and B share
their draws exactly until the scenarios make them diverge (a scenario that adds a hazard
or a secondary sanction adds draws, and from then on decisions may draw differently). For
each replication and month the comparison computes `delta = B - A` for a set of indicators
of the focus actor (`GROUPS`), and summarises the per-replication deltas by their median and
10-90 % band (ensemble band).

A side is a scenario file (or a `LoadedScenario`), run once per seed, or a run directory
written by `mvsim run` (its tables are read, not re-run). A run directory is one
replication at its manifest's seed: a comparison that involves one has that single
replication, and the other side, if a scenario, runs at that seed.

`horizon_end` shortens the comparison: scenario sides are rebuilt with an earlier `end`
(`truncate_spec`; the run is then exactly the first months of the full run), run
directories are cut. Only months both sides cover are compared.

Units: money USD bn per year (monthly values annualised) unless the unit says otherwise,
volumes in the route unit per year, shares 0-1, pressure in actions per month.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pydantic import TypeAdapter, ValidationError

import sim
from sim.core.policy import pressure_intensity
from sim.core.world import World, build_world
from sim.errors import InputError
from sim.results.summary import net_welfare
from sim.results.tables import (
    NO_POLE,
    TABLE_SCHEMAS,
    actors_of,
    focus_shipments,
    month_dates,
    partner_poles_from_tables,
    partner_trade,
    poles_of,
    to_tables,
    trade_by_pole,
)
from sim.results.writer import MANIFEST, git_commit, load_manifest, make_tmp_dir, publish_dir, read_run
from sim.scenario import schema as S
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.schema import MONTH_RE, ScenarioSpec

KEY = ["group", "item", "unit", "month"]
"""Columns that identify one observation of the comparison series."""

GROUPS: dict[str, str] = {
    "indicators": "Indicators of the focus actor (actor_month columns, net welfare, run-wide leakage)",
    "trade_pole": "Focus actor's trade (exports + imports) by partner pole, and the total",
    "trade_partner": "Focus actor's trade (exports + imports) by partner",
    "exports_by_route": "Focus actor's route shipments by route, and volume lost for want of capacity",
    "route_volume": "Volume carried per route, all shippers",
    "route_capacity": "Usable capacity per route after disruptions and investments",
    "reexports": "Re-exports of sanctioned goods through each state",
    "dependence": "Focus actor's dependence on each pole (trade and route-export shares)",
    "alignment": "Focus actor's alignment with each pole (end of month)",
    "pressure": "Coercive actions aimed at the focus actor, by the acting actor's pole",
}
"""Indicator groups of the comparison (item meanings in docs/compare.md)."""

INDICATORS = (
    "exports_usd_bn",
    "imports_usd_bn",
    "net_welfare_usd_bn",
    "welfare_exports_usd_bn",
    "welfare_route_revenue_usd_bn",
    "welfare_transit_fees_usd_bn",
    "welfare_reexport_margin_usd_bn",
    "welfare_import_cost_usd_bn",
    "welfare_transfers_usd_bn",
    "welfare_expected_penalty_usd_bn",
    "reexports_usd_bn",
    "reexports_intercepted_usd_bn",
    "lost_exports_usd_bn",
    "penalty_realised_usd_bn",
    "enforcement",
    "multivector_index",
    "leakage_share",
)
"""Items of the `indicators` group, in order."""

QUANTILES = (0.1, 0.5, 0.9)
"""Ensemble band: 10 % and 90 % quantiles and the median of the per-replication values."""

STAT_LABEL = {"mean": "mean over months", "end": "last month", "total": "sum over months"}

_ACTION = TypeAdapter(S.Action)
_UNITS = {name: unit for name, unit, _ in TABLE_SCHEMAS["actor_month"]}
_UNITS.update(net_welfare_usd_bn="USD bn/yr", leakage_share="0-1")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# ------------------------------------------------------------------------------ horizon
def truncate_spec(spec: ScenarioSpec, end: str) -> ScenarioSpec:
    """The scenario with its horizon ending at `end` ('YYYY-MM', within [start, spec.end]).

    Events after `end` are dropped. Hazards that only become active after `end` are kept
    with rate 0 (they still draw their monthly random number, so the random stream, and
    hence the run, is exactly the first months of the full run). The result is re-validated.
    """
    if not MONTH_RE.match(str(end)):
        raise InputError(f"expected a month as 'YYYY-MM', got {end!r}", field="end")
    if not spec.start <= end <= spec.end:
        raise InputError(
            f"{end} is outside the scenario horizon {spec.start}..{spec.end}; expected a month within it",
            field="end",
        )
    hazards = [
        h
        if h.active_from is None or h.active_from <= end
        else h.model_copy(update={"rate_per_year": 0.0, "active_from": None})
        for h in spec.hazards
    ]
    decisions = spec.decisions
    if decisions.start is not None and decisions.start > end:
        decisions = decisions.model_copy(update={"start": None, "enabled": False})
    data = spec.model_copy(
        update={
            "end": end,
            "events": [e for e in spec.events if e.date <= end],
            "hazards": hazards,
            "decisions": decisions,
        }
    ).model_dump()
    return ScenarioSpec.model_validate(data)


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


# ------------------------------------------------------------------------------ series
def run_series(tables: dict[str, pd.DataFrame], focus: str) -> pd.DataFrame:
    """One run's comparison indicators as a long table [group, item, unit, month, value].

    `tables` are a run's tables (to_tables with the spec, or read_run); see `GROUPS`.
    Trade groups need the `flows` table and are left out without it.
    """
    am = tables["actor_month"]
    months = list(dict.fromkeys(am["month"].tolist()))
    frames: list[pd.DataFrame] = []

    def add(group: str, wide: pd.DataFrame, units: dict[str, str] | str) -> None:
        """wide: index month, one column per item."""
        items = np.asarray(wide.columns, dtype=object)
        n_t = len(wide.index)
        item = np.repeat(items, n_t)
        unit = [units.get(i, "") for i in item] if isinstance(units, dict) else units
        frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "item": item,
                    "unit": unit,
                    "month": np.tile(np.asarray(wide.index, dtype=object), len(items)),
                    "value": wide.to_numpy(dtype="float64").T.reshape(-1),
                }
            )
        )

    mine = am[am["actor"] == focus].set_index("month")
    ind = pd.DataFrame(index=pd.Index(months, name="month"))
    for col in INDICATORS:
        if col == "net_welfare_usd_bn":
            ind[col] = net_welfare(tables, focus)
        elif col == "leakage_share":
            ind[col] = tables["run_month"].set_index("month")["leakage_share"].fillna(0.0)
        else:
            ind[col] = mine[col]
    add("indicators", ind, _UNITS)

    if "flows" in tables:
        by_pole = trade_by_pole(tables, focus, partner_poles_from_tables(tables))
        by_pole["total"] = by_pole.sum(axis=1)
        add("trade_pole", by_pole, "USD bn/yr")
        add("trade_partner", partner_trade(tables, focus), "USD bn/yr")

    ships = focus_shipments(tables, focus)
    shipped = tables["shipments"]
    shipped = shipped[shipped["shipment"].isin(ships)]
    if len(shipped):
        per_route = shipped.groupby(["month", "route", "unit"], sort=False)["shipped_per_year"].sum()
        frames.append(
            per_route.rename("value")
            .reset_index()
            .rename(columns={"route": "item"})
            .assign(group="exports_by_route", unit=lambda d: d["unit"] + "/yr")
        )
    totals = tables["shipment_totals"]
    totals = totals[totals["shipment"].isin(ships)]
    if len(totals):
        if "shipment_info" in tables:
            info = tables["shipment_info"]
            unit_of = dict(zip(info["shipment"], info["unit"], strict=True))
        else:
            unit_of = dict(zip(shipped["shipment"], shipped["unit"], strict=True))
        unit = totals["shipment"].map(lambda s: unit_of.get(s) or "unit")
        lost = totals.assign(unit=unit).groupby(["month", "unit"], sort=False)["lost_per_year"].sum()
        lost = lost.rename("value").reset_index()
        frames.append(
            lost.assign(
                group="exports_by_route", item="lost (" + lost["unit"] + ")", unit=lost["unit"] + "/yr"
            )
        )

    routes = tables["routes"].assign(unit=lambda d: d["unit"] + "/yr")
    for group, col in (("route_volume", "volume_per_year"), ("route_capacity", "capacity_per_year")):
        frames.append(routes[["month", "route", "unit", col]].rename(columns={"route": "item", col: "value"}))
        frames[-1] = frames[-1].assign(group=group)

    if "actor_info" in tables:
        info = tables["actor_info"]
        states = info.loc[info["kind"] == "state", "actor"].tolist()
    else:
        states = actors_of(tables)
    rex = am[am["actor"].isin(states)].pivot(index="month", columns="actor", values="reexports_usd_bn")
    add("reexports", rex.reindex(index=months, columns=states), "USD bn/yr")

    poles = poles_of(tables)
    add("dependence", mine[[f"dependence_{p}" for p in poles]].set_axis(poles, axis=1), "0-1")
    add("alignment", mine[[f"alignment_{p}" for p in poles]].set_axis(poles, axis=1), "0-1")
    add("pressure", pressure_counts(tables, focus, months), "actions/month")

    out = pd.concat(frames, ignore_index=True)[[*KEY, "value"]]
    out["value"] = out["value"].astype("float64").fillna(0.0)
    return out


def _coercive(row: pd.Series) -> bool:
    if row["kind"] == "penalty":
        return True
    try:
        action = _ACTION.validate_python(json.loads(row["parameters"]))
    except (ValueError, ValidationError):
        return False
    return pressure_intensity(action) > 0


def pressure_counts(tables: dict[str, pd.DataFrame], focus: str, months: Sequence[str]) -> pd.DataFrame:
    """Month x pole count of coercive actions aimed at `focus` (sanctions, secondary sanctions and
    detected penalties, route disruptions and repricing of routes it ships on, demands), by the
    acting actor's pole; accidents (no actor) are not counted."""
    poles = poles_of(tables)
    pole_of = partner_poles_from_tables(tables)
    ev = tables["events"]
    aimed = ev["target"].str.split(", ").map(lambda ts: focus in ts).astype(bool)
    hit = ev[(ev["actor"] != "") & (ev["actor"] != focus) & aimed]
    if len(hit):
        hit = hit[hit.apply(_coercive, axis=1).astype(bool)]
    pole = hit["actor"].map(lambda a: pole_of.get(a) or NO_POLE)
    counts = hit.assign(pole=pole).groupby(["month", "pole"]).size().unstack("pole", fill_value=0)
    cols = [*poles, NO_POLE] if (pole == NO_POLE).any() else poles
    return counts.reindex(index=list(months), columns=cols, fill_value=0).astype("float64")


def action_counts(tables: dict[str, pd.DataFrame], months: Sequence[str]) -> pd.Series:
    """Count of actions that took effect per (actor, kind, name) within `months`."""
    ev = tables["events"]
    ev = ev[ev["month"].isin(set(months))]
    return ev.groupby(["actor", "kind", "name"], sort=False).size()


# ------------------------------------------------------------------------------ sides
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

    def describe(self) -> str:
        what = "scenario" if self.kind == "scenario" else f"run directory, seed {self.seed}"
        return f"{self.label} ({what}: {self.source})"


@dataclass
class _Runner:
    side: Side
    actors: list[str]
    months: list[str]
    world: World | None = None
    spec: ScenarioSpec | None = None
    tables: dict[str, pd.DataFrame] | None = None

    def tables_for(self, seed: int) -> dict[str, pd.DataFrame]:
        if self.tables is not None:
            return self.tables
        from sim.api import simulate

        return to_tables(simulate(self.world, seed), self.spec)


Source = str | os.PathLike[str] | LoadedScenario


def _resolve(source: Source, horizon_end: str | None) -> _Runner:
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
    world = build_world(spec, loaded.baseline_flows)
    side = Side(
        label=spec.name,
        source=str(loaded.path),
        kind="scenario",
        question=scenario_question(loaded.path) or spec.description,
        start=spec.start,
        end=spec.end,
    )
    return _Runner(side, list(world.actors), list(world.months), world=world, spec=spec)


def _run_dir(path: Path, horizon_end: str | None) -> _Runner:
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
    return _Runner(side, actors_of(tables), months, tables=tables)


# ------------------------------------------------------------------------------ comparison
@dataclass
class Comparison:
    """Paired runs of A and B and their differences (delta = B - A).

    series: long table, one row per replication, group, item, unit and month, with the
        values `a`, `b` and `delta`; items missing on one side (a route only B has) count 0.
    bands: per group, item, unit and month: mean delta and the 10/50/90 % quantiles over
        replications of a, b and delta (columns `a_p10` ... `delta_p90`, `delta_mean`).
    summary: `summarize()` over the whole horizon.
    actions: mean count per replication of each (actor, kind, name) action in A and B.
    """

    a: Side
    b: Side
    focus: str
    seeds: list[int]
    root_seed: int | None
    months: list[str]
    paired: bool
    series: pd.DataFrame
    bands: pd.DataFrame
    actions: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    summary: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.summary = self.summarize()

    @property
    def replications(self) -> int:
        return len(self.seeds)

    @property
    def first_difference(self) -> str | None:
        """First month in which any indicator differs in any replication (None: identical)."""
        diff = self.series.loc[self.series["delta"] != 0.0, "month"]
        return str(diff.min()) if len(diff) else None

    def values(self, group: str, item: str, column: str = "delta") -> pd.DataFrame:
        """Month x replication table of `column` ('a', 'b' or 'delta') for one item."""
        rows = self.series[(self.series["group"] == group) & (self.series["item"] == item)]
        if rows.empty:
            known = sorted(self.series.loc[self.series["group"] == group, "item"].unique())
            raise KeyError(f"no item {item!r} in group {group!r}; items: {', '.join(known)}")
        wide = rows.pivot(index="month", columns="replication", values=column)
        return wide.reindex(self.months)

    def table(self, group: str, column: str = "delta_p50") -> pd.DataFrame:
        """Month x item table of a `bands` column (default: the median delta) for one group."""
        rows = self.bands[self.bands["group"] == group]
        items = list(dict.fromkeys(rows["item"]))
        return rows.pivot(index="month", columns="item", values=column).reindex(
            index=self.months, columns=items
        )

    def summarize(self, start: str | None = None, end: str | None = None) -> pd.DataFrame:
        """Per item: statistics of each replication over months in [start, end], then the median
        and 10-90 % band over replications.

        Columns: group, item, unit; `a_mean`, `b_mean` (medians of the per-replication means);
        `delta_mean`, `delta_mean_p10`, `delta_mean_p90` (per-replication mean delta over the
        months); `delta_end*` (delta in the last month); `delta_total*` (sum over months, for
        counts and one-off amounts); `share_up`/`share_down` (replications whose mean delta
        is > 0 / < 0); `peak_month`, `peak_delta` (month and value of the largest |median delta|).
        """
        lo, hi = start or self.months[0], end or self.months[-1]
        s = self.series[(self.series["month"] >= lo) & (self.series["month"] <= hi)]
        if s.empty:
            raise ValueError(
                f"no months in {lo}..{hi}; the comparison covers {self.months[0]}..{self.months[-1]}"
            )
        keys = ["group", "item", "unit"]
        per_rep = s.groupby([*keys, "replication"], sort=False).agg(
            a_mean=("a", "mean"),
            b_mean=("b", "mean"),
            delta_mean=("delta", "mean"),
            delta_total=("delta", "sum"),
        )
        last = s[s["month"] == s["month"].max()].set_index([*keys, "replication"])["delta"]
        per_rep["delta_end"] = last.reindex(per_rep.index).to_numpy()
        g = per_rep.groupby(level=keys, sort=False)
        out = pd.DataFrame(
            {
                "a_mean": g["a_mean"].median(),
                "b_mean": g["b_mean"].median(),
                "delta_mean": g["delta_mean"].median(),
                "delta_mean_p10": g["delta_mean"].quantile(QUANTILES[0]),
                "delta_mean_p90": g["delta_mean"].quantile(QUANTILES[2]),
                "delta_end": g["delta_end"].median(),
                "delta_end_p10": g["delta_end"].quantile(QUANTILES[0]),
                "delta_end_p90": g["delta_end"].quantile(QUANTILES[2]),
                "delta_total": g["delta_total"].median(),
                "delta_total_p10": g["delta_total"].quantile(QUANTILES[0]),
                "delta_total_p90": g["delta_total"].quantile(QUANTILES[2]),
                "share_up": g["delta_mean"].apply(lambda x: float((x > 0).mean())),
                "share_down": g["delta_mean"].apply(lambda x: float((x < 0).mean())),
            }
        )
        b = self.bands[(self.bands["month"] >= lo) & (self.bands["month"] <= hi)]
        absmed = b["delta_p50"].abs()
        peak = b.loc[absmed.groupby([b[k] for k in keys], sort=False).idxmax()].set_index(keys)
        out["peak_month"] = peak["month"].reindex(out.index)
        out["peak_delta"] = peak["delta_p50"].reindex(out.index)
        return out.reset_index()

    def stat(
        self, group: str, item: str, stat: str = "mean", start: str | None = None, end: str | None = None
    ) -> float:
        """Median over replications of the per-replication `stat` ('mean', 'end' or 'total') of
        the delta of one item over [start, end]."""
        summ = self.summary if start is None and end is None else self.summarize(start, end)
        row = summ[(summ["group"] == group) & (summ["item"] == item)]
        if row.empty:
            raise KeyError(f"no item {item!r} in group {group!r}")
        return float(row[f"delta_{stat}"].iloc[0])


def compare(
    a: Source,
    b: Source,
    replications: int = 10,
    root_seed: int = 1,
    focus: str = "Kazakhstan",
    horizon_end: str | None = None,
    seeds: Sequence[int] | None = None,
) -> Comparison:
    """Compare scenario or run directory `b` with `a` (delta = B - A) on paired seeds.

    Args:
        a, b: scenario file paths, `LoadedScenario`s (e.g. edited in memory) or run directories.
        replications: number of paired runs (scenarios only; a run directory makes it 1).
        root_seed: root of the replication seeds, `sim.api.seeds_for(root_seed, replications)`.
        focus: actor whose indicators are compared (must exist on both sides).
        horizon_end: last month compared ('YYYY-MM'); default the common horizon.
        seeds: explicit replication seeds (overrides replications and root_seed).
    """
    from sim.api import seeds_for

    if horizon_end is not None and not MONTH_RE.match(str(horizon_end)):
        raise InputError(f"expected a month as 'YYYY-MM', got {horizon_end!r}", field="--end")
    ra, rb = _resolve(a, horizon_end), _resolve(b, horizon_end)
    notes: list[str] = []
    runs = [r.side for r in (ra, rb) if r.side.kind == "run"]
    if runs:
        use = [int(runs[0].seed)]
        paired = len({s.seed for s in runs}) == 1
        if not paired:
            notes.append(
                f"the two run directories have different seeds ({runs[0].seed} and {runs[1].seed}): "
                "the deltas mix scenario and random differences"
            )
        if (seeds is not None and list(seeds) != use) or (seeds is None and replications != 1):
            notes.append(f"a run directory is one replication: compared at seed {use[0]} only")
        root = None
    elif seeds is not None:
        use, paired, root = [int(s) for s in seeds], True, None
    else:
        if replications < 1:
            raise InputError(f"expected at least 1 replication, got {replications}", field="--replications")
        use, paired, root = seeds_for(root_seed, replications), True, root_seed
    if not use:
        raise InputError("expected at least one seed", field="seeds")
    for r in (ra, rb):
        if focus not in r.actors:
            raise InputError(
                f"unknown actor {focus!r} in {r.side.label}; actors: {', '.join(r.actors)}", field="--focus"
            )
    common = set(rb.months)
    months = [m for m in ra.months if m in common]
    if not months:
        raise InputError(
            f"{ra.side.label} ({ra.side.start}..{ra.side.end}) and {rb.side.label} "
            f"({rb.side.start}..{rb.side.end}) share no month; expected overlapping horizons"
        )
    if ra.months != rb.months:
        notes.append(
            f"horizons differ: compared on the {len(months)} common months {months[0]}..{months[-1]}"
        )

    sa, sb, ca, cb = [], [], [], []
    for k, seed in enumerate(use):
        for runner, series, counts in ((ra, sa, ca), (rb, sb, cb)):
            tables = runner.tables_for(seed)
            series.append(run_series(tables, focus).assign(replication=k))
            counts.append(action_counts(tables, months))
    series = _pair(pd.concat(sa, ignore_index=True), pd.concat(sb, ignore_index=True), months, use)
    return Comparison(
        a=ra.side,
        b=rb.side,
        focus=focus,
        seeds=use,
        root_seed=root,
        months=months,
        paired=paired,
        series=series,
        bands=_bands(series),
        actions=_actions(ca, cb),
        notes=notes,
    )


def _pair(a: pd.DataFrame, b: pd.DataFrame, months: list[str], seeds: list[int]) -> pd.DataFrame:
    """Align A and B series (missing items count 0), restrict to `months`, compute deltas."""
    idx = [*KEY, "replication"]
    wa = a.set_index(idx)["value"]
    wb = b.set_index(idx)["value"]
    # Every key (union over sides and replications) gets a row for every replication.
    keys = pd.concat([a[KEY], b[KEY]], ignore_index=True).drop_duplicates(ignore_index=True)
    keys = keys[keys["month"].isin(set(months))]
    frame = keys.merge(pd.DataFrame({"replication": range(len(seeds))}), how="cross")
    # Order: group (GROUPS order), item (first appearance), unit, month, replication.
    group_rank = {g: i for i, g in enumerate(GROUPS)}
    item_rank = {k: i for i, k in enumerate(dict.fromkeys(zip(frame["group"], frame["item"], strict=True)))}
    month_rank = {m: i for i, m in enumerate(months)}
    order = np.lexsort(
        (
            frame["replication"].to_numpy(),
            frame["month"].map(month_rank).to_numpy(),
            frame["unit"].to_numpy(),
            np.array([item_rank[k] for k in zip(frame["group"], frame["item"], strict=True)]),
            frame["group"].map(group_rank).to_numpy(),
        )
    )
    frame = frame.iloc[order].reset_index(drop=True)
    mi = pd.MultiIndex.from_frame(frame[idx])
    va = wa.reindex(mi).fillna(0.0).to_numpy()
    vb = wb.reindex(mi).fillna(0.0).to_numpy()
    frame["seed"] = np.asarray(seeds, dtype=np.int64)[frame["replication"].to_numpy()]
    frame["a"], frame["b"], frame["delta"] = va, vb, vb - va
    return frame[["replication", "seed", *KEY, "a", "b", "delta"]]


def _bands(series: pd.DataFrame) -> pd.DataFrame:
    """Quantiles over replications per group, item, unit and month."""
    n_rep = int(series["replication"].max()) + 1
    first = series[series["replication"] == 0][KEY].reset_index(drop=True)
    out = first.copy()
    # _pair sorts replications fastest within each key, and every key has every replication.
    for col in ("a", "b", "delta"):
        arr = series[col].to_numpy().reshape(-1, n_rep)
        q = np.quantile(arr, QUANTILES, axis=1)
        for qi, p in zip(q, QUANTILES, strict=True):
            out[f"{col}_p{round(p * 100):02d}"] = qi
        if col == "delta":
            out["delta_mean"] = arr.mean(axis=1)
    return out


def _actions(ca: list[pd.Series], cb: list[pd.Series]) -> pd.DataFrame:
    n = len(ca)
    a = pd.concat(ca, axis=1).fillna(0).sum(axis=1) / n if ca else pd.Series(dtype=float)
    b = pd.concat(cb, axis=1).fillna(0).sum(axis=1) / n if cb else pd.Series(dtype=float)
    both = pd.concat({"a_mean": a, "b_mean": b}, axis=1).fillna(0.0)
    both["delta"] = both["b_mean"] - both["a_mean"]
    both.index.names = ["actor", "kind", "name"]
    out = both.reset_index()
    return out.iloc[np.argsort(-out["delta"].abs().to_numpy(), kind="stable")].reset_index(drop=True)


# ------------------------------------------------------------------------------ plots
PLOTS: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    ("delta_trade_pole", "{focus}: trade by partner pole", [("trade_pole", None)]),
    ("delta_trade_partner", "{focus}: trade by partner", [("trade_partner", None)]),
    (
        "delta_exports_by_route",
        "{focus}: route exports and volume lost",
        [("exports_by_route", None)],
    ),
    (
        "delta_reexports_lost",
        "{focus}: re-exports, lost route exports, net welfare",
        [
            ("indicators", "reexports_usd_bn"),
            ("indicators", "lost_exports_usd_bn"),
            ("indicators", "net_welfare_usd_bn"),
            ("indicators", "exports_usd_bn"),
        ],
    ),
    (
        "delta_dependence",
        "{focus}: dependence on poles and multi-vector index",
        [("dependence", None), ("indicators", "multivector_index")],
    ),
    ("delta_alignment", "{focus}: alignment with poles", [("alignment", None)]),
    ("delta_reexports_by_state", "Re-exports of sanctioned goods through each state", [("reexports", None)]),
    ("delta_route_volume", "Route volumes, all shippers", [("route_volume", None)]),
]
"""Comparison plots: (file stem, title, [(group, item or None for the whole group)])."""

MAX_LINES = 8


def _selected(cmp: Comparison, picks: list[tuple[str, str | None]]) -> pd.DataFrame:
    parts = []
    for group, item in picks:
        rows = cmp.bands[cmp.bands["group"] == group]
        parts.append(rows if item is None else rows[rows["item"] == item])
    return pd.concat(parts, ignore_index=True)


def _moving(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of the items whose band or median differs from 0 in some month."""
    band = rows[["delta_p10", "delta_p50", "delta_p90"]].abs().to_numpy() > 0
    moves = pd.Series(band.any(axis=1), index=rows.index).groupby(rows["item"], sort=False).transform("any")
    return rows[moves.astype(bool)]


def plot_deltas(cmp: Comparison, title: str, picks: list[tuple[str, str | None]]) -> Figure:
    """Median delta (line) and 10-90 % band (shaded) per month, one panel per unit; at most
    MAX_LINES items per panel (the largest |median delta|). Items and units that never differ
    are left out ("no difference" if nothing does)."""
    rows = _moving(_selected(cmp, picks))
    units = list(dict.fromkeys(rows["unit"]))
    fig = Figure(figsize=(10.0, 1.2 + 3.0 * max(1, len(units))), layout="constrained")
    FigureCanvasAgg(fig)
    reps = cmp.replications
    fig.suptitle(
        f"{title}\ndelta = {cmp.b.label} - {cmp.a.label} ({reps} paired replication"
        f"{'s' if reps != 1 else ''}; line: median, band: 10-90 %)",
        fontsize="medium",
    )
    axes = fig.subplots(max(1, len(units)), 1, sharex=True, squeeze=False)[:, 0]
    dates = month_dates(cmp.months)
    edges = dates.append(pd.DatetimeIndex([dates[-1] + pd.offsets.MonthBegin(1)]))
    for ax, unit in zip(axes, units or [""], strict=True):
        _panel(ax, rows[rows["unit"] == unit], unit, edges, cmp.months)
    return fig


def _panel(ax: Axes, rows: pd.DataFrame, unit: str, edges: pd.DatetimeIndex, months: list[str]) -> None:
    """One panel: a step line per item over month edges (each month's value held for the month)."""
    import matplotlib.dates as mdates

    size = rows.groupby("item", sort=False)["delta_p50"].apply(lambda x: float(x.abs().max()))
    spread = rows.groupby("item", sort=False)["delta_p90"].apply(lambda x: float(x.abs().max()))
    items = (size + 1e-6 * spread).sort_values(ascending=False, kind="stable").index[:MAX_LINES]
    ax.axhline(0.0, color="0.5", lw=0.8)
    if len(items) == 0:
        ax.text(0.5, 0.5, "no difference", ha="center", va="center", transform=ax.transAxes, color="0.4")
    for k, item in enumerate(items):
        g = rows[rows["item"] == item].set_index("month").reindex(months)

        def held(col: str, g: pd.DataFrame = g) -> np.ndarray:
            v = g[col].to_numpy()
            return np.append(v, v[-1])

        colour = f"C{k % 10}"
        ax.fill_between(
            edges, held("delta_p10"), held("delta_p90"), step="post", color=colour, alpha=0.2, lw=0
        )
        ax.step(edges, held("delta_p50"), where="post", color=colour, lw=1.6, label=str(item))
    ax.set_ylabel(f"delta ({unit})" if unit else "delta")
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=12))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(True, alpha=0.3)
    if len(items):
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize="small")


def comparison_figures(cmp: Comparison) -> dict[str, Figure]:
    """The `PLOTS` figures of a comparison, keyed by file stem."""
    return {stem: plot_deltas(cmp, title.format(focus=cmp.focus), picks) for stem, title, picks in PLOTS}


# ------------------------------------------------------------------------------ report
HEADLINES: list[tuple[str, str, str, str]] = [
    ("trade_pole", "total", "trade, all partners", "mean"),
    ("indicators", "exports_usd_bn", "exports", "mean"),
    ("indicators", "net_welfare_usd_bn", "net economic welfare", "mean"),
    ("indicators", "lost_exports_usd_bn", "route exports lost (no capacity)", "mean"),
    ("indicators", "welfare_transit_fees_usd_bn", "transit fees earned", "mean"),
    ("indicators", "reexports_usd_bn", "re-exports of sanctioned goods", "mean"),
    ("indicators", "enforcement", "enforcement against re-exports", "end"),
    ("indicators", "penalty_realised_usd_bn", "secondary penalties realised", "total"),
    ("indicators", "multivector_index", "multi-vector index", "mean"),
]
"""Headline rows of the report: (group, item, label, statistic); alignment and pressure are added per pole."""


def _fmt(x: float) -> str:
    """Signed number: 1 decimal from 10, 2 from 0.1, 3 from 0.001, else 3 significant digits."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    a = abs(x)
    return f"{x:+.1f}" if a >= 10 else f"{x:+.2f}" if a >= 0.1 else f"{x:+.3f}" if a >= 0.001 else f"{x:+.3g}"


def _band(row: pd.Series, stat: str) -> str:
    mid, lo, hi = row[f"delta_{stat}"], row[f"delta_{stat}_p10"], row[f"delta_{stat}_p90"]
    if lo == hi == mid:
        return _fmt(mid)
    return f"{_fmt(mid)} [{_fmt(lo)}, {_fmt(hi)}]"


def headline_rows(cmp: Comparison) -> list[tuple[str, str, str, str]]:
    """(label, unit, statistic, 'median [p10, p90]') for the report's headline table."""
    summ = cmp.summary.set_index(["group", "item"])
    picks = list(HEADLINES)
    picks += [("alignment", p, f"alignment with {p}", "end") for p in _items(cmp, "alignment")]
    picks += [("pressure", p, f"coercive actions by {p}", "total") for p in _items(cmp, "pressure")]
    out = []
    for group, item, label, stat in picks:
        if (group, item) not in summ.index:
            continue
        row = summ.loc[(group, item)]
        unit = (
            str(row["unit"]) if stat != "total" else str(row["unit"]).replace("/month", "").replace("/yr", "")
        )
        if stat == "total" and group == "pressure":
            unit = "actions"
        out.append((label, unit, STAT_LABEL[stat], _band(row, stat)))
    return out


def _items(cmp: Comparison, group: str) -> list[str]:
    return list(dict.fromkeys(cmp.summary.loc[cmp.summary["group"] == group, "item"]))


def headline_lines(cmp: Comparison, limit: int = 8) -> list[str]:
    """A few plain-text lines: the headline rows whose median delta is not zero."""
    rows = [r for r in headline_rows(cmp) if not r[3].startswith("0")]
    lines = [
        f"  {label} (0-1): {value} ({stat})" if unit == "0-1" else f"  {label}: {value} {unit} ({stat})"
        for label, unit, stat, value in rows[:limit]
    ]
    return lines or ["  no indicator differs between the two sides"]


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _group_rows(cmp: Comparison, group: str, limit: int = 10) -> list[list[str]]:
    summ = cmp.summary[cmp.summary["group"] == group]
    moving = summ[(summ[["delta_mean", "delta_end", "peak_delta"]].abs() > 0).any(axis=1)]
    moving = moving.iloc[np.argsort(-moving["delta_mean"].abs().to_numpy(), kind="stable")][:limit]
    return [
        [
            str(r["item"]),
            str(r["unit"]),
            f"{r['a_mean']:.3g}",
            f"{r['b_mean']:.3g}",
            _band(r, "mean"),
            _band(r, "end"),
            f"{_fmt(r['peak_delta'])} ({r['peak_month']})",
        ]
        for _, r in moving.iterrows()
    ]


REPORT_SECTIONS: list[tuple[str, str, str | None]] = [
    ("trade_pole", "Trade by partner pole", "delta_trade_pole"),
    ("trade_partner", "Trade by partner (largest changes)", "delta_trade_partner"),
    ("exports_by_route", "Route exports and lost volume", "delta_exports_by_route"),
    ("indicators", "Re-exports, lost exports, welfare and other indicators", "delta_reexports_lost"),
    ("reexports", "Re-exports through each state", "delta_reexports_by_state"),
    ("dependence", "Dependence on poles", "delta_dependence"),
    ("alignment", "Alignment", "delta_alignment"),
    ("route_volume", "Route volumes (all shippers)", "delta_route_volume"),
    ("route_capacity", "Route capacity", None),
    ("pressure", "Coercive actions aimed at the focus actor (per month)", None),
]


def report_markdown(cmp: Comparison, plots: bool = True) -> str:
    """The short Markdown report of a comparison (plots referenced by file name)."""
    reps = cmp.replications
    seeds = ", ".join(map(str, cmp.seeds[:10])) + (", ..." if reps > 10 else "")
    how = (
        f"{reps} paired replication{'s' if reps != 1 else ''} (seeds {seeds}"
        + (f", spawned from root seed {cmp.root_seed}" if cmp.root_seed is not None else "")
        + ")"
    )
    lines = [
        f"# {cmp.b.label} vs {cmp.a.label}",
        "",
        f"- **A**: {cmp.a.describe()}",
    ]
    if cmp.a.question:
        lines.append(f"  - {cmp.a.question}")
    lines.append(f"- **B**: {cmp.b.describe()}")
    if cmp.b.question:
        lines.append(f"  - {cmp.b.question}")
    first = cmp.first_difference
    lines += [
        f"- Focus: {cmp.focus}; months {cmp.months[0]}..{cmp.months[-1]} ({len(cmp.months)}); {how}.",
        "- **delta = B - A**, per replication and month; tables give the median over replications and, in "
        "brackets, the 10-90 % band. 'mean' is the mean over all months, 'last' the last month.",
        f"- First month in which the runs differ: {first or 'none (identical runs)'}.",
    ]
    lines += [f"- Note: {n}." for n in cmp.notes]
    lines += ["", "## Headline", ""]
    lines += _md_table(["indicator", "unit", "statistic", "delta"], [list(r) for r in headline_rows(cmp)])
    header = ["item", "unit", "A mean", "B mean", "delta, mean", "delta, last month", "peak median delta"]
    for group, title, plot in REPORT_SECTIONS:
        rows = _group_rows(cmp, group)
        if not rows and group not in ("trade_pole", "alignment"):
            continue
        lines += ["", f"## {title}", ""]
        lines += _md_table(header, rows) if rows else ["No difference."]
        if plots and plot:
            lines += ["", f"![{title}]({plot}.png)"]
    acts = cmp.actions[cmp.actions["delta"] != 0].head(15)
    lines += ["", "## Actions that differ (mean count per replication)", ""]
    if acts.empty:
        lines.append("The same actions took effect in A and B.")
    else:
        lines += _md_table(
            ["actor", "kind", "action", "A", "B", "delta"],
            [
                [r.actor or "(no actor)", r.kind, r.name, f"{r.a_mean:.2g}", f"{r.b_mean:.2g}", _fmt(r.delta)]
                for r in acts.itertuples()
            ],
        )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ writing
def comparison_dir_name(cmp: Comparison, created: datetime) -> str:
    """`compare_<B>_vs_<A>_<YYYYmmddTHHMMSS>`, names made filesystem-safe."""

    def safe(s: str) -> str:
        return _UNSAFE.sub("_", s).strip("._") or "x"

    return f"compare_{safe(cmp.b.label)}_vs_{safe(cmp.a.label)}_{created.strftime('%Y%m%dT%H%M%S')}"


REPORT = "report.md"
TABLES = ("series", "bands", "summary", "actions")


def _manifest(cmp: Comparison, created: datetime, files: list[str]) -> dict[str, Any]:
    def side(s: Side) -> dict[str, Any]:
        return {
            "label": s.label,
            "source": str(Path(s.source).resolve()) if s.source else "",
            "kind": s.kind,
            "question": s.question,
            "start": s.start,
            "end": s.end,
            "seed": s.seed,
        }

    return {
        "kind": "comparison",
        "delta": "B - A",
        "a": side(cmp.a),
        "b": side(cmp.b),
        "focus": cmp.focus,
        "seeds": cmp.seeds,
        "root_seed": cmp.root_seed,
        "replications": cmp.replications,
        "paired": cmp.paired,
        "months": {"first": cmp.months[0], "last": cmp.months[-1], "count": len(cmp.months)},
        "first_difference": cmp.first_difference,
        "notes": cmp.notes,
        "package_version": sim.__version__,
        "git_commit": git_commit(Path(sim.__file__).resolve().parent),
        "created": created.isoformat(timespec="seconds"),
        "files": files,
    }


def write_comparison(
    cmp: Comparison, out_dir: str | os.PathLike[str], plots: bool = True, created: datetime | None = None
) -> Path:
    """Write a comparison directory under `out_dir` atomically (temp dir, then rename).

    Contents: report.md; series, bands, summary and actions as Parquet (summary and actions
    also as CSV); manifest.json (sides, seeds, horizon, versions); the `PLOTS` PNGs.
    Returns the final directory.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = created or datetime.now(UTC)
    tmp = make_tmp_dir(out_dir)
    try:
        files = []
        for name in TABLES:
            df: pd.DataFrame = getattr(cmp, name)
            df.to_parquet(tmp / f"{name}.parquet", engine="pyarrow", index=False)
            files.append(f"{name}.parquet")
        for name in ("summary", "actions"):
            getattr(cmp, name).to_csv(tmp / f"{name}.csv", index=False)
            files.append(f"{name}.csv")
        if plots:
            for stem, fig in comparison_figures(cmp).items():
                fig.savefig(tmp / f"{stem}.png", dpi=110)
                files.append(f"{stem}.png")
        (tmp / REPORT).write_text(report_markdown(cmp, plots=plots), encoding="utf-8")
        files.append(REPORT)
        manifest = _manifest(cmp, created, files)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        return publish_dir(tmp, out_dir, comparison_dir_name(cmp, created))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


__all__ = [
    "GROUPS",
    "INDICATORS",
    "PLOTS",
    "Comparison",
    "Side",
    "compare",
    "comparison_figures",
    "drop_events",
    "headline_lines",
    "headline_rows",
    "plot_deltas",
    "pressure_counts",
    "report_markdown",
    "run_series",
    "scenario_question",
    "truncate_spec",
    "write_comparison",
]

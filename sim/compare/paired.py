"""Paired comparison of two sides on common random numbers: `compare` and `Comparison`.

A and B are run with the same replication seeds, so every difference comes from the
scenarios, not from different random draws. Per replication and month `delta = B - A`
(`_pair`); the ensemble band is the median and 10-90 % quantiles over replications
(`_bands`, `QUANTILES`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.compare.series import GROUPS, KEY, action_counts, run_series
from sim.compare.sides import Side, SideRunner, Source, resolve_side
from sim.errors import InputError
from sim.runs.executors import map_items
from sim.scenario.schema import MONTH_RE
from sim.seeds import check_seed, replication_seeds

if TYPE_CHECKING:  # sim.calibration is imported only when a posterior is used (~0.7 s)
    from sim.calibration.ensemble_draws import PosteriorDraws

SEEDS_PER_DRAW = 2
"""Default replications per posterior draw (as sim.calibration.ensemble_draws.SEEDS_PER_DRAW)."""

QUANTILES = (0.1, 0.5, 0.9)
"""Ensemble band: 10 % and 90 % quantiles and the median of the per-replication values."""


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
    draws: list[int] | None = None  # posterior draw index of each replication (None: no posterior)
    posterior: str | None = None  # the posterior file the draws come from
    seeds_per_draw: int = 1
    summary: pd.DataFrame = field(init=False)
    _uncertainty: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.summary = self.summarize()

    def uncertainty(self, stat: str = "mean") -> pd.DataFrame:
        """Per item: the variance over replications of the per-replication `stat` ('mean', 'end'
        or 'total') of the delta, split into a parameter part (between posterior draws) and a
        stochastic part (between seeds of one draw): one-way ANOVA over the draw groups
        (`sim.calibration.ensemble_draws.variance_split`). Columns: group, item, unit, var_total,
        var_param, var_stoch, share_param (NaN if the delta does not vary), dominant
        ('parameters', 'stochastic' or ''). Empty without posterior draws."""
        from sim.calibration.ensemble_draws import groups_of, variance_split

        cols = ["group", "item", "unit", "var_total", "var_param", "var_stoch", "share_param", "dominant"]
        if self.draws is None:
            return pd.DataFrame(columns=cols)
        if stat not in ("mean", "end", "total"):
            raise ValueError(f"stat must be 'mean', 'end' or 'total', got {stat!r}")
        if stat in self._uncertainty:
            return self._uncertainty[stat].copy()
        keys = ["group", "item", "unit"]
        s = self.series
        if stat == "end":
            s = s[s["month"] == s["month"].max()]
        how = "sum" if stat == "total" else "mean"
        per_rep = s.groupby([*keys, "replication"], sort=False)["delta"].agg(how).unstack("replication")
        groups = groups_of(self.replications, self.seeds_per_draw)
        rows = []
        for key, vals in per_rep.iterrows():
            v = variance_split(vals.to_numpy(), groups)
            sh = v["share_param"]
            dom = "" if not np.isfinite(sh) else "parameters" if sh > 0.5 else "stochastic"
            rows.append([*key, v["var_total"], v["var_param"], v["var_stoch"], sh, dom])
        self._uncertainty[stat] = pd.DataFrame(rows, columns=cols)
        return self._uncertainty[stat].copy()

    @property
    def replications(self) -> int:
        return len(self.seeds)

    @property
    def first_difference(self) -> str | None:
        """First month in which any indicator differs in any replication (None: identical)."""
        diff = self.series.loc[self.series["delta"] != 0.0, "month"]
        return str(diff.min()) if len(diff) else None

    @property
    def years_differing(self) -> list[int]:
        """Calendar years in which any indicator differs in any replication (sorted)."""
        diff = self.series.loc[self.series["delta"] != 0.0, "month"]
        return sorted({int(m[:4]) for m in diff.unique()})

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
    workers: int | None = 1,
    progress: bool | None = False,
    posterior: PosteriorDraws | str | os.PathLike[str] | bool | None = None,
    seeds_per_draw: int = SEEDS_PER_DRAW,
) -> Comparison:
    """Compare scenario or run directory `b` with `a` (delta = B - A) on paired seeds.

    Args:
        a, b: scenario file paths, `LoadedScenario`s (e.g. edited in memory) or run directories.
        replications: number of paired runs (scenarios only; a run directory makes it 1).
        root_seed: root of the replication seeds, `sim.seeds.replication_seeds(root_seed, replications)`.
        focus: actor whose indicators are compared (must exist on both sides).
        horizon_end: last month compared ('YYYY-MM'); default the common horizon.
        seeds: explicit replication seeds (overrides replications and root_seed).
        workers: processes for the paired runs (1: in this process; None: all usable CPUs);
            the result does not depend on it.
        progress: a tqdm bar on stderr (None: only on a terminal).
        posterior: draw the parameters from a posterior (a file path, loaded `PosteriorDraws`,
            or True for calibration/posterior.parquet): replication r runs both sides with the
            same draw and seed; `seeds_per_draw` consecutive replications share a draw
            (`sim.calibration.ensemble_draws.assign_draws`). Scenarios only.
    """
    if horizon_end is not None and not MONTH_RE.match(str(horizon_end)):
        raise InputError(f"expected a month as 'YYYY-MM', got {horizon_end!r}", field="--end")
    ra, rb = resolve_side(a, horizon_end), resolve_side(b, horizon_end)
    notes: list[str] = []
    runs = [r.side for r in (ra, rb) if r.side.kind == "run"]
    if runs:
        assert runs[0].seed is not None, "a run directory side knows its seed"
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
        root = check_seed(root_seed, "--seed")
        use, paired = replication_seeds(root, replications), True
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

    draws: PosteriorDraws | None = None
    assigned: list[int] | None = None
    if posterior is not None and posterior is not False:
        from sim.calibration.ensemble_draws import PosteriorDraws, assign_draws, load_draws

        if runs:
            raise InputError(
                "--posterior re-runs both sides with drawn parameters; expected two scenario files, "
                "not a run directory",
                field="--posterior",
            )
        draws = posterior if isinstance(posterior, PosteriorDraws) else load_draws(posterior)
        assigned = assign_draws(draws, root_seed, len(use), seeds_per_draw)
        assert ra.spec is not None and rb.spec is not None
        differ = draws.differing(ra.spec.parameters, rb.spec.parameters)
        if differ:
            notes.append(
                f"A and B set {', '.join(differ)} differently; the posterior draws replace these values "
                "on both sides"
            )

    sa: list[pd.DataFrame] = []
    sb: list[pd.DataFrame] = []
    ca: list[Any] = []
    cb: list[Any] = []
    job = PairJob(ra, rb, focus, months, seeds=use, draws=assigned, posterior=draws)
    # One task per side and replication (2r: A, 2r + 1: B): half-size tasks balance the workers' tails.
    runs_out = map_items(
        job,
        range(2 * len(use)),
        workers=workers,
        progress=progress,
        desc=f"{rb.side.label} vs {ra.side.label}",
    )
    results = [(runs_out[2 * k], runs_out[2 * k + 1]) for k in range(len(use))]
    for k, (a_run, b_run) in enumerate(results):
        for (series, counts), (run_s, run_c) in (((sa, ca), a_run), ((sb, cb), b_run)):
            series.append(run_s.assign(replication=k))
            counts.append(run_c)
    series = _pair(pd.concat(sa, ignore_index=True), pd.concat(sb, ignore_index=True), months, use)
    if assigned is not None:
        series.insert(2, "draw", np.asarray(assigned, dtype=np.int64)[series["replication"].to_numpy()])
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
        draws=assigned,
        posterior=None if draws is None else str(draws.path),
        seeds_per_draw=int(seeds_per_draw) if draws is not None else 1,
    )


@dataclass
class PairJob:
    """One side of one replication: task k = 2 r + side gives (series, action counts) of A (side 0)
    or B (side 1) for replication r (its seed `seeds[r]` and, with a posterior, draw `draws[r]`:
    the same on both sides).

    Picklable for the process pool (sim.runs.executors): workers rebuild the worlds once each.
    """

    ra: SideRunner
    rb: SideRunner
    focus: str
    months: list[str]
    seeds: list[int] = field(default_factory=list)
    draws: list[int] | None = None
    posterior: PosteriorDraws | None = None

    def setup(self) -> None:
        self.ra.ensure_world()
        self.rb.ensure_world()

    def __call__(self, k: int) -> tuple[pd.DataFrame, pd.Series]:
        r, side = divmod(k, 2)
        seed = self.seeds[r]
        runner = self.rb if side else self.ra
        draw = None
        if self.draws is not None and self.posterior is not None:
            draw = self.posterior.draw(self.draws[r])
        tables = runner.tables_for(seed, draw)
        return run_series(tables, self.focus), action_counts(tables, self.months)


def _pair(a: pd.DataFrame, b: pd.DataFrame, months: list[str], seeds: list[int]) -> pd.DataFrame:
    """Align A and B series (missing items count 0), restrict to `months`, compute deltas.

    Every key (group, item, unit, month; the union over sides and replications, in order of
    first appearance) gets a row for every replication, ordered by group (GROUPS order), item
    (first appearance), unit, month, replication. Vectorised: keys are numbered once and the
    values scattered into a (keys, replications) array per side.
    """
    n_rep = len(seeds)
    both = pd.concat([a[KEY], b[KEY]], ignore_index=True)
    codes = both.groupby(KEY, sort=False).ngroup().to_numpy()
    n_keys = int(codes.max()) + 1 if len(codes) else 0
    _, first = np.unique(codes, return_index=True)  # codes are numbered in order of first appearance
    keys = both.iloc[first].reset_index(drop=True)
    keep = keys["month"].isin(set(months)).to_numpy()
    values = []
    for side, side_codes in ((a, codes[: len(a)]), (b, codes[len(a) :])):
        v = np.zeros((n_keys, n_rep))
        x = side["value"].to_numpy(dtype=float)
        v[side_codes, side["replication"].to_numpy()] = np.where(np.isnan(x), 0.0, x)
        values.append(v)
    kept = np.flatnonzero(keep)
    k = keys.iloc[kept].reset_index(drop=True)
    group_rank = {g: i for i, g in enumerate(GROUPS)}
    item_rank = {key: i for i, key in enumerate(dict.fromkeys(zip(k["group"], k["item"], strict=True)))}
    month_rank = {m: i for i, m in enumerate(months)}
    order = np.lexsort(
        (
            k["month"].map(month_rank).to_numpy(),
            k["unit"].to_numpy(),
            np.array([item_rank[key] for key in zip(k["group"], k["item"], strict=True)]),
            k["group"].map(group_rank).to_numpy(),
        )
    )
    rows = np.repeat(order, n_rep)
    reps = np.tile(np.arange(n_rep), len(order))
    frame = k.iloc[rows].reset_index(drop=True)
    va = values[0][kept][rows, reps]
    vb = values[1][kept][rows, reps]
    frame.insert(0, "replication", reps.astype(np.int64))
    frame.insert(1, "seed", np.asarray(seeds, dtype=np.int64)[reps])
    frame["a"], frame["b"], frame["delta"] = va, vb, vb - va
    return frame


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


__all__ = ["QUANTILES", "Comparison", "compare"]

"""The 2022 back-test episodes, each beside its placebo and its base rate (issue 19).

An episode is reproduced only if it is probable (>= 0.5, or the episode's own bar) **and** its
trigger raises it by at least 0.3 over the placebo: the same run with the trigger removed or
moved (`scenarios/backtest_2022_*.yaml`). The base rate is the chance of the same act in a
window of the episode's length, from the monthly rate in the months before the trigger
(1 - (1 - r)^months), so a response stands out from what the menus do anyway.

Everything is scored from the `events` table of `sim.api.ensemble` runs (one row per action
that took effect; kinds event, hazard, decision, threat = an executed threat). Nothing here
writes files; `sim.commands.backtest` prints and writes the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
MAIN = "backtest_2022.yaml"
PLACEBOS = (
    "backtest_2022_no_spief.yaml",
    "backtest_2022_spief_december.yaml",
    "backtest_2022_no_us_threat.yaml",
    "backtest_2022_no_hedging.yaml",
)
PROBABLE = 0.5  # an episode must be at least this probable ...
LIFT = 0.3  # ... and its trigger must raise it by at least this much over the placebo
# Russia's politically driven CPC stoppages in 2022 (figures.csv CPC_disruption_*: four
# disruptions; the June ordnance halt after SPIEF is political, the July court order was
# pressure that loadings survived; the March storm and the SPM cracks were accidents).
CPC_STOPPAGES_2022 = (1, 2)
# Routes Russia neither transits nor receives on (scenarios/baseline.yaml): bypass routes.
BYPASS_ROUTES = ("Trans-Caspian oil", "Middle Corridor")


def months(first: str, last: str) -> list[str]:
    """Calendar months 'YYYY-MM' from first to last inclusive."""
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


# ----------------------------------------------------------------------------- acts
def coercion_acts(ev: pd.DataFrame) -> pd.DataFrame:
    """Russia's coercion of Kazakhstan: its decided CPC halts and corridor repricing, executed threats."""
    rus = ev[(ev["actor"] == "Russia") & ev["kind"].isin(["decision", "threat"])]
    return rus[rus["type"].isin(["route_disruption", "route_reprice"])]


def cpc_stoppages(ev: pd.DataFrame) -> pd.DataFrame:
    """Russia's decided or threatened-and-executed CPC disruptions."""
    acts = coercion_acts(ev)
    return acts[(acts["type"] == "route_disruption") & acts["parameters"].str.contains('"CPC"', regex=False)]


def _level(params: str) -> float:
    import json

    return float(json.loads(params).get("level", 0.0))


def tightening_acts(ev: pd.DataFrame, level: float = 0.5) -> pd.DataFrame:
    """Kazakhstan's decisions to raise enforcement to `level` or above."""
    kz = ev[(ev["actor"] == "Kazakhstan") & (ev["kind"] == "decision") & (ev["type"] == "enforcement")]
    return kz[kz["parameters"].map(_level) >= level]


def bypass_acts(ev: pd.DataFrame) -> pd.DataFrame:
    """Kazakhstan's decided contracts and investments on routes Russia does not control."""
    kz = ev[(ev["actor"] == "Kazakhstan") & (ev["kind"] == "decision")]
    kz = kz[kz["type"].isin(["contract", "route_investment"])]
    on = kz["parameters"].map(lambda p: any(f'"{r}"' in p for r in BYPASS_ROUTES))
    return kz[on]


def gas_union_joins(ev: pd.DataFrame) -> pd.DataFrame:
    """Kazakhstan conceding the gas-union demand (counter-offers are not joining)."""
    kz = ev[(ev["actor"] == "Kazakhstan") & (ev["kind"] == "decision")]
    return kz[kz["name"].str.startswith("concede gas_union")]


# ----------------------------------------------------------------------------- per-run scores
def any_in(acts: pd.DataFrame, runs: Sequence[str], window: Sequence[str]) -> pd.Series:
    """Per run: at least one act in the window's months."""
    hit = set(acts.loc[acts["month"].isin(list(window)), "run_id"])
    return pd.Series([r in hit for r in runs], index=list(runs), dtype=bool)


def monthly_rate(acts: pd.DataFrame, runs: Sequence[str], base: Sequence[str]) -> float:
    """Share of (run, month) cells of the base months with at least one act."""
    if not runs or not base:
        return float("nan")
    cells = acts.loc[acts["month"].isin(list(base)), ["run_id", "month"]].drop_duplicates()
    return len(cells) / (len(runs) * len(base))


def window_rate(rate: float, n_months: int) -> float:
    """Chance of at least one act in n months at a constant monthly rate."""
    return float(1.0 - (1.0 - rate) ** n_months)


# ----------------------------------------------------------------------------- episodes
@dataclass(frozen=True)
class Episode:
    """A recorded episode: the act, its window, its placebo run and its base months."""

    key: str
    label: str
    acts: Callable[[pd.DataFrame], pd.DataFrame]
    window: tuple[str, str]
    placebo: str | None  # scenario file of the placebo (None: no placebo)
    placebo_label: str = ""
    placebo_window: tuple[str, str] | None = None  # default: the same window
    base: tuple[str, str] | None = None  # months before the trigger, for the base rate
    run: str = MAIN  # the scenario file whose runs the episode is scored on
    negate: bool = False  # the episode is the act NOT happening
    bar: float = PROBABLE
    needs_lift: bool = True


EPISODES: tuple[Episode, ...] = (
    Episode(
        "spief",
        "Russia coerces Kazakhstan within 3 months of the SPIEF statement (2022-06..09)",
        coercion_acts,
        ("2022-06", "2022-09"),
        "backtest_2022_no_spief.yaml",
        "no SPIEF statement",
        base=("2022-02", "2022-05"),
    ),
    Episode(
        "spief_cpc",
        "... the recorded act itself: Russia halts the CPC within 3 months of SPIEF (2022-06..09)",
        cpc_stoppages,
        ("2022-06", "2022-09"),
        "backtest_2022_no_spief.yaml",
        "no SPIEF statement",
        base=("2022-02", "2022-05"),
    ),
    Episode(
        "spief_december",
        "... with the statement moved to 2022-12: coercion in 2022-12..2023-03",
        coercion_acts,
        ("2022-12", "2023-03"),
        "backtest_2022_no_spief.yaml",
        "no SPIEF statement (same months)",
        base=("2022-02", "2022-05"),
        run="backtest_2022_spief_december.yaml",
    ),
    Episode(
        "spief_december_cpc",
        "... moved to 2022-12, the CPC halt itself: in 2022-12..2023-03",
        cpc_stoppages,
        ("2022-12", "2023-03"),
        "backtest_2022_no_spief.yaml",
        "no SPIEF statement (same months)",
        base=("2022-02", "2022-05"),
        run="backtest_2022_spief_december.yaml",
    ),
    Episode(
        "us_threat",
        "Kazakhstan tightens enforcement (level >= 0.5) within 6 months of the US threat (2022-07..2023-01)",
        tightening_acts,
        ("2022-07", "2023-01"),
        "backtest_2022_no_us_threat.yaml",
        "no US threat of 2022-07",
        base=("2022-02", "2022-06"),
    ),
    Episode(
        "bypass",
        "Kazakhstan contracts or invests in a route bypassing Russia in 2022-2023",
        bypass_acts,
        ("2022-02", "2023-12"),
        "backtest_2022_no_hedging.yaml",
        "hedging weight 0",
    ),
    Episode(
        "gas_union",
        "Kazakhstan does not join the gas union in 2023",
        gas_union_joins,
        ("2023-01", "2023-12"),
        None,
        negate=True,
        bar=0.8,
        needs_lift=False,
    ),
)


@dataclass
class EpisodeResult:
    """One row of the back-test table; probabilities over runs (seeds x draws)."""

    episode: Episode
    probability: float
    placebo: float | None
    base_monthly: float | None
    base_window: float | None
    runs: int
    verdict: str = ""
    detail: dict = field(default_factory=dict)


def verdict(ep: Episode, p: float, placebo: float | None) -> str:
    """'reproduced' only if probable and (where a trigger exists) raised by LIFT over the placebo."""
    if p < ep.bar:
        return f"not reproduced (p < {ep.bar:g})"
    if ep.needs_lift and (placebo is None or p - placebo < LIFT - 1e-9):
        return f"not reproduced (trigger adds < {LIFT:g})"
    return "reproduced"


def score(ep: Episode, runs: dict[str, pd.DataFrame]) -> EpisodeResult:
    """Score one episode from the events tables of each scenario's runs (keyed by scenario file)."""
    main = runs[ep.run]
    ids = sorted(main["run_id"].unique())
    window = months(*ep.window)
    hit = any_in(ep.acts(main), ids, window)
    p = float((~hit if ep.negate else hit).mean())
    pl = None
    if ep.placebo is not None:
        pev = runs[ep.placebo]
        pids = sorted(pev["run_id"].unique())
        phit = any_in(ep.acts(pev), pids, months(*(ep.placebo_window or ep.window)))
        pl = float((~phit if ep.negate else phit).mean())
    bm = bw = None
    if ep.base is not None:
        bm = monthly_rate(ep.acts(main), ids, months(*ep.base))
        bw = window_rate(bm, len(window))
    detail: dict = {}
    first = ep.acts(main).groupby("run_id")["month"].min()
    if len(first):
        detail["median first month"] = str(first.sort_values().iloc[len(first) // 2])
    if ep.run != MAIN:  # the moved run read in the original window too
        early = any_in(ep.acts(main), ids, months("2022-06", "2022-09"))
        detail["moved run, 2022-06..09"] = round(float(early.mean()), 2)
    return EpisodeResult(ep, p, pl, bm, bw, len(ids), verdict(ep, p, pl), detail)


def stoppages(runs: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Russia's CPC stoppages in 2022 per run: mean, range and the share inside the recorded range."""
    out: dict[str, float] = {}
    for key, file in (("with SPIEF", MAIN), ("no SPIEF", "backtest_2022_no_spief.yaml")):
        ev = runs[file]
        ids = sorted(ev["run_id"].unique())
        acts = cpc_stoppages(ev)
        n = acts[acts["month"].str.startswith("2022")].groupby("run_id").size().reindex(ids, fill_value=0)
        lo, hi = CPC_STOPPAGES_2022
        out[f"{key}: mean"] = float(n.mean())
        out[f"{key}: min"] = float(n.min())
        out[f"{key}: max"] = float(n.max())
        out[f"{key}: share in {lo}-{hi}"] = float(((n >= lo) & (n <= hi)).mean())
    return out


def halt_gaps(ev: pd.DataFrame) -> dict[int, int]:
    """Histogram of the months between consecutive Russian CPC halts within a run (the clock check)."""
    acts = cpc_stoppages(ev)
    idx = acts.assign(m=pd.PeriodIndex(acts["month"], freq="M").astype("int64"))
    gaps = idx.sort_values("m").groupby("run_id")["m"].diff().dropna().astype(int)
    return {int(k): int(v) for k, v in gaps.value_counts().sort_index().items()}


# ----------------------------------------------------------------------------- runs
def run_all(
    seeds: Sequence[int],
    *,
    workers: int | None = 1,
    posterior: str | bool | None = None,
    end: str = "2023-12",
    scenarios_dir: Path = SCENARIOS,
) -> dict[str, pd.DataFrame]:
    """The events table of the back-test and each placebo over `seeds` (sim.api.ensemble)."""
    from sim.api import ensemble

    out = {}
    for file in (MAIN, *PLACEBOS):
        ens = ensemble(
            scenarios_dir / file,
            list(seeds),
            workers=workers,
            end=end,
            tables=["events"],
            posterior=posterior,
        )
        out[file] = ens["events"]
    return out


def _fmt(x: float | None) -> str:
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.2f}"


def markdown(results: list[EpisodeResult], stops: dict[str, float], gaps: dict[int, int], note: str) -> str:
    """The back-test table in Markdown (probability beside placebo and base rate)."""
    lines = [
        f"Back-test episodes ({note}). Reproduced = p >= the bar and the trigger adds >= {LIFT:g} "
        "over the placebo. Base rate: the same act in a window of the same length at the monthly rate "
        "of the months before the trigger (monthly rate in brackets).",
        "",
        "| recorded episode | probability | placebo | placebo p | lift | base rate | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lift = None if r.placebo is None else r.probability - r.placebo
        base = "—" if r.base_window is None else f"{r.base_window:.2f} ({r.base_monthly:.3f}/month)"
        extra = "; ".join(f"{k}: {v}" for k, v in r.detail.items())
        label = r.episode.label + (f" [{extra}]" if extra else "")
        lines.append(
            f"| {label} | **{r.probability:.2f}** | {r.episode.placebo_label or '—'} | {_fmt(r.placebo)} "
            f"| {_fmt(lift)} | {base} | {r.verdict} |"
        )
    lo, hi = CPC_STOPPAGES_2022
    lines += [
        "",
        f"Russia's CPC stoppages in 2022 (recorded: {lo}-{hi} politically driven; decided halts and "
        "executed threats):",
        "",
        "| run | mean | min | max | share of runs in the recorded range |",
        "|---|---|---|---|---|",
    ]
    for key in ("with SPIEF", "no SPIEF"):
        mean, lo_n, hi_n = stops[f"{key}: mean"], stops[f"{key}: min"], stops[f"{key}: max"]
        share = stops[f"{key}: share in {lo}-{hi}"]
        lines.append(f"| {key} | {mean:.2f} | {lo_n:.0f} | {hi_n:.0f} | {share:.2f} |")
    total = sum(gaps.values())
    if total:
        top = sorted(gaps.items(), key=lambda kv: -kv[1])[:5]
        lines += [
            "",
            f"Months between consecutive Russian CPC halts (2022-2023, all runs, {total} gaps): "
            + ", ".join(f"{k} months: {v}" for k, v in top),
        ]
    return "\n".join(lines) + "\n"


def backtest(
    seeds: Sequence[int], *, workers: int | None = 1, posterior: str | bool | None = None
) -> tuple[list[EpisodeResult], str]:
    """Run the back-test and its placebos over `seeds`; (results, Markdown table)."""
    runs = run_all(seeds, workers=workers, posterior=posterior)
    results = [score(ep, runs) for ep in EPISODES]
    note = f"{len(seeds)} seeds {seeds[0]}-{seeds[-1]}"
    if posterior:
        name = "calibration/posterior.parquet" if posterior is True else Path(posterior).name
        note += f", posterior draws from {name} (two seeds per draw)"
    return results, markdown(results, stoppages(runs), halt_gaps(runs[MAIN]), note)

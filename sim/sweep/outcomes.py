"""Named outcomes: reduce a run's RunOutput to scalar summaries and monthly series.

A *quantity* is a monthly series (one value per month, T values); a *scalar* outcome is a
quantity reduced over the months by a suffix: `_mean` (the default when no suffix is given),
`_end` (last month), `_max`, `_min`. NaN months (e.g. leakage when nothing is blocked) are
ignored; a series that is all NaN reduces to NaN. Money is USD bn per year and volumes are the
route unit per year (Mt/yr for oil): monthly values are annualised rates, so a mean over months
is a mean annual figure.

`kz_` means the sweep's focus actor (default Kazakhstan). Quantities:

    kz_oil_lost_mt          volume of the focus actor's oil shipments no route could carry, Mt/yr
                            (oil shipments: shipped by the focus actor, good named *oil* or *crude*)
    kz_oil_shipped_mt       the same shipments' volume carried, Mt/yr
    kz_oil_offered_mt       the same shipments' offered volume, Mt/yr
    kz_<metric>             any actor metric of sim.core.recorder.ACTOR_METRICS for the focus actor,
                            e.g. kz_reexports_usd_bn, kz_exports_usd_bn, kz_lost_exports_usd_bn,
                            kz_enforcement, kz_multivector_index, kz_welfare_import_cost_usd_bn
    kz_welfare_usd_bn       total economic welfare (exports + route revenue + transit fees + re-export
                            margin - import cost + transfers - expected penalty - 12 x one-off
                            outlays of the month: investments, agreements), USD bn/yr
    kz_trade_<partner>      exports + imports between the focus actor and an actor (or the actors
                            embodying a pole), USD bn/yr (records bilateral flows for the run)
    alignment_<pole>        the focus actor's alignment with a pole, 0-1
    dependence_<pole>       the focus actor's dependence share on a pole, 0-1
    multivector_index       the focus actor's multi-vector index (1 even dependence, 0 one pole)
    route_<route>_volume    volume carried by a route, route unit/yr
    route_<route>_utilisation  volume / capacity (NaN at zero capacity)
    leakage_share           re-exports diverted / value blocked, all sanctions (NaN when none)

Names of actors, poles and routes are matched by their slug (lower case, runs of other
characters as `_`): `route_middle_corridor_volume`, `kz_trade_united_states`, `alignment_West_end`.
Examples of scalars: `kz_oil_lost_mt` (mean annual lost Kazakh crude, Mt/yr),
`alignment_West_end`, `multivector_index_mean`, `leakage_share_max`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.core.recorder import ACTOR_METRICS, RunOutput, net_welfare_of
from sim.core.world import World

FOCUS_PREFIX = "kz_"
REDUCTIONS = ("mean", "end", "max", "min")
_SLUG = re.compile(r"[^a-z0-9]+")
_OIL = re.compile(r"oil|crude", re.IGNORECASE)

SeriesFn = Callable[[RunOutput, World, int], np.ndarray]


class OutcomeError(ValueError):
    """An outcome name that does not resolve (the message lists what is available)."""


def slug(name: str) -> str:
    """`Middle Corridor` -> `middle_corridor`."""
    return _SLUG.sub("_", name.lower()).strip("_")


@dataclass(frozen=True)
class Quantity:
    """A monthly series of a run: `fn(out, world, focus_index) -> (T,)` in `unit`."""

    name: str
    unit: str
    needs_flows: bool
    fn: SeriesFn

    def series(self, out: RunOutput, world: World, focus: int) -> np.ndarray:
        return np.asarray(self.fn(out, world, focus), dtype=np.float64)


@dataclass(frozen=True)
class Scalar:
    """A quantity reduced over the months (`reduce` in REDUCTIONS)."""

    name: str
    quantity: Quantity
    reduce: str

    def value(self, series: np.ndarray) -> float:
        return reduce_series(series, self.reduce)


def reduce_series(x: np.ndarray, how: str) -> float:
    """mean/end/max/min of a series ignoring NaN (NaN if nothing is left)."""
    if how == "end":
        return float(x[-1]) if x.size else math.nan
    finite = x[~np.isnan(x)]
    if not finite.size:
        return math.nan
    if how == "mean":
        return float(finite.mean())
    return float(finite.max() if how == "max" else finite.min())


def _match(kind: str, text: str, names: Sequence[str]) -> str:
    hits = [n for n in names if slug(n) == slug(text)]
    if not hits:
        raise OutcomeError(f"unknown {kind} {text!r}; {kind}s: {', '.join(names)}")
    return hits[0]


def _oil_mask(world: World, focus: int) -> np.ndarray:
    good_is_oil = np.array([bool(_OIL.search(g)) for g in world.goods] + [False])  # index -1: no good
    return (world.ship_shipper == focus) & good_is_oil[world.ship_good]


def _oil(kind: str) -> SeriesFn:
    def fn(out: RunOutput, world: World, focus: int) -> np.ndarray:
        mask = _oil_mask(world, focus)
        lost = out.shipment_lost[:, mask].sum(axis=1)
        offered = out.shipment_offered[:, mask].sum(axis=1)
        return {"lost": lost, "offered": offered, "shipped": offered - lost}[kind]

    return fn


def _oil_bypass(pole: str) -> SeriesFn:
    """Share of the focus actor's shipped oil on routes the pole does not control (0-1)."""

    def fn(out: RunOutput, world: World, focus: int) -> np.ndarray:
        mask = _oil_mask(world, focus)
        free = world.route_control[:, world.pole_index[pole]] <= 0  # (R,)
        shipped = out.shipment_routes[:, mask, :].sum(axis=1)  # (T, R)
        total = shipped.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, shipped[:, free].sum(axis=1) / np.where(total > 0, total, 1.0), np.nan)

    return fn


def _metric(metric: str) -> SeriesFn:
    return lambda out, world, focus: out.metrics[metric][:, focus]


def _welfare(out: RunOutput, world: World, focus: int) -> np.ndarray:
    series: np.ndarray = net_welfare_of(lambda name: out.metrics[name][:, focus])
    return series


def _trade(partner: str, by_pole: bool) -> SeriesFn:
    def fn(out: RunOutput, world: World, focus: int) -> np.ndarray:
        if out.flows is None:
            raise RuntimeError("kz_trade_* needs the run's bilateral flows (record_flows=True)")
        if by_pole:
            in_pole = np.flatnonzero(world.pole_of == world.pole_index[partner])
            members = [int(i) for i in in_pole if i != focus]
        else:
            members = [world.index[partner]]
        f = out.flows
        return f[:, focus, members, :].sum(axis=(1, 2)) + f[:, members, focus, :].sum(axis=(1, 2))

    return fn


def _pole_series(attr: str, pole: str) -> SeriesFn:
    return lambda out, world, focus: getattr(out, attr)[:, focus, world.pole_index[pole]]


def _route(route: str, what: str) -> SeriesFn:
    def fn(out: RunOutput, world: World, focus: int) -> np.ndarray:
        r = world.route_index[route]
        vol = out.route_volume[:, r]
        if what == "volume":
            return vol
        cap = out.route_capacity[:, r]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cap > 0, vol / np.where(cap > 0, cap, 1.0), np.nan)

    return fn


def quantity_patterns() -> list[str]:
    """The quantity name patterns (for messages and docs)."""
    return [
        "kz_oil_lost_mt",
        "kz_oil_shipped_mt",
        "kz_oil_offered_mt",
        "kz_oil_bypass_<pole>",
        *(f"{FOCUS_PREFIX}{m}" for m in ACTOR_METRICS),
        "kz_welfare_usd_bn",
        "kz_trade_<actor or pole>",
        "alignment_<pole>",
        "dependence_<pole>",
        "multivector_index",
        "route_<route>_volume",
        "route_<route>_utilisation",
        "leakage_share",
    ]


def resolve_quantity(name: str, world: World, focus: str) -> Quantity:
    """The quantity called `name` in a world with focus actor `focus`; raise OutcomeError if unknown."""
    fixed: dict[str, tuple[str, SeriesFn]] = {
        "kz_oil_lost_mt": ("Mt/yr", _oil("lost")),
        "kz_oil_shipped_mt": ("Mt/yr", _oil("shipped")),
        "kz_oil_offered_mt": ("Mt/yr", _oil("offered")),
        "kz_welfare_usd_bn": ("USD bn/yr", _welfare),
        "multivector_index": ("0-1", _metric("multivector_index")),
        "leakage_share": ("share", lambda out, world, focus: out.leakage_share),
    }
    if name in fixed:
        unit, fn = fixed[name]
        if name.startswith("kz_oil") and not _oil_mask(world, world.index[focus]).any():
            raise OutcomeError(f"{name}: {focus} ships no oil (no shipment of a good named *oil*/*crude*)")
        return Quantity(name, unit, False, fn)
    if name.startswith(f"{FOCUS_PREFIX}oil_bypass_"):
        pole = _match("pole", name.removeprefix(f"{FOCUS_PREFIX}oil_bypass_"), world.poles)
        if not _oil_mask(world, world.index[focus]).any():
            raise OutcomeError(f"{name}: {focus} ships no oil (no shipment of a good named *oil*/*crude*)")
        return Quantity(name, "share", False, _oil_bypass(pole))
    if name.startswith(f"{FOCUS_PREFIX}trade_"):
        partner = name.removeprefix(f"{FOCUS_PREFIX}trade_")
        try:
            actor = _match("actor", partner, world.actors)
            if actor == focus:
                raise OutcomeError(f"{name}: the partner is the focus actor itself")
            return Quantity(name, "USD bn/yr", True, _trade(actor, by_pole=False))
        except OutcomeError as exc:
            if "focus actor itself" in str(exc):
                raise
            try:
                pole = _match("pole", partner, world.poles)
            except OutcomeError:
                raise OutcomeError(
                    f"{name}: unknown partner {partner!r}; actors: {', '.join(world.actors)}; "
                    f"poles: {', '.join(world.poles)}"
                ) from None
            return Quantity(name, "USD bn/yr", True, _trade(pole, by_pole=True))
    if name.startswith(FOCUS_PREFIX):
        metric = name.removeprefix(FOCUS_PREFIX)
        if metric in ACTOR_METRICS:
            one_off = metric in ("outlays_usd_bn", "penalty_realised_usd_bn")  # per month, not a rate
            unit = ("USD bn per month" if one_off else "USD bn/yr") if metric.endswith("_usd_bn") else "0-1"
            return Quantity(name, unit, False, _metric(metric))
    for prefix, attr in (("alignment_", "alignment"), ("dependence_", "dependence")):
        if name.startswith(prefix):
            pole = _match("pole", name.removeprefix(prefix), world.poles)
            return Quantity(name, "0-1", False, _pole_series(attr, pole))
    if name.startswith("route_"):
        for what, unit in (("volume", "unit/yr"), ("utilisation", "share")):
            if name.endswith(f"_{what}"):
                route = _match("route", name.removeprefix("route_").removesuffix(f"_{what}"), world.routes)
                return Quantity(name, unit, False, _route(route, what))
    raise OutcomeError(f"unknown outcome {name!r}; quantities: {', '.join(quantity_patterns())}")


def resolve_scalar(name: str, world: World, focus: str) -> Scalar:
    """`<quantity>[_mean|_end|_max|_min]` -> Scalar (no suffix: mean)."""
    hint = f"; a scalar is a quantity with an optional suffix _{', _'.join(REDUCTIONS)}"
    try:
        return Scalar(name, resolve_quantity(name, world, focus), "mean")
    except OutcomeError as first:
        error = first
    for how in REDUCTIONS:
        if name.endswith(f"_{how}"):
            try:
                return Scalar(name, resolve_quantity(name.removesuffix(f"_{how}"), world, focus), how)
            except OutcomeError as exc:
                error = exc  # the suffixed reading is the likelier intent
            break
    raise OutcomeError(f"{error}{hint}" if "unknown outcome" in str(error) else str(error)) from None


class Reducer:
    """Resolve scalar and series names once; `reduce(out, world)` gives a run's outcomes."""

    def __init__(self, world: World, focus: str, scalars: Sequence[str], series: Sequence[str]):
        self.focus = focus
        self.scalars = [resolve_scalar(s, world, focus) for s in scalars]
        self.series = [resolve_quantity(s, world, focus) for s in series]
        self.needs_flows = any(s.quantity.needs_flows for s in self.scalars) or any(
            q.needs_flows for q in self.series
        )

    def reduce(self, out: RunOutput, world: World) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """({scalar: value}, {series: (T,) array}) of one run."""
        f = world.index[self.focus]
        cache: dict[str, np.ndarray] = {}

        def get(q: Quantity) -> np.ndarray:
            if q.name not in cache:
                cache[q.name] = q.series(out, world, f)
            return cache[q.name]

        scalars = {s.name: s.value(get(s.quantity)) for s in self.scalars}
        series = {q.name: get(q) for q in self.series}
        return scalars, series

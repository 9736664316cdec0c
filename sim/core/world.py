"""Static structure of a run: the scenario compiled to index maps, numpy arrays and records.

Dimension order used everywhere: actors N, goods G, poles P, routes R,
shipments S. Flows are [exporter, importer, good] in USD bn per year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core.actions import Bloc, Contingency, Decisions, Event, Hazard
from sim.core.caches import Caches
from sim.core.paths import EconomyPaths, month_index, month_labels
from sim.params import Parameters

__all__ = ["World", "month_index", "month_labels"]


@dataclass(frozen=True)
class World:
    """Immutable arrays, names and records compiled from a scenario (the scenario layer compiles it; no I/O).

    name: the scenario's name; seed: its default seed; months: the horizon's labels 'YYYY-MM'
    (month index 0 = the first); events, hazards, decisions (menus) and blocs: compiled records
    (sim.core.actions) with months as indices into `months`.
    """

    name: str
    seed: int
    params: Parameters
    months: list[str]
    actors: list[str]
    goods: list[str]
    poles: list[str]
    routes: list[str]
    shipments: list[str]
    index: dict[str, int]  # actor name -> index
    good_index: dict[str, int]
    route_index: dict[str, int]
    pole_index: dict[str, int]
    bloc_members: dict[str, tuple[int, ...]]
    gdp: np.ndarray  # (N,) USD bn
    pole_of: np.ndarray  # (N,) pole index or -1
    is_state: np.ndarray  # (N,) bool, False for Rest of World
    alignment0: np.ndarray  # (N, P)
    hedging: np.ndarray  # (N,)
    security_dependence: np.ndarray  # (N, P) 0-1
    security_provision0: np.ndarray  # (N, P) guarantee provided to i by pole p, 0-1
    sovereignty: np.ndarray  # (N,)
    elite_interest: np.ndarray  # (N,)
    compliance: np.ndarray  # (N,) compliance propensity 0-1 (0.5 neutral)
    risk_tolerance: np.ndarray  # (N,) 0-1 (0.5 risk-neutral)
    security_weight: np.ndarray  # (N,)
    alignment_weight: np.ndarray  # (N,)
    enforcement0: np.ndarray  # (N,)
    customs_union: np.ndarray  # (N, N) bool
    base_flows: np.ndarray  # (N, N, G) all baseline flows, USD bn/yr
    gravity_flows: np.ndarray  # (N, N, G) baseline minus route-carried cells
    route_carried: np.ndarray  # (N, G) bool: (shipper, good) set by routes, not gravity
    # routes
    route_unit: list[str]
    route_capacity0: np.ndarray  # (R,) unit/yr
    route_tariff0: np.ndarray  # (R,) USD/unit
    route_risk0: np.ndarray  # (R,) USD/unit
    route_days: np.ndarray  # (R,) transit time, days (0: not priced)
    route_dest: np.ndarray  # (R,) actor index
    route_buyers: np.ndarray  # (R, N) shares of delivered volume booked as each actor's imports
    route_transit: np.ndarray  # (R, N) bool
    route_fee_share: np.ndarray  # (R,)
    route_control: np.ndarray  # (R, P) share of control by pole (transit poles, else destination pole)
    # shipments
    ship_shipper: np.ndarray  # (S,)
    ship_good: np.ndarray  # (S,) good index or -1
    ship_volume0: np.ndarray  # (S,) unit/yr
    ship_growth: np.ndarray  # (S,) per year
    ship_value: np.ndarray  # (S,) USD/unit, inf if none
    ship_allowed: np.ndarray  # (S, R) bool
    paths: EconomyPaths  # monthly spending, price and volume factors
    dual_use: np.ndarray  # (G,) bool: high-priority / sanctioned category
    ship_tariff_share: np.ndarray | None = None  # (S, R) share of the route tariff paid; None: 1 for all
    events: tuple[Event, ...] = ()  # in file order
    hazards: tuple[Hazard, ...] = ()
    contingencies: tuple[Contingency, ...] = ()  # enabled trigger rules, in file order
    decisions: Decisions = field(default_factory=Decisions)
    blocs: tuple[Bloc, ...] = ()
    caches: Caches = field(init=False, repr=False, compare=False)  # lookup tables and memos

    def __post_init__(self) -> None:
        object.__setattr__(self, "caches", Caches(self))

    @property
    def n(self) -> int:
        return len(self.actors)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self.actors), len(self.actors), len(self.goods))

    def members(self, name: str) -> tuple[int, ...]:
        """Actor indices behind an actor or bloc name."""
        if name in self.index:
            return (self.index[name],)
        return self.bloc_members[name]

    def pole_members(self) -> np.ndarray:
        """(N, P) bool: actor i embodies pole p."""
        out = np.zeros((self.n, len(self.poles)), dtype=bool)
        has = self.pole_of >= 0
        out[np.flatnonzero(has), self.pole_of[has]] = True
        return out

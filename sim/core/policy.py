"""Policy state: the measures in force, and the month's calendar of what expires and arrives.

Actions change it through `sim.core.apply.apply_action` (one handler per action type). The
state is small (lists of measures and per-actor vectors), so decisions can copy it cheaply to
evaluate a counterfactual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core import actions as A
from sim.core.sanctions import Measure, SecondaryMeasure
from sim.core.world import World
from sim.params import Parameters


@dataclass(frozen=True)
class Timed:
    """Something in force until month index `until` (exclusive); None: permanent."""

    until: int | None
    route: int = -1
    factor: float = 1.0
    sender: int = -1
    target: int = -1
    amount: float = 0.0  # USD bn per year for transfers; capacity for investments


@dataclass(frozen=True)
class Contract:
    """A long-term contract in force: committed volume of shipment `shipment` on `route`.

    volume: unit/yr; tariff: USD/unit paid on the committed volume; take_or_pay: share of
    the (capacity-feasible) committed volume paid for even when not shipped; buyer: actor
    index taking the committed volume, or -1 for the route's buyers; until: month index
    (exclusive) when it ends.
    """

    label: str
    shipment: int
    route: int
    volume: float
    tariff: float
    take_or_pay: float
    buyer: int
    until: int


@dataclass(frozen=True)
class Agreement:
    """A trade/transit facilitation agreement: trade costs between sides `a` and `b` (actor indices,
    both directions, goods `goods`) x `factor` (< 1) from month index `start` until `until`
    (exclusive; None: permanent)."""

    label: str
    a: tuple[int, ...]
    b: tuple[int, ...]
    goods: tuple[int, ...]
    factor: float
    start: int
    until: int | None

    def active(self, month: int) -> bool:
        return self.start <= month and (self.until is None or month < self.until)


@dataclass(frozen=True)
class OpenDemand:
    """A demand awaiting the target's answer (sim.core.bargaining) until month index `until`."""

    demand: A.DemandAction
    target: int
    until: int


def _empty() -> np.ndarray:
    return np.zeros(0)


@dataclass
class Policy:
    """Measures in force at a month. Mutated only by `apply_action` and `advance`."""

    measures: dict[str, Measure]
    secondary: list[SecondaryMeasure]
    enforcement: np.ndarray  # (N,) 0-1
    capacity_added: np.ndarray  # (R,) unit/yr, arrived investments
    pending: list[Timed] = field(default_factory=list)  # investments: until = arrival month
    disruptions: list[Timed] = field(default_factory=list)
    reprices: list[Timed] = field(default_factory=list)
    transfers: list[Timed] = field(default_factory=list)
    # (N, P) change in provision vs baseline
    security_change: np.ndarray = field(default_factory=_empty)
    # (N, P) pressure intensity this month on i by pole p
    pressure: np.ndarray = field(default_factory=_empty)
    # (N, P) net signal strength this month
    signals: np.ndarray = field(default_factory=_empty)
    # (N, N) grievance of i against j
    grievance: np.ndarray = field(default_factory=_empty)
    # (N, P) realised secondary penalties this month by pole, USD bn
    penalties: np.ndarray = field(default_factory=_empty)
    # (2, P) shares of blocked trade by sender pole / target pole
    blocked_by_pole: np.ndarray = field(default_factory=_empty)
    volume_factors: list[Timed] = field(default_factory=list)  # route = shipment index
    price_factors: list[Timed] = field(default_factory=list)  # route = good index
    contracts: list[Contract] = field(default_factory=list)
    # (S,) shut-in volume awaiting recovery, route unit
    backlog: np.ndarray = field(default_factory=_empty)
    coercion_seen: np.ndarray | None = None  # (N, P) decayed memory of coercive acts by pole p seen by i
    demands: list[OpenDemand] = field(default_factory=list)  # demands awaiting an answer
    agreements: list[Agreement] = field(default_factory=list)  # trade facilitation agreements
    # (N, N) change in the pairs' alignment distance since the base year (set monthly by the model;
    # replaced, never written in place, so copies share it); None: no political trade costs yet
    political_distance: np.ndarray | None = None
    # (R,) last month's volume per route, unit/yr (the congestion shippers price; set by the model,
    # replaced each month, so copies share it); None before the first month
    route_load: np.ndarray | None = None
    shared: set[str] = field(default_factory=set, repr=False, compare=False)  # arrays shared with copies

    def own_grievance(self) -> np.ndarray:
        """The grievance matrix, for writing: copy-on-write after `copy` shared it (N x N is large)."""
        if "grievance" in self.shared:
            self.grievance = self.grievance.copy()
            self.shared.discard("grievance")
        return self.grievance

    def copy(self) -> Policy:
        """Independent copy for counterfactual evaluation (measures are immutable, so lists are shallow).

        The grievance matrix is shared copy-on-write: every writer goes through `own_grievance`.
        """
        self.shared.add("grievance")
        return Policy(
            measures=dict(self.measures),
            secondary=list(self.secondary),
            enforcement=self.enforcement.copy(),
            capacity_added=self.capacity_added.copy(),
            pending=list(self.pending),
            disruptions=list(self.disruptions),
            reprices=list(self.reprices),
            transfers=list(self.transfers),
            security_change=self.security_change.copy(),
            pressure=self.pressure.copy(),
            signals=self.signals.copy(),
            grievance=self.grievance,
            penalties=self.penalties.copy(),
            blocked_by_pole=self.blocked_by_pole.copy(),
            volume_factors=list(self.volume_factors),
            price_factors=list(self.price_factors),
            contracts=list(self.contracts),
            backlog=self.backlog.copy(),
            coercion_seen=None if self.coercion_seen is None else self.coercion_seen.copy(),
            demands=list(self.demands),
            agreements=list(self.agreements),
            political_distance=self.political_distance,
            route_load=self.route_load,
            shared={"grievance"},
        )


def initial_policy(world: World) -> Policy:
    n, n_p = world.n, len(world.poles)
    return Policy(
        measures={},
        secondary=[],
        enforcement=world.enforcement0.copy(),
        capacity_added=np.zeros(len(world.routes)),
        security_change=np.zeros((n, n_p)),
        pressure=np.zeros((n, n_p)),
        signals=np.zeros((n, n_p)),
        grievance=np.zeros((n, n)),
        penalties=np.zeros((n, n_p)),
        blocked_by_pole=np.zeros((2, n_p)),
        backlog=np.zeros(len(world.shipments)),
        coercion_seen=np.zeros((n, n_p)),
    )


def note_blocked(world: World, policy: Policy, blocked: np.ndarray) -> None:
    """Remember who sanctions whom, weighted by blocked trade (USD bn/yr), for enforcement stances.

    Each measure's blocked trade is attributed to the poles of its senders (the sanctioning
    coalition) and of its target, whatever the direction of the flow (issue 9: an import ban's
    exporter is the target, not the sanctioner).
    """
    n_p = len(world.poles)
    by_sender, by_target = np.zeros(n_p), np.zeros(n_p)
    flat = blocked.ravel()
    for m in policy.measures.values():
        senders = list(m.senders)
        v = 0.0
        for cells in _measure_cells(world, m):
            v += float(flat[cells].sum())
        for s_ in senders:
            if world.pole_of[s_] >= 0:
                by_sender[world.pole_of[s_]] += v / len(senders)
        if world.pole_of[m.target] >= 0:
            by_target[world.pole_of[m.target]] += v
    total = by_sender.sum()
    policy.blocked_by_pole[:] = np.stack([by_sender, by_target]) / total if total > 0 else 0.0


def _measure_cells(world: World, m: Measure) -> list[np.ndarray]:
    """Flat indices into an (N, N, G) array of a measure's cells: [sender, target, good] for
    exports, [target, sender, good] for imports, each in (sender, good) order (cached per measure)."""
    cache = world.caches.measure_cells
    if m not in cache:
        n, g_n = world.n, len(world.goods)
        s = np.asarray(m.senders, dtype=np.intp)[:, None]
        g = np.asarray(m.goods, dtype=np.intp)[None, :]
        cells = []
        if m.direction in ("exports", "both"):
            cells.append(((s * n + m.target) * g_n + g).ravel())
        if m.direction in ("imports", "both"):
            cells.append(((m.target * n + s) * g_n + g).ravel())
        cache[m] = cells
    return cache[m]


def advance(policy: Policy, month: int, grievance_decay: float) -> None:
    """Start a new month: expire timed measures, land investments, reset monthly impulses."""
    arrived = [p for p in policy.pending if p.until is not None and p.until <= month]
    for p in arrived:
        policy.capacity_added[p.route] += p.amount
    policy.pending = [p for p in policy.pending if p not in arrived]
    policy.disruptions = [d for d in policy.disruptions if d.until is None or d.until > month]
    policy.reprices = [d for d in policy.reprices if d.until is None or d.until > month]
    policy.transfers = [d for d in policy.transfers if d.until is None or d.until > month]
    policy.volume_factors = [d for d in policy.volume_factors if d.until is None or d.until > month]
    policy.price_factors = [d for d in policy.price_factors if d.until is None or d.until > month]
    policy.contracts = [c for c in policy.contracts if c.until > month]
    policy.agreements = [a for a in policy.agreements if a.until is None or a.until > month]
    policy.pressure[:] = 0.0
    policy.signals[:] = 0.0
    policy.penalties[:] = 0.0
    policy.own_grievance()[:] *= 1.0 - grievance_decay


def pressure_intensity(action: A.Action) -> float:
    """How coercive an action is, 0-1 (0 for inducements, signals and investment)."""
    return action.pressure()


def fade(policy: Policy, params: Parameters) -> None:
    """Month-end decay of forces that must not accumulate (half-lives in sim.params).

    security_change (one-off guarantees, the CSTO intervention) and the memory of coercive acts
    halve every `security_half_life_months` / `coercion_memory_half_life_months`.
    """
    policy.security_change *= 0.5 ** (1.0 / params.security_half_life_months)
    if policy.coercion_seen is not None:
        policy.coercion_seen *= 0.5 ** (1.0 / params.coercion_memory_half_life_months)

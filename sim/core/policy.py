"""Policy state (the measures in force) and how each action changes it.

Scripted events, hazards and decisions all go through `apply_action`, so an
action means the same thing whoever triggers it. The policy state is small
(lists of measures and per-actor vectors), so decisions can copy it cheaply
to evaluate a counterfactual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core import actions as A
from sim.core.actions import Goods
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
    policy.pressure[:] = 0.0
    policy.signals[:] = 0.0
    policy.penalties[:] = 0.0
    policy.own_grievance()[:] *= 1.0 - grievance_decay


def _goods(world: World, goods: Goods) -> tuple[int, ...]:
    if goods == "all":
        return tuple(range(len(world.goods)))
    return tuple(world.good_index[g] for g in goods)


def _pole(world: World, actor: int) -> int:
    return int(world.pole_of[actor])


def field_of(action: A.Action, name: str, default: Any = None) -> Any:
    """An action's field `name`, or `default` for action types without it."""
    return getattr(action, name, default)


def actor_of(action: A.Action) -> str | None:
    """The acting actor or bloc name of an action (None for accidents)."""
    who: str | None = getattr(action, "sender", None) or getattr(action, "actor", None)
    return who


def target_of(world: World, action: A.Action) -> list[int]:
    """Actors an action is aimed at (for pressure, grievance and influence): the `target`'s members,
    or for actions on a route (`targets_route_users`) the shippers that can use it."""
    if action.targets_route_users:
        r = world.route_index[getattr(action, "route")]  # noqa: B009 (every such type has a route)
        cache = world.caches.route_users
        if r not in cache:
            users = np.flatnonzero(world.ship_allowed[:, r])
            cache[r] = sorted({int(world.ship_shipper[s]) for s in users})
        return list(cache[r])
    tgt = getattr(action, "target", None)
    return list(world.members(tgt)) if tgt else []


def pressure_intensity(action: A.Action) -> float:
    """How coercive an action is, 0-1 (0 for inducements, signals and investment)."""
    return action.pressure()


def _signal_stance(world: World, policy: Policy, action: A.SignalAction, actor: int) -> np.ndarray:
    v = np.zeros(len(world.poles))
    v[world.pole_index[action.toward]] += action.strength
    if action.against:
        v[world.pole_index[action.against]] -= action.strength
    return v


def _enforcement_stance(world: World, policy: Policy, action: A.EnforcementAction, actor: int) -> np.ndarray:
    delta = (action.level - policy.enforcement[actor]) * world.params.enforcement_stance_per_level
    return np.asarray(np.clip(delta * (policy.blocked_by_pole[0] - policy.blocked_by_pole[1]), -1, 1))


STANCE: dict[type, Callable[[World, Policy, Any, int], np.ndarray]] = {
    A.SignalAction: _signal_stance,
    A.EnforcementAction: _enforcement_stance,
}
"""Action types with a stance of their own; every other type rebuffs its targets' poles by its pressure."""


def stance(world: World, policy: Policy, action: A.Action, actor: int) -> np.ndarray:
    """Which poles an action pleases (+) or rebuffs (-), a vector over poles in [-1, 1].

    signal: +strength toward, -strength against; enforcement: +change toward the
    poles whose sanctions it upholds and -change toward the poles they target, each
    weighted by its share of the blocked trade; coercive actions: -intensity toward
    the target's pole.
    """
    own = STANCE.get(type(action))
    if own is not None:
        return own(world, policy, action, actor)
    v = np.zeros(len(world.poles))
    intensity = action.pressure()
    if intensity > 0:
        for t in target_of(world, action):
            if _pole(world, t) >= 0 and t != actor:
                v[_pole(world, t)] = min(v[_pole(world, t)], -intensity)
    return v


# ------------------------------------------------------------------ what each action type does
Handler = Callable[[World, Policy, Any, int], None]
APPLY: dict[type, Handler] = {}
"""Action class -> the function putting it into force (world, policy, action, month index)."""


def applies(cls: type) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of action class `cls` in `APPLY`."""

    def register(fn: Handler) -> Handler:
        APPLY[cls] = fn
        return fn

    return register


@applies(A.SanctionAction)
def _sanction(world: World, policy: Policy, action: A.SanctionAction, month: int) -> None:
    label = action.label or f"{action.sender}->{action.target}:{month}:{len(policy.measures)}"
    policy.measures[label] = Measure(
        label=label,
        senders=world.members(action.sender),
        target=world.index[action.target],
        goods=_goods(world, action.goods),
        direction=action.direction,
        ban=action.measure == "ban",
        rate=action.rate,
    )


@applies(A.LiftSanctionAction)
def _lift(world: World, policy: Policy, action: A.LiftSanctionAction, month: int) -> None:
    policy.measures.pop(action.label, None)


@applies(A.SecondarySanctionAction)
def _secondary(world: World, policy: Policy, action: A.SecondarySanctionAction, month: int) -> None:
    # Re-imposing a threat on the same sender, target and goods replaces it (no stacking).
    for sender in world.members(action.sender):
        for tgt in world.members(action.target):
            goods = _goods(world, action.goods)
            policy.secondary = [
                m for m in policy.secondary if (m.sender, m.target, m.goods) != (sender, tgt, goods)
            ]
            policy.secondary.append(
                SecondaryMeasure(
                    sender=sender,
                    target=tgt,
                    goods=goods,
                    detection_probability=action.detection_probability,
                    penalty_usd_bn=action.penalty_usd_bn,
                )
            )


@applies(A.RouteDisruptionAction)
def _disruption(world: World, policy: Policy, action: A.RouteDisruptionAction, month: int) -> None:
    policy.disruptions.append(
        Timed(
            until=month + action.duration_months,
            route=world.route_index[action.route],
            factor=action.capacity_factor,
        )
    )


@applies(A.RouteRepriceAction)
def _reprice(world: World, policy: Policy, action: A.RouteRepriceAction, month: int) -> None:
    until = None if action.duration_months is None else month + action.duration_months
    policy.reprices.append(
        Timed(until=until, route=world.route_index[action.route], factor=action.tariff_factor)
    )


@applies(A.RouteInvestmentAction)
def _investment(world: World, policy: Policy, action: A.RouteInvestmentAction, month: int) -> None:
    r = world.route_index[action.route]
    if action.lag_months == 0:
        policy.capacity_added[r] += action.capacity_added
    else:
        policy.pending.append(Timed(until=month + action.lag_months, route=r, amount=action.capacity_added))


@applies(A.InducementAction)
def _inducement(world: World, policy: Policy, action: A.InducementAction, month: int) -> None:
    per_year = action.amount_usd_bn * 12.0 / action.duration_months
    for s in world.members(action.sender):
        for t in world.members(action.target):
            policy.transfers.append(
                Timed(
                    until=month + action.duration_months,
                    sender=s,
                    target=t,
                    amount=per_year / len(world.members(action.sender)),
                )
            )


@applies(A.SecurityAction)
def _security(world: World, policy: Policy, action: A.SecurityAction, month: int) -> None:
    for s in world.members(action.sender):
        if world.pole_of[s] >= 0:
            for t in world.members(action.target):
                policy.security_change[t, world.pole_of[s]] += action.level


@applies(A.EnforcementAction)
def _enforcement(world: World, policy: Policy, action: A.EnforcementAction, month: int) -> None:
    for a in world.members(action.actor):
        policy.enforcement[a] = action.level


@applies(A.SignalAction)
def _signal(world: World, policy: Policy, action: A.SignalAction, month: int) -> None:
    for a in world.members(action.actor):
        policy.signals[a] += stance(world, policy, action, a)


@applies(A.DemandAction)
def _demand(world: World, policy: Policy, action: A.DemandAction, month: int) -> None:
    """A demand with something at stake opens a negotiation (sim.core.bargaining); a bare one is pressure."""
    if not (action.on_concede or action.on_refuse or action.counter):
        return
    for t in world.members(action.target):
        # A new demand on the same issue replaces the open one (no stacking).
        key = (action.sender, t, action.issue)
        policy.demands = [d for d in policy.demands if (d.demand.sender, d.target, d.demand.issue) != key]
        policy.demands.append(OpenDemand(action, t, month + action.deadline_months))


@applies(A.ContractAction)
def _contract(world: World, policy: Policy, action: A.ContractAction, month: int) -> None:
    r = world.route_index[action.route]
    label = action.label or f"{action.shipment}@{action.route}"
    policy.contracts = [c for c in policy.contracts if c.label != label]
    policy.contracts.append(
        Contract(
            label=label,
            shipment=world.shipments.index(action.shipment),
            route=r,
            volume=action.volume_per_year,
            tariff=(
                action.tariff_usd_per_unit
                if action.tariff_usd_per_unit is not None
                else float(world.route_tariff0[r])
            ),
            take_or_pay=action.take_or_pay,
            buyer=world.index[action.buyer] if action.buyer else -1,
            until=month + action.duration_months,
        )
    )


@applies(A.VolumeChangeAction)
def _volume(world: World, policy: Policy, action: A.VolumeChangeAction, month: int) -> None:
    until = None if action.duration_months is None else month + action.duration_months
    policy.volume_factors.append(
        Timed(until=until, route=world.shipments.index(action.shipment), factor=action.factor)
    )


@applies(A.PriceChangeAction)
def _price(world: World, policy: Policy, action: A.PriceChangeAction, month: int) -> None:
    until = None if action.duration_months is None else month + action.duration_months
    policy.price_factors.append(Timed(until=until, route=world.good_index[action.good], factor=action.factor))


def apply_action(world: World, policy: Policy, action: A.Action, month: int) -> None:
    """Put an action into force at month index `month` (relative to the run start): the grievance
    its stance causes, its own effect (`APPLY`), and the pressure it registers if coercive."""
    who = actor_of(action)
    if who is not None and who in world.index:
        # Poles an action rebuffs hold a grievance against the actor.
        a = world.index[who]
        sv = stance(world, policy, action, a)
        for rebuffed in np.flatnonzero(sv < 0):
            policy.own_grievance()[world.pole_of == rebuffed, a] += -sv[rebuffed]
    APPLY[type(action)](world, policy, action, month)
    # Coercion registers as pressure on the target from the sender's pole.
    intensity = action.pressure()
    if intensity > 0 and who is not None:
        targets = target_of(world, action)
        for s in world.members(who):
            q: int = _pole(world, s)
            if q < 0:
                continue
            for t in targets:
                if t != s:
                    policy.pressure[t, q] = max(policy.pressure[t, q], intensity)
            _observe_coercion(world, policy, q, s, targets, intensity)


def _observe_coercion(
    world: World, policy: Policy, q: int, sender: int, targets: list[int], intensity: float
) -> None:
    """Every state remembers a coercive act by pole q: weight 1 on its targets, a spillover on others."""
    if policy.coercion_seen is None or not isinstance(q, int | np.integer):
        return
    seen = np.full(world.n, world.params.coercion_spillover * intensity)
    tg = [t for t in targets if t != sender]
    if not tg:
        return
    seen[tg] = intensity
    seen[world.pole_of == q] = 0.0
    policy.coercion_seen[:, q] += seen
    policy.own_grievance()[tg, sender] += intensity  # the coerced hold a grievance (retaliation motive)


def fade(policy: Policy, params: Parameters) -> None:
    """Month-end decay of forces that must not accumulate (half-lives in sim.params).

    security_change (one-off guarantees, the CSTO intervention) and the memory of coercive acts
    halve every `security_half_life_months` / `coercion_memory_half_life_months`.
    """
    policy.security_change *= 0.5 ** (1.0 / params.security_half_life_months)
    if policy.coercion_seen is not None:
        policy.coercion_seen *= 0.5 ** (1.0 / params.coercion_memory_half_life_months)

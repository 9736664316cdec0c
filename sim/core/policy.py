"""Policy state (the measures in force) and how each action changes it.

Scripted events, hazards and decisions all go through `apply_action`, so an
action means the same thing whoever triggers it. The policy state is small
(lists of measures and per-actor vectors), so decisions can copy it cheaply
to evaluate a counterfactual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.core.sanctions import Measure, SecondaryMeasure
from sim.core.world import World
from sim.scenario import schema as S


@dataclass(frozen=True)
class Timed:
    """Something in force until month index `until` (exclusive); None: permanent."""

    until: int | None
    route: int = -1
    factor: float = 1.0
    sender: int = -1
    target: int = -1
    amount: float = 0.0  # USD bn per year for transfers; capacity for investments


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
    security_change: np.ndarray | None = None  # (N, P) change in provision vs baseline
    pressure: np.ndarray | None = None  # (N, P) pressure intensity this month on i by pole p
    signals: np.ndarray | None = None  # (N, P) net signal strength this month
    grievance: np.ndarray | None = None  # (N, N) grievance of i against j
    penalties: np.ndarray | None = None  # (N, P) realised secondary penalties this month by pole, USD bn
    blocked_by_pole: np.ndarray | None = None  # (2, P) shares of blocked trade by sender pole / target pole

    def copy(self) -> Policy:
        """Independent copy for counterfactual evaluation (measures are immutable, so lists are shallow)."""
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
            grievance=self.grievance.copy(),
            penalties=self.penalties.copy(),
            blocked_by_pole=self.blocked_by_pole.copy(),
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
    )


def note_blocked(world: World, policy: Policy, blocked: np.ndarray) -> None:
    """Remember who sanctions whom, weighted by blocked trade (USD bn/yr), for enforcement stances."""
    members = world.extra["pole_members"]
    by_sender = blocked.sum(axis=(1, 2)) @ members
    by_target = blocked.sum(axis=(0, 2)) @ members
    total = blocked.sum()
    policy.blocked_by_pole[:] = np.stack([by_sender, by_target]) / total if total > 0 else 0.0


def advance(policy: Policy, month: int, grievance_decay: float) -> None:
    """Start a new month: expire timed measures, land investments, reset monthly impulses."""
    arrived = [p for p in policy.pending if p.until is not None and p.until <= month]
    for p in arrived:
        policy.capacity_added[p.route] += p.amount
    policy.pending = [p for p in policy.pending if p not in arrived]
    policy.disruptions = [d for d in policy.disruptions if d.until is None or d.until > month]
    policy.reprices = [d for d in policy.reprices if d.until is None or d.until > month]
    policy.transfers = [d for d in policy.transfers if d.until is None or d.until > month]
    policy.pressure[:] = 0.0
    policy.signals[:] = 0.0
    policy.penalties[:] = 0.0
    policy.grievance *= 1.0 - grievance_decay


def _goods(world: World, goods: list[str] | str) -> tuple[int, ...]:
    if goods == "all":
        return tuple(range(len(world.goods)))
    return tuple(world.good_index[g] for g in goods)


def _pole(world: World, actor: int) -> int:
    return int(world.pole_of[actor])


def actor_of(action: S.Action) -> str | None:
    """The acting actor or bloc name of an action (None for accidents)."""
    return getattr(action, "sender", None) or getattr(action, "actor", None)


def target_of(world: World, action: S.Action) -> list[int]:
    """Actors an action is aimed at (for pressure, grievance and influence)."""
    if isinstance(action, S.RouteDisruptionAction | S.RouteRepriceAction | S.RouteInvestmentAction):
        r = world.route_index[action.route]
        users = np.flatnonzero(world.ship_allowed[:, r])
        return sorted({int(world.ship_shipper[s]) for s in users})
    tgt = getattr(action, "target", None)
    return list(world.members(tgt)) if tgt else []


def secondary_intensity(detection_probability: float) -> float:
    """Pressure intensity of a secondary-sanction threat or detection: 10 x monthly detection, capped at 1.

    Assumption: a 5 %/month detection risk (a detection within ~2 years) is half of maximal pressure.
    """
    return min(1.0, detection_probability * 10.0)


def pressure_intensity(action: S.Action) -> float:
    """How coercive an action is, 0-1 (0 for inducements, signals and investment)."""
    if isinstance(action, S.SanctionAction):
        return 1.0 if action.measure == "ban" else min(action.rate, 1.0)
    if isinstance(action, S.SecondarySanctionAction):
        return secondary_intensity(action.detection_probability)
    if isinstance(action, S.RouteDisruptionAction):
        return 1.0 - action.capacity_factor
    if isinstance(action, S.RouteRepriceAction):
        return min(1.0, max(0.0, (action.tariff_factor - 1.0) / 4.0))
    if isinstance(action, S.DemandAction):
        return action.intensity
    return 0.0


def stance(world: World, policy: Policy, action: S.Action, actor: int) -> np.ndarray:
    """Which poles an action pleases (+) or rebuffs (-), a vector over poles in [-1, 1].

    signal: +strength toward, -strength against; enforcement: +change toward the
    poles whose sanctions it upholds and -change toward the poles they target, each
    weighted by its share of the blocked trade; coercive actions: -intensity toward
    the target's pole.
    """
    v = np.zeros(len(world.poles))
    if isinstance(action, S.SignalAction):
        v[world.pole_index[action.toward]] += action.strength
        if action.against:
            v[world.pole_index[action.against]] -= action.strength
        return v
    if isinstance(action, S.EnforcementAction):
        delta = action.level - policy.enforcement[actor]
        return np.clip(delta * (policy.blocked_by_pole[0] - policy.blocked_by_pole[1]), -1, 1)
    intensity = pressure_intensity(action)
    if intensity > 0:
        for t in target_of(world, action):
            if _pole(world, t) >= 0 and t != actor:
                v[_pole(world, t)] = min(v[_pole(world, t)], -intensity)
    return v


def apply_action(world: World, policy: Policy, action: S.Action, month: int) -> None:
    """Put an action into force at month index `month` (relative to the run start)."""
    who = actor_of(action)
    if who is not None and who in world.index:
        # Poles an action rebuffs hold a grievance against the actor.
        a = world.index[who]
        sv = stance(world, policy, action, a)
        for q in np.flatnonzero(sv < 0):
            policy.grievance[world.pole_of == q, a] += -sv[q]
    if isinstance(action, S.SanctionAction):
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
    elif isinstance(action, S.LiftSanctionAction):
        policy.measures.pop(action.label, None)
    elif isinstance(action, S.SecondarySanctionAction):
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
    elif isinstance(action, S.RouteDisruptionAction):
        policy.disruptions.append(
            Timed(
                until=month + action.duration_months,
                route=world.route_index[action.route],
                factor=action.capacity_factor,
            )
        )
    elif isinstance(action, S.RouteRepriceAction):
        until = None if action.duration_months is None else month + action.duration_months
        policy.reprices.append(
            Timed(until=until, route=world.route_index[action.route], factor=action.tariff_factor)
        )
    elif isinstance(action, S.RouteInvestmentAction):
        r = world.route_index[action.route]
        if action.lag_months == 0:
            policy.capacity_added[r] += action.capacity_added
        else:
            policy.pending.append(
                Timed(until=month + action.lag_months, route=r, amount=action.capacity_added)
            )
    elif isinstance(action, S.InducementAction):
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
    elif isinstance(action, S.SecurityAction):
        for s in world.members(action.sender):
            if world.pole_of[s] >= 0:
                for t in world.members(action.target):
                    policy.security_change[t, world.pole_of[s]] += action.level
    elif isinstance(action, S.EnforcementAction):
        for a in world.members(action.actor):
            policy.enforcement[a] = action.level
    elif isinstance(action, S.SignalAction):
        for a in world.members(action.actor):
            policy.signals[a] += stance(world, policy, action, a)
    # Coercion registers as pressure on the target from the sender's pole.
    intensity = pressure_intensity(action)
    if intensity > 0 and who is not None:
        for s in world.members(who):
            q = _pole(world, s)
            if q < 0:
                continue
            for t in target_of(world, action):
                if t != s:
                    policy.pressure[t, q] = max(policy.pressure[t, q], intensity)

"""What each action type does: the dispatch table `APPLY` and the stance, targets and pressure
of an action.

Scripted events, hazards and decisions all go through `apply_action`, so an action means the
same thing whoever triggers it: the grievance its stance causes, its own effect (the handler
registered for its class with `@applies`), and the pressure it registers if it is coercive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sim.core import actions as A
from sim.core.actions import Goods
from sim.core.policy import Agreement, Contract, OpenDemand, Policy, Timed
from sim.core.sanctions import Measure, SecondaryMeasure
from sim.core.world import World


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


def reprice_issuer(world: World, action: A.RouteRepriceAction) -> tuple[int, int]:
    """(route index, issuing actor's index or -1 for an unattributed reprice) of a tariff order: the
    key under which an order in force is replaced (`_reprice`) or found (`agents._reprice_noop`)."""
    return world.route_index[action.route], (world.index[action.actor] if action.actor is not None else -1)


@applies(A.RouteRepriceAction)
def _reprice(world: World, policy: Policy, action: A.RouteRepriceAction, month: int) -> None:
    """A tariff order on a route. An actor's new order on a route replaces its order in force there
    (a tariff order sets the tariff; issued again it does not compound: 1.5 twice is 1.5, not 2.25);
    orders of different actors, and unattributed (scripted market) reprices, multiply."""
    until = None if action.duration_months is None else month + action.duration_months
    route, sender = reprice_issuer(world, action)
    if sender >= 0:
        policy.reprices = [d for d in policy.reprices if not (d.route == route and d.sender == sender)]
    policy.reprices.append(Timed(until=until, route=route, factor=action.tariff_factor, sender=sender))


@applies(A.RouteInvestmentAction)
def _investment(world: World, policy: Policy, action: A.RouteInvestmentAction, month: int) -> None:
    r = world.route_index[action.route]
    if action.lag_months == 0:
        policy.capacity_added[r] += action.capacity_added
    else:
        policy.pending.append(Timed(until=month + action.lag_months, route=r, amount=action.capacity_added))


def agreement_label(action: A.TradeAgreementAction) -> str:
    """The agreement's name: its label, else 'agreement ACTOR-PARTNER' (signing it again replaces it)."""
    return action.label or f"agreement {action.actor}-{action.partner}"


@applies(A.TradeAgreementAction)
def _trade_agreement(world: World, policy: Policy, action: A.TradeAgreementAction, month: int) -> None:
    label = agreement_label(action)
    start = month + action.lag_months
    until = None if action.duration_months is None else start + action.duration_months
    agreement = Agreement(
        label=label,
        a=world.members(action.actor),
        b=world.members(action.partner),
        goods=_goods(world, action.goods),
        factor=1.0 - action.trade_cost_cut,
        start=start,
        until=until,
    )
    policy.agreements = [g for g in policy.agreements if g.label != label] + [agreement]


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
    if not action.negotiates:
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
            settles = not (isinstance(action, A.DemandAction) and action.negotiates)
            _observe_coercion(world, policy, q, s, targets, intensity, settles)


def _observe_coercion(
    world: World,
    policy: Policy,
    q: int,
    sender: int,
    targets: list[int],
    intensity: float,
    settles: bool = True,
) -> None:
    """Every state remembers a coercive act by pole q: weight 1 on its targets, a spillover on others.

    The targets hold a grievance against the sender (retaliation motive), and an act that imposes
    its pressure now (a halt, a repricing, an executed threat, a bare demand; `settles`) settles a
    share `grievance_relief_per_coercion` x intensity of the sender's own grievance against them
    (sim.params): one act answers one offence. A negotiating demand settles nothing: its threat,
    if carried out, does (the sender valued it for that threat, sim.core.bargaining)."""
    if policy.coercion_seen is None or not isinstance(q, int | np.integer):
        return
    seen = np.full(world.n, world.params.coercion_spillover * intensity)
    tg = [t for t in targets if t != sender]
    if not tg:
        return
    seen[tg] = intensity
    seen[world.pole_of == q] = 0.0
    policy.coercion_seen[:, q] += seen
    g = policy.own_grievance()
    # The act settles (part of) the sender's own grievance against its targets: retribution done,
    # a repeat has no punishment motive left unless a new offence renews the grievance.
    if settles:
        g[sender, tg] *= max(0.0, 1.0 - world.params.grievance_relief_per_coercion * intensity)
    g[tg, sender] += intensity  # the coerced hold a grievance (retaliation motive)

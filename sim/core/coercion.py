"""Hedging as insurance against coercion: the expected loss a middle state runs from each pole.

A middle state's sovereignty term is

    sovereignty = h x sum_q P~_q x VaR_q x A(coercion_duration)     (USD bn PV)
    P~_q = (1 - e) x P_q + e,   e = h / (1 + h)                       (perceived chance)

over poles q other than its own, h the actor's hedging weight, where
    VaR_q  value at risk that pole q controls, USD bn/yr: the actor's decision welfare now minus
           its welfare with q's coercive options in force, evaluated by running the economy
           (counterfactual): every route q controls (as transit state or destination) that the
           actor ships on cut to zero, plus q's members banning their exports to the actor
           (imports without close substitutes lose through the CES price index, closed form);
    P_q    chance that q coerces the actor within the decision horizon, learnt:
           1 - exp(-Lambda_q), Lambda_q = integrated hazard over the horizon of
           base + per_grievance x (grievance of q against the actor, decaying at the grievance
           rate) + per_act x (memory of coercive acts by q seen by the actor, decaying with its
           half-life);
    A(d)   present value in years of d months of loss (`sim.core.utility.annuity_years`);
    e      the hedger's ambiguity about the pole's restraint: epsilon-contamination of the learnt
           chance with the worst case "q coerces" (Epstein & Wang 1994; Nishimura & Ozaki 2006,
           "An axiomatic approach to epsilon-contamination", Economic Theory 27). Hedging is the
           answer of a weaker state to uncertainty about a great power's intentions (Kuik 2016,
           "How do weaker states hedge?", J. Contemporary China 25(100)); e = h / (1 + h) is an
           assumption (e = 0 without hedging, 1/2 at h = 1, -> 1 as h grows).

Diversification lowers VaR_q (a contract or new capacity on a route q does not control keeps
volume moving when q cuts its routes) and is weighed by h x P~_q, which rises with h faster
than h; appeasement lowers P_q (less grievance) and is weighed by h x (1 - e) = h / (1 + h),
which stays below 1: the more a state hedges, the less it trusts that appeasing the pole will
keep it from coercing, so hedging buys insurance (self-insurance, Ehrlich & Becker 1972) rather
than appeasement (self-protection, whose value does not rise with risk aversion: Dionne &
Eeckhoudt 1985). Nothing here draws random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.core.actions import RouteDisruptionAction
from sim.core.counterfactual import Snapshot, actor_welfare, route_cuts
from sim.core.economy import decision_welfare
from sim.core.policy import Policy
from sim.core.utility import annuity_years
from sim.core.world import World


@dataclass(frozen=True)
class CoercionRisk:
    """One actor's exposure: per pole, the coercion chance, the value at risk (USD bn/yr), and the total."""

    probability: np.ndarray  # (P,) within the horizon
    value_at_risk: np.ndarray  # (P,) USD bn/yr
    expected_loss: float  # USD bn PV


@lru_cache(maxsize=64)
def _memory_sums(horizon: int, decay: float, half_life: float) -> tuple[float, float]:
    """Sums over the horizon's months of the grievance decay and of the coercion-memory decay."""
    t = np.arange(horizon, dtype=float)
    return float(((1.0 - decay) ** t).sum()), float((0.5 ** (t / half_life)).sum())


def integrated_hazard(world: World, policy: Policy, i: int) -> np.ndarray:
    """Lambda_q: expected number of coercive episodes by each pole against actor i over the horizon."""
    p = world.params
    h = p.decision_horizon_months
    g_sum, s_sum = _memory_sums(h, p.grievance_decay_per_month, p.coercion_memory_half_life_months)
    members = world.caches.pole_members  # (N, P) float
    grievance = (policy.grievance[:, i][:, None] * members).max(axis=0)  # (P,)
    seen = policy.coercion_seen[i] if policy.coercion_seen is not None else np.zeros(len(world.poles))
    lam = p.coercion_hazard_base_per_month * h + p.coercion_hazard_per_grievance * g_sum * grievance
    lam = lam + p.coercion_hazard_per_act * s_sum * seen
    own = world.pole_of[i]
    if own >= 0:
        lam[own] = 0.0
    return lam


def ambiguity(hedging: float) -> float:
    """e = h / (1 + h): weight of the worst case "the pole coerces" in a hedger's perceived chance."""
    return float(hedging / (1.0 + hedging)) if hedging > 0 else 0.0


def perceived_probability(probability: np.ndarray, hedging: float) -> np.ndarray:
    """P~ = (1 - e) P + e: the learnt chance contaminated with the worst case (epsilon-contamination)."""
    e = ambiguity(hedging)
    return (1.0 - e) * probability + e


def sovereignty_change(
    hedging: float,
    probability0: np.ndarray,
    value_at_risk0: np.ndarray,
    probability1: np.ndarray,
    value_at_risk1: np.ndarray,
    years: float,
    lasting: float = 1.0,
) -> float:
    """Change of a hedger's sovereignty term (USD bn PV; + is worse) from (P0, V0) to (P1, V1).

    h x A x [sum_q P~0_q (V1_q - V0_q) x lasting + (1 - e) x sum_q (P1_q - P0_q) V1_q]: the
    first-order change of h x sum_q P~_q V_q x A, P~ = (1 - e) P + e. V in USD bn/yr, P per
    horizon, years = A(coercion_duration) in years; lasting: the share of the horizon a lagged
    loss-size change (an investment) is in force.
    """
    e = ambiguity(hedging)
    d_var = float((perceived_probability(probability0, hedging) * (value_at_risk1 - value_at_risk0)).sum())
    d_prob = (1.0 - e) * float(((probability1 - probability0) * value_at_risk1).sum())
    return float(hedging * (d_var * lasting + d_prob) * years)


def coercion_probability(world: World, policy: Policy, i: int) -> np.ndarray:
    """P_q = 1 - exp(-Lambda_q): chance each pole coerces actor i within the horizon."""
    return 1.0 - np.exp(-integrated_hazard(world, policy, i))


def route_options(world: World, i: int, q: int) -> list[RouteDisruptionAction]:
    """Pole q's route coercion against actor i: every route q controls that i ships on, cut to zero.

    Depends on the network only, so it is built once per world (cached in `world.caches.route_options`).
    """
    cache = world.caches.route_options
    if (i, q) not in cache:
        ships = world.caches.ships_of[i]
        used = (
            world.ship_allowed[ships].any(axis=0) & (world.route_control[:, q] > 0)
            if len(ships)
            else np.zeros(len(world.routes), dtype=bool)
        )
        cache[(i, q)] = [
            RouteDisruptionAction(route=world.routes[r], capacity_factor=0.0) for r in np.flatnonzero(used)
        ]
    return cache[(i, q)]


def _exposed(world: World, snap: Snapshot, i: int, q: int) -> bool:
    """Whether any route pole q controls carries some of actor i's volume in `snap` (if none does,
    cutting them changes nothing for i: exact)."""
    ships = world.caches.ships_of[i]
    opts = route_options(world, i, q)
    if not len(ships) or not opts:
        return False
    carrying = snap.routes.allocation.rows(ships).sum(axis=0) > 0
    return any(carrying[world.route_index[o.route]] for o in opts)


def route_value_at_risk(
    world: World,
    snap: Snapshot,
    i: int,
    q: int,
    w0: float | None = None,
    terms0: dict[str, float] | None = None,
) -> float:
    """Loss of actor i's decision welfare (USD bn/yr) if pole q cut every route it controls that i uses.

    terms0: actor i's welfare components in `snap` if known (the cut changes only route terms).
    """
    if not _exposed(world, snap, i, q):
        return 0.0
    if terms0 is None:
        terms0 = actor_welfare(world, snap, i)
    if w0 is None:
        w0 = decision_welfare(world, terms0, i)
    return _cut_loss(world, snap, i, q, w0, terms0)


def _cut_loss(world: World, snap: Snapshot, i: int, q: int, w0: float, terms0: dict[str, float]) -> float:
    """`route_value_at_risk` once i is known to be exposed to q's routes (`_exposed`)."""
    cut = route_cuts(world, snap, route_options(world, i, q), snap.month)
    return max(0.0, w0 - decision_welfare(world, actor_welfare(world, cut, i, (snap, terms0)), i))


def trade_value_at_risk(world: World, snap: Snapshot, i: int, q: int, w0: float | None = None) -> float:
    """Loss of actor i's welfare (USD bn/yr) if pole q's members banned their exports to i.

    Closed form of the CES exact hat algebra for a ban (trade.py): removing suppliers with import
    share s of good g raises i's price index by (1 - s)^(-1/eps); the loss is the change of the
    import-cost term (spending x price rise, capped at 100 % as in `actor_welfare`). O(N G).
    """
    members = [m for m in np.flatnonzero(world.pole_of == q) if m != i]
    if not members or snap.spend is None:
        return 0.0
    imports = snap.direct[:, i, :]  # (N, G)
    total = imports.sum(axis=0)
    share = np.divide(imports[members].sum(axis=0), total, out=np.zeros_like(total), where=total > 0)
    eps = world.params.trade_elasticity
    p0 = np.where(np.isfinite(snap.price[i]), snap.price[i], 2.0)
    p1 = p0 * np.where(share < 1.0, np.maximum(1.0 - share, 1e-12) ** (-1.0 / eps), np.inf)
    rise0, rise1 = np.minimum(p0 - 1.0, 1.0), np.minimum(p1 - 1.0, 1.0)
    return float(max(0.0, (snap.spend[i] * (rise1 - rise0)).sum()))


def coercion_risk(
    world: World, snap: Snapshot, i: int, trade_var: np.ndarray | None = None, w0: float | None = None
) -> CoercionRisk:
    """Actor i's coercion exposure in snapshot `snap` (the status quo or a candidate's counterfactual).

    trade_var: the trade part of VaR per pole if already known (it is computed on the status
    quo once per round: candidates that do not change trade costs leave it unchanged).
    """
    n_p = len(world.poles)
    prob = coercion_probability(world, snap.policy, i)
    terms0 = None
    if w0 is None:
        terms0 = actor_welfare(world, snap, i)
        w0 = decision_welfare(world, terms0, i)
    var = np.zeros(n_p)
    own = world.pole_of[i]
    for q in range(n_p):
        if q == own:
            continue
        tv = trade_var[q] if trade_var is not None else trade_value_at_risk(world, snap, i, q, w0)
        rv = 0.0
        if _exposed(world, snap, i, q):
            if terms0 is None:  # once for every pole (the cuts change only route terms)
                terms0 = actor_welfare(world, snap, i)
            rv = _cut_loss(world, snap, i, q, w0, terms0)
        var[q] = rv + tv
    years = annuity_years(world.params, 0, world.params.coercion_duration_months)
    return CoercionRisk(prob, var, float((prob * var).sum() * years))

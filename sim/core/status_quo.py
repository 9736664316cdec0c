"""A decision round's status quo: one snapshot with per-actor caches of welfare, dependence and
coercion risk (sim.core.agents scores every candidate against it). USD bn per year.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.core.coercion import CoercionRisk, coercion_probability, coercion_risk, trade_value_at_risk
from sim.core.counterfactual import Snapshot, actor_dependence, actor_welfare
from sim.core.economy import decision_welfare
from sim.core.policy import Policy, Timed
from sim.core.world import World


def _involving(transfers: list[Timed], i: int) -> list[Timed]:
    return [t for t in transfers if t.sender == i or t.target == i]


class StatusQuo:
    """A status-quo snapshot with per-actor caches of welfare, dependence and coercion risk."""

    def __init__(self, world: World, snap: Snapshot, exposure: dict[tuple[Any, ...], Any] | None = None):
        self.world, self.snap = world, snap
        self.exposure = {} if exposure is None else exposure
        self._w: dict[int, float] = {}
        self._terms: dict[int, dict[str, float]] = {}
        self._dep: dict[int, np.ndarray] = {}
        self._risk: dict[int, CoercionRisk] = {}
        self._trade_var: dict[int, np.ndarray] = {}

    def welfare_terms(self, i: int) -> dict[str, float]:
        """Actor i's welfare components in this status quo, USD bn/yr (cached)."""
        if i not in self._terms:
            self._terms[i] = actor_welfare(self.world, self.snap, i)
        return self._terms[i]

    def decision_welfare(self, i: int) -> float:
        if i not in self._w:
            self._w[i] = decision_welfare(self.world, self.welfare_terms(i), i)
        return self._w[i]

    def welfare_change(self, cf: Snapshot, i: int) -> float:
        """Change of actor i's decision welfare (USD bn/yr) from this status quo to `cf`.

        Exactly 0 without evaluating when `cf` shares every economic input of actor i's welfare
        with the status quo (signals, demands, security moves, others' transfers).
        """
        b = self.snap
        if (
            cf.direct is b.direct
            and cf.diversion is b.diversion
            and cf.routes is b.routes
            and cf.price is b.price
            and cf.spend is b.spend
            and _involving(cf.policy.transfers, i) == _involving(b.policy.transfers, i)
            and [m for m in cf.policy.secondary if m.target == i]
            == [m for m in b.policy.secondary if m.target == i]
        ):
            return 0.0
        now = decision_welfare(self.world, actor_welfare(self.world, cf, i, (b, self.welfare_terms(i))), i)
        return float(now - self.decision_welfare(i))

    def dependence(self, i: int) -> np.ndarray:
        if i not in self._dep:
            self._dep[i] = actor_dependence(self.world, self.snap, i)
        return self._dep[i]

    def trade_var(self, i: int) -> np.ndarray:
        """Trade part of the value at risk per pole (USD bn/yr).

        Re-assessed once a year and whenever the sanctions in force change (`exposure` cache,
        kept by the model across rounds): trade exposure moves slowly with the time paths.
        """
        key = ("trade", i, self.snap.month // 12, tuple(sorted(self.snap.policy.measures)))
        if key in self.exposure:
            self._trade_var[i] = self.exposure[key]
        if i not in self._trade_var:
            w = self.world
            self._trade_var[i] = self.exposure[key] = np.array(
                [
                    0.0
                    if q == w.pole_of[i]
                    else trade_value_at_risk(w, self.snap, i, q, self.decision_welfare(i))
                    for q in range(len(w.poles))
                ]
            )
        return self._trade_var[i]

    def risk(self, i: int) -> CoercionRisk:
        """Coercion risk in this base; the value at risk is re-assessed yearly or when routes change."""
        if i not in self._risk:
            pol = self.snap.policy
            key = ("route", i, self.snap.month // 12, route_signature(self.world, pol, i))
            if key not in self.exposure:
                self.exposure[key] = coercion_risk(
                    self.world, self.snap, i, self.trade_var(i), self.decision_welfare(i)
                ).value_at_risk
            var = self.exposure[key]
            self._risk[i] = CoercionRisk(coercion_probability(self.world, pol, i), var, 0.0)
        return self._risk[i]


def route_signature(world: World, policy: Policy, i: int) -> tuple[Any, ...]:
    """What actor i's route conditions depend on (for the exposure cache): the measures on the routes
    its shipments can use and on its shipments; measures elsewhere do not invalidate its exposure."""
    cache = world.caches.signature_sets
    if i not in cache:
        ships = world.caches.ships_of[i]
        usable = np.flatnonzero(world.ship_allowed[ships].any(axis=0)) if len(ships) else np.zeros(0, int)
        cache[i] = (usable, set(usable.tolist()), set(ships.tolist()))
    usable, routes, mine = cache[i]
    return (
        tuple(np.round(policy.capacity_added[usable], 6)),
        tuple(d for d in policy.disruptions if d.route in routes),
        tuple(d for d in policy.reprices if d.route in routes),
        tuple(c for c in policy.contracts if c.shipment in mine),
        tuple(v for v in policy.volume_factors if v.route in mine),
        tuple(policy.price_factors),
    )

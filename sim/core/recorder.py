"""In-memory recording of a run into preallocated numpy arrays (no I/O).

Dimension order: months T, actors N, goods G, poles P, routes R, shipments S.
Money in USD bn per year (monthly values are annualised rates), volumes in the
route unit per year. The results layer (sim.results) turns a RunOutput into
tidy tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.core.actions import Action
from sim.core.agents import Decision
from sim.core.apply import actor_of, target_of
from sim.core.decisions import TERMS, multivector_index
from sim.core.economy import SUBTRACTED_WELFARE, WELFARE_TERMS, Outcome
from sim.core.policy import Policy
from sim.core.route_economy import VALUE_SCALE
from sim.core.sanctions import leakage_shares
from sim.core.world import World

ACTOR_METRICS = (
    "exports_usd_bn",
    "imports_usd_bn",
    *(f"welfare_{t}_usd_bn" for t in WELFARE_TERMS),
    "reexports_usd_bn",
    "reexports_intercepted_usd_bn",
    "lost_exports_usd_bn",
    "deferred_exports_usd_bn",
    "penalty_realised_usd_bn",
    "outlays_usd_bn",
    "enforcement",
    "multivector_index",
)
OUTLAY_RATE_PER_USD_BN = 12.0
"""Net welfare counts a one-off outlay of 1 USD bn in a month as 12 USD bn/yr off that month's rate
(months per year), so a period's total falls by exactly the outlay."""


def net_welfare_of(column: Callable[[str], Any], outlays: bool = True) -> Any:
    """Net economic welfare, USD bn/yr, from an actor's metric columns (`column(name)`: a numpy
    series or a pandas Series): the WELFARE_TERMS, import_cost and expected_penalty subtracted,
    less 12 x the month's one-off outlays (`OUTLAY_RATE_PER_USD_BN`) unless `outlays` is False."""
    total: Any = 0.0
    for t in WELFARE_TERMS:
        sign = -1.0 if t in SUBTRACTED_WELFARE else 1.0
        total = total + sign * column(f"welfare_{t}_usd_bn")
    if outlays:
        total = total - OUTLAY_RATE_PER_USD_BN * column("outlays_usd_bn")
    return total


ALIGNMENT_FORCES = ("gain", "security", "pressure", "signal", "threat", "anchor")


@dataclass
class RunOutput:
    """Everything a run recorded, as arrays plus the action and decision logs."""

    months: list[str]
    actors: list[str]
    goods: list[str]
    poles: list[str]
    routes: list[str]
    route_units: list[str]
    shipments: list[str]
    metrics: dict[str, np.ndarray]  # ACTOR_METRICS -> (T, N)
    alignment: np.ndarray  # (T, N, P), end of month
    dependence: np.ndarray  # (T, N, P)
    forces: dict[str, np.ndarray]  # ALIGNMENT_FORCES -> (T, N, P)
    route_capacity: np.ndarray  # (T, R) unit/yr
    route_tariff: np.ndarray  # (T, R) USD/unit
    route_volume: np.ndarray  # (T, R) unit/yr
    shipment_offered: np.ndarray  # (T, S)
    shipment_lost: np.ndarray  # (T, S)
    shipment_routes: np.ndarray  # (T, S, R) shipped per shipment and route
    leakage_share: np.ndarray  # (T,) EBRD: intermediated exports / fall in direct exports, export controls
    flows: np.ndarray | None  # (T, N, N, G) USD bn/yr, or None when not recorded
    shipment_lost_for_good: np.ndarray | None = None  # (T, S) unit/yr shut in and not recovered
    shipment_backlog: np.ndarray | None = None  # (T, S) deferred volume awaiting recovery, unit
    shipment_contracted: np.ndarray | None = None  # (T, S) volume shipped under contracts, unit/yr
    leakage_share_all_blocked: np.ndarray | None = None  # (T,) diverted / fall at all sanctioned cells
    actions: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


class Recorder:
    """Collects a run month by month."""

    def __init__(self, world: World, record_flows: bool):
        self.w = world
        t, n, p, r, s = len(world.months), world.n, len(world.poles), len(world.routes), len(world.shipments)
        self.metrics = {k: np.zeros((t, n)) for k in ACTOR_METRICS}
        self.alignment = np.zeros((t, n, p))
        self.dependence = np.zeros((t, n, p))
        self.forces = {k: np.zeros((t, n, p)) for k in ALIGNMENT_FORCES}
        self.route_capacity = np.zeros((t, r))
        self.route_tariff = np.zeros((t, r))
        self.route_volume = np.zeros((t, r))
        self.ship_offered = np.zeros((t, s))
        self.ship_lost = np.zeros((t, s))
        self.ship_routes = np.zeros((t, s, r))
        self.leakage = np.full(t, np.nan)
        self.leakage_all = np.full(t, np.nan)
        self.ship_lost_for_good = np.zeros((t, s))
        self.ship_backlog = np.zeros((t, s))
        self.ship_contracted = np.zeros((t, s))
        self.flows = np.zeros((t, *world.shape)) if record_flows else None
        self.actions: list[dict[str, Any]] = []
        self.decisions: list[dict[str, Any]] = []

    def _describe(self, action: Action) -> str:
        return self.w.caches.describe(action)

    def record(
        self,
        month: int,
        out: Outcome,
        dep: np.ndarray,
        alignment: np.ndarray,
        policy: Policy,
        forces: dict[str, np.ndarray],
        outlays: np.ndarray,
    ) -> None:
        w, m = self.w, self.metrics
        m["exports_usd_bn"][month] = out.flows.sum(axis=(1, 2))
        m["imports_usd_bn"][month] = out.flows.sum(axis=(0, 2))
        for k in WELFARE_TERMS:
            m[f"welfare_{k}_usd_bn"][month] = out.welfare[k]
        div = out.diversion
        by_int = div.diverted.sum(axis=0) if len(div.cells) else np.zeros(w.n)
        m["reexports_usd_bn"][month] = by_int * (1.0 + w.params.reexport_markup)
        m["reexports_intercepted_usd_bn"][month] = (
            (div.attempted - div.diverted).sum(axis=0) if len(div.cells) else 0.0
        )
        value = out.routes.value
        unshipped_v = out.routes.allocation.lost * value * VALUE_SCALE
        m["deferred_exports_usd_bn"][month] = np.bincount(w.ship_shipper, weights=unshipped_v, minlength=w.n)
        m["penalty_realised_usd_bn"][month] = policy.penalties.sum(axis=1)
        m["outlays_usd_bn"][month] = outlays
        m["enforcement"][month] = policy.enforcement
        m["multivector_index"][month] = multivector_index(dep)
        self.alignment[month] = alignment
        self.dependence[month] = dep
        for k in ALIGNMENT_FORCES:
            self.forces[k][month] = forces[k]
        rs = out.routes
        self.route_capacity[month] = rs.capacity
        self.route_tariff[month] = rs.tariff
        self.route_volume[month] = rs.allocation.route_volume
        self.ship_offered[month] = rs.offered
        self.ship_lost[month] = rs.allocation.lost
        self.ship_routes[month] = rs.allocation.shipped
        self.leakage[month], self.leakage_all[month] = leakage_shares(
            float(div.diverted.sum()),
            float(out.controlled.sum()),
            float(out.blocked.sum()),
            w.params.reexport_markup,
        )
        if self.flows is not None:
            self.flows[month] = out.flows

    def record_volumes(
        self, month: int, out: Outcome, backlog: np.ndarray, lost_for_good: np.ndarray
    ) -> None:
        """Deferred and lost route volumes (after `update_backlog`); splits unshipped export value.

        backlog: deferred volume at the end of the month (unit); lost_for_good: unit/yr.
        """
        w, m = self.w, self.metrics
        value = out.routes.value * VALUE_SCALE
        self.ship_lost_for_good[month] = lost_for_good
        self.ship_backlog[month] = backlog
        firm = out.routes.allocation.firm
        if firm is not None:
            self.ship_contracted[month] = firm.sum(axis=1)
        lost_v = np.bincount(w.ship_shipper, weights=lost_for_good * value, minlength=w.n)
        m["lost_exports_usd_bn"][month] = lost_v
        m["deferred_exports_usd_bn"][month] -= lost_v

    def log_action(self, month: int, kind: str, name: str, action: Action, detail: dict[str, Any]) -> None:
        targets = target_of(self.w, action)
        self.actions.append(
            {
                "month": self.w.months[month],
                "kind": kind,
                "name": name,
                "type": action.type,
                "actor": detail.get("decided_by") or actor_of(action) or "",
                "target": ", ".join(self.w.actors[t] for t in targets),
                "parameters": self._describe(action),
                "note": action.note or "",
                "source": action.source or "",
            }
        )

    def log_penalty(self, month: int, sender: str, target: str, penalty: float) -> None:
        self.actions.append(
            {
                "month": self.w.months[month],
                "kind": "penalty",
                "name": "secondary_sanction_detected",
                "type": "secondary_sanction",
                "actor": sender,
                "target": target,
                "parameters": json.dumps({"penalty_usd_bn": penalty}),
                "note": f"re-exports via {target} detected; penalty {penalty:g} USD bn",
                "source": "",
            }
        )

    def log_decision(self, month: int, d: Decision) -> None:
        for c in d.candidates:
            row = {
                "month": self.w.months[month],
                "actor": d.actor,
                "candidate": c.name,
                "chosen": c is d.chosen,
                "probability": c.probability,
                "utility": c.utility,
            }
            row.update({t: c.terms[t] for t in TERMS})
            row["support"] = c.support
            row["action"] = self._describe(c.action) if c.action is not None else ""
            self.decisions.append(row)

    def output(self) -> RunOutput:
        w = self.w
        return RunOutput(
            months=list(w.months),
            actors=list(w.actors),
            goods=list(w.goods),
            poles=list(w.poles),
            routes=list(w.routes),
            route_units=list(w.route_unit),
            shipments=list(w.shipments),
            metrics=self.metrics,
            alignment=self.alignment,
            dependence=self.dependence,
            forces=self.forces,
            route_capacity=self.route_capacity,
            route_tariff=self.route_tariff,
            route_volume=self.route_volume,
            shipment_offered=self.ship_offered,
            shipment_lost=self.ship_lost,
            shipment_routes=self.ship_routes,
            leakage_share=self.leakage,
            shipment_lost_for_good=self.ship_lost_for_good,
            shipment_backlog=self.ship_backlog,
            shipment_contracted=self.ship_contracted,
            leakage_share_all_blocked=self.leakage_all,
            flows=self.flows,
            actions=self.actions,
            decisions=self.decisions,
        )

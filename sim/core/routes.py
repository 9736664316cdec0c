"""Routes: capacity-constrained logit allocation of shipments over a route network.

Method: capacity-constrained multinomial logit assignment (Cascetta, "Transportation
Systems Analysis", 2009, ch. 5; the iterative "saturate and re-split" variant).
Each shipment s offers q_s (unit/yr) and splits it over its open routes with
shares proportional to exp(-mu * c_r), c_r the generalized cost (tariff x
repricing factor + risk premium, USD/unit). A route whose demand exceeds its
residual capacity is filled to capacity, each shipment getting a pro rata part,
and closed; the remaining volume is re-split over the still-open routes. This
repeats until all volume is placed or no open route is left: what is left is
lost exports. A route is unavailable to a shipment when its generalized cost is
at or above the shipment's netback value (shipping would lose money).

Long-term contracts go first (`allocate_with_contracts`): each contract's
committed volume is placed on its route before the logit split, scaled down pro
rata when the route's capacity (after a disruption) cannot hold every
commitment, and by the shipper's offered volume when it has less to ship. The
rest of the volume and capacity is then split by the logit above.

Invariants: shipped >= 0; per-route sum <= capacity; shipped + lost = offered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = 1e-12


@dataclass(frozen=True)
class Allocation:
    """Result of one allocation. shipped[s, r] and lost[s] in unit/yr."""

    shipped: np.ndarray
    lost: np.ndarray
    firm: np.ndarray | None = None  # (S, R) contracted volume shipped, unit/yr (None: no contracts)

    @property
    def route_volume(self) -> np.ndarray:
        """Volume per route (unit/yr)."""
        return self.shipped.sum(axis=0)


def allocate(
    offered: np.ndarray,
    value: np.ndarray,
    allowed: np.ndarray,
    cost: np.ndarray,
    capacity: np.ndarray,
    mu: float,
) -> Allocation:
    """Allocate offered volumes over routes by logit under capacity limits.

    Args:
        offered: q[s] >= 0, volume each shipment offers (unit/yr).
        value: netback value per unit of each shipment (USD/unit); +inf for none.
        allowed: bool [s, r], routes a shipment may use.
        cost: generalized cost per route (USD/unit).
        capacity: residual capacity per route (unit/yr), >= 0.
        mu: logit scale (1 / (USD/unit)).
    """
    n_s, n_r = allowed.shape
    shipped = np.zeros((n_s, n_r))
    remaining = np.asarray(offered, dtype=float).copy()
    cap = np.asarray(capacity, dtype=float).copy()
    open_ = allowed & (cost[None, :] < value[:, None]) & (cap[None, :] > _EPS)
    # Relative utilities: subtract each row's minimum cost for numerical stability.
    util = -mu * cost
    for _ in range(n_r + 1):
        active = (remaining > _EPS) & open_.any(axis=1)
        if not active.any():
            break
        row_max = np.where(open_, util[None, :], -np.inf).max(axis=1, keepdims=True)
        row_max = np.where(np.isfinite(row_max), row_max, 0.0)
        # exp of closed routes' (possibly huge) utilities is never taken: no overflow warnings
        w = np.exp(np.where(open_, util[None, :] - row_max, -np.inf))
        w_sum = w.sum(axis=1, keepdims=True)
        demand = np.where(w_sum > 0, remaining[:, None] * w / np.where(w_sum > 0, w_sum, 1.0), 0.0)
        demand[~active] = 0.0
        total = demand.sum(axis=0)
        over = total > cap + _EPS
        if not over.any():
            shipped += demand
            remaining -= demand.sum(axis=1)
            break
        ratio = np.where(over, cap / np.where(total > 0, total, 1.0), 0.0)
        fill = demand * ratio[None, :]
        shipped += fill
        remaining -= fill.sum(axis=1)
        cap = np.where(over, 0.0, cap)
        open_ &= ~over[None, :]
    remaining = np.maximum(remaining, 0.0)
    return Allocation(shipped=shipped, lost=remaining)


def place_commitments(
    offered: np.ndarray, committed: np.ndarray, capacity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Contracted volumes that can be shipped, and the capacity-feasible commitments.

    Args:
        offered: q[s] unit/yr; committed: c[s, r] >= 0 unit/yr; capacity: unit/yr.
    Returns:
        (firm[s, r], feasible[s, r]): feasible = commitments scaled to the route's
        capacity (a cut route is force majeure), firm = feasible scaled to what the
        shipper offers.
    """
    total = committed.sum(axis=0)
    room = np.where(total > capacity, capacity / np.where(total > 0, total, 1.0), 1.0)
    feasible = committed * room[None, :]
    want = feasible.sum(axis=1)
    have = np.where(want > offered, offered / np.where(want > 0, want, 1.0), 1.0)
    return feasible * have[:, None], feasible


def allocate_with_contracts(
    offered: np.ndarray,
    value: np.ndarray,
    allowed: np.ndarray,
    cost: np.ndarray,
    capacity: np.ndarray,
    mu: float,
    committed: np.ndarray | None,
) -> Allocation:
    """Contracted volumes first, then the capacity-constrained logit for the rest (see module)."""
    if committed is None or not committed.any():
        return allocate(offered, value, allowed, cost, capacity, mu)
    firm, _ = place_commitments(offered, committed, capacity)
    rest = allocate(
        np.maximum(offered - firm.sum(axis=1), 0.0),
        value,
        allowed,
        cost,
        np.maximum(capacity - firm.sum(axis=0), 0.0),
        mu,
    )
    return Allocation(shipped=rest.shipped + firm, lost=rest.lost, firm=firm)

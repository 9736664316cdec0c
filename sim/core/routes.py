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

Generalized cost (`generalized_cost`): tariff + a fixed risk premium + transit time x value of
time + a **political risk premium** for routes through sanctioned or coercing states (`political_risk`).

Invariants: shipped >= 0; per-route sum <= capacity; shipped + lost = offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

_EPS = 1e-12
DENSE_CELLS = 4096
"""Shipment x route matrices up to this many cells are copied whole in counterfactuals (cheaper than
the bookkeeping of `PatchedAllocation` at that size); larger ones are patched per component."""


@dataclass(frozen=True)
class Allocation:
    """Result of one allocation. shipped[s, r] and lost[s] in unit/yr."""

    shipped: np.ndarray
    lost: np.ndarray
    firm: np.ndarray | None = None  # (S, R) contracted volume shipped, unit/yr (None: no contracts)

    @property
    def route_slots(self) -> range:
        """Route indices 0..R-1."""
        return range(self.shipped.shape[1])

    @property
    def route_volume(self) -> np.ndarray:
        """Volume per route (unit/yr)."""
        return self.shipped.sum(axis=0)

    def rows(self, ships: np.ndarray) -> np.ndarray:
        """shipped[ships] (k, R), a copy."""
        return self.shipped[ships]

    def cols(self, routes: np.ndarray) -> np.ndarray:
        """shipped[:, routes] (S, k), a copy."""
        return self.shipped[:, routes]

    def firm_rows(self, ships: np.ndarray) -> np.ndarray:
        """firm[ships] (k, R), zeros without contracts."""
        return np.zeros((len(ships), self.shipped.shape[1])) if self.firm is None else self.firm[ships]

    def firm_cols(self, routes: np.ndarray) -> np.ndarray:
        """firm[:, routes] (S, k), zeros without contracts."""
        return np.zeros((self.shipped.shape[0], len(routes))) if self.firm is None else self.firm[:, routes]


class PatchedAllocation:
    """An allocation equal to `base` except on one route-network component, where `sub` holds.

    A counterfactual re-allocates one component; copying the dense (S, R) matrices for
    that would cost O(S R) per candidate action. Rows and columns inside or outside the
    component are read without copying the whole; the full matrices are built (once) only
    when something asks for them. Same values as the copy-and-overwrite it replaces.
    """

    def __init__(
        self,
        base: Allocation | PatchedAllocation,
        ships: np.ndarray,
        routes: np.ndarray,
        sub: Allocation,
        has_firm: bool,
    ):
        self.base, self.ships, self.routes, self.sub, self.has_firm = base, ships, routes, sub, has_firm
        base_lost: np.ndarray = base.lost
        self.route_slots: Any = base.route_slots
        n_s, n_r = base_lost.shape[0], len(self.route_slots)
        self._ship_pos = np.full(n_s, -1, dtype=np.intp)
        self._ship_pos[ships] = np.arange(len(ships))
        self._route_pos = np.full(n_r, -1, dtype=np.intp)
        self._route_pos[routes] = np.arange(len(routes))
        self.lost: np.ndarray = base_lost.copy()
        self.lost[ships] = sub.lost
        self._full: tuple[np.ndarray, np.ndarray | None] | None = None

    def _materialise(self) -> tuple[np.ndarray, np.ndarray | None]:
        if self._full is None:
            block = np.ix_(self.ships, self.routes)
            shipped = self.base.shipped.copy()
            shipped[block] = self.sub.shipped
            firm = None
            if self.has_firm:
                firm = np.zeros_like(shipped) if self.base.firm is None else self.base.firm.copy()
                firm[block] = self.sub.firm if self.sub.firm is not None else 0.0
            self._full = (shipped, firm)
        return self._full

    @property
    def shipped(self) -> np.ndarray:
        return self._materialise()[0]

    @property
    def firm(self) -> np.ndarray | None:
        return self._materialise()[1]

    @property
    def route_volume(self) -> np.ndarray:
        return self.shipped.sum(axis=0)

    def _sub_firm(self) -> np.ndarray:
        return self.sub.firm if self.sub.firm is not None else np.zeros_like(self.sub.shipped)

    def _rows(self, ships: np.ndarray, firm: bool) -> np.ndarray:
        pos = self._ship_pos[ships]
        inside = pos >= 0
        if self._full is None and (inside.all() or not inside.any()):
            out = (self.base.firm_rows(ships) if firm else self.base.rows(ships)).copy()
            if inside.any():
                out[:, self.routes] = (self._sub_firm() if firm else self.sub.shipped)[pos]
            return out
        full: np.ndarray | None = self.firm if firm else self.shipped
        return np.zeros((len(ships), len(self.route_slots))) if full is None else full[ships]

    def _cols(self, routes: np.ndarray, firm: bool) -> np.ndarray:
        pos = self._route_pos[routes]
        inside = pos >= 0
        if self._full is None and (inside.all() or not inside.any()):
            out = (self.base.firm_cols(routes) if firm else self.base.cols(routes)).copy()
            if inside.any():
                out[self.ships] = (self._sub_firm() if firm else self.sub.shipped)[:, pos]
            return out
        full = self.firm if firm else self.shipped
        return np.zeros((len(self.lost), len(routes))) if full is None else full[:, routes]

    def rows(self, ships: np.ndarray) -> np.ndarray:
        """shipped[ships] (k, R), a copy."""
        return self._rows(np.asarray(ships, dtype=np.intp), False)

    def cols(self, routes: np.ndarray) -> np.ndarray:
        """shipped[:, routes] (S, k), a copy."""
        return self._cols(np.asarray(routes, dtype=np.intp), False)

    def firm_rows(self, ships: np.ndarray) -> np.ndarray:
        """firm[ships] (k, R), zeros without contracts."""
        if not self.has_firm:
            return np.zeros((len(ships), len(self.route_slots)))
        return self._rows(np.asarray(ships, dtype=np.intp), True)

    def firm_cols(self, routes: np.ndarray) -> np.ndarray:
        """firm[:, routes] (S, k), zeros without contracts."""
        if not self.has_firm:
            return np.zeros((len(self.lost), len(routes)))
        return self._cols(np.asarray(routes, dtype=np.intp), True)


def congested_days(
    days: np.ndarray, load: np.ndarray, capacity: np.ndarray, alpha: float, power: float
) -> np.ndarray:
    """Transit days with congestion delay (R,): days x (1 + alpha x min(load / capacity, 1)^power).

    Method: the BPR volume-delay function (Bureau of Public Roads 1964; Cascetta 2009, ch. 2) with
    day-to-day (here month-to-month) adjustment: shippers price last month's congestion (`load`,
    unit/yr, the route's volume last month) at this month's capacity (Cascetta 2009, ch. 7; Horowitz
    1984), so the monthly assignment stays a one-pass logit. A full route (or one with no capacity)
    has the full delay; added capacity lowers the delay before it binds.
    """
    has = capacity > 0
    ratio = np.where(has, np.minimum(load / np.where(has, capacity, 1.0), 1.0), 1.0)
    return days * (1.0 + alpha * ratio**power)


def political_risk(
    tariff: np.ndarray,
    transit: np.ndarray,
    sanctioned: np.ndarray,
    coerced: np.ndarray,
    per_sanctioned: float,
    per_coercion: float,
) -> np.ndarray:
    """Sanctions/transit risk premium per route (R,), USD/unit, as a surcharge on the freight rate.

        premium_r = tariff_r x sum_{k in transit(r)} (per_sanctioned x sanctioned_k
                                                      + per_coercion x coerced_k)

    Method: risk surcharges (war-risk insurance, payment and compliance costs, the chance that a
    transit state holds or seizes the cargo) are quoted as a share of the freight rate, so a state's
    risk scales the tariff of every route crossing it. sanctioned_k (0-1): share of transit state k's
    base-year trade under measures targeting it; coerced_k (0-1): memory of coercive acts by k's pole
    (capped at 1).

    Args:
        tariff: (R,) USD/unit; transit: (R, N) bool; sanctioned, coerced: (N,) 0-1;
        per_sanctioned, per_coercion: surcharge (fraction of the tariff) per unit of each.
    """
    exposure = per_sanctioned * sanctioned + per_coercion * coerced  # (N,)
    return tariff * (transit @ exposure)


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
        cost: generalized cost per route (R,), or per shipment and route (S, R), USD/unit.
        capacity: residual capacity per route (unit/yr), >= 0.
        mu: logit scale (1 / (USD/unit)).
    """
    n_s, n_r = allowed.shape
    shipped = np.zeros((n_s, n_r))
    remaining = np.asarray(offered, dtype=float).copy()
    cap = np.asarray(capacity, dtype=float).copy()
    cost_sr = cost if cost.ndim == 2 else cost[None, :]
    open_ = allowed & (cost_sr < value[:, None]) & (cap[None, :] > _EPS)
    # Relative utilities: subtract each row's minimum cost for numerical stability.
    util = -mu * cost_sr
    for _ in range(n_r + 1):
        active = (remaining > _EPS) & open_.any(axis=1)
        if not active.any():
            break
        masked = np.where(open_, util, -np.inf)
        row_max = masked.max(axis=1, keepdims=True)
        row_max[~np.isfinite(row_max)] = 0.0
        # exp of closed routes' (possibly huge) utilities is never taken: no overflow warnings
        w = np.exp(masked - row_max)
        w_sum = w.sum(axis=1, keepdims=True)
        w_sum[w_sum <= 0] = 1.0  # a row without an open route has w = 0: no demand
        demand = np.where(active, remaining, 0.0)[:, None] * w / w_sum
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

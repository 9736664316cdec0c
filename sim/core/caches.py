"""Every lookup table and memo of a world, in one explicit object (`World.caches`).

Two kinds of entries, each documented with what it depends on:

- lookup tables derived once from the world's arrays (they depend on the world only and never
  change): built when the world is made;
- memos filled during runs, keyed by what their value depends on. A memo never changes a
  result: the same key always gives the same value (tests/test_model.py
  test_world_memos_change_no_result runs a warmed world against one that recomputes everything).
  Memoised arrays are read-only because every caller shares them.

A world, and so its caches, is used by one thread at a time (as everywhere in the core); runs of
the same world in sequence share the memos.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from sim.core.actions import Action, RouteDisruptionAction
    from sim.core.world import World

T = TypeVar("T")

MEMO_SIZE = 4
"""Entries kept per least-recently-used memo (cost factors are (N, N, G) arrays: a few, since big
worlds make them large)."""

ALLOCATIONS_MAX = 2048
"""Component allocations kept (`Caches.allocation`); the memo starts afresh when full."""

DESCRIBED_MAX = 4096
"""Action descriptions kept (`Caches.describe`); the memo starts afresh when full."""


class Caches:
    """Lookup tables and memos of one world (see the module docstring)."""

    def __init__(self, w: World):
        # ---------------------------------------------- lookup tables (depend on the world only)
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n_s, n_r = w.ship_allowed.shape
        comps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if n_s and n_r:
            s_idx, r_idx = np.nonzero(w.ship_allowed)
            graph = coo_matrix((np.ones(len(s_idx)), (s_idx, n_s + r_idx)), shape=(n_s + n_r, n_s + n_r))
            _, label = connected_components(graph, directed=False)
            for r in range(n_r):
                lab = label[n_s + r]
                comps[r] = (np.flatnonzero(label[:n_s] == lab), np.flatnonzero(label[n_s:] == lab))
        self.route_components = comps
        """route index -> (shipments, routes) of its connected component of the route network."""
        self.ships_of = [np.flatnonzero(w.ship_shipper == i) for i in range(w.n)]
        """actor -> indices of the shipments it ships."""
        coalition = None
        for b in w.blocs:
            if b.kind == "sanctions_coalition":
                coalition = np.zeros(w.n, dtype=bool) if coalition is None else coalition
                coalition[list(w.bloc_members[b.name])] = True
        self.coalition: np.ndarray | None = coalition
        """(N,) bool: members of a sanctions coalition, or None without such a bloc."""
        self.transit_routes_of = [np.flatnonzero(w.route_transit[:, i]) for i in range(w.n)]
        """actor -> routes it is a transit state of."""
        n_transit = np.maximum(w.route_transit.sum(axis=1), 1).astype(float)
        self.transit_share_of = [(w.route_fee_share[r], n_transit[r]) for r in self.transit_routes_of]
        """actor -> ((k,) fee shares, (k,) numbers of transit states) of its transit routes."""
        self.ship_value_finite = np.where(np.isfinite(w.ship_value), w.ship_value, 0.0)
        """(S,) netback value per unit, USD/unit, 0 where a shipment has none."""
        self.spend = w.gravity_flows.sum(axis=0)
        """(N, G) importer spending in the base year without measures, USD bn/yr."""
        self.pole_members = w.pole_members().astype(float)
        """(N, P) 1.0 where actor i embodies pole p."""
        self.rest_of_world = int(np.flatnonzero(~w.is_state)[0])
        """Index of the Rest of World actor."""

        # ---------------------------------------------- memos filled during runs
        self.route_users: dict[int, list[int]] = {}
        """route index -> shippers that can use it (sorted); depends on the network only."""
        self.signature_sets: dict[int, tuple[np.ndarray, set[int], set[int]]] = {}
        """actor -> (usable routes, the same as a set, its shipments as a set); network only."""
        self.component_cells: dict[int, Any] = {}
        """route index -> (np.ix_ of its component's (shipments, routes) block, that block of
        ship_allowed, finite netback value per component shipment); network only."""
        self.route_options: dict[tuple[int, int], list[RouteDisruptionAction]] = {}
        """(actor i, pole q) -> q's route cuts against i (sim.core.coercion); network only."""
        self.measure_cells: dict[Any, list[np.ndarray]] = {}
        """sanction measure (sim.core.sanctions.Measure, by value) -> flat indices of its cells."""
        self.goods_shipments: tuple[np.ndarray, dict[tuple[int, int], np.ndarray]] | None = None
        """Shipments carrying a good, and their rows per (shipper, good); network only."""
        self.base_year_flows: np.ndarray | None = None
        """(N, N, G) base-year flows without measures (read-only); the world only."""
        self.base_month: tuple[Any, np.ndarray] | None = None
        """(key, value) of the last month's gravity flows without measures; key: (month index,
        price factors in force): the value depends on nothing else."""
        self.contract_terms: dict[tuple[Any, ...], Any] = {}
        """contracts in force (a tuple of sim.core.policy.Contract, by value) -> their arrays;
        oldest entry dropped beyond MEMO_SIZE."""
        self.last_sanctioned: tuple[tuple[Any, ...], np.ndarray] | None = None
        """(measures in force, their `route_economy.sanctioned_share`): the last result, matched by the
        measures' identity (the memo below hashes every measure)."""
        self.last_political: tuple[Any, tuple[Any, ...], np.ndarray] | None = None
        """(policy.political_distance array, active agreements, `economy.trade_cost_factor`): the last
        result, matched by the array's identity (it is replaced, never written, and held here)."""
        self.memos: dict[str, dict[tuple[Any, ...], Any]] = {
            "cost_factors": {},  # sanction measures in force (tuple, by value) -> (N, N, G) tau
            "export_controls": {},  # the coalition's measures (tuple) -> (N, N, G) bool mask
            "expected_penalty": {},  # secondary measures in force (tuple) -> expected penalties
            "sanctioned_share": {},  # sanction measures in force (tuple) -> (N,) share of trade under them
        }
        """Least-recently-used memos (`memo`), by name: key -> read-only array."""
        self.allocations: dict[tuple[Any, ...], Any] = {}
        """(component, its allocation inputs as bytes) -> the component's `routes.Allocation`
        (read-only arrays): counterfactuals re-allocate the same component under the same
        conditions many times a round (every pole's route cut of every candidate). Emptied when a
        model starts (`reset_run_memos`): a run's figures never depend on an earlier run's."""
        self.described: dict[Action, str] = {}
        """action (by value: equal actions have equal descriptions) -> `Action.describe()`."""

    def memo(self, name: str, key: tuple[Any, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        """`compute()` for `key` in memo `name`, kept read-only in a small least-recently-used memo.

        The measures in force change a few times a run, but every month and every sanction
        candidate rebuilds their cost factors, export-control mask and expected penalties: same
        inputs, same array.
        """
        memo = self.memos[name]
        if key in memo:
            value: np.ndarray = memo.pop(key)
            memo[key] = value  # most recently used last
            return value
        value = compute()
        value.flags.writeable = False  # shared by every caller: must not be changed in place
        memo[key] = value
        while len(memo) > MEMO_SIZE:
            memo.pop(next(iter(memo)))
        return value

    def reset_run_memos(self) -> None:
        """Empty the memos kept for one run only (`allocations`)."""
        self.allocations.clear()

    def allocation(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()` for `key` (every input of a component's allocation, by value), memoised."""
        memo = self.allocations
        value = memo.get(key)
        if value is None:
            if len(memo) >= ALLOCATIONS_MAX:
                memo.clear()
            value = memo[key] = compute()
        return value

    def describe(self, action: Action) -> str:
        """`action.describe()`, once per distinct action: menu items are scored every round and a
        scenario's events fire in every run of it, unchanged."""
        text = self.described.get(action)
        if text is None:
            if len(self.described) >= DESCRIBED_MAX:
                self.described.clear()
            text = self.described[action] = action.describe()
        return text

"""The core's vocabulary: action types and the compiled records of a scenario (plain dataclasses).

The scenario layer validates a file against its schema (sim/scenario/schema.py) and
compiles it into these records (sim/scenario/compile.py); the run reads only these. Field names
equal the schema's, so compiling is generic (`ACTION_TYPES[tag](**fields)`), and lists become
tuples so that every action is hashable (memo keys). Units as in the schema: money in USD bn,
volumes in the route unit per year, durations and lags in months.

Class attributes describe what an action type touches, for the decision shortcuts
(sim.core.counterfactual, sim.core.agents): `changes_routes` (route conditions: re-allocate the
route network), `changes_trade` (sanctions in force: trade costs), `changes_diversion`
(re-export conditions), `changes_prices` (world prices:
recompute every market), `targets_route_users` (aimed at the shippers that can use its route).
`pressure()` says how coercive an action is (0-1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

Goods = tuple[str, ...] | Literal["all"]


def secondary_intensity(detection_probability: float) -> float:
    """Pressure intensity of a secondary-sanction threat or detection: 10 x monthly detection, capped at 1.

    Assumption: a 5 %/month detection risk (a detection within ~2 years) is half of maximal pressure.
    """
    return min(1.0, detection_probability * 10.0)


def _plain(value: Any) -> Any:
    """JSON-ready form of a field value: actions as dicts without None fields, tuples as lists."""
    if isinstance(value, Action):
        return value.as_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """Base of every action type: an optional note and source (recorded, never read by the model)."""

    type: ClassVar[str] = ""
    changes_routes: ClassVar[bool] = False
    changes_trade: ClassVar[bool] = False
    changes_diversion: ClassVar[bool] = False
    targets_route_users: ClassVar[bool] = False
    changes_prices: ClassVar[bool] = False

    note: str | None = None
    source: str | None = None

    def pressure(self) -> float:
        """How coercive the action is, 0-1 (0 for inducements, signals and investment)."""
        return 0.0

    def as_dict(self, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields with a value (None left out), `type` included: the schema's
        `model_dump(exclude_none=True)` of the same action."""
        out: dict[str, Any] = {"type": self.type}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None and f.name not in exclude:
                out[f.name] = _plain(v)
        return out

    def describe(self) -> str:
        """The decisions and actions tables' `parameters` / `action` text: sorted JSON without note/source."""
        return json.dumps(self.as_dict(("note", "source")), sort_keys=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class SanctionAction(Action):
    type: ClassVar[str] = "sanction"
    changes_trade: ClassVar[bool] = True
    sender: str
    target: str
    goods: Goods = "all"
    direction: Literal["exports", "imports", "both"] = "exports"
    measure: Literal["ban", "ad_valorem"] = "ban"
    rate: float = 0.0
    label: str | None = None

    def pressure(self) -> float:
        return 1.0 if self.measure == "ban" else min(self.rate, 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class LiftSanctionAction(Action):
    type: ClassVar[str] = "lift_sanction"
    changes_trade: ClassVar[bool] = True
    sender: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondarySanctionAction(Action):
    type: ClassVar[str] = "secondary_sanction"
    changes_diversion: ClassVar[bool] = True
    sender: str
    target: str
    goods: Goods = "all"
    detection_probability: float
    penalty_usd_bn: float

    def pressure(self) -> float:
        return secondary_intensity(self.detection_probability)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteDisruptionAction(Action):
    type: ClassVar[str] = "route_disruption"
    changes_routes: ClassVar[bool] = True
    targets_route_users: ClassVar[bool] = True
    actor: str | None = None
    route: str
    capacity_factor: float = 0.0
    duration_months: int = 1

    def pressure(self) -> float:
        return 1.0 - self.capacity_factor


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteRepriceAction(Action):
    type: ClassVar[str] = "route_reprice"
    changes_routes: ClassVar[bool] = True
    targets_route_users: ClassVar[bool] = True
    actor: str | None = None
    route: str
    tariff_factor: float
    duration_months: int | None = None

    def pressure(self) -> float:
        return min(1.0, max(0.0, (self.tariff_factor - 1.0) / 4.0))


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteInvestmentAction(Action):
    type: ClassVar[str] = "route_investment"
    changes_routes: ClassVar[bool] = True
    targets_route_users: ClassVar[bool] = True
    actor: str
    route: str
    capacity_added: float
    lag_months: int
    cost_usd_bn: float


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeAgreementAction(Action):
    """A trade/transit facilitation agreement: the pair's trade-cost factor x (1 - cut) after the lag."""

    type: ClassVar[str] = "trade_agreement"
    changes_trade: ClassVar[bool] = True
    actor: str
    partner: str
    trade_cost_cut: float
    goods: Goods = "all"
    lag_months: int = 0
    duration_months: int | None = None
    cost_usd_bn: float = 0.0
    label: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InducementAction(Action):
    type: ClassVar[str] = "inducement"
    sender: str
    target: str
    amount_usd_bn: float
    duration_months: int = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityAction(Action):
    type: ClassVar[str] = "security_guarantee"
    sender: str
    target: str
    level: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandAction(Action):
    type: ClassVar[str] = "demand"
    sender: str
    target: str
    issue: str
    intensity: float = 0.5
    on_concede: tuple[Action, ...] = ()
    on_refuse: tuple[Action, ...] = ()
    counter: tuple[Action, ...] = ()
    deadline_months: int = 3

    def pressure(self) -> float:
        return self.intensity

    @property
    def negotiates(self) -> bool:
        """True if something is at stake (concession, counter-offer or threat): the demand opens a
        negotiation (sim.core.bargaining); False for a bare demand, which is pressure only."""
        return bool(self.on_concede or self.on_refuse or self.counter)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnforcementAction(Action):
    type: ClassVar[str] = "enforcement"
    changes_diversion: ClassVar[bool] = True
    actor: str
    level: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalAction(Action):
    type: ClassVar[str] = "signal"
    actor: str
    toward: str
    against: str | None = None
    strength: float = 0.3


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractAction(Action):
    type: ClassVar[str] = "contract"
    changes_routes: ClassVar[bool] = True
    actor: str
    shipment: str
    route: str
    volume_per_year: float
    duration_months: int
    tariff_usd_per_unit: float | None = None
    take_or_pay: float = 0.0
    buyer: str | None = None
    cost_usd_bn: float = 0.0
    label: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeChangeAction(Action):
    type: ClassVar[str] = "volume_change"
    changes_routes: ClassVar[bool] = True
    actor: str | None = None
    shipment: str
    factor: float
    duration_months: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceChangeAction(Action):
    type: ClassVar[str] = "price_change"
    changes_prices: ClassVar[bool] = True
    good: str
    factor: float
    duration_months: int | None = None


ACTION_TYPES: dict[str, type[Action]] = {
    c.type: c
    for c in (
        SanctionAction,
        LiftSanctionAction,
        SecondarySanctionAction,
        RouteDisruptionAction,
        RouteRepriceAction,
        RouteInvestmentAction,
        TradeAgreementAction,
        InducementAction,
        SecurityAction,
        DemandAction,
        EnforcementAction,
        SignalAction,
        ContractAction,
        VolumeChangeAction,
        PriceChangeAction,
    )
}
"""Type tag (the schema's `type:`) -> action class."""


def action_from_dict(data: dict[str, Any]) -> Action:
    """An action from its schema dump (`model_dump()`): by type tag; nested actions and lists
    compiled recursively (lists become tuples)."""
    kwargs = {k: _from_plain(v) for k, v in data.items() if k != "type"}
    return ACTION_TYPES[data["type"]](**kwargs)


def _from_plain(value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") in ACTION_TYPES:
        return action_from_dict(value)
    if isinstance(value, list):
        return tuple(_from_plain(v) for v in value)
    return value


# ----------------------------------------------------------------------- compiled records
@dataclass(frozen=True, slots=True)
class Event:
    """A scripted action at month index `month` (0 = the run's first month)."""

    month: int
    action: Action
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Hazard:
    """A stochastic action: each month from `active_from` (month index) it fires with
    probability 1 - exp(-rate_per_year / 12)."""

    name: str
    rate_per_year: float
    action: Action
    active_from: int = 0


@dataclass(frozen=True, slots=True)
class Contingency:
    """A trigger rule: when route `route` (index) has had capacity in force below `share` of its
    built capacity for `months` consecutive months, `action` is taken, once per episode, at most
    `max_times` in a run."""

    name: str
    route: int
    share: float
    months: int
    action: Action
    max_times: int = 1


@dataclass(frozen=True, slots=True)
class MenuItem:
    """A candidate action in a decider's menu; availability as month indices (inclusive, None: always)."""

    name: str
    action: Action
    cooldown_months: int = 0  # no cooldown unless the scenario states one (with its reason)
    available_from: int | None = None
    available_until: int | None = None

    def available(self, month: int) -> bool:
        """Inside the availability window at month index `month`."""
        return (self.available_from is None or month >= self.available_from) and (
            self.available_until is None or month <= self.available_until
        )


@dataclass(frozen=True, slots=True)
class Decisions:
    """Decision settings: on/off, every `every_months` months from month index `start`, the menus
    (actor or bloc name -> items)."""

    enabled: bool = True
    every_months: int = 3
    start: int = 0
    menus: dict[str, tuple[MenuItem, ...]] | None = None


@dataclass(frozen=True, slots=True)
class Bloc:
    """A bloc as the run reads it: kind, members (names), vote weights (None: GDP-weighted), threshold."""

    name: str
    kind: str
    members: tuple[str, ...]
    vote_weights: dict[str, float] | None = None
    threshold: float = 0.5
    internal_tariff: float = 0.0
    security_guarantee: float = 0.0

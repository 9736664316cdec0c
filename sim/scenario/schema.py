"""Typed scenario file models (pydantic v2).

A scenario file is YAML; after `extends:` merging it must validate against
`ScenarioSpec`. Unknown keys are rejected (extra="forbid"), so typos surface
with the list of valid keys. Cross-references (actor, route, good names; dates
inside the horizon) are checked by `ScenarioSpec` validators so that every
error carries a field path.

Units: money in USD bn per year unless a name says otherwise; physical volumes
in the good's or route's `unit` per year (Mt/yr for oil and freight, bcm/yr
for gas); prices and tariffs in USD per physical unit (USD/t, USD/1000 m3).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.params import Parameters
from sim.scenario.schema_actions import (  # re-exported: the schema's public names live here too
    Action,
    ContractAction,
    DemandAction,
    EnforcementAction,
    InducementAction,
    LiftSanctionAction,
    PriceChangeAction,
    RouteDisruptionAction,
    RouteInvestmentAction,
    RouteRepriceAction,
    SanctionAction,
    SecondarySanctionAction,
    SecurityAction,
    SignalAction,
    TradeAgreementAction,
    VolumeChangeAction,
)
from sim.scenario.schema_base import (
    AS_OF_DOC,
    COVERS_DOC,
    MONTH_RE,
    SHARE_TOLERANCE,
    Month,
    Strict,
    _check_covers,
    _check_month,
    _check_optional_month,
    month_index,
)
from sim.seeds import SEED_MAX

# Public names, including those defined in schema_base / schema_actions (importable from here).
__all__ = [
    "MONTH_RE",
    "PATH_SERIES",
    "SHARE_TOLERANCE",
    "Action",
    "ActorSpec",
    "BlocSpec",
    "ContractAction",
    "DecisionSpec",
    "DemandAction",
    "EnforcementAction",
    "EventSpec",
    "GoodSpec",
    "HazardSpec",
    "InducementAction",
    "LiftSanctionAction",
    "MenuItem",
    "Month",
    "PathRow",
    "PathsSpec",
    "PriceChangeAction",
    "RouteDisruptionAction",
    "RouteInvestmentAction",
    "RouteRepriceAction",
    "RouteSpec",
    "SanctionAction",
    "ScenarioSpec",
    "SecondarySanctionAction",
    "SecurityAction",
    "ShipmentSpec",
    "SignalAction",
    "TradeAgreementAction",
    "TradeSpec",
    "VolumeChangeAction",
    "month_index",
]


# ----------------------------------------------------------------------------- actors
class ActorSpec(Strict):
    """A state or bloc actor (agent) and its behavioural traits."""

    name: str
    kind: Literal["state", "rest_of_world"] = "state"
    pole: str | None = Field(None, description="The pole this actor embodies (e.g. Russia, West), if any.")
    gdp_usd_bn: float = Field(gt=0, le=1e6, description="Nominal GDP, USD bn (2021).")
    alignment: dict[str, float] = Field(
        description="Initial position over the poles; non-negative, sums to 1."
    )
    hedging_weight: float = Field(
        0.0,
        ge=0,
        le=100,
        description=(
            "The multi-vector trait: weight on the expected loss from coercion by each pole (USD bn per USD "
            "bn, sim/core/coercion.py), so diversification and not provoking the pole that controls one's "
            "exports have value; also damps alignment pulls (not pushes) by 1 + alignment_hedging_damping x "
            "weight and drives alignment away from poles it has come to expect coercion from "
            "(threat force, docs/model.md)."
        ),
    )
    security_dependence: dict[str, float] = Field(
        default_factory=dict, description="Dependence on each pole for security, 0-1 (e.g. CSTO -> Russia)."
    )
    compliance_propensity: float = Field(
        0.5, ge=0, le=1, description="Disposition to comply with others' sanctions, 0-1."
    )
    elite_reexport_interest: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Elite stake in grey re-exports (seed 001), 0-1: weight on re-export margins.",
    )
    risk_tolerance: float = Field(0.5, ge=0, le=1, description="Tolerance of expected penalties, 0-1.")
    sovereignty_sensitivity: float = Field(
        0.5, ge=0, le=1, description="Resentment of pressure, 0-1: drives backlash in alignment."
    )
    enforcement: float = Field(
        0.0, ge=0, le=1, description="Initial enforcement against re-export of sanctioned goods, 0-1."
    )
    security_weight: float = Field(1.0, ge=0, le=100, description="Weight of the security term in decisions.")
    alignment_weight: float = Field(
        1.0, ge=0, le=100, description="Weight of the alignment/identity term in decisions."
    )

    @field_validator("alignment")
    @classmethod
    def _simplex(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()):
            raise ValueError("alignment shares must be >= 0")
        total = sum(v.values())
        if abs(total - 1.0) > 1e-3:
            raise ValueError(f"alignment shares must sum to 1, got {total:.4f}")
        return v

    @field_validator("security_dependence")
    @classmethod
    def _unit_interval(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not 0 <= x <= 1:
                raise ValueError(f"security_dependence[{k}] must be in [0, 1], got {x}")
        return v


class BlocSpec(Strict):
    """A membership with rules: customs union, security pact, sanctions coalition."""

    name: str
    kind: Literal["customs_union", "security", "sanctions_coalition", "affinity", "outreach"]
    members: list[str] = Field(min_length=1)
    vote_weights: dict[str, Annotated[float, Field(ge=0, le=1e6)]] | None = Field(
        None, description="Voting weights for collective decisions; default GDP-weighted."
    )
    threshold: float = Field(
        0.5, gt=0, le=1, description="Weighted support needed to pass a collective measure."
    )
    internal_tariff: float = Field(
        0.0, ge=0, le=10, description="Ad valorem trade cost between members (customs union: 0)."
    )
    security_guarantee: float = Field(
        0.0, ge=0, le=1, description="Security a security bloc provides to members (0-1)."
    )


class GoodSpec(Strict):
    """A traded sector. Values in USD bn per year."""

    name: str
    unit: str | None = Field(None, description="Physical unit if routes carry it (Mt, bcm).")
    price_usd_per_unit: float | None = Field(
        None,
        gt=0,
        le=1e6,
        description="World price per physical unit (USD/t, USD per 1000 m3), for route-carried goods.",
    )
    dual_use: bool = Field(
        False, description="High-priority / sanctioned category (chips, drones, electronics)."
    )
    price_year: int | None = Field(
        None,
        ge=1900,
        le=2200,
        description=(
            "Year whose price `price_usd_per_unit` (and shipments' `value_usd_per_unit`) quote; with a "
            "`price` time path the value in month t is scaled by price(t) / price(price_year). "
            "Default: the trade base year."
        ),
    )


class TradeSpec(Strict):
    """Where the baseline bilateral flows come from."""

    baseline_file: str = Field(
        description=(
            "CSV with exporter, importer, good, value_usd_bn, source (path relative to the scenario file)."
        )
    )
    base_year: int = Field(2021, ge=1900, le=2200, description="Year of the baseline flows.")


class RouteSpec(Strict):
    """One path of the transport network (pipeline, rail, sea leg chain)."""

    name: str
    mode: Literal["pipeline", "rail", "sea", "road", "multimodal"]
    unit: str = Field(description="Physical unit carried, e.g. Mt or bcm.")
    nodes: list[str] = Field(
        default_factory=list, description="Hubs along the path, for documentation and plots."
    )
    destination: str = Field(description="Actor whose market the route delivers to.")
    buyers: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description=(
            "Shares of the delivered volume booked as imports of each actor (sum 1); default: all to the "
            "destination. E.g. CPC blend loaded at Novorossiysk is sold to the EU and beyond."
        ),
    )
    transit: list[str] = Field(
        default_factory=list, description="Transit states that can cut or price the route."
    )
    capacity_per_year: float = Field(ge=0, le=1e4, description="Capacity, unit per year.")
    tariff_usd_per_unit: float = Field(ge=0, le=1e6, description="Transport tariff, USD per unit.")
    risk_premium_usd_per_unit: float = Field(
        0.0, ge=0, le=1e6, description="Risk premium in the generalized cost, USD per unit."
    )
    transit_fee_share: float = Field(
        0.3, ge=0, le=1, description="Share of the tariff earned by transit states (split equally)."
    )
    transit_days: float = Field(
        0.0,
        ge=0,
        le=365,
        description="Door-to-door transit time, days; priced at parameter value_of_time_usd_per_unit_day.",
    )
    source: str | None = None
    as_of: Month | None = Field(None, description=AS_OF_DOC)
    covers: str | None = Field(None, description=COVERS_DOC)

    _as_of = field_validator("as_of", mode="before")(classmethod(lambda cls, v: _check_optional_month(v)))
    _covers = field_validator("covers", mode="before")(classmethod(lambda cls, v: _check_covers(v)))


class ShipmentSpec(Strict):
    """A volume a shipper offers to the route network each year."""

    name: str
    shipper: str
    good: str | None = Field(None, description="If set, shipped value enters bilateral trade of this good.")
    volume_per_year: float = Field(ge=0, le=1e4, description="Offered volume, route unit per year.")
    value_usd_per_unit: float | None = Field(
        None,
        gt=0,
        le=1e6,
        description="Netback value per unit; default the good's price. Routes costing more are unused.",
    )
    growth_per_year: float = Field(
        0.0, ge=-0.5, le=0.5, description="Annual growth of the offered volume (fraction)."
    )
    tariff_share: dict[str, Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=dict,
        description=(
            "Share of a named route's tariff (USD/unit) this shipment pays (routes not named: 1): a "
            "shorter or bulk haul on a corridor whose tariff is quoted for through containers. The "
            "political risk premium, a surcharge on the tariff, scales with it; the fixed risk premium "
            "and transit time do not."
        ),
    )
    routes: list[str] = Field(min_length=1)
    source: str | None = None
    as_of: Month | None = Field(None, description=AS_OF_DOC)
    covers: str | None = Field(None, description=COVERS_DOC)

    _as_of = field_validator("as_of", mode="before")(classmethod(lambda cls, v: _check_optional_month(v)))
    _covers = field_validator("covers", mode="before")(classmethod(lambda cls, v: _check_covers(v)))


class EventSpec(Strict):
    """A scripted action at a date (exogenous policy or an event from the articles)."""

    name: str | None = Field(
        None, description="Optional unique name; a child scenario removes it with {name: X, remove: true}."
    )
    date: Month
    action: Action
    as_of: Month | None = Field(None, description=AS_OF_DOC)

    _month = field_validator("date", mode="before")(classmethod(lambda cls, v: _check_month(v)))
    _as_of = field_validator("as_of", mode="before")(classmethod(lambda cls, v: _check_optional_month(v)))


class HazardSpec(Strict):
    """A stochastic event: each month it fires with probability 1 - exp(-rate/12)."""

    name: str
    rate_per_year: float = Field(ge=0, le=1000, description="Expected firings per year.")
    action: Action
    active_from: Month | None = None

    _month = field_validator("active_from", mode="before")(
        classmethod(lambda cls, v: None if v is None else _check_month(v))
    )


class ContingencyTrigger(Strict):
    """When a rule fires: a route's capacity in force stays below a share of its built capacity."""

    route: str = Field(description="The route watched (a name in routes).")
    capacity_share_below: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Fires while capacity in force / built capacity is below this share (0-1].",
    )
    for_months: int = Field(ge=1, le=120, description="Consecutive months below the share before it fires.")


class ContingencySpec(Strict):
    """A pre-committed trigger rule of an actor ("if CPC is down for N months, charter X Mt/yr of
    Trans-Caspian tankers"): its action is taken at the end of the month the trigger is met, once
    per episode (the rule re-arms when the route is back above the share), at most `max_times`.
    No decision, no draw: the rule is the actor's plan, so its `reason` says whose plan it is and
    why."""

    name: str
    enabled: bool = Field(True, description="false: the rule is kept in the file but never fires (a lever).")
    when: ContingencyTrigger
    action: Action
    max_times: int = Field(
        1,
        ge=1,
        le=1000,
        description=(
            "Times the rule may fire in a run: 1 = a plan carried out once (a charter, a build that "
            "stays); more for a response repeated each outage (a temporary measure)."
        ),
    )
    reason: str = Field(
        min_length=1, description="Why the actor has this plan (source or 'assumption: why')."
    )


class MenuItem(Strict):
    """A candidate action in an actor's decision menu.

    Nothing here shapes behaviour by default: an item can be chosen again in any round (no
    cooldown) and at any time (no window). A cooldown or a window is a fact that closes the
    option (a legal or physical lag), so it needs a `reason` (and a `source` or "assumption: why").
    """

    name: str
    action: Action
    cooldown_months: int = Field(
        0,
        ge=0,
        le=1200,
        description="Months before the same item can be chosen again (default 0: no cooldown; "
        "a positive value needs a reason).",
    )
    available_from: Month | None = Field(
        None, description="First month the item can be chosen (default: always; needs a reason)."
    )
    available_until: Month | None = Field(
        None, description="Last month the item can be chosen (default: always; needs a reason)."
    )
    reason: str | None = Field(
        None,
        description="Why the cooldown or window exists (the fact, legal or physical lag closing it).",
    )
    source: str | None = Field(None, description="Source of the reason, or 'assumption: why'.")

    _months = field_validator("available_from", "available_until", mode="before")(
        classmethod(lambda cls, v: None if v is None else _check_month(v))
    )

    @model_validator(mode="after")
    def _scaffolding_has_a_reason(self) -> MenuItem:
        shaped = (
            self.cooldown_months > 0 or self.available_from is not None or self.available_until is not None
        )
        if shaped and not (self.reason and self.source):
            raise ValueError(
                "a cooldown_months or availability window needs a 'reason' (the fact that closes the "
                "option, e.g. a legal or physical lag) and a 'source' (or 'assumption: why')"
            )
        return self


class DecisionSpec(Strict):
    enabled: bool = True
    every_months: int = Field(3, ge=1, le=1200, description="Decision frequency, months.")
    start: Month | None = Field(
        None,
        description="First month in which actors decide (default: the scenario start); before it, "
        "only scripted events and hazards act (e.g. history as it happened).",
    )
    menus: dict[str, list[MenuItem]] = Field(
        default_factory=dict,
        description="Actor or bloc name -> candidate actions (a bloc decides by weighted vote).",
    )

    _month = field_validator("start", mode="before")(
        classmethod(lambda cls, v: None if v is None else _check_month(v))
    )


PATH_SERIES = ("real_gdp_growth", "price", "volume")


class PathRow(Strict):
    """One year of an exogenous time path (see `PathsSpec`)."""

    series: Literal["real_gdp_growth", "price", "volume"]
    name: str = Field(description="Actor (real_gdp_growth), good (price) or shipment (volume).")
    year: int = Field(ge=1900, le=2200)
    value: float = Field(ge=-100, le=1e7)
    unit: str = ""
    source: str = ""
    as_of: Month | None = Field(None, description=AS_OF_DOC)

    _as_of = field_validator("as_of", mode="before")(classmethod(lambda cls, v: _check_optional_month(v)))


class PathsSpec(Strict):
    """Exogenous time paths: real GDP growth per actor, prices per good, volumes per shipment.

    `file` (CSV with columns series, name, year, value, unit, source; relative to the
    file declaring it) is read by the loader into `series`; rows given inline in
    `series` replace file rows of the same series, name and year. Semantics:
    real_gdp_growth in % per year (importer spending on good g scales with the real
    GDP index x the price index of g); price in USD per unit (or any index) per year,
    relative to the trade base year for trade values and to the good's price_year for
    route netbacks; volume in the route unit per year (replaces the shipment's
    volume_per_year and growth_per_year). Annual values sit at mid-year and are
    interpolated geometrically by month; before the first and after the last year the
    nearest year's value (volume, price) or growth (GDP) is held.
    """

    file: str | None = None
    series: list[PathRow] = Field(default_factory=list)


class ScenarioSpec(Strict):
    """A full scenario after `extends:` merging."""

    name: str
    description: str = ""
    start: Month
    end: Month
    seed: int = Field(1, ge=0, le=SEED_MAX)
    poles: list[str] = Field(min_length=2)
    parameters_file: str | None = Field(None, description="YAML of calibrated parameters (relative path).")
    parameters: Parameters = Field(default_factory=Parameters)
    actors: list[ActorSpec] = Field(min_length=2)
    blocs: list[BlocSpec] = Field(default_factory=list)
    goods: list[GoodSpec] = Field(min_length=1)
    trade: TradeSpec
    paths: PathsSpec | None = Field(None, description="Exogenous time paths (GDP growth, prices, volumes).")
    routes: list[RouteSpec] = Field(default_factory=list)
    shipments: list[ShipmentSpec] = Field(default_factory=list)
    events: list[EventSpec] = Field(default_factory=list)
    hazards: list[HazardSpec] = Field(default_factory=list)
    contingencies: list[ContingencySpec] = Field(
        default_factory=list,
        description=(
            "Trigger rules: an action taken when a route stays short for N months (a plan, not a decision)."
        ),
    )
    decisions: DecisionSpec = Field(default_factory=DecisionSpec)

    _months = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: _check_month(v)))

    @model_validator(mode="after")
    def _cross_references(self) -> ScenarioSpec:
        from sim.scenario.references import check_references

        check_references(self)
        return self

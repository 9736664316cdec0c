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

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.params import Parameters
from sim.seeds import SEED_MAX

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SHARE_TOLERANCE = 1e-6


class Strict(BaseModel):
    """Base: unknown keys are errors; instances are immutable; NaN and infinity are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def month_index(month: str) -> int:
    """Months since year 0 for a 'YYYY-MM' string (for ordering and offsets)."""
    m = MONTH_RE.match(month)
    if m is None:
        raise ValueError(f"expected a month as 'YYYY-MM', got {month!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _check_month(value: object) -> str:
    """Accept 'YYYY-MM' (YAML may give a date for '2022-01-01'; we refuse it)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a month as a 'YYYY-MM' string, got {value!r}")
    month_index(value)
    return value


Month = Annotated[str, Field(description="Calendar month 'YYYY-MM'")]

AS_OF_DOC = (
    "Month 'YYYY-MM' in which the source of this input was published (what was known when). A "
    "scenario that claims a knowledge cut-off (the baseline: end of 2022) uses only inputs with "
    "as_of up to that month (tests/test_baseline_as_of.py)."
)
COVERS_DOC = (
    "Period the figure measures ('YYYY' or 'YYYY-MM'), when it differs from as_of: e.g. a full-year "
    "2022 statistic published in 2023-01 covers '2022'."
)


def _check_optional_month(value: object) -> str | None:
    return None if value is None else _check_month(value)


def _check_covers(value: object) -> str | None:
    """'YYYY' or 'YYYY-MM' (YAML may give an int for a year)."""
    if value is None:
        return None
    text = str(value)
    if re.fullmatch(r"\d{4}", text):
        return text
    return _check_month(text)


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
            "exports have value; also damps alignment pulls by 1 + alignment_hedging_damping x weight."
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
    routes: list[str] = Field(min_length=1)
    source: str | None = None
    as_of: Month | None = Field(None, description=AS_OF_DOC)
    covers: str | None = Field(None, description=COVERS_DOC)

    _as_of = field_validator("as_of", mode="before")(classmethod(lambda cls, v: _check_optional_month(v)))
    _covers = field_validator("covers", mode="before")(classmethod(lambda cls, v: _check_covers(v)))


# ---------------------------------------------------------------------------- actions
class _Action(Strict):
    note: str | None = None
    source: str | None = None


class SanctionAction(_Action):
    type: Literal["sanction"]
    sender: str = Field(description="Actor or bloc imposing the measure; a bloc's members inherit it.")
    target: str
    goods: list[str] | Literal["all"] = "all"
    direction: Literal["exports", "imports", "both"] = "exports"
    measure: Literal["ban", "ad_valorem"] = "ban"
    rate: float = Field(
        0.0, ge=0, le=10, description="Ad valorem cost (0.25 = 25 %) when measure is ad_valorem."
    )
    label: str | None = Field(None, description="Name to lift it by later.")


class LiftSanctionAction(_Action):
    type: Literal["lift_sanction"]
    sender: str
    label: str


class SecondarySanctionAction(_Action):
    type: Literal["secondary_sanction"]
    sender: str
    target: str = Field(description="Intermediary exposed to secondary sanctions.")
    goods: list[str] | Literal["all"] = "all"
    detection_probability: float = Field(
        ge=0, le=1, description="Chance per month that re-exports are detected."
    )
    penalty_usd_bn: float = Field(
        ge=0, le=1e4, description="Penalty when detected (lost access, bank exits), USD bn."
    )


class RouteDisruptionAction(_Action):
    type: Literal["route_disruption"]
    actor: str | None = Field(None, description="Who disrupts (a transit state), or none for accidents.")
    route: str
    capacity_factor: float = Field(0.0, ge=0, le=1, description="Remaining share of capacity.")
    duration_months: int = Field(1, ge=1, le=1200)


class RouteRepriceAction(_Action):
    type: Literal["route_reprice"]
    actor: str | None = None
    route: str
    tariff_factor: float = Field(gt=0, le=100, description="Multiplier on the route tariff (5 = five times).")
    duration_months: int | None = Field(None, ge=1, le=1200, description="None: permanent.")


class RouteInvestmentAction(_Action):
    type: Literal["route_investment"]
    actor: str
    route: str
    capacity_added: float = Field(gt=0, le=1e4, description="Added capacity, route unit per year.")
    lag_months: int = Field(ge=0, le=1200, description="Months until the capacity is usable.")
    cost_usd_bn: float = Field(ge=0, le=1e4, description="Cost, USD bn.")


class TradeAgreementAction(_Action):
    type: Literal["trade_agreement"]
    actor: str = Field(description="Actor (or bloc) signing: its trade costs with the partner fall.")
    partner: str = Field(description="Actor or bloc on the other side (e.g. China, Turkey, EU, OTS).")
    trade_cost_cut: float = Field(
        gt=0,
        lt=1,
        description=(
            "Cut in the pair's bilateral trade-cost factor, both directions, as a fraction (0.03: "
            "trade costs x 0.97); pair trade rises by about (1 - cut)^-trade_elasticity."
        ),
    )
    goods: list[str] | Literal["all"] = "all"
    lag_months: int = Field(0, ge=0, le=1200, description="Months from signature until it takes effect.")
    duration_months: int | None = Field(None, ge=1, le=1200, description="Months in force; none: permanent.")
    cost_usd_bn: float = Field(0.0, ge=0, le=1e4, description="Direct cost to the signer, USD bn.")
    label: str | None = Field(None, description="Name of the agreement (re-signing it replaces it).")


class InducementAction(_Action):
    type: Literal["inducement"]
    sender: str
    target: str
    amount_usd_bn: float = Field(
        gt=0, le=1e4, description="Aid or investment, USD bn (spread over duration)."
    )
    duration_months: int = Field(12, ge=1, le=1200)


class SecurityAction(_Action):
    type: Literal["security_guarantee"]
    sender: str
    target: str
    level: float = Field(ge=-1, le=1, description="Change in the guarantee (negative: withdrawal).")


class DemandAction(_Action):
    type: Literal["demand"]
    sender: str
    target: str
    issue: str = Field(description="e.g. recognition, military_base, gas_union, nuclear_plant, enforcement.")
    intensity: float = Field(0.5, ge=0, le=1, description="Pressure intensity, 0-1.")
    on_concede: list[Action] = Field(
        default_factory=list,
        description=(
            "Actions put in force if the target concedes (e.g. the gas union: a contract handing the "
            "pipeline's volume and price to the sender). With on_concede or on_refuse set, the demand "
            "stays open for deadline_months and the target chooses concede / refuse / counter."
        ),
    )
    on_refuse: list[Action] = Field(
        default_factory=list,
        description=(
            "The punishment threatened on refusal: the sender's actions, each executed with the "
            "probability its own utility gives (credibility, sim.core.bargaining)."
        ),
    )
    counter: list[Action] = Field(
        default_factory=list, description="A counter-offer the target may make instead (partial concession)."
    )
    deadline_months: int = Field(3, ge=1, le=120, description="Months the target has to answer.")


class EnforcementAction(_Action):
    type: Literal["enforcement"]
    actor: str
    level: float = Field(ge=0, le=1, description="New enforcement level against re-exports.")


class SignalAction(_Action):
    type: Literal["signal"]
    actor: str
    toward: str = Field(description="Pole the signal favours.")
    against: str | None = Field(None, description="Pole the signal rebuffs (e.g. non-recognition: Russia).")
    strength: float = Field(0.3, gt=0, le=1)


class ContractAction(_Action):
    type: Literal["contract"]
    actor: str = Field(description="The shipper that signs (and pays any signing cost).")
    shipment: str = Field(description="The shipment whose volume is committed.")
    route: str = Field(description="The route the committed volume must use.")
    volume_per_year: float = Field(gt=0, le=1e4, description="Committed volume, route unit per year.")
    duration_months: int = Field(ge=1, le=1200, description="Months the contract runs.")
    tariff_usd_per_unit: float | None = Field(
        None, ge=0, le=1e6, description="Contract tariff, USD per unit (default: the route's tariff)."
    )
    take_or_pay: float = Field(
        0.0,
        ge=0,
        le=1,
        description=(
            "Share of the committed volume paid for at the contract tariff when the shipper ships less "
            "for want of volume (not when the route itself is cut: force majeure)."
        ),
    )
    buyer: str | None = Field(
        None, description="Actor that buys the contracted volume (default: the route's buyers)."
    )
    cost_usd_bn: float = Field(0.0, ge=0, le=1e4, description="One-off signing cost, USD bn.")
    label: str | None = Field(None, description="Name of the contract (default: shipment@route).")


class VolumeChangeAction(_Action):
    type: Literal["volume_change"]
    actor: str | None = Field(None, description="The producer (or none for accidents and floods).")
    shipment: str
    factor: float = Field(
        ge=0, le=10, description="Multiplier on the offered volume (0.9 = a 10 % quota cut; 0 = halt)."
    )
    duration_months: int | None = Field(None, ge=1, le=1200, description="None: permanent.")


class PriceChangeAction(_Action):
    type: Literal["price_change"]
    good: str
    factor: float = Field(gt=0, le=10, description="Multiplier on the good's world price (its time path).")
    duration_months: int | None = Field(None, ge=1, le=1200, description="None: permanent.")


Action = Annotated[
    SanctionAction
    | LiftSanctionAction
    | SecondarySanctionAction
    | RouteDisruptionAction
    | RouteRepriceAction
    | RouteInvestmentAction
    | TradeAgreementAction
    | InducementAction
    | SecurityAction
    | DemandAction
    | EnforcementAction
    | SignalAction
    | ContractAction
    | VolumeChangeAction
    | PriceChangeAction,
    Field(discriminator="type"),
]


DemandAction.model_rebuild()


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
    decisions: DecisionSpec = Field(default_factory=DecisionSpec)

    _months = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: _check_month(v)))

    @model_validator(mode="after")
    def _cross_references(self) -> ScenarioSpec:
        from sim.scenario.references import check_references

        check_references(self)
        return self

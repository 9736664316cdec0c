"""The scenario file's actions (events, hazards, menu items and bargaining outcomes all carry one).

Each is a typed model discriminated by `type`; `Action` is their union. sim.scenario.compile turns
them into the core's own action types (sim.core.actions) before a run.
Units as in sim.scenario.schema: money USD bn/yr, volumes in the good's or route's unit per year.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.scenario.schema_base import Strict


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

"""Model parameters with units, defaults and sources.

Every field's description states its unit and where the default comes from.
"assumption" means no published figure pins it yet; the calibration issue
fits those against the targets in calibration/figures.csv.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Parameters(BaseModel):
    """Free and fixed parameters of the mechanisms (scenario field `parameters`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- trade (structural gravity, CES / Armington) -------------------------------
    trade_elasticity: float = Field(
        4.0,
        gt=0,
        le=20,
        description=(
            "Trade elasticity epsilon = sigma - 1 (dimensionless): percent fall in a "
            "bilateral import share per percent rise in its trade cost. Source: Head & "
            "Mayer (2014) structural median ~5; Yotov et al. (2016) use sigma 5-7; "
            "4.0 is the lower end, appropriate for monthly (short-run) responses."
        ),
    )
    trade_adjustment_per_month: float = Field(
        0.25,
        gt=0,
        le=1,
        description=(
            "Share of the gap to the new gravity equilibrium closed each month "
            "(1/month). Assumption: partial adjustment, half-life ~2.4 months, so "
            "sanctions bite over a quarter rather than instantly."
        ),
    )
    # --- diversion through intermediaries (re-exports) -----------------------------
    reexport_premium_sensitivity: float = Field(
        6.0,
        ge=0,
        description=(
            "theta_p: logit utility per unit of target-market price premium "
            "(premium is a fraction, 0.3 = 30 %). Assumption; calibrated against "
            "leakage 5-10 % of the fall in direct exports (EBRD 2023; CEPR DP20097)."
        ),
    )
    reexport_enforcement_sensitivity: float = Field(
        4.0,
        ge=0,
        description=("theta_e: logit disutility per unit of intermediary enforcement (0-1). Assumption."),
    )
    reexport_penalty_sensitivity: float = Field(
        2.0,
        ge=0,
        description=(
            "theta_s: logit disutility per USD bn of expected secondary-sanction "
            "penalty per month (detection probability x penalty). Assumption."
        ),
    )
    reexport_base_utility: float = Field(
        -4.0,
        description=(
            "Constant of the re-export logit relative to the outside option "
            "(not shipping), covering transaction and documentation costs. "
            "Assumption, to be calibrated to the 5-10 % leakage target."
        ),
    )
    detection_scale_usd_bn: float = Field(
        0.2,
        gt=0,
        description=(
            "Re-export value (USD bn/yr) at which the monthly detection chance of a secondary "
            "sanction reaches 63 % of its ceiling (chance = p x (1 - exp(-D/scale))). "
            "Assumption: small grey flows rarely get caught."
        ),
    )
    reexport_customs_union_bonus: float = Field(
        1.0,
        ge=0,
        description=(
            "theta_cu: logit utility bonus when the intermediary shares a customs union "
            "with the target (EAEU: no customs border with Russia, so re-export is easy; "
            "domain notes). Assumption."
        ),
    )
    reexport_size_elasticity: float = Field(
        1.0,
        ge=0,
        description=(
            "beta: coefficient on ln(intermediary's baseline imports of the good / the "
            "target's, capped at 1): the size variable of destination-choice logit "
            "(Ben-Akiva & Lerman 1985); 1 means attempts scale with size. Assumption."
        ),
    )
    elite_margin_weight: float = Field(
        3.0,
        ge=0,
        description=(
            "Extra weight on re-export margins in decisions per unit of elite re-export "
            "interest (seed 001: grey re-exports are 'very profitable' for financial-"
            "industrial groups close to the leadership). Assumption."
        ),
    )
    reexport_markup: float = Field(
        0.15,
        ge=0,
        le=2,
        description=(
            "Intermediary's margin on re-exported value (fraction). Assumption: grey "
            "re-export margins reported at 10-30 % (cabar.asia 2022, qualitative)."
        ),
    )
    # --- routes (capacity-constrained logit) ---------------------------------------
    route_logit_scale: float = Field(
        0.08,
        gt=0,
        description=(
            "mu: logit scale of route choice per USD/unit of generalized cost "
            "(1/(USD per t)). Assumption: a 10 USD/t cost gap moves shares by a "
            "factor e^0.8 ~ 2.2."
        ),
    )
    route_risk_premium_usd_per_unit: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "Calibrated risk premium by route name, USD per unit (t or 1000 m3); replaces "
            "the route's own risk_premium_usd_per_unit in the generalized cost. Captures "
            "what tariffs miss (quality banks, war-risk insurance, scheduling) so that "
            "route shares match the observed split. Set by `mvsim calibrate`."
        ),
    )
    # --- alignment (exponentiated-gradient dynamics on the simplex) -----------------
    alignment_gain_rate: float = Field(
        0.6,
        ge=0,
        description=(
            "Alignment pull per unit of welfare gain from a pole, gain measured as "
            "share of GDP per year (1/month). Assumption."
        ),
    )
    alignment_security_rate: float = Field(
        0.02,
        ge=0,
        description=(
            "Monthly pull toward the poles that provide security, per unit of dependence. Assumption."
        ),
    )
    alignment_anchor_rate: float = Field(
        0.03,
        ge=0,
        description=(
            "Monthly pull back toward the actor's identity anchor (its initial "
            "alignment): mean reversion that keeps alignment from drifting on noise. "
            "Assumption."
        ),
    )
    pressure_compliance_rate: float = Field(
        0.5,
        ge=0,
        description=(
            "Alignment shift toward a pressuring pole per unit of pressure intensity "
            "times the target's dependence on that pole. Assumption."
        ),
    )
    pressure_backlash_rate: float = Field(
        0.4,
        ge=0,
        description=(
            "Alignment shift away from a pressuring pole per unit of pressure "
            "intensity times the target's sovereignty sensitivity. Assumption: "
            "backlash dominates when dependence is low (articles 002, 003)."
        ),
    )
    signal_rate: float = Field(
        0.5,
        ge=0,
        description=(
            "Alignment force per unit of a state's own public signal toward a pole (1/month). Assumption."
        ),
    )
    # --- decisions (logit over expected utility) -----------------------------------
    decision_rationality: float = Field(
        10.0,
        gt=0,
        description=(
            "lambda of the logit choice over expected utility (1 / utility point; "
            "a point is 1 % of the decider's GDP for a year). Assumption: a 0.1-point "
            "advantage makes an option e (2.7) times likelier; 0 is random, large is argmax."
        ),
    )
    influence_weight: float = Field(
        1.0,
        ge=0,
        description=(
            "Utility points a pole gains per percentage-point shift of a middle state's "
            "alignment toward it, weighted by that state's share of the middle states' GDP. "
            "Assumption."
        ),
    )
    punishment_weight: float = Field(
        2.0,
        ge=0,
        description=(
            "Utility points a pole gets per unit of grievance against the target times "
            "the pressure intensity of the action (the punishment motive: the CPC halt "
            "the day after the SPIEF demarche, seed 002). Assumption."
        ),
    )
    rivalry_weight: float = Field(
        1.0,
        ge=0,
        description=(
            "Utility points per percentage point of GDP that a sanctioned rival loses in "
            "welfare: why a sanctioning pole values closing leakage (US Treasury re-export "
            "control, seed 003). Assumption."
        ),
    )
    stance_utility: float = Field(
        1.0,
        ge=0,
        description=(
            "Utility points per unit of stance (pleasing or rebuffing a pole), scaled "
            "by alignment (identity term) and by security dependence (security term). "
            "Assumption."
        ),
    )
    decision_horizon_months: int = Field(
        36,
        ge=1,
        le=240,
        description=(
            "Months over which a decision's economic effects are counted (undiscounted): "
            "a permanent measure counts the whole horizon, a 1-month halt one month, an "
            "investment only after its lag. Assumption."
        ),
    )
    grievance_decay_per_month: float = Field(
        0.15,
        ge=0,
        le=1,
        description="Share of accumulated grievance forgotten each month (1/month). Assumption.",
    )

"""Model parameters with units, defaults and sources.

Every field's description states its unit and where the default comes from.
"assumption" means no published figure pins it yet; the calibration issue
fits those against the targets in calibration/figures.csv.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Parameters(BaseModel):
    """Free and fixed parameters of the mechanisms (scenario field `parameters`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # finite values only

    # --- trade (structural gravity, CES / Armington) -------------------------------
    trade_elasticity: float = Field(
        4.0,
        ge=0.5,
        le=20,
        description=(
            "Trade elasticity epsilon = sigma - 1 (dimensionless): percent fall in a "
            "bilateral import share per percent rise in its trade cost. Source: Head & "
            "Mayer (2014) structural median ~5; Yotov et al. (2016) use sigma 5-7; "
            "4.0 is the lower end, appropriate for monthly (short-run) responses. At least 0.5: "
            "below it the political trade-cost factor exp(beta x delta_d / eps) overflows (a "
            "degenerate CES layer, far below any published estimate)."
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
        le=100,
        description=(
            "theta_p: logit utility per unit of target-market price premium "
            "(premium is a fraction, 0.3 = 30 %). Assumption; calibrated against "
            "leakage 5-10 % of the fall in direct exports (EBRD 2023; CEPR DP20097)."
        ),
    )
    reexport_enforcement_sensitivity: float = Field(
        4.0,
        ge=0,
        le=100,
        description=("theta_e: logit disutility per unit of intermediary enforcement (0-1). Assumption."),
    )
    reexport_penalty_sensitivity: float = Field(
        2.0,
        ge=0,
        le=100,
        description=(
            "theta_s: logit disutility per USD bn of expected secondary-sanction "
            "penalty per month (detection probability x penalty). Assumption."
        ),
    )
    reexport_base_utility: float = Field(
        -4.0,
        ge=-50,
        le=50,
        description=(
            "Constant of the re-export logit relative to the outside option "
            "(not shipping), covering transaction and documentation costs. "
            "Assumption, to be calibrated to the 5-10 % leakage target."
        ),
    )
    detection_scale_usd_bn: float = Field(
        0.2,
        gt=0,
        le=1000,
        description=(
            "Re-export value (USD bn/yr) at which the monthly detection chance of a secondary "
            "sanction reaches 63 % of its ceiling (chance = p x (1 - exp(-D/scale))). "
            "Assumption: small grey flows rarely get caught."
        ),
    )
    reexport_customs_union_bonus: float = Field(
        1.0,
        ge=0,
        le=50,
        description=(
            "theta_cu: logit utility bonus when the intermediary shares a customs union "
            "with the target (EAEU: no customs border with Russia, so re-export is easy; "
            "domain notes). Assumption."
        ),
    )
    reexport_size_elasticity: float = Field(
        1.0,
        ge=0,
        le=10,
        description=(
            "beta: coefficient on ln(intermediary's baseline imports of the good / the "
            "target's, capped at 1): the size variable of destination-choice logit "
            "(Ben-Akiva & Lerman 1985); 1 means attempts scale with size. Assumption."
        ),
    )
    elite_margin_weight: float = Field(
        3.0,
        ge=0,
        le=100,
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
        le=100,
        description=(
            "mu: logit scale of route choice per USD/unit of generalized cost "
            "(1/(USD per t)). Assumption: a 10 USD/t cost gap moves shares by a "
            "factor e^0.8 ~ 2.2."
        ),
    )
    route_risk_premium_usd_per_unit: dict[str, Annotated[float, Field(ge=0, le=1e6)]] = Field(
        default_factory=dict,
        description=(
            "Calibrated risk premium by route name, USD per unit (t or 1000 m3); replaces "
            "the route's own risk_premium_usd_per_unit in the generalized cost. Captures "
            "what tariffs miss (quality banks, war-risk insurance, scheduling) so that "
            "route shares match the observed split. Set by `mvsim calibrate`."
        ),
    )
    transit_risk_per_sanctioned_share: float = Field(
        0.1,
        ge=0,
        le=5,
        description=(
            "Political risk premium of a route, as a fraction of its tariff, per unit of a transit "
            "state's base-year trade share under sanctions targeting it (sim.core.routes.political_risk): "
            "war-risk insurance, payment and compliance costs of shipping through a sanctioned state. "
            "Fitted to the 2022 split of China-EU rail freight (figures.csv titr_cargo_2022, "
            "northern_corridor_2022) by `mvsim calibrate`."
        ),
    )
    transit_risk_per_coercion: float = Field(
        0.02,
        ge=0,
        le=5,
        description=(
            "Political risk premium of a route, as a fraction of its tariff, per unit of the memory of "
            "coercive acts by a transit state's pole (capped at 1). Assumption: a pole that has just cut "
            "a route adds ~2 % to the freight rate of every route it controls; not separately identified "
            "from the sanctions term by the 2022 figures (both hit Russia in the same months)."
        ),
    )
    value_of_time_usd_per_unit_day: float = Field(
        1.0,
        ge=0,
        le=1e4,
        description=(
            "Value of transit time in the generalized cost, USD per unit (t) per day, on routes that "
            "give transit_days. Assumption: China-EU rail containers carry ~5,000 USD/t (about 75 USD bn "
            "on ~1.5 m TEU of ~10 t in 2021, approx.) at an inventory holding cost of ~7 %/yr; "
            "Hummels & Schaur (2013, AER) estimate 0.6-2.3 % of value per day for time-sensitive goods "
            "choosing air over sea, an upper bound for rail freight."
        ),
    )
    congestion_delay_alpha: float = Field(
        1.0,
        ge=0,
        le=10,
        description=(
            "alpha of the BPR volume-delay function on time-priced routes (transit_days > 0): a full "
            "route's transit time is (1 + alpha) x its free-flow days (sim.core.routes.congested_days). "
            "Assumption: 2022 reports of Middle Corridor containers waiting weeks at the Caspian ports, "
            "transits of 40-50 days against ~20-25 planned (approx.), i.e. about double at full load; "
            "the road default 0.15 (BPR 1964) is far too small for port and ferry queues."
        ),
    )
    congestion_delay_power: float = Field(
        4.0,
        ge=1,
        le=10,
        description="beta of the BPR volume-delay function (dimensionless). Source: BPR (1964) standard 4.",
    )
    political_distance_semi_elasticity: float = Field(
        0.8,
        ge=0,
        le=10,
        description=(
            "beta: fall in log bilateral trade per unit rise of the pair's alignment distance "
            "(half the L1 distance of their alignment over poles, 0-1) since the base year "
            "(sim.core.trade.political_cost_factors). Source: Gopinath, Gourinchas, Presbitero & "
            "Topalova (2025, JIE, 'Changing global linkages: a new Cold War?') find trade between "
            "geopolitically distant blocs fell 12 % relative to within-bloc trade after 2022; the "
            "local-projection gravity estimate of 'Geopolitical barriers to globalization' (arXiv "
            "2509.12084, 2025) is +22 % bilateral trade per standard deviation of alignment in the long "
            "run. 0.8 = ln(1.22) / 0.25, assuming one standard deviation of bilateral alignment is 0.25 "
            "on this model's 0-1 distance (assumption)."
        ),
    )
    outage_recovery_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description=(
            "Share of the volume a route outage shuts in that the shipper produces and ships later "
            "(deferred, not lost), when its routes have room again (fraction). Oil fields cut output "
            "during an export outage and partly make it up afterwards; the rest stays in the ground "
            "beyond the horizon. Fitted to Kazakh oil exports in 2022 (64.3 Mt after four CPC "
            "disruptions, figures.csv kz_oil_exports_2022) by `mvsim calibrate`."
        ),
    )
    outage_recovery_months: float = Field(
        6.0,
        gt=0,
        le=60,
        description=(
            "Months over which deferred volume is offered again (the backlog is offered at a rate of "
            "backlog x 12 / months per year, capped by spare route capacity). Assumption: oil fields "
            "restore and exceed plateau output within about two quarters after an outage."
        ),
    )
    # --- alignment (exponentiated-gradient dynamics on the simplex) -----------------
    alignment_gain_rate: float = Field(
        0.6,
        ge=0,
        le=10,
        description=(
            "Alignment pull per unit of welfare gain from a pole, gain measured as "
            "share of GDP per year (1/month). Assumption."
        ),
    )
    alignment_security_rate: float = Field(
        0.02,
        ge=0,
        le=10,
        description=(
            "Monthly pull toward the poles that provide security, per unit of dependence. Assumption."
        ),
    )
    alignment_anchor_rate: float = Field(
        0.03,
        ge=0,
        le=10,
        description=(
            "Monthly pull back toward the actor's identity anchor (its initial "
            "alignment): mean reversion that keeps alignment from drifting on noise. "
            "Assumption."
        ),
    )
    pressure_compliance_rate: float = Field(
        0.5,
        ge=0,
        le=10,
        description=(
            "Alignment shift toward a pressuring pole per unit of pressure intensity "
            "times the target's dependence on that pole. Assumption."
        ),
    )
    pressure_backlash_rate: float = Field(
        0.4,
        ge=0,
        le=10,
        description=(
            "Alignment shift away from a pressuring pole per unit of pressure "
            "intensity times the target's sovereignty sensitivity. Assumption: "
            "backlash dominates when dependence is low (articles 002, 003)."
        ),
    )
    alignment_threat_weight: float = Field(
        1.0,
        ge=0,
        le=10,
        description=(
            "Weight of the threat force (sim.core.alignment): how a hedger's expected coercion loss "
            "from a pole, h/(1+h) x rise of the coercion chance over its quiet-world base x value "
            "at risk (USD bn/yr over GDP), counts against the pole next to the income it brings. "
            "Dimensionless. Assumption: 1 = the same currency as the gain force (an expected loss "
            "is a loss of income); 0 switches the term off (the placebo of docs/validation.md)."
        ),
    )
    signal_rate: float = Field(
        0.5,
        ge=0,
        le=10,
        description=(
            "Alignment force per unit of a state's own public signal toward a pole (1/month). Assumption."
        ),
    )
    # --- decisions (logit over expected utility) -----------------------------------
    decision_rationality: float = Field(
        17.0,
        gt=0,
        le=1000,
        description=(
            "lambda of the logit choice for states that are not poles (1 / USD bn of present "
            "value): P(a) ~ exp(lambda U(a)), U in USD bn PV over the horizon. Not identified by "
            "the 2022 record (grid ABC over 4, 16, 64, calibration/decision_report.md: mass 0.30 / "
            "0.35 / 0.35, posterior s.d. 0.99 x the prior's): the value is the geometric posterior "
            "mean, near the prior's centre, i.e. an assumption: a 0.06 USD bn better option is e "
            "(2.7) times likelier. Was 4 (by hand, issue 9: a 0.25 USD bn advantage), at which "
            "Kazakhstan's 0.03-0.05 USD bn contract options were drawn nearly at random."
        ),
    )
    influence_weight: float = Field(
        0.05,
        ge=0,
        le=100,
        description=(
            "Exchange rate of influence: USD bn a pole values a full (1.0) shift of a middle state's "
            "alignment toward it, per USD bn of that state's GDP (so 1 percentage point of "
            "Kazakhstan, GDP 197, is worth 0.05 x 197 x 0.01 = 0.1 USD bn). Assumption: a pole pays "
            "a few percent of a client's GDP a year to keep it (Russian loans and discounts to "
            "Belarus ~ 5-10 % of Belarus GDP, order of magnitude)."
        ),
    )
    punishment_weight: float = Field(
        0.015,
        ge=0,
        le=100,
        description=(
            "Exchange rate of the punishment motive: USD bn a sender values coercing a target it "
            "holds a grievance against, per unit of grievance x pressure intensity, per USD bn of "
            "the smaller of the two GDPs (reputation for resolve). Calibrated (2026-12-06): the "
            "geometric posterior mean of the grid ABC on the 2022 record (a CPC halt after SPIEF, "
            "1-2 stoppages in 2022, the enforcement step, the autumn grain tariffs, no gas union; "
            "calibration/decision_report.md), 80 % interval 0.0075-0.03, weakly identified (posterior "
            "s.d. 0.73 x the prior's). Was 0.03, set by hand with the SPIEF episode; 0.017 in the "
            "2026-12-04 fit without Kazakhstan's rationality in the grid."
        ),
    )
    rivalry_weight: float = Field(
        0.5,
        ge=0,
        le=100,
        description=(
            "Exchange rate of rivalry: USD of own welfare per USD of welfare a sanctioned target "
            "loses (only the targets of measures the decider sends, not third parties that gain). "
            "Why a sanctioning pole values closing leakage (US Treasury re-export control, "
            "seed 003). Assumption: half, a rival's loss is worth less than one's own gain."
        ),
    )
    stance_utility: float = Field(
        0.002,
        ge=0,
        le=100,
        description=(
            "Exchange rate of identity and security: USD bn per unit of stance (pleasing or "
            "rebuffing a pole), per USD bn of the decider's GDP, scaled by alignment (identity "
            "term) and by security dependence (security term). Assumption: openly rebuffing a "
            "pole one is fully aligned with costs 0.2 % of GDP (~0.4 USD bn for Kazakhstan), the "
            "order of a year's inducement (EU 0.5, Russia 1 USD bn in the menus)."
        ),
    )
    decision_horizon_months: int = Field(
        36,
        ge=1,
        le=240,
        description=(
            "Months over which a decision's effects are counted, discounted at "
            "`decision_discount_rate`: a permanent measure counts the whole horizon, a 1-month "
            "halt one month, an investment only after its lag. Assumption."
        ),
    )
    grievance_decay_per_month: float = Field(
        0.15,
        ge=0,
        le=1,
        description="Share of accumulated grievance forgotten each month (1/month). Assumption.",
    )
    # --- decisions in one currency; hedging against coercion (issue 9) -------------
    decision_rationality_pole: float = Field(
        5.7,
        gt=0,
        le=1000,
        description=(
            "lambda of the logit choice for poles and blocs (1 / USD bn of present value). "
            "Not identified by the 2022 record (grid ABC, calibration/decision_report.md: posterior "
            "s.d. ~1.0 x the prior's over 2-16): the value is the prior's geometric centre, i.e. an "
            "assumption: a 0.18 USD bn advantage makes an option e times likelier. Was 4 (by hand)."
        ),
    )
    decision_discount_rate: float = Field(
        0.08,
        ge=0,
        le=1,
        description=(
            "Annual discount rate of decision present values (1/yr, monthly compounding). "
            "Assumption: Kazakhstan's USD sovereign yield was ~ 4-6 % in 2021-22 plus a policy "
            "risk premium."
        ),
    )
    coercion_hazard_base_per_month: float = Field(
        0.005,
        ge=0,
        le=1,
        description=(
            "Base monthly hazard that a pole coerces a middle state it controls value of "
            "(1/month). Assumption: about one coercive episode per 15 years per pole-client pair "
            "absent grievance (Russian gas/oil cut-offs to neighbours 2006-2022, order of magnitude)."
        ),
    )
    coercion_hazard_per_grievance: float = Field(
        0.1,
        ge=0,
        le=10,
        description=(
            "Added monthly coercion hazard per unit of the pole's grievance against the actor "
            "(1/month per grievance unit). Assumption: a full snub (grievance 0.5) makes coercion "
            "within a quarter likely (the CPC halt after SPIEF, seed 002)."
        ),
    )
    coercion_hazard_per_act: float = Field(
        0.03,
        ge=0,
        le=10,
        description=(
            "Added monthly coercion hazard per unit of observed coercive acts by the pole "
            "(intensity-weighted; acts on the actor itself count 1, on others "
            "`coercion_spillover`) (1/month). Assumption: a state that has just been coerced "
            "expects it again (learning from the 2022 CPC halts)."
        ),
    )
    grievance_relief_per_coercion: float = Field(
        1.0,
        ge=0,
        le=10,
        description=(
            "Share of a sender's grievance against a target that one coercive act settles, per unit "
            "of the act's pressure intensity (unitless per intensity, capped at the whole grievance): "
            "a CPC halt at intensity 0.8 settles 80 %; a negotiating demand settles nothing (its "
            "threat, if carried out, does: sim.core.bargaining). Why repetition is governed by "
            "utility, not a clock: once the score is settled, the punishment motive of the next act "
            "is gone and only its economics, influence and any new grievance count. Assumption: one "
            "retaliation per "
            "offence, the reciprocity norm of repeated games (tit-for-tat: Axelrod, The Evolution of "
            "Cooperation, 1984); not fitted (docs/validation.md)."
        ),
    )
    coercion_spillover: float = Field(
        0.25,
        ge=0,
        le=1,
        description=(
            "Weight of a coercive act observed on another state relative to one on oneself. "
            "Assumption: neighbours learn from each other's treatment, less than from their own."
        ),
    )
    coercion_memory_half_life_months: float = Field(
        12.0,
        gt=0,
        le=600,
        description="Half-life of the memory of observed coercive acts (months). Assumption: a year.",
    )
    coercion_duration_months: float = Field(
        6.0,
        gt=0,
        le=120,
        description=(
            "Expected duration of a coercive episode whose loss a hedger insures against "
            "(months). Assumption: the 2022 CPC disruptions lasted days to ~1 month each, four "
            "in a year; transit-permit and tariff disputes last months and trade bans years "
            "(Russia on Georgian goods 2006-2013): a heavy-tailed mean of half a year."
        ),
    )
    alignment_hedging_damping: float = Field(
        1.0,
        ge=0,
        le=100,
        description=(
            "How much a hedging actor resists being pulled to one pole: the positive (toward a "
            "pole) parts of its gain, security, pressure and signal forces are divided by "
            "1 + damping x hedging_weight; pushes away from a pole, the anchor and the threat "
            "force are not. Dimensionless. Assumption: at hedging 1 pulls act at half strength."
        ),
    )
    security_half_life_months: float = Field(
        6.0,
        gt=0,
        le=600,
        description=(
            "Half-life of a one-off change in security provision (months): the CSTO intervention "
            "of January 2022 pulls toward Russia, then fades (troops left within two weeks, "
            "seed 000). Assumption."
        ),
    )
    threat_credibility_scale_usd_bn: float = Field(
        0.5,
        gt=0,
        le=1000,
        description=(
            "Logit scale of executing a threatened punishment after a refusal (USD bn): "
            "P(execute) = 1 / (1 + exp(-U_exec / scale)), U_exec the sender's utility of executing. "
            "Assumption: a punishment worth 0.5 USD bn more than restraint is carried out with "
            "probability 0.73."
        ),
    )
    enforcement_stance_per_level: float = Field(
        0.25,
        ge=0,
        le=10,
        description=(
            "Stance (pleasing the sanctioning poles, rebuffing the target's) per unit change of "
            "enforcement against re-exports (stance per 0-1 level). Assumption: full enforcement is "
            "as visible as a strong public signal (0.25) -- Moscow read Kazakh compliance as "
            "expected, 'agreed-upon' (seeds 002, 003), the SPIEF statement is scripted at 0.15."
        ),
    )

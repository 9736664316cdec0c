"""The one registry of outcome names: table column or comparison item -> readable label and unit.

    label("welfare_route_revenue_usd_bn")            # 'Route revenue (USD bn/yr)'
    label("CPC", group="route_volume", unit="Mt/yr")  # 'CPC volume, all shippers (Mt/yr)'
    short_label("exports_usd_bn")                      # 'Exports'

Used by the run summary, the comparison report and its plots, and the sweep comparison, so an
outcome reads the same everywhere. Units are those of docs/tables.md: money USD bn per year
(monthly values annualised), volumes in the route unit per year, shares 0-1.

`ZERO_TOL` is the tolerance below which a printed value is 0: floating-point residue of
differences of equal sums (|x| < 1e-9, e.g. -8.14e-16) is not an effect.
"""

from __future__ import annotations

import math

ZERO_TOL = 1e-9
"""|x| below this prints as 0 and counts as no difference (floating-point residue)."""
ZERO_TOL_TEXT = "10^-9"
"""ZERO_TOL as the reports write it (not in scientific notation)."""

OUTCOMES: dict[str, tuple[str, str]] = {
    "exports_usd_bn": ("Exports", "USD bn/yr"),
    "imports_usd_bn": ("Imports", "USD bn/yr"),
    "net_welfare_usd_bn": ("Net economic welfare", "USD bn/yr"),
    "welfare_exports_usd_bn": ("Export revenue, goods not carried by routes", "USD bn/yr"),
    "welfare_route_revenue_usd_bn": ("Route revenue", "USD bn/yr"),
    "welfare_transit_fees_usd_bn": ("Transit fees earned", "USD bn/yr"),
    "welfare_reexport_margin_usd_bn": ("Re-export margin", "USD bn/yr"),
    "welfare_import_cost_usd_bn": ("Extra import cost (sanctions, diversion)", "USD bn/yr"),
    "welfare_transfers_usd_bn": ("Aid and investment received", "USD bn/yr"),
    "welfare_expected_penalty_usd_bn": ("Expected secondary-sanction penalty", "USD bn/yr"),
    "reexports_usd_bn": ("Re-exports of sanctioned goods", "USD bn/yr"),
    "reexports_intercepted_usd_bn": ("Re-exports intercepted by customs", "USD bn/yr"),
    "lost_exports_usd_bn": ("Route exports lost (no capacity)", "USD bn/yr"),
    "deferred_exports_usd_bn": ("Route exports deferred", "USD bn/yr"),
    "penalty_realised_usd_bn": ("Secondary penalties realised", "USD bn"),
    "outlays_usd_bn": ("One-off outlays of actions taken (investments, agreements)", "USD bn"),
    "enforcement": ("Enforcement against re-exports", "0-1"),
    "multivector_index": ("Multi-vector index", "0-1"),
    "leakage_share": ("Sanctions leakage share", "0-1"),
}
"""Column or `indicators` item -> (label, unit)."""

GROUP_LABELS: dict[str, str] = {
    "trade_pole": "trade with {item}",
    "trade_partner": "trade with {item}",
    "exports_by_route": "exports via {item}",
    "route_volume": "{item} volume, all shippers",
    "route_capacity": "{item} capacity",
    "reexports": "re-exports through {item}",
    "dependence": "dependence on {item}",
    "alignment": "alignment with {item}",
    "pressure": "coercive actions by {item}",
}
"""Comparison group -> label pattern of its items (`{item}`: the pole, partner, route or state)."""

PREFIXES: dict[str, str] = {"alignment_": "alignment with {}", "dependence_": "dependence on {}"}
"""Per-pole columns of actor_month (`alignment_<pole>`, `dependence_<pole>`)."""


def short_label(item: str, group: str | None = None) -> str:
    """The readable name of a column or comparison item, without the unit."""
    if group in GROUP_LABELS and group != "indicators":
        if group == "trade_pole" and item == "total":
            return "Trade, all partners"
        if group == "exports_by_route" and item.startswith("lost ("):
            return "Route volume lost (no capacity)"
        text = GROUP_LABELS[group].format(item=item)
        return text[0].upper() + text[1:]
    if item in OUTCOMES:
        return OUTCOMES[item][0]
    for prefix, pattern in PREFIXES.items():
        if item.startswith(prefix):
            text = pattern.format(item.removeprefix(prefix))
            return text[0].upper() + text[1:]
    return item.replace("_", " ")


def unit_of(item: str, group: str | None = None, unit: str | None = None) -> str:
    """The unit of an item: `unit` if given, else the registry's ('' if unknown)."""
    if unit is not None:
        return unit
    if item in OUTCOMES:
        return OUTCOMES[item][1]
    if any(item.startswith(p) for p in PREFIXES):
        return "0-1"
    return {"trade_pole": "USD bn/yr", "trade_partner": "USD bn/yr", "pressure": "actions/month"}.get(
        group or "", ""
    )


def label(item: str, group: str | None = None, unit: str | None = None) -> str:
    """'Readable name (unit)', e.g. 'Route revenue (USD bn/yr)'; no brackets without a unit."""
    u = unit_of(item, group, unit)
    name = short_label(item, group)
    return f"{name} ({u})" if u else name


SWEEP_QUANTITIES: dict[str, tuple[str, str]] = {
    "kz_oil_lost_mt": ("Crude lost (no route capacity)", "Mt/yr"),
    "kz_oil_shipped_mt": ("Crude shipped", "Mt/yr"),
    "kz_oil_offered_mt": ("Crude offered", "Mt/yr"),
    "kz_welfare_usd_bn": ("Economic welfare", "USD bn/yr"),
    "multivector_index": ("Multi-vector index", "0-1"),
    "leakage_share": ("Sanctions leakage share", "0-1"),
}
"""Sweep quantities (sim.sweep.outcomes) that are not table columns -> (label, unit)."""

REDUCTION_TEXT = {"mean": "mean over months", "end": "last month", "max": "maximum", "min": "minimum"}


def sweep_label(name: str) -> str:
    """A sweep scalar outcome ('<quantity>[_mean|_end|_max|_min]', sim.sweep.outcomes) as
    'Readable name (unit, reduction)', e.g. 'kz_oil_lost_mt' -> 'Crude lost (no route capacity)
    (Mt/yr, mean over months)'; an unknown name is returned as it is."""
    how, quantity = "mean", name
    for r in REDUCTION_TEXT:
        if name.endswith(f"_{r}"):
            how, quantity = r, name.removesuffix(f"_{r}")
            break
    if quantity in SWEEP_QUANTITIES:
        text, unit = SWEEP_QUANTITIES[quantity]
    elif quantity.startswith("kz_") and quantity.removeprefix("kz_") in OUTCOMES:
        text, unit = OUTCOMES[quantity.removeprefix("kz_")]
    elif quantity.startswith(("alignment_", "dependence_")):
        text, unit = short_label(quantity), "0-1"
    elif quantity.startswith("kz_trade_"):
        text, unit = f"Trade with {quantity.removeprefix('kz_trade_')}", "USD bn/yr"
    elif quantity.startswith("route_") and quantity.endswith(("_volume", "_utilisation")):
        what = "volume" if quantity.endswith("_volume") else "utilisation"
        route = quantity.removeprefix("route_").removesuffix(f"_{what}")
        text, unit = f"Route {route} {what}", "unit/yr" if what == "volume" else "share"
    else:
        return name
    return f"{text} ({unit}, {REDUCTION_TEXT[how]})"


def is_zero(x: float) -> bool:
    """True for |x| < ZERO_TOL (NaN is not zero)."""
    return math.isfinite(x) and abs(x) < ZERO_TOL


def clean(x: float) -> float:
    """x, or 0.0 if |x| < ZERO_TOL."""
    return 0.0 if is_zero(x) else x


def fmt_signed(x: float) -> str:
    """Signed number for deltas: '0' below ZERO_TOL; 1 decimal from 10, 2 from 0.1, 3 from 0.001,
    else 3 significant digits (never scientific notation above ZERO_TOL: 1e-6 prints 0.000001)."""
    if not math.isfinite(x):
        return "n/a"
    if is_zero(x):
        return "0"
    a = abs(x)
    if a >= 10:
        return f"{x:+.1f}"
    if a >= 0.1:
        return f"{x:+.2f}"
    if a >= 0.001:
        return f"{x:+.3f}"
    digits = 2 - math.floor(math.log10(a))  # 3 significant digits, fixed point
    return f"{x:+.{digits}f}"


def fmt_value(x: float) -> str:
    """Unsigned level: '0' below ZERO_TOL, else 3 significant digits in fixed point."""
    if not math.isfinite(x):
        return "n/a"
    if is_zero(x):
        return "0"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    digits = max(0, 2 - math.floor(math.log10(a)))
    return f"{x:.{digits}f}"


__all__ = [
    "GROUP_LABELS",
    "OUTCOMES",
    "ZERO_TOL",
    "ZERO_TOL_TEXT",
    "clean",
    "fmt_signed",
    "fmt_value",
    "is_zero",
    "label",
    "short_label",
    "sweep_label",
    "unit_of",
]

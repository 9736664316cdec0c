"""The columns of the run tables: name, unit and meaning of each, and `docs/tables.md` from them.

`TABLE_SCHEMAS[table]` lists (column name, unit, meaning); a name containing ``<pole>`` stands
for one column per pole. Column dtypes follow the unit (`column_dtype`). The tables themselves
are built in `sim.results.tables`, which re-exports these names.
"""

from __future__ import annotations

from sim.core.decisions import TERMS
from sim.core.economy import WELFARE_TERMS
from sim.core.recorder import ACTOR_METRICS, ALIGNMENT_FORCES

Column = tuple[str, str, str]
"""(column name, unit, meaning). A name containing ``<pole>`` stands for one column per pole."""

POLE = "<pole>"
TEXT_UNITS = frozenset({"YYYY-MM", "name", "text", "JSON"})
UNKNOWN_SEED = -1
"""`seed` value of tables built without a seed (e.g. `to_tables(out)`)."""
STATUS_QUO = "status_quo"

_MONTH_ONLY: Column = ("month", "YYYY-MM", "Calendar month of the observation (end-of-month state).")
_DATE: Column = ("date", "datetime", "First day of `month` as a timestamp (for time axes and resampling).")
ID_COLUMNS: list[Column] = [
    ("run_id", "text", "Run identifier: `<scenario>_seed<seed>` unless the caller names the run."),
    ("scenario", "name", "Scenario name (`name:` of the scenario file); empty if unknown."),
    ("seed", "integer", f"Seed of the run; {UNKNOWN_SEED} if unknown."),
]
"""Leading columns of every table: which run a row comes from."""

_WELFARE_MEANING = {
    "exports": "Export revenue from goods not carried by routes",
    "route_revenue": "Netback revenue of route-carried shipments (value minus tariff)",
    "transit_fees": "Transit fees earned on routes crossing the actor",
    "reexport_margin": "Margin earned on re-exports of sanctioned goods",
    "import_cost": "Extra cost of imports due to sanctions and diversion (subtracts)",
    "transfers": "Aid and investment received (inducements)",
    "expected_penalty": "Expected secondary-sanction penalty (subtracts)",
}

_METRIC_DOCS: dict[str, tuple[str, str]] = {
    "exports_usd_bn": ("USD bn/yr", "Total exports (all goods and partners)."),
    "imports_usd_bn": ("USD bn/yr", "Total imports (all goods and partners)."),
    **{
        f"welfare_{t}_usd_bn": ("USD bn/yr", f"Welfare component: {_WELFARE_MEANING.get(t, t)}.")
        for t in WELFARE_TERMS
    },
    "reexports_usd_bn": ("USD bn/yr", "Re-exports of sanctioned goods through this actor, at resale value."),
    "reexports_intercepted_usd_bn": ("USD bn/yr", "Attempted re-exports stopped by this actor's customs."),
    "lost_exports_usd_bn": (
        "USD bn/yr",
        "Value of route shipments shut in for good (no route capacity, not recovered later).",
    ),
    "deferred_exports_usd_bn": (
        "USD bn/yr",
        "Value of route shipments that found no capacity this month but are deferred (shipped later).",
    ),
    "penalty_realised_usd_bn": ("USD bn", "Secondary-sanction penalties realised this month (one-off)."),
    "outlays_usd_bn": (
        "USD bn",
        "One-off costs of the actions this actor took this month (cost_usd_bn of investments, "
        "agreements, contracts; a bloc's shared by GDP). Net welfare subtracts 12 x this.",
    ),
    "enforcement": ("0-1", "Enforcement level against re-exports of sanctioned goods."),
    "multivector_index": ("0-1", "Evenness of dependence across poles: (1 - HHI) / (1 - 1/P); 1 = even."),
}


def _metric_column(name: str) -> Column:
    unit, meaning = _METRIC_DOCS.get(name, ("see sim.core.recorder", f"Actor metric {name}."))
    return (name, unit, meaning)


_TERM_MEANING = {
    "econ": "change in economic welfare (USD bn/yr) x the discounted years it lasts within the horizon",
    "security": "security term: stance against poles the decider depends on for security",
    "alignment": "alignment/identity term: stance toward the poles it is aligned with",
    "influence": "value of middle states' predicted alignment shift toward the decider's pole (poles only)",
    "punishment": "value of coercing an actor the decider holds a grievance against",
    "rivalry": "welfare loss of the targets of the decider's sanctions x rivalry_weight",
    "sovereignty": "hedging x change in expected loss from coercion (sim/core/coercion.py); subtracts",
    "cost": "direct cost (USD bn); subtracts from utility",
}

TABLE_DESCRIPTIONS: dict[str, str] = {
    "actor_month": "One row per month and actor: trade, welfare terms, alignment and dependence.",
    "alignment_forces": "One row per month, actor, pole and force: the alignment update decomposed.",
    "flows": "Bilateral trade flows, one row per month, exporter, importer and good; nonzero rows only. "
    "Absent when the run did not record flows.",
    "routes": "One row per month and route: capacity, volume, utilisation and tariff.",
    "shipments": "Volume shipped per month, shipment and route, for every allowed (shipment, route) "
    "pair of the scenario, zero where the pair carries nothing (without the scenario spec: the pairs "
    "used in at least one month).",
    "shipment_totals": "One row per month and shipment: offered = shipped + lost.",
    "events": "Every action that took effect, in the order it did: scripted events, hazards, "
    "decisions and detected secondary-sanction penalties.",
    "decisions": "Every candidate scored in every decision round (status quo included), "
    "with its utility terms in USD bn of present value over the decision horizon (issue 9; docs/model.md).",
    "run_month": "One row per month: run-wide quantities.",
    "actor_info": "Static actor attributes from the scenario (only when the scenario spec is given).",
    "shipment_info": "Static shipment attributes from the scenario (only when the scenario spec is given).",
    "route_info": "Static route attributes from the scenario: transit states, buyers, capacity and the pole "
    "controlling it (only when the scenario spec is given).",
}

TABLE_SCHEMAS: dict[str, list[Column]] = {
    "actor_month": [
        _MONTH_ONLY,
        _DATE,
        ("actor", "name", "Actor (state or rest of world)."),
        *(_metric_column(m) for m in ACTOR_METRICS),
        ("alignment_<pole>", "0-1", "Alignment with the pole at the end of the month; sums to 1 over poles."),
        (
            "dependence_<pole>",
            "0-1",
            "Dependence on the pole: share of trade with its actors plus route exports it controls; "
            "sums to 1 over poles (all 0 without any pole exposure).",
        ),
    ],
    "alignment_forces": [
        _MONTH_ONLY,
        _DATE,
        ("actor", "name", "Actor whose alignment moves."),
        ("pole", "name", "Pole the force pushes toward (positive) or away from (negative)."),
        ("term", "name", f"Force: one of {', '.join(ALIGNMENT_FORCES)}."),
        ("value", "1/month", "Force on the alignment log-weight this month (exponentiated update)."),
    ],
    "flows": [
        _MONTH_ONLY,
        _DATE,
        ("exporter", "name", "Exporting actor."),
        ("importer", "name", "Importing actor."),
        ("good", "name", "Traded good (sector)."),
        ("value_usd_bn", "USD bn/yr", "Flow value, annualised monthly rate; always > 0."),
    ],
    "routes": [
        _MONTH_ONLY,
        _DATE,
        ("route", "name", "Transport route."),
        ("unit", "name", "Physical unit the route carries (e.g. Mt, bcm)."),
        ("capacity_per_year", "unit/yr", "Usable capacity after disruptions and investments."),
        ("volume_per_year", "unit/yr", "Volume carried."),
        ("utilisation", "0-1", "volume / capacity; NaN when capacity is 0."),
        ("tariff_usd_per_unit", "USD/unit", "Transport tariff in force."),
    ],
    "shipments": [
        _MONTH_ONLY,
        _DATE,
        ("shipment", "name", "Shipment (a shipper's offered volume)."),
        ("route", "name", "Route carrying it."),
        ("unit", "name", "Physical unit of the route."),
        ("shipped_per_year", "unit/yr", "Volume of the shipment carried by the route."),
    ],
    "shipment_totals": [
        _MONTH_ONLY,
        _DATE,
        ("shipment", "name", "Shipment."),
        ("offered_per_year", "unit/yr", "Volume offered to the route network."),
        ("shipped_per_year", "unit/yr", "Volume shipped over all routes."),
        ("lost_per_year", "unit/yr", "Volume that found no route this month (offered - shipped)."),
        (
            "lost_for_good_per_year",
            "unit/yr",
            "Part of lost_per_year shut in for good; the rest joins the backlog and is offered again.",
        ),
        ("backlog", "unit", "Deferred volume awaiting recovery at the end of the month."),
        ("contracted_per_year", "unit/yr", "Volume shipped under long-term contracts (placed first)."),
    ],
    "events": [
        _MONTH_ONLY,
        _DATE,
        (
            "kind",
            "text",
            "event (scripted), hazard (stochastic), decision, rule (a trigger rule fired), threat or "
            "threat_withheld (a refused demand's threat), or penalty (secondary sanction).",
        ),
        ("name", "text", "Hazard or menu item name; the action type for scripted events."),
        ("type", "text", "Action type (sanction, route_disruption, demand, ...)."),
        ("actor", "name", "Acting actor or bloc (the decider for decisions); empty for accidents."),
        ("target", "text", "Actors the action is aimed at, comma-separated; empty if none."),
        ("parameters", "JSON", "The action's fields as JSON."),
        ("note", "text", "Note from the scenario file."),
        ("source", "text", "Source reference from the scenario file."),
    ],
    "decisions": [
        _MONTH_ONLY,
        _DATE,
        ("actor", "name", "Deciding actor or bloc."),
        ("candidate", "text", "Candidate menu item; status_quo is doing nothing."),
        ("chosen", "bool", "True for the candidate drawn."),
        ("probability", "0-1", "Logit choice probability (0 for bloc items that failed the vote)."),
        ("utility", "USD bn", "Total utility (present value): the terms, sovereignty and cost subtracting."),
        *((t, "USD bn", f"Utility term: {_TERM_MEANING.get(t, t)}.") for t in TERMS),
        ("support", "0-1", "Blocs: vote-weighted share of members in favour; NaN for single actors."),
        ("action", "JSON", "The candidate action as JSON; empty for the status quo."),
    ],
    "run_month": [
        _MONTH_ONLY,
        _DATE,
        (
            "leakage_share",
            "0-1",
            "EBRD definition: intermediated exports of controlled goods (intermediaries' sales to the "
            "target) / fall in direct exports under the coalition's export controls; NaN when none.",
        ),
        (
            "leakage_share_all_blocked",
            "0-1",
            "Former definition: diverted value / fall in direct flows at every sanctioned cell (import "
            "bans included); NaN when nothing is blocked.",
        ),
    ],
    "actor_info": [
        ("actor", "name", "Actor, in scenario order."),
        ("kind", "text", "state or rest_of_world."),
        ("pole", "name", "Pole the actor embodies; empty if none."),
        ("gdp_usd_bn", "USD bn", "Nominal GDP (scenario base year)."),
    ],
    "shipment_info": [
        ("shipment", "name", "Shipment, in scenario order."),
        ("shipper", "name", "Actor offering the volume."),
        ("good", "name", "Good whose trade the shipped value enters; empty if none."),
        ("unit", "name", "Physical unit (that of its first allowed route)."),
        ("routes", "text", "Allowed routes, comma-separated."),
    ],
    "route_info": [
        ("route", "name", "Route, in scenario order."),
        ("mode", "text", "pipeline, rail, sea, road or multimodal."),
        ("unit", "name", "Physical unit carried (e.g. Mt, bcm)."),
        ("capacity_per_year", "unit/yr", "Capacity at the start of the run (before events)."),
        ("tariff_usd_per_unit", "USD/unit", "Transport tariff at the start of the run."),
        ("destination", "name", "Actor whose market the route delivers to."),
        ("buyers", "text", "Buyers of the delivered volume with shares, e.g. 'EU 0.8, China 0.2'."),
        ("transit", "text", "Transit states that can cut or price the route, comma-separated."),
        (
            "owner_pole",
            "name",
            "Pole that controls the route: that of the first transit state embodying a pole, else the "
            "destination's pole; empty if none.",
        ),
        ("nodes", "text", "Hubs along the path, comma-separated."),
    ],
}

TABLE_SCHEMAS = {name: [*ID_COLUMNS, *cols] for name, cols in TABLE_SCHEMAS.items()}

NULLABLE_COLUMNS: dict[str, frozenset[str]] = {
    "routes": frozenset({"utilisation"}),
    "decisions": frozenset({"support"}),
    "run_month": frozenset({"leakage_share", "leakage_share_all_blocked"}),
}
"""Float columns that may hold NaN (with the meaning given in the schema); all others never do."""


# ----------------------------------------------------------------------------- schema helpers
def column_dtype(unit: str) -> str:
    """pandas dtype of a column with this unit: 'str', 'bool', 'int64', 'datetime64[ns]' or 'float64'."""
    if unit in TEXT_UNITS:
        return "str"
    return {"bool": "bool", "integer": "int64", "datetime": "datetime64[ns]"}.get(unit, "float64")


def table_columns(table: str, poles: list[str]) -> list[str]:
    """Column names of `table` in order, with ``<pole>`` columns expanded for `poles`."""
    out: list[str] = []
    for name, _, _ in TABLE_SCHEMAS[table]:
        out.extend(name.replace(POLE, p) for p in poles) if POLE in name else out.append(name)
    return out


def schema_markdown() -> str:
    """The table reference (`docs/tables.md`) rendered from `TABLE_SCHEMAS`."""
    lines = [
        "# Result tables",
        "",
        "<!-- Generated by sim.results.tables.schema_markdown(); do not edit by hand. Refresh with:",
        "     python -c \"from sim.results.tables import schema_markdown as m; print(m(), end='')\" \\",
        "       > docs/tables.md -->",
        "",
        "Each run directory holds one Parquet file per table (`<table>.parquet`) plus",
        "`manifest.json`, `summary.txt` and PNG plots; `sim.results.read_run(run_dir)` loads the tables.",
        "",
        "Conventions: tables are long (tidy) and sorted by month, then scenario order.",
        "Every table starts with `run_id`, `scenario` and `seed`, so tables of several runs",
        "(`sim.api.ensemble`) stack with `pd.concat` and group by `run_id`. Months are",
        "`YYYY-MM` strings in `month` and first-of-month timestamps in `date`",
        "(`sim.api.annual(df)` / `sim.api.by_period(df, 'QS')` aggregate by calendar period).",
        "Ensembles drawn from a posterior (`sim.api.ensemble(..., posterior=...)`) add a",
        "`draw` column (integer, the row of `calibration/posterior.parquet` whose parameters",
        "the run used); so do `mvsim compare --posterior` series and `posterior: true` sweeps.",
        "Money is USD bn per year (monthly values are",
        "annualised rates) unless the unit says otherwise; volumes are in the route's",
        "physical unit per year; shares are fractions 0-1. Decision utilities are USD bn of",
        "present value over the decision horizon. Text columns (units `YYYY-MM`, `name`,",
        "`text`, `JSON`) are strings, `bool` columns are booleans, `integer` int64,",
        "`datetime` datetime64[ns], all others are float64.",
        f"A column written `{POLE}` stands for one column per pole of the scenario,",
        "in the scenario's pole order (e.g. `alignment_Russia`).",
        "",
    ]
    for table, columns in TABLE_SCHEMAS.items():
        lines += [f"## `{table}`", "", TABLE_DESCRIPTIONS[table], ""]
        nullable = NULLABLE_COLUMNS.get(table, frozenset())
        if nullable:
            lines += ["May contain NaN: " + ", ".join(f"`{c}`" for c in sorted(nullable)) + ".", ""]
        lines += ["| column | unit | meaning |", "|---|---|---|"]
        lines += [f"| `{name}` | {unit} | {meaning} |" for name, unit, meaning in columns]
        lines.append("")
    return "\n".join(lines)

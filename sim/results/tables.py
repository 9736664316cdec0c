"""Tidy (long) tables from a `RunOutput`, with a documented schema.

`to_tables(out)` turns the arrays of one run into pandas DataFrames, one row per
observation, in a deterministic order (month, then scenario order of actors,
routes, shipments, goods, poles). Column dtypes follow the unit in
`TABLE_SCHEMAS`: text units ('YYYY-MM', name, text, JSON) are `str`, 'bool' is
bool, 'integer' is int64, 'datetime' is datetime64[ns], every other unit is float64.
Every table starts with the run's identity (`run_id`, `scenario`, `seed`) so that
tables of many runs stack without bookkeeping; tables with a `month` also carry
its first day as a datetime `date`. Money is USD bn per year (monthly values are
annualised rates), volumes are the route unit per year, shares are fractions 0-1.

`docs/tables.md` is generated from `TABLE_SCHEMAS` by `schema_markdown()`:

    python -c "from sim.results.tables import schema_markdown as m; print(m(), end='')" > docs/tables.md
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core.recorder import ACTOR_METRICS, ALIGNMENT_FORCES, RunOutput
from sim.results.columns import (
    ID_COLUMNS,
    NULLABLE_COLUMNS,
    POLE,
    STATUS_QUO,
    TABLE_DESCRIPTIONS,
    TABLE_SCHEMAS,
    TEXT_UNITS,
    UNKNOWN_SEED,
    Column,
    column_dtype,
    schema_markdown,
    table_columns,
)

if TYPE_CHECKING:
    from sim.scenario.schema import ScenarioSpec

__all__ = [  # names kept importable from here: the column schema lives in sim.results.columns
    "ID_COLUMNS",
    "NULLABLE_COLUMNS",
    "POLE",
    "STATUS_QUO",
    "TABLE_DESCRIPTIONS",
    "TABLE_SCHEMAS",
    "TEXT_UNITS",
    "UNKNOWN_SEED",
    "Column",
    "column_dtype",
    "schema_markdown",
    "table_columns",
]


def _dtypes(table: str, poles: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, unit, _ in TABLE_SCHEMAS[table]:
        for col in [name.replace(POLE, p) for p in poles] if POLE in name else [name]:
            out[col] = column_dtype(unit)
    return out


RunIds = tuple[str, str, int]
"""(run_id, scenario, seed) of a run."""


def _frame(
    table: str, data: Mapping[str, object], poles: list[str], ids: RunIds | None = None
) -> pd.DataFrame:
    """Build `table` from column data, in schema order with schema dtypes.

    The identity columns come from `ids` (default unknown) and `date` from `month`.
    """
    dtypes = _dtypes(table, poles)
    data = dict(data)
    n = len(next(iter(data.values()))) if data else 0  # type: ignore[arg-type]  # columns are sized
    run_id, scenario, seed = ids or ("", "", UNKNOWN_SEED)
    same = np.zeros(n, dtype=np.intp)
    data |= {
        "run_id": _coded([run_id], same),
        "scenario": _coded([scenario], same),
        "seed": np.full(n, seed, dtype=np.int64),
    }
    if "date" in dtypes:
        data["date"] = _dates(data["month"])
    if set(data) != set(dtypes):
        raise RuntimeError(f"{table}: columns {sorted(set(data) ^ set(dtypes))} disagree with TABLE_SCHEMAS")
    cols = {c: _series(data[c], dtypes[c]) for c in dtypes}
    return pd.DataFrame(cols, columns=list(dtypes))


@dataclass(frozen=True)
class Coded:
    """A label column as distinct labels and one code per row (`labels[codes]`): long tables repeat a
    few labels (months, actors, routes), converted to text once per label instead of once per row."""

    labels: np.ndarray  # (L,) object
    codes: np.ndarray  # (n,) intp into labels

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, k: int) -> object:
        return self.labels[self.codes[k]]

    def values(self) -> np.ndarray:
        """The rows as an object array."""
        return self.labels[self.codes] if len(self.labels) else np.array([], dtype=object)


def _coded(labels: Sequence[object], codes: np.ndarray) -> Coded:
    return Coded(np.asarray(labels, dtype=object), np.asarray(codes, dtype=np.intp))


def _series(values: object, dtype: str) -> pd.Series:
    """A column as `pd.Series(values, dtype=dtype)`; a `Coded` text column converts its labels once
    and takes them by code (same values and dtype)."""
    if isinstance(values, Coded):
        if dtype == "str" and len(values.labels):
            return pd.Series(pd.array(values.labels, dtype="str").take(values.codes))
        values = values.values()
    return pd.Series(np.asarray(values), dtype=dtype)


def _dates(months: object) -> np.ndarray:
    """'YYYY-MM' strings -> datetime64[ns] first-of-month (a `Coded` column: each label parsed once)."""
    if isinstance(months, Coded):
        if not len(months.codes):
            return np.array([], dtype="datetime64[ns]")
        return _dates(months.labels)[months.codes]
    arr = np.asarray(months, dtype=object)
    if not len(arr):
        return np.array([], dtype="datetime64[ns]")
    return pd.to_datetime(pd.Series(arr, dtype="str"), format="%Y-%m").to_numpy(dtype="datetime64[ns]")


def with_ids(df: pd.DataFrame, ids: RunIds) -> pd.DataFrame:
    """`df` with its identity columns set to (run_id, scenario, seed)."""
    run_id, scenario, seed = ids
    same = np.zeros(len(df), dtype=np.intp)
    return df.assign(
        run_id=_series(_coded([run_id], same), "str").set_axis(df.index),
        scenario=_series(_coded([scenario], same), "str").set_axis(df.index),
        seed=pd.Series(np.full(len(df), seed, dtype=np.int64), index=df.index),
    )


# ----------------------------------------------------------------------------- tables
def _long(months: list[str], *names: list[str]) -> list[Coded]:
    """Label columns for a C-ordered (T, *dims) array flattened: month first, last dim fastest."""
    shape = (len(months), *(len(n) for n in names))
    grids = np.indices(shape).reshape(len(shape), -1)
    return [_coded(lab, g) for lab, g in zip([months, *names], grids, strict=True)]


def actor_month_table(out: RunOutput) -> pd.DataFrame:
    """One row per (month, actor): metrics, alignment_<pole> and dependence_<pole>."""
    month, actor = _long(out.months, out.actors)
    data: dict[str, object] = {"month": month, "actor": actor}
    for m in ACTOR_METRICS:
        data[m] = out.metrics[m].reshape(-1)
    n_p = len(out.poles)
    for k, p in enumerate(out.poles):
        data[f"alignment_{p}"] = out.alignment.reshape(-1, n_p)[:, k]
    for k, p in enumerate(out.poles):
        data[f"dependence_{p}"] = out.dependence.reshape(-1, n_p)[:, k]
    return _frame("actor_month", data, out.poles)


def alignment_forces_table(out: RunOutput) -> pd.DataFrame:
    """One row per (month, actor, pole, term), terms in ALIGNMENT_FORCES order."""
    stacked = np.stack([out.forces[t] for t in ALIGNMENT_FORCES], axis=-1)  # (T, N, P, F)
    month, actor, pole, term = _long(out.months, out.actors, out.poles, list(ALIGNMENT_FORCES))
    data = {"month": month, "actor": actor, "pole": pole, "term": term, "value": stacked.reshape(-1)}
    return _frame("alignment_forces", data, out.poles)


def flows_table(out: RunOutput) -> pd.DataFrame | None:
    """Nonzero bilateral flows (USD bn/yr), or None when the run did not record flows."""
    if out.flows is None:
        return None
    t, e, i, g = np.nonzero(out.flows)
    data = {
        "month": _coded(out.months, t),
        "exporter": _coded(out.actors, e),
        "importer": _coded(out.actors, i),
        "good": _coded(out.goods, g),
        "value_usd_bn": out.flows[t, e, i, g],
    }
    return _frame("flows", data, out.poles)


def routes_table(out: RunOutput) -> pd.DataFrame:
    """One row per (month, route): capacity, volume, utilisation, tariff."""
    month, route = _long(out.months, out.routes)
    unit = _long(out.months, out.route_units)[1]
    cap, vol = out.route_capacity.reshape(-1), out.route_volume.reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(cap > 0, vol / np.where(cap > 0, cap, 1.0), np.nan)
    data = {
        "month": month,
        "route": route,
        "unit": unit,
        "capacity_per_year": cap,
        "volume_per_year": vol,
        "utilisation": util,
        "tariff_usd_per_unit": out.route_tariff.reshape(-1),
    }
    return _frame("routes", data, out.poles)


def _allowed_pairs(out: RunOutput, spec: ScenarioSpec | None) -> np.ndarray:
    """(k, 2) sorted (shipment, route) index pairs: allowed by `spec`, else used in any month."""
    if spec is None:
        return np.argwhere((out.shipment_routes > 0).any(axis=0))
    mask = np.zeros(out.shipment_routes.shape[1:], dtype=bool)
    r_index = {r: j for j, r in enumerate(out.routes)}
    s_index = {s: i for i, s in enumerate(out.shipments)}
    for sh in spec.shipments:
        for r in sh.routes:
            if sh.name in s_index and r in r_index:
                mask[s_index[sh.name], r_index[r]] = True
    return np.argwhere(mask | (out.shipment_routes > 0).any(axis=0))


def shipments_table(out: RunOutput, spec: ScenarioSpec | None = None) -> pd.DataFrame:
    """Shipped volume per (month, shipment, route) for every allowed pair (zeros included)."""
    used = _allowed_pairs(out, spec)  # (k, 2) rows of (s, r), sorted
    n_t, n_pairs = len(out.months), len(used)
    s_idx = np.tile(used[:, 0], n_t) if n_pairs else np.array([], dtype=np.intp)
    r_idx = np.tile(used[:, 1], n_t) if n_pairs else np.array([], dtype=np.intp)
    t_idx = np.repeat(np.arange(n_t), n_pairs)
    data = {
        "month": _coded(out.months, t_idx),
        "shipment": _coded(out.shipments, s_idx),
        "route": _coded(out.routes, r_idx),
        "unit": _coded(out.route_units, r_idx),
        "shipped_per_year": out.shipment_routes[t_idx, s_idx, r_idx],
    }
    return _frame("shipments", data, out.poles)


def _or_zero(values: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """A recorded (T, S) array flattened, or zeros for outputs recorded before it existed."""
    return np.zeros(shape) if values is None else values.reshape(-1)


def shipment_totals_table(out: RunOutput, rtol: float = 1e-9) -> pd.DataFrame:
    """One row per (month, shipment): offered, shipped, lost; raises if shipped + lost != offered."""
    month, ship = _long(out.months, out.shipments)
    offered = out.shipment_offered.reshape(-1)
    shipped = out.shipment_routes.sum(axis=-1).reshape(-1)
    lost = out.shipment_lost.reshape(-1)
    bad = ~np.isclose(shipped + lost, offered, rtol=rtol, atol=rtol)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"shipment {ship[k]} in {month[k]}: shipped {shipped[k]:g} + lost {lost[k]:g} "
            f"!= offered {offered[k]:g} (model invariant violated)"
        )
    data = {
        "month": month,
        "shipment": ship,
        "offered_per_year": offered,
        "shipped_per_year": shipped,
        "lost_per_year": lost,
        "lost_for_good_per_year": _or_zero(out.shipment_lost_for_good, lost.shape),
        "backlog": _or_zero(out.shipment_backlog, lost.shape),
        "contracted_per_year": _or_zero(out.shipment_contracted, lost.shape),
    }
    return _frame("shipment_totals", data, out.poles)


def _records(table: str, rows: list[dict], poles: list[str]) -> pd.DataFrame:
    cols = table_columns(table, poles)
    dtypes = _dtypes(table, poles)
    data: dict[str, object] = {}
    for c in cols:
        values = [r.get(c) for r in rows]
        if dtypes[c] == "str":
            data[c] = np.array(["" if v is None else str(v) for v in values], dtype=object)
        elif dtypes[c] == "bool":
            data[c] = np.array([bool(v) for v in values], dtype=bool)
        else:
            data[c] = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return _frame(table, data, poles)


def events_table(out: RunOutput) -> pd.DataFrame:
    """Actions that took effect (out.actions), in log order."""
    return _records("events", out.actions, out.poles)


def decisions_table(out: RunOutput) -> pd.DataFrame:
    """Every scored candidate of every decision round (out.decisions), in log order."""
    return _records("decisions", out.decisions, out.poles)


def run_month_table(out: RunOutput) -> pd.DataFrame:
    """One row per month: leakage share."""
    data = {
        "month": np.asarray(out.months, dtype=object),
        "leakage_share": out.leakage_share,
        "leakage_share_all_blocked": (
            out.leakage_share_all_blocked
            if out.leakage_share_all_blocked is not None
            else np.full(len(out.months), np.nan)
        ),
    }
    return _frame("run_month", data, out.poles)


def actor_info_table(spec: ScenarioSpec) -> pd.DataFrame:
    """Static actor attributes (kind, pole, GDP) from the scenario."""
    rows = [
        {"actor": a.name, "kind": a.kind, "pole": a.pole or "", "gdp_usd_bn": a.gdp_usd_bn}
        for a in spec.actors
    ]
    return _records("actor_info", rows, list(spec.poles))


def shipment_info_table(spec: ScenarioSpec) -> pd.DataFrame:
    """Static shipment attributes (shipper, good, unit, allowed routes) from the scenario."""
    units = {r.name: r.unit for r in spec.routes}
    rows = [
        {
            "shipment": s.name,
            "shipper": s.shipper,
            "good": s.good or "",
            "unit": units.get(s.routes[0], "") if s.routes else "",
            "routes": ", ".join(s.routes),
        }
        for s in spec.shipments
    ]
    return _records("shipment_info", rows, list(spec.poles))


def _owner_pole(spec: ScenarioSpec, transit: list[str], destination: str) -> str:
    poles = {a.name: a.pole for a in spec.actors if a.pole}
    for name in [*transit, destination]:
        if name in poles:
            return str(poles[name])
    return ""


def route_info_table(spec: ScenarioSpec) -> pd.DataFrame:
    """Static route attributes (mode, unit, capacity, buyers, transit, owner pole) from the scenario."""
    rows = [
        {
            "route": r.name,
            "mode": r.mode,
            "unit": r.unit,
            "capacity_per_year": r.capacity_per_year,
            "tariff_usd_per_unit": r.tariff_usd_per_unit,
            "destination": r.destination,
            "buyers": ", ".join(f"{b} {share:g}" for b, share in (r.buyers or {r.destination: 1.0}).items()),
            "transit": ", ".join(r.transit),
            "owner_pole": _owner_pole(spec, r.transit, r.destination),
            "nodes": ", ".join(r.nodes),
        }
        for r in spec.routes
    ]
    return _records("route_info", rows, list(spec.poles))


def run_id_for(scenario: str, seed: int) -> str:
    """Default run identifier: `<scenario>_seed<seed>`."""
    return f"{scenario or 'run'}_seed{seed}"


def to_tables(
    out: RunOutput,
    spec: ScenarioSpec | None = None,
    *,
    seed: int | None = None,
    run_id: str | None = None,
) -> dict[str, pd.DataFrame]:
    """All tables of a run, keyed by name in `TABLE_SCHEMAS` order.

    `flows` is absent when the run did not record flows; `actor_info`,
    `shipment_info` and `route_info` are present only when the scenario `spec` is
    given. `seed` and `run_id` fill the identity columns (scenario from `spec.name`).
    """
    tables: dict[str, pd.DataFrame | None] = {
        "actor_month": actor_month_table(out),
        "alignment_forces": alignment_forces_table(out),
        "flows": flows_table(out),
        "routes": routes_table(out),
        "shipments": shipments_table(out, spec),
        "shipment_totals": shipment_totals_table(out),
        "events": events_table(out),
        "decisions": decisions_table(out),
        "run_month": run_month_table(out),
    }
    if spec is not None:
        tables["actor_info"] = actor_info_table(spec)
        tables["shipment_info"] = shipment_info_table(spec)
        tables["route_info"] = route_info_table(spec)
    scenario = spec.name if spec is not None else ""
    seed_value = UNKNOWN_SEED if seed is None else int(seed)
    ids = (run_id or (run_id_for(scenario, seed_value) if seed is not None else ""), scenario, seed_value)
    return {k: with_ids(v, ids) for k, v in tables.items() if v is not None}


# ----------------------------------------------------------------------------- helpers
def poles_of(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Pole names, in scenario order, from the alignment_<pole> columns of actor_month."""
    return [c.removeprefix("alignment_") for c in tables["actor_month"].columns if c.startswith("alignment_")]


def actors_of(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Actor names in scenario order."""
    if "actor_info" in tables:
        return tables["actor_info"]["actor"].tolist()
    return list(dict.fromkeys(tables["actor_month"]["actor"].tolist()))


DEFAULT_FOCUS = "Kazakhstan"
NO_POLE = "no pole"


def resolve_focus(tables: Mapping[str, pd.DataFrame], focus: str | None = DEFAULT_FOCUS) -> str:
    """The focus actor: `focus` if it is an actor; for None or an absent DEFAULT_FOCUS, the
    first state actor (the first actor if kinds are unknown). Raises ValueError otherwise."""
    actors = actors_of(tables)
    if focus in actors:
        return str(focus)
    if focus is not None and focus != DEFAULT_FOCUS:
        raise ValueError(f"focus actor {focus!r} is not an actor of the run; actors: {', '.join(actors)}")
    if "actor_info" in tables:
        info = tables["actor_info"]
        states = info.loc[info["kind"] == "state", "actor"].tolist()
        if states:
            return str(states[0])
    if not actors:
        raise ValueError("the run has no actors")
    return actors[0]


def partner_trade(source: RunOutput | Mapping[str, pd.DataFrame], actor: str) -> pd.DataFrame:
    """Month x partner trade of `actor` (exports + imports, USD bn/yr), partners in scenario order.

    `source` is a RunOutput or a dict of tables with `flows`. Raises ValueError when
    flows were not recorded.
    """
    tables = to_tables(source) if isinstance(source, RunOutput) else source
    if "flows" not in tables:
        raise ValueError("the run did not record bilateral flows (record_flows=False)")
    flows = tables["flows"]
    months = list(dict.fromkeys(tables["actor_month"]["month"].tolist()))
    partners = [a for a in actors_of(tables) if a != actor]
    mine = flows[(flows["exporter"] == actor) ^ (flows["importer"] == actor)]
    partner = mine["importer"].where(mine["exporter"] == actor, mine["exporter"])
    wide = (
        mine.assign(partner=partner)
        .pivot_table(index="month", columns="partner", values="value_usd_bn", aggfunc="sum", fill_value=0.0)
        .reindex(index=months, columns=partners, fill_value=0.0)
        .astype("float64")
    )
    wide.index.name, wide.columns.name = "month", "partner"
    return wide


def partner_shares(source: RunOutput | Mapping[str, pd.DataFrame], actor: str) -> pd.DataFrame:
    """Month x partner share (0-1) of `actor`'s total trade (exports + imports); rows sum to 1
    (all zero in months without trade)."""
    trade = partner_trade(source, actor)
    total = trade.sum(axis=1)
    return trade.div(total.where(total > 0, 1.0), axis=0)


def partner_poles_from_spec(spec: ScenarioSpec) -> dict[str, str | None]:
    """Actor name -> the pole it embodies (None if none), for grouping trade by pole."""
    return {a.name: a.pole for a in spec.actors}


def partner_poles_from_tables(tables: Mapping[str, pd.DataFrame]) -> dict[str, str | None]:
    """Actor -> pole from the `actor_info` table (empty mapping if the table is absent)."""
    if "actor_info" not in tables:
        return {}
    info = tables["actor_info"]
    return {a: (p or None) for a, p in zip(info["actor"], info["pole"], strict=True)}


def trade_by_pole(
    tables: Mapping[str, pd.DataFrame], actor: str, partner_poles: Mapping[str, str | None]
) -> pd.DataFrame:
    """Month x pole trade of `actor` (exports + imports, USD bn/yr); partners without a pole
    (or missing from `partner_poles`) are grouped under NO_POLE."""
    trade = partner_trade(tables, actor)
    groups = [partner_poles.get(p) or NO_POLE for p in trade.columns]
    order = [p for p in [*poles_of(tables), NO_POLE] if p in groups]
    return trade.T.groupby(groups).sum().T.reindex(columns=order).astype("float64")


def focus_shipments(tables: Mapping[str, pd.DataFrame], actor: str) -> list[str]:
    """Shipments offered by `actor` (all shipments if `shipment_info` is absent)."""
    if "shipment_info" not in tables:
        return list(dict.fromkeys(tables["shipment_totals"]["shipment"].tolist()))
    info = tables["shipment_info"]
    return info.loc[info["shipper"] == actor, "shipment"].tolist()


def month_dates(months: pd.Series | list[str]) -> pd.DatetimeIndex:
    """'YYYY-MM' strings -> first-of-month timestamps."""
    return pd.DatetimeIndex(pd.to_datetime(pd.Series(list(months), dtype="str"), format="%Y-%m"))

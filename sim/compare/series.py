"""One run's tables as the long indicator series of a comparison.

`run_series` turns a run's tables into rows [group, item, unit, month, value] for the
groups in `GROUPS`; `pressure_counts` and `action_counts` count the actions behind the
`pressure` group and the report's action table.

Units: money USD bn per year (monthly values annualised) unless the unit says otherwise,
volumes in the route unit per year, shares 0-1, pressure in actions per month.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from sim.core.policy import pressure_intensity
from sim.core.recorder import ACTOR_METRICS
from sim.results.summary import net_welfare
from sim.results.tables import (
    NO_POLE,
    TABLE_SCHEMAS,
    actors_of,
    focus_shipments,
    partner_poles_from_tables,
    partner_trade,
    poles_of,
    trade_by_pole,
)
from sim.scenario import schema as S
from sim.scenario.compile import compile_action

KEY = ["group", "item", "unit", "month"]
"""Columns that identify one observation of the comparison series."""

GROUPS: dict[str, str] = {
    "indicators": "Indicators of the focus actor (actor_month columns, net welfare, run-wide leakage)",
    "trade_pole": "Focus actor's trade (exports + imports) by partner pole, and the total",
    "trade_partner": "Focus actor's trade (exports + imports) by partner",
    "exports_by_route": "Focus actor's route shipments by route, and volume lost for want of capacity",
    "route_volume": "Volume carried per route, all shippers",
    "route_capacity": "Usable capacity per route after disruptions and investments",
    "reexports": "Re-exports of sanctioned goods through each state",
    "dependence": "Focus actor's dependence on each pole (trade and route-export shares)",
    "alignment": "Focus actor's alignment with each pole (end of month)",
    "pressure": "Coercive actions aimed at the focus actor, by the acting actor's pole",
}
"""Indicator groups of the comparison (item meanings in docs/compare.md)."""

INDICATORS = (*ACTOR_METRICS[:2], "net_welfare_usd_bn", *ACTOR_METRICS[2:], "leakage_share")
"""Items of the `indicators` group, in order."""

_ACTION = TypeAdapter(S.Action)
_UNITS = {name: unit for name, unit, _ in TABLE_SCHEMAS["actor_month"]}
_UNITS.update(net_welfare_usd_bn="USD bn/yr", leakage_share="0-1")


def run_series(tables: dict[str, pd.DataFrame], focus: str) -> pd.DataFrame:
    """One run's comparison indicators as a long table [group, item, unit, month, value].

    `tables` are a run's tables (to_tables with the spec, or read_run); see `GROUPS`.
    Trade groups need the `flows` table and are left out without it.
    """
    am = tables["actor_month"]
    months = list(dict.fromkeys(am["month"].tolist()))
    frames: list[pd.DataFrame] = []

    def add(group: str, wide: pd.DataFrame, units: dict[str, str] | str) -> None:
        """wide: index month, one column per item."""
        items = np.asarray(wide.columns, dtype=object)
        n_t = len(wide.index)
        item = np.repeat(items, n_t)
        unit = [units.get(i, "") for i in item] if isinstance(units, dict) else units
        frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "item": item,
                    "unit": unit,
                    "month": np.tile(np.asarray(wide.index, dtype=object), len(items)),
                    "value": wide.to_numpy(dtype="float64").T.reshape(-1),
                }
            )
        )

    mine = am[am["actor"] == focus].set_index("month")
    ind = pd.DataFrame(index=pd.Index(months, name="month"))
    for col in INDICATORS:
        if col == "net_welfare_usd_bn":
            ind[col] = net_welfare(tables, focus)
        elif col == "leakage_share":
            ind[col] = tables["run_month"].set_index("month")["leakage_share"].fillna(0.0)
        elif col in mine:
            ind[col] = mine[col]
        else:  # a run saved before the column existed (outlays_usd_bn: none recorded)
            ind[col] = 0.0
    add("indicators", ind, _UNITS)

    if "flows" in tables:
        by_pole = trade_by_pole(tables, focus, partner_poles_from_tables(tables))
        by_pole["total"] = by_pole.sum(axis=1)
        add("trade_pole", by_pole, "USD bn/yr")
        add("trade_partner", partner_trade(tables, focus), "USD bn/yr")

    ships = focus_shipments(tables, focus)
    shipped = tables["shipments"]
    shipped = shipped[shipped["shipment"].isin(ships)]
    if len(shipped):
        per_route = shipped.groupby(["month", "route", "unit"], sort=False)["shipped_per_year"].sum()
        frames.append(
            per_route.rename("value")
            .reset_index()
            .rename(columns={"route": "item"})
            .assign(group="exports_by_route", unit=lambda d: d["unit"] + "/yr")
        )
    totals = tables["shipment_totals"]
    totals = totals[totals["shipment"].isin(ships)]
    if len(totals):
        if "shipment_info" in tables:
            info = tables["shipment_info"]
            unit_of = dict(zip(info["shipment"], info["unit"], strict=True))
        else:
            unit_of = dict(zip(shipped["shipment"], shipped["unit"], strict=True))
        unit = totals["shipment"].map(lambda s: unit_of.get(s) or "unit")
        lost = totals.assign(unit=unit).groupby(["month", "unit"], sort=False)["lost_per_year"].sum()
        lost = lost.rename("value").reset_index()
        frames.append(
            lost.assign(
                group="exports_by_route", item="lost (" + lost["unit"] + ")", unit=lost["unit"] + "/yr"
            )
        )

    routes = tables["routes"].assign(unit=lambda d: d["unit"] + "/yr")
    for group, col in (("route_volume", "volume_per_year"), ("route_capacity", "capacity_per_year")):
        frames.append(routes[["month", "route", "unit", col]].rename(columns={"route": "item", col: "value"}))
        frames[-1] = frames[-1].assign(group=group)

    if "actor_info" in tables:
        info = tables["actor_info"]
        states = info.loc[info["kind"] == "state", "actor"].tolist()
    else:
        states = actors_of(tables)
    rex = am[am["actor"].isin(states)].pivot(index="month", columns="actor", values="reexports_usd_bn")
    add("reexports", rex.reindex(index=months, columns=states), "USD bn/yr")

    poles = poles_of(tables)
    add("dependence", mine[[f"dependence_{p}" for p in poles]].set_axis(poles, axis=1), "0-1")
    add("alignment", mine[[f"alignment_{p}" for p in poles]].set_axis(poles, axis=1), "0-1")
    add("pressure", pressure_counts(tables, focus, months), "actions/month")

    out = pd.concat(frames, ignore_index=True)[[*KEY, "value"]]
    out["value"] = out["value"].astype("float64").fillna(0.0)
    return out


def _coercive(row: pd.Series) -> bool:
    if row["kind"] == "penalty":
        return True
    try:
        action = _ACTION.validate_python(json.loads(row["parameters"]))
    except (ValueError, ValidationError):
        return False
    return pressure_intensity(compile_action(action)) > 0


def pressure_counts(tables: dict[str, pd.DataFrame], focus: str, months: Sequence[str]) -> pd.DataFrame:
    """Month x pole count of coercive actions aimed at `focus` (sanctions, secondary sanctions and
    detected penalties, route disruptions and repricing of routes it ships on, demands), by the
    acting actor's pole; accidents (no actor) are not counted."""
    poles = poles_of(tables)
    pole_of = partner_poles_from_tables(tables)
    ev = tables["events"]
    aimed = ev["target"].str.split(", ").map(lambda ts: focus in ts).astype(bool)
    hit = ev[(ev["actor"] != "") & (ev["actor"] != focus) & aimed]
    if len(hit):
        hit = hit[hit.apply(_coercive, axis=1).astype(bool)]
    pole = hit["actor"].map(lambda a: pole_of.get(a) or NO_POLE)
    counts = hit.assign(pole=pole).groupby(["month", "pole"]).size().unstack("pole", fill_value=0)
    cols = [*poles, NO_POLE] if (pole == NO_POLE).any() else poles
    return counts.reindex(index=list(months), columns=cols, fill_value=0).astype("float64")


def action_counts(tables: dict[str, pd.DataFrame], months: Sequence[str]) -> pd.Series:
    """Count of actions that took effect per (actor, kind, name) within `months`."""
    ev = tables["events"]
    ev = ev[ev["month"].isin(set(months))]
    return ev.groupby(["actor", "kind", "name"], sort=False).size()


__all__ = ["GROUPS", "INDICATORS", "KEY", "action_counts", "pressure_counts", "run_series"]

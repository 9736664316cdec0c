"""Solara components of the workbench's results: deltas of any outcome over a window, the route
map, route utilisation, alignment, a month-by-month view of one run, the decision inspector.

Each takes a job `Snapshot` (or its comparison and tables) and plain values; the window
[start, end] is the page's, shared by the delta panel and the route map. Widgets that tests
and the browser look for carry a CSS class `mvsim-*` and a `meta(ref=...)` of the same name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import ipywidgets
import solara

from sim.ui import geo, panels
from sim.ui import outcomes as O
from sim.ui.jobs import Snapshot

if TYPE_CHECKING:
    import pandas as pd

    from sim.compare import Comparison

Window = tuple[str, str]


def _tagged(ref: str) -> solara.Element:
    return solara.Div(classes=[ref]).meta(ref=ref)


@solara.component
def Figure(fig_fn: Callable[[], object], key: object):
    """A matplotlib figure, rebuilt when `key` changes."""
    fig = solara.use_memo(fig_fn, dependencies=[key])
    solara.FigureMatplotlib(fig, dependencies=[key], format="png")


@solara.component
def WindowPicker(cmp: Comparison, window: Window, on_window: Callable[[Window | None], None]):
    """Start and end month of the window (typed 'YYYY-MM'), and shortcuts: the months that
    differ, the whole horizon. A month outside the horizon is refused with a message."""
    start, end = window
    problem, set_problem = solara.use_state("")

    def set_month(which: int, text: str | None) -> None:
        m = (text or "").strip()
        if m not in cmp.months:
            set_problem(f"expected a month 'YYYY-MM' in {cmp.months[0]}..{cmp.months[-1]}, got {m!r}")
            return
        set_problem("")
        on_window((m, end) if which == 0 else (start, m))

    with solara.Row(classes=["mvsim-window"], style={"align-items": "center", "flex-wrap": "wrap"}):
        for which, label, value in ((0, "Window start (YYYY-MM)", start), (1, "Window end (YYYY-MM)", end)):
            with solara.Div(
                classes=[f"mvsim-window-{'start' if which == 0 else 'end'}"], style={"width": "13em"}
            ):
                solara.InputText(label, value=value, on_value=functools.partial(set_month, which))
        solara.Button(
            "Months that differ", on_click=lambda: on_window(None), text=True, classes=["mvsim-auto"]
        )
        solara.Button(
            "Whole horizon",
            on_click=lambda: on_window((cmp.months[0], cmp.months[-1])),
            text=True,
            classes=["mvsim-horizon"],
        )
    if problem:
        solara.Error(problem)


def effective_window(cmp: Comparison, window: Window | None) -> Window:
    """The window the panels use: the chosen one inside the horizon, else the months that differ."""
    return O.clip_window(cmp, *window) if window is not None else O.auto_window(cmp)


@solara.component
def DeltaPanel(snap: Snapshot, window: Window, on_window: Callable[[Window | None], None]):
    """The delta of any outcome (actor indicator, route, shipment, pair, ...) over the window,
    with its 10-90 % band over paired seeds, and the table of the outcome's group."""
    cmp = snap.comparison
    assert cmp is not None
    groups = O.groups(cmp)
    by_label = {label: g for g, label in groups.items()}
    group, set_group = solara.use_state("route_volume" if "route_volume" in groups else "indicators")
    item, set_item = solara.use_state("")
    group = group if group in groups else next(iter(groups))
    choices = [o for o in O.outcomes(cmp) if o.group == group]
    labels = [o.label for o in choices]
    chosen = next((o for o in choices if o.label == item), choices[0])
    start, end = window

    def pick_group(label: str) -> None:
        set_group(by_label[label])
        set_item("")

    title = f"Deltas: {cmp.b.label} - {cmp.a.label} ({cmp.replications} paired seeds), {start}..{end}"
    with solara.Card(title), _tagged("mvsim-deltas"):
        with solara.Row(style={"flex-wrap": "wrap"}):
            with solara.Div(classes=["mvsim-group"], style={"min-width": "17em"}):
                solara.Select(
                    "Outcome group",
                    values=list(by_label),
                    value=groups[group],
                    on_value=pick_group,
                )
            with solara.Div(classes=["mvsim-outcome"], style={"min-width": "17em"}):
                solara.Select("Outcome", values=labels, value=chosen.label, on_value=set_item)
        WindowPicker(cmp, window, on_window)
        Figure(
            lambda: panels.outcome_figure(
                cmp, chosen.group, chosen.item, chosen.label, chosen.unit, start, end
            ),
            (id(cmp), chosen.key, start, end),
        )
        solara.Text(
            f"{groups[group]}: means over {start}..{end} (median over seeds; band 10-90 %)",
            style={"font-size": "13px", "color": "#555"},
        )
        table = solara.use_memo(
            lambda: O.window_summary(cmp, group, start, end), [id(cmp), group, start, end]
        )
        solara.HTML(unsafe_innerHTML=panels.html_table(table))


@solara.component
def RouteMapPanel(snap: Snapshot, window: Window, route_nodes: Mapping[str, Sequence[str]]):
    """The corridors on a map with B's mean volume over the window and the delta B - A."""
    cmp = snap.comparison
    assert cmp is not None
    start, end = window
    _, missing = geo.drawable(route_nodes)
    title = f"Route map: volume of {cmp.b.label} and delta vs {cmp.a.label}, {start}..{end}"
    with _tagged("mvsim-map"), solara.Card(title):

        def fig():
            vol, delta, units = O.route_window(cmp, start, end)
            return geo.route_map_figure(
                route_nodes,
                vol,
                units,
                delta,
                title=f"Mean volume over {start}..{end} (median over seeds); (delta) where it moved",
            )

        Figure(fig, (id(cmp), start, end))
        note = "Line width: volume; red: less than A, blue: more, grey: unchanged."
        note += " An offline sketch from node coordinates (sim/ui/geo.py)"
        note += f"; not drawn (no coordinates): {', '.join(missing)}." if missing else "."
        solara.Text(note, style={"font-size": "12px", "color": "#555"})


@solara.component
def TradeRoutesPanel(snap: Snapshot):
    cmp = snap.comparison
    assert cmp is not None
    with solara.Card(f"{cmp.focus}: partner shares and route utilisation"):
        with _tagged("mvsim-shares"):
            Figure(lambda: panels.partner_shares_figure(cmp), id(cmp))
        with _tagged("mvsim-routes"):
            Figure(lambda: panels.route_utilisation_figure(cmp), id(cmp))
            solara.HTML(unsafe_innerHTML=panels.html_table(panels.route_summary(cmp)))


@solara.component
def AlignmentPanel(snap: Snapshot):
    cmp = snap.comparison
    assert cmp is not None
    with solara.Card(f"{cmp.focus}: alignment change per pole"), _tagged("mvsim-alignment"):
        Figure(lambda: panels.band_figure(cmp, "alignment"), id(cmp))
        solara.HTML(unsafe_innerHTML=panels.html_table(panels.alignment_change(cmp)))


STEP_INDICATORS = ("exports_usd_bn", "imports_usd_bn", "lost_exports_usd_bn", "multivector_index")
EVENT_COLUMNS = ("actor", "kind", "name", "target")  # of the events table


def _month_rows(tables: dict[str, pd.DataFrame], focus: str, month: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The focus actor's main indicators and the events that took effect in one month."""
    import pandas as pd

    row = panels.run_month(tables, focus, month)["actor"]
    ind = pd.DataFrame(
        {
            "indicator": [O.item_label(k) for k in STEP_INDICATORS if k in row]
            + [f"alignment with {k[len('alignment_') :]}" for k in row if str(k).startswith("alignment_")],
            "value": [row[k] for k in STEP_INDICATORS if k in row]
            + [row[k] for k in row if str(k).startswith("alignment_")],
        }
    )
    ev = tables["events"]
    ev = ev[ev["month"].astype(str) == month]
    return ind, ev[[c for c in EVENT_COLUMNS if c in ev.columns]]


@solara.component
def RunStepper(snap: Snapshot, label: str, focus: str, route_nodes: Mapping[str, Sequence[str]]):
    """Step through the months of one run (B at the first seed): the route map of that month,
    the focus actor's indicators and the events; a slider and a play button."""
    tables = snap.inspect
    index, set_index = solara.use_state(0)
    with solara.Card(f"Month by month: {label}, one run (first seed)"), _tagged("mvsim-stepper"):
        if tables is None:
            solara.Info("The run of B is not finished yet.")
            return
        months = panels.run_months(tables)
        i = min(index, len(months) - 1)
        month = months[i]
        with solara.Row(style={"align-items": "center"}):
            ipywidgets.Play.element(
                value=i, min=0, max=len(months) - 1, step=1, interval=1500, on_value=set_index
            )
            with solara.Div(style={"flex": "1 1 auto"}):
                solara.SliderInt(
                    "", value=i, min=0, max=len(months) - 1, on_value=set_index, thumb_label=False
                )
            solara.Text(month, classes=["mvsim-step-month"], style={"font-weight": "bold", "width": "5em"})

        def fig():
            m = panels.run_month(tables, focus, month)
            return geo.route_map_figure(
                route_nodes, m["volume"], m["unit"], title=f"Route volumes in {month}"
            )

        Figure(fig, (id(tables), month))
        ind, ev = _month_rows(tables, focus, month)
        with solara.Columns([1, 2]):
            solara.HTML(unsafe_innerHTML=panels.html_table(ind))
            if len(ev):
                solara.HTML(unsafe_innerHTML=panels.html_table(ev))
            else:
                solara.Text(f"no event took effect in {month}", style={"color": "#666"})


@solara.component
def DecisionInspector(snap: Snapshot, label: str):
    """Pick an actor and a month: the candidates, their probabilities and the terms."""
    tables = snap.inspect
    actor, set_actor = solara.use_state("")
    month, set_month = solara.use_state("")
    with (
        solara.Card(f"Decision inspector: {label}, seed of the first replication"),
        _tagged("mvsim-decisions"),
    ):
        if tables is None:
            solara.Info("The inspection run is not finished yet.")
            return
        d = tables["decisions"]
        actors = panels.decision_actors(d)
        if not actors:
            solara.Info("No actor decided in this run (decisions disabled or outside the horizon).")
            return
        actor = actor if actor in actors else actors[0]
        months = panels.decision_months(d, actor)
        month = month if month in months else months[0]
        with solara.Row():
            solara.Select("Actor", values=actors, value=actor, on_value=set_actor)
            solara.Select("Month", values=months, value=month, on_value=set_month)
        table = panels.decision_table(d, actor, month)
        terms = [c for c in table.columns if c not in ("candidate", "chosen", "probability", "utility")]
        solara.HTML(unsafe_innerHTML=panels.html_table(table))
        Figure(
            lambda: panels.decision_figure(table, terms, f"{actor}, {month}: utility terms per candidate"),
            (id(d), actor, month),
        )


__all__ = [
    "AlignmentPanel",
    "DecisionInspector",
    "DeltaPanel",
    "Figure",
    "RouteMapPanel",
    "RunStepper",
    "TradeRoutesPanel",
    "WindowPicker",
    "effective_window",
]

"""Solara components of the workbench: scenario picker, lever editor, run controls and panels.

Each panel takes plain data (a `Source`, `Edits`, a job `Snapshot`) and callbacks; the page
(`sim.ui.app`) owns the state. Widgets that tests and the browser look for carry a CSS class
`mvsim-*` (browser) and a `meta(ref=...)` of the same name (component tests).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import solara

from sim.ui import editor, panels
from sim.ui.jobs import Snapshot
from sim.ui.workflow import Source


def _tagged(ref: str) -> solara.Element:
    """A div with CSS class and meta ref `ref` (use as a context manager)."""
    return solara.Div(classes=[ref]).meta(ref=ref)


@solara.component
def ScenarioPicker(
    files: list[Path],
    current: str | None,
    on_pick: Callable[[str], None],
    on_upload: Callable[[str, bytes], None],
):
    """Pick a scenario file, or drop one in."""
    names = [p.name for p in files]

    def pick(name: str | None) -> None:
        if name is not None:  # the select also reports a cleared choice
            on_pick(name)

    with _tagged("mvsim-picker"):
        solara.Select("Scenario", values=names, value=current if current in names else None, on_value=pick)
        solara.FileDrop(
            label="... or drop a scenario YAML here",
            on_file=lambda f: on_upload(f["name"], f["data"]),
            lazy=False,
        )


@solara.component
def LeverSlider(lever: editor.Lever, value: float, on_value: Callable[[str, float], None]):
    slug = "".join(ch if ch.isalnum() else "-" for ch in lever.key).strip("-").lower()
    with solara.Div(classes=["mvsim-lever", f"mvsim-lever-{slug}"]).meta(ref=f"lever:{lever.key}"):
        solara.SliderFloat(
            f"{lever.label}: {value:g} {lever.unit}",
            value=float(value),
            min=lever.lo,
            max=max(lever.hi, float(value)),
            step=lever.step,
            on_value=lambda v: on_value(lever.key, float(v)),
            thumb_label=True,
        )


@solara.component
def LeverEditor(
    source: Source,
    edits: editor.Edits,
    on_edits: Callable[[editor.Edits], None],
    actor: str,
    on_actor: Callable[[str], None],
):
    """Sliders for the main levers, a free-value field for any lever, and event switches."""
    levers = source.levers
    by_group: dict[str, list[editor.Lever]] = {}
    for lv in levers:
        by_group.setdefault(lv.group, []).append(lv)

    def set_value(key: str, value: float) -> None:
        on_edits(editor.Edits({**edits.values, key: value}, set(edits.disabled_events)))

    def value_of(lv: editor.Lever) -> float:
        return edits.values.get(lv.key, lv.value)

    exact_key, set_exact_key = solara.use_state(levers[0].key if levers else "")
    with _tagged("mvsim-editor"):
        with solara.Details("Routes: capacity", expand=True):
            for lv in by_group.get("routes", []):
                LeverSlider(lv, value_of(lv), set_value)
        actors = sorted({lv.key.split("]")[0][len("actors[") :] for lv in by_group.get("actors", [])})
        with solara.Details("Actors: hedging weight and enforcement", expand=True):
            if actors:
                solara.Select(
                    "Actor", values=actors, value=actor if actor in actors else actors[0], on_value=on_actor
                )
            chosen = actor if actor in actors else (actors[0] if actors else "")
            for lv in by_group.get("actors", []):
                if lv.key.startswith(f"actors[{chosen}]."):
                    LeverSlider(lv, value_of(lv), set_value)
        with solara.Details("Hazards: yearly rates"):
            for lv in by_group.get("hazards", []):
                LeverSlider(lv, value_of(lv), set_value)
        with solara.Details("Sanctions and enforcement events: levels"):
            for lv in by_group.get("sanctions", []):
                LeverSlider(lv, value_of(lv), set_value)
        with solara.Details("Any lever, any value (checked by the scenario schema)"):
            keys = [lv.key for lv in levers]
            if keys:
                solara.Select("Lever", values=keys, value=exact_key, on_value=set_exact_key)
                current = next((value_of(lv) for lv in levers if lv.key == exact_key), 0.0)
                with _tagged("mvsim-exact"):
                    solara.InputFloat(
                        "Value", value=current, on_value=lambda v: set_value(exact_key, float(v or 0.0))
                    )
        events = source.mapping.get("events", [])

        def toggle(i: int, on: bool) -> None:
            off = set(edits.disabled_events)
            off.discard(i) if on else off.add(i)
            on_edits(editor.Edits(dict(edits.values), off))

        title = f"Events ({len(events) - len(edits.disabled_events)} of {len(events)} on)"
        with solara.Details(title), _tagged("mvsim-events"):
            for i, ev in enumerate(events):
                solara.Checkbox(
                    label=editor.event_label(ev),
                    value=i not in edits.disabled_events,
                    on_value=functools.partial(toggle, i),
                )
        if not edits.is_empty():
            solara.Button("Reset all edits", on_click=lambda: on_edits(editor.Edits()), text=True)


@solara.component
def ValidationStatus(error: str | None, changes: list[str]):
    """The loader's verdict on the edited scenario."""
    with _tagged("mvsim-validation"):
        if error:
            solara.Error("The edited scenario is not valid (the loader's messages):")
            solara.Preformatted(error)
        else:
            solara.Success("Valid scenario" + (f" ({len(changes)} edits)" if changes else " (unedited)"))


@solara.component
def Progress(snap: Snapshot | None, on_cancel: Callable[[], None]):
    """Progress of the running comparison, with a cancel button."""
    with _tagged("mvsim-progress"):
        if snap is None:
            solara.Info("No comparison run yet.")
            return
        pct = 100.0 * snap.done / max(snap.total, 1)
        text = f"{snap.status}: {snap.done}/{snap.total} seeds, {snap.elapsed_s:.1f} s"
        if snap.first_result_s is not None:
            text += f" (first results after {snap.first_result_s:.1f} s)"
        solara.ProgressLinear(pct if snap.finished else max(pct, 2.0))
        solara.Text(text, classes=["mvsim-status"])
        if not snap.finished:
            solara.Button("Cancel", on_click=on_cancel, color="error", classes=["mvsim-cancel"])
        if snap.error:
            solara.Error(f"The comparison failed: {snap.error}")


@solara.component
def Figure(fig_fn: Callable[[], object], key: object):
    """A matplotlib figure, rebuilt when `key` changes."""
    fig = solara.use_memo(fig_fn, dependencies=[key])
    solara.FigureMatplotlib(fig, dependencies=[key], format="png")


@solara.component
def DeltaPanel(snap: Snapshot):
    """Headline deltas with their bands: a chosen indicator over time, and the table."""
    cmp = snap.comparison
    assert cmp is not None
    items = panels.indicator_items(cmp)
    item, set_item = solara.use_state("exports_usd_bn")
    chosen = item if item in items else items[0]
    title = f"Deltas: {cmp.b.label} - {cmp.a.label} ({cmp.replications} paired seeds)"
    with solara.Card(title), _tagged("mvsim-deltas"):
        solara.Select("Indicator", values=items, value=chosen, on_value=set_item)
        Figure(lambda: panels.band_figure(cmp, "indicators", [chosen]), (id(cmp), chosen))
        solara.HTML(unsafe_innerHTML=panels.html_table(panels.delta_summary(cmp)))


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
    "LeverEditor",
    "Progress",
    "ScenarioPicker",
    "TradeRoutesPanel",
    "ValidationStatus",
]

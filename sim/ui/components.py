"""Solara components of the workbench: scenario picker, lever editor, run controls and panels.

Each panel takes plain data (a `Source`, `Edits`, a job `Snapshot`) and callbacks; the page
(`sim.ui.app`) owns the state. Widgets that tests and the browser look for carry a CSS class
`mvsim-*` (browser) and a `meta(ref=...)` of the same name (component tests).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import cast

import ipywidgets
import solara

from sim.ui import editor, forms
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
    """Pick a scenario file, open one from disk with the file dialog, or drop one in."""
    names = [p.name for p in files]

    def pick(name: str | None) -> None:
        if name is not None:  # the select also reports a cleared choice
            on_pick(name)

    counter, set_counter = solara.use_state(0)  # a new picker after each upload: same file again

    def picked(value) -> None:
        for f in value or ():
            on_upload(str(f["name"]), bytes(f["content"]))
        set_counter(counter + 1)

    with _tagged("mvsim-picker"):
        solara.Select("Scenario", values=names, value=current if current in names else None, on_value=pick)
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            with _tagged("mvsim-upload"):
                ipywidgets.FileUpload.element(
                    accept=".yaml,.yml",
                    multiple=False,
                    description="Open a YAML file...",
                    layout=ipywidgets.Layout(width="auto"),
                    on_value=picked,
                ).key(f"upload-{counter}")
            solara.Text("or drop one on the box below", style={"color": "#666", "font-size": "13px"})
        solara.FileDrop(
            label="Drop a scenario YAML here",
            on_file=lambda f: on_upload(f["name"], f["data"]),
            lazy=False,
        )


def _range_text(x: float) -> str:
    return f"{x:.4g}"


@solara.component
def LeverSlider(lever: editor.Lever, value: float, on_value: Callable[[str, float], None]):
    """One lever on the grid: its label and unit, the slider between its min and max, the value."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in lever.key).strip("-").lower()
    hi = max(lever.hi, float(value))
    with solara.Div(classes=["mvsim-lever", f"mvsim-lever-{slug}"]).meta(ref=f"lever:{lever.key}"):
        solara.Text(
            f"{lever.label} ({lever.unit})" if lever.unit else lever.label, classes=["mvsim-lever-label"]
        )
        solara.Text(_range_text(lever.lo), classes=["mvsim-lever-min"])
        solara.SliderFloat(
            "",
            value=float(value),
            min=lever.lo,
            max=hi,
            step=lever.step,
            on_value=lambda v: on_value(lever.key, float(v)),
            thumb_label=False,
        )
        solara.Text(_range_text(hi), classes=["mvsim-lever-max"])
        changed = float(value) != lever.value
        solara.Text(
            f"{value:g} {lever.unit if lever.unit != '0-1' else ''}".strip(),
            classes=["mvsim-lever-value", *(["mvsim-lever-changed"] if changed else [])],
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
        if edits.values:
            solara.Button(
                "Reset lever edits",
                on_click=lambda: on_edits(editor.Edits({}, set(edits.disabled_events))),
                text=True,
            )


@solara.component
def EventsEditor(
    source: Source,
    n_base: int,
    edits: editor.Edits,
    on_edits: Callable[[editor.Edits], None],
    ev_edits: forms.EventEdits,
    on_ev_edits: Callable[[forms.EventEdits], None],
    check: Callable[[forms.EventEdits], str | None],
):
    """Switch events on and off, and add or edit one through a form built from the schema.

    `source.mapping` holds the scenario's events with `ev_edits` applied (added ones last);
    `check` validates a candidate `EventEdits` with the whole scenario (the loader's messages,
    None if valid); a form is committed only when it is valid.
    """
    events = source.mapping.get("events", [])
    off = edits.disabled_events

    def toggle(i: int, on: bool) -> None:
        new = set(off)
        new.discard(i) if on else new.add(i)
        on_edits(editor.Edits(dict(edits.values), new))

    title = f"Scripted events ({len(events) - len(off)} of {len(events)} on; {len(ev_edits.added)} added)"
    with solara.Details(title), _tagged("mvsim-events"):
        for i, ev in enumerate(events):
            label = editor.event_label(ev) + ("  [added]" if i >= n_base else "")
            solara.Checkbox(label=label, value=i not in off, on_value=functools.partial(_switch, toggle, i))
    EventForm(source.mapping, n_base, ev_edits, on_ev_edits, check, lambda i: toggle(i, False))


def _switch(toggle: Callable[[int, bool], None], i: int, on: bool) -> None:
    toggle(i, on)


NEW = "(a new event)"


@solara.component
def EventForm(
    mapping: dict,
    n_base: int,
    ev_edits: forms.EventEdits,
    on_ev_edits: Callable[[forms.EventEdits], None],
    check: Callable[[forms.EventEdits], str | None],
    on_remove: Callable[[int], None],
):
    """Add a new event or edit one: date, name, action type and the type's fields."""
    events = mapping.get("events", [])
    choices = [NEW, *[f"{i}: {editor.event_label(e)}" for i, e in enumerate(events)]]
    chosen, set_chosen = solara.use_state(NEW)
    date, set_date = solara.use_state(mapping.get("start", ""))
    name, set_name = solara.use_state("")
    kind, set_kind = solara.use_state("route_disruption")
    values, set_values = solara.use_state(cast(dict[str, str], {}))
    message, set_message = solara.use_state(cast(tuple[str, str] | None, None))

    def select(label: str) -> None:
        set_chosen(label)
        set_message(None)
        if label == NEW:
            return
        ev = events[int(label.split(":")[0])]
        set_date(str(ev.get("date", "")))
        set_name(str(ev.get("name", "") or ""))
        set_kind(str(ev.get("action", {}).get("type", "")))
        set_values(forms.form_values(ev))

    index = None if chosen not in choices or chosen == NEW else int(chosen.split(":")[0])

    def commit() -> None:
        event = forms.build_event(date or "", kind, values, name or "")
        cand = ev_edits.add(event) if index is None else ev_edits.replace(index, event, n_base)
        error = check(cand)
        if error:
            set_message(("error", error))
            return
        on_ev_edits(cand)
        verb = "added" if index is None else "changed"
        set_message(("ok", f"event {verb}: {editor.event_label(event)}"))
        if index is None:
            set_chosen(NEW)

    fields = forms.form_fields(kind) if kind in forms.action_types() else []
    with solara.Details("Add or edit an event (checked by the scenario schema)"), _tagged("mvsim-event-form"):
        solara.Select("Event", values=choices, value=chosen if chosen in choices else NEW, on_value=select)
        with solara.Div(classes=["mvsim-form-grid"]):
            solara.InputText("date (YYYY-MM) *", value=date, on_value=set_date, continuous_update=True)
            solara.InputText("name (optional)", value=name, on_value=set_name, continuous_update=True)
            solara.Select("action type *", values=forms.action_types(), value=kind, on_value=set_kind)
            for f in fields:
                FormInput(
                    f,
                    mapping,
                    values.get(f.name, f.default),
                    lambda v, f=f: set_values({**values, f.name: v}),
                )
        with solara.Row():
            solara.Button(
                "Add event" if index is None else "Apply changes",
                on_click=commit,
                color="primary",
                classes=["mvsim-event-commit"],
            )
            if index is not None:
                solara.Button(
                    "Remove (switch off)",
                    on_click=lambda: on_remove(index),
                    color="error",
                    text=True,
                    classes=["mvsim-event-remove"],
                )
            if not ev_edits.is_empty():
                solara.Button(
                    "Reset event edits", on_click=lambda: on_ev_edits(forms.EventEdits()), text=True
                )
        if message is not None:
            with _tagged("mvsim-event-message"):
                if message[0] == "ok":
                    solara.Success(message[1])
                else:
                    solara.Error("Not added: the scenario would not be valid (the loader's messages):")
                    solara.Preformatted(forms.named_paths(message[1], mapping))


@solara.component
def FormInput(f: forms.FormField, mapping: dict, value: str, on_value: Callable[[str], None]):
    """One form field: a choice among the schema's values or the scenario's names, or text."""
    label = f"{f.name}{' *' if f.required else ''}"
    hint = f.description[:90]
    options = list(f.choices) or (forms.names_of(mapping, f.names) if f.names else [])
    with solara.Div(classes=["mvsim-field", f"mvsim-field-{f.name}"]):
        if options:
            none = [] if f.required else ["(none)"]
            solara.Select(
                label,
                values=[*none, *options],
                value=value if value in options else (none[0] if none else None),
                on_value=lambda v: on_value("" if v == "(none)" else str(v)),
            )
        else:
            solara.InputText(
                label, value=value, on_value=lambda v: on_value(v or ""), continuous_update=True, message=hint
            )


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


__all__ = [
    "EventForm",
    "EventsEditor",
    "LeverEditor",
    "Progress",
    "ScenarioPicker",
    "ValidationStatus",
]

"""The workbench page (`Page`): pick, edit, validate, run against the comparison, inspect, save.

Served by `mvsim serve` (sim.ui.server); directories come from `workflow.Config.from_env()`.
"""

from __future__ import annotations

import dataclasses
import html
import threading
from pathlib import Path

import solara

from sim.errors import ScenarioError
from sim.ui import adapter, editor, forms, geo, outcomes, workflow
from sim.ui.components import EventsEditor, LeverEditor, Progress, ScenarioPicker, ValidationStatus
from sim.ui.jobs import Snapshot, default_pool
from sim.ui.result_panels import (
    AlignmentPanel,
    DecisionInspector,
    DeltaPanel,
    RouteMapPanel,
    RunStepper,
    TradeRoutesPanel,
    effective_window,
)

DEFAULT_SCENARIO = "01b_cpc_halt_6m.yaml"
SEED_CHOICES = [1, 2, 3, 5, 10, 20, 30, 50]
CSS = """
.mvsim-lever { display: grid; grid-template-columns: 3em minmax(6em, 1fr) 3em 6em;
  align-items: center; column-gap: 6px; margin: 2px 0 6px 0; }
.mvsim-lever .mvsim-lever-label { grid-column: 1 / -1; font-size: 13px; line-height: 1.2; }
.mvsim-lever .mvsim-lever-min { text-align: right; font-size: 12px; color: #777; }
.mvsim-lever .mvsim-lever-max { font-size: 12px; color: #777; }
.mvsim-lever .mvsim-lever-value { font-size: 13px; text-align: right; white-space: nowrap; }
.mvsim-lever .mvsim-lever-changed { font-weight: bold; color: #1565c0; }
.mvsim-lever .v-input { margin: 0; padding: 0; }
.mvsim-lever .v-input__slot { margin: 0; }
.mvsim-lever .v-messages { display: none; }
.mvsim-run-grid, .mvsim-form-grid { display: grid; grid-template-columns: 1fr 1fr; column-gap: 12px; }
.mvsim-run.v-btn { width: 100%; height: auto !important; min-height: 40px; padding: 6px 12px !important; }
.mvsim-run .v-btn__content { white-space: normal; line-height: 1.3; flex-shrink: 1; }
.mvsim-upload .widget-upload { width: auto; }
.mvsim-validation pre, .mvsim-event-message pre { white-space: pre-wrap; overflow-wrap: anywhere; }
"""


def _ends(start: str, end: str) -> list[str]:
    """Horizon choices: the full horizon, then each December before it."""
    years = range(int(start[:4]), int(end[:4]))
    return [end, *[f"{y}-12" for y in years if f"{y}-12" >= start]]


@solara.component
def Page():
    cfg = solara.use_memo(workflow.Config.from_env, [])
    files = solara.use_memo(lambda: adapter.scenario_files(cfg.scenarios_dir), [])
    first = next((p for p in files if p.name == DEFAULT_SCENARIO), files[0] if files else None)

    initial = solara.use_memo(lambda: workflow.open_named(cfg, first.name) if first else None, [])
    source, set_source = solara.use_state(initial)
    open_error, set_open_error = solara.use_state(None)
    edits, set_edits = solara.use_state(editor.Edits())
    ev_edits, set_ev_edits = solara.use_state(forms.EventEdits())
    route_nodes, set_route_nodes = solara.use_state({})
    actor, set_actor = solara.use_state("Kazakhstan")
    name, set_name = solara.use_state("")
    compare_with, set_compare_with = solara.use_state(None)
    n_seeds, set_n_seeds = solara.use_state(10)
    end, set_end = solara.use_state("")
    focus, set_focus = solara.use_state("Kazakhstan")
    started, set_started = solara.use_state(None)
    snap, set_snap = solara.use_state(None)
    run_error, set_run_error = solara.use_state(None)
    save_name, set_save_name = solara.use_state("")
    save_msg, set_save_msg = solara.use_state(None)

    def adopt(src: workflow.Source) -> None:
        set_source(src)
        set_edits(editor.Edits())
        set_ev_edits(forms.EventEdits())
        set_open_error(None)
        set_name("")
        set_compare_with(None)
        set_end("")
        set_save_msg(None)

    def pick(fname: str) -> None:
        try:
            adopt(workflow.open_named(cfg, fname))
        except ScenarioError as exc:
            set_open_error(str(exc))

    def upload(fname: str, data: bytes) -> None:
        try:
            adopt(workflow.open_upload(fname, data, cfg.scenarios_dir, cfg.read_roots))
        except ScenarioError as exc:
            set_open_error(str(exc))

    def with_events(ev: forms.EventEdits) -> workflow.Source | None:
        """The source with its events edited through the form (added ones appended)."""
        if source is None or ev.is_empty():
            return source
        return dataclasses.replace(source, mapping=forms.apply_events(source.mapping, ev))

    def edit(ev: forms.EventEdits) -> workflow.Edited | None:
        src = with_events(ev)
        if src is None or source is None:
            return None
        e = workflow.edit(src, edits, name or None)
        if ev.is_empty():
            return e
        if edits.is_empty() and not name:  # the event edits alone make it an edited scenario
            e = workflow.edit(src, edits, f"{source.loaded.spec.name}_edited")
        return dataclasses.replace(e, changes=[*forms.event_change_lines(source.mapping, ev), *e.changes])

    source_ev = solara.use_memo(lambda: with_events(ev_edits), dependencies=[source, ev_edits])
    edited = solara.use_memo(lambda: edit(ev_edits), dependencies=[source, edits, ev_edits, name])

    def check_events(ev: forms.EventEdits) -> str | None:
        e = edit(ev)
        return e.error if e is not None else "no scenario"

    def set_events(ev: forms.EventEdits) -> None:
        """Commit event edits; a lever value of an event the form changed is dropped."""
        changed = {i for i, e in ev.replaced.items() if ev_edits.replaced.get(i) != e}
        keep = {
            k: v for k, v in edits.values.items() if not any(k.startswith(f"events[{i}].") for i in changed)
        }
        if len(keep) != len(edits.values):
            set_edits(editor.Edits(keep, set(edits.disabled_events)))
        set_ev_edits(ev)

    def poll(cancel: threading.Event) -> None:
        if started is None:
            return
        version = 0
        while not cancel.is_set():
            version, s = started.job.wait_change(version, 0.5)
            set_snap(s)
            if s.finished:
                return

    solara.use_thread(poll, dependencies=[started])

    cw_path: Path | None = None
    if source is not None:
        cw_path = cfg.scenarios_dir / compare_with if compare_with else source.compare_with

    def run() -> None:
        set_run_error(None)
        if source is None or edited is None or cw_path is None:
            set_run_error("pick a scenario and a comparison scenario first")
            return
        if started is not None:
            started.job.cancel()
        try:
            st = workflow.start_comparison(
                cfg,
                source_ev,
                edited,
                cw_path,
                n_seeds,
                default_pool(),
                focus=focus,
                end=end if end and end != source.loaded.spec.end else None,
            )
        except (ScenarioError, ValueError, OSError) as exc:
            set_run_error(str(exc))
            return
        set_route_nodes(geo.route_nodes(edited.mapping))
        set_snap(st.job.snapshot())
        set_started(st)

    def cancel() -> None:
        if started is not None:
            started.job.cancel()

    def save() -> None:
        if source is None or edited is None:
            return
        fname = save_name or f"{edited.mapping['name']}.yaml"
        try:
            path = workflow.save(source_ev, edited, fname, cfg.save_dir)
        except (ScenarioError, OSError) as exc:
            set_save_msg(("error", str(exc)))
            return
        set_save_msg(("ok", f"saved {path}; `mvsim validate {path}` accepts it"))

    solara.Title("mvsim workbench")
    solara.Style(CSS)
    with solara.Columns([1, 2]):
        with solara.Column():
            with solara.Card("Scenario"):
                ScenarioPicker(files, source.label if source else None, pick, upload)
                if open_error:
                    with solara.Div(classes=["mvsim-open-error"]):
                        solara.Error("Could not open the scenario:")
                        solara.Preformatted(open_error)
                if source is not None:
                    title = f"<b>{html.escape(source.loaded.spec.name)}</b>: {html.escape(source.question)}"
                    solara.HTML("p", unsafe_innerHTML=title)
                    solara.InputText(
                        "Name of the edited scenario",
                        value=name or edited.mapping["name"],
                        on_value=set_name,
                    )
            if source is not None and source_ev is not None and edited is not None:
                with solara.Card("Levers (min, slider, max, value)"):
                    LeverEditor(source_ev, edits, set_edits, actor, set_actor)
                with solara.Card("Events"):
                    EventsEditor(
                        source_ev,
                        len(source.mapping.get("events", [])),
                        edits,
                        set_edits,
                        ev_edits,
                        set_events,
                        check_events,
                    )
                error = forms.named_paths(edited.error, edited.mapping) if edited.error else None
                ValidationStatus(error, edited.changes)
                with solara.Card("Run"):
                    names = [p.name for p in files]
                    cw_name = cw_path.name if cw_path is not None else None
                    actors = [
                        a["name"]
                        for a in edited.mapping.get("actors", [])
                        if a.get("kind", "state") == "state"
                    ]
                    spec = source.loaded.spec
                    ends = _ends(spec.start, spec.end)
                    with solara.Div(classes=["mvsim-run-grid"]):
                        solara.Select(
                            "Compare with (A)",
                            values=names,
                            value=cw_name if cw_name in names else None,
                            on_value=set_compare_with,
                        )
                        solara.Select("Focus actor", values=actors, value=focus, on_value=set_focus)
                        solara.Select(
                            "Paired seeds",
                            values=SEED_CHOICES,
                            value=n_seeds,
                            on_value=set_n_seeds,
                            classes=["mvsim-seeds"],
                        )
                        solara.Select(
                            "Last month compared",
                            values=ends,
                            value=end or ends[0],
                            on_value=set_end,
                            classes=["mvsim-end"],
                        )
                    running = snap is not None and not snap.finished
                    solara.Button(
                        f"Run {n_seeds} seeds against {cw_name or '?'}",
                        on_click=run,
                        color="primary",
                        disabled=edited.error is not None or running,
                        classes=["mvsim-run"],
                    )
                    if run_error:
                        solara.Error(run_error)
                    Progress(snap, cancel)
                with solara.Card("Save and download"):
                    with solara.Div(classes=["mvsim-save"]).meta(ref="mvsim-save"):
                        solara.InputText(
                            f"File name in {cfg.save_dir}",
                            value=save_name or f"{edited.mapping['name']}.yaml",
                            on_value=set_save_name,
                        )
                        solara.Button(
                            "Save edited scenario", on_click=save, disabled=edited.error is not None
                        )
                        if save_msg is not None:
                            (solara.Success if save_msg[0] == "ok" else solara.Error)(save_msg[1])
                        if edited.error is None:
                            solara.FileDownload(
                                lambda: workflow.edited_yaml(source_ev, edited, cfg.save_dir),
                                filename=f"{edited.mapping['name']}.yaml",
                                label="Edited scenario (YAML)",
                            )
                    if started is not None and snap is not None and snap.comparison is not None:
                        with solara.Div(classes=["mvsim-downloads"]).meta(ref="mvsim-downloads"):
                            solara.Text(
                                "Download as the CLI writes them (mvsim compare / mvsim run, first seed):"
                            )
                            solara.FileDownload(
                                lambda: workflow.comparison_zip(started).read_bytes(),
                                filename=f"compare_{started.scenario_file.stem}.zip",
                                label="Comparison (zip)",
                            )
                            solara.FileDownload(
                                lambda: workflow.run_zip(started).read_bytes(),
                                filename=f"{started.scenario_file.stem}_seed{started.seeds[0]}.zip",
                                label="Run directory (zip)",
                            )
        with solara.Column():
            Results(snap, started, route_nodes)


@solara.component
def Results(snap: Snapshot | None, started: workflow.Started | None, route_nodes: dict[str, list[str]]):
    """The result panels, once the first seed is in; one window for the deltas and the map."""
    window, set_window = solara.use_state(None)
    if snap is None or started is None:
        solara.Info("Edit the levers, then run: results appear here as the seeds finish.")
        return
    label = started.scenario_file.stem
    if snap.comparison is None:
        solara.Info("Running: the first results appear after the first seed.")
    else:
        cmp = snap.comparison
        win = effective_window(cmp, window)
        with (
            solara.Card("Headlines (median and 10-90 % band over seeds)"),
            solara.Div(classes=["mvsim-headlines"]),
        ):
            solara.Text(f"Over the window {win[0]}..{win[1]}: the outcomes that moved most (mean per month)")
            solara.Preformatted("\n".join(outcomes.window_headlines(cmp, *win)))
            solara.Text("Whole comparison (the CLI's headline lines):")
            solara.Preformatted("\n".join(adapter.headline_lines(cmp)))
        DeltaPanel(snap, win, set_window)
        RouteMapPanel(snap, win, route_nodes)
        TradeRoutesPanel(snap)
        AlignmentPanel(snap)
    RunStepper(snap, label, started.focus, route_nodes)
    DecisionInspector(snap, label)

"""The workbench page (`Page`): pick, edit, validate, run against the comparison, inspect, save.

Served by `mvsim serve` (sim.ui.server); directories come from `workflow.Config.from_env()`.
"""

from __future__ import annotations

import html
import threading
from pathlib import Path

import solara

from sim.errors import ScenarioError
from sim.ui import adapter, editor, workflow
from sim.ui.components import (
    AlignmentPanel,
    DecisionInspector,
    DeltaPanel,
    LeverEditor,
    Progress,
    ScenarioPicker,
    TradeRoutesPanel,
    ValidationStatus,
)
from sim.ui.jobs import Snapshot, default_pool

DEFAULT_SCENARIO = "01b_cpc_halt_6m.yaml"
SEED_CHOICES = [1, 2, 3, 5, 10, 20, 30, 50]


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

    edited = solara.use_memo(
        lambda: workflow.edit(source, edits, name or None) if source is not None else None,
        dependencies=[source, edits, name],
    )

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
                source,
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
            path = workflow.save(source, edited, fname, cfg.save_dir)
        except (ScenarioError, OSError) as exc:
            set_save_msg(("error", str(exc)))
            return
        set_save_msg(("ok", f"saved {path}; `mvsim validate {path}` accepts it"))

    solara.Title("mvsim workbench")
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
            if source is not None and edited is not None:
                with solara.Card("Levers and events"):
                    LeverEditor(source, edits, set_edits, actor, set_actor)
                    ValidationStatus(edited.error, edited.changes)
                with solara.Card("Run"):
                    names = [p.name for p in files]
                    cw_name = cw_path.name if cw_path is not None else None
                    solara.Select(
                        "Compare with (A)",
                        values=names,
                        value=cw_name if cw_name in names else None,
                        on_value=set_compare_with,
                    )
                    actors = [
                        a["name"]
                        for a in edited.mapping.get("actors", [])
                        if a.get("kind", "state") == "state"
                    ]
                    solara.Select("Focus actor", values=actors, value=focus, on_value=set_focus)
                    solara.Select(
                        "Paired seeds",
                        values=SEED_CHOICES,
                        value=n_seeds,
                        on_value=set_n_seeds,
                        classes=["mvsim-seeds"],
                    )
                    spec = source.loaded.spec
                    ends = _ends(spec.start, spec.end)
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
                                lambda: workflow.edited_yaml(source, edited, cfg.save_dir),
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
            Results(snap, started)


@solara.component
def Results(snap: Snapshot | None, started: workflow.Started | None):
    """The result panels, once the first seed is in."""
    if snap is None or started is None:
        solara.Info("Edit the levers, then run: results appear here as the seeds finish.")
        return
    if snap.comparison is None:
        solara.Info("Running: the first results appear after the first seed.")
    else:
        with solara.Card("Headlines (median and 10-90 % band over seeds)"):
            solara.Preformatted("\n".join(adapter.headline_lines(snap.comparison)))
        DeltaPanel(snap)
        TradeRoutesPanel(snap)
        AlignmentPanel(snap)
    DecisionInspector(snap, started.scenario_file.stem)

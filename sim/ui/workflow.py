"""The workbench's steps without the UI: open a scenario, edit, validate, save, start a comparison.

The Solara components call these; the tests call them directly too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError
from sim.ui import adapter, editor
from sim.ui.jobs import ComparisonJob, WorkerPool

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario


@dataclass(frozen=True)
class Config:
    """Where the app reads scenarios, saves edited ones and writes runs and comparisons."""

    scenarios_dir: Path
    save_dir: Path
    results_dir: Path

    @classmethod
    def from_env(cls) -> Config:
        """MVSIM_UI_SCENARIOS (default ./scenarios), MVSIM_UI_SAVE (default: the scenarios
        directory) and MVSIM_UI_RESULTS (default ./results/workbench)."""
        scen = Path(os.environ.get("MVSIM_UI_SCENARIOS", "scenarios")).resolve()
        save = Path(os.environ.get("MVSIM_UI_SAVE", str(scen))).resolve()
        res = Path(os.environ.get("MVSIM_UI_RESULTS", str(Path("results") / "workbench"))).resolve()
        return cls(scen, save, res)


@dataclass(frozen=True, eq=False)
class Source:
    """The scenario being edited: its merged mapping and where its relative paths resolve."""

    label: str  # file name, or the upload's name
    path: Path | None  # None for an upload
    base_dir: Path
    loaded: LoadedScenario = field(repr=False)
    mapping: dict[str, Any] = field(repr=False)
    question: str
    compare_with: Path | None

    @property
    def levers(self) -> list[editor.Lever]:
        return editor.levers(self.mapping)


def open_file(path: str | os.PathLike[str]) -> Source:
    """Open a scenario file (raises ScenarioError)."""
    path = Path(path).resolve()
    loaded = adapter.load_file(path)
    return Source(
        path.name,
        path,
        path.parent,
        loaded,
        adapter.merged_mapping(loaded),
        adapter.question(path) or loaded.spec.description,
        adapter.comparison_target(path),
    )


def open_upload(name: str, data: bytes, scenarios_dir: Path) -> Source:
    """Open uploaded YAML; `extends:` and data paths resolve in the scenarios directory."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, "", f"expected UTF-8 YAML text ({exc.reason})") from None
    loaded = adapter.load_text(text, scenarios_dir, name)
    lines = [ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")]
    q = next((ln for ln in lines if ln), "") or loaded.spec.description
    return Source(
        name,
        None,
        scenarios_dir,
        loaded,
        adapter.merged_mapping(loaded),
        q,
        adapter.comparison_target(scenarios_dir / name, text),
    )


@dataclass(frozen=True, eq=False)
class Edited:
    """The edited scenario: its mapping, and the loader's verdict (loaded or the error text)."""

    mapping: dict[str, Any]
    loaded: LoadedScenario | None
    error: str | None
    changes: list[str]


def edit(source: Source, edits: editor.Edits, name: str | None = None) -> Edited:
    """Apply the edits and validate the result through the loader."""
    name = name or (source.loaded.spec.name if edits.is_empty() else f"{source.loaded.spec.name}_edited")
    mapping = editor.apply_edits(source.mapping, edits, name)
    changes = editor.change_lines(source.mapping, edits)
    try:
        loaded = adapter.validate_mapping(mapping, source.base_dir, name=f"{name}.yaml")
    except ScenarioError as exc:
        return Edited(mapping, None, problem_text(exc, f"{name} (edited)"), changes)
    return Edited(mapping, loaded, None, changes)


def problem_text(exc: ScenarioError, label: str) -> str:
    """The loader's message, one problem a line; problems of the in-memory mapping (whose
    temporary file no longer exists) are attributed to `label`."""
    lines = []
    for p in exc.problems:
        file = p.file if not p.file or Path(p.file).exists() else label
        lines.append(": ".join(part for part in (file, p.field, p.message) if part))
    return "\n".join(lines)


def edited_yaml(source: Source, edited: Edited, target_dir: Path) -> str:
    """YAML text of the edited scenario for a file in `target_dir` (data paths rebased)."""
    mapping = adapter.rebase_paths(edited.mapping, source.base_dir, target_dir)
    cw = source.compare_with
    cw_text = os.path.relpath(cw, target_dir) if cw is not None else None
    return editor.to_yaml(mapping, editor.header(source.question, source.label, cw_text, edited.changes))


def save(source: Source, edited: Edited, target: Path) -> Path:
    """Write the edited scenario to `target` (a new file) and check that it loads."""
    if edited.error is not None:
        raise ScenarioError(str(target), "", "the edited scenario is not valid; fix it before saving")
    target = Path(target)
    if target.suffix not in (".yaml", ".yml"):
        raise ScenarioError(str(target), "", "expected a file name ending in .yaml")
    if target.exists():
        raise ScenarioError(str(target), "", "file exists; expected a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(edited_yaml(source, edited, target.parent.resolve()), encoding="utf-8")
    try:
        adapter.load_file(target)
    except ScenarioError:
        target.unlink(missing_ok=True)
        raise
    return target


@dataclass(eq=False)
class Started:
    """A comparison that was started: the job, and the files it runs from."""

    job: ComparisonJob
    workspace: Path
    scenario_file: Path  # the edited scenario as run (B)
    compare_file: Path  # A
    seeds: list[int]
    focus: str


def start_comparison(
    cfg: Config,
    source: Source,
    edited: Edited,
    compare_with: Path,
    n_seeds: int,
    pool: WorkerPool,
    root_seed: int = 1,
    focus: str = "Kazakhstan",
    end: str | None = None,
) -> Started:
    """Write the edited scenario into a new workspace and start B-vs-A on n paired seeds."""
    if edited.error is not None:
        raise ScenarioError(source.label, "", "the edited scenario is not valid; fix it before running")
    if n_seeds < 1:
        raise ValueError(f"expected at least one seed, got {n_seeds}")
    ws = adapter.workspace(cfg.results_dir, edited.mapping["name"])
    scen = ws / f"{edited.mapping['name']}.yaml"
    scen.write_text(edited_yaml(source, edited, ws), encoding="utf-8")
    b = adapter.load_file(scen)
    a = adapter.load_file(compare_with)
    seeds = adapter.seeds(root_seed, n_seeds)
    job = ComparisonJob(pool, a, b, seeds, focus=focus, end=end).start()
    return Started(job, ws, scen, Path(compare_with), seeds, focus)


def comparison_zip(started: Started) -> Path:
    """Write the finished (or partial) comparison as `mvsim compare` does; return the zip."""
    snap = started.job.snapshot()
    if snap.comparison is None:
        raise RuntimeError("no comparison results yet")
    return adapter.write_comparison_zip(snap.comparison, started.workspace).archive


def run_zip(started: Started) -> Path:
    """Write B's run directory at the first seed as `mvsim run` does; return the zip."""
    return adapter.write_run_zip(
        started.scenario_file, started.seeds[0], started.workspace, started.focus
    ).archive


__all__ = [
    "Config",
    "Edited",
    "Source",
    "Started",
    "comparison_zip",
    "edit",
    "edited_yaml",
    "open_file",
    "open_upload",
    "problem_text",
    "run_zip",
    "save",
    "start_comparison",
]

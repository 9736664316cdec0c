"""The workbench's steps without the UI: open a scenario, edit, validate, save, start a comparison.

The Solara components call these; the tests call them directly too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim import pathpolicy
from sim.errors import ScenarioError
from sim.paths import CALIBRATION_DIR
from sim.ui import adapter, editor
from sim.ui.jobs import ComparisonJob, WorkerPool

if TYPE_CHECKING:
    from sim.scenario.loader import LoadedScenario


def data_dirs_for(scenarios_dir: Path) -> tuple[Path, ...]:
    """The data folders scenarios in `scenarios_dir` may read besides it: `calibration/` next
    to it (the library's `../calibration/...`) and the project's calibration folder."""
    return tuple(
        dict.fromkeys(
            Path(d).resolve() for d in (Path(scenarios_dir).parent / "calibration", CALIBRATION_DIR)
        )
    )


@dataclass(frozen=True)
class Config:
    """Where the app reads scenarios (and their data), saves edited ones and writes runs and
    comparisons. Reads stay in `read_roots` (scenarios_dir and data_dirs); writes in save_dir
    (edited scenarios) and results_dir (workspaces)."""

    scenarios_dir: Path
    save_dir: Path
    results_dir: Path
    data_dirs: tuple[Path, ...] | None = None  # None: `data_dirs_for(scenarios_dir)`

    @property
    def read_roots(self) -> tuple[Path, ...]:
        data = self.data_dirs if self.data_dirs is not None else data_dirs_for(self.scenarios_dir)
        return tuple(dict.fromkeys(Path(p).resolve() for p in (self.scenarios_dir, *data)))

    @classmethod
    def from_env(cls) -> Config:
        """MVSIM_UI_SCENARIOS (default ./scenarios), MVSIM_UI_SAVE (default: the scenarios
        directory), MVSIM_UI_RESULTS (default ./results/workbench) and MVSIM_UI_DATA (data
        folders scenarios may read, separated by os.pathsep; default `data_dirs_for`)."""
        scen = Path(os.environ.get("MVSIM_UI_SCENARIOS", "scenarios")).resolve()
        save = Path(os.environ.get("MVSIM_UI_SAVE", str(scen))).resolve()
        res = Path(os.environ.get("MVSIM_UI_RESULTS", str(Path("results") / "workbench"))).resolve()
        data_env = os.environ.get("MVSIM_UI_DATA")
        data = tuple(Path(d).resolve() for d in data_env.split(os.pathsep) if d) if data_env else None
        return cls(scen, save, res, data)


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
    roots: tuple[Path, ...] | None = None  # the folders its files may read (None: anywhere)

    @property
    def levers(self) -> list[editor.Lever]:
        return editor.levers(self.mapping)


def _checked_target(
    found: Path | None, here: Path, label: str, roots: tuple[Path, ...] | None
) -> Path | None:
    """The comparison file a header names, refused (ScenarioError) if outside `roots`."""
    if found is None or roots is None:
        return found
    rel = os.path.relpath(found, here) if found.is_absolute() else os.fspath(found)
    return pathpolicy.check_read(
        here,
        rel,
        pathpolicy.YAML_SUFFIXES,
        "a scenario file",
        label,
        "# Compare with",
        policy=pathpolicy.Policy(roots),
    )


def open_file(path: str | os.PathLike[str], roots: tuple[Path, ...] | None = None) -> Source:
    """Open a scenario file (raises ScenarioError); with `roots`, the files it names
    (`extends`, data, its `# Compare with:` line) must lie in them."""
    path = Path(path).resolve()
    if roots is not None and not pathpolicy.inside(path, roots):
        folders = ", ".join(map(str, roots))
        raise ScenarioError(
            str(path), "", f"outside the folders read here ({folders}); expected a file in them"
        )
    with pathpolicy.confined(roots):
        loaded = adapter.load_file(path)
        return Source(
            path.name,
            path,
            path.parent,
            loaded,
            adapter.merged_mapping(loaded),
            adapter.question(path) or loaded.spec.description,
            _checked_target(adapter.comparison_target(path), path.parent, path.name, roots),
            roots,
        )


def open_named(cfg: Config, fname: str) -> Source:
    """Open the scenario file `fname` picked in the workbench: a file of the scenarios folder
    (a name with '..', '/' or a link out of it is refused with ScenarioError)."""
    label = "Scenario"
    problem = pathpolicy.name_problem(fname)
    if problem is not None:
        raise ScenarioError(label, "", f"{problem}; expected the name of a file in {cfg.scenarios_dir}")
    path = pathpolicy.check_read(
        cfg.scenarios_dir,
        fname,
        pathpolicy.YAML_SUFFIXES,
        "a scenario file",
        label,
        "",
        must_exist=True,
        policy=pathpolicy.Policy(cfg.read_roots),
    )
    return open_file(path, cfg.read_roots)


def open_upload(name: str, data: bytes, scenarios_dir: Path, roots: tuple[Path, ...] | None = None) -> Source:
    """Open uploaded YAML; `extends:` and data paths resolve in the scenarios directory and
    must lie in `roots` (default: the scenarios directory and `data_dirs_for` it)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, "", f"expected UTF-8 YAML text ({exc.reason})") from None
    scenarios_dir = Path(scenarios_dir).resolve()
    if roots is None:
        roots = Config(scenarios_dir, scenarios_dir, scenarios_dir).read_roots
    label = pathpolicy.safe_name(Path(str(name)).name, "upload")
    if not label.lower().endswith(pathpolicy.YAML_SUFFIXES):
        label += ".yaml"
    with pathpolicy.confined(roots):
        loaded = adapter.load_text(text, scenarios_dir, label)
        lines = [ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")]
        q = next((ln for ln in lines if ln), "") or loaded.spec.description
        return Source(
            label,
            None,
            scenarios_dir,
            loaded,
            adapter.merged_mapping(loaded),
            q,
            _checked_target(
                adapter.comparison_target(scenarios_dir / label, text), scenarios_dir, label, roots
            ),
            roots,
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
    problem = pathpolicy.name_problem(name)
    if problem is not None:  # the name becomes file and folder names
        rule = pathpolicy.NAME_RULE
        return Edited(mapping, None, f"Name of the edited scenario: {problem}; expected {rule}", changes)
    try:
        with pathpolicy.confined(source.roots):
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


def save(
    source: Source,
    edited: Edited,
    target: str | os.PathLike[str],
    folder: str | os.PathLike[str] | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write the edited scenario and check that it loads; return its path.

    With `folder` (the workbench's save folder), `target` is the file name typed in the form:
    a bare name ending in .yaml, refused (ScenarioError) with a folder part, a leading '.', or
    a link. Without, `target` is a path the calling code chose. An existing file is refused
    unless `overwrite`."""
    field = "File name"
    if edited.error is not None:
        raise ScenarioError(os.fspath(target), "", "the edited scenario is not valid; fix it before saving")
    if folder is None:
        path = Path(target)
        folder = path.parent
        if path.suffix.lower() not in pathpolicy.YAML_SUFFIXES:
            raise ScenarioError(str(path), "", "expected a file name ending in .yaml")
    else:
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = pathpolicy.check_write_name(folder, os.fspath(target), pathpolicy.YAML_SUFFIXES, field)
    if path.exists() and not overwrite:
        raise ScenarioError(str(path), "", "file exists; expected a new file name")
    Path(folder).mkdir(parents=True, exist_ok=True)
    text = edited_yaml(source, edited, path.parent.resolve())
    existed = os.path.lexists(path)
    pathpolicy.write_new(path, text, overwrite=overwrite)
    try:
        with pathpolicy.confined(source.roots):
            adapter.load_file(path)
    except ScenarioError:
        if not existed:
            path.unlink(missing_ok=True)
        raise
    return path


@dataclass(eq=False)
class Started:
    """A comparison that was started: the job, and the files it runs from."""

    job: ComparisonJob
    workspace: Path
    scenario_file: Path  # the edited scenario as run (B)
    compare_file: Path  # A
    seeds: list[int]
    focus: str
    roots: tuple[Path, ...] | None = None  # the folders its files may read


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
    roots = cfg.read_roots
    cw = pathpolicy.check_read(
        cfg.scenarios_dir,
        compare_with,
        pathpolicy.YAML_SUFFIXES,
        "a scenario file",
        "Compare with (A)",
        "",
        must_exist=True,
        policy=pathpolicy.Policy(roots),
    )
    label = pathpolicy.safe_name(str(edited.mapping["name"]), "scenario")
    ws = adapter.workspace(cfg.results_dir, label)
    scen = pathpolicy.write_new(ws / f"{label}.yaml", edited_yaml(source, edited, ws))
    with pathpolicy.confined(roots):
        b = adapter.load_file(scen)
        a = adapter.load_file(cw)
    seeds = adapter.seeds(root_seed, n_seeds)
    job = ComparisonJob(pool, a, b, seeds, focus=focus, end=end).start()
    return Started(job, ws, scen, cw, seeds, focus, roots)


def comparison_zip(started: Started) -> Path:
    """Write the finished (or partial) comparison as `mvsim compare` does; return the zip."""
    snap = started.job.snapshot()
    if snap.comparison is None:
        raise RuntimeError("no comparison results yet")
    return adapter.write_comparison_zip(snap.comparison, started.workspace).archive


def run_zip(started: Started) -> Path:
    """Write B's run directory at the first seed as `mvsim run` does; return the zip."""
    with pathpolicy.confined(started.roots):
        return adapter.write_run_zip(
            started.scenario_file, started.seeds[0], started.workspace, started.focus
        ).archive


__all__ = [
    "Config",
    "Edited",
    "Source",
    "Started",
    "comparison_zip",
    "data_dirs_for",
    "edit",
    "edited_yaml",
    "open_file",
    "open_named",
    "open_upload",
    "problem_text",
    "run_zip",
    "save",
    "start_comparison",
]

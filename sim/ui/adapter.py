"""The workbench's only door into the library (sim.api, sim.compare, sim.scenario, sim.results).

Every call the app makes to load, validate, run, compare or write goes through here, so a
change of library API is a change of this module alone. No model logic lives here: these
are thin wrappers, plus `merge_comparisons`, which stacks per-seed comparisons into the
one `compare(..., seeds=all)` would return (the job runs seeds one by one for progress,
progressive results and cancel).
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sim.compare import Comparison
    from sim.scenario.loader import LoadedScenario

BASELINE = "baseline.yaml"
_COMPARE_WITH = re.compile(r"^#\s*Compare with:\s*(\S+\.ya?ml)", re.IGNORECASE | re.MULTILINE)
# Fields of a scenario that hold a path relative to the file that declares them.
RELATIVE_PATH_FIELDS: tuple[tuple[str, ...], ...] = (
    ("trade", "baseline_file"),
    ("parameters_file",),
    ("paths", "file"),
)


# ----------------------------------------------------------------------------- scenarios
def scenario_files(directory: str | os.PathLike[str]) -> list[Path]:
    """Scenario YAML files directly in `directory` (not sweeps), sorted by name."""
    return sorted(p for p in Path(directory).glob("*.y*ml") if p.is_file() and not p.name.startswith("."))


def load_file(path: str | os.PathLike[str]) -> LoadedScenario:
    """Load and validate a scenario file (raises ScenarioError with every problem)."""
    from sim.scenario.loader import load_scenario

    return load_scenario(path)


def load_text(text: str, base_dir: str | os.PathLike[str], name: str = "<upload>") -> LoadedScenario:
    """Load and validate YAML text (an upload) as if it were the file `base_dir/name`:
    `extends:` and data paths resolve in base_dir; messages name `name`."""
    from sim.api import load_loaded

    return load_loaded(text if "\n" in text else text + "\n", base_dir=base_dir, name=name)


def validate_mapping(
    mapping: Mapping[str, Any], base_dir: str | os.PathLike[str], name: str = "<edited>"
) -> LoadedScenario:
    """Validate an edited scenario mapping through the loader (same schema, same messages),
    as if it were the file `base_dir/name`."""
    from sim.api import load_loaded

    return load_loaded(dict(mapping), base_dir=base_dir, name=name)


def merged_mapping(loaded: LoadedScenario) -> dict[str, Any]:
    """The scenario after `extends:` merging, as a plain mapping that validates back to it.

    Relative data paths stay relative to the directory of the scenario file.
    """
    return loaded.spec.model_dump(mode="json", exclude_none=True)


def question(path: str | os.PathLike[str]) -> str:
    """The question a scenario file asks (first paragraph of its header comment)."""
    from sim.compare import scenario_question

    return scenario_question(path)


def comparison_target(path: str | os.PathLike[str] | None, text: str | None = None) -> Path | None:
    """The file named in the header's "Compare with:" line (resolved next to `path`), else
    baseline.yaml in that directory; None if neither exists."""
    here = Path(path).parent if path is not None else Path.cwd()
    if text is None and path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            text = ""
    m = _COMPARE_WITH.search(text or "")
    for cand in ([here / m.group(1)] if m else []) + [here / BASELINE]:
        if cand.is_file():
            return cand
    return None


def rebase_paths(
    mapping: dict[str, Any], from_dir: str | os.PathLike[str], to_dir: str | os.PathLike[str]
) -> dict[str, Any]:
    """A copy of `mapping` whose relative data paths resolve the same from `to_dir`."""
    import copy

    out = copy.deepcopy(mapping)
    for keys in RELATIVE_PATH_FIELDS:
        parent: Any = out
        for k in keys[:-1]:
            parent = parent.get(k) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or not isinstance(parent.get(keys[-1]), str):
            continue
        value = parent[keys[-1]]
        if not os.path.isabs(value):
            target = os.path.normpath(os.path.join(os.fspath(from_dir), value))
            parent[keys[-1]] = os.path.relpath(target, os.fspath(to_dir))
    return out


# ----------------------------------------------------------------------------- runs
def seeds(root: int, n: int) -> list[int]:
    """n paired replication seeds spawned from `root` (the CLI's `--seed`/`--replications`)."""
    from sim.api import seeds_for

    return seeds_for(root, n)


def run_tables(loaded: LoadedScenario, seed: int, end: str | None = None) -> dict[str, pd.DataFrame]:
    """One in-memory run's tidy tables (no files)."""
    from sim.api import run

    return run(loaded, seed, end=end, record_flows=False).tables


def compare_seed(a: LoadedScenario, b: LoadedScenario, seed: int, focus: str, end: str | None) -> Comparison:
    """The comparison of b with a on one seed (one paired replication)."""
    from sim.compare import compare

    return compare(a, b, seeds=[seed], focus=focus, horizon_end=end, workers=1)


def merge_comparisons(parts: Sequence[Comparison]) -> Comparison:
    """Stack one-seed comparisons (in seed order) into the comparison over all their seeds,
    the same as `compare(a, b, seeds=[...])` would return."""
    import pandas as pd

    from sim.compare import KEY, Comparison
    from sim.compare import paired as P

    if not parts:
        raise ValueError("expected at least one comparison")
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    seed_list = [int(p.seeds[0]) for p in parts]
    sides = {}
    for col in ("a", "b"):
        sides[col] = pd.concat(
            [p.series[KEY].assign(value=p.series[col], replication=k) for k, p in enumerate(parts)],
            ignore_index=True,
        )
    series = P._pair(sides["a"], sides["b"], first.months, seed_list)
    counts = {
        col: [p.actions.set_index(["actor", "kind", "name"])[f"{col}_mean"] for p in parts] for col in "ab"
    }
    return Comparison(
        a=first.a,
        b=first.b,
        focus=first.focus,
        seeds=seed_list,
        root_seed=None,
        months=first.months,
        paired=all(p.paired for p in parts),
        series=series,
        bands=P._bands(series),
        actions=P._actions(counts["a"], counts["b"]),
        notes=list(dict.fromkeys(n for p in parts for n in p.notes)),
    )


def headline_lines(cmp: Comparison) -> list[str]:
    """The CLI's headline lines of a comparison."""
    from sim.compare import headline_lines as lines

    return lines(cmp)


# ----------------------------------------------------------------------------- files
@dataclass(frozen=True)
class Written:
    """A directory the CLI's writers produced and its zip archive."""

    directory: Path
    archive: Path


def _zip_dir(directory: Path) -> Path:
    archive = directory.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(directory.rglob("*")):
            if f.is_file():
                zf.write(f, Path(directory.name) / f.relative_to(directory))
    return archive


def write_comparison_zip(cmp: Comparison, out_dir: str | os.PathLike[str]) -> Written:
    """Write the comparison directory as `mvsim compare` does, and zip it."""
    from sim.compare import write_comparison

    d = write_comparison(cmp, out_dir)
    return Written(d, _zip_dir(d))


def write_run_zip(
    scenario_file: str | os.PathLike[str], seed: int, out_dir: str | os.PathLike[str], focus: str
) -> Written:
    """Run a scenario file once and write its run directory as `mvsim run` does, and zip it."""
    from sim.api import run_scenario

    res = run_scenario(scenario_file, seed=seed, out_dir=out_dir, focus=focus)
    assert res.run_dir is not None
    return Written(res.run_dir, _zip_dir(res.run_dir))


def workspace(root: str | os.PathLike[str], label: str) -> Path:
    """A new directory for one run's files: `<root>/<UTC time>_<label>`."""
    from sim.pathpolicy import safe_name

    safe = safe_name(label, "scenario")
    base = Path(root) / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}_{safe}"
    base.mkdir(parents=True, exist_ok=False)
    return base


def remove_tree(path: str | os.PathLike[str]) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------------------- decisions
def decision_terms(decisions: pd.DataFrame) -> list[str]:
    """The utility-term columns of a decisions table: numeric columns between `utility` and
    `support` (whatever the model currently logs), else those of sim.core.decisions.TERMS."""
    cols = list(decisions.columns)
    if "utility" in cols and "support" in cols:
        lo, hi = cols.index("utility"), cols.index("support")
        between = [c for c in cols[lo + 1 : hi] if decisions[c].dtype.kind in "fiu"]
        if between:
            return between
    from sim.core.decisions import TERMS

    return [t for t in TERMS if t in cols]


__all__ = [
    "BASELINE",
    "Written",
    "compare_seed",
    "comparison_target",
    "decision_terms",
    "headline_lines",
    "load_file",
    "load_text",
    "merge_comparisons",
    "merged_mapping",
    "question",
    "rebase_paths",
    "run_tables",
    "scenario_files",
    "seeds",
    "validate_mapping",
    "workspace",
    "write_comparison_zip",
    "write_run_zip",
]

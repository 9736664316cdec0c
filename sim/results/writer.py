"""Write one run to a directory atomically: manifest, Parquet tables, summary and PNG plots.

Layout of `<out_dir>/<scenario>_seed<seed>_<YYYYmmddTHHMMSS>[_<k>]/`:

    manifest.json        provenance: scenario, hashes, parameters, seed, versions, times, contents
    <table>.parquet      one file per table of sim.results.tables (see docs/tables.md)
    summary.txt          the plain-text summary (sim.results.summary)
    <plot>.png           plots (sim.results.plots), unless plots=False

Everything is written into a hidden sibling `<out_dir>/.tmp-<random>/` that is renamed
to the final name only when complete; on any error (or interrupt) it is removed, so no
directory under a final name is ever half-written. A process killed outright (kill -9)
cannot remove it: the next run in the same `<out_dir>` removes temporary directories whose
owner process (recorded in `.tmp-*/.owner`) is gone. A full disk or a read-only directory is
an `InputError` (one line, exit code 2), never a traceback.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

import sim
from sim.core.recorder import RunOutput
from sim.errors import InputError, describe_os_error
from sim.pathpolicy import safe_name
from sim.results import plots as plotting
from sim.results.summary import summary_text
from sim.results.tables import resolve_focus, to_tables
from sim.scenario.loader import LoadedScenario

MANIFEST = "manifest.json"
SUMMARY = "summary.txt"
TMP_PREFIX = ".tmp-"
OWNER = ".owner"  # in a temporary directory: "<host> <pid>" of the process writing it
STALE_TMP_SECONDS = 24 * 3600  # a temporary directory without a live local owner is removed after this
MANIFEST_VERSION = 1


def run_dir_name(scenario_name: str, seed: int, started: datetime) -> str:
    """`<scenario>_seed<seed>_<YYYYmmddTHHMMSS>`, the scenario name made filesystem-safe."""
    safe = safe_name(scenario_name, "run")
    return f"{safe}_seed{seed}_{started.strftime('%Y%m%dT%H%M%S')}"


def sha256_file(path: Path) -> str | None:
    """Hex SHA-256 of a file's bytes, or None if it cannot be read."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def git_commit(*directories: Path) -> str | None:
    """`git rev-parse HEAD` in the first of `directories` inside a repository with a commit;
    None if git is missing or none works (never raises)."""
    for d in directories:
        try:
            res = subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=d, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            continue
        sha = res.stdout.strip()
        if res.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
            return sha
    return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _manifest(
    loaded: LoadedScenario,
    seed: int,
    started: datetime,
    tables: Mapping[str, pd.DataFrame],
    plot_files: list[Path],
    focus: str,
) -> dict[str, Any]:
    spec = loaded.spec
    scenario_path = Path(loaded.path).resolve()
    return {
        "manifest_version": MANIFEST_VERSION,
        "scenario": {
            "file": str(scenario_path),
            "name": spec.name,
            "description": spec.description,
            "content_hash": loaded.content_hash,
            "start": spec.start,
            "end": spec.end,
        },
        "sources": [{"path": str(Path(p).resolve()), "sha256": sha256_file(Path(p))} for p in loaded.sources],
        "parameters": spec.parameters.model_dump(mode="json"),
        "seed": int(seed),
        "focus": focus,
        "package_version": sim.__version__,
        "git_commit": git_commit(scenario_path.parent, Path(sim.__file__).resolve().parent),
        "versions": {
            "python": platform.python_version(),
            "numpy": _version("numpy"),
            "pandas": _version("pandas"),
            "pyarrow": _version("pyarrow"),
            "mesa": _version("mesa"),
            "matplotlib": _version("matplotlib"),
        },
        "started": _iso(started),
        "finished": _iso(datetime.now(tz=started.tzinfo)),
        "tables": [
            {"name": name, "file": f"{name}.parquet", "rows": len(df), "columns": list(df.columns)}
            for name, df in tables.items()
        ],
        "plots": [{"name": p.stem, "file": p.name} for p in plot_files],
        "summary": SUMMARY,
    }


def make_tmp_dir(out_dir: Path) -> Path:
    """A new empty `<out_dir>/.tmp-<random>` with default permissions (mkdir honours the umask).

    It holds an owner file (host and process id); leftovers of killed processes are removed
    first (`clean_stale_tmp_dirs`).
    """
    clean_stale_tmp_dirs(out_dir)
    while True:
        tmp = out_dir / f"{TMP_PREFIX}{secrets.token_hex(6)}"
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        try:
            (tmp / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return tmp


def _owner_alive(tmp: Path) -> bool:
    """Whether the process that made `tmp` may still be writing it.

    True for another host's or an unreadable owner file younger than `STALE_TMP_SECONDS`."""
    try:
        host, pid_text = (tmp / OWNER).read_text(encoding="utf-8").split()
        pid = int(pid_text)
    except (OSError, ValueError):
        host, pid = "", -1
    if host == socket.gethostname() and pid > 0:
        if pid == os.getpid():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # exists, owned by someone else
        return True
    try:
        age = time.time() - tmp.stat().st_mtime
    except OSError:
        return True
    return age < STALE_TMP_SECONDS


def clean_stale_tmp_dirs(out_dir: Path) -> list[Path]:
    """Remove `<out_dir>/.tmp-*` directories left by killed runs (owner process gone); the removed paths."""
    removed: list[Path] = []
    try:
        entries = list(Path(out_dir).iterdir())
    except OSError:
        return removed
    for tmp in entries:
        if not tmp.name.startswith(TMP_PREFIX) or tmp.is_symlink() or not tmp.is_dir():
            continue
        if not _owner_alive(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    return removed


def prepare_out_dir(out_dir: str | os.PathLike[str], option: str = "--out") -> Path:
    """Create `out_dir` if missing and check that a run can be written there; raise InputError if not.

    Refuses a path that is a file, a read-only or full location, and removes stale temporary
    directories of killed runs. Call it before a long computation so that it fails in seconds.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"expected a directory, but {out} is a file", field=option)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = make_tmp_dir(out)
        shutil.rmtree(probe)
    except OSError as exc:
        raise InputError(f"cannot write there: {describe_os_error(exc)}", field=option) from None
    return out


def publish_dir(tmp: Path, out_dir: Path, base: str) -> Path:
    """Rename `tmp` to `out_dir/base` (or `base_2`, `base_3`, ... if taken); return the final path."""
    (tmp / OWNER).unlink(missing_ok=True)  # young and ownerless: left alone by cleaners until renamed
    for k in range(1, 10_000):
        final = out_dir / (base if k == 1 else f"{base}_{k}")
        if final.exists():
            continue
        try:
            tmp.rename(final)  # atomic on one filesystem
        except OSError as exc:  # lost a race with another writer
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) or final.exists():
                continue
            raise
        return final
    raise FileExistsError(f"{out_dir}: no free run directory name for {base}")


def write_run(
    out: RunOutput,
    loaded: LoadedScenario,
    seed: int,
    out_dir: str | os.PathLike[str],
    started: datetime,
    plots: bool = True,
    focus: str | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write a run under `out_dir` (created if missing) and return the final run directory.

    Args:
        out: the run's output (sim.core.model.run_world).
        loaded: the scenario it ran (provenance and static actor/shipment tables).
        seed: the run's seed.
        out_dir: parent directory of run directories.
        started: when the run started (names the directory; local or aware time).
        plots: also write the PNG plots.
        focus: focus actor of the summary and plots (default: Kazakhstan, else the first state).
        tables: `to_tables(out, loaded.spec)` if the caller already built them.
    """
    out_dir = prepare_out_dir(out_dir)
    if tables is None:
        tables = to_tables(out, loaded.spec)
    focus = resolve_focus(tables, focus)
    tmp = make_tmp_dir(out_dir)
    try:
        for name, df in tables.items():
            df.to_parquet(tmp / f"{name}.parquet", engine="pyarrow", index=False)
        plot_files = plotting.write_plots(tables, focus, tmp) if plots else []
        (tmp / SUMMARY).write_text(summary_text(tables, focus=focus) + "\n", encoding="utf-8")
        manifest = _manifest(loaded, seed, started, tables, plot_files, focus)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
        return publish_dir(tmp, out_dir, run_dir_name(loaded.spec.name, seed, started))
    except OSError as exc:  # disk full, read-only, removed directory: nothing under a final name
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(
            f"cannot write the run to {out_dir}: {describe_os_error(exc)}; "
            "nothing was written under a final name",
            field="--out",
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed `manifest.json` of a run directory."""
    return json.loads((Path(run_dir) / MANIFEST).read_text(encoding="utf-8"))


def read_run(run_dir: str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """Every table of a run directory, keyed by name (manifest order; else sorted file names)."""
    run_dir = Path(run_dir)
    if (run_dir / MANIFEST).exists():
        files = [run_dir / t["file"] for t in load_manifest(run_dir)["tables"]]
    else:
        files = sorted(run_dir.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{run_dir}: no result tables (*.parquet) found")
    return {f.name.removesuffix(".parquet"): pd.read_parquet(f, engine="pyarrow") for f in files}

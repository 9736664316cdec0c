"""A sweep's results on disk: a Parquet dataset, one file per completed chunk, and a manifest.

Layout of `<out>/`::

    .lock                             held (flock) by the process writing the sweep
    manifest.json                     the sweep (spec, base scenario hash, fingerprint), run and chunk
                                      counts, status (running, interrupted, complete), versions, times
    experiments/chunk-000012.parquet  one row per run: run_id, point, replication, seed, chunk, every
                                      varied parameter (one column each), status ('ok'/'error'), error
    outcomes/chunk-000012.parquet     one row per successful run: run_id, one float64 column per scalar
    series/chunk-000012.parquet       one row per successful run and month: run_id, month, one float64
                                      column per series (only if the sweep keeps series)

Each table directory is a Parquet dataset (`pandas.read_parquet("<out>/outcomes")` works; hidden
temporary files are skipped). A chunk is written as `<table>/.tmp-chunk-...` files, flushed and
renamed into place, series and outcomes first and experiments last: a chunk is *complete* exactly
when its experiments file exists. Resume (`SweepStore.open(..., resume=True)`) removes temporary
files and outcome/series files of incomplete chunks and reports the complete chunks, whose runs are
skipped. `read_sweep` reads the complete chunks, sorted by run id.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import sim
from sim.errors import InputError
from sim.sweep.load import LoadedSweep

MANIFEST = "manifest.json"
LOCK = ".lock"
MANIFEST_VERSION = 1
TABLES = ("experiments", "outcomes", "series")
COMMIT_TABLE = "experiments"
TMP_PREFIX = ".tmp-"
_CHUNK = re.compile(r"^chunk-(\d{6,})\.parquet$")


def chunk_file(chunk: int) -> str:
    return f"chunk-{chunk:06d}.parquet"


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("numpy", "pandas", "pyarrow", "mesa", "SALib", "dask", "distributed"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to `path` via a hidden temporary file, flushed and renamed into place."""
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}-{secrets.token_hex(4)}")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f"{TMP_PREFIX}{path.stem}-{secrets.token_hex(4)}.parquet")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _lock(out: Path) -> int | None:
    """An exclusive, non-blocking flock on `out/.lock` (None where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        return None
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InputError(
            f"another process is writing a sweep to {out}; wait for it to end (or stop it) first",
            field="--out",
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


def manifest_for(loaded: LoadedSweep) -> dict[str, Any]:
    """The manifest of a new sweep directory."""
    spec = loaded.spec
    base = loaded.base
    return {
        "manifest_version": MANIFEST_VERSION,
        "kind": "mvsim-sweep",
        "name": spec.name,
        "description": spec.description,
        "fingerprint": loaded.fingerprint,
        "sweep_file": str(Path(loaded.path).resolve()),
        "sweep": spec.model_dump(mode="json"),
        "base": None
        if base is None
        else {
            "file": str(Path(base.path).resolve()),
            "name": base.spec.name,
            "content_hash": base.content_hash,
        },
        "model": spec.model,
        "n_points": loaded.n_points,
        "replications": spec.replications,
        "n_runs": loaded.n_runs,
        "chunk_size": loaded.chunk_size,
        "n_chunks": loaded.n_chunks,
        "parameters": [
            {
                "column": p.column,
                "path": p.path,
                "kind": p.kind,
                "range": list(p.range) if p.range is not None else None,
                "values": p.values,
            }
            for p in spec.parameters
        ],
        "outcomes": {"scalars": list(spec.outcomes.scalars), "series": list(spec.outcomes.series)},
        "tables": {t: f"{t}/" for t in TABLES if t != "series" or spec.outcomes.series},
        "package_version": sim.__version__,
        "versions": _versions(),
        "status": "running",
        "started": _now(),
        "finished": None,
        "runs_done": 0,
        "runs_failed": 0,
        "executor": None,
    }


def check_out_dir(
    out_dir: str | os.PathLike[str],
    fingerprint: str,
    resume: bool,
    what: str,
    read: Callable[[Path], dict[str, Any]],
    other: Callable[[dict[str, Any]], str],
    resume_note: str = "",
) -> dict[str, Any] | None:
    """Whether `out_dir` can take a store of `what` (a sweep, a robust search) with this fingerprint,
    without side effects: its manifest (read by `read`) if it holds the same one and `resume` is set,
    None if it is new. InputError if `out_dir` is a file, is not empty without a manifest, holds
    another one (`other(old)` says how it differs), or holds this one without `resume`."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"expected a directory, but {out} is a file", field="--out")
    if (out / MANIFEST).is_file():
        old = read(out)
        if old.get("fingerprint") != fingerprint:
            raise InputError(
                f"{out} holds a different {what} {other(old)}; choose another --out", field="--out"
            )
        if not resume:
            raise InputError(
                f"{out} already holds this {what} (status {old.get('status')}); rerun with --resume to "
                f"finish it{resume_note}, or choose another --out",
                field="--out",
            )
        return old
    if out.is_dir() and any(not f.name.startswith(".") for f in out.iterdir()):
        raise InputError(
            f"{out} is not empty and holds no {what} ({MANIFEST}); choose another --out", field="--out"
        )
    return None


def load_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed manifest of a sweep directory (raises InputError if it is not one)."""
    path = Path(out_dir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{out_dir} is not a sweep directory (no {MANIFEST})", field="SWEEP_DIR") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", field="SWEEP_DIR") from None
    if data.get("kind") != "mvsim-sweep":
        raise InputError(f"{path} is not a sweep manifest", field="SWEEP_DIR")
    return data


def completed_chunks(out_dir: Path) -> list[int]:
    """Chunks whose commit (experiments) file exists, sorted."""
    d = Path(out_dir) / COMMIT_TABLE
    if not d.is_dir():
        return []
    return sorted(int(m.group(1)) for f in os.listdir(d) if (m := _CHUNK.match(f)))


@dataclass
class SweepStore:
    """Writes chunk results and the manifest of one sweep directory (holding its lock)."""

    out_dir: Path
    manifest: dict[str, Any]
    done_chunks: set[int]
    lock_fd: int | None = None

    @staticmethod
    def check(out_dir: str | os.PathLike[str], loaded: LoadedSweep, resume: bool) -> dict[str, Any] | None:
        """Whether `out_dir` can take this sweep (no side effects): its manifest if it holds this sweep
        and `resume` is set, None if it is new. Raises InputError if `out_dir` is a file, is not empty
        without holding a sweep, holds another sweep, or holds this sweep without `resume`."""
        return check_out_dir(
            out_dir,
            loaded.fingerprint,
            resume,
            "sweep",
            load_manifest,
            lambda old: (
                f"({old.get('name')!r}: other parameters, design, outcomes, base scenario or package version)"
            ),
        )

    @classmethod
    def open(cls, out_dir: str | os.PathLike[str], loaded: LoadedSweep, resume: bool) -> SweepStore:
        """Create `out_dir` for a new sweep, or (resume) reopen it and clean up a killed run's debris.

        Takes an exclusive lock on `<out_dir>/.lock` for as long as the store is open (the OS
        releases it when the process ends, even on kill -9). Raises InputError as `check`, or if
        another process holds the lock.
        """
        out = Path(out_dir)
        cls.check(out, loaded, resume)
        out.mkdir(parents=True, exist_ok=True)
        fd = _lock(out)
        try:
            old = cls.check(out, loaded, resume)  # again, now that no one else can write
            if old is not None:
                store = cls(out, old, set(), fd)
                store._cleanup()
                store.done_chunks = set(completed_chunks(out))
                store.manifest["status"] = "running"
                store.manifest["resumed"] = _now()
                store._write_manifest()
                return store
            store = cls(out, manifest_for(loaded), set(), fd)
            for t in TABLES:
                if t in store.manifest["tables"]:
                    (out / t).mkdir(exist_ok=True)
            store._write_manifest()
            return store
        except BaseException:
            _unlock(fd)
            raise

    def close(self) -> None:
        """Release the directory lock."""
        _unlock(self.lock_fd)
        self.lock_fd = None

    def _cleanup(self) -> None:
        """Remove temporary files and outcome/series files of chunks that never committed."""
        done = set(completed_chunks(self.out_dir))
        for t in TABLES:
            d = self.out_dir / t
            if not d.is_dir():
                continue
            for f in os.listdir(d):
                m = _CHUNK.match(f)
                if f.startswith(TMP_PREFIX) or (t != COMMIT_TABLE and m and int(m.group(1)) not in done):
                    (d / f).unlink(missing_ok=True)
        for f in os.listdir(self.out_dir):
            if f.startswith(TMP_PREFIX):
                (self.out_dir / f).unlink(missing_ok=True)

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2, default=str) + "\n"
        write_atomic(self.out_dir / MANIFEST, text.encode("utf-8"))

    def write_chunk(self, chunk: int, tables: dict[str, pa.Table | None]) -> None:
        """Write one chunk's tables; the experiments file last (its rename commits the chunk)."""
        name = chunk_file(chunk)
        for t in ("series", "outcomes", COMMIT_TABLE):
            table = tables.get(t)
            if table is not None:
                _write_table(table, self.out_dir / t / name)
        self.done_chunks.add(chunk)

    def finish(
        self, status: str, executor: str | None = None, counts: dict[str, int] | None = None
    ) -> dict[str, Any]:
        """Record the final status and run counts ({'done', 'failed'}; default: read from the
        experiments files) in the manifest."""
        if counts is None:
            counts = status_counts(self.out_dir)
        self.manifest.update(
            status=status,
            finished=_now(),
            runs_done=counts["done"],
            runs_failed=counts["failed"],
            executor=executor,
        )
        self._write_manifest()
        return self.manifest


def _files(out_dir: Path, table: str) -> list[Path]:
    done = completed_chunks(out_dir)
    d = Path(out_dir) / table
    return [d / chunk_file(c) for c in done if (d / chunk_file(c)).is_file()]


def status_counts(out_dir: str | os.PathLike[str]) -> dict[str, int]:
    """{'done': runs in complete chunks, 'failed': of which status 'error'}."""
    done = failed = 0
    for f in _files(Path(out_dir), COMMIT_TABLE):
        col = pq.read_table(f, columns=["status"]).column("status")
        done += len(col)
        failed += sum(1 for s in col.to_pylist() if s != "ok")
    return {"done": done, "failed": failed}


def failed_runs(out_dir: str | os.PathLike[str], limit: int | None = None) -> pd.DataFrame:
    """Experiments rows of failed runs (run id, parameters, error), sorted by run id."""
    parts = []
    n = 0
    for f in _files(Path(out_dir), COMMIT_TABLE):
        t = pq.read_table(f)
        df = t.filter(pc.not_equal(t.column("status"), "ok")).to_pandas()
        if len(df):
            parts.append(df)
            n += len(df)
            if limit is not None and n >= limit:
                break
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True).sort_values("run_id", kind="stable").reset_index(drop=True)
    return out if limit is None else out.head(limit)


def read_table(out_dir: str | os.PathLike[str], table: str) -> pd.DataFrame:
    """One table of the complete chunks, sorted by run id (then month), with a fresh index."""
    files = _files(Path(out_dir), table)
    if not files:
        return pd.DataFrame()
    df = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
    keys = ["run_id", "month"] if table == "series" else ["run_id"]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def read_sweep(out_dir: str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """{'experiments', 'outcomes'[, 'series']} DataFrames of a sweep directory (complete chunks)."""
    manifest = load_manifest(out_dir)
    return {t: read_table(out_dir, t) for t in TABLES if t in manifest["tables"]}


__all__ = [
    "MANIFEST",
    "TABLES",
    "SweepStore",
    "completed_chunks",
    "failed_runs",
    "load_manifest",
    "read_sweep",
    "read_table",
    "status_counts",
    "write_atomic",
]

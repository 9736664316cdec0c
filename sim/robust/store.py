"""A robust search's runs on disk, resumable after a kill: the sweep store's layout and protocol.

Layout of `<out>/` (the output directory; sim.sweep.store's chunk files, commit and lock)::

    .lock                             held (flock) by the process running the search
    manifest.json                     kind 'mvsim-robust', fingerprint, spec, status (running,
                                      interrupted, complete); at the end also the results
    experiments/chunk-000012.parquet  one row per run: chunk, phase, policy (the candidate's lever
                                      values as JSON; 'baseline'), member, seed, status, error, cpu_s
    outcomes/chunk-000012.parquet     one row per run: chunk, member, one float64 column per
                                      objective (NaN for a failed run)

A chunk is `CHUNK_RUNS` consecutive runs of one evaluation (a generation's new candidates x the
search ensemble, or the re-evaluation), numbered in the order the search asks for them. Files are
written hidden, flushed and renamed, the experiments file last: a chunk is complete exactly when
its experiments file exists (`sim.sweep.store.SweepStore.write_chunk`). On resume the search is
replayed from its seed: NSGA-II asks for the same candidates in the same order, so chunk k is the
same runs, and complete chunks are read instead of run (each row checked against the run it should
be). Runs depend only on (candidate, member), so the front equals an uninterrupted run's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.errors import InputError
from sim.robust.load import LoadedRobust
from sim.sweep.store import (
    MANIFEST,
    SweepStore,
    _lock,
    _now,
    _unlock,
    _versions,
    check_out_dir,
    chunk_file,
    completed_chunks,
)

KIND = "mvsim-robust"
CHUNK_RUNS = 8
"""Runs per chunk (the unit saved at once; a constant, so a resume may use other --workers)."""
TABLES = {"experiments": "experiments/", "outcomes": "outcomes/"}

RunResult = tuple[list[float], str, float]  # objective values, error text ('' if ok), CPU s


def policy_key(loaded: LoadedRobust, cand: dict[str, Any] | None) -> str:
    """A candidate's identity in the store: its lever values as JSON ('baseline' for None)."""
    if cand is None:
        return "baseline"
    return json.dumps([cand[lv.name] for lv in loaded.spec.levers], separators=(",", ":"))


def _read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", field="--out") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise InputError(f"{out} holds something other than a robust search ({path}); choose another --out",
                         field="--out")  # fmt: skip
    return data


def _differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Dotted fields where two spec dumps differ (at most two levels down)."""
    if isinstance(old, dict) and isinstance(new, dict) and where.count(".") < 2:
        out = []
        for k in sorted(set(old) | set(new), key=str):
            out += _differences(old.get(k), new.get(k), f"{where}.{k}" if where else str(k))
        return out
    if old == new:
        return []
    return [f"{where or 'file'}: {json.dumps(old)[:60]} in the store, {json.dumps(new)[:60]} in this file"]


def check(out_dir: str | os.PathLike[str], loaded: LoadedRobust, resume: bool) -> dict[str, Any] | None:
    """Whether `out_dir` can take this search (no side effects): its manifest if it holds this
    search and `resume` is set, None if it is new. InputError if `out_dir` is a file, is not empty
    without holding a robust search, holds another search (the differing fields named), or holds
    this one without `resume`."""

    def other(old: dict[str, Any]) -> str:
        diffs = _differences(old.get("spec"), loaded.spec.model_dump(mode="json"))
        diffs = [d for d in diffs if not d.startswith("description")]
        if not diffs:
            diffs = ["the base scenario, the posterior draws or the package version"]
        return (
            f"({old.get('name')!r} from {old.get('file')}): {'; '.join(diffs[:4])}; --resume continues only "
            "the same file and seeds"
        )

    return check_out_dir(
        out_dir,
        loaded.fingerprint,
        resume,
        "robust search",
        _read_manifest,
        other,
        " (a complete one only rewrites its tables and report)",
    )


def new_manifest(loaded: LoadedRobust) -> dict[str, Any]:
    spec = loaded.spec
    return {
        "kind": KIND,
        "name": spec.name,
        "file": loaded.display,
        "fingerprint": loaded.fingerprint,
        "spec": spec.model_dump(mode="json"),
        "chunk_runs": CHUNK_RUNS,
        "tables": dict(TABLES),
        "sim_version": sim.__version__,
        "versions": _versions(),
        "status": "running",
        "started": _now(),
        "finished": None,
    }


@dataclass
class RobustStore:
    """The chunk files and manifest of one robust search directory (holding its lock)."""

    out_dir: Path
    loaded: LoadedRobust
    sweep_store: SweepStore  # the sweep store's writer: chunk commit, cleanup, manifest, lock
    next_chunk: int = 0
    restored_runs: int = 0

    @property
    def manifest(self) -> dict[str, Any]:
        return self.sweep_store.manifest

    @classmethod
    def open(cls, out_dir: str | os.PathLike[str], loaded: LoadedRobust, resume: bool) -> RobustStore:
        """Create `out_dir` for a new search, or (resume) reopen it and remove a killed run's debris
        (temporary files, outcome files of chunks that never committed). Locks `<out_dir>/.lock`."""
        out = Path(out_dir)
        check(out, loaded, resume)
        out.mkdir(parents=True, exist_ok=True)
        fd = _lock(out)
        try:
            old = check(out, loaded, resume)  # again, now that no one else can write
            if old is not None:
                ss = SweepStore(out, old, set(), fd)
                ss._cleanup()
                ss.done_chunks = set(completed_chunks(out))
                ss.manifest.update(status="running", resumed=_now(), finished=None)
            else:
                ss = SweepStore(out, new_manifest(loaded), set(), fd)
                for t in TABLES:
                    (out / t).mkdir(exist_ok=True)
            ss._write_manifest()
            return cls(out, loaded, ss)
        except BaseException:
            _unlock(fd)
            raise

    def chunks(self, n_runs: int) -> list[int]:
        """Chunk numbers of the next evaluation of `n_runs` runs (advances the counter)."""
        n = -(-n_runs // CHUNK_RUNS)
        out = list(range(self.next_chunk, self.next_chunk + n))
        self.next_chunk += n
        return out

    def done(self, chunk: int) -> bool:
        return chunk in self.sweep_store.done_chunks

    def read(self, chunk: int, runs: list[tuple[str, int, int]]) -> list[RunResult]:
        """A complete chunk's results; `runs` are its expected (policy, member, seed) in order."""
        name = chunk_file(chunk)
        exp = pq.read_table(self.out_dir / "experiments" / name).to_pydict()
        obj = pq.read_table(self.out_dir / "outcomes" / name)
        got = list(zip(exp["policy"], exp["member"], exp["seed"], strict=True))
        if got != [(p, int(m), int(s)) for p, m, s in runs]:
            raise InputError(
                f"{self.out_dir}/experiments/{name} holds other runs than this search asks for at that "
                "point (the store was written by another version of the search); choose another --out",
                field="--out",
            )
        names = [o.name for o in self.loaded.spec.objectives]
        vals = np.column_stack([obj.column(n).to_numpy() for n in names]).astype(np.float64)
        self.restored_runs += len(runs)
        return [
            (vals[i].tolist(), str(exp["error"][i] or ""), float(exp["cpu_s"][i])) for i in range(len(runs))
        ]

    def write(
        self, chunk: int, phase: str, runs: list[tuple[str, int, int]], results: list[RunResult]
    ) -> None:
        """Commit one chunk (outcomes first, experiments last)."""
        n = len(runs)
        names = [o.name for o in self.loaded.spec.objectives]
        exp = pa.table(
            {
                "chunk": pa.array(np.full(n, chunk, dtype=np.int64)),
                "phase": pa.array([phase] * n, pa.string()),
                "policy": pa.array([r[0] for r in runs], pa.string()),
                "member": pa.array([r[1] for r in runs], pa.int64()),
                "seed": pa.array([r[2] for r in runs], pa.int64()),
                "status": pa.array(["error" if r[1] else "ok" for r in results], pa.string()),
                "error": pa.array([r[1] for r in results], pa.string()),
                "cpu_s": pa.array([r[2] for r in results], pa.float64()),
            }
        )
        cols: dict[str, Any] = {
            "chunk": pa.array(np.full(n, chunk, dtype=np.int64)),
            "member": pa.array([r[1] for r in runs], pa.int64()),
        }
        for j, nm in enumerate(names):
            cols[nm] = pa.array([r[0][j] for r in results], pa.float64())
        self.sweep_store.write_chunk(chunk, {"outcomes": pa.table(cols), "experiments": exp})

    def finish(self, status: str, results: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record the status (and the search's results) in the manifest."""
        self.manifest.update(status=status, finished=_now(), chunks=len(self.sweep_store.done_chunks))
        if results:
            self.manifest.update(results)
        self.sweep_store._write_manifest()
        return self.manifest

    def close(self) -> None:
        self.sweep_store.close()


__all__ = ["CHUNK_RUNS", "KIND", "RobustStore", "check", "policy_key"]

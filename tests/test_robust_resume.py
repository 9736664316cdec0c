"""Robust search: killed with SIGKILL and resumed gives the uninterrupted front; a store of another
file or seed is refused; a Dask run equals the pool run.

The kill test uses the known-answer problem at a simulator-like cost per run
(`sim.robust.synthetic:zdt1_timed`, 20 ms a run): 12 x 6 generations on 4 scenarios, ~300 runs,
killed once at least 4 chunks of 8 runs are saved, then resumed with another worker count.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from robust_files import zdt_file

from sim.cli import main
from sim.robust import load_robust, run_robust
from sim.robust.store import CHUNK_RUNS
from sim.sweep.store import completed_chunks

pytest.importorskip("pymoo")

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "scenarios" / "robust" / "smoke.yaml"
TABLES = ("candidates.parquet", "pareto.parquet", "evaluations.parquet", "reevaluation.parquet")


def timed_file(tmp: Path, seed: int = 5, name: str = "timed") -> Path:
    return zdt_file(
        tmp,
        model="zdt1_timed",
        name=name,
        filename=f"{name}-{seed}.yaml",
        reevaluation={"n": 8, "seed": 4, "max_candidates": 2},
        population=12,
        generations=6,
        seed=seed,
    )


def _table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out / name).drop(columns=["cpu_s"], errors="ignore")


def assert_same_results(a: Path, b: Path) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(_table(a, name), _table(b, name), check_exact=True)
    ca = pd.read_csv(a / "convergence.csv")
    cb = pd.read_csv(b / "convergence.csv")
    pd.testing.assert_frame_equal(ca, cb, check_exact=True)
    ra = pd.read_csv(a / "robustness.csv")
    rb = pd.read_csv(b / "robustness.csv")
    pd.testing.assert_frame_equal(ra, rb, check_exact=True)


def test_sigkill_mid_search_then_resume_gives_the_uninterrupted_front(tmp_path: Path) -> None:
    path = timed_file(tmp_path)
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "robust", str(path), "--out", str(killed), "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*cmd, "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(completed_chunks(killed)) < 4 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the search ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    saved = len(completed_chunks(killed))
    manifest = json.loads((killed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "running" and not (killed / "report.md").exists()

    # without --resume the directory is refused; with it the search continues
    assert main(["robust", str(path), "--out", str(killed), "--workers", "1", "--quiet"]) == 2
    loaded = load_robust(path)
    resumed = run_robust(loaded, killed, workers=1, progress=False, resume=True, log=io.StringIO())
    assert saved * CHUNK_RUNS <= resumed.restored_runs < resumed.n_runs  # read some, ran the rest
    fresh = run_robust(loaded, tmp_path / "fresh", workers=1, progress=False, log=io.StringIO())
    assert fresh.restored_runs == 0
    assert_same_results(killed, tmp_path / "fresh")
    assert json.loads((killed / "manifest.json").read_text(encoding="utf-8"))["status"] == "complete"
    assert not [f for f in killed.rglob(".tmp-*")]  # the killed run's debris is gone


def test_resume_on_a_store_of_another_file_or_seed_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    a = timed_file(tmp_path, seed=5)
    b = timed_file(tmp_path, seed=6)
    c = timed_file(tmp_path, seed=5, name="other")
    assert main(["robust", str(a), "--quick", "--out", str(out), "--workers", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["robust", str(b), "--quick", "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "Traceback" not in err
    assert "holds a different robust search" in err and "search.seed: 5 in the store, 6 in this file" in err
    assert main(["robust", str(c), "--quick", "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert 'name: "timed" in the store, "other" in this file' in err
    # the quick sizes are another search too
    assert main(["robust", str(a), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "holds a different robust search" in err and "scenarios.n: 3 in the store, 4 in this file" in err
    # a directory holding something else is refused, nothing written there
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["robust", str(a), "--quick", "--out", str(other), "--resume", "--quiet"]) == 2
    assert "holds no robust search" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


# ----------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `dask scheduler` and `dask worker` (2 processes x 1 thread) on 127.0.0.1."""
    pytest.importorskip("distributed")
    from sim.sweep.local_cluster import local_dask_cluster

    with local_dask_cluster(workers=2, log_dir=tmp_path_factory.mktemp("dask")) as address:
        yield address


@pytest.mark.slow
def test_a_dask_run_equals_the_pool_run(tmp_path: Path, dask_scheduler: str) -> None:
    loaded = load_robust(SMOKE)
    log = io.StringIO()
    pool = run_robust(loaded, tmp_path / "pool", workers=2, progress=False, log=log)
    dask = run_robust(loaded, tmp_path / "dask", scheduler=dask_scheduler, progress=False, log=log)
    assert pool.executor == "pool" and dask.executor == "dask"
    assert_same_results(tmp_path / "pool", tmp_path / "dask")
    assert pool.robust_id == dask.robust_id
    assert pool.discovery.text() == dask.discovery.text()
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["executor"] == "dask" and manifest["status"] == "complete"

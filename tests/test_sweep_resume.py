"""A sweep killed with SIGKILL and resumed gives the same tables as an uninterrupted one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.sweep import load_sweep, read_sweep, run_sweep
from sim.sweep.store import chunk_file, completed_chunks, load_manifest

ROOT = Path(__file__).resolve().parent.parent


def _sweep(directory: Path, samples: int = 40) -> Path:
    """4 x `samples` runs of the small scenario (160 by default) in chunks of 4."""
    data = {
        "name": "resume",
        "base": "small.yaml",
        "seed": 99,
        "replications": 4,
        "chunk_size": 4,
        "design": {"type": "latin_hypercube", "samples": samples},
        "parameters": [
            {"path": "parameters.trade_elasticity", "range": [2.0, 8.0]},
            {"path": "hazards[cpc_storm].rate_per_year", "range": [0.0, 6.0]},
        ],
        "outcomes": {"scalars": ["kz_oil_lost_mt", "alignment_Russia_end"], "series": ["kz_oil_lost_mt"]},
    }
    path = directory / "resume.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sim", "sweep", *args, "--quiet"]


def test_sigkill_then_resume_equals_uninterrupted(small_scenario: Path, tmp_path: Path) -> None:
    sweep = _sweep(small_scenario.parent)
    loaded = load_sweep(sweep)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        _cli(str(sweep), "--out", str(out), "--workers", "2"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not completed_chunks(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # kill -9 of the sweep process only, mid-run
        proc.wait(timeout=10)
    finally:
        time.sleep(1.0)  # pool workers notice their parent is gone (0.5 s watchdog) and exit
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the process group we started
    done = completed_chunks(out)
    assert 1 <= len(done) < loaded.n_chunks, "the kill should land mid-sweep"
    assert load_manifest(out)["status"] == "running"  # nobody recorded an end

    # debris a kill can leave: a temporary file and an uncommitted outcomes file of a later chunk
    (out / "outcomes" / ".tmp-chunk-000039-dead.parquet").write_bytes(b"partial")
    missing = next(c for c in range(loaded.n_chunks) if c not in done)
    (out / "outcomes" / chunk_file(missing)).write_bytes(b"not parquet: written before the kill")

    res = subprocess.run(
        _cli(str(sweep), "--out", str(out), "--workers", "1", "--resume"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == f"{loaded.n_runs} runs, 0 failed"
    n_before = sum(min(loaded.n_runs, (c + 1) * 4) - c * 4 for c in done)
    assert f"{loaded.n_runs - n_before} run(s) this time" in res.stdout  # only the missing runs
    assert not list(out.rglob(".tmp-*"))

    reference = tmp_path / "uninterrupted"
    run_sweep(loaded, reference, workers=1, progress=False)
    a, b = read_sweep(out), read_sweep(reference)
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], check_exact=True)
    assert list(a["experiments"]["run_id"]) == list(range(loaded.n_runs))  # nothing lost or duplicated
    assert load_manifest(out)["status"] == "complete"


def test_ctrl_c_then_resume(small_scenario: Path, tmp_path: Path) -> None:
    # 480 runs: the Ctrl-C after the first chunk must find work left even when this test process
    # is starved of CPU for seconds (CI runs the tests in parallel on two cores).
    sweep = _sweep(small_scenario.parent, samples=120)
    loaded = load_sweep(sweep)
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), "--workers", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # As from a terminal: Ctrl-C at its default. A child inherits an ignored SIGINT (and Python
        # then keeps ignoring it), so reset whatever disposition the test process has.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not completed_chunks(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground process group
        _, err = proc.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "--resume" in err and "Traceback" not in err
    manifest = load_manifest(out)
    assert manifest["status"] == "interrupted" and 0 < manifest["runs_done"] < loaded.n_runs
    summary = run_sweep(loaded, out, workers=1, resume=True, progress=False)
    assert summary.done == loaded.n_runs and summary.ran_now == loaded.n_runs - manifest["runs_done"]
    assert list(read_sweep(out)["experiments"]["run_id"]) == list(range(loaded.n_runs))


def test_a_second_writer_is_refused(small_scenario: Path, tmp_path: Path) -> None:
    import fcntl

    from sim.errors import InputError

    loaded = load_sweep(_sweep(small_scenario.parent))
    out = tmp_path / "locked"
    out.mkdir()
    with (out / ".lock").open("w") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # another sweep is running here
        with pytest.raises(InputError, match="another process is writing a sweep"):
            run_sweep(loaded, out, workers=1, progress=False)
    assert not (out / "manifest.json").exists()

"""Sweep execution: identical tables on 1 worker, 2 workers and a real Dask cluster; failing runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.sweep import load_sweep, read_sweep, run_sweep
from sim.sweep.runner import chunk_tasks
from sim.sweep.store import completed_chunks, load_manifest

ROOT = Path(__file__).resolve().parent.parent


def write_sweep(directory: Path, data: dict, name: str = "sweep.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def lhs_sweep() -> dict:
    """24 runs of the small scenario: a float, an integer and a string parameter, 2 replications."""
    return {
        "name": "lhs",
        "base": "small.yaml",
        "seed": 11,
        "replications": 2,
        "chunk_size": 3,
        "design": {"type": "latin_hypercube", "samples": 12},
        "parameters": [
            {"path": "parameters.trade_elasticity", "name": "eps", "range": [2.0, 8.0]},
            {"path": "routes[KCP].capacity_per_year", "name": "kcp", "range": [5, 40], "integer": True},
            {"path": "events[0].action.measure", "name": "measure", "values": ["ban", "ad_valorem"]},
        ],
        "outcomes": {
            "scalars": ["kz_oil_lost_mt", "route_kcp_volume", "alignment_West_end", "leakage_share_max"],
            "series": ["kz_oil_lost_mt", "multivector_index"],
        },
    }


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], check_exact=True)


# ----------------------------------------------------------------------------- a Dask cluster
@pytest.fixture(scope="module")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `dask scheduler` and `dask worker` (2 processes x 1 thread) on 127.0.0.1."""
    pytest.importorskip("distributed")
    from sim.sweep.local_cluster import local_dask_cluster

    with local_dask_cluster(workers=2, log_dir=tmp_path_factory.mktemp("dask")) as address:
        yield address


# ----------------------------------------------------------------------------- tests
def test_chunks_cover_every_run_once(small_scenario: Path) -> None:
    loaded = load_sweep(write_sweep(small_scenario.parent, lhs_sweep()))
    runs = [int(r) for t in chunk_tasks(loaded) for r in t.run_ids]
    assert runs == list(range(loaded.n_runs)) and loaded.n_chunks == 8
    assert [t.chunk for t in chunk_tasks(loaded, skip={1, 5})] == [0, 2, 3, 4, 6, 7]


@pytest.mark.slow
def test_identical_tables_1_2_workers_and_dask(
    small_scenario: Path, tmp_path: Path, dask_scheduler: str
) -> None:
    loaded = load_sweep(write_sweep(small_scenario.parent, lhs_sweep()))
    serial = run_sweep(loaded, tmp_path / "w1", workers=1, progress=False)
    pool = run_sweep(loaded, tmp_path / "w2", workers=2, progress=False)
    dask = run_sweep(loaded, tmp_path / "dask", scheduler=dask_scheduler, progress=False)
    assert (serial.executor, pool.executor, dask.executor) == ("serial", "pool", "dask")
    assert pool.workers == 2 and dask.workers == 2
    assert serial.done == pool.done == dask.done == 24 and serial.failed == 0
    a = read_sweep(tmp_path / "w1")
    assert_same_tables(a, read_sweep(tmp_path / "w2"))
    assert_same_tables(a, read_sweep(tmp_path / "dask"))
    exp, out, ser = a["experiments"], a["outcomes"], a["series"]
    assert list(exp["run_id"]) == list(range(24)) and list(out["run_id"]) == list(range(24))
    assert list(exp.columns) == ["run_id", "point", "replication", "seed", "chunk", "eps", "kcp", "measure",
                                 "status", "error"]  # fmt: skip
    assert exp["kcp"].dtype == "int64" and exp["eps"].dtype == "float64"
    assert exp["seed"].nunique() == 24  # a seed per run
    assert len(ser) == 24 * 24 and set(ser.columns) == {
        "run_id",
        "month",
        "kz_oil_lost_mt",
        "multivector_index",
    }
    # replications of a point differ (stochastic hazards), points differ in their parameters
    assert exp.groupby("point")["eps"].nunique().max() == 1
    m = load_manifest(tmp_path / "w1")
    assert m["status"] == "complete" and m["runs_done"] == 24 and m["n_chunks"] == 8


def test_dataset_directories_read_with_pandas(small_scenario: Path, tmp_path: Path) -> None:
    data = lhs_sweep() | {"replications": 1, "design": {"type": "monte_carlo", "samples": 6}}
    loaded = load_sweep(write_sweep(small_scenario.parent, data))
    run_sweep(loaded, tmp_path / "s", workers=1, progress=False)
    direct = pd.read_parquet(tmp_path / "s" / "outcomes").sort_values("run_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(direct, read_sweep(tmp_path / "s")["outcomes"], check_exact=True)


def failing_sweep() -> dict:
    """2 x 2 points; the point (end 2023-03, hazard from 2023-09) is invalid only jointly."""
    return {
        "name": "failing",
        "base": "small.yaml",
        "seed": 3,
        "replications": 2,
        "design": {"type": "full_factorial"},
        "parameters": [
            {"path": "end", "values": ["2023-12", "2023-03"]},
            {
                "path": "hazards[cpc_storm].active_from",
                "name": "storms_from",
                "values": ["2022-06", "2023-09"],
            },
        ],
        "outcomes": {"scalars": ["kz_oil_lost_mt"], "series": ["kz_oil_lost_mt"]},
    }


def test_failing_point_is_recorded_and_the_sweep_goes_on(small_scenario: Path, tmp_path: Path) -> None:
    loaded = load_sweep(write_sweep(small_scenario.parent, failing_sweep()))
    s = run_sweep(loaded, tmp_path / "f", workers=1, progress=False)
    assert (s.done, s.failed, s.status) == (8, 2, "complete")
    t = read_sweep(tmp_path / "f")
    exp = t["experiments"]
    bad = exp[exp["status"] == "error"]
    assert list(bad["run_id"]) == [6, 7]
    assert (bad["end"] == "2023-03").all() and (bad["storms_from"] == "2023-09").all()
    assert bad["error"].str.contains("hazards[0].active_from", regex=False).all()
    assert bad["error"].str.contains("outside the scenario horizon", regex=False).all()
    assert (exp.loc[exp["status"] == "ok", "error"] == "").all()
    assert sorted(t["outcomes"]["run_id"]) == [0, 1, 2, 3, 4, 5]  # failed runs have no outcomes
    months = t["series"].groupby("run_id")["month"].count()
    assert months[0] == 24 and months[4] == 15  # the horizon itself was varied
    assert s.failures[0]["run_id"] == 6


def flaky_model(params: dict, seed: int) -> dict[str, float]:
    """Custom test model: fails for x > 0.7."""
    if params["x"] > 0.7:
        raise ValueError(f"x = {params['x']:.3f} is out of the model's domain")
    return {"y": params["x"] * 2 + seed % 7}


def test_cli_reports_failures_with_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.cli import main

    data = {
        "name": "flaky",
        "model": "test_sweep_runner:flaky_model",
        "seed": 1,
        "design": {"type": "full_factorial", "levels": 5},
        "parameters": [{"path": "x", "range": [0.0, 1.0]}],
        "outcomes": {"scalars": ["y"]},
    }
    path = write_sweep(tmp_path, data)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    res = subprocess.run(
        [
            *(sys.executable, "-m", "sim", "sweep", str(path), "--out", str(tmp_path / "out")),
            *("--workers", "1", "--allow-model", "test_sweep_runner:flaky_model"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[-1] == "5 runs, 2 failed"
    assert "failed run 3 (x=0.75): ValueError: x = 0.750 is out of the model's domain" in res.stdout
    # again without --resume: refused (exit 2); with --resume: nothing left to run
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    allow = ["--allow-model", "test_sweep_runner:flaky_model"]
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), *allow]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--resume", *allow]) == 0
    stdout = capsys.readouterr().out
    assert "nothing left to run" in stdout and stdout.strip().splitlines()[-1] == "5 runs, 2 failed"
    assert completed_chunks(tmp_path / "out") == [0, 1, 2, 3, 4]


def test_other_sweep_in_out_dir_is_refused(small_scenario: Path, tmp_path: Path) -> None:
    from sim.errors import InputError

    a = load_sweep(write_sweep(small_scenario.parent, failing_sweep()))
    run_sweep(a, tmp_path / "o", workers=1, progress=False)
    b = load_sweep(write_sweep(small_scenario.parent, failing_sweep() | {"seed": 4}, name="other.yaml"))
    with pytest.raises(InputError, match="holds a different sweep"):
        run_sweep(b, tmp_path / "o", workers=1, resume=True, progress=False)

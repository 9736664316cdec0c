"""Faults lose nothing and end in a clean message (issue 13): a full or read-only disk, an --out
that is a file, kill -9 of `mvsim run` / `mvsim compare` (no partial directory under a final name;
leftovers cleaned by the next run), a killed pool worker (retried, identical tables), two sweeps on
one --out, an unreachable Dask scheduler, an internal error (exit 1 and a saved traceback)."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml
from robustness_helpers import assert_clean_error, cli, non_finite_cells
from scenario_factory import small_scenario_dict, write_small_scenario

from sim.errors import InputError
from sim.results import writer
from sim.sweep import load_sweep, read_sweep, run_sweep
from sim.sweep.runner import PoolExecutor

ROOT = Path(__file__).resolve().parent.parent


def _short(tmp_path: Path, months: str = "2022-06") -> Path:
    data = small_scenario_dict()
    data["end"] = months
    data["events"] = [e for e in data["events"] if e["date"] <= months]
    return write_small_scenario(tmp_path, data=data)


def _final_dirs(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if not p.name.startswith(".")] if out.is_dir() else []


# ------------------------------------------------------------------ disks
def test_full_disk_is_a_clean_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _short(tmp_path)
    out = tmp_path / "out"
    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def full(self: pd.DataFrame, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the disk fills up in the middle of the run directory
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    code, _, err = cli(["run", str(path), "--out", str(out), "--no-plots"])
    assert_clean_error(code, err, "cannot write the run to")
    assert "no space left on the device" in err
    assert len(err.strip().splitlines()) == 1
    assert os.listdir(out) == []  # neither a final nor a temporary directory


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    try:
        res = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return res.returncode == 0


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    if not _mount_tmpfs(where, options):
        pytest.skip("cannot mount a tmpfs here (needs root); the monkeypatched ENOSPC test covers it")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=10)


@pytest.mark.slow
def test_real_small_filesystem(tmp_path: Path) -> None:
    path = _short(tmp_path)
    with _tmpfs(tmp_path / "small_fs", "size=192k") as fs:
        code, _, err = cli(["run", str(path), "--out", str(fs / "out")], seconds=60)
        assert_clean_error(code, err, "no space left on the device")
        assert os.listdir(fs / "out") == []


def test_real_read_only_filesystem(tmp_path: Path) -> None:
    path = _short(tmp_path)
    with _tmpfs(tmp_path / "ro_fs", "ro,size=64k") as fs:
        t0 = time.monotonic()
        code, _, err = cli(["run", str(path), "--out", str(fs / "out")], seconds=30)
        assert_clean_error(code, err, "read-only file system")
        assert time.monotonic() - t0 < 10


def test_read_only_out_fails_before_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _short(tmp_path)
    ran = []
    monkeypatch.setattr("sim.api.simulate", lambda *a, **k: ran.append(1))

    def read_only(out_dir: Path) -> Path:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(out_dir))

    monkeypatch.setattr(writer, "make_tmp_dir", read_only)
    code, _, err = cli(["run", str(path), "--out", str(tmp_path / "out")])
    assert_clean_error(code, err, "--out: cannot write there:")
    assert "read-only file system" in err
    assert not ran


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_that_is_a_file(tmp_path: Path, command: str) -> None:
    path = _short(tmp_path)
    out = tmp_path / "taken"
    out.write_text("not a directory")
    argv = {
        "run": ["run", str(path)],
        "compare": ["compare", str(path), str(path), "--replications", "1"],
        "sweep": ["sweep", str(_sweep_file(path.parent, runs=4))],
    }[command]
    code, _, err = cli([*argv, "--out", str(out)], seconds=30)
    assert_clean_error(code, err, "is a file")
    assert out.read_text() == "not a directory"


# ------------------------------------------------------------------ internal errors
def test_internal_error_exit_1_with_a_saved_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _short(tmp_path)
    monkeypatch.setenv("MVSIM_LOG_DIR", str(tmp_path / "logs"))

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("sim.runs.job.run_job", boom)
    code, _, err = cli(["run", str(path), "--out", str(tmp_path / "out")])
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith("internal error, please report; traceback saved to ")
    log = Path(err.strip().rsplit(" ", 1)[1])
    assert log.parent == tmp_path / "logs"
    text = log.read_text(encoding="utf-8")
    assert "ZeroDivisionError: a bug" in text and "Traceback" in text and f"run {path}" in text


# ------------------------------------------------------------------ kill -9 of run and compare
PAUSE_AT = """
import sys, time

event = sys.argv.pop(1)


def pause(name):
    print(name, flush=True)  # the test reads this line, then kills the process group
    time.sleep(600)


if event == "start":  # the interpreter is up, nothing of the program imported
    pause(event)
import pandas

from sim.results import writer

if event == "prepared":  # --out checked (a probe directory made and removed), the runs about to start
    prepare = writer.prepare_out_dir

    def prepared(*args, **kwargs):
        out = prepare(*args, **kwargs)
        pause(event)
        return out

    writer.prepare_out_dir = prepared
if event == "writing":  # the first table is in the hidden temporary directory, the rest not yet
    to_parquet = pandas.DataFrame.to_parquet

    def writing(self, path, *args, **kwargs):
        to_parquet(self, path, *args, **kwargs)
        if writer.TMP_PREFIX in str(path):
            pause(event)

    pandas.DataFrame.to_parquet = writing
from sim.cli import main

sys.exit(main(sys.argv[1:]))
"""
"""`python -c PAUSE_AT EVENT ARGV...`: `mvsim ARGV` that stops at EVENT (prints it and sleeps)."""


def _kill_at(argv: list[str], event: str, cwd: Path) -> tuple[int, bool]:
    """Run `mvsim ARGV`, kill -9 its process group once it reports EVENT; (exit code, whether it did).

    Killing at an event the process reports (and waits at) lands every time, on any machine speed.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSE_AT, event, *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
    )
    assert proc.stdout is not None
    timer = threading.Timer(120.0, os.killpg, (proc.pid, signal.SIGKILL))  # a hang fails, it does not wait
    timer.start()
    try:
        reached = proc.stdout.readline().strip() == event  # "" if it ended (or hung) before the event
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=30), reached
    finally:
        timer.cancel()
        proc.stdout.close()


def _complete(run_dir: Path) -> bool:
    return (run_dir / "manifest.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "compare"])
def test_kill_9_leaves_no_partial_final_directory_and_next_run_cleans(tmp_path: Path, command: str) -> None:
    path = _short(tmp_path, "2022-12")
    out = tmp_path / "out"
    argv = {
        "run": ["run", str(path), "--out", str(out)],
        "compare": ["compare", str(path), str(path), "--replications", "2", "--out", str(out)],
    }[command]
    # Kill during start-up, after --out was checked (the runs starting) and in the middle of writing.
    for event in ("start", "prepared", "writing"):
        code, reached = _kill_at(argv, event, tmp_path)
        assert reached and code == -signal.SIGKILL, f"not killed at {event!r} (exit code {code})"
        assert _final_dirs(out) == [], f"a directory under a final name after a kill at {event!r}"
        if event == "writing":  # the kill did land mid-write: a hidden directory with part of the tables
            partial = [p for p in out.iterdir() if p.name.startswith(".tmp-")]
            assert [f for d in partial for f in d.glob("*.parquet")], partial
    # the next run in the same --out removes the temporary directories of killed processes
    code, _, err = cli(["run", str(path), "--out", str(out), "--no-plots"], seconds=120)
    assert code == 0, err
    assert [p.name for p in out.iterdir() if p.name.startswith(".tmp-")] == []
    dirs = _final_dirs(out)
    assert len(dirs) == 1 and _complete(dirs[0])
    assert non_finite_cells(dirs[0]) == 0


def test_stale_tmp_dirs_are_cleaned_but_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / ".tmp-dead"
    stale.mkdir()
    (stale / ".owner").write_text(f"{socket.gethostname()} {dead.pid}\n")
    (stale / "flows.parquet").write_bytes(b"x" * 1000)
    live = out / ".tmp-live"
    live.mkdir()
    (live / ".owner").write_text(f"{socket.gethostname()} {os.getpid()}\n")
    ownerless_young = out / ".tmp-young"
    ownerless_young.mkdir()
    removed = writer.clean_stale_tmp_dirs(out)
    assert removed == [stale]
    assert live.is_dir() and ownerless_young.is_dir() and not stale.exists()


# ------------------------------------------------------------------ sweeps
def _sweep_file(directory: Path, runs: int = 8, name: str = "robust", **extra: object) -> Path:
    data = {
        "name": name,
        "base": "small.yaml",
        "seed": 5,
        "replications": 2,
        "chunk_size": 1,
        "design": {"type": "latin_hypercube", "samples": max(1, runs // 2)},
        "parameters": [{"path": "parameters.trade_elasticity", "range": [2.0, 8.0]}],
        "outcomes": {"scalars": ["kz_oil_lost_mt", "alignment_Russia_end"], "series": ["kz_oil_lost_mt"]},
        **extra,
    }
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _kill_one_worker_soon(executor: PoolExecutor, done: threading.Event) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not done.is_set():
        procs = list((getattr(executor.pool, "_processes", None) or {}).values())
        # chunks in flight and the worker up (workers fork from a preloaded server in milliseconds):
        # a worker that dies now breaks the pool whether or not it had taken a chunk
        if procs and all(p.pid for p in procs) and getattr(executor.pool, "_pending_work_items", None):
            os.kill(procs[0].pid, signal.SIGKILL)
            return
        time.sleep(0.05)


@pytest.mark.slow
def test_killed_pool_worker_is_retried_and_tables_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _short(tmp_path)
    sweep = load_sweep(_sweep_file(path.parent, runs=12))
    reference = read_sweep(run_sweep(sweep, tmp_path / "serial", workers=1).out_dir)

    made: list[PoolExecutor] = []
    original = PoolExecutor.__init__

    def spy(self: PoolExecutor, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(PoolExecutor, "__init__", spy)
    done = threading.Event()
    killer = threading.Thread(target=lambda: (_wait_for(made), _kill_one_worker_soon(made[0], done)))
    killer.start()
    try:
        summary = run_sweep(sweep, tmp_path / "pool", workers=2)
    finally:
        done.set()
        killer.join()
    assert made and made[0].restarts >= 1, "no worker was killed: the test did not test anything"
    assert summary.failed == 0 and summary.done == sweep.n_runs
    got = read_sweep(summary.out_dir)
    for name, table in reference.items():
        pd.testing.assert_frame_equal(got[name], table)


def _wait_for(items: list, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not items and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.slow
def test_two_sweeps_on_one_out(tmp_path: Path) -> None:
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent, runs=40)
    out = tmp_path / "shared"
    first = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "manifest.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        t0 = time.monotonic()
        code, _, err = cli(["sweep", str(sweep), "--out", str(out), "--resume", "--workers", "1", "--quiet"])
        assert_clean_error(code, err, "another process is writing a sweep to")
        assert time.monotonic() - t0 < 10
    finally:
        rc = first.wait(timeout=120)
    assert rc == 0, first.stderr.read() if first.stderr else ""
    assert len(read_sweep(out)["experiments"]) == 40


@pytest.mark.slow
def test_unreachable_dask_scheduler_is_a_clean_error_within_seconds(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent, runs=4)
    t0 = time.monotonic()
    code, _, err = cli(
        ["sweep", str(sweep), "--out", str(tmp_path / "d"), "--scheduler", "tcp://127.0.0.1:1"]
    )
    assert_clean_error(code, err, "--scheduler: cannot reach the Dask scheduler at tcp://127.0.0.1:1")
    assert time.monotonic() - t0 < 20
    assert not (tmp_path / "d").exists()


def test_silent_dask_listener_is_a_clean_error_within_seconds(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent, runs=4)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # accepts connections, never answers
    port = listener.getsockname()[1]
    try:
        t0 = time.monotonic()
        code, _, err = cli(
            ["sweep", str(sweep), "--out", str(tmp_path / "d"), "--scheduler", f"tcp://127.0.0.1:{port}"],
            seconds=40,
        )
        assert_clean_error(code, err, "cannot reach the Dask scheduler")
        assert time.monotonic() - t0 < 25
    finally:
        listener.close()


@pytest.mark.parametrize("address", ["not an address", "tcp://", "http://x:1", "tcp://a b:1"])
def test_malformed_dask_address(tmp_path: Path, address: str) -> None:
    pytest.importorskip("distributed")
    path = _short(tmp_path)
    code, _, err = cli(
        ["sweep", str(_sweep_file(path.parent, runs=4)), "--out", str(tmp_path / "d"), "--scheduler", address]
    )
    assert_clean_error(code, err, "--scheduler: expected a Dask scheduler address")


@pytest.mark.parametrize(
    ("design", "replications", "expected"),
    [
        ({"type": "latin_hypercube", "samples": 1099511627776}, 1, "less than or equal to 1000000"),
        ({"type": "monte_carlo", "samples": 1000}, 1000000000000000000, "less than or equal to 1000000"),
        (
            {"type": "latin_hypercube", "samples": 1000},
            1001,
            "1,001,000 runs; expected at most 1,000,000 runs",
        ),
    ],
)
def test_huge_sweeps_are_refused_with_the_count(
    tmp_path: Path, design: dict, replications: int, expected: str
) -> None:
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent, design=design, replications=replications)
    t0 = time.monotonic()
    code, _, err = cli(["sweep", str(sweep), "--out", str(tmp_path / "s")], seconds=20)
    assert_clean_error(code, err, str(sweep))
    assert expected in err
    assert time.monotonic() - t0 < 10
    assert not (tmp_path / "s").exists()


def test_full_factorial_of_a_million_by_a_million(tmp_path: Path) -> None:
    path = _short(tmp_path)
    params = [
        {"path": "parameters.trade_elasticity", "range": [2.0, 8.0], "levels": 10_000},
        {"path": "parameters.decision_rationality", "range": [1.0, 8.0], "levels": 10_000},
        {"path": "parameters.signal_rate", "range": [0.1, 0.5], "levels": 10_000},
    ]
    sweep = _sweep_file(path.parent, design={"type": "full_factorial"}, parameters=params)
    code, _, err = cli(["sweep", str(sweep), "--out", str(tmp_path / "s")], seconds=20)
    assert_clean_error(code, err, "1,000,000,000,000 design points")


@pytest.mark.slow
def test_values_list_of_100000_items(tmp_path: Path) -> None:
    path = _short(tmp_path)
    params = [{"path": "parameters.trade_elasticity", "values": [2.0 + i * 1e-5 for i in range(100_000)]}]
    sweep = _sweep_file(path.parent, design={"type": "full_factorial"}, parameters=params)
    code, _, err = cli(["sweep", str(sweep), "--out", str(tmp_path / "s")], seconds=30)
    assert_clean_error(code, err, "parameters[0].values: List should have at most 1000 items")
    assert len(err) < 1000


def test_sweep_above_the_confirmation_limit_needs_yes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sim.sweep.spec as spec_module

    monkeypatch.setattr(spec_module, "CONFIRM_RUNS", 6)
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent, runs=8)
    out = tmp_path / "s"
    code, _, err = cli(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"])
    assert_clean_error(code, err, "4 points x 2 replication(s) = 8 runs, above the limit of 6 runs")
    assert "--yes" in err and not out.exists()
    code, _, err = cli(
        ["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet", "--yes"], seconds=120
    )
    assert code == 0, err
    assert len(read_sweep(out)["experiments"]) == 8


@pytest.mark.parametrize(
    "name", ["../../../../x", "/abs/path", "a/b", "..", ".hidden", "x" * 300, "with space", "a\0b"]
)
def test_unsafe_sweep_names_are_refused(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent, name="robust")
    data = yaml.safe_load(sweep.read_text())
    data["name"] = name
    sweep.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = set(Path("/").iterdir()) | set(tmp_path.parent.iterdir())
    code, _, err = cli(["sweep", str(sweep), "--workers", "1", "--quiet"], seconds=30)
    assert_clean_error(code, err, f"{sweep}: name: expected a name")
    assert not (tmp_path / "results").exists()
    assert set(Path("/").iterdir()) | set(tmp_path.parent.iterdir()) == before


def test_odd_sweep_file_name_gives_a_safe_default_name(tmp_path: Path) -> None:
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent)
    data = yaml.safe_load(sweep.read_text())
    del data["name"]
    odd = path.parent / "..my sweep (v2).yaml"
    odd.write_text(yaml.safe_dump(data), encoding="utf-8")
    # One sanitiser for every name (sim.pathpolicy.safe_name): unsafe runs become "_", ends trimmed.
    assert load_sweep(odd).spec.name == "my_sweep_v2"


def test_sweep_base_must_be_a_yaml_file(tmp_path: Path) -> None:
    path = _short(tmp_path)
    sweep = _sweep_file(path.parent, base="/etc/passwd")
    code, _, err = cli(["sweep", str(sweep), "--out", str(tmp_path / "s")])
    assert_clean_error(code, err, f"{sweep}: base: /etc/passwd does not end in .yaml or .yml")
    assert "root:" not in err


def test_input_error_pickles() -> None:
    import pickle

    err = InputError("x", field="--out")
    assert str(pickle.loads(pickle.dumps(err))) == str(err)

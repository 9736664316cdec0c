"""The command line as a user meets it: exit codes, messages, no traceback, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd)


def bad_cases(tmp_path: Path, small_scenario: Path) -> dict[str, tuple[Path, str]]:
    """name -> (scenario path, text the error must contain)."""
    data = yaml.safe_load(small_scenario.read_text())
    cases = {}

    def variant(name: str, mutate, expect: str) -> None:
        d = json.loads(json.dumps(data))
        mutate(d)
        p = small_scenario.parent / f"{name}.yaml"
        p.write_text(yaml.safe_dump(d))
        cases[name] = (p, expect)

    malformed = small_scenario.parent / "malformed.yaml"
    malformed.write_text("name: x\nactors: [a, b\n")
    cases["malformed"] = (malformed, "malformed.yaml")
    cases["missing"] = (tmp_path / "nope.yaml", "nope.yaml")
    variant("unknown_key", lambda d: d.update(colour="red"), "colour")
    variant(
        "wrong_type", lambda d: d["routes"][0].update(capacity_per_year="lots"), "routes[0].capacity_per_year"
    )
    variant("unknown_route", lambda d: d["events"][1]["action"].update(route="CPX"), "events[1].action.route")
    variant("outside_horizon", lambda d: d["events"][0].update(date="2031-01"), "events[0].date")
    variant(
        "negative_capacity",
        lambda d: d["routes"][1].update(capacity_per_year=-5),
        "routes[1].capacity_per_year",
    )
    variant(
        "shares",
        lambda d: d["actors"][0].update(alignment={"Russia": 0.5, "China": 0.2, "West": 0.2}),
        "actors[0].alignment",
    )
    return cases


def test_bad_inputs_exit_2_with_one_clear_message_and_write_nothing(tmp_path, small_scenario):
    out = tmp_path / "out"
    for name, (path, expect) in bad_cases(tmp_path, small_scenario).items():
        r = run_cli("run", str(path), "--seed", "1", "--out", str(out))
        assert r.returncode == 2, (name, r.stderr)
        assert r.stderr.startswith("error: "), name
        assert expect in r.stderr, (name, r.stderr)
        assert "Traceback" not in r.stderr, name
        assert not out.exists() or not any(out.iterdir()), name
        v = run_cli("validate", str(path))
        assert v.returncode == 2 and expect in v.stderr, name


def test_run_writes_one_run_directory_and_prints_a_summary(tmp_path, small_scenario):
    r = run_cli(
        "run", str(small_scenario), "--seed", "3", "--out", str(tmp_path / "res"), "--focus", "Kazakhstan"
    )
    assert r.returncode == 0, r.stderr
    runs = [p for p in (tmp_path / "res").iterdir()]
    assert len(runs) == 1 and runs[0].is_dir()
    assert not [p for p in (tmp_path / "res").iterdir() if p.name.startswith(".tmp")]
    assert str(runs[0]) in r.stdout
    assert "Kazakhstan" in r.stdout
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    assert manifest["seed"] == 3


def test_validate_and_schema(small_scenario, capsys):
    assert main(["validate", str(small_scenario)]) == 0
    assert "ok:" in capsys.readouterr().out
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "actors" in schema["properties"]


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["run", "x.yaml", "--seed", "-1"], "--seed"),
        (["run", "x.yaml", "--focus", "Kazakstan"], "--focus"),
        (["run", "x.yaml", "--out", "FILE"], "--out"),
    ],
)
def test_bad_cli_arguments_exit_2(args, expect, tmp_path, small_scenario):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    args = [str(small_scenario) if a == "x.yaml" else str(a_file) if a == "FILE" else a for a in args]
    r = run_cli(*args)
    assert r.returncode == 2, r.stderr
    assert expect in r.stderr and "Traceback" not in r.stderr

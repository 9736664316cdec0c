"""Analysis of sweeps: Sobol indices of the Ishigami function, feature scores, PRIM boxes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.errors import InputError
from sim.sweep import load_sweep, read_sweep, run_sweep
from sim.sweep.analyze import analyze_sweep, parse_condition
from sim.sweep.models import ishigami_indices

PI = math.pi


def _run(tmp_path: Path, data: dict, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / name
    run_sweep(load_sweep(path), out, workers=1, progress=False)
    return out


def test_ishigami_sobol_indices_match_analytic(tmp_path: Path) -> None:
    data = {
        "name": "ishigami",
        "model": "sim.sweep.models:ishigami",
        "seed": 3,
        "chunk_size": 1024,
        "design": {"type": "sobol", "samples": 2048},
        "parameters": [{"path": f"x{i}", "range": [-PI, PI]} for i in (1, 2, 3)],
        "outcomes": {"scalars": ["y"]},
    }
    out = _run(tmp_path, data, "ishigami")
    assert len(read_sweep(out)["outcomes"]) == 2048 * 5
    res = analyze_sweep(out, plots=True)
    sob = res.sobol.set_index("parameter")
    exact = ishigami_indices()
    for what in ("S1", "ST"):
        got = sob[what].to_numpy()
        np.testing.assert_allclose(got, exact[what], atol=0.03, err_msg=what)
        # the analytic value lies within the bootstrap interval (plus a small margin)
        assert (np.abs(got - exact[what]) <= sob[f"{what}_conf"].to_numpy() + 0.01).all()
    assert (out / "analysis" / "sobol.csv").is_file() and (out / "analysis" / "sobol.png").is_file()
    # feature scores on the same sample: x3 has no first-order effect, x1 a strong monotone one
    sc = res.scores.set_index("parameter")
    assert abs(sc.loc["x1", "spearman"]) > 0.3 and abs(sc.loc["x3", "spearman"]) < 0.05
    np.testing.assert_allclose(sc["S1_fast"].to_numpy(), exact["S1"], atol=0.05)


def test_prim_finds_the_box(tmp_path: Path) -> None:
    # y = 2 a + b + N(0, 1) noise: y > 3 mostly where a is high
    data = {
        "name": "linear",
        "model": "sim.sweep.models:linear_noise",
        "seed": 8,
        "chunk_size": 200,
        "design": {"type": "latin_hypercube", "samples": 400},
        "parameters": [{"path": "a", "range": [0.0, 2.0]}, {"path": "b", "range": [0.0, 0.5]}],
        "outcomes": {"scalars": ["y"]},
    }
    out = _run(tmp_path, data, "linear")
    res = analyze_sweep(out, condition="y > 3", min_density=0.8)
    box = res.prim
    assert box is not None and box.density >= 0.8 and box.coverage > 0.5
    assert "a" in box.limits.index and box.limits.loc["a", "min"] > 1.0
    for f in ("prim_box.csv", "prim_trajectory.csv", "prim_box.png", "prim_tradeoff.png", "summary.txt"):
        assert (out / "analysis" / f).is_file(), f
    sc = res.scores.set_index("parameter")
    assert sc.loc["a", "spearman"] > 0.7 and sc.loc["a", "S1_fast"] > sc.loc["b", "S1_fast"]
    assert "PRIM box for 'y > 3'" in res.text()


def test_condition_parsing() -> None:
    assert parse_condition(
        "kz_oil_lost_mt > 5 and alignment_West_end <= 0.3", ["kz_oil_lost_mt", "alignment_West_end"]
    ) == [
        ("kz_oil_lost_mt", ">", 5.0),
        ("alignment_West_end", "<=", 0.3),
    ]
    with pytest.raises(InputError, match="did you mean 'kz_oil_lost_mt'"):
        parse_condition("kz_oil_lost > 5", ["kz_oil_lost_mt"])
    with pytest.raises(InputError, match="expected '<outcome> <op> <number>'"):
        parse_condition("kz_oil_lost_mt >> 5", ["kz_oil_lost_mt"])


def test_analyze_cli_on_a_simulator_sweep(
    small_scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.cli import main

    data = {
        "name": "small_ff",
        "base": str(small_scenario),
        "seed": 2,
        "replications": 2,
        "design": {"type": "full_factorial", "levels": 3},
        "parameters": [
            {"path": "routes[KCP].capacity_per_year", "name": "kcp", "range": [5.0, 30.0]},
            {"path": "hazards[cpc_storm].rate_per_year", "name": "storms", "values": [0.0, 6.0]},
        ],
        "outcomes": {"scalars": ["kz_oil_lost_mt", "route_kcp_volume"]},
    }
    out = _run(tmp_path, data, "small_ff")
    code = main(["analyze", str(out), "--condition", "kz_oil_lost_mt > 1", "--no-plots"])
    text = capsys.readouterr().out
    assert code == 0
    assert "Feature scores" in text and "kz_oil_lost_mt" in text
    assert not list((out / "analysis").glob("*.png"))
    assert main(["analyze", str(out), "--condition", "nope > 1"]) == 2
    assert "unknown outcome 'nope'" in capsys.readouterr().err

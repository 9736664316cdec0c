"""`mvsim compare-sweeps`: paired deltas per design point on common random numbers, the delta
surface, distributions when the designs differ, Sobol indices side by side."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.cli import main
from sim.errors import InputError
from sim.sweep import load_sweep, run_sweep
from sim.sweep.compare import compare_sweeps, design_difference
from sim.sweep.compare_report import report_markdown, summary_lines, write_sweep_comparison
from sim.sweep.store import load_manifest

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, data: dict, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({**data, "name": name}, sort_keys=False), encoding="utf-8")
    out = tmp_path / name
    run_sweep(load_sweep(path), out, workers=1, progress=False)
    return out


LINEAR = {
    "model": "sim.sweep.models:linear_noise",
    "seed": 8,
    "replications": 3,
    "design": {"type": "full_factorial", "levels": 3},
    "parameters": [{"path": "a", "range": [0.0, 1.0]}, {"path": "b", "range": [0.0, 1.0]}],
    "outcomes": {"scalars": ["y"]},
}


def test_identical_sweeps_pair_exactly_and_other_seeds_do_not(tmp_path):
    a = _run(tmp_path, LINEAR, "lin_a")
    b = _run(tmp_path, LINEAR, "lin_b")
    c = _run(tmp_path, {**LINEAR, "seed": 9}, "lin_c")
    sc = compare_sweeps(a, b)
    assert sc.paired and len(sc.runs) == 27 and len(sc.points) == 9
    assert (sc.runs["delta"] == 0.0).all()  # same point, same seed: the noise cancels exactly
    assert (sc.points["n"] == 3).all()
    out = write_sweep_comparison(sc, tmp_path / "cmp")
    assert not list(out.glob("delta_surface_*.png"))  # nothing to draw
    assert "No difference in any pair." in (out / "report.md").read_text()

    assert design_difference(load_manifest(a), load_manifest(c)) == ["seed"]
    un = compare_sweeps(a, c)
    assert not un.paired and un.runs.empty and un.points.empty
    assert any("no run pairs" in n and "seed" in n for n in un.notes)
    q = un.quantiles.set_index("q")
    assert q.loc[0.5, "diff"] != 0.0  # other seeds, other noise: the distributions differ a little
    text = report_markdown(un)
    assert "not paired" in text and "Where B's distribution differs" in text


def test_simulator_sweeps_paired_deltas_per_point_and_delta_surface(small_scenario, tmp_path, capsys):
    child = small_scenario.parent / "halt.yaml"
    event = {"type": "route_disruption", "actor": "Russia", "route": "CPC", "capacity_factor": 0.0}
    child.write_text(
        yaml.safe_dump(
            {
                "extends": small_scenario.name,
                "name": "halt",
                "events": [{"date": "2022-10", "action": {**event, "duration_months": 3}}],
            }
        )
    )
    design = {
        "seed": 2,
        "replications": 2,
        "design": {"type": "full_factorial", "levels": 2},
        "parameters": [
            {"path": "routes[KCP].capacity_per_year", "name": "kcp", "range": [5.0, 30.0]},
            {"path": "hazards[cpc_storm].rate_per_year", "name": "storms", "values": [0.0, 6.0]},
        ],
        "outcomes": {"scalars": ["kz_oil_lost_mt", "route_kcp_volume"]},
    }
    a = _run(tmp_path, {**design, "base": str(small_scenario)}, "small_base")
    b = _run(tmp_path, {**design, "base": str(child)}, "small_halt")
    sc = compare_sweeps(a, b)
    assert sc.paired and sc.a_base == "small" and sc.b_base == "halt"
    lost = sc.points[sc.points["outcome"] == "kz_oil_lost_mt"]
    assert len(lost) == 4 and (lost["delta_p50"] > 0).all()  # the halt loses crude at every point
    assert (lost["delta_p10"] <= lost["delta_p50"]).all() and (lost["delta_p50"] <= lost["delta_p90"]).all()
    # more KCP capacity absorbs more of the halted CPC crude: the loss falls along kcp
    surf = sc.surface[(sc.surface["outcome"] == "kz_oil_lost_mt") & (sc.surface["parameter"] == "kcp")]
    assert list(surf["x"]) == [5.0, 30.0] and surf["delta_p50"].iloc[1] < surf["delta_p50"].iloc[0]
    code = main(["compare-sweeps", str(a), str(b), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "paired by design point and seed" in out and "per design point (kcp, storms)" in out
    assert any(line.startswith("    5, 0: +") for line in out.splitlines())
    (d,) = (tmp_path / "out").glob("compare_sweeps_small_halt_vs_small_base_*")
    assert (d / "delta_surface_kz_oil_lost_mt.png").is_file() and (d / "distributions.png").is_file()
    text = (d / "report.md").read_text()
    assert "(delta_surface_kz_oil_lost_mt.png)" in text and "Paired delta per design point" in text
    assert summary_lines(sc)[0].startswith("  Crude lost (no route capacity) (Mt/yr, mean over months): +")


def test_sobol_indices_side_by_side(tmp_path):
    data = {
        "model": "sim.sweep.models:ishigami",
        "seed": 3,
        "chunk_size": 4096,
        "design": {"type": "sobol", "samples": 256},
        "parameters": [{"path": f"x{i}", "range": [-math.pi, math.pi]} for i in (1, 2, 3)],
        "outcomes": {"scalars": ["y"]},
    }
    a = _run(tmp_path, data, "ish_a")
    b = _run(tmp_path, data, "ish_b")
    sc = compare_sweeps(a, b)
    assert sc.sobol is not None and list(sc.sobol["parameter"]) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(sc.sobol["S1_a"], sc.sobol["S1_b"])
    assert sc.sobol.loc[sc.sobol["parameter"] == "x2", "S1_a"].iloc[0] > 0.3
    assert "Sobol indices side by side" in report_markdown(sc)


def test_bad_input_names_the_directory(tmp_path):
    with pytest.raises(InputError, match="expected a sweep directory"):
        compare_sweeps(tmp_path, tmp_path)
    assert main(["compare-sweeps", str(tmp_path), str(tmp_path / "nope")]) == 2


def test_shipped_smoke_pair_shares_design_and_seed():
    a = load_sweep(ROOT / "scenarios" / "sweeps" / "smoke.yaml").spec.model_dump(mode="json")
    b = load_sweep(ROOT / "scenarios" / "sweeps" / "smoke_01b.yaml").spec.model_dump(mode="json")
    assert design_difference({"sweep": a}, {"sweep": b}) == []
    assert a["base"] != b["base"] and b["base"].endswith("01b_cpc_halt_6m.yaml")

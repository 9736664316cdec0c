"""The workbench without a UI: editor levers, validation, saving, comparisons in the background."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
import yaml

from sim.errors import ScenarioError
from sim.ui import adapter, editor, panels, workflow
from sim.ui.jobs import ComparisonJob, WorkerPool

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"
END = "2024-12"  # short horizon that still has decisions (they start 2024-01)


@pytest.fixture(scope="module")
def cpc() -> workflow.Source:
    return workflow.open_file(SCEN / "01b_cpc_halt_6m.yaml")


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(1)
    yield p
    p.shutdown()


def test_comparison_target_from_header_else_baseline():
    assert (
        adapter.comparison_target(SCEN / "03_middle_corridor_10mt.yaml").name
        == "03b_middle_corridor_frozen.yaml"
    )
    # 01b names the known-history overlay (it extends it); a file without the line gets the baseline.
    assert adapter.comparison_target(SCEN / "01b_cpc_halt_6m.yaml").name == "history_2023_24.yaml"
    text = "# no header line naming a file\nname: x\n"
    assert adapter.comparison_target(SCEN / "upload.yaml", text).name == "baseline.yaml"


def test_levers_cover_the_main_groups(cpc):
    keys = {lv.key for lv in cpc.levers}
    assert "routes[CPC].capacity_per_year" in keys
    assert "actors[Kazakhstan].hedging_weight" in keys
    assert "actors[Kazakhstan].enforcement" in keys
    assert any(k.startswith("hazards[") for k in keys)
    assert {lv.group for lv in cpc.levers} == {"routes", "actors", "hazards", "sanctions"}
    for lv in cpc.levers:
        assert lv.lo <= lv.value <= lv.hi, lv


def test_unedited_mapping_validates_to_the_same_scenario(cpc):
    ed = workflow.edit(cpc, editor.Edits())
    assert ed.error is None and ed.changes == []
    assert ed.loaded is not None

    def without_paths(m: dict) -> dict:  # data paths are rebased for validation: same files
        m = {**m, "trade": {**m["trade"], "baseline_file": None}, "parameters_file": None}
        return {**m, "paths": {**m["paths"], "file": None}} if "paths" in m else m

    assert without_paths(adapter.merged_mapping(ed.loaded)) == without_paths(cpc.mapping)
    assert (ed.loaded.baseline_flows == cpc.loaded.baseline_flows).all()
    assert ed.loaded.spec.paths.series == cpc.loaded.spec.paths.series


def test_edits_change_the_validated_scenario(cpc):
    edits = editor.Edits(
        {"routes[CPC].capacity_per_year": 40.0, "actors[Kazakhstan].hedging_weight": 0.3}, {0}
    )
    ed = workflow.edit(cpc, edits)
    assert ed.error is None
    spec = ed.loaded.spec
    assert spec.name == "cpc_halt_6m_edited"
    assert next(r for r in spec.routes if r.name == "CPC").capacity_per_year == 40.0
    assert next(a for a in spec.actors if a.name == "Kazakhstan").hedging_weight == 0.3
    assert len(spec.events) == len(cpc.loaded.spec.events) - 1
    base = next(lv.value for lv in cpc.levers if lv.key == "routes[CPC].capacity_per_year")
    assert ed.changes[0] == f"CPC capacity: {base:g} -> 40 Mt/yr"
    assert ed.changes[-1].startswith("event off: ")


def test_bad_values_get_the_loaders_messages(cpc):
    ed = workflow.edit(
        cpc, editor.Edits({"routes[CPC].capacity_per_year": -5.0, "actors[Kazakhstan].enforcement": 2.0})
    )
    assert ed.loaded is None
    lines = ed.error.splitlines()
    assert len(lines) == 2
    assert any("routes[0].capacity_per_year" in ln and "greater than or equal to 0" in ln for ln in lines)
    assert any("actors[0].enforcement" in ln and "less than or equal to 1" in ln for ln in lines)
    assert all(ln.startswith("cpc_halt_6m_edited (edited): ") for ln in lines)  # not a temporary file name


def test_unknown_lever_is_refused(cpc):
    with pytest.raises(KeyError, match="no lever"):
        editor.apply_edits(cpc.mapping, editor.Edits({"routes[Nowhere].capacity_per_year": 1.0}))


def test_saved_file_passes_mvsim_validate(cpc, tmp_path):
    ed = workflow.edit(cpc, editor.Edits({"routes[Middle Corridor].capacity_per_year": 12.0}, {3}))
    target = workflow.save(cpc, ed, tmp_path / "mine.yaml")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# What if Russia halts the CPC")
    base = next(lv.value for lv in cpc.levers if lv.key == "routes[Middle Corridor].capacity_per_year")
    assert "# Compare with: " in text and f"Middle Corridor capacity: {base:g} -> 12 Mt/yr" in text
    res = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(target)], capture_output=True, text=True, cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"ok: {target}")
    loaded = adapter.load_file(target)
    assert next(r for r in loaded.spec.routes if r.name == "Middle Corridor").capacity_per_year == 12.0
    assert adapter.comparison_target(target).resolve() == (SCEN / "history_2023_24.yaml").resolve()
    with pytest.raises(ScenarioError, match="file exists"):
        workflow.save(cpc, ed, target)


def test_invalid_edit_is_not_saved(cpc, tmp_path):
    ed = workflow.edit(cpc, editor.Edits({"routes[CPC].capacity_per_year": -1.0}))
    with pytest.raises(ScenarioError, match="not valid"):
        workflow.save(cpc, ed, tmp_path / "bad.yaml")
    assert not (tmp_path / "bad.yaml").exists()


def test_upload_is_validated_and_errors_name_the_field():
    good = (SCEN / "01b_cpc_halt_6m.yaml").read_bytes()
    src = workflow.open_upload("mine.yaml", good, SCEN)
    assert src.loaded.spec.name == "cpc_halt_6m" and src.compare_with.name == "history_2023_24.yaml"
    bad = b"extends: baseline.yaml\nname: x\nroutes:\n  - {name: CPC, capacity_per_year: lots}\n"
    with pytest.raises(ScenarioError) as err:
        workflow.open_upload("bad.yaml", bad, SCEN)
    assert "routes[0].capacity_per_year" in str(err.value) or "capacity_per_year" in str(err.value)


def test_merged_per_seed_comparisons_equal_one_comparison():
    from sim.compare import compare

    a, b = adapter.load_file(SCEN / "baseline.yaml"), adapter.load_file(SCEN / "09_baseline_ensemble.yaml")
    seeds = adapter.seeds(1, 3)
    merged = adapter.merge_comparisons([adapter.compare_seed(a, b, s, "Kazakhstan", END) for s in seeds])
    direct = compare(a, b, seeds=seeds, horizon_end=END)
    assert merged.seeds == direct.seeds and merged.replications == 3
    pdt.assert_frame_equal(merged.series, direct.series)
    pdt.assert_frame_equal(merged.bands, direct.bands)
    pdt.assert_frame_equal(merged.summary, direct.summary)
    pdt.assert_frame_equal(merged.actions, direct.actions)


def test_job_progress_partial_results_and_inspection(cpc, pool):
    a = adapter.load_file(SCEN / "baseline.yaml")
    job = ComparisonJob(pool, a, cpc.loaded, adapter.seeds(1, 3), end=END).start()
    seen, version = [], 0
    while True:
        version, snap = job.wait_change(version, 30)
        seen.append(snap)
        if snap.finished:
            break
    assert snap.status == "done", snap.error
    assert snap.done == snap.total == 3 and snap.comparison.replications == 3
    assert snap.first_result_s is not None and snap.first_result_s <= snap.elapsed_s
    dones = [s.done for s in seen]
    assert dones == sorted(dones)
    assert snap.inspect is not None and not snap.inspect["decisions"].empty


def test_job_cancel_stops_before_all_seeds(cpc, pool):
    a = adapter.load_file(SCEN / "baseline.yaml")
    job = ComparisonJob(pool, a, cpc.loaded, adapter.seeds(1, 8), end=END, inspect=False).start()
    version, snap = 0, job.snapshot()
    while snap.done < 1 and not snap.finished:
        version, snap = job.wait_change(version, 30)
    job.cancel()
    snap = job.wait(30)
    assert snap.status == "cancelled"
    assert 1 <= snap.done < 8
    assert snap.comparison is not None and snap.comparison.replications == snap.done


def test_job_failure_is_reported(cpc, pool):
    a = adapter.load_file(SCEN / "baseline.yaml")
    snap = ComparisonJob(pool, a, cpc.loaded, [1], focus="Atlantis", end=END, inspect=False).start().wait(30)
    assert snap.status == "failed" and "unknown actor 'Atlantis'" in snap.error


def test_downloads_are_the_cli_directories(cpc, pool, tmp_path):
    cfg = workflow.Config(SCEN, tmp_path / "save", tmp_path / "results")
    ed = workflow.edit(cpc, editor.Edits({"routes[CPC].capacity_per_year": 30.0}))
    st = workflow.start_comparison(cfg, cpc, ed, SCEN / "baseline.yaml", 2, pool, end=END)
    assert st.job.wait(60).status == "done"
    with zipfile.ZipFile(workflow.comparison_zip(st)) as zf:
        names = zf.namelist()
    assert any(n.endswith("/report.md") for n in names) and any(n.endswith("/manifest.json") for n in names)
    with zipfile.ZipFile(workflow.run_zip(st)) as zf:
        names = zf.namelist()
    assert any(n.endswith("/manifest.json") for n in names) and any(
        n.endswith("/decisions.parquet") for n in names
    )
    assert yaml.safe_load(st.scenario_file.read_text(encoding="utf-8"))["name"] == "cpc_halt_6m_edited"


def test_panels_tables_from_a_comparison(cpc, pool):
    a = adapter.load_file(SCEN / "baseline.yaml")
    snap = ComparisonJob(pool, a, cpc.loaded, adapter.seeds(1, 2), end=END).start().wait(60)
    cmp = snap.comparison
    shares = panels.partner_shares(cmp)
    assert list(shares.index) == cmp.months
    assert ((shares.sum(axis=1) - 1.0).abs() < 1e-9).all()  # shares of the total
    routes = panels.route_summary(cmp)
    assert "CPC" in set(routes["route"]) and routes["B utilisation"].between(0, 1 + 1e-9).all()
    align = panels.alignment_change(cmp)
    assert set(align["pole"]) == set(cpc.loaded.spec.poles)
    d = snap.inspect["decisions"]
    actor = panels.decision_actors(d)[0]
    month = panels.decision_months(d, actor)[0]
    table = panels.decision_table(d, actor, month)
    assert table["probability"].sum() == pytest.approx(1.0, abs=1e-6)
    assert (table["chosen"] == "yes").sum() == 1
    assert set(adapter.decision_terms(d)) <= set(table.columns)
    assert "<td " in panels.html_table(table)


def test_decision_terms_are_read_from_the_table():
    df = pd.DataFrame(columns=["actor", "utility", "usd_gain", "risk", "label", "support", "action"])
    df = df.astype({"usd_gain": float, "risk": float, "utility": float, "support": float})
    assert adapter.decision_terms(df) == ["usd_gain", "risk"]


def test_serve_command_is_listed_and_checks_its_arguments(tmp_path):
    res = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0 and "serve" in res.stdout
    res = subprocess.run(
        [sys.executable, "-m", "sim", "serve", "--port", "0"], capture_output=True, text=True, cwd=ROOT
    )
    assert res.returncode == 2 and "--port" in res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "sim", "serve", "--scenarios", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 2 and "directory" in res.stderr

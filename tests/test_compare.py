"""`sim.compare` and `mvsim compare`: paired seeds, exact zero self-deltas, run directories,
horizon truncation, the atomic comparison directory and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim.compare as compare_mod
from sim.api import load, run_scenario, seeds_for, simulate
from sim.cli import main
from sim.compare import GROUPS, compare, drop_events, scenario_question, truncate_spec, write_comparison
from sim.errors import InputError
from sim.scenario.compile import build_world
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture
def halted(small_scenario: Path) -> Path:
    """A child of the small scenario: Russia halts CPC for three months from 2022-10."""
    child = small_scenario.parent / "halt.yaml"
    child.write_text(
        "# What if Russia halts CPC in October 2022?\n"
        + yaml.safe_dump(
            {
                "extends": small_scenario.name,
                "name": "halt",
                "events": [
                    {
                        "date": "2022-10",
                        "action": {
                            "type": "route_disruption",
                            "actor": "Russia",
                            "route": "CPC",
                            "capacity_factor": 0.0,
                            "duration_months": 3,
                        },
                    }
                ],
            }
        )
    )
    return child


def assert_all_zero(cmp) -> None:
    assert (cmp.series["delta"] == 0.0).all()
    deltas = [c for c in cmp.bands.columns if c.startswith("delta")]
    assert (cmp.bands[deltas].to_numpy() == 0.0).all()
    stats = [c for c in cmp.summary.columns if c.startswith("delta_")]
    assert (cmp.summary[stats].to_numpy() == 0.0).all()
    assert (cmp.actions["delta"] == 0.0).all()
    assert cmp.first_difference is None


def test_compare_scenario_with_itself_gives_exactly_zero_deltas():
    cmp = compare(BASELINE, BASELINE, replications=2, root_seed=3, horizon_end="2024-06")
    assert_all_zero(cmp)
    assert set(cmp.series["group"]) == set(GROUPS)
    assert cmp.months[0] == "2022-01" and cmp.months[-1] == "2024-06"
    # the runs are not trivial: the values themselves move
    assert cmp.series["a"].abs().sum() > 0


def test_seeds_are_paired_and_spawned_from_the_root(small_scenario, halted):
    cmp = compare(small_scenario, halted, replications=3, root_seed=42)
    assert cmp.seeds == seeds_for(42, 3)
    assert cmp.paired and cmp.root_seed == 42
    assert sorted(cmp.series["replication"].unique()) == [0, 1, 2]
    # each replication of each side is the standalone run at its seed
    _, world = load(halted)
    out = simulate(world, cmp.seeds[1])
    cpc = out.routes.index("CPC")
    np.testing.assert_array_equal(
        cmp.values("route_volume", "CPC", "b")[1].to_numpy(), out.route_volume[:, cpc]
    )


def test_delta_is_b_minus_a_with_ordered_bands(small_scenario, halted):
    cmp = compare(small_scenario, halted, replications=3, root_seed=1)
    s = cmp.series
    np.testing.assert_array_equal(s["delta"].to_numpy(), (s["b"] - s["a"]).to_numpy())
    assert cmp.first_difference == "2022-10"
    halt = cmp.values("route_capacity", "CPC").loc["2022-10":"2022-12"]
    assert (halt < 0).all().all()
    assert (cmp.values("route_volume", "CPC", "b").loc["2022-10":"2022-12"] == 0).all().all()
    b = cmp.bands
    assert (b["delta_p10"] <= b["delta_p50"] + 1e-12).all() and (
        b["delta_p50"] <= b["delta_p90"] + 1e-12
    ).all()
    row = cmp.summary.query("group == 'route_volume' and item == 'CPC'").iloc[0]
    assert row["delta_mean"] < 0 and row["share_down"] == 1.0
    assert row["peak_month"] in {"2022-10", "2022-11", "2022-12"}
    assert cmp.stat("route_volume", "CPC", "mean", "2022-10", "2022-12") < row["delta_mean"]
    table = cmp.table("route_volume")
    assert list(table.index) == cmp.months and "CPC" in table.columns
    with pytest.raises(KeyError, match="items"):
        cmp.values("route_volume", "no such route")


def test_run_directory_compares_as_one_replication_at_its_seed(tmp_path, small_scenario, halted):
    run = run_scenario(small_scenario, seed=9, out_dir=tmp_path / "runs", plots=False)
    same = compare(run.run_dir, small_scenario, replications=5)
    assert same.seeds == [9] and same.a.kind == "run" and same.b.kind == "scenario"
    assert_all_zero(same)  # the saved tables equal a fresh run at the same seed
    assert any("one replication" in n for n in same.notes)
    via_dir = compare(run.run_dir, halted)
    via_file = compare(small_scenario, halted, seeds=[9])
    pd.testing.assert_frame_equal(via_dir.series, via_file.series)
    both = compare(run.run_dir, run.run_dir)
    assert_all_zero(both)


def test_unpaired_run_directories_are_flagged(tmp_path, small_scenario):
    r1 = run_scenario(small_scenario, seed=1, out_dir=tmp_path, plots=False)
    r2 = run_scenario(small_scenario, seed=2, out_dir=tmp_path, plots=False)
    cmp = compare(r1.run_dir, r2.run_dir)
    assert not cmp.paired and cmp.seeds == [1]
    assert any("different seeds" in n for n in cmp.notes)


def test_truncated_horizon_is_the_prefix_of_the_full_run():
    loaded = load_scenario(BASELINE)
    short = truncate_spec(loaded.spec, "2024-03")
    assert short.end == "2024-03"
    assert all(e.date <= "2024-03" for e in short.events)
    assert len(short.hazards) == len(loaded.spec.hazards)  # kept: same random stream
    full = simulate(build_world(loaded.spec, loaded.baseline_flows), seed=4)
    cut = simulate(build_world(short, loaded.baseline_flows), seed=4)
    n = len(cut.months)
    assert n == 27
    np.testing.assert_array_equal(full.alignment[:n], cut.alignment)
    np.testing.assert_array_equal(full.route_volume[:n], cut.route_volume)
    np.testing.assert_array_equal(full.flows[:n], cut.flows)
    with pytest.raises(InputError, match="outside"):
        truncate_spec(loaded.spec, "2031-01")
    with pytest.raises(InputError, match="YYYY-MM"):
        truncate_spec(loaded.spec, "2024-13")


def test_truncation_drops_later_hazards_and_decisions(small_scenario_data, scenario_writer):
    data = small_scenario_data
    data["hazards"][0]["active_from"] = "2023-06"
    data["decisions"]["start"] = "2023-03"
    spec = load_scenario(scenario_writer(data)).spec
    short = truncate_spec(spec, "2022-12")
    assert short.hazards[0].rate_per_year == 0 and short.hazards[0].active_from is None
    assert not short.decisions.enabled


def test_drop_events_and_scenario_question(small_scenario, halted):
    assert scenario_question(halted) == "What if Russia halts CPC in October 2022?"
    assert scenario_question(small_scenario) == ""
    loaded = load_scenario(halted)
    back = drop_events(loaded, lambda e: e.date == "2022-10", name="no_halt")
    assert back.spec.name == "no_halt"
    cmp = compare(small_scenario, back, replications=2)
    assert_all_zero(cmp)


def test_write_comparison_directory(tmp_path, small_scenario, halted):
    cmp = compare(small_scenario, halted, replications=2)
    out = write_comparison(cmp, tmp_path / "cmp")
    assert out.parent == tmp_path / "cmp" and out.name.startswith("compare_halt_vs_small_")
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "manifest.json", "series.parquet", "bands.parquet", "summary.csv"} <= names
    drawn = {f"{stem}.png" for stem in compare_mod.plots.plot_stems(cmp)}
    assert drawn and drawn <= names  # plots that have something to show, and no others
    assert {p for p in names if p.endswith(".png")} == drawn
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"] == cmp.seeds and manifest["delta"] == "B - A"
    assert manifest["b"]["question"].startswith("What if Russia halts CPC")
    report = (out / "report.md").read_text()
    assert "delta = B - A" in report and "## Headline" in report and "2022-10" in report
    series = pd.read_parquet(out / "series.parquet")
    pd.testing.assert_frame_equal(series, cmp.series)
    assert not [p for p in (tmp_path / "cmp").iterdir() if p.name.startswith(".tmp-")]


def test_failed_write_leaves_nothing(tmp_path, small_scenario, halted, monkeypatch):
    cmp = compare(small_scenario, halted, replications=1)

    def boom(_cmp):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(compare_mod.report, "comparison_figures", boom)
    with pytest.raises(RuntimeError):
        write_comparison(cmp, tmp_path / "cmp")
    assert list((tmp_path / "cmp").iterdir()) == []


def test_cli_compare_writes_report_and_prints_headlines(tmp_path, small_scenario, halted, capsys):
    options = ["--replications", "2", "--seed", "5", "--out", str(tmp_path / "out"), "--end", "2023-06"]
    code = main(["compare", str(small_scenario), str(halted), *options, "--no-plots"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "halt vs small" in printed and "Report:" in printed
    report = Path(printed.strip().splitlines()[-1].removeprefix("Report: "))
    assert report.is_file()
    assert not list(report.parent.glob("*.png"))
    manifest = json.loads((report.parent / "manifest.json").read_text())
    assert manifest["months"]["last"] == "2023-06" and manifest["seeds"] == seeds_for(5, 2)


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--focus", "Narnia"], "--focus"),
        (["--end", "2023-13"], "--end"),
        (["--end", "2021-06"], "--end"),
        (["--replications", "0"], "--replications"),
    ],
)
def test_cli_bad_options_exit_2_and_write_nothing(tmp_path, small_scenario, halted, capsys, args, expect):
    out = tmp_path / "out"
    code = main(["compare", str(small_scenario), str(halted), "--out", str(out), *args])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expect in err and "Traceback" not in err
    assert not out.exists() or not list(out.iterdir())


def test_cli_bad_inputs_exit_2(tmp_path, small_scenario, capsys):
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    for bad, expect in ((tmp_path / "nope.yaml", "nope.yaml"), (empty, "manifest.json")):
        code = main(["compare", str(small_scenario), str(bad), "--out", str(tmp_path / "out")])
        assert code == 2
        assert expect in capsys.readouterr().err


# --------------------------------------------------------------------------- workers, plots, summary
@pytest.mark.slow
def test_two_workers_give_exactly_the_serial_comparison(small_scenario, halted):
    serial = compare(small_scenario, halted, replications=3, root_seed=9, workers=1)
    pooled = compare(small_scenario, halted, replications=3, root_seed=9, workers=2)
    pd.testing.assert_frame_equal(serial.series, pooled.series, check_exact=True)
    pd.testing.assert_frame_equal(serial.bands, pooled.bands, check_exact=True)
    pd.testing.assert_frame_equal(serial.actions, pooled.actions, check_exact=True)


def test_delta_plot_has_a_cumulative_panel_per_unit(small_scenario, halted):
    from sim.compare.plots import cumulative_unit, plot_deltas

    assert cumulative_unit("USD bn/yr") == ("USD bn", 1.0 / 12.0)
    assert cumulative_unit("actions/month") == ("actions", 1.0)
    assert cumulative_unit("pp") == ("", 0.0)  # shares are levels: not summed into point-months
    cmp = compare(small_scenario, halted, replications=2)
    fig = plot_deltas(cmp, "route exports", [("exports_by_route", None)])
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) % 2 == 0 and len(axes) >= 2
    right = axes[1]
    assert right.get_ylabel().startswith("cumulative mean delta (")
    lines = right.get_lines()[1:]  # after the zero line
    assert lines and any(abs(line.get_ydata()[-1]) > 0 for line in lines)
    left = axes[0]
    assert any(line.get_linestyle() == ":" for line in left.get_lines())  # mean delta lines


def test_cli_compare_workers_option_and_progress_quiet(tmp_path, small_scenario, halted, capsys):
    out = tmp_path / "cmp"
    args = [str(small_scenario), str(halted), "--replications", "2", "--workers", "2", "--quiet"]
    assert main(["compare", *args, "--out", str(out), "--no-plots"]) == 0
    assert "Report:" in capsys.readouterr().out
    assert main(["compare", *args[:4], "--workers", "-1", "--out", str(out)]) == 2


def test_run_summary_routes_show_first_and_last_year(small_scenario):
    from sim.results.summary import summary_text

    r = run_scenario(small_scenario, seed=1)
    text = summary_text(r.tables, r.loaded.spec, focus="Kazakhstan")
    block = text.split("Route shipments of Kazakhstan", 1)[1]
    header = block.splitlines()[1]
    years = sorted({m[:4] for m in r.tables["actor_month"]["month"]})
    assert years[0] in header and years[-1] in header


def test_years_differing_names_the_years_of_the_halt(small_scenario, halted):
    cmp = compare(small_scenario, halted, replications=2)
    years = cmp.years_differing
    assert years and years[0] == 2022  # the halt starts in 2022-10
    assert all(str(y) >= cmp.first_difference[:4] for y in years)
    same = compare(small_scenario, small_scenario, replications=1)
    assert same.years_differing == []

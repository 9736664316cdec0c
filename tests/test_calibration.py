"""Calibration: provenance checks, recovery of known parameters, the shipped parameter file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from sim.calibration import (
    DEFAULT_FIGURES,
    DEFAULT_PARAMS,
    DEFAULT_SETUP,
    calibrate,
    check,
    load_parameter_file,
)
from sim.calibration.figures import load_figures
from sim.calibration.fit import Calibrator, apply_free, fit
from sim.calibration.metrics import METRICS
from sim.errors import ScenarioError
from sim.params import Parameters

ROOT = Path(__file__).resolve().parent.parent


def test_a_figure_without_a_source_is_rejected_with_a_clear_error(tmp_path):
    lines = DEFAULT_FIGURES.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    # blank the source column of the first figure (its fields before `source` contain no quoted commas)
    row[header.index("source")] = ""
    bad = tmp_path / "figures.csv"
    bad.write_text("\n".join([lines[0], ",".join(row[: len(header)])]) + "\n")
    with pytest.raises(ScenarioError) as err:
        load_figures(bad, set(METRICS))
    msg = str(err.value)
    assert "figures.csv" in msg and "line 2, column source" in msg and "has no source" in msg


def test_a_target_without_tolerance_or_with_an_unknown_metric_is_rejected(tmp_path):
    text = DEFAULT_FIGURES.read_text()
    bad = tmp_path / "figures.csv"
    bad.write_text(text.replace(",26.1,USD bn,1.5,target,turnover,", ",26.1,USD bn,,target,turnuver,"))
    with pytest.raises(ScenarioError) as err:
        load_figures(bad, set(METRICS))
    assert "column tolerance" in str(err.value) and "unknown metric 'turnuver'" in str(err.value)


def test_every_shipped_figure_has_a_source_and_targets_have_metrics():
    figures = load_figures(DEFAULT_FIGURES, set(METRICS))
    assert all(f.source for f in figures)
    assert sum(f.role == "target" for f in figures) >= 15
    for f in figures:
        if f.source_kind == "article":  # a seed article file name, with the quote in quote_or_note
            assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt", f.source), f.id
            assert f.quote_or_note, f.id


@pytest.mark.slow
def test_fit_recovers_known_parameters_from_synthetic_targets(tmp_path):
    setup = yaml.safe_load(DEFAULT_SETUP.read_text())
    setup["scenario"] = str((DEFAULT_SETUP.parent / setup["scenario"]).resolve())
    keep = ["trade_elasticity", "reexport_base_utility", "route_risk_premium_usd_per_unit.CPC"]
    setup["free"] = [f for f in setup["free"] if f["path"] in keep]
    path = tmp_path / "free.yaml"
    path.write_text(yaml.safe_dump(setup))
    cal = Calibrator(path, DEFAULT_FIGURES)
    truth = np.array([5.5, -5.0, 12.0])
    synthetic = cal.values(apply_free(cal.base, cal.free, truth), cal.targets)
    result = fit(cal, x0=np.array([3.0, -3.0, 30.0]), targets=synthetic, starts=1, profiles=0)
    width = cal.upper - cal.lower
    assert np.abs(result.x - truth).max() / width.min() < 0.02, result.x
    assert result.cost < 1e-6


def test_shipped_parameter_file_loads_and_matches_the_schema():
    params, content = load_parameter_file(DEFAULT_PARAMS)
    assert isinstance(params, Parameters)
    assert set(content["parameters"]) == set(Parameters.model_fields)
    ids = {f.id for f in load_figures(DEFAULT_FIGURES)}
    for name, entry in content["parameters"].items():
        assert {"value", "bounds", "unit", "pinned_by", "status"} <= set(entry), name
        if entry["status"] != "fitted":
            continue
        if name == "route_risk_premium_usd_per_unit":
            for route, v in entry["value"].items():
                lo, hi = entry["bounds"][route]
                assert lo <= v <= hi and set(entry["pinned_by"][route]) <= ids
        else:
            lo, hi = entry["bounds"]
            assert lo <= entry["value"] <= hi and set(entry["pinned_by"]) <= ids


@pytest.mark.slow
def test_shipped_parameter_file_reproduces_its_recorded_fit():
    assert check() == []


def test_every_missed_target_is_explained():
    _, content = load_parameter_file(DEFAULT_PARAMS)
    notes = yaml.safe_load((DEFAULT_SETUP.parent / "miss_notes.yaml").read_text())
    targets = {f.id for f in load_figures(DEFAULT_FIGURES) if f.role == "target"}
    missed = [k for k, v in content["model_values"].items() if k in targets and abs(v["z"]) > 1]
    assert all(k in notes for k in missed), set(missed) - set(notes)
    report = (DEFAULT_PARAMS.parent / "report.md").read_text()
    assert all(f"`{k}`" in report.split("## Misses")[1] for k in missed)


@pytest.mark.slow
def test_calibrate_regenerates_the_shipped_file_within_tolerance(tmp_path):
    work = tmp_path / "calibration"
    shutil.copytree(DEFAULT_PARAMS.parent, work)
    setup = yaml.safe_load((work / "free_parameters.yaml").read_text())
    setup["scenario"] = str((DEFAULT_SETUP.parent / setup["scenario"]).resolve())
    (work / "free_parameters.yaml").write_text(yaml.safe_dump(setup))
    # One start: the shipped fit's winner of its 4 starts (`fit.best_start`, the same seeded list),
    # so this reproduces it at a quarter of the cost (~100 s); the other starts are not re-checked.
    _, shipped = load_parameter_file(DEFAULT_PARAMS)
    summary = calibrate(
        work / "free_parameters.yaml",
        work / "figures.csv",
        work / "params.yaml",
        progress=False,
        only_start=int(shipped["fit"].get("best_start", 0)),
    )
    _, fresh = load_parameter_file(work / "params.yaml")
    for fid, v in shipped["model_values"].items():
        assert fresh["model_values"][fid]["model"] == pytest.approx(v["model"], abs=0.05 * v["tolerance"]), (
            fid
        )
    assert (work / "report.md").exists() and (work / "fit.png").exists()
    assert summary.result.rank >= 1


class _TwoMinima:
    """A stand-in Calibrator with an analytic residual: a global minimum at x = 2 (cost 0) and a
    local one near x = -1 (cost ~0.4), where the documented start (-1.5) leads."""

    def __init__(self) -> None:
        self.free = [SimpleNamespace(start=-1.5, path="x")]
        self.lower, self.upper = np.array([-3.0]), np.array([3.0])
        self.targets = [SimpleNamespace(value=0.0, tolerance=1.0)] * 2
        self.evaluations = 0

    def residuals(self, x: np.ndarray, targets: np.ndarray | None) -> np.ndarray:
        self.evaluations += 1
        v = float(x[0])
        return np.array([(v + 1.0) * (v - 2.0), 0.3 * (v - 2.0)])


def test_only_start_reproduces_the_winning_start_of_a_multi_start_fit():
    """The shipped file records the winner (`fit.best_start`); running only that start gives the same
    fit, which is how test_calibrate_regenerates_the_shipped_file_within_tolerance stays cheap."""
    full_cal, one_cal = _TwoMinima(), _TwoMinima()
    full = fit(full_cal, starts=6, profiles=0, seed=3)  # type: ignore[arg-type]
    assert full.start_index > 0 and full.cost < 1e-12  # a random start found the global minimum
    one = fit(one_cal, starts=6, profiles=0, seed=3, only_start=full.start_index)  # type: ignore[arg-type]
    assert one.start_index == full.start_index
    np.testing.assert_array_equal(one.x, full.x)
    assert one.cost == full.cost and one_cal.evaluations < full_cal.evaluations  # one start only
    documented = fit(_TwoMinima(), starts=6, profiles=0, seed=3, only_start=0)  # type: ignore[arg-type]
    assert documented.start_index == 0 and documented.cost > 0.3  # stuck in the local minimum
    with pytest.raises(ValueError, match="outside the 6 start candidates"):
        fit(_TwoMinima(), starts=6, profiles=0, seed=3, only_start=6)  # type: ignore[arg-type]

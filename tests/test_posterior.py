"""Posterior calibration (NPE) plumbing: stored simulations are reused, posterior files round-trip.

The statistical checks (recovery of known parameters, SBC coverage) are NOT here: with MAF-based
NPE the coverage of 90 % intervals measured 0.74-0.84 (12,000 simulations, 200 held-out data
sets), below the 0.85-0.95 required, and the reduced 1,200-simulation version also missed. The
posterior is therefore not shipped (issue 10 stays open); `mvsim calibrate --posterior` reports the
coverage and exits 1 while the check fails.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("sbi", reason="the posterior needs the sbi and torch packages (pip install -e '.[dev]')")

from sim.calibration.posterior_output import posterior_draw, read_posterior, write_posterior
from sim.params import Parameters

ROOT = Path(__file__).resolve().parent.parent
FOUR = [
    ("route_risk_premium_usd_per_unit.Middle Corridor", (0.0, 200.0), "USD/t", ["titr_cargo_2022"]),
    ("reexport_base_utility", (-10.0, 0.0), "logit utility", ["leakage_share_2022"]),
    ("route_risk_premium_usd_per_unit.Trans-Caspian oil", (0.0, 150.0), "USD/t", ["btc_kz_2022"]),
    ("trade_elasticity", (2.0, 8.0), "1", ["kz_eu_turnover_2022"]),
]


def small_setup(tmp_path: Path) -> Path:
    setup = yaml.safe_load((ROOT / "calibration" / "posterior_parameters.yaml").read_text())
    setup["scenario"] = str(ROOT / "scenarios" / "baseline.yaml")
    setup["free"] = [
        {"path": p, "bounds": list(b), "start": float(np.mean(b)), "unit": u, "pins": pins}
        for p, b, u, pins in FOUR
    ]
    path = tmp_path / "setup.yaml"
    path.write_text(yaml.safe_dump(setup))
    return path


def test_simulations_are_stored_in_chunks_and_reused(tmp_path):
    from sim.calibration.posterior import (
        PosteriorConfig,
        _calibrator,
        prior_draws,
        run_simulations,
        simulate_values,
    )

    setup = small_setup(tmp_path)
    config = PosteriorConfig(setup, ROOT / "calibration" / "figures.csv", simulations=150, workers=1)
    cal = _calibrator(str(config.setup), str(config.figures))
    thetas = prior_draws(cal, config.simulations, config.seed, 0)
    directory = tmp_path / "sims"
    first = run_simulations(config, thetas, directory, "train")
    cached = sorted(directory.glob("train_*.npy"))
    assert len(cached) == 2  # 150 simulations in chunks of 100
    stamps = [f.stat().st_mtime_ns for f in cached]
    again = run_simulations(config, thetas, directory, "train")  # resumes: nothing to run
    assert [f.stat().st_mtime_ns for f in cached] == stamps
    np.testing.assert_array_equal(first, again)
    # A stored chunk holds exactly what a fresh simulation gives (deterministic model), and the
    # prior draws are reproducible from the seed.
    np.testing.assert_array_equal(
        first[:2], simulate_values(str(config.setup), str(config.figures), thetas[:2])
    )
    np.testing.assert_array_equal(thetas, prior_draws(cal, config.simulations, config.seed, 0))
    assert np.all((thetas >= cal.lower) & (thetas <= cal.upper))


def test_posterior_file_round_trip_and_draws(tmp_path):
    names = ["trade_elasticity", "route_risk_premium_usd_per_unit.CPC"]
    samples = np.array([[3.0, 10.0], [5.0, 20.0]])
    path = tmp_path / "posterior.parquet"
    write_posterior(path, names, samples, {"version": "abc", "method": "npe-maf"})
    got_names, got, meta = read_posterior(path)
    assert got_names == names and meta["version"] == "abc"
    np.testing.assert_array_equal(got, samples)
    p = posterior_draw(Parameters(), path, 3)  # modulo: draw 1
    assert p.trade_elasticity == 5.0 and p.route_risk_premium_usd_per_unit["CPC"] == 20.0

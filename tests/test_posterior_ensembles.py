"""Ensembles with parameters drawn from the posterior: `mvsim run --posterior-draw K`,
`compare(..., posterior=)` (paired draws), sweeps with `posterior: true`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from sim.api import ensemble, run, seeds_for
from sim.calibration.ensemble_draws import assign_draws, load_draws, variance_split
from sim.calibration.posterior_output import write_posterior
from sim.cli import main
from sim.compare import compare
from sim.errors import ScenarioError

NAMES = [
    "trade_elasticity",
    "route_logit_scale",
    "route_risk_premium_usd_per_unit.CPC",
    "route_risk_premium_usd_per_unit.Middle Corridor",  # a route the small scenario lacks
]


def _samples(n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(3)
    lo, hi = np.array([2.0, 0.02, 0.0, 0.0]), np.array([8.0, 0.2, 80.0, 200.0])
    return lo + (hi - lo) * rng.random((n, len(NAMES)))


@pytest.fixture
def posterior_file(tmp_path: Path) -> Path:
    path = tmp_path / "posterior.parquet"
    write_posterior(path, NAMES, _samples(), {"method": "synthetic"})
    return path


def _weighted(path: Path, weights: np.ndarray) -> Path:
    x = _samples(len(weights))
    cols = {"draw": np.arange(len(weights), dtype=np.int64), "weight": weights.astype(float)}
    cols |= {n: x[:, k] for k, n in enumerate(NAMES)}
    pq.write_table(pa.table(cols), path)
    return path


@pytest.fixture
def variant(small_scenario: Path, small_scenario_data: dict, scenario_writer) -> Path:
    """The small scenario with one more scripted event (B of a comparison)."""
    data = small_scenario_data
    data["name"] = "small_b"
    data["events"].append(
        {
            "date": "2022-04",
            "action": {
                "type": "route_disruption",
                "route": "CPC",
                "capacity_factor": 0.5,
                "duration_months": 3,
            },
        }
    )
    return scenario_writer(data, filename="small_b.yaml")


# ----------------------------------------------------------------------------- draws
def test_assign_draws_pairs_seeds_and_honours_weights(tmp_path: Path, posterior_file: Path) -> None:
    d = load_draws(posterior_file)
    a = assign_draws(d, 5, 10)
    assert a == assign_draws(d, 5, 10)  # a function of the root seed
    assert all(a[2 * g] == a[2 * g + 1] for g in range(5))  # 2 seeds per draw
    assert len(set(a)) == 5  # uniform weights, fewer groups than draws: all different
    assert assign_draws(d, 5, 9) == a[:9]
    w = np.zeros(12)
    w[[3, 7]] = [0.25, 0.75]
    dw = load_draws(_weighted(tmp_path / "w.parquet", w))
    picks = assign_draws(dw, 1, 400)
    assert set(picks) <= {3, 7}
    assert picks.count(7) / len(picks) == pytest.approx(0.75, abs=0.02)


def test_variance_split() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(400), 2)
    x = rng.normal(0, 2.0, 400)[groups] + rng.normal(0, 1.0, 800)  # var 4 between, 1 within
    v = variance_split(x, groups)
    assert v["share_param"] == pytest.approx(0.8, abs=0.05)
    assert np.isnan(variance_split(np.zeros(8), groups[:8])["share_param"])


# ----------------------------------------------------------------------------- run
def test_run_with_draw_uses_its_values(small_scenario: Path, posterior_file: Path, tmp_path: Path) -> None:
    x = _samples()
    r = run(small_scenario, seed=2, posterior_draw=4, posterior=posterior_file)
    p = r.loaded.spec.parameters
    assert p.trade_elasticity == x[4, 0]
    assert p.route_logit_scale == x[4, 1]
    assert p.route_risk_premium_usd_per_unit["CPC"] == x[4, 2]
    assert "Middle Corridor" not in p.route_risk_premium_usd_per_unit  # not a route of this scenario
    assert "posterior draw 4" in r.loaded.spec.description
    plain = run(small_scenario, seed=2)
    assert not r.tables["actor_month"].equals(plain.tables["actor_month"])
    # the CLI writes the drawn parameters into the manifest
    out = tmp_path / "runs"
    argv = ["run", str(small_scenario), "--posterior-draw", "4", "--posterior", str(posterior_file)]
    assert main([*argv, "--out", str(out), "--no-plots"]) == 0
    manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
    assert manifest["parameters"]["trade_elasticity"] == x[4, 0]


def test_ensemble_with_posterior(small_scenario: Path, posterior_file: Path) -> None:
    ens = ensemble(small_scenario, n=4, root_seed=3, posterior=posterior_file, tables=["actor_month"])
    am = ens["actor_month"]
    d = assign_draws(load_draws(posterior_file), 3, 4)
    got = am.drop_duplicates("run_id")[["seed", "draw"]]
    assert got["draw"].tolist() == d and got["seed"].tolist() == seeds_for(3, 4)


# ----------------------------------------------------------------------------- compare
def test_self_compare_gives_exactly_zero_delta(small_scenario: Path, posterior_file: Path) -> None:
    cmp = compare(small_scenario, small_scenario, replications=4, posterior=posterior_file)
    assert (cmp.series["delta"] == 0.0).all()
    assert cmp.first_difference is None
    assert len(set(cmp.draws)) == 2 and cmp.series["draw"].notna().all()
    assert cmp.uncertainty()["share_param"].isna().all()


def test_compare_pairs_draws_and_seeds(small_scenario: Path, variant: Path, posterior_file: Path) -> None:
    cmp = compare(small_scenario, variant, replications=4, root_seed=9, posterior=posterior_file)
    assert cmp.draws == assign_draws(load_draws(posterior_file), 9, 4)
    assert cmp.first_difference is not None
    for r in (0, 3):  # each side of replication r is the run at (seeds[r], draws[r])
        for side, path in (("a", small_scenario), ("b", variant)):
            solo = run(path, seed=cmp.seeds[r], posterior_draw=cmp.draws[r], posterior=posterior_file)
            mine = cmp.values("indicators", "exports_usd_bn", side)[r]
            am = solo.tables["actor_month"]
            kz = am[am["actor"] == "Kazakhstan"].set_index("month")["exports_usd_bn"]
            np.testing.assert_array_equal(mine.to_numpy(), kz.reindex(mine.index).to_numpy())
    u = cmp.uncertainty()
    assert {"var_param", "var_stoch", "share_param", "dominant"} <= set(u.columns)


def test_compare_does_not_depend_on_workers(
    small_scenario: Path, variant: Path, posterior_file: Path
) -> None:
    one = compare(small_scenario, variant, replications=4, posterior=posterior_file, workers=1)
    two = compare(small_scenario, variant, replications=4, posterior=posterior_file, workers=2)
    pd.testing.assert_frame_equal(one.series, two.series, check_exact=True)
    assert one.draws == two.draws


def test_compare_report_says_which_dominates(
    small_scenario: Path, variant: Path, posterior_file: Path, tmp_path: Path
) -> None:
    from sim.compare.report import report_markdown, uncertainty_lines

    cmp = compare(small_scenario, variant, replications=4, posterior=posterior_file)
    text = report_markdown(cmp, plots=False)
    assert "## Parameter vs. stochastic uncertainty" in text
    assert "dominates" in text or "nothing to split" in text
    assert uncertainty_lines(cmp)[0].startswith("uncertainty: ")


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs(small_scenario: Path, posterior_file: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.parquet"
    assert main(["run", str(small_scenario), "--posterior-draw", "0", "--posterior", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "run `mvsim calibrate --posterior` first" in err and "Traceback" not in err
    assert (
        main(["run", str(small_scenario), "--posterior-draw", "-1", "--posterior", str(posterior_file)]) == 2
    )
    assert "expected a draw index >= 0" in capsys.readouterr().err
    assert (
        main(["run", str(small_scenario), "--posterior-draw", "99", "--posterior", str(posterior_file)]) == 2
    )
    assert "no draw 99" in capsys.readouterr().err
    argv = ["compare", str(small_scenario), str(small_scenario), "--posterior", str(missing)]
    assert main([*argv, "--out", str(tmp_path / "c")]) == 2
    assert "mvsim calibrate --posterior" in capsys.readouterr().err
    with pytest.raises(ScenarioError, match="draw index"):
        run(small_scenario, posterior_draw=-2, posterior=posterior_file)


# ----------------------------------------------------------------------------- sweeps
def _sweep(tmp_path: Path, **extra) -> Path:
    data = {
        "name": "post",
        "base": "small.yaml",
        "seed": 4,
        "replications": 4,
        "chunk_size": 3,
        "design": {"type": "full_factorial", "levels": 2},
        "parameters": [{"path": "routes[KCP].capacity_per_year", "name": "kcp", "values": [10, 30]}],
        "outcomes": {"scalars": ["kz_oil_lost_mt", "alignment_West_end"]},
        **extra,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_sweep_posterior(small_scenario: Path, posterior_file: Path, tmp_path: Path) -> None:
    from sim.sweep import load_sweep, read_sweep, run_sweep

    loaded = load_sweep(_sweep(tmp_path, posterior=True, posterior_file=posterior_file.name))
    run_sweep(loaded, tmp_path / "s1", workers=1, progress=False)
    run_sweep(loaded, tmp_path / "s2", workers=2, progress=False)
    one, two = read_sweep(tmp_path / "s1"), read_sweep(tmp_path / "s2")
    for k in one:
        pd.testing.assert_frame_equal(one[k], two[k], check_exact=True)
    exp = one["experiments"]
    assert (exp["status"] == "ok").all()
    assert exp["draw"].tolist() == assign_draws(load_draws(posterior_file), 4, 4) * 2
    plain = load_sweep(_sweep(tmp_path))
    assert plain.fingerprint != loaded.fingerprint
    run_sweep(plain, tmp_path / "s3", workers=1, progress=False)
    assert "draw" not in read_sweep(tmp_path / "s3")["experiments"]
    assert not read_sweep(tmp_path / "s3")["outcomes"].equals(one["outcomes"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"posterior": "yes"}, "posterior"),
        ({"posterior": True, "posterior_file": "none.parquet"}, "mvsim calibrate --posterior"),
        ({"posterior_file": "posterior.parquet"}, "only with `posterior: true`"),
    ],
)
def test_sweep_posterior_bad_input(
    small_scenario: Path, posterior_file: Path, tmp_path: Path, extra: dict, message: str
) -> None:
    from sim.sweep import load_sweep

    with pytest.raises(ScenarioError, match=message):
        load_sweep(_sweep(tmp_path, **extra))

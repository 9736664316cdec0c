"""Library API: loading from a path, a mapping or YAML text; horizon override; ensembles on a
process pool; calendar aggregation; run identity and datetime columns; route info; zero rows;
the Mesa DataCollector; lean imports per command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scenario_factory import write_small_scenario

from sim.api import annual, by_period, ensemble, envelope, load, load_loaded, run, seeds_for, with_overrides
from sim.errors import InputError, ScenarioError
from sim.results.tables import ID_COLUMNS, TABLE_SCHEMAS

ROOT = Path(__file__).resolve().parent.parent
SCEN = ROOT / "scenarios"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_small_scenario(tmp_path_factory.mktemp("api"))


def test_load_from_path_mapping_and_text_give_the_same_scenario(small):
    from_path, _ = load(small)
    mapping = yaml.safe_load(small.read_text(encoding="utf-8"))
    from_mapping, _ = load(mapping, base_dir=small.parent)
    from_text, _ = load(small.read_text(encoding="utf-8"), base_dir=small.parent)
    assert from_mapping.spec == from_path.spec == from_text.spec
    np.testing.assert_array_equal(from_mapping.baseline_flows, from_path.baseline_flows)


def test_bad_text_raises_scenario_error_naming_the_field():
    bad = "extends: baseline.yaml\nname: bad\nroutes:\n  - {name: CPC, capacity_per_year: -5}\n"
    with pytest.raises(ScenarioError, match=r"capacity_per_year"):
        load_loaded(bad, base_dir=SCEN)


def test_end_override_gives_the_prefix_of_the_full_run(small):
    full = run(small, seed=4)
    short = run(small, seed=4, end=full.loaded.spec.start[:4] + "-06")
    months = short.tables["actor_month"]["month"].unique()
    assert months[-1] == short.loaded.spec.end and len(months) == 6
    cols = ["exports_usd_bn", "multivector_index"]
    a = full.tables["actor_month"].query("month in @months")[cols].to_numpy()
    np.testing.assert_array_equal(a, short.tables["actor_month"][cols].to_numpy())
    with pytest.raises(InputError):
        run(small, end="1999-01")


def test_every_table_carries_run_identity_and_months_carry_dates(small):
    r = run(small, seed=7)
    assert r.run_id == f"{r.loaded.spec.name}_seed7"
    for name, df in r.tables.items():
        assert list(df.columns[:3]) == [c for c, _, _ in ID_COLUMNS], name
        assert (df["run_id"] == r.run_id).all() and (df["seed"] == 7).all(), name
        assert (df["scenario"] == r.loaded.spec.name).all(), name
        if "month" in df.columns:
            assert str(df["date"].dtype) == "datetime64[ns]", name
            assert (df["date"].dt.strftime("%Y-%m") == df["month"]).all(), name


def test_route_info_and_zero_rows_for_unused_pairs(small):
    r = run(small, seed=1)
    info = r.tables["route_info"]
    spec = r.loaded.spec
    assert info["route"].tolist() == [x.name for x in spec.routes]
    assert list(info.columns) == [c for c, _, _ in TABLE_SCHEMAS["route_info"]]
    for route, row in zip(spec.routes, info.itertuples(), strict=True):
        assert row.transit == ", ".join(route.transit) and row.capacity_per_year == route.capacity_per_year
    ships = r.tables["shipments"]
    pairs = {(s.name, rt) for s in spec.shipments for rt in s.routes}
    n_months = ships["month"].nunique()
    assert set(zip(ships["shipment"], ships["route"], strict=True)) == pairs
    assert len(ships) == len(pairs) * n_months
    assert (ships.groupby(["shipment", "route"]).size() == n_months).all()


def test_ensemble_is_the_same_on_one_and_two_workers_and_stacks_runs(small):
    seeds = seeds_for(3, 3)
    one = ensemble(small, seeds, workers=1, tables=["actor_month", "events"])
    two = ensemble(small, seeds, workers=2, tables=["actor_month", "events"])
    assert set(one) == {"actor_month", "events"}
    for k in one:
        pd.testing.assert_frame_equal(one[k], two[k], check_exact=True)
    am = one["actor_month"]
    assert am["seed"].unique().tolist() == seeds and am["run_id"].nunique() == 3
    single = run(small, seed=seeds[1], record_flows=False).tables["actor_month"]
    pd.testing.assert_frame_equal(
        am[am["seed"] == seeds[1]].reset_index(drop=True), single.reset_index(drop=True), check_exact=True
    )
    with pytest.raises(InputError):
        ensemble(small)


def test_annual_and_period_aggregation(small):
    r = run(small, seed=2)
    am = r.tables["actor_month"]
    yearly = annual(am, values=["exports_usd_bn"])
    kz = am[am["actor"] == "Kazakhstan"]
    expect = kz.groupby(kz["month"].str[:4])["exports_usd_bn"].mean()
    got = yearly[yearly["actor"] == "Kazakhstan"].set_index("year")["exports_usd_bn"]
    np.testing.assert_allclose(got.to_numpy(), expect.to_numpy())
    assert got.index.tolist() == [int(y) for y in expect.index]
    assert set(yearly["months"]) <= set(range(1, 13)) and yearly["months"].sum() == len(am)
    q = by_period(am, "Q", how="sum", values=["exports_usd_bn"])
    assert q["exports_usd_bn"].sum() == pytest.approx(am["exports_usd_bn"].sum())
    with pytest.raises(ValueError):
        by_period(am, "W")


def test_envelope_quantiles_are_ordered(small):
    ens = ensemble(small, n=4, workers=1, tables=["actor_month"])
    kz = ens["actor_month"].query("actor == 'Kazakhstan'")
    env = envelope(kz, "exports_usd_bn")
    assert len(env) == kz["month"].nunique() and (env["runs"] == 4).all()
    assert (env["min"] <= env["p10"]).all() and (env["p10"] <= env["p50"]).all()
    assert (env["p50"] <= env["p90"]).all() and (env["p90"] <= env["max"]).all()


def test_with_overrides_sets_values_by_path_and_names_bad_paths():
    edited = with_overrides(
        SCEN / "baseline.yaml",
        {"routes[Middle Corridor].capacity_per_year": 12.5, "parameters.trade_elasticity": 5.5},
        name="edited",
    )
    base = load_loaded(SCEN / "baseline.yaml")
    mc = {r.name: r.capacity_per_year for r in edited.spec.routes}["Middle Corridor"]
    assert mc == 12.5 and edited.spec.parameters.trade_elasticity == 5.5 and edited.spec.name == "edited"
    assert edited.spec.events == base.spec.events
    with pytest.raises(InputError, match="did you mean 'Middle Corridor'"):
        with_overrides(SCEN / "baseline.yaml", {"routes[Midle Corridor].capacity_per_year": 1.0})


def test_model_has_a_mesa_datacollector_matching_the_tables(small):
    import mesa

    from sim.core.agents import StateAgent
    from sim.core.model import COLLECTED_METRICS, MultiVectorModel, release

    _, world = load(small)
    model = MultiVectorModel(world, rng=np.random.default_rng(5))
    out = model.run()
    assert isinstance(model.datacollector, mesa.DataCollector)
    df = model.datacollector.get_agenttype_vars_dataframe(StateAgent)
    k = world.actors.index("Kazakhstan")
    kz = df[df["name"] == "Kazakhstan"]
    assert len(kz) == len(world.months)
    for m in COLLECTED_METRICS:
        np.testing.assert_array_equal(kz[m].to_numpy(), out.metrics[m][:, k])
    assert model.datacollector.get_model_vars_dataframe()["month"].tolist() == world.months
    assert len(model.agents) == len(world.actors)
    release(model)
    assert not vars(model)  # an empty shell is all Mesa's class-level registry keeps


def test_run_world_uses_no_private_mesa_attribute():
    text = (ROOT / "sim" / "core" / "model.py").read_text(encoding="utf-8")
    assert "_ids" not in text


def _modules_after(code: str) -> set[str]:
    r = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(r.stdout.splitlines()[-1].split())


def test_help_does_not_import_pandas():
    mods = _modules_after(
        "from sim.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert "pandas" not in mods and "sim.core.model" not in mods


def test_validate_does_not_import_the_model_or_mesa():
    mods = _modules_after(f"from sim.cli import main\nmain(['validate', {str(SCEN / 'baseline.yaml')!r}])")
    # sim.cli registers a lazy `mesa` package module (import_mesa_core): none of Mesa's code may run.
    assert not {m for m in mods if m.startswith("mesa.")}, "a Mesa submodule was imported"
    assert "sim.core.model" not in mods and "matplotlib" not in mods


def test_run_without_plots_does_not_import_matplotlib(small, tmp_path):
    mods = _modules_after(
        f"from sim.cli import main\nmain(['run', {str(small)!r}, '--out', {str(tmp_path)!r}, '--no-plots'])"
    )
    assert "matplotlib" not in mods and "sim.core.model" in mods

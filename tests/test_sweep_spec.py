"""Sweep files: field paths, validation against the base scenario, designs, seeds and outcomes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.api import load, seeds_for
from sim.core.model import run_world
from sim.errors import EXIT_BAD_INPUT, ScenarioError
from sim.scenario.overrides import PathError, apply_overrides, get_value, parse_path, resolve_path
from sim.sweep.design import latin_hypercube, make_design, run_seed
from sim.sweep.load import load_sweep
from sim.sweep.outcomes import OutcomeError, Reducer, resolve_scalar

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))


def write_sweep(directory: Path, data: dict, name: str = "sweep.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def base_sweep(**over: object) -> dict:
    data: dict = {
        "name": "t",
        "base": "small.yaml",
        "seed": 5,
        "replications": 2,
        "design": {"type": "full_factorial", "levels": 2},
        "parameters": [
            {"path": "parameters.trade_elasticity", "name": "eps", "range": [3.0, 5.0]},
            {"path": "routes[KCP].capacity_per_year", "values": [10.0, 20.0, 30.0]},
        ],
        "outcomes": {"scalars": ["kz_oil_lost_mt", "alignment_West_end"], "series": ["multivector_index"]},
    }
    data.update(over)
    return data


# ----------------------------------------------------------------------------- paths
def test_parse_path_segments() -> None:
    assert parse_path("routes[Middle Corridor].capacity_per_year") == [
        ("key", "routes"),
        ("sel", "Middle Corridor"),
        ("key", "capacity_per_year"),
    ]
    assert parse_path("decisions.menus[United States][0].action.level")[2:4] == [
        ("sel", "United States"),
        ("sel", "0"),
    ]
    for bad in ("", "a..b", "a[", "[x].y", "a]b", "a.", "a[x]b"):
        with pytest.raises(PathError):
            parse_path(bad)


def test_resolve_and_apply(small_scenario: Path) -> None:
    loaded, _ = load(small_scenario)
    m = loaded.spec.model_dump()
    assert resolve_path(m, "routes[KCP].capacity_per_year") == ("routes", 1, "capacity_per_year")
    assert resolve_path(m, "events[1].action.capacity_factor") == ("events", 1, "action", "capacity_factor")
    assert resolve_path(m, "actors[Kazakhstan].alignment.Russia") == ("actors", 0, "alignment", "Russia")
    assert resolve_path(m, "events[action.label=ru_electronics].action.rate")[:2] == ("events", 0)
    assert resolve_path(m, "events[date=2022-07,action.type=route_disruption].action.capacity_factor")[
        :2
    ] == (
        "events",
        1,
    )
    assert resolve_path(m, "decisions.menus[Russia][press_recognition].action.intensity")[:4] == (
        "decisions",
        "menus",
        "Russia",
        0,
    )
    # a new entry of a mapping-valued field resolves; validation decides later
    assert resolve_path(m, "actors[Kazakhstan].security_dependence.China")[-1] == "China"
    for bad, why in (
        ("routes[Nope].capacity_per_year", "unknown name 'Nope'"),
        ("routes[5].capacity_per_year", "out of range"),
        ("events[action.type=sanction,date=2030-01].action.rate", "0 items of events match"),
        ("routes.capacity_per_year", "is a list"),
        ("routes[KCP]", "expected the path of a single value"),
        ("trade.base_year", "cannot be varied"),
        ("paramters.trade_elasticity", "did you mean 'parameters'"),
    ):
        with pytest.raises(PathError, match=why):
            resolve_path(m, bad)
    keys = resolve_path(m, "routes[KCP].capacity_per_year")
    new = apply_overrides(m, [(keys, 99.0), (("parameters", "trade_elasticity"), 6.0)])
    assert get_value(new, keys) == 99.0 and get_value(m, keys) == 20.0  # the base is untouched
    assert new["routes"][0] is m["routes"][0]  # untouched branches are shared
    assert new["parameters"]["trade_elasticity"] == 6.0 and m["parameters"]["trade_elasticity"] == 4.0


# ----------------------------------------------------------------------------- validation
def test_load_sweep_counts(small_scenario: Path) -> None:
    s = load_sweep(write_sweep(small_scenario.parent, base_sweep()))
    assert (s.n_points, s.n_runs, s.chunk_size) == (6, 12, 1)
    assert s.columns == ["eps", "routes[KCP].capacity_per_year"]
    assert s.keys[1] == ("routes", 1, "capacity_per_year")


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"desing": {}}, "desing", "unknown key 'desing'"),
        ({"design": {"type": "latin_hypercube"}}, "design", "needs `samples`"),
        ({"design": {"type": "sobol", "samples": 100}}, "design", "power of 2"),
        ({"replications": 0}, "replications", "greater than or equal to 1"),
        (
            {"parameters": [{"path": "parameters.trade_elasticity", "range": [5, 3]}]},
            "parameters[0]",
            "lower < upper",
        ),
        ({"parameters": [{"path": "parameters.trade_elasticity"}]}, "parameters[0]", "exactly one of"),
        (
            {"parameters": [{"path": "parameters.trade_elasticity", "values": [1, "a"]}]},
            "parameters[0].values",
            "one kind",
        ),
        (
            {"parameters": [{"path": "routes[Nope].tariff_usd_per_unit", "values": [1]}]},
            "parameters[0].path",
            "unknown name",
        ),
        (
            {"parameters": [{"path": "routes[KCP].capacity_per_year", "values": [10, -1]}]},
            "parameters[0].values[1]",
            "greater than or equal to 0",
        ),
        (
            {"parameters": [{"path": "parameters.trade_elasticity", "range": [1, 30]}]},
            "parameters[0].range",
            "less than or equal to 20",
        ),
        (
            {"parameters": [{"path": "parameters.not_a_param", "values": [1]}]},
            "parameters[0].values[0]",
            "unknown key 'not_a_param'",
        ),
        ({"outcomes": {"scalars": ["route_nowhere_volume"]}}, "outcomes.scalars[0]", "unknown route"),
        ({"outcomes": {"scalars": ["kz_happiness"]}}, "outcomes.scalars[0]", "unknown outcome"),
        ({"outcomes": {"scalars": []}}, "outcomes", "at least one outcome"),
        ({"focus": "Narnia"}, "focus", "unknown actor 'Narnia'"),
        ({"base": "missing.yaml"}, "base", "file not found"),
        (
            {"model": "no_such_module:f", "base": None, "outcomes": {"scalars": ["y"]}},
            "model",
            "cannot import",
        ),
        ({"model": "sim.sweep.models:ishigami"}, "base", "exactly one of"),
    ],
)
def test_bad_sweeps_name_file_and_field(small_scenario: Path, change: dict, field: str, text: str) -> None:
    data = base_sweep(**change)
    data = {k: v for k, v in data.items() if v is not None}
    path = write_sweep(small_scenario.parent, data)
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    fields = [p.field for p in err.value.problems]
    assert field in fields, fields
    assert text in str(err.value)
    assert all(p.file.endswith("sweep.yaml") for p in err.value.problems)


def test_cli_bad_sweep_exit_2(small_scenario: Path, tmp_path: Path) -> None:
    path = write_sweep(small_scenario.parent, base_sweep(replications="two"))
    res = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert res.returncode == EXIT_BAD_INPUT
    assert "sweep.yaml: replications:" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path", SWEEPS, ids=[p.name for p in SWEEPS])
def test_shipped_sweeps_validate(path: Path) -> None:
    s = load_sweep(path)
    assert s.n_runs >= 1
    if path.name == "smoke.yaml":
        assert 20 <= s.n_runs <= 40


# ----------------------------------------------------------------------------- designs and seeds
def test_run_seeds_match_seedsequence_spawn() -> None:
    assert [run_seed(42, i) for i in range(50)] == seeds_for(42, 50)


def test_designs_are_deterministic_and_in_bounds(small_scenario: Path) -> None:
    params = [
        {"path": "parameters.trade_elasticity", "range": [3.0, 5.0]},
        {"path": "routes[KCP].capacity_per_year", "range": [10, 20], "integer": True},
        {"path": "events[0].action.measure", "values": ["ban", "ad_valorem"]},
    ]
    for design in ({"type": "latin_hypercube", "samples": 40}, {"type": "monte_carlo", "samples": 40}):
        data = base_sweep(design=design, parameters=params)
        spec = load_sweep(write_sweep(small_scenario.parent, data)).spec
        a, b = make_design(spec), make_design(spec)
        for col in a:
            np.testing.assert_array_equal(a[col], b[col])
        eps = a["parameters.trade_elasticity"]
        assert eps.dtype == np.float64 and eps.min() >= 3.0 and eps.max() <= 5.0
        cap = a["routes[KCP].capacity_per_year"]
        assert cap.dtype == np.int64 and set(cap) <= set(range(10, 21))
        assert set(a["events[0].action.measure"]) == {"ban", "ad_valorem"}
    ff = load_sweep(write_sweep(small_scenario.parent, base_sweep())).spec
    d = make_design(ff)
    assert list(d["eps"]) == [3.0, 3.0, 3.0, 5.0, 5.0, 5.0]
    assert list(d["routes[KCP].capacity_per_year"]) == [10.0, 20.0, 30.0] * 2


def test_latin_hypercube_strata() -> None:
    u = latin_hypercube(10, 3, np.random.default_rng(0))
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 10).astype(int)) == list(range(10))


# ----------------------------------------------------------------------------- outcomes
def test_outcomes_reduce_a_run(small_scenario: Path) -> None:
    _, world = load(small_scenario)
    red = Reducer(
        world,
        "Kazakhstan",
        [
            "kz_oil_lost_mt",
            "kz_oil_shipped_mt_end",
            "alignment_West_end",
            "multivector_index_mean",
            "route_kcp_volume_max",
            "kz_trade_China",
            "leakage_share",
        ],
        ["kz_oil_lost_mt", "alignment_West"],
    )
    assert red.needs_flows  # kz_trade_* needs the bilateral flows
    out = run_world(world, 3, record_flows=True)
    scalars, series = red.reduce(out, world)
    lost = out.shipment_lost[:, 0]
    assert scalars["kz_oil_lost_mt"] == pytest.approx(lost.mean())
    assert scalars["kz_oil_shipped_mt_end"] == pytest.approx(out.shipment_offered[-1, 0] - lost[-1])
    assert scalars["alignment_West_end"] == pytest.approx(out.alignment[-1, 0, 2])
    assert scalars["route_kcp_volume_max"] == pytest.approx(out.route_volume[:, 1].max())
    kz, cn = world.index["Kazakhstan"], world.index["China"]
    trade = out.flows[:, kz, cn].sum(axis=1) + out.flows[:, cn, kz].sum(axis=1)
    assert scalars["kz_trade_China"] == pytest.approx(trade.mean())
    assert series["kz_oil_lost_mt"].shape == (len(out.months),)
    with pytest.raises(OutcomeError, match="unknown pole"):
        resolve_scalar("alignment_Mars_end", world, "Kazakhstan")


def test_oil_bypass_share_counts_routes_the_pole_does_not_control(small_scenario: Path) -> None:
    _, world = load(small_scenario)
    red = Reducer(world, "Kazakhstan", ["kz_oil_bypass_Russia_end"], [])
    out = run_world(world, 3, record_flows=False)
    scalars, _ = red.reduce(out, world)
    shipped = out.shipment_routes[-1, 0]  # the small scenario's one Kazakh oil shipment, by route
    free = world.route_control[:, world.pole_index["Russia"]] <= 0
    assert 0 < free.sum() < len(free)  # one route Russia controls, one it does not
    assert scalars["kz_oil_bypass_Russia_end"] == pytest.approx(shipped[free].sum() / shipped.sum())
    with pytest.raises(OutcomeError, match="unknown pole"):
        resolve_scalar("kz_oil_bypass_Mars", world, "Kazakhstan")

"""Property-based robustness (hypothesis, derandomized): mutated scenario and sweep files end in a
valid run or a clean exit-2 error, never a traceback, a hang or a non-finite result; random valid
scenarios keep the model's invariants at every step (issue 13).

Every example runs in this process (`sim.cli.main` or the library) under a time limit; horizons
are 3-4 months so that the whole module takes well under a minute on two cores.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from robustness_helpers import assert_valid_or_clean, cli, non_finite_in_table, time_limit
from scenario_factory import small_scenario_dict, write_small_scenario, write_trade_csv

from sim.core.model import run_world
from sim.errors import ScenarioError
from sim.scenario.compile import build_world
from sim.scenario.loader import load_scenario, load_scenario_mapping

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def _short_dict() -> dict[str, Any]:
    data = small_scenario_dict()
    data["end"] = "2022-04"
    data["events"] = [e for e in data["events"] if e["date"] <= "2022-04"]
    return data


def check_invariants(out: Any) -> None:
    """flows >= 0; route volume <= capacity; shipped + lost = offered; alignment on the simplex;
    every recorded array finite -- at every step (the arrays' first axis is the month)."""
    if out.flows is not None:
        assert np.isfinite(out.flows).all()
        assert (out.flows >= -1e-9).all()
    assert np.isfinite(out.route_volume).all() and np.isfinite(out.route_capacity).all()
    assert (out.route_volume >= -1e-9).all()
    assert (out.route_volume <= out.route_capacity * (1 + 1e-9) + 1e-6).all()
    np.testing.assert_allclose(
        out.shipment_routes.sum(axis=2) + out.shipment_lost, out.shipment_offered, rtol=1e-9, atol=1e-6
    )
    assert (out.shipment_routes >= -1e-9).all() and (out.shipment_lost >= -1e-9).all()
    assert (out.alignment >= -1e-12).all()
    np.testing.assert_allclose(out.alignment.sum(axis=2), 1.0, atol=1e-9)
    for name, arr in out.metrics.items():
        assert np.isfinite(arr).all(), name
    assert np.isfinite(out.dependence).all()
    for name, arr in out.forces.items():
        assert np.isfinite(arr).all(), name


# ============================================================ mutations of a valid scenario file
_ODD_SCALARS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1e308, -1e308, 1e-320, 2**63, 2**64, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["2022-02-30", "2021-13", "0000-01", "9999-12", "2022-1", "", "\x00", "ü½€😀", "nan"]),
    st.booleans(),
    st.none(),
)
_ODD_VALUES = st.one_of(
    _ODD_SCALARS,
    st.lists(_ODD_SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), _ODD_SCALARS, max_size=3),
)
_TEXT_MUTATIONS = [
    "!!int 'abc'",
    "!!float 'x'",
    "!!timestamp 'garbage'",
    "!!binary aGVsbG8=",
    "!custom 1",
    "!!python/name:os.system",
    "&a [*a]",
    "[" * 200 + "]" * 200,
    "2022-02-30",
    "2022-01-01T25:00:00Z",
    ".inf",
    "-.inf",
    ".nan",
    "1.0e+999",
    "0x7fffffffffffffffffff",
    "'\\ud800'",
    '"\\ud800"',
    "{a: 1, a: 2}",
    "*undefined_alias",
    "|\n  multi\n  line",
]


def _leaf_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            paths += _leaf_paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            paths += _leaf_paths(v, (*prefix, i))
    return paths


_BASE = _short_dict()
_PATHS = _leaf_paths(_BASE)
_BASE_TEXT = yaml.safe_dump(_BASE, sort_keys=False)


@st.composite
def mutated_scenarios(draw: st.DrawFn) -> str:
    """YAML text of the short small scenario with one to three mutations."""
    data = copy.deepcopy(_BASE)
    text: str | None = None
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["set", "delete", "text", "truncate", "unicode", "extend"]))
        if kind in ("set", "delete"):
            path = draw(st.sampled_from(_PATHS))
            parent = data
            try:
                for seg in path[:-1]:
                    parent = parent[seg]
                if kind == "set":
                    parent[path[-1]] = draw(_ODD_VALUES)
                elif isinstance(parent, dict):
                    parent.pop(path[-1], None)
                elif isinstance(parent, list) and path[-1] < len(parent):
                    parent.pop(path[-1])
            except (KeyError, IndexError, TypeError):
                continue
        elif kind == "extend":
            data[draw(st.sampled_from(["shipments", "routes", "events", "actors"]))] = draw(
                st.sampled_from([[], [{"name": "x", "remove": True}], None, [{}], "all"])
            )
        text = None
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):
        lines = text.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        if ": " in line:
            key = line.split(": ", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(_TEXT_MUTATIONS))}"
        else:
            lines.insert(i, draw(st.sampled_from(_TEXT_MUTATIONS)))
        text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(min_size=1, max_size=5)) + text[at:]
    return text


def _write(directory: Path, text: str) -> Path:
    write_trade_csv(directory / "trade_small.csv")
    path = directory / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    return path


@pytest.mark.slow
@FUZZ
@given(mutated_scenarios())
def test_mutated_scenarios_run_or_fail_cleanly(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), text)
        code, _, err = cli(["validate", str(path)], seconds=20)
        assert_valid_or_clean(code, err)
        if code == 2:
            assert str(path) in err  # every problem names the user's file
            return
        with time_limit(30):
            loaded = load_scenario(path)
            out = run_world(build_world(loaded.spec, loaded.baseline_flows), loaded.spec.seed)
        check_invariants(out)


@pytest.mark.slow
@settings(FUZZ, max_examples=30)
@given(mutated_scenarios())
def test_mutated_scenarios_through_mvsim_run(text: str) -> None:
    """The whole command (run, tables, summary) on a smaller sample: a run directory or exit 2."""
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), text)
        out = Path(tmp) / "out"
        code, _, err = cli(["run", str(path), "--out", str(out), "--no-plots"], seconds=60)
        assert_valid_or_clean(code, err)
        dirs = [d for d in out.iterdir()] if out.is_dir() else []
        if code == 2:
            assert not [d for d in dirs if not d.name.startswith(".")]
            return
        (run_dir,) = dirs
        import pandas as pd

        for f in run_dir.glob("*.parquet"):
            assert non_finite_in_table(f.stem, pd.read_parquet(f)) == 0, f.name


# ============================================================ mutations of a valid sweep file
_SWEEP = {
    "name": "fuzz",
    "base": "small.yaml",
    "seed": 3,
    "replications": 2,
    "design": {"type": "latin_hypercube", "samples": 3},
    "parameters": [
        {"path": "parameters.trade_elasticity", "range": [2.0, 8.0]},
        {"path": "routes[CPC].capacity_per_year", "values": [30.0, 60.0]},
    ],
    "outcomes": {"scalars": ["kz_oil_lost_mt", "alignment_Russia_end"], "series": ["kz_oil_lost_mt"]},
}
_SWEEP_PATHS = _leaf_paths(_SWEEP)
_SWEEP_VALUES = st.one_of(
    _ODD_VALUES,
    st.sampled_from(
        [
            1,
            2,
            4,
            1099511627776,
            10**18,
            "../../../../x",
            "/abs",
            "x" * 300,
            "sobol",
            "full_factorial",
            "monte_carlo",
            [0.0, 1e308],
            list(range(2000)),
            "events[action.label=ru_electronics].action.rate",
            "routes[Nowhere].capacity_per_year",
            "trade.baseline_file",
            "/etc/passwd",
        ]
    ),
)


@st.composite
def mutated_sweeps(draw: st.DrawFn) -> str:
    data = copy.deepcopy(_SWEEP)
    for _ in range(draw(st.integers(0, 2))):
        path = draw(st.sampled_from(_SWEEP_PATHS))
        parent: Any = data
        try:
            for seg in path[:-1]:
                parent = parent[seg]
            if draw(st.integers(0, 4)) == 0:
                parent.pop(path[-1])
            else:
                parent[path[-1]] = draw(_SWEEP_VALUES)
        except (KeyError, IndexError, TypeError, AttributeError):
            continue
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if draw(st.integers(0, 4)) == 0:
        lines = text.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        if ": " in lines[i]:
            lines[i] = lines[i].split(": ", 1)[0] + ": " + draw(st.sampled_from(_TEXT_MUTATIONS))
        text = "\n".join(lines) + "\n"
    return text


@pytest.fixture(scope="module")
def sweep_dir() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        write_small_scenario(Path(tmp), data=_short_dict())
        yield Path(tmp)


@pytest.mark.slow
@settings(FUZZ, max_examples=100)
@given(text=mutated_sweeps())
def test_mutated_sweeps_run_or_fail_cleanly(sweep_dir: Path, text: str) -> None:
    import sim.sweep.spec as spec_module

    old = spec_module.CONFIRM_RUNS
    spec_module.CONFIRM_RUNS = 24  # larger valid sweeps stop at the --yes question (exit 2)
    try:
        with tempfile.TemporaryDirectory(dir=sweep_dir) as tmp:
            sweep = Path(tmp).parent / f"{Path(tmp).name}.yaml"
            sweep.write_bytes(text.encode("utf-8", errors="surrogatepass"))
            out = Path(tmp) / "out"
            try:
                code, _, err = cli(
                    ["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"], seconds=60
                )
            finally:
                sweep.unlink()
            assert_valid_or_clean(code, err)
            if code == 2:
                assert "error: " in err
                assert "root:" not in err
                assert (
                    not out.exists() or not (out / "experiments").exists() or (out / "manifest.json").exists()
                )
            else:
                from sim.sweep import read_sweep

                tables = read_sweep(out)
                assert len(tables["experiments"]) >= 1
                assert np.isfinite(tables["outcomes"].select_dtypes("number").to_numpy(float)).all()
    finally:
        spec_module.CONFIRM_RUNS = old


# ============================================================ random valid scenarios: invariants
_POLES = ["Russia", "China", "West"]


@st.composite
def simplex(draw: st.DrawFn, keys: list[str]) -> dict[str, float]:
    raw = [draw(st.floats(0.0, 1.0)) for _ in keys]
    total = sum(raw)
    if total <= 1e-9:
        return {keys[0]: 1.0}
    shares = [r / total for r in raw]
    shares[-1] = 1.0 - sum(shares[:-1])
    return {k: max(0.0, v) for k, v in zip(keys, shares, strict=True) if v > 0} or {keys[0]: 1.0}


_EXTREME_PARAMS: dict[str, Callable[[], st.SearchStrategy[float]]] = {
    "trade_elasticity": lambda: st.sampled_from([0.5, 1.0, 4.0, 20.0]),  # the bounds, sim.params
    "trade_adjustment_per_month": lambda: st.sampled_from([1e-6, 0.25, 1.0]),
    "decision_rationality": lambda: st.sampled_from([1e-6, 10.0, 1000.0]),
    "route_logit_scale": lambda: st.sampled_from([1e-6, 0.08, 100.0]),
    "alignment_gain_rate": lambda: st.sampled_from([0.0, 0.6, 10.0]),
    "pressure_backlash_rate": lambda: st.sampled_from([0.0, 10.0]),
    "signal_rate": lambda: st.sampled_from([0.0, 10.0]),
    "reexport_base_utility": lambda: st.sampled_from([-50.0, 0.0, 50.0]),
    "reexport_premium_sensitivity": lambda: st.sampled_from([0.0, 100.0]),
    "elite_margin_weight": lambda: st.sampled_from([0.0, 100.0]),
}


@st.composite
def valid_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random small scenario that validates: 3-6 actors, 0-3 routes and shipments, random events,
    parameters anywhere in their documented ranges (ends included)."""
    n = draw(st.integers(3, 6))
    names = ["Kazakhstan", "Russia", "China", "RestOfWorld", "Uzbekistan", "Turkey"][:n]
    actors = []
    for i, name in enumerate(names):
        actor: dict[str, Any] = {
            "name": name,
            "gdp_usd_bn": draw(st.sampled_from([1e-3, 1.0, 200.0, 20000.0, 1e6])),
            "alignment": draw(simplex(_POLES)),
            "hedging_weight": draw(st.sampled_from([0.0, 1.0, 100.0])),
            "sovereignty_sensitivity": draw(st.floats(0, 1)),
        }
        if name == "RestOfWorld":
            actor["kind"] = "rest_of_world"
        if i in (1, 2):
            actor["pole"] = _POLES[i - 1]
        actors.append(actor)
    if "RestOfWorld" not in names:
        actors[-1]["kind"] = "rest_of_world"
    goods = [
        {"name": "oil", "unit": "Mt", "price_usd_per_unit": draw(st.sampled_from([1.0, 500.0, 1e6]))},
        {"name": "electronics", "dual_use": True},
    ]
    n_routes = draw(st.integers(0, 3))
    routes = [
        {
            "name": f"R{j}",
            "mode": "pipeline",
            "unit": "Mt",
            "destination": draw(st.sampled_from(names[1:])),
            "capacity_per_year": draw(st.sampled_from([0.0, 1e-6, 20.0, 1e4])),
            "tariff_usd_per_unit": draw(st.sampled_from([0.0, 30.0, 1e6])),
        }
        for j in range(n_routes)
    ]
    shipments = []
    if routes:
        for k in range(draw(st.integers(0, 3))):
            shipments.append(
                {
                    "name": f"S{k}",
                    "shipper": draw(st.sampled_from(names)),
                    "good": "oil",
                    "volume_per_year": draw(st.sampled_from([0.0, 1e-6, 50.0, 1e4])),
                    "routes": draw(
                        st.lists(
                            st.sampled_from([r["name"] for r in routes]),
                            min_size=1,
                            max_size=len(routes),
                            unique=True,
                        )
                    ),
                }
            )
    events = []
    for _ in range(draw(st.integers(0, 4))):
        month = draw(st.sampled_from(["2022-01", "2022-02", "2022-03"]))
        options = [
            {
                "type": "sanction",
                "sender": "Coalition",
                "target": draw(st.sampled_from(names[:3])),
                "goods": "all",
                "measure": "ad_valorem",
                "rate": draw(st.sampled_from([0.0, 1.0, 10.0])),
            },
            {
                "type": "inducement",
                "sender": "China",
                "target": "Kazakhstan",
                "amount_usd_bn": draw(st.sampled_from([1e-6, 10.0, 1e4])),
                "duration_months": 1,
            },
            {
                "type": "demand",
                "sender": "Russia",
                "target": "Kazakhstan",
                "issue": "x",
                "intensity": draw(st.floats(0, 1)),
            },
            {
                "type": "signal",
                "actor": "Kazakhstan",
                "toward": draw(st.sampled_from(_POLES)),
                "strength": draw(st.sampled_from([1e-6, 1.0])),
            },
        ]
        if routes:
            options.append(
                {
                    "type": "route_disruption",
                    "route": draw(st.sampled_from([r["name"] for r in routes])),
                    "capacity_factor": draw(st.sampled_from([0.0, 0.5, 1.0])),
                    "duration_months": 2,
                }
            )
            options.append(
                {
                    "type": "route_investment",
                    "actor": "Kazakhstan",
                    "route": routes[0]["name"],
                    "capacity_added": draw(st.sampled_from([1e-6, 1e4])),
                    "lag_months": 0,
                    "cost_usd_bn": 1.0,
                }
            )
        events.append({"date": month, "action": draw(st.sampled_from(options))})
    params = {name: draw(strategy()) for name, strategy in _EXTREME_PARAMS.items() if draw(st.booleans())}
    trade = []
    for e in names:
        for i in names:
            if e != i and draw(st.integers(0, 2)):
                trade.append(
                    (
                        e,
                        i,
                        draw(st.sampled_from(["oil", "electronics"])),
                        draw(st.sampled_from([0.0, 1e-6, 5.0, 1e4])),
                        "fuzz",
                    )
                )
    return {
        "scenario": {
            "name": "fuzz_valid",
            "start": "2022-01",
            "end": "2022-03",
            "seed": draw(st.integers(0, 2**63 - 1)),
            "poles": _POLES,
            "parameters": params,
            "actors": actors,
            "goods": goods,
            "trade": {"baseline_file": "trade.csv"},
            "routes": routes,
            "shipments": shipments,
            "events": events,
            "blocs": [{"name": "Coalition", "kind": "sanctions_coalition", "members": [actors[-1]["name"]]}],
        },
        "trade": trade,
    }


@pytest.mark.slow
@settings(FUZZ, max_examples=200)
@given(valid_scenarios())
def test_invariants_hold_at_every_step_of_random_valid_scenarios(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = case["trade"] or [("Kazakhstan", "Russia", "oil", 1.0, "fuzz")]
        dedup = {(e, i, g): (e, i, g, v, s) for e, i, g, v, s in rows}
        write_trade_csv(Path(tmp) / "trade.csv", list(dedup.values()))
        try:
            loaded = load_scenario_mapping(case["scenario"], Path(tmp), name="fuzz")
        except ScenarioError as exc:  # the generator makes valid scenarios only: this is a finding
            raise AssertionError(f"generated scenario refused: {exc}") from None
        with time_limit(30):
            out = run_world(build_world(loaded.spec, loaded.baseline_flows), loaded.spec.seed)
        assert len(out.months) == 3
        check_invariants(out)

"""Robust search: the known-answer problem, determinism, bad files and the smoke CLI end to end.

Known answer (sim/robust/synthetic.py): the two-lever ZDT1 with a common shift u, f1 = x + u,
f2 = g (1 - sqrt(x / g)) + u, g = 1 + 9 y. On the search ensemble the member means have the front
F2 = 1 - sqrt(F1 - ubar) + ubar, F1 in [ubar, 1 + ubar] (Pareto set y = 0). Tolerance: every point
of the found front within 0.01 of the analytic front and the inverted generational distance
(mean distance of the analytic front to the found set) below 0.01, in objective units
(measured 0.002 and 0.0008 at population 40 x 60 generations, seed 5).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from robust_files import zdt_file

from sim.cli import main
from sim.errors import ScenarioError
from sim.robust.evaluate import evaluate, make_ensemble
from sim.robust.load import load_robust
from sim.robust.search import run_search
from sim.robust.synthetic import front_distance

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "scenarios" / "robust" / "smoke.yaml"
KAZ = ROOT / "scenarios" / "robust" / "kazakhstan_2030.yaml"
GD_TOL = 0.01
IGD_TOL = 0.01


def _search(path: Path, workers: int = 1):  # type: ignore[no-untyped-def]
    loaded = load_robust(path)
    ens = make_ensemble(loaded.spec.uncertainties, loaded.spec.scenarios, "search")
    return loaded, ens, run_search(loaded, ens, workers=workers, log=io.StringIO())


def test_known_answer_front_is_recovered(tmp_path: Path) -> None:
    _, ens, res = _search(zdt_file(tmp_path))
    ubar = float(ens.values["u"].mean())
    front = res.fitness[res.pareto]
    gd, igd = front_distance(front, ubar)
    assert gd.max() <= GD_TOL, f"a front point is {gd.max():.4f} from the analytic front"
    assert igd <= IGD_TOL, f"IGD {igd:.4f}"
    assert front[:, 0].min() <= ubar + 0.02 and front[:, 0].max() >= 1 + ubar - 0.02  # the whole range
    ys = np.array([res.candidates[i]["y"] for i in res.pareto])
    assert ys.max() < 0.01  # the Pareto set is y = 0
    hv = res.convergence["hypervolume"].to_numpy()
    assert (np.diff(hv) >= -1e-12).all() and hv[-1] > hv[0]  # the archive's hypervolume grows


def test_same_seed_same_front_other_seed_other_candidates(tmp_path: Path) -> None:
    _, _, a = _search(zdt_file(tmp_path, population=12, generations=5))
    _, _, b = _search(zdt_file(tmp_path, population=12, generations=5))
    assert np.array_equal(a.fitness[a.pareto], b.fitness[b.pareto])
    assert a.candidates == b.candidates
    _, _, c = _search(zdt_file(tmp_path, population=12, generations=5, seed=6))
    assert c.candidates != a.candidates


def test_pool_gives_the_serial_result(tmp_path: Path) -> None:
    path = zdt_file(tmp_path, population=8, generations=2)
    _, _, one = _search(path, workers=1)
    _, _, two = _search(path, workers=2)
    assert one.candidates == two.candidates
    assert np.array_equal(one.values, two.values)


def test_ensembles_share_seeds_across_candidates_and_differ_between_seeds() -> None:
    loaded = load_robust(SMOKE)
    spec = loaded.spec
    a = make_ensemble(spec.uncertainties, spec.scenarios, "search")
    b = make_ensemble(spec.uncertainties, spec.scenarios, "search")
    fresh = make_ensemble(spec.uncertainties, spec.reevaluation, "reevaluation")
    assert np.array_equal(a.seeds, b.seeds) and a.values.keys() == b.values.keys()
    assert all(np.array_equal(a.values[k], b.values[k]) for k in a.values)
    assert not set(a.seeds) & set(fresh.seeds)
    lo, hi = spec.uncertainties[0].range or (0, 0)
    v = fresh.values[spec.uncertainties[0].name]
    assert v.min() >= lo and v.max() <= hi
    # Latin hypercube: one point in each of n strata
    strata = np.floor((v - lo) / (hi - lo) * len(v)).astype(int)
    assert sorted(strata.tolist()) == list(range(len(v)))


def test_baseline_policy_is_the_base_scenario(tmp_path: Path) -> None:
    loaded = load_robust(SMOKE, quick=True)
    assert loaded.baseline == {"kz_hedging_weight": 0.8, "kz_enforcement_step": 0.8}
    ens = make_ensemble(loaded.spec.uncertainties, loaded.spec.quick_spec().scenarios, "search")
    base_only = evaluate(loaded, [None], ens)
    explicit = evaluate(loaded, [dict(loaded.baseline)], ens)
    assert np.array_equal(
        base_only.values, explicit.values
    )  # overriding with the base values changes nothing
    other = evaluate(loaded, [{"kz_hedging_weight": 2.0, "kz_enforcement_step": 0.5}], ens)
    assert not np.array_equal(other.values, base_only.values)


def test_kazakhstan_2030_is_sized_as_required() -> None:
    loaded = load_robust(KAZ)
    spec = loaded.spec
    assert len(spec.levers) >= 4 and len(spec.uncertainties) >= 4 and len(spec.objectives) >= 3
    assert spec.reevaluation.n * spec.reevaluation.replications >= 200
    assert {lv.type for lv in spec.levers} == {"real", "int", "categorical"}
    assert loaded.baseline["eu_trade_agreement"] == "offered"
    assert loaded.baseline["btc_contract_months"] == 36


# ----------------------------------------------------------------------------- bad files
def _bad(tmp_path: Path, edit: dict, base: Path = SMOKE) -> ScenarioError:
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    data["base"] = str((base.parent / data["base"]).resolve())
    for key, value in edit.items():
        data[key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_robust(path)
    assert str(path) in str(err.value) or "bad.yaml" in str(err.value)
    return err.value


def _lever(**over: object) -> list[dict]:
    return [
        {
            "name": "h",
            "path": "actors[Kazakhstan].hedging_weight",
            "type": "real",
            "range": [0.0, 2.0],
            **over,
        }
    ]


@pytest.mark.parametrize(
    ("edit", "field", "expected"),
    [
        ({"levers": _lever(colour="red")}, "levers[0]", "unknown key 'colour'"),
        ({"levers": _lever(range=[2.0, 1.0])}, "levers[0]", "lower < upper"),
        ({"levers": _lever(type="int", range=[0.5, 2])}, "levers[0]", "must be integers"),
        ({"levers": _lever(path="actors[Kazakhstan].hedge")}, "levers[0].path", "does not resolve"),
        ({"levers": _lever(range=[-1.0, 2.0])}, "levers[0].range", "rejected by the base scenario"),
        ({"levers": _lever(type="categorical", range=None, values=[1])}, "levers[0].values", "at least 2"),
        (
            {
                "objectives": [
                    {"name": "kz_nonsense", "direction": "max"},
                    {"name": "kz_oil_lost_mt", "direction": "min"},
                ]
            },
            "objectives[0].name",
            "unknown outcome",
        ),
        (
            {
                "objectives": [
                    {"name": "kz_oil_lost_mt", "direction": "up"},
                    {"name": "kz_welfare_usd_bn", "direction": "max"},
                ]
            },
            "objectives[0].direction",
            "expected 'max' or 'min'",
        ),
        ({"reevaluation": {"n": 5, "seed": 101}}, "reevaluation.seed", "other than scenarios.seed"),
        ({"scenarios": {"n": 0, "seed": 1}}, "scenarios.n", "greater than or equal to 1"),
        (
            {"uncertainties": [{"name": "cpc", "path": "hazards[CPC outage].rate_per_year"}]},
            "uncertainties[0]",
            "exactly one of",
        ),
        ({"end": "2031-01"}, "end", "2031-01"),
    ],
)
def test_bad_files_name_file_field_and_expectation(
    tmp_path: Path, edit: dict, field: str, expected: str
) -> None:
    err = _bad(tmp_path, edit)
    text = str(err)
    assert field in text, text
    assert expected in text, text


def test_bad_file_on_the_command_line_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("name: r\nbase: ../nowhere.yaml\nlevers: []\n", encoding="utf-8")
    assert main(["robust", str(path), "--workers", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert "levers" in err and "r.yaml" in err
    assert not (tmp_path / "o").exists()


def test_a_model_outside_the_allowed_list_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(zdt_file(tmp_path).read_text(encoding="utf-8"))
    data["model"] = "os:system"
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match="model: 'os:system' is not a model this tool runs"):
        load_robust(path)


# ----------------------------------------------------------------------------- end to end
@pytest.mark.slow
def test_smoke_cli_end_to_end_same_for_any_worker_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = {}
    for w in (2, 1):
        out = tmp_path / f"w{w}"
        assert main(["robust", str(SMOKE), "--workers", str(w), "--out", str(out), "--quiet"]) == 0
        outs[w] = out
    printed = capsys.readouterr().out
    assert "robust policy #" in printed and "vs baseline" in printed
    out = outs[2]
    for name in (
        "evaluations.parquet",
        "pareto.parquet",
        "reevaluation.parquet",
        "manifest.json",
        "report.md",
        "pareto_parallel.png",
        "tradeoff.png",
        "robustness.png",
        "convergence.png",
    ):
        assert (out / name).is_file(), name
    assert not list(tmp_path.glob(".w*"))  # no temporary directory left behind
    for name in ("evaluations.parquet", "reevaluation.parquet", "pareto.parquet"):
        a = pd.read_parquet(outs[1] / name).drop(columns=["cpu_s"], errors="ignore")
        b = pd.read_parquet(outs[2] / name).drop(columns=["cpu_s"], errors="ignore")
        pd.testing.assert_frame_equal(a, b)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    re = pd.read_parquet(out / "reevaluation.parquet")
    assert manifest["reevaluation_scenarios"] == 6 and re["member"].nunique() == 6
    assert (re["candidate"] == -1).sum() == 6  # the baseline policy is re-evaluated
    assert set(re["seed"]).isdisjoint(set(pd.read_parquet(out / "evaluations.parquet")["seed"]))
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"Candidate **#{manifest['robust_candidate']}**" in report
    assert "baseline policy" in report and "## Where it fails" in report
    assert manifest["discovery"] in report


def test_epsilon_progress_is_the_archive_fed_in_evaluation_order(tmp_path: Path) -> None:
    from sim.robust.epsilon import EpsilonArchive

    _, _, res = _search(zdt_file(tmp_path, population=12, generations=6))
    prog = res.convergence["epsilon_progress"].to_numpy()
    a = EpsilonArchive(res.epsilons)
    expected = []
    for g in range(6):
        for row in res.fitness[res.generation == g]:
            a.add(row)
        expected.append(a.improvements)
    assert prog.tolist() == expected
    assert (np.diff(prog) >= 0).all() and prog[-1] > prog[0]
    # default eps: the first generation's spread / 100
    first = res.fitness[res.generation == 0]
    assert res.epsilons == pytest.approx((first.max(axis=0) - first.min(axis=0)) / 100)
    # a given epsilon is used as it is
    data = yaml.safe_load(zdt_file(tmp_path, population=12, generations=2).read_text(encoding="utf-8"))
    data["objectives"][0]["epsilon"] = 0.05
    path = tmp_path / "eps.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    _, _, res2 = _search(path)
    assert res2.epsilons[0] == 0.05


def test_committed_robust_schema_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    from sim.robust.spec import robust_json_schema

    on_disk = json.loads((ROOT / "docs" / "robust.schema.json").read_text(encoding="utf-8"))
    assert on_disk == robust_json_schema(), "refresh: mvsim schema --robust > docs/robust.schema.json"
    assert main(["schema", "--robust"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == on_disk
    assert {"levers", "uncertainties", "objectives"} <= set(printed["properties"])
    assert set(printed["$defs"]["UncertaintySpec"]["properties"]["type"]["enum"]) == {
        "parameter",
        "posterior",
    }


# ----------------------------------------------------------------------------- posterior draws
def _posterior_file(tmp_path: Path, **extra: object) -> Path:
    data = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))
    data["base"] = str((SMOKE.parent / data["base"]).resolve())
    data["uncertainties"].append({"name": "posterior_draw", "type": "posterior", **extra})
    path = tmp_path / "posterior.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_posterior_uncertainty_draws_common_to_candidates(tmp_path: Path) -> None:
    from sim.robust.discovery import inputs
    from sim.runs.job import run_job

    loaded = load_robust(_posterior_file(tmp_path))
    plain = load_robust(SMOKE)
    draws = loaded.posterior
    assert draws is not None and loaded.fingerprint != plain.fingerprint
    spec = loaded.spec
    ens = make_ensemble(spec.uncertainties, spec.scenarios, "search", draws)
    again = make_ensemble(spec.uncertainties, spec.scenarios, "search", draws)
    fresh = make_ensemble(spec.uncertainties, spec.reevaluation, "reevaluation", draws)
    k = ens.values["posterior_draw"]
    assert k.dtype.kind == "i" and set(k.tolist()) <= set(draws.ids.tolist())
    assert np.array_equal(k, again.values["posterior_draw"])  # the same draws for every candidate and call
    fk = fresh.values["posterior_draw"]
    assert len(set(fk.tolist())) == len(fk)  # 6 distinct draws of 4000
    # the other uncertainties are sampled as without the posterior
    base_ens = make_ensemble(plain.spec.uncertainties, plain.spec.scenarios, "search")
    for name in base_ens.values:
        assert np.array_equal(base_ens.values[name], ens.values[name])
    cands = [{"kz_hedging_weight": 1.5, "kz_enforcement_step": 1.0}, None]
    ev = evaluate(loaded, cands, ens)
    assert not np.isnan(ev.values).any()
    # member 0 of the first candidate is the run with that draw's parameters, levers on top
    from sim.robust.evaluate import RunContext

    ctx = RunContext(loaded, {"search": ens})
    assert loaded.base is not None
    direct = run_job(
        loaded.base, int(ens.seeds[0]), draw=draws.draw(int(k[0])), overrides=ctx.overrides(cands[0], ens, 0)
    )
    from sim.sweep.outcomes import Reducer

    names = [o.name for o in spec.objectives]
    scalars, _ = Reducer(loaded.base.world, spec.focus, names, []).reduce(direct.output, direct.world)
    assert ev.values[0, 0].tolist() == [scalars[n] for n in names]
    without = evaluate(plain, cands, base_ens)
    assert not np.array_equal(without.values, ev.values)  # the draws change the outcomes
    # discovery reads the draws' parameters, not the draw index
    df, kinds = inputs(spec, ens, draws)
    assert "posterior_draw" not in df and set(draws.names) <= set(df) and kinds["trade_elasticity"] == "float"
    assert df["trade_elasticity"].tolist() == [draws.values_of(int(d))["trade_elasticity"] for d in k]


@pytest.mark.parametrize(
    ("extra", "field", "expected"),
    [
        ({"path": "hazards[CPC outage].rate_per_year"}, "uncertainties[2]", "takes no path"),
        ({"file": "nowhere.parquet"}, "uncertainties[2].file", "no posterior file"),
    ],
)
def test_bad_posterior_uncertainty(tmp_path: Path, extra: dict, field: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_robust(_posterior_file(tmp_path, **extra))
    assert field in str(err.value) and expected in str(err.value), str(err.value)
    data = yaml.safe_load(zdt_file(tmp_path).read_text(encoding="utf-8"))
    data["uncertainties"].append({"name": "posterior_draw", "type": "posterior"})
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError, match="a `model` takes none"):
        load_robust(path)

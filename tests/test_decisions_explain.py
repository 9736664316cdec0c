"""`mvsim explain`: one decision round, candidates sorted by utility, terms in USD bn, a reason."""

from __future__ import annotations

import pytest

from sim.api import run_scenario
from sim.commands.explain import explain
from sim.errors import InputError


@pytest.fixture
def run_dir(tmp_path, scenario_writer, small_scenario_data):
    data = small_scenario_data
    data["end"] = "2022-09"
    return run_scenario(scenario_writer(data), seed=3, out_dir=tmp_path / "runs", plots=False).run_dir


def test_explain_lists_candidates_sorted_with_the_chosen_one_and_a_reason(run_dir):
    text = explain(run_dir, "Kazakhstan", "2022-05")  # rounds every 3 months: the 2022-04 round
    lines = text.splitlines()
    assert lines[0].startswith("Kazakhstan, 2022-04:")
    rows = [ln for ln in lines[2:] if ln[:1] in ("*", " ") and not ln.startswith("(")]
    utilities = [float(r.split()[-9]) for r in rows]
    assert utilities == sorted(utilities, reverse=True)
    assert sum(r.startswith("*") for r in rows) == 1
    assert lines[-1].startswith("chose ")


def test_explain_names_the_deciders_when_the_actor_is_unknown(run_dir):
    with pytest.raises(InputError, match=r"deciders: .*Kazakhstan"):
        explain(run_dir, "Atlantis", "2022-04")


def test_explain_suggests_the_close_name_of_a_mistyped_actor(run_dir, capsys):
    with pytest.raises(InputError, match=r"no decisions by 'Kazakstan' \(did you mean 'Kazakhstan'\?\)"):
        explain(run_dir, "Kazakstan", "2022-04")
    from sim.cli import main

    code = main(["explain", str(run_dir), "--actor", "Kazakstan", "--month", "2022-04"])
    err = capsys.readouterr().err
    assert code == 2 and "did you mean 'Kazakhstan'?" in err and "Traceback" not in err, err


def test_explain_names_the_trigger_rules_that_fired_since_the_round(
    tmp_path, scenario_writer, small_scenario_data
):
    """A rule is a plan, not a decision: explain lists it under the round with what triggered it."""
    data = small_scenario_data
    data["end"] = "2022-09"
    data["hazards"] = []
    data["events"] = [
        {
            "date": "2022-04",
            "action": {
                "type": "route_disruption",
                "route": "CPC",
                "capacity_factor": 0.2,
                "duration_months": 3,
            },
        }
    ]
    data["contingencies"] = [
        {
            "name": "charter tankers",
            "when": {"route": "CPC", "for_months": 2},
            "action": {
                "type": "route_investment",
                "actor": "Kazakhstan",
                "route": "KCP",
                "capacity_added": 5.0,
                "lag_months": 0,
                "cost_usd_bn": 0.1,
            },
            "reason": "assumption: test",
        }
    ]
    run_dir = run_scenario(scenario_writer(data), seed=3, out_dir=tmp_path / "runs", plots=False).run_dir
    text = explain(run_dir, "Kazakhstan", "2022-05")
    assert "2022-05: rule 'charter tankers' fired (a plan, not a decision)" in text
    assert "CPC below 0.5 of its capacity for 2 months" in text
    assert "rule" not in explain(run_dir, "Kazakhstan", "2022-04")  # it had not fired yet

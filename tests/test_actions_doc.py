"""docs/actions.md is generated from the schema, and its examples alone make a runnable counterfactual;
`mvsim new` writes a template that validates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sim.api import load, run
from sim.cli import main
from sim.scenario.actions_doc import action_types, actions_markdown, examples_from_markdown, type_name
from sim.scenario.loader import scenario_json_schema

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "actions.md"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def test_docs_actions_md_is_generated_from_the_schema():
    assert DOC.read_text(encoding="utf-8") == actions_markdown(), (
        "docs/actions.md is stale: python -m sim.scenario.actions_doc > docs/actions.md"
    )


def test_docs_scenario_schema_json_is_current():
    on_disk = json.loads((ROOT / "docs" / "scenario.schema.json").read_text(encoding="utf-8"))
    assert on_disk == scenario_json_schema(), "refresh: mvsim schema > docs/scenario.schema.json"


def test_every_action_type_has_a_section_with_a_field_table_and_an_example():
    text = DOC.read_text(encoding="utf-8")
    examples = examples_from_markdown(text)
    assert sorted(e["action"]["type"] for e in examples) == sorted(type_name(c) for c in action_types())
    for cls in action_types():
        section = text.split(f"### {type_name(cls)}\n", 1)[1].split("\n### ", 1)[0]
        for field in cls.model_fields:
            if field not in ("type", "note", "source"):
                assert f"| `{field}` |" in section, (type_name(cls), field)


def test_a_counterfactual_written_from_the_doc_examples_alone_runs(tmp_path):
    events = examples_from_markdown(DOC.read_text(encoding="utf-8"))
    # lift_sanction lifts the sanction example's label: keep the sanction first, the lift a month later.
    for k, ev in enumerate(events):
        ev["date"] = "2024-08" if ev["action"]["type"] == "lift_sanction" else ev["date"]
        assert isinstance(ev["date"], str), k
    text = yaml.safe_dump({"extends": str(BASELINE), "name": "from_docs", "events": events}, sort_keys=False)
    path = tmp_path / "from_docs.yaml"
    path.write_text(text, encoding="utf-8")
    r = run(path, seed=3, end="2024-12", record_flows=False)
    ev = r.tables["events"]
    fired = set(ev.loc[ev["kind"] == "event", "type"])
    assert {type_name(c) for c in action_types()} <= fired
    assert r.tables["actor_month"]["month"].iloc[-1] == "2024-12"


def test_mvsim_new_writes_a_commented_template_that_validates(tmp_path, capsys):
    scen = tmp_path / "scenarios"
    scen.mkdir()
    (scen / "baseline.yaml").write_text(f"extends: {BASELINE}\n", encoding="utf-8")
    assert main(["new", "my_halt", "--extends", "baseline.yaml", "--dir", str(scen)]) == 0
    out = scen / "my_halt.yaml"
    text = out.read_text(encoding="utf-8")
    header = text.split("\nextends:")[0].splitlines()
    modeline = [line for line in header if line.startswith("# yaml-language-server: $schema=")]
    assert len(modeline) == 1 and not header[0].startswith("# yaml-language-server")  # after the question
    schema_ref = modeline[0].split("$schema=", 1)[1]
    assert (scen / schema_ref).resolve().is_file(), schema_ref
    assert text.count("\n#") > 5  # commented guidance
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    assert "ok:" in capsys.readouterr().out
    loaded, _ = load(out)
    assert loaded.spec.name == "my_halt"
    # refuses to overwrite
    assert main(["new", "my_halt", "--extends", "baseline.yaml", "--dir", str(scen)]) == 2
    with pytest.raises(SystemExit):
        main(["new"])

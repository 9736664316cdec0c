"""`mvsim validate` names the file, line and column where each bad value was written.

Every problem reads ``FILE:LINE:COLUMN: FIELD: MESSAGE``, in the terms of the file that holds the
value (its own list indices and lines, also for a base file reached through `extends:`); a bad
value points at the value itself, an unknown key at the key, a missing key at the mapping that
lacks it. All problems come in one pass, exit code 2,
no traceback.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from scenario_factory import small_scenario_dict, write_small_scenario, write_yaml

from sim.cli import main
from sim.errors import EXIT_BAD_INPUT, ScenarioError
from sim.scenario.loader import load_scenario, load_scenario_text

# a valid event of the small scenario's world, in a child file's own terms
SIGNAL = "action: {type: signal, actor: Kazakhstan, toward: West}"


def child_file(tmp_path: Path, text: str, name: str = "child.yaml") -> Path:
    """The small scenario as base.yaml and `text` (dedented) as a child file extending it."""
    write_small_scenario(tmp_path, filename="base.yaml")
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The problem lines of `mvsim validate PATH` (which must fail cleanly)."""
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT, err
    assert "Traceback" not in err and err.startswith("error: "), err
    return err.removeprefix("error: ").splitlines()


def problem_at(lines: list[str], file: Path, line: int, column: int, field: str, *fragments: str) -> str:
    """The one problem line for `field` in `file`, placed at `line`:`column`."""
    prefix = f"{file}:{line}:{column}: {field}: "
    found = [x for x in lines if x.startswith(prefix)]
    assert found, f"no line starts with {prefix!r} in:\n" + "\n".join(lines)
    for fragment in fragments:
        assert fragment in found[0], (fragment, found[0])
    return found[0]


def line_of(path: Path, needle: str) -> int:
    """Line number (1-based) of the only line of `path` containing `needle`."""
    hits = [i for i, text in enumerate(path.read_text().splitlines(), 1) if needle in text]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def test_bad_date_in_an_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = child_file(
        tmp_path,
        f"""
        extends: base.yaml
        name: child
        events:
          - date: 2022-05
            {SIGNAL}
          - date: 2022-13
            {SIGNAL}
        """,
    )
    lines = validate(path, capsys)
    problem_at(lines, path, 6, 11, "events[1].date", "'2022-13'")
    assert len(lines) == 1, lines


def test_unknown_actor_in_an_extending_files_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = child_file(
        tmp_path,
        """
        extends: base.yaml
        name: child
        # the base has two events: this file's first is events[2] after merging
        events:
          - date: 2022-05
            action:
              type: signal
              actor: Nowhere
              toward: West
        """,
    )
    lines = validate(path, capsys)
    problem_at(lines, path, 8, 14, "events[0].action.actor", "unknown actor 'Nowhere'")
    assert not any("events[2]" in x for x in lines), lines


def test_wrong_type_in_a_nested_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = child_file(
        tmp_path,
        """
        extends: base.yaml
        name: child
        actors:
          - name: Kazakhstan
            alignment:
              Russia: lots
        routes:
          - {name: CPC, capacity_per_year: plenty}
        """,
    )
    lines = validate(path, capsys)
    # merged into the base's items: reported at this file's own items and lines
    problem_at(lines, path, 6, 15, "actors[0].alignment.Russia", "expected a number", "'lots'")
    problem_at(lines, path, 8, 36, "routes[0].capacity_per_year", "expected a number", "'plenty'")


def test_missing_required_key_points_at_its_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = child_file(
        tmp_path,
        """
        extends: base.yaml
        name: child
        events:
          - date: 2022-05
            action:
              type: signal
              toward: West
          - action: {type: signal, actor: Kazakhstan, toward: West}
        """,
    )
    lines = validate(path, capsys)
    problem_at(lines, path, 5, 5, "events[0].action.actor", "missing required key")  # at `action:`
    problem_at(lines, path, 8, 5, "events[1].date", "missing required key")  # at the item


def test_two_problems_in_one_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = child_file(
        tmp_path,
        """
        extends: base.yaml
        name: child
        events:
          - date: 2022-13
            action: {type: signal, actor: Kazakhstan, toward: West}
          - date: 2022-09
            action: {type: route_disruption, route: Nowhere pipeline, capacity_factor: 0.5}
        """,
    )
    lines = validate(path, capsys)
    problem_at(lines, path, 4, 11, "events[0].date", "'2022-13'")
    problem_at(lines, path, 7, 45, "events[1].action.route", "unknown route 'Nowhere pipeline'")
    assert len(lines) == 2, lines


def test_problem_in_the_base_file_names_the_base_and_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_scenario_dict()
    data["routes"][1]["destination"] = "Atlantis"
    base = write_small_scenario(tmp_path, data=data, filename="base.yaml")
    child = write_yaml(tmp_path / "child.yaml", {"extends": "base.yaml", "name": "child"})
    lines = validate(child, capsys)
    line = line_of(base, "destination: Atlantis")
    problem_at(lines, base, line, 16, "routes[1].destination", "unknown actor 'Atlantis'")


def test_inline_path_rows_and_extends_are_placed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = child_file(
        tmp_path,
        """
        extends: base.yaml
        name: child
        paths:
          series:
            - {series: price, name: oil, year: 2022, value: 480, unit: USD/t, source: test}
            - {series: price, name: oyl, year: 2023, value: 490, unit: USD/t, source: test}
        """,
    )
    lines = validate(path, capsys)
    problem_at(lines, path, 6, 29, "paths.series[1].name", "unknown good 'oyl'")

    missing = child_file(tmp_path, "name: lost\nextends: nowhere.yaml\n", name="lost.yaml")
    problem_at(validate(missing, capsys), missing, 2, 10, "extends", "file not found")


def test_unknown_key_and_malformed_yaml_are_placed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = child_file(tmp_path, "extends: base.yaml\nname: child\nhorizon: 2030-01\n")
    problem_at(validate(path, capsys), path, 3, 1, "horizon", "unknown key 'horizon'")

    broken = child_file(tmp_path, "extends: base.yaml\nname: [child\n", name="broken.yaml")
    (line,) = validate(broken, capsys)
    assert re.match(rf"{re.escape(str(broken))}:3:1: malformed YAML", line), line


def test_missing_top_level_key_points_at_the_document(tmp_path: Path) -> None:
    path = tmp_path / "bare.yaml"
    path.write_text("# a scenario\n\nname: bare\nstart: 2022-01\nend: 2022-13\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    by_field = {p.field: p for p in info.value.problems}
    assert (by_field["end"].line, by_field["end"].column) == (5, 6)  # at the bad value
    # missing at the top level: the document's mapping, which starts at its first key
    assert str(by_field["actors"]).startswith(f"{path}:3:1: actors: missing required key")
    assert all(p.line is not None for p in info.value.problems)


def test_text_scenarios_are_placed_in_the_text(tmp_path: Path) -> None:
    write_small_scenario(tmp_path, filename="base.yaml")
    text = "extends: base.yaml\nname: from_text\nseed: seven\n"
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, tmp_path, name="edit.yaml")
    assert str(info.value).startswith("edit.yaml:3:7: seed: expected an integer")


def test_three_independent_errors_of_a_baseline_child_in_one_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown key no longer hides its action's unknown actor and route; a bad date in
    another event and an unknown actor in a third come in the same run of `mvsim validate`."""
    baseline = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
    path = tmp_path / "mutated.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            extends: {baseline}
            name: mutated baseline
            events:
              - date: "2024-07"
                action:
                  type: route_disruption
                  actor: Russa
                  route: CPX
                  capacity_factr: 0.0
                  duration_months: 6
              - date: "2024-13"
                action: {{type: route_disruption, actor: Russia, route: CPC, capacity_factor: 0.5}}
              - date: "2025-01"
                action: {{type: signal, actor: Kazakstan, toward: West}}
            """
        ),
        encoding="utf-8",
    )
    lines = validate(path, capsys)
    problem_at(lines, path, 9, 7, "events[0].action.capacity_factr", "unknown key 'capacity_factr'")
    problem_at(
        lines, path, 7, 14, "events[0].action.actor", "unknown actor 'Russa'", "did you mean 'Russia'?"
    )
    problem_at(lines, path, 8, 14, "events[0].action.route", "unknown route 'CPX'", "did you mean 'CPC'?")
    problem_at(lines, path, 11, 11, "events[1].date", "'2024-13'")
    problem_at(
        lines,
        path,
        14,
        35,
        "events[2].action.actor",
        "unknown actor 'Kazakstan'",
        "did you mean 'Kazakhstan'?",
    )
    assert len(lines) == 5, lines


def test_a_bad_optional_value_does_not_hide_its_actions_references(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = child_file(
        tmp_path,
        """
        extends: base.yaml
        name: child
        events:
          - date: 2022-05
            action: {type: signal, actor: Nowhere, toward: West, note: [not, text]}
        """,
    )
    lines = validate(path, capsys)
    problem_at(lines, path, 5, 64, "events[0].action.note", "expected a string")
    problem_at(lines, path, 5, 35, "events[0].action.actor", "unknown actor 'Nowhere'")
    assert len(lines) == 2, lines

"""The workbench's Solara components without a browser (solara.render and rc.find, Solara's
own test utilities): the scenario editor, validation, save, run, progress, cancel and panels."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

solara = pytest.importorskip("solara", reason="the workbench needs the ui extra: pip install -e '.[ui]'")
v = pytest.importorskip("ipyvuetify")
from solara.widgets import HTML  # noqa: E402

from sim.ui import jobs  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
END = "2024-12"


@pytest.fixture
def page(tmp_path, monkeypatch):
    """The page rendered with a one-thread worker pool and directories under tmp_path."""
    monkeypatch.setenv("MVSIM_UI_SCENARIOS", str(ROOT / "scenarios"))
    monkeypatch.setenv("MVSIM_UI_SAVE", str(tmp_path / "saved"))
    monkeypatch.setenv("MVSIM_UI_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("MVSIM_UI_WORKERS", "1")
    jobs.shutdown_default_pool()
    from sim.ui.app import Page

    _, rc = solara.render(Page(), handle_error=False)
    yield rc
    rc.close()
    jobs.shutdown_default_pool()


def _alert_text(rc, ref: str) -> str:
    return " ".join(str(c) for w in rc.find(meta_ref=ref).find(v.Alert).widgets for c in w.children)


def _select(rc, label: str):
    return rc.find(v.Select, label=label).widget


def _wait_status(rc, prefix: str, timeout: float = 120.0) -> str:
    """Poll (gently: a find walks the whole tree) until the progress text starts with prefix."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        found = rc.find(v.Html, class_="mvsim-status")
        text = str(found.widget.children[0]) if found.widgets else ""
        if text.startswith(prefix):
            return text
        time.sleep(0.5)
    raise AssertionError(f"status never started with {prefix!r}; last: {text!r}")


def _slider(rc, key: str):
    return rc.find(meta_ref=f"lever:{key}").find(v.Slider).widget


def test_default_scenario_is_valid_and_runs_against_its_comparison(page):
    assert _alert_text(page, "mvsim-validation") == "Valid scenario (unedited)"
    page.find(v.Btn, children=["Run 10 seeds against history_2023_24.yaml"]).assert_single()
    assert _select(page, "Scenario").v_model == "01b_cpc_halt_6m.yaml"


def test_slider_edit_is_validated_and_saved_as_a_valid_file(page, tmp_path):
    _slider(page, "routes[CPC].capacity_per_year").v_model = 30.0
    page.find(meta_ref="mvsim-validation").find(v.Alert, children=["Valid scenario (1 edits)"]).wait_for(
        timeout=10
    )
    page.find(meta_ref="mvsim-save").find(v.Btn, children=["Save edited scenario"]).widget.click()
    saved = tmp_path / "saved" / "cpc_halt_6m_edited.yaml"
    page.find(meta_ref="mvsim-save").find(v.Alert).wait_for(timeout=20)
    assert "accepts it" in _alert_text(page, "mvsim-save"), _alert_text(page, "mvsim-save")
    from sim.scenario.loader import load_scenario

    spec = load_scenario(saved).spec
    assert next(r for r in spec.routes if r.name == "CPC").capacity_per_year == 30.0


def test_out_of_range_value_shows_the_loader_error_and_blocks_the_run(page):
    _select(page, "Lever").v_model = "routes[CPC].capacity_per_year"
    field = page.find(meta_ref="mvsim-exact").find(v.TextField).widget
    field.v_model = "-5"
    field.fire_event("focusout")  # the input commits on focus-out or Enter
    deadline = time.monotonic() + 10
    while "not valid" not in _alert_text(page, "mvsim-validation") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "not valid" in _alert_text(page, "mvsim-validation")
    pre = page.find(meta_ref="mvsim-validation").find(v.Html, tag="pre").widget
    assert "routes[CPC].capacity_per_year" in pre.children[0]  # the lever's name, not routes[0]
    assert "greater than or equal to 0" in pre.children[0]
    assert page.find(v.Btn, children=["Run 10 seeds against history_2023_24.yaml"]).widget.disabled


def test_event_switch_counts_as_an_edit(page):
    boxes = page.find(meta_ref="mvsim-events").find(v.Checkbox)
    n = len(boxes.widgets)
    assert n > 10
    boxes.widgets[0].v_model = False
    page.find(meta_ref="mvsim-validation").find(v.Alert, children=["Valid scenario (1 edits)"]).wait_for(
        timeout=10
    )
    page.find(children=[f"Scripted events ({n - 1} of {n} on; 0 added)"]).assert_single()


def test_run_fills_the_panels_and_the_decision_inspector(page):
    _select(page, "Paired seeds").v_model = 2
    _select(page, "Last month compared").v_model = END
    page.find(v.Btn, children=["Run 2 seeds against history_2023_24.yaml"]).widget.click()
    status = _wait_status(page, "done")
    assert status.startswith("done: 2/2 seeds")
    for ref in (
        "mvsim-deltas",
        "mvsim-map",
        "mvsim-shares",
        "mvsim-routes",
        "mvsim-alignment",
        "mvsim-stepper",
    ):
        page.find(meta_ref=ref).wait_for(timeout=30)  # the panels render after the final merge
        page.find(meta_ref=ref).assert_single()
    page.find(meta_ref="mvsim-decisions").find(HTML).wait_for(timeout=30)
    heads = " ".join(str(c) for w in page.find(v.Html, tag="pre").widgets for c in w.children)
    assert "route volume, CPC: -" in heads  # the window's headline: the halted CPC's volume
    html = " ".join(w.unsafe_innerHTML for w in page.find(meta_ref="mvsim-deltas").find(HTML).widgets)
    assert "<td " in html and "CPC" in html and "Mt/yr" in html  # route volumes, units shown
    assert _select(page, "Outcome group").v_model == "Route volume (all shippers)"
    _select(page, "Outcome group").v_model = "Kazakhstan: indicator"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        html = " ".join(w.unsafe_innerHTML for w in page.find(meta_ref="mvsim-deltas").find(HTML).widgets)
        if "lost exports (no capacity)" in html:
            break
        time.sleep(0.2)
    assert "lost exports (no capacity)" in html and "exports_usd_bn" not in html  # readable labels

    inspector = page.find(meta_ref="mvsim-decisions")
    tables = [w for w in inspector.find(HTML).widgets if "<table" in w.unsafe_innerHTML]
    assert (
        len(tables) == 1
        and "probability" in tables[0].unsafe_innerHTML
        and "yes" in tables[0].unsafe_innerHTML
    )
    before = tables[0].unsafe_innerHTML
    months = _select(page, "Month")
    choices = [i["value"] if isinstance(i, dict) else i for i in months.items]
    months.v_model = choices[-1]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = [w for w in inspector.find(HTML).widgets if "<table" in w.unsafe_innerHTML]
        if now and now[0].unsafe_innerHTML != before:
            break
        time.sleep(0.2)
    assert now[0].unsafe_innerHTML != before  # another month, other candidates or terms
    labels = [" ".join(c for c in w.children if isinstance(c, str)) for w in page.find(v.Btn).widgets]
    assert "Comparison (zip)" in labels and "Run directory (zip)" in labels


def test_cancel_stops_the_run(page):
    _select(page, "Paired seeds").v_model = 30
    _select(page, "Last month compared").v_model = END
    page.find(v.Btn, children=["Run 30 seeds against history_2023_24.yaml"]).widget.click()
    _wait_status(page, "running")
    page.find(v.Btn, children=["Cancel"]).wait_for(timeout=10)
    page.find(v.Btn, children=["Cancel"]).widget.click()
    status = _wait_status(page, "cancelled", timeout=60)
    done = int(status.split(": ")[1].split("/")[0])
    assert done < 30


def _field(rc, label: str):
    return rc.find(meta_ref="mvsim-event-form").find(v.TextField, label=label).widget


def test_event_form_adds_a_valid_event_and_refuses_an_invalid_one(page, tmp_path):
    form = page.find(meta_ref="mvsim-event-form")
    _field(page, "date (YYYY-MM) *").v_model = "2025-03"
    form.find(v.Select, label="route *").widget.v_model = "Kazakhstan-China oil"
    _field(page, "duration_months").v_model = "0"
    form.find(v.Btn, children=["Add event"]).widget.click()
    msg = page.find(meta_ref="mvsim-event-message")
    msg.find(v.Html, tag="pre").wait_for(timeout=10)
    text = msg.find(v.Html, tag="pre").widget.children[0]
    assert "action.duration_months: expected greater than or equal to 1, got 0" in text, text
    assert _alert_text(page, "mvsim-validation") == "Valid scenario (unedited)"  # not committed
    _field(page, "duration_months").v_model = "3"
    form.find(v.Btn, children=["Add event"]).widget.click()
    page.find(meta_ref="mvsim-validation").find(v.Alert, children=["Valid scenario (1 edits)"]).wait_for(
        timeout=10
    )
    n = len(page.find(meta_ref="mvsim-events").find(v.Checkbox).widgets)
    page.find(children=[f"Scripted events ({n} of {n} on; 1 added)"]).assert_single()
    page.find(meta_ref="mvsim-save").find(v.Btn, children=["Save edited scenario"]).widget.click()
    page.find(meta_ref="mvsim-save").find(v.Alert).wait_for(timeout=20)
    saved = tmp_path / "saved" / "cpc_halt_6m_edited.yaml"
    text = saved.read_text(encoding="utf-8")
    assert "# Edited in the mvsim workbench" in text and "event added: 2025-03 route_disruption" in text
    from sim.scenario.loader import load_scenario

    added = load_scenario(saved).spec.events[-1]
    assert (added.date, added.action.type, added.action.route) == (
        "2025-03",
        "route_disruption",
        "Kazakhstan-China oil",
    )
    assert (added.action.capacity_factor, added.action.duration_months) == (0.0, 3)


# ----------------------------------------------------------------------------- without a page
def test_every_route_node_of_the_shipped_scenarios_has_coordinates_and_a_source():
    import yaml

    from sim.ui import geo

    for name, lon, lat, source in geo.NODES:
        assert -180 <= lon <= 180 and -90 <= lat <= 90 and source, name
    routes = 0
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        for r in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("routes", []) or []:
            routes += 1
            missing = [n for n in r.get("nodes", []) if n not in geo.COORDS]
            assert not missing, f"{path.name}: route {r['name']}: no coordinates for {missing}"
    assert routes >= 12


def test_route_map_labels_volumes_and_deltas_and_lists_routes_it_cannot_draw():
    from sim.ui import geo

    nodes = {"CPC": ["Tengiz", "Atyrau", "Novorossiysk"], "Nowhere": ["Atlantis", "Tengiz"]}
    assert geo.drawable(nodes) == (["CPC"], ["Nowhere"])
    fig = geo.route_map_figure(nodes, {"CPC": 52.7}, {"CPC": "Mt/yr"}, {"CPC": -12.3})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "1: 52.7 (-12.3)" in texts and any("1 CPC (Mt/yr)" in t for t in texts)
    fig = geo.route_map_figure(nodes, {"CPC": 52.7}, {"CPC": "Mt/yr"}, {"CPC": 0.1})  # < 1 %: unchanged
    assert "1: 52.7" in [t.get_text() for t in fig.axes[0].texts]


@pytest.fixture(scope="module")
def small_cmp():
    from sim.ui import adapter

    a = adapter.load_file(ROOT / "scenarios" / "baseline.yaml")
    b = adapter.load_file(ROOT / "scenarios" / "01_cpc_suspension_june2022.yaml")
    return adapter.compare_seed(a, b, adapter.seeds(1, 1)[0], "Kazakhstan", "2022-12")


def test_outcomes_cover_routes_shipments_pairs_with_labels_and_window_means(small_cmp):
    from sim.ui import outcomes as O

    cmp = small_cmp
    groups = O.groups(cmp)
    for g in ("indicators", "route_volume", "exports_by_route", "trade_partner"):
        assert g in groups
    assert O.find(cmp, "indicators", "lost_exports_usd_bn").label == "lost exports (no capacity)"
    start, end = O.auto_window(cmp)
    assert cmp.months[0] <= start <= end <= cmp.months[-1]
    assert O.clip_window(cmp, "1999-01", "2099-12") == (cmp.months[0], cmp.months[-1])
    assert O.clip_window(cmp, "2022-09", "2022-03") == ("2022-03", "2022-09")
    table = O.window_summary(cmp, "route_volume", "2022-06", "2022-08")
    ref = cmp.summarize("2022-06", "2022-08")
    ref = ref[ref["group"] == "route_volume"]
    assert table["outcome"].tolist() == ref["item"].tolist()
    assert table["delta mean"].tolist() == ref["delta_mean"].tolist()
    _, delta, units = O.route_window(cmp, "2022-06", "2022-08")
    assert (
        delta["CPC"] == float(ref.loc[ref["item"] == "CPC", "delta_mean"].iloc[0]) and units["CPC"] == "Mt/yr"
    )


def test_event_forms_follow_the_schema_and_give_the_validate_messages(tmp_path):
    from sim.errors import ScenarioError
    from sim.ui import editor, forms, workflow

    types = forms.action_types()
    assert len(types) == 15 and "trade_agreement" in types and all(forms.form_fields(t) for t in types)
    fields = {f.name: f for f in forms.form_fields("route_disruption")}
    assert fields["route"].required and fields["route"].names == "routes"
    assert fields["duration_months"].kind == "integer" and fields["duration_months"].default == "1"
    src = workflow.open_file(ROOT / "scenarios" / "baseline.yaml")
    assert "Kazakhstan-China oil" in forms.names_of(src.mapping, "routes")
    ev = forms.build_event("2025-3", "route_disruption", {"route": "CPC", "capacity_factor": "x"})
    assert ev == {
        "date": "2025-3",
        "action": {"type": "route_disruption", "route": "CPC", "capacity_factor": "x"},
    }
    mapping = forms.apply_events(src.mapping, forms.EventEdits().add(ev))
    import dataclasses

    edited = workflow.edit(dataclasses.replace(src, mapping=mapping), editor.Edits())
    assert edited.error is not None
    # the same messages as loading the same scenario from a file (mvsim validate)
    path = tmp_path / "with_event.yaml"
    path.write_text(
        editor.to_yaml(workflow.adapter.rebase_paths(mapping, src.base_dir, tmp_path)), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        workflow.adapter.load_file(path)
    assert len(err.value.problems) == 2
    for p in err.value.problems:
        assert f"{p.field}: {p.message}" in edited.error
    n = len(src.mapping["events"])
    assert f"events[{n}].date" in edited.error and f"events[{n}].action.capacity_factor" in edited.error
    assert forms.named_paths("x: routes[0].capacity_per_year: bad", src.mapping) == (
        "x: routes[CPC].capacity_per_year: bad"
    )
    assert forms.named_paths("events[3].date", src.mapping) == "events[3].date"

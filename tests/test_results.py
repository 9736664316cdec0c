"""Results layer: tidy tables match their documented schema, run directories are written
atomically and read back exactly, plots and the summary are produced for the focus actor."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scenario_factory import SMALL_TRADE_ROWS, small_scenario_dict, write_small_scenario

from sim.core.model import run_world
from sim.core.recorder import ACTOR_METRICS, ALIGNMENT_FORCES, RunOutput
from sim.results import plots, read_run, summary_text, to_tables, write_run
from sim.results.summary import consequential_actions
from sim.results.tables import (
    NULLABLE_COLUMNS,
    TABLE_SCHEMAS,
    column_dtype,
    partner_poles_from_spec,
    partner_shares,
    resolve_focus,
    schema_markdown,
    shipment_totals_table,
    table_columns,
    trade_by_pole,
)
from sim.results.writer import MANIFEST, SUMMARY, TMP_PREFIX, git_commit, load_manifest
from sim.scenario.compile import build_world
from sim.scenario.loader import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
STARTED = datetime(2024, 5, 6, 7, 8, 9)
SEED = 5


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedScenario, RunOutput]:
    loaded = load_scenario(write_small_scenario(tmp_path_factory.mktemp("scenario")))
    return loaded, run_world(build_world(loaded.spec, loaded.baseline_flows), SEED)


@pytest.fixture(scope="module")
def tables(small_run) -> dict[str, pd.DataFrame]:
    loaded, out = small_run
    return to_tables(out, loaded.spec)


def written_files(run_dir: Path, tables: dict[str, pd.DataFrame], with_plots: bool = True) -> set[str]:
    names = {MANIFEST, SUMMARY, *(f"{t}.parquet" for t in tables)}
    return names | ({f"{p}.png" for p in plots.PLOTS} if with_plots else set())


# --------------------------------------------------------------------------- tables
def test_tables_have_the_documented_columns_dtypes_and_no_unexpected_nan(small_run, tables):
    _, out = small_run
    assert list(tables) == list(TABLE_SCHEMAS)  # every table present (flows recorded, spec given)
    for name, df in tables.items():
        assert list(df.columns) == table_columns(name, out.poles), name
        units = {}
        for col, unit, _ in TABLE_SCHEMAS[name]:
            for c in [col.replace("<pole>", p) for p in out.poles] if "<pole>" in col else [col]:
                units[c] = unit
        for col in df.columns:
            assert str(df[col].dtype) == column_dtype(units[col]), (name, col, df[col].dtype)
            assert df[col].dtype != object, (name, col)
            if col not in NULLABLE_COLUMNS.get(name, frozenset()):
                assert not df[col].isna().any(), (name, col)
    am = tables["actor_month"]
    assert len(am) == len(out.months) * len(out.actors)
    assert all(m in am.columns for m in ACTOR_METRICS)
    assert set(tables["alignment_forces"]["term"]) == set(ALIGNMENT_FORCES)
    assert len(tables["decisions"]) == len(out.decisions) and len(tables["events"]) == len(out.actions)


def test_row_order_is_deterministic_and_follows_the_scenario(small_run, tables):
    loaded, out = small_run
    again = to_tables(copy.deepcopy(out), loaded.spec)
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], again[name], check_exact=True)
    am = tables["actor_month"]
    assert am["month"].tolist() == [m for m in out.months for _ in out.actors]
    assert am["actor"].tolist() == out.actors * len(out.months)
    assert tables["events"]["month"].is_monotonic_increasing


def test_values_match_the_run_arrays(small_run, tables):
    _, out = small_run
    am = tables["actor_month"]
    k, t = out.actors.index("Kazakhstan"), len(out.months) - 1
    row = am[(am["month"] == out.months[t]) & (am["actor"] == "Kazakhstan")].iloc[0]
    assert row["exports_usd_bn"] == out.metrics["exports_usd_bn"][t, k]
    for p, pole in enumerate(out.poles):
        assert row[f"alignment_{pole}"] == out.alignment[t, k, p]
    shares = am[[f"alignment_{p}" for p in out.poles]].to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    flows = tables["flows"]
    assert (flows["value_usd_bn"] > 0).all()
    assert flows["value_usd_bn"].sum() == pytest.approx(out.flows.sum())
    routes = tables["routes"]
    np.testing.assert_allclose(
        routes["utilisation"], routes["volume_per_year"] / routes["capacity_per_year"], rtol=1e-12
    )


def test_shipped_plus_lost_equals_offered(tables):
    totals = tables["shipment_totals"]
    assert len(totals) > 0
    np.testing.assert_allclose(
        totals["shipped_per_year"] + totals["lost_per_year"], totals["offered_per_year"], rtol=1e-12
    )
    by_route = tables["shipments"].groupby(["month", "shipment"], sort=False)["shipped_per_year"].sum()
    np.testing.assert_allclose(by_route.to_numpy(), totals["shipped_per_year"].to_numpy(), rtol=1e-12)
    assert totals["lost_per_year"].max() > 0  # the CPC disruption strands oil in the small scenario


def test_broken_shipment_balance_is_refused(small_run):
    _, out = small_run
    broken = copy.deepcopy(out)
    broken.shipment_lost[3, 0] += 1.0
    with pytest.raises(ValueError, match=r"shipped .* lost .* offered"):
        shipment_totals_table(broken)


def test_zero_capacity_gives_nan_utilisation_and_unrecorded_flows_drop_the_table(small_run):
    _, out = small_run
    variant = copy.deepcopy(out)
    variant.route_capacity[0, :] = 0.0
    variant.route_volume[0, :] = 0.0
    variant.flows = None
    tables = to_tables(variant)
    assert "flows" not in tables and "actor_info" not in tables
    util = tables["routes"]["utilisation"]
    assert util.iloc[: len(out.routes)].isna().all() and not util.iloc[len(out.routes) :].isna().any()
    with pytest.raises(ValueError, match="flows"):
        partner_shares(tables, "Kazakhstan")
    assert "Kazakhstan" in summary_text(tables)


def test_partner_shares_and_trade_by_pole(small_run, tables):
    loaded, out = small_run
    shares = partner_shares(out, "Kazakhstan")
    assert list(shares.columns) == ["Russia", "China", "RestOfWorld"]
    assert shares.index.tolist() == out.months
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    by_pole = trade_by_pole(tables, "Kazakhstan", partner_poles_from_spec(loaded.spec))
    assert list(by_pole.columns) == ["Russia", "China", "West"]
    k = out.actors.index("Kazakhstan")
    total = out.metrics["exports_usd_bn"][:, k] + out.metrics["imports_usd_bn"][:, k]
    np.testing.assert_allclose(by_pole.sum(axis=1), total)


def test_docs_tables_md_is_generated_from_the_schema():
    doc = (ROOT / "docs" / "tables.md").read_text(encoding="utf-8")
    assert doc == schema_markdown(), (
        'docs/tables.md is stale; refresh with: python -c "from sim.results.tables import '
        "schema_markdown as m; print(m(), end='')\" > docs/tables.md"
    )


# --------------------------------------------------------------------------- writer
def test_write_run_creates_exactly_one_complete_directory(small_run, tables, tmp_path):
    loaded, out = small_run
    run_dir = write_run(out, loaded, SEED, tmp_path / "res", STARTED)
    assert list((tmp_path / "res").iterdir()) == [run_dir]
    assert run_dir.name == "small_seed5_20240506T070809"
    assert {p.name for p in run_dir.iterdir()} == written_files(run_dir, tables)
    for png in run_dir.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    m = load_manifest(run_dir)
    assert m["seed"] == SEED and m["scenario"]["name"] == "small"
    assert m["scenario"]["content_hash"] == loaded.content_hash
    assert m["parameters"] == loaded.spec.parameters.model_dump(mode="json")
    assert m["started"] == "2024-05-06T07:08:09" and m["finished"] >= m["started"]
    assert m["versions"]["mesa"] and m["versions"]["numpy"] and m["package_version"]
    for src in m["sources"]:
        assert src["sha256"] == hashlib.sha256(Path(src["path"]).read_bytes()).hexdigest()
    assert {t["name"]: t["rows"] for t in m["tables"]} == {k: len(v) for k, v in tables.items()}
    assert [p["file"] for p in m["plots"]] == [f"{p}.png" for p in plots.PLOTS]
    json.dumps(m)  # plain JSON


def test_same_start_time_gets_a_numbered_directory(small_run, tables, tmp_path):
    loaded, out = small_run
    first = write_run(out, loaded, SEED, tmp_path, STARTED, plots=False)
    second = write_run(out, loaded, SEED, tmp_path, STARTED, plots=False)
    assert second.name == f"{first.name}_2"
    assert {p.name for p in second.iterdir()} == written_files(second, tables, with_plots=False)
    assert not list(tmp_path.glob(f"{TMP_PREFIX}*"))


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_failure_while_writing_leaves_nothing(small_run, tmp_path, monkeypatch, error):
    loaded, out = small_run

    def broken(*args, **kwargs):
        raise error("plotting failed")

    monkeypatch.setattr(plots, "plot_alignment", broken)
    res = tmp_path / "res"
    with pytest.raises(error, match="plotting failed"):
        write_run(out, loaded, SEED, res, STARTED)
    assert list(res.iterdir()) == []  # neither a final nor a .tmp-* directory


def test_read_run_round_trips_every_table_exactly(small_run, tables, tmp_path):
    loaded, out = small_run
    back = read_run(write_run(out, loaded, SEED, tmp_path, STARTED, plots=False))
    assert list(back) == list(tables)
    for name, df in tables.items():
        pd.testing.assert_frame_equal(back[name], df, check_exact=True)


def test_git_commit_is_none_outside_a_repository(tmp_path):
    assert git_commit(tmp_path, tmp_path / "missing") is None


# --------------------------------------------------------------------------- summary and plots
def test_summary_mentions_focus_run_dir_and_the_decisive_actions(small_run, tables, tmp_path):
    loaded, _ = small_run
    text = summary_text(tables, focus="Kazakhstan", run_dir=tmp_path / "run_x")
    assert "Kazakhstan" in text and str(tmp_path / "run_x") in text
    assert len(text.splitlines()) <= 40
    assert "Russia: route_disruption [CPC]" in text  # the scripted CPC cut, 2022-07
    for pole in ("Russia", "China", "West"):
        assert pole in text
    # without static tables, the spec supplies poles and shippers
    bare = {k: v for k, v in tables.items() if k not in ("actor_info", "shipment_info")}
    assert summary_text(bare, loaded.spec, focus="Kazakhstan", run_dir=tmp_path / "run_x") == text
    top = consequential_actions(tables, "Kazakhstan")
    assert top == sorted(top, key=lambda c: -c.score)


def test_focus_defaults_to_kazakhstan_else_the_first_state(tmp_path):
    data = json.loads(json.dumps(small_scenario_dict()).replace("Kazakhstan", "Qazaqstan"))
    data["actors"].insert(0, data["actors"].pop(3))  # the rest of the world comes first
    rows = [tuple(str(x).replace("Kazakhstan", "Qazaqstan") for x in r) for r in SMALL_TRADE_ROWS]
    loaded = load_scenario(write_small_scenario(tmp_path, data=data, trade_rows=rows))
    tables = to_tables(run_world(build_world(loaded.spec, loaded.baseline_flows), 1), loaded.spec)
    assert resolve_focus(tables) == "Qazaqstan"  # first state actor (RestOfWorld is not a state)
    assert resolve_focus(tables, "China") == "China"
    with pytest.raises(ValueError, match="Atlantis"):
        resolve_focus(tables, "Atlantis")
    assert summary_text(tables).startswith("Run summary for Qazaqstan")


def test_plots_are_figures_with_titles_and_write_pngs(tables, tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    funcs = [
        plots.plot_partner_shares,
        plots.plot_route_utilisation,
        plots.plot_alignment,
        plots.plot_timeline,
    ]
    for func in funcs:
        fig = func(tables, "Kazakhstan")
        assert isinstance(fig, Figure)
        assert any(ax.get_title() for ax in fig.axes), func.__name__
    paths = plots.write_plots(tables, None, tmp_path / "png")
    assert [p.name for p in paths] == [f"{p}.png" for p in plots.PLOTS]
    assert all(p.stat().st_size > 10_000 for p in paths)
    assert plt.get_fignums() == before  # no pyplot figures left open


def test_route_plot_is_one_panel_per_route_with_units_and_the_focus_share(tables):
    fig = plots.plot_route_utilisation(tables, "Kazakhstan")
    panels = [ax for ax in fig.axes if ax.get_visible()]
    routes = tables["route_info"]
    assert len(panels) == len(routes)
    for ax, (route, unit) in zip(panels, zip(routes["route"], routes["unit"], strict=True), strict=True):
        assert ax.get_title().startswith(f"{route} ({unit}/yr); Kazakhstan ")
        assert ax.get_ylabel() == f"{unit}/yr"


def test_alignment_plot_shows_change_from_the_start_and_an_action_lane(tables):
    fig = plots.plot_alignment(tables, "Kazakhstan")
    top, lane = fig.axes[:2]
    assert "percentage points" in top.get_title() and "pp" in top.get_ylabel()
    pole_lines = [ln for ln in top.get_lines() if not ln.get_label().startswith("_")]
    assert len(pole_lines) == len(tables["actor_month"].filter(like="alignment_").columns)
    assert all(float(line.get_ydata()[0]) == 0.0 for line in pole_lines)
    assert lane.get_ylabel() == "actions" and lane.get_yticklabels()


def test_envelope_plot(tables):
    from sim.api import envelope

    env = envelope(tables["actor_month"].query("actor == 'Kazakhstan'"), "exports_usd_bn")
    fig = plots.plot_envelope(env, "exports", "USD bn/yr")
    assert fig.axes[0].get_ylabel() == "USD bn/yr" and "(1 runs)" in fig.axes[0].get_title()

"""Stable random streams: adding an event never shifts another element's draws."""

from __future__ import annotations

import numpy as np

from sim.api import load, simulate
from sim.compare import compare
from sim.core.streams import Streams, stable_key


def test_named_streams_are_reproducible_and_independent_of_each_other():
    a, b = Streams(7), Streams(7)
    first = [a.uniform("hazard", "storm") for _ in range(5)]
    b.uniform("hazard", "another one")  # touching another stream first changes nothing
    assert [b.uniform("hazard", "storm") for _ in range(5)] == first
    assert Streams(8).uniform("hazard", "storm") != first[0]
    assert Streams(7).uniform("detection", "storm") != first[0]  # the kind is part of the key
    assert stable_key("hazard", "storm") == stable_key("hazard", "storm")


def _with_detection(data: dict) -> dict:
    data["events"].append(
        {
            "date": "2022-04",
            "action": {
                "type": "secondary_sanction",
                "sender": "RestOfWorld",
                "target": "Kazakhstan",
                "goods": ["electronics"],
                "detection_probability": 0.5,
                "penalty_usd_bn": 0.1,
            },
        }
    )
    data["hazards"][0]["rate_per_year"] = 3.0  # many storms: a shifted stream would show
    return data


def _late_event(data: dict) -> dict:
    data = {**data, "events": [*data["events"]]}
    data["events"].append(
        {
            "date": "2023-06",
            "action": {"type": "route_reprice", "actor": "Russia", "route": "CPC", "tariff_factor": 2.0},
        }
    )
    return data


def _random_history(out, before: str) -> list[tuple]:
    return [
        (a["month"], a["kind"], a["name"], a["target"])
        for a in out.actions
        if a["kind"] in ("hazard", "penalty", "decision") and a["month"] < before
    ]


def test_a_late_scripted_event_leaves_earlier_hazards_and_detections_unchanged(
    scenario_writer, small_scenario_data
):
    base = _with_detection(small_scenario_data)
    a = load(scenario_writer(base, filename="a.yaml"))[1]
    b = load(scenario_writer(_late_event(base), filename="b.yaml"))[1]
    for seed in (1, 2, 3):
        oa, ob = simulate(a, seed=seed), simulate(b, seed=seed)
        hist_a, hist_b = _random_history(oa, "2023-06"), _random_history(ob, "2023-06")
        assert any(k == "hazard" for _, k, _, _ in hist_a) and any(k == "penalty" for _, k, _, _ in hist_a)
        assert hist_a == hist_b
        cut = oa.months.index("2023-06")
        np.testing.assert_array_equal(oa.flows[:cut], ob.flows[:cut])
        # The event itself does change what follows.
        assert not np.array_equal(oa.route_tariff[cut:], ob.route_tariff[cut:])


def test_compare_of_such_a_pair_shows_zero_delta_before_the_event(scenario_writer, small_scenario_data):
    base = _with_detection(small_scenario_data)
    pa = scenario_writer(base, filename="a.yaml")
    pb = scenario_writer(_late_event(base), filename="b.yaml")
    cmp = compare(pa, pb, replications=3)
    early = cmp.series[cmp.series["month"] < "2023-06"]
    assert len(early) > 0
    assert (early["delta"] == 0.0).all()
    late = cmp.series[cmp.series["month"] >= "2023-06"]
    assert (late["delta"] != 0.0).any()


def test_block_draws_are_the_single_draws_of_the_same_generator():
    """uniform() serves blocks of draws: the numbers are exactly those of one draw per call."""
    from sim.core.streams import BLOCK

    s = Streams(11)
    served = [s.uniform("decision", "Kazakhstan") for _ in range(3 * BLOCK + 5)]
    gen = Streams(11).generator("decision", "Kazakhstan")
    assert served == [gen.random() for _ in range(3 * BLOCK + 5)]

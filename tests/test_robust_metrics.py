"""Robustness metrics on hand-worked cases (sim/robust/metrics.py; definitions in docs/robust.md).

Two candidates A, B on four members, objective 0 maximised (threshold >= 2), objective 1
minimised (threshold <= 1):

    A: obj0 [1, 2, 3, 4]  obj1 [0, 2, 0, 2]
    B: obj0 [2, 2, 2, 2]  obj1 [1, 1, 1, 1]
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.robust import metrics
from sim.robust.search import decode
from sim.robust.spec import LeverSpec

A0, A1 = [1.0, 2.0, 3.0, 4.0], [0.0, 2.0, 0.0, 2.0]
B0, B1 = [2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]
V = np.array([np.column_stack([A0, A1]), np.column_stack([B0, B1])])  # (2, 4, 2)
MAX = np.array([True, False])
THR = np.array([2.0, 1.0])


def test_mean() -> None:
    assert metrics.mean(V).tolist() == [[2.5, 1.0], [2.0, 1.0]]


def test_low_percentile_is_direction_aware() -> None:
    # p25 of A0 (max): 1 + 0.75 (2 - 1) = 1.75; for the min objective the 75th percentile of
    # A1 sorted [0, 0, 2, 2]: position 2.25 -> 2.
    lo = metrics.low_percentile(V, MAX, 25.0)
    assert lo.tolist() == [[1.75, 2.0], [2.0, 1.0]]


def test_regret_against_the_best_candidate_per_member() -> None:
    r = metrics.regret(V, MAX)
    # obj0 best per member [2, 2, 3, 4]; obj1 best [0, 1, 0, 1]
    assert r[0, :, 0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert r[1, :, 0].tolist() == [0.0, 0.0, 1.0, 2.0]
    assert r[0, :, 1].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert r[1, :, 1].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert (r >= 0).all()


def test_satisficing_share_needs_every_threshold() -> None:
    # A meets both only on member 2 (3 >= 2 and 0 <= 1); B on every member (2 >= 2, 1 <= 1)
    assert metrics.satisficing_share(V, MAX, THR).tolist() == [0.25, 1.0]
    # one threshold only: obj1 <= 1 -> A on members 0, 2; B everywhere
    assert metrics.satisficing_share(V, MAX, np.array([np.nan, 1.0])).tolist() == [0.5, 1.0]
    assert np.isnan(metrics.satisficing_share(V, MAX, np.array([np.nan, np.nan]))).all()


def test_table_and_most_robust() -> None:
    t = metrics.table(V, ["w", "l"], MAX, THR, 25.0)
    assert t["w_regret_max"].tolist() == [1.0, 2.0]
    assert t["w_regret_mean"].tolist() == [0.25, 0.75]
    assert t["l_regret_max"].tolist() == [1.0, 1.0]
    assert t["w_p25"].tolist() == [1.75, 2.0]
    # regret score: max regret / spread (obj0 4 - 1 = 3, obj1 2 - 0 = 2)
    assert t["regret_score"].tolist() == pytest.approx([1 / 3 + 1 / 2, 2 / 3 + 1 / 2])
    assert metrics.most_robust(t, np.array([True, True])) == 1  # B: satisficing 1.0
    assert metrics.most_robust(t, np.array([True, False])) == 0
    # without thresholds the lower regret score wins: A
    t2 = metrics.table(V, ["w", "l"], MAX, np.array([np.nan, np.nan]), 25.0)
    assert metrics.most_robust(t2, np.array([True, True])) == 0


def test_failed_runs_are_left_out_and_do_not_satisfice() -> None:
    v = V.copy()
    v[1, 0, 0] = math.nan  # B's first run failed
    assert metrics.mean(v)[1, 0] == 2.0
    assert metrics.satisficing_share(v, MAX, THR).tolist() == [0.25, 0.75]
    assert np.isnan(metrics.regret(v, MAX)[1, 0, 0])


def test_shape_is_checked() -> None:
    with pytest.raises(ValueError, match=r"\(C, M, K\)"):
        metrics.regret(V[0], MAX)


def test_decode_unit_cube_to_levers() -> None:
    levers = [
        LeverSpec(name="r", type="real", path="a", range=(1.0, 3.0)),
        LeverSpec(name="i", type="int", path="b", range=(12, 14)),
        LeverSpec(name="c", type="categorical", path="c", values=["x", "y"]),
    ]
    assert decode(levers, np.array([0.0, 0.0, 0.0])) == {"r": 1.0, "i": 12, "c": "x"}
    assert decode(levers, np.array([1.0, 1.0, 1.0])) == {"r": 3.0, "i": 14, "c": "y"}
    # the int range is cut into 3 equal cells, the categories into 2
    assert decode(levers, np.array([0.5, 0.34, 0.49])) == {"r": 2.0, "i": 13, "c": "x"}


def test_paired_comparison_counts_discordant_members() -> None:
    a = np.array([True, True, True, False, True])
    b = np.array([False, False, True, False, False])
    n_ab, n_ba, p = metrics.paired_comparison(a, b)
    assert (n_ab, n_ba) == (3, 0)
    assert p == pytest.approx(0.25)  # two-sided binomial: 2 x 0.5^3
    assert metrics.paired_comparison(a, a) == (0, 0, 1.0)


def test_prim_density_target_stays_above_the_failure_base_rate() -> None:
    from sim.robust.discovery import density_target

    assert density_target(0.6, 0.1) == 0.6
    assert density_target(0.6, 0.3) == pytest.approx(0.65)
    # the whole space (density 0.73) does not qualify
    assert density_target(0.6, 0.73) == pytest.approx(0.865)

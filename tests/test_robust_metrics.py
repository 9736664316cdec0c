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


# ----------------------------------------------------------------------------- epsilon progress
def test_epsilon_archive_counts_new_boxes_by_hand() -> None:
    """eps = (1, 1); box = floor(f). Hand-worked (docs/robust.md, sim/robust/epsilon.py):

    (2.5, 2.5) box (2, 2), archive empty: added                         -> 1
    (2.2, 2.7) box (2, 2), neither dominates, farther from the corner   -> kept out, 1
    (2.1, 2.1) box (2, 2), dominates (2.5, 2.5): replaces it, same box  -> 1
    (0.5, 3.5) box (0, 3), no box dominance either way: added           -> 2
    (3.5, 3.5) box (3, 3), box-dominated by (2, 2): rejected            -> 2
    (1.5, 1.5) box (1, 1), box-dominates (2, 2): added, (2, 2) removed  -> 3
    (1.9, 0.2) box (1, 0), box-dominates (1, 1): added, (1, 1) removed  -> 4
    (nan, 0)   not finite: ignored                                      -> 4
    """
    from sim.robust.epsilon import EpsilonArchive

    a = EpsilonArchive([1.0, 1.0])
    seq = [(2.5, 2.5), (2.2, 2.7), (2.1, 2.1), (0.5, 3.5), (3.5, 3.5), (1.5, 1.5), (1.9, 0.2), (math.nan, 0)]
    got = [a.add(np.array(f)) for f in seq]
    assert got == [True, False, False, True, False, True, True, False]
    assert a.improvements == 4
    assert sorted(map(tuple, a.points)) == [(0.5, 3.5), (1.9, 0.2)]
    b = EpsilonArchive([1.0, 1.0])
    b.add(np.array([2.5, 2.5]))
    b.add(np.array([2.1, 2.1]))
    assert [tuple(p) for p in b.points] == [(2.1, 2.1)]  # the dominating point replaced it
    # a coarser box merges what a finer one separates
    c = EpsilonArchive([10.0, 10.0])
    assert [c.add(np.array(f)) for f in [(2.5, 2.5), (0.5, 3.5), (1.9, 0.2)]] == [True, False, False]


def test_default_epsilons_are_the_spread_over_100() -> None:
    from sim.robust.epsilon import default_epsilons

    f = np.array([[0.0, 10.0], [2.0, 10.0], [np.nan, 50.0]])  # the NaN row is left out
    assert default_epsilons(f).tolist() == pytest.approx([0.02, 0.1])  # spread 2; spread 0: |10| / 100
    with pytest.raises(ValueError, match="positive epsilons"):
        from sim.robust.epsilon import EpsilonArchive

        EpsilonArchive([0.0, 1.0])

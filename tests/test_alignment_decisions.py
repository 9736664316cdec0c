"""Known-answer tests of alignment dynamics and logit decisions."""

import math

import numpy as np
import pytest

from sim.core.alignment import AlignmentRates, alignment_forces, exponentiated_step, pressure_force
from sim.core.decisions import herfindahl, logit_choice, logit_probabilities, multivector_index

RATES = AlignmentRates(gain=0.6, security=0.02, anchor=0.03, compliance=0.5, backlash=0.8)


def test_constant_force_has_the_closed_form_solution():
    a0 = np.array([[0.4, 0.25, 0.25, 0.1]])
    f = np.array([[0.1, 0.0, -0.05, 0.02]])
    a = a0
    for _ in range(12):
        a = exponentiated_step(a, f)
    closed = a0 * np.exp(12 * f)
    closed /= closed.sum()
    np.testing.assert_allclose(a, closed, rtol=1e-12)


def test_alignment_stays_on_the_simplex_under_extreme_forces():
    a = np.array([[0.5, 0.5, 0.0, 0.0]])
    for f in ([500.0, -500.0, 0.0, 1.0], [-1e3, -1e3, -1e3, -1e3]):
        a = exponentiated_step(a, np.array([f]))
        assert np.isfinite(a).all()
        assert (a >= 0).all()
        assert a.sum() == pytest.approx(1.0)


def test_quiet_world_stays_at_the_anchor():
    a = np.array([[0.4, 0.3, 0.2, 0.1]])
    zero = np.zeros_like(a)
    forces = alignment_forces(a, a, zero, zero, zero, zero, RATES)
    total = sum(forces.values())
    np.testing.assert_allclose(exponentiated_step(a, total), a)


def test_anchor_pulls_back_toward_the_identity():
    anchor = np.array([[0.5, 0.5]])
    a = np.array([[0.9, 0.1]])
    zero = np.zeros_like(a)
    f = alignment_forces(a, anchor, zero, zero, zero, zero, RATES)
    assert exponentiated_step(a, sum(f.values()))[0, 0] < 0.9


def test_pressure_backfires_when_dependence_is_low_and_works_when_high():
    intensity = np.array([[1.0, 0.0]])
    sovereignty = np.array([0.5])
    low = pressure_force(intensity, np.array([[0.2, 0.8]]), sovereignty, RATES)
    high = pressure_force(intensity, np.array([[0.95, 0.05]]), sovereignty, RATES)
    assert low[0, 0] == pytest.approx(0.5 * 0.2 - 0.8 * 0.5)  # -0.3: backlash
    assert high[0, 0] == pytest.approx(0.5 * 0.95 - 0.8 * 0.5)  # +0.075: compliance
    assert low[0, 1] == 0.0


def test_logit_probabilities_known_answer():
    p = logit_probabilities(np.array([0.0, math.log(2.0)]), 1.0)
    np.testing.assert_allclose(p, [1 / 3, 2 / 3])
    # rationality 0 is a uniform choice; large rationality is argmax
    np.testing.assert_allclose(logit_probabilities(np.array([1.0, 5.0, 2.0]), 0.0), [1 / 3] * 3)
    assert logit_probabilities(np.array([1.0, 5.0, 2.0]), 1e3)[1] == pytest.approx(1.0)


def test_logit_choice_inverts_the_cumulative_distribution():
    u = np.array([0.0, math.log(2.0)])  # probabilities 1/3, 2/3
    assert logit_choice(u, 1.0, 0.0)[0] == 0
    assert logit_choice(u, 1.0, 0.33)[0] == 0
    assert logit_choice(u, 1.0, 0.34)[0] == 1
    assert logit_choice(u, 1.0, 0.999999)[0] == 1


def test_herfindahl_and_multivector_index():
    assert herfindahl(np.array([1.0, 0, 0, 0])) == 1.0
    assert herfindahl(np.array([0.25] * 4)) == pytest.approx(0.25)
    assert herfindahl(np.array([2.0, 2.0])) == pytest.approx(0.5)  # renormalised
    assert multivector_index(np.array([0.25] * 4)) == pytest.approx(1.0)
    assert multivector_index(np.array([1.0, 0, 0, 0])) == pytest.approx(0.0)
    assert multivector_index(np.array([0.5, 0.5, 0, 0])) == pytest.approx((1 - 0.5) / 0.75)

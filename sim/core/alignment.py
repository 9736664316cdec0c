"""Alignment: each state's position over the poles, moved on the simplex.

Method: exponentiated-gradient (replicator / mirror-descent) dynamics, which keep
a state's alignment a[p] >= 0 with sum 1 by construction:

    a'[p] = a[p] * exp(f[p]) / sum_q a[q] * exp(f[q])

The force f[p] (per month) adds up named terms, each logged:
    gain      = alignment_gain_rate * (change in income from pole p) / GDP
    security  = alignment_security_rate * (change in security provided by p)
    pressure  = sum over pressure from p of intensity *
                (pressure_compliance_rate * 2 * compliance_propensity * dependence[p]
                 - pressure_backlash_rate * sovereignty_sensitivity)
    signal    = signal strength toward p (minus strength against p)
    threat    = - alignment_gain_rate * alignment_threat_weight * h / (1 + h)
                * max(P[p] - P_base[p], 0) * VaR[p] * A(d) / A(H) / GDP
    anchor    = alignment_anchor_rate * (ln anchor[p] - ln a[p])

The threat term is hedging as insurance against coercion in the alignment layer: a hedger
(weight h) treats the expected coercion loss a pole has come to threaten as income lost to that
pole, in the currency of the gain term (USD bn/yr over GDP) and with the weight its sovereignty
term gives a change of the chance, h (1 - e) = h / (1 + h) (sim.core.coercion). P is the learnt
chance that p coerces within the decision horizon, P_base its quiet-world value (base hazard only,
no grievance, no coercion seen), VaR the value p holds at risk (USD bn/yr), as assessed in the
hedger's last decision round; P x VaR x A(d) is the expected loss over the horizon in present
value (A(d): years of an episode of `coercion_duration_months`), and dividing by A(H), the
horizon's own annuity in years, makes it the equivalent flow in USD bn/yr. Theory: states
balance against threats, not power (Walt 1987, "The Origins of Alliances"); a weaker state hedges
against a great power's uncertain intentions (Kuik 2016). Unlike the pulls, it is not damped by
hedging: it is the hedger's own motive.

With no change in gains, security, pressure, signals or coercion chances every term is zero at
a = anchor, so a quiet world keeps each state at its initial position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FLOOR = 1e-9


@dataclass(frozen=True)
class AlignmentRates:
    """Rates per month (see sim.params.Parameters for units and sources)."""

    gain: float
    security: float
    anchor: float
    compliance: float
    backlash: float


def exponentiated_step(alignment: np.ndarray, force: np.ndarray) -> np.ndarray:
    """One multiplicative-weights step on the simplex; rows are actors, columns poles."""
    logw = np.log(np.maximum(alignment, _FLOOR)) + force
    logw -= logw.max(axis=-1, keepdims=True)
    w = np.exp(logw)
    return w / w.sum(axis=-1, keepdims=True)


def pressure_force(
    intensity: np.ndarray,
    dependence: np.ndarray,
    sovereignty: np.ndarray,
    rates: AlignmentRates,
    compliance: np.ndarray | None = None,
) -> np.ndarray:
    """Force from pressure: intensity[i, p] applied on actor i by pole p this month.

    Compliance pulls toward the pressuring pole in proportion to dependence on it,
    scaled by 2 x compliance propensity (1 at the neutral 0.5); backlash pushes
    away in proportion to sovereignty sensitivity.
    """
    scale = 1.0 if compliance is None else 2.0 * compliance[:, None]
    return intensity * (rates.compliance * scale * dependence - rates.backlash * sovereignty[:, None])


def damp_pulls(force: np.ndarray, hedging: np.ndarray | float, damping: float) -> np.ndarray:
    """A hedger resists being drawn toward a pole, not being driven away from one.

    Positive force components (toward a pole) are divided by 1 + damping x h, negative ones
    (income lost to a pole, backlash against its pressure) act in full. force: (N, P) or (P,);
    hedging: (N,) or a scalar h. Hedging as avoiding alignment with either side while balancing
    against threats (Kuik 2016; Walt 1987); until 2026-12-04 both signs were damped, which held a
    hedger at its anchor against the pushes of the pole that coerced it (docs/validation.md).
    """
    h = np.asarray(hedging, dtype=float)
    factor = 1.0 / (1.0 + damping * (h[:, None] if h.ndim == 1 and force.ndim == 2 else h))
    return np.where(force > 0, force * factor, force)


def threat_force(
    probability: np.ndarray,
    probability_base: np.ndarray | float,
    value_at_risk: np.ndarray,
    gdp: np.ndarray,
    hedging: np.ndarray,
    gain_rate: float,
    weight: float,
    flow_per_loss: float,
) -> np.ndarray:
    """Force away from poles a hedger has come to expect coercion from, (N, P) per month.

    probability, probability_base: chance each pole coerces within the horizon, learnt (N, P) and
    quiet-world ((N, P) or one number); value_at_risk: (N, P) USD bn/yr; gdp: (N,) USD bn/yr;
    hedging: (N,) weights h;
    flow_per_loss: A(d) / A(H), the flow (per year of the horizon) equivalent to an episode's loss.
    -gain_rate x weight x h / (1 + h) x max(P - P_base, 0) x VaR x A(d) / A(H) / GDP (module docstring).
    """
    h = np.maximum(hedging, 0.0)
    trust = (h / (1.0 + h))[:, None]
    rise = np.maximum(probability - probability_base, 0.0)
    return -gain_rate * weight * flow_per_loss * trust * rise * value_at_risk / gdp[:, None]


def alignment_forces(
    alignment: np.ndarray,
    anchor: np.ndarray,
    gain: np.ndarray,
    security_change: np.ndarray,
    pressure: np.ndarray,
    signal: np.ndarray,
    rates: AlignmentRates,
    threat: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Named force terms, each (N, P), that `exponentiated_step` sums.

    gain: change in income from each pole as a share of GDP (fraction, per year);
    security_change: change in security provided by each pole (0-1 scale);
    pressure: force from `pressure_force`; signal: net signal strength per pole;
    threat: force from `threat_force` (zero if None).
    """
    anchor_term = rates.anchor * (np.log(np.maximum(anchor, _FLOOR)) - np.log(np.maximum(alignment, _FLOOR)))
    return {
        "gain": rates.gain * gain,
        "security": rates.security * security_change,
        "pressure": pressure,
        "signal": signal,
        "threat": np.zeros_like(gain) if threat is None else threat,
        "anchor": anchor_term,
    }

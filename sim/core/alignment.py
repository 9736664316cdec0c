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
    anchor    = alignment_anchor_rate * (ln anchor[p] - ln a[p])

With no change in gains, security, pressure or signals every term is zero at
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


def alignment_forces(
    alignment: np.ndarray,
    anchor: np.ndarray,
    gain: np.ndarray,
    security_change: np.ndarray,
    pressure: np.ndarray,
    signal: np.ndarray,
    rates: AlignmentRates,
) -> dict[str, np.ndarray]:
    """Named force terms, each (N, P), that `exponentiated_step` sums.

    gain: change in income from each pole as a share of GDP (fraction, per year);
    security_change: change in security provided by each pole (0-1 scale);
    pressure: force from `pressure_force`; signal: net signal strength per pole.
    """
    anchor_term = rates.anchor * (np.log(np.maximum(anchor, _FLOOR)) - np.log(np.maximum(alignment, _FLOOR)))
    return {
        "gain": rates.gain * gain,
        "security": rates.security * security_change,
        "pressure": pressure,
        "signal": signal,
        "anchor": anchor_term,
    }

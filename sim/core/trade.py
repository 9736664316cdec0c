"""Bilateral trade: structural gravity (CES / Armington) response to trade-cost changes.

Method (Head & Mayer 2014; Yotov et al. 2016, "An Advanced Guide to Trade Policy
Analysis", ch. 2, "exact hat algebra" in partial equilibrium):

    share pi_ij = X_ij / E_j of importer j's spending on good g that goes to exporter i
    new share   pi'_ij = pi_ij * t_ij**(-eps) / sum_k pi_kj * t_kj**(-eps)
    price index P'_j / P_j = (sum_k pi_kj * t_kj**(-eps)) ** (-1/eps)

where t_ij >= 1 is the change in the bilateral trade-cost factor relative to the
baseline (1 + ad valorem wedge; +inf for a ban) and eps = sigma - 1 is the trade
elasticity. Importer expenditure E_j per good is held at its baseline (Cobb-Douglas
upper tier, exporters' factory-gate prices fixed: the partial-equilibrium
"trade impact" of Yotov et al. ch. 2). Recorded flows are at exporter prices,
X'_ij = pi'_ij * E_j / t_ij (customs values exclude the wedge).

Political trade costs (geopolitical gravity): a pair's trade-cost factor also carries
exp(beta x delta_d / eps), delta_d the change in the pair's alignment distance since the base
year, so pair trade moves by exp(-beta x delta_d) before the multilateral-resistance terms
(`political_cost_factors`; beta `political_distance_semi_elasticity`, sim.params); and
facilitation agreements multiply a pair's factor by (1 - cut) (sim.core.apply).

Arrays are indexed [exporter, importer, good]; values in USD bn per year.
"""

from __future__ import annotations

import numpy as np


def alignment_distance(alignment: np.ndarray) -> np.ndarray:
    """Pairwise alignment distance (N, N), 0-1: half the L1 distance of the rows of alignment (N, P)."""
    return 0.5 * np.abs(alignment[:, None, :] - alignment[None, :, :]).sum(axis=2)


def political_cost_factors(
    distance_change: np.ndarray, semi_elasticity: float, elasticity: float
) -> np.ndarray:
    """Trade-cost factor (N, N) of the pairs' political relation: exp(beta x delta_d / eps).

    With the CES share pi ~ t^-eps, it moves the pair's trade by exp(-beta x delta_d) (holding the
    importer's price index), beta the semi-elasticity of trade to alignment distance.
    """
    return np.exp(semi_elasticity * distance_change / elasticity)


def expenditure(flows: np.ndarray) -> np.ndarray:
    """Importer spending on imports per good, E[j, g] (USD bn/yr) from flows[i, j, g]."""
    return flows.sum(axis=0)


def gravity_equilibrium(
    base_flows: np.ndarray,
    cost_factor: np.ndarray,
    elasticity: float,
    columns: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """New equilibrium flows and importer price-index changes under cost factors.

    Args:
        base_flows: X[i, j, g] baseline flows, USD bn/yr, >= 0.
        cost_factor: t[i, j, g] >= 1 relative to baseline; np.inf marks a ban.
        elasticity: eps = sigma - 1 > 0.
        columns: optional importer indices to recompute (others returned unchanged
            from base_flows with price change 1); used for cheap counterfactuals.

    Returns:
        (flows, price_change): flows X'[i, j, g] at exporter prices (USD bn/yr);
        price_change P'[j, g] / P[j, g] (>= 1 when costs only rise; +inf where every
        supplier is banned).
    """
    if columns is None:
        x0, t = base_flows, cost_factor
    else:
        x0, t = base_flows[:, columns, :], cost_factor[:, columns, :]
    spend = x0.sum(axis=0)  # (J, G)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(spend > 0, x0 / spend, 0.0)
        weight = np.where(np.isinf(t), 0.0, share * np.power(t, -elasticity))
        denom = weight.sum(axis=0)  # (J, G)
        new_share = np.where(denom > 0, weight / denom, 0.0)
        price = np.where(denom > 0, np.power(denom, -1.0 / elasticity), np.inf)
        flows = np.where(np.isinf(t), 0.0, new_share * spend / t)
    price = np.where(spend > 0, price, 1.0)
    if columns is None:
        return flows, price
    full = base_flows.copy()
    full[:, columns, :] = flows
    full_price = np.ones(base_flows.shape[1:])
    full_price[columns, :] = price
    return full, full_price


def partial_adjustment(previous: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Move flows a share `rate` (per month) of the way to the new equilibrium."""
    return previous + rate * (target - previous)


def import_cost_change(spend: np.ndarray, price_change: np.ndarray, cap: float = 1.0) -> np.ndarray:
    """Compensating variation of import price rises per importer, USD bn/yr.

    First-order: E[j, g] * (P'/P - 1), summed over goods; the price rise is capped
    at `cap` (100 %) so that a complete embargo counts as losing the good's
    spending once, not an infinite loss.
    """
    rise = np.minimum(np.where(np.isfinite(price_change), price_change - 1.0, cap), cap)
    return (spend * rise).sum(axis=-1)

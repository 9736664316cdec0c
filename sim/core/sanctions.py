"""Sanctions: trade-cost wedges, secondary sanctions and diversion through intermediaries.

Measures become a cost-factor array t[i, j, g] (1 + ad valorem wedge, +inf for a
ban) that the gravity layer prices. Flows the measures block can be re-routed
through intermediaries (re-exports): traders holding blocked volume B choose,
by a multinomial logit with an outside option ("do not ship"), among the
intermediaries m that do not themselves sanction the target:

    V_m = c0 + theta_p * premium + theta_cu * customs_union(m, target)
          + beta * ln(min(1, size_m / size_target))
          - theta_e * enforcement_m - theta_s * expected_penalty_m
    attempted_m = B * exp(V_m) / (1 + sum_k exp(V_k))
    diverted_m  = attempted_m * (1 - enforcement_m)     (the rest is intercepted)

premium = the target's import price-index rise for the good (from gravity);
size = baseline imports of the good, so a small economy cannot channel more than
its trade infrastructure allows (the "size variable" of destination-choice logit
models, Ben-Akiva & Lerman 1985, ch. 9);
expected_penalty_m = sum over secondary sanctions on m of detection probability
(per month) x penalty (USD bn). The logit-with-outside-option form follows the
discrete-choice treatment of evasion in the sanctions literature (e.g. the EBRD
"Eurasian roundabout" reading of re-export shares); its constants are
calibrated to the published leakage of 5-10 % of the fall in direct exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Measure:
    """A sanction measure resolved to indices.

    senders: actor indices applying it (a bloc's members); target: actor index;
    goods: good indices; direction: 'exports' (senders -> target) or 'imports'
    (target -> senders) or 'both'; rate: ad valorem wedge; ban: prohibition.
    """

    label: str
    senders: tuple[int, ...]
    target: int
    goods: tuple[int, ...]
    direction: str
    ban: bool
    rate: float


@dataclass(frozen=True)
class SecondaryMeasure:
    """Secondary sanction: sender threatens intermediary `target` for re-exports of `goods`."""

    sender: int
    target: int
    goods: tuple[int, ...]
    detection_probability: float  # per month
    penalty_usd_bn: float

    def key(self, actors: list[str], goods: list[str]) -> str:
        """Stable name of the measure (sender, target, goods) for its detection stream."""
        return f"{actors[self.sender]}->{actors[self.target]}:{','.join(goods[g] for g in self.goods)}"


def cost_factors(measures: list[Measure], shape: tuple[int, int, int]) -> np.ndarray:
    """Trade-cost factor t[i, j, g] >= 1 from the active measures (inf = banned).

    Ad valorem wedges on the same cell compound multiplicatively.
    """
    t = np.ones(shape)
    for m in measures:
        s = np.asarray(m.senders, dtype=np.intp)
        g = np.asarray(m.goods, dtype=np.intp)
        cells: list[tuple[Any, Any, Any]] = []
        if m.direction in ("exports", "both"):
            cells.append((s[:, None], m.target, g[None, :]))
        if m.direction in ("imports", "both"):
            cells.append((m.target, s[:, None], g[None, :]))
        for idx in cells:
            t[idx] = np.inf if m.ban else t[idx] * (1.0 + m.rate)
    return t


def export_controls(measures: list[Measure], shape: tuple[int, int, int]) -> np.ndarray:
    """Cells [sender, target, good] under an export control (direction 'exports' or 'both').

    Only these cells can be re-routed through intermediaries: an import ban (the
    sanctioner refusing the target's goods, e.g. the EU crude embargo) leaves
    nothing for an intermediary to supply to the target, so it diverts nothing.
    """
    out = np.zeros(shape, dtype=bool)
    for m in measures:
        if m.direction in ("exports", "both"):
            s = np.asarray(m.senders, dtype=np.intp)
            g = np.asarray(m.goods, dtype=np.intp)
            out[s[:, None], m.target, g[None, :]] = True
    return out


def expected_penalty(secondary: list[SecondaryMeasure], n_actors: int, n_goods: int) -> np.ndarray:
    """Expected secondary-sanction penalty per intermediary and good, USD bn per month.

    E[m, g] = sum of detection probability x penalty over measures on m covering g.
    """
    out = np.zeros((n_actors, n_goods))
    for s in secondary:
        out[s.target, list(s.goods)] += s.detection_probability * s.penalty_usd_bn
    return out


def detection_chance(probability: float | np.ndarray, reexports: np.ndarray, scale: float) -> np.ndarray:
    """Monthly chance that re-exports are detected: p x (1 - exp(-D / scale)).

    D is the re-exported value (USD bn/yr) covered by the measure; `scale` (USD bn/yr)
    is the volume at which detection reaches 63 % of its ceiling p. Small grey flows
    are rarely caught, large ones almost surely at rate p (assumption).
    """
    return probability * (1.0 - np.exp(-np.maximum(reexports, 0.0) / scale))


@dataclass(frozen=True)
class DiversionParams:
    """Re-export logit constants (see module docstring)."""

    base_utility: float
    premium_sensitivity: float
    enforcement_sensitivity: float
    penalty_sensitivity: float
    customs_union_bonus: float
    size_elasticity: float
    markup: float


@dataclass(frozen=True)
class Diversion:
    """Re-exports per blocked cell.

    cells: (C, 3) int array of blocked (sender s, target t, good g);
    attempted, diverted: (C, N) USD bn/yr routed via each intermediary m at the
    sender's prices (diverted = attempted x (1 - enforcement_m)).
    """

    cells: np.ndarray
    attempted: np.ndarray
    diverted: np.ndarray

    def by_intermediary(self, n_goods: int) -> np.ndarray:
        """Diverted value per intermediary and good, USD bn/yr, shape (N, G) (computed once)."""
        cache = self.__dict__.setdefault("_by_intermediary", {})
        if n_goods not in cache:
            out = np.zeros((self.diverted.shape[1], n_goods))
            if len(self.cells):
                np.add.at(out.T, self.cells[:, 2], self.diverted)
            out.flags.writeable = False
            cache[n_goods] = out
        return cache[n_goods]


def reexport_diversion(
    blocked: np.ndarray,
    premium: np.ndarray,
    sanctioners: np.ndarray,
    enforcement: np.ndarray,
    penalty: np.ndarray,
    customs_union: np.ndarray,
    eligible: np.ndarray,
    size: np.ndarray,
    p: DiversionParams,
    cells: np.ndarray | None = None,
    leg_cost: np.ndarray | None = None,
) -> Diversion:
    """Re-exported volume through each intermediary, for every blocked cell.

    Args:
        blocked: B[s, t, g] fall in direct flows caused by measures, USD bn/yr (>= 0).
        premium: price-index rise of importer t for good g, fraction, shape (N, G);
            capped at 1 (100 %) in the utility.
        sanctioners: bool [m, t, g], True where m itself restricts exports of g to t
            (m cannot serve as an intermediary for that cell).
        enforcement: enforcement level per actor, 0-1, shape (N,).
        penalty: expected secondary penalty E[m, g], USD bn per month.
        customs_union: bool [m, t], True when m and t share a customs union.
        eligible: bool (N,), actors that can act as intermediaries (states).
        size: baseline imports per actor and good, USD bn/yr (N, G).
        p: logit constants.
        cells: optional precomputed np.argwhere(blocked > 0), to skip the scan.
        leg_cost: cost factors t[i, j, g] in force (1 free, inf banned). Both legs of a
            re-export are checked: an intermediary m is unusable when the sender's own
            export to m is banned (t[s, m, g] = inf, e.g. EU dual-use to Belarus), and an
            ad valorem wedge on the s -> m leg lowers its utility by theta_p x wedge.
    """
    n = blocked.shape[0]
    if cells is None:
        cells = np.argwhere(blocked > 0)
    if cells.size == 0:
        empty = np.zeros((0, n))
        return Diversion(np.zeros((0, 3), dtype=np.intp), empty, empty.copy())
    s, t, g = cells.T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.minimum(size[:, g] / size[t, g], 1.0).T  # (C, N)
        size_term = np.where(ratio > 0, p.size_elasticity * np.log(ratio), -np.inf)
    util = size_term + (
        p.base_utility
        + p.premium_sensitivity * np.minimum(premium[t, g], 1.0)[:, None]
        + p.customs_union_bonus * customs_union[:, t].T
        - p.enforcement_sensitivity * enforcement[None, :]
        - p.penalty_sensitivity * penalty[:, g].T
    )  # (C, N)
    ok = np.broadcast_to(eligible, util.shape).copy()
    rows = np.arange(len(cells))
    ok[rows, s] = False
    ok[rows, t] = False
    ok &= ~sanctioners[:, t, g].T
    if leg_cost is not None:
        first_leg = leg_cost[s, :, g]  # (C, N) cost factor of the sender -> intermediary leg
        ok &= np.isfinite(first_leg)
        util = util - p.premium_sensitivity * np.where(np.isfinite(first_leg), first_leg - 1.0, 0.0)
    expu = np.where(ok, np.exp(util), 0.0)
    attempted = blocked[s, t, g][:, None] * expu / (1.0 + expu.sum(axis=1, keepdims=True))
    diverted = attempted * (1.0 - enforcement)[None, :]
    return Diversion(cells, attempted, diverted)


def displace_direct(direct: np.ndarray, div: Diversion, markup: float) -> tuple[np.ndarray, Diversion]:
    """Intermediated supply inside the target's CES nest: spending on the good stays fixed.

    The target t's spending on good g (the sum of its direct imports after the
    sanctions, USD bn/yr) is an upper-tier (Cobb-Douglas) constant; re-exports
    delivered to t, valued at the intermediary's price (1 + markup) x diverted,
    substitute for part of it, so every direct supplier of (t, g) is scaled down
    pro rata. Should intermediated supply exceed the spending (not reached in
    practice), the diversion is scaled down to fit. Returns (direct', diversion').
    """
    if len(div.cells) == 0:
        return direct, div
    out = direct.copy()
    t, g = div.cells[:, 1], div.cells[:, 2]
    inflow = np.zeros(direct.shape[1:])  # (N, G) intermediated value into (t, g)
    np.add.at(inflow, (t, g), (1.0 + markup) * div.diverted.sum(axis=1))
    tt, gg = np.nonzero(inflow)
    spend = direct[:, tt, gg].sum(axis=0)
    fit = np.where(inflow[tt, gg] > spend, spend / np.where(inflow[tt, gg] > 0, inflow[tt, gg], 1.0), 1.0)
    if (fit < 1.0).any():
        scale = np.ones(direct.shape[1:])
        scale[tt, gg] = fit
        f = scale[t, g][:, None]
        div = Diversion(div.cells, div.attempted * f, div.diverted * f)
        inflow[tt, gg] *= fit
    keep = np.where(spend > 0, 1.0 - inflow[tt, gg] / np.where(spend > 0, spend, 1.0), 1.0)
    out[:, tt, gg] = direct[:, tt, gg] * np.maximum(keep, 0.0)[None, :]
    return out, div


def leakage_shares(diverted: float, controlled: float, blocked: float, markup: float) -> tuple[float, float]:
    """(EBRD leakage, former all-blocked share) of one month; NaN where the denominator is 0.

    EBRD ("Eurasian roundabout", 2023): intermediated exports of controlled goods to the target,
    i.e. the intermediaries' sales (1 + markup) x diverted, over the fall in direct exports under
    the coalition's export controls. The former definition divides the diverted value (at the
    sender's prices) by the fall in direct flows at every sanctioned cell, import bans included.
    """
    ebrd = (1.0 + markup) * diverted / controlled if controlled > 0 else float("nan")
    former = diverted / blocked if blocked > 0 else float("nan")
    return ebrd, former


def apply_diversion(flows: np.ndarray, div: Diversion, markup: float) -> np.ndarray:
    """Add re-export legs to flows: s -> m at cost, m -> t with the intermediary's markup."""
    out = flows.copy()
    if len(div.cells) == 0:
        return out
    s, t, g = div.cells.T
    n = flows.shape[0]
    m = np.arange(n)
    c = np.arange(len(div.cells))[:, None]
    np.add.at(out, (s[c], m[None, :], g[c]), div.diverted)
    np.add.at(out, (m[None, :], t[c], g[c]), (1.0 + markup) * div.diverted)
    return out

"""Epsilon progress (Hadka & Reed 2013, the Borg MOEA): improvements of an epsilon-box archive.

Objective space (minimisation fitness) is cut into boxes of side eps_k per objective: the box of
a fitness vector f is b(f) = floor(f / eps). Box b1 *box-dominates* b2 when b1 <= b2 in every
coordinate and b1 != b2. The archive keeps at most one solution per box, none of whose boxes is
box-dominated (Laumanns et al. 2002). A new solution s with box b:

    rejected     if an archive member's box box-dominates b;
    replaces     the member in the same box if s dominates it, or neither dominates and s is
                 nearer the box's lower corner (b x eps): no progress (the same box);
    is added     otherwise (a box no member held), removing the members whose boxes b
                 box-dominates: an *improvement*.

Epsilon progress is the running count of improvements: it stalls when the search only refines
solutions inside boxes it already holds, at the resolution eps.
"""

from __future__ import annotations

import math

import numpy as np

SPREAD_DIVISIONS = 100  # default eps: the first generation's spread / this


def default_epsilons(f: np.ndarray) -> np.ndarray:
    """eps per objective from a first set of finite fitness rows (R, K): spread / 100 (if the
    spread is 0: |value| / 100, else 1)."""
    f = np.asarray(f, dtype=np.float64)
    f = f[np.isfinite(f).all(axis=1)]
    if not len(f):
        return np.ones(f.shape[1])
    spread = f.max(axis=0) - f.min(axis=0)
    scale = np.abs(f).max(axis=0)
    return np.where(spread > 0, spread, np.where(scale > 0, scale, SPREAD_DIVISIONS)) / SPREAD_DIVISIONS


def _box_dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a != b))


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


class EpsilonArchive:
    """An epsilon-box dominance archive that counts its improvements (see the module)."""

    def __init__(self, epsilons: np.ndarray | list[float]):
        self.eps = np.asarray(epsilons, dtype=np.float64)
        if self.eps.ndim != 1 or not np.all(self.eps > 0):
            raise ValueError(f"expected positive epsilons, got {self.eps}")
        self.points: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        self.improvements = 0

    def add(self, f: np.ndarray | list[float]) -> bool:
        """Offer one fitness vector; True when it is an improvement (a new box in the archive)."""
        f = np.asarray(f, dtype=np.float64)
        if not np.all(np.isfinite(f)):
            return False
        box = np.floor(f / self.eps)
        for b in self.boxes:
            if _box_dominates(b, box):
                return False
        for i, b in enumerate(self.boxes):
            if np.array_equal(b, box):
                old = self.points[i]
                corner = box * self.eps
                nearer = math.dist(f, corner) < math.dist(old, corner)
                if _dominates(f, old) or (not _dominates(old, f) and nearer):
                    self.points[i] = f
                return False
        keep = [i for i, b in enumerate(self.boxes) if not _box_dominates(box, b)]
        self.points = [self.points[i] for i in keep] + [f]
        self.boxes = [self.boxes[i] for i in keep] + [box]
        self.improvements += 1
        return True


__all__ = ["EpsilonArchive", "default_epsilons"]

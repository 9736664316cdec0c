"""Named random streams: one independent generator per stochastic element.

Every stochastic element of a run (a hazard, a secondary-sanction measure's
detection, an actor's decision draws, a threat's execution) draws from its own
`numpy.random.Generator`, seeded by the run's root `SeedSequence` and a stable
key derived from the element's kind and name (NumPy's recommended way to get
independent, reproducible streams: `SeedSequence(entropy, spawn_key=...)`).
Adding, removing or reordering one element therefore never shifts another
element's draws: a scenario that only adds a late event has the same hazard,
detection and decision draws as its baseline up to that event.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def stable_key(kind: str, name: str) -> tuple[int, int]:
    """Two 32-bit words from SHA-256 of 'kind\\x00name' (stable across runs and platforms)."""
    digest = hashlib.sha256(f"{kind}\x00{name}".encode()).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:8], "little")


BLOCK = 32
"""Uniform draws taken from a stream at once (see `Streams.uniform`)."""


class Streams:
    """Lazily created generators keyed by (kind, name), all derived from one root seed.

    Args:
        root: the run's SeedSequence (or an int seed, or a Generator whose seed
            sequence is reused).
    """

    def __init__(self, root: np.random.SeedSequence | np.random.Generator | int | None):
        if isinstance(root, np.random.Generator):
            seq = root.bit_generator.seed_seq
            if not isinstance(seq, np.random.SeedSequence):
                raise TypeError("the run's generator must be seeded from a numpy SeedSequence")
            root = seq
        self.root: np.random.SeedSequence = (
            root if isinstance(root, np.random.SeedSequence) else np.random.SeedSequence(root)
        )
        self._gens: dict[tuple[str, str], np.random.Generator] = {}
        self._blocks: dict[tuple[str, str], list[Any]] = {}  # key -> [drawn block, next position]

    def generator(self, kind: str, name: str) -> np.random.Generator:
        """The generator of element `name` of `kind` (e.g. 'hazard', 'CPC storm')."""
        key = (kind, name)
        gen = self._gens.get(key)
        if gen is None:
            seq = np.random.SeedSequence(
                self.root.entropy, spawn_key=(*self.root.spawn_key, *stable_key(kind, name))
            )
            gen = np.random.default_rng(seq)
            self._gens[key] = gen
        return gen

    def uniform(self, kind: str, name: str) -> float:
        """Next uniform draw in [0, 1) from the named stream.

        Drawn BLOCK at a time: `Generator.random(n)` yields the same numbers as n calls of
        `random()`, so the sequence is unchanged; only the per-call overhead goes. Do not mix with
        direct draws from `generator(kind, name)` (those would skip the buffered numbers).
        """
        key = (kind, name)
        block = self._blocks.get(key)
        if block is None or block[1] == BLOCK:
            block = self._blocks[key] = [self.generator(kind, name).random(BLOCK).tolist(), 0]
        block[1] += 1
        return block[0][block[1] - 1]

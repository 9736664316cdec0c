"""Every seed of the simulator, derived in one place from a root seed (numpy SeedSequence).

    replication_seeds(root, n)   n run seeds: SeedSequence(root).spawn(n), as ints (ensembles,
                                 compare replications, the workbench)
    run_seed(root, i)            the i-th of those, computed alone (sweep runs; with common random
                                 numbers `i` is the replication, so every design point shares them)
    design_rng(root)             the sweep design's own random stream (spawn_key DESIGN_KEY)
    design_seed(root)            an int seed from that stream (SALib's Sobol' sampler)
    draw_rng(root)               the stream choosing posterior draws for replications (DRAW_KEY)
    stream_rng(root, stream)     calibration streams: SeedSequence([root, stream])

Run streams use spawn keys 0..n-1, the design 2**63 and the draw choice 2**63 + 1, so no two
purposes share a stream. `check_seed` is the one check of the seed range (0..2**63 - 1).
"""

from __future__ import annotations

import numpy as np

from sim.errors import InputError

SEED_MAX = 2**63 - 1
"""Largest seed (seeds are non-negative 64-bit integers)."""
DESIGN_KEY = 2**63
"""spawn_key of the sweep design's random stream (run streams use keys 0..n_runs-1)."""
DRAW_KEY = 2**63 + 1
"""spawn_key of the posterior draw-choice stream."""


def check_seed(seed: object, field: str = "seed") -> int:
    """`seed` as an int; InputError naming `field` unless it is an integer in 0..SEED_MAX."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) <= SEED_MAX:
        raise InputError(f"expected an integer in 0 .. 2**63-1, got {seed}", field=field)
    return int(seed)


def run_seed(root: int, index: int) -> int:
    """`SeedSequence(root).spawn(n)[index]` as an int (equal to `replication_seeds(root, n)[index]`)."""
    return int(np.random.SeedSequence(root, spawn_key=(index,)).generate_state(1)[0])


def replication_seeds(root: int, n: int) -> list[int]:
    """n independent per-replication seeds spawned from one root (SeedSequence)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(root).spawn(n)]


def design_rng(root: int) -> np.random.Generator:
    """The random generator of a sweep design (independent of every run's stream)."""
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(DESIGN_KEY,)))


def design_seed(root: int) -> int:
    """An int seed from the design's stream (for samplers that take an int)."""
    return int(np.random.SeedSequence(root, spawn_key=(DESIGN_KEY,)).generate_state(1)[0])


def draw_rng(root: int) -> np.random.Generator:
    """The random generator that assigns posterior draws to replication groups."""
    return np.random.default_rng(np.random.SeedSequence(int(root), spawn_key=(DRAW_KEY,)))


def stream_rng(root: int, stream: int) -> np.random.Generator:
    """Calibration stream `stream` of `root`: SeedSequence([root, stream])."""
    return np.random.default_rng(np.random.SeedSequence([root, stream]))


__all__ = [
    "DESIGN_KEY",
    "DRAW_KEY",
    "SEED_MAX",
    "check_seed",
    "design_rng",
    "design_seed",
    "draw_rng",
    "replication_seeds",
    "run_seed",
    "stream_rng",
]

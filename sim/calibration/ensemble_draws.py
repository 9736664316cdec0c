"""Posterior draws for ensembles: `mvsim run --posterior-draw K`, `mvsim compare --posterior`,
sweeps with `posterior: true`.

A posterior file (calibration/posterior.parquet, written by `mvsim calibrate --posterior`) has
one row per draw: `draw`, `weight` and one column per parameter path (`trade_elasticity`,
`route_risk_premium_usd_per_unit.CPC`, ...). `PosteriorDraws` reads it; `draw(k)` is draw k for
the run path (`sim.runs.job.run_job(..., draw=)`, which sets its values into the scenario's
`Parameters` through `sim.scenario.overrides.draw_parameters`), `parameters(base, k)` the same
values set into given parameters.

Replications -> draws (`assign_draws`). Replications come in groups of `SEEDS_PER_DRAW`
consecutive replications that share one draw (each with its own seed, `sim.seeds`), so
the spread of an outcome splits into a parameter part (between draws) and a stochastic part
(within a draw; `variance_split`). The groups' draws are chosen by systematic resampling on the
weights (the file's `weight` column, honoured whatever it is) from a random stream of their own,
`sim.seeds.draw_rng(root)`: a function of the root seed and the number of
groups only, so it does not depend on the worker count, and with uniform weights and fewer groups
than draws every group gets a different draw. Both sides of a comparison, and every design point
of a sweep, use the same draw and seed for a replication (paired).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.errors import InputError
from sim.scenario.overrides import draw_parameters
from sim.seeds import DRAW_KEY, draw_rng

if TYPE_CHECKING:
    import pandas as pd

    from sim.params import Parameters
    from sim.runs.job import Draw

SEEDS_PER_DRAW = 2
"""Consecutive replications that share a posterior draw (with different seeds)."""
HINT = "run `mvsim calibrate --posterior` first"


def default_posterior_path() -> Path:
    """calibration/posterior.parquet, next to params.yaml."""
    from sim.paths import DEFAULT_POSTERIOR

    return DEFAULT_POSTERIOR


@dataclass(frozen=True, eq=False)
class PosteriorDraws:
    """The draws of a posterior file: names (parameter paths), values (n, d), normalised weights."""

    path: Path
    names: tuple[str, ...]
    ids: np.ndarray  # the `draw` column (n,)
    values: np.ndarray  # (n, d)
    weights: np.ndarray  # (n,), sum 1
    digest: str  # sha256 of the file: identity for sweep fingerprints

    @property
    def n(self) -> int:
        return len(self.ids)

    def row(self, k: int) -> int:
        """Row of draw index k (the `draw` column); InputError if there is no such draw."""
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise InputError(f"expected a draw index >= 0, got {k!r}", field="--posterior-draw")
        hit = np.flatnonzero(self.ids == int(k))
        if not len(hit):
            raise InputError(
                f"no draw {k} in {self.path}; expected a draw index in "
                f"{int(self.ids.min())}..{int(self.ids.max())}",
                field="--posterior-draw",
            )
        return int(hit[0])

    def values_of(self, k: int) -> dict[str, float]:
        """{parameter path: value} of draw index k."""
        r = self.row(k)
        return {n: float(v) for n, v in zip(self.names, self.values[r], strict=True)}

    def parameters(self, base: Parameters, k: int, routes: Collection[str] | None = None) -> Parameters:
        """`base` with draw k's values set (validated). With `routes` (the scenario's route names),
        route-keyed values of other routes (a risk premium of a route the scenario lacks) are left out."""
        from sim.runs.job import is_scenario_input

        values = {n: v for n, v in self.values_of(k).items() if not is_scenario_input(n)}
        return draw_parameters(base, values, routes)

    def draw(self, k: int) -> Draw:
        """Draw index k for the run path (`sim.runs.job.run_job(..., draw=)`)."""
        from sim.runs.job import Draw

        return Draw(int(k), self.values_of(k))

    def differing(self, a: Parameters, b: Parameters) -> list[str]:
        """Posterior parameters whose values differ between two scenarios' parameters (the draw
        replaces them on both sides, so a scenario that sets one loses that setting)."""
        return [n for n in self.names if _get(a, n) != _get(b, n)]


def _get(params: Parameters, path: str) -> object:
    head, _, key = path.partition(".")
    v = getattr(params, head, None)
    return v.get(key) if key and isinstance(v, dict) else v


def load_draws(path: str | os.PathLike[str] | bool | None = None) -> PosteriorDraws:
    """Read a posterior file (None or True: the default calibration/posterior.parquet). A missing
    or unreadable file, or one without `draw`/`weight` columns or with bad weights, raises InputError."""
    import pyarrow.parquet as pq

    if path is False:
        raise ValueError("load_draws(False): no posterior was asked for")
    p = default_posterior_path() if path is None or path is True else Path(path)
    if not p.is_file():
        what = "no posterior file" if not p.exists() else "not a regular file"
        raise InputError(f"{what} at {p}; {HINT}", field="--posterior")
    try:
        table = pq.read_table(p)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the posterior file {p}: {exc}; {HINT}", field="--posterior") from None
    cols = table.column_names
    missing = [c for c in ("draw", "weight") if c not in cols]
    names = [c for c in cols if c not in ("draw", "weight")]
    if missing or not names or table.num_rows == 0:
        raise InputError(
            f"{p}: expected columns draw, weight and one per parameter with at least one row "
            f"(missing: {', '.join(missing) or 'parameters or rows'}); {HINT}",
            field="--posterior",
        )
    ids = table["draw"].to_numpy().astype(np.int64)
    weights = table["weight"].to_numpy().astype(np.float64)
    values = np.column_stack([table[c].to_numpy().astype(np.float64) for c in names])
    if len(np.unique(ids)) != len(ids):
        raise InputError(f"{p}: the `draw` column has repeated indices", field="--posterior")
    if not (np.all(np.isfinite(weights)) and np.all(weights >= 0) and weights.sum() > 0):
        raise InputError(
            f"{p}: expected finite non-negative weights with a positive sum", field="--posterior"
        )
    if not np.all(np.isfinite(values)):
        raise InputError(f"{p}: a parameter value is not finite", field="--posterior")
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    return PosteriorDraws(p, tuple(names), ids, values, weights / weights.sum(), digest)


def assign_draws(
    draws: PosteriorDraws, root_seed: int, replications: int, seeds_per_draw: int = SEEDS_PER_DRAW
) -> list[int]:
    """Draw index (the `draw` column) of each of `replications` replications: replication r is in
    group r // seeds_per_draw; the groups' draws are a systematic resample of the weights.
    A seeds_per_draw that is not a positive integer raises InputError."""
    if isinstance(seeds_per_draw, bool) or int(seeds_per_draw) < 1:
        raise InputError(f"expected a positive integer, got {seeds_per_draw!r}", field="seeds_per_draw")
    seeds_per_draw = int(seeds_per_draw)
    if replications < 1:
        return []
    groups = -(-replications // seeds_per_draw)
    rng = draw_rng(root_seed)
    u = (rng.random() + np.arange(groups)) / groups
    cdf = np.cumsum(draws.weights)
    cdf[-1] = 1.0
    rows = np.searchsorted(cdf, u, side="right")
    rows = np.minimum(rows, draws.n - 1)
    rows = rng.permutation(rows)  # no order by draw index across the groups
    return [int(draws.ids[rows[r // seeds_per_draw]]) for r in range(replications)]


def groups_of(replications: int, seeds_per_draw: int = SEEDS_PER_DRAW) -> np.ndarray:
    """Draw group of each replication."""
    return np.arange(replications) // seeds_per_draw


def variance_split(values: pd.DataFrame | np.ndarray, groups: Sequence[int] | np.ndarray) -> dict[str, float]:
    """Split the variance of a per-replication value (1-d) into a parameter part (between draw
    groups) and a stochastic part (within groups): one-way random-effects ANOVA,
    var_param = max(0, (MSB - MSW) / n0), var_stoch = MSW. Shares are NaN when the total is 0 or
    there are fewer than 2 groups or no group with 2 replications."""
    x = np.asarray(values, dtype=np.float64).ravel()
    g = np.asarray(groups)
    labels, inv = np.unique(g, return_inverse=True)
    k, n = len(labels), len(x)
    nan = {"var_total": float(np.var(x, ddof=1)) if n > 1 else np.nan}
    nan |= {"var_param": np.nan, "var_stoch": np.nan, "share_param": np.nan}
    sizes = np.bincount(inv, minlength=k)
    if k < 2 or n - k < 1:
        return nan
    means = np.bincount(inv, weights=x, minlength=k) / sizes
    grand = x.mean()
    ssb = float((sizes * (means - grand) ** 2).sum())
    ssw = float(((x - means[inv]) ** 2).sum())
    msb, msw = ssb / (k - 1), ssw / (n - k)
    n0 = (n - (sizes**2).sum() / n) / (k - 1)
    var_p = max(0.0, (msb - msw) / n0)
    tot = var_p + msw
    share = var_p / tot if tot > 0 else np.nan
    return {"var_total": nan["var_total"], "var_param": var_p, "var_stoch": msw, "share_param": share}


__all__ = [
    "DRAW_KEY",
    "SEEDS_PER_DRAW",
    "PosteriorDraws",
    "assign_draws",
    "default_posterior_path",
    "groups_of",
    "load_draws",
    "variance_split",
]

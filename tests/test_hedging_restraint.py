"""Why a hedger ends closer to Russia than a non-hedger (issue 18, docs/validation.md, "Why
alignment with Russia rises with the weight"): a hedger values a lower chance of coercion, so it
provokes Russia less (fewer grain transit tariffs), Russia halts the CPC less often, Kazakhstan
loses less export income on Russian-controlled routes, and that lost income (the gain force)
pushes it away from Russia less. Insurance works; it is not alignment bought by appeasement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.api import load_loaded, simulate, with_overrides
from sim.core.recorder import ALIGNMENT_FORCES
from sim.scenario.compile import build_world
from sim.validation.hedging_worked import summary

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
SEEDS = (41, 42, 43)  # not among the seeds of the worked run (1-10, 21-30)


def _run(hedging: float, seed: int) -> dict[str, float]:
    """The worked run's figures (sim.validation.hedging_worked.summary) of one baseline run."""
    loaded = with_overrides(load_loaded(BASELINE), {"actors[Kazakhstan].hedging_weight": hedging})
    out = simulate(build_world(loaded.spec, loaded.baseline_flows), seed, record_flows=False)
    return {**summary(out), "start_Russia": float(out.alignment[0, out.actors.index("Kazakhstan"), 0])}


@pytest.fixture(scope="module")
def runs() -> dict[float, pd.DataFrame]:
    return {h: pd.DataFrame([_run(h, s) for s in SEEDS]) for h in (0.0, 2.0)}


def test_a_hedger_provokes_less_and_is_coerced_less(runs):
    """Measured 2026-12-05 (seeds 1-10 and 21-30, hedging 0 -> 2): grain tariffs 7.7 -> 2.4 and
    7.7 -> 1.3 per run, CPC halts 9.0 -> 4.7 and 8.7 -> 3.6, lost exports 3.57 -> 2.02 and 3.41 ->
    1.67 USD bn/yr. Per-seed s.d. of the halts about 2, so three seeds' totals differ by ~4 s.d."""
    none, hedger = runs[0.0], runs[2.0]
    assert hedger.kazakh_grain_tariffs.sum() < none.kazakh_grain_tariffs.sum() - 6  # fewer provocations
    assert hedger.russia_cpc_halts.sum() < none.russia_cpc_halts.sum() - 6  # fewer CPC halts
    assert hedger.lost_exports_usd_bn.mean() < none.lost_exports_usd_bn.mean() - 0.5  # USD bn/yr


def test_less_coercion_leaves_the_hedger_closer_to_russia(runs):
    """The direction the sweep shows (0.216 -> 0.267 at the end on seeds 1-10): with fewer halts,
    fewer pushes away from Russia. If this fails while the test above holds, the explanation in
    docs/validation.md no longer holds either."""
    assert runs[2.0].alignment_Russia_end.mean() > runs[0.0].alignment_Russia_end.mean()


def test_the_relative_forces_add_up_to_the_log_change_of_the_russia_share(runs):
    """The decomposition's premise: under the exponentiated step, sum_t (f_R - sum_q a_q f_q) is
    ln(a_R,end / a_R,start) to first order (the neglected term is the variance of f over the
    poles, per month; on seed 1 the two read -0.594 and -0.616)."""
    terms = [f"force_{t}" for t in ALIGNMENT_FORCES]
    for frame in runs.values():
        total = frame[terms].sum(axis=1).to_numpy()
        log_change = np.log(frame.alignment_Russia_end / frame.start_Russia).to_numpy()
        np.testing.assert_allclose(total, log_change, atol=0.06)
        assert not np.allclose(total, 0.0)  # the forces do move the share

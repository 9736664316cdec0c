"""Golden regression: the fixed-seed baseline reproduces the stored figures.

Refresh with `python tests/golden.py --refresh` (see tests/golden.py).
"""

import json

import pytest
from golden import GOLDEN, compute

RTOL, ATOL = 1e-6, 1e-9


def test_baseline_matches_golden_figures():
    stored = json.loads(GOLDEN.read_text())
    now = compute()
    assert sorted(now) == sorted(stored), "figure names changed: refresh the golden file"
    moved = {k: (stored[k], now[k]) for k in stored if now[k] != pytest.approx(stored[k], rel=RTOL, abs=ATOL)}
    assert not moved, f"{len(moved)} golden figures moved (stored, now): {dict(list(moved.items())[:10])}"

"""Helpers of the robustness tests: run the CLI in-process with a time limit and check the outcome.

`cli(argv)` runs `sim.cli.main(argv)` and returns (exit code, stdout, stderr); it fails the
test if the command takes longer than `seconds` (SIGALRM) instead of hanging the suite.
`assert_clean_error(...)` checks the contract for bad input: exit code 2, no traceback, every
line of stderr an `error: <file>: ...` message (or its continuation).
"""

from __future__ import annotations

import contextlib
import io
import math
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from sim.cli import main


class Hang(Exception):
    """A command ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `Hang` in the main thread if the block runs longer than `seconds`."""

    def _alarm(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def cli(argv: list[str], seconds: float = 60) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `mvsim ARGV` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with time_limit(seconds), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code) if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_clean_error(code: int, err: str, mentions: str | None = None) -> None:
    """Exit code 2, no traceback, an `error:` line (containing `mentions` if given)."""
    assert "Traceback" not in err, err
    assert code == 2, f"exit code {code}, stderr:\n{err}"
    # an info line (e.g. the sweep's run count) may come first; then the error
    assert any(line.startswith(("error: ", "usage: ")) for line in err.splitlines()), err
    if mentions is not None:
        assert mentions in err, f"{mentions!r} not in:\n{err}"


def assert_valid_or_clean(code: int, err: str) -> None:
    """Either a valid run (0) or a clean input error (2); never a traceback or internal error."""
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert code in (0, 2), f"exit code {code}, stderr:\n{err}"
    if code == 2:
        assert err.startswith("error: "), err


# columns documented in docs/tables.md as "May contain NaN" (not applicable), per table
NAN_ALLOWED = {
    "routes": {"utilisation"},
    "decisions": {"support"},
    "run_month": {"leakage_share", "leakage_share_all_blocked"},
}


def non_finite_cells(run_dir: Path) -> int:
    """Infinite cells anywhere plus NaN cells outside the documented not-applicable columns."""
    return sum(non_finite_in_table(f.stem, pd.read_parquet(f)) for f in run_dir.glob("*.parquet"))


def non_finite_in_table(name: str, df: pd.DataFrame) -> int:
    """Non-finite cells of one result table (see `non_finite_cells`)."""
    num = df.select_dtypes(include=[np.floating])
    if num.empty:
        return 0
    values = num.to_numpy(dtype=float)
    bad = np.isinf(values)
    allowed = [c in NAN_ALLOWED.get(name, set()) for c in num.columns]
    bad |= np.isnan(values) & ~np.asarray(allowed, dtype=bool)[None, :]
    return int(bad.sum())


def is_finite(x: float) -> bool:
    return math.isfinite(float(x))

"""Close matches for a mistyped name: "did you mean 'Kazakhstan'?" in any message that
rejects an actor, route, good, key or option name (scenario validation, `mvsim explain`, ...)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6  # difflib similarity ratio a close match needs (0-1)
MIN_PREFIX = 3  # a value at least this long that begins a known name also matches


def close_match(value: object, known: Iterable[object]) -> str | None:
    """The known name closest to `value` (difflib ratio >= `CUTOFF`; else the first known name
    that `value` begins, for a value of at least `MIN_PREFIX` characters), or None."""
    text = str(value)
    names = [str(k) for k in known]
    close = difflib.get_close_matches(text, names, n=1, cutoff=CUTOFF)
    if close:
        return close[0]
    if len(text) >= MIN_PREFIX:
        return next((k for k in names if k.startswith(text)), None)
    return None


def did_you_mean(value: object, known: Iterable[object]) -> str:
    """`` (did you mean 'X'?)`` for the close match of `value`, or an empty string."""
    match = close_match(value, known)
    return f" (did you mean {match!r}?)" if match is not None else ""


__all__ = ["CUTOFF", "MIN_PREFIX", "close_match", "did_you_mean"]

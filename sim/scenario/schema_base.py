"""Building blocks of the scenario schema: the strict base model, months and source-dating fields.

Shared by sim.scenario.schema (the scenario file) and sim.scenario.schema_actions (its actions).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SHARE_TOLERANCE = 1e-6


class Strict(BaseModel):
    """Base: unknown keys are errors; instances are immutable; NaN and infinity are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def month_index(month: str) -> int:
    """Months since year 0 for a 'YYYY-MM' string (for ordering and offsets)."""
    m = MONTH_RE.match(month)
    if m is None:
        raise ValueError(f"expected a month as 'YYYY-MM', got {month!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _check_month(value: object) -> str:
    """Accept 'YYYY-MM' (YAML may give a date for '2022-01-01'; we refuse it)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a month as a 'YYYY-MM' string, got {value!r}")
    month_index(value)
    return value


Month = Annotated[str, Field(description="Calendar month 'YYYY-MM'")]

AS_OF_DOC = (
    "Month 'YYYY-MM' in which the source of this input was published (what was known when). A "
    "scenario that claims a knowledge cut-off (the baseline: end of 2022) uses only inputs with "
    "as_of up to that month (tests/test_baseline_as_of.py)."
)
COVERS_DOC = (
    "Period the figure measures ('YYYY' or 'YYYY-MM'), when it differs from as_of: e.g. a full-year "
    "2022 statistic published in 2023-01 covers '2022'."
)


def _check_optional_month(value: object) -> str | None:
    return None if value is None else _check_month(value)


def _check_covers(value: object) -> str | None:
    """'YYYY' or 'YYYY-MM' (YAML may give an int for a year)."""
    if value is None:
        return None
    text = str(value)
    if re.fullmatch(r"\d{4}", text):
        return text
    return _check_month(text)

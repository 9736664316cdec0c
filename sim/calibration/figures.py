"""Calibration targets: calibration/figures.csv loaded and checked for provenance.

Every row is a figure with its source: an article file name in shared/seeds with
the quoted sentence, or a publication with its URL. `role` says how it is used:
`target` (fitted: needs a metric and a tolerance), `check` (compared, not
fitted) or `context` (recorded for provenance, not used by the model).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

from sim.errors import Problem, ScenarioError

COLUMNS = (
    "id",
    "indicator",
    "actor",
    "partner",
    "period",
    "value",
    "unit",
    "tolerance",
    "role",
    "metric",
    "source_kind",
    "source",
    "quote_or_note",
    "conflict_note",
)
ROLES = ("target", "check", "context")


@dataclass(frozen=True)
class Figure:
    """One published figure. value and tolerance are in `unit`."""

    id: str
    indicator: str
    actor: str
    partner: str
    period: str
    value: float
    unit: str
    tolerance: float | None
    role: str
    metric: str
    source_kind: str
    source: str
    quote_or_note: str
    conflict_note: str

    @property
    def fitted(self) -> bool:
        return self.role == "target"

    @property
    def target_tolerance(self) -> float:
        """The tolerance of a compared figure (in `unit`); load_figures requires one of every target."""
        if self.tolerance is None:
            raise ValueError(f"figure {self.id} has no tolerance")
        return self.tolerance


def load_figures(path: str | os.PathLike[str], known_metrics: set[str] | None = None) -> list[Figure]:
    """Read and check figures.csv; every problem is reported with its line and column.

    Raises ScenarioError (exit code 2 in the CLI) for: missing columns, a figure
    without a source, a non-numeric value, a target without a positive tolerance
    or without a metric, an unknown role or metric, duplicate ids.
    """
    path = Path(path)
    display = os.path.normpath(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(display, "", f"cannot read the figures file: {exc.strerror or exc}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ScenarioError(display, "header", f"missing columns {missing}; expected {list(COLUMNS)}")
    problems: list[Problem] = []
    figures: list[Figure] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):

        def bad(col: str, msg: str, line: int = line) -> None:
            problems.append(Problem(display, f"line {line}, column {col}", msg))

        fid = (row.get("id") or "").strip()
        if not fid:
            bad("id", "expected a figure id")
            continue
        if fid in seen:
            bad("id", f"duplicate id {fid!r} (also on line {seen[fid]})")
        seen[fid] = line
        if not (row.get("source") or "").strip():
            bad(
                "source",
                f"figure {fid!r} has no source; expected an article file name with the quoted sentence, "
                "or a publication and URL",
            )
        role = (row.get("role") or "").strip()
        if role not in ROLES:
            bad("role", f"expected one of {list(ROLES)}, got {role!r}")
        try:
            value = float(row["value"])
            if not math.isfinite(value):
                raise ValueError
        except (TypeError, ValueError):
            bad("value", f"expected a number, got {row.get('value')!r}")
            continue
        tol_text = (row.get("tolerance") or "").strip()
        tolerance = None
        if tol_text:
            try:
                tolerance = float(tol_text)
            except ValueError:
                bad("tolerance", f"expected a number, got {tol_text!r}")
                continue
        metric = (row.get("metric") or "").strip()
        if role in ("target", "check"):
            if tolerance is None or tolerance <= 0:
                bad("tolerance", f"a {role} needs a positive tolerance (in {row.get('unit')})")
            if not metric:
                bad("metric", f"a {role} needs a metric (the model quantity it is compared with)")
            elif known_metrics is not None and metric.split(":")[0] not in known_metrics:
                bad("metric", f"unknown metric {metric!r}; known metrics: {', '.join(sorted(known_metrics))}")
        figures.append(
            Figure(
                id=fid,
                indicator=row["indicator"].strip(),
                actor=row["actor"].strip(),
                partner=row["partner"].strip(),
                period=row["period"].strip(),
                value=value,
                unit=row["unit"].strip(),
                tolerance=tolerance,
                role=role,
                metric=metric,
                source_kind=row["source_kind"].strip(),
                source=row["source"].strip(),
                quote_or_note=row["quote_or_note"].strip(),
                conflict_note=(row.get("conflict_note") or "").strip(),
            )
        )
    if problems:
        raise ScenarioError(problems=problems)
    return figures

"""Read the time-path CSV of a scenario (`paths.file`) into `PathRow` mappings.

Columns: series (real_gdp_growth | price | volume), name, year, value, unit,
source, and optionally as_of (the month 'YYYY-MM' the source was published).
Every row must carry a source (the projections public at the time, a
producer's plan, or "assumption: why"). Problems are collected and reported
together, each with its line number; the file's content is never echoed beyond
the offending cell.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from sim.scenario.schema import PATH_SERIES, PathRow

PATH_COLUMNS = ("series", "name", "year", "value", "unit", "source")
OPTIONAL_COLUMNS = ("as_of",)
_HEADER = ", ".join(PATH_COLUMNS)
MAX_PROBLEMS = 25


def _range(field: str) -> tuple[float, float]:
    """The (ge, le) bounds of a `PathRow` field: the file's numbers are checked like inline rows'."""
    low, high = -math.inf, math.inf
    for meta in PathRow.model_fields[field].metadata:
        low = float(getattr(meta, "ge", low))
        high = float(getattr(meta, "le", high))
    return low, high


YEAR_RANGE = _range("year")  # 1900 .. 2200
VALUE_RANGE = _range("value")  # -100 .. 1e7: growth in % per year, a price or a volume


def _number(text: str, kind: type[int] | type[float]) -> float | None:
    """`text` as a finite number of `kind`, or None."""
    try:
        value = kind(text)
        return value if math.isfinite(value) else None
    except (ValueError, OverflowError):  # not a number; an integer too large for a float
        return None


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def parse_paths_csv(raw: bytes, lines: list[int] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """(rows, problems) from the bytes of a paths CSV; rows are PathRow mappings.

    With `lines`, the line number of each row returned is appended to it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"not UTF-8 text (byte {exc.start}); expected a CSV with columns {_HEADER}"]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        body = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        return [], [f"line {reader.line_num}: malformed CSV ({exc})"]
    missing = [c for c in PATH_COLUMNS if c not in header]
    if missing:
        return [], [f"missing column(s) {', '.join(missing)}; expected a header with {_HEADER}"]
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for line, cells in body:
        if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if len(cells) != len(header):
            problems.append(f"line {line}: expected {len(header)} fields, got {len(cells)}")
            continue
        rec = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        if rec["series"] not in PATH_SERIES:
            problems.append(f"line {line}: series: expected one of {', '.join(PATH_SERIES)}")
            continue
        year, value = _number(rec["year"], int), _number(rec["value"], float)
        bad = [
            f"line {line}: {col}: expected {what} between {low:g} and {high:g}, got {_short(rec[col])}"
            for col, got, what, (low, high) in (
                ("year", year, "an integer year", YEAR_RANGE),
                ("value", value, "a finite number", VALUE_RANGE),
            )
            if got is None or not low <= got <= high
        ]
        if bad or year is None or value is None:
            problems.extend(bad)
            continue
        if not rec["source"]:
            problems.append(f"line {line}: source: expected the source of the figure (or 'assumption: why')")
            continue
        row: dict[str, Any] = {
            "series": rec["series"],
            "name": rec["name"],
            "year": year,
            "value": value,
            "unit": rec["unit"],
            "source": rec["source"],
        }
        if rec.get("as_of"):
            row["as_of"] = rec["as_of"]  # checked as a month by PathRow
        if lines is not None:
            lines.append(line)
        rows.append(row)
    if len(problems) > MAX_PROBLEMS:
        problems = [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS} more problem(s)"]
    return rows, problems


def merge_rows(file_rows: list[dict[str, Any]], inline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """File rows, with inline rows replacing rows of the same (series, name, year)."""
    key = lambda r: (r["series"], r["name"], r["year"])  # noqa: E731
    override = {key(r) for r in inline}
    return [r for r in file_rows if key(r) not in override] + list(inline)

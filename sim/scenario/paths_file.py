"""Read the time-path CSV of a scenario (`paths.file`) into `PathRow` mappings.

Columns: series (real_gdp_growth | price | volume), name, year, value, unit,
source, and optionally as_of (the month 'YYYY-MM' the source was published). Every row must carry a source (the projections public at the time, a
producer's plan, or "assumption: why"). Problems are collected and reported
together, each with its line number; the file's content is never echoed beyond
the offending cell.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from sim.scenario.schema import PATH_SERIES

PATH_COLUMNS = ("series", "name", "year", "value", "unit", "source")
OPTIONAL_COLUMNS = ("as_of",)
_HEADER = ", ".join(PATH_COLUMNS)
MAX_PROBLEMS = 25


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
        try:
            year = int(rec["year"])
            value = float(rec["value"])
        except ValueError:
            problems.append(f"line {line}: expected an integer year and a numeric value")
            continue
        if not math.isfinite(value):
            problems.append(f"line {line}: value: expected a finite number")
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

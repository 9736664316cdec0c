"""Data files of a scenario: the trade CSV (`trade.baseline_file`) and the time-path CSV (`paths.file`)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError, format_loc, parse_loc
from sim.scenario.diagnostics import pydantic_problems
from sim.scenario.origins import Origin
from sim.scenario.reading import (
    CSV_SUFFIXES,
    MAX_DATA_BYTES,
    check_suffix,
    display_name,
    read_bytes,
    resolve_data_file,
)
from sim.scenario.references import unknown_name
from sim.scenario.schema import ScenarioSpec

TRADE_COLUMNS = ("exporter", "importer", "good", "value_usd_bn", "source")
MAX_CSV_PROBLEMS = 25
MAX_FLOW_USD_BN = 1e5  # one bilateral flow of one good: world trade is ~25,000 USD bn per year


def load_trade(
    spec: ScenarioSpec, origin: Origin, folders: dict[str, Path]
) -> tuple[Path, np.ndarray, tuple[list[str], list[dict[str, Any]]], bytes]:
    """Read trade.baseline_file into (path, flows[exporter, importer, good], rows, raw bytes)."""
    field = "trade.baseline_file"
    declaring = origin.file_at(("trade", "baseline_file"))
    path = resolve_data_file(declaring, spec.trade.baseline_file, folders)
    display = display_name(path)
    columns = ", ".join(TRADE_COLUMNS)
    what = f"a CSV with columns {columns}"
    check_suffix(path, CSV_SUFFIXES, "a trade CSV file", declaring, field)
    raw = read_bytes(path, display, what, file=declaring, field=field, limit=MAX_DATA_BYTES)

    def fail(message: str) -> ScenarioError:
        return ScenarioError(declaring, field, f"{display}: {message}")

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text (byte {exc.start}); expected {what}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        raw_rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise fail(f"line {reader.line_num}: malformed CSV ({exc})") from None
    if not header:
        raise fail(f"the file is empty; expected {what}")
    missing = [c for c in TRADE_COLUMNS if c not in header]
    if missing:
        raise fail(
            f"missing column(s) {', '.join(missing)}; expected header with {columns}, got {', '.join(header)}"
        )
    if len(set(header)) != len(header):
        raise fail(f"duplicate column names in header: {', '.join(header)}")

    actors = [a.name for a in spec.actors]
    goods = [g.name for g in spec.goods]
    a_idx = {n: i for i, n in enumerate(actors)}
    g_idx = {n: i for i, n in enumerate(goods)}
    flows = np.zeros((len(actors), len(actors), len(goods)), dtype=np.float64)
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    problems: list[str] = []
    for line, row in raw_rows:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                f"line {line}: expected {len(header)} fields ({', '.join(header)}), got {len(row)}"
            )
            continue
        rec: dict[str, Any] = {h: cell.strip() for h, cell in zip(header, row, strict=True)}
        bad = False
        for col, known, label in (
            ("exporter", actors, "actor"),
            ("importer", actors, "actor"),
            ("good", goods, "good"),
        ):
            if rec[col] not in (a_idx if label == "actor" else g_idx):
                problems.append(f"line {line}: {col}: {unknown_name(label, rec[col], known)}")
                bad = True
        if rec["exporter"] == rec["importer"]:
            problems.append(
                f"line {line}: exporter and importer are both {rec['exporter']!r}; expected a bilateral flow"
            )
            bad = True
        try:
            value = float(rec["value_usd_bn"])
        except ValueError:
            problems.append(
                f"line {line}: value_usd_bn: expected a number (USD bn per year), got {rec['value_usd_bn']!r}"
            )
            continue
        if not math.isfinite(value) or value < 0:
            problems.append(
                f"line {line}: value_usd_bn: expected a finite number >= 0 (USD bn per year), got {value}"
            )
            bad = True
        elif value > MAX_FLOW_USD_BN:
            problems.append(
                f"line {line}: value_usd_bn: expected at most {MAX_FLOW_USD_BN:,.0f} (USD bn per year, "
                f"above world trade), got {value:g}"
            )
            bad = True
        key = (rec["exporter"], rec["importer"], rec["good"])
        if key in seen:
            problems.append(
                f"line {line}: duplicate flow {key[0]} -> {key[1]} of {key[2]} (first at line {seen[key]}); "
                "expected one row per exporter, importer and good"
            )
            bad = True
        else:
            seen[key] = line
        if bad:
            continue
        rec["value_usd_bn"] = value
        flows[a_idx[key[0]], a_idx[key[1]], g_idx[key[2]]] = value
        records.append(rec)
    if problems:
        extra = len(problems) - MAX_CSV_PROBLEMS
        shown = problems[:MAX_CSV_PROBLEMS] + ([f"... and {extra} more problem(s)"] if extra > 0 else [])
        raise ScenarioError(problems=[Problem(declaring, field, f"{display}: {p}") for p in shown])
    if not records:
        raise fail(f"no data rows; expected {what}, one row per nonzero flow")
    flows.setflags(write=False)
    return path, flows, (header, records), raw


def load_paths(
    spec: ScenarioSpec,
    origin: Origin,
    sources: list[Path],
    data_files: list[tuple[str, bytes]],
    folders: dict[str, Path],
) -> ScenarioSpec:
    """Read `paths.file` (time-path CSV) into `paths.series`, re-validating the references."""
    from sim.scenario.paths_file import merge_rows, parse_paths_csv

    if spec.paths is None or spec.paths.file is None:
        return spec
    field = "paths.file"
    declaring = origin.file_at(("paths", "file"))
    path = resolve_data_file(declaring, spec.paths.file, folders)
    display = display_name(path)
    what = "a CSV with columns series, name, year, value, unit, source"
    check_suffix(path, CSV_SUFFIXES, "a time-path CSV file", declaring, field)
    raw = read_bytes(path, display, what, declaring, field, limit=MAX_DATA_BYTES)
    lines: list[int] = []
    rows, problems = parse_paths_csv(raw, lines)
    if problems:
        raise ScenarioError(problems=[Problem(declaring, field, f"{display}: {p}") for p in problems])
    sources.append(path)
    data_files.append((field, raw))
    inline = [r.model_dump() for r in spec.paths.series]
    merged = spec.model_dump()
    merged["paths"]["series"] = merge_rows(rows, inline)
    # merge_rows keeps the file's rows not overridden inline, then the inline rows
    overridden = {(r["series"], r["name"], r["year"]) for r in inline}
    row_lines = [
        n for r, n in zip(rows, lines, strict=True) if (r["series"], r["name"], r["year"]) not in overridden
    ]
    try:
        return ScenarioSpec.model_validate(merged)
    except ValidationError as exc:
        out = []
        for p in pydantic_problems(exc, Origin("")):
            loc = parse_loc(p.field) or ()
            if loc[:2] == ("paths", "series") and len(loc) > 2 and isinstance(loc[2], int):
                k, rest = loc[2], loc[3:]
                if k >= len(row_lines):  # an inline row: where the user wrote it
                    file, local = origin.at(("paths", "series", k - len(row_lines), *rest))
                    out.append(Problem(file, format_loc(local), p.message))
                    continue
                inner = f"{format_loc(rest)}: " if rest else ""
                out.append(Problem(declaring, field, f"{display}: line {row_lines[k]}: {inner}{p.message}"))
                continue
            out.append(Problem(declaring, field, f"{display}: {p.field}: {p.message}"))
        raise ScenarioError(problems=out) from None

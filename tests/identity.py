"""Bit-identity check of whole runs: a SHA-256 per table of the shipped scenario runs.

A refactoring that must not change results (the renovation, a speed-up) is checked by saving the
hashes before and comparing after:

    python tests/identity.py --save /tmp/before.json     # on the old tree
    python tests/identity.py --check /tmp/before.json    # on the new tree: exit 1 on any difference

Each table of `sim.api.run` (every column, every row, in order) is hashed from its Parquet-free
byte form (column names, dtypes and values), so a change in the last bit of one float shows. The
golden regression (tests/golden.py) pins about 200 figures with tolerances; this pins everything,
for the cases below, on this machine (hashes are not portable across BLAS builds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CASES: tuple[tuple[str, int], ...] = (
    ("baseline.yaml", 1),
    ("01b_cpc_halt_6m.yaml", 1),
    ("02_us_secondary_sanctions.yaml", 3),
    ("03_middle_corridor_10mt.yaml", 1),
    ("04_gas_union.yaml", 2),
    ("07_russian_pressure_demarche.yaml", 1),
    ("backtest_2022.yaml", 5),
)


def table_hash(df) -> str:
    """SHA-256 of a table's column names, dtypes and values, in row order."""
    h = hashlib.sha256()
    for col in df.columns:
        s = df[col]
        h.update(f"{col}:{s.dtype}".encode())
        values = s.to_numpy()
        if values.dtype.kind in "fiub":
            h.update(np.ascontiguousarray(values).tobytes())
        else:
            h.update("\x1f".join(map(str, values.tolist())).encode())
    return h.hexdigest()


def compute() -> dict[str, dict[str, str]]:
    """{"scenario@seed": {table: hash}} for every case."""
    sys.path.insert(0, str(ROOT))
    from sim.api import run

    out: dict[str, dict[str, str]] = {}
    for name, seed in CASES:
        r = run(ROOT / "scenarios" / name, seed=seed)
        out[f"{name}@{seed}"] = {t: table_hash(df) for t, df in sorted(r.tables.items())}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", type=Path, help="write the hashes to this JSON file")
    g.add_argument("--check", type=Path, help="compare with hashes saved earlier; exit 1 on a difference")
    args = ap.parse_args()
    now = compute()
    if args.save:
        args.save.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
        print(f"wrote {args.save}: {sum(len(v) for v in now.values())} tables of {len(now)} runs")
        return 0
    before = json.loads(args.check.read_text())
    bad = [
        f"{case}: {table}"
        for case in sorted(set(before) | set(now))
        for table in sorted(set(before.get(case, {})) | set(now.get(case, {})))
        if before.get(case, {}).get(table) != now.get(case, {}).get(table)
    ]
    for line in bad:
        print("differs:", line)
    n = sum(len(v) for v in now.values())
    print(f"{n - len(bad)} of {n} tables identical" if not bad else f"{len(bad)} table(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Golden regression of the baseline: key annual figures of a fixed-seed run.

Refresh after an intended change of the model or the baseline scenario with

    python tests/golden.py --refresh

and commit tests/data/golden_baseline_seed1.json with a note of why it moved.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "data" / "golden_baseline_seed1.json"
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
SEED = 1
FOCUS = "Kazakhstan"


def golden_metrics(out) -> dict[str, float]:
    """Flat name -> value map: annual means for the focus actor, routes and leakage; action counts."""
    years = np.array([m[:4] for m in out.months])
    i = out.actors.index(FOCUS)
    res: dict[str, float] = {}
    for y in sorted(set(years)):
        sel = years == y
        for k in (
            "exports_usd_bn",
            "imports_usd_bn",
            "reexports_usd_bn",
            "lost_exports_usd_bn",
            "multivector_index",
            "enforcement",
        ):
            res[f"{FOCUS}.{k}.{y}"] = float(out.metrics[k][sel, i].mean())
        for r, name in enumerate(out.routes):
            res[f"route.{name}.{y}"] = float(out.route_volume[sel, r].mean())
        for p, pole in enumerate(out.poles):
            res[f"{FOCUS}.alignment.{pole}.{y}-12"] = float(out.alignment[sel][-1, i, p])
        leak = out.leakage_share[sel]
        res[f"leakage.{y}"] = float(np.nanmean(leak)) if np.isfinite(leak).any() else 0.0
    res["decisions.taken"] = float(
        sum(1 for d in out.decisions if d["chosen"] and d["candidate"] != "status_quo")
    )
    res["actions.total"] = float(len(out.actions))
    return res


def compute() -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from sim.api import load, simulate

    _, world = load(SCENARIO)
    return golden_metrics(simulate(world, seed=SEED))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--refresh", action="store_true", help="rewrite the stored golden file")
    args = ap.parse_args()
    values = compute()
    if args.refresh:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(values, indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN} ({len(values)} figures)")
    else:
        print(json.dumps(values, indent=1, sort_keys=True))

"""`mvsim explain RUN_DIR --actor A --month YYYY-MM`: why did an actor choose what it chose?

Reads the run's `decisions` table and prints every candidate of that round, sorted by
utility, with its choice probability and its terms in USD bn of present value (sovereignty
and cost count against), then a one-line reason: the chosen option's largest contributions.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "explain one decision round of a saved run (candidates, probabilities, terms in USD bn)"

TERMS = ("econ", "security", "alignment", "influence", "punishment", "rivalry", "sovereignty", "cost")
NEGATIVE = ("sovereignty", "cost")  # logged as magnitudes, subtracted in the utility


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", type=Path, help="a run directory written by `mvsim run`")
    p.add_argument("--actor", required=True, help="actor or bloc name, e.g. Kazakhstan")
    p.add_argument(
        "--month", required=True, help="decision month YYYY-MM (the nearest earlier round if none)"
    )


def contributions(row: dict) -> dict[str, float]:
    """Signed contribution of each term to the utility (USD bn PV)."""
    return {t: (-1.0 if t in NEGATIVE else 1.0) * float(row.get(t) or 0.0) for t in TERMS}


def reason(chosen: dict, rows: list[dict]) -> str:
    """One line: what the chosen option's largest contributions were, and the best rejected option."""
    c = contributions(chosen)
    top = sorted(c.items(), key=lambda kv: -abs(kv[1]))[:3]
    parts = (
        ", ".join(f"{k} {v:+.3f}" for k, v in top if abs(v) > 1e-9) or "no term differs from the status quo"
    )
    best = max(rows, key=lambda r: r["utility"])
    tail = ""
    if best is not chosen and best["candidate"] != chosen["candidate"]:
        tail = f"; the best option was {best['candidate']!r} ({best['utility']:+.3f}), not drawn (logit)"
    what = f"chose {chosen['candidate']!r} (p={chosen['probability']:.2f}, U={chosen['utility']:+.3f} USD bn)"
    return f"{what}: {parts}{tail}"


def explain(run_dir: Path, actor: str, month: str) -> str:
    """The explanation text of one decision round (library function behind the command)."""
    import pyarrow.parquet as pq

    from sim.errors import InputError

    path = Path(run_dir) / "decisions.parquet"
    if not path.exists():
        raise InputError(f"{path}: no decisions table (is this a run directory?)", field="run_dir")
    rows = pq.read_table(path).to_pylist()
    mine = [r for r in rows if r["actor"] == actor]
    if not mine:
        from sim.names import did_you_mean

        actors = sorted({r["actor"] for r in rows})
        deciders = ", ".join(actors) or "none"
        raise InputError(
            f"no decisions by {actor!r}{did_you_mean(actor, actors)}; deciders: {deciders}", field="actor"
        )
    months = sorted({str(r["month"]) for r in mine})
    earlier = [m for m in months if m <= month]
    if not earlier:
        raise InputError(f"{actor} first decides in {months[0]}", field="month")
    at = earlier[-1]
    cands = sorted((r for r in mine if str(r["month"]) == at), key=lambda r: -r["utility"])
    chosen = next(r for r in cands if r["chosen"])
    head = f"{actor}, {at}: {len(cands)} candidates (utility, terms: USD bn present value)"
    cols = ("candidate", "p", "utility", *TERMS)
    width = max(len(r["candidate"]) for r in cands) + 2
    lines = [head, f"{cols[0]:<{width}}" + "".join(f" {c:>11}" for c in cols[1:])]
    for r in cands:
        mark = "*" if r["chosen"] else " "
        vals = [r["probability"], r["utility"], *(float(r.get(t) or 0.0) for t in TERMS)]
        lines.append(f"{mark}{r['candidate']:<{width - 1}}" + "".join(f" {v:>11.3f}" for v in vals))
    lines.append("(* chosen; sovereignty and cost are subtracted)")
    lines.append(reason(chosen, cands))
    lines += _rules(Path(run_dir), actor, at, month)
    return "\n".join(lines)


def _rules(run_dir: Path, actor: str, since: str, month: str) -> list[str]:
    """The actor's trigger rules that fired from the round's month to `month` (plans, not decisions:
    no utility, the events table's note says what triggered them)."""
    import pyarrow.parquet as pq

    path = run_dir / "events.parquet"
    if not path.exists():
        return []
    fired = [
        r
        for r in pq.read_table(path).to_pylist()
        if r["kind"] == "rule" and r["actor"] == actor and since <= str(r["month"]) <= month
    ]
    return [f"{r['month']}: rule {r['name']!r} fired (a plan, not a decision): {r['note']}" for r in fired]


def run(args: argparse.Namespace) -> int:
    print(explain(args.run_dir, args.actor, args.month))
    return 0

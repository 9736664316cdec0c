"""Scenario horizon: shorten a scenario so that its run is exactly the first months of the full run."""

from __future__ import annotations

from sim.errors import InputError
from sim.scenario.schema import MONTH_RE, ScenarioSpec


def truncate_spec(spec: ScenarioSpec, end: str) -> ScenarioSpec:
    """The scenario with its horizon ending at `end` ('YYYY-MM', within [start, spec.end]).

    Events after `end` are dropped. Hazards that only become active after `end` are kept
    with rate 0 (they still draw their monthly random number, so the random stream, and
    hence the run, is exactly the first months of the full run). The result is re-validated.
    """
    if not MONTH_RE.match(str(end)):
        raise InputError(f"expected a month as 'YYYY-MM', got {end!r}", field="end")
    if not spec.start <= end <= spec.end:
        raise InputError(
            f"{end} is outside the scenario horizon {spec.start}..{spec.end}; expected a month within it",
            field="end",
        )
    hazards = [
        h
        if h.active_from is None or h.active_from <= end
        else h.model_copy(update={"rate_per_year": 0.0, "active_from": None})
        for h in spec.hazards
    ]
    decisions = spec.decisions
    if decisions.start is not None and decisions.start > end:
        decisions = decisions.model_copy(update={"start": None, "enabled": False})
    data = spec.model_copy(
        update={
            "end": end,
            "events": [e for e in spec.events if e.date <= end],
            "hazards": hazards,
            "decisions": decisions,
        }
    ).model_dump()
    return ScenarioSpec.model_validate(data)


__all__ = ["truncate_spec"]

"""Knowledge cut-off of a scenario: which dated inputs were published after a given month.

A dated input is a scripted event (contracts and enforcement steps included), a route, a
shipment or a time-path row. Each carries `as_of`, the month its source was published. An input
is late if it has no `as_of`, or if `as_of` is after the cut-off, unless it is a figure that
measures the calibration window (`covers` a year up to the cut-off's) published within
`grace_months` after the cut-off (full-year statistics of 2022 appear in the first months of
2023). Hazards and actor traits are not dated inputs (rates and assumptions).
"""

from __future__ import annotations

from sim.scenario import schema as S

GRACE_MONTHS = 6


def _covers_year(covers: str | None) -> int | None:
    return None if covers is None else int(covers[:4])


def late_inputs(spec: S.ScenarioSpec, cutoff: str = "2022-12", grace_months: int = GRACE_MONTHS) -> list[str]:
    """Descriptions of every dated input without `as_of` or published after `cutoff`."""
    cut = S.month_index(cutoff)
    cut_year = int(cutoff[:4])
    problems: list[str] = []

    def check(where: str, as_of: str | None, covers: str | None = None) -> None:
        if as_of is None:
            problems.append(f"{where}: no as_of (the month its source was published)")
            return
        late = S.month_index(as_of) - cut
        if late <= 0:
            return
        cy = _covers_year(covers)
        if cy is not None and cy <= cut_year and late <= grace_months:
            return
        problems.append(f"{where}: as_of {as_of} is after the cut-off {cutoff}")

    for i, e in enumerate(spec.events):
        check(f"events[{i}] ({e.name or e.action.type} {e.date})", e.as_of)
    for r in spec.routes:
        check(f"routes[{r.name}]", r.as_of, r.covers)
    for s in spec.shipments:
        check(f"shipments[{s.name}]", s.as_of, s.covers)
    if spec.paths is not None:
        for row in spec.paths.series:
            check(f"paths[{row.series} {row.name} {row.year}]", row.as_of)
    return problems

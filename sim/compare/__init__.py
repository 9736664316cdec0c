"""Baseline-vs-scenario comparison on common random numbers, with ensemble bands.

    from sim.compare import compare, write_comparison
    cmp = compare("scenarios/baseline.yaml", "scenarios/01b_cpc_halt_6m.yaml", replications=10)
    cmp.summary.query("group == 'indicators'")        # per-item deltas, median and 10-90 % band
    cmp.values("route_volume", "CPC")                 # month x replication deltas, unit/yr
    write_comparison(cmp, "results")                  # report.md, tables, plots (atomic)

Method. A and B are run with the same replication seeds (`sim.api.seeds_for(root_seed, n)`),
so every difference comes from the scenarios, not from different random draws (common
random numbers). The engine draws its random numbers in a fixed order, so A and B share
their draws exactly until the scenarios make them diverge (a scenario that adds a hazard
or a secondary sanction adds draws, and from then on decisions may draw differently). For
each replication and month the comparison computes `delta = B - A` for a set of indicators
of the focus actor (`GROUPS`), and summarises the per-replication deltas by their median and
10-90 % band (ensemble band).

A side is a scenario file (or a `LoadedScenario`), run once per seed, or a run directory
written by `mvsim run` (its tables are read, not re-run). A run directory is one
replication at its manifest's seed: a comparison that involves one has that single
replication, and the other side, if a scenario, runs at that seed.

`horizon_end` shortens the comparison: scenario sides are rebuilt with an earlier `end`
(`truncate_spec`; the run is then exactly the first months of the full run), run
directories are cut. Only months both sides cover are compared.

Units: money USD bn per year (monthly values annualised) unless the unit says otherwise,
volumes in the route unit per year, shares 0-1, pressure in actions per month.

Modules: `series` (one run's tables as the long indicator series), `sides` (a scenario or a
run directory as one side), `paired` (`compare`, `Comparison`: pairing, deltas, bands),
`plots` (delta plots) and `report` (headlines, report.md, the comparison directory).
`truncate_spec` lives in `sim.scenario.horizon` and is re-exported here.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names are resolved on first use (PEP 562), so importing a submodule such as
# sim.compare.pool (in every pool worker) does not import pandas, the model or matplotlib.
_NAMES: dict[str, str] = {
    "QUANTILES": "paired",
    "Comparison": "paired",
    "compare": "paired",
    "MAX_LINES": "plots",
    "PLOTS": "plots",
    "comparison_figures": "plots",
    "plot_deltas": "plots",
    "HEADLINES": "report",
    "REPORT": "report",
    "REPORT_SECTIONS": "report",
    "STAT_LABEL": "report",
    "TABLES": "report",
    "comparison_dir_name": "report",
    "headline_lines": "report",
    "headline_rows": "report",
    "report_markdown": "report",
    "write_comparison": "report",
    "GROUPS": "series",
    "INDICATORS": "series",
    "KEY": "series",
    "action_counts": "series",
    "pressure_counts": "series",
    "run_series": "series",
    "Side": "sides",
    "Source": "sides",
    "drop_events": "sides",
    "scenario_question": "sides",
}


def __getattr__(name: str) -> Any:
    if name == "truncate_spec":
        from sim.scenario.horizon import truncate_spec

        return truncate_spec
    if name in _NAMES:
        return getattr(importlib.import_module(f"sim.compare.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'sim.compare' has no attribute {name!r}")


__all__ = [
    "GROUPS",
    "INDICATORS",
    "PLOTS",
    "Comparison",
    "Side",
    "compare",
    "comparison_figures",
    "drop_events",
    "headline_lines",
    "headline_rows",
    "plot_deltas",
    "pressure_counts",
    "report_markdown",
    "run_series",
    "scenario_question",
    "truncate_spec",
    "write_comparison",
]

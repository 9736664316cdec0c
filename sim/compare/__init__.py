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

# `name as name`: module-level names of the former single module `sim/compare.py`, still
# importable from here but, as before, not in `__all__`.
from sim.compare.paired import QUANTILES as QUANTILES
from sim.compare.paired import Comparison, compare
from sim.compare.plots import MAX_LINES as MAX_LINES
from sim.compare.plots import PLOTS, comparison_figures, plot_deltas
from sim.compare.report import HEADLINES as HEADLINES
from sim.compare.report import REPORT as REPORT
from sim.compare.report import REPORT_SECTIONS as REPORT_SECTIONS
from sim.compare.report import STAT_LABEL as STAT_LABEL
from sim.compare.report import TABLES as TABLES
from sim.compare.report import comparison_dir_name as comparison_dir_name
from sim.compare.report import headline_lines, headline_rows, report_markdown, write_comparison
from sim.compare.series import GROUPS, INDICATORS, pressure_counts, run_series
from sim.compare.series import KEY as KEY
from sim.compare.series import action_counts as action_counts
from sim.compare.sides import Side, drop_events, scenario_question
from sim.compare.sides import Source as Source
from sim.scenario.horizon import truncate_spec

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

"""Results layer: tidy tables, atomic run directories, plots and a text summary of a run.

Adapters around the pure model: `to_tables(run_output)` -> DataFrames (schema in
docs/tables.md), `write_run(...)` -> run directory, `read_run(dir)` -> DataFrames,
`write_plots(...)` -> PNGs, `summary_text(...)` -> str.
"""

from sim.results.plots import (
    plot_alignment,
    plot_partner_shares,
    plot_route_utilisation,
    plot_timeline,
    write_plots,
)
from sim.results.summary import summary_text
from sim.results.tables import (
    TABLE_SCHEMAS,
    partner_poles_from_spec,
    partner_shares,
    resolve_focus,
    schema_markdown,
    to_tables,
)
from sim.results.writer import load_manifest, read_run, write_run

__all__ = [
    "TABLE_SCHEMAS",
    "load_manifest",
    "partner_poles_from_spec",
    "partner_shares",
    "plot_alignment",
    "plot_partner_shares",
    "plot_route_utilisation",
    "plot_timeline",
    "read_run",
    "resolve_focus",
    "schema_markdown",
    "summary_text",
    "to_tables",
    "write_plots",
    "write_run",
]

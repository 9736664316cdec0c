"""Per-seed jobs on a local process pool: moved to `sim.runs.executors` (re-exported here).

`map_seeds` is `sim.runs.executors.map_items`; `prestart`, `shutdown` and `usable_cpus` are the same.
"""

from sim.runs.executors import SeedJob, prestart, shutdown, usable_cpus
from sim.runs.executors import map_items as map_seeds

__all__ = ["SeedJob", "map_seeds", "prestart", "shutdown", "usable_cpus"]

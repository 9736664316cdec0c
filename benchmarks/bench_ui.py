"""Workbench latency: time to first results of a 10-seed comparison (baseline vs scenario 01b).

    .venv/bin/python benchmarks/bench_ui.py [--seeds 10] [--workers 2]

Prints, for the full horizon (2022-01..2030-12, no shortening):
  * job, cold pool: from the Run click to the first partial comparison when the worker
    processes still have to start (spawn + imports), and to all seeds;
  * job, warm pool: the same with the pool `mvsim serve` starts (and warms) at launch;
  * page: from clicking Run in the rendered Solara page (no browser) until the delta panel
    is in the widget tree, and until the status reads done.
The first results are the first seed's paired comparison, shown while the others run
(progressive results); the machine's load average is printed because the 2 cores are shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
A_FILE, B_FILE = ROOT / "scenarios" / "baseline.yaml", ROOT / "scenarios" / "01b_cpc_halt_6m.yaml"


def job_latency(workers: int, n: int, warm: bool) -> tuple[float, float, float]:
    """(first results s, all seeds s, pool warm-up s) for one ComparisonJob."""
    from sim.ui import adapter
    from sim.ui.jobs import ComparisonJob, WorkerPool

    pool = WorkerPool(workers)
    try:
        t0 = time.perf_counter()
        if warm:
            pool.warm()
        warm_s = time.perf_counter() - t0
        a, b = adapter.load_file(A_FILE), adapter.load_file(B_FILE)
        job = ComparisonJob(pool, a, b, adapter.seeds(1, n)).start()
        snap = job.wait(600)
        if snap.status != "done":
            raise RuntimeError(f"job {snap.status}: {snap.error}")
        return float(snap.first_result_s or float("nan")), snap.elapsed_s, warm_s
    finally:
        pool.shutdown()


def page_latency(workers: int, n: int) -> tuple[float, float]:
    """(delta panel shown s, done s) after clicking Run in the rendered page (warm pool)."""
    import ipyvuetify as v
    import solara

    from sim.ui import jobs

    tmp = tempfile.mkdtemp(prefix="bench_ui_")
    os.environ.update(
        MVSIM_UI_SCENARIOS=str(ROOT / "scenarios"),
        MVSIM_UI_RESULTS=str(Path(tmp) / "results"),
        MVSIM_UI_SAVE=str(Path(tmp) / "saved"),
        MVSIM_UI_WORKERS=str(workers),
    )
    jobs.shutdown_default_pool()
    jobs.default_pool().warm()
    from sim.ui.app import Page

    _, rc = solara.render(Page(), handle_error=False)
    try:
        rc.find(v.Select, label="Paired seeds").widget.v_model = n
        t0 = time.perf_counter()
        rc.find(v.Btn, children=[f"Run {n} seeds against baseline.yaml"]).widget.click()
        first = done = float("nan")
        while time.perf_counter() - t0 < 600:
            if first != first and rc.find(meta_ref="mvsim-deltas").widgets:
                first = time.perf_counter() - t0
            status = rc.find(v.Html, class_="mvsim-status")
            if status.widgets and str(status.widget.children[0]).startswith("done"):
                done = time.perf_counter() - t0
                if first != first:
                    first = done
                break
            time.sleep(1.0)  # a find walks the whole widget tree: poll gently
        return first, done
    finally:
        rc.close()
        jobs.shutdown_default_pool()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"{args.seeds}-seed comparison {B_FILE.name} vs {A_FILE.name}, full horizon, {args.workers} workers"
    )
    first, total, _ = job_latency(args.workers, args.seeds, warm=False)
    print(f"job, cold pool:  first results {first:5.1f} s, all seeds {total:5.1f} s")
    first, total, warm_s = job_latency(args.workers, args.seeds, warm=True)
    print(f"job, warm pool:  first results {first:5.1f} s, all seeds {total:5.1f} s (warm-up {warm_s:.1f} s)")
    first, total = page_latency(args.workers, args.seeds)
    print(f"page (no browser), warm pool: delta panel {first:5.1f} s, done {total:5.1f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

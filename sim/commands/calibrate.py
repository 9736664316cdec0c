"""`mvsim calibrate`: fit the free parameters to calibration/figures.csv and write params.yaml + report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.paths import DEFAULT_FIGURES, DEFAULT_PARAMS, DEFAULT_SETUP

HELP = "fit parameters to the published figures; write calibration/params.yaml and report.md"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=DEFAULT_PARAMS, help="parameter file to write")
    p.add_argument("--setup", type=Path, default=DEFAULT_SETUP, help="free parameters, bounds, window")
    p.add_argument("--figures", type=Path, default=DEFAULT_FIGURES, help="target figures with sources")
    p.add_argument("--report", type=Path, default=None, help="report path (default: report.md next to --out)")
    p.add_argument("--starts", type=int, default=4, help="multi-start count (default 4)")
    p.add_argument(
        "--check",
        action="store_true",
        help="only check that the parameter file at --out still reproduces its recorded fit",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")
    g = p.add_argument_group(
        "posterior (NPE flow + importance sampling with the exact likelihood, with a coverage check)"
    )
    g.add_argument(
        "--posterior",
        action="store_true",
        help="fit a posterior (calibration/posterior_parameters.yaml); write posterior.parquet + .md",
    )
    g.add_argument("--simulations", type=int, default=12_000, help="training simulations (default 12000)")
    g.add_argument(
        "--sbc",
        type=int,
        default=300,
        help="simulated data sets of the coverage check (default 300: with 100, binomial noise alone "
        "fails an exact posterior on one of 16 parameters most of the time)",
    )
    g.add_argument(
        "--sbc-samples",
        type=int,
        default=200,
        help="importance-sampling proposals simulated per coverage-check data set (default 200)",
    )
    g.add_argument(
        "--samples",
        type=int,
        default=4000,
        help="importance-sampling proposals and posterior draws for the published figures (default 4000)",
    )
    g.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="draws of the importance-sampling pool (each adds as many simulations; default 2)",
    )
    g.add_argument("--workers", type=int, default=2, help="simulation processes (default 2)")
    d = p.add_argument_group("decision parameters (grid ABC on the 2022 back-test record, issue 19)")
    d.add_argument(
        "--decisions",
        action="store_true",
        help="fit the decision parameters to the 2022 record; write calibration/decision_report.md, "
        "decision_abc.json and decision_posterior.parquet (about 20-25 minutes on 2 workers)",
    )
    d.add_argument("--abc-seeds", type=int, default=40, help="back-test seeds per grid point (default 40)")
    g.add_argument(
        "--write-params",
        choices=["median"],
        default=None,
        help="also write params.yaml (next to the posterior) from the posterior median",
    )


def run(args: argparse.Namespace) -> int:
    from sim.calibration import calibrate, check

    if args.posterior:
        return _posterior(args)
    if args.decisions:
        return _decisions(args)

    if args.check:
        problems = check(args.setup, args.figures, args.out)
        for line in problems:
            print(f"drift: {line}", file=sys.stderr)
        print(f"{args.out}: {'ok' if not problems else f'{len(problems)} figures drifted'}")
        return 0 if not problems else 1
    summary = calibrate(
        args.setup,
        args.figures,
        args.out,
        args.report,
        starts=args.starts,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    r = summary.result
    fitted = [row for row in summary.rows if row.figure.fitted]
    hits = sum(x.hit for x in fitted)
    print(
        f"calibration {summary.version}: {hits}/{len(fitted)} targets within tolerance, "
        f"cost {r.cost:.3f}, Jacobian rank {r.rank}/{len(r.x)}, {r.evaluations} runs in {r.seconds:.1f} s"
    )
    for row in summary.rows:
        mark = "ok  " if row.hit else "MISS"
        print(
            f"  {mark} {row.figure.id:32s} target {row.figure.value:>9.4g}  model {row.model:>9.4g}  "
            f"z {row.z:+.2f}"
        )
    for f in summary.files:
        print(f"wrote {f}")
    return 0


def _posterior(args: argparse.Namespace) -> int:
    from sim.calibration import calibrate_posterior
    from sim.errors import InputError
    from sim.paths import DEFAULT_POSTERIOR_SETUP

    for name, value, low in (
        ("--simulations", args.simulations, 200),
        ("--sbc", args.sbc, 20),
        ("--sbc-samples", args.sbc_samples, 10),
        ("--samples", args.samples, 100),
        ("--rounds", args.rounds, 1),
        ("--workers", args.workers, 1),
    ):
        if value < low:
            raise InputError(f"expected {name} >= {low}, got {value}", field=name)
    setup = args.setup if args.setup != DEFAULT_SETUP else DEFAULT_POSTERIOR_SETUP
    s = calibrate_posterior(
        setup,
        args.figures,
        Path(args.out).parent,
        simulations=args.simulations,
        sbc_datasets=args.sbc,
        workers=args.workers,
        progress=not args.quiet,
        write_params=args.write_params,
        posterior_samples=args.samples,
        sbc_samples=args.sbc_samples,
        rounds=args.rounds,
    )
    passed = sum(0.85 <= c <= 0.95 for c in s.coverage)
    print(
        f"posterior: {len(s.names)} parameters, coverage check {passed}/{len(s.names)} pass "
        "(90 % intervals cover the truth 85-95 % of the time), "
        f"predictive covers {s.predictive_covered}/{s.targets} targets, {s.seconds:.0f} s; "
        f"importance sampling ESS {s.ess:.0f} for the figures, median {s.sbc_ess_median:.0f} per SBC data set"
    )
    for name, cov, ratio in zip(s.names, s.coverage, s.sd_ratio, strict=True):
        print(
            f"  {name:55s} coverage {cov:.3f}  sd ratio {ratio:.2f}"
            + ("  (not identified)" if ratio >= 0.8 else "")
        )
    for f in s.files:
        print(f"wrote {f}")
    return 0 if passed == len(s.names) else 1


def _decisions(args: argparse.Namespace) -> int:
    from sim.calibration.decision_abc import write_fit
    from sim.errors import InputError

    if args.abc_seeds < 5:
        raise InputError(f"expected --abc-seeds >= 5, got {args.abc_seeds}", field="--abc-seeds")
    if args.workers < 1:
        raise InputError(f"expected --workers >= 1, got {args.workers}", field="--workers")
    res, files, seconds = write_fit(
        Path(args.out).parent, args.abc_seeds, workers=args.workers, progress=not args.quiet
    )
    passed = sum(0.85 <= c <= 0.95 for c in res.coverage90.values())
    print(
        f"decision ABC: {len(res.points)} grid points x {res.runs_per_point} seeds, coverage check "
        f"{passed}/{len(res.coverage90)} pass, {seconds:.0f} s; mode "
        + ", ".join(f"{k} = {v:g}" for k, v in res.map_point().items())
    )
    for name, c in res.coverage90.items():
        print(f"  {name:50s} coverage {c:.2f}" + ("" if res.identified[name] else "  (not identified)"))
    for f in files:
        print(f"wrote {f}")
    return 0 if passed == len(res.coverage90) else 1

"""Calibration of the model's free parameters to the articles' and public figures.

from sim.calibration import calibrate, check
summary = calibrate()            # fits, writes calibration/params.yaml and report.md
problems = check()               # the shipped file still reproduces its stored model values
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from sim.calibration.fit import Calibrator, FitResult, _progress, apply_free, current_values, fit
from sim.calibration.metrics import model_value
from sim.calibration.output import (
    Row,
    calibration_version,
    parameter_file,
    write_parameter_file,
    write_report,
)
from sim.errors import ScenarioError
from sim.params import Parameters
from sim.paths import (
    CALIBRATION_DIR,
    DEFAULT_FIGURES,
    DEFAULT_PARAMS,
    DEFAULT_POSTERIOR_SETUP,
    DEFAULT_SETUP,
)


@dataclass(frozen=True)
class CalibrationSummary:
    """What `calibrate` produced."""

    result: FitResult
    rows: list[Row]
    version: str
    files: list[Path]


def compare_rows(cal: Calibrator, params: Parameters) -> list[Row]:
    """Targets and checks compared with the model under `params`."""
    figures = cal.targets + cal.checks
    out, world = cal.run(params)
    return [Row(f, model_value(out, world, f)) for f in figures]


def calibrate(
    setup: Path = DEFAULT_SETUP,
    figures: Path = DEFAULT_FIGURES,
    out: Path = DEFAULT_PARAMS,
    report: Path | None = None,
    starts: int = 4,
    progress: bool = True,
    only_start: int | None = None,
) -> CalibrationSummary:
    """Fit the free parameters and write the parameter file and the report (atomically).
    only_start: run only that one of the `starts` candidates (`fit.fit`; tests reproduce a fit)."""
    cal = Calibrator(setup, figures)
    result = fit(cal, starts=starts, progress=_progress() if progress else None, only_start=only_start)
    params = apply_free(cal.base, cal.free, result.x)
    rows = compare_rows(cal, params)
    version = calibration_version(cal, figures)
    write_parameter_file(out, parameter_file(cal, result, rows, version))
    notes_path = Path(setup).parent / "miss_notes.yaml"
    notes = yaml.safe_load(notes_path.read_text()) if notes_path.exists() else {}
    report = report or Path(out).with_name("report.md")
    files = [out, *write_report(report, cal, result, rows, version, notes or {})]
    return CalibrationSummary(result, rows, version, files)


def load_parameter_file(path: Path = DEFAULT_PARAMS) -> tuple[Parameters, dict]:
    """The parameters in a calibrated file (validated against the schema) and the raw content."""
    display = str(path)
    try:
        content = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(display, "", f"cannot read the parameter file: {exc.strerror or exc}") from None
    if not isinstance(content, dict) or not isinstance(content.get("parameters"), dict):
        raise ScenarioError(display, "parameters", "expected a mapping of parameter name -> {value: ...}")
    values = {k: (v["value"] if isinstance(v, dict) else v) for k, v in content["parameters"].items()}
    try:
        return Parameters.model_validate(values), content
    except Exception as exc:  # pydantic ValidationError: report as input error
        raise ScenarioError(display, "parameters", str(exc)) from None


def check(
    setup: Path = DEFAULT_SETUP,
    figures: Path = DEFAULT_FIGURES,
    params_path: Path = DEFAULT_PARAMS,
    drift: float = 0.05,
) -> list[str]:
    """Re-run the calibration window with the shipped file; list drifts beyond `drift` x tolerance."""
    cal = Calibrator(setup, figures)
    params, content = load_parameter_file(params_path)
    stored = content.get("model_values", {})
    problems = []
    for row in compare_rows(cal, params):
        fid = row.figure.id
        if fid not in stored:
            problems.append(f"{fid}: not in the parameter file (re-run mvsim calibrate)")
        elif abs(row.model - stored[fid]["model"]) > drift * row.figure.target_tolerance:
            problems.append(f"{fid}: model {row.model:.4g} but the file records {stored[fid]['model']:.4g}")
    return problems


__all__ = [
    "CALIBRATION_DIR",
    "DEFAULT_FIGURES",
    "DEFAULT_PARAMS",
    "DEFAULT_SETUP",
    "CalibrationSummary",
    "calibrate",
    "check",
    "current_values",
    "load_parameter_file",
]


@dataclass(frozen=True)
class PosteriorSummary:
    """What `calibrate_posterior` produced."""

    names: list[str]
    coverage: list[float]
    sd_ratio: list[float]
    predictive_covered: int
    targets: int
    seconds: float
    files: list[Path]
    ess: float = 0.0
    sbc_ess_median: float = 0.0


def calibrate_posterior(
    setup: Path = DEFAULT_POSTERIOR_SETUP,
    figures: Path = DEFAULT_FIGURES,
    out_dir: Path = CALIBRATION_DIR,
    simulations: int = 12_000,
    sbc_datasets: int = 300,
    workers: int = 2,
    seed: int = 20221231,
    progress: bool = True,
    write_params: str | None = None,
    posterior_samples: int = 4_000,
    sbc_samples: int = 200,
    rounds: int = 2,
) -> PosteriorSummary:
    """Posterior by neural importance sampling (NPE flow as proposal, exact likelihood weights; see
    sim/calibration/posterior.py), SBC coverage check, posterior predictive; writes posterior.* in
    out_dir (posterior.parquet only if every parameter passes the coverage check).

    write_params "median": also write params.yaml (next to the posterior) from the posterior median.
    """
    import numpy as np

    from sim.calibration.posterior import (
        MIXTURE,
        WIDEN,
        PosteriorConfig,
        _calibrator,
        _digest,
        bar,
        fit_posterior,
        noise,
        run_simulations,
    )

    config = PosteriorConfig(
        Path(setup),
        Path(figures),
        simulations=simulations,
        sbc_datasets=sbc_datasets,
        posterior_samples=posterior_samples,
        sbc_samples=sbc_samples,
        rounds=rounds,
        workers=workers,
        seed=seed,
    )
    result = fit_posterior(config, progress=progress)
    from sim.calibration.posterior_output import Predictive, write_outputs  # after the long part
    from sim.seeds import stream_rng

    cal = _calibrator(str(config.setup), str(config.figures))
    pick = stream_rng(seed, 2).choice(
        len(result.samples), size=min(config.ppc_draws, len(result.samples)), replace=False
    )
    cache = Path(config.setup).parent / ".posterior_sims" / result.key
    values = run_simulations(
        config,
        result.samples[pick],
        cache,
        f"ppc{len(pick)}_{_digest(result.samples[pick])}",  # keyed by the draws: new weights, new runs
        bar("predictive simulations") if progress else None,
    )
    predicted = values + noise(cal, len(pick), seed, 2)
    qs = np.nanquantile(predicted, [0.05, 0.5, 0.95], axis=0)
    preds = [
        Predictive(f.id, f.value, f.target_tolerance, float(qs[0, k]), float(qs[1, k]), float(qs[2, k]))
        for k, f in enumerate(cal.targets)
    ]
    info = {
        "version": calibration_version(cal, Path(figures)),
        "key": result.key,
        "method": "npe-maf + importance sampling",
        "setup": Path(setup).name,
        "simulations": simulations,
        "seed": seed,
        "seconds": round(result.seconds, 1),
        "workers": workers,
        "ppc_draws": len(pick),
        "rounds": rounds,
        "mixture": list(MIXTURE),
        "widen": WIDEN,
    }
    files = write_outputs(Path(out_dir), result, preds, info)
    if write_params == "median":
        files.append(_write_median_params(cal, result, Path(out_dir) / "params.yaml", Path(figures)))
    prior_sd = (result.upper - result.lower) / np.sqrt(12.0)
    return PosteriorSummary(
        names=result.names,
        coverage=[float(c) for c in result.sbc_coverage],
        sd_ratio=[float(r) for r in result.samples.std(axis=0) / prior_sd],
        predictive_covered=sum(p.covered for p in preds),
        targets=len(preds),
        seconds=result.seconds,
        files=files,
        ess=result.ess,
        sbc_ess_median=float(np.median(result.sbc_ess)),
    )


def _write_median_params(cal: Calibrator, result, path: Path, figures: Path) -> Path:
    """params.yaml from the posterior median (same format as the point fit's file)."""
    import numpy as np

    x = np.median(result.samples, axis=0)
    params = apply_free(cal.base, cal.free, x)
    rows = compare_rows(cal, params)
    fit_like = FitResult(
        x=x,
        start=x,
        model=np.array([r.model for r in rows if r.figure.fitted]),
        residuals=np.array([r.z for r in rows if r.figure.fitted]),
        cost=0.5 * float(sum(r.z**2 for r in rows if r.figure.fitted)),
        evaluations=result.simulations,
        seconds=result.seconds,
        jacobian=np.zeros((1, len(x))),
        status="posterior median (mvsim calibrate --posterior --write-params median)",
    )
    write_parameter_file(path, parameter_file(cal, fit_like, rows, calibration_version(cal, figures)))
    return path

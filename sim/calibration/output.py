"""Calibration outputs: the versioned parameter file, the fit report and its plots.

The parameter file lists every model parameter: fitted ones with value, bounds,
unit and the figures that pin them; the rest with their documented default and
status "assumption". Its `version` is a hash of the inputs (figures, free
parameters, scenario content, package version), so the same inputs give the same
version. Files are written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure as MplFigure

from sim import __version__
from sim.calibration.figures import Figure
from sim.calibration.fit import RISK_PREFIX, Calibrator, FitResult
from sim.params import Parameters


@dataclass(frozen=True)
class Row:
    """One compared figure: target, tolerance, model value, z = (model - target) / tolerance."""

    figure: Figure
    model: float

    @property
    def z(self) -> float:
        return (self.model - self.figure.value) / self.figure.target_tolerance

    @property
    def hit(self) -> bool:
        return abs(self.z) <= 1.0


def atomic_write(path: Path, data: bytes) -> None:
    """Write bytes to `path` via a temporary file in the same directory and rename.

    The file gets the usual permissions (0666 less the umask), not mkstemp's private 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def calibration_version(cal: Calibrator, figures_path: Path) -> str:
    """Short hash of the calibration inputs."""
    h = hashlib.sha256()
    h.update(Path(figures_path).read_bytes())
    h.update(cal.setup_path.read_bytes())
    params_file = cal.loaded.spec.parameters_file
    for src in cal.loaded.sources:  # scenario chain and trade data; not the parameter file itself
        if params_file is None or Path(src).name != Path(params_file).name:
            h.update(Path(src).read_bytes())
    h.update(__version__.encode())
    return h.hexdigest()[:12]


def _unit(field: str) -> str:
    """First sentence of a parameter's description (it names the unit)."""
    desc = Parameters.model_fields[field].description or ""
    return desc.split(". ")[0].strip()


def _decision_fit(path: Path) -> dict[str, str]:
    """Status lines of the decision parameters fitted by `mvsim calibrate --decisions` (their
    defaults are that fit's point estimates: tests/test_decision_abc.py), from decision_abc.json."""
    import json

    if not path.is_file():
        return {}
    fit = json.loads(path.read_text())
    out = {}
    for name, ok in fit.get("identified", {}).items():
        if name in Parameters.model_fields:
            out[name] = (
                "calibrated: posterior mean of the grid ABC on the 2022 record (decision_report.md), "
                + ("identified" if ok else "not identified: the prior's centre")
            )
    return out


def parameter_file(cal: Calibrator, result: FitResult, rows: list[Row], version: str) -> dict:
    """The parameter file's content as a mapping (see module docstring)."""
    fitted = [r for r in rows if r.figure.fitted]
    entries: dict[str, dict] = {}
    risk: dict[str, Any] = {
        "value": {},
        "bounds": {},
        "unit": "USD per unit (t or 1000 m3)",
        "pinned_by": {},
        "status": "fitted",
    }
    for fp, x in zip(cal.free, result.x, strict=True):
        if fp.path.startswith(RISK_PREFIX):
            route = fp.path.removeprefix(RISK_PREFIX)
            risk["value"][route] = float(x)
            risk["bounds"][route] = [float(b) for b in fp.bounds]
            risk["pinned_by"][route] = list(fp.pins)
        else:
            entries[fp.path] = {
                "value": float(x),
                "bounds": [float(b) for b in fp.bounds],
                "unit": fp.unit,
                "pinned_by": list(fp.pins),
                "status": "fitted",
            }
    decided = _decision_fit(cal.setup_path.parent / "decision_abc.json")
    for name in Parameters.model_fields:
        if name == "route_risk_premium_usd_per_unit":
            entries[name] = risk
        elif name not in entries:
            entries[name] = {
                "value": getattr(cal.base, name),
                "bounds": None,
                "unit": _unit(name),
                "pinned_by": [],
                "status": decided.get(
                    name, "assumption: documented default, not identified by any published figure"
                ),
            }
    return {
        "version": version,
        "generated_by": f"mvsim calibrate (sim {__version__})",
        "inputs": {
            "figures": "figures.csv",
            "free_parameters": cal.setup_path.name,
            "scenario": cal.setup.scenario,
            "window": [cal.setup.window.start, cal.setup.window.end],
        },
        "fit": {
            "method": "scipy.optimize.least_squares (trf), residuals (model - target) / tolerance, "
            f"{len(result.start)} free parameters, multi-start",
            "cost": round(result.cost, 6),
            "targets_hit": f"{sum(r.hit for r in fitted)}/{len(fitted)}",
            "jacobian_rank": result.rank,
            "condition_number": float(f"{result.condition:.4g}"),
            "best_start": result.start_index,  # 0: the documented start; k: the k-th random start
        },
        "parameters": {k: entries[k] for k in Parameters.model_fields},
        "model_values": {
            r.figure.id: {
                "target": r.figure.value,
                "tolerance": r.figure.tolerance,
                "model": round(r.model, 6),
                "z": round(r.z, 4),
            }
            for r in rows
        },
    }


def write_parameter_file(path: Path, content: dict) -> None:
    header = (
        "# Calibrated parameters of multivector-sim. Generated by `mvsim calibrate`: do not edit by hand.\n"
        "# Scenarios use it through `parameters_file:`; each entry has value, bounds, unit and the figures\n"
        "# (calibration/figures.csv) that pin it. See calibration/report.md for the fit.\n"
    )
    atomic_write(path, (header + yaml.safe_dump(content, sort_keys=False, allow_unicode=True)).encode())


def plot_fit(rows: list[Row]) -> MplFigure:
    """Target vs model per figure, as ratios to the target with the tolerance band."""
    fig = MplFigure(figsize=(9, 0.38 * len(rows) + 1.5))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows, strict=True):
        t, tol = r.figure.value, r.figure.target_tolerance
        ax.fill_betweenx(
            [yi - 0.3, yi + 0.3], (t - tol) / t, (t + tol) / t, color="tab:blue", alpha=0.2, lw=0
        )
        ax.plot([1, 1], [yi - 0.3, yi + 0.3], color="tab:blue", lw=1)
        ax.plot(
            r.model / t,
            yi,
            "o",
            color="tab:green" if r.hit else "tab:red",
            mfc="white" if not r.figure.fitted else None,
        )
    ratios = [r.model / r.figure.value for r in rows]
    ax.set_xlim(min(0.0, min(ratios) - 0.1), max(2.0, max(ratios) + 0.15))
    for yi, r, q in zip(y, rows, ratios, strict=True):
        ax.annotate(f"{r.model:.3g}", (q, yi), xytext=(5, 2), textcoords="offset points", fontsize=7)
    ax.set_yticks(y, [f"{r.figure.id} ({r.figure.unit[:28]})" for r in rows], fontsize=8)
    ax.set_xlabel(
        "model / target (band: target +- tolerance)\ngreen: within, red: outside, hollow: check (not fitted)"
    )
    ax.set_title("Calibration fit: model vs published figures")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_profiles(result: FitResult) -> MplFigure:
    fig = MplFigure(figsize=(9, 3.2))
    n = max(1, len(result.profiles))
    for k, (name, (grid, cost)) in enumerate(result.profiles.items()):
        ax = fig.add_subplot(1, n, k + 1)
        ax.plot(grid, cost, "o-")
        ax.axhline(result.cost, color="grey", lw=0.8, ls="--")
        ax.set_title(f"profile: {name}", fontsize=9)
        ax.set_xlabel("value")
        ax.set_ylabel("cost (others re-fitted)")
    fig.tight_layout()
    return fig


def _save(fig: MplFigure, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def write_report(
    path: Path, cal: Calibrator, result: FitResult, rows: list[Row], version: str, notes: dict[str, str]
) -> list[Path]:
    """calibration/report.md plus fit.png and profiles.png next to it."""
    directory = path.parent
    fit_png, prof_png = directory / "fit.png", directory / "profiles.png"
    _save(plot_fit(rows), fit_png)
    _save(plot_profiles(result), prof_png)
    width = cal.upper - cal.lower
    sens = np.linalg.norm(result.jacobian, axis=0)
    par_rows = []
    for fp, x, s, w in zip(cal.free, result.x, sens, width, strict=True):
        edge = min(x - fp.bounds[0], fp.bounds[1] - x) < 0.01 * w
        par_rows.append(
            [
                f"`{fp.path}`",
                f"{x:.4g}",
                f"[{fp.bounds[0]:g}, {fp.bounds[1]:g}]",
                fp.unit,
                ", ".join(fp.pins),
                f"{s:.3g}",
                "at bound" if edge else "",
            ]
        )
    fig_rows = []
    for r in rows:
        f = r.figure
        fig_rows.append(
            [
                f"`{f.id}`",
                f.role,
                f"{f.value:g} {f.unit}",
                f"+-{f.tolerance:g}",
                f"{r.model:.4g}",
                f"{r.z:+.2f}",
                "yes" if r.hit else "**no**",
            ]
        )
    raw_bounds = notes.get("bounds")
    bound_notes: dict[str, Any] = raw_bounds if isinstance(raw_bounds, dict) else {}
    at_bound = [
        f"- `{fp.path}` = {x:.4g} (bounds [{fp.bounds[0]:g}, {fp.bounds[1]:g}]): "
        f"{bound_notes.get(fp.path, '**no explanation recorded**')}"
        for fp, x, w in zip(cal.free, result.x, width, strict=True)
        if min(x - fp.bounds[0], fp.bounds[1] - x) < 0.01 * w
    ]
    misses = [r for r in rows if r.figure.fitted and not r.hit]
    miss_lines = [
        f"- `{r.figure.id}`: model {r.model:.4g} vs {r.figure.value:g} {r.figure.unit} "
        f"({r.z:+.1f} tolerances). {notes.get(r.figure.id, 'No explanation recorded yet.')}"
        for r in misses
    ]
    sv = ", ".join(f"{v:.3g}" for v in result.singular_values)
    hit = sum(r.hit for r in rows if r.figure.fitted)
    n_t = sum(r.figure.fitted for r in rows)
    text = f"""# Calibration report

Parameter file `{cal.setup_path.parent.name}/params.yaml`, version `{version}`; generated by
`mvsim calibrate` on {datetime.now(UTC).strftime("%Y-%m-%d")} (sim {__version__}).

**Method.** Weighted nonlinear least squares (`scipy.optimize.least_squares`, trust-region
reflective, bounds, parameters scaled by bound width, {len(cal.free)} free parameters, multi-start)
of the residuals (model - target) / tolerance over {n_t} target figures of `figures.csv`. The model
run is `{cal.setup.scenario}`'s scripted history {cal.setup.window.start}..{cal.setup.window.end}
with hazards removed and decisions off (deterministic). {result.evaluations} model runs,
{result.seconds:.1f} s. Final cost 0.5 * sum(z^2) = {result.cost:.3f}; **{hit}/{n_t} targets within
tolerance**.

![target vs model](fit.png)

## Free parameters

Sensitivity = norm of the residual Jacobian column per unit of the parameter's bound width.

{_md_table(["parameter", "value", "bounds", "unit", "pinned by", "sensitivity", ""], par_rows)}

{"**Parameters at a bound.**" if at_bound else "No fitted parameter sits at a bound."}
{chr(10).join(at_bound)}

All other parameters keep their documented defaults (`sim/params.py`, status "assumption" in
params.yaml): the alignment, pressure and decision parameters are not identified by any
published figure in `figures.csv` (alignment is not observed), and this fit does not pretend
otherwise.

## Targets and checks

`check` rows are compared, not fitted (they hold by construction of the 2021 matrix or repeat a
target). z = (model - target) / tolerance.

{_md_table(["figure", "role", "target", "tolerance", "model", "z", "within"], fig_rows)}

## Misses

{chr(10).join(miss_lines) if miss_lines else "None: every target is within its tolerance."}

## Identifiability

Singular values of the scaled Jacobian: {sv}. Numerical rank {result.rank} of {len(cal.free)}
(threshold 1e-3 of the largest); condition number {result.condition:.3g}. A rank below the number
of free parameters means some directions in parameter space are not pinned by the targets: the
parameters with the smallest sensitivity above are the weakly identified ones. Profiles of the two
weakest (cost with the other parameters re-fitted at each grid value; flat means unidentified):

![profiles](profiles.png)

## Conflicting sources

{chr(10).join(f"- `{f.id}`: {f.conflict_note}" for f in cal.figures if f.conflict_note)}

Regenerate with `mvsim calibrate`; check the shipped file quickly with `mvsim calibrate --check`.
"""
    atomic_write(path, text.encode())
    return [path, fit_png, prof_png]

"""Posterior files: calibration/posterior.parquet (draws), posterior.md (report) and its plots;
parameter draws for ensembles (`posterior_draw`).

posterior.parquet: one row per draw with `draw` (0..n-1), `weight` (1/n: NPE draws are
unweighted) and one column per parameter path (e.g. `trade_elasticity`,
`route_risk_premium_usd_per_unit.CPC`); its key-value metadata holds `version` (the
calibration inputs' hash, as in params.yaml), `key` (inputs + model code + seed),
`method`, `setup`, `simulations` and `seed`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim import __version__
from sim.calibration.output import atomic_write
from sim.params import Parameters

METHOD = "neural posterior estimation (sbi NPE, masked autoregressive flow), uniform prior"
IDENTIFIED_RATIO = 0.8
"""A parameter counts as identified when its posterior sd is below this share of its prior sd."""


def write_posterior(path: Path, names: list[str], samples: np.ndarray, meta: dict) -> None:
    """Write the draws as Parquet (atomically) with `meta` as key-value metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(samples)
    cols = {"draw": pa.array(np.arange(n, dtype=np.int64)), "weight": pa.array(np.full(n, 1.0 / n))}
    for k, name in enumerate(names):
        cols[name] = pa.array(samples[:, k].astype(np.float64))
    table = pa.table(cols).replace_schema_metadata({k: json.dumps(v) for k, v in meta.items()})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    atomic_write(path, buf.getvalue())


def read_posterior(path: Path) -> tuple[list[str], np.ndarray, dict]:
    """(parameter names, draws (n, d), metadata) of a posterior file."""
    import pyarrow.parquet as pq

    from sim.errors import InputError

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"cannot read the posterior file {path}: {exc}; run `mvsim calibrate --posterior`"
        ) from None
    meta = {k.decode(): json.loads(v) for k, v in (table.schema.metadata or {}).items()}
    names = [c for c in table.column_names if c not in ("draw", "weight")]
    return names, np.column_stack([table[c].to_numpy() for c in names]), meta


def posterior_draw(base: Parameters, path: Path, k: int) -> Parameters:
    """`base` with posterior draw k's values set (k taken modulo the number of draws)."""
    from sim.calibration.fit import FreeParameter, apply_free

    names, samples, _ = read_posterior(path)
    free = [FreeParameter(path=n, bounds=(-1e300, 1e300), start=0.0, unit="") for n in names]
    return apply_free(base, free, samples[k % len(samples)])


@dataclass(frozen=True)
class Predictive:
    """Posterior predictive of one target: 5/50/95 % of the predicted observation."""

    id: str
    target: float
    tolerance: float
    p05: float
    p50: float
    p95: float

    @property
    def covered(self) -> bool:
        return self.p05 <= self.target <= self.p95


def _figure(w: float, h: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def _save(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    atomic_write(path, buf.getvalue())


def plot_marginals(names, samples, lower, upper):
    n = len(names)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig = _figure(12, 2.4 * rows)
    for k in range(n):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.axvspan(lower[k], upper[k], color="0.92", label="prior range")
        ax.hist(samples[:, k], bins=40, range=(lower[k], upper[k]), density=True, color="tab:blue", alpha=0.8)
        ax.axhline(1.0 / (upper[k] - lower[k]), color="0.4", lw=1, ls="--", label="prior density")
        ax.set_title(names[k].replace("route_risk_premium_usd_per_unit.", "risk premium: "), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    fig.suptitle("Posterior marginals (blue) against the uniform prior (dashed)", fontsize=10)
    return fig


def plot_pairs(names, samples, lower, upper, pick: list[int]):
    m = len(pick)
    fig = _figure(2.0 * m, 2.0 * m)
    for a, i in enumerate(pick):
        for b, j in enumerate(pick):
            ax = fig.add_subplot(m, m, a * m + b + 1)
            if i == j:
                ax.hist(samples[:, i], bins=30, range=(lower[i], upper[i]), color="tab:blue")
            elif b < a:
                ax.hist2d(
                    samples[:, j],
                    samples[:, i],
                    bins=30,
                    range=[[lower[j], upper[j]], [lower[i], upper[i]]],
                    cmap="Blues",
                )
            else:
                ax.axis("off")
                continue
            ax.tick_params(labelsize=6)
            if a == m - 1:
                ax.set_xlabel(names[j].split(".")[-1][:22], fontsize=7)
            if b == 0:
                ax.set_ylabel(names[i].split(".")[-1][:22], fontsize=7)
    fig.suptitle("Posterior pairs of the best-identified parameters", fontsize=10)
    return fig


def plot_ppc(preds: list[Predictive]):
    fig = _figure(9, 0.38 * len(preds) + 1.5)
    ax = fig.add_subplot()
    y = np.arange(len(preds))[::-1]
    for yi, p in zip(y, preds, strict=True):
        t = p.target
        ax.fill_betweenx(
            [yi - 0.3, yi + 0.3],
            (t - p.tolerance) / t,
            (t + p.tolerance) / t,
            color="tab:blue",
            alpha=0.2,
            lw=0,
        )
        ax.plot([p.p05 / t, p.p95 / t], [yi, yi], color="tab:orange" if p.covered else "tab:red", lw=3)
        ax.plot([p.p50 / t], [yi], "o", color="k", ms=3)
    ax.axvline(1.0, color="tab:blue", lw=1)
    ax.set_yticks(y, [p.id for p in preds], fontsize=7)
    ax.set_xlabel("predicted / published figure (band: tolerance; bar: 5-95 % posterior predictive)")
    return fig


def plot_ranks(names, ranks, draws: int):
    n = len(names)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig = _figure(12, 2.0 * rows)
    bins = 10
    expected = len(ranks) / bins
    band = 1.96 * np.sqrt(expected * (1 - 1 / bins))
    for k in range(n):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.axhspan(expected - band, expected + band, color="0.9")
        ax.hist(ranks[:, k], bins=bins, range=(0, draws), color="tab:green")
        ax.set_title(names[k].replace("route_risk_premium_usd_per_unit.", "risk premium: "), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        "SBC rank histograms (uniform if calibrated; grey: 95 % band for a uniform histogram)", fontsize=10
    )
    return fig


def report_markdown(
    names, lower, upper, samples, coverage, ranks, sbc_draws, preds: list[Predictive], info: dict
) -> str:
    prior_sd = (upper - lower) / np.sqrt(12.0)
    ratio = samples.std(axis=0) / prior_sd
    q = np.quantile(samples, [0.05, 0.5, 0.95], axis=0)
    rows = []
    for k, n in enumerate(names):
        ok = 0.85 <= coverage[k] <= 0.95
        rows.append(
            f"| `{n}` | [{lower[k]:g}, {upper[k]:g}] | {q[1, k]:.4g} | {q[0, k]:.4g} - {q[2, k]:.4g} | "
            f"{ratio[k]:.2f} | {'yes' if ratio[k] < IDENTIFIED_RATIO else '**no**'} | {coverage[k]:.3f} | "
            f"{'pass' if ok else '**fail**'} |"
        )
    not_identified = [n for n, r in zip(names, ratio, strict=True) if r >= IDENTIFIED_RATIO]
    ppc_rows = [
        f"| `{p.id}` | {p.target:g} +- {p.tolerance:g} | {p.p50:.4g} | {p.p05:.4g} - {p.p95:.4g} | "
        f"{'yes' if p.covered else '**no**'} |"
        for p in preds
    ]
    passed = int(((coverage >= 0.85) & (coverage <= 0.95)).sum())
    return f"""# Posterior calibration

Generated by `mvsim calibrate --posterior` on {datetime.now(UTC).strftime("%Y-%m-%d")} (sim {__version__});
draws in `posterior.parquet` (version `{info["version"]}`, key `{info["key"]}`).

**Method.** {METHOD}: {info["simulations"]} simulations of the 2022 history (hazards and decisions
off) with parameters drawn from the prior; a simulated data set is the model value of each of the
{len(preds)} target figures plus Gaussian noise with the figure's tolerance as standard deviation
(the likelihood). NPE was chosen over ABC-SMC because the estimator is amortised: the coverage check
below re-uses it on {len(ranks)} held-out simulated data sets at no extra training cost, while ABC
would re-run the whole inference for each. {info["seconds"]:.0f} s on {info["workers"]} workers;
simulations are cached and reused when the inputs and the model code are unchanged (resumable).

![marginals](posterior_marginals.png)

## Parameters

sd ratio = posterior sd / prior sd; a parameter with a ratio >= {IDENTIFIED_RATIO} is **not identified** by
the 2022 figures (its posterior is close to its prior). Coverage = share of {len(ranks)} held-out
simulated data sets (true parameters drawn from the prior) whose central 90 % posterior interval
({sbc_draws} draws) contains the true value; the check passes in [0.85, 0.95] (Talts et al. 2018).

| parameter | prior | median | 90 % interval | sd ratio | identified | coverage | SBC |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

**Coverage check: {passed}/{len(names)} parameters pass.** Not identified by the data (posterior ~
prior): {", ".join(f"`{n}`" for n in not_identified) if not_identified else "none"}.

![SBC ranks](posterior_sbc.png)

![pairs](posterior_pairs.png)

## Posterior predictive check

{len(preds)} targets; predicted observation (model + tolerance noise) over {info["ppc_draws"]}
posterior draws.

| figure | published | median | 5-95 % | covered |
|---|---|---|---|---|
{chr(10).join(ppc_rows)}

![posterior predictive](posterior_ppc.png)
"""


def write_outputs(directory: Path, result, preds: list[Predictive], info: dict) -> list[Path]:
    """posterior.md and the four PNGs into `directory`, and posterior.parquet only when every
    parameter passes the coverage check (a posterior that fails it is not for ensembles)."""
    prior_sd = (result.upper - result.lower) / np.sqrt(12.0)
    ratio = result.samples.std(axis=0) / prior_sd
    pick = list(np.argsort(ratio)[: min(6, len(ratio))])
    paths = {
        "parquet": directory / "posterior.parquet",
        "md": directory / "posterior.md",
        "marg": directory / "posterior_marginals.png",
        "pairs": directory / "posterior_pairs.png",
        "ppc": directory / "posterior_ppc.png",
        "sbc": directory / "posterior_sbc.png",
    }
    passed = bool(np.all((result.sbc_coverage >= 0.85) & (result.sbc_coverage <= 0.95)))
    if passed:
        write_posterior(paths["parquet"], result.names, result.samples, info)
    else:
        del paths["parquet"]
    _save(plot_marginals(result.names, result.samples, result.lower, result.upper), paths["marg"])
    _save(plot_pairs(result.names, result.samples, result.lower, result.upper, pick), paths["pairs"])
    _save(plot_ppc(preds), paths["ppc"])
    _save(plot_ranks(result.names, result.sbc_ranks, result.sbc_draws), paths["sbc"])
    text = report_markdown(
        result.names,
        result.lower,
        result.upper,
        result.samples,
        result.sbc_coverage,
        result.sbc_ranks,
        result.sbc_draws,
        preds,
        info,
    )
    if not passed:
        text = text.replace(
            "# Posterior calibration\n",
            "# Posterior calibration\n\n**The coverage check fails: posterior.parquet was not written.**\n",
            1,
        )
    atomic_write(paths["md"], text.encode())
    return list(paths.values())

"""Posterior files: calibration/posterior.parquet (draws), posterior.md (report) and its plots.
Ensembles read the draws with sim/calibration/ensemble_draws.py (`load_draws`, `assign_draws`).

posterior.parquet: one row per draw with `draw` (0..n-1), `weight` and one column per parameter
path (e.g. `trade_elasticity`, `route_risk_premium_usd_per_unit.CPC`). The draws are the
importance-weighted posterior sample of sim/calibration/posterior.py after systematic resampling,
so they are equally weighted (`weight` = 1/n) and any row can be used as one posterior draw; the
importance sample's Kish ESS (how many independent draws the rows are worth) is in the metadata.
`write_posterior` also accepts real (unequal) weights, which `assign_draws` honours (systematic
resampling of the weights). The key-value metadata holds `version` (the calibration
inputs' hash, as in params.yaml), `key` (inputs + model code + seed), `method`, `setup`,
`simulations`, `seed`, `ess` and `efficiency`.
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

METHOD = (
    "neural importance sampling: an NPE flow (sbi, masked autoregressive flow on the logit scale of the "
    "prior box) as the proposal, "
    "corrected by importance weights with the exact Gaussian likelihood (Dax et al. 2023), Pareto-smoothed "
    "(PSIS, Vehtari et al. 2024); uniform prior"
)
KHAT_RELIABLE = 0.7
"""PSIS tail shape above which a weighted estimate is unreliable (Vehtari et al. 2024, sec. 3)."""
IDENTIFIED_RATIO = 0.8
"""A parameter counts as identified when its posterior sd is below this share of its prior sd."""


def khat_word(khat: float) -> str:
    """Vehtari et al.'s (2024) reading of a PSIS tail shape."""
    if khat <= KHAT_RELIABLE:
        return "reliable"
    return "above 0.7: the weighted estimate is not reliable on its own"


def write_posterior(
    path: Path, names: list[str], samples: np.ndarray, meta: dict, weights: np.ndarray | None = None
) -> None:
    """Write the draws as Parquet (atomically) with `meta` as key-value metadata; `weights`
    (normalised to sum 1) default to equal weights."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(samples)
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    cols = {"draw": pa.array(np.arange(n, dtype=np.int64)), "weight": pa.array(w)}
    for k, name in enumerate(names):
        cols[name] = pa.array(samples[:, k].astype(np.float64))
    table = pa.table(cols).replace_schema_metadata({k: json.dumps(v) for k, v in meta.items()})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    atomic_write(path, buf.getvalue())


def read_posterior(path: Path) -> tuple[list[str], np.ndarray, dict]:
    """(parameter names, draws (n, d), metadata) of a posterior file (weights: `load_draws`)."""
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


def plot_ranks(names, ranks):
    """Histograms of SBC fractional ranks (weighted posterior CDF at the truth), one per parameter."""
    n = len(names)
    cols = 4
    rows = int(np.ceil(n / cols))
    fig = _figure(12, 2.0 * rows)
    bins = 10
    finite = np.isfinite(ranks)
    for k in range(n):
        m = int(finite[:, k].sum())
        expected = m / bins
        band = 1.96 * np.sqrt(expected * (1 - 1 / bins))
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.axhspan(expected - band, expected + band, color="0.9")
        ax.hist(ranks[finite[:, k], k], bins=bins, range=(0, 1), color="tab:green")
        ax.set_title(names[k].replace("route_risk_premium_usd_per_unit.", "risk premium: "), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        "SBC fractional ranks = weighted posterior CDF at the true value (uniform if calibrated; "
        "grey: 95 % band for a uniform histogram)",
        fontsize=10,
    )
    return fig


def plot_coverage(names, coverage, npe_coverage, sbc_ess, sbc_samples: int):
    """Coverage of the 90 % intervals per parameter (importance-sampled vs the flow alone) and the
    distribution of the ESS over the SBC data sets."""
    fig = _figure(12, 0.3 * len(names) + 2.5)
    ax = fig.add_subplot(1, 2, 1)
    y = np.arange(len(names))[::-1]
    ax.axvspan(0.85, 0.95, color="tab:green", alpha=0.15, label="required 0.85-0.95")
    ax.plot(npe_coverage, y, "x", color="tab:red", label="NPE flow alone")
    ax.plot(coverage, y, "o", color="tab:blue", label="with importance weights")
    ax.axvline(0.9, color="0.5", lw=1)
    labels = [n.replace("route_risk_premium_usd_per_unit.", "risk premium: ") for n in names]
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlabel(f"coverage of 90 % intervals ({len(sbc_ess)} simulated data sets)")
    ax.legend(fontsize=7, loc="lower left")
    ax = fig.add_subplot(1, 2, 2)
    ax.hist(sbc_ess, bins=30, color="tab:purple")
    ax.set_xlabel(f"Kish ESS per SBC data set (about {sbc_samples} own proposals each, pooled)")
    ax.set_ylabel("data sets")
    return fig


def report_markdown(result, preds: list[Predictive], info: dict) -> str:
    names, lower, upper, samples = result.names, result.lower, result.upper, result.samples
    coverage, npe_coverage = result.sbc_coverage, result.npe_coverage
    prior_sd = (upper - lower) / np.sqrt(12.0)
    ratio = samples.std(axis=0) / prior_sd
    q = np.quantile(samples, [0.05, 0.5, 0.95], axis=0)
    b = len(result.sbc_ranks)
    rows = []
    for k, n in enumerate(names):
        ok = 0.85 <= coverage[k] <= 0.95
        rows.append(
            f"| `{n}` | [{lower[k]:g}, {upper[k]:g}] | {q[1, k]:.4g} | {q[0, k]:.4g} - {q[2, k]:.4g} | "
            f"{ratio[k]:.2f} | {'yes' if ratio[k] < IDENTIFIED_RATIO else '**no**'} | {coverage[k]:.3f} | "
            f"{'pass' if ok else '**fail**'} | {npe_coverage[k]:.3f} |"
        )
    not_identified = [n for n, r in zip(names, ratio, strict=True) if r >= IDENTIFIED_RATIO]
    ppc_rows = [
        f"| `{p.id}` | {p.target:g} +- {p.tolerance:g} | {p.p50:.4g} | {p.p05:.4g} - {p.p95:.4g} | "
        f"{'yes' if p.covered else '**no**'} |"
        for p in preds
    ]
    passed = int(((coverage >= 0.85) & (coverage <= 0.95)).sum())
    ess = result.sbc_ess
    eq = np.quantile(ess, [0.0, 0.1, 0.5, 0.9])
    stage_text = ", ".join(f"{k} {v:.0f} s" for k, v in result.stages.items())
    return f"""# Posterior calibration

Generated by `mvsim calibrate --posterior` on {datetime.now(UTC).strftime("%Y-%m-%d")} (sim {__version__});
draws in `posterior.parquet` when the coverage check passes (version `{info["version"]}`, key
`{info["key"]}`).

**Method.** {METHOD}. Likelihood: a data set is the model value of each of the {len(preds)} target
figures (2022 history, hazards and decisions off, so the model value is deterministic) plus
Gaussian noise with the figure's tolerance as standard deviation. (1) NPE (sbi; Tejero-Cantero et
al. 2020) trains a conditional flow q(theta | x) on {info["simulations"]} simulations from the prior,
on the logit scale of the prior box (so its draws stay inside the box), conditioned on
asinh((x - median) / max(IQR / 1.349, tolerance)) per figure (`ConditionMap`: heavy-tailed figures
stay distinguishable; a one-to-one map of x, so the weights stay exact).
(2) Neural importance sampling (Dax et al. 2023, Phys. Rev. Lett. 130, 171403): for every data set x
(the published figures and each SBC data set), proposals come from a defensive mixture of the flow
q(theta | x) ({info["mixture"][0]:.0%} of the proposals inside the prior box), a Gaussian with the
flow's mean and correlations and {info["widen"]:g}x its standard deviations ({info["mixture"][1]:.0%}) and the
prior ({info["mixture"][2]:.0%}) (defensive importance sampling, Hesterberg 1995). All proposals of all
data sets form one pool ({len(result.proposals)} simulated parameter vectors); each data set weights the
whole pool by prior x exact likelihood / pooled mixture density (multiple importance sampling with
the balance heuristic, Veach & Guibas 1995; Owen & Zhou 2000). The weighted sample is exact up to
Monte Carlo error whatever the flow's errors. Each data set's largest weights are Pareto-smoothed
(PSIS, Vehtari et al. 2024, JMLR 25(72): the top min(n/5, 3 sqrt n) weights replaced by a fitted
generalized Pareto's expected order statistics, capped at the largest raw weight), which lowers the
variance of the weighted quantiles when a few proposals dominate. (3) The published figures'
weighted sample was resampled (systematic resampling) into the {len(result.samples)} equally weighted draws of
`posterior.parquet`. {info["seconds"]:.0f} s on {info["workers"]} workers ({stage_text}); simulations and
the trained flow are cached and reused when the inputs and the model code are unchanged
(resumable).

**Importance sampling of the published figures:** Kish ESS {result.ess:.0f} from the pool of
{len(result.weights)} proposals ({result.own_proposals} of them drawn for the published figures: ESS per
own proposal {result.efficiency:.2f}); Pareto tail shape k-hat {result.khat:.2f} ({khat_word(result.khat)}).

![marginals](posterior_marginals.png)

## Parameters and coverage check

sd ratio = posterior sd / prior sd; a parameter with a ratio >= {IDENTIFIED_RATIO} is **not identified** by
the 2022 figures (its posterior is close to its prior). Coverage = share of {b} simulated data sets
(true parameters drawn from the prior, observation noise added) whose central 90 % posterior
interval (weighted quantiles of the importance-weighted pool; about {result.sbc_samples} proposals
drawn for each data set) contains the true
value; the check passes in [0.85, 0.95] (simulation-based calibration, Talts et al. 2018). "NPE
alone" is the same check with the flow's own draws inside the prior box (no weights), for
comparison. Kish ESS per SBC data set (smoothed weights): min {eq[0]:.0f}, 10 % {eq[1]:.0f},
median {eq[2]:.0f}, 90 % {eq[3]:.0f}. Pareto k-hat per SBC data set: median
{np.median(result.sbc_khat):.2f}, above 0.7 (each estimate unreliable on its own by Vehtari et
al.'s rule) in {np.mean(result.sbc_khat > 0.7):.0%}: the coverage check vouches for the intervals
in aggregate, not one by one.

| parameter | prior | median | 90 % interval | sd ratio | identified | coverage | SBC | NPE alone |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

**Coverage check: {passed}/{len(names)} parameters pass.** Not identified by the data (posterior ~
prior): {", ".join(f"`{n}`" for n in not_identified) if not_identified else "none"}.

![coverage and ESS](posterior_coverage.png)

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
    """posterior.md and the five PNGs into `directory`, and posterior.parquet only when every
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
        "coverage": directory / "posterior_coverage.png",
    }
    passed = bool(np.all((result.sbc_coverage >= 0.85) & (result.sbc_coverage <= 0.95)))
    if passed:
        meta = {
            **info,
            "ess": round(result.ess, 1),
            "efficiency": round(result.efficiency, 4),
            "khat": round(result.khat, 3),
        }
        write_posterior(paths["parquet"], result.names, result.samples, meta)
    else:
        del paths["parquet"]
    _save(plot_marginals(result.names, result.samples, result.lower, result.upper), paths["marg"])
    _save(plot_pairs(result.names, result.samples, result.lower, result.upper, pick), paths["pairs"])
    _save(plot_ppc(preds), paths["ppc"])
    _save(plot_ranks(result.names, result.sbc_ranks), paths["sbc"])
    _save(
        plot_coverage(
            result.names, result.sbc_coverage, result.npe_coverage, result.sbc_ess, result.sbc_samples
        ),
        paths["coverage"],
    )
    text = report_markdown(result, preds, info)
    if not passed:
        text = text.replace(
            "# Posterior calibration\n",
            "# Posterior calibration\n\n**The coverage check fails: posterior.parquet was not written.**\n",
            1,
        )
    atomic_write(paths["md"], text.encode())
    return list(paths.values())

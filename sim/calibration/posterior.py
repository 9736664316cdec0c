"""Posterior over the model's parameters by neural posterior estimation (NPE), with a coverage check.

Method. Simulation-based inference with the `sbi` library (Tejero-Cantero et al. 2020):
parameters theta are drawn from a uniform prior over documented ranges
(calibration/posterior_parameters.yaml), the model runs the scripted 2022 history
(the calibration window; hazards and decisions off) and reports the model value of
every target figure; each figure's tolerance is its observation noise, so a
simulated data set is x = model(theta) + N(0, tolerance^2). A conditional density
estimator (a masked autoregressive flow) trained on (theta, x) pairs approximates
p(theta | x) for any x: the posterior for the published figures x_o is one
evaluation, and the simulation-based calibration check (SBC, Talts et al. 2018)
repeats it on held-out simulated data sets whose true theta is known. Because the
estimator is amortised, SBC costs no new training; ABC-SMC (pyabc) would have to
re-run the whole inference for each of the 100+ synthetic data sets, and history
matching would need an emulator per output. That is why NPE was chosen.

Reproducible: prior draws and noise come from `SeedSequence(seed)` streams, torch is
seeded, and every simulation is deterministic, so the posterior does not depend on
the number of workers. Resumable: simulations are stored in chunks under
calibration/.posterior_sims/<key>/ (written atomically) and reused on the next run.
Only figures up to and including 2022 enter (the calibration window and targets).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from sim.calibration.fit import Calibrator, apply_free

CHUNK = 100
"""Simulations per stored chunk (and per worker task)."""
MAX_EPOCHS = 300
"""Cap on NPE training epochs (early stopping after 15 epochs without validation gain usually ends it
sooner); keeps the whole calibration within minutes on two cores."""

_WORKER: dict[str, Calibrator] = {}


@dataclass(frozen=True)
class PosteriorConfig:
    """Settings of one posterior calibration (all sizes are counts of model runs)."""

    setup: Path
    figures: Path
    simulations: int = 12_000
    sbc_datasets: int = 200
    posterior_samples: int = 4_000
    ppc_draws: int = 100
    seed: int = 20221231
    workers: int = 2
    cache: Path | None = None


def _calibrator(setup: str, figures: str) -> Calibrator:
    key = f"{setup}\n{figures}"
    if key not in _WORKER:
        _WORKER[key] = Calibrator(setup, figures)
    return _WORKER[key]


def simulate_values(setup: str, figures: str, thetas: np.ndarray) -> np.ndarray:
    """Model values of the target figures (rows: thetas), the deterministic part of x."""
    cal = _calibrator(setup, figures)
    out = np.empty((len(thetas), len(cal.targets)))
    for k, theta in enumerate(thetas):
        out[k] = cal.values(apply_free(cal.base, cal.free, theta), cal.targets)
    return out


def _task(args: tuple[str, str, np.ndarray]) -> np.ndarray:
    return simulate_values(*args)


def code_key(cal: Calibrator, config: PosteriorConfig) -> str:
    """Hash of everything a stored simulation depends on: inputs, model code, seed."""
    h = hashlib.sha256()
    for path in (config.setup, config.figures, *cal.loaded.sources):
        h.update(Path(path).read_bytes())
    pkg = Path(__file__).resolve().parent.parent
    model_code = [*sorted((pkg / "core").glob("*.py")), *sorted((pkg / "scenario").glob("*.py"))]
    model_code += [pkg / "params.py"]
    model_code += [pkg / "calibration" / f for f in ("fit.py", "metrics.py", "figures.py")]
    for f in model_code:
        h.update(f.read_bytes())
    h.update(f"{config.seed}".encode())
    return h.hexdigest()[:12]


def prior_draws(cal: Calibrator, n: int, seed: int, stream: int) -> np.ndarray:
    """n parameter vectors from the uniform prior over the bounds (stream 0: training, 1: SBC)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, stream]))
    return rng.uniform(cal.lower, cal.upper, size=(n, len(cal.free)))


def noise(cal: Calibrator, n: int, seed: int, stream: int) -> np.ndarray:
    """Observation noise N(0, tolerance^2) for n simulated data sets."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 100 + stream]))
    tol = np.array([f.tolerance for f in cal.targets])
    return rng.standard_normal((n, len(tol))) * tol


def run_simulations(
    config: PosteriorConfig,
    thetas: np.ndarray,
    directory: Path,
    label: str,
    progress: Callable[[int, int, float], None] | None = None,
) -> np.ndarray:
    """Model values for `thetas`, reusing stored chunks; missing chunks run on a process pool."""
    directory.mkdir(parents=True, exist_ok=True)
    chunks = [(k, thetas[k : k + CHUNK]) for k in range(0, len(thetas), CHUNK)]
    paths = {k: directory / f"{label}_{k:07d}_{len(t)}.npy" for k, t in chunks}
    todo = [(k, t) for k, t in chunks if not paths[k].exists()]
    done = len(chunks) - len(todo)
    started = time.perf_counter()
    args = [(str(config.setup), str(config.figures), t) for _, t in todo]

    def store(k: int, values: np.ndarray) -> None:
        tmp = paths[k].with_suffix(".tmp.npy")
        np.save(tmp, values)
        os.replace(tmp, paths[k])

    if todo:
        if config.workers > 1:
            with ProcessPoolExecutor(config.workers, mp_context=get_context("spawn")) as pool:
                for (k, _), values in zip(todo, pool.map(_task, args), strict=True):
                    store(k, values)
                    done += 1
                    if progress:
                        progress(done, len(chunks), time.perf_counter() - started)
        else:
            for (k, _), a in zip(todo, args, strict=True):
                store(k, _task(a))
                done += 1
                if progress:
                    progress(done, len(chunks), time.perf_counter() - started)
    return np.concatenate([np.load(paths[k]) for k, _ in chunks]) if chunks else np.zeros((0, 0))


def bar(label: str, stream=sys.stderr) -> Callable[[int, int, float], None]:
    """A one-line progress display with ETA."""

    def show(done: int, total: int, elapsed: float) -> None:
        eta = elapsed / max(done, 1) * (total - done)
        stream.write(f"\r  {label}: {done}/{total} chunks, {elapsed:5.0f} s, ETA {eta:5.0f} s ")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


@dataclass
class PosteriorResult:
    """What `fit_posterior` produced."""

    names: list[str]
    lower: np.ndarray
    upper: np.ndarray
    samples: np.ndarray  # (posterior_samples, d) for the published figures
    sbc_ranks: np.ndarray  # (sbc_datasets, d) rank of the true value among L posterior draws
    sbc_coverage: np.ndarray  # (d,) share of held-out data sets whose 90 % interval holds the truth
    sbc_draws: int
    simulations: int
    seconds: float
    key: str
    estimator: object  # the trained sbi posterior (not pickled to disk)


class _NoTracking:
    """An sbi experiment tracker that records nothing (sbi's default writes TensorBoard logs into
    ./sbi-logs of whatever directory the command runs in)."""

    log_dir = None

    def log_metric(self, name: str, value: float, step: int | None = None) -> None:
        """Ignore a training metric."""

    def log_metrics(self, metrics: dict, step: int | None = None) -> None:
        """Ignore training metrics."""

    def log_params(self, params: dict) -> None:
        """Ignore the training settings."""

    def add_figure(self, name: str, figure: object, step: int | None = None) -> None:
        """Ignore a figure."""

    def flush(self) -> None:
        """Nothing to write."""


def train_npe(cal: Calibrator, thetas: np.ndarray, xs: np.ndarray, seed: int):
    """Train a masked autoregressive flow p(theta | x) with sbi's NPE; returns the posterior."""
    import torch
    from sbi.inference import NPE
    from sbi.utils import BoxUniform

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    prior = BoxUniform(
        torch.tensor(cal.lower, dtype=torch.float32), torch.tensor(cal.upper, dtype=torch.float32)
    )
    inference = NPE(prior=prior, density_estimator="maf", show_progress_bars=False, tracker=_NoTracking())
    inference.append_simulations(
        torch.tensor(thetas, dtype=torch.float32), torch.tensor(xs, dtype=torch.float32)
    )
    estimator = inference.train(
        training_batch_size=512,
        learning_rate=1e-3,
        stop_after_epochs=15,
        max_num_epochs=MAX_EPOCHS,
        show_train_summary=False,
    )
    return inference.build_posterior(estimator)


def sample(posterior, x: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n posterior draws for one data set x."""
    import torch

    torch.manual_seed(seed)
    return posterior.sample((n,), x=torch.tensor(x, dtype=torch.float32), show_progress_bars=False).numpy()


def sbc(
    posterior, thetas: np.ndarray, xs: np.ndarray, draws: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(ranks, coverage of the central 90 % interval) over held-out (theta, x) pairs.

    rank = number of the data set's posterior draws below its true value (uniform on 0..draws if
    the posterior is calibrated); all data sets are sampled in one batch.
    """
    import torch

    torch.manual_seed(seed)
    s = posterior.sample_batched(
        (draws,), x=torch.tensor(xs, dtype=torch.float32), show_progress_bars=False
    ).numpy()  # (draws, B, d)
    ranks = (s < thetas[None, :, :]).sum(axis=0)
    lo, hi = np.quantile(s, [0.05, 0.95], axis=0)
    inside = (lo <= thetas) & (thetas <= hi)
    return ranks, inside.mean(axis=0)


def fit_posterior(config: PosteriorConfig, progress: bool = True) -> PosteriorResult:
    """Simulate (resumably), train NPE, sample the posterior of the figures and run SBC."""
    started = time.perf_counter()
    cal = _calibrator(str(config.setup), str(config.figures))
    key = code_key(cal, config)
    cache = (config.cache or Path(config.setup).parent / ".posterior_sims") / key
    thetas = prior_draws(cal, config.simulations, config.seed, 0)
    values = run_simulations(
        config, thetas, cache, "train", bar("training simulations") if progress else None
    )
    xs = values + noise(cal, config.simulations, config.seed, 0)
    ok = np.isfinite(xs).all(axis=1)
    posterior = train_npe(cal, thetas[ok], xs[ok], config.seed)
    x_o = np.array([f.value for f in cal.targets])
    samples = sample(posterior, x_o, config.posterior_samples, config.seed)
    held = prior_draws(cal, config.sbc_datasets, config.seed, 1)
    held_values = run_simulations(config, held, cache, "sbc", bar("SBC simulations") if progress else None)
    held_x = held_values + noise(cal, config.sbc_datasets, config.seed, 1)
    draws = 400
    ranks, coverage = sbc(posterior, held, held_x, draws, config.seed + 1)
    return PosteriorResult(
        names=[f.path for f in cal.free],
        lower=cal.lower.copy(),
        upper=cal.upper.copy(),
        samples=samples,
        sbc_ranks=ranks,
        sbc_coverage=coverage,
        sbc_draws=draws,
        simulations=config.simulations,
        seconds=time.perf_counter() - started,
        key=key,
        estimator=posterior,
    )

"""Project paths (light module: importing it loads nothing else).

The package is used from its source tree (`pip install -e .`), so the project's
data folders sit next to `sim/`.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CALIBRATION_DIR = PROJECT_ROOT / "calibration"
DEFAULT_SETUP = CALIBRATION_DIR / "free_parameters.yaml"
DEFAULT_FIGURES = CALIBRATION_DIR / "figures.csv"
DEFAULT_PARAMS = CALIBRATION_DIR / "params.yaml"
DEFAULT_POSTERIOR_SETUP = CALIBRATION_DIR / "posterior_parameters.yaml"
DEFAULT_POSTERIOR = CALIBRATION_DIR / "posterior.parquet"

"""The run path: one run (`job`: `Base`, `Draw`, `run_job`) and where runs execute (`executors`).

Depends on sim.core and sim.scenario only; sim.api, sim.compare, sim.sweep, sim.calibration and
sim.ui sit above it. Submodules are imported on use (`executors` does not import the model).
"""

"""The scenario workbench: a local Solara web app (`mvsim serve`, docs/workbench.md).

Modules: `adapter` (the only place that calls the library: sim.api, sim.compare,
sim.scenario.loader, sim.results), `editor` (levers over a scenario mapping, YAML out),
`workflow` (open, edit, validate, save, start a comparison: the steps without a UI),
`jobs` (background comparisons on a warm process pool, with progress and cancel),
`panels` (tables and figures from a comparison and a run), `components` and `app`
(the Solara page), `server` (uvicorn on 127.0.0.1) and `assets` (Solara's front-end files
for machines without internet). Importing this package is cheap; Solara is imported only
by `components`, `app`, `server` and `assets`.
"""

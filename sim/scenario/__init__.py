"""Scenario files: typed schema, `extends:` merging, cross-reference checks and loading."""

from sim.scenario.loader import LoadedScenario, load_scenario, scenario_json_schema
from sim.scenario.schema import ScenarioSpec

__all__ = ["LoadedScenario", "ScenarioSpec", "load_scenario", "scenario_json_schema"]

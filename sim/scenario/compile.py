"""Compile a validated scenario into the core's World (the scenario layer's translation step)."""

from __future__ import annotations

from sim.core.world import build_world

__all__ = ["build_world"]

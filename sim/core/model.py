"""The Mesa model: monthly steps composing the mechanism modules.

step() reads as the month's sequence:
    advance the policy calendar -> scripted events -> stochastic hazards ->
    decisions (every `every_months`) -> economy (sanctions, gravity, re-exports,
    routes) -> secondary-sanction detection -> alignment -> record.

The model is pure: no files, printing or plotting. It records into numpy
arrays (`Recorder`) that the results layer turns into tables. All randomness
comes from one numpy Generator (`self.rng`), drawn in a fixed order, so the
same scenario and seed give bit-identical results.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim.core import alignment as al
from sim.core.agents import BlocAgent, Decision, Scorer, StateAgent, _rates
from sim.core.counterfactual import snapshot
from sim.core.economy import Outcome, dependence, evaluate, income_by_pole
from sim.core.policy import (
    Policy,
    actor_of,
    advance,
    apply_action,
    initial_policy,
    note_blocked,
    secondary_intensity,
)
from sim.core.recorder import Recorder, RunOutput
from sim.core.sanctions import detection_chance
from sim.core.world import World
from sim.scenario import schema as S
from sim.scenario.schema import month_index


class MultiVectorModel(mesa.Model):
    """States and blocs that trade, sanction and pressure each other, month by month.

    Args:
        world: the compiled scenario (sim.core.world.build_world).
        rng: the run's numpy Generator (or a seed); the only source of randomness.
        record_flows: keep the (T, N, N, G) bilateral flow array (large for big N).
    """

    def __init__(self, world: World, rng: np.random.Generator | int | None = None, record_flows: bool = True):
        super().__init__(rng=rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng))
        self.world = world
        spec = world.spec
        self.policy: Policy = initial_policy(world)
        self.alignment = world.alignment0.copy()
        self.month = 0
        self.running = True
        start = month_index(spec.start)
        self.events: dict[int, list[S.EventSpec]] = {}
        for ev in spec.events:
            self.events.setdefault(month_index(ev.date) - start, []).append(ev)
        dstart = spec.decisions.start
        self.decide_from = month_index(dstart) - start if dstart else 0
        self.hazard_from = [month_index(h.active_from) - start if h.active_from else 0 for h in spec.hazards]
        menus = spec.decisions.menus if spec.decisions.enabled else {}
        self.states = [
            StateAgent(self, i, name, list(menus.get(name, []))) for i, name in enumerate(world.actors)
        ]
        self.blocs = []
        for b in spec.blocs:
            if b.name in menus:
                mem = world.bloc_members[b.name]
                weights = (
                    np.array([b.vote_weights.get(world.actors[m], 0.0) for m in mem])
                    if b.vote_weights
                    else world.gdp[list(mem)]
                )
                self.blocs.append(BlocAgent(self, b.name, mem, weights, b.threshold, list(menus[b.name])))
        self._baseline = evaluate(world, initial_policy(world), 0, None)
        self._income0 = income_by_pole(world, initial_policy(world), self._baseline)
        self._direct = self._baseline.direct
        self.recorder = Recorder(world, record_flows)
        self.last_outcome: Outcome | None = None

    # ------------------------------------------------------------------ helpers
    def _apply(self, action: S.Action, kind: str, name: str, detail: dict | None = None) -> None:
        apply_action(self.world, self.policy, action, self.month)
        self.recorder.log_action(self.month, kind, name, action, detail or {})

    def _fire_events(self) -> None:
        for ev in self.events.get(self.month, []):
            self._apply(ev.action, "event", ev.action.type)

    def _fire_hazards(self) -> None:
        for h, start in zip(self.world.spec.hazards, self.hazard_from, strict=True):
            draw = self.rng.random()  # drawn every month so streams do not shift
            if self.month >= start and draw < 1.0 - math.exp(-h.rate_per_year / 12.0):
                self._apply(h.action, "hazard", h.name)

    def _decide(self) -> None:
        spec = self.world.spec.decisions
        if (
            not spec.enabled
            or self.month < self.decide_from
            or (self.month - self.decide_from) % spec.every_months
        ):
            return
        deciders = [a for a in self.states if a.menu] + self.blocs
        if not deciders:
            return
        sq = snapshot(self.world, self.policy, self.month)
        scorer = Scorer(self.world, sq, self.month, self.alignment, self.policy.grievance)
        rationality = self.world.params.decision_rationality
        decisions: list[Decision] = []
        for agent in deciders:  # fixed order: actors in scenario order, then blocs
            d = agent.decide(scorer, rationality, float(self.rng.random()))
            if d is not None:
                decisions.append(d)
        # Simultaneous moves: all choices were made on the same snapshot, then applied.
        for d in decisions:
            self.recorder.log_decision(self.month, d)
            if d.chosen.action is not None:
                self._apply(d.chosen.action, "decision", d.chosen.name, {"decided_by": d.actor})

    def _detect_secondary(self, out: Outcome) -> None:
        by_int = out.diversion.by_intermediary(len(self.world.goods))
        for m in self.policy.secondary:
            draw = self.rng.random()
            chance = detection_chance(
                m.detection_probability,
                by_int[m.target, list(m.goods)].sum(),
                self.world.params.detection_scale_usd_bn,
            )
            if draw < chance:
                q = self.world.pole_of[m.sender]
                if q >= 0:
                    self.policy.penalties[m.target, q] += m.penalty_usd_bn
                    intensity = secondary_intensity(m.detection_probability)
                    self.policy.pressure[m.target, q] = max(self.policy.pressure[m.target, q], intensity)
                self.recorder.log_penalty(
                    self.month, self.world.actors[m.sender], self.world.actors[m.target], m.penalty_usd_bn
                )

    def _update_alignment(self, out: Outcome, dep: np.ndarray) -> dict[str, np.ndarray]:
        w, p = self.world, self.world.params
        # Realised penalties (USD bn, one-off) count as a year's worth of income lost to the pole.
        income = income_by_pole(w, self.policy, out) - self.policy.penalties * 12.0
        gain = (income - self._income0) / w.gdp[:, None]
        rates = _rates(w)
        forces = al.alignment_forces(
            self.alignment,
            w.alignment0,
            gain,
            self.policy.security_change,
            al.pressure_force(self.policy.pressure, dep, w.sovereignty, rates, w.compliance),
            p.signal_rate * self.policy.signals,
            rates,
        )
        total = sum(forces.values())
        total[~w.is_state] = 0.0
        self.alignment = al.exponentiated_step(self.alignment, total)
        return forces

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """Advance one month."""
        advance(self.policy, self.month, self.world.params.grievance_decay_per_month)
        self._fire_events()
        self._fire_hazards()
        self._decide()
        out = evaluate(self.world, self.policy, self.month, self._direct)
        note_blocked(self.world, self.policy, out.blocked)
        self._detect_secondary(out)
        dep = dependence(self.world, out.flows, out.routes)
        forces = self._update_alignment(out, dep)
        self.recorder.record(self.month, out, dep, self.alignment, self.policy, forces)
        self._direct = out.direct
        self.last_outcome = out
        self.month += 1
        if self.month >= len(self.world.months):
            self.running = False

    def run(self) -> RunOutput:
        """Run to the horizon and return the recorded output."""
        while self.running:
            self.step()
        return self.recorder.output()


def run_world(world: World, seed: int | np.random.SeedSequence, record_flows: bool = True) -> RunOutput:
    """Run a compiled world with a seed; releases Mesa's per-model registry afterwards."""
    rng = np.random.default_rng(seed)
    model = MultiVectorModel(world, rng=rng, record_flows=record_flows)
    try:
        return model.run()
    finally:
        # Mesa keeps a class-level registry keyed by model (engineering notes): free it.
        mesa.Agent._ids.pop(model, None)


__all__ = ["MultiVectorModel", "actor_of", "run_world"]

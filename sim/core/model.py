"""The Mesa model: monthly steps composing the mechanism modules.

step() reads as the month's sequence:
    advance the policy calendar -> scripted events -> stochastic hazards ->
    decisions (every `every_months`) -> economy (sanctions, gravity, re-exports,
    routes) -> secondary-sanction detection -> alignment -> record.

The model is pure: no files, printing or plotting. It records into numpy
arrays (`Recorder`) that the results layer turns into tables. Every stochastic
element draws from its own named stream (`sim.core.streams`: each hazard, each
secondary-sanction measure's detection, each decider's draws), derived from the
run's root seed and the element's name: the same scenario and seed give
bit-identical results, and adding an event never shifts another element's draws.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from sim.core import alignment as al
from sim.core import bargaining as bg
from sim.core.actions import Action, Event, secondary_intensity
from sim.core.agents import BlocAgent, Decision, Scorer, StateAgent, _rates, hedges
from sim.core.apply import actor_of, apply_action
from sim.core.coercion import coercion_probability
from sim.core.counterfactual import snapshot
from sim.core.economy import Outcome, dependence, evaluate, income_by_pole
from sim.core.policy import OpenDemand, Policy, advance, fade, initial_policy, note_blocked
from sim.core.recorder import Recorder, RunOutput
from sim.core.route_economy import update_backlog
from sim.core.sanctions import SecondaryMeasure, detection_chance
from sim.core.streams import Streams
from sim.core.trade import alignment_distance
from sim.core.utility import annuity_years, horizon_years
from sim.core.world import World


class MultiVectorModel(mesa.Model):  # type: ignore[misc]  # mesa ships no type information
    """States and blocs that trade, sanction and pressure each other, month by month.

    Args:
        world: the compiled scenario (sim.core.world.build_world).
        rng: the run's numpy Generator (or a seed); its seed sequence roots the named
            streams (`self.streams`), the only source of randomness.
        record_flows: keep the (T, N, N, G) bilateral flow array (large for big N).
        collect: fill Mesa's DataCollector (`self.datacollector`) each month, for Mesa's tools;
            `run_world` turns it off (its model is released after the run, and the recorder's
            output holds every collected metric).
    """

    def __init__(
        self,
        world: World,
        rng: np.random.Generator | int | None = None,
        record_flows: bool = True,
        collect: bool = True,
    ):
        super().__init__(rng=rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng))
        self.world = world
        world.caches.reset_run_memos()  # per-run memos: a run never reads an earlier run's
        self.streams = Streams(self.rng)
        self.policy: Policy = initial_policy(world)
        self.alignment = world.alignment0.copy()
        self._distance0 = alignment_distance(world.alignment0)  # (N, N) base-year alignment distance
        self.month = 0
        self.running = True
        self.events: dict[int, list[Event]] = {}
        for ev in world.events:
            self.events.setdefault(ev.month, []).append(ev)
        self.decide_from = world.decisions.start
        menus = (world.decisions.menus or {}) if world.decisions.enabled else {}
        self.states = [
            StateAgent(self, i, name, list(menus.get(name, []))) for i, name in enumerate(world.actors)
        ]
        self.blocs = []
        for b in world.blocs:
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
        self._hat = self._baseline.hat
        self.recorder = Recorder(world, record_flows)
        self.last_outcome: Outcome | None = None
        self.datacollector = _datacollector(world.poles) if collect else None
        # deciders' coercion exposure (value at risk), re-assessed yearly
        self._exposure: dict[tuple[Any, ...], Any] = {}
        # hedgers' value at risk per pole (USD bn/yr) as assessed in their last decision round: the
        # threat force (sim.core.alignment) reads it; zero until a hedger's first round
        self._threat_var = np.zeros((world.n, len(world.poles)))
        self._hedgers = [i for i in range(world.n) if hedges(world, i)]
        p = world.params
        # the quiet-world coercion chance over the horizon (base hazard only; hedgers have no own
        # pole, so it is the same for every pole) and A(d) / A(H), the flow of one episode's loss
        self._quiet_chance = 1.0 - math.exp(-p.coercion_hazard_base_per_month * p.decision_horizon_months)
        self._flow_per_loss = annuity_years(p, 0, p.coercion_duration_months) / horizon_years(p)
        self._outlays = np.zeros(world.n)  # this month's one-off costs of actions taken, USD bn
        # trigger rules: consecutive months each watched route has been short; armed until it fires
        self._months_short = [0] * len(world.contingencies)
        self._armed = [True] * len(world.contingencies)
        self._fired = [0] * len(world.contingencies)
        self._detection_names: dict[SecondaryMeasure, str] = {}  # measure -> its detection stream's name

    # ------------------------------------------------------------------ helpers
    def _apply(
        self,
        action: Action,
        kind: str,
        name: str,
        detail: dict[str, Any] | None = None,
        start: int | None = None,
    ) -> None:
        """Put an action into force from month index `start` (default: this month), book its
        outlay and log it."""
        apply_action(self.world, self.policy, action, self.month if start is None else start)
        self._book_outlay(action)
        self.recorder.log_action(self.month, kind, name, action, detail or {})

    def _book_outlay(self, action: Action) -> None:
        """Book an action's one-off cost (`cost_usd_bn`, USD bn) to its actor this month; a bloc's
        cost is shared by its members in proportion to GDP. A state's decision prices the same
        outlay in its cost term (in a bloc vote each member weighs the full cost, not its share: a
        known difference); recording it lets outcomes count what the policy spent."""
        cost = float(getattr(action, "cost_usd_bn", 0.0) or 0.0)
        who = actor_of(action)
        if cost <= 0.0 or who is None:
            return
        members = list(self.world.members(who))
        gdp = self.world.gdp[members]
        self._outlays[members] += cost * (gdp / gdp.sum() if gdp.sum() > 0 else 1.0 / len(members))

    def _fire_events(self) -> None:
        for ev in self.events.get(self.month, []):
            self._apply(ev.action, "event", ev.action.type)

    def _check_contingencies(self, out: Outcome) -> None:
        """Trigger rules, after the month's economy: a rule fires when its route's capacity in force
        has been below its share of the built capacity for its months in a row, once per episode and
        at most `max_times` in the run."""
        w = self.world
        for k, c in enumerate(w.contingencies):
            built = w.route_capacity0[c.route] + self.policy.capacity_added[c.route]
            short = built > 0 and out.routes.capacity[c.route] < c.share * built
            if not short:
                self._months_short[k], self._armed[k] = 0, True
                continue
            self._months_short[k] += 1
            if self._armed[k] and self._months_short[k] >= c.months and self._fired[k] < c.max_times:
                self._armed[k] = False
                self._fired[k] += 1
                months = self._months_short[k]
                note = f"rule: {w.routes[c.route]} below {c.share:g} of its capacity for {months} months"
                if c.action.note:
                    note = f"{c.action.note}; {note}"
                # taken at the end of this month, after its economy: in force from the next month
                # (its lag and duration counted from there); rules act in file order
                self._apply(dataclasses.replace(c.action, note=note), "rule", c.name, start=self.month + 1)

    def _fire_hazards(self) -> None:
        for h in self.world.hazards:
            draw = self.streams.uniform("hazard", h.name)  # drawn every month: its own stream
            if self.month >= h.active_from and draw < 1.0 - math.exp(-h.rate_per_year / 12.0):
                self._apply(h.action, "hazard", h.name)

    def _decide(self) -> None:
        spec = self.world.decisions
        if (
            not spec.enabled
            or self.month < self.decide_from
            or (self.month - self.decide_from) % spec.every_months
        ):
            return
        asked = {od.target for od in self.policy.demands}
        deciders = [a for a in self.states if a.menu or a.index in asked] + self.blocs
        if not deciders:
            return
        sq = snapshot(self.world, self.policy, self.month)
        scorer = Scorer(self.world, sq, self.month, self.alignment, self._exposure)
        # Demands past their deadline lapse into refusals (the threat may then be carried out).
        lapsed = [od for od in self.policy.demands if od.until <= self.month]
        self.policy.demands = [od for od in self.policy.demands if od.until > self.month]
        for od in lapsed:
            self._answer(scorer, od, bg.REFUSE, "lapsed")
        sq.policy.demands = list(self.policy.demands)
        decisions: list[Decision] = []
        for agent in deciders:  # fixed order: actors in scenario order, then blocs
            rationality = agent.rationality(self.world)
            d = agent.decide(scorer, rationality, self.streams.uniform("decision", agent.name))
            if d is not None:
                decisions.append(d)
        for agent in deciders:
            if isinstance(agent, StateAgent) and agent.index in self._hedgers:
                self._threat_var[agent.index] = scorer.value_at_risk(agent.index)
        # Simultaneous moves: all choices were made on the same snapshot, then applied.
        for d in decisions:
            self.recorder.log_decision(self.month, d)
            if d.chosen.answer is not None:
                self._answer(scorer, *d.chosen.answer, d.actor)
            elif d.chosen.action is not None:
                self._apply(d.chosen.action, "decision", d.chosen.name, {"decided_by": d.actor})

    def _answer(self, scorer: Scorer, od: OpenDemand, answer: str, by: str) -> None:
        """Put a target's answer to a demand into force; on refusal, the sender decides on its threat."""
        if od not in self.policy.demands and by != "lapsed":
            return
        self.policy.demands = [x for x in self.policy.demands if x is not od]
        d, w = od.demand, self.world
        if answer in (bg.CONCEDE, bg.COUNTER):
            for a in d.on_concede if answer == bg.CONCEDE else d.counter:
                self._apply(a, "decision", bg.answer_name(od, answer), {"decided_by": w.actors[od.target]})
            return
        # A refusal is a snub: the sender's pole holds a grievance against the target.
        q = w.pole_of[bg.sender_index(w, od)]
        senders = np.flatnonzero(w.pole_of == q) if q >= 0 else np.array(w.members(d.sender))
        self.policy.own_grievance()[senders, od.target] += d.intensity
        for k, threat in enumerate(d.on_refuse):
            prob, u = bg.execution_probability(scorer, od, threat)
            draw = self.streams.uniform("threat", f"{d.sender}:{d.issue}:{k}")
            executed = draw < prob
            note = (
                f"threat on refusal of {d.issue} ({by}): P(execute)={prob:.3f} from the sender's "
                f"utility {u:+.3f} USD bn; draw {draw:.3f}: {'executed' if executed else 'withheld'}"
            )
            logged = dataclasses.replace(threat, note=note)
            if executed:
                self._apply(logged, "threat", f"execute threat: {d.issue}")
            else:
                name = f"withhold threat: {d.issue}"
                self.recorder.log_action(self.month, "threat_withheld", name, logged, {})

    def _detect_secondary(self, out: Outcome) -> None:
        by_int = out.diversion.by_intermediary(len(self.world.goods))
        for m in self.policy.secondary:
            name = self._detection_names.get(m)
            if name is None:
                name = self._detection_names[m] = m.key(self.world.actors, self.world.goods)
            draw = self.streams.uniform("detection", name)
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
            self._threat(),
        )
        # A hedger resists being pulled to a pole: positive pulls are damped (not anchor or threat).
        for k in ("gain", "security", "pressure", "signal"):
            forces[k] = al.damp_pulls(forces[k], w.hedging, p.alignment_hedging_damping)
        total = np.asarray(sum(forces.values()))
        total[~w.is_state] = 0.0
        self.alignment = al.exponentiated_step(self.alignment, total)
        fade(self.policy, p)  # one-off security changes and the memory of coercion fade
        return forces

    def _threat(self) -> np.ndarray | None:
        """The hedgers' threat force (N, P) this month, or None when no hedger has assessed its risk yet."""
        w, p = self.world, self.world.params
        if p.alignment_threat_weight <= 0 or not self._threat_var.any():
            return None
        prob = np.zeros_like(self._threat_var)
        for i in self._hedgers:
            prob[i] = coercion_probability(w, self.policy, i)
        return al.threat_force(
            prob,
            self._quiet_chance,
            self._threat_var,
            w.gdp,
            w.hedging,
            p.alignment_gain_rate,
            p.alignment_threat_weight,
            self._flow_per_loss,
        )

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """Advance one month."""
        advance(self.policy, self.month, self.world.params.grievance_decay_per_month)
        if self.world.params.political_distance_semi_elasticity > 0:  # political trade costs
            self.policy.political_distance = alignment_distance(self.alignment) - self._distance0
        self._fire_events()
        self._fire_hazards()
        self._decide()
        out = evaluate(self.world, self.policy, self.month, self._hat)
        lost_for_good = update_backlog(self.world, self.policy, out.routes)
        note_blocked(self.world, self.policy, out.blocked)
        self._detect_secondary(out)
        self._check_contingencies(out)
        dep = dependence(self.world, out.flows, out.routes)
        forces = self._update_alignment(out, dep)
        self.recorder.record(self.month, out, dep, self.alignment, self.policy, forces, self._outlays)
        self._outlays = np.zeros(self.world.n)
        self.recorder.record_volumes(self.month, out, self.policy.backlog.copy(), lost_for_good)
        self._hat = out.hat
        self.policy.route_load = out.routes.allocation.route_volume  # congestion priced next month
        self.last_outcome = out
        if self.datacollector is not None:
            self.datacollector.collect(self)
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
    model = MultiVectorModel(world, rng=rng, record_flows=record_flows, collect=False)
    try:
        return model.run()
    finally:
        release(model)


def release(model: MultiVectorModel) -> None:
    """Free a finished model's memory through public Mesa calls only; the model is unusable after.

    Mesa 3.3 keeps every model that ever created an agent in a class-level registry, so the
    model object outlives its run (engineering notes). Its agents are removed
    (`Model.remove_all_agents`) and every attribute is dropped, leaving an empty object of a
    few dozen bytes in that registry.
    """
    model.remove_all_agents()
    model.__dict__.clear()


def _state_metric(metric: str) -> Callable[[StateAgent], float]:
    def report(agent: StateAgent) -> float:
        m = agent.model
        return float(m.recorder.metrics[metric][m.month, agent.index])

    return report


def _state_alignment(pole: int) -> Callable[[StateAgent], float]:
    def report(agent: StateAgent) -> float:
        return float(agent.model.alignment[agent.index, pole])

    return report


COLLECTED_METRICS = ("exports_usd_bn", "imports_usd_bn", "lost_exports_usd_bn", "multivector_index")
"""Actor metrics in the Mesa DataCollector (USD bn/yr; multivector_index 0-1)."""


def _datacollector(poles: list[str]) -> mesa.DataCollector:
    """Mesa DataCollector of the main actor metrics, one row per month and state agent:
    COLLECTED_METRICS plus `alignment_<pole>` (0-1), and the model's `month` ('YYYY-MM').
    For Mesa tools (`model.datacollector.get_agenttype_vars_dataframe(StateAgent)`); the
    result tables (sim.results.tables) are the full record."""
    reporters: dict[str, Callable[[StateAgent], float | str]] = {
        "name": lambda a: a.name,
        **{k: _state_metric(k) for k in COLLECTED_METRICS},
        **{f"alignment_{p}": _state_alignment(j) for j, p in enumerate(poles)},
    }
    return mesa.DataCollector(
        model_reporters={"month": lambda m: m.world.months[m.month]},
        agenttype_reporters={StateAgent: reporters},
    )


__all__ = ["COLLECTED_METRICS", "MultiVectorModel", "actor_of", "release", "run_world"]

"""Mesa agents: states and blocs that choose actions by expected utility.

Agents make decisions; the numeric state (flows, routes, alignment) lives in
the model's arrays. A decision scores the status quo and each menu item with
the terms in `sim.core.decisions` and draws one by a logit. Every candidate's
terms are returned so the decisions log can answer "why did Kazakhstan do that?".
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.core import alignment as al
from sim.core.counterfactual import (
    Snapshot,
    actor_dependence,
    actor_welfare,
    counterfactual,
    snapshot,
)
from sim.core.decisions import TERMS, herfindahl, logit_choice, total_utility
from sim.core.economy import decision_welfare
from sim.core.policy import apply_action, pressure_intensity, stance, target_of
from sim.core.world import World
from sim.scenario import schema as S

STATUS_QUO = "status_quo"


@dataclass
class Candidate:
    """One scored option: name, action (None for the status quo) and its utility terms."""

    name: str
    action: S.Action | None
    terms: dict[str, float]
    utility: float
    probability: float = 0.0
    support: float | None = None  # blocs: vote-weighted share of members in favour


@dataclass
class Decision:
    """The outcome of one decision round for one actor or bloc."""

    actor: str
    chosen: Candidate
    candidates: list[Candidate]
    support: float | None = None  # blocs: weighted share of members in favour


def effective_months(action: S.Action, horizon: int) -> float:
    """Months within the decision horizon during which the action's economic effect lasts."""
    if isinstance(action, S.RouteInvestmentAction):
        return float(max(0, horizon - action.lag_months))
    duration = getattr(action, "duration_months", None)
    return float(min(duration, horizon)) if duration else float(horizon)


class _Base:
    """A status-quo snapshot with per-actor caches of welfare and dependence."""

    def __init__(self, world: World, snap: Snapshot):
        self.world, self.snap = world, snap
        self._w: dict[int, float] = {}
        self._dep: dict[int, np.ndarray] = {}

    def decision_welfare(self, i: int) -> float:
        if i not in self._w:
            self._w[i] = decision_welfare(self.world, actor_welfare(self.world, self.snap, i), i)
        return self._w[i]

    def dependence(self, i: int) -> np.ndarray:
        if i not in self._dep:
            self._dep[i] = actor_dependence(self.world, self.snap, i)
        return self._dep[i]


class Scorer:
    """Scores candidate actions for actors against one status-quo snapshot."""

    def __init__(self, world: World, sq: Snapshot, month: int, alignment: np.ndarray, grievance: np.ndarray):
        self.world, self.sq, self.month = world, sq, month
        self.alignment, self.grievance = alignment, grievance
        self._bases: dict[str, _Base] = {"current": _Base(world, sq)}
        self._rivals: dict[int, list[int]] = {}

    def base_for(self, action: S.Action) -> _Base:
        """The status quo an action is compared with.

        Route investments pay off for years, so they are valued against structural
        conditions (today's policy without the temporary route disruptions in force),
        not against this month's outage. Everything else: the current snapshot.
        """
        if not isinstance(action, S.RouteInvestmentAction) or not self.sq.policy.disruptions:
            return self._bases["current"]
        if "structural" not in self._bases:
            policy = self.sq.policy.copy()
            policy.disruptions = []
            self._bases["structural"] = _Base(self.world, snapshot(self.world, policy, self.month))
        return self._bases["structural"]

    @property
    def region_gdp(self) -> float:
        """GDP of the contested middle states (states that are not poles), USD bn."""
        w = self.world
        return float(w.gdp[w.is_state & (w.pole_of < 0)].sum()) or 1.0

    def predicted_shift(
        self, base: _Base, j: int, pole: int, cf: Snapshot, intensity: float, months: float
    ) -> float:
        """Predicted change of middle state j's alignment toward `pole` if the action is taken.

        The alignment layer's own forces: the welfare change the action brings j
        (gain force, sustained over the action's effective months) plus the one-off
        pressure impulse (compliance minus backlash); anchor pull ignored.
        """
        w, p = self.world, self.world.params
        d_wj = decision_welfare(w, actor_welfare(w, cf, j), j) - base.decision_welfare(j)
        force = np.zeros(len(w.poles))
        force[pole] = p.alignment_gain_rate * d_wj / w.gdp[j] * months
        press = np.zeros((1, len(w.poles)))
        press[0, pole] = intensity
        force += al.pressure_force(
            press, base.dependence(j)[None, :], w.sovereignty[[j]], _rates(w), w.compliance[[j]]
        )[0]
        return float(al.exponentiated_step(self.alignment[j], force)[pole] - self.alignment[j, pole])

    def rivals(self, i: int) -> list[int]:
        """Actors that i sanctions (it is a sender of a measure in force against them)."""
        if i not in self._rivals:
            self._rivals[i] = sorted({m.target for m in self.sq.policy.measures.values() if i in m.senders})
        return self._rivals[i]

    def status_quo(self) -> dict[str, float]:
        return dict.fromkeys(TERMS, 0.0)

    def score(self, i: int, action: S.Action) -> dict[str, float]:
        """Utility terms (points = % of GDP) of actor i taking `action` now, vs the status quo."""
        w, p = self.world, self.world.params
        base = self.base_for(action)
        cf = counterfactual(w, base.snap, action, self.month)
        gdp = w.gdp[i]
        months = effective_months(action, p.decision_horizon_months)
        d_w = decision_welfare(w, actor_welfare(w, cf, i), i) - base.decision_welfare(i)
        econ = 100.0 * d_w * months / 12.0 / gdp
        cost = 100.0 * getattr(action, "cost_usd_bn", 0.0) / gdp
        st = stance(w, self.sq.policy, action, i)
        dep_sq, dep_cf = base.dependence(i), actor_dependence(w, cf, i)
        security = (
            w.security_weight[i]
            * p.stance_utility
            * float((w.security_dependence[i] * np.minimum(st, 0.0)).sum())
        )
        # Dependence effects last as long as the economic ones: scale by the share of the horizon.
        lasting = months / p.decision_horizon_months
        ident = w.alignment_weight[i] * float(
            (self.alignment[i] * (p.stance_utility * st + 100.0 * lasting * (dep_cf - dep_sq))).sum()
        )
        sovereignty = w.hedging[i] * 100.0 * lasting * float(herfindahl(dep_cf) - herfindahl(dep_sq))
        influence = punishment = 0.0
        pole = w.pole_of[i]
        intensity = pressure_intensity(action)
        if pole >= 0:
            for j in target_of(w, action):
                if j == i or not w.is_state[j] or w.pole_of[j] >= 0:
                    continue
                shift = self.predicted_shift(base, j, pole, cf, intensity, months)
                influence += p.influence_weight * 100.0 * w.gdp[j] / self.region_gdp * shift
                punishment += p.punishment_weight * float(self.grievance[i, j]) * intensity
        rivalry = 0.0
        for r in self.rivals(i):
            d_wr = decision_welfare(w, actor_welfare(w, cf, r), r) - base.decision_welfare(r)
            rivalry += p.rivalry_weight * 100.0 * (-d_wr) * months / 12.0 / w.gdp[r]
        return {
            "econ": econ,
            "security": security,
            "alignment": ident,
            "influence": influence,
            "punishment": punishment,
            "rivalry": rivalry,
            "sovereignty": sovereignty,
            "cost": cost,
        }


def _rates(w: World) -> al.AlignmentRates:
    p = w.params
    return al.AlignmentRates(
        gain=p.alignment_gain_rate,
        security=p.alignment_security_rate,
        anchor=p.alignment_anchor_rate,
        compliance=p.pressure_compliance_rate,
        backlash=p.pressure_backlash_rate,
    )


def _is_noop(world: World, sq: Snapshot, action: S.Action, i: int) -> bool:
    """Items that would change nothing now (e.g. enforcement already at that level)."""
    if isinstance(action, S.EnforcementAction):
        return abs(sq.policy.enforcement[i] - action.level) < 1e-9
    if isinstance(action, S.SanctionAction) and action.label:
        return action.label in sq.policy.measures
    if isinstance(action, S.LiftSanctionAction):
        return action.label not in sq.policy.measures
    if isinstance(action, S.SecondarySanctionAction):
        trial = sq.policy.copy()
        apply_action(world, trial, action, 0)
        return trial.secondary == sq.policy.secondary
    return False


class _Decider(mesa.Agent):
    """Shared menu logic: cooldowns, no-op filtering and the logit draw."""

    name: str
    menu: list[S.MenuItem]
    last_chosen: dict[str, int]

    def available(self, scorer: Scorer, actor: int) -> list[S.MenuItem]:
        """Menu items off cooldown, inside their availability window, that would change something now."""
        label = scorer.world.months[scorer.month]
        return [
            m
            for m in self.menu
            if scorer.month - self.last_chosen.get(m.name, -(10**6)) >= m.cooldown_months
            and (m.available_from is None or label >= m.available_from)
            and (m.available_until is None or label <= m.available_until)
            and not _is_noop(scorer.world, scorer.sq, m.action, actor)
        ]

    def draw(self, scorer: Scorer, cands: list[Candidate], rationality: float, uniform: float) -> Candidate:
        """Logit draw among `cands`; sets probabilities and the chosen item's cooldown."""
        k, prob = logit_choice(np.array([c.utility for c in cands]), rationality, uniform)
        for c, pr in zip(cands, prob, strict=True):
            c.probability = float(pr)
        if cands[k].action is not None:
            self.last_chosen[cands[k].name] = scorer.month
        return cands[k]


class StateAgent(_Decider):
    """A state (or the Rest of World) at row `index` of the world's arrays."""

    def __init__(self, model: mesa.Model, index: int, name: str, menu: list[S.MenuItem]):
        super().__init__(model)
        self.index = index
        self.name = name
        self.menu = menu
        self.last_chosen = {}

    def decide(self, scorer: Scorer, rationality: float, uniform: float) -> Decision | None:
        """Score the status quo and each available item; draw one by logit."""
        items = self.available(scorer, self.index)
        if not items:
            return None
        cands = [Candidate(STATUS_QUO, None, scorer.status_quo(), 0.0)]
        for m in items:
            terms = scorer.score(self.index, m.action)
            cands.append(Candidate(m.name, m.action, terms, float(total_utility(terms))))
        return Decision(self.name, self.draw(scorer, cands, rationality, uniform), cands)


class BlocAgent(_Decider):
    """A bloc that decides collectively: a measure passes if weighted support >= threshold.

    Each member scores the item with its own utility; support is the vote-weighted
    share of members with utility above the status quo. Among the items that pass,
    the bloc draws by logit over the vote-weighted mean utility (status quo included).
    """

    def __init__(
        self,
        model: mesa.Model,
        name: str,
        members: tuple[int, ...],
        weights: np.ndarray,
        threshold: float,
        menu: list[S.MenuItem],
    ):
        super().__init__(model)
        self.name = name
        self.members = members
        self.weights = weights / weights.sum()
        self.threshold = threshold
        self.menu = menu
        self.last_chosen = {}

    def decide(self, scorer: Scorer, rationality: float, uniform: float) -> Decision | None:
        items = self.available(scorer, self.members[0])
        if not items:
            return None
        cands = [Candidate(STATUS_QUO, None, scorer.status_quo(), 0.0, support=1.0)]
        rejected = []
        for m in items:
            per_member = [scorer.score(i, m.action) for i in self.members]
            utils = np.array([total_utility(t) for t in per_member])
            support = float(self.weights @ (utils > 0))
            terms = {
                k: float(sum(wt * t[k] for wt, t in zip(self.weights, per_member, strict=True)))
                for k in TERMS
            }
            cand = Candidate(m.name, m.action, terms, float(self.weights @ utils), support=support)
            (cands if support >= self.threshold else rejected).append(cand)
        chosen = self.draw(scorer, cands, rationality, uniform)
        # Items that failed the vote are logged with probability 0.
        return Decision(self.name, chosen, cands + rejected, support=chosen.support)

"""Mesa agents: states and blocs that choose actions by expected utility.

Agents make decisions; the numeric state (flows, routes, alignment) lives in
the model's arrays. A decision scores the status quo and each menu item with
the terms in `sim.core.decisions` and draws one by a logit. Every candidate's
terms are returned so the decisions log can answer "why did Kazakhstan do that?".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from sim.core import actions as A
from sim.core import alignment as al
from sim.core import bargaining as bg
from sim.core.apply import (
    actor_of,
    agreement_label,
    apply_action,
    field_of,
    reprice_issuer,
    stance,
    target_of,
)
from sim.core.coercion import coercion_probability, coercion_risk, sovereignty_change
from sim.core.counterfactual import (
    Snapshot,
    counterfactual,
    snapshot,
)
from sim.core.decisions import TERMS, logit_choice, total_utility
from sim.core.policy import OpenDemand, pressure_intensity
from sim.core.status_quo import StatusQuo, route_signature
from sim.core.utility import annuity_years, horizon_years
from sim.core.world import World

STATUS_QUO = "status_quo"


@dataclass
class Candidate:
    """One scored option: name, action (None for the status quo) and its utility terms."""

    name: str
    action: A.Action | None
    terms: dict[str, float]
    utility: float
    probability: float = 0.0
    support: float | None = None  # blocs: vote-weighted share of members in favour
    answer: tuple[OpenDemand, str] | None = None  # an answer to an open demand (sim.core.bargaining)


@dataclass
class Decision:
    """The outcome of one decision round for one actor or bloc."""

    actor: str
    chosen: Candidate
    candidates: list[Candidate]
    support: float | None = None  # blocs: weighted share of members in favour


def timing(action: A.Action, horizon: int) -> tuple[int, int]:
    """(start month, months) of an action's economic effect inside the decision horizon."""
    lag = _lag(action)
    if lag is not None:
        return lag, max(0, horizon - lag)
    duration = field_of(action, "duration_months")
    return 0, int(min(duration, horizon)) if duration else horizon


def _lag(action: A.Action) -> int | None:
    """Months until a lagged action (an investment) takes effect; None for actions without a lag."""
    lag: int | None = getattr(action, "lag_months", None)
    return lag


def effective_months(action: A.Action, horizon: int) -> float:
    """Months within the decision horizon during which the action's economic effect lasts."""
    return float(timing(action, horizon)[1])


def hedges(world: World, i: int) -> bool:
    """Actors with a sovereignty (coercion-insurance) term: states that are not poles, hedging > 0."""
    return bool(world.hedging[i] > 0 and world.pole_of[i] < 0 and world.is_state[i])


class Scorer:
    """Scores candidate actions for actors against one status-quo snapshot (USD bn present value)."""

    def __init__(
        self,
        world: World,
        sq: Snapshot,
        month: int,
        alignment: np.ndarray,
        exposure: dict[tuple[Any, ...], Any] | None = None,
    ):
        self.world, self.sq, self.month = world, sq, month
        self.alignment = alignment
        self.exposure = {} if exposure is None else exposure  # coercion exposure, kept across rounds
        self._bases: dict[str, StatusQuo] = {"current": StatusQuo(world, sq, self.exposure)}
        self._rivals: dict[int, list[int]] = {}

    def value_at_risk(self, i: int) -> np.ndarray:
        """Actor i's value at risk per pole in this round's status quo, USD bn/yr (cached per round)."""
        return self._bases["current"].risk(i).value_at_risk

    @property
    def grievance(self) -> np.ndarray:
        """Grievance (N, N) in the status quo, read live (answers during the round add to it)."""
        return self.sq.policy.grievance

    def base_for(self, action: A.Action) -> StatusQuo:
        """The status quo an action is compared with.

        Route investments pay off for years, so they are valued against structural
        conditions (today's policy without the temporary route disruptions in force),
        not against this month's outage; their resilience value comes from the coercion
        risk (sim.core.coercion). Everything else: the current snapshot.
        """
        if _lag(action) is None or not self.sq.policy.disruptions:
            return self._bases["current"]
        if "structural" not in self._bases:
            policy = self.sq.policy.copy()
            policy.disruptions = []
            self._bases["structural"] = StatusQuo(
                self.world, snapshot(self.world, policy, self.month), self.exposure
            )
        return self._bases["structural"]

    def predicted_shift(
        self, base: StatusQuo, j: int, pole: int, cf: Snapshot, intensity: float, months: float
    ) -> float:
        """Predicted change of middle state j's alignment toward `pole` if the action is taken.

        The alignment layer's own forces: the welfare change the action brings j
        (gain force, sustained over the action's effective months) plus the one-off
        pressure impulse (compliance minus backlash), pulls damped by j's hedging; anchor pull ignored.
        """
        w, p = self.world, self.world.params
        d_wj = base.welfare_change(cf, j)
        force = np.zeros(len(w.poles))
        force[pole] = p.alignment_gain_rate * d_wj / w.gdp[j] * months
        press = np.zeros((1, len(w.poles)))
        press[0, pole] = intensity
        force += al.pressure_force(
            press, base.dependence(j)[None, :], w.sovereignty[[j]], _rates(w), w.compliance[[j]]
        )[0]
        force = al.damp_pulls(force, w.hedging[j], p.alignment_hedging_damping)
        return float(al.exponentiated_step(self.alignment[j], force)[pole] - self.alignment[j, pole])

    def rivals(self, i: int) -> list[int]:
        """Targets of the measures i sends (only targets: third parties that gain are not rivals)."""
        if i not in self._rivals:
            self._rivals[i] = sorted({m.target for m in self.sq.policy.measures.values() if i in m.senders})
        return self._rivals[i]

    def status_quo(self) -> dict[str, float]:
        return dict.fromkeys(TERMS, 0.0)

    def sovereignty(
        self, base: StatusQuo, i: int, action: A.Action, cf: Snapshot, d_w: float, lasting: float
    ) -> float:
        """h x change in the perceived expected loss from coercion (USD bn PV; + is worse).

        Split in a value-at-risk change (new routes, contracts: counted once an investment has
        arrived, the `lasting` share of the horizon) and a coercion-chance change (grievance the
        action causes, counted at once), weighed by the perceived chance P~ and by 1 - e
        respectively (`sim.core.coercion`: epsilon-contamination). Value at risk is re-assessed
        only for actions that change routes or trade costs, and cached per year and route state.
        """
        w, p = self.world, self.world.params
        changes_trade = action.changes_trade
        r0 = base.risk(i)
        var = r0.value_at_risk
        if action.changes_routes or changes_trade:
            key = ("cand", i, self.month // 12, route_signature(w, base.snap.policy, i), action)
            held = None if changes_trade else self.exposure.get(key)
            if held is not None:
                var = held
            else:
                cf_c = cf  # an investment is judged as if arrived: the chain re-reads capacity from policy
                if (_lag(action) or 0) > 0:
                    arrived = dataclasses.replace(action, **{"lag_months": 0})  # type: ignore[arg-type]
                    cf_c = counterfactual(w, base.snap, arrived, self.month)
                trade_var = None if changes_trade else base.trade_var(i)
                var = coercion_risk(w, cf_c, i, trade_var, base.decision_welfare(i) + d_w).value_at_risk
                self.exposure[key] = var
        prob = coercion_probability(w, cf.policy, i)
        years_c = annuity_years(p, 0, p.coercion_duration_months)
        share = lasting if _lag(action) is not None else 1.0
        h = float(w.hedging[i])
        return sovereignty_change(h, r0.probability, r0.value_at_risk, prob, var, years_c, share)

    def score(self, i: int, action: A.Action) -> dict[str, float]:
        """Utility terms (USD bn, present value over the horizon) of actor i taking `action` now.

        Every term is a difference against the same month's status quo.
        """
        w, p = self.world, self.world.params
        base = self.base_for(action)
        cf = counterfactual(w, base.snap, action, self.month)
        start, months = timing(action, p.decision_horizon_months)
        years = annuity_years(p, start, months)
        lasting = years / max(horizon_years(p), 1e-12)
        d_w = base.welfare_change(cf, i)
        econ = d_w * years
        cost = float(field_of(action, "cost_usd_bn", 0.0))
        st = stance(w, self.sq.policy, action, i)
        per_stance = p.stance_utility * w.gdp[i]  # USD bn per unit of stance
        security = (
            w.security_weight[i] * per_stance * float((w.security_dependence[i] * np.minimum(st, 0.0)).sum())
        )
        # Identity: the stance toward the poles one is aligned with. (Shifts of trade dependence are
        # valued by econ and, for hedgers, by the sovereignty term: not counted again here.)
        ident = w.alignment_weight[i] * per_stance * float((self.alignment[i] * st).sum())
        sovereignty = self.sovereignty(base, i, action, cf, d_w, lasting) if hedges(w, i) else 0.0
        influence = punishment = 0.0
        pole = w.pole_of[i]
        intensity = pressure_intensity(action)
        who = actor_of(action)
        acting = who is not None and i in w.members(who)  # only one's own acts punish or influence
        # A negotiating demand punishes only through the threat it may carry out (its expected
        # outcome, sim.core.bargaining.demand_terms, added below); other coercive acts punish now.
        negotiates = isinstance(action, A.DemandAction) and action.negotiates
        for j in target_of(w, action) if acting else []:
            if j == i or not w.is_state[j]:
                continue
            # Punishing whom one holds a grievance against (poles and, retaliating, middle states):
            # valued on the smaller of the two economies (what the episode is about).
            size = min(w.gdp[i], w.gdp[j])
            if not negotiates:
                punishment += p.punishment_weight * float(self.grievance[i, j]) * intensity * size
            if pole >= 0 and w.pole_of[j] < 0:
                shift = self.predicted_shift(base, j, pole, cf, intensity, months)
                influence += p.influence_weight * w.gdp[j] * shift
        rivalry = 0.0
        for r in self.rivals(i):
            d_wr = base.welfare_change(cf, r)
            rivalry += p.rivalry_weight * (-d_wr) * years
        terms = {
            "econ": econ,
            "security": security,
            "alignment": ident,
            "influence": influence,
            "punishment": punishment,
            "rivalry": rivalry,
            "sovereignty": sovereignty,
            "cost": cost,
        }
        if negotiates and acting:
            assert isinstance(action, A.DemandAction)
            for k, v in bg.demand_terms(self, i, action).items():
                terms[k] += v
        return terms


def _rates(w: World) -> al.AlignmentRates:
    p = w.params
    return al.AlignmentRates(
        gain=p.alignment_gain_rate,
        security=p.alignment_security_rate,
        anchor=p.alignment_anchor_rate,
        compliance=p.pressure_compliance_rate,
        backlash=p.pressure_backlash_rate,
    )


def _enforcement_noop(world: World, sq: Snapshot, action: A.EnforcementAction, i: int) -> bool:
    return bool(abs(sq.policy.enforcement[i] - action.level) < 1e-9)


def _sanction_noop(world: World, sq: Snapshot, action: A.SanctionAction, i: int) -> bool:
    return bool(action.label) and action.label in sq.policy.measures


def _lift_noop(world: World, sq: Snapshot, action: A.LiftSanctionAction, i: int) -> bool:
    return action.label not in sq.policy.measures


def _secondary_noop(world: World, sq: Snapshot, action: A.SecondarySanctionAction, i: int) -> bool:
    trial = sq.policy.copy()
    apply_action(world, trial, action, 0)
    return trial.secondary == sq.policy.secondary


def _agreement_noop(world: World, sq: Snapshot, action: A.TradeAgreementAction, i: int) -> bool:
    """Signed already (in force or pending): signing again would change nothing."""
    return any(g.label == agreement_label(action) for g in sq.policy.agreements)


def _reprice_noop(world: World, sq: Snapshot, action: A.RouteRepriceAction, i: int) -> bool:
    """The same tariff order of this actor on this route is in force: issuing it again changes no
    tariff now (`apply._reprice` replaces, not compounds), only its expiry, which the equilibrium
    valuation cannot price; the order is decided again once it has expired."""
    route, sender = reprice_issuer(world, action)
    return sender >= 0 and any(
        d.route == route and d.sender == sender and abs(d.factor - action.tariff_factor) < 1e-12
        for d in sq.policy.reprices
    )


NOOP: dict[type, Callable[[World, Snapshot, Any, int], bool]] = {
    A.RouteRepriceAction: _reprice_noop,
    A.EnforcementAction: _enforcement_noop,
    A.TradeAgreementAction: _agreement_noop,
    A.SanctionAction: _sanction_noop,
    A.LiftSanctionAction: _lift_noop,
    A.SecondarySanctionAction: _secondary_noop,
}
"""Action types that can be no-ops now (menu items then left out); others always change something."""


def _is_noop(world: World, sq: Snapshot, action: A.Action, i: int) -> bool:
    """Items that would change nothing now (e.g. enforcement already at that level)."""
    test = NOOP.get(type(action))
    return test is not None and test(world, sq, action, i)


class _Decider(mesa.Agent):  # type: ignore[misc]  # mesa ships no type information
    """Shared menu logic: cooldowns, no-op filtering and the logit draw."""

    name: str
    menu: list[A.MenuItem]
    last_chosen: dict[str, int]

    def available(self, scorer: Scorer, actor: int) -> list[A.MenuItem]:
        """Menu items off cooldown, inside their availability window, that would change something now."""
        return [
            m
            for m in self.menu
            if scorer.month - self.last_chosen.get(m.name, -(10**6)) >= m.cooldown_months
            and m.available(scorer.month)
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

    def rationality(self, world: World) -> float:
        """Logit lambda (1/USD bn): `decision_rationality_pole` for poles, `decision_rationality` else."""
        return bg.rationality_of(world, self.index)

    def __init__(self, model: mesa.Model, index: int, name: str, menu: list[A.MenuItem]):
        super().__init__(model)
        self.index = index
        self.name = name
        self.menu = menu
        self.last_chosen = {}

    def decide(self, scorer: Scorer, rationality: float, uniform: float) -> Decision | None:
        """Score the status quo and each available item; draw one by logit."""
        items = self.available(scorer, self.index)
        demands = [od for od in scorer.sq.policy.demands if od.target == self.index]
        if not items and not demands:
            return None
        cands = [Candidate(STATUS_QUO, None, scorer.status_quo(), 0.0)]
        for m in items:
            terms = scorer.score(self.index, m.action)
            cands.append(Candidate(m.name, m.action, terms, float(total_utility(terms))))
        for od in demands:  # concede / refuse / counter (status quo: wait until the deadline)
            for ans in bg.answers(od):
                terms = bg.answer_terms(scorer, self.index, od, ans)
                cand = Candidate(bg.answer_name(od, ans), od.demand, terms, float(total_utility(terms)))
                cand.answer = (od, ans)
                cands.append(cand)
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
        menu: list[A.MenuItem],
    ):
        super().__init__(model)
        self.name = name
        self.members = members
        self.weights = weights / weights.sum()
        self.threshold = threshold
        self.menu = menu
        self.last_chosen = {}

    def rationality(self, world: World) -> float:
        """Logit lambda (1/USD bn) of a bloc: `decision_rationality_pole`."""
        return world.params.decision_rationality_pole

    def decide(self, scorer: Scorer, rationality: float, uniform: float) -> Decision | None:
        items = self.available(scorer, self.members[0])
        if not items:
            return None
        cands = [Candidate(STATUS_QUO, None, scorer.status_quo(), 0.0, support=1.0)]
        rejected: list[Candidate] = []
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

"""Cross-reference checks for a parsed scenario.

`check_references(spec)` runs from `ScenarioSpec`'s after-validator, i.e. once
every field has the right type. It collects every problem as
``(location tuple, message)`` and raises one `ReferenceProblems` (a
`ValueError`, so pydantic wraps it in a `ValidationError`; the loader unwraps it
from the error's ``ctx`` to report each problem at its exact field path).

Checked: unique names (poles, actors, blocs, goods, routes, shipments, hazards,
menu items per actor); exactly one ``rest_of_world`` actor; every actor, bloc,
route, good and pole name used anywhere exists; a ``sender`` may be an actor or a
bloc; ``lift_sanction`` labels name a sanction label defined in events, hazards
or menus; event dates and hazard ``active_from`` lie within [start, end];
start <= end and a horizon of at most `MAX_HORIZON_MONTHS`; route-carried shipments
have a price (the good's or their own ``value_usd_per_unit``) and their routes carry
one unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sim.errors import Loc, format_loc
from sim.names import did_you_mean

if TYPE_CHECKING:
    from sim.scenario.schema import ScenarioSpec

MAX_LISTED = 40
MAX_HORIZON_MONTHS = 600  # 50 years: the model is monthly and its figures are 2020s-2030s


class ReferenceProblems(ValueError):
    """Cross-reference problems, each a (location, message) pair."""

    def __init__(self, problems: Sequence[tuple[Loc, str]], keys: Iterable[Loc] = ()) -> None:
        self.problems: list[tuple[Loc, str]] = list(problems)
        self.keys: frozenset[Loc] = frozenset(keys)  # locations whose key (a name) is the problem
        super().__init__("\n".join(f"{format_loc(loc)}: {msg}" for loc, msg in self.problems))


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    if not names:
        return "(none defined)"
    shown = ", ".join(names[:MAX_LISTED])
    return shown if len(names) <= MAX_LISTED else f"{shown}, ... ({len(names)} in all)"


def unknown_name(kind: str, value: str, known: Sequence[str], known_label: str | None = None) -> str:
    """Message for an undefined name, with a close match and the valid names
    (introduced by `known_label`, default "known <kind>s")."""
    msg = f"unknown {kind} {value!r}{did_you_mean(value, known)}"
    return f"{msg}; {known_label or f'known {kind}s'}: {_listing(known)}"


class _Checker:
    def __init__(self, spec: ScenarioSpec) -> None:
        from sim.scenario.schema import month_index

        self.spec = spec
        self.problems: list[tuple[Loc, str]] = []
        self.month_index = month_index
        self.poles = list(spec.poles)
        self.actors = [a.name for a in spec.actors]
        self.blocs = [b.name for b in spec.blocs]
        self.goods = {g.name: g for g in spec.goods}
        self.routes = {r.name: r for r in spec.routes}
        self.sanction_labels: set[str] = set()
        self.lifts: list[tuple[Loc, str]] = []
        self.keys: set[Loc] = set()  # locations that are a mapping key naming something

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append((loc, message))

    # ------------------------------------------------------------------ name checks
    def actor(self, loc: Loc, name: str | None) -> None:
        if name is not None and name not in self.actors:
            self.add(loc, unknown_name("actor", name, self.actors))

    def actor_or_bloc(self, loc: Loc, name: str) -> None:
        if name not in self.actors and name not in self.blocs:
            msg = unknown_name("actor or bloc", name, [*self.actors, *self.blocs], "known actors and blocs")
            self.add(loc, msg)

    def pole(self, loc: Loc, name: str | None) -> None:
        if name is not None and name not in self.poles:
            self.add(loc, unknown_name("pole", name, self.poles) + " (declared under 'poles')")

    def good(self, loc: Loc, name: str | None) -> None:
        if name is not None and name not in self.goods:
            self.add(loc, unknown_name("good", name, list(self.goods)))

    def goods_list(self, loc: Loc, goods: Any) -> None:
        if isinstance(goods, list):
            for j, g in enumerate(goods):
                self.good((*loc, j), g)

    def route(self, loc: Loc, name: str) -> None:
        if name not in self.routes:
            self.add(loc, unknown_name("route", name, list(self.routes)))

    def unique(self, loc: Loc, names: Sequence[str], what: str) -> None:
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in seen:
                self.add(
                    (*loc, i, "name"),
                    f"duplicate {what} name {name!r} (also at {format_loc((*loc, seen[name]))})",
                )
            else:
                seen[name] = i

    def month(self, loc: Loc, month: str) -> None:
        spec = self.spec
        if not self.month_index(spec.start) <= self.month_index(month) <= self.month_index(spec.end):
            self.add(loc, f"month {month} is outside the scenario horizon {spec.start} .. {spec.end}")

    # ------------------------------------------------------------------ sections
    def run(self) -> list[tuple[Loc, str]]:
        spec = self.spec
        if self.month_index(spec.start) > self.month_index(spec.end):
            self.add(("end",), f"end {spec.end} is before start {spec.start}; expected start <= end")
        months = self.month_index(spec.end) - self.month_index(spec.start) + 1
        if months > MAX_HORIZON_MONTHS:
            self.add(
                ("end",),
                f"the horizon {spec.start} .. {spec.end} is {months:,} months; "
                f"expected at most {MAX_HORIZON_MONTHS} months ({MAX_HORIZON_MONTHS // 12} years)",
            )
        self._unique_plain(("poles",), spec.poles, "pole")
        self.unique(("actors",), self.actors, "actor")
        self.unique(("blocs",), self.blocs, "bloc")
        self.unique(("goods",), [g.name for g in spec.goods], "good")
        self.unique(("routes",), [r.name for r in spec.routes], "route")
        self.unique(("shipments",), [s.name for s in spec.shipments], "shipment")
        self.unique(("hazards",), [h.name for h in spec.hazards], "hazard")
        self.unique(("contingencies",), [c.name for c in spec.contingencies], "contingency")
        for i, b in enumerate(spec.blocs):
            if b.name in self.actors:
                self.add(
                    ("blocs", i, "name"),
                    f"bloc name {b.name!r} is also an actor name; expected distinct names",
                )
        self._actors()
        self._blocs()
        self._routes()
        self._shipments()
        seen_events: dict[str, int] = {}
        for i, ev in enumerate(spec.events):
            if ev.name in seen_events:
                self.add(
                    ("events", i, "name"),
                    f"duplicate event name {ev.name!r} (also at events[{seen_events[ev.name]}])",
                )
            elif ev.name:
                seen_events[ev.name] = i
        for i, ev in enumerate(spec.events):
            self.month(("events", i, "date"), ev.date)
            self.action(("events", i, "action"), ev.action)
        for i, hz in enumerate(spec.hazards):
            if hz.active_from is not None:
                self.month(("hazards", i, "active_from"), hz.active_from)
            self.action(("hazards", i, "action"), hz.action)
        for i, c in enumerate(spec.contingencies):
            self.route(("contingencies", i, "when", "route"), c.when.route)
            self.action(("contingencies", i, "action"), c.action)
        for name in spec.parameters.route_risk_premium_usd_per_unit:
            self.keys.add(("parameters", "route_risk_premium_usd_per_unit", name))
            self.route(("parameters", "route_risk_premium_usd_per_unit", name), name)
        self.paths()
        if spec.decisions.start is not None:
            self.month(("decisions", "start"), spec.decisions.start)
        for actor, items in spec.decisions.menus.items():
            # A bloc's menu is decided collectively (weighted vote of its members).
            self.keys.add(("decisions", "menus", actor))
            self.actor_or_bloc(("decisions", "menus", actor), actor)
            self.unique(("decisions", "menus", actor), [m.name for m in items], "menu item")
            for j, item in enumerate(items):
                self.action(("decisions", "menus", actor, j, "action"), item.action)
        for loc, label in self.lifts:
            if label not in self.sanction_labels:
                self.add(
                    loc,
                    f"no sanction has label {label!r}; expected a label set by a sanction action in events, "
                    f"hazards or decision menus (defined labels: {_listing(sorted(self.sanction_labels))})",
                )
        return self.problems

    def _unique_plain(self, loc: Loc, names: Sequence[str], what: str) -> None:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                self.add((*loc, i), f"duplicate {what} {name!r}")
            seen.add(name)

    def _actors(self) -> None:
        rest = [i for i, a in enumerate(self.spec.actors) if a.kind == "rest_of_world"]
        if not rest:
            self.add(("actors",), "expected exactly one actor with kind: rest_of_world, found none")
        for i in rest[1:]:
            first = self.spec.actors[rest[0]].name
            self.add(
                ("actors", i, "kind"), f"expected exactly one rest_of_world actor; {first!r} already is one"
            )
        for i, a in enumerate(self.spec.actors):
            self.pole(("actors", i, "pole"), a.pole)
            for pole in a.alignment:
                self.pole(("actors", i, "alignment", pole), pole)
            for pole in a.security_dependence:
                self.pole(("actors", i, "security_dependence", pole), pole)

    def _blocs(self) -> None:
        for i, b in enumerate(self.spec.blocs):
            for j, m in enumerate(b.members):
                self.actor(("blocs", i, "members", j), m)
            self._unique_plain(("blocs", i, "members"), b.members, "member")
            for m in b.vote_weights or {}:
                if m not in b.members:
                    self.add(
                        ("blocs", i, "vote_weights", m),
                        unknown_name("member", m, b.members, f"members of {b.name!r}"),
                    )

    def _routes(self) -> None:
        for i, r in enumerate(self.spec.routes):
            self.actor(("routes", i, "destination"), r.destination)
            for name in r.buyers:
                self.actor(("routes", i, "buyers", name), name)
            if r.buyers:
                total = sum(r.buyers.values())
                if any(v < 0 for v in r.buyers.values()) or abs(total - 1.0) > 1e-3:
                    self.add(
                        ("routes", i, "buyers"), f"buyer shares must be >= 0 and sum to 1, got {total:.4f}"
                    )
            for j, t in enumerate(r.transit):
                self.actor(("routes", i, "transit", j), t)

    def _shipments(self) -> None:
        for i, s in enumerate(self.spec.shipments):
            loc: Loc = ("shipments", i)
            self.actor((*loc, "shipper"), s.shipper)
            self.good((*loc, "good"), s.good)
            for j, r in enumerate(s.routes):
                self.route((*loc, "routes", j), r)
            for r in s.tariff_share:
                if r not in s.routes:
                    self.add(
                        (*loc, "tariff_share", r),
                        f"route {r!r} is not one of the shipment's routes; "
                        f"expected one of {', '.join(s.routes)}",
                    )
            known = [self.routes[r] for r in s.routes if r in self.routes]
            units = {r.unit for r in known}
            if len(units) > 1:
                detail = ", ".join(f"{r.name}: {r.unit}" for r in known)
                self.add(
                    (*loc, "routes"),
                    f"routes carry different units ({detail}); expected one unit per shipment",
                )
            good = self.goods.get(s.good) if s.good is not None else None
            if good is None:
                continue
            if good.price_usd_per_unit is None and s.value_usd_per_unit is None:
                self.add(
                    (*loc, "value_usd_per_unit"),
                    f"good {good.name!r} has no price_usd_per_unit; expected a price on the good "
                    "or a value_usd_per_unit on the shipment",
                )
            if good.unit is not None and len(units) == 1 and good.unit not in units:
                self.add(
                    (*loc, "good"),
                    f"good {good.name!r} is measured in {good.unit} but the routes carry {units.pop()}; "
                    "expected the same unit",
                )

    # ------------------------------------------------------------------ actions
    def action(self, loc: Loc, action: Any) -> None:
        from sim.scenario.schema import LiftSanctionAction, SanctionAction

        fields = type(action).model_fields
        if "sender" in fields:
            self.actor_or_bloc((*loc, "sender"), action.sender)
        if "target" in fields:
            self.actor((*loc, "target"), action.target)
            if "sender" in fields and action.target == action.sender:
                self.add(
                    (*loc, "target"), f"target {action.target!r} is also the sender; expected another actor"
                )
        if "actor" in fields:
            self.actor((*loc, "actor"), action.actor)
        if "route" in fields:
            self.route((*loc, "route"), action.route)
        if "goods" in fields:
            self.goods_list((*loc, "goods"), action.goods)
        if "good" in fields:
            self.good((*loc, "good"), action.good)
        if "buyer" in fields and action.buyer is not None:
            self.actor((*loc, "buyer"), action.buyer)
        if "shipment" in fields:
            self.shipment_route(loc, action.shipment, getattr(action, "route", None))
        if "toward" in fields:
            self.pole((*loc, "toward"), action.toward)
        if "against" in fields:
            self.pole((*loc, "against"), action.against)
            if action.against is not None and action.against == action.toward:
                self.add(
                    (*loc, "against"), f"pole {action.against!r} is also 'toward'; expected a different pole"
                )
        if isinstance(action, SanctionAction) and action.label is not None:
            self.sanction_labels.add(action.label)
        if isinstance(action, LiftSanctionAction):
            self.lifts.append(((*loc, "label"), action.label))

    def shipment_route(self, loc: Loc, name: str, route: str | None) -> None:
        """A shipment named by an action exists, and the route (if any) is one it may use."""
        ships = {s.name: s for s in self.spec.shipments}
        if name not in ships:
            self.add((*loc, "shipment"), unknown_name("shipment", name, list(ships)))
        elif route is not None and route in self.routes and route not in ships[name].routes:
            self.add(
                (*loc, "route"),
                f"shipment {name!r} does not use route {route!r}; expected one of its routes: "
                f"{_listing(ships[name].routes)}",
            )

    def paths(self) -> None:
        """Time-path rows name a known actor (GDP), good (price) or shipment (volume)."""
        if self.spec.paths is None:
            return
        known = {
            "real_gdp_growth": ("actor", self.actors),
            "price": ("good", list(self.goods)),
            "volume": ("shipment", [s.name for s in self.spec.shipments]),
        }
        seen: set[tuple[str, str, int]] = set()
        for i, row in enumerate(self.spec.paths.series):
            kind, names = known[row.series]
            if row.name not in names:
                self.add(("paths", "series", i, "name"), unknown_name(kind, row.name, names))
            if row.series != "real_gdp_growth" and row.value <= 0:
                self.add(("paths", "series", i, "value"), f"expected a {row.series} > 0, got {row.value}")
            if row.series == "real_gdp_growth" and not -50.0 <= row.value <= 50.0:
                self.add(
                    ("paths", "series", i, "value"),
                    f"expected real GDP growth in % per year between -50 and 50, got {row.value}",
                )
            key = (row.series, row.name, row.year)
            if key in seen:
                self.add(("paths", "series", i), f"duplicate {row.series} row for {row.name!r} {row.year}")
            seen.add(key)


def check_references(spec: ScenarioSpec) -> None:
    """Raise `ReferenceProblems` listing every dangling or inconsistent reference in `spec`."""
    checker = _Checker(spec)
    problems = checker.run()
    if problems:
        raise ReferenceProblems(problems, checker.keys)

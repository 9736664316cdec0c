"""Synthetic worlds of any size, for benchmarks and scaling tests.

`synthetic_world(n_actors, seed)` builds a scenario with four poles, a Rest of
World, n_actors - 5 middle states, six goods with random gravity flows, one
export shipment per middle state over two routes (one transiting a pole), a
dual-use ban by the West pole on the Russia pole, and decision menus for every
state. Nothing here is calibrated: it only exercises the mechanisms at scale.
"""

from __future__ import annotations

import numpy as np

from sim.core.world import World
from sim.scenario.compile import build_world
from sim.scenario.schema import ScenarioSpec

POLES = ["Russia", "China", "West", "Turkey"]
GOODS = ["crude_oil", "natural_gas", "metals", "agrifood", "dual_use", "manufactures"]


def synthetic_spec(n_actors: int, seed: int = 0, months: int = 12) -> tuple[dict, np.ndarray]:
    """A scenario mapping and its baseline flows (N, N, G) for n_actors >= 6."""
    if n_actors < 6:
        raise ValueError("synthetic worlds need at least 6 actors (4 poles, 1 state, Rest of World)")
    rng = np.random.default_rng(seed)
    names = [*POLES, *(f"S{i:03d}" for i in range(n_actors - 5)), "RestOfWorld"]
    states = names[4:-1]
    actors = []
    for k, name in enumerate(names):
        if k < 4:
            align = {p: (0.91 if p == name else 0.03) for p in POLES}
            actors.append(
                {
                    "name": name,
                    "pole": name,
                    "gdp_usd_bn": float(rng.uniform(1000, 20000)),
                    "alignment": align,
                }
            )
        elif name == "RestOfWorld":
            actors.append(
                {
                    "name": name,
                    "kind": "rest_of_world",
                    "gdp_usd_bn": 30000.0,
                    "alignment": dict.fromkeys(POLES, 0.25),
                }
            )
        else:
            w = rng.dirichlet(np.ones(4))
            w = np.round(w / w.sum(), 6)
            w[-1] = round(1.0 - w[:-1].sum(), 6)
            actors.append(
                {
                    "name": name,
                    "gdp_usd_bn": float(rng.uniform(10, 300)),
                    "alignment": dict(zip(POLES, map(float, w), strict=True)),
                    "hedging_weight": float(rng.uniform(0, 1)),
                    "security_dependence": {"Russia": float(rng.uniform(0, 0.7))},
                    "elite_reexport_interest": float(rng.uniform(0, 0.8)),
                    "sovereignty_sensitivity": float(rng.uniform(0.2, 0.8)),
                }
            )
    n, g = len(names), len(GOODS)
    flows = rng.gamma(0.6, 2.0, size=(n, n, g)) * (rng.random((n, n, g)) < 0.5)
    flows[np.arange(n), np.arange(n), :] = 0.0
    routes, shipments = [], []
    for k, s in enumerate(states):
        transit_pole = POLES[k % 2]  # Russia or China
        routes.append(
            {
                "name": f"{s}_north",
                "mode": "pipeline",
                "unit": "Mt",
                "destination": "West",
                "transit": [transit_pole],
                "capacity_per_year": 12.0,
                "tariff_usd_per_unit": 30.0,
            }
        )
        routes.append(
            {
                "name": f"{s}_south",
                "mode": "multimodal",
                "unit": "Mt",
                "destination": "Turkey",
                "capacity_per_year": 4.0,
                "tariff_usd_per_unit": 60.0,
            }
        )
        shipments.append(
            {
                "name": f"{s}_oil",
                "shipper": s,
                "good": "crude_oil",
                "volume_per_year": 10.0,
                "routes": [f"{s}_north", f"{s}_south"],
            }
        )
    menus: dict[str, list] = {}
    for s in states:
        menus[s] = [
            {"name": "enforce", "action": {"type": "enforcement", "actor": s, "level": 0.8}},
            {
                "name": "signal_west",
                "action": {
                    "type": "signal",
                    "actor": s,
                    "toward": "West",
                    "against": "Russia",
                    "strength": 0.3,
                },
            },
            {
                "name": "invest_south",
                "action": {
                    "type": "route_investment",
                    "actor": s,
                    "route": f"{s}_south",
                    "capacity_added": 4.0,
                    "lag_months": 12,
                    "cost_usd_bn": 0.3,
                },
            },
        ]
    for p in ("Russia", "China"):
        tgt = states[0 if p == "Russia" else min(1, len(states) - 1)]
        menus[p] = [
            {
                "name": "disrupt",
                "action": {
                    "type": "route_disruption",
                    "actor": p,
                    "route": f"{tgt}_north",
                    "capacity_factor": 0.2,
                    "duration_months": 1,
                },
            },
            {
                "name": "induce",
                "action": {"type": "inducement", "sender": p, "target": tgt, "amount_usd_bn": 0.5},
            },
        ]
    spec = {
        "name": f"synthetic_{n_actors}",
        "start": "2022-01",
        "end": f"{2022 + (months - 1) // 12}-{(months - 1) % 12 + 1:02d}",
        "poles": POLES,
        "actors": actors,
        "goods": [
            {"name": "crude_oil", "unit": "Mt", "price_usd_per_unit": 600.0},
            *({"name": x} for x in GOODS[1:4]),
            {"name": "dual_use", "dual_use": True},
            {"name": "manufactures"},
        ],
        "trade": {"baseline_file": "synthetic"},
        "routes": routes,
        "shipments": shipments,
        "events": [
            {
                "date": "2022-02",
                "action": {"type": "sanction", "sender": "West", "target": "Russia", "goods": ["dual_use"]},
            }
        ],
        "decisions": {"every_months": 3, "menus": menus},
    }
    return spec, flows


def synthetic_world(n_actors: int, seed: int = 0, months: int = 12) -> World:
    """A compiled synthetic World (see module docstring)."""
    spec, flows = synthetic_spec(n_actors, seed, months)
    return build_world(ScenarioSpec.model_validate(spec), flows)

"""The route map: corridors drawn from node coordinates, offline (matplotlib, no tile server).

`NODES` is a small gazetteer of the node names the shipped scenarios give their routes
(`routes[].nodes`), as (node, longitude, latitude, source) rows; coordinates are degrees
(WGS 84) rounded to about 0.1 degree, which is all a corridor sketch needs. A node that
names a system or a country rather than a place ("Transneft system", "Kazakhstan") gets a
representative point, and its source says which. A route is drawn through those of its
nodes the table knows; routes with fewer than two known nodes are listed under the map as
not drawn. The projection is equirectangular with the x axis scaled by cos(45 deg).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GAZ = "city or field location, public gazetteer (approx., 0.1 deg)"
REP = "representative point: the node names a system or an area, not a place"

NODES: tuple[tuple[str, float, float, str], ...] = (
    # oil
    ("Tengiz", 53.4, 46.1, GAZ),
    ("Atyrau", 51.9, 47.1, GAZ),
    ("Novorossiysk", 37.8, 44.7, GAZ),
    ("Samara", 50.1, 53.2, GAZ),
    ("Transneft system", 44.0, 56.3, f"{REP} (Nizhny Novgorod, on the trunk lines west)"),
    ("Ust-Luga / Novorossiysk / Druzhba (Schwedt from 2023)", 28.4, 59.7, f"{REP} (Ust-Luga)"),
    ("Kenkiyak", 57.2, 48.6, GAZ),
    ("Kumkol", 65.6, 46.4, GAZ),
    ("Atasu", 71.6, 48.7, GAZ),
    ("Alashankou", 82.6, 45.2, GAZ),
    ("Aktau", 51.2, 43.7, GAZ),
    ("Baku (Sangachal)", 49.5, 40.2, GAZ),
    ("BTC pipeline", 42.7, 41.1, f"{REP} (Ardahan, on the Baku-Tbilisi-Ceyhan line)"),
    ("Ceyhan", 35.8, 36.9, GAZ),
    # freight
    ("Xi'an", 108.9, 34.3, GAZ),
    ("Dostyk/Khorgos", 82.5, 45.3, f"{GAZ} (Dostyk)"),
    ("Kazakhstan", 71.4, 51.2, f"{REP} (Astana)"),
    ("Russia", 37.6, 55.8, f"{REP} (Moscow)"),
    ("Brest/Malaszewicze", 23.7, 52.1, GAZ),
    ("Duisburg", 6.8, 51.4, GAZ),
    ("Khorgos", 80.4, 44.2, GAZ),
    ("Aktau/Kuryk", 51.7, 43.2, f"{GAZ} (Kuryk)"),
    ("Baku/Alat", 49.4, 40.0, f"{GAZ} (Alat)"),
    ("Tbilisi", 44.8, 41.7, GAZ),
    ("Kars or Poti/Constanta", 43.1, 40.6, f"{GAZ} (Kars)"),
    ("Tashkent / Bishkek", 69.3, 41.3, f"{GAZ} (Tashkent)"),
    ("Saryagash / Lugovaya", 69.2, 41.5, f"{GAZ} (Saryagash)"),
    ("Saryagash", 69.2, 41.5, GAZ),
    ("Uzbekistan", 64.4, 39.8, f"{REP} (Bukhara)"),
    ("Turkmenistan", 58.4, 38.0, f"{REP} (Ashgabat)"),
    ("Turkmenbashi", 53.0, 40.0, GAZ),
    ("Caspian ferry", 50.5, 42.5, f"{REP} (mid-Caspian)"),
    ("Astrakhan / Makhachkala", 48.0, 46.4, f"{GAZ} (Astrakhan)"),
    ("Astrakhan", 48.0, 46.4, GAZ),
    ("Siberia / Urals", 61.4, 55.2, f"{REP} (Chelyabinsk)"),
    ("Uzbekistan / Afghanistan", 67.3, 37.2, f"{REP} (Termez)"),
    # gas
    ("Dauletabad (TM)", 61.0, 36.5, GAZ),
    ("Beineu (KZ)", 55.2, 45.3, GAZ),
    ("Alexandrov Gai (RU)", 48.6, 50.2, GAZ),
    ("Turkmenistan (Galkynysh)", 62.3, 37.3, GAZ),
    ("Kazakhstan (Shymkent; Beineu-Bozoi-Shymkent feeder)", 69.6, 42.3, f"{GAZ} (Shymkent)"),
)
"""(node name as in routes[].nodes, longitude deg E, latitude deg N, source of the point)."""

COORDS: dict[str, tuple[float, float]] = {n: (lon, lat) for n, lon, lat, _ in NODES}
X_SCALE = math.cos(math.radians(45.0))  # equirectangular at the map's middle latitude
MIN_DELTA_SHARE = 0.01  # a link's |delta| below 1 % of its volume draws as unchanged


def route_points(nodes: Sequence[str]) -> list[tuple[float, float]]:
    """(lon, lat) of the nodes the table knows, in route order."""
    return [COORDS[n] for n in nodes if n in COORDS]


def route_nodes(mapping: Mapping[str, object]) -> dict[str, list[str]]:
    """Route name -> its nodes, from a (merged) scenario mapping."""
    routes = mapping.get("routes", [])
    out: dict[str, list[str]] = {}
    if isinstance(routes, list):
        for r in routes:
            if isinstance(r, dict) and "name" in r:
                out[str(r["name"])] = [str(n) for n in r.get("nodes", []) or []]
    return out


def drawable(nodes_by_route: Mapping[str, Sequence[str]]) -> tuple[list[str], list[str]]:
    """(routes drawn, routes not drawn: fewer than two nodes with coordinates)."""
    drawn = [r for r, ns in nodes_by_route.items() if len(route_points(ns)) >= 2]
    return drawn, [r for r in nodes_by_route if r not in drawn]


def _point_along(pts: list[tuple[float, float]], frac: float) -> tuple[float, float]:
    """The point at `frac` (0-1) of the route's polyline length (in map units)."""
    xy = np.array([(lon * X_SCALE, lat) for lon, lat in pts])
    seg = np.hypot(*np.diff(xy, axis=0).T)
    goal, acc = seg.sum() * frac, 0.0
    for i, s in enumerate(seg):
        if acc + s >= goal and s > 0:
            t = (goal - acc) / s
            x, y = xy[i] + t * (xy[i + 1] - xy[i])
            return float(x / X_SCALE), float(y)
        acc += s
    return pts[-1]


LABEL_FRACTIONS = (0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9)


def _place(pts: list[tuple[float, float]], placed: list[tuple[float, float]]) -> tuple[float, float]:
    """A label point on the route away from the labels already placed (else the middle)."""
    for f in LABEL_FRACTIONS:
        x, y = _point_along(pts, f)
        if all(abs(x - px) > 5.5 or abs(y - py) > 1.6 for px, py in placed):
            return x, y
    return _point_along(pts, 0.5)


def fmt_volume(x: float) -> str:
    """A volume for a map label: 3 significant digits, 0 for |x| < 0.005."""
    return "0" if not math.isfinite(x) or abs(x) < 0.005 else f"{x:.3g}"


def route_map_figure(
    nodes_by_route: Mapping[str, Sequence[str]],
    volume: Mapping[str, float],
    units: Mapping[str, str],
    delta: Mapping[str, float] | None = None,
    title: str = "",
    dpi: int = 80,
) -> Figure:
    """The corridors with their volumes (line width, label "k: volume") and, if given, the
    delta B - A (colour: red less, blue more, grey unchanged; in brackets); the key beside
    the map names route k and its unit.

    volume, delta: route -> value in `units[route]` (e.g. Mt/yr); routes without a value are
    drawn thin and unlabelled.
    """
    from matplotlib.figure import Figure

    drawn, _ = drawable(nodes_by_route)
    fig = Figure(figsize=(10.0, 4.0), dpi=dpi, layout="constrained")
    ax = fig.subplots()
    peak: dict[str, float] = {}
    for r in drawn:
        u = units.get(r, "")
        peak[u] = max(peak.get(u, 0.0), abs(float(volume.get(r, 0.0))))
    placed: list[tuple[float, float]] = []
    key: list[str] = []
    for k, r in enumerate(drawn, start=1):
        pts = route_points(nodes_by_route[r])
        lon, lat = np.array(pts).T
        v = float(volume.get(r, np.nan))
        d = float(delta.get(r, 0.0)) if delta is not None else 0.0
        u = units.get(r, "")
        scale = peak.get(u) or 1.0
        width = 1.0 + 7.0 * (abs(v) / scale if np.isfinite(v) else 0.0)
        changed = delta is not None and abs(d) > max(MIN_DELTA_SHARE * abs(v), 0.005)
        color = ("#c0392b" if d < 0 else "#2e6fb7") if changed else "0.6"
        ax.plot(lon, lat, color=color, lw=width, alpha=0.7, solid_capstyle="round", zorder=2)
        ax.plot(lon, lat, "o", color="0.25", ms=2.5, zorder=3)
        key.append(f"{k} {r} ({u})" if u else f"{k} {r}")
        if not np.isfinite(v):
            continue
        text = f"{k}: {fmt_volume(v)}"
        if delta is not None and changed:
            text += f" ({'+' if d > 0 else ''}{fmt_volume(d)})"
        x, y = _place(pts, placed)
        placed.append((x, y))
        ax.annotate(
            text,
            (x, y),
            fontsize=7,
            ha="center",
            va="center",
            color=color if changed else "0.15",
            fontweight="bold" if changed else "normal",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": color, "lw": 0.5, "alpha": 0.85},
            zorder=4,
        )
    ax.text(
        1.01,
        1.0,
        "\n".join(key),
        transform=ax.transAxes,
        fontsize=6.5,
        va="top",
        ha="left",
        family="monospace",
    )
    ax.set_aspect(1.0 / X_SCALE, adjustable="datalim")
    ax.set_xlabel("longitude, deg E")
    ax.set_ylabel("latitude, deg N")
    ax.grid(color="0.92", lw=0.6)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    return fig


__all__ = [
    "COORDS",
    "NODES",
    "drawable",
    "fmt_volume",
    "route_map_figure",
    "route_nodes",
    "route_points",
]

"""The UK council-area hex map, drawn without any web service.

The layout is Open Innovations' hexjson of the 361 UK local authority
districts (2023 codes, MIT licence), shipped as package data in
``allocator/resources``. Each area is one hexagon; :func:`layout` places the
areas of a plan and says which codes the layout does not know (for example
the invented codes of ``scenarios/example``). :func:`hex_map` prepares the map for the
HTML report (written as SVG by its template); ``plan.plot.map()`` draws the same layout and
colours with matplotlib.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from allocator.output import fmt

HEXJSON = "uk-local-authority-districts-2023.hexjson"

# Current LAD codes that differ from the 2023 codes the hexjson is keyed by
# (scenarios/uk-2025/raw/lad_lookup_uk_361_region_nation.csv, column lad_code_2023_hexjson).
CODE_ALIASES = {"E08000038": "E08000016",   # Barnsley
                "E08000039": "E08000019"}   # Sheffield

SQRT3 = math.sqrt(3.0)


@lru_cache(maxsize=1)
def hexes() -> dict[str, dict]:
    """The hexjson's hexes: code -> {"n": name, "q": column, "r": row, ...}."""
    text = resources.files("allocator").joinpath("resources", HEXJSON).read_text(encoding="utf-8")
    data = json.loads(text)
    if data.get("layout") != "odd-r":   # pragma: no cover - the shipped file is odd-r
        raise ValueError(f"unsupported hexjson layout {data.get('layout')!r}")
    return data["hexes"]


def hex_key(area_code: str) -> str:
    return CODE_ALIASES.get(area_code, area_code)


@dataclass(frozen=True)
class HexLayout:
    """Hex centres (in units of the hex "size", the centre-to-corner distance; y grows downwards)."""

    centres: dict[str, tuple[float, float]]   # area_code -> (x, y)
    missing: list[str]                        # area codes the hexjson does not have

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) of all hexagons, corners included."""
        if not self.centres:
            return (0.0, 0.0, 1.0, 1.0)
        xs = [x for x, _ in self.centres.values()]
        ys = [y for _, y in self.centres.values()]
        return (min(xs) - SQRT3 / 2, min(ys) - 1.0, max(xs) + SQRT3 / 2, max(ys) + 1.0)


def layout(area_codes: list[str]) -> HexLayout:
    """Place each area on the odd-r hex grid (pointy-top; odd rows shifted right; north up)."""
    table = hexes()
    centres: dict[str, tuple[float, float]] = {}
    missing = []
    for code in area_codes:
        h = table.get(hex_key(str(code)))
        if h is None:
            missing.append(str(code))
            continue
        q, r = int(h["q"]), int(h["r"])
        centres[str(code)] = (SQRT3 * (q + 0.5 * (r & 1)), -1.5 * r)
    return HexLayout(centres, missing)


def corners(x: float, y: float, size: float = 1.0) -> list[tuple[float, float]]:
    """The six corners of a pointy-top hexagon centred on (x, y)."""
    return [(x + size * math.cos(math.radians(60 * k - 30)), y + size * math.sin(math.radians(60 * k - 30)))
            for k in range(6)]


# Colour classes for people per 10,000 residents: (upper bound, colour, label). 0 is its own class.
RATE_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.0, "#eceff1", "0"),
    (5.0, "#fff3b0", "under 5"),
    (10.0, "#c7e9b4", "5–10"),
    (15.0, "#7fcdbb", "10–15"),
    (20.0, "#41b6c4", "15–20"),
    (30.0, "#1d91c0", "20–30"),
    (40.0, "#225ea8", "30–40"),
    (math.inf, "#0c2c84", "40 or more"),
)


def rate_colour(rate: float) -> str:
    """The map colour for a rate per 10,000 residents."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "#ffffff"
    if rate <= 0:
        return RATE_CLASSES[0][1]
    for upper, colour, _ in RATE_CLASSES[1:]:
        if rate < upper:
            return colour
    return RATE_CLASSES[-1][1]


# --------------------------------------------------------------------------- the map in a page
@dataclass(frozen=True)
class Hexagon:
    code: str
    points: str         # the polygon's corners, "x,y x,y ..." in SVG units
    fill: str
    label: str          # the tooltip: name, code, people, rate (and "over its cluster limit")
    over: bool


@dataclass(frozen=True)
class HexMap:
    """A hex map ready to write as inline SVG (templates/report.html.j2, macro ``hexmap``)."""

    view_box: str
    max_width: float    # px: hexagons no bigger than about 45 px across
    hexagons: list[Hexagon]   # over-the-limit ones last, so that their outline is drawn on top
    missing: list[str]


def hex_map(codes: list[str], names: dict, rates: dict, stocks: dict, over: dict,
            hex_size: float = 10.0, dispersal: dict | None = None, basis: str | None = None) -> HexMap:
    """The hexagons of ``codes`` coloured by ``rates`` (people per 10,000 residents), each with its
    figures as a tooltip. Written as SVG by a template rather than drawn by matplotlib: every
    hexagon stays one element with its area code, a native tooltip and CSS classes that the
    page's script and style hook (see docs/design.md). On a pressure basis, ``rates`` are on
    ``basis`` (which the cluster limit, and so ``over``, judges) and ``dispersal`` the rates on
    dispersal alone, shown beside them."""
    def label(code: str) -> str:
        rate = rates.get(code, math.nan)
        people = f"{fmt(stocks.get(code, math.nan), 'people')} people"
        if dispersal is None:
            figures = f"{people}, {fmt(rate, 'rate')} per 10,000"
        else:
            figures = (f"{people} in dispersal; {fmt(rate, 'rate')} per 10,000 on the pressure basis ({basis}), "
                       f"{fmt(dispersal.get(code, math.nan), 'rate')} in dispersal alone")
        return f"{names.get(code, code)} ({code}): {figures}" + (" — over its cluster limit" if over.get(code) else "")
    return shaded_map(codes, lambda code: rate_colour(rates.get(code, math.nan)), label, over, hex_size)


def shaded_map(codes: list[str], fill: Callable[[str], str], label: Callable[[str], str], over: dict,
               hex_size: float = 10.0) -> HexMap:
    """The hexagons of ``codes``, each filled with ``fill(code)`` and with ``label(code)`` as its
    tooltip; those ``over`` their limit are outlined and drawn last."""
    lay = layout(codes)
    if not lay.centres:
        return HexMap("", 0.0, [], lay.missing)
    x0, y0, x1, y1 = lay.bounds
    pad = 0.6
    view_box = (f"{(x0 - pad) * hex_size:.1f} {(y0 - pad) * hex_size:.1f} {(x1 - x0 + 2 * pad) * hex_size:.1f} "
                f"{(y1 - y0 + 2 * pad) * hex_size:.1f}")
    hexagons = []
    for code, (cx, cy) in lay.centres.items():
        pts = " ".join(f"{px * hex_size:.1f},{py * hex_size:.1f}" for px, py in corners(cx, cy, 0.97))
        hexagons.append(Hexagon(code, pts, fill(code), label(code), bool(over.get(code))))
    hexagons.sort(key=lambda h: h.over)          # stable: the layout's order otherwise
    return HexMap(view_box, (x1 - x0 + 2 * pad) * hex_size * 2.6, hexagons, lay.missing)


# Colour classes of a fulfilment rate (net new places provided / planned): (upper bound, colour, label).
FULFILMENT_UNDEFINED = ("#eceff1", "undefined (no net new places planned)")
FULFILMENT_UNKNOWN = ("#ffffff", "actual unknown")
FULFILMENT_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.0, "#b2182b", "below 0% (moved the other way)"),
    (0.5, "#ef8a62", "0–50%"),
    (0.9, "#fddbc7", "50–90%"),
    (1.1, "#a6dba0", "90–110% (on plan)"),
    (1.5, "#67a9cf", "110–150%"),
    (math.inf, "#2166ac", "150% or more"),
)


def fulfilment_colour(rate: float, known: bool = True) -> str:
    """The map colour of a fulfilment rate; NaN is undefined (or, with ``known=False``, unknown)."""
    if not known:
        return FULFILMENT_UNKNOWN[0]
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return FULFILMENT_UNDEFINED[0]
    return next(colour for upper, colour, _ in FULFILMENT_CLASSES if rate < upper)

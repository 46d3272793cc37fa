"""The hypothesis strategy of random small scenarios shared by the property, backend, price-start and
opening tests: :func:`random_scenario` draws every feature together (cohorts, agreements, fractional
inputs, every option, the place-based features, a re-plan's carried columns and its previous plan,
opening decisions), and :func:`opening_rules_hold` checks the opening rules on a written plan.

Each feature is drawn with a modest probability so that most examples stay small, fast and feasible.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from tests.conftest import area, config

def _amount(draw: st.DrawFn, low: int, high: int) -> float:
    """A number of people, often whole, sometimes with a fraction (fractional inputs are valid)."""
    return draw(st.integers(low, high)) + draw(st.sampled_from([0.0, 0.0, 0.0, 0.25, 0.4, 0.5, 0.6]))


def _agreements(draw: st.DrawFn, rows: list[dict], years: list[int], rates: dict, limit: int) -> list[dict]:
    """A few agreed allocations (exact, minimum or maximum whole people) near what an area keeps of
    today's people (its survivors, by cohort exit ``rates``) and within its cluster cap (``limit``
    residents per person unless the row has its own), so that most are feasible and many bind."""
    out = []
    for r in rows:
        if r["status"] == "excluded" or draw(st.integers(0, 2)) != 0:
            continue
        k = draw(st.integers(0, len(years) - 1))
        kept = sum(r[f"stock_{h}" if h else "stock"] * (1 - rate) ** (k + 1) for h, rate in rates.items())
        most = max(math.floor(r["population"] / (r.get("cluster_limit") or limit)), math.ceil(kept - 1e-9))
        kind = "maximum" if r["status"] == "volunteered" else draw(st.sampled_from(["exact", "minimum", "maximum"]))
        value = {"exact": min(math.ceil(kept - 1e-9) + draw(st.integers(0, 3)), most),
                 "minimum": min(max(math.floor(kept + 1e-9) + draw(st.integers(-20, 3)), 0), most),
                 "maximum": math.ceil(kept - 1e-9) + draw(st.integers(0, 60))}[kind]
        out.append({"area_code": r["area_code"], "year": years[k], kind: value})
    return out


def _equity_steps(draw: st.DrawFn) -> list[dict]:
    """1-3 steps of the progressive measure: from 1.0, increasing; weights from 0.5, never decreasing."""
    steps, start, weight = [], 1.0, draw(st.sampled_from([0.5, 1.0, 2.0]))
    for _ in range(draw(st.integers(1, 3))):
        steps.append({"from": start, "weight": weight})
        start = round(start + draw(st.sampled_from([0.1, 0.25, 0.5, 1.0])), 2)
        weight += draw(st.sampled_from([0.0, 1.0, 4.0]))
    return steps


@st.composite
def random_scenario(draw: st.DrawFn, max_areas: int = 8, max_years: int = 4,
                    place: bool | None = None, opening: bool | None = None) -> tuple[dict, list[dict]]:
    """A random valid small scenario: (config dict, area rows), every feature able to appear together.

    2-8 areas, 1-4 years, maybe volunteered/excluded areas, exit rates including 0, a growth limit,
    a contingency ceiling (which may make it infeasible), procurement costs, l1, minmax or progressive
    equity (1-3 steps), average occupancy, a cost for empty bed spaces (void_share),
    maybe two cohorts with their own columns, maybe agreed allocations (``cfg['agreements']`` is
    then a list of rows: :func:`write_scenario` writes them), fractional arrivals, contingency,
    ceilings and growth limits, and maybe the place-based features (:func:`_place_based`; always, with
    hotels by area, when ``place`` is True), a re-plan's carried judgement and previous plan
    (:func:`_replan`: ``over_cap_until``, ``previous_plan`` with ``objective.stability_weight``) and
    opening decisions (:func:`openings`: ``min_open``, ``open_cost``, ``lead_time``,
    ``policy.max_new_areas``, ``policy.new_areas``; rarer, as they make the model an integer program;
    always when ``opening`` is True, never when False).
    """
    n_a = draw(st.integers(2, max_areas))
    n_t = draw(st.integers(1, max_years))
    first = draw(st.integers(2024, 2030))
    years = list(range(first, first + n_t))
    cohorts = draw(st.booleans())
    names = ["single", "family"] if cohorts else [None]
    exit_rate = draw(st.sampled_from([0.0, 0.2, 0.35, 0.5, 0.9]))
    rows = []
    for i in range(n_a):
        status = draw(st.sampled_from(["existing"] * 4 + ["volunteered", "excluded"]))
        row = area(f"A{i:02d}", population=draw(st.integers(1_000, 400_000)), status=status,
                   region=draw(st.sampled_from(["North", "South", "=Formula"])),
                   available_from=draw(st.integers(first - 1, first + n_t)) if status == "volunteered" else None)
        for name in names:
            sfx = f"_{name}" if name else ""
            stock = 0 if status == "volunteered" else draw(st.integers(0, 2_000))
            row[f"stock{sfx}"] = stock
            row[f"capacity{sfx}"] = stock + draw(st.integers(0, 500))
            row[f"procurement_per_year{sfx}"] = draw(st.integers(0, 200))
            row[f"cost_per_place{sfx}"] = draw(st.integers(2_000, 60_000))
        if cohorts:
            for base in ("stock", "capacity", "procurement_per_year", "cost_per_place"):
                row.pop(base, None)
        if draw(st.booleans()) and i == 0:
            row["cluster_limit"] = draw(st.integers(50, 400))
        rows.append(row)
    if any("cluster_limit" in r for r in rows):
        for r in rows:
            r.setdefault("cluster_limit", None)
    total_stock = sum(sum(v for k, v in r.items() if k.startswith("stock")) for r in rows)
    arrivals = [_amount(draw, 0, 3_000) for _ in years]
    policy: dict[str, Any] = {"cluster_limit": draw(st.sampled_from([100, 150, 200, 300]))}
    if draw(st.booleans()):
        policy["max_growth"] = {"absolute": _amount(draw, 0, 300),
                                "relative": draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))}
    if draw(st.booleans()):
        ceiling_years = draw(st.lists(st.sampled_from(years), min_size=1, unique=True))
        policy["contingency_ceiling"] = {y: _amount(draw, 0, 2_000) for y in sorted(ceiling_years)}
    objective = {"cost_weight": draw(st.sampled_from([0, 1])), "contingency_weight": 1,
                 "equity_weight": draw(st.sampled_from([0, 500, 5_000])),
                 "equity_measure": draw(st.sampled_from(["l1", "minmax", "progressive"]))}
    if objective["equity_measure"] == "progressive":
        objective["equity_steps"] = _equity_steps(draw)
    cfg = config(years, arrivals, exit_rate=exit_rate, contingency_start=_amount(draw, 0, 3_000),
                 hotel=draw(st.sampled_from([20_000, 52_925])),
                 procurement_per_place=draw(st.sampled_from([0, 0, 3_000])), policy=policy, objective=objective)
    for key, values in (("occupancy", [None, "end_of_year", "average"]), ("void_share", [None, 0, 0.25, 1.0])):
        value = draw(st.sampled_from(values))
        if value is not None:
            cfg["costs"][key] = value
    if cohorts:
        share = draw(st.sampled_from([0.3, 0.5, 0.75]))
        cfg["cohorts"] = [{"name": "single", "arrivals_share": share},
                          {"name": "family", "arrivals_share": 1 - share}]
        if draw(st.booleans()):
            cfg["cohorts"][1]["exit_rate"] = draw(st.sampled_from([0.0, 0.1, 0.25]))
    rates = {h: exit_rate for h in names}
    if cohorts and "exit_rate" in cfg["cohorts"][1]:
        rates["family"] = cfg["cohorts"][1]["exit_rate"]
    agreements = _agreements(draw, rows, years, rates, policy["cluster_limit"]) if draw(st.booleans()) else []
    if agreements:
        cfg["agreements"] = agreements
    if place if place is not None else draw(st.booleans()):
        _place_based(draw, cfg, rows, hotels=place)
    if draw(st.integers(0, 3)) == 0:
        _replan(draw, cfg, rows, rates)
    if opening if opening is not None else draw(st.integers(0, 5)) == 0:
        openings(draw, cfg, rows)
    cfg["description"] = f"{n_a} areas, {n_t} years, start stock {total_stock}"
    return cfg, rows


def _place_based(draw: st.DrawFn, cfg: dict, rows: list[dict], hotels: bool | None = None) -> None:
    """Issue 13's features, any of them together: hotels by area (some closing, ``contingency_start``
    then their total or left out), hotel place and new contingency costs (or its default), a pressure basis
    (``supported`` with people in initial accommodation, or a list with a column of resettled people)
    and protection (any rule, with the ``protect`` column forcing a few areas on or off); the re-plan's
    columns of these features: ``hotel_places`` (open places now, beyond the people in them) and
    ``protect_level`` (the level a forced-on area is held to)."""
    years = cfg["years"]
    if hotels or draw(st.booleans()):
        for row in rows:
            row["contingency"] = draw(st.sampled_from([0, 0, 0, 15, 120, 600]))
            row["hotels_close_by"] = (draw(st.integers(years[0] - 1, years[-1] + 1))
                                      if row["contingency"] and draw(st.booleans()) else None)
        total = sum(r["contingency"] for r in rows)
        if draw(st.booleans()):
            del cfg["demand"]["contingency_start"]
        else:
            cfg["demand"]["contingency_start"] = total
        new = draw(st.sampled_from([None, 20_000, 52_925, 80_000]))      # None: the default, hotel place + occupant
        if new is not None:
            cfg["costs"]["new_contingency_per_person_year"] = new
        cfg["costs"]["hotel_place_per_year"] = draw(st.sampled_from([0, 0, 4_000]))
        if draw(st.integers(0, 2)) == 0:            # open places now beyond the people in them (empty = theirs)
            for row in rows:
                row["hotel_places"] = (row["contingency"] + draw(st.sampled_from([0, 5, 40]))
                                       if draw(st.booleans()) else None)
    basis = draw(st.sampled_from(["dispersal", "supported", "supported", "list"]))
    if basis == "list":
        cfg["policy"]["pressure_basis"] = ["resettled"]
        for row in rows:
            row["resettled"] = draw(st.sampled_from([0, 0, 10, 250]))
    elif basis == "supported":
        cfg["policy"]["pressure_basis"] = "supported"
        if draw(st.booleans()):
            for row in rows:
                row["initial"] = draw(st.sampled_from([0, 0, 30, 400]))
    if draw(st.booleans()):
        cfg["regions"] = _regions(draw, cfg["years"], rows)
    if draw(st.booleans()):
        rules = ["no_net_growth", "no_new_placements"] + (["no_rise"] * 2 if "contingency" in rows[0]
                                                          and basis != "dispersal" else [])
        rule = draw(st.sampled_from(rules))
        cfg["policy"]["protect"] = {"above_per_10k": draw(st.sampled_from([0, 20, 60, 200])), "rule": rule}
        if draw(st.booleans()):
            for row in rows:
                row["protect"] = draw(st.sampled_from([None, None, "true", "false"]))
            if rule != "no_new_placements" and draw(st.booleans()):   # a re-plan's level: people (on the basis)
                for row in rows:
                    row["protect_level"] = (draw(st.sampled_from([0, 10, 150, 900]))
                                            if row["protect"] == "true" and draw(st.booleans()) else None)


def _replan(draw: st.DrawFn, cfg: dict, rows: list[dict], rates: dict) -> None:
    """What a re-plan carries (docs/monitoring.md), either or both: areas counted over their cap by
    inheritance up to a year (``over_cap_until``, some before the plan's first year), and a previous plan's
    numbers (``cfg['previous_plan']`` rows, written to previous.csv) for some areas and years, near the
    people an area keeps of today's, with ``objective.stability_weight`` (0, the default £1,000 or more)."""
    years = cfg["years"]
    if draw(st.booleans()):
        for row in rows:
            row["over_cap_until"] = draw(st.sampled_from([None, None, None, years[0] - 1, years[0], years[-1]]))
    if draw(st.booleans()):
        return
    previous = []
    for row in rows:
        for k, year in enumerate(years):
            if draw(st.integers(0, 2)) == 0:
                kept = sum(row[f"stock_{h}" if h else "stock"] * (1 - rate) ** (k + 1) for h, rate in rates.items())
                previous.append({"area_code": row["area_code"], "year": year,
                                 "stock": max(0, math.floor(kept) + draw(st.sampled_from([0, 0, -10, 25, 300])))})
    cfg["previous_plan"] = previous or [{"area_code": rows[0]["area_code"], "year": years[0], "stock": 0}]
    weight = draw(st.sampled_from([None, 0, 1_000, 30_000]))         # None: the default, £1,000
    if weight is not None:
        cfg["objective"]["stability_weight"] = weight


def hosts_nobody(row: dict) -> bool:
    return sum(v for k, v in row.items() if k.startswith("stock")) == 0


def openings(draw: st.DrawFn, cfg: dict, rows: list[dict]) -> None:
    """Opening decisions (issue 16; they make the model a mixed-integer program): ``min_open`` on any area,
    ``open_cost`` and ``lead_time`` on areas hosting nobody now, maybe ``policy.max_new_areas`` and maybe
    ``policy.new_areas`` (the terms of every area hosting nobody now whose cell is empty)."""
    for r in rows:
        nobody = hosts_nobody(r)
        # an area hosting people keeps at least min_open every year (a floor that may make it infeasible): smaller
        r["min_open"] = draw(st.sampled_from([None, 0, 5, 20, 150] if nobody else [None, None, 0, 5, 20]))
        r["open_cost"] = draw(st.sampled_from([None, 0, 100_000, 3_000_000])) if nobody else None
        r["lead_time"] = draw(st.sampled_from([None, 0, 1, 2])) if nobody else None
    if draw(st.booleans()):
        cfg["policy"]["max_new_areas"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        cfg["policy"]["new_areas"] = {"min_open": draw(st.sampled_from([0, 10, 40])),
                                      "open_cost": draw(st.sampled_from([0, 500_000])),
                                      "lead_time": draw(st.sampled_from([0, 1]))}


def opening_rules_hold(cfg: dict, rows: list[dict], alloc: pd.DataFrame) -> None:
    """The opening rules on a written whole-people plan (its allocations table), from the generated rows:
    an area with an opening size hosts nobody or at least that many each year, none before its lead
    time, at most ``policy.max_new_areas`` areas hosting nobody now first receive people in a year."""
    totals = alloc.groupby(["area_code", "year"], sort=True)["stock"].sum().unstack()
    defaults = cfg["policy"].get("new_areas", {})
    first = {}
    for r in rows:
        row = totals.loc[r["area_code"]].to_numpy()
        nobody = hosts_nobody(r)
        least = r.get("min_open") if r.get("min_open") is not None or not nobody else defaults.get("min_open")
        if least:
            assert ((row == 0) | (row >= least)).all(), (r["area_code"], row, least)
        if nobody:
            lead = r.get("lead_time") if r.get("lead_time") is not None else defaults.get("lead_time")
            if lead:
                assert (row[:lead] == 0).all(), (r["area_code"], row)
            if (row > 0).any() and r["status"] != "excluded":
                first[r["area_code"]] = int(np.argmax(row > 0))
    most = cfg["policy"].get("max_new_areas")
    if most is not None:
        assert all(list(first.values()).count(k) <= most for k in set(first.values())), first


def _regions(draw: st.DrawFn, years: list[int], rows: list[dict]) -> list[dict]:
    """A few regional targets (``cfg['regions']``, written to regions.csv): for some regions of ``rows``
    and years, a least share (0 to 0.3), a most share (0.6 to 1) or both; loose enough that most
    scenarios stay feasible, and some bind."""
    out = []
    for region in sorted({r["region"] for r in rows}):
        for year in years:
            kind = draw(st.sampled_from([None, None, "min", "max", "both"]))
            if kind is None:
                continue
            low = draw(st.sampled_from([0.0, 0.1, 0.2, 0.3])) if kind in ("min", "both") else None
            high = draw(st.sampled_from([0.6, 0.8, 1.0])) if kind in ("max", "both") else None
            out.append({"region": region, "year": year, "min_share": low, "max_share": high})
    return out or [{"region": rows[0]["region"], "year": years[0], "min_share": 0.1, "max_share": None}]



def objectives_agree(a: float, b: float, gap: float = 0.0, rel: float = 1e-6) -> bool:
    """Two solvers' (or starts') objectives of one scenario agree: to ``rel`` for a linear program; for an
    integer plan each is proven within the relative ``gap`` of the best (``summary['gap_tolerance']``, the
    default --gap 0.1%), so they may differ by that much and no more."""
    return abs(a - b) <= max(rel, gap) * max(1.0, abs(a), abs(b))

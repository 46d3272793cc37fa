"""The independent plan verifier.

It recomputes every rule of the model from the scenario itself (not from the
prepared arrays the model was built from, and not from the solver's report)
and checks the numbers of a plan against them:

* the exact plan (the solver's continuous values) must satisfy every rule to
  a tolerance of 1e-6 relative, and the objective recomputed from the plan
  must equal the solver's objective;
* the whole-people plan must be within one person of the exact plan in every
  cell, and keep, in whole people, every rule: capacity, cap, agreements, national
  and cohort totals, the contingency ceiling, and the rules linking years (nobody
  moved out: never below last year's survivors rounded down; growth limit).

People are whole: a contingency ceiling applies as its whole part (87.4 allows 87),
to the exact plan and to the whole-people plan.

A plan that fails is never written as a success.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from allocator import verify_open as vo
from allocator import verify_place as vp
from allocator import verify_region as vr
from allocator.scenario import Scenario

TOL = 1e-6


def _report(fails: list[str], mask: np.ndarray, text, prefix: str = "") -> None:
    """Add ``prefix + text(*index)`` for the first ten cells where ``mask`` holds (each list stays readable)."""
    for idx in list(zip(*np.nonzero(mask)))[:10]:
        fails.append(prefix + text(*idx))


def _ceiling_text(ceiling: float) -> str:
    """A ceiling as the scenario gives it, with its whole part when it has a fraction."""
    whole = math.floor(ceiling + 1e-9)
    return f"{ceiling:g}" if abs(whole - ceiling) <= 1e-9 else f"{ceiling:g} (whole people: {whole})"


def _expected(scenario: Scenario) -> dict:
    """Recompute the model's data from the scenario, written plainly."""
    cfg = scenario.config
    df = scenario.areas
    cohorts = scenario.cohort_names
    years = list(cfg.years)
    n_a, n_t, n_h = len(df), len(years), len(cohorts)
    e = []
    for name in cohorts:
        rate = cfg.demand.exit_rate
        if cfg.cohorts:
            c = next(c for c in cfg.cohorts if c.name == name)
            rate = c.exit_rate if c.exit_rate is not None else rate
        e.append(rate)
    e = np.array(e)
    s0 = np.stack([df[scenario.cohort_column("stock", c)].to_numpy(float) for c in cohorts], axis=1)
    k0 = np.stack([df[scenario.cohort_column("capacity", c)].to_numpy(float) for c in cohorts], axis=1)
    q = np.stack([df[scenario.cohort_column("procurement_per_year", c)].to_numpy(float) for c in cohorts], axis=1)
    cost = np.stack([df[scenario.cohort_column("cost_per_place", c)].to_numpy(float) for c in cohorts], axis=1)
    pop = df["population"].to_numpy(float)
    limits = np.array([
        (row if (isinstance(row, float) and not math.isnan(row)) else cfg.policy.cluster_limit)
        for row in (df["cluster_limit"] if "cluster_limit" in df else [float("nan")] * n_a)
    ], dtype=float)
    cap = np.floor(pop / limits + 1e-9)
    status = df["status"].tolist()
    first = []
    for i in range(n_a):
        if status[i] == "volunteered":
            first.append(int(df["available_from"].iloc[i]))
        else:
            first.append(years[0])
    first = np.array(first)
    open_ = np.array([[status[i] != "excluded" and y >= first[i] for y in years] for i in range(n_a)])
    years_open = np.array([[max(0, y - max(first[i], years[0]) + 1) for y in years] for i in range(n_a)])
    inherited = np.stack([s0 * (1 - e) ** (k + 1) for k in range(n_t)], axis=1)     # (A,T,H)
    if cfg.cohorts:
        a_share = np.array([c.arrivals_share for c in cfg.cohorts])
        c_share = np.array([c.contingency_share if c.contingency_share is not None else c.arrivals_share
                            for c in cfg.cohorts])
    else:
        a_share = c_share = np.array([1.0])
    need = np.zeros((n_t, n_h))
    level = s0.sum(axis=0) + _contingency_start(scenario) * c_share
    for k, y in enumerate(years):
        level = (1 - e) * level + cfg.demand.arrivals[y] * a_share
        need[k] = level
    fs = cfg.policy.fair_share
    weight = pop if fs == "population" else np.nan_to_num(df[fs].to_numpy(float))
    ex = dict(e=e, s0=s0, k0=k0, q=q, cost=cost, pop=pop, cap=cap, open=open_, years_open=years_open,
              inherited=inherited, need=need, weight=weight, years=years, status=status)
    ex["place"] = vp.expected(scenario, ex)
    ex["opening"] = vo.expected(scenario)
    return ex


def _kept(ex: dict, S: np.ndarray) -> np.ndarray:
    """(A,T,H) the least capacity that houses ``S``: never handed back, today's at least, growing by at most
    the procurement pace in a year the area is open (the latest procurement schedule)."""
    n_t = S.shape[1]
    pace = ex["q"][:, None, :] * ex["open"][:, :, None]                      # (A,T,H) most added in year t
    least = S.copy()                                                          # backwards: enough in time for later
    for k in range(n_t - 2, -1, -1):
        least[:, k] = np.maximum(least[:, k], least[:, k + 1] - pace[:, k + 1])
    kept = np.empty_like(S)
    prev = ex["k0"]
    for k in range(n_t):                                                      # forwards: never handed back
        prev = kept[:, k] = np.maximum(prev, least[:, k])
    return kept


def _contingency_start(scenario: Scenario) -> float:
    """People in contingency now: the areas' ``contingency`` column added up where given, else the key."""
    df = scenario.areas
    if "contingency" in df.columns:
        return float(sum(0.0 if v != v else float(v) for v in df["contingency"]))
    return scenario.config.demand.contingency_start


def _objective(scenario: Scenario, ex: dict, S: np.ndarray, C: np.ndarray, hotels=None, tol: float = 1e-6) -> float:
    cfg = scenario.config
    obj = cfg.objective
    px = ex["place"]
    places = (ex["cost"][:, None, :] * S).sum(axis=(0, 2))                   # (T,) £ a year at each year's end
    hotels_cost = vp.contingency_by_year(scenario, px, C, hotels)             # (T,) the same for contingency
    if cfg.costs.occupancy == "average":                                      # each year on (start + end) / 2
        places = (np.concatenate([[(ex["cost"] * ex["s0"]).sum()], places[:-1]]) + places) / 2
        now = vp.contingency_now(scenario, px, _contingency_start(scenario))
        hotels_cost = (np.concatenate([[now], hotels_cost[:-1]]) + hotels_cost) / 2
    total = obj.cost_weight * float(places.sum()) + obj.contingency_weight * float(hotels_cost.sum())
    if cfg.costs.void_share > 0:                                              # empty kept bed spaces, each year end
        total += obj.cost_weight * cfg.costs.void_share * float((ex["cost"][:, None, :] * (_kept(ex, S) - S)).sum())
    total += obj.cost_weight * vo.open_cost(ex["opening"], S, tol)             # set-up costs of the areas opened
    if cfg.costs.procurement_per_place > 0:
        procured = np.maximum(S.max(axis=1) - ex["k0"], 0.0)                 # most ever needed above today
        total += obj.cost_weight * cfg.costs.procurement_per_place * float(procured.sum())
    if obj.equity_weight > 0:                                                 # on the pressure basis
        held = vp.basis(px, S.sum(axis=2), None if hotels is None else hotels.located)   # (A,T)
        total += obj.equity_weight * _equity(obj, ex, held)
    return total + _stability(scenario, S)


def _stability(scenario: Scenario, S: np.ndarray) -> float:
    """A re-plan's stability term: the weight × people each area's total is away from the previous plan's
    number, over the areas and years the scenario's ``previous_plan`` table gives."""
    weight = scenario.config.objective.stability_weight
    if scenario.previous is None or weight <= 0:
        return 0.0
    table = scenario.previous
    i = pd.Index(scenario.areas["area_code"]).get_indexer(table["area_code"])
    k = pd.Index(scenario.config.years).get_indexer(table["year"])
    return weight * float(np.abs(S.sum(axis=2)[i, k] - table["stock"].to_numpy(float)).sum())


def _equity(obj, ex: dict, area_total: np.ndarray) -> float:
    """The equity measure of the areas' totals on the pressure basis ``area_total`` (A,T) (before its
    weight): person-years from the fair share (``l1``), weighted by the steps above it (``progressive``),
    or people in excess of the highest rate (``minmax``)."""
    national = area_total.sum(axis=0)                                         # (T,)
    total = 0.0
    for k in range(len(ex["years"])):
        w = np.where(ex["open"][:, k], ex["weight"], 0.0)
        share = w / w.sum() if w.sum() > 0 else w
        if obj.equity_measure == "minmax":
            mask = ex["open"][:, k] & (ex["weight"] > 0)
            top = float((area_total[mask, k] / share[mask]).max()) if mask.any() else 0.0
            total += max(top, 0.0) - national[k]
            continue
        held, fair = area_total[ex["open"][:, k], k], share[ex["open"][:, k]] * national[k]
        if obj.equity_measure == "l1":
            total += float(np.abs(held - fair).sum())
            continue
        total += float(np.maximum(fair - held, 0.0).sum())                   # below the fair share: 1 each
        weight_before = 0.0
        for step in obj.equity_steps:                                         # above each step: its extra weight
            total += (step.weight - weight_before) * float(np.maximum(held - step.from_ * fair, 0.0).sum())
            weight_before = step.weight
    return total


def _check_objective(scenario: Scenario, ex: dict, S: np.ndarray, C: np.ndarray, objective: float,
                     hotels) -> list[str]:
    """The objective recomputed from the plan equals the solver's: 1e-6 relative; near zero, a floor of a
    millionth of a person-year at the dearest price (solvers round x to their feasibility tolerance and
    may report exactly 0 where c·x is 4e-5, CBC)."""
    cfg, px = scenario.config, ex["place"]
    obj = cfg.objective
    mine = _objective(scenario, ex, S, C, hotels)
    steepest = max((step.weight for step in obj.equity_steps or ()), default=1.0)
    dearest = max(obj.contingency_weight * cfg.costs.contingency_per_person_year,
                  obj.cost_weight * float(ex["cost"].max(initial=0.0)),
                  obj.cost_weight * cfg.costs.procurement_per_place, obj.equity_weight * max(1.0, steepest),
                  obj.stability_weight if scenario.previous is not None else 0.0,
                  obj.contingency_weight * max(px["new_cost"], px["place_cost"]))
    if not abs(mine - objective) <= 1e-6 * max(1.0, abs(objective), dearest):   # also catches NaN
        return [f"objective: recomputed {mine:.6f} differs from the solver's {objective:.6f}"]
    return []


def verify_plan(scenario: Scenario, S: np.ndarray, C: np.ndarray, objective: float | None,
                stock_int: np.ndarray | None = None, contingency_int: np.ndarray | None = None,
                exact_objective: bool = True, *, hotels=None, whole_hotels=None,
                allocations: pd.DataFrame | None = None) -> list[str]:
    """Check a plan against the scenario. Returns a list of failures (empty = passes).

    ``S`` is the exact stock (area, year, cohort), ``C`` the exact contingency
    (year, cohort), ``objective`` the solver's objective value. ``stock_int`` and
    ``contingency_int`` are the whole-people plan, checked when given. With hotels by area,
    ``hotels`` and ``whole_hotels`` (:class:`allocator.place.Hotels`) are the exact and the
    whole-people people in hotels, open hotel places and new contingency. ``allocations`` is the
    allocations table as written, whose placements and exits are checked when given.
    """
    ex = _expected(scenario)
    cfg = scenario.config
    codes = scenario.areas["area_code"].tolist()
    years = ex["years"]
    cohorts = scenario.cohort_names
    fails: list[str] = []
    scale = max(1.0, float(ex["need"].max()))
    tol = TOL * scale

    report = functools.partial(_report, fails)
    px = ex["place"]

    prev = ex["s0"]
    for k, y in enumerate(years):
        St = S[:, k, :]
        report(St < -tol, lambda i, h: f"stock negative: {codes[i]} {y} {cohorts[h]}: {St[i, h]:.6f}")
        floor = (1 - ex["e"]) * prev
        report(St < floor - tol,
               lambda i, h: f"exit_decay: {codes[i]} {y} {cohorts[h]}: stock {St[i, h]:.4f} below survivors {floor[i, h]:.4f}")
        room = np.where(ex["open"][:, k, None], ex["k0"] + ex["q"] * ex["years_open"][:, k, None],
                        ex["inherited"][:, k, :])
        report(St > np.maximum(room, ex["inherited"][:, k, :]) + tol,
               lambda i, h: f"capacity: {codes[i]} {y} {cohorts[h]}: stock {St[i, h]:.4f} above {room[i, h]:.4f}")
        total = St.sum(axis=1)
        counted = total + (hotels.located[:, k] if px["counts"] and hotels is not None else 0.0)
        limit = vp.cap_limit(px, ex, ex["inherited"].sum(axis=2))[:, k]          # on the pressure basis
        report((counted > limit + tol)[:, None],
               lambda i, _: f"cluster_limit: {codes[i]} {y}: stock {counted[i]:.4f} above {limit[i]:.4f}")
        growth = cfg.policy.max_growth
        if growth is not None and (growth.absolute is not None or growth.relative is not None):
            most = (1 + (growth.relative or 0.0)) * prev.sum(axis=1) + (growth.absolute or 0.0)
            report(((total > most + tol) & ex["open"][:, k])[:, None],
                   lambda i, _: f"max_growth: {codes[i]} {y}: stock {total[i]:.4f} above {most[i]:.4f}")
        if scenario.agreements is not None:
            for row in scenario.agreements[scenario.agreements["year"] == y].itertuples():
                i = codes.index(row.area_code)
                if not np.isnan(row.minimum) and total[i] < row.minimum - tol:
                    fails.append(f"agreement: {row.area_code} {y}: stock {total[i]:.4f} below the agreed {row.minimum:g}")
                if not np.isnan(row.maximum) and total[i] > row.maximum + tol:
                    fails.append(f"agreement: {row.area_code} {y}: stock {total[i]:.4f} above the agreed {row.maximum:g}")
        balance = St.sum(axis=0) + C[k] - ex["need"][k]
        for h in np.flatnonzero(np.abs(balance) > tol):
            fails.append(f"national_balance: {y} {cohorts[h]}: dispersed + contingency - need = {balance[h]:.6f}")
        for h in np.flatnonzero(C[k] < -tol):
            fails.append(f"contingency negative: {y} {cohorts[h]}: {C[k, h]:.6f}")
        ceiling = (cfg.policy.contingency_ceiling or {}).get(y)
        if ceiling is not None and C[k].sum() > math.floor(ceiling + 1e-9) + tol:
            fails.append(f"contingency_ceiling: {y}: {C[k].sum():.4f} above {_ceiling_text(ceiling)}")
        prev = St
    fails += vp.check_exact(scenario, ex, px, S, C, hotels, tol) + vo.check_exact(ex["opening"], S, tol)
    fails += vr.check(scenario, ex, S.sum(axis=2), None if hotels is None else hotels.located, tol)

    if objective is not None and exact_objective and (hotels is not None or not px["located"]):
        fails += _check_objective(scenario, ex, S, C, objective, hotels)

    if stock_int is not None:
        fails += _verify_whole(scenario, ex, S, C, stock_int, contingency_int)
        fails += vo.check_whole(ex["opening"], S, stock_int, tol)
        fails += vp.check_whole(scenario, ex, px, S, stock_int, hotels, whole_hotels,
                                None if contingency_int is None else contingency_int.sum(axis=1))
        fails += vr.check(scenario, ex, stock_int.sum(axis=2), None if whole_hotels is None else whole_hotels.located,
                          tol, whole=True)
    if allocations is not None:
        fails += _verify_flows(scenario, ex, allocations)
    return fails


def _verify_flows(scenario: Scenario, ex: dict, alloc: pd.DataFrame) -> list[str]:
    """The allocations table adds up, row by row: stock = last year's stock (today's, the first year)
    - exits + placements; neither is negative; no more exits than last year's people; and nobody
    is placed where the area cannot receive people (excluded, or volunteered before it opens)."""
    fails: list[str] = []
    codes, years, cohorts = scenario.areas["area_code"].tolist(), ex["years"], scenario.cohort_names
    where = (pd.Index(codes).get_indexer(alloc["area_code"].astype(str)), pd.Index(years).get_indexer(alloc["year"]),
             pd.Index(cohorts).get_indexer(alloc["cohort"]) if "cohort" in alloc else np.zeros(len(alloc), np.int64))
    grid = {}
    for column in ("stock", "placements", "exits"):
        grid[column] = np.zeros((len(codes), len(years), len(cohorts)), np.int64)
        grid[column][where] = alloc[column].to_numpy()
    stock, placed, left = grid["stock"], grid["placements"], grid["exits"]
    prev = np.concatenate([np.round(ex["s0"])[:, None, :], stock[:, :-1, :]], axis=1)
    name = lambda i, k, h: f"{codes[i]} {years[k]} {cohorts[h]}"  # noqa: E731
    _report(fails, stock != prev - left + placed, lambda i, k, h: f"flows: {name(i, k, h)}: {prev[i, k, h]:g} - exits "
            f"{left[i, k, h]} + placements {placed[i, k, h]} is not the stock {stock[i, k, h]}")
    _report(fails, (placed < 0) | (left < 0) | (left > prev), lambda i, k, h: f"flows: {name(i, k, h)}: placements "
            f"{placed[i, k, h]} or exits {left[i, k, h]} negative, or more exits than the {prev[i, k, h]:g} there")
    _report(fails, (placed > 0) & ~ex["open"][:, :, None], lambda i, k, h: f"flows: {name(i, k, h)}: "
            f"{placed[i, k, h]} placed in an area that cannot receive people")
    return fails


def _verify_whole(scenario: Scenario, ex: dict, S: np.ndarray, C: np.ndarray, R: np.ndarray,
                  Cint: np.ndarray | None) -> list[str]:
    """The whole-people plan ``R`` against every rule in whole people (docs/model.md)."""
    fails: list[str] = []
    codes = scenario.areas["area_code"].tolist()
    years = ex["years"]
    if not np.issubdtype(R.dtype, np.integer):
        return ["whole people: stock is not whole numbers"]
    if (R < 0).any():
        fails.append("whole people: negative stock")
    report = functools.partial(_report, fails, prefix="whole people: ")

    total = R.sum(axis=2)
    if scenario.agreements is not None:
        for row in scenario.agreements.itertuples():
            i, k = codes.index(row.area_code), years.index(row.year)
            if (not np.isnan(row.minimum) and total[i, k] < row.minimum) or \
                    (not np.isnan(row.maximum) and total[i, k] > row.maximum):
                fails.append(f"whole people: agreement {row.area_code} {row.year}: stock {total[i, k]} "
                             f"outside [{row.minimum:g}, {row.maximum:g}]")
    report(np.abs(R - S) >= 1.0 - 1e-9,
           lambda i, k, h: f"{codes[i]} {years[k]} stock {R[i, k, h]} is a person or more from {S[i, k, h]:.4f}")
    # national total: the exact total rounded down or up (within a person), never above the whole need,
    # never leaving more in contingency than the ceiling's whole part
    ceilings = scenario.config.policy.contingency_ceiling or {}
    need_int = np.round(ex["need"].sum(axis=1))
    whole_ceiling = np.array([math.floor(ceilings[y] + 1e-9) if y in ceilings else np.inf for y in years])
    got = R.sum(axis=(0, 2))
    exact = S.sum(axis=(0, 2))
    lo = np.maximum(np.floor(exact + 1e-9), need_int - whole_ceiling)
    hi = np.minimum(np.ceil(exact - 1e-9), need_int)
    report((got < lo) | (got > hi), lambda k: f"national total {years[k]} is {got[k]}, expected {lo[k]:g}"
           + (f" to {hi[k]:g}" if hi[k] > lo[k] else ""))
    cohort_far = np.abs(R.sum(axis=0) - S.sum(axis=0)) >= 1.0 - 1e-9
    report(cohort_far, lambda k, h: f"cohort {scenario.cohort_names[h]} total {years[k]} is {R.sum(axis=0)[k, h]}, "
           f"a person or more from {S.sum(axis=0)[k, h]:.4f}")
    room = np.where(ex["open"][:, :, None], np.floor(ex["k0"][:, None, :] + ex["q"][:, None, :] * ex["years_open"][:, :, None] + 1e-6),
                    np.ceil(ex["inherited"] - 1e-6))
    room = np.maximum(room, np.ceil(ex["inherited"] - 1e-6))
    report(R > room, lambda i, k, h: f"{codes[i]} {years[k]} stock {R[i, k, h]} above capacity {room[i, k, h]:g}")
    cap = np.maximum(ex["cap"][:, None], np.ceil(ex["inherited"].sum(axis=2) - 1e-6))
    report(total > cap, lambda i, k: f"{codes[i]} {years[k]} stock {total[i, k]} above cluster cap {cap[i, k]:g}")
    fails += _verify_whole_links(scenario, ex, R)
    if Cint is not None:
        if (Cint < 0).any():
            fails.append("whole people: negative contingency")
        report(got + Cint.sum(axis=1) != need_int, lambda k: f"national_balance {years[k]}: dispersed {got[k]} + "
               f"contingency {Cint[k].sum()} is not the need {int(need_int[k])}")
        report(Cint.sum(axis=1) > whole_ceiling, lambda k: f"contingency {years[k]} is {Cint[k].sum()}, above the "
               f"ceiling {_ceiling_text(ceilings[years[k]])}")
    return fails


def _verify_whole_links(scenario: Scenario, ex: dict, R: np.ndarray) -> list[str]:
    """The rules linking years, in whole people.

    * Nobody moved out: each cell holds at least last year's whole people times (1 - exit rate),
      rounded down (with no exits: at least last year's people). The first year against today's stock.
    * Growth limit: an area that can receive people holds at most (1 + relative) × last year's whole
      total + absolute, rounded up.
    """
    fails: list[str] = []
    codes = scenario.areas["area_code"].tolist()
    cohorts = scenario.cohort_names
    growth = scenario.config.policy.max_growth
    limited = growth is not None and (growth.absolute is not None or growth.relative is not None)
    prev = ex["s0"]
    for k, y in enumerate(ex["years"]):
        survivors = np.floor((1 - ex["e"]) * prev + 1e-6)
        _report(fails, R[:, k, :] < survivors, lambda i, h: f"whole people: exit_decay {codes[i]} {y} {cohorts[h]}: "
                f"stock {R[i, k, h]} below last year's {prev[i, h]:g} less exits ({survivors[i, h]:g}): a person moved out")
        if limited:
            most = np.ceil((1 + (growth.relative or 0.0)) * prev.sum(axis=1) + (growth.absolute or 0.0) - 1e-6)
            total = R[:, k, :].sum(axis=1)
            _report(fails, (total > most) & ex["open"][:, k],
                    lambda i: f"whole people: max_growth {codes[i]} {y}: stock {total[i]} above {most[i]:g}")
        prev = R[:, k, :]
    return fails

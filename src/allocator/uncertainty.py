r"""Uncertain arrivals: evaluate a plan against sampled futures, and a robust plan.

**Sampled arrivals.** Each year's arrivals are the scenario's figure times a
log-normal multiplier with mean 1 and coefficient of variation ``cv``; the
multipliers are autocorrelated from year to year (correlation ``rho`` of
their logarithms, an AR(1) process), because a high year tends to be followed
by another:

.. math::
    a^s_t = a_t\, m^s_t,\quad m^s_t = \exp(\sigma z^s_t - \sigma^2/2),\quad
    \sigma^2 = \ln(1+cv^2),\quad z^s_t = \rho z^s_{t-1} + \sqrt{1-\rho^2}\,\varepsilon^s_t

with :math:`z^s_0, \varepsilon^s_t` independent standard normals drawn from a
seeded generator (``numpy.random.default_rng(seed)``). Need follows the
engine's own formula, :math:`N^s_t = (1-e) N^s_{t-1} + a^s_t`.

**Evaluating a plan** (:func:`evaluate`). The plan fixes the *bed spaces*: its
``capacity`` column (what it procures, area by area and year by year). The
plan's *placements* adapt to the sampled need, by this rule, each year:

1. nobody is moved: an area keeps its survivors :math:`(1-e)S^s_{i,t-1}`;
2. an area can hold at most its bed spaces, its cluster cap (or its survivors,
   if more) and, when the scenario has one, its growth limit;
3. new placements follow the plan: each area takes the places the plan gave it
   (its planned stock less its survivors), scaled down in proportion when
   fewer people need a place; when more people need a place, free bed spaces
   (beds the plan holds empty) are filled in proportion to how many each area
   has free;
4. everyone else is in contingency (hotels): :math:`H^s_t = N^s_t - \sum_i S^s_{it}`.

With the plan's own arrivals this reproduces the plan. Cost per year is costed
as the plan is: the occupied places at each area's cost, plus hotels at the hotel
cost (with hotels by area, the plan's open hotel places and new sites at theirs),
plus the plan's procurement (fixed), plus the scenario's ``costs.void_share`` of
each empty bed space the plan keeps, each year on its end-of-year numbers or, with
``costs.occupancy: average``, on the mean of its start and end; plus
``empty_place_cost`` per empty bed space (0 by default).

**The robust plan** (:func:`robust_plan`) answers "keep hotel use at most
:math:`\bar H_t` in year t in at least a share :math:`\beta` of futures" (each
ceiling year separately, or all of them at once with ``joint``). Hotel use
depends on the future mainly through national need: a plan whose beds can take
:math:`Q_\ell(N_t) - \bar H_t` people keeps within the ceiling whenever need is at
most its :math:`\ell`-quantile :math:`Q_\ell(N_t)`. So the robust plan is the
scenario solved with arrivals that make need equal :math:`Q_\ell(N_t)` in the
ceiling years (the median elsewhere) and the ceiling :math:`\bar H_t` as a hard
constraint: a deterministic equivalent of the chance constraint, one LP.
Because the rule above also meets growth limits and cluster caps along each
path, the plain :math:`\ell = \beta` can fall a little short; :math:`\ell` is
therefore calibrated: raised (by bisection) until the plan, evaluated on the
planning samples, keeps within the ceiling in at least :math:`\beta` plus one
standard error of them. It is then re-evaluated on *fresh* samples (an
independent random stream of the same seed) and that share is reported, with
its standard error.
See docs/uncertainty.md for why this formulation, and its limits.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.api import solve
from allocator.data import ModelData, cell_limits, prepare
from allocator.errors import CommandLineError, InfeasibleError, ScenarioError, given_issue
from allocator.interpret import contingency_start_cost
from allocator.plan import Plan
from allocator.scenario import Scenario

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


# --------------------------------------------------------------------------- sampling
@dataclass(frozen=True)
class ArrivalModel:
    """Log-normal, AR(1)-correlated multipliers on each year's arrivals."""

    cv: float = 0.2          # coefficient of variation of one year's arrivals
    rho: float = 0.5         # year-to-year correlation of the log multipliers (0 = independent years)

    def __post_init__(self) -> None:
        if not (self.cv >= 0 and math.isfinite(self.cv)):
            raise CommandLineError(given_issue("--cv", self.cv, "must be a finite number >= 0"))
        if not (-1 < self.rho < 1):
            raise CommandLineError(given_issue("--rho", self.rho, "must be between -1 and 1 (exclusive)"))

    def multipliers(self, n: int, years: int, rng: np.random.Generator) -> np.ndarray:
        """(n, years) multipliers with mean 1 and coefficient of variation ``cv``."""
        sigma = math.sqrt(math.log1p(self.cv ** 2))
        eps = rng.standard_normal((n, years))
        z = np.empty((n, years))
        z[:, 0] = eps[:, 0]
        k = math.sqrt(1 - self.rho ** 2)
        for t in range(1, years):
            z[:, t] = self.rho * z[:, t - 1] + k * eps[:, t]
        return np.exp(sigma * z - sigma ** 2 / 2)


def streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one seed: (samples to plan with, fresh samples to check with)."""
    a, b = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(a), np.random.default_rng(b)


def sample_need(d: ModelData, multipliers: np.ndarray) -> np.ndarray:
    """(n, T, H) need per sample, year and cohort, by the engine's formula."""
    n, n_t = multipliers.shape
    arrivals = d.arrivals[None, :, :] * multipliers[:, :, None]          # (n,T,H)
    need = np.empty_like(arrivals)
    prev = np.broadcast_to(d.stock0.sum(axis=0) + d.contingency0, (n, d.shape[2]))
    for t in range(n_t):
        prev = (1 - d.exit_rate)[None, :] * prev + arrivals[:, t, :]
        need[:, t, :] = prev
    return need


# --------------------------------------------------------------------------- a plan as arrays
@dataclass
class PlanArrays:
    stock: np.ndarray        # (A,T,H) whole people
    capacity: np.ndarray     # (A,T,H) bed spaces
    procurement_cost: np.ndarray  # (T,) £ per year, fixed whatever the arrivals
    contingency: np.ndarray  # (T,) the plan's own contingency
    total_cost: np.ndarray   # (T,) the plan's own cost
    located: np.ndarray | None = None  # (A,T) people in each area's hotels (hotels by area), else None
    places: np.ndarray | None = None   # (T,) open hotel places (hotels by area), else None


def plan_arrays(plan: Plan, d: ModelData) -> PlanArrays:
    """The plan's stock and bed spaces as arrays in the scenario's area/year/cohort order."""
    a = plan.allocations
    codes = {c: i for i, c in enumerate(d.areas["area_code"].astype(str))}
    years = {int(y): t for t, y in enumerate(d.years)}
    cohorts = {c: h for h, c in enumerate(d.cohorts)}
    ai = a["area_code"].astype(str).map(codes)
    ti = a["year"].astype(int).map(years)
    hi = a["cohort"].map(cohorts) if "cohort" in a.columns else pd.Series(0, index=a.index)
    if ai.isna().any() or ti.isna().any() or hi.isna().any():
        raise ScenarioError("the plan's areas, years or cohorts do not match the scenario; "
                            "pass the scenario the plan was solved from (--scenario)", file="plan")
    shape = d.shape
    S = np.zeros(shape)
    K = np.zeros(shape)
    S[ai.to_numpy(int), ti.to_numpy(int), hi.to_numpy(int)] = a["stock"].to_numpy(float)
    K[ai.to_numpy(int), ti.to_numpy(int), hi.to_numpy(int)] = a["capacity"].to_numpy(float)
    traj = plan.trajectory.set_index("year").loc[[int(y) for y in d.years]]
    out = PlanArrays(S, np.maximum(K, S), traj["procurement_cost"].to_numpy(float),
                     traj["contingency"].to_numpy(float), traj["total_cost"].to_numpy(float))
    if "hotel_places" in a.columns:                      # hotels by area: the plan's open places are fixed too
        first = ~pd.DataFrame({"a": ai, "t": ti}).duplicated().to_numpy()
        out.located, H = np.zeros(shape[:2]), np.zeros(shape[:2])
        out.located[ai[first].to_numpy(int), ti[first].to_numpy(int)] = a["contingency"][first].to_numpy(float)
        H[ai[first].to_numpy(int), ti[first].to_numpy(int)] = a["hotel_places"][first].to_numpy(float)
        out.places = H.sum(axis=0)
    return out


# --------------------------------------------------------------------------- evaluation
@dataclass
class Evaluation:
    """Per-sample outcomes of one plan: arrays (n, T)."""

    years: list[int]
    need: np.ndarray
    dispersed: np.ndarray
    contingency: np.ndarray
    empty_places: np.ndarray
    cost: np.ndarray
    plan: PlanArrays

    def percentiles(self, ceiling: dict[int, float] | None = None) -> pd.DataFrame:
        """Tidy table: one row per year and metric, with the plan's own value, mean and percentiles."""
        plan_values = {"contingency": self.plan.contingency, "cost": self.plan.total_cost,
                       "dispersed": self.plan.stock.sum(axis=(0, 2)), "need": None,
                       "empty_places": (self.plan.capacity - self.plan.stock).sum(axis=(0, 2))}
        rows = []
        for metric in ("need", "dispersed", "contingency", "empty_places", "cost"):
            values = getattr(self, metric)
            q = np.percentile(values, PERCENTILES, axis=0)
            for t, year in enumerate(self.years):
                row = {"year": year, "metric": metric,
                       "plan": None if plan_values[metric] is None else round(float(plan_values[metric][t]), 2),
                       "mean": round(float(values[:, t].mean()), 2)}
                row.update({f"p{p}": round(float(q[k, t]), 2) for k, p in enumerate(PERCENTILES)})
                if metric == "contingency":
                    row["share_above_plan"] = round(float((values[:, t] > plan_values[metric][t] + 0.5).mean()), 4)
                if metric == "contingency" and ceiling and year in ceiling:
                    row["ceiling"] = ceiling[year]
                    row["share_within_ceiling"] = round(float((values[:, t] <= ceiling[year] + 0.5).mean()), 4)
                rows.append(row)
        return pd.DataFrame(rows)

    def share_within(self, ceiling: dict[int, float]) -> tuple[dict[int, float], float]:
        """Share of samples with contingency within the ceiling, per year and in every year at once."""
        ok = np.ones(self.contingency.shape[0], bool)
        per_year = {}
        for t, year in enumerate(self.years):
            if year in ceiling:
                within = self.contingency[:, t] <= ceiling[year] + 0.5      # whole people
                per_year[year] = float(within.mean())
                ok &= within
        return per_year, float(ok.mean())


def evaluate(scenario: Scenario, plan: Plan, multipliers: np.ndarray, *, empty_place_cost: float = 0.0) -> Evaluation:
    """Play ``plan`` against sampled arrivals (``multipliers`` (n, T)) by the rule in the module docstring."""
    d = prepare(scenario)
    pa = plan_arrays(plan, d)
    need = sample_need(d, multipliers)                                   # (n,T,H)
    n = need.shape[0]
    n_a, n_t, n_h = d.shape
    survive = (1 - d.exit_rate)[None, None, :]
    prev = np.broadcast_to(d.stock0[None, :, :], (n, n_a, n_h)).astype(float)
    dispersed = np.empty((n, n_t))
    contingency = np.empty((n, n_t))
    empty = np.empty((n, n_t))
    places, hotels, void = np.empty((n, n_t)), np.empty((n, n_t)), np.empty((n, n_t))   # £ each year
    growth = d.growth_abs is not None
    protect = cell_limits(d).protect
    for t in range(n_t):
        floor = survive * prev                                           # (n,A,H) nobody is moved
        area_floor = floor.sum(axis=2)                                   # (n,A)
        limit = np.maximum(_cap(d, pa, t)[None, :], area_floor)        # cluster cap, or survivors if more
        if d.over_basis is not None:                                    # over the cap on the basis: nobody new
            limit = np.where(d.over_basis[None, :, t], area_floor, limit)
        if protect is not None:
            limit = np.where(np.isnan(protect[None, :, t]), limit, np.minimum(limit, np.maximum(protect[None, :, t],
                                                                                                  area_floor)))
        if growth:
            grow = (1 + d.growth_rel) * prev.sum(axis=2) + d.growth_abs
            limit = np.where(d.eligible[None, :, t], np.minimum(limit, np.maximum(grow, area_floor)), limit)
        limit = np.where(d.eligible[None, :, t], limit, area_floor)     # closed areas take nobody new
        beds = np.where(d.eligible[:, t, None], pa.capacity[:, t, :], 0.0)[None]    # (1,A,H)
        room = np.maximum(beds - floor, 0.0)                            # free beds per cohort
        total_room = np.maximum(limit - area_floor, 0.0)[:, :, None]
        scale = np.minimum(1.0, np.divide(total_room, room.sum(axis=2, keepdims=True),
                                          out=np.ones_like(total_room), where=room.sum(axis=2, keepdims=True) > 0))
        room = room * scale
        planned = np.minimum(np.maximum(pa.stock[None, :, t, :] - floor, 0.0), room)   # the plan's placements
        want = np.maximum(need[:, t, :] - floor.sum(axis=1), 0.0)                       # (n,H) people to place
        p_total = planned.sum(axis=1)
        take = np.minimum(1.0, np.divide(want, p_total, out=np.ones_like(want), where=p_total > 0))
        placed = planned * take[:, None, :]
        extra_room = room - planned
        extra_total = extra_room.sum(axis=1)
        extra_want = np.maximum(want - p_total, 0.0)
        fill = np.minimum(1.0, np.divide(extra_want, extra_total, out=np.zeros_like(extra_want),
                                         where=extra_total > 0))
        placed = placed + extra_room * fill[:, None, :]
        stock = floor + placed
        dispersed[:, t] = stock.sum(axis=(1, 2))
        contingency[:, t] = np.maximum(need[:, t, :].sum(axis=1) - dispersed[:, t], 0.0)
        beds_all = np.maximum(pa.capacity[None, :, t, :], stock)
        empty[:, t] = (beds_all - stock).sum(axis=(1, 2))
        places[:, t] = (d.cost[None, :, :] * stock).sum(axis=(1, 2))
        hotels[:, t] = _contingency_cost(d, pa, contingency[:, t], t)
        void[:, t] = d.void_share * (d.cost[None, :, :] * (beds_all - stock)).sum(axis=(1, 2))
        prev = stock
    if d.occupancy == "average":            # each year on the mean of its start and end, as the plan is costed
        places = _averaged(places, float((d.cost * d.stock0).sum()))
        hotels = _averaged(hotels, contingency_start_cost(d))
    cost = places + hotels + pa.procurement_cost[None, :] + void + empty_place_cost * empty
    return Evaluation([int(y) for y in d.years], need.sum(axis=2), dispersed, contingency, empty, cost, pa)


def _averaged(at_end: np.ndarray, at_start: float) -> np.ndarray:
    """(n,T) each year's £ on the mean of its start and end (``costs.occupancy: average``), from the £ a
    year ``at_end`` of each sample's end-of-year numbers and ``at_start`` of today's."""
    before = np.concatenate([np.full((at_end.shape[0], 1), at_start), at_end[:, :-1]], axis=1)
    return (before + at_end) / 2


def _cap(d: ModelData, pa: PlanArrays, t: int) -> np.ndarray:
    """(A,) the cluster cap on the stock in year ``t``: on a pressure basis, less the fixed counts and the
    people the plan keeps in the area's hotels (where they count)."""
    cap = d.cluster_cap - d.fixed
    return cap - pa.located[:, t] if d.basis_hotels and pa.located is not None else cap


def _contingency_cost(d: ModelData, pa: PlanArrays, contingency: np.ndarray, t: int) -> np.ndarray:
    """(n,) £ of the contingency of each sample: at the hotel cost; with hotels by area, the plan's open
    hotel places (fixed, like its bed spaces) are filled first when they are the cheaper, the rest in new sites."""
    if pa.places is None:
        return d.hotel_cost * contingency
    located = (np.minimum(contingency, pa.places[t]) if d.hotel_cost <= d.new_contingency_cost
               else np.zeros_like(contingency))
    return (d.hotel_cost * located + d.new_contingency_cost * (contingency - located)
            + d.hotel_place_cost * pa.places[t])


# --------------------------------------------------------------------------- the robust plan
def parse_ceiling(text: str | None, years: list[int]) -> dict[int, float] | None:
    """``5000`` (every year) or ``2028=0,2029=0`` -> {year: people}."""
    if text is None or text.strip() == "":
        return None
    text = text.strip()
    out: dict[int, float] = {}
    try:
        if "=" not in text:
            return {y: float(text) for y in years}
        for part in text.split(","):
            y, v = part.split("=")
            out[int(y)] = float(v)
    except ValueError:
        raise CommandLineError(given_issue("--ceiling", text, "expected a number or YEAR=PEOPLE,...")) from None
    bad = [y for y in out if y not in years]
    if bad:
        raise CommandLineError(given_issue("--ceiling", text, f"years {bad} are not in the plan "
                                                              f"({years[0]}-{years[-1]})"))
    if any(v < 0 or not math.isfinite(v) for v in out.values()):
        raise CommandLineError(given_issue("--ceiling", text, "people must be finite numbers >= 0"))
    return out


def quantile_arrivals(d: ModelData, need: np.ndarray, quantile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals that make national need equal its per-year quantile.

    Returns (arrivals per year, the target need path). ``quantile`` is one level per year.
    """
    total = need.sum(axis=2)                                            # (n,T)
    target = np.array([np.quantile(total[:, t], quantile[t]) for t in range(total.shape[1])])
    share = d.arrivals / np.maximum(d.arrivals.sum(axis=1, keepdims=True), 1e-12)   # (T,H) cohort shares
    prev = d.stock0.sum(axis=0) + d.contingency0
    arrivals = np.empty(len(target))
    for t, q in enumerate(target):
        carried = ((1 - d.exit_rate) * prev).sum()
        arrivals[t] = max(q - carried, 0.0)
        prev = (1 - d.exit_rate) * prev + arrivals[t] * share[t]
    return arrivals, target


@dataclass
class RobustResult:
    plan: Plan
    scenario: Scenario
    ceiling: dict[int, float]
    share: float
    joint: bool
    level: float                        # the quantile level the plan was solved at (after calibration)
    need_target: dict[int, float]       # the need path the plan was solved for
    in_sample: float                    # share of the planning samples within the ceiling (the criterion)
    target: float                       # the in-sample share required: share plus the safety margin
    check: pd.DataFrame                 # per year: ceiling, share of fresh samples within, robust and original
    joint_share: dict[str, float] = field(default_factory=dict)
    fresh: Evaluation | None = None
    fresh_original: Evaluation | None = None
    solves: int = 0


def _coverage(ev: Evaluation, ceiling: dict[int, float], joint: bool) -> float:
    per_year, all_years = ev.share_within(ceiling)
    return all_years if joint else min(per_year.values())


def _quantile_scenario(scenario: Scenario, d: ModelData, need: np.ndarray, level: float,
                       ceiling: dict[int, float]) -> tuple[Scenario, np.ndarray]:
    """The scenario with need at its ``level`` quantile in the ceiling years (median in others) and the ceiling."""
    years = [int(y) for y in d.years]
    levels = np.array([level if y in ceiling else 0.5 for y in years])
    arrivals, target = quantile_arrivals(d, need, levels)
    merged = dict(scenario.config.policy.contingency_ceiling or {})
    for y, v in ceiling.items():
        merged[y] = min(v, merged.get(y, v))
    sc = scenario.update({"demand.arrivals": {y: float(a) for y, a in zip(years, arrivals)},
                                  "policy.contingency_ceiling": merged})
    return sc, target


def _default_ceiling(scenario: Scenario, ceiling: dict[int, float] | None) -> dict[int, float]:
    if ceiling is None:
        ceiling = {int(k): float(v) for k, v in (scenario.config.policy.contingency_ceiling or {}).items()}
    if not ceiling:
        raise CommandLineError(given_issue("--robust", None, "a robust plan needs a ceiling on hotel use: give "
                                                             "--ceiling (e.g. 2028=0,2029=0 or 5000) or set "
                                                             "policy.contingency_ceiling in the scenario"))
    return ceiling


class _Calibration:
    """Solve quantile-path plans and score them on the planning samples (cached by level)."""

    def __init__(self, scenario: Scenario, model: ArrivalModel, samples: int, seed: int,
                 ceiling: dict[int, float], joint: bool, empty_place_cost: float) -> None:
        self.scenario, self.ceiling, self.joint, self.empty = scenario, ceiling, joint, empty_place_cost
        self.d = prepare(scenario)
        plan_rng, _ = streams(seed)
        self.mult = model.multipliers(samples, len(self.d.years), plan_rng)
        self.need = sample_need(self.d, self.mult)
        self.cache: dict[float, tuple] = {}
        self.solves = 0

    def __call__(self, level: float):
        """(plan, scenario, need target, in-sample coverage), or None when no plan exists at this level."""
        level = round(level, 6)
        if level not in self.cache:
            sc, target = _quantile_scenario(self.scenario, self.d, self.need, level, self.ceiling)
            self.solves += 1
            try:
                plan = solve(sc)
            except InfeasibleError as err:
                self.cache[level] = (None, sc, target, None, err)
            else:
                cov = _coverage(evaluate(self.scenario, plan, self.mult, empty_place_cost=self.empty), self.ceiling, self.joint)
                self.cache[level] = (plan, sc, target, cov, None)
        return self.cache[level]


def robust_plan(scenario: Scenario, model: ArrivalModel, *, samples: int, seed: int, share: float,
                ceiling: dict[int, float] | None = None, joint: bool = False, original: Plan | None = None,
                fresh_samples: int | None = None, empty_place_cost: float = 0.0, margin: float = 1.0,
                tol: float = 1e-3) -> RobustResult:
    r"""Solve a plan that keeps contingency within ``ceiling`` in at least ``share`` of futures.

    The plan is the scenario solved for need at a quantile path (level
    :math:`\ell` in the ceiling years) under the ceiling. :math:`\ell` starts at
    ``share`` and is raised (bisection, to ``tol``) until the plan keeps within
    the ceiling in at least ``share + margin * sqrt(share (1 - share) / samples)``
    of the *planning* samples, evaluated with :func:`evaluate`: each year
    separately, or all years at once with ``joint=True``. The plan is then
    checked on ``fresh_samples`` new futures from an independent stream.

    Raises :class:`~allocator.errors.InfeasibleError` when no plan can reach the
    share (the message says the largest share that can be reached).
    """
    if not 0 < share < 1:
        raise CommandLineError(given_issue("--share", share, "must be between 0 and 1"))
    ceiling = _default_ceiling(scenario, ceiling)
    cal = _Calibration(scenario, model, samples, seed, ceiling, joint, empty_place_cost)
    target = min(share + margin * math.sqrt(share * (1 - share) / samples), 1.0)
    lo, hi = share, 1 - 0.5 / samples            # hi: the highest level the samples can tell apart
    plan, sc, need_target, cov, err = cal(lo)
    level = lo
    if plan is None or cov < target:
        top = _highest_feasible(cal, lo, hi, tol) if plan is not None else None
        if top is None or cal(top)[3] < target:
            best = best_share(scenario, model, samples, seed, ceiling, joint, empty_place_cost, margin, cal)
            failed = err if plan is None else cal(hi)[4]
            raise InfeasibleError(
                f"no plan keeps hotel use within {ceiling} in {share:.0%} of futures"
                f"{' (all years jointly)' if joint else ''}: "
                + (f"the largest share any plan reaches is about {best:.0%}." if best is not None else
                   "not even the median future can be met.")
                + (f"\nAt the {share:.0%} quantile of need, {failed}" if plan is None and failed else ""),
                getattr(failed, "relaxations", None))
        lo, hi = lo, top
        while hi - lo > tol:                     # the smallest level whose plan meets the target
            mid = (lo + hi) / 2
            r = cal(mid)
            if r[0] is not None and r[3] >= target:
                hi = mid
            else:
                lo = mid
        plan, sc, need_target, cov, _ = cal(hi)
        level = hi
    years = [int(y) for y in cal.d.years]
    _, check_rng = streams(seed)
    mult = model.multipliers(fresh_samples or samples, len(years), check_rng)
    fresh = evaluate(scenario, plan, mult, empty_place_cost=empty_place_cost)
    per_year, all_years = fresh.share_within(ceiling)
    orig_eval = evaluate(scenario, original, mult, empty_place_cost=empty_place_cost) if original is not None else None
    if orig_eval is not None:
        orig_year, orig_all = orig_eval.share_within(ceiling)
    n_fresh = mult.shape[0]
    rows = []
    for t, y in enumerate(years):
        if y not in ceiling:
            continue
        row = {"year": y, "ceiling": ceiling[y], "need_target": round(float(need_target[t]), 1),
               "robust_dispersed": int(plan.trajectory["dispersed"].iloc[t]),
               "robust_share_within": round(per_year[y], 4),
               "standard_error": round(math.sqrt(max(per_year[y] * (1 - per_year[y]), 1e-12) / n_fresh), 4),
               "robust_contingency_p50": round(float(np.percentile(fresh.contingency[:, t], 50)), 1),
               "robust_contingency_p95": round(float(np.percentile(fresh.contingency[:, t], 95)), 1)}
        if orig_eval is not None:
            row["original_share_within"] = round(orig_year[y], 4)
            row["original_contingency_p95"] = round(float(np.percentile(orig_eval.contingency[:, t], 95)), 1)
        rows.append(row)
    joint_share = {"robust": round(all_years, 4)}
    if orig_eval is not None:
        joint_share["original"] = round(orig_all, 4)
    return RobustResult(plan, sc, ceiling, share, joint, float(level),
                        {y: float(need_target[t]) for t, y in enumerate(years)}, float(cov), float(target),
                        pd.DataFrame(rows), joint_share, fresh, orig_eval, cal.solves)


# --------------------------------------------------------------------------- chart
def fan_chart(ev: Evaluation, path: str | Path, title: str, *, ceiling: dict[int, float] | None = None,
              other: Evaluation | None = None, other_label: str = "", label: str = "plan") -> Path:
    """Fan chart: people in contingency (hotels) and cost per year: 5-95% and 25-75% bands and the median.

    ``other`` (e.g. the original plan beside a robust one) is drawn as lines: its median and 95th percentile.
    """
    from matplotlib.figure import Figure   # optional and heavy; a Figure needs no pyplot backend

    years = np.array(ev.years)
    fig = Figure(figsize=(11, 4.6), dpi=120)
    axes = fig.subplots(1, 2)
    panels = (("contingency", 1e3, "People in contingency (hotels), thousands", ev.plan.contingency),
              ("cost", 1e6, "Cost per year, £ million", ev.plan.total_cost))
    for ax, (metric, unit, heading, plan_path) in zip(axes, panels):
        v = getattr(ev, metric) / unit
        q = np.percentile(v, [5, 25, 50, 75, 95], axis=0)
        ax.fill_between(years, q[0], q[4], color="#1f4e79", alpha=0.15, lw=0, label=f"{label}: 5-95% of futures")
        ax.fill_between(years, q[1], q[3], color="#1f4e79", alpha=0.3, lw=0, label=f"{label}: 25-75%")
        ax.plot(years, q[2], color="#1f4e79", lw=2, label=f"{label}: median")
        ax.plot(years, plan_path / unit, "k--", lw=1, label=f"{label} as solved")
        if other is not None:
            o = np.percentile(getattr(other, metric) / unit, [50, 95], axis=0)
            ax.plot(years, o[0], color="#c55a11", lw=1.5, label=f"{other_label}: median")
            ax.plot(years, o[1], color="#c55a11", lw=1.5, ls=":", label=f"{other_label}: 95th percentile")
        if metric == "contingency" and ceiling:
            cy = sorted(ceiling)
            ax.scatter(cy, [ceiling[y] / unit for y in cy], marker="v", s=70, color="#c00000", zorder=5,
                       label="ceiling", clip_on=False)
        ax.set_xticks(years)
        ax.set_title(heading, fontsize=10)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return Path(path)


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, default=float) + "\n", encoding="utf-8")


def _highest_feasible(cal: _Calibration, lo: float, hi: float, tol: float) -> float | None:
    """The highest level in [lo, hi] at which a plan exists (``None`` if none at ``lo``)."""
    if cal(lo)[0] is None:
        return None
    if cal(hi)[0] is not None:
        return hi
    while hi - lo > tol:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cal(mid)[0] is not None else (lo, mid)
    return lo


def best_share(scenario: Scenario, model: ArrivalModel, samples: int, seed: int, ceiling: dict[int, float],
               joint: bool = False, empty_place_cost: float = 0.0, margin: float = 1.0,
               calibration: _Calibration | None = None, tol: float = 1e-3) -> float | None:
    """About the largest share of futures a robust plan can promise; ``None`` if not even the median one.

    Finds the highest quantile level at which a plan still exists, scores that
    plan on the planning samples and takes off the same safety margin that
    :func:`robust_plan` adds. Used to answer an impossible request with what
    *can* be promised.
    """
    cal = calibration or _Calibration(scenario, model, samples, seed, ceiling, joint, empty_place_cost)
    top = _highest_feasible(cal, 0.5, 1 - 0.5 / samples, tol)
    if top is None:
        return None
    cov = cal(top)[3]
    best = cov - margin * math.sqrt(max(cov * (1 - cov), 0.0) / samples)
    return round(max(best, 0.0), 3)

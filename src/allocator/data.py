"""Prepare: turn a validated :class:`~allocator.scenario.Scenario` into aligned arrays.

Everything the model builder and the verifier need is computed here once, as
numpy arrays indexed ``[area, year, cohort]`` (or a prefix of that). Nothing
in this module knows about linear programs.

Notation (docs/model.md uses the same letters):

``A`` areas ``i``, ``T`` years ``t`` (index 0 = first planning year),
``H`` cohorts ``h`` (one cohort, ``all``, when the scenario has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from allocator import costing, opening, place, regional
from allocator.previous import previous_fields
from allocator.scenario import Scenario, ScenarioConfig


@dataclass(frozen=True)
class ModelData:
    areas: pd.DataFrame            # area_code, area_name, region, status, hotels_close_by if given (A rows)
    years: np.ndarray              # (T,) calendar years
    cohorts: list[str]             # (H,)
    population: np.ndarray         # (A,)
    weight: np.ndarray             # (A,) fair-share key
    cluster_cap: np.ndarray        # (A,) floor(population / cluster_limit), whole people
    stock0: np.ndarray             # (A,H) stock at the start
    capacity0: np.ndarray          # (A,H) bed spaces now
    procurement: np.ndarray        # (A,H) most new bed spaces per year
    cost: np.ndarray               # (A,H) £ per occupied place-year
    exit_rate: np.ndarray          # (H,)
    arrivals: np.ndarray           # (T,H)
    contingency0: np.ndarray       # (H,)
    need: np.ndarray               # (T,H) people needing accommodation at the end of each year
    open_year: np.ndarray          # (A,) index of the first year an area can receive people (0 = now)
    excluded: np.ndarray           # (A,) bool
    eligible: np.ndarray           # (A,T) bool: may receive people in year t
    inherited: np.ndarray          # (A,T,H) stock left of today's people at the end of t: s0 (1-e)^(t+1)
    capacity_path: np.ndarray      # (A,T,H) most bed spaces by the end of t: capacity0 + procurement × years open
    growth_abs: float | None
    growth_rel: float | None
    ceiling: np.ndarray            # (T,) contingency ceiling in whole people (rounded down), NaN where none
    hotel_cost: float
    procurement_cost: float
    cost_weight: float
    contingency_weight: float
    equity_weight: float
    equity_measure: str
    grant_occupied: float
    grant_new: float
    agreed_min: np.ndarray = None  # (A,T) agreed least total stock, NaN where none
    agreed_max: np.ndarray = None  # (A,T) agreed most total stock, NaN where none
    # ---- honest costing and progressive equity (scenario format v2; v1: end_of_year, 0, None)
    occupancy: str = "end_of_year"  # costs.occupancy: end_of_year | average
    void_share: float = 0.0        # costs.void_share: share of cost_per_place an empty kept bed space costs
    equity_steps: np.ndarray | None = None  # (K,2) from, weight of the progressive measure's steps; None otherwise
    # ---- place-based plans (allocator.place; all None / off for a v1 scenario)
    hotel0: np.ndarray | None = None      # (A,) people in the area's hotels now, c0_i
    hotel_places0: np.ndarray | None = None  # (A,) open hotel places now, h0_i >= c0_i (column hotel_places, else c0_i)
    hotel_open: np.ndarray | None = None  # (A,T) bool: hotel places may be open at the end of t (t < tau_i)
    hotel_place_cost: float = 0.0         # £ per open hotel place-year
    new_contingency_cost: float = 0.0     # £ per person-year in new contingency
    basis: str | None = None              # the pressure basis when it is not dispersal alone
    basis_hotels: bool = False            # the people in an area's hotels count on its pressure basis
    basis_fixed: np.ndarray | None = None  # (A,) fixed counts F_i on the pressure basis
    over_basis: np.ndarray | None = None  # (A,T) bool: over its cap on the basis by inheritance (the set O)
    protected: np.ndarray | None = None   # (A,) bool: protected (policy.protect)
    protect_rule: str = "no_net_growth"
    protect_level: np.ndarray | None = None  # (A,) the areas column protect_level (less F with no_rise), NaN where not given
    # ---- opening decisions (allocator.opening; all None without their columns and key)
    min_open: np.ndarray | None = None    # (A,) an area hosts nobody or at least this many, 0 where none
    open_cost: np.ndarray | None = None   # (A,) £ once, when an area hosting nobody now opens
    lead_time: np.ndarray | None = None   # (A,) years before an area hosting nobody now may receive people
    max_new_areas: float | None = None    # most areas hosting nobody now that open in one year
    # ---- regional targets (allocator.regional; None for a v1 scenario)
    region_names: tuple[str, ...] | None = None  # (R,) the regions with targets, sorted
    region_min: np.ndarray | None = None  # (R,T) least share of the national total on the basis, NaN where none
    region_max: np.ndarray | None = None  # (R,T) most share, NaN where none
    # ---- a re-plan (allocator.previous; None / off without a previous_plan table)
    previous: np.ndarray | None = None    # (A,T) the previous plan's people in dispersal, NaN where none
    stability_weight: float = 0.0         # £ per person away from it, each year (objective.stability_weight)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.population), len(self.years), len(self.cohorts)

    @property
    def fixed(self) -> np.ndarray:
        """(A,) the fixed counts :math:`F_i` on the pressure basis (zeros when there are none)."""
        return np.zeros(self.shape[0]) if self.basis_fixed is None else self.basis_fixed

    def hotel_basis(self) -> np.ndarray:
        """(A,T) today's hotel residents that count on the basis while the area's hotels may stay open:
        :math:`c^0_i [t < \\tau_i]` when they count, else 0."""
        if not self.basis_hotels:
            return np.zeros(self.shape[:2])
        return self.hotel0[:, None] * self.hotel_open

    def pressure_capped(self) -> np.ndarray:
        r"""(A,T) bool: the cells whose people in dispersal and in hotels the cap on the pressure basis holds by a
        row (``pressure_cap``): while the area's hotels may stay open, where it can receive people or where its
        open hotel places now are more than its hotel residents, :math:`h^0_i > c^0_i`, which could be filled
        above its inherited position even where nobody new can go into dispersal."""
        return self.hotel_open & (self.eligible | (self.hotel_places0 > self.hotel0)[:, None])

    def protection_level(self) -> np.ndarray:
        r"""(A,) the level protection holds an area to, less its fixed counts :math:`F_i`: the areas column
        ``protect_level`` where given, else today's people in dispersal (``no_net_growth``) or in dispersal
        and the area's hotels (``no_rise``), :math:`\sum_h s_{ih}\ (+\, c^0_i)`."""
        today = self.stock0.sum(axis=1) + (self.hotel0 if self.protect_rule == "no_rise" else 0.0)
        return today if self.protect_level is None else np.where(np.isnan(self.protect_level), today, self.protect_level)

    def occupancy_weights(self) -> tuple[np.ndarray, float]:
        """(T,) the share of each year's end-of-year number charged at a year's cost, and the share of
        the start position (a constant).

        ``end_of_year``: each year charged on its end: 1 each year, 0 for the start. ``average``: each
        year on the mean of its start and end, so a year-end number counts half for its own year and
        half for the next (1, ..., 1, 1/2 for the last year) and the start position half for the first.
        """
        n_t = len(self.years)
        if self.occupancy != "average":
            return np.ones(n_t), 0.0
        weights = np.ones(n_t)
        weights[-1] = 0.5
        return weights, 0.5

    def share(self) -> np.ndarray:
        """(A,T) each area's fair-share fraction of the national dispersed total in year t.

        The weight of every area that can receive people that year, over the
        total weight of those areas; 0 for excluded and not-yet-open areas.
        """
        w = np.where(self.eligible, self.weight[:, None], 0.0)
        total = w.sum(axis=0)
        return np.divide(w, total, out=np.zeros_like(w), where=total > 0)


@dataclass(frozen=True)
class CellLimits:
    """The limits on each stock cell (A,T,H) and on each area's total (A,T), from :func:`cell_limits`."""

    lower: np.ndarray      # (A,T,H) inherited stock: today's people stay until they leave
    capacity: np.ndarray   # (A,T,H) capacity path where the area can receive people, inherited stock where not
    cluster: np.ndarray    # (A,T) cluster cap on the area's total, never below its inherited total
    agreed_min: np.ndarray | None  # (A,T) agreed least total, NaN where none
    agreed_max: np.ndarray | None  # (A,T) agreed most total, NaN where none
    protect: np.ndarray | None = None  # (A,T) the protected areas' most total where they can receive people, NaN elsewhere
    over: np.ndarray | None = None     # (A,T) the inherited total where over the cap on the basis by inheritance, NaN elsewhere

    @property
    def room(self) -> np.ndarray:
        """(A,T,H) the most a cell may hold on its own rules: capacity, eligibility, inherited stock."""
        return np.maximum(self.capacity, self.lower)

    @property
    def upper(self) -> np.ndarray:
        """(A,T,H) the upper bound on a stock variable: :attr:`room`, and with one cohort also the
        cluster cap (a bound is cheaper than a row); never below the inherited stock."""
        if self.capacity.shape[2] != 1:
            return self.room
        return np.maximum(np.minimum(self.capacity, self.cluster[:, :, None]), self.lower)

    @property
    def total_lower(self) -> np.ndarray:
        """(A,T) the least an area's total may be: its agreed minimum, 0 where none."""
        if self.agreed_min is None:
            return np.zeros(self.cluster.shape)
        return np.nan_to_num(self.agreed_min, nan=0.0)

    @property
    def total_upper(self) -> np.ndarray:
        """(A,T) the most an area's total may be: its cluster cap, or its agreed maximum or protection if lower."""
        top = self.cluster if self.agreed_max is None else np.fmin(self.cluster, self.agreed_max)
        for most in (self.protect, self.over):          # protection; nobody new while over the cap by inheritance
            top = top if most is None else np.fmin(top, most)
        return top


def cell_limits(d: ModelData, whole: bool = False) -> CellLimits:
    """The limits on every stock cell and area total: capacity path and procurement pace,
    eligibility (excluded, not yet open), inherited stock, cluster cap (on the pressure basis:
    :math:`\\max(\\kappa_i - F_i, \\sum_h I_{ith} + c^0_i [t < \\tau_i])`, with nobody new where
    that is over the cap by inheritance), agreements and protection.

    The one place they are computed; the model's bounds, the whole-people rounding, ``explain``
    and the infeasibility diagnosis read them here (the verifier recomputes them from the
    scenario). ``whole=True`` gives them in whole people: capacity paths rounded down, inherited
    stock rounded up (today's people are never rounded out).
    """
    inherited, path = d.inherited, d.capacity_path
    inherited_total = inherited.sum(axis=2)
    if whole:
        inherited, path = np.ceil(inherited - 1e-6), np.floor(path + 1e-6)
        inherited_total = np.ceil(inherited_total - 1e-6)
    room = d.eligible if d.over_basis is None else d.eligible & ~d.over_basis     # over by inheritance: nobody new
    cluster = np.maximum(d.cluster_cap[:, None], inherited_total)
    if d.over_basis is not None:
        cluster = np.maximum(d.cluster_cap[:, None] - d.fixed[:, None], inherited_total + d.hotel_basis())
    protect = None
    if d.protected is not None:                         # its level (by default today's), or the people still there
        most = inherited_total if d.protect_rule == "no_new_placements" else \
            np.maximum(d.protection_level()[:, None], inherited_total)
        protect = np.where(d.protected[:, None] & d.eligible, most, np.nan)
    over = None if d.over_basis is None else np.where(d.over_basis, inherited_total, np.nan)
    return CellLimits(lower=inherited, capacity=np.where(room[:, :, None], path, inherited), cluster=cluster,
                      agreed_min=d.agreed_min, agreed_max=d.agreed_max, protect=protect, over=over)


def roll_need(start: np.ndarray, arrivals: np.ndarray, survive: np.ndarray) -> np.ndarray:
    """(T,H) people needing accommodation at the end of each year: ``start`` (H,) people now, of
    whom a share ``survive`` (H,) stays each year, plus each year's ``arrivals`` (T,H)."""
    need = np.empty_like(arrivals, dtype=float)
    prev = start
    for t in range(arrivals.shape[0]):                                     # T steps, not A×T
        prev = survive * prev + arrivals[t]
        need[t] = prev
    return need


def _flows(cfg: ScenarioConfig, years: np.ndarray, start: tuple[np.ndarray, float]) -> dict[str, np.ndarray]:
    """Exit rates (H,), arrivals (T,H), contingency now (H,) and need (T,H) by cohort, from the demand
    settings and ``start``, today's dispersed stock by cohort (H,) plus the contingency now (total)."""
    if cfg.cohorts:
        exit_rate = np.array([c.exit_rate if c.exit_rate is not None else cfg.demand.exit_rate for c in cfg.cohorts])
        a_share = np.array([c.arrivals_share for c in cfg.cohorts])
        c_share = np.array([c.contingency_share if c.contingency_share is not None else c.arrivals_share
                            for c in cfg.cohorts])
    else:
        exit_rate = np.array([cfg.demand.exit_rate])
        a_share = c_share = np.array([1.0])
    arrivals = np.array([cfg.demand.arrivals[int(y)] for y in years])[:, None] * a_share[None, :]
    stock0, contingency_total = start
    contingency0 = contingency_total * c_share
    need = roll_need(stock0 + contingency0, arrivals, 1.0 - exit_rate)
    return dict(exit_rate=exit_rate, arrivals=arrivals, contingency0=contingency0, need=need)


def _agreed(scenario: Scenario, years: np.ndarray) -> dict[str, np.ndarray]:
    """(A,T) agreed least and most total stock (NaN where none), from the agreements table."""
    n_a, n_t = len(scenario.areas), len(years)
    agreed_min = np.full((n_a, n_t), np.nan)
    agreed_max = np.full((n_a, n_t), np.nan)
    if scenario.agreements is not None and len(scenario.agreements):
        ag = scenario.agreements
        row = pd.Index(scenario.areas["area_code"]).get_indexer(ag["area_code"])
        col = np.searchsorted(years, ag["year"].to_numpy())
        agreed_min[row, col] = ag["minimum"].to_numpy(float)
        agreed_max[row, col] = ag["maximum"].to_numpy(float)
    return dict(agreed_min=agreed_min, agreed_max=agreed_max)


def _settings(cfg: ScenarioConfig, years: np.ndarray) -> dict:
    """The scalar settings: growth limit, contingency ceiling (T,), costs, weights, funding, and the
    costing and equity options of scenario format v2 (:func:`allocator.costing.prepare_costing`)."""
    growth = cfg.policy.max_growth
    limited = growth is not None and (growth.absolute is not None or growth.relative is not None)
    ceiling = np.full(len(years), np.nan)
    for year, value in (cfg.policy.contingency_ceiling or {}).items():   # people are whole: 87.4 allows 87
        ceiling[int(np.flatnonzero(years == year)[0])] = np.floor(value + 1e-9)
    funding = cfg.funding
    return dict(
        growth_abs=float(growth.absolute or 0.0) if limited else None,
        growth_rel=float(growth.relative or 0.0) if limited else None,
        ceiling=ceiling, hotel_cost=cfg.costs.contingency_per_person_year,
        procurement_cost=cfg.costs.procurement_per_place, cost_weight=cfg.objective.cost_weight,
        contingency_weight=cfg.objective.contingency_weight, equity_weight=cfg.objective.equity_weight,
        equity_measure=cfg.objective.equity_measure,
        grant_occupied=funding.grant_per_occupied_place if funding else 0.0,
        grant_new=funding.grant_per_new_place if funding else 0.0,
        **costing.prepare_costing(cfg),
    )


def prepare(scenario: Scenario) -> ModelData:
    """Compute the arrays the model and the verifier use. Pure: no solving, no I/O."""
    cfg = scenario.config
    df = scenario.areas
    years = np.asarray(cfg.years, dtype=np.int64)
    n_t = len(years)
    cohorts = scenario.cohort_names
    n_a = len(df)

    def cohort_matrix(base: str) -> np.ndarray:
        return np.column_stack([df[scenario.cohort_column(base, c)].to_numpy(float) for c in cohorts])

    stock0 = cohort_matrix("stock")
    capacity0 = cohort_matrix("capacity")
    procurement = cohort_matrix("procurement_per_year")
    population = df["population"].to_numpy(float)
    fs = cfg.policy.fair_share
    weight = population.copy() if fs == "population" else np.nan_to_num(df[fs].to_numpy(float))

    limit = np.full(n_a, float(cfg.policy.cluster_limit))
    if "cluster_limit" in df.columns:
        local = df["cluster_limit"].to_numpy(float)
        limit = np.where(np.isnan(local), limit, local)
    cluster_cap = np.floor(population / limit + 1e-9)
    flows = _flows(cfg, years, (stock0.sum(axis=0), place.contingency_start(cfg, df)))

    status = df["status"].to_numpy()
    excluded = status == "excluded"
    avail = df["available_from"].to_numpy(float) if "available_from" in df.columns else np.full(n_a, np.nan)
    open_year = np.where(status == "volunteered", np.clip(avail - years[0], 0, n_t), 0).astype(np.int64)
    t_idx = np.arange(n_t)
    eligible = (~excluded[:, None]) & (t_idx[None, :] >= open_year[:, None])

    decay = (1.0 - flows["exit_rate"])[None, :] ** (t_idx[:, None] + 1)    # (T,H)
    inherited = stock0[:, None, :] * decay[None, :, :]                     # (A,T,H)
    inherited[inherited < 1e-9] = 0.0                                      # no 1e-16-people bounds
    years_open = np.maximum(t_idx[None, :] - open_year[:, None] + 1, 0)    # (A,T)
    capacity_path = capacity0[:, None, :] + procurement[:, None, :] * years_open[:, :, None]

    return ModelData(
        areas=df[["area_code", "area_name", "region", "status",
                  *(["hotels_close_by"] if "hotels_close_by" in df.columns else [])]].reset_index(drop=True),
        years=years, cohorts=cohorts, population=population, weight=weight, cluster_cap=cluster_cap,
        stock0=stock0, capacity0=capacity0, procurement=procurement, cost=cohort_matrix("cost_per_place"),
        open_year=open_year, excluded=excluded, eligible=eligible, inherited=inherited,
        capacity_path=capacity_path, **flows, **_agreed(scenario, years), **_settings(cfg, years),
        **place.prepare_place(scenario, years, stock0, inherited, cluster_cap, population),
        **regional.prepare_regions(scenario, years),
        **previous_fields(scenario, years),
        **opening.prepare_open(scenario),
    )

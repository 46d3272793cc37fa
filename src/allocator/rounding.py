"""Whole people from an exact plan.

:func:`round_keeping_total` is largest-remainder rounding under per-cell limits.
:func:`whole_people` turns the solver's exact stock into the published whole-people stock
and keeps, in whole people, every rule the exact plan keeps (docs/model.md, "From the exact
plan to whole people"):

1. a fast rounding, year by year: largest remainder within each cohort, each year's bounds
   taken from the whole people of the year before (nobody moved out, growth limit);
2. a check of every whole-people rule (:func:`broken_rules`);
3. only when a rule is broken: a small integer program over the cells with a fractional exact
   value (HiGHS), which changes as few cells of the fast rounding as it can.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from allocator.data import ModelData, cell_limits
from allocator.errors import VerificationError
from allocator.model import LinearProgram, LPBuilder
from allocator.opening import whole_lower
from allocator.place import Hotels
from allocator.rounding_place import HotelRules, broken_hotels, fast_hotels, hotel_rules, ip_rows, tighten, whole_hotels
from allocator.solvers._highs import highs_model

EPS = 1e-9      # an exact value within this of a whole number is that number
TOL = 1e-6      # floors and ceilings of products (survivors, growth): (1-e)·R may be 12.999999999


def round_keeping_total(x: np.ndarray, limit: np.ndarray | None = None, total: int | None = None) -> np.ndarray:
    """Round each column of ``x`` (cells × groups) to integers that add up to ``total``.

    Each value becomes its floor or its ceiling; the cells with the largest
    fractional parts are rounded up, skipping cells where the ceiling would
    exceed ``limit``. ``total`` defaults to each column's sum rounded to the
    nearest integer. Ties are broken by cell order, so the result is
    deterministic. Works on a 1-d array as one column.
    """
    one_d = x.ndim == 1
    X = np.atleast_2d(x.T).T if one_d else x
    X = np.maximum(X, 0.0)
    base = np.floor(X + EPS)
    frac = np.where(X - base > EPS, X - base, 0.0)
    cap = np.full_like(X, np.inf) if limit is None else (np.atleast_2d(limit.T).T if one_d else limit)
    can_up = (frac > 0) & (base + 1 <= cap + EPS)
    want = np.round(X.sum(axis=0)) if total is None else np.atleast_1d(np.asarray(total, float))
    need = (want - base.sum(axis=0)).astype(np.int64)                 # units to add per column
    up = can_up & largest_first(np.where(can_up, frac, -1.0), need)
    out = (base + up).astype(np.int64)
    return out[:, 0] if one_d else out


def largest_first(key: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(cells × columns) True for the ``count[j]`` cells of each column j with the largest ``key``;
    ties go to the earlier cell (a stable sort), so the choice is the same on every run."""
    order = np.argsort(-key, axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(key.shape[0])[:, None].repeat(key.shape[1], axis=1), axis=0)
    return rank < np.asarray(count)[None, :]


# --------------------------------------------------------------------------- the whole-people rules
@dataclass(frozen=True)
class WholeRules:
    """The rules a whole-people plan ``R`` (A,T,H) keeps, as integer bounds (floats holding whole numbers).

    Within a year: each cell is ``base`` or, where ``up`` allows, ``base + 1``; each area's total is in
    ``[area_lo, area_hi]`` (cluster cap, agreements, and the first year's growth limit); each cohort's
    total in ``[cohort_lo, cohort_hi]`` and the national total in ``[nat_lo, nat_hi]``. Between years:
    :meth:`survivors` and :meth:`growth_limit`.
    """

    d: ModelData
    S: np.ndarray                 # (A,T,H) exact stock
    base: np.ndarray              # (A,T,H) floor of S
    frac: np.ndarray              # (A,T,H) S - base (0 where S is whole)
    up: np.ndarray                # (A,T,H) bool: base + 1 is allowed (S not whole, within capacity)
    area_lo: np.ndarray           # (A,T)
    area_hi: np.ndarray           # (A,T)
    cohort_lo: np.ndarray         # (T,H)
    cohort_hi: np.ndarray         # (T,H)
    nat_lo: np.ndarray            # (T,)
    nat_hi: np.ndarray            # (T,)
    nat_want: np.ndarray          # (T,) the exact national total rounded, clipped into [nat_lo, nat_hi]
    hotels: HotelRules | None = None  # hotels by area (allocator.rounding_place)

    def survivors(self, prev: np.ndarray) -> np.ndarray:
        """Least whole stock a cell may hold after a year with ``prev`` (…,H) whole people in it:
        :math:`\\lfloor (1-e_h) R \\rfloor` (nobody moved out; with no exits, ``prev`` itself)."""
        return np.floor((1.0 - self.d.exit_rate) * prev + TOL)

    def growth_limit(self, prev_total: np.ndarray, t: int) -> np.ndarray:
        """(A,) most whole people an area may hold in year ``t`` after ``prev_total`` the year before:
        :math:`\\lceil (1+\\rho) T + \\gamma \\rceil` where the area can receive people, else no limit."""
        if self.d.growth_abs is None:
            return np.full(prev_total.shape, np.inf)
        most = np.ceil((1.0 + self.d.growth_rel) * prev_total + self.d.growth_abs - TOL)
        return np.where(self.d.eligible[:, t], most, np.inf)


def whole_rules(d: ModelData, S: np.ndarray, hotels: Hotels | None = None) -> WholeRules:
    """The whole-people bounds of :class:`WholeRules` for exact stock ``S`` (and exact ``hotels``)."""
    base = np.floor(S + EPS)
    frac = np.where(S - base > EPS, S - base, 0.0)
    limits = cell_limits(d, whole=True)          # capacity paths rounded down, inherited stock rounded up
    up = (frac > 0) & (base + 1 <= limits.room)
    area_hi = limits.total_upper.copy()                                                         # (A,T)
    if d.growth_abs is not None:
        first = np.ceil((1.0 + d.growth_rel) * d.stock0.sum(axis=1) + d.growth_abs - TOL)
        area_hi[:, 0] = np.where(d.eligible[:, 0], np.minimum(area_hi[:, 0], first), area_hi[:, 0])
    area_lo = whole_lower(d, S, limits.total_lower)          # an area opened hosts at least min_open people
    cohort = S.sum(axis=0)                                                                      # (T,H)
    exact = S.sum(axis=(0, 2))                                                                  # (T,)
    need = np.round(d.need.sum(axis=1))
    fewest = need - np.where(np.isnan(d.ceiling), np.inf, d.ceiling)    # the ceiling is whole already
    nat_lo = np.maximum(np.floor(exact + EPS), fewest)
    nat_hi = np.minimum(np.ceil(exact - EPS), need)
    hr = None if hotels is None else hotel_rules(d, hotels)
    if hr is not None:
        nat_lo, nat_hi, area_hi = tighten(hr, nat_lo, nat_hi, area_hi)
    return WholeRules(d=d, S=S, base=base, frac=frac, up=up, area_lo=area_lo, area_hi=area_hi,
                      cohort_lo=np.floor(cohort + EPS), cohort_hi=np.ceil(cohort - EPS),
                      nat_lo=nat_lo, nat_hi=nat_hi, nat_want=np.clip(np.round(exact), nat_lo, nat_hi), hotels=hr)


def broken_rules(w: WholeRules, R: np.ndarray, L: np.ndarray | None = None) -> list[str]:
    """The whole-people rules ``R`` (and the hotel residents ``L``) break, by name (empty when they keep them all)."""
    d = w.d
    total = R.sum(axis=2)
    prev = np.concatenate([d.stock0[:, None, :], R[:, :-1, :]], axis=1)
    prev_total = prev.sum(axis=2)
    growth = np.stack([w.growth_limit(prev_total[:, t], t) for t in range(R.shape[1])], axis=1)
    checks = {
        "a cell more than a person from the exact plan": (R < w.base) | (R > w.base + w.up),
        "an area's total outside its cap or agreement": (total < w.area_lo) | (total > w.area_hi),
        "a cohort's total a person or more from the exact one": (R.sum(axis=0) < w.cohort_lo)
        | (R.sum(axis=0) > w.cohort_hi),
        "the national total": (total.sum(axis=0) < w.nat_lo) | (total.sum(axis=0) > w.nat_hi),
        "a person moved out (stock below last year's survivors)": R < w.survivors(prev),
        "a person placed where the area cannot receive people": (R > prev) & ~w.d.eligible[:, :, None],
        "the growth limit": total > growth,
    }
    broken = [name for name, bad in checks.items() if bad.any()]
    return broken if w.hotels is None else broken + broken_hotels(w.hotels, R, L)


# --------------------------------------------------------------------------- rounding
def whole_people(d: ModelData, S: np.ndarray) -> np.ndarray:
    """Round the exact stock (A,T,H) to whole people (int64), keeping every rule in whole people
    (:func:`whole_plan` without hotels by area)."""
    return whole_plan(d, S)[0]


def whole_plan(d: ModelData, S: np.ndarray, hotels: Hotels | None = None) -> tuple[np.ndarray, Hotels | None]:
    """Round the exact stock (A,T,H), and the exact ``hotels`` by area if any, to whole people (int64),
    keeping every rule in whole people.

    The fast rounding (:func:`fast_rounding`, then :func:`allocator.rounding_place.fast_hotels`) is
    kept when it breaks no rule and meets every year's national total :attr:`WholeRules.nat_want`;
    otherwise the integer program (:func:`exact_rounding`) changes as few of its cells as it can.
    Raises :class:`~allocator.errors.VerificationError` if no rounding keeps every rule.
    """
    w = whole_rules(d, S, hotels)
    R = fast_rounding(w)
    L = None if w.hotels is None else fast_hotels(w.hotels, R)
    if not (broken_rules(w, R, L) or not np.array_equal(R.sum(axis=(0, 2)), w.nat_want)):
        return R, _hotels(d, w, L, R)
    R, L = exact_rounding(w, R, L)
    broken = broken_rules(w, R, L)
    if broken:   # pragma: no cover - the integer program's answer keeps its own rows
        raise VerificationError([f"whole people: the integer rounding still breaks {', '.join(broken)}"])
    return R, _hotels(d, w, L, R)


def _hotels(d: ModelData, w: WholeRules, L: np.ndarray | None, R: np.ndarray) -> Hotels | None:
    return None if w.hotels is None else whole_hotels(d, w.hotels, L, R)


def fast_rounding(w: WholeRules) -> np.ndarray:
    """Largest remainder, year by year and cohort by cohort, vectorised over areas.

    Each year: the national total :attr:`WholeRules.nat_want`, split over cohorts by largest remainder;
    each cohort's cells start at the least the year before allows (survivors) and the cells with the
    largest fractions go up while the area's total stays under its cap, agreement and growth limit
    (less the cohorts already rounded and the least the later ones will hold). May break a rule
    (an agreed minimum, say, or a cohort that finds no room): :func:`broken_rules` says.
    """
    d = w.d
    n_a, n_t, n_h = w.S.shape
    targets = round_keeping_total(w.S.sum(axis=0).T, total=w.nat_want)                   # (H,T)
    R = np.zeros(w.S.shape, dtype=np.int64)
    prev = d.stock0
    for t in range(n_t):                                                                 # T steps, not A×T
        top = w.base[:, t, :] + w.up[:, t, :]
        top = np.where(w.d.eligible[:, t, None], top, np.minimum(top, prev))              # nobody new where closed
        lower = np.clip(w.survivors(prev), w.base[:, t, :], top)                          # (A,H)
        area_top = np.minimum(w.area_hi[:, t], w.growth_limit(prev.sum(axis=1), t))      # (A,)
        for h in range(n_h):
            later = lower[:, h + 1:].sum(axis=1)
            done = R[:, t, :h].sum(axis=1)
            room = (area_top - later - done - lower[:, h] >= 1) & (top[:, h] > lower[:, h])
            short = max(int(targets[h, t] - lower[:, h].sum()), 0)
            key = np.where(room, w.frac[:, t, h], -1.0)
            raise_ = room & largest_first(key[:, None], np.array([short]))[:, 0]
            R[:, t, h] = lower[:, h] + raise_
        prev = R[:, t, :]
    return R


def exact_rounding(w: WholeRules, reference: np.ndarray, hotels_reference: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """The whole-people plan closest to ``reference`` that keeps every rule: an integer program.

    One 0/1 variable :math:`u` per cell whose exact value is not whole (:math:`R = \\lfloor S \\rfloor
    + u`); rows for the national, cohort and area totals, the survivors rule and the growth limit
    (:func:`_link_rows`). Objective, by priority: each year's national total at
    :attr:`WholeRules.nat_want` (a person off costs more than every cell together), the number of
    cells that differ from ``reference``, then (weighted below one cell in total) the distance to the
    exact plan. Solved by HiGHS (:func:`_solve_binary`). With hotels by area, the people in each
    area's hotels get 0/1 columns and rows of their own (:func:`allocator.rounding_place.ip_rows`);
    returns the whole stock and the whole hotel residents (None without hotels).
    """
    cells = np.flatnonzero(w.up.ravel())
    n = cells.size
    var = np.full(w.up.size, -1, dtype=np.int64)
    var[cells] = np.arange(n)
    var = var.reshape(w.up.shape)
    a, t, h = np.unravel_index(cells, w.up.shape)
    n_a, n_t, n_h = w.up.shape
    u_ref = reference.ravel()[cells] - w.base.ravel()[cells]
    f = w.frac.ravel()[cells]
    first = np.maximum(w.survivors(w.d.stock0) - w.base[:, 0, :], 0.0)        # (A,H) survivors of today's people
    lp = LPBuilder()
    u = lp.add_variables("u", (n,), np.where(t == 0, first[a, h], 0.0), 1.0,
                         np.where(u_ref > 0, -1.0, 1.0) + (1.0 - 2.0 * f) / (2.0 * n + 2.0))
    # the national total leaves the exact total rounded (for the other whole number next to the exact
    # one) only where nothing else keeps every rule: a person above / below costs more than all cells
    off = lp.add_variables("off", (2, n_t), 0.0, np.stack([w.nat_hi - w.nat_want, w.nat_want - w.nat_lo]), n + 1.0)
    years = np.arange(n_t)
    whole = w.nat_want - w.base.sum(axis=(0, 2))
    lp.add_rows("national", n_t, [(t, u, 1.0), (years, off[0], -1.0), (years, off[1], 1.0)], whole, whole)
    floors = w.base.sum(axis=0).ravel()
    lp.add_rows("cohort", n_t * n_h, [(t * n_h + h, u, 1.0)], w.cohort_lo.ravel() - floors, w.cohort_hi.ravel() - floors)
    base_total = w.base.sum(axis=2)
    area_lo, area_hi = (w.area_lo - base_total).ravel(), (w.area_hi - base_total).ravel()
    binds = (area_lo > 0) | (area_hi < (var >= 0).sum(axis=2).ravel())         # other area rows cannot bind
    row = (np.cumsum(binds) - 1)[a * n_t + t]
    on = binds[a * n_t + t]
    lp.add_rows("area", int(binds.sum()), [(row[on], u[on], 1.0)], area_lo[binds], area_hi[binds])
    for name, size, terms, lower, upper in _link_rows(w, var):
        lp.add_rows(name, size, terms, lower, upper)
    hv = None if w.hotels is None else ip_rows(lp, w.hotels, w.base, var, u, hotels_reference)
    x = _solve_binary(lp.build())
    R = w.base.astype(np.int64).ravel()
    R[cells] += x[:n]
    if hv is None:
        return R.reshape(w.base.shape), None
    L = w.hotels.base.astype(np.int64)
    L[hv >= 0] += x[hv[hv >= 0]]
    return R.reshape(w.base.shape), L


def _link_rows(w: WholeRules, var: np.ndarray):
    """Rows linking each year to the one before, in the 0/1 variables (``var`` (A,T,H): column or -1),
    as (name, number of rows, terms, lower, upper) for :meth:`LPBuilder.add_rows`.

    * Survivors: :math:`R_t \\ge \\lfloor (1-e) R_{t-1} \\rfloor`. With :math:`R_{t-1} = b' + u'` the
      right side is :math:`\\alpha + (\\beta - \\alpha) u'` where :math:`\\alpha = \\lfloor (1-e) b' \\rfloor`
      and :math:`\\beta = \\lfloor (1-e)(b'+1) \\rfloor` differ by at most one: the row is
      :math:`u_t - (\\beta-\\alpha) u' \\ge \\alpha - b_t`.
    * Growth: :math:`\\sum_h R_{ith} \\le g(k)`, :math:`g(k) = \\lceil (1+\\rho)(B' + k) + \\gamma \\rceil` for
      last year's total :math:`B' + k` (:math:`k` of its cells rounded up). Written
      :math:`\\sum_h u_{ith} - m \\sum_h u_{i,t-1,h} \\le g(0) - B_t` with the slope
      :math:`m = \\min_k (g(k) - g(0))/k`: exact without a relative part (:math:`g(k) = g(0) + k`) or
      with one cohort, and never looser than the rule otherwise.

    * Closed cells (the area cannot receive people in year t): :math:`R_t \\le R_{t-1}`, that is
      :math:`u_t - u' \\le b' - b_t`.

    Only rows that can bind are built.
    """
    n_a, n_t, n_h = w.up.shape
    if n_t < 2:
        return
    v_now, v_prev = var[:, 1:, :].ravel(), var[:, :-1, :].ravel()
    alpha = w.survivors(w.base[:, :-1, :]).ravel()
    step = np.where(v_prev >= 0, w.survivors(w.base[:, :-1, :] + 1).ravel() - alpha, 0.0)
    rhs = alpha - w.base[:, 1:, :].ravel()
    cut = np.flatnonzero(-step < rhs)               # the least left side is u_t = 0, u' = 1
    row = np.arange(cut.size)
    now, before = v_now[cut] >= 0, (v_prev[cut] >= 0) & (step[cut] > 0)
    yield ("survivors", cut.size, [(row[now], v_now[cut][now], 1.0), (row[before], v_prev[cut][before], -step[cut][before])],
           rhs[cut], np.inf)
    closed = np.flatnonzero(~np.repeat(w.d.eligible[:, 1:, None], n_h, axis=2).ravel()
                            & (w.base[:, 1:, :].ravel() + (v_now >= 0) > w.base[:, :-1, :].ravel()))
    row = np.arange(closed.size)                    # nobody new where closed: R_t <= R_{t-1}, where it can bind
    now, before = v_now[closed] >= 0, v_prev[closed] >= 0
    yield ("closed", closed.size, [(row[now], v_now[closed][now], 1.0), (row[before], v_prev[closed][before], -1.0)],
           -np.inf, (w.base[:, :-1, :].ravel() - w.base[:, 1:, :].ravel())[closed])
    d = w.d
    if d.growth_abs is None:
        return
    counts = (var >= 0).sum(axis=2)                                                  # (A,T)
    base_total = w.base.sum(axis=2)
    g = [np.ceil((1.0 + d.growth_rel) * (base_total[:, :-1] + k) + d.growth_abs - TOL) for k in range(n_h + 1)]
    slope = np.full((n_a, n_t - 1), np.inf)
    for k in range(1, n_h + 1):
        slope = np.where(counts[:, :-1] >= k, np.minimum(slope, (g[k] - g[0]) / k), slope)
    slope = np.where(np.isinf(slope), 0.0, slope)
    rhs = g[0] - base_total[:, 1:]
    ai, ti = np.divmod(np.flatnonzero((d.eligible[:, 1:] & (rhs < counts[:, 1:])).ravel()), n_t - 1)
    row = np.repeat(np.arange(ai.size), n_h)
    now, before = var[ai, ti + 1, :].ravel(), var[ai, ti, :].ravel()
    yield ("growth", ai.size, [(row[now >= 0], now[now >= 0], 1.0),
                               (row[before >= 0], before[before >= 0], -np.repeat(slope[ai, ti], n_h)[before >= 0])],
           -np.inf, rhs[ai, ti])


def _solve_binary(lp: LinearProgram) -> np.ndarray:
    """Whole-number solution of ``lp`` (every column integer), by HiGHS.

    First the linear relaxation by the simplex method: its optimum is a vertex, and within a year
    the rows form a network (totally unimodular), so that vertex is usually whole already. Only
    when it is not, the same model with integer columns (branch and bound; deterministic: fixed
    seed, a node limit rather than a time limit). Raises
    :class:`~allocator.errors.VerificationError` when no whole-number solution exists.
    """
    h = highs_model(lp, large_model=False,
                    options={"solver": "simplex", "mip_rel_gap": 0.0, "mip_max_nodes": 100_000})
    h.run()
    x = np.asarray(h.getSolution().col_value)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    if optimal and np.all(np.abs(x - np.round(x)) <= 1e-6):
        return np.round(x).astype(np.int64)
    if optimal:
        n = lp.num_col
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger))
        h.run()
    if h.getInfo().primal_solution_status != 2:
        raise VerificationError([f"whole people: no whole-people plan keeps every rule "
                                 f"({h.modelStatusToString(h.getModelStatus())})"])
    return np.round(np.asarray(h.getSolution().col_value)).astype(np.int64)

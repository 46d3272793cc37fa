"""Feasible plans that need no solver, for when a time limit stops the solver empty-handed.

HiGHS solves the presolved model; when a time limit stops it there, or before
the simplex reaches a primal feasible point (the dual simplex has none until
the end), it has no plan to give. :func:`at_limit` then returns the cheapest
feasible plan at hand, with status ``time_limit`` and its gap to a valid lower
bound (:func:`balance_bound`, or the Lagrangian bound of HiGHS's duals):

* HiGHS's own point, when it has one;
* the **price-guided start's area plans** (step 2 of
  :mod:`allocator.solvers._price_start`), when the limit fell after them: every
  area's plan, with the national columns completed (:func:`complete`) and
  checked against every row and bound (:func:`feasible`). Where they break a
  linking row (more people placed than need in a year, a ceiling), the plan is
  the last feasible point on the segment from "nobody newly placed" towards
  them (:func:`toward`); if none is, they are rejected and ``info`` says why;
* **nobody newly placed**: every area keeps only the survivors of today's stock
  (the lower bound of every stock variable), everyone else is in contingency
  accommodation, and the equity variables follow. Scenarios whose hard rows
  exclude it (a contingency ceiling below that level, an agreement to place
  people) have none.

``info["fallback"]`` names the plan returned when it is not HiGHS's own
(``price_start`` or ``nobody_new``): callers treat ``nobody_new`` as "no plan
found" (``allocator.api.solve`` raises ``TimeLimitError`` unless asked for it).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from allocator import registry
from allocator.model import LinearProgram
from allocator.status import Status


def _rows(lp: LinearProgram, name: str):
    block = lp.rows.get(name)
    return None if block is None or block.size == 0 else block.slice


def _set_to_meet(lp: LinearProgram, x: np.ndarray, rows: slice, var: str) -> None:
    """Set column block ``var`` so that each row in ``rows`` (one entry of ``var`` each) meets its lower bound."""
    block = lp.variables.get(var)
    if block is None:
        return
    A = lp.A[rows]
    x[block.slice] = 0.0
    activity = A @ x
    coef = A[:, block.slice]
    r, j = coef.nonzero()
    need = lp.row_lower[rows][r] - activity[r]
    x[block.start + j] = need / np.asarray(coef[r, j]).ravel()


def _set_distance(lp: LinearProgram, x: np.ndarray, rows: slice, above: str, below: str) -> None:
    """Set ``above``/``below`` (one entry per row of ``rows``) to the part of each row's activity
    without them above and below its right-hand side (the distance from the fair share:
    sum_h S - share * D, on the pressure basis with the fixed counts on the right)."""
    if above not in lp.variables:
        return
    for var in (above, below):
        x[lp.variables[var].slice] = 0.0
    gap = lp.A[rows] @ x - lp.row_lower[rows]
    x[lp.variables[above].slice] = np.maximum(gap, 0.0)
    x[lp.variables[below].slice] = np.maximum(-gap, 0.0)


def _set_highest(lp: LinearProgram, x: np.ndarray, rows: slice, var: str) -> None:
    """Set ``var`` to the least value keeping every row of ``rows`` (each at most its upper bound): the
    highest ratio of the rest of the row's activity above that bound to the column's coefficient (the top rate)."""
    if var not in lp.variables:
        return
    blk = lp.variables[var]
    x[blk.slice] = 0.0
    A = lp.A[rows]
    act = A @ x - lp.row_upper[rows]
    coef = A[:, blk.slice].tocoo()
    z = np.zeros(blk.size)
    np.maximum.at(z, coef.col, act[coef.row] / -coef.data)
    x[blk.slice] = z


def _set_excess(lp: LinearProgram, x: np.ndarray, rows: slice, var: str) -> None:
    """Set ``var`` (one entry per row of ``rows``) to the least non-negative value with which each row
    meets its lower bound: the people above a step of the progressive measure."""
    _set_to_meet(lp, x, rows, var)
    if var in lp.variables:
        block = lp.variables[var].slice
        x[block] = np.maximum(x[block], 0.0)


def _set_latest(lp: LinearProgram, x: np.ndarray, rows: slice, var: str) -> None:
    """Set ``var`` (one entry per row of ``rows``, both (area, year, cohort) in that order) to the
    latest schedule that keeps every row: the bed spaces bought each year, as late as the pace
    (``var``'s upper bounds) allows, so that the capacity kept never falls short of the stock. The
    cheapest schedule for the stock, since a place bought later is kept (and paid for empty) fewer
    years; the verifier's and allocations.csv's capacity (:func:`allocator.interpret.capacity_schedule`)."""
    if var not in lp.variables:
        return
    blk = lp.variables[var]
    shape = tuple(int(blk.index[k].max()) + 1 for k in ("area", "year", "cohort"))
    x[blk.slice] = 0.0
    need = (lp.row_lower[rows] - lp.A[rows] @ x).reshape(shape)        # cumulative buying each year must reach
    pace = lp.col_upper[blk.slice].reshape(shape)
    cum = np.maximum.accumulate(np.maximum(need, 0.0), axis=1)          # never handed back
    for t in range(shape[1] - 2, -1, -1):                               # T steps: as late as the pace allows
        cum[:, t] = np.maximum(cum[:, t], cum[:, t + 1] - pace[:, t + 1])
    x[blk.slice] = np.diff(cum, axis=1, prepend=0.0).ravel()


_COMPLETE = {"meet": _set_to_meet, "distance": _set_distance, "highest": _set_highest, "excess": _set_excess,
             "latest": _set_latest}


def complete(lp: LinearProgram, x: np.ndarray) -> np.ndarray | None:
    """``x`` with the national and equity columns set from its area columns, by each family's
    ``complete`` in the registry, in its order: contingency to meet the national balance, the
    dispersed total to meet its rows, ``over``/``under`` the distance from the fair share,
    ``excess`` the people above each step of the progressive measure, ``top_rate`` the highest
    rate, ``bought`` the latest schedule of bed spaces kept for the stock. None when the model has
    no national balance."""
    if _rows(lp, registry.priced().name) is None or "stock" not in lp.variables:
        return None
    x = np.array(x, dtype=float)
    for family in registry.rows():
        rows = _rows(lp, family.name)
        if family.complete is not None and rows is not None:
            _COMPLETE[family.complete.how](lp, x, rows, *family.complete.columns)
    return x


def _tolerance(lp: LinearProgram, tol: float) -> float:
    """An absolute tolerance: ``tol`` relative to the largest finite row bound (at least 1)."""
    ends = np.concatenate([lp.row_lower[np.isfinite(lp.row_lower)], lp.row_upper[np.isfinite(lp.row_upper)]])
    return tol * max(1.0, float(np.abs(ends).max(initial=1.0)))


def feasible(lp: LinearProgram, x: np.ndarray, tol: float = 1e-7) -> bool:
    """Whether ``x`` keeps every row and every bound of ``lp`` (within ``tol``, relative)."""
    eps = _tolerance(lp, tol)
    act = lp.A @ x
    return bool(np.all(act >= lp.row_lower - eps) and np.all(act <= lp.row_upper + eps)
                and np.all(x >= lp.col_lower - eps) and np.all(x <= lp.col_upper + eps))


def nobody_new(lp: LinearProgram, tol: float = 1e-7) -> np.ndarray | None:
    """The "nobody newly placed" point of ``lp``, or None if it breaks a row or a bound."""
    x = np.where(np.isfinite(lp.col_lower), lp.col_lower, 0.0)
    x = np.where(np.isfinite(lp.col_upper), np.minimum(x, lp.col_upper), x)
    x = complete(lp, x)
    return x if x is not None and feasible(lp, x, tol) else None


def _step_limit(a0: np.ndarray, a1: np.ndarray, lower: np.ndarray, upper: np.ndarray, eps: float) -> float:
    """The largest step in [0, 1] from ``a0`` towards ``a1`` that keeps ``lower <= a <= upper``. Only the
    limits ``a1`` breaks by more than ``eps`` stop it, exactly at the limit; the ones it keeps within
    ``eps`` (round-off) hold within ``eps`` all along."""
    d = a1 - a0
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(a1 > upper + eps, (upper - a0) / d, np.inf)
        lo = np.where(a1 < lower - eps, (lower - a0) / d, np.inf)
    return float(np.clip(min(up.min(initial=np.inf), lo.min(initial=np.inf)), 0.0, 1.0))


def toward(lp: LinearProgram, x0: np.ndarray, x1: np.ndarray, tol: float = 1e-7) -> tuple[np.ndarray, float]:
    """The point farthest along the segment from the feasible ``x0`` towards ``x1`` that keeps every
    row and bound, and how far along it is (0 to 1). The model is linear, so the rows and bounds
    that ``x0`` and ``x1`` both keep hold all along; the step stops at the first one ``x1`` breaks.
    The equity columns are set again (:func:`complete`), which keeps their rows and only lowers the cost."""
    eps = _tolerance(lp, tol)
    theta = min(_step_limit(lp.A @ x0, lp.A @ x1, lp.row_lower, lp.row_upper, eps),
                _step_limit(x0, x1, lp.col_lower, lp.col_upper, eps))
    x = complete(lp, x0 + theta * (x1 - x0))
    if x is None or not feasible(lp, x, tol):
        return x0, 0.0
    return x, theta


def lagrangian_bound(lp: LinearProgram, row_dual: np.ndarray) -> float | None:
    r"""A valid lower bound on the optimum from any row prices :math:`y` (weak duality):
    :math:`\min_{l \le x \le u} (c - A^\top y) x + \min_{r_l \le a \le r_u} y a`. None when
    it is :math:`-\infty` (a price on an infinite side) or ``row_dual`` has the wrong size. Reduced
    costs within round-off (1e-9 of the largest cost) count as 0, as HiGHS's own dual objective does."""
    y = np.asarray(row_dual, dtype=float)
    if y.shape != (lp.num_row,) or not np.all(np.isfinite(y)):
        return None
    dj = lp.c - lp.A.T @ y
    dj[np.abs(dj) <= 1e-9 * max(1.0, float(np.abs(lp.c).max(initial=0.0)))] = 0.0   # round-off, not a price
    with np.errstate(invalid="ignore"):
        cols = np.where(dj > 0, dj * lp.col_lower, np.where(dj < 0, dj * lp.col_upper, 0.0))
        rows = np.where(y > 0, y * lp.row_lower, np.where(y < 0, y * lp.row_upper, 0.0))
    total = float(cols.sum() + rows.sum() + lp.offset)
    return total if np.isfinite(total) else None


def at_limit(lp: LinearProgram, raw, incumbent: np.ndarray | None = None):
    """A limit stopped the solver (``raw.status`` is ``time_limit``): return the cheapest feasible
    plan at hand -- ``raw.x`` if the solver had one, the price-guided start's area plans
    ``incumbent`` (completed, and repaired by :func:`toward` when they break a linking row), or
    "nobody newly placed" -- with its objective and its gap to the best valid lower bound."""
    info = dict(raw.info)
    x0 = nobody_new(lp)
    candidates = [] if raw.x is None else [("solver", np.asarray(raw.x, float))]
    if incumbent is not None:
        x1 = complete(lp, incumbent)
        if x1 is not None and feasible(lp, x1):
            candidates.append(("price_start", x1))
            info["price_start_share"] = 1.0
        elif x1 is not None and x0 is not None:
            x, theta = toward(lp, x0, x1)
            info["price_start_share"] = round(theta, 6)
            if theta > 0:
                candidates.append(("price_start", x))
            else:
                info["price_start_rejected"] = "the areas' plans break a linking row at once"
        else:
            info["price_start_rejected"] = ("the areas' plans break a linking row and there is no "
                                            "feasible plan to repair them from")
    if x0 is not None:
        candidates.append(("nobody_new", x0))
    if not candidates:
        return _replace(raw, info=info)
    objectives = [float(lp.c @ x + lp.offset) for _, x in candidates]
    k = int(np.argmin(objectives))                    # ties: the first (the solver's own point first)
    name, x = candidates[k]
    obj = objectives[k]
    bounds = [b for b in (info.get("bound"), balance_bound(lp)) if b is not None]
    bound = info["bound"] = max(bounds) if bounds else None
    gap = max(0.0, obj - bound) / max(1.0, abs(obj)) if bound is not None else None
    message = raw.message
    if name != "solver":
        info["fallback"] = name
        what = ("the price-guided start's area plans" if name == "price_start"
                else "the always-feasible plan that places nobody new")
        message = (f"{raw.message}: returned {what}, the cheapest feasible plan at hand "
                   "(raise the time limit for a better one)")
    return _replace(raw, status=Status.TIME_LIMIT, x=x, objective=obj, gap=gap, message=message, info=info)


def _replace(raw, **changes):
    return dataclasses.replace(raw, **changes)


def trivial_bound(lp: LinearProgram) -> float | None:
    """A valid lower bound on the optimum with no solver: every column at its cheapest bound."""
    lo = np.where(lp.c >= 0, lp.col_lower, lp.col_upper)
    if not np.all(np.isfinite(lo[lp.c != 0])):
        return None
    return float(lp.c[lp.c != 0] @ lo[lp.c != 0] + lp.offset)


def balance_bound(lp: LinearProgram) -> float | None:
    """A valid lower bound: the optimum of the model keeping only the bounds and the
    national balance rows (the registry's priced family) (solved exactly by a greedy fill, cheapest first, per row).

    Dropping rows can only lower the optimum, so this bounds the true optimum from below;
    it is much tighter than :func:`trivial_bound` because everyone must be housed somewhere.
    """
    bal = _rows(lp, registry.priced().name)
    if bal is None:
        return trivial_bound(lp)
    A = lp.A[bal].tocsr()
    in_bal = np.zeros(lp.num_col, bool)
    in_bal[A.indices] = True
    if np.any(np.bincount(A.indices, minlength=lp.num_col) > 1) or np.any(A.data != 1.0):
        return trivial_bound(lp)
    rest = ~in_bal & (lp.c != 0)
    lo = np.where(lp.c >= 0, lp.col_lower, lp.col_upper)
    if not np.all(np.isfinite(lo[rest])):
        return None
    total = float(lp.c[rest] @ lo[rest] + lp.offset)
    rl, ru = lp.row_lower[bal], lp.row_upper[bal]
    for r in range(A.shape[0]):
        cols = A.indices[A.indptr[r]:A.indptr[r + 1]]
        c, l, u = lp.c[cols], lp.col_lower[cols], lp.col_upper[cols]
        if not np.all(np.isfinite(l)) or rl[r] != ru[r]:
            return trivial_bound(lp)
        room = u - l
        left = rl[r] - l.sum()
        if left < 0:
            return trivial_bound(lp)
        order = np.argsort(c, kind="stable")
        take = np.minimum(room[order], np.maximum(left - np.concatenate([[0.0], np.cumsum(room[order])[:-1]]), 0.0))
        if take.sum() < left - 1e-9 * max(1.0, left):
            return trivial_bound(lp)
        total += float(c @ l + c[order] @ take)
    return total

"""A feasible plan that needs no solver, for when a time limit stops the solver empty-handed.

HiGHS solves the presolved model; when a time limit stops it there, or before
the simplex reaches a primal feasible point (the dual simplex has none until
the end), there is no plan to return. Yet a plan that is always feasible is at
hand: **nobody newly placed** -- every area keeps only the survivors of
today's stock (the lower bound of every stock variable), everyone else is in
contingency accommodation, and the equity variables follow. It is returned
with status ``time_limit`` and its gap to a valid lower bound, so the caller
never gets "infeasible" for a feasible scenario, and can see how far from
optimal it is. Scenarios whose hard rows exclude it (a contingency ceiling
below that level, an agreement to place people) get ``None``.
"""

from __future__ import annotations

import numpy as np

from allocator.model import LinearProgram


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


def nobody_new(lp: LinearProgram, tol: float = 1e-7) -> np.ndarray | None:
    """The "nobody newly placed" point of ``lp``, or None if it breaks a row or a bound."""
    x = np.where(np.isfinite(lp.col_lower), lp.col_lower, 0.0)
    x = np.where(np.isfinite(lp.col_upper), np.minimum(x, lp.col_upper), x)
    bal = _rows(lp, "national_balance")
    if bal is None or "stock" not in lp.variables:
        return None
    _set_to_meet(lp, x, bal, "contingency")
    tot = _rows(lp, "dispersed_total")
    if tot is not None:
        _set_to_meet(lp, x, tot, "dispersed")
    fair = _rows(lp, "fair_share")
    if fair is not None and "over" in lp.variables:
        for var in ("over", "under"):
            x[lp.variables[var].slice] = 0.0
        gap = lp.A[fair] @ x                              # sum_h S - share * D
        x[lp.variables["over"].slice] = np.maximum(gap, 0.0)
        x[lp.variables["under"].slice] = np.maximum(-gap, 0.0)
    top = _rows(lp, "top_rate")
    if top is not None and "top_rate" in lp.variables:
        blk = lp.variables["top_rate"]
        x[blk.slice] = 0.0
        A = lp.A[top]
        act = A @ x
        coef = A[:, blk.slice].tocoo()
        z = np.zeros(blk.size)
        np.maximum.at(z, coef.col, act[coef.row] / -coef.data)
        x[blk.slice] = z
    # check every row and bound; anything else (an agreement, a ceiling) may rule it out
    act = lp.A @ x
    scale = max(1.0, float(np.abs(np.concatenate([lp.row_lower[np.isfinite(lp.row_lower)],
                                                  lp.row_upper[np.isfinite(lp.row_upper)]])).max(initial=1.0)))
    ok = (np.all(act >= lp.row_lower - tol * scale) and np.all(act <= lp.row_upper + tol * scale)
          and np.all(x >= lp.col_lower - tol * scale) and np.all(x <= lp.col_upper + tol * scale))
    return x if ok else None


def trivial_bound(lp: LinearProgram) -> float | None:
    """A valid lower bound on the optimum with no solver: every column at its cheapest bound."""
    lo = np.where(lp.c >= 0, lp.col_lower, lp.col_upper)
    if not np.all(np.isfinite(lo[lp.c != 0])):
        return None
    return float(lp.c[lp.c != 0] @ lo[lp.c != 0] + lp.offset)


def balance_bound(lp: LinearProgram) -> float | None:
    """A valid lower bound: the optimum of the model keeping only the bounds and the
    ``national_balance`` rows (solved exactly by a greedy fill, cheapest first, per row).

    Dropping rows can only lower the optimum, so this bounds the true optimum from below;
    it is much tighter than :func:`trivial_bound` because everyone must be housed somewhere.
    """
    bal = _rows(lp, "national_balance")
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

"""Warm-started re-solves: one HiGHS model per worker, changed in place.

A sweep solves the same linear program many times with a few numbers moved:
a cluster limit changes the upper bounds on stock, an arrivals scale changes
the right-hand side of the balance rows, a cost scale changes objective
coefficients. The constraint matrix, and so the model's structure, is the
same. :class:`WarmSolver` keeps one ``highspy.Highs`` holding the base
model and, for each new point,

1. checks that the point's matrix is the base matrix (same rows, columns and
   coefficients); if not, it says why and the caller solves cold;
2. sends only the entries that differ: ``changeColsCost``,
   ``changeColsBounds``, ``changeRowsBounds`` (and ``changeObjectiveOffset``);
3. clears HiGHS's internal solver state and sets the **reference basis** (the
   optimal basis of the base scenario) before running the simplex.

Step 3 is a deliberate choice. Starting from the *previous* point's basis
("chaining") is what HiGHS does by default, but the answer would then depend
on the order in which a worker happened to receive points: at a degenerate
optimum two orders give two different (equally cheap) plans. Starting every
point from the same reference basis makes each result a function of the
point alone, so a sweep on two local processes and the same sweep on a Dask
cluster give identical tables. On the national scenario the reference basis
is also the better start for a grid around the base (see docs/sweeps.md for
the measurements of both).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from allocator.model import LinearProgram
from allocator.solvers import RawSolution, solve_lp
from allocator.solvers._highs import collect, highs_bounds, highs_model
from allocator.status import Status


def structure_difference(base: LinearProgram, lp: LinearProgram) -> str | None:
    """Why ``lp`` cannot reuse ``base``'s model (``None`` when it can).

    Same structure means the same variable and row blocks and exactly the same
    constraint matrix: only costs (and the objective's constant), variable bounds and row bounds
    may differ.
    """
    if lp.num_col != base.num_col or lp.num_row != base.num_row:
        return (f"model size changed ({base.num_col} x {base.num_row} -> {lp.num_col} x {lp.num_row} "
                "variables x rows)")
    if [(b.name, b.size) for b in base.variables.values()] != [(b.name, b.size) for b in lp.variables.values()]:
        return "variable blocks changed"
    if [(b.name, b.size) for b in base.rows.values()] != [(b.name, b.size) for b in lp.rows.values()]:
        return "row blocks changed"
    A, B = base.A, lp.A
    if A.nnz != B.nnz or not (np.array_equal(A.indptr, B.indptr) and np.array_equal(A.indices, B.indices)):
        return "constraint matrix pattern changed"
    if not np.array_equal(A.data, B.data):
        names = [b.name for b in lp.rows.values()
                 if not np.array_equal(A[b.slice].data, B[b.slice].data)]
        return f"constraint coefficients changed (rows: {', '.join(names)})"
    return None


@dataclass
class WarmResult:
    raw: RawSolution
    warm: bool
    note: str = ""
    changed: int = 0          # how many costs, bounds and row bounds were sent to HiGHS


class WarmSolver:
    """One HiGHS model for one base LP, re-solved from the base's optimal basis.

    Parameters
    ----------
    base : the base linear program (usually the sweep's scenario with no overrides)
    basis : ``"reference"`` (default; every point starts from the base's optimal
        basis, results independent of order) or ``"previous"`` (chain from the
        last point solved; order dependent, for measurements only)
    """

    def __init__(self, base: LinearProgram, basis: str = "reference") -> None:
        if basis not in ("reference", "previous"):
            raise ValueError(f"basis must be 'reference' or 'previous', got {basis!r}")
        self.basis_mode = basis
        self.base = base
        # HiGHS's defaults, not the large-model ones: those are measured for cold solves, and
        # re-solves from a basis keep the results of sweeps as they were
        self.h = highs_model(base, large_model=False)
        self.current = base
        self.solves = 0
        self.reference, self.base_seconds = None, 0.0
        if base.is_mip:                  # an integer plan: every point is solved cold (solve())
            return
        t0 = time.perf_counter()
        self.h.run()
        self.base_seconds = time.perf_counter() - t0
        base_raw = collect(self.h, base, self.base_seconds)
        self.reference = self.h.getBasis() if base_raw.status == Status.OPTIMAL else None

    @property
    def usable(self) -> bool:
        """False when the base scenario had no optimal basis to start from."""
        return self.reference is not None

    def solve(self, lp: LinearProgram) -> WarmResult:
        """Solve ``lp`` warm if its structure matches the base, else report why not.

        When the structure differs (or the base had no optimal basis) this returns
        ``WarmResult(raw=None-like, warm=False, note=reason)`` *without solving*: the
        caller solves cold and records ``warm: false`` with the reason.
        """
        if lp.is_mip or self.base.is_mip:
            return WarmResult(_not_solved(), False, "an integer plan (opening decisions) is solved cold")
        if not self.usable:
            return WarmResult(_not_solved(), False, "the reference scenario (the base with this point's "
                              "structural values) has no optimal basis to start from")
        why = structure_difference(self.base, lp)
        if why is not None:
            return WarmResult(_not_solved(), False, why)
        h, cur = self.h, self.current
        changed = 0
        idx = np.flatnonzero(lp.c != cur.c).astype(np.int32)
        if idx.size:
            h.changeColsCost(idx.size, idx, np.asarray(lp.c[idx], float))
            changed += idx.size
        idx = np.flatnonzero((lp.col_lower != cur.col_lower) | (lp.col_upper != cur.col_upper)).astype(np.int32)
        if idx.size:
            h.changeColsBounds(idx.size, idx, highs_bounds(lp.col_lower[idx]), highs_bounds(lp.col_upper[idx]))
            changed += idx.size
        idx = np.flatnonzero((lp.row_lower != cur.row_lower) | (lp.row_upper != cur.row_upper)).astype(np.int32)
        if idx.size:
            h.changeRowsBounds(idx.size, idx, highs_bounds(lp.row_lower[idx]), highs_bounds(lp.row_upper[idx]))
            changed += idx.size
        if lp.offset != cur.offset:      # the objective's constant (costs.occupancy: average, void_share)
            h.changeObjectiveOffset(float(lp.offset))
            changed += 1
        self.current = lp
        if self.basis_mode == "reference":
            h.clearSolver()              # forget factorisation and pricing weights: order-independent results
            h.setBasis(self.reference)
        start = time.perf_counter()
        h.run()
        self.solves += 1
        raw = collect(h, lp, time.perf_counter() - start)
        return WarmResult(raw, True, "", changed)


def _not_solved() -> RawSolution:
    return RawSolution(Status.NOT_SOLVED, None, None)


def solve_cold(lp: LinearProgram, data=None) -> RawSolution:
    """A HiGHS solve from scratch (fresh model, presolve on). With ``data``, the :class:`~allocator.data.ModelData`
    ``lp`` was built from, it is exactly the solve of ``allocator solve`` (:func:`allocator.api.solve`: the same
    start, price-guided from 4,000 areas, and the same gap for opening decisions), so that it reaches the same one
    of several equally good plans."""
    return solve_lp(lp, solver="highs", data=data)

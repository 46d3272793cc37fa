"""HiGHS through highspy, passing the CSR arrays straight to ``Highs.passModel``."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

import numpy as np

from allocator.errors import SolverError
from allocator.model import LinearProgram

if TYPE_CHECKING:  # imported for annotations only: allocator.solvers imports this module lazily
    from allocator.solvers import RawSolution


_QUIET = False

#: Above this many columns allocator changes one HiGHS default: the dual simplex prices with
#: Devex edge weights instead of choosing (dual steepest edge on this model). Measured in
#: benchmarks/RESULTS.md; the optimum is the same (checked in benchmarks/test_bench.py).
LARGE_MODEL_COLUMNS = 50_000
LARGE_MODEL_OPTIONS = {"simplex_dual_edge_weight_strategy": 1}


def new_highs():
    """A silent ``highspy.Highs``. HiGHS prints a banner to the C-level stdout on its
    first construction in a process; it is sent to /dev/null so that CLI output and
    piped CSV stay clean."""
    global _QUIET
    import highspy

    if _QUIET:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _QUIET = True
    h.setOptionValue("output_flag", False)
    return h


def highs_bounds(v: np.ndarray) -> np.ndarray:
    """Bounds as HiGHS wants them: ±inf as ±``kHighsInf``, as floats."""
    import highspy

    inf = highspy.kHighsInf
    out = np.asarray(v, dtype=float).copy()
    out[np.isposinf(out)] = inf
    out[np.isneginf(out)] = -inf
    return out


def pass_arrays(h, c, A, col_lower, col_upper, row_lower, row_upper, offset: float = 0.0) -> bool:
    """Hand a CSR model to ``h`` in one ``passModel`` call (arrays, not a HighsLp filled field by field);
    False when HiGHS refuses it."""
    import highspy

    status = h.passModel(
        len(c), A.shape[0], A.nnz, 2, 1, offset,   # a_format 2 = row-wise (CSR); sense 1 = minimise
        np.asarray(c, float), highs_bounds(col_lower), highs_bounds(col_upper), highs_bounds(row_lower),
        highs_bounds(row_upper), A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(float),
        np.zeros(len(c), np.int32),
    )
    return status != highspy.HighsStatus.kError


def pass_lp(h, lp: LinearProgram) -> bool:
    """:func:`pass_arrays` for a whole :class:`LinearProgram`."""
    return pass_arrays(h, lp.c, lp.A, lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper, lp.offset)


def set_basis(h, col_status: np.ndarray, row_status: np.ndarray) -> None:
    """Give ``h`` a starting basis from arrays of HiGHS basis codes (0 lower, 1 basic, 2 upper, 3 zero)."""
    import highspy

    E = highspy.HighsBasisStatus
    code = np.array([E.kLower, E.kBasic, E.kUpper, E.kZero, E.kNonbasic], dtype=object)
    basis = highspy.HighsBasis()
    basis.col_status = code[col_status].tolist()
    basis.row_status = code[row_status].tolist()
    if h.setBasis(basis) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS refused the starting basis")


def solve_highs(lp: LinearProgram, time_limit: float | None = None, options: dict | None = None,
                basis: tuple[np.ndarray, np.ndarray] | None = None) -> RawSolution:
    from allocator.solvers import RawSolution

    try:
        import highspy
    except ImportError as err:  # pragma: no cover - a dependency
        raise SolverError(f"highspy is not installed ({err}); pip install highspy") from None
    start = time.perf_counter()
    h = new_highs()
    h.setOptionValue("random_seed", 0)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if lp.num_col >= LARGE_MODEL_COLUMNS:
        for key, value in LARGE_MODEL_OPTIONS.items():
            h.setOptionValue(key, value)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    if not pass_lp(h, lp):
        raise SolverError("HiGHS refused the model (passModel returned an error)")
    if basis is not None:
        set_basis(h, *basis)
    h.run()
    seconds = time.perf_counter() - start
    ms = h.getModelStatus()
    info = h.getInfo()
    version = h.version() if hasattr(h, "version") else "unknown"
    M = highspy.HighsModelStatus
    primal_ok = info.primal_solution_status == 2   # kSolutionStatusFeasible
    sol = h.getSolution()
    common = dict(solver="highs", solver_version=version, seconds=seconds,
                  info={"simplex_iterations": int(info.simplex_iteration_count),
                        "ipm_iterations": int(info.ipm_iteration_count)})
    if ms == M.kOptimal:
        return RawSolution("optimal", np.asarray(sol.col_value), info.objective_function_value,
                           np.asarray(sol.row_dual), np.asarray(sol.col_dual), gap=0.0, **common)
    if ms in (M.kInfeasible,):
        return RawSolution("infeasible", None, None, message=h.modelStatusToString(ms), **common)
    if ms in (M.kUnboundedOrInfeasible, M.kUnbounded):
        return RawSolution("infeasible" if ms == M.kUnboundedOrInfeasible else "unbounded", None, None,
                           message=h.modelStatusToString(ms), **common)
    if ms in (M.kTimeLimit, M.kIterationLimit, M.kInterrupt, M.kHighsInterrupt):
        if primal_ok:
            x = np.asarray(sol.col_value)
            obj = float(lp.c @ x + lp.offset)
            bound = info.dual_solution_status == 2 and h.getDualObjectiveValue() or None
            gap = abs(obj - bound) / max(1.0, abs(obj)) if bound is not None else None
            return RawSolution("time_limit", x, obj, gap=gap, message=h.modelStatusToString(ms), **common)
        return _fallback_at_limit(lp, h.modelStatusToString(ms), common)
    return RawSolution("error", None, None, message=h.modelStatusToString(ms), **common)


def _fallback_at_limit(lp: LinearProgram, why: str, common: dict) -> RawSolution:
    """The limit stopped HiGHS before it had a primal feasible point (always the case for the
    dual simplex, and for any method stopped inside presolve): return the always-feasible
    "nobody newly placed" plan with its gap to a valid bound, rather than nothing."""
    from allocator.solvers import RawSolution
    from allocator.solvers._fallback import balance_bound, nobody_new

    x = nobody_new(lp)
    if x is None:
        return RawSolution("time_limit", None, None, message=why, **common)
    obj = float(lp.c @ x + lp.offset)
    bound = balance_bound(lp)
    gap = abs(obj - bound) / max(1.0, abs(obj)) if bound is not None else None
    common = dict(common, info=dict(common.get("info", {}), fallback="nobody_new"))
    return RawSolution("time_limit", x, obj, gap=gap,
                       message=f"{why} before the solver had a feasible plan; returned the always-feasible plan "
                               "that places nobody new (raise the time limit for a better one)", **common)

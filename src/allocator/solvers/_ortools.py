"""OR-Tools GLOP (Google's own simplex), run in a child process.

OR-Tools bundles its own, older HiGHS; importing it beside highspy has been seen
to fail with undefined symbols. A spawned child keeps the two apart. The child
receives plain numpy arrays and returns plain numpy arrays.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import multiprocessing as mp
import time

import numpy as np

from allocator.errors import SolverError
from allocator.model import LinearProgram

_POOL: cf.ProcessPoolExecutor | None = None


def _pool() -> cf.ProcessPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
        atexit.register(_shutdown)
    return _POOL


def _shutdown() -> None:
    """Stop the child cleanly before the interpreter tears down (no noise at exit)."""
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
        _POOL = None


def _solve_in_child(c, indptr, indices, data, shape, col_lower, col_upper, row_lower, row_upper, offset,
                    time_limit):  # pragma: no cover - runs in the child process
    import ortools
    import scipy.sparse as sp
    from ortools.linear_solver.python import model_builder as mb

    model = mb.Model()
    A = sp.csr_matrix((data, indices, indptr), shape=shape)
    model.helper.fill_model_from_sparse_data(col_lower, col_upper, c, row_lower, row_upper, A)
    model.helper.set_objective_offset(offset)
    solver = mb.Solver("GLOP")
    if time_limit is not None:
        solver.set_time_limit_in_seconds(time_limit)
    start = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - start
    if status == mb.SolveStatus.OPTIMAL:
        values = solver.values(model.get_variables()).to_numpy()
        duals = solver.dual_values(model.get_linear_constraints()).to_numpy() if shape[0] else np.zeros(0)
        return status.name, values, solver.objective_value, duals, seconds, ortools.__version__
    return status.name, None, None, None, seconds, ortools.__version__


def solve_ortools(lp: LinearProgram, time_limit: float | None = None) -> "RawSolution":
    from allocator.solvers import RawSolution

    args = (lp.c, lp.A.indptr, lp.A.indices, lp.A.data, lp.A.shape, lp.col_lower, lp.col_upper,
            lp.row_lower, lp.row_upper, lp.offset, time_limit)
    start = time.perf_counter()
    try:
        name, x, obj, duals, _, version = _pool().submit(_solve_in_child, *args).result()
    except ImportError as err:
        raise SolverError(f"OR-Tools is not installed ({err}); pip install ortools") from None
    except cf.process.BrokenProcessPool as err:
        global _POOL
        _POOL = None
        raise SolverError(f"the OR-Tools child process died: {err}") from None
    seconds = time.perf_counter() - start
    status = {"OPTIMAL": "optimal", "INFEASIBLE": "infeasible", "UNBOUNDED": "unbounded"}.get(name, "error")
    if name in ("FEASIBLE", "ABNORMAL") and time_limit is not None:
        status = "time_limit"
    return RawSolution(status, x, obj, row_dual=duals, solver="ortools-glop", solver_version=version, seconds=seconds, message=name)

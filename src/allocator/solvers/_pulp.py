"""PuLP with its bundled CBC. Builds the PuLP model row by row from the CSR matrix.

This backend is for cross-checking and for exporting the model to files other
solvers read (``write_model``); it is much slower to build than HiGHS direct.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pulp

from allocator.model import LinearProgram
from allocator.solvers.solution import RawSolution
from allocator.status import Status, from_pulp


def to_pulp(lp: LinearProgram):
    """The same LP as a ``pulp.LpProblem`` (variables x0..xn, rows r0..rm)."""
    prob = pulp.LpProblem("allocator", pulp.LpMinimize)
    lb = [None if np.isinf(v) else float(v) for v in lp.col_lower]
    ub = [None if np.isinf(v) else float(v) for v in lp.col_upper]
    # whole-number columns fixed by their bounds go to CBC as continuous: they are whole already, and CBC's
    # integer preprocessing has been seen to call a feasible model with only fixed ones infeasible
    whole = np.zeros(lp.num_col, bool) if lp.integer is None else lp.integer & (lp.col_lower < lp.col_upper)
    cat = ["Integer" if whole[j] else "Continuous" for j in range(lp.num_col)]
    if hasattr(prob, "add_variable"):                               # PuLP >= 3.3
        x = [prob.add_variable(f"x{j}", lb[j], ub[j], cat[j]) for j in range(lp.num_col)]
    else:                                                           # older PuLP
        x = [pulp.LpVariable(f"x{j}", lb[j], ub[j], cat[j]) for j in range(lp.num_col)]
    prob += pulp.LpAffineExpression([(x[j], float(lp.c[j])) for j in np.flatnonzero(lp.c)]) + lp.offset
    A = lp.A
    for r in range(lp.num_row):
        lo, hi = A.indptr[r], A.indptr[r + 1]
        expr = pulp.LpAffineExpression([(x[j], float(v)) for j, v in zip(A.indices[lo:hi], A.data[lo:hi])])
        rl, ru = lp.row_lower[r], lp.row_upper[r]
        if rl == ru:
            prob += (expr == float(rl)), f"r{r}"
        else:
            if not np.isinf(rl):
                prob += (expr >= float(rl)), f"r{r}_lo"
            if not np.isinf(ru):
                prob += (expr <= float(ru)), f"r{r}_up"
    return prob, x


def solve_pulp(lp: LinearProgram, time_limit: float | None = None, gap: float | None = None) -> RawSolution:
    """Solve ``lp`` with CBC through PuLP (a mixed-integer ``lp`` to the relative ``gap``: its gap is
    reported as that tolerance, which CBC proved, or None when a time limit stopped it first)."""
    start = time.perf_counter()
    prob, x = to_pulp(lp)
    with warnings.catch_warnings():
        # PuLP 3.3 deprecates its bundled CBC in favour of `pulp[cbc]`; it is still the one that ships
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, **({} if gap is None else {"gapRel": gap}))
        prob.solve(solver)
    seconds = time.perf_counter() - start
    name = pulp.LpStatus[prob.status]
    status = from_pulp(name, time_limit)
    version = getattr(pulp, "__version__", "unknown")
    if status == Status.OPTIMAL and lp.is_mip and prob.sol_status != pulp.LpSolutionOptimal:
        status = Status.TIME_LIMIT                      # an integer plan CBC did not prove within the gap
    if status in (Status.OPTIMAL, Status.TIME_LIMIT) and prob.sol_status in (pulp.LpSolutionOptimal,
                                                                            pulp.LpSolutionIntegerFeasible):
        values = np.array([v.value() or 0.0 for v in x])
        return RawSolution(status, values, float(pulp.value(prob.objective) or 0.0) if lp.num_col else lp.offset,
                           gap=(gap if status == Status.OPTIMAL else None) if lp.is_mip else None,
                           solver="pulp-cbc", solver_version=version, seconds=seconds)
    return RawSolution(status, None, None, solver="pulp-cbc", solver_version=version, seconds=seconds, message=name)

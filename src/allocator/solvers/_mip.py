"""Mixed-integer plans (opening decisions, :mod:`allocator.opening`): HiGHS with a rounded start, or CBC.

HiGHS (:func:`solve_mip_highs`), in four steps, each timed in ``info``:

1. **The relaxation**: the model with its 0/1 columns continuous, solved as any linear program
   (:func:`allocator.solvers.solve_lp`, so with the price-guided start where the model is large).
   Infeasible here means infeasible.
2. **A rounded plan** (:func:`rounded_start`): each area opens in the first year its relaxed plan
   has it at least so much open (the thresholds of ``ROUNDS`` in turn, the last "no new area
   opens"), at most ``policy.max_new_areas`` a year, the most open first; with the 0/1 columns fixed
   there, the linear program is solved. The first feasible one is the incumbent. The relaxation's
   optimum is a lower bound: when the incumbent is within the gap asked of it, it is the plan (its
   numbers and duals are those of that linear program) and no branching is needed.
3. **HiGHS's branch and bound** on the whole model, given that incumbent (``setSolution``), to the
   relative gap asked (``--gap``, default 0.1%) or the time limit.
4. **The plan**: the opening decisions of the best plan found, fixed, and the linear program solved
   once more, so that the plan's numbers are those of a linear program (no 0/1 column at 1e-7 of
   its value, and duals for ``explain``); the rounded plan itself when branching found nothing
   better. Its gap is to the best lower bound, the relaxation's or the branch and bound's.

CBC through PuLP (:func:`solve_mip_pulp`) solves the integer program directly and the linear program
with the decisions fixed likewise (no duals, as for any PuLP solve). OR-Tools (GLOP) solves linear
programs only: it is refused with a clear message rather than solving the relaxation.

The status: ``optimal`` when the gap proven is within the gap asked; ``time_limit`` (a plan not
proven optimal: exit code 8) when the time limit stopped the search above it.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from allocator.errors import SolverError
from allocator.lp import LinearProgram
from allocator.solvers._highs import collect, highs_model
from allocator.solvers._pulp import solve_pulp
from allocator.solvers.solution import RawSolution
from allocator.status import Status

#: The relative optimality gap an integer plan is solved to unless asked otherwise (``--gap``): 0.1%.
DEFAULT_GAP = 1e-3
#: The relaxed open values from which an area opens in the rounded plan, tried in turn (the last:
#: no new area opens, the plan nearest to the status quo).
ROUNDS = (0.5, 0.2, 0.8, np.inf)


def relaxed(lp: LinearProgram) -> LinearProgram:
    """``lp`` with every column continuous (its linear relaxation)."""
    return LinearProgram(lp.c, lp.A, lp.col_lower, lp.col_upper, lp.row_lower, lp.row_upper, lp.variables,
                         lp.rows, lp.offset, None)


def fixed(lp: LinearProgram, x: np.ndarray) -> LinearProgram:
    """The linear program of ``lp`` with its whole-number columns fixed at ``x`` rounded."""
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    whole = np.round(x[lp.integer])
    lower[lp.integer] = upper[lp.integer] = np.clip(whole, lp.col_lower[lp.integer], lp.col_upper[lp.integer])
    return LinearProgram(lp.c, lp.A, lower, upper, lp.row_lower, lp.row_upper, lp.variables, lp.rows, lp.offset, None)


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.perf_counter(), 0.01)


def gap_of(objective: float, bound: float | None) -> float | None:
    """The relative gap of a plan costing ``objective`` to a lower ``bound`` (0 when the plan is below it)."""
    if bound is None or not np.isfinite(bound):
        return None
    return max(objective - bound, 0.0) / max(abs(objective), 1.0)


# --------------------------------------------------------------------------- 2. a rounded plan
def open_years(lp: LinearProgram, y: np.ndarray, at: float, most: float | None) -> np.ndarray:
    """0/1 values for the open columns from relaxed values ``y``: open from the first year at least ``at``
    open (and every year after), at most ``most`` new areas a year, those most open first."""
    block = lp.variables["open"]
    area, year = block.index["area"], block.index["year"]
    n_t = int(year.max()) + 1
    n = block.size // n_t
    y = y.reshape(n, n_t)                                   # the open block is (area, year), year fastest
    lower = lp.col_lower[block.slice].reshape(n, n_t)
    upper = lp.col_upper[block.slice].reshape(n, n_t)
    want = (y >= at) & (upper > 0.5)
    first = np.where(want.any(axis=1), want.argmax(axis=1), n_t)
    if most is not None:
        first = _limit(first, y.max(axis=1), lower, n_t, most)
    out = (np.arange(n_t)[None, :] >= first[:, None]).astype(float)
    out = np.clip(out, lower, upper)
    return out.ravel()


def _limit(first: np.ndarray, strength: np.ndarray, lower: np.ndarray, n_t: int, most: float) -> np.ndarray:
    """Opening years ``first`` (n,) moved later where more than ``most`` new areas open in a year: those
    with the most ``strength`` keep their year. Areas open from the start (hosting people) do not count."""
    new = lower[:, 0] < 0.5
    first = first.copy()
    for t in range(n_t):                                    # T steps
        here = np.flatnonzero(new & (first == t))
        if here.size > most:
            late = here[np.argsort(-strength[here], kind="stable")][int(most):]
            first[late] = t + 1
    return first


def rounded_start(lp: LinearProgram, x_relaxed: np.ndarray, most: float | None, deadline: float | None,
                  options: dict | None) -> tuple[RawSolution | None, dict]:
    """The first feasible plan with the opening decisions rounded from the relaxation (module docstring):
    the linear program with the decisions fixed, solved (a :class:`RawSolution` with duals), or None."""
    info: dict = {"rounded": "none feasible"}
    block = lp.variables["open"]
    y = x_relaxed[block.slice]
    for at in ROUNDS:
        x = x_relaxed.copy()
        x[block.slice] = open_years(lp, y, at, most)
        h = highs_model(fixed(lp, x), time_limit=_remaining(deadline), options=options)
        h.run()
        raw = collect(h, lp, 0.0)
        if raw.status == Status.OPTIMAL:
            info["rounded"] = "nothing opens" if np.isinf(at) else f"open from {at:g}"
            info["rounded_objective"] = float(raw.objective)
            return raw, info
    return None, info


# --------------------------------------------------------------------------- the solvers
def solve_mip_highs(lp: LinearProgram, relax, *, gap: float, time_limit: float | None = None,
                    options: dict | None = None) -> RawSolution:
    """Solve the mixed-integer ``lp`` by HiGHS (module docstring). ``relax(relaxed_lp, time_limit)`` solves
    its relaxation (a :class:`RawSolution`, with the price-guided start where the caller wants it)."""
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    rel = relax(relaxed(lp), time_limit)
    info = {"relaxation_seconds": round(time.perf_counter() - t0, 4), "relaxation_objective": rel.objective,
            "start": rel.info.get("start", "cold")}
    if rel.status != Status.OPTIMAL:
        return RawSolution(rel.status, None, None, solver="highs", solver_version=rel.solver_version,
                           seconds=time.perf_counter() - t0, message=rel.message, info=info)
    t1 = time.perf_counter()
    start, more = rounded_start(lp, rel.x, lp_most(lp), deadline, options)
    info.update(more, rounding_seconds=round(time.perf_counter() - t1, 4), bound=float(rel.objective), nodes=0)
    if start is not None and gap_of(float(start.objective), rel.objective) <= gap:
        # the relaxation's optimum is a lower bound: the rounded plan is within the gap asked, no branching
        return _classified(start, info, gap, None, t0)
    h = _branch(lp, start, gap, deadline, options, info)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    found = h.getInfo().primal_solution_status == 2
    if start is not None and (not found or h.getInfo().objective_function_value
                              >= float(start.objective) - 1e-9 * max(1.0, abs(float(start.objective)))):
        return _classified(start, info, gap, Status.OPTIMAL if optimal else None, t0)   # nothing better found
    if not found:
        model_status = collect(h, lp, 0.0).status
        return RawSolution(model_status if model_status != Status.OPTIMAL else Status.ERROR, None, None,
                           solver="highs", solver_version=rel.solver_version, seconds=time.perf_counter() - t0,
                           message=h.modelStatusToString(h.getModelStatus()), info=info)
    return _final(lp, np.asarray(h.getSolution().col_value), info, gap, Status.OPTIMAL if optimal else None, t0,
                  options)


def _branch(lp: LinearProgram, start: RawSolution | None, gap: float, deadline: float | None,
            options: dict | None, info: dict):
    """Step 3: HiGHS's branch and bound on ``lp`` from the incumbent ``start``; the HiGHS model after its run
    (``info`` gets its seconds, nodes and the best lower bound, the relaxation's or its own)."""
    t2 = time.perf_counter()
    h = highs_model(lp, time_limit=_remaining(deadline), options={"mip_rel_gap": gap, **(options or {})})
    whole = np.flatnonzero(lp.integer).astype(np.int32)
    h.changeColsIntegrality(whole.size, whole, np.full(whole.size, highspy.HighsVarType.kInteger))
    if start is not None:
        h.setSolution(lp.num_col, np.arange(lp.num_col, dtype=np.int32), start.x)
    h.run()
    mip = h.getInfo()
    bound = max(float(mip.mip_dual_bound), info["bound"])       # both are valid lower bounds
    info.update(branch_seconds=round(time.perf_counter() - t2, 4), nodes=int(mip.mip_node_count),
                bound=bound if np.isfinite(bound) else None)
    return h


def _classified(raw: RawSolution, info: dict, gap: float, status: Status | None, t0: float) -> RawSolution:
    """``raw`` (a linear program's plan, the decisions fixed) with its gap to ``info["bound"]`` and its status:
    optimal when HiGHS proved it (``status``) or the gap is within the gap asked, else time_limit."""
    proven = gap_of(float(raw.objective), info.get("bound"))
    raw.gap = proven
    raw.status = Status.OPTIMAL if (status == Status.OPTIMAL or (proven is not None and proven <= gap)) \
        else Status.TIME_LIMIT
    raw.info.update(info, gap_tolerance=gap, integer=True)
    raw.seconds = time.perf_counter() - t0
    return raw


def _final(lp: LinearProgram, x: np.ndarray, info: dict, gap: float, status: Status | None, t0: float,
           options: dict | None) -> RawSolution:
    """Step 4: the plan with the decisions of ``x`` fixed, solved as a linear program, and its gap."""
    h = highs_model(fixed(lp, x), time_limit=None, options=options)
    h.run()
    raw = collect(h, lp, time.perf_counter() - t0)
    if raw.status != Status.OPTIMAL:
        raise SolverError(f"HiGHS found an integer plan but not the linear program with its opening decisions "
                          f"fixed ({raw.status}); please report this scenario as a bug")
    return _classified(raw, info, gap, status, t0)


def lp_most(lp: LinearProgram) -> float | None:
    """The most new areas a year, read from the model's rows (None when there is no such row)."""
    block = lp.rows.get("max_new_areas")
    return None if block is None else float(lp.row_upper[block.start])


def solve_mip_pulp(lp: LinearProgram, *, gap: float, time_limit: float | None = None) -> RawSolution:
    """Solve the mixed-integer ``lp`` by CBC (through PuLP), then the linear program with its decisions fixed."""
    t0 = time.perf_counter()
    raw = solve_pulp(lp, time_limit=time_limit, gap=gap)
    if raw.x is None:
        return raw
    final = solve_pulp(fixed(lp, raw.x))
    if final.status != Status.OPTIMAL:
        raise SolverError(f"CBC found an integer plan but not the linear program with its opening decisions fixed "
                          f"({final.status}); please report this scenario as a bug")
    final.status = raw.status
    final.gap = raw.gap
    final.info.update(raw.info, gap_tolerance=gap, integer=True)
    final.seconds = time.perf_counter() - t0
    return final

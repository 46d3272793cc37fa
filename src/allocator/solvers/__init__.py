"""Solver backends. Each takes a :class:`~allocator.model.LinearProgram` and returns a :class:`RawSolution`.

``highs`` (highspy, the default) runs in-process. ``ortools`` (GLOP, Google's
own simplex) runs in a child interpreter (:mod:`allocator.solvers._ortools`):
OR-Tools and highspy bundle different HiGHS builds and have been seen to clash
when imported into one process, so ortools is imported only there. ``pulp``
(CBC) builds a PuLP model row by row: slow, meant for cross-checking and export.
"""

from __future__ import annotations

from allocator.errors import SolverError
from allocator.model import LinearProgram
from allocator.solvers._highs import solve_highs
from allocator.solvers._mip import DEFAULT_GAP, solve_mip_highs, solve_mip_pulp
from allocator.solvers._ortools import solve_ortools
from allocator.solvers._price_start import solve_price_start, wanted
from allocator.solvers._pulp import solve_pulp
from allocator.solvers.solution import RawSolution

__all__ = ["DEFAULT_GAP", "SOLVERS", "STARTS", "RawSolution", "solve_lp"]

SOLVERS = ("highs", "ortools", "pulp")
#: How the HiGHS backend starts on a model built from scenario data (see docs/performance.md):
#: ``auto`` the price-guided start from 4,000 areas up, ``prices`` always, ``cold`` never.
STARTS = ("auto", "prices", "cold")


def solve_lp(lp: LinearProgram, *, solver: str = "highs", time_limit: float | None = None,
             options: dict | None = None, data=None, start: str = "auto", gap: float = DEFAULT_GAP) -> RawSolution:
    """Solve ``lp`` with the named backend.

    ``data`` (the :class:`~allocator.data.ModelData` the model was built from) lets the HiGHS
    backend use the price-guided start (:mod:`allocator.solvers._price_start`) as ``start`` asks.
    A mixed-integer ``lp`` (opening decisions) is solved to the relative ``gap`` by
    :mod:`allocator.solvers._mip` (HiGHS or CBC; OR-Tools' GLOP solves linear programs only).
    """
    if start not in STARTS:
        raise SolverError(f"unknown start '{start}'; choose one of {', '.join(STARTS)}")
    if start == "prices" and (solver != "highs" or data is None):
        raise SolverError("the price-guided start needs the highs solver and the scenario's data")
    if lp.is_mip:
        return _solve_mip(lp, solver, time_limit, options, data, start, gap)
    if solver == "highs" and data is not None and start != "cold":
        if wanted(data, lp, start):
            return solve_price_start(data, lp, time_limit=time_limit, options=options)
    if solver == "highs":
        return solve_highs(lp, time_limit=time_limit, options=options)
    if solver == "ortools":
        return solve_ortools(lp, time_limit=time_limit)
    if solver == "pulp":
        return solve_pulp(lp, time_limit=time_limit)
    raise SolverError(f"unknown solver '{solver}'; choose one of {', '.join(SOLVERS)}")


def _solve_mip(lp: LinearProgram, solver: str, time_limit: float | None, options: dict | None, data, start: str,
               gap: float) -> RawSolution:
    """A mixed-integer ``lp`` by the named backend (:mod:`allocator.solvers._mip`)."""
    if solver == "highs":
        def relax(model: LinearProgram, seconds: float | None) -> RawSolution:
            return solve_lp(model, solver="highs", time_limit=seconds, options=options, data=data, start=start)
        return solve_mip_highs(lp, relax, gap=gap, time_limit=time_limit, options=options)
    if solver == "pulp":
        return solve_mip_pulp(lp, gap=gap, time_limit=time_limit)
    if solver == "ortools":
        raise SolverError("the scenario has opening decisions (min_open, open_cost, lead_time or "
                          "policy.max_new_areas), a mixed-integer program, and OR-Tools' GLOP solves linear "
                          "programs only: use --solver highs or --solver pulp")
    raise SolverError(f"unknown solver '{solver}'; choose one of {', '.join(SOLVERS)}")

"""HiGHS through highspy: the one place that sets HiGHS up and reads its result.

Every HiGHS model in allocator is made by :func:`highs_model` -- the solve (``solve_highs``), the
warm-started re-solves of sweeps (``allocator.warm``), the frontier, the price-guided start's
area plans and the MPS/LP export -- so that all of them are silent, seeded, pass the model in one
``passModel`` call and read HiGHS's status through one map (:data:`allocator.status.HIGHS`).
"""

from __future__ import annotations

import os
import sys
import time

import highspy
import numpy as np

from allocator.errors import SolverError
from allocator.model import LinearProgram
from allocator.solvers._fallback import at_limit, lagrangian_bound
from allocator.solvers.solution import RawSolution
from allocator.status import Status, from_highs


_QUIET = False

#: Above this many columns allocator changes one HiGHS default: the dual simplex prices with
#: Devex edge weights instead of choosing (dual steepest edge on this model). Measured in
#: benchmarks/RESULTS.md; the optimum is the same (checked in benchmarks/test_bench.py).
LARGE_MODEL_COLUMNS = 50_000
LARGE_MODEL_OPTIONS = {"simplex_dual_edge_weight_strategy": 1}
#: HiGHS's random seed, fixed so that a solve gives the same plan on every run.
RANDOM_SEED = 0


def new_highs():
    """A silent ``highspy.Highs``. HiGHS prints a banner to the C-level stdout on its
    first construction in a process; it is sent to /dev/null so that CLI output and
    piped CSV stay clean."""
    global _QUIET
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


def set_option(h, key: str, value) -> None:
    """Set one HiGHS option; an unknown name or a bad value is an error, not ignored."""
    if h.setOptionValue(key, value) == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS refused the option {key}={value!r} (unknown name or bad value)")


def set_time_limit(h, seconds: float | None) -> None:
    """The seconds HiGHS may run (``None``: no limit)."""
    if seconds is not None:
        set_option(h, "time_limit", float(seconds))


def highs_model(lp: LinearProgram, *, time_limit: float | None = None, options: dict | None = None,
                large_model: bool | None = None, basis: tuple[np.ndarray, np.ndarray] | None = None):
    """A silent, seeded ``highspy.Highs`` holding ``lp``, ready to ``run()``.

    ``large_model``: apply :data:`LARGE_MODEL_OPTIONS` (``None``: from
    :data:`LARGE_MODEL_COLUMNS` columns up, as measured for cold solves; ``True``/``False``:
    always/never). ``options`` (HiGHS options by name) come last and win. ``basis``: a starting
    basis as arrays of HiGHS basis codes (see :func:`set_basis`).
    """
    h = new_highs()
    set_option(h, "random_seed", RANDOM_SEED)
    set_time_limit(h, time_limit)
    if large_model or (large_model is None and lp.num_col >= LARGE_MODEL_COLUMNS):
        for key, value in LARGE_MODEL_OPTIONS.items():
            set_option(h, key, value)
    for key, value in (options or {}).items():
        set_option(h, key, value)
    if not pass_lp(h, lp):
        raise SolverError("HiGHS refused the model (passModel returned an error)")
    if basis is not None:
        set_basis(h, *basis)
    return h


def highs_bounds(v: np.ndarray) -> np.ndarray:
    """Bounds as HiGHS wants them: ±inf as ±``kHighsInf``, as floats."""
    inf = highspy.kHighsInf
    out = np.asarray(v, dtype=float).copy()
    out[np.isposinf(out)] = inf
    out[np.isneginf(out)] = -inf
    return out


def pass_arrays(h, c, A, col_lower, col_upper, row_lower, row_upper, offset: float = 0.0) -> bool:
    """Hand a CSR model to ``h`` in one ``passModel`` call (arrays, not a HighsLp filled field by field);
    False when HiGHS refuses it."""
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
    E = highspy.HighsBasisStatus
    code = np.array([E.kLower, E.kBasic, E.kUpper, E.kZero, E.kNonbasic], dtype=object)
    basis = highspy.HighsBasis()
    basis.col_status = code[col_status].tolist()
    basis.row_status = code[row_status].tolist()
    if h.setBasis(basis) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS refused the starting basis")


def collect(h, lp: LinearProgram, seconds: float) -> RawSolution:
    """A :class:`RawSolution` from a HiGHS model that has just run.

    At a limit HiGHS may hold a primal feasible point (never the dual simplex, which has none
    until the end): it is returned with status ``time_limit``, otherwise ``x`` is ``None``;
    ``info["bound"]`` is the valid lower bound HiGHS's duals give (``None`` if they give none).
    """
    ms = h.getModelStatus()
    status = from_highs(ms)
    info = h.getInfo()
    common = dict(solver="highs", solver_version=h.version() if hasattr(h, "version") else "unknown",
                  seconds=seconds, message=h.modelStatusToString(ms),
                  info={"simplex_iterations": int(info.simplex_iteration_count),
                        "ipm_iterations": int(info.ipm_iteration_count)})
    if status == Status.OPTIMAL:
        sol = h.getSolution()
        return RawSolution(status, np.asarray(sol.col_value), info.objective_function_value,
                           np.asarray(sol.row_dual), np.asarray(sol.col_dual), gap=0.0,
                           **{**common, "message": ""})
    if status != Status.TIME_LIMIT:
        return RawSolution(status, None, None, **common)
    sol = h.getSolution()
    common["info"]["bound"] = lagrangian_bound(lp, np.asarray(sol.row_dual)) if sol.dual_valid else None
    if info.primal_solution_status == 2:                  # kSolutionStatusFeasible
        x = np.asarray(sol.col_value)
        return RawSolution(status, x, float(lp.c @ x + lp.offset), **common)
    return RawSolution(status, None, None, **common)


def solve_highs(lp: LinearProgram, time_limit: float | None = None, options: dict | None = None,
                basis: tuple[np.ndarray, np.ndarray] | None = None,
                incumbent: np.ndarray | None = None) -> RawSolution:
    """Solve ``lp`` with HiGHS. When a limit stops HiGHS, the best feasible plan at hand is
    returned with status ``time_limit`` and its gap (:func:`allocator.solvers._fallback.at_limit`):
    HiGHS's own point, ``incumbent`` (the price-guided start's area plans) made feasible, or the
    always-feasible "nobody newly placed" plan."""
    start = time.perf_counter()
    h = highs_model(lp, time_limit=time_limit, options=options, basis=basis)
    h.run()
    raw = collect(h, lp, time.perf_counter() - start)
    if raw.status == Status.TIME_LIMIT:
        raw = at_limit(lp, raw, incumbent)
    return raw

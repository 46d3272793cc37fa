"""How a solve ended: one enum for every backend, and one map per backend into it.

The values are the strings the project has always written (``summary.json``'s ``status``, a
sweep's ``status`` column), and :class:`Status` is a :class:`enum.StrEnum`, so a status read
back from a file compares equal to its member (``"optimal" == Status.OPTIMAL``) and prints as
its value.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """The end of a solve (and, for sweep points, of the steps around it)."""

    OPTIMAL = "optimal"             # solved to the backend's optimality tolerances
    TIME_LIMIT = "time_limit"       # a time (or iteration) limit stopped the solver; a plan only if ``x`` is set
    INFEASIBLE = "infeasible"       # the hard rules conflict (or the backend cannot tell infeasible from unbounded)
    UNBOUNDED = "unbounded"         # the cost can fall without end: a bug in the model
    ERROR = "error"                 # the backend failed, or anything the maps below do not know
    NOT_SOLVED = "not_solved"       # not run (a warm start that did not apply)
    VERIFY_FAILED = "verify_failed"  # a sweep point whose plan failed the verifier
    INVALID = "invalid"             # a sweep point whose values make an invalid scenario


#: A relative optimality gap, proven against a valid lower bound, at or below this counts as
#: optimal: a plan stopped by the time limit with a gap above it is "not proven optimal"
#: (CLI exit code 8). HiGHS's own primal and dual feasibility tolerances are 1e-7.
GAP_TOLERANCE = 1e-6


def proven_optimal(status: str, gap: float | None) -> bool:
    """Whether a plan with this status and gap is optimal, or within :data:`GAP_TOLERANCE` of it."""
    if status == Status.OPTIMAL:
        return True
    return status == Status.TIME_LIMIT and gap is not None and gap <= GAP_TOLERANCE


#: HiGHS ``HighsModelStatus`` (by member name) -> :class:`Status`. An iteration limit or an
#: interrupt ends a run like the time limit: a plan if HiGHS has a primal feasible point.
HIGHS: dict[str, Status] = {
    "kOptimal": Status.OPTIMAL,
    "kInfeasible": Status.INFEASIBLE,
    "kUnboundedOrInfeasible": Status.INFEASIBLE,   # with presolve on, HiGHS says this of infeasible models
    "kUnbounded": Status.UNBOUNDED,
    "kTimeLimit": Status.TIME_LIMIT,
    "kIterationLimit": Status.TIME_LIMIT,
    "kInterrupt": Status.TIME_LIMIT,
    "kHighsInterrupt": Status.TIME_LIMIT,
}

#: OR-Tools ``model_builder.SolveStatus`` (by name) -> :class:`Status`.
ORTOOLS: dict[str, Status] = {
    "OPTIMAL": Status.OPTIMAL,
    "INFEASIBLE": Status.INFEASIBLE,
    "UNBOUNDED": Status.UNBOUNDED,
}
#: OR-Tools statuses that mean "stopped" when a time limit was given.
ORTOOLS_STOPPED = ("FEASIBLE", "ABNORMAL", "NOT_SOLVED")

#: PuLP ``LpStatus`` text (CBC) -> :class:`Status`.
PULP: dict[str, Status] = {
    "Optimal": Status.OPTIMAL,
    "Infeasible": Status.INFEASIBLE,
    "Unbounded": Status.UNBOUNDED,
}
#: PuLP statuses that mean "stopped" when a time limit was given.
PULP_STOPPED = ("Not Solved",)


def from_highs(model_status) -> Status:
    """A HiGHS ``HighsModelStatus`` as a :class:`Status` (:data:`HIGHS`; anything else is an error)."""
    return HIGHS.get(getattr(model_status, "name", str(model_status)), Status.ERROR)


def from_ortools(name: str, time_limit: float | None) -> Status:
    """An OR-Tools status name as a :class:`Status`; a stop under a time limit is ``time_limit``."""
    if time_limit is not None and name in ORTOOLS_STOPPED:
        return Status.TIME_LIMIT
    return ORTOOLS.get(name, Status.ERROR)


def from_pulp(name: str, time_limit: float | None) -> Status:
    """A PuLP status text as a :class:`Status`; a stop under a time limit is ``time_limit``."""
    if time_limit is not None and name in PULP_STOPPED:
        return Status.TIME_LIMIT
    return PULP.get(name, Status.ERROR)


__all__ = ["Status", "GAP_TOLERANCE", "proven_optimal", "from_highs", "from_ortools", "from_pulp"]

"""Statuses as one enum with one map per backend, and one module that sets HiGHS up (issue 12 item 5)."""

from __future__ import annotations

import json
import re

import highspy
import pytest

from allocator.solvers import solve_lp
from allocator.solvers._highs import highs_model
from allocator.status import Status, from_highs, from_ortools, from_pulp, proven_optimal
from tests.conftest import REPO

SRC = REPO / "src" / "allocator"


def test_values_are_the_strings_written_to_files() -> None:
    assert [s.value for s in Status] == ["optimal", "time_limit", "infeasible", "unbounded", "error", "not_solved",
                                         "verify_failed", "invalid"]
    assert json.dumps({"status": Status.TIME_LIMIT}) == '{"status": "time_limit"}'
    assert f"{Status.OPTIMAL}" == "optimal" and Status.OPTIMAL == "optimal"


def test_highs_map_covers_every_model_status() -> None:
    M = highspy.HighsModelStatus
    assert from_highs(M.kOptimal) == Status.OPTIMAL
    assert from_highs(M.kUnboundedOrInfeasible) == Status.INFEASIBLE
    assert from_highs(M.kUnbounded) == Status.UNBOUNDED
    assert from_highs(M.kTimeLimit) == from_highs(M.kIterationLimit) == Status.TIME_LIMIT
    assert from_highs(M.kSolveError) == from_highs(M.kModelEmpty) == Status.ERROR
    assert all(isinstance(from_highs(m), Status) for m in M.__members__.values())


def test_ortools_and_pulp_maps() -> None:
    assert from_ortools("OPTIMAL", None) == Status.OPTIMAL
    assert from_ortools("FEASIBLE", None) == Status.ERROR and from_ortools("FEASIBLE", 5.0) == Status.TIME_LIMIT
    assert from_ortools("INFEASIBLE", 5.0) == Status.INFEASIBLE
    assert from_pulp("Optimal", None) == Status.OPTIMAL and from_pulp("Unbounded", None) == Status.UNBOUNDED
    assert from_pulp("Not Solved", None) == Status.ERROR and from_pulp("Not Solved", 5.0) == Status.TIME_LIMIT


def test_proven_optimal() -> None:
    assert proven_optimal("optimal", 0.0) and proven_optimal(Status.TIME_LIMIT, 1e-9)
    assert not proven_optimal("time_limit", 0.02) and not proven_optimal("time_limit", None)


def test_no_status_compared_as_a_bare_string() -> None:
    """Every comparison of a status goes through Status, outside allocator/status.py."""
    values = "|".join(s.value for s in Status)
    pattern = re.compile(rf"(==|!=|\bin)\s*\(?\s*[\"']({values})[\"']|[\"']({values})[\"']\s*(==|!=)")
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py") if p.name != "status.py"
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line) and "``" not in line]
    assert found == []


def test_highs_is_set_up_in_one_module() -> None:
    """new_highs, setOptionValue and passModel appear only in solvers/_highs.py."""
    pattern = re.compile(r"new_highs\(|setOptionValue|passModel\(|pass_lp\(|pass_arrays\(")
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py") if p.name != "_highs.py"
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert found == []


def test_highs_model_refuses_an_unknown_option(example_scenario) -> None:
    """An option HiGHS does not know was ignored in silence."""
    from allocator.data import prepare
    from allocator.errors import SolverError
    from allocator.model import build_lp

    lp = build_lp(prepare(example_scenario))
    with pytest.raises(SolverError, match="simplex_strateggy"):
        highs_model(lp, options={"simplex_strateggy": 4})
    with pytest.raises(SolverError, match="simplex_strateggy"):
        solve_lp(lp, options={"simplex_strateggy": 4})

"""HiGHS, OR-Tools (GLOP, in a child process) and PuLP (CBC) agree, and each one's plan passes the verifier."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings

from allocator import InfeasibleError, Plan, Scenario, load_scenario, prepare, solve
from allocator.errors import SolverError
from allocator.model import build_lp
from allocator.verify import verify_plan
from tests.conftest import write_scenario, written_hotels
from tests.strategies import objectives_agree, random_scenario

BACKENDS = ("highs", "ortools", "pulp")
SOLVER_NAMES = {"highs": "highs", "ortools": "ortools-glop", "pulp": "pulp-cbc"}


def reverify(scenario: Scenario, plan: Plan) -> list[str]:
    n_a, n_t, n_h = plan.exact_stock.shape
    R = plan.allocations["stock"].to_numpy().reshape(n_a, n_t, n_h)
    return verify_plan(scenario, plan.exact_stock, plan.exact_contingency, plan.objective, R,
                       plan.trajectory["contingency"].to_numpy()[:, None], hotels=plan.exact_hotels,
                       whole_hotels=written_hotels(plan, n_a, n_t))


@pytest.mark.parametrize("backend", BACKENDS)
def test_example_objective_agrees_with_highs(backend: str, example_scenario: Scenario, example_plan: Plan) -> None:
    plan = solve(example_scenario, solver=backend)
    assert plan.status == "optimal"
    assert plan.summary["solver"] == SOLVER_NAMES[backend]
    assert plan.summary["solver_version"]
    assert objectives_agree(plan.objective, example_plan.objective), (plan.objective, example_plan.objective)
    assert reverify(example_scenario, plan) == []


@settings(max_examples=int(os.environ.get("BACKEND_EXAMPLES", "12")), deadline=None)   # three solvers: no time limit
@given(case=random_scenario(max_areas=6, max_years=3))
def test_backends_agree_on_random_scenarios(case: tuple[dict, list[dict]], tmp_path_factory: pytest.TempPathFactory) -> None:
    """Same generated scenario, three solvers: all infeasible, or all optimal with the same objective.

    An integer plan (opening decisions) is solved by HiGHS and CBC, each to the gap asked (0.1%): their
    objectives agree to that gap; OR-Tools (GLOP, linear programs only) refuses it with a SolverError.
    Few examples by default (OR-Tools runs in a child process, PuLP is slow); BACKEND_EXAMPLES=150
    for a longer run."""
    cfg, rows = case
    scenario = load_scenario(write_scenario(tmp_path_factory.mktemp("backend"), cfg, rows))
    integer = build_lp(prepare(scenario)).is_mip
    outcomes: dict[str, Plan | None] = {}
    for backend in BACKENDS:
        if integer and backend == "ortools":
            with pytest.raises(SolverError, match="GLOP solves linear programs only"):
                solve(scenario, solver=backend)
            continue
        try:
            outcomes[backend] = solve(scenario, solver=backend)
        except InfeasibleError:
            outcomes[backend] = None
    if outcomes["highs"] is None:
        assert all(p is None for p in outcomes.values()), {k: v is None for k, v in outcomes.items()}
        return
    base = outcomes["highs"]
    gap = base.summary.get("gap_tolerance", 0.0)
    assert ("gap_tolerance" in base.summary) == integer
    for backend, plan in outcomes.items():
        assert plan is not None, f"{backend} says infeasible, HiGHS solved it"
        assert objectives_agree(plan.objective, base.objective, gap), (backend, plan.objective, base.objective)
        assert reverify(scenario, plan) == []


@settings(max_examples=int(os.environ.get("BACKEND_EXAMPLES", "12")), deadline=None)
@given(case=random_scenario(max_areas=6, max_years=3, place=True))
def test_backends_agree_on_place_based_scenarios(case: tuple[dict, list[dict]],
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same with hotels by area in every scenario, and any of the pressure bases and protection."""
    test_backends_agree_on_random_scenarios.hypothesis.inner_test(case, tmp_path_factory)


@settings(max_examples=int(os.environ.get("BACKEND_EXAMPLES", "6")), deadline=None)
@given(case=random_scenario(max_areas=5, max_years=3, opening=True))
def test_backends_agree_on_integer_plans(case: tuple[dict, list[dict]], tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same with opening decisions in every scenario (an integer plan unless only lead times are drawn):
    HiGHS and CBC agree to the gap, OR-Tools refuses."""
    test_backends_agree_on_random_scenarios.hypothesis.inner_test(case, tmp_path_factory)

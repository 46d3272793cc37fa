"""The Python API for notebooks: tables with the documented columns, summary, variation in code, write/read."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import allocator
from allocator import InputError, OutputError, Plan, Scenario, load_scenario, read_plan, solve
from allocator.data import prepare
from allocator.model import build_lp
from allocator.solvers import solve_lp
from tests.conftest import EXAMPLE, UK_CENTRAL, area, config, load
from tests.stops import stop_at_once

ALLOCATION_COLUMNS = ["area_code", "area_name", "region", "year", "placements", "exits", "stock", "capacity",
                      "procured", "fair_share", "cap", "over_cap", "rate_per_10k"]   # exits: issue 13
EXPLAIN_COLUMNS = ["limited_by", "shadow_price"]        # issue 6: why is my number N
TRAJECTORY_COLUMNS = ["year", "need", "dispersed", "contingency", "placements", "accommodation_cost",
                      "contingency_cost", "procurement_cost", "void_places", "void_cost", "total_cost", "gini",
                      "max_rate_per_10k", "areas_over_cap", "areas_hosting", "areas_above_125pct",
                      "areas_above_150pct", "areas_above_200pct"]        # void_*, areas_above_*: issue 13
SUMMARY_KEYS = ["status", "objective", "solver", "solver_version", "build_seconds", "solve_seconds",
                "scenario_sha256", "versions"]


def test_the_notebook_import_and_call() -> None:
    from allocator import load_scenario as ls
    from allocator import solve as sv

    plan = sv(ls(EXAMPLE))
    assert isinstance(plan, Plan)
    assert isinstance(plan.allocations, pd.DataFrame)
    assert isinstance(plan.trajectory, pd.DataFrame)
    assert isinstance(plan.regions, pd.DataFrame)
    assert isinstance(plan.summary, dict)


def test_columns_with_funding(example_plan: Plan) -> None:
    """The example has a funding section, so both tables end with a funding column; it has hotels by
    area, so allocations.csv has the people in each area's hotels and its open places before it, and
    trajectory.csv the new contingency and the empty hotel places after the contingency."""
    assert list(example_plan.allocations.columns) == [*ALLOCATION_COLUMNS, "contingency", "hotel_places", "funding",
                                                      *EXPLAIN_COLUMNS]
    assert list(example_plan.trajectory.columns) == [*TRAJECTORY_COLUMNS[:4], "new_contingency", "empty_hotel_places",
                                                     *TRAJECTORY_COLUMNS[4:], "funding"]
    assert len(example_plan.allocations) == 12 * 5
    assert example_plan.trajectory["year"].tolist() == [2026, 2027, 2028, 2029, 2030]
    r = example_plan.regions
    assert list(r.columns) == ["region", "year", "position", "stock", "fair_share", "population", "rate_per_10k"]
    assert sorted(r["region"].unique()) == ["North", "South"] and len(r) == 2 * (1 + 5)   # the start and 5 years
    assert r.loc[r["position"] == "start", "year"].tolist() == [2025, 2025]


def test_columns_without_funding(tmp_path: Path) -> None:
    plan = solve(load(tmp_path, config([2026], [10]), [area("A", capacity=20), area("B", region="R2")]))
    assert list(plan.allocations.columns) == [*ALLOCATION_COLUMNS, *EXPLAIN_COLUMNS]
    assert list(plan.trajectory.columns) == TRAJECTORY_COLUMNS
    for column in ("placements", "exits", "stock", "capacity", "procured", "cap"):
        assert pd.api.types.is_integer_dtype(plan.allocations[column]), column
    assert plan.allocations["over_cap"].dtype == bool


def test_summary(example_scenario: Scenario, example_plan: Plan) -> None:
    s = example_plan.summary
    for key in SUMMARY_KEYS:
        assert key in s, key
    assert s["status"] == "optimal" == example_plan.status
    assert s["solver"] == "highs" and s["solver_version"]
    assert s["scenario_sha256"] == example_scenario.sha256 and len(s["scenario_sha256"]) == 64
    assert s["versions"]["allocator"] == allocator.__version__
    assert s["build_seconds"] >= 0 and s["solve_seconds"] >= 0
    assert math.isclose(s["objective"], example_plan.objective)
    assert "Example" in repr(example_plan)


def test_with_policy_changes_the_caps(example_scenario: Scenario, example_plan: Plan) -> None:
    """cluster_limit 250 instead of 200: every area's cap is floor(population / 250)."""
    varied = solve(example_scenario.with_policy(cluster_limit=250))
    caps = varied.allocations.groupby("area_code")["cap"].first()
    pop = example_scenario.areas.set_index("area_code")["population"]
    assert caps.to_dict() == {code: math.floor(pop[code] / 250) for code in pop.index}
    before = example_plan.allocations.groupby("area_code")["cap"].first()
    assert before.to_dict() == {code: math.floor(pop[code] / 200) for code in pop.index}
    assert varied.summary["scenario_sha256"] != example_plan.summary["scenario_sha256"]
    assert example_scenario.config.policy.cluster_limit == 200


def test_write_and_read_round_trip(tmp_path: Path, example_plan: Plan) -> None:
    out = example_plan.write(tmp_path / "plan")
    back = read_plan(out)
    pd.testing.assert_frame_equal(back.allocations, example_plan.allocations, check_dtype=False)
    pd.testing.assert_frame_equal(back.trajectory, example_plan.trajectory, check_dtype=False)
    pd.testing.assert_frame_equal(back.regions, example_plan.regions, check_dtype=False)
    assert back.summary == example_plan.summary
    assert back.allocations["area_code"].dtype == object or pd.api.types.is_string_dtype(back.allocations["area_code"])


def test_write_refuses_a_non_empty_folder(tmp_path: Path, example_plan: Plan) -> None:
    out = tmp_path / "plan"
    example_plan.write(out)
    (out / "extra.txt").write_text("x")
    with pytest.raises(OutputError, match="not empty"):
        example_plan.write(out)
    with pytest.raises(OutputError, match=r"holds files allocator did not write there \(extra.txt\)"):
        example_plan.write(out, force=True)               # force replaces only what allocator wrote
    assert (out / "extra.txt").exists()
    (out / "extra.txt").unlink()
    (out / "allocations.csv").write_text("old")
    example_plan.write(out, force=True)
    assert (out / "allocations.csv").read_text() != "old"


def test_read_plan_of_a_non_plan_folder(tmp_path: Path) -> None:
    """Reading is input, not output: a folder that is not a plan is exit 2 (InputError), naming what is missing."""
    with pytest.raises(InputError, match="missing allocations.csv") as info:
        read_plan(tmp_path)
    assert info.value.exit_code == 2


def test_cohort_tables_have_a_cohort_column(tmp_path: Path) -> None:
    cfg = config([2026], [10], cohorts=[{"name": "single", "arrivals_share": 0.5},
                                         {"name": "family", "arrivals_share": 0.5}])
    row = area("A")
    for base in ("stock", "capacity", "procurement_per_year"):
        row.pop(base)
    row.update(stock_single=0, capacity_single=10, procurement_per_year_single=0,
               stock_family=0, capacity_family=10, procurement_per_year_family=0)
    plan = solve(load(tmp_path, cfg, [row]))
    cols = list(plan.allocations.columns)
    assert cols == [*ALLOCATION_COLUMNS[:4], "cohort", *ALLOCATION_COLUMNS[4:], *EXPLAIN_COLUMNS]
    assert plan.allocations["cohort"].tolist() == ["single", "family"]


def test_load_scenario_accepts_a_folder_or_a_yaml_file() -> None:
    a = load_scenario(EXAMPLE)
    b = load_scenario(EXAMPLE / "scenario.yaml")
    assert a.sha256 == b.sha256


# --------------------------------------------------------------------------- time limits (issue 11 A5)
def test_time_limit_with_only_nobody_newly_placed_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    """solve() used to return the "nobody newly placed" plan as if it were a plan."""
    sc = load_scenario(UK_CENTRAL)
    stop_at_once(monkeypatch)
    with pytest.raises(allocator.TimeLimitError, match="nobody new"):
        solve(sc, time_limit=60)
    plan = solve(sc, time_limit=60, keep_trivial=True)
    assert plan.status == allocator.Status.TIME_LIMIT and plan.summary["incumbent"] == "nobody_new"
    assert plan.summary["gap"] > 0.5


def test_an_optimal_plan_has_no_incumbent_key(example_plan: Plan) -> None:
    """summary.json of an optimal plan is unchanged: the incumbent is said only for time_limit plans."""
    assert example_plan.status == "optimal" and "incumbent" not in example_plan.summary
    assert allocator.status.proven_optimal(example_plan.status, example_plan.summary["gap"])


def test_the_solvers_own_point_at_a_limit_has_a_gap_to_a_valid_bound() -> None:
    """HiGHS stopped in the primal simplex's second phase (a primal feasible point): that plan is
    returned with its gap, which was None (HiGHS's dual bound is not valid mid-way)."""
    sc = load_scenario(UK_CENTRAL)
    primal = {"simplex_strategy": 4, "presolve": "off"}
    full = solve(sc, options=primal)
    iterations = solve_lp(build_lp(prepare(sc)), options=primal).info["simplex_iterations"]
    plan = solve(sc, options={**primal, "simplex_iteration_limit": iterations - 10})
    assert plan.status == "time_limit" and plan.summary["incumbent"] == "solver"
    gap = plan.summary["gap"]
    assert gap is not None and 0 < gap < 1
    assert plan.objective >= full.objective
    assert (plan.objective - full.objective) / plan.objective <= gap

"""Opening new areas (issue 16): hand-solved integer plans, the verifier's rules, bad input.

Conventions as in tests/test_hand_solved.py: need_t = (1-e) need_{t-1} + arrivals_t; hotels £50,000 a
person-year unless said; every area's place costs £5,000 unless said. A *new* area hosts nobody now.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import event, given

from allocator import InfeasibleError, ScenarioError, load_scenario, prepare, rounding, solve
from allocator.cli import cli
from allocator.errors import EXIT_SCENARIO, EXIT_SOLVER, SolverError
from allocator.frontier import equity_lp
from allocator.model import build_lp
from allocator.rounding import whole_plan
from allocator.solvers import _mip, solve_lp
from allocator.verify import verify_plan
from allocator.warm import WarmSolver
from tests.conftest import EXAMPLE, area, assert_close, config, exact, load, write_scenario, written
from tests.strategies import objectives_agree, opening_rules_hold, random_scenario


def new_area(tmp_path: Path, arrivals: float, open_cost: float):
    """One new area A (capacity 100, £5,000 a place) and nobody else; one year, nobody in hotels now:
    the need is the year's arrivals. Open, each person placed saves £50,000 - £5,000 = £45,000."""
    return load(tmp_path, config([2026], [arrivals]), [area("A", capacity=100, open_cost=open_cost)])


@pytest.mark.parametrize("arrivals, open_cost, opens", [
    (100, 4_400_000, True),      # 100 people save £4.5m, more than £4.4m
    (100, 4_600_000, False),     # ... less than £4.6m
    (10, 400_000, True),         # 10 people save £450,000
    (10, 4_400_000, False),      # the same set-up cost as the first case, too little volume to pay it
])
def test_an_area_opens_only_when_its_volume_pays_its_set_up_cost(tmp_path: Path, arrivals: float, open_cost: float,
                                                                 opens: bool) -> None:
    sc = new_area(tmp_path, arrivals, open_cost)
    plan = solve(sc)
    if opens:
        assert_close(exact(plan, sc, "A"), [arrivals])
        assert plan.objective == pytest.approx(arrivals * 5_000 + open_cost, rel=1e-9)
        assert plan.summary["opened"] == [{"area_code": "A", "area_name": "Area A", "year": 2026,
                                           "people": int(arrivals)}]
        assert "opened" in written(plan, "A", "limited_by")[0].split("; ")
    else:
        assert_close(exact(plan, sc, "A"), [0])
        assert plan.objective == pytest.approx(arrivals * 50_000, rel=1e-9)
        assert plan.summary["opened"] == []
        assert written(plan, "A", "limited_by") == ["not worth opening"]
    assert plan.summary["status"] == "optimal" and plan.summary["gap"] <= plan.summary["gap_tolerance"] == 1e-3


@pytest.mark.parametrize("capacity, arrivals, opens", [(15, 30, False), (25, 30, True), (25, 12, False)])
def test_an_area_that_cannot_reach_its_minimum_stays_closed(tmp_path: Path, capacity: float, arrivals: float,
                                                            opens: bool) -> None:
    """A new, capacity as given, min_open 20, no set-up cost. 15 bed spaces, or 12 people to place, cannot
    reach 20: A stays closed and everyone is in hotels. 25 bed spaces and 30 people: A takes 25."""
    sc = load(tmp_path, config([2026], [arrivals]), [area("A", capacity=capacity, min_open=20)])
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [25 if opens else 0])
    assert written(plan, "A", "limited_by") == (["capacity; opened"] if opens else ["below minimum size"])
    assert plan.objective == pytest.approx(25 * 5_000 + 5 * 50_000 if opens else arrivals * 50_000, rel=1e-9)


def test_min_open_keeps_an_area_hosting_people_at_its_minimum(tmp_path: Path) -> None:
    """B hosts 10 people now (e = 0.5: 5 stay), capacity 30, min_open 20: it is open, so it ends the year
    with at least 20 even though its places (£60,000) cost more than hotels (£50,000): 20, of whom 15 new."""
    sc = load(tmp_path, config([2026], [40]), [area("B", stock=10, capacity=30, cost=60_000, min_open=20)])
    plan = solve(sc)
    assert_close(exact(plan, sc, "B"), [20])
    assert plan.objective == pytest.approx(20 * 60_000 + 25 * 50_000, rel=1e-9)
    assert written(plan, "B", "limited_by") == ["at minimum size"]


def test_lead_time_delays_the_first_placements(tmp_path: Path) -> None:
    """A new, capacity 50, lead time 1 year; 40 arrive each year, e = 0.5. 2026: A hosts nobody (need 40,
    all in hotels). 2027: need 0.5·40 + 40 = 60; A takes 50."""
    sc = load(tmp_path, config([2026, 2027], [40, 40]), [area("A", capacity=50, lead_time=1)])
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [0, 50])
    assert written(plan, "A", "limited_by")[0] == "lead time"
    assert plan.objective == pytest.approx(40 * 50_000 + 50 * 5_000 + 10 * 50_000, rel=1e-9)
    assert "gap_tolerance" not in plan.summary          # a lead time alone keeps a linear program


def test_max_new_areas_binds(tmp_path: Path) -> None:
    """Three new areas of 10 places at £1,000, £2,000 and £3,000; e = 0: 30 arrive in 2026, nobody in
    2027; at most one new area a year. 2026: A opens (cheapest), 20 in hotels; 2027: B opens, 10 in
    hotels. Cost: 10·1,000 + 20·50,000 + 10·(1,000 + 2,000) + 10·50,000 = 1,540,000."""
    sc = load(tmp_path, config([2026, 2027], [30, 0], exit_rate=0.0, policy={"max_new_areas": 1}),
              [area("A", capacity=10, cost=1_000), area("B", capacity=10, cost=2_000),
               area("C", capacity=10, cost=3_000)])
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [10, 10])
    assert_close(exact(plan, sc, "B"), [0, 10])
    assert_close(exact(plan, sc, "C"), [0, 0])
    assert plan.objective == pytest.approx(1_540_000, rel=1e-9)
    assert written(plan, "C", "limited_by") == ["new areas limit", "new areas limit"]
    assert [r["year"] for r in plan.summary["opened"]] == [2026, 2027]


def test_the_whole_people_plan_keeps_the_opening_decisions(tmp_path: Path, monkeypatch) -> None:
    """Two cohorts (half the arrivals each), e = 0.5. A new area A (min_open 21) with 10.5 + 10.5 people in
    the exact plan, B (1 + 1 now) with 0.6 + 0.6: each cohort's whole total is 11 (of 11.1), so one of its
    two cells goes up. Largest remainder alone raises B's (0.6 > 0.5) and leaves A with 20, below its
    minimum; the rounding keeps A at 21 (B 1 + 0 or 0 + 1)."""
    cohorts = [{"name": "single", "arrivals_share": 0.5}, {"name": "family", "arrivals_share": 0.5}]
    sc = load(tmp_path, config([2026], [30], cohorts=cohorts),
              [cohort_row("A", 0, 11, min_open=21), cohort_row("B", 1, 1)])
    d = prepare(sc)
    S = np.array([[[10.5, 10.5]], [[0.6, 0.6]]])
    R = whole_plan(d, S)[0]
    assert R[0].sum() == 21 and R[1].sum() == 1
    monkeypatch.setattr(rounding, "whole_lower", lambda d, S, lower: lower)      # the rounding without the rule
    assert whole_plan(d, S)[0][0].sum() == 20


def cohort_row(code: str, stock: int, capacity: int, **extra) -> dict:
    """An area with ``stock`` people and ``capacity`` bed spaces in each of two cohorts, £2,000 a place."""
    r = area(code, **extra)
    for base in ("stock", "capacity", "procurement_per_year", "cost_per_place"):
        r.pop(base)
    for c in ("single", "family"):
        r.update({f"stock_{c}": stock, f"capacity_{c}": capacity, f"procurement_per_year_{c}": 0,
                  f"cost_per_place_{c}": 2_000})
    return r


# --------------------------------------------------------------------------- solvers
def example_with_openings(tmp_path: Path, **policy) -> object:
    """The example scenario with every area hosting nobody there given min_open 30 and open_cost £400,000."""
    sc = load_scenario(EXAMPLE)
    areas = sc.areas.copy()
    hosts_nobody = areas["stock"] == 0
    areas["min_open"] = np.where(hosts_nobody, 30.0, np.nan)
    areas["open_cost"] = np.where(hosts_nobody, 400_000.0, np.nan)
    sc = sc.with_areas(areas)
    return sc.with_policy(**policy) if policy else sc


@pytest.mark.parametrize("policy", [{}, {"max_new_areas": 1}], ids=["open", "one-a-year"])
def test_highs_and_cbc_agree_on_the_objective_to_the_gap(tmp_path: Path, policy: dict) -> None:
    sc = example_with_openings(tmp_path, **policy)
    highs, cbc = solve(sc), solve(sc, solver="pulp")
    assert highs.summary["gap_tolerance"] == cbc.summary["gap_tolerance"] == 1e-3
    assert abs(highs.objective - cbc.objective) <= 1e-3 * max(highs.objective, cbc.objective)


def test_the_price_guided_start_solves_the_relaxation(tmp_path: Path) -> None:
    sc = example_with_openings(tmp_path, max_new_areas=1)
    cold, warm = solve(sc, start="cold"), solve(sc, start="prices")
    assert warm.summary["solver_start"] == "prices"
    assert abs(warm.objective - cold.objective) <= 1e-3 * cold.objective


def test_ortools_refuses_an_integer_plan(tmp_path: Path) -> None:
    sc = example_with_openings(tmp_path)
    with pytest.raises(SolverError, match="OR-Tools' GLOP solves linear programs only"):
        solve(sc, solver="ortools")


def test_a_plan_above_the_gap_is_not_optimal(tmp_path: Path) -> None:
    """The last step of the integer solve: a plan whose gap to the branch and bound's lower bound is above
    the gap asked has status time_limit (exit 8 on the command line); within it, optimal."""
    sc = new_area(tmp_path, 100, 4_400_000)
    lp = build_lp(prepare(sc))
    x = solve_lp(lp).x
    value = 100 * 5_000 + 4_400_000
    above = _mip._final(lp, x, {"bound": value * 0.99}, 1e-3, None, 0.0, None)
    assert above.status == "time_limit" and above.gap == pytest.approx(0.01)
    within = _mip._final(lp, x, {"bound": value * 0.9995}, 1e-3, None, 0.0, None)
    assert within.status == "optimal" and within.gap == pytest.approx(5e-4)


# --------------------------------------------------------------------------- the verifier
def _plan_of(scenario, lp, d):
    raw = solve_lp(lp)
    assert raw.status == "optimal"
    n_a, n_t, n_h = d.shape
    return lp.value(raw.x, "stock").reshape(n_a, n_t, n_h), lp.value(raw.x, "contingency").reshape(n_t, n_h), raw


@pytest.mark.parametrize("rows, cfg, rule", [
    ([area("B", stock=10, capacity=30, cost=60_000, min_open=20)], config([2026], [40]), "min_open"),
    ([area("A", capacity=50, lead_time=1)], config([2026, 2027], [40, 40]), "lead_time"),
    ([area("A", capacity=10), area("B", capacity=10), area("C", capacity=10)],
     config([2026], [30], policy={"max_new_areas": 1}), "max_new_areas"),
    ([area("A", capacity=100, open_cost=400_000)], config([2026], [10]), "objective"),
])
def test_the_verifier_fails_a_plan_that_ignores_the_rule(tmp_path: Path, rows: list, cfg: dict, rule: str) -> None:
    """The same scenario without its opening columns gives a plan that breaks the rule the scenario sets."""
    sc = load(tmp_path, cfg, rows)
    bare = sc.with_areas(sc.areas.drop(columns=[c for c in ("min_open", "open_cost", "lead_time")
                                               if c in sc.areas.columns]))
    if rule == "max_new_areas":
        bare = bare.with_policy(max_new_areas=None)
    d = prepare(bare)
    S, C, raw = _plan_of(bare, build_lp(d), d)
    fails = verify_plan(sc, S, C, raw.objective)          # the bare plan's objective has no set-up cost
    assert any(f.startswith(f"{rule}:") for f in fails), fails


def test_the_verifier_checks_the_whole_people_decisions(tmp_path: Path) -> None:
    sc = load(tmp_path, config([2026], [30]), [area("A", capacity=25, min_open=20), area("B", capacity=10)])
    plan = solve(sc)
    R = plan.allocations["stock"].to_numpy().reshape(2, 1, 1).astype(np.int64)
    C = np.array([[30 - R.sum()]])
    assert verify_plan(sc, plan.exact_stock, plan.exact_contingency, plan.objective, R, C) == []
    small = R.copy()
    small[0, 0, 0] = 19                                       # A below its minimum in whole people
    fails = verify_plan(sc, plan.exact_stock, plan.exact_contingency, plan.objective, small, C + 1)
    assert any(f.startswith("whole people: min_open: A 2026") for f in fails), fails


# --------------------------------------------------------------------------- infeasible
def test_an_opening_size_beyond_an_areas_room_is_diagnosed(tmp_path: Path) -> None:
    """B hosts 10 now, capacity 15, min_open 20: it cannot keep 20 (exit 3); lowering its opening size by
    5 would do."""
    sc = load(tmp_path, config([2026], [40]), [area("B", stock=10, capacity=15, min_open=20)])
    with pytest.raises(InfeasibleError) as err:
        solve(sc)
    text = str(err.value)
    assert "lower the opening sizes" in text and "opening size 20 lowered to 15" in text


def test_a_lead_time_against_an_agreement_is_diagnosed(tmp_path: Path) -> None:
    cfg = config([2026, 2027], [40, 40], agreements=[{"area_code": "A", "year": 2026, "minimum": 10}])
    sc = load(tmp_path, cfg, [area("A", capacity=50, lead_time=1)])
    with pytest.raises(InfeasibleError) as err:
        solve(sc)
    text = str(err.value)
    assert "shorten lead times" in text and "allow 10 people before its lead time is over" in text


def test_too_few_new_areas_a_year_for_a_ceiling_is_diagnosed(tmp_path: Path) -> None:
    """Two new areas of 10 places, 20 arrive, a ceiling of 0 people in hotels, one new area a year."""
    cfg = config([2026], [20], policy={"max_new_areas": 1, "contingency_ceiling": {2026: 0}})
    sc = load(tmp_path, cfg, [area("A", capacity=10), area("B", capacity=10)])
    with pytest.raises(InfeasibleError) as err:
        solve(sc)
    text = str(err.value)
    assert "open more new areas a year" in text and "max_new_areas 2026: open 1 more new area(s)" in text


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("column, value, words", [
    ("min_open", -5, "must not be negative"),
    ("min_open", 2.5, "must be a whole number"),
    ("lead_time", -1, "must not be negative"),
    ("lead_time", 1.5, "must be a whole number"),
    ("open_cost", -100, "must not be negative"),
])
def test_bad_opening_cells_name_file_row_and_column(tmp_path: Path, column: str, value: float, words: str) -> None:
    path = write_scenario(tmp_path, config([2026], [10]), [area("A", capacity=10), area("B", capacity=10,
                                                                                      **{column: value})])
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    [issue] = err.value.issues
    assert (issue.file, issue.row, issue.field) == ("areas.csv", 3, column)
    assert words in issue.message
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == EXIT_SCENARIO and f"areas.csv, line 3 (area B), column '{column}'" in result.output


def test_a_lead_time_on_an_area_hosting_people_is_refused(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, config([2026], [10]), [area("A", capacity=10, lead_time=None),
                                                          area("B", stock=5, capacity=10, lead_time=2)])
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    [issue] = err.value.issues
    assert (issue.file, issue.row, issue.field) == ("areas.csv", 3, "lead_time")
    assert "hosts 5 people already" in issue.message


def test_max_new_areas_must_be_a_whole_number(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, config([2026], [10], policy={"max_new_areas": 1.5}), [area("A", capacity=10)])
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert any(i.field == "policy.max_new_areas" for i in err.value.issues)


# --------------------------------------------------------------------------- the command line
def test_solve_reports_the_gap_and_the_solver_choice(tmp_path: Path) -> None:
    path = write_scenario(tmp_path / "sc", config([2026], [100]), [area("A", capacity=100, open_cost=4_400_000)])
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(tmp_path / "out"), "--gap", "0.01"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == ("Integer plan (opening decisions): gap 0.000%, asked 1.000%; 1 new "
                                             "area(s) opened: Area A 2026; set-up costs £4,400,000 (not in the total "
                                             "cost below).")
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(tmp_path / "o2"), "--solver", "ortools"])
    assert result.exit_code == EXIT_SOLVER and "GLOP solves linear programs only" in result.output


# --------------------------------------------------------------------------- property: every feature together
#: a random scenario of tests/strategies.py (cohorts, agreements, ceilings, growth, place-based, a re-plan's
#: columns, ...) always with random opening columns (:func:`tests.strategies.openings`)
with_openings = random_scenario(max_areas=6, max_years=3, opening=True)


@given(case=with_openings)
def test_random_integer_plans_keep_every_rule(case: tuple[dict, list[dict]],
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    """Solved (verified: the verifier recomputes every rule) or infeasible with a diagnosis; written plans
    keep the opening rules in whole people; HiGHS and CBC agree on the objective to the gap."""
    cfg, rows = case
    root = tmp_path_factory.mktemp("open")
    scenario = load_scenario(write_scenario(root / "scenario", cfg, rows))
    try:
        plan = solve(scenario)
    except InfeasibleError as err:
        event("infeasible")
        assert err.relaxations, str(err)                  # a diagnosis, never "please report this as a bug"
        return
    event("integer plan" if "gap_tolerance" in plan.summary else "linear plan")
    opening_rules_hold(cfg, rows, pd.read_csv(plan.write(root / "plan") / "allocations.csv", dtype={"area_code": str},
                                             keep_default_na=False))
    if "gap_tolerance" in plan.summary:
        cbc = solve(scenario, solver="pulp")
        assert objectives_agree(cbc.objective, plan.objective, plan.summary["gap_tolerance"])


def test_policy_new_areas_gives_the_terms_of_every_area_hosting_nobody(tmp_path: Path) -> None:
    """policy.new_areas.open_cost £4.6m: A (100 people to place, saving £4.5m) stays closed; B's own cell
    (£4.4m) wins over the default; C hosts 10 people now (e = 0.5: 5 stay) and is not a new area: the
    default min_open 50 does not apply to it."""
    cfg = config([2026], [200], policy={"new_areas": {"open_cost": 4_600_000, "min_open": 50}})
    sc = load(tmp_path, cfg, [area("A", capacity=100), area("B", capacity=100, open_cost=4_400_000),
                              area("C", stock=10, capacity=10, cost=60_000)])
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [0])
    assert_close(exact(plan, sc, "B"), [100])
    assert_close(exact(plan, sc, "C"), [5])
    assert plan.objective == pytest.approx(100 * 5_000 + 4_400_000 + 5 * 60_000 + 100 * 50_000, rel=1e-9)


def test_branch_and_bound_improves_on_the_rounded_plan(tmp_path: Path) -> None:
    """Two cohorts: 100 singles and 900 families to place (1,000 arrive, shares 0.1 and 0.9). A new area A
    (set-up cost £4.4m) has 100 single places at £5,000 and 900 family places at £60,000 (dearer than
    hotels: never used). The relaxation opens A a tenth (its 100 singles of the 1,000 it could host),
    paying a tenth of £4.4m: bound 100 · 5,000 + 440,000 + 900 · 50,000 = £45.94m. Every rounding closes
    it (£50m), more than 0.1% above the bound; branch and bound opens it: 500,000 + 4.4m + 45m = £49.9m,
    and the decisions are fixed and the linear program solved again."""
    cohorts = [{"name": "single", "arrivals_share": 0.1}, {"name": "family", "arrivals_share": 0.9}]
    row = area("A", open_cost=4_400_000)
    for base in ("stock", "capacity", "procurement_per_year", "cost_per_place"):
        row.pop(base)
    row.update(stock_single=0, capacity_single=100, procurement_per_year_single=0, cost_per_place_single=5_000,
               stock_family=0, capacity_family=900, procurement_per_year_family=0, cost_per_place_family=60_000)
    sc = load(tmp_path, config([2026], [1_000], cohorts=cohorts), [row])
    d = prepare(sc)
    raw = solve_lp(build_lp(d), data=d)
    assert raw.status == "optimal" and raw.objective == pytest.approx(49_900_000, rel=1e-9)
    assert raw.info["rounded_objective"] == pytest.approx(50_000_000, rel=1e-9)
    assert raw.info["relaxation_objective"] == pytest.approx(45_940_000, rel=1e-9)
    assert "branch_seconds" in raw.info and raw.gap <= 1e-3
    assert solve(sc).objective == pytest.approx(49_900_000, rel=1e-9)          # and the plan verifies


def test_sweeps_solve_integer_points_cold_and_the_frontier_refuses(tmp_path: Path) -> None:
    """A sweep's warm start re-solves one linear program: an integer plan is solved cold (never its
    relaxation); the frontier, traced on one linear program, refuses with a clear message."""
    sc = new_area(tmp_path, 100, 4_400_000)
    lp = build_lp(prepare(sc))
    result = WarmSolver(lp).solve(lp)
    assert not result.warm and "integer plan" in result.note
    with pytest.raises(ScenarioError, match="the frontier is traced on linear plans"):
        equity_lp(sc)

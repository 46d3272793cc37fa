"""Whole people keep every rule the exact plan keeps (issue 11 A2-A4, issue 16 item 3).

Each case is a valid scenario whose written plan broke a rule before the rounding became exact
(``allocator.rounding.whole_people``): the numbers are worked out in each docstring. Conventions
as in tests/test_hand_solved.py: need_t = (1-e) need_{t-1} + arrivals_t, whole need = need
rounded (halves to even), whole contingency = whole need - whole dispersed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from allocator import InfeasibleError, load_scenario, prepare, solve
from allocator.cli import cli
from allocator.errors import EXIT_INFEASIBLE
from allocator.errors import VerificationError
from allocator.model import LinearProgram, LPBuilder
from allocator.rounding import _solve_binary, broken_rules, exact_rounding, fast_rounding, whole_people, whole_rules
from tests.conftest import area, assert_close, config, exact, load, write_scenario, written


def cohort_row(code: str, single: int, family: int, **extra) -> dict:
    """An area holding ``single`` singles and ``family`` families, capacity = stock, no procurement."""
    r = area(code, **extra)
    for base in ("stock", "capacity", "procurement_per_year", "cost_per_place"):
        r.pop(base)
    r.update(stock_single=single, capacity_single=single, procurement_per_year_single=0, cost_per_place_single=2_000,
             stock_family=family, capacity_family=family, procurement_per_year_family=0, cost_per_place_family=2_000)
    return r


def agreed(tmp_path: Path, agreement: str):
    """Issue 11 A2. Two areas, one year (2026), e = 0.5, no arrivals, nobody in hotels; cohorts single and
    family (half of arrivals each). A holds 9 singles and 11 families (capacity = stock), B 1 and 1.
    need: single 0.5·10 = 5, family 0.5·12 = 6. A's survivors are 4.5 + 5.5 = 10; B's 0.5 + 0.5, and
    B may keep at most what is left of the need: 0.5 each. Exact plan: A 4.5 / 5.5 (total 10),
    B 0.5 / 0.5, nobody in hotels."""
    cfg = config([2026], [0], exit_rate=0.5, hotel=50_000, agreements="agreements.csv",
                 cohorts=[{"name": "single", "arrivals_share": 0.5}, {"name": "family", "arrivals_share": 0.5}])
    path = write_scenario(tmp_path, cfg, [cohort_row("A", 9, 11), cohort_row("B", 1, 1)])
    (tmp_path / "agreements.csv").write_text("area_code,year,minimum,maximum,exact\n" + agreement + "\n",
                                             encoding="utf-8")
    return load_scenario(path)


@pytest.mark.parametrize("agreement", ["A,2026,,,10", "A,2026,,10,"], ids=["exact", "maximum"])
def test_cohorts_with_an_agreement_round_to_the_agreed_total(tmp_path: Path, agreement: str) -> None:
    """Whole people: every cell is .5, every total whole. A must hold exactly 10 (agreement): 4 + 6 or
    5 + 5; singles total 5 and families 6, so B takes the other cohort's person: A 4 / 6 with B 1 / 0,
    or A 5 / 5 with B 0 / 1. The greedy rounding rounded both of A's halves up (A = 11: exit 5)."""
    sc = agreed(tmp_path, agreement)
    plan = solve(sc)                                  # verified: raised VerificationError before
    assert_close(exact(plan, sc, "A", cohort=0), [4.5])
    assert_close(exact(plan, sc, "A", cohort=1), [5.5])
    got = {(r.area_code, r.cohort): r.stock for r in plan.allocations.itertuples()}
    assert got[("A", "single")] + got[("A", "family")] == 10
    assert got[("A", "single")] + got[("B", "single")] == 5
    assert got[("A", "family")] + got[("B", "family")] == 6
    assert got in ({("A", "single"): 4, ("A", "family"): 6, ("B", "single"): 1, ("B", "family"): 0},
                   {("A", "single"): 5, ("A", "family"): 5, ("B", "single"): 0, ("B", "family"): 1})
    assert plan.trajectory["contingency"].tolist() == [0]


def nobody_leaves(tmp_path: Path):
    """Issue 11 A3. e = 0: nobody leaves support. Three empty areas, growth limit 0.5 a year (absolute),
    a contingency ceiling of 0 both years, hotels £50,000; A and B cost £3,000, C £1,000.
    2026: arrivals 1.5, so need 1.5, all dispersed; each area may grow by 0.5 at most: A = B = C = 0.5.
    2027: arrivals 0.5, need 2.0, all dispersed; nobody leaves, so A and B keep their 0.5 and the new
    half goes to the cheapest, C: A = B = 0.5, C = 1.0."""
    cfg = config([2026, 2027], [1.5, 0.5], exit_rate=0.0, hotel=50_000,
                 policy={"max_growth": {"absolute": 0.5}, "contingency_ceiling": {2026: 0, 2027: 0}})
    rows = [area("A", cost=3_000, capacity=10), area("B", cost=3_000, capacity=10), area("C", cost=1_000, capacity=10)]
    return load(tmp_path, cfg, rows)


def test_nobody_leaves_so_nobody_is_rounded_away(tmp_path: Path) -> None:
    """Whole need: 2026 1.5 rounds to 2 (halves to even), 2027 2; ceiling 0, so 2 dispersed both years.
    2026: two of the three halves go up. 2027: C is 1 (exact), so one of A and B is 1. Nobody leaves,
    so an area that is 1 in 2026 must be 1 in 2027: C and one of A, B are 1 in both years.
    The year-by-year rounding gave A, B = 1, 1 in 2026 (ties to the first rows) and A, B, C = 1, 0, 1 in
    2027: B lost a person with nobody leaving (a forced move in the published plan)."""
    sc = nobody_leaves(tmp_path)
    plan = solve(sc)
    for code in "AB":
        assert_close(exact(plan, sc, code), [0.5, 0.5])
    assert_close(exact(plan, sc, "C"), [0.5, 1.0])
    stock = {code: written(plan, code) for code in "ABC"}
    assert stock["C"] == [1, 1]
    assert sorted([stock["A"], stock["B"]]) == [[0, 0], [1, 1]]
    assert plan.trajectory["contingency"].tolist() == [0, 0]


def test_growth_limit_kept_in_whole_people(tmp_path: Path) -> None:
    """Issue 11 A3, growth. e = 0, growth limit 1 person a year (absolute); A £1,000 and B £2,000 a place
    (capacity 10 each), hotels £50,000. 2026: 0.4 arrive, A takes them (A = 0.4). 2027: 1.2 arrive,
    need 1.6; A may grow to 0.4 + 1 = 1.4, B takes the other 0.2.
    Whole: 2026 need 0 (0.4 rounded), so A = 0. 2027 need 2: A is 1 or 2 and B 0 or 1, but A may grow
    by one person from its whole 0: A = 1, B = 1. The year-by-year rounding gave A the larger
    fraction (0.4 beats 0.2): A = 2, growing by 2."""
    cfg = config([2026, 2027], [0.4, 1.2], exit_rate=0.0, hotel=50_000, policy={"max_growth": {"absolute": 1}})
    sc = load(tmp_path, cfg, [area("A", cost=1_000, capacity=10), area("B", cost=2_000, capacity=10)])
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [0.4, 1.4])
    assert_close(exact(plan, sc, "B"), [0.0, 0.2])
    assert (written(plan, "A"), written(plan, "B")) == ([0, 1], [0, 1])


def test_a_fractional_ceiling_applies_as_its_whole_part(tmp_path: Path) -> None:
    """Issue 11 A4, the larger case. One area (capacity 200, £60,000 a place: dearer than a hotel at
    £50,000), one year, 187.6 arrivals, ceiling 87.4. People are whole: the ceiling allows 87.
    Exact plan: 187.6 - 87 = 100.6 in the area, 87 in hotels (was 100.2 and 87.4). Whole: need 188,
    dispersed 101 (100.6 rounded up, so that at most 87 stay in hotels), contingency 87 (was 88)."""
    cfg = config([2026], [187.6], hotel=50_000, policy={"contingency_ceiling": {2026: 87.4}})
    sc = load(tmp_path, cfg, [area("A", capacity=200, cost=60_000)])
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [100.6])
    assert_close(plan.exact_contingency[:, 0], [87.0])
    t = plan.trajectory
    assert (t["need"].item(), t["dispersed"].item(), t["contingency"].item()) == (188, 101, 87)


def test_a_ceiling_below_one_person_is_zero(tmp_path: Path) -> None:
    """Issue 11 A4, the small case. One area with 10 places, 10.6 arrivals, ceiling 0.6: at most 0 people
    may stay in hotels, and 10.6 do not fit in 10 places: infeasible (exit 3), diagnosed as the
    ceiling (0.6 more places needed). Before, the exact plan kept 0.6 in hotels and the written
    plan 1 person, above the ceiling."""
    cfg = config([2026], [10.6], hotel=50_000, policy={"contingency_ceiling": {2026: 0.6}})
    path = write_scenario(tmp_path, cfg, [area("A", capacity=10, cost=4_000)])
    with pytest.raises(InfeasibleError) as err:
        solve(load_scenario(path))
    (short,) = [r for r in err.value.relaxations if r["option"] == "ceiling"]
    assert short["ceiling"] == 0 and abs(short["places_short"] - 0.6) < 1e-6
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == EXIT_INFEASIBLE, result.output
    assert "contingency_ceiling 2026" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_integer_program_keeps_every_rule_where_the_fast_rounding_cannot(tmp_path: Path) -> None:
    """The A3 scenario, step by step: the fast year-by-year rounding breaks the survivors rule
    (its 2026 choice leaves 2027 no way to meet its total), the integer program repairs it, and
    the answer is the same on every run."""
    sc = nobody_leaves(tmp_path)
    plan = solve(sc)
    d = prepare(sc)
    w = whole_rules(d, plan.exact_stock)
    fast = fast_rounding(w)
    assert broken_rules(w, fast)
    repaired, located = exact_rounding(w, fast)
    assert located is None and broken_rules(w, repaired) == []
    assert np.array_equal(repaired, whole_people(d, plan.exact_stock))
    assert np.array_equal(whole_people(d, plan.exact_stock), whole_people(d, plan.exact_stock))


def _triangle(lower: float, upper: float, cost: float) -> LinearProgram:
    """Three 0/1 columns, each pair summing to within [lower, upper]: an odd cycle, not a network."""
    lp = LPBuilder()
    x = lp.add_variables("x", (3,), 0.0, 1.0, cost)
    pairs = np.array([[0, 1], [1, 2], [0, 2]])
    lp.add_rows("pairs", 3, [(np.arange(3)[:, None], x[pairs], 1.0)], lower, upper)
    return lp.build()


def test_a_fractional_relaxation_is_solved_as_an_integer_program() -> None:
    """Most whole-people models have whole linear relaxations; this one does not. Maximise
    x1 + x2 + x3 with each pair at most 1: the relaxation's optimum is 0.5 each (1.5), the whole
    optimum is one column at 1. With each pair exactly 1 there is no whole solution at all (the
    relaxation still has 0.5 each): the rounding says so instead of returning a fraction."""
    x = _solve_binary(_triangle(-np.inf, 1.0, -1.0))
    assert sorted(x.tolist()) == [0, 0, 1]
    with pytest.raises(VerificationError, match="no whole-people plan keeps every rule"):
        _solve_binary(_triangle(1.0, 1.0, 0.0))

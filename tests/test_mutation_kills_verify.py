"""The verifier, rule by rule, on a plan small enough to check on paper (issue 7, mutation testing).

Instance V is the base instance of tests/test_mutation_kills_model.py with contingency_start 12
(so the need is whole: need_2026 = 0.5·(40+12) + 100 = 126, need_2027 = 0.5·126 + 50 = 113):

* A: cap 75, capacity path 70, 80, survivors of today's 40: 20, 10;
* B: volunteered from 2027 (closed in 2026), capacity path 30 in 2027, cap 300;
* growth at most 20 + 1.5 × last year's stock; hotel ceiling 30 in 2027;
* objective weights: cost 2, contingency 3 (hotel £50,000), equity 0.

The good plan P: S_A = 70, 75; S_B = 0, 20; C = 126 - 70 = 56, 113 - 95 = 18. Every rule holds:
A's 75 is above its survivors 35, at its cap 75 and within its growth 20 + 1.5·70 = 125; B's 20
is within capacity 30 and growth 20 + 1.5·0 = 20; the hotels' 18 are under the ceiling 30.
Objective 2·4,000·(70+75) + 2·6,000·20 + 3·50,000·(56+18) = 1,160,000 + 240,000 + 11,100,000
= 12,500,000. The whole-people plan is the same numbers.

The tolerance is 1e-6 × the largest need (126): a value exactly at the tolerance passes, one
beyond it fails. Each test checks the exact message of the family it breaks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocator import solve
from allocator.scenario import Scenario
from allocator.verify import TOL, verify_plan
from tests.conftest import area, config, load, tiny_cohort_scenario as cohort_scenario
from tests.conftest import tiny_config as base_config, tiny_rows as base_rows

OBJECTIVE = 12_500_000.0
SCALE = 126.0


def v_config(**objective: float) -> dict:
    cfg = base_config(**objective)
    cfg["demand"]["contingency_start"] = 12
    return cfg


@pytest.fixture
def v(tmp_path: Path) -> Scenario:
    return load(tmp_path, v_config(), base_rows())


def plan() -> tuple[np.ndarray, np.ndarray]:
    S = np.array([[[70.0], [75.0]], [[0.0], [20.0]]])
    C = np.array([[56.0], [18.0]])
    return S, C


def whole(S: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.round(S).astype(np.int64), np.round(C).astype(np.int64)


def family(fails: list[str], prefix: str) -> list[str]:
    return [f for f in fails if f.startswith(prefix)]


def test_the_good_plan_passes(v: Scenario) -> None:
    S, C = plan()
    assert verify_plan(v, S, C, OBJECTIVE, *whole(S, C)) == []


# --------------------------------------------------------------------------- exact rules
def test_negative_stock(v: Scenario) -> None:
    """B 2027 at -0.5 (hotels take the difference): reported with six decimals. At exactly
    minus the tolerance it is accepted."""
    S, C = plan()
    S[1, 1, 0], C[1, 0] = -0.5, 38.5
    assert family(verify_plan(v, S, C, None), "stock negative") == ["stock negative: B 2027 all: -0.500000"]
    S[1, 1, 0] = -TOL * SCALE
    assert family(verify_plan(v, S, C, None), "stock negative") == []


def test_exit_decay(v: Scenario) -> None:
    """A 2027 may not fall below 0.5 × 70 = 35: at 30 it is reported; at 35 - tolerance it is accepted."""
    S, C = plan()
    S[0, 1, 0], C[1, 0] = 30, 63
    assert family(verify_plan(v, S, C, None), "exit_decay") == [
        "exit_decay: A 2027 all: stock 30.0000 below survivors 35.0000"]
    S[0, 1, 0] = 35.0 - TOL * SCALE
    assert family(verify_plan(v, S, C, None), "exit_decay") == []


def test_capacity_open_and_closed(v: Scenario) -> None:
    """A 2026 has 60 + 10 = 70 places: 71 is reported. B is closed in 2026, its room is its
    survivors (0): 1 there is reported. At 70 + tolerance A is accepted."""
    S, C = plan()
    S[0, 0, 0], S[1, 0, 0], C[0, 0] = 71, 1, 54
    assert family(verify_plan(v, S, C, None), "capacity") == [
        "capacity: A 2026 all: stock 71.0000 above 70.0000", "capacity: B 2026 all: stock 1.0000 above 0.0000"]
    S, C = plan()
    S[0, 0, 0] = 70 + TOL * SCALE
    assert family(verify_plan(v, S, C, None), "capacity") == []


def test_cluster_limit(v: Scenario) -> None:
    """A's cap is floor(15,000/200) = 75; its 2027 capacity 80 would allow 76, the cap does not."""
    S, C = plan()
    S[0, 1, 0], C[1, 0] = 76, 17
    assert family(verify_plan(v, S, C, None), "cluster_limit") == ["cluster_limit: A 2027: stock 76.0000 above 75.0000"]
    S[0, 1, 0] = 75 + TOL * SCALE
    assert family(verify_plan(v, S, C, None), "cluster_limit") == []


def test_max_growth(v: Scenario) -> None:
    """B grows by at most 20 + 1.5 × 0 = 20 in 2027 (capacity 30 would allow 25)."""
    S, C = plan()
    S[1, 1, 0], C[1, 0] = 25, 13
    assert family(verify_plan(v, S, C, None), "max_growth") == ["max_growth: B 2027: stock 25.0000 above 20.0000"]
    S[1, 1, 0] = 20 + TOL * SCALE
    assert family(verify_plan(v, S, C, None), "max_growth") == []


@pytest.mark.parametrize(("growth", "expected"), [
    ({"absolute": 2}, ["max_growth: A 2027: stock 75.0000 above 72.0000", "max_growth: B 2027: stock 20.0000 above 2.0000"]),
    ({"relative": 0.05}, ["max_growth: A 2027: stock 75.0000 above 73.5000", "max_growth: B 2027: stock 20.0000 above 0.0000"]),
    ({}, []),
])
def test_max_growth_with_one_part(tmp_path: Path, growth: dict, expected: list[str]) -> None:
    """Only an absolute part (2): A 2027 at most 70 + 2 = 72 (2026: 40 + 2 = 42 < 70 too:
    A 2026 fails first); only a relative part (5%): A 2027 at most 1.05 × 70 = 73.5, B 2027 at most
    1.05 × 0 = 0; an empty max_growth: no growth rule at all. (2026 rows are left out: only 2027 is compared.)"""
    cfg = v_config()
    cfg["policy"]["max_growth"] = growth
    S, C = plan()
    fails = [f for f in family(verify_plan(load(tmp_path, cfg, base_rows()), S, C, None), "max_growth") if " 2027:" in f]
    assert fails == expected


def test_agreements_exact_and_whole(v: Scenario) -> None:
    """Agreements: A 2027 at least 80 (the plan has 75), B 2027 at most 10 (the plan has 20).
    Both are reported for the exact plan and for the whole-people plan; A at 80 - tolerance and
    B at 10 + tolerance are accepted."""
    sc = v.with_agreements(pd.DataFrame({"area_code": ["A", "B"], "year": [2027, 2027],
                                         "minimum": [80.0, np.nan], "maximum": [np.nan, 10.0]}))
    S, C = plan()
    fails = verify_plan(sc, S, C, None, *whole(S, C))
    assert family(fails, "agreement") == ["agreement: A 2027: stock 75.0000 below the agreed 80",
                                          "agreement: B 2027: stock 20.0000 above the agreed 10"]
    assert family(fails, "whole people: agreement") == [
        "whole people: agreement A 2027: stock 75 outside [80, nan]",
        "whole people: agreement B 2027: stock 20 outside [nan, 10]"]
    S[0, 1, 0], S[1, 1, 0] = 80 - TOL * SCALE, 10 + TOL * SCALE
    assert family(verify_plan(sc, S, C, None), "agreement") == []


def test_agreements_that_hold(v: Scenario) -> None:
    """A 2027 at least 75 and B 2027 at most 20, met exactly: nothing reported."""
    sc = v.with_agreements(pd.DataFrame({"area_code": ["A", "B"], "year": [2027, 2027],
                                         "minimum": [75.0, np.nan], "maximum": [np.nan, 20.0]}))
    S, C = plan()
    assert verify_plan(sc, S, C, OBJECTIVE, *whole(S, C)) == []


def test_national_balance(v: Scenario) -> None:
    S, C = plan()
    C[1, 0] = 19
    assert family(verify_plan(v, S, C, None), "national_balance") == [
        "national_balance: 2027 all: dispersed + contingency - need = 1.000000"]


def test_negative_contingency(v: Scenario) -> None:
    S, C = plan()
    C[1, 0] = -1
    assert family(verify_plan(v, S, C, None), "contingency negative") == ["contingency negative: 2027 all: -1.000000"]
    C[1, 0] = -TOL * SCALE
    assert family(verify_plan(v, S, C, None), "contingency negative") == []


def test_contingency_ceiling(v: Scenario) -> None:
    S, C = plan()
    C[1, 0] = 31
    assert family(verify_plan(v, S, C, None), "contingency_ceiling") == ["contingency_ceiling: 2027: 31.0000 above 30"]
    C[1, 0] = 30 + TOL * SCALE
    assert family(verify_plan(v, S, C, None), "contingency_ceiling") == []


def test_tolerance_is_absolute_below_one_person(tmp_path: Path) -> None:
    """When the largest need is below one person the tolerance is 1e-6 people, not 1e-6 × need:
    one area, arrivals 0.5, a stock of -1.5e-6 is reported."""
    sc = load(tmp_path, config([2026], [0.5]), [area("A", capacity=5)])
    S, C = np.array([[[-1.5e-6]]]), np.array([[0.5 + 1.5e-6]])
    assert family(verify_plan(sc, S, C, None), "stock negative") == ["stock negative: A 2026 all: -0.000002"]


# --------------------------------------------------------------------------- objective
@pytest.mark.parametrize(("objective", "rows", "expected"), [
    # procurement at £1 a place, cost weight 2: procured = most ever above today's capacity:
    # A max(70, 75) - 60 = 15, B 20 - 0 = 20 → + 2 × 1 × 35 = 70.
    ({"procurement": 1}, None, OBJECTIVE + 70),
    # l1 with weight 0.5. 2026: only A open (share 1): |70 - 70| = 0. 2027: shares 0.2/0.8 of 95:
    # |75 - 19| + |20 - 76| = 112 → + 56.
    ({"equity_weight": 0.5, "equity_measure": "l1"}, None, OBJECTIVE + 56),
    # minmax with weight 7. 2026: top 70/1 = 70, national 70 → 0. 2027: top max(75/0.2, 20/0.8) = 375,
    # national 95 → 7 × 280 = 1,960.
    ({"equity_weight": 7, "equity_measure": "minmax"}, None, OBJECTIVE + 1_960),
    # fair-share column key: A 0.5, B 0 (open in 2027 but weightless). l1 weight 0.5: shares are
    # A 1, B 0 in both years: 2027 |75 - 95| + |20 - 0| = 40 → + 20.
    ({"equity_weight": 0.5, "equity_measure": "l1"}, "key", OBJECTIVE + 20),
    # the same weights with minmax 7: only A has a top rate, 75/1 = 75 in 2027, national 95 → 7 × (75 - 95).
    ({"equity_weight": 7, "equity_measure": "minmax"}, "key", OBJECTIVE - 140),
])
def test_objective_recomputed_by_hand(tmp_path: Path, objective: dict, rows: str | None, expected: float) -> None:
    cfg = v_config(**{k: w for k, w in objective.items() if k != "procurement"})
    if "procurement" in objective:
        cfg["costs"]["procurement_per_place"] = objective["procurement"]
    r = base_rows()
    if rows == "key":
        cfg["policy"]["fair_share"] = "key"
        r[0]["key"], r[1]["key"] = 0.5, 0
    sc = load(tmp_path, cfg, r)
    S, C = plan()
    assert verify_plan(sc, S, C, expected) == []
    assert family(verify_plan(sc, S, C, expected + 0.01 * abs(expected) + 1), "objective") != []


def test_objective_mismatch_message(v: Scenario) -> None:
    """2e-6 relative off (above the 1e-6 tolerance): reported with both values."""
    S, C = plan()
    assert verify_plan(v, S, C, OBJECTIVE * (1 + 2e-6)) == [
        "objective: recomputed 12500000.000000 differs from the solver's 12500025.000000"]
    assert family(verify_plan(v, S, C, float("nan")), "objective") != []


def test_objective_tolerance_is_absolute_near_zero(tmp_path: Path) -> None:
    """Every weight 0: the recomputed objective is 0. A solver's 1e-6 is within the tolerance
    (1e-6 × max(1, |objective|) = 1e-6, inclusive); 1.5e-6 is not."""
    sc = load(tmp_path, v_config(cost_weight=0, contingency_weight=0), base_rows())
    S, C = plan()
    assert verify_plan(sc, S, C, 1e-6) == []
    assert verify_plan(sc, S, C, 1.5e-6) == ["objective: recomputed 0.000000 differs from the solver's 0.000002"]


def test_minmax_objective_in_a_year_nobody_can_receive(tmp_path: Path) -> None:
    """V volunteered from 2027 and X excluded: in 2026 no area can receive anyone, so that year's
    minmax term is 0 (no top rate, nobody dispersed). e 0.5, arrivals 10, 10: need 10, 15.
    Plan: 2026 all 10 in hotels; 2027 V takes 15. Objective 1,000 × 15 + 50,000 × 10 = 515,000,
    plus 7 × (15/1 - 15) = 0 in 2027."""
    cfg = config([2026, 2027], [10, 10], hotel=50_000,
                 objective={"cost_weight": 1, "contingency_weight": 1, "equity_weight": 7, "equity_measure": "minmax"})
    rows = [area("V", population=100_000, procurement=50, cost=1_000, status="volunteered", available_from=2027),
            area("X", population=100_000, cost=1_000, status="excluded")]
    sc = load(tmp_path, cfg, rows)
    S = np.array([[[0.0], [15.0]], [[0.0], [0.0]]])
    C = np.array([[10.0], [0.0]])
    assert verify_plan(sc, S, C, 515_000) == []


# --------------------------------------------------------------------------- inherited stock
def test_excluded_area_keeps_only_its_survivors(tmp_path: Path) -> None:
    """An excluded area X with 4 people today (e 0.5) may hold its survivors 2, then 1, and no more:
    exact 3 in 2026 is over capacity; whole 3 is over its whole room ceil(2) = 2."""
    rows = base_rows() + [area("X", population=15_000, stock=4, capacity=4, status="excluded")]
    sc = load(tmp_path, v_config(), rows)       # need 0.5·(44+12) + 100 = 128, then 0.5·128 + 50 = 114
    S = np.array([[[70.0], [75.0]], [[0.0], [20.0]], [[2.0], [1.0]]])
    C = np.array([[56.0], [18.0]])
    R, Cint = whole(S, C)
    assert verify_plan(sc, S, C, None, R, Cint) == []
    S[2, 0, 0], C[0, 0] = 3.0, 55.0
    R, Cint = whole(S, C)
    fails = verify_plan(sc, S, C, None, R, Cint)
    assert family(fails, "capacity") == ["capacity: X 2026 all: stock 3.0000 above 2.0000"]
    assert family(fails, "whole people: X") == ["whole people: X 2026 stock 3 above capacity 2"]


def test_inherited_over_the_cap_may_stay(tmp_path: Path) -> None:
    """O: 2,000 residents (cap 10) but 40 people today (capacity 40), e 0.5: its limit is its survivors,
    20 then 10. Whole 20 and 10 pass; 21 is above the whole cluster cap 20 (and the exact 21 above 20)."""
    rows = base_rows() + [area("O", population=2_000, stock=40, capacity=40)]
    sc = load(tmp_path, v_config(), rows)       # need 0.5·(80+12) + 100 = 146, then 0.5·146 + 50 = 123
    S = np.array([[[70.0], [75.0]], [[0.0], [20.0]], [[20.0], [10.0]]])
    C = np.array([[56.0], [18.0]])
    assert verify_plan(sc, S, C, None, *whole(S, C)) == []
    S[2, 0, 0], C[0, 0] = 21.0, 55.0
    fails = verify_plan(sc, S, C, None, *whole(S, C))
    assert family(fails, "cluster_limit") == ["cluster_limit: O 2026: stock 21.0000 above 20.0000"]
    assert family(fails, "whole people: O") == ["whole people: O 2026 stock 21 above cluster cap 20"]


# --------------------------------------------------------------------------- whole people
def test_whole_people_negative_stock_and_capacity(v: Scenario) -> None:
    """Whole A 2026 = 71 is above its floor(70) places; whole B 2027 = -1 is negative (and a person
    or more from the exact 20 and 0... every cell one or more away is named)."""
    S, C = plan()
    R, Cint = whole(S, C)
    R[0, 0, 0] = 71
    R[1, 1, 0] = -1
    fails = verify_plan(v, S, C, None, R, Cint)
    assert "whole people: negative stock" in fails
    assert "whole people: A 2026 stock 71 above capacity 70" in fails
    assert "whole people: A 2026 stock 71 is a person or more from 70.0000" in fails
    assert "whole people: B 2027 stock -1 is a person or more from 20.0000" in fails


def test_whole_people_one_person_away(v: Scenario) -> None:
    """A whole value exactly one person from the exact one is "a person or more" away; half a person is not."""
    S, C = plan()
    R, Cint = whole(S, C)
    S[0, 1, 0], C[1, 0] = 74.0, 19.0          # exact A 2027 = 74, whole 75: one person apart
    assert "whole people: A 2027 stock 75 is a person or more from 74.0000" in verify_plan(v, S, C, None, R, Cint)
    S[0, 1, 0], C[1, 0] = 74.5, 18.5
    assert family(verify_plan(v, S, C, None, R, Cint), "whole people: A 2027") == []


def test_whole_total_at_the_ceiling_boundary(tmp_path: Path) -> None:
    """One area, one year, need 101.5 (whole 102), ceiling 50. The exact plan puts 51.5 - 1e-7 in the
    area (within tolerance of 101.5 - 50): rounded that is 51, which would leave 51 > 50 in hotels,
    so the whole total must be moved up to 102 - 50 = 52. A whole plan of 52 + 50 passes; 51 + 51 fails."""
    cfg = config([2026], [101.5], policy={"contingency_ceiling": {2026: 50}})
    sc = load(tmp_path, cfg, [area("A", capacity=200)])
    S, C = np.array([[[51.5 - 1e-7]]]), np.array([[50 + 1e-7]])
    assert verify_plan(sc, S, C, None, np.array([[[52]]]), np.array([[50]])) == []
    fails = verify_plan(sc, S, C, None, np.array([[[51]]]), np.array([[51]]))
    assert "whole people: national total 2026 is 51, expected 52" in fails
    assert "whole people: contingency 2026 is 51, above the ceiling 50" in fails


def test_whole_total_never_above_the_whole_need(tmp_path: Path) -> None:
    """Need 100.5 (whole: 100, rounding half to even). An exact plan a hair above it (100.5 + 1e-7 in the
    area, -1e-7 in hotels, both within tolerance) rounds to 101, but the whole total may not exceed the
    whole need: 100 passes, 101 fails."""
    sc = load(tmp_path, config([2026], [100.5]), [area("A", capacity=200)])
    S, C = np.array([[[100.5 + 1e-7]]]), np.array([[-1e-7]])
    assert verify_plan(sc, S, C, None, np.array([[[100]]]), np.array([[0]])) == []
    assert "whole people: national total 2026 is 101, expected 100" in \
        verify_plan(sc, S, C, None, np.array([[[101]]]), np.array([[0]]))


def test_whole_cohort_totals(tmp_path: Path) -> None:
    """Two cohorts (the instance of test_cohort_lp), solved. Moving one whole person in A 2026 from
    single to family keeps every national total but puts both cohort totals a person away."""
    sc = cohort_scenario(tmp_path)
    p = solve(sc)
    n_a, n_t, n_h = p.exact_stock.shape
    R = p.allocations["stock"].to_numpy().reshape(n_a, n_t, n_h).copy()
    S, C = p.exact_stock, p.exact_contingency
    R[0, 0, 0] -= 1
    R[0, 0, 1] += 1
    fails = verify_plan(sc, S, C, None, R, None)
    for h, name in enumerate(["single", "family"]):
        assert (f"whole people: cohort {name} total 2026 is {R.sum(axis=0)[0, h]}, "
                f"a person or more from {S.sum(axis=0)[0, h]:.4f}") in fails
    assert not family(fails, "whole people: national total")


def test_reports_stop_at_ten_per_rule(tmp_path: Path) -> None:
    """Twelve broken cells per rule are reported as ten (each list stays readable).

    Exact rules: twelve areas with no places, one person each in one year (capacity fails 12 times).
    Whole rules: one area (200 residents: cap 1, no places), twelve years, 3 whole people every year
    against an exact 0 (with everyone in hotels): far from exact, above capacity, above the cap, wrong
    national total, wrong cohort total and a broken whole balance, twelve times each.
    """
    cfg = config([2026], [12])
    sc = load(tmp_path / "areas", cfg, [area(f"A{i:02d}") for i in range(12)])
    S, C = np.ones((12, 1, 1)), np.zeros((1, 1))
    assert len(family(verify_plan(sc, S, C, None), "capacity:")) == 10

    years = list(range(2026, 2038))
    sc = load(tmp_path / "years", config(years, [0] * 12, contingency_start=10), [area("A", population=200)])
    need = 10 * 0.5 ** np.arange(1, 13)
    S, C = np.zeros((1, 12, 1)), need[:, None]
    R, Cint = np.full((1, 12, 1), 3, dtype=np.int64), np.zeros((12, 1), dtype=np.int64)
    fails = verify_plan(sc, S, C, None, R, Cint)
    assert len([f for f in fails if "is a person or more from" in f and "cohort" not in f]) == 10
    assert len([f for f in fails if "above capacity" in f]) == 10
    assert len([f for f in fails if "above cluster cap" in f]) == 10
    assert len(family(fails, "whole people: national total")) == 10
    assert len(family(fails, "whole people: cohort")) == 10
    assert len(family(fails, "whole people: national_balance")) == 10


def test_one_person_less_float_noise_is_still_a_person(v: Scenario) -> None:
    """The whole-people rules allow 1e-9 of rounding noise: a whole cell (and a cohort total) 1 - 1e-9
    from the exact value counts as a person away. Whole B 2026 = 0 against an exact 1 - 1e-9, with
    A 2026 at 0 in both plans so that the cohort total is the same 1 - 1e-9 apart."""
    S, C = plan()
    R, Cint = whole(S, C)
    S[0, 0, 0], R[0, 0, 0] = 0.0, 0
    S[1, 0, 0] = 1.0 - 1e-9
    fails = verify_plan(v, S, C, None, R, Cint)
    assert "whole people: B 2026 stock 0 is a person or more from 1.0000" in fails
    assert "whole people: cohort all total 2026 is 0, a person or more from 1.0000" in fails


def test_national_balance_at_the_tolerance(tmp_path: Path) -> None:
    """Nobody needs accommodation (no stock, no arrivals): the tolerance is 1e-6 people. One
    millionth of a person in hotels is accepted (at the tolerance, inclusive); two are reported."""
    sc = load(tmp_path, config([2026], [0]), [area("A", capacity=5)])
    S = np.zeros((1, 1, 1))
    assert verify_plan(sc, S, np.array([[TOL]]), None) == []
    assert verify_plan(sc, S, np.array([[2 * TOL]]), None) == [
        "national_balance: 2026 all: dispersed + contingency - need = 0.000002"]

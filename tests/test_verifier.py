"""The verifier must be able to fail: a good plan passes, each broken copy fails naming its rule.

The good plan is the bundled example (12 areas, 5 years, a volunteered and an excluded area,
an inherited over-cap area, growth limits, a hotel ceiling, hotels in two areas and a protected area). Each test breaks one rule
in a copy of its numbers and checks that ``verify_plan`` reports that family.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from allocator import Plan, Scenario, VerificationError, prepare, solve
from allocator.api import finish
from allocator.cli import cli
from allocator.errors import EXIT_VERIFY
from allocator.model import build_lp
from allocator.solvers import solve_lp
from allocator.verify import verify_plan
from allocator.place import Hotels
from tests.conftest import EXAMPLE, area, config, load, written_hotels
from tests.test_whole_people import nobody_leaves


@dataclasses.dataclass
class Numbers:
    S: np.ndarray
    C: np.ndarray
    objective: float
    R: np.ndarray
    Cint: np.ndarray
    H: Hotels | None = None          # the exact hotels by area (the example has them)
    Hint: Hotels | None = None       # and in whole people

    def check(self, scenario: Scenario) -> list[str]:
        return verify_plan(scenario, self.S, self.C, self.objective, self.R, self.Cint, hotels=self.H,
                           whole_hotels=self.Hint)


def _copy(h: Hotels) -> Hotels:
    return Hotels(h.located.copy(), h.places.copy(), h.new.copy())


def numbers(plan: Plan) -> Numbers:
    """A copy of a plan's exact and whole numbers, to check against a scenario."""
    n_a, n_t, n_h = plan.exact_stock.shape
    return Numbers(S=plan.exact_stock.copy(), C=plan.exact_contingency.copy(), objective=plan.objective,
                   R=plan.allocations["stock"].to_numpy().reshape(n_a, n_t, n_h).copy(),
                   Cint=plan.trajectory["contingency"].to_numpy()[:, None].copy(),
                   H=_copy(plan.exact_hotels), Hint=_copy(written_hotels(plan, n_a, n_t)))


@pytest.fixture
def good(example_scenario: Scenario, example_plan: Plan) -> Numbers:
    return numbers(example_plan)


def idx(scenario: Scenario, code: str) -> int:
    return scenario.areas["area_code"].tolist().index(code)


def assert_fails(fails: list[str], family: str) -> None:
    assert fails, "the verifier passed a broken plan"
    assert any(f.startswith(family) for f in fails), fails


def test_the_good_plan_passes(example_scenario: Scenario, good: Numbers) -> None:
    assert good.check(example_scenario) == []


def test_over_capacity(example_scenario: Scenario, good: Numbers) -> None:
    """S03 Oakfield: capacity 30 + 60 a year → 90 by the end of 2026; its cap is 130,000/200 = 650.
    Put 95 there (the extra from hotels, so the balance holds): capacity fails."""
    i = idx(example_scenario, "S03")
    delta = 95 - good.S[i, 0, 0]
    good.S[i, 0, 0] += delta
    good.C[0, 0] -= delta
    assert_fails(good.check(example_scenario), "capacity:")


def test_over_the_cluster_cap(example_scenario: Scenario, good: Numbers) -> None:
    """N01 Riverside: 98,000 residents → cap 490; in 2027 its capacity path is 450 + 2·60 = 570.
    Put 520 there (balanced from hotels): cluster_limit fails."""
    i = idx(example_scenario, "N01")
    delta = 520 - good.S[i, 1, 0]
    good.S[i, 1, 0] += delta
    good.C[1, 0] -= delta
    assert_fails(good.check(example_scenario), "cluster_limit:")


def test_people_moved_out_breaks_the_decay(example_scenario: Scenario, good: Numbers) -> None:
    """N06 Northgate: stock may not fall below 0.65 × last year's. Halve its 2027 stock."""
    i = idx(example_scenario, "N06")
    delta = good.S[i, 1, 0] - 0.5 * good.S[i, 0, 0]
    good.S[i, 1, 0] -= delta
    good.C[1, 0] += delta
    assert_fails(good.check(example_scenario), "exit_decay:")


def test_growth_too_fast(example_scenario: Scenario, good: Numbers) -> None:
    """Growth is at most 60 + 0.5 × last year's stock: give S02 Kingsmead 61 more than that in 2026."""
    i = idx(example_scenario, "S02")
    most = 60 + 1.5 * 60
    delta = most + 1 - good.S[i, 0, 0]
    good.S[i, 0, 0] += delta
    good.C[0, 0] -= delta
    assert_fails(good.check(example_scenario), "max_growth:")


def test_national_balance_broken(example_scenario: Scenario, good: Numbers) -> None:
    good.C[2, 0] += 10
    assert_fails(good.check(example_scenario), "national_balance:")


def test_contingency_above_the_ceiling(example_scenario: Scenario, good: Numbers) -> None:
    """The 2030 ceiling is 200: move 250 people from dispersal (spread over areas) to hotels."""
    total = good.S[:, 4, 0].sum()
    good.S[:, 4, 0] *= (total - 250) / total
    good.C[4, 0] += 250
    assert_fails(good.check(example_scenario), "contingency_ceiling:")


def test_hotel_places_reopened(example_scenario: Scenario, good: Numbers) -> None:
    """S04 Harbourside's 600 hotel places: 533 open in 2026, none from 2027. Reopening 10 in 2028 fails."""
    i = idx(example_scenario, "S04")
    assert good.H.places[i, 0] > 0 and good.H.places[i, 1] == 0
    good.H.places[i, 2] = 10
    assert_fails(good.check(example_scenario), "hotel_places:")


def test_more_hotel_places_than_today(example_scenario: Scenario, good: Numbers) -> None:
    good.H.places[idx(example_scenario, "S04"), 0] = 601
    assert_fails(good.check(example_scenario), "hotel_places:")


def test_people_in_hotels_above_the_open_places(example_scenario: Scenario, good: Numbers) -> None:
    """N06 Northgate has closed its places in 2026 (nobody there); 5 people in them fail, and the split too."""
    i = idx(example_scenario, "N06")
    good.H.located[i, 0] = 5
    fails = good.check(example_scenario)
    assert_fails(fails, "hotel_use:")
    assert_fails(fails, "contingency_split:")


def test_whole_people_in_hotels_a_person_off(example_scenario: Scenario, good: Numbers) -> None:
    i = idx(example_scenario, "S04")
    good.Hint.located[i, 0] -= 1
    good.Hint.new[0] += 1
    assert_fails(good.check(example_scenario), "whole people: hotel_use")


def test_protection_broken(example_scenario: Scenario, good: Numbers) -> None:
    """Cragdale (N05), protected with no new placements: 10 more people there in 2027 (out of contingency)."""
    i = idx(example_scenario, "N05")
    good.S[i, 1, 0] += 10
    good.C[1, 0] -= 10
    assert_fails(good.check(example_scenario), "protection:")


def test_wrong_objective(example_scenario: Scenario, good: Numbers) -> None:
    good.objective *= 1.0001
    assert_fails(good.check(example_scenario), "objective:")


def test_negative_stock(example_scenario: Scenario, good: Numbers) -> None:
    i = idx(example_scenario, "S06")
    good.S[i, 0, 0] = -1.0
    assert_fails(good.check(example_scenario), "stock negative:")


def test_whole_people_not_integers(example_scenario: Scenario, good: Numbers) -> None:
    good.R = good.R.astype(float)
    assert_fails(good.check(example_scenario), "whole people: stock is not whole numbers")


def test_whole_people_national_total_changed(example_scenario: Scenario, good: Numbers) -> None:
    """One more person in one area changes the year's whole national total."""
    good.R[idx(example_scenario, "N02"), 3, 0] += 1
    assert_fails(good.check(example_scenario), "whole people: national total")


def test_whole_people_moved_between_areas(example_scenario: Scenario, good: Numbers) -> None:
    """Move 5 whole people from N04 to N02 in 2028: the total holds but both are 5 from the exact plan."""
    good.R[idx(example_scenario, "N04"), 2, 0] -= 5
    good.R[idx(example_scenario, "N02"), 2, 0] += 5
    assert_fails(good.check(example_scenario), "whole people: N04 2028")


def test_whole_people_above_the_ceiling(example_scenario: Scenario, good: Numbers) -> None:
    good.Cint[4, 0] = 201
    assert_fails(good.check(example_scenario), "whole people: contingency 2030")


def test_whole_people_negative_contingency(example_scenario: Scenario, good: Numbers) -> None:
    good.Cint[1, 0] = -1
    assert_fails(good.check(example_scenario), "whole people: negative contingency")


def test_whole_people_balance(example_scenario: Scenario, good: Numbers) -> None:
    good.Cint[0, 0] += 1
    assert_fails(good.check(example_scenario), "whole people: national_balance")


@pytest.mark.parametrize(("field", "family"), [("cluster_cap", "cluster_limit:"), ("capacity_path", "capacity:")])
def test_a_model_built_from_wrong_data_is_caught(example_scenario: Scenario, field: str, family: str) -> None:
    """The verifier recomputes the rules from the scenario, not from the model's arrays: an LP built
    from data with every cap (or capacity) raised by 500 yields a plan that fails verification."""
    d = prepare(example_scenario)
    wrong = dataclasses.replace(d, **{field: getattr(d, field) + 500})
    lp = build_lp(wrong)
    raw = solve_lp(lp)
    assert raw.status == "optimal"
    with pytest.raises(VerificationError) as err:
        finish(example_scenario, wrong, lp, raw, build_seconds=0, solve_seconds=0)
    assert any(f.startswith(family) for f in err.value.failures), err.value.failures


def test_a_failing_plan_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the verifier fails, solve raises, the CLI exits 5 and the output folder is not created."""
    import allocator.api

    monkeypatch.setattr(allocator.api, "verify_plan", lambda *a, **k: ["capacity: made up for the test"])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["solve", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == EXIT_VERIFY == 5
    assert "capacity: made up for the test" in result.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- whole people: rules linking years
def test_whole_people_moved_out(example_scenario: Scenario, good: Numbers) -> None:
    """N06 Northgate keeps at least 0.65 × last year's whole people: halve its whole 2027 stock."""
    i = idx(example_scenario, "N06")
    good.R[i, 1, 0] = good.R[i, 0, 0] // 2
    assert_fails(good.check(example_scenario), "whole people: exit_decay N06 2027")


def test_whole_people_grew_too_fast(example_scenario: Scenario, good: Numbers) -> None:
    """S02 Kingsmead grows by at most 60 + 0.5 × its 60 people today: 151 whole people in 2026 is too many."""
    good.R[idx(example_scenario, "S02"), 0, 0] = 151
    assert_fails(good.check(example_scenario), "whole people: max_growth S02 2026")


def test_a_person_rounded_away_with_nobody_leaving(tmp_path: Path) -> None:
    """The scenario of tests/test_whole_people.py::test_nobody_leaves_so_nobody_is_rounded_away (exit rate
    0; exact A, B, C = 0.5 each in 2026 and 0.5, 0.5, 1.0 in 2027). The old rounding's plan, A, B, C =
    1, 1, 0 then 1, 0, 1, is within a person of the exact plan in every cell and keeps every total,
    but B loses a person with nobody leaving: only the survivors rule catches it."""
    sc = nobody_leaves(tmp_path)
    plan = solve(sc)
    R = np.array([[[1], [1]], [[1], [0]], [[0], [1]]])
    Cint = np.zeros((2, 1), dtype=np.int64)
    fails = verify_plan(sc, plan.exact_stock, plan.exact_contingency, plan.objective, R, Cint)
    assert fails == ["whole people: exit_decay B 2027 all: stock 0 below last year's 1 less exits (1): "
                     "a person moved out"]


def test_whole_growth_beyond_the_limit(tmp_path: Path) -> None:
    """tests/test_whole_people.py::test_growth_limit_kept_in_whole_people: exact A = 0.4 then 1.4, B 0 then
    0.2, growth at most 1 a year. The old rounding's A = 0 then 2 (B 0, 0) is within a person of
    every exact cell and keeps the totals; only the whole growth limit catches it."""
    cfg = config([2026, 2027], [0.4, 1.2], exit_rate=0.0, hotel=50_000, policy={"max_growth": {"absolute": 1}})
    sc = load(tmp_path, cfg, [area("A", cost=1_000, capacity=10), area("B", cost=2_000, capacity=10)])
    plan = solve(sc)
    R = np.array([[[0], [2]], [[0], [0]]])
    fails = verify_plan(sc, plan.exact_stock, plan.exact_contingency, plan.objective, R, np.zeros((2, 1), np.int64))
    assert fails == ["whole people: max_growth A 2027: stock 2 above 1"]


def test_a_fractional_ceiling_is_checked_as_its_whole_part(tmp_path: Path) -> None:
    """Ceiling 87.4: people are whole, so at most 87 may stay in hotels, in the exact plan and in the
    whole-people plan (tests/test_whole_people.py::test_a_fractional_ceiling_applies_as_its_whole_part:
    need 187.6, one area). The old plan, exact 100.2 / 87.4 and whole 100 / 88, fails both."""
    cfg = config([2026], [187.6], hotel=50_000, policy={"contingency_ceiling": {2026: 87.4}})
    sc = load(tmp_path, cfg, [area("A", capacity=200, cost=60_000)])
    S, C = np.array([[[100.2]]]), np.array([[87.4]])
    fails = verify_plan(sc, S, C, None, np.array([[[100]]]), np.array([[88]]))
    assert "contingency_ceiling: 2026: 87.4000 above 87.4 (whole people: 87)" in fails
    assert "whole people: contingency 2026 is 88, above the ceiling 87.4 (whole people: 87)" in fails
    assert "whole people: national total 2026 is 100, expected 101" in fails
    S, C = np.array([[[100.6]]]), np.array([[87.0]])
    assert verify_plan(sc, S, C, None, np.array([[[101]]]), np.array([[87]])) == []


def test_the_carried_columns_are_checked_from_the_scenario(tmp_path: Path) -> None:
    """over_cap_until and protect_level (what a re-plan carries from the previous plan's start) are read by the
    verifier itself: P (cap 50, 10 people, 20 hotel places) solved without them takes new people in 2026 (up to
    today's 10) and refills no higher than 10 in 2027; with them it takes nobody new in 2026 and refills to 30
    in 2027. Each plan checked against the other scenario fails, naming the rule."""
    cfg = config([2026, 2027], [15, 40], policy={"pressure_basis": "supported",
                                                 "protect": {"above_per_10k": 0, "rule": "no_net_growth"}})
    del cfg["demand"]["contingency_start"]
    cfg["costs"]["new_contingency_per_person_year"] = 90_000
    row = dict(population=10_000, stock=10, capacity=100, contingency=0, hotel_places=20, protect="true")
    plain = load(tmp_path / "plain", cfg, [area("P", **row)])
    carried = load(tmp_path / "carried", cfg, [area("P", **row, protect_level=30, over_cap_until=2026)])
    free, held = numbers(solve(plain)), numbers(solve(carried))
    assert free.R[0, 0, 0] == 10 and held.R[0, :, 0].tolist() == [5, 30]
    assert_fails(free.check(carried), "pressure_no_rise:")
    assert_fails(held.check(plain), "protection:")

"""The verifier must be able to fail: a good plan passes, each broken copy fails naming its rule.

The good plan is the bundled example (12 areas, 5 years, a volunteered and an excluded area,
an inherited over-cap area, growth limits and a hotel ceiling). Each test breaks one rule
in a copy of its numbers and checks that ``verify_plan`` reports that family.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from allocator import Plan, Scenario, VerificationError, prepare
from allocator.api import finish
from allocator.cli import cli
from allocator.errors import EXIT_VERIFY
from allocator.model import build_lp
from allocator.solvers import solve_lp
from allocator.verify import verify_plan
from tests.conftest import EXAMPLE


@dataclasses.dataclass
class Numbers:
    S: np.ndarray
    C: np.ndarray
    objective: float
    R: np.ndarray
    Cint: np.ndarray

    def check(self, scenario: Scenario) -> list[str]:
        return verify_plan(scenario, self.S, self.C, self.objective, self.R, self.Cint)


@pytest.fixture
def good(example_scenario: Scenario, example_plan: Plan) -> Numbers:
    n_a, n_t, n_h = example_plan.exact_stock.shape
    return Numbers(S=example_plan.exact_stock.copy(), C=example_plan.exact_contingency.copy(),
                   objective=example_plan.objective,
                   R=example_plan.allocations["stock"].to_numpy().reshape(n_a, n_t, n_h).copy(),
                   Cint=example_plan.trajectory["contingency"].to_numpy()[:, None].copy())


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


@pytest.mark.parametrize(("field", "family"), [("total_ub", "cluster_limit:"), ("stock_ub", "capacity:")])
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

"""The cost-equity frontier (epsilon-constraint) (issue 6)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from allocator import solve
from allocator.cli import cli
from allocator.fairness import on_basis
from allocator.frontier import compute_frontier, equity_lp
from tests.conftest import EXAMPLE


@pytest.fixture(scope="module")
def frontiers(example, central):
    return {("example", False): compute_frontier(example, points=9),
            ("example", True): compute_frontier(example, points=6, no_extra_hotels=True),
            ("central", False): compute_frontier(central, points=6),
            ("central", True): compute_frontier(central, points=6, no_extra_hotels=True)}


@pytest.mark.parametrize("key", [("example", False), ("example", True), ("central", False), ("central", True)])
def test_cost_never_falls_as_equity_tightens(frontiers, key):
    t = frontiers[key].table
    dev, cost = t["deviation"].to_numpy(), t["cost"].to_numpy()
    assert (np.diff(dev) < 0).all()                            # each step is fairer ...
    assert (np.diff(cost) >= -1e-6 * cost[0]).all()             # ... and costs at least as much
    assert (t["epsilon"] + 0.01 >= t["deviation"]).all()        # the epsilon row holds (the table has 2 decimals)
    # the LP's value is convex in epsilon: each step of fairness costs at least as much as the one before
    per_person = t["step_cost_per_person"].dropna().to_numpy()
    assert (np.diff(per_person) >= -1e-3 * np.abs(per_person).max()).all()


@pytest.mark.parametrize("which", ["example", "central"])
def test_endpoints_equal_the_single_objective_solves(frontiers, which, example, central):
    sc = {"example": example, "central": central}[which]
    t = frontiers[(which, False)].table
    cost_only = solve(sc.with_objective(equity_weight=0)).objective
    fairest = solve(sc.with_objective(cost_weight=0, contingency_weight=0, equity_weight=1), verify=False).objective
    assert t["cost"].iloc[0] == pytest.approx(cost_only, rel=1e-6)
    assert t["deviation"].iloc[-1] == pytest.approx(fairest, rel=1e-6, abs=5e-3)     # the table has 2 decimals


@pytest.mark.parametrize("which", ["example", "central"])
def test_the_scenario_itself_lies_on_the_frontier(frontiers, which, example, central):
    sc = {"example": example, "central": central}[which]
    f = frontiers[(which, False)]
    p = f.scenario_point
    w = sc.config.objective.equity_weight
    assert p["equity_weight"] == w
    # money + weight x unfairness is the scenario's own objective
    assert p["cost"] + w * p["deviation"] == pytest.approx(solve(sc).objective, rel=1e-6)
    t = f.table
    assert t["deviation"].iloc[-1] - 1e-6 <= p["deviation"] <= t["deviation"].iloc[0] + 1e-6
    # no frontier step is both cheaper and fairer than the scenario's plan
    dominated = (t["cost"] < p["cost"] * (1 - 1e-7)) & (t["deviation"] < p["deviation"] * (1 - 1e-7))
    assert not dominated.any()


@pytest.mark.parametrize("which", ["example", "central"])
def test_the_scenario_point_has_the_plans_own_figures(frontiers, which, example, central):
    """Trial 5 (b): the scenario's point was re-solved warm from the fairest step and could stop at another
    equally good plan (on central a dispersal Gini of 0.5395 against the plan's 0.5401); it is now solved as
    allocator solve solves the scenario, and gives its Gini on the plan's pressure basis and on dispersal."""
    sc = {"example": example, "central": central}[which]
    f = frontiers[(which, False)]
    p, traj = f.scenario_point, solve(sc).trajectory
    assert f.pressure_basis == ("supported" if which == "central" else "dispersal")
    assert p["gini_final_basis"] == on_basis(traj, "gini").iloc[-1]
    assert p["max_rate_per_10k_final_basis"] == on_basis(traj, "max_rate_per_10k").iloc[-1]
    assert (p["gini_final_dispersal"], p["max_rate_per_10k_final_dispersal"]) == (traj["gini"].iloc[-1],
                                                                                 traj["max_rate_per_10k"].iloc[-1])
    assert p["plan_total_cost"] == traj["total_cost"].sum()
    assert f.scenario_point == frontiers[(which, True)].scenario_point       # whatever the frontier's own limits


@pytest.mark.parametrize("which", ["example", "central"])
def test_the_ends_in_frontier_json_are_the_tables(frontiers, which, tmp_path):
    """Trial 5 (b): frontier.json's cost_only.cost was the money part without the LP's constant (784.6m on
    central, against the table's 2,810.7m for the same plan); both ends now give the cost as frontier.csv."""
    f = frontiers[(which, False)]
    meta = json.loads((f.write(tmp_path / "f") / "frontier.json").read_text())
    t = f.table
    assert meta["cost_only"]["cost"] == pytest.approx(t["cost"].iloc[0], rel=1e-9, abs=0.01)
    assert meta["fairest"]["cost"] == pytest.approx(t["cost"].iloc[-1], rel=1e-9, abs=0.01)
    assert meta["cost_only"]["deviation"] == pytest.approx(t["deviation"].iloc[0], abs=0.01)
    assert meta["pressure_basis"] == f.pressure_basis


def test_no_extra_hotels_keeps_hotel_use(frontiers):
    for which in ("example", "central"):
        t = frontiers[(which, True)].table
        assert (t["contingency_total"] <= t["contingency_total"].iloc[0] + len(t)).all()
        free = frontiers[(which, False)].table
        assert t["deviation"].iloc[-1] >= free["deviation"].iloc[-1] - 1e-6    # less room to be fair
        assert t["cost"].iloc[-1] <= free["cost"].iloc[-1] + 1e-6


def test_minmax_measure(example):
    f = compute_frontier(example.with_objective(equity_measure="minmax"), points=5)
    assert f.measure == "minmax"
    t = f.table
    assert (np.diff(t["cost"]) >= -1e-6).all() and (np.diff(t["deviation"]) < 0).all()
    fairest = solve(example.with_objective(cost_weight=0, contingency_weight=0, equity_weight=1,
                                           equity_measure="minmax"), verify=False).objective
    assert t["deviation"].iloc[-1] == pytest.approx(fairest, rel=1e-6, abs=5e-3)     # the table has 2 decimals


def test_epsilon_row_is_appended_not_built_in(example):
    e = equity_lp(example)
    assert e.lp.num_row == e.budget_row + 1 and e.eps_row == e.budget_row - 1
    assert list(e.lp.rows)[-2:] == ["epsilon", "budget"]
    assert e.equity[e.lp.variables["over"].slice].sum() == e.lp.variables["over"].size


def test_cli_frontier_writes_table_chart_and_json(tmp_path):
    result = CliRunner().invoke(cli, ["frontier", str(EXAMPLE), "--points", "4", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "The scenario itself" in result.output
    t = pd.read_csv(tmp_path / "frontier.csv")
    assert len(t) == 4 and {"deviation_per_year", "cost_per_year", "extra_cost_per_year",
                            "step_cost_per_person", "gini_final_basis", "gini_final_dispersal"} <= set(t.columns)
    assert (tmp_path / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = json.loads((tmp_path / "frontier.json").read_text())
    assert meta["measure"] == "l1" and meta["scenario_point"]["equity_weight"] == 3000


STEPS = [{"from": 1.0, "weight": 1}, {"from": 1.25, "weight": 3}, {"from": 1.5, "weight": 10}]


def test_progressive_measure(example):
    """Issue 13: the progressive measure's frontier; its deviation is the weighted person-years from the
    fair share (the measure's columns costed as at equity weight 1), and the scenario lies on it."""
    sc = example.with_objective(equity_measure="progressive", equity_steps=STEPS)
    f = compute_frontier(sc, points=5)
    assert f.measure == "progressive"
    t = f.table
    assert (np.diff(t["cost"]) >= -1e-6 * t["cost"].iloc[0]).all() and (np.diff(t["deviation"]) < 0).all()
    fairest = solve(sc.with_objective(cost_weight=0, contingency_weight=0, equity_weight=1), verify=False).objective
    assert t["deviation"].iloc[-1] == pytest.approx(fairest, rel=1e-6, abs=1e-3)
    p = f.scenario_point
    assert p["cost"] + 3000 * p["deviation"] == pytest.approx(solve(sc).objective, rel=1e-6)
    e = equity_lp(sc)
    assert e.equity[e.lp.variables["excess"].slice].tolist() == [2.0, 7.0] * (e.lp.variables["excess"].size // 2)


def test_cli_frontier_progressive_needs_steps(tmp_path):
    """--measure progressive on a scenario without equity_steps: exit 2 naming the key, nothing written."""
    result = CliRunner().invoke(cli, ["frontier", str(EXAMPLE), "--measure", "progressive",
                                      "--out", str(tmp_path / "f")])
    assert result.exit_code == 2, result.output
    assert "'objective.equity_steps'" in result.output and "needs equity_steps" in result.output
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize(("measure", "unit"), [
    ("l1", "people away from their fair share"),
    ("minmax", "people above an even spread at the top rate"),
    ("progressive", "person-years from the fair share, step-weighted")])
def test_the_chart_names_what_its_measure_counts(example, measure: str, unit: str, monkeypatch, tmp_path) -> None:
    """The chart's axis said "people above an even spread" for the progressive measure, which counts person-years
    away from the fair share weighted by the steps (sweep-basis helper's finding); each measure names its own."""
    from matplotlib.figure import Figure

    labels = []
    monkeypatch.setattr(Figure, "savefig", lambda fig, path, **kw: labels.append(fig.axes[0].get_xlabel()))
    steps = [{"from": 1.0, "weight": 1}, {"from": 1.5, "weight": 3}] if measure == "progressive" else None
    compute_frontier(example.with_objective(equity_measure=measure, equity_weight=100, equity_steps=steps), points=3,
                     measure=measure).plot(tmp_path / "f.png")
    assert labels == [f"Unfairness: {unit}, a year (thousands)"]

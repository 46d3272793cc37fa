"""``allocator replan`` (issue 15 item 2): a new plan for the years left, from the actual position.

* A re-plan keeps every agreement of the years left.
* With a large stability weight it changes no council whose previous numbers are still possible.
* A re-plan from an actual equal to the plan reproduces the plan (at its start, and at a year end).
* The change list, the previous plan's SHA-256, the scenario written beside the plan (solved again,
  the same plan), a date inside a year (the start moved on along the previous plan), bad input.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocator import load_scenario, solve
from allocator.errors import InputError
from allocator.plan import read_plan
from allocator.replan import replan
from tests.conftest import EXAMPLE, area, config, write_scenario

BIN = Path(sys.executable).parent / "allocator"


def stock(plan, years=None) -> pd.Series:
    a = plan.allocations
    if years is not None:
        a = a[a["year"].isin(years)]
    return a.groupby(["area_code", "year"])["stock"].sum()


def at_year_end(plan, year: int) -> pd.DataFrame:
    """The plan's own position at the end of ``year``, as an actual in the areas format."""
    a = plan.allocations[plan.allocations["year"] == year]
    first = a.groupby("area_code", sort=False)
    out = pd.DataFrame({"area_code": first.size().index, "stock": first["stock"].sum().to_numpy()})
    if "contingency" in a.columns:
        out["contingency"] = first["contingency"].first().to_numpy()
    return out


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    folder = tmp_path_factory.mktemp("example")
    return read_plan(solve(load_scenario(EXAMPLE)).write(folder / "plan")), load_scenario(EXAMPLE)


# --------------------------------------------------------------------------- reproduces the plan
def test_from_the_plans_own_start_the_plan_comes_back(example) -> None:
    plan, scenario = example
    r = replan(plan, scenario, plan.start[["area_code", "stock", "contingency"]], "2025-12-31")
    assert stock(r.plan).equals(stock(plan))
    assert r.plan.trajectory["contingency"].tolist() == plan.trajectory["contingency"].tolist()
    assert (r.changes["change"] == 0).all()


def test_from_a_year_end_equal_to_the_plan_the_plan_comes_back(example) -> None:
    plan, scenario = example
    r = replan(plan, scenario, at_year_end(plan, 2026), "2026-12-31")
    years = [2027, 2028, 2029, 2030]
    assert r.plan.trajectory["year"].tolist() == years
    assert stock(r.plan).equals(stock(plan, years))
    np.testing.assert_array_equal(r.plan.trajectory["contingency"], plan.trajectory["contingency"].iloc[1:])
    assert (r.changes["change"] == 0).all() and "No council's number changes." in r.markdown()


# --------------------------------------------------------------------------- agreements and stability
def small(folder: Path, agreements=None):
    """Four councils of a region, cost 4,000 to 7,000 a place; hotels dear (50,000): exit rate 0.5."""
    cfg = config([2026, 2027, 2028], [400, 400, 400], exit_rate=0.5, contingency_start=300,
                 objective={"equity_weight": 2_000}, agreements=agreements)
    if agreements is None:
        cfg.pop("agreements")
    rows = [area(c, stock=100, capacity=150, procurement=40, cost=cost, population=200_000)
            for c, cost in (("A", 4_000), ("B", 5_000), ("C", 6_000), ("D", 7_000))]
    sc = load_scenario(write_scenario(folder, cfg, rows))
    return read_plan(solve(sc).write(folder / "plan")), sc


def test_every_agreement_of_the_years_left_is_kept(tmp_path: Path) -> None:
    agreed = [{"area_code": "D", "year": 2027, "exact": 60}, {"area_code": "A", "year": 2028, "minimum": 170},
              {"area_code": "B", "year": 2026, "maximum": 150}]
    plan, sc = small(tmp_path, agreed)
    actual = at_year_end(plan, 2026).assign(stock=lambda t: t["stock"] + [40, -30, 25, 0])
    r = replan(plan, sc, actual, "2026-12-31", stability_weight=0)
    s = stock(r.plan)
    assert s[("D", 2027)] == 60 and s[("A", 2028)] >= 170
    assert set(r.plan.allocations["limited_by"][(r.plan.allocations["area_code"] == "D")
                                                & (r.plan.allocations["year"] == 2027)].str.contains("agreement"))
    assert any("1 agreement(s) of 2026" in n for n in r.notes)
    assert any("the agreement for B in 2026 (at most 150) was met" in n for n in r.notes)


def test_a_large_stability_weight_moves_only_councils_whose_plan_is_no_longer_possible(tmp_path: Path) -> None:
    """C has 120 more people than planned at the end of 2026: half of them are still there at the end of
    2027 (exit rate 0.5), above the previous plan's 2027 number, so C must change. Every other council's
    previous numbers are still possible (its start is as planned): none of them moves."""
    plan, sc = small(tmp_path)
    actual = at_year_end(plan, 2026)
    actual.loc[actual["area_code"] == "C", "stock"] += 120
    previous = stock(plan, [2027, 2028])
    assert previous[("C", 2027)] < 0.5 * int(actual.loc[actual["area_code"] == "C", "stock"].iloc[0])
    r = replan(plan, sc, actual, "2026-12-31", stability_weight=1e6)
    moved = r.changes[r.changes["change"] != 0]
    assert set(moved["area_code"]) == {"C"}
    free = replan(plan, sc, actual, "2026-12-31", stability_weight=0)
    assert set(free.changes.loc[free.changes["change"] != 0, "area_code"]) > {"C"}    # without it others move


# --------------------------------------------------------------------------- what is written
def test_the_folder_the_change_list_and_the_scenario(example, tmp_path: Path) -> None:
    plan, scenario = example
    actual = at_year_end(plan, 2026)
    actual.loc[actual["area_code"] == "S02", "stock"] -= 40
    r = subprocess.run([str(BIN), "replan", str(plan.folder), "--scenario", str(EXAMPLE), "--actual",
                        str(_csv(actual, tmp_path)), "--date", "2026-12-31", "--out", str(tmp_path / "new")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    new = read_plan(tmp_path / "new")
    assert new.summary["replan"]["previous_plan_sha256"] == plan.sha256()
    changes = pd.read_csv(tmp_path / "new" / "changes.csv")
    assert list(changes.columns) == ["area_code", "area_name", "region", "year", "previous", "new", "change", "why"]
    assert (changes["new"] - changes["previous"] == changes["change"]).all()
    assert sorted(p.name for p in (tmp_path / "new" / "scenario").iterdir()) == ["areas.csv", "previous.csv",
                                                                               "scenario.yaml"]
    again = subprocess.run([str(BIN), "solve", str(tmp_path / "new" / "scenario"), "--out", str(tmp_path / "again"),
                            "-q"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / "allocations.csv").read_bytes() == (tmp_path / "new" / "allocations.csv").read_bytes()


def _csv(table: pd.DataFrame, folder: Path) -> Path:
    path = folder / "actual.csv"
    table.to_csv(path, index=False)
    return path


def test_a_date_inside_a_year_moves_the_actual_on_along_the_previous_plan(tmp_path: Path) -> None:
    """31 Mar 2026: A has 90 people where the plan has 100 + 90/365 of its 2026 change; the new plan
    starts at 31 Dec 2026 from 90 plus the plan's change over the rest of 2026."""
    plan, sc = small(tmp_path)
    planned = stock(plan, [2026])
    actual = pd.DataFrame({"area_code": list("ABCD"), "stock": [90, 100, 100, 100]})
    r = replan(plan, sc, actual, "2026-03-31")
    start = pd.read_csv(io.BytesIO(r.files["areas.csv"])).set_index("area_code")["stock"]
    for code, now in zip("ABCD", (90, 100, 100, 100)):
        march = 100 + 90 / 365 * (planned[(code, 2026)] - 100)
        assert start[code] == round(max(now + planned[(code, 2026)] - march, 0))
    assert r.plan.trajectory["year"].tolist() == [2027, 2028]
    assert any("is inside 2026: the new plan starts at 31 Dec 2026" in n for n in r.notes)


@pytest.mark.parametrize(("when", "message"), [("2028-12-31", "leaves no year of the plan to re-plan"),
                                               ("2025-06-30", "outside the plan")])
def test_bad_dates(tmp_path: Path, when: str, message: str) -> None:
    plan, sc = small(tmp_path)
    with pytest.raises(InputError, match=message):
        replan(plan, sc, at_year_end(plan, 2026), when)


def test_a_scenario_of_other_areas_is_refused(example, tmp_path: Path) -> None:
    plan, _ = example
    _, other = small(tmp_path)
    with pytest.raises(InputError, match="the scenario's areas are not the plan's"):
        replan(plan, other, at_year_end(plan, 2026), "2026-12-31")


def test_hotels_by_area_need_the_actuals_contingency(example) -> None:
    plan, scenario = example
    with pytest.raises(InputError, match="must give each council's people in contingency"):
        replan(plan, scenario, at_year_end(plan, 2026).drop(columns="contingency"), "2026-12-31")

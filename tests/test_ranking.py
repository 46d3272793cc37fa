"""The start position in regions.csv and ranking councils (issue 11, D21), every figure by hand.

Plan P has three areas in two regions over 2026-2027 and two cohorts (single, family); the
funding column is the area's figure, repeated on both cohort rows (as allocations.csv has it):

====  ======  ==========  =====  ===============  ===============  ==============
area  region  population  start  2026 (s + f)     2027 (s + f)     funding 26, 27
====  ======  ==========  =====  ===============  ===============  ==============
X     R1      100,000     90     60 + 40 = 100    70 + 50 = 120    1,000, 2,000
Y     R1      50,000      60     30 + 20 = 50     25 + 15 = 40     5,000, 500
Z     R2      200,000     0      0                30 + 10 = 40     0, 1,500
====  ======  ==========  =====  ===============  ===============  ==============

change (2027 - start): X +30, Y -20, Z +40, so Z, X, Y.
rate at the end of 2027 per 10,000: X 120/10 = 12.0, Y 40/5 = 8.0, Z 40/20 = 2.0, so X, Y, Z.
funding over 2026-2027: X 3,000, Y 5,500, Z 1,500 (not twice that: one figure per area and year),
so Y, X, Z.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator import read_plan, solve
from allocator.cli import cli
from allocator.compare import compare_plans
from allocator.errors import ScenarioError
from allocator.plan import Plan
from allocator.ranking import rank_councils
from tests.conftest import area, config, load

POP = {"X": 100_000, "Y": 50_000, "Z": 200_000}
REGION = {"X": "R1", "Y": "R1", "Z": "R2"}
START = {"X": 90, "Y": 60, "Z": 0}
STOCK = {"X": ((60, 40), (70, 50)), "Y": ((30, 20), (25, 15)), "Z": ((0, 0), (30, 10))}
FUNDING = {"X": (1_000, 2_000), "Y": (5_000, 500), "Z": (0, 1_500)}


def plan_p(start: bool = True, funding: bool = True) -> Plan:
    rows = []
    for code, by_year in STOCK.items():
        for year, cohorts, money in zip((2026, 2027), by_year, FUNDING[code]):
            total = sum(cohorts)
            for cohort, s in zip(("single", "family"), cohorts):
                row = {"area_code": code, "area_name": f"Area {code}", "region": REGION[code], "year": year,
                       "cohort": cohort, "placements": s, "stock": s, "capacity": s, "procured": 0,
                       "fair_share": 0.0, "cap": POP[code] // 200, "over_cap": False,
                       "rate_per_10k": round(total / POP[code] * 1e4, 2)}
                if funding:
                    row["funding"] = float(money)
                rows.append(row)
    alloc = pd.DataFrame(rows)
    traj = pd.DataFrame({"year": [2026, 2027], "dispersed": [150, 200], "contingency": [0, 0],
                         "accommodation_cost": [1.0, 1.0], "contingency_cost": [0.0, 0.0],
                         "procurement_cost": [0.0, 0.0], "total_cost": [1.0, 1.0]})
    regions = alloc.assign(population=alloc["area_code"].map(POP) / 2).groupby(   # two cohort rows per area
        ["region", "year"], as_index=False)[["stock", "fair_share", "population"]].sum()
    regions["rate_per_10k"] = (regions["stock"] / regions["population"] * 1e4).round(2)
    start_table = pd.DataFrame({"area_code": list(START), "area_name": [f"Area {c}" for c in START],
                                "region": [REGION[c] for c in START], "population": [POP[c] for c in START],
                                "stock": list(START.values())})
    return Plan(alloc, traj, regions, {"scenario": "P"}, start=start_table if start else None)


@pytest.mark.parametrize(("by", "order", "column", "values"), [
    ("change", ["Z", "X", "Y"], "change", [40, 30, -20]),
    ("rate", ["X", "Y", "Z"], "rate_per_10k", [12.0, 8.0, 2.0]),
    ("funding", ["Y", "X", "Z"], "funding", [5_500.0, 3_000.0, 1_500.0]),
])
def test_rank_councils_by_change_rate_or_funding(by: str, order: list[str], column: str, values: list) -> None:
    r = rank_councils([plan_p()], ["p"], by=by, top=10)
    assert r.table["area_code"].tolist() == order
    assert r.table[column].tolist() == values
    assert r.table["rank"].tolist() == [1, 2, 3]
    x = r.table.set_index("area_code").loc["X"]
    assert (x["start"], x["final"], x["change"], x["rate_per_10k"], x["funding"]) == (90, 120, 30, 12.0, 3_000.0)


def test_top_keeps_the_first_councils_and_ties_go_by_code() -> None:
    assert rank_councils([plan_p()], ["p"], by="change", top=2).table["area_code"].tolist() == ["Z", "X"]
    tied = plan_p()
    tied.start.loc[tied.start["area_code"] == "X", "stock"] = 80          # X +40, like Z
    assert rank_councils([tied], ["p"], by="change", top=2).table["area_code"].tolist() == ["X", "Z"]


def test_ranking_needs_the_start_or_the_funding_it_sorts_by() -> None:
    with pytest.raises(ScenarioError, match="old has no start.csv"):
        rank_councils([plan_p(start=False)], ["old"], by="change")
    with pytest.raises(ScenarioError, match="p has no funding column"):
        rank_councils([plan_p(funding=False)], ["p"], by="funding")
    no_start = rank_councils([plan_p(start=False)], ["old"], by="rate").table       # rate needs neither
    assert no_start["area_code"].tolist() == ["X", "Y", "Z"] and no_start["start"].isna().all()


def test_rate_ranks_on_the_plans_pressure_basis() -> None:
    """Was: --sort-by rate ranked people in dispersal alone, so a council whose pressure is its hotels
    (Hillingdon) ranked low in a plan whose caps count them. Z has 260 hotel residents at the end of 2027: on
    the basis (40 + 260) / 20 = 15.0 per 10,000, above X's 12.0 and Y's 8.0 (no hotels); in dispersal alone it
    is last (2.0)."""
    plan = plan_p()
    hotels = plan.allocations["area_code"].map({"X": 0, "Y": 0, "Z": 260}).where(plan.allocations["year"] == 2027, 0)
    total = plan.allocations.groupby(["area_code", "year"])["stock"].transform("sum") + hotels
    plan.allocations["basis_rate_per_10k"] = (total / plan.allocations["area_code"].map(POP) * 1e4).round(2)
    plan.summary["headline"] = {"start": {"basis": {"pressure_basis": "supported"}}}
    r = rank_councils([plan], ["p"], by="rate", top=10)
    assert r.table["area_code"].tolist() == ["Z", "X", "Y"]
    assert r.table["basis_rate_per_10k"].tolist() == [15.0, 12.0, 8.0]
    assert r.table["rate_per_10k"].tolist() == [2.0, 12.0, 8.0]
    assert r.title.endswith("at the end of 2027, on the plan's pressure basis (supported)")
    assert "per 10k on basis, 2027" in r.markdown() and "per 10k in dispersal, 2027" in r.markdown()
    # a plan on the dispersal basis beside it is ranked on dispersal alone, and the title names both bases
    both = rank_councils([plan, plan_p()], ["p", "d"], by="rate", top=1)
    assert both.table[["plan", "area_code"]].values.tolist() == [["p", "Z"], ["d", "X"]]
    assert both.title.endswith("(supported, dispersal)")
    assert rank_councils([plan_p()], ["d"], by="rate").bases == ()


def test_cli_ranks_one_plan_and_writes_the_table(tmp_path: Path) -> None:
    plan_p().write(tmp_path / "p")
    out = tmp_path / "ranked"
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "p"), "--sort-by", "change", "--top", "2",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Councils ranked by their change in people from the start to the end of 2027" in res.output
    assert (out / "compare_ranking.csv").read_text().splitlines() == [
        "plan,rank,area_code,area_name,region,start,final,change,rate_per_10k,funding",
        "p,1,Z,Area Z,R2,0,40,40,2.0,1500.0",
        "p,2,X,Area X,R1,90,120,30,12.0,3000.0"]
    assert "| p | 1 | Area Z | Z | R2 | 0 | 40 | +40 | 2.0 | £1,500 |" in (out / "compare.md").read_text()


def test_cli_compare_with_sort_by_adds_the_ranking(tmp_path: Path) -> None:
    plan_p().write(tmp_path / "a")
    plan_p().write(tmp_path / "b")
    out = tmp_path / "cmp"
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--sort-by", "funding",
                                   "--top", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Councils ranked by their funding over 2026–2027" in res.output
    ranking = pd.read_csv(out / "compare_ranking.csv")
    assert ranking[["plan", "area_code", "funding"]].values.tolist() == [["a", "Y", 5500.0], ["b", "Y", 5500.0]]
    assert "## Councils ranked by their funding over 2026–2027" in (out / "compare.md").read_text()


def test_cli_one_plan_without_sort_by_is_still_refused(tmp_path: Path) -> None:
    plan_p().write(tmp_path / "p")
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "p")])
    assert res.exit_code == 2 and "at least two plans (or one plan with --sort-by)" in res.output


def test_cli_sort_by_funding_without_funding_is_an_input_error(tmp_path: Path) -> None:
    plan_p(funding=False).write(tmp_path / "p")
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "p"), "--sort-by", "funding"])
    assert res.exit_code == 2 and "p has no funding column" in res.output and "Traceback" not in res.output


# --------------------------------------------------------------------------- regions.csv start rows
def _two_regions(tmp_path: Path):
    """A (R1, 10,000 residents, 10 people now) and B (R2, 20,000, 5 now); nobody arrives in 2026,
    half leave. Start: R1 10 people, 10.0 per 10,000; R2 5, 2.5; fair shares by population
    (1/3, 2/3) of the 15 people: 5.0 and 10.0."""
    cfg = config([2026], [0], exit_rate=0.5)
    rows = [area("A", population=10_000, stock=10, capacity=10, region="R1"),
            area("B", population=20_000, stock=5, capacity=5, region="R2")]
    return load(tmp_path, cfg, rows)


def test_regions_have_a_start_row_dated_the_year_before(tmp_path: Path) -> None:
    plan = solve(_two_regions(tmp_path))
    r = plan.regions
    assert list(r.columns) == ["region", "year", "position", "stock", "fair_share", "population", "rate_per_10k"]
    start = r[r["position"] == "start"].set_index("region")
    assert start["year"].tolist() == [2025, 2025]
    assert start["stock"].tolist() == [10, 5] and start["rate_per_10k"].tolist() == [10.0, 2.5]
    assert start["fair_share"].tolist() == [5.0, 10.0] and start["population"].tolist() == [10_000, 20_000]
    assert r[r["position"] == "end of year"]["year"].tolist() == [2026, 2026]
    plan.write(tmp_path / "plan")
    back = read_plan(tmp_path / "plan").regions
    assert back["position"].tolist() == ["start", "end of year", "start", "end of year"]
    assert (tmp_path / "plan" / "regions.csv").read_text().splitlines()[:2] == [
        "region,year,position,stock,fair_share,population,rate_per_10k", "R1,2025,start,10,5.0,10000,10.0"]


def test_compare_keeps_start_rows_only_when_every_plan_has_them(tmp_path: Path) -> None:
    plan = solve(_two_regions(tmp_path))
    both = compare_plans([plan, plan], ["a", "b"]).regions
    assert both[both["year"] == 2025][["region", "position", "a", "b", "b-a"]].values.tolist() == [
        ["R1", "start", 10, 10, 0], ["R2", "start", 5, 5, 0]]
    old = Plan(plan.allocations, plan.trajectory, plan.regions.drop(columns="position").iloc[1::2], plan.summary)
    mixed = compare_plans([plan, old], ["new", "old"]).regions
    assert mixed["year"].tolist() == [2026, 2026] and "position" not in mixed.columns   # no start counted as 0

"""`allocator compare`: two hand-made plans with known differences, every figure derived by hand.

Plan A and plan B cover three areas in two regions over 2026-2027:

=====  ======  ==========  =========  =========  =========  =========
area   region  population  A 2026     A 2027     B 2026     B 2027
=====  ======  ==========  =========  =========  =========  =========
X      R1      100,000     100        120        90         60
Y      R1      50,000      50         40         50         40
Z      R2      200,000     0          40         20         120
=====  ======  ==========  =========  =========  =========  =========

So B - A is X: -10, -60 (sum of |differences| 70); Y: 0, 0 (never listed); Z: +20, +80 (100).
Regions at the end of 2027: R1 A 160, B 100 (-60); R2 A 40, B 120 (+80); rates per 10,000:
R1 160/15 = 10.67 and 100/15 = 6.67; R2 40/20 = 2.0 and 120/20 = 6.0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.cli import cli
from allocator.compare import compare_plans, fmt, short_names
from allocator.plan import Plan

REPO = Path(__file__).resolve().parents[1]
POP = {"X": 100_000, "Y": 50_000, "Z": 200_000}
REGION = {"X": "R1", "Y": "R1", "Z": "R2"}


def make_plan(name: str, stock: dict[str, tuple[int, int]], traj: dict[str, tuple], basis: str | None = None) -> Plan:
    """A plan of the three areas; with ``basis`` (a pressure basis other than dispersal) its summary names it, as
    a solved plan's does, and ``traj`` should hold its ``basis_`` columns."""
    rows = []
    for code, values in stock.items():
        for year, s in zip((2026, 2027), values):
            cap = POP[code] // 200
            rows.append({"area_code": code, "area_name": f"Area {code}", "region": REGION[code], "year": year,
                         "placements": s, "stock": s, "capacity": s, "procured": 0, "fair_share": 0.0, "cap": cap,
                         "over_cap": s > cap, "rate_per_10k": round(s / POP[code] * 1e4, 2)})
    alloc = pd.DataFrame(rows)
    regions = alloc.assign(population=alloc["area_code"].map(POP)).groupby(["region", "year"], as_index=False)[
        ["stock", "population"]].sum()
    regions["fair_share"] = 0.0
    regions["rate_per_10k"] = (regions["stock"] / regions["population"] * 1e4).round(2)
    trajectory = pd.DataFrame({"year": [2026, 2027], **{k: list(v) for k, v in traj.items()}})
    trajectory["need"] = trajectory["dispersed"] + trajectory["contingency"]
    summary = {"scenario": name, "status": "optimal", "headline": {
        "start": {"dispersed": 140, "contingency": 60, **({"basis": {"pressure_basis": basis}} if basis else {})},
        "end": {"total_cost_all_years": float(trajectory["total_cost"].sum())}}}
    return Plan(alloc, trajectory, regions, summary)


PLAN_A = dict(
    stock={"X": (100, 120), "Y": (50, 40), "Z": (0, 40)},
    traj={"dispersed": (150, 200), "contingency": (50, 10), "total_cost": (1_000_000.5, 2_000_000.0),
          "accommodation_cost": (1_000_000.5, 2_000_000.0), "contingency_cost": (0.0, 0.0),
          "procurement_cost": (0.0, 0.0), "gini": (0.3, 0.25), "max_rate_per_10k": (10.0, 12.0),
          "areas_over_cap": (1, 0), "areas_hosting": (2, 3)})
PLAN_B = dict(
    stock={"X": (90, 60), "Y": (50, 40), "Z": (20, 120)},
    traj={"dispersed": (160, 220), "contingency": (40, 0), "total_cost": (900_000.0, 2_500_000.25),
          "accommodation_cost": (900_000.0, 2_500_000.25), "contingency_cost": (0.0, 0.0),
          "procurement_cost": (0.0, 0.0), "gini": (0.2, 0.1), "max_rate_per_10k": (10.0, 6.0),
          "areas_over_cap": (0, 0), "areas_hosting": (3, 3)})


@pytest.fixture
def plans() -> tuple[Plan, Plan]:
    return make_plan("plan A", **PLAN_A), make_plan("plan B", **PLAN_B)


@pytest.fixture
def result(plans):
    return compare_plans(list(plans), ["out/a", "out/b"], top=10)


def trajectory_row(result, key: str, year: int) -> dict:
    t = result.trajectory
    return t[(t["key"] == key) & (t["year"] == year)].iloc[0].to_dict()


def test_trajectory_side_by_side_with_differences(result) -> None:
    assert result.labels == ["a", "b"]
    assert trajectory_row(result, "contingency", 2026) == {
        "year": 2026, "metric": "In contingency (hotels)", "key": "contingency", "basis": "", "a": 50, "b": 40,
        "b-a": -10}
    assert trajectory_row(result, "gini", 2026)["metric"] == "Gini of area rates (dispersal basis)"
    assert trajectory_row(result, "gini", 2026)["basis"] == "dispersal"
    assert trajectory_row(result, "contingency", 2027)["b-a"] == -10
    assert trajectory_row(result, "dispersed", 2027)["b-a"] == 20
    assert trajectory_row(result, "total_cost", 2026)["b-a"] == -100_000.5
    assert trajectory_row(result, "total_cost", 2027)["b-a"] == 500_000.25
    assert trajectory_row(result, "gini", 2026)["b-a"] == -0.1
    assert trajectory_row(result, "gini", 2027)["b-a"] == -0.15
    assert trajectory_row(result, "max_rate_per_10k", 2027)["b-a"] == -6.0
    assert trajectory_row(result, "areas_over_cap", 2026)["b-a"] == -1
    assert trajectory_row(result, "areas_hosting", 2026)["b-a"] == 1
    # seven measures, two years each, in the order of the table
    assert list(dict.fromkeys(result.trajectory["key"])) == [
        "contingency", "dispersed", "total_cost", "gini", "max_rate_per_10k", "areas_over_cap", "areas_hosting"]
    assert len(result.trajectory) == 14
    assert result.totals.to_dict("list") == {"plan": ["a", "b"], "first_year": [2026, 2026], "last_year": [2027, 2027],
                                             "total_cost_all_years": [3_000_000.5, 3_400_000.25],
                                             "total_cost_shared_years": [3_000_000.5, 3_400_000.25]}


def test_plans_of_different_years_are_costed_over_the_years_they_share(plans) -> None:
    """Was: "Total cost over all years: a £3.0m, b £2.5m", a re-plan from 2027 reading £0.5m cheaper than the
    plan it replaces, whose total also counts 2026. Over 2027 alone: A £2.0m, B £2.5m (+£0.5m)."""
    a, b = plans
    b.trajectory = b.trajectory[b.trajectory["year"] == 2027].reset_index(drop=True)
    result = compare_plans([a, b], ["a", "b"])
    assert result.totals["total_cost_all_years"].tolist() == [3_000_000.5, 2_500_000.25]
    assert result.totals["total_cost_shared_years"].tolist() == [2_000_000.0, 2_500_000.25]
    line = ("Total cost over each plan's own years: a £3.0m (2026–2027), b £2.5m (2027). They cover different "
            "years: over the years they share, 2027: a £2.0m, b £2.5m (+£0.5m).")
    assert line in " ".join(result.text().split()) and line in result.markdown()     # text() wraps at its width


#: The two plans' figures on the supported basis (their hotel residents and initial accommodation counted).
ON_SUPPORTED = {"a": {"basis_gini": (0.28, 0.2), "basis_max_rate_per_10k": (11.0, 13.0)},
                "b": {"basis_gini": (0.22, 0.12), "basis_max_rate_per_10k": (12.0, 7.0)}}


def on_supported(plan: dict, name: str) -> dict:
    return {**plan, "traj": {**plan["traj"], **ON_SUPPORTED[name]}, "basis": "supported"}


def rows_of(result, key: str, year: int) -> list[dict]:
    t = result.trajectory
    return t[(t["key"] == key) & (t["year"] == year)].to_dict("records")


def test_fairness_figures_are_on_the_plans_pressure_basis() -> None:
    """Both plans on the supported basis: the Gini and the highest rate compared are the plans' own, on that
    basis (trajectory.csv basis_gini, basis_max_rate_per_10k: what their caps and fair shares are judged on),
    titled with it; the same on dispersal alone follow each, titled so. Gini b - a: 0.22 - 0.28 = -0.06 on
    the basis, 0.2 - 0.3 = -0.1 on dispersal alone."""
    a, b = make_plan("plan A", **on_supported(PLAN_A, "a")), make_plan("plan B", **on_supported(PLAN_B, "b"))
    r = compare_plans([a, b], ["out/a", "out/b"])
    basis, dispersal = rows_of(r, "gini", 2026)
    assert basis == {"year": 2026, "metric": "Gini of area rates (supported basis)", "key": "gini",
                     "basis": "supported", "a": 0.28, "b": 0.22, "b-a": -0.06}
    assert dispersal == {"year": 2026, "metric": "Gini of area rates (dispersal only)", "key": "gini",
                         "basis": "dispersal", "a": 0.3, "b": 0.2, "b-a": -0.1}
    top = rows_of(r, "max_rate_per_10k", 2027)
    assert [(x["metric"], x["a"], x["b"], x["b-a"]) for x in top] == [
        ("Highest rate per 10k (supported basis)", 13.0, 7.0, -6.0), ("Highest rate per 10k (dispersal only)", 12.0, 6.0, -6.0)]
    [over] = rows_of(r, "areas_over_cap", 2026)
    assert over["metric"] == "Areas over cluster limit (supported basis)" and over["b-a"] == -1
    assert list(dict.fromkeys(r.trajectory["metric"]))[3:7] == [
        "Gini of area rates (supported basis)", "Gini of area rates (dispersal only)",
        "Highest rate per 10k (supported basis)", "Highest rate per 10k (dispersal only)"]
    text = r.text()
    assert "Pressure basis (policy.pressure_basis): supported in every plan." in text
    assert "0.280" in text and "-0.060" in text
    assert "| Gini of area rates (supported basis) | 2026 | 0.280 | 0.220 | -0.060 |" in r.markdown()


def test_plans_on_different_bases_are_not_compared_silently() -> None:
    """Plan a on the dispersal basis, b on the supported basis: each plan's Gini, highest rate and areas over
    the cap are its own (a's gini, b's basis_gini), with no difference (unlike figures); the note says the
    bases differ; on dispersal alone the plans are compared as usual."""
    a, b = make_plan("plan A", **PLAN_A), make_plan("plan B", **on_supported(PLAN_B, "b"))
    r = compare_plans([a, b], ["out/a", "out/b"])
    own, dispersal = rows_of(r, "gini", 2027)
    assert (own["metric"], own["basis"], own["a"], own["b"]) == ("Gini of area rates (each plan's basis)",
                                                               "each plan's basis", 0.25, 0.12)
    assert own["b-a"] != own["b-a"]                                         # NaN: not given
    assert (dispersal["a"], dispersal["b"], dispersal["b-a"]) == (0.25, 0.1, -0.15)
    [over] = rows_of(r, "areas_over_cap", 2026)
    assert over["basis"] == "each plan's basis" and over["b-a"] != over["b-a"]
    assert rows_of(r, "contingency", 2026)[0]["b-a"] == -10
    text = r.text()
    assert "Pressure bases differ (policy.pressure_basis): a dispersal; b supported." in text
    assert "| Gini of area rates (each plan's basis) | 2026 | 0.300 | 0.220 | – |" in r.markdown()


def test_regional_differences(result) -> None:
    final = result.regions[result.regions["year"] == 2027].set_index("region")
    assert final.loc["R1", ["a", "b", "b-a"]].tolist() == [160, 100, -60]
    assert final.loc["R2", ["a", "b", "b-a"]].tolist() == [40, 120, 80]
    assert final.loc["R1", ["a per 10k", "b per 10k"]].tolist() == [10.67, 6.67]
    assert final.loc["R2", ["a per 10k", "b per 10k"]].tolist() == [2.0, 6.0]
    first = result.regions[result.regions["year"] == 2026].set_index("region")
    assert first.loc["R2", ["a", "b", "b-a"]].tolist() == [0, 20, 20]


def test_councils_that_differ_most(result) -> None:
    areas = result.areas
    assert areas["area_code"].tolist() == ["Z", "X"]              # Y never differs, so it is not listed
    z, x = areas.iloc[0].to_dict(), areas.iloc[1].to_dict()
    assert z == {"plan": "b", "area_code": "Z", "area_name": "Area Z", "region": "R2", "final_base": 40,
                 "final_plan": 120, "final_difference": 80, "sum_abs_difference": 100, "years": "2026–2027"}
    assert (x["final_base"], x["final_plan"], x["final_difference"], x["sum_abs_difference"]) == (120, 60, -60, 70)
    assert r"Σ\|difference\| 2026–2027 |" in result.markdown()


def only_2027(plan: Plan) -> Plan:
    """The plan cut to 2027, as a re-plan from the end of 2026 is."""
    plan.allocations = plan.allocations[plan.allocations["year"] == 2027].reset_index(drop=True)
    plan.trajectory = plan.trajectory[plan.trajectory["year"] == 2027].reset_index(drop=True)
    return plan


def test_councils_are_compared_over_the_years_both_plans_cover(plans) -> None:
    """B cut to 2027 (a re-plan): in 2027 X is 120 against 60 (60 apart), Y 40 and 40, Z 40 against 120 (80).
    Was: B's missing 2026 counted as 0 people, so X read 100 + 60 = 160 and Y 50 though Y never differs (trial 3:
    Belfast, Liverpool and Birmingham listed against their own re-plan, identical in 2027–2029)."""
    a, b = plans
    r = compare_plans([a, only_2027(b)], ["a", "b"])
    assert r.areas[["area_code", "sum_abs_difference", "years"]].to_dict("list") == {
        "area_code": ["Z", "X"], "sum_abs_difference": [80, 60], "years": ["2027", "2027"]}
    assert "| b | Z | Area Z | R2 | 40 | 120 | +80 | 80 |" in r.markdown()
    assert r"Σ\|difference\| 2027 |" in r.markdown() and "Σ|difference|" in r.text()


def test_plans_sharing_different_years_with_the_first_name_them_row_by_row(plans) -> None:
    a, b = plans
    c = make_plan("plan C", **PLAN_B)
    r = compare_plans([a, b, only_2027(c)], ["a", "b", "c"])
    assert r.areas[["plan", "area_code", "sum_abs_difference", "years"]].values.tolist() == [
        ["b", "Z", 100, "2026–2027"], ["b", "X", 70, "2026–2027"], ["c", "Z", 80, "2027"], ["c", "X", 60, "2027"]]
    assert "| c | Z | Area Z | R2 | 40 | 120 | +80 | 80 | 2027 |" in r.markdown()
    assert "years shared" in r.text()


def test_plans_that_share_no_year_are_not_compared_council_by_council(plans) -> None:
    a, b = plans
    a.allocations = a.allocations[a.allocations["year"] == 2026].reset_index(drop=True)
    a.trajectory = a.trajectory[a.trajectory["year"] == 2026].reset_index(drop=True)
    r = compare_plans([a, only_2027(b)], ["a", "b"])
    assert r.areas.empty
    assert "The plans share no year, so their councils are not compared." in r.text()


def test_top_limits_the_list(plans) -> None:
    assert compare_plans(list(plans), ["a", "b"], top=1).areas["area_code"].tolist() == ["Z"]


def test_identical_plans_have_no_differences(plans) -> None:
    same = compare_plans([plans[0], plans[0]], ["a", "again"])
    assert (same.trajectory["again-a"] == 0).all()
    assert same.areas.empty
    assert "No council's allocation differs" in same.text()


def test_three_plans_each_against_the_first(plans) -> None:
    r = compare_plans([plans[0], plans[1], plans[0]], ["p/a", "p/b", "q/c"])
    assert {"b-a", "c-a"} <= set(r.trajectory.columns)
    assert set(r.areas["plan"]) == {"b"}                          # c equals a


def test_number_formatting_is_readable() -> None:
    assert fmt(1_420_429_424.0, "money") == "£1,420.4m"
    assert fmt(-455_155_000.0, "money", signed=True) == "-£455.2m"
    assert fmt(12_132, "people", signed=True) == "+12,132"
    assert fmt(-0.04, "rate", signed=True) == "0"                 # no "-0.0"
    assert fmt(0.3472, "gini") == "0.347"
    assert fmt(1e15, "people") == "1,000,000,000,000,000"         # never scientific notation
    assert fmt(float("nan"), "people") == "–"


def test_a_money_difference_too_small_for_millions_is_never_zero() -> None:
    """Trial 3 (b): a re-plan costing £7,588 less printed "(0)": £ millions to one decimal hide less than £50,000.
    Such an amount is shown in whole pounds; only less than half a pound is 0 (compare's yearly differences and
    the report's cards use the same formatter)."""
    assert fmt(-7_588.0, "money", signed=True) == "-£7,588"
    assert fmt(49_999.0, "money", signed=True) == "+£49,999"
    assert fmt(7_588.0, "money") == "£7,588"
    assert fmt(60_000.0, "money", signed=True) == "+£0.1m"
    assert fmt(0.4, "money", signed=True) == "0" and fmt(0.0, "money") == "£0.0m"


def test_the_total_cost_line_gives_the_difference_however_small(plans) -> None:
    """Trial 3 (b): "central £1,621.1m, r-own £1,621.1m" for plans £7,588 apart, as if they cost the same."""
    a, b = plans
    b.trajectory = a.trajectory.copy()
    b.trajectory.loc[b.trajectory["year"] == 2027, "total_cost"] -= 7_588.0
    r = compare_plans([a, b], ["a", "b"])
    assert "Total cost over 2026–2027: a £3.0m, b £3.0m (-£7,588)." in " ".join(r.text().split())


def test_text_and_markdown_tables(result) -> None:
    text = result.text()
    for expected in ("In contingency (hotels)", "-10", "£1.0m", "+£0.5m", "-0.100", "R1", "-60", "+80",
                     "Area Z", "Total cost over 2026–2027: a £3.0m, b £3.4m (+£0.4m)."):
        assert expected in text
    assert "e+" not in text
    md = result.markdown()
    assert "| In contingency (hotels) | 2026 | 50 | 40 | -10 |" in md
    assert "|  | 2027 | 10 | 0 | -10 |" in md
    assert "| R1 | 160 | 100 | -60 | 10.7 | 6.7 |" in md
    assert "| b | Z | Area Z | R2 | 40 | 120 | +80 | 100 |" in md


def test_short_names() -> None:
    assert short_names(["out/central", "scenarios/uk-2025/high-arrivals.yaml"]) == ["central", "high-arrivals"]
    assert short_names(["a/plan", "b/plan"]) == ["1:plan", "2:plan"]


# --------------------------------------------------------------------------- the command
def test_cli_compare_writes_csv_and_markdown(plans, tmp_path: Path) -> None:
    plans[0].write(tmp_path / "a")
    plans[1].write(tmp_path / "b")
    out = tmp_path / "cmp"
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Trajectory" in res.output and "Regions" in res.output and "Councils whose allocations" in res.output
    assert sorted(p.name for p in out.iterdir()) == [".allocator-output.json", "compare.md", "compare_areas.csv",
                                                     "compare_regions.csv", "compare_trajectory.csv"]
    areas = (out / "compare_areas.csv").read_text().splitlines()
    assert areas == ["plan,area_code,area_name,region,final_base,final_plan,final_difference,sum_abs_difference,years",
                     "b,Z,Area Z,R2,40,120,80,100,2026–2027", "b,X,Area X,R1,120,60,-60,70,2026–2027"]
    traj = (out / "compare_trajectory.csv").read_text().splitlines()
    assert traj[0] == "year,metric,key,basis,a,b,b-a"
    assert "2026,In contingency (hotels),contingency,,50,40,-10" in traj
    assert "2027,Total cost £,total_cost,,2000000.0,2500000.25,500000.25" in traj
    assert "2026,Gini of area rates (dispersal basis),gini,dispersal,0.3,0.2,-0.1" in traj
    regions = (out / "compare_regions.csv").read_text().splitlines()
    assert "R1,2027,160,100,-60,10.67,6.67" in regions
    assert "| R2 | 40 | 120 | +80 | 2.0 | 6.0 |" in (out / "compare.md").read_text()


def test_cli_compare_quiet_prints_nothing(plans, tmp_path: Path) -> None:
    plans[0].write(tmp_path / "a")
    plans[1].write(tmp_path / "b")
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "-q",
                                   "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0
    assert res.output == ""
    assert (tmp_path / "cmp" / "compare.md").exists()


def test_cli_compare_needs_two_plans(plans, tmp_path: Path) -> None:
    plans[0].write(tmp_path / "a")
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "a")])
    assert res.exit_code == 2
    assert "at least two plans" in res.output


def test_cli_compare_solves_scenarios_first(tmp_path: Path) -> None:
    """A scenario and the plan solved from it compare as identical; the scenario is solved on the way."""
    example = REPO / "scenarios" / "example"
    solved = CliRunner().invoke(cli, ["solve", str(example), "--out", str(tmp_path / "ex"), "-q"])
    assert solved.exit_code == 0, solved.output
    res = CliRunner().invoke(cli, ["compare", str(tmp_path / "ex"), str(example), "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(tmp_path / "c" / "compare_trajectory.csv")
    assert (t["example-ex"] == 0).all()
    assert "No council's allocation differs" in res.output


def test_compare_two_solved_variants_is_consistent(example_scenario) -> None:
    """On real plans the differences are exactly the trajectories' differences."""
    from allocator import solve

    a = solve(example_scenario)
    b = solve(example_scenario.with_policy(cluster_limit=250))
    r = compare_plans([a, b], ["cl200", "cl250"])
    for key in ("contingency", "dispersed", "areas_hosting"):
        rows = r.trajectory[r.trajectory["key"] == key]
        expected = (b.trajectory[key] - a.trajectory[key]).tolist()
        assert rows["cl250-cl200"].tolist() == expected
    final = r.regions[r.regions["year"] == 2030].set_index("region")
    for region, row in final.iterrows():
        sa = a.regions[(a.regions["region"] == region) & (a.regions["year"] == 2030)]["stock"].item()
        sb = b.regions[(b.regions["region"] == region) & (b.regions["year"] == 2030)]["stock"].item()
        assert (row["cl200"], row["cl250"], row["cl250-cl200"]) == (sa, sb, sb - sa)

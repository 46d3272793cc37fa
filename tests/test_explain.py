"""Why is my number N (issue 6): binding reasons where a scenario forces them, and shadow prices.

The example scenario (scenarios/example) forces most reasons; the numbers quoted are
derived in the comments from its areas table (cluster caps are floor(population / 200)).
Shadow prices are checked against a finite-difference re-solve of the same linear program.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from allocator import build_lp, load_scenario, prepare, registry, solve
from allocator.cli import cli
from allocator.errors import ScenarioError
from allocator.explain import binding, find_area, reason_cells
from allocator.solvers import solve_lp
from tests.conftest import area, config, load, write_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"


@pytest.fixture(scope="module")
def example():
    scenario = load_scenario(EXAMPLE)
    plan = solve(scenario)
    return plan.allocations.set_index(["area_code", "year"])


@pytest.mark.parametrize(("code", "year", "reason"), [
    ("S06", 2026, "excluded"),              # status excluded
    ("S05", 2027, "not yet available"),     # volunteered, available_from 2028
    ("N05", 2026, "inherited over cap"),    # 450 people, cap 54,000/200 = 270; 450 × 0.65 = 292.5 > 270
    ("N05", 2027, "protected (no new placements)"),   # 83 per 10,000 today, above policy.protect's 60
    ("N05", 2028, "exits only"),            # ... so it keeps only its survivors: 190 × 0.65 = 123.5
    ("N01", 2026, "cluster limit"),         # cap 98,000/200 = 490
    ("S01", 2027, "procurement pace"),      # 110 now + 80 a year: 190, 270
    ("S02", 2026, "growth limit"),          # 60 + 1.5 × 60 = 150 < capacity 180
    ("N06", 2028, "fair share reached"),    # hotels empty, equity weight 3,000 > half the cost gap
    ("S05", 2028, "procurement pace"),      # opens 2028 with 0 + 50 bed spaces
])
def test_reason_appears_where_the_scenario_forces_it(example, code: str, year: int, reason: str) -> None:
    assert reason in example.loc[(code, year), "limited_by"].split("; ")


def test_capacity_exits_only_agreement_and_demand_met(tmp_path: Path) -> None:
    """One year; need = 0.5 × (100 + 50) + 200 = 275.

    C is cheapest (£500) but full: capacity 10, no procurement → 10, "capacity".
    A is dearest (£3,000): on cost alone it keeps only its survivors, 100 × 0.5 = 50 ("exits
    only"); with an agreed minimum of 80 it holds exactly 80 ("agreement").
    B (£1,000, procures up to 1,000) takes the rest: 275 − 10 − 50 = 215, or 185 with the
    agreement; no limit binds and nobody is left in hotels: "demand met".
    """
    cfg = config([2026], [200], exit_rate=0.5, contingency_start=50)
    rows = [area("A", stock=100, capacity=100, cost=3000), area("B", procurement=1000, cost=1000),
            area("C", capacity=10, cost=500)]
    free = solve(load(tmp_path / "free", cfg, rows)).allocations.set_index("area_code")
    assert free.loc[["A", "B", "C"], "stock"].tolist() == [50, 215, 10]
    assert free.loc["A", "limited_by"] == "exits only"
    assert free.loc["B", "limited_by"] == "demand met"
    assert free.loc["C", "limited_by"] == "capacity"

    scenario = load(tmp_path / "agreed", cfg, rows)
    folder = Path(scenario.source).parent
    (folder / "agreements.csv").write_text("area_code,year,minimum\nA,2026,80\n", encoding="utf-8")
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    (folder / "scenario.yaml").write_text(text + "agreements: agreements.csv\n", encoding="utf-8")
    agreed = solve(load_scenario(folder)).allocations.set_index("area_code")
    assert agreed.loc[["A", "B", "C"], "stock"].tolist() == [80, 185, 10]
    assert agreed.loc["A", "limited_by"] == "agreement"


def test_exits_only(tmp_path: Path) -> None:
    """One cheap and one dear area, no arrivals after year 1: the dear one only loses people.

    need: 0.5 × (100 + 100) + 0 = 100 in 2026; the cheap area (capacity 200) takes all of
    them, the dear one keeps only its survivors: 100 × 0.5 = 50, so cheap holds 50.
    """
    cfg = config([2026], [0], exit_rate=0.5, contingency_start=0)
    rows = [area("CHEAP", stock=100, capacity=200, cost=1000), area("DEAR", stock=100, capacity=200, cost=9000)]
    plan = solve(load(tmp_path, cfg, rows))
    a = plan.allocations.set_index(["area_code", "year"])
    assert a.loc[("DEAR", 2026), "stock"] == 50
    assert "exits only" in a.loc[("DEAR", 2026), "limited_by"]


@pytest.mark.parametrize(("code", "t"), [("N01", 1), ("N03", 2), ("S01", 1), ("S02", 0), ("N04", 1), ("N05", 2)])
def test_shadow_price_matches_a_finite_difference(code: str, t: int) -> None:
    """Allow 0.01 more place in that area and year; the objective falls by 0.01 × shadow price."""
    d = prepare(load_scenario(EXAMPLE))
    lp = build_lp(d)
    raw = solve_lp(lp)
    _, shadow = binding(d, lp, raw.x, raw.row_dual, raw.col_dual)
    n_a, n_t, n_h = d.shape
    i = list(d.areas["area_code"]).index(code)
    step = 1e-2
    col_upper, row_upper = lp.col_upper.copy(), lp.row_upper.copy()
    col_upper[lp.variables["stock"].start + (i * n_t + t) * n_h] += step
    for family in (f.name for f in registry.FAMILIES if f.shadow):    # the rows whose duals are shadow prices
        block = lp.rows.get(family)
        if block is not None:
            k = np.flatnonzero((block.index["area"] == i) & (block.index["year"] == t))
            row_upper[block.start + k] += step
    relaxed = solve_lp(dataclasses.replace(lp, col_upper=col_upper, row_upper=row_upper))
    saving = (raw.objective - relaxed.objective) / step
    assert shadow[i, t, 0] > 0
    assert saving == pytest.approx(shadow[i, t, 0], rel=1e-4, abs=0.01)


def test_no_shadow_price_where_nothing_upper_binds(example) -> None:
    assert np.isnan(example.loc[("N06", 2028), "shadow_price"])      # at its fair share, below every limit


def test_explain_command(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    runner = CliRunner()
    assert runner.invoke(cli, ["solve", str(EXAMPLE), "--out", str(out), "-q"]).exit_code == 0
    result = runner.invoke(cli, ["explain", str(out), "S02"])
    assert result.exit_code == 0
    assert result.output.startswith("Kingsmead (S02), South: cluster cap 1,200 people.")
    assert "2026: 150 people" in result.output and "grew as fast as policy.max_growth allows" in result.output
    assert "would save £54,573" in result.output
    by_name = runner.invoke(cli, ["explain", str(out), "kingsmead"])
    assert by_name.output == result.output
    missing = runner.invoke(cli, ["explain", str(out), "NOPE"])
    assert missing.exit_code == 2 and "no area 'NOPE'" in missing.output


# --------------------------------------------------------------------------- finding the area (issue 11, D18)
NAMED = {"S12000049": "Glasgow City", "S12000033": "Aberdeen City", "E08000035": "Leeds",
         "E06000010": "Kingston upon Hull, City of", "E06000014": "York", "E06000047": "County Durham"}


def _named_allocations() -> pd.DataFrame:
    return pd.DataFrame({"area_code": [c for c in NAMED for _ in (2026, 2027)],
                         "area_name": [n for n in NAMED.values() for _ in (2026, 2027)]})


@pytest.mark.parametrize(("query", "code"), [
    ("S12000049", "S12000049"), ("s12000049", "S12000049"),          # the code, any case
    ("Glasgow City", "S12000049"), ("glasgow  CITY", "S12000049"),    # the full name, any case and spacing
    ("Glasgow", "S12000049"), ("glas", "S12000049"),                  # a unique start of the name
    ("Hull", "E06000010"), ("durham", "E06000047"),                   # unique whole words
    ("York", "E06000014"),                                            # the full name wins over longer names
])
def test_find_area_by_code_name_start_or_words(query: str, code: str) -> None:
    assert find_area(_named_allocations(), query) == code


def test_find_area_lists_candidates_or_suggests_names() -> None:
    with pytest.raises(ScenarioError, match=r"'city' matches 3 areas in the plan: Glasgow City \(S12000049\), "
                                            r"Aberdeen City \(S12000033\), Kingston upon Hull, City of"):
        find_area(_named_allocations(), "city")
    with pytest.raises(ScenarioError, match=r"no area 'Leedz' in the plan; did you mean Leeds \(E08000035\)\?"):
        find_area(_named_allocations(), "Leedz")
    with pytest.raises(ScenarioError, match=r"no area 'Zzz' in the plan; give an area code or name"):
        find_area(_named_allocations(), "Zzz")


def test_explain_finds_an_area_by_part_of_its_name(tmp_path: Path) -> None:
    cfg = config([2026], [30], exit_rate=0.5)
    rows = [area("S12000049", name="Glasgow City", capacity=50), area("S12000033", name="Aberdeen City", capacity=50)]
    scenario = tmp_path / "scenario"
    write_scenario(scenario, cfg, rows)
    out = tmp_path / "plan"
    runner = CliRunner()
    assert runner.invoke(cli, ["solve", str(scenario), "--out", str(out), "-q"]).exit_code == 0
    glasgow = runner.invoke(cli, ["explain", str(out), "Glasgow"])
    assert glasgow.exit_code == 0, glasgow.output
    assert glasgow.output.startswith("Glasgow City (S12000049), R1:")
    both = runner.invoke(cli, ["explain", str(out), "city"])
    assert both.exit_code == 2 and "'city' matches 2 areas" in both.output
    none = runner.invoke(cli, ["explain", str(out), "Glasgw"])
    assert none.exit_code == 2 and "did you mean Glasgow City (S12000049)?" in none.output
    # the wrong name is the command's argument, not a scenario (trial: "error in scenario: command line:")
    assert none.output.startswith("allocator: error in command line: argument AREA: no area 'Glasgw' in ")
    assert both.output.startswith("allocator: error in command line: argument AREA: 'city' matches 2 areas")


def _explained(tmp_path: Path, cfg: dict, rows: list[dict], code: str) -> dict[int, str]:
    """``allocator explain`` of ``code`` in the plan of a scenario solved by the command line: each year's lines."""
    write_scenario(tmp_path / "scenario", cfg, rows)
    runner = CliRunner()
    solved = runner.invoke(cli, ["solve", str(tmp_path / "scenario"), "--out", str(tmp_path / "plan"), "-q"])
    assert solved.exit_code == 0, solved.output
    result = runner.invoke(cli, ["explain", str(tmp_path / "plan"), code])
    assert result.exit_code == 0, result.output
    years: dict[int, str] = {}
    for line in result.output.splitlines()[1:]:
        if not line.startswith(" "):
            year = int(line[:4])
        years[year] = years.get(year, "") + line + "\n"
    return years


@pytest.mark.parametrize("close_by", [None, 2028])
def test_over_its_cap_by_its_start_hotel_residents_says_so_with_its_figures(tmp_path: Path, close_by) -> None:
    """Trial (a)4: Hillingdon, 0 in its hotels, was said to be over its cap because "the people in its
    hotels ... put it over its cap". Area H: 20,000 residents (cap 100), 60 in dispersal and 90 in its
    hotels at the start (155 on the supported basis); B has room at a fraction of the hotel cost, so the
    plan empties H's hotels in 2026. The rule counts H's 95 start hotel residents while its hotels may stay
    open: 30 + 95 = 125 > 100 in 2026, 15 + 95 = 110 in 2027, nobody new; in 2028 7.5 + 95 > 100 still,
    unless a hotels_close_by date of 2028 stops them counting (7.5 < 100): H takes people again."""
    cfg = config([2026, 2027, 2028], [100, 100, 100], hotel=50_000, policy={"pressure_basis": "supported"})
    del cfg["demand"]["contingency_start"]
    rows = [area("H", population=20_000, stock=60, capacity=200, cost=1_000, contingency=95,
                 hotels_close_by=close_by),
            area("B", capacity=1_000, cost=5_000)]
    years = _explained(tmp_path, cfg, rows, "H")
    for year, left, total in ((2026, 30, 125), (2027, 15, 110)):
        why = years[year]
        assert ("over its cap on the pressure basis by inheritance: at the start it had 155 people on the basis "
                "(60 in dispersal, 95 in its hotels) against its cap of 100") in why
        assert f"whatever its hotels hold now (0 in its hotels in {year}); with them, the {left} people left " \
               f"from its start make {total}, over its cap: nobody new is placed in dispersal" in why
        assert ("(it has no hotels_close_by date: every year of the plan)" if close_by is None
                else "(until its hotels_close_by date, 2028)") in why
        assert "A hotels_close_by date releases it from that year." in why
        assert "put it over its cap" not in why                     # the old words, false with empty hotels
    assert ("by inheritance" in years[2028]) == (close_by is None)


def test_a_fair_share_on_the_pressure_basis_says_so_beside_the_people_in_dispersal(tmp_path: Path) -> None:
    """Trial (b)6: "486 people … fair share 892 … exactly at its fair share": the fair share is on the
    supported basis (486 in dispersal + 406 in its hotels). The year line gives the total on the basis
    beside the people in dispersal, and the reason says the fair share is on the basis."""
    cfg = config([2026], [0], policy={"pressure_basis": "supported"})
    del cfg["demand"]["contingency_start"]
    years = _explained(tmp_path, cfg,
                       [area("A", stock=100, capacity=100, contingency=40, initial=30), area("B")], "A")
    line = years[2026].splitlines()[0]        # 50 stay of 100, A's 20 hotel residents move in; 30 in initial
    assert line == ("2026: 70 people in dispersal (20 newly placed, 50 left support; capacity 100); 100 on the "
                    "pressure basis (supported), fair share 50 on that basis.")
    facts = registry.Facts(year=2027, stock=486, fair=892.0, held=892, basis="supported")
    reason = registry.reasons()["fair share reached"][0][1]
    assert reason.say(facts) == ("it is exactly at its fair share of the national total on the pressure basis "
                                 "(supported): 892 people on it, 486 of them in dispersal")
    step = registry.FAIR_SHARE_STEP.say(dataclasses.replace(facts, held=1_784))
    assert step.endswith("(it holds 200% of its fair share on the pressure basis (supported): 1,784 people on it, "
                         "486 of them in dispersal); beyond the same step a person weighs the same in equity in every "
                         "council, so a plan of equal cost may place people differently among such councils")


@pytest.mark.parametrize("given", ["folder", "yaml"])
def test_explain_on_a_scenario_says_solve_it_first(tmp_path: Path, given: str) -> None:
    path = EXAMPLE if given == "folder" else EXAMPLE / "scenario.yaml"
    result = CliRunner().invoke(cli, ["explain", str(path), "Leeds"])
    assert result.exit_code == 2, result.output
    assert f"{path} is a scenario, not a plan folder: solve it first with `allocator solve {path} --out DIR`" \
        in result.output
    assert "Traceback" not in result.output


def test_explain_on_a_folder_that_is_not_a_plan(tmp_path: Path) -> None:
    empty = CliRunner().invoke(cli, ["explain", str(tmp_path), "Leeds"])
    assert empty.exit_code == 2 and "is not a plan folder" in empty.output
    missing = CliRunner().invoke(cli, ["explain", str(tmp_path / "nope"), "Leeds"])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_tight_rule_with_no_saving_says_so_not_pounds_zero(tmp_path: Path) -> None:
    """Leeds in 2029 on the national central plan: protected and at a fair-share step, shadow price 0
    (relaxing one rule alone saves nothing): "would save nothing on its own", never "would save £0"."""
    out = tmp_path / "central"
    central = Path(__file__).resolve().parents[1] / "scenarios" / "uk-2025" / "central.yaml"
    solve(load_scenario(central)).write(out)
    alloc = pd.read_csv(out / "allocations.csv")
    zero = alloc[(alloc["shadow_price"] == 0) & alloc["limited_by"].notna()]
    assert len(zero), "the central plan has no tight rule with a zero shadow price any more: pick another case"
    code, year = zero.iloc[0]["area_code"], int(zero.iloc[0]["year"])
    result = CliRunner().invoke(cli, ["explain", str(out), code])
    assert result.exit_code == 0, result.output
    assert f"in {year} would save nothing on its own" in result.output
    assert "would save £0." not in result.output


def _no_rise() -> registry.Reason:
    return next(r for _, r in registry.reasons()["protected (no rise)"])


def test_held_with_no_rise_says_which_level_holds_it() -> None:
    """Trial 3 (b): "held at 869 on its pressure basis (1,064 at the start …)" for Newcastle in 2029 of a re-plan
    starting at the end of 2027: held below "the start"? no_rise holds a council's total on the basis to where it
    started each year (no year ends above the year before's end): 869 at the end of 2028. The words name that
    level, and the start in brackets is the plan's, dated."""
    brief = _no_rise().brief
    start = {"basis_total": 1_064, "stock": 835, "contingency": 229}
    facts = registry.Facts(year=2029, stock=869, fair=359.0, held=869, basis="supported", start=start, first=2028,
                           before=869)
    assert brief(facts) == ("held at 869 on its pressure basis as at the end of 2028 (1,064 at the plan's start on "
                            "31 Dec 2027: 835 in dispersal + 229 in its hotels)")
    assert brief(dataclasses.replace(facts, before=870)).startswith(         # the exact plan's 869.6 twice
        "held at 869 on its pressure basis as at the end of 2028 (870 then; the plan's whole-people rounding puts "
        "them 1 apart; 1,064 at")
    first = dataclasses.replace(facts, year=2028, held=1_064, before=1_064)
    assert brief(first) == ("held at 1,064 on its pressure basis as at the plan's start on 31 Dec 2027 (835 in "
                            "dispersal + 229 in its hotels)")
    assert brief(dataclasses.replace(first, held=1_000)).startswith(
        "held at 1,000 on its pressure basis at its protection level (1,064 at the plan's start on 31 Dec 2027: ")


def test_held_with_no_rise_in_a_plan_says_the_end_of_the_year_before(tmp_path: Path) -> None:
    """The same in a solved plan: P (10,000 residents, 40 people in dispersal, protected above 30 per 10,000 with
    no_rise) falls to its 20 survivors in 2026, when nobody arrives, and is held there in 2027: at 20, its level at
    the end of 2026, not its 40 at the start."""
    cfg = config([2026, 2027], [0, 100], policy={"pressure_basis": "supported",
                                                 "protect": {"above_per_10k": 30, "rule": "no_rise"}})
    del cfg["demand"]["contingency_start"]
    rows = [area("P", population=10_000, stock=40, capacity=100, cost=1_000, contingency=0),
            area("B", capacity=1_000, cost=5_000, contingency=0)]
    plan = solve(load(tmp_path, cfg, rows))
    cells = reason_cells(plan.allocations, plan.start, plan.pressure_basis)
    assert cells[("P", 2027)].startswith("protected (no rise): held at 20 on its pressure basis as at the end of 2026 "
                                         "(40 at the plan's start on 31 Dec 2025: 40 in dispersal)"), cells[("P", 2027)]


def test_the_people_counted_besides_dispersal_and_hotels_are_named_by_the_basis() -> None:
    """Trial 3 (b): "held at 912 … (847 in dispersal + 65 under other programmes)" for Sheffield: on the supported
    basis the 65 are in initial accommodation. The words name what the basis counts, from one place
    (allocator.place.fixed_words): initial accommodation, and a list's own columns as other programmes."""
    start = {"basis_total": 912, "stock": 847, "contingency": 0}
    facts = registry.Facts(year=2027, stock=847, fair=637.0, held=912, basis="supported", start=start)
    assert _no_rise().brief(facts).endswith("(847 in dispersal + 65 in initial accommodation)")
    listed = dataclasses.replace(facts, basis="dispersal+contingency+initial+x_afghan")
    assert _no_rise().brief(listed).endswith("(847 in dispersal + 65 in initial accommodation or under other "
                                             "programmes (x_afghan))")
    cap = registry.reasons()["pressure-basis cap"][0][1]
    assert cap.say(facts) == ("it is at its cap on the pressure basis: its people in dispersal, in its hotels and in "
                              "initial accommodation reach one per cluster_limit residents")
    none = dataclasses.replace(facts, start={"basis_total": 900, "stock": 900, "contingency": 0})
    assert cap.say(none) == ("it is at its cap on the pressure basis: its people in dispersal and in its hotels "
                             "reach one per cluster_limit residents")              # an area with nobody in initial
    hotels = {"basis_total": 2_054, "stock": 158, "contingency": 1_800, "cap": 1_645}
    over = registry.reasons()["inherited over cap (hotels)"][0][1]
    words = over.say(dataclasses.replace(facts, start=hotels, held=2_054, stock=158, in_hotels=0))
    assert "(158 in dispersal, 1,800 in its hotels, 96 in initial accommodation)" in words, words

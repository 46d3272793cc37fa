"""Tiny scenarios whose optimal plan is worked out on paper (in each docstring) and asserted exactly.

Conventions used in the reasoning: S = stock at the end of a year, C = people in
contingency (hotels), e = exit rate, need_t = (1-e) need_{t-1} + arrivals_t with
need_{-1} = today's stock + contingency_start; cap = floor(population / cluster_limit).
Stock may not fall below (1-e) x last year's stock (nobody is moved out).
The exact plan (``plan.exact_stock``) is checked to 1e-6; the written whole-people
plan exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator import InfeasibleError, solve
from allocator.cli import cli
from allocator.errors import EXIT_INFEASIBLE
from allocator.explain import explain_area
from tests.conftest import area, assert_close, config, exact, load, write_scenario, written


def test_cost_only_cheapest_first_then_hotel(tmp_path: Path) -> None:
    """Cost only: each person goes to the cheapest place that has room.

    Areas: A £4,000 (capacity 100), B £6,000 (capacity 80), C £60,000 (capacity 500);
    hotel £50,000. No procurement, caps not binding (population 1,000,000 → cap 5,000).
    e = 0.5, arrivals 250 then 100, nobody at the start: need = 250, then 0.5·250+100 = 225.

    Year 1: A and B are cheaper than a hotel, so they fill: A = 100, B = 80. C costs
    more than a hotel, so C = 0 and the other 250-180 = 70 stay in hotels.
    Year 2: the same fill (A 100, B 80, above their floors 50 and 40); C = 225-180 = 45.
    Placements: year 1 A 100, B 80; year 2 A 100-50 = 50, B 80-40 = 40.
    Objective: 880,000 + 70·50,000 = 4,380,000 in year 1; 880,000 + 45·50,000 = 3,130,000
    in year 2; total 7,510,000.
    """
    cfg = config([2026, 2027], [250, 100], hotel=50_000)
    rows = [area("A", cost=4_000, capacity=100), area("B", cost=6_000, capacity=80),
            area("C", cost=60_000, capacity=500)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert plan.status == "optimal"
    for code, stock in (("A", [100, 100]), ("B", [80, 80]), ("C", [0, 0])):
        assert_close(exact(plan, sc, code), stock)
        assert written(plan, code) == stock
    assert_close(plan.exact_contingency[:, 0], [70, 45])
    assert written(plan, "A", "placements") == [100, 50]
    assert written(plan, "B", "placements") == [80, 40]
    t = plan.trajectory
    assert t["need"].tolist() == [250, 225]
    assert t["dispersed"].tolist() == [180, 180]
    assert t["contingency"].tolist() == [70, 45]
    assert t["placements"].tolist() == [180, 90]
    assert t["accommodation_cost"].tolist() == [880_000, 880_000]
    assert t["contingency_cost"].tolist() == [3_500_000, 2_250_000]
    assert plan.objective == pytest.approx(7_510_000, rel=1e-9)


def test_equity_only_stock_proportional_to_population(tmp_path: Path) -> None:
    """Equity only (cost_weight 0), hotels expensive: everyone is dispersed in proportion to population.

    A has 100,000 residents, B 300,000 (shares 1/4 and 3/4); capacity 1,000 each; caps 500
    and 1,500. e = 0.5, arrivals 400 then 600: need 400, then 200+600 = 800.
    The objective (hotel cost + 1,000 × distance from the fair share) is never negative,
    and the plan C = 0, A = need/4, B = 3·need/4 makes it 0, so it is optimal; it is the
    only plan with 0 (C = 0 forces D = need, zero distance forces the split).
    Year 1: A 100, B 300. Year 2: A 200, B 600 (above the floors 50 and 150).
    Placements year 2: A 200-50 = 150, B 600-150 = 450. Every area has the same rate
    (10 per 10k, then 20), so the Gini is 0 and fair_share equals stock.
    """
    cfg = config([2026, 2027], [400, 600], hotel=50_000,
                 objective={"cost_weight": 0, "equity_weight": 1_000, "equity_measure": "l1"})
    rows = [area("A", population=100_000, capacity=1_000, cost=4_000),
            area("B", population=300_000, capacity=1_000, cost=9_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [100, 200])
    assert_close(exact(plan, sc, "B"), [300, 600])
    assert_close(plan.exact_contingency[:, 0], [0, 0])
    assert written(plan, "A") == [100, 200] and written(plan, "B") == [300, 600]
    assert written(plan, "A", "placements") == [100, 150]
    assert written(plan, "B", "placements") == [300, 450]
    assert written(plan, "A", "fair_share") == [100, 200]
    assert written(plan, "B", "fair_share") == [300, 600]
    assert plan.trajectory["gini"].tolist() == [0, 0]
    assert plan.trajectory["max_rate_per_10k"].tolist() == [10, 20]
    assert plan.objective == pytest.approx(0, abs=1e-6)


def test_gini_is_weighted_by_the_fair_share_key(tmp_path: Path) -> None:
    """The Gini of model.md with a fair-share key that is not the population (issue 11, D20).

    A and B have 100,000 residents each and keep their people (exit rate 0, no arrivals): A 100
    (rate 10 per 10,000), B 300 (rate 30). The key is 1 for A and 3 for B: p = 1/4, 3/4; the
    Lorenz curve is the share of sum(w r) = 10 + 90, so Lambda_1 = 0.1, Lambda_2 = 1 and
    G = 1 - (1/4 (0.1 + 0) + 3/4 (1 + 0.1)) = 0.15. (A share of the people housed, 1/4, would give
    0; weighting by the equal populations would give 0.25.)
    """
    cfg = config([2026], [0], exit_rate=0, policy={"fair_share": "key"})
    rows = [area("A", population=100_000, stock=100, capacity=100, key=1),
            area("B", population=100_000, stock=300, capacity=300, key=3)]
    plan = solve(load(tmp_path, cfg, rows))
    assert written(plan, "A") == [100] and written(plan, "B") == [300]
    assert plan.trajectory["gini"].tolist() == [0.15]
    assert plan.summary["headline"]["start"]["gini"] == 0.15


def test_equity_pulls_newcomers_even_when_hotels_are_free(tmp_path: Path) -> None:
    """Equity only, hotels free (contingency_weight 0): the newcomers go where the share is short.

    A and B have 100,000 residents each. A holds 200 today, B nobody; e = 0.5, arrivals 20:
    need = 0.5·200 + 20 = 120. A keeps at least 100 (its survivors).
    With two equal weights the l1 distance is |A - D/2| + |B - D/2| = |A - B|, and
    B <= need - A <= 20, so |A - B| >= 100 - 20 = 80, reached only by A = 100, B = 20, C = 0.
    Objective 1,000 × 80 = 80,000, although a hotel place would cost nothing.
    """
    cfg = config([2026], [20], hotel=50_000,
                 objective={"cost_weight": 0, "contingency_weight": 0, "equity_weight": 1_000})
    rows = [area("A", population=100_000, stock=200, capacity=200), area("B", population=100_000, capacity=1_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [100])
    assert_close(exact(plan, sc, "B"), [20])
    assert_close(plan.exact_contingency[:, 0], [0])
    assert written(plan, "A") == [100] and written(plan, "B") == [20]
    assert plan.objective == pytest.approx(80_000, rel=1e-9)


@pytest.mark.parametrize(("local_limit", "cap"), [(None, 100), (100, 200)])
def test_binding_cluster_limit(tmp_path: Path, local_limit: int | None, cap: int) -> None:
    """The cluster limit caps the cheap area; the rest go to the next cheapest.

    A (£4,000, capacity 500) has 20,000 residents: cap = 20,000/200 = 100 under the policy
    limit, or 20,000/100 = 200 with a local cluster_limit of 100 in the areas table.
    B (£6,000, capacity 500, 1,000,000 residents) takes the rest. One year, 300 arrivals.
    Cost only: A = cap (capacity 500 does not bind), B = 300 - cap, C = 0.
    Objective: 4,000·cap + 6,000·(300-cap) = 1,600,000 (cap 100) or 1,400,000 (cap 200).
    """
    cfg = config([2026], [300])
    rows = [area("A", population=20_000, cost=4_000, capacity=500, cluster_limit=local_limit),
            area("B", cost=6_000, capacity=500, cluster_limit=None)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [cap])
    assert_close(exact(plan, sc, "B"), [300 - cap])
    assert written(plan, "A") == [cap] and written(plan, "B") == [300 - cap]
    assert written(plan, "A", "cap") == [cap]
    assert written(plan, "A", "over_cap") == [False]
    assert plan.objective == pytest.approx(4_000 * cap + 6_000 * (300 - cap), rel=1e-9)


def test_inherited_stock_over_the_limit_only_decays(tmp_path: Path) -> None:
    """Stock inherited above the cap decays with no placements, then returns to the cap.

    A: 54,000 residents → cap 270; holds 450 today (over the cap), capacity 500, £4,000.
    B: £6,000, capacity 2,000, not capped. Hotel £50,000. e = 0.35; contingency_start 550,
    arrivals 350, 300, 382.5: need = 0.65·1000+350 = 1000, 0.65·1000+300 = 950,
    0.65·950+382.5 = 1000.
    Year 1: A's survivors are 0.65·450 = 292.5 > 270, so A may hold no more than that and
    no less: A = 292.5, placements 0, B = 1000 - 292.5 = 707.5.
    Year 2: survivors 0.65·292.5 = 190.125 < 270, so A (cheapest) goes back to the cap:
    A = 270 (79.875 placements), B = 680. Year 3: A = 270, B = 730.
    Whole people, year 1: total 1000; floors 292 + 707 = 999; both fractions are .5 and
    the tie goes to the first row, so A = 293 (allowed: its limit is ceil(292.5)), B = 707.
    Year-2 placements 79.875 and 220.125 add up to 300: A rounds up to 80.
    A is over the cap in year 1 only, and is listed in the summary.
    """
    cfg = config([2026, 2027, 2028], [350, 300, 382.5], exit_rate=0.35, contingency_start=550)
    rows = [area("A", population=54_000, stock=450, capacity=500, cost=4_000),
            area("B", cost=6_000, capacity=2_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [292.5, 270, 270])
    assert_close(exact(plan, sc, "B"), [707.5, 680, 730])
    assert_close(plan.exact_contingency[:, 0], [0, 0, 0])
    assert written(plan, "A") == [293, 270, 270]
    assert written(plan, "B") == [707, 680, 730]
    assert written(plan, "A", "placements")[:2] == [0, 80]
    assert written(plan, "A", "cap") == [270, 270, 270]
    assert written(plan, "A", "over_cap") == [True, False, False]
    assert plan.trajectory["areas_over_cap"].tolist() == [1, 0, 0]
    over = plan.summary["inherited_over_cap"]
    assert [(r["area_code"], r["stock"], r["cap"]) for r in over] == [("A", 450, 270)]


def test_volunteered_area_opens_in_year_three(tmp_path: Path) -> None:
    """A volunteered area holds nobody before it opens, then grows at its procurement pace.

    V (£3,000, cheapest) volunteers from 2028 (the third year) with no bed spaces and 100
    new ones a year: its capacity path is 0, 0, 100, 200. E (£6,000, capacity 10,000).
    Hotel £50,000. e = 0.5, arrivals 400, 200, 300, 350: need 400, 400, 500, 600.
    Cost only: V fills what it has: 0, 0, 100, 200; E takes the rest: 400 each year
    (above its floors). V's placements 0, 0, 100, 200-50 = 150; its capacity 0, 0, 100, 200
    (procured 0, 0, 100, 100). Both areas have 1,000,000 residents, so V's fair share is
    0 before it opens and half the national total after: 250, 300.
    """
    cfg = config([2026, 2027, 2028, 2029], [400, 200, 300, 350])
    rows = [area("E", cost=6_000, capacity=10_000),
            area("V", cost=3_000, status="volunteered", available_from=2028, procurement=100)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "V"), [0, 0, 100, 200])
    assert_close(exact(plan, sc, "E"), [400, 400, 400, 400])
    assert written(plan, "V") == [0, 0, 100, 200]
    assert written(plan, "V", "placements") == [0, 0, 100, 150]
    assert written(plan, "V", "capacity") == [0, 0, 100, 200]
    assert written(plan, "V", "procured") == [0, 0, 100, 100]
    assert written(plan, "V", "fair_share") == [0, 0, 250, 300]


def test_procurement_limited_area(tmp_path: Path) -> None:
    """The cheap area grows only as fast as bed spaces can be procured: capacity0 + q × years.

    A (£4,000) has 50 bed spaces and can procure 30 a year: 80, 110, 140 by the end of
    years 1-3. B (£6,000, capacity 1,000). e = 0.5, arrivals 300, 150, 150: need 300 each year.
    Procurement is free, so A fills its path: 80, 110, 140; B = 220, 190, 160 (above its
    floors 110 and 95). Written capacity 80, 110, 140 (procured 30 each year).
    Objective: 4,000·330 + 6,000·570 = 4,740,000.
    """
    cfg = config([2026, 2027, 2028], [300, 150, 150])
    rows = [area("A", cost=4_000, capacity=50, procurement=30), area("B", cost=6_000, capacity=1_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [80, 110, 140])
    assert_close(exact(plan, sc, "B"), [220, 190, 160])
    assert written(plan, "A") == [80, 110, 140]
    assert written(plan, "A", "capacity") == [80, 110, 140]
    assert written(plan, "A", "procured") == [30, 30, 30]
    assert plan.trajectory["procurement_cost"].tolist() == [0, 0, 0]
    assert plan.objective == pytest.approx(4_740_000, rel=1e-9)


def test_procurement_cost_buys_only_the_places_that_pay(tmp_path: Path) -> None:
    """With £5,000 per new place, only places used for all three years are worth procuring.

    Same areas and need as the procurement-limited case (A £4,000 vs B £6,000: a place in A
    saves £2,000 a year). The 30 places procurable in year 1 can be used 3 years: save
    6,000 > 5,000, so buy them. The next 30 arrive in year 2 and save at most 4,000 < 5,000;
    the last 30 save 2,000. So A = 80, 80, 80 and B = 220 each year; 30 places procured.
    Objective: 4,000·240 + 6,000·660 + 5,000·30 = 5,070,000; procurement cost 150,000 in year 1.
    """
    cfg = config([2026, 2027, 2028], [300, 150, 150], procurement_per_place=5_000)
    rows = [area("A", cost=4_000, capacity=50, procurement=30), area("B", cost=6_000, capacity=1_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [80, 80, 80])
    assert_close(exact(plan, sc, "B"), [220, 220, 220])
    assert written(plan, "A", "procured") == [30, 0, 0]
    assert plan.trajectory["procurement_cost"].tolist() == [150_000, 0, 0]
    assert plan.objective == pytest.approx(5_070_000, rel=1e-9)


def test_hotel_ceiling_forces_dispersal_into_an_expensive_area(tmp_path: Path) -> None:
    """A binding contingency ceiling makes the plan use an area dearer than a hotel.

    A (£4,000, capacity 100), B (£80,000, capacity 1,000); hotel £50,000; 300 arrivals.
    Without a ceiling: A = 100, B = 0 (dearer than a hotel), C = 200; objective
    400,000 + 10,000,000 = 10,400,000. With a ceiling of 50: at least 250 must be
    dispersed, so B = 150, C = 50; objective 400,000 + 12,000,000 + 2,500,000 = 14,900,000.
    """
    cfg = config([2026], [300], hotel=50_000, policy={"contingency_ceiling": {2026: 50}})
    rows = [area("A", cost=4_000, capacity=100), area("B", cost=80_000, capacity=1_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "B"), [150])
    assert_close(plan.exact_contingency[:, 0], [50])
    assert written(plan, "A") == [100] and written(plan, "B") == [150]
    assert plan.trajectory["contingency"].tolist() == [50]
    assert plan.objective == pytest.approx(14_900_000, rel=1e-9)

    free = solve(sc.with_policy(contingency_ceiling=None))
    assert_close(exact(free, sc, "B"), [0])
    assert free.trajectory["contingency"].tolist() == [200]
    assert free.objective == pytest.approx(10_400_000, rel=1e-9)


def test_max_growth_binds(tmp_path: Path) -> None:
    """Stock grows by at most absolute + relative × last year's stock (here 20 + 0.5 × stock).

    A (£4,000, capacity 1,000) holds 100 today; B (£6,000, capacity 5,000) nobody.
    e = 0.5, arrivals 1,000 twice: need 0.5·100+1000 = 1,050, then 525+1000 = 1,525.
    Dispersal is cheaper than a hotel, so both grow as fast as allowed:
    A ≤ 20 + 1.5·100 = 170, then 20 + 1.5·170 = 275; B ≤ 20 + 0 = 20, then 20 + 1.5·20 = 50.
    C = 1,050 - 190 = 860, then 1,525 - 325 = 1,200.
    Objective: (680,000 + 120,000 + 43,000,000) + (1,100,000 + 300,000 + 60,000,000) = 105,200,000.
    """
    cfg = config([2026, 2027], [1_000, 1_000], policy={"max_growth": {"absolute": 20, "relative": 0.5}})
    rows = [area("A", stock=100, capacity=1_000, cost=4_000), area("B", capacity=5_000, cost=6_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [170, 275])
    assert_close(exact(plan, sc, "B"), [20, 50])
    assert_close(plan.exact_contingency[:, 0], [860, 1_200])
    assert written(plan, "A") == [170, 275] and written(plan, "B") == [20, 50]
    assert plan.objective == pytest.approx(105_200_000, rel=1e-9)


def test_excluded_area_only_decays(tmp_path: Path) -> None:
    """An excluded area takes nobody new, however cheap: its stock only decays.

    X is excluded, £1,000 (cheapest), capacity 500, holds 200 today; B (£6,000, capacity
    5,000). e = 0.5, arrivals 300 a year: need 0.5·200+300 = 400, then 500, then 550.
    X = 100, 50, 25 with 0 placements; B takes the rest: 300, 450, 525.
    """
    cfg = config([2026, 2027, 2028], [300, 300, 300])
    rows = [area("X", status="excluded", stock=200, capacity=500, cost=1_000), area("B", capacity=5_000, cost=6_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "X"), [100, 50, 25])
    assert_close(exact(plan, sc, "B"), [300, 450, 525])
    assert written(plan, "X") == [100, 50, 25]
    assert written(plan, "X", "placements") == [0, 0, 0]
    assert written(plan, "X", "fair_share") == [0, 0, 0]


def _infeasible(folder: Path) -> Path:
    cfg = config([2026, 2027], [300, 150], policy={"contingency_ceiling": {2026: 250, 2027: 100}})
    return write_scenario(folder, cfg, [area("A", cost=4_000, capacity=100)])


def test_unreachable_ceiling_is_infeasible_with_the_shortfall(tmp_path: Path) -> None:
    """A ceiling that capacity cannot meet: InfeasibleError naming the family, the year and the gap.

    One area, capacity 100, no procurement. e = 0.5, arrivals 300 then 150: need 300, 300.
    At most 100 can be dispersed, so at least 200 are in hotels each year.
    2026: ceiling 250 ≥ 200, fine. 2027: ceiling 100 < 200: lowest reachable 200,
    100 places short. The CLI exits 3, says the same and writes nothing.
    """
    from allocator import load_scenario

    path = _infeasible(tmp_path / "sc")
    with pytest.raises(InfeasibleError) as err:
        solve(load_scenario(path))
    text = str(err.value)
    assert "contingency_ceiling 2027" in text
    assert "lowest reachable 200" in text
    assert "100 more dispersal places" in text
    assert "contingency_ceiling 2026" not in text
    [relax] = [r for r in err.value.relaxations if r["option"] == "ceiling"]
    assert relax["family"] == "contingency_ceiling" and relax["year"] == 2027
    # the other lever: 100 more bed spaces in the one area (region R1) would do instead
    [more] = [r for r in err.value.relaxations if r["option"] == "capacity"]
    assert more["area_code"] == "A" and more["amount"] == pytest.approx(100, abs=1e-3)
    assert relax["places_short"] == pytest.approx(100, abs=1e-6)
    assert relax["lowest_reachable"] == pytest.approx(200, abs=1e-6)

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["solve", str(path), "--out", str(out)])
    assert result.exit_code == EXIT_INFEASIBLE == 3
    assert "contingency_ceiling 2027" in result.stderr and "100 more dispersal places" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_ceiling_out_of_reach_in_two_years_is_given_year_by_year(tmp_path: Path) -> None:
    """People in different years do not add up: the option gives each year's figure, never their sum.

    One area, capacity 100, no procurement; e = 0.5, arrivals 300, 150, 200: need 300, 300, 350, so at least
    200, 200 and 250 people are in hotels. Ceilings 100 in 2027 and 50 in 2028: 100 people short in 2027 and
    200 in 2028 (not "300 people": the 100 of 2027 are among the 200 of 2028, or have left). Procuring instead:
    bed spaces last, so the largest year's shortfall, 200 bed spaces, is enough for both years.
    """
    cfg = config([2026, 2027, 2028], [300, 150, 200], policy={"contingency_ceiling": {2027: 100, 2028: 50}})
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path, cfg, [area("A", cost=4_000, capacity=100)]))
    text = str(err.value)
    assert "  Option 1: raise the contingency ceiling (100 people in 2027, 200 in 2028)\n" in text
    assert "  Option 2: procure more bed spaces (200 bed spaces)\n" in text
    assert "total" not in text
    assert [(r["year"], r["amount"]) for r in err.value.relaxations if r["option"] == "ceiling"] == [
        (2027, pytest.approx(100, abs=1e-6)), (2028, pytest.approx(200, abs=1e-6))]


def test_a_lever_with_no_rule_in_the_years_in_conflict_is_not_offered(tmp_path: Path) -> None:
    """"Not enough on its own" lists only levers whose rules act in the years in conflict.

    A (capacity 100) has agreed to hold at least 150 people at the end of 2026: 50 out of reach, so 2026 is
    the year in conflict (loosen the minimum by 50, or 50 more bed spaces). The contingency ceiling is set
    for 2027 only: it has no rule in 2026 and is not listed (raising it could not help); the cluster caps act
    in 2026 and are not enough, so they are.
    """
    cfg = config([2026, 2027], [300, 100], policy={"contingency_ceiling": {2027: 1_000}},
                 agreements=[{"area_code": "A", "year": 2026, "minimum": 150}])
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path, cfg, [area("A", cost=4_000, capacity=100)]))
    text = str(err.value)
    assert "contingency_ceiling" in text.split(";")[0] and "years in conflict: 2026)" in text
    assert "agreement Area A (A) 2026: minimum 150 loosened to 100 (-50)" in text
    assert text.splitlines()[-1] == "  Not enough on its own: raise cluster caps."


def test_a_shadow_price_is_the_saving_over_the_whole_plan(tmp_path: Path) -> None:
    """The shadow price is £ over the whole plan, not £ a year: the person placed stays on.

    P (10,000 residents, 100 people today: 100 per 10,000) is protected with no new placements, £1,000 a
    place; B has 60 places at £5,000; a hotel place £50,000; e = 0.5, arrivals 200 then 100: need 250, 225.
    P keeps 50, then 25; B holds 60 both years; 140 in hotels both years. Objective: 2026
    50·1,000 + 60·5,000 + 140·50,000 = 7,350,000; 2027 25,000 + 300,000 + 7,000,000 = 7,325,000; 14,675,000.
    One more placement allowed in P in 2026: a hotel place less P's saved in 2026 (49,000), and half that
    person still in P at the end of 2027 (nobody is moved out, and P takes nobody new), 0.5 · 49,000 =
    24,500 in 2027: 73,500, one and a half years' saving. In 2027, the last year: 49,000. One more bed
    space in B in 2026: 45,000 (B's 2027 limit holds it at 60 again: nothing follows).
    """
    cfg = config([2026, 2027], [200, 100], hotel=50_000,
                 policy={"protect": {"above_per_10k": 30, "rule": "no_new_placements"}})
    rows = [area("P", population=10_000, stock=100, capacity=1_000, cost=1_000), area("B", capacity=60, cost=5_000)]
    plan = solve(load(tmp_path, cfg, rows))
    assert plan.objective == pytest.approx(14_675_000, rel=1e-9)
    assert written(plan, "P") == [50, 25] and written(plan, "B") == [60, 60]
    assert written(plan, "P", "shadow_price") == [73_500, 49_000]
    assert written(plan, "B", "shadow_price") == [45_000, 45_000]
    words = explain_area(plan.allocations, "P")
    assert ("  One more place allowed here in 2026 would save £73,500 over the whole plan, 2026–2027 (not a yearly "
            "figure: the person placed stays on into later years).") in words


@pytest.mark.parametrize(("measure", "b", "c", "objective"), [("minmax", 400, 0, 100_000), ("l1", 300, 100, 120_000)])
def test_minmax_versus_l1_on_two_areas(tmp_path: Path, measure: str, b: float, c: float, objective: float) -> None:
    """The minmax measure (highest rate) and l1 trade hotel places off differently.

    A: 100,000 residents with a local cluster_limit of 1,000 → cap 100; holds 200 today,
    so its survivors (e = 0.5) are exactly 100 = cap: A = 100. B: 300,000 residents
    (share 3/4 vs A's 1/4), capacity 1,000. Arrivals 400: need 100 + 400 = 500; C = 400 - B.
    Costs off (cost_weight 0), equity weight 3,000, hotel £1,200.
    minmax: excess = max(4A, 4B/3) - (A + B) = max(400, 4B/3) - 100 - B: for B ≤ 300 it is
    300 - B (falls), above it B/3 - 100 (rises 1/3 per person = £1,000 < £1,200 a hotel place).
    So B takes everyone: B = 400, C = 0, objective 3,000 × (1600/3 - 500) = 100,000.
    l1: for B ≥ 300, |100 - D/4| + |B - 3D/4| with D = 100 + B is B/2 - 150: it rises 1/2
    per person = £1,500 > £1,200, so B stops at its fair share 300, C = 100;
    objective 0 + 1,200 × 100 = 120,000 (B = 400 would cost 3,000 × 50 = 150,000).
    """
    cfg = config([2026], [400], hotel=1_200,
                 objective={"cost_weight": 0, "equity_weight": 3_000, "equity_measure": measure})
    rows = [area("A", population=100_000, stock=200, capacity=200, cluster_limit=1_000),
            area("B", population=300_000, capacity=1_000, cluster_limit=None)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [100])
    assert_close(exact(plan, sc, "B"), [b])
    assert_close(plan.exact_contingency[:, 0], [c])
    assert written(plan, "B") == [b]
    assert plan.objective == pytest.approx(objective, rel=1e-9)


def test_two_cohorts_share_one_cluster_limit(tmp_path: Path) -> None:
    """Cohorts have their own columns; the cluster limit applies to their total.

    Cohorts single (60% of arrivals) and family (40%); 300 arrivals: 180 single, 120 family.
    A: 20,000 residents → cap 100 in total; single capacity 100 at £4,000, family capacity 80
    at £3,000. B: not capped, capacity 1,000 each, £6,000 for both. Hotels £50,000.
    Moving a family from B to A saves £3,000, a single adult £2,000; A holds 100 in all.
    So families fill A first up to their capacity 80, then single adults take the last
    20 places; B takes 160 single, 40 family. Everyone is dispersed.
    Objective: 80·3,000 + 20·4,000 + 160·6,000 + 40·6,000 = 1,520,000.
    """
    cfg = config([2026], [300], cohorts=[{"name": "single", "arrivals_share": 0.6},
                                         {"name": "family", "arrivals_share": 0.4}])

    def row(code: str, population: int, cap_s: int, cap_f: int, cost_s: int, cost_f: int) -> dict:
        r = area(code, population=population)
        for base in ("stock", "capacity", "procurement_per_year", "cost_per_place"):
            r.pop(base)
        r.update(stock_single=0, capacity_single=cap_s, procurement_per_year_single=0, cost_per_place_single=cost_s,
                 stock_family=0, capacity_family=cap_f, procurement_per_year_family=0, cost_per_place_family=cost_f)
        return r

    sc = load(tmp_path, cfg, [row("A", 20_000, 100, 80, 4_000, 3_000), row("B", 1_000_000, 1_000, 1_000, 6_000, 6_000)])
    plan = solve(sc)
    assert sc.cohort_names == ["single", "family"]
    assert_close(exact(plan, sc, "A", cohort=0), [20])
    assert_close(exact(plan, sc, "A", cohort=1), [80])
    assert_close(exact(plan, sc, "B", cohort=0), [160])
    assert_close(exact(plan, sc, "B", cohort=1), [40])
    assert_close(plan.exact_contingency, [[0, 0]])
    a = plan.allocations
    assert list(a.columns[:5]) == ["area_code", "area_name", "region", "year", "cohort"]
    got = {(r.area_code, r.cohort): (r.stock, r.cap) for r in a.itertuples()}
    assert got == {("A", "single"): (20, 100), ("A", "family"): (80, 100),
                   ("B", "single"): (160, 5_000), ("B", "family"): (40, 5_000)}
    assert plan.trajectory["dispersed"].tolist() == [300]
    assert plan.objective == pytest.approx(1_520_000, rel=1e-9)

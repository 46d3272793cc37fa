"""Place-based plans (issue 13, items 1-3): hotels by area, the pressure basis, protection.

Each hand-solved case gives its reasoning in its docstring and asserts the plan exactly (the exact
plan to 1e-6, the written whole-people plan and the objective). Conventions as in
tests/test_hand_solved.py: need_t = (1-e) need_{t-1} + arrivals_t, cap = floor(population / 200).
Hotels by area: H the open hotel places, L the people in an area's hotels, Q new contingency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from allocator import InfeasibleError, load_scenario, prepare, solve
from allocator.errors import ScenarioError
from allocator.explain import explain_area
from allocator.model import build_lp
from tests.conftest import EXAMPLE, WORKED, area, assert_close, config, exact, load, written


def hotel_config(years: list[int], arrivals: list[float], **kwargs) -> dict:
    """A scenario dict without ``contingency_start``: the areas' ``contingency`` column gives it."""
    cfg = config(years, arrivals, **kwargs)
    del cfg["demand"]["contingency_start"]
    return cfg


def hotels_of(plan, code: str, column: str) -> list:
    return written(plan, code, column)


# --------------------------------------------------------------------------- 1. hotels by area
@pytest.mark.parametrize(("place_cost", "close_by", "objective", "places", "located", "new"), [
    (10_000, None, 8_500_000, [50, 50], [0, 50], [0, 50]),
    (40_000, None, 9_000_000, [0, 0], [0, 0], [0, 100]),
    (10_000, 2027, 9_000_000, [0, 0], [0, 0], [0, 100]),
])
def test_hotels_close_but_never_reopen(tmp_path: Path, place_cost, close_by, objective, places, located, new) -> None:
    """Area A: 100 places at £5,000, nobody now; area H: 50 people in its hotels now (its 50 hotel
    places). No exits; arrivals 50 then 100; hotel £50,000 a person-year, new contingency £80,000, an
    open hotel place ``place_cost`` a year.

    need = 50 + 50 = 100, then 200. A fills (100 both years, far cheaper than contingency): nobody is
    in contingency in 2026, 100 people in 2027.

    * place cost £10,000: keeping H's 50 places open both years costs 2 × 500,000, and 50 of the 2027
      hundred go to them (50 × 50,000) and 50 to new sites (50 × 80,000): 7,500,000 for contingency.
      Closing them in 2026 puts all 100 in new sites: 8,000,000. So they stay open, empty in 2026.
      (Reopening, if it were allowed, would close them in 2026 and reopen in 2027: 7,000,000.)
      Objective 2 × 500,000 (A) + 7,500,000 = 8,500,000.
    * place cost £40,000: open both years 2 × 2,000,000 + 2,500,000 + 4,000,000 = 8,500,000 > 8,000,000:
      they close at once. Objective 1,000,000 + 8,000,000 = 9,000,000.
    * hotels_close_by 2027 at £10,000: no places in 2027, so keeping them in 2026 buys nothing: closed
      in 2026, all 100 in new sites: 9,000,000.
    """
    cfg = hotel_config([2026, 2027], [50, 100], exit_rate=0.0, hotel=50_000)
    cfg["costs"].update(new_contingency_per_person_year=80_000, hotel_place_per_year=place_cost)
    rows = [area("A", capacity=100, cost=5_000), area("H", contingency=50, hotels_close_by=close_by)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert plan.objective == pytest.approx(objective, rel=1e-9)
    assert_close(exact(plan, sc, "A"), [100, 100])
    assert_close(plan.exact_hotels.places[1], places)
    assert_close(plan.exact_hotels.located[1], located)
    assert_close(plan.exact_hotels.new, new)
    assert hotels_of(plan, "H", "hotel_places") == places and hotels_of(plan, "H", "contingency") == located
    assert hotels_of(plan, "A", "hotel_places") == [0, 0]
    t = plan.trajectory
    assert t["new_contingency"].tolist() == new and t["contingency"].tolist() == [0, 100]
    assert t["contingency_cost"].tolist() == [places[0] * place_cost,
                                              places[1] * place_cost + located[1] * 50_000 + new[1] * 80_000]
    close = plan.start.set_index("area_code")["hotels_close"]
    assert close.isna()["A"] and (close.isna()["H"] if places[0] else close["H"] == 2026)
    words = explain_area(plan.allocations, "H")
    assert any("50 in its hotels, 50 hotel places open" in line for line in words) == (places == [50, 50])


# --------------------------------------------------------------------------- 2. pressure basis
def test_an_area_over_its_cap_because_of_hotels_takes_no_new_dispersal(tmp_path: Path) -> None:
    """Area H: 20,000 residents (cap 100), 40 people in dispersal and 90 in its hotels now, 200 places at
    £1,000; area B: 1,000 places at £5,000. e = 0.5, one year, 100 arrivals: need = 0.5·130 + 100 = 165.

    On dispersal alone H fills to its cap (100, the cheapest): 100·1,000 + 65·5,000 = 425,000.
    On the supported basis H's inherited position is 20 still in dispersal + 90 in its hotels = 110 > 100:
    over its cap by inheritance, so nobody new goes to H (20), and B takes the other 145:
    20·1,000 + 145·5,000 = 745,000. Nobody stays in contingency (B is far cheaper).
    """
    cfg = hotel_config([2026], [100], hotel=50_000)
    rows = [area("H", population=20_000, stock=40, capacity=200, cost=1_000, contingency=90),
            area("B", capacity=1_000, cost=5_000)]
    dispersal = solve(load(tmp_path / "dispersal", cfg, rows))
    assert dispersal.objective == pytest.approx(425_000, rel=1e-9)
    assert written(dispersal, "H") == [100]
    cfg["policy"]["pressure_basis"] = "supported"
    sc = load(tmp_path / "supported", cfg, rows)
    plan = solve(sc)
    assert plan.objective == pytest.approx(745_000, rel=1e-9)
    assert_close(exact(plan, sc, "H"), [20])
    assert_close(exact(plan, sc, "B"), [145])
    assert written(plan, "H", "placements") == [0] and written(plan, "B") == [145]
    assert written(plan, "H", "limited_by") == ["inherited over cap (hotels)"]
    a = plan.allocations.set_index("area_code")
    assert a.loc["H", "basis_total"] == 20 and a.loc["H", "rate_per_10k"] == 10.0
    assert plan.summary["over_cap_on_basis"] == [{"area_code": "H", "area_name": "Area H", "basis_total": 130,
                                                  "cap": 100}]
    assert any("the people in its hotels at the start count on the basis" in line
               for line in explain_area(plan.allocations, "H"))


@pytest.mark.parametrize(("basis", "objective", "located", "new"), [("dispersal", 1_150_000, 20, 0),
                                                                   ("supported", 1_750_000, 0, 20)])
def test_hotel_residents_count_towards_the_cap(tmp_path: Path, basis, objective, located, new) -> None:
    """Area H: 20,000 residents (cap 100), nobody in dispersal, 60 in its hotels, 200 places at £1,000;
    area B: 10 places at £5,000. e = 0.5, one year, 100 arrivals: need 0.5·60 + 100 = 130. Hotel
    £50,000, new contingency £80,000. B fills (10); 120 are left.

    * dispersal basis: H fills to its cap on dispersal, 100; 20 stay in H's hotels (dearer new sites
      not needed): 100,000 + 50,000 + 20·50,000 = 1,150,000;
    * supported basis: H's dispersal and hotel residents together are at most 100. Each of those
      100 is cheaper in dispersal (£1,000) than in a hotel (£50,000): H 100, nobody in its hotels,
      20 in new sites: 100,000 + 50,000 + 20·80,000 = 1,750,000. H is at its cap on the basis.
    """
    cfg = hotel_config([2026], [100], hotel=50_000, policy={"pressure_basis": basis})
    cfg["costs"]["new_contingency_per_person_year"] = 80_000
    rows = [area("H", population=20_000, capacity=200, cost=1_000, contingency=60), area("B", capacity=10)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert plan.objective == pytest.approx(objective, rel=1e-9)
    assert_close(exact(plan, sc, "H"), [100])
    assert_close(plan.exact_hotels.located[0], [located])
    assert hotels_of(plan, "H", "contingency") == [located] and plan.trajectory["new_contingency"].tolist() == [new]
    reasons = written(plan, "H", "limited_by")[0].split("; ")
    assert ("pressure-basis cap" in reasons) == (basis == "supported") and "cluster limit" in reasons


def test_the_basis_counts_other_programmes(tmp_path: Path) -> None:
    """A list basis: area A (cap 100, £1,000) supports 70 resettled people; B (£5,000) has room.
    100 arrivals, nobody now: A may hold 100 - 70 = 30 in dispersal, B the other 70:
    30,000 + 350,000 = 380,000 (on dispersal alone A would take all 100: 100,000). A's total on the
    basis is 100, at its cap; its fair share and rates are on the basis too."""
    cfg = config([2026], [100], policy={"pressure_basis": ["resettled"]})
    rows = [area("A", population=20_000, capacity=200, cost=1_000, resettled=70),
            area("B", population=20_000, capacity=200, cost=5_000, resettled=0)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert plan.objective == pytest.approx(380_000, rel=1e-9)
    assert_close(exact(plan, sc, "A"), [30])
    a = plan.allocations.set_index("area_code")
    assert a.loc["A", "basis_total"] == 100 and a.loc["A", "basis_rate_per_10k"] == 50.0
    assert a.loc["A", "rate_per_10k"] == 15.0 and a.loc["A", "fair_share"] == 85.0     # half of 170
    assert a.loc["A", "limited_by"] == "cluster limit"
    t = plan.trajectory.iloc[0]
    assert t["basis_total"] == 170 and t["dispersed"] == 100
    assert plan.summary["headline"]["end"]["basis"]["total"] == 170


# --------------------------------------------------------------------------- 3. protection
@pytest.mark.parametrize(("protect", "column", "objective", "stock_p"), [
    (None, None, 400_000, 50),
    ({"above_per_10k": 30}, None, 440_000, 40),
    ({"above_per_10k": 30, "rule": "no_new_placements"}, None, 520_000, 20),
    ({"above_per_10k": 30}, {"P": False}, 400_000, 50),
    ({"above_per_10k": 30}, {"P": False, "B": True}, 3_550_000, 50),
])
def test_protection_both_rules(tmp_path: Path, protect, column, objective, stock_p) -> None:
    """Area P: 10,000 residents (cap 50), 40 people now (40 per 10,000), 100 places at £1,000; area B:
    1,000 places at £5,000, nobody now. e = 0.5, one year, 100 arrivals: need 120; hotel £50,000.

    * no protection: P fills to its cap 50, B 70: 50,000 + 350,000 = 400,000;
    * protected above 30 per 10,000, no_net_growth: P at most today's 40, B 80: 440,000;
    * no_new_placements: P keeps only its 20 survivors, B 100: 20,000 + 500,000 = 520,000;
    * ``protect`` false on P (a local exception): as unprotected, 400,000;
    * ``protect`` true on B (rate 0) and false on P: B may hold nobody (no more than today's 0), P 50,
      70 stay in contingency: 50,000 + 3,500,000 = 3,550,000.
    """
    policy = {} if protect is None else {"protect": protect}
    cfg = config([2026], [100], hotel=50_000, policy=policy)
    rows = [area("P", population=10_000, stock=40, capacity=100, cost=1_000),
            area("B", capacity=1_000, cost=5_000)]
    if column:
        for r in rows:
            r["protect"] = {True: "true", False: "false"}.get(column.get(r["area_code"]))
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert plan.objective == pytest.approx(objective, rel=1e-9)
    assert_close(exact(plan, sc, "P"), [stock_p])
    assert written(plan, "P") == [stock_p]
    if protect is not None and column is None:
        rule = protect.get("rule", "no_net_growth").replace("_", " ")
        assert f"protected ({rule})" in written(plan, "P", "limited_by")[0]
        assert plan.start.set_index("area_code")["protected"].to_dict() == {"P": True, "B": False}


@pytest.mark.parametrize(("rule", "objective", "stock_p"), [
    ("no_net_growth", 410_000, [20, 40]),
    ("no_rise", 490_000, [20, 20]),
])
def test_protection_no_rise_stops_a_dip_and_refill(tmp_path: Path, rule, objective, stock_p) -> None:
    """Issue 14: a protected area must end no year with more people on its pressure basis than it
    started it with. Area P: 10,000 residents, 40 people now (40 per 10,000, protected above 30), 100
    places at £1,000; area B: 1,000 places at £5,000, nobody now; both with a (zero) hotels column and
    the supported basis. e = 0.5, arrivals 0 then 100: need 20, then 110.

    * 2026: nobody arrives, P keeps its 20 survivors (20,000).
    * ``no_net_growth`` lets P refill to today's 40 in 2027 (a rise from 20): 40,000 + 70 x 5,000 =
      390,000; objective 410,000.
    * ``no_rise`` holds P at 20: 20,000 + 90 x 5,000 = 470,000; objective 490,000.
    """
    cfg = hotel_config([2026, 2027], [0, 100], hotel=50_000,
                       policy={"pressure_basis": "supported", "protect": {"above_per_10k": 30, "rule": rule}})
    rows = [area("P", population=10_000, stock=40, capacity=100, cost=1_000, contingency=0),
            area("B", capacity=1_000, cost=5_000, contingency=0)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert plan.objective == pytest.approx(objective, rel=1e-9)
    assert_close(exact(plan, sc, "P"), stock_p)
    assert written(plan, "P") == stock_p
    if rule == "no_rise":
        assert "protected (no rise)" in written(plan, "P", "limited_by")[1]


def test_protection_no_rise_needs_hotels_counted(tmp_path: Path) -> None:
    """``no_rise`` is on the pressure basis with hotel residents: with the dispersal basis it is refused."""
    cfg = hotel_config([2026], [10], policy={"protect": {"above_per_10k": 30, "rule": "no_rise"}})
    rows = [area("P", population=10_000, stock=40, capacity=100, contingency=0)]
    with pytest.raises(ScenarioError, match="policy.protect.rule.*no_rise needs hotels by area"):
        load(tmp_path, cfg, rows)


@pytest.mark.parametrize("rule, extra, message", [
    ("no_net_growth", {"protect_level": 30}, r"areas.csv, line 2 \(area P\), column 'protect_level': protect_level "
                                             r"needs protect: true in the same row"),
    ("no_new_placements", {"protect": "true", "protect_level": 30}, r"areas.csv, line 2 \(area P\), column 'protect_level': "
                                                                    r"protect_level is not used by policy.protect.rule "
                                                                    r"no_new_placements"),
    ("no_net_growth", {"hotel_places": 5}, r"areas.csv, line 2 \(area P\), column 'hotel_places': hotel_places is "
                                           r"below contingency"),
    ("no_net_growth", {"over_cap_until": "soon"}, r"areas.csv, line 2 \(area P\), column 'over_cap_until': not a "
                                                  r"number: 'soon'"),
    ("no_net_growth", {"protect": "true", "protect_level": -1}, r"column 'protect_level'"),
])
def test_the_carried_columns_refuse_bad_values(tmp_path: Path, rule, extra, message) -> None:
    """protect_level, hotel_places and over_cap_until (what a re-plan carries from the previous plan's start):
    one message naming the file, row and column."""
    cfg = hotel_config([2026], [10], policy={"pressure_basis": "supported",
                                              "protect": {"above_per_10k": 30, "rule": rule}})
    rows = [area("P", population=10_000, stock=40, capacity=100, contingency=10, **extra)]
    with pytest.raises(ScenarioError, match=message):
        load(tmp_path, cfg, rows)


def test_the_carried_columns_hand_solved(tmp_path: Path) -> None:
    """P (cap 50) has 10 people in dispersal and 0 in hotels but 20 hotel places open (hotel_places), is over
    its cap by inheritance in 2026 (over_cap_until) and protected at a level of 30 (no_net_growth). 2026 (need
    0.5 × 10 + 15 = 20): nobody new (its 5 survivors, exit rate 0.5) and, over its cap, its total on the basis
    no higher than its 10 at the start, so 5 in its hotels and 10 in new sites; 2027 (need 10 + 40 = 50): P may
    take people again, up to its level 30 (not today's 10; capacity 100), and its 20 hotel places hold the
    other 20 (30 + 20 = its cap, 50)."""
    cfg = hotel_config([2026, 2027], [15, 40], policy={"pressure_basis": "supported",
                                                       "protect": {"above_per_10k": 0, "rule": "no_net_growth"}})
    cfg["costs"]["new_contingency_per_person_year"] = 90_000
    rows = [area("P", population=10_000, stock=10, capacity=100, contingency=0, hotel_places=20, protect="true",
                 protect_level=30, over_cap_until=2026)]
    plan = solve(load(tmp_path, cfg, rows))
    a = plan.allocations.set_index("year")
    assert a.loc[2026, "stock"] == 5 and a.loc[2026, "contingency"] == 5
    assert plan.trajectory.set_index("year").loc[2026, "new_contingency"] == 10
    assert a.loc[2027, "stock"] == 30 and a.loc[2027, "contingency"] == 20


@pytest.mark.parametrize("status", ["excluded", "volunteered"])
def test_empty_hotel_places_of_an_area_that_cannot_receive_people_fill_only_to_its_cap(tmp_path: Path, status) -> None:
    """X (population 1,000: cap 5) hosts nobody and cannot receive people in dispersal (excluded, or volunteered
    from 2027) but has 20 empty hotel places open (hotel_places). On the supported basis its hotel residents
    count: at most 5 of the 10 arrivals go into its hotels (£20,000 a person), the other 5 into new sites
    (£80,000): objective 5 · 20,000 + 5 · 80,000 = £500,000. The cap on the basis was only applied to the areas
    that can receive people: the plan put all 10 in X's hotels (£200,000) and the verifier refused it."""
    cfg = hotel_config([2026], [10], policy={"pressure_basis": "supported"})
    cfg["costs"]["new_contingency_per_person_year"] = 80_000
    cfg["costs"]["contingency_per_person_year"] = 20_000
    rows = [area("X", population=1_000, status=status, available_from=2027 if status == "volunteered" else None,
                 contingency=0, hotel_places=20),
            area("B", contingency=0)]
    plan = solve(load(tmp_path, cfg, rows))
    assert hotels_of(plan, "X", "contingency") == [5] and hotels_of(plan, "X", "stock") == [0]
    assert plan.trajectory["new_contingency"].tolist() == [5]
    assert plan.objective == pytest.approx(500_000, rel=1e-9)


# --------------------------------------------------------------------------- v1 unchanged, the example
def test_a_v1_scenario_builds_none_of_it() -> None:
    d = prepare(load_scenario(WORKED))
    assert d.hotel0 is None and d.basis is None and d.protected is None and d.over_basis is None
    lp = build_lp(d)
    assert not {"hotel_closure", "hotel_use", "contingency_split", "pressure_cap", "pressure_no_rise",
                "protection"} & set(lp.rows)
    assert not {"located", "hotel_places", "new_contingency"} & set(lp.variables)


def test_the_hash_of_a_v1_scenario_leaves_out_the_v2_keys_at_their_defaults() -> None:
    """A v1 scenario's hash (in summary.json) is what it was before version 2 (from the plan in the docs)."""
    v1 = load_scenario(WORKED)
    assert v1.sha256 == "89f97d10670cb5202527337cef5dae0e37d94ed0bc2cec04192ca9751934eaa6"
    explicit = v1.with_overrides({"policy.pressure_basis": "dispersal", "policy.protect": None})
    assert explicit.sha256 == v1.sha256
    assert v1.with_policy(pressure_basis="supported").sha256 != v1.sha256


# --------------------------------------------------------------------------- the rest of the engine
def test_the_diagnosis_keeps_the_over_cap_rule(tmp_path: Path) -> None:
    """H1 and H2 (1,000 residents, cap 10) have 15 people each in their hotels, E1 and E2 (cap 10) nobody
    and no bed spaces; no exits, no arrivals (need 30); supported basis; a ceiling of 0. H1 and H2 are over
    their cap by their hotel residents, so nobody may be placed there: the ceiling must rise by all 30;
    procurement alone is not enough (E1 and E2 take 10 each), nor raising caps alone (no bed spaces).
    The relaxed models must keep the over-cap rule (they lost it under the capacity and cluster levers,
    reported 15 and, with the ceiling lifted by 15, still found the scenario infeasible)."""
    cfg = hotel_config([2026], [0], exit_rate=0.0, policy={"pressure_basis": "supported",
                                                           "contingency_ceiling": {2026: 0}})
    rows = [area(f"H{k}", population=1_000, contingency=15) for k in (1, 2)] + \
           [area(f"E{k}", population=1_000) for k in (1, 2)]
    sc = load(tmp_path, cfg, rows)
    with pytest.raises(InfeasibleError) as err:
        solve(sc)
    [only] = err.value.relaxations
    assert only["option"] == "ceiling" and only["places_short"] == pytest.approx(30, abs=1e-3)
    assert "Not enough on its own: procure more bed spaces, raise cluster caps." in str(err.value)
    solve(sc.with_policy(contingency_ceiling={2026: 30}))


@pytest.mark.parametrize("measure", ["l1", "minmax"])
def test_nobody_newly_placed_keeps_the_rows_on_the_basis(tmp_path: Path, measure: str) -> None:
    """The time-limit fallback's "nobody newly placed" plan completes the equity columns on the basis:
    the fair-share distance and the top rate are measured from the rows' right-hand sides (the fixed
    counts), not from 0 (it was infeasible, so a time limit left no plan at all)."""
    from allocator.solvers._fallback import feasible, nobody_new

    cfg = config([2026], [100], objective={"equity_weight": 100, "equity_measure": measure},
                 policy={"pressure_basis": ["resettled"]})
    rows = [area("A", population=20_000, capacity=200, cost=1_000, resettled=70),
            area("B", population=20_000, capacity=200, cost=5_000, resettled=5)]
    lp = build_lp(prepare(load(tmp_path, cfg, rows)))
    x = nobody_new(lp)
    assert x is not None and feasible(lp, x)


def test_whole_people_over_the_cap_by_inheritance_keep_the_inherited_total(tmp_path: Path) -> None:
    """Two cohorts of 59 and 137 people, half leaving: 29.5 + 68.5 = 98 still there, over the cap of 10 (and
    with 15 in the area's hotels). Each cell may round up (30 and 69), but the area's whole total may not
    pass 98, the inherited total rounded up (the verifier's cap; the rounding allowed 99)."""
    from allocator.rounding import whole_rules

    cfg = hotel_config([2024], [0], policy={"pressure_basis": "supported"},
                       cohorts=[{"name": "single", "arrivals_share": 0.3}, {"name": "family", "arrivals_share": 0.7}])
    rows = [area("A", population=1_000, contingency=15), area("B", population=100_000)]
    for row, (single, family) in zip(rows, ((59, 137), (1, 2))):
        for k in ("stock", "capacity", "procurement_per_year"):
            row.pop(k)
        row.update(stock_single=single, capacity_single=single, procurement_per_year_single=0,
                   stock_family=family, capacity_family=family + 100, procurement_per_year_family=0)
    d = prepare(load(tmp_path, cfg, rows))
    w = whole_rules(d, d.inherited.copy())
    assert w.area_hi[0, 0] == 98 and (w.base + w.up)[0, 0].sum() == 99


def test_the_diagnosis_lifts_protection(tmp_path: Path) -> None:
    """The protection case (P protected, no net growth: at most 40) with B down to 70 places and no
    hotels allowed at the end of 2026: 120 need a place, P 40 + B 70 = 110. Ten short: raise the
    ceiling by 10, procure 10 more places, or lift P's protection by 10 (its cap of 50 allows it);
    raising caps alone does not help (P is held by protection, B by its bed spaces)."""
    cfg = config([2026], [100], hotel=50_000, policy={"protect": {"above_per_10k": 30},
                                                      "contingency_ceiling": {2026: 0}})
    rows = [area("P", population=10_000, stock=40, capacity=100, cost=1_000), area("B", capacity=70, cost=5_000)]
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path, cfg, rows))
    lifted = [r for r in err.value.relaxations if r["option"] == "protection"]
    assert [(r["area_code"], r["family"]) for r in lifted] == [("P", "protection")]
    assert lifted[0]["amount"] == pytest.approx(10, abs=1e-6)
    text = str(err.value)
    assert "lift protection (10 people)" in text
    assert "protection (no_net_growth) lifted by 10 people in 1 area(s): Area P (P) +10" in text
    assert "Not enough on its own: raise cluster caps." in text


def test_fair_share_reached_on_the_basis(tmp_path: Path) -> None:
    """Two areas of equal population, A supporting 40 resettled people; 100 arrivals, nobody now, equity
    only (weight £100,000, places cost the same). On the basis the national total is 140, a fair share of
    70 each: A takes 30 into dispersal, B 70, both exactly at their share on the basis (on dispersal alone
    they would be 30 and 70 against a share of 50: "fair share reached" must be judged on the basis)."""
    cfg = config([2026], [100], objective={"equity_weight": 100_000}, policy={"pressure_basis": ["resettled"]})
    rows = [area("A", capacity=200, resettled=40), area("B", capacity=200, resettled=0)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [30])
    assert_close(exact(plan, sc, "B"), [70])
    a = plan.allocations.set_index("area_code")
    assert a["fair_share"].tolist() == [70.0, 70.0]
    assert a["limited_by"].tolist() == ["fair share reached", "fair share reached"]

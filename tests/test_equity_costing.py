"""Issue 13 items 4, 6 and 7: progressive equity, honest costing, exits by area.

Each hand-solved case states its numbers in its docstring; the engine's answer is asserted exactly
(to 1e-6) on the objective, the plan and the written columns, and the three backends agree on it.
Conventions as in tests/test_hand_solved.py: need_t = (1-e) need_{t-1} + arrivals_t.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from allocator import load_scenario, prepare, solve
from allocator.explain import explain_area
from allocator.model import build_lp
from allocator.verify import verify_plan
from tests.conftest import EXAMPLE, WORKED, area, assert_close, config, exact, load, written, written_hotels

BACKENDS = ("highs", "ortools", "pulp")
STEPS = [{"from": 1.0, "weight": 1}, {"from": 1.25, "weight": 3}]


def costs(cfg: dict, **values) -> dict:
    cfg["costs"].update(values)
    return cfg


def objective_on_every_backend(scenario) -> list[float]:
    return [solve(scenario, solver=backend).objective for backend in BACKENDS]


# --------------------------------------------------------------------------- 4. progressive equity
def concentrated(tmp_path: Path, measure: str):
    """Two areas of equal population, so each fair share is half the national total. One year, nobody
    leaves (e = 0), nobody in hotels now; hotels £50,000, so everyone is dispersed: need 65 + 25 + 10 = 100,
    fair share 50 each. A holds 65 (130% of its share) and costs £1,000 a place; B holds 25 (50%) and
    costs £4,000. Where do the 10 arrivals go? x of them to B, 10 - x to A; equity weight £1,000.

    * l1: each person in B instead of A costs £3,000 more and cuts the distance by 2 (A's and B's):
      saves £2,000, so all 10 go to A (A 75 = 150%, B 25). Objective 75 × 1,000 + 25 × 4,000
      + 1,000 × (25 + 25) = 225,000.
    * progressive, steps 1.0 × 1 and 1.25 × 3: A is above 1.25 × 50 = 62.5 whatever x, so a person
      in A costs 3 × £1,000 of equity, and one fewer in B below its share £1,000: £4,000 saved by B
      against £3,000 more: all 10 go to B (A 65 = 130%, B 35). Objective 65 × 1,000 + 35 × 4,000
      + 1,000 × (1 × 15 + 2 × 2.5 + 1 × 15) = 205,000 + 35,000 = 240,000 (all in A: 175,000 + 75,000
      = 250,000).
    """
    objective = {"equity_weight": 1_000, "equity_measure": measure}
    if measure == "progressive":
        objective["equity_steps"] = STEPS
    cfg = config([2026], [10], exit_rate=0.0, hotel=50_000, objective=objective)
    rows = [area("A", population=100_000, stock=65, capacity=100, cost=1_000),
            area("B", population=100_000, stock=25, capacity=100, cost=4_000)]
    return load(tmp_path, cfg, rows)


@pytest.mark.parametrize("measure, in_a, in_b, objective", [("l1", 75, 25, 225_000), ("progressive", 65, 35, 240_000)])
def test_progressive_chooses_the_area_below_its_share(tmp_path: Path, measure: str, in_a: int, in_b: int,
                                                      objective: float) -> None:
    """l1 puts the arrivals in A, cheap and at 130% of its share; progressive in B, below its share."""
    sc = concentrated(tmp_path, measure)
    plan = solve(sc)
    assert_close(exact(plan, sc, "A"), [in_a])
    assert_close(exact(plan, sc, "B"), [in_b])
    assert objective_on_every_backend(sc) == pytest.approx([objective] * 3, abs=1e-3)
    assert plan.trajectory[["areas_above_125pct", "areas_above_150pct", "areas_above_200pct"]].values.tolist() == \
        [[1, 0, 0]]                                         # l1: A at exactly 150%, not above it


def test_progressive_explains_the_step(tmp_path: Path) -> None:
    plan = solve(concentrated(tmp_path, "progressive"))
    assert plan.allocations["limited_by"].tolist() == ["exits only; above a fair-share step", "demand met"]
    assert "it holds 130% of its fair share" in "\n".join(explain_area(plan.allocations, "A"))


def test_progressive_builds_one_step_row_per_area_year_and_step(tmp_path: Path) -> None:
    """Steps 1.0, 1.25, 1.5: two step rows for each of the two areas in the one year; the l1 rows stay."""
    sc = concentrated(tmp_path, "progressive").with_objective(
        equity_steps=[*STEPS, {"from": 1.5, "weight": 10}])
    lp = build_lp(prepare(sc))
    assert lp.rows["fair_share"].size == 2 and lp.rows["fair_share_step"].size == 4
    assert lp.rows["fair_share_step"].index["step"].tolist() == [1, 2, 1, 2]
    assert lp.c[lp.variables["over"].slice].tolist() == [1_000, 1_000]          # w0 = 1
    assert lp.c[lp.variables["excess"].slice].tolist() == [2_000, 7_000, 2_000, 7_000]   # 3 - 1, 10 - 3


def test_one_step_from_the_fair_share_is_l1_with_its_weight(tmp_path: Path) -> None:
    """One step {from: 1.0, weight: 1} is the l1 measure: the same plan and objective, no step rows."""
    l1 = solve(concentrated(tmp_path / "l1", "l1"))
    one = concentrated(tmp_path / "one", "progressive").with_objective(equity_steps=[{"from": 1.0, "weight": 1}])
    assert "fair_share_step" not in build_lp(prepare(one)).rows
    assert solve(one).objective == pytest.approx(l1.objective, abs=1e-6)


def test_the_verifier_recomputes_the_steps(tmp_path: Path) -> None:
    """The progressive plan checked as if the measure were l1: the objective no longer matches."""
    sc = concentrated(tmp_path, "progressive")
    plan = solve(sc)
    as_l1 = sc.with_objective(equity_measure="l1")
    fails = verify_plan(as_l1, plan.exact_stock, plan.exact_contingency, plan.objective)
    assert fails == ["objective: recomputed 235000.000000 differs from the solver's 240000.000000"]   # 205,000 + 30,000


def test_progressive_steps_on_the_pressure_basis(tmp_path: Path) -> None:
    """The steps read the area's total on the pressure basis, as the fair share does. One year, no exits,
    equal populations, the ``supported`` basis, steps 1.0 × 1 and 1.25 × 5, equity weight £1,000. H has
    60 people in its hotels (a place free, new sites £80,000: they stay) and no bed spaces; A and B have
    30 bed spaces each (£1,000 and £4,000) and take the 60 arrivals. Totals on the basis: H 60, A 30, B 30;
    the national total 120, so each fair share is 40. H is at 150%, 10 above the step at 50: equity
    1,000 × (1 × 20 + 10 + 10 + (5 - 1) × 10) = 80,000; 30,000 + 120,000 + 60 × 50,000 = 3,150,000 of
    money: 3,230,000. (Steps on the dispersal stock alone would see H, which houses nobody in dispersal,
    nowhere near a step.)"""
    objective = {"equity_weight": 1_000, "equity_measure": "progressive",
                 "equity_steps": [{"from": 1.0, "weight": 1}, {"from": 1.25, "weight": 5}]}
    cfg = config([2026], [60], exit_rate=0.0, hotel=50_000, policy={"pressure_basis": "supported"},
                 objective=objective)
    del cfg["demand"]["contingency_start"]
    cfg["costs"]["new_contingency_per_person_year"] = 80_000
    rows = [area("H", population=100_000, contingency=60), area("A", population=100_000, capacity=30, cost=1_000),
            area("B", population=100_000, capacity=30, cost=4_000)]
    sc = load(tmp_path, cfg, rows)
    plan = solve(sc)
    assert plan.objective == pytest.approx(3_230_000, rel=1e-9)
    assert_close(plan.exact_hotels.located[:, 0], [60, 0, 0])
    assert written(plan, "H", "basis_total") == [60] and written(plan, "H", "fair_share") == [40]
    assert plan.trajectory[["areas_above_125pct", "areas_above_150pct", "areas_above_200pct"]].values.tolist() == \
        [[1, 0, 0]]                                         # H at exactly 150% on the basis, not above it
    assert "above a fair-share step" in written(plan, "H", "limited_by")[0]
    assert "it holds 150% of its fair share" in "\n".join(explain_area(plan.allocations, "H"))


# --------------------------------------------------------------------------- 6. honest costing
def procure_or_hotel(tmp_path: Path, occupancy: str):
    """One year; 100 people in hotels now, half leave (e = 0.5), nobody arrives: 50 need a place at the end
    of 2026. A has no bed spaces but may procure 100 a year at £30,000 each; a place costs £5,000 a year,
    a hotel place £50,000.

    * end of year: a place saves 50,000 - 5,000 = £45,000 of the year, more than the £30,000 to buy it:
      procure 50. Objective 50 × 5,000 + 50 × 30,000 = 1,750,000 (hotels: 2,500,000).
    * average: the year is charged on (start + end) / 2. Today's 100 in hotels cost half a year,
      £2,500,000 (a constant); a person placed by the end of the year saves only half a year,
      £22,500 < £30,000: everyone stays in hotels. Objective 2,500,000 + 50 × 50,000 / 2 = 3,750,000
      (procuring: 2,500,000 + 50 × 5,000 / 2 + 1,500,000 = 4,125,000).
    """
    cfg = costs(config([2026], [0], exit_rate=0.5, contingency_start=100, hotel=50_000,
                       procurement_per_place=30_000), occupancy=occupancy)
    return load(tmp_path, cfg, [area("A", procurement=100, cost=5_000)])


def test_end_of_year_costing_procures(tmp_path: Path) -> None:
    plan = solve(procure_or_hotel(tmp_path, "end_of_year"))
    assert written(plan, "A") == [50]
    assert plan.objective == pytest.approx(1_750_000, abs=1e-6)
    assert plan.trajectory["contingency_cost"].tolist() == [0.0]


def test_average_costing_keeps_people_in_hotels(tmp_path: Path) -> None:
    sc = procure_or_hotel(tmp_path, "average")
    plan = solve(sc)
    assert written(plan, "A") == [0]
    assert plan.objective == pytest.approx(3_750_000, abs=1e-6)
    assert objective_on_every_backend(sc) == pytest.approx([3_750_000] * 3, abs=1e-3)
    assert build_lp(prepare(sc)).offset == 2_500_000
    assert plan.trajectory["contingency"].tolist() == [50]
    assert plan.trajectory["contingency_cost"].tolist() == [3_750_000.0]       # (100 + 50) / 2 × 50,000


def test_average_costing_over_years() -> None:
    """The example with average occupancy: each year's trajectory costs are the mean of its start and
    end figures (the first year against today's stock and today's hotel residents in today's places),
    recomputed here."""
    sc = load_scenario(EXAMPLE)
    end, mean = solve(sc), solve(sc.with_costs(occupancy="average"))
    assert mean.objective != end.objective
    t = mean.trajectory
    start = sum(r.stock * r.cost_per_place for r in sc.areas.itertuples())
    at_end = mean.allocations.assign(c=mean.allocations["area_code"].map(
        sc.areas.set_index("area_code")["cost_per_place"])).eval("c * stock").groupby(mean.allocations["year"]).sum()
    expected = (np.concatenate([[start], at_end.to_numpy()[:-1]]) + at_end.to_numpy()) / 2
    assert_close(t["accommodation_cost"], np.round(expected, 2), tol=1e-6)
    # hotels by area: people in areas' hotels £52,925, new sites £70,000, open places £8,000 (the example's
    # prices); today's 1,500 hotel residents in today's 1,500 places, nobody in new sites
    first = mean.allocations.groupby("year")[["contingency", "hotel_places"]].sum()
    at_end = (first["contingency"].to_numpy() * 52_925 + t["new_contingency"].to_numpy() * 70_000
              + first["hotel_places"].to_numpy() * 8_000)
    hotels = np.concatenate([[1_500 * (52_925 + 8_000)], at_end])
    assert_close(t["contingency_cost"], (hotels[:-1] + hotels[1:]) / 2, tol=1e-6)


@pytest.mark.parametrize(("occupancy", "objective", "accommodation", "contingency"), [
    ("end_of_year", 2_500_000, [350_000, 500_000], [1_650_000, 0]),
    ("average", 5_250_000, [175_000, 425_000], [3_825_000, 825_000]),
])
def test_average_costing_with_hotels_by_area(tmp_path: Path, occupancy, objective, accommodation,
                                             contingency) -> None:
    """Hotels by area charged like the stock. Two years, no exits, no arrivals: H has 100 people in its 100
    hotel places (£50,000 a person, £10,000 a place), new sites £55,000; A has 40 bed spaces, may procure
    30 a year (free), £5,000 a place: 70, then 100 in A. The 30 left in 2026 go to new sites (£55,000
    against £60,000 for a person and a place), H's hotels close.

    End of year: 2026 350,000 + 30 × 55,000 = 2,000,000; 2027 500,000: 2,500,000. Average: each year on
    the mean of its start and end; today's position is 100 people in 100 hotel places (L and H start at
    today's 100, new contingency at 0): 100 × 60,000 = 6,000,000. 2026: (6,000,000 + 2,000,000) / 2 =
    4,000,000; 2027: (2,000,000 + 500,000) / 2 = 1,250,000: 5,250,000, of which half of today's
    position, 3,000,000, is the objective's constant. Same plan (the weights are positive)."""
    cfg = costs(config([2026, 2027], [0, 0], exit_rate=0.0, hotel=50_000), occupancy=occupancy,
                hotel_place_per_year=10_000, new_contingency_per_person_year=55_000)
    del cfg["demand"]["contingency_start"]
    sc = load(tmp_path, cfg, [area("H", contingency=100), area("A", capacity=40, procurement=30, cost=5_000)])
    plan = solve(sc)
    assert plan.objective == pytest.approx(objective, rel=1e-9)
    assert build_lp(prepare(sc)).offset == (3_000_000 if occupancy == "average" else 0)
    assert_close(exact(plan, sc, "A"), [70, 100])
    assert_close(plan.exact_hotels.new, [30, 0])
    assert_close(plan.exact_hotels.places[0], [0, 0])
    t = plan.trajectory
    assert t["accommodation_cost"].tolist() == accommodation and t["contingency_cost"].tolist() == contingency
    assert t["total_cost"].sum() == objective


def empty_places(tmp_path: Path, void_share: float):
    """One year, 50 arrivals, nobody leaves, hotels £50,000. A has 100 bed spaces (empty) at £6,000 a place;
    B none but may procure 100 a year, free, at £5,000 a place.

    * no cost for empty places: B is cheaper: all 50 there. Objective 250,000.
    * void_share 0.5: an empty bed space kept costs half its place. A person in A instead of B costs
      £1,000 more but fills one of A's empty places (saves 0.5 × 6,000 = £3,000); B's capacity is
      procured as needed, so it has none empty: all 50 go to A. Objective 50 × 6,000 + 0.5 × 6,000 × 50
      = 450,000 (all in B: 250,000 + 0.5 × 6,000 × 100 = 550,000). 50 empty places, £150,000.
    """
    cfg = costs(config([2026], [50], exit_rate=0.0, hotel=50_000), void_share=void_share)
    return load(tmp_path, cfg, [area("A", capacity=100, cost=6_000), area("B", procurement=100, cost=5_000)])


def test_free_empty_places_go_to_the_cheaper_area(tmp_path: Path) -> None:
    plan = solve(empty_places(tmp_path, 0.0))
    assert (written(plan, "A"), written(plan, "B")) == ([0], [50])
    assert plan.objective == pytest.approx(250_000, abs=1e-6)
    assert plan.trajectory[["void_places", "void_cost"]].values.tolist() == [[100, 0.0]]


def test_paid_empty_places_are_filled_first(tmp_path: Path) -> None:
    sc = empty_places(tmp_path, 0.5)
    plan = solve(sc)
    assert (written(plan, "A"), written(plan, "B")) == ([50], [0])
    assert plan.objective == pytest.approx(450_000, abs=1e-6)
    assert objective_on_every_backend(sc) == pytest.approx([450_000] * 3, abs=1e-3)
    assert plan.trajectory[["void_places", "void_cost", "total_cost"]].values.tolist() == [[50, 150_000.0, 450_000.0]]


def test_the_pace_makes_places_empty_early(tmp_path: Path) -> None:
    """Two years, nobody leaves; hotels £1,000,000 (everyone is placed). A has no bed spaces and procures
    at most 10 a year; nobody arrives in 2026 and 20 in 2027. 20 places by the end of 2027 at 10 a year
    means 10 bought in 2026, empty all year: with void_share 1, £1,000 × 10 in 2026, then 20 × £1,000 in
    2027. Objective 30,000; capacity 10, 20 (the latest schedule); 10 empty places in 2026."""
    cfg = costs(config([2026, 2027], [0, 20], exit_rate=0.0, hotel=1_000_000), void_share=1.0)
    sc = load(tmp_path, cfg, [area("A", procurement=10, cost=1_000)])
    plan = solve(sc)
    assert written(plan, "A") == [0, 20] and written(plan, "A", "capacity") == [10, 20]
    assert plan.objective == pytest.approx(30_000, abs=1e-6)
    assert plan.trajectory[["void_places", "void_cost"]].values.tolist() == [[10, 10_000.0], [0, 0.0]]
    lp = build_lp(prepare(sc))
    x = solve(sc, start="cold")                        # the kept capacity in the LP is the same schedule
    assert x.objective == pytest.approx(30_000, abs=1e-6) and lp.rows["capacity_kept"].size == 2


def test_capacity_lever_with_empty_places_counts_bed_spaces_once(tmp_path: Path) -> None:
    """A ceiling of 0 that needs 10 more bed spaces than A's 40: the diagnosis says 10 more bed spaces,
    with void_share as without (the kept capacity follows the stock's capacity path, free)."""
    cfg = config([2026], [50], exit_rate=0.0, hotel=50_000, policy={"contingency_ceiling": {2026: 0}})
    texts = []
    for share in (0.0, 0.5):
        sc = load(tmp_path / str(share), costs(dict(cfg, costs=dict(cfg["costs"])), void_share=share),
                  [area("A", capacity=40, cost=5_000)])
        with pytest.raises(Exception) as err:
            solve(sc)
        texts.append(str(err.value))
        capacity = [r for r in err.value.relaxations if r["option"] == "capacity"]
        assert [r["amount"] for r in capacity] == pytest.approx([10.0])
    assert texts[0] == texts[1]
    assert "capacity_kept" not in texts[1]


# --------------------------------------------------------------------------- 7. exits by area
def test_every_row_adds_up(example_plan) -> None:
    """allocations.csv: stock = last year's stock (today's, the first year) - exits + placements."""
    a = example_plan.allocations.sort_values(["area_code", "year"])
    start = load_scenario(EXAMPLE).areas.set_index("area_code")["stock"]
    prev = a.groupby("area_code")["stock"].shift(1).fillna(a["area_code"].map(start))
    assert ((prev - a["exits"] + a["placements"]) == a["stock"]).all()
    assert (a["exits"] >= 0).all() and (a["placements"] >= 0).all() and (a["exits"] <= prev).all()


def test_cragdale_keeps_175_point_5_of_270(example_scenario) -> None:
    """Cragdale (N05), not protected, holds 270 at the end of 2027 and of 2028; 0.65 × 270 = 175.5 stay,
    176 rounded (halves to even): 94 left, 94 were placed. (Before, the exact placements rounded on their
    own: 95.)"""
    plan = solve(example_scenario.update({"policy.protect": None}))
    row = plan.allocations.set_index(["area_code", "year"]).loc[("N05", 2028)]
    assert (row["placements"], row["exits"], row["stock"]) == (94, 94, 270)


def test_nobody_leaves_so_placements_are_the_growth(tmp_path: Path) -> None:
    """tests/test_whole_people.py's case: e = 0, three areas hold 0.5 each (exact) in 2026. The whole plan
    rounds two of them to 1. With nobody leaving, exits are 0 and each area's placements are its growth.
    The placements rounded from the exact plan on their own gave A and B 1 each in 2026 whatever the
    whole stock: an area with 0 people and 1 placed (a person who left, with nobody leaving)."""
    cfg = config([2026, 2027], [1.5, 0.5], exit_rate=0.0, hotel=50_000,
                 policy={"max_growth": {"absolute": 0.5}, "contingency_ceiling": {2026: 0, 2027: 0}})
    rows = [area("A", cost=1_000, capacity=5), area("B", cost=1_000, capacity=5), area("C", cost=900, capacity=5)]
    plan = solve(load(tmp_path, cfg, rows))
    for code in "ABC":
        stock = written(plan, code)
        assert written(plan, code, "placements") == [stock[0], stock[1] - stock[0]], code
        assert written(plan, code, "exits") == [0, 0], code


def test_rounding_up_inherited_people_is_no_placement(tmp_path: Path) -> None:
    """Two years, half leave each year, nobody arrives or is in hotels. X is excluded and holds 10: 5, then
    2.5 (exact); A holds 4: 2, then 1. Need 7, then 3.5, whole 4 (halves to even), so X's half is rounded
    up: X 5, 3. round(0.5 × 5) = 2 survivors would show 1 placed in 2027 in an area that takes nobody;
    the exact plan placed nobody there, so all 3 are survivors: 0 placed, 2 left."""
    cfg = config([2026, 2027], [0, 0], exit_rate=0.5, hotel=50_000)
    rows = [area("X", stock=10, capacity=10, status="excluded"), area("A", stock=4, capacity=4)]
    plan = solve(load(tmp_path, cfg, rows))
    assert written(plan, "X") == [5, 3] and written(plan, "A") == [2, 1]
    assert (written(plan, "X", "placements"), written(plan, "X", "exits")) == ([0, 0], [5, 2])


def test_the_verifier_checks_the_written_flows(example_plan) -> None:
    sc = load_scenario(EXAMPLE)
    n = example_plan.exact_stock.shape
    R = example_plan.allocations["stock"].to_numpy().reshape(n)
    args = (sc, example_plan.exact_stock, example_plan.exact_contingency, None, R,
            example_plan.trajectory["contingency"].to_numpy()[:, None])
    hotels = {"hotels": example_plan.exact_hotels, "whole_hotels": written_hotels(example_plan, n[0], n[1])}
    assert verify_plan(*args, allocations=example_plan.allocations, **hotels) == []
    broken = example_plan.allocations.copy()
    broken.loc[0, "exits"] += 1                                   # N01 2026: one more exit, same stock
    fails = verify_plan(*args, allocations=broken, **hotels)
    assert fails == ["flows: N01 2026 all: 420 - exits 148 + placements 217 is not the stock 490"]
    broken = example_plan.allocations.copy()
    s06 = broken.index[(broken["area_code"] == "S06") & (broken["year"] == 2026)][0]
    broken.loc[s06, ["placements", "stock"]] += 1                 # one placed in the excluded area
    fails = verify_plan(*args, allocations=broken, **hotels)
    assert "flows: S06 2026 all: 1 placed in an area that cannot receive people" in fails


# --------------------------------------------------------------------------- the verifier's recomputation
@pytest.mark.parametrize("change, wrong", [
    ({"occupancy": "average"}, {"occupancy": "end_of_year"}),
    ({"void_share": 1.0}, {"void_share": 0.5}),
    ({"void_share": 1.0}, {"void_share": 0.0}),
], ids=["average checked as end_of_year", "void 1 checked as 0.5", "void 1 checked as none"])
def test_a_plan_costed_otherwise_fails_the_objective(tmp_path: Path, change: dict, wrong: dict) -> None:
    """The pace case above (10 places bought a year early), solved with one costing and checked against
    another: the verifier recomputes the objective from the scenario and finds the difference."""
    cfg = costs(config([2026, 2027], [0, 20], exit_rate=0.0, hotel=1_000_000, contingency_start=5), **change)
    sc = load(tmp_path, cfg, [area("A", procurement=10, cost=1_000)])
    plan = solve(sc)
    assert verify_plan(sc, plan.exact_stock, plan.exact_contingency, plan.objective) == []
    other = sc.with_costs(**wrong)
    fails = verify_plan(other, plan.exact_stock, plan.exact_contingency, plan.objective)
    assert len(fails) == 1 and fails[0].startswith("objective: recomputed"), fails


def test_the_verifier_counts_places_bought_early(tmp_path: Path, monkeypatch) -> None:
    """The verifier's kept capacity is the latest schedule the pace allows: counted as the running
    highest stock instead (no pace), the 10 places bought in 2026 would be missed by £10,000."""
    from allocator import verify

    cfg = costs(config([2026, 2027], [0, 20], exit_rate=0.0, hotel=1_000_000), void_share=1.0)
    sc = load(tmp_path, cfg, [area("A", procurement=10, cost=1_000)])
    plan = solve(sc)
    monkeypatch.setattr(verify, "_kept", lambda ex, S: np.maximum.accumulate(np.maximum(S, ex["k0"][:, None, :]),
                                                                             axis=1))
    fails = verify_plan(sc, plan.exact_stock, plan.exact_contingency, plan.objective)
    assert fails == ["objective: recomputed 20000.000000 differs from the solver's 30000.000000"]


def test_a_v1_scenario_keeps_its_hash() -> None:
    """summary.json's scenario_sha256: the v2 costing and equity keys at their defaults leave a v1
    scenario's hash as it was (tests/test_place_based.py pins it), given or not; other values change it."""
    sc = load_scenario(WORKED)
    assert sc.update({"costs.occupancy": "end_of_year", "costs.void_share": 0}).sha256 == sc.sha256
    assert sc.with_costs(occupancy="average").sha256 != sc.sha256
    assert sc.with_costs(void_share=0.5).sha256 != sc.sha256
    assert sc.with_objective(equity_measure="progressive", equity_steps=STEPS).sha256 != sc.sha256

"""Regional targets (issue 13 item 5): hand-solved plans, the diagnosis, explain, the outputs and the hash.

The bad regions tables (unknown region, year outside the plan, min_share above max_share, shares outside
0 to 1, text, a region and year twice, a missing file, minimum shares adding up to more than 1) are in
the shared catalogue ``tests/conftest.BAD_INPUTS`` (exit 2 from the CLI, one message naming the file,
line and column, nothing written); the must-fail verifier case in tests/test_registry.py; random
targets in the hypothesis strategies (tests/conftest._regions), so in the properties and the backend
agreement.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator import InfeasibleError, load_scenario, prepare, solve
from allocator.cli import cli
from allocator.errors import ScenarioError
from allocator.model import build_lp
from allocator.verify import verify_plan
from tests.conftest import EXAMPLE, area, config, load, written

SOUTH_30 = [{"region": "South", "year": 2026, "min_share": 0.3}]


def two_regions(**south: float) -> list[dict]:
    """A in the North at £1,000 a place, B in the South at £5,000, 100 places each."""
    return [area("A", region="North", capacity=100, cost=1_000),
            area("B", region="South", capacity=100, cost=5_000, **south)]


def test_a_regional_minimum_share_that_binds(tmp_path: Path) -> None:
    """100 arrivals, hotels at £50,000. Without a target all 100 go to A (£1,000 a place). With the South's
    min_share 0.3 of the national total (everyone is dispersed: hotels cost more than any place), B holds
    0.3 × 100 = 30 and A 70: £70,000 + £150,000 = £220,000. Leaving people in hotels to shrink the national
    total would cost £50,000 a person to save 0.3 × £4,000."""
    free = solve(load(tmp_path / "free", config([2026], [100]), two_regions()))
    assert written(free, "A") == [100] and written(free, "B") == [0]
    plan = solve(load(tmp_path / "target", config([2026], [100], regions=SOUTH_30), two_regions()))
    assert written(plan, "A") == [70] and written(plan, "B") == [30]
    assert plan.objective == pytest.approx(70 * 1_000 + 30 * 5_000, rel=1e-9)
    assert plan.trajectory["contingency"].tolist() == [0]
    limited = plan.allocations.set_index("area_code")["limited_by"]
    assert "regional share (min)" in limited["B"] and "regional share" not in limited["A"]
    regions = plan.regions.set_index(["region", "year"])
    assert regions.loc[("South", 2026), "basis_share"] == 0.3 and regions.loc[("South", 2026), "min_share"] == 0.3
    assert regions.loc[("North", 2026), "basis_share"] == 0.7 and pd.isna(regions.loc[("North", 2026), "max_share"])
    assert regions.loc[("South", 2025), "position"] == "start" and pd.isna(regions.loc[("South", 2025), "min_share"])


def test_the_share_is_of_the_national_total_on_the_pressure_basis(tmp_path: Path) -> None:
    """On the ``supported`` basis B's 20 people in initial accommodation count: the national total on the
    basis is 100 + 20 = 120, the South needs 0.4 × 120 = 48 of it, so B holds 48 - 20 = 28 and A 72:
    £72,000 + £140,000 = £212,000."""
    cfg = config([2026], [100], policy={"pressure_basis": "supported"},
                 regions=[{"region": "South", "year": 2026, "min_share": 0.4}])
    plan = solve(load(tmp_path, cfg, two_regions(initial=20)))
    assert written(plan, "A") == [72] and written(plan, "B") == [28]
    assert plan.objective == pytest.approx(72 * 1_000 + 28 * 5_000, rel=1e-9)
    south = plan.regions.set_index(["region", "year"]).loc[("South", 2026)]
    assert south["basis_total"] == 48 and south["basis_share"] == 0.4


def test_an_infeasible_regional_maximum_share_is_diagnosed(tmp_path: Path) -> None:
    """A (North) keeps 50 of its 100 people (exit rate 0.5); B (South) has 30 places. The North may hold at
    most 0.4 of the national total: 50 ≤ 0.4 × (50 + 30) = 32 fails by 18 people, so the North needs
    0.4 + 18 / 80 = 0.625; or B needs 75 places (50 ≤ 0.4 × (50 + 75)), 45 more bed spaces."""
    cfg = config([2026], [100], regions=[{"region": "North", "year": 2026, "max_share": 0.4}])
    rows = [area("A", region="North", stock=100, capacity=200, cost=1_000),
            area("B", region="South", capacity=30, cost=5_000)]
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path, cfg, rows))
    text = str(err.value)
    assert "regional_share" in text.split(";")[0] and "years in conflict: 2026" in text
    assert "change the regional shares (18 people in 2026)" in text
    assert "North needs max_share 0.625 in 2026, not 0.400 (18 people more)" in text
    assert "procure more bed spaces (45 bed spaces)" in text
    [item] = [r for r in err.value.relaxations if r["option"] == "regions"]
    assert item["region"] == "North" and item["year"] == 2026 and item["side"] == "maximum"
    assert item["needed_share"] == 0.625 and item["amount"] == pytest.approx(18, rel=1e-6)


def test_a_minimum_share_too_high_names_the_share_needed(tmp_path: Path) -> None:
    """B (South) has 30 places and A 100, and nobody may stay in hotels (ceiling 0): the national total is
    100 and the South holds at most 30 of it. A min_share of 0.5 fails by 50 - 30 = 20 people: the South
    needs 0.5 - 20 / 100 = 0.3."""
    cfg = config([2026], [100], regions=[{"region": "South", "year": 2026, "min_share": 0.5}],
                 policy={"contingency_ceiling": {2026: 0}})
    rows = [area("A", region="North", capacity=100, cost=1_000), area("B", region="South", capacity=30, cost=5_000)]
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path, cfg, rows))
    assert "South needs min_share 0.300 in 2026, not 0.500 (20 people fewer)" in str(err.value)


def test_regional_targets_on_the_example(tmp_path: Path) -> None:
    """scenarios/example/regional.yaml (docs/place-based.md): the North at most 0.75 in 2027 and 0.65 in
    2028, the South at least 0.42 in 2029; each holds in whole people, and explain names the reason."""
    scenario = load_scenario(EXAMPLE / "regional.yaml")
    plan = solve(scenario)
    shares = plan.regions.set_index(["region", "year"])["basis_share"]
    assert shares[("North", 2027)] <= 0.75 + 1e-6 and shares[("North", 2028)] <= 0.65 + 1e-4
    assert shares[("South", 2029)] >= 0.42 - 1e-4
    base = solve(load_scenario(EXAMPLE)).regions.set_index(["region", "year"])["stock"]      # the dispersal basis
    base = base / base.groupby("year").transform("sum")
    assert base[("North", 2027)] > 0.75 and base[("North", 2028)] > 0.65 and base[("South", 2029)] < 0.42
    alloc = plan.allocations.set_index(["area_code", "year"])["limited_by"]
    assert "regional share (max)" in alloc[("N06", 2027)] and "regional share (min)" in alloc[("S01", 2029)]
    closed = [("S06", y) for y in range(2026, 2031)] + [("S05", 2026), ("S05", 2027)]   # excluded, not yet open
    assert not alloc.loc[closed].str.contains("regional share").any()


def test_the_regions_table_is_in_the_hash_and_a_v1_scenario_keeps_its_own(tmp_path: Path) -> None:
    """The hash of a scenario without targets leaves the key out (a v1 scenario's hash is unchanged: the
    plan fingerprints pin it); two tables that differ give two hashes."""
    rows = two_regions()
    plain = load(tmp_path / "plain", config([2026], [100]), rows)
    low = load(tmp_path / "low", config([2026], [100], regions=SOUTH_30), rows)
    high = load(tmp_path / "high", config([2026], [100], regions=[{**SOUTH_30[0], "min_share": 0.4}]), rows)
    assert len({plain.sha256, low.sha256, high.sha256}) == 3
    assert plain.regions is None and "regions" not in plain.config.model_dump(exclude_defaults=True)
    assert "regional_share" not in build_lp(prepare(plain)).rows


def test_changes_in_code_keep_the_targets_and_check_them_again(tmp_path: Path) -> None:
    scenario = load(tmp_path, config([2026], [100], regions=SOUTH_30), two_regions())
    kept = scenario.with_areas(scenario.areas).with_agreements(None).update({"demand.exit_rate": 0.3})
    assert kept.regions.equals(scenario.regions)
    moved = scenario.areas.assign(region=["North", "Elsewhere"])
    with pytest.raises(ScenarioError, match=r"regions.csv, line 2, column 'region': region 'South' is not a region"):
        scenario.with_areas(moved)
    with pytest.raises(ScenarioError, match="names a table file"):
        scenario.update({"regions": "other.csv"})


def test_the_verifier_checks_the_targets_on_the_exact_and_the_whole_plan(tmp_path: Path) -> None:
    """The plan of the hand-solved case passes; the plan without the target (A 100, B 0) fails both ways."""
    scenario = load(tmp_path, config([2026], [100], regions=SOUTH_30), two_regions())
    free = solve(dataclasses.replace(scenario, regions=None))
    R = free.allocations["stock"].to_numpy().reshape(2, 1, 1)
    fails = verify_plan(scenario, free.exact_stock, free.exact_contingency, None, R)
    assert any(f.startswith("regional_share: South 2026") and "below the min_share 0.3" in f for f in fails)
    assert any(f.startswith("whole people: regional_share South 2026") for f in fails)


# --------------------------------------------------------------------------- hotel closure dates (item 2), a lever
def test_closing_every_hotel_keeps_the_example_feasible(tmp_path: Path) -> None:
    """Closing hotels never makes a plan impossible without regional targets: the people the hotels would
    have held go to new contingency, which has no limit of its own, and every cap only loosens when the
    hotel residents stop counting (docs/infeasibility.md). The example with both hotels closed from 2026,
    on the supported basis (so their residents count) and with its ceiling, still has a plan, with
    nobody in hotel places and the hotel residents in new sites."""
    scenario = load_scenario(EXAMPLE).update({"policy.pressure_basis": "supported"})
    closed = scenario.with_areas(scenario.areas.assign(hotels_close_by=2026))
    plan = solve(closed)
    assert (plan.allocations["hotel_places"] == 0).all() and (plan.allocations["contingency"] == 0).all()
    assert plan.trajectory["new_contingency"].iloc[0] == plan.trajectory["contingency"].iloc[0] > 0


def test_a_closure_date_can_break_a_regional_minimum_and_the_diagnosis_names_the_share(tmp_path: Path) -> None:
    """The one way a closure date makes a scenario infeasible: a regional least share on a basis where hotel
    residents count. H (South) has 60 people in hotels, A (North) 100 in dispersal, exit rate 0.5, nobody
    arrives: 80 need a place, A keeps 50 of its own. Open, H's hotels hold up to 30 (South 30 of 80 = 0.375
    on the basis: the South's min_share 0.3 holds). Closed in 2026, the South holds nobody against at least
    50 on the basis (people in new sites count nowhere): 0.3 × 50 = 15 people short, and the diagnosis
    names the share the South would need (0) under the regions lever; or, under hotels_close_by, H's places
    to keep open in 2026: L >= 0.3 (50 + L), L >= 15 / 0.7 = 21.4, so 22 whole places (rounded up: enough)."""
    rows = [area("A", region="North", stock=100, capacity=100, cost=1_000),
            area("H", region="South", contingency=60)]
    cfg = config([2026], [0], policy={"pressure_basis": "supported"},
                 regions=[{"region": "South", "year": 2026, "min_share": 0.3}])
    del cfg["demand"]["contingency_start"]
    assert solve(load(tmp_path / "open", cfg, rows)).regions.set_index(["region", "year"]).loc[
        ("South", 2026), "basis_share"] >= 0.3
    rows[1]["hotels_close_by"] = 2026
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path / "closed", cfg, rows))
    assert "South needs min_share 0.000 in 2026, not 0.300 (15 people fewer)" in str(err.value)
    assert "hotels_close_by Area H (H) 2026: keep 22 of its 60 hotel places open (closed from 2026 otherwise)" \
        in str(err.value)
    [kept] = [r for r in err.value.relaxations if r["option"] == "hotels_close_by"]
    assert kept["amount"] == pytest.approx(15 / 0.7, rel=1e-6) and kept["hotel_places"] == 22


def closing_rows(close_by: int = 2027) -> list[dict]:
    """A (North) has 80 in dispersal, H (South) 60 in hotels that close by ``close_by``."""
    return [area("A", region="North", stock=80, capacity=100, cost=1_000),
            area("H", region="South", contingency=60, hotels_close_by=close_by)]


def closing_config(target: dict) -> dict:
    """2026-2028, exit rate 0.5, 20 arrivals in 2027 and 2028, the supported basis, ``target`` in 2027 and 2028."""
    cfg = config([2026, 2027, 2028], [0, 20, 20], policy={"pressure_basis": "supported"},
                 regions=[{**target, "year": year} for year in (2027, 2028)])
    del cfg["demand"]["contingency_start"]
    return cfg


@pytest.mark.parametrize(("target", "shares"), [
    ({"region": "South", "min_share": 0.5}, ["South needs min_share 0.000 in 2027, not 0.500 (10 people fewer)",
                                             "South needs min_share 0.000 in 2028, not 0.500 (5 people fewer)"]),
    ({"region": "North", "max_share": 0.5}, ["North needs max_share 1.000 in 2027, not 0.500 (10 people more)",
                                             "North needs max_share 1.000 in 2028, not 0.500 (5 people more)"]),
], ids=["south-min", "north-max"])
def test_a_closure_date_is_a_lever_of_the_diagnosis(tmp_path: Path, target: dict, shares: list[str]) -> None:
    """A keeps 40, 20, 10 of its 80 people at the ends of 2026-2028 (exit rate 0.5; nobody is moved out), and
    H's 60 hotel places close by 2027. On the supported basis the South (H's hotel residents) must be at least
    half the national total (or the North at most half) in 2027 and 2028: L_Ht >= S_At, while people in new
    sites count nowhere. Closed, the South holds nobody: infeasible. Keeping H's places open past the date
    by the fewest place-years: L = S_A at its least, 20 places in 2027 and 10 in 2028 (30 place-years; places kept in
    2028 were kept in 2027, never reopened). Changing the shares instead: 0.5 x 20 = 10 people in 2027 and
    0.5 x 10 = 5 in 2028 (each year its own figure: they do not add up). Procuring 20 bed spaces in H: S_H = 20 in 2027, 10 left in 2028.
    Moving the date past the plan makes it feasible."""
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path / "closed", closing_config(target), closing_rows()))
    text = str(err.value)
    assert "regional_share, hotels_close_by;" in text.split(". ")[0] and "years in conflict: 2027, 2028" in text
    assert "  Option 3: close hotels later (20 hotel places in 2027, 10 in 2028)\n" \
           "    * hotels_close_by Area H (H) 2027: keep 20 of its 60 hotel places open (closed from 2027 otherwise)\n" \
           "    * hotels_close_by Area H (H) 2028: keep 10 of its 60 hotel places open (closed from 2027 otherwise)" in text
    assert "  Option 2: change the regional shares (10 people in 2027, 5 in 2028)\n" + "".join(
        f"    * {line}\n" for line in shares) in text
    assert "  Option 1: procure more bed spaces (20 bed spaces)" in text
    kept = [r for r in err.value.relaxations if r["option"] == "hotels_close_by"]
    assert [(r["area_code"], r["year"], r["hotel_places"], r["closed_from"]) for r in kept] == [
        ("H", 2027, 20, 2027), ("H", 2028, 10, 2027)]
    assert [r["amount"] for r in kept] == pytest.approx([20, 10], abs=1e-4)
    assert [r["amount"] for r in err.value.relaxations if r["option"] == "regions"] == pytest.approx([10, 5], abs=1e-4)
    later = solve(load(tmp_path / "later", closing_config(target), closing_rows(close_by=2029)))
    assert all(people > 0 for people in written(later, "H", "contingency")[1:])          # verified: shares hold
    result = CliRunner().invoke(cli, ["solve", str(tmp_path / "closed"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3 and "keep 20 of its 60 hotel places open" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("places", [60, 8])
def test_hotel_places_kept_open_never_reopen_nor_exceed_todays(tmp_path: Path, places: int) -> None:
    """The relaxed closure keeps the other hotel rules: the South needs H's hotel residents only in 2028
    (L_H >= S_A = 10, min_share 0.5), yet the places kept in 2028 must have been kept in 2027 (never
    reopened): 10 and 10, total 20. With only 8 places today, no closure date is enough on its own."""
    rows = closing_rows()
    rows[1]["contingency"] = places
    cfg = closing_config({"region": "South", "min_share": 0.5})
    cfg["regions"] = cfg["regions"][1:]                                  # 2028 only
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path, cfg, rows))
    kept = [(r["year"], r["hotel_places"]) for r in err.value.relaxations if r["option"] == "hotels_close_by"]
    if places == 60:
        assert kept == [(2027, 10), (2028, 10)] and "close hotels later (10 hotel places in 2027, 10 in 2028)" in str(err.value)
    else:
        assert kept == [] and str(err.value).splitlines()[-1].endswith(", close hotels later.")


def test_a_closure_date_can_break_protection_against_a_rise_and_the_diagnosis_names_it(tmp_path: Path) -> None:
    """The other way a closure date binds, without regional targets: P (protected, rule no_rise: 100 in
    dispersal and 50 in hotels, 150 per 10,000 on the supported basis) may never end a year above 150 on
    the basis, grows by at most 30 people a year, and has agreed to hold at least 150 in dispersal by 2028
    (exit rate 0, nobody arrives). Open, 20 leave its hotels as it grows to 130, then 150. Closed by 2026
    (the first year), its basis drops to its dispersal at once, at most 130 after a year's growth, and never
    rises again: 130 < 150. Keeping 20 of its 50 places open in 2026 is enough (S + L = 130 + 20 = 150,
    then 150 in dispersal); or 20 more growth in 2026, or the minimum lowered to 130, or protection lifted
    by 10 a year (130 + 10 + 10)."""
    cfg = config([2026, 2027, 2028], [0, 0, 0], exit_rate=0.0,
                 policy={"pressure_basis": "supported", "cluster_limit": 50, "max_growth": {"absolute": 30},
                         "protect": {"above_per_10k": 100, "rule": "no_rise"}},
                 agreements=[{"area_code": "P", "year": 2028, "minimum": 150}])
    del cfg["demand"]["contingency_start"]
    rows = [area("P", population=10_000, stock=100, capacity=200, cost=1_000, contingency=50),
            area("B", capacity=1_000, cost=5_000)]
    assert written(solve(load(tmp_path / "open", cfg, rows)), "P") == [130, 150, 150]
    rows[0]["hotels_close_by"] = 2026
    with pytest.raises(InfeasibleError) as err:
        solve(load(tmp_path / "closed", cfg, rows))
    text = str(err.value)
    for line in ("max_growth Area P (P) 2026: allow 20 more people of growth",
                 "agreement Area P (P) 2028: minimum 150 loosened to 130 (-20)",
                 "protection (no_rise) lifted by 10 people in 1 area(s): Area P (P) +10",
                 "close hotels later (20 hotel places in 2026)\n"
                 "    * hotels_close_by Area P (P) 2026: keep 20 of its 50 hotel places open (closed from 2026 otherwise)\n"):
        assert line in text
    [kept] = [r for r in err.value.relaxations if r["option"] == "hotels_close_by"]
    assert (kept["area_code"], kept["year"], kept["hotel_places"]) == ("P", 2026, 20)


def test_an_empty_initial_cell_counts_as_nobody(tmp_path: Path) -> None:
    """On the ``supported`` basis the column ``initial`` is optional per area: an empty cell is nobody in
    initial accommodation (it was NaN in the fixed counts, and the fair-share rows of an l1 equity term
    carried it: HiGHS refused the model). B's 20 count, A's empty cell does not: the national total on the
    basis is 100 + 20, the same plan as with a 0 there."""
    cfg = config([2026], [100], policy={"pressure_basis": "supported"}, objective={"equity_weight": 100})
    empty = solve(load(tmp_path / "empty", cfg, two_regions(initial=20)))
    zero = solve(load(tmp_path / "zero", cfg, [{**two_regions()[0], "initial": 0}, two_regions(initial=20)[1]]))
    assert empty.objective == pytest.approx(zero.objective, rel=1e-12)
    assert empty.trajectory["basis_total"].tolist() == [120]

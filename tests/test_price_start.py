"""The price-guided start (allocator.solvers._price_start): same optimum as the cold solve, always.

The start only chooses HiGHS's first basis; the last step solves the whole, unchanged model.
These tests check that promise on generated scenarios (hypothesis) and on a 400-area national
one with cohorts, a growth limit, volunteered and excluded areas, a binding ceiling and
agreements, and they check each step on its own: the sample, the split into areas, the price
correction and the basis.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from allocator import InfeasibleError, SolverError, load_scenario, solve
from allocator.cli import cli
from allocator.data import prepare
from allocator.model import build_lp
from allocator.solvers import RawSolution, solve_lp
from allocator.solvers import _price_start as ps
from allocator.solvers._fallback import at_limit, balance_bound, complete, feasible, nobody_new, toward
from allocator.place import hotel_solution
from allocator.status import Status
from allocator.verify import verify_plan
from tests.conftest import area, config, write_scenario
from tests.strategies import objectives_agree, random_scenario
from tests.stops import stop_after_area_plans

REL = 1e-6


def agree(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b))


def national(n: int = 400, years: int = 6, seed: int = 0, cohorts: bool = True) -> tuple[dict, list[dict]]:
    """A country of ``n`` areas in 4 regions: stock in cheap areas, some over the cap, volunteered
    and excluded areas, three cohorts, a growth limit and l1 equity; hotels used early, emptied later."""
    rng = np.random.default_rng(seed)
    first = 2026
    names = ["single", "family", "child"] if cohorts else [None]
    rows = []
    for i in range(n):
        u = rng.random()
        status = "excluded" if u < 0.05 else "volunteered" if u < 0.1 else "existing"
        pop = int(rng.lognormal(np.log(60_000), 0.5))
        cost = float(np.clip(rng.lognormal(np.log(7_000), 0.45), 3_000, 19_000))
        row = area(f"A{i:04d}", population=pop, status=status, region=f"R{i % 4}",
                   available_from=first + int(rng.integers(1, 3)) if status == "volunteered" else None)
        total = 0 if status == "volunteered" else int(pop / 200 * rng.uniform(0, 0.9) * (3_000 / cost) ** 1.5)
        if status != "volunteered" and rng.random() < 0.03:
            total = int(pop / 200 * 1.3)                         # inherited over the cluster limit
        for k, name in enumerate(names):
            sfx = f"_{name}" if name else ""
            share = (0.6, 0.3, 0.1)[k] if name else 1.0
            stock = int(total * share)
            row[f"stock{sfx}"] = stock
            row[f"capacity{sfx}"] = stock + int(rng.integers(0, 5))
            row[f"procurement_per_year{sfx}"] = max(1, int(pop / 200 * 0.03 * share))
            row[f"cost_per_place{sfx}"] = int(cost * (1.0, 1.4, 1.8)[k])
        if name:
            for base in ("stock", "capacity", "procurement_per_year", "cost_per_place"):
                row.pop(base, None)
        rows.append(row)
    stock = sum(v for r in rows for key, v in r.items() if key.startswith("stock"))
    yrs = list(range(first, first + years))
    cfg = config(yrs, [round(0.45 * stock * 1.02 ** k) for k in range(years)], exit_rate=0.35,
                 contingency_start=round(0.3 * stock), hotel=52_925,
                 policy={"cluster_limit": 200, "max_growth": {"absolute": 10, "relative": 0.5}},
                 objective={"cost_weight": 1, "contingency_weight": 1, "equity_weight": 1000, "equity_measure": "l1"})
    if cohorts:
        cfg["cohorts"] = [{"name": "single", "arrivals_share": 0.6, "exit_rate": 0.35},
                          {"name": "family", "arrivals_share": 0.3, "exit_rate": 0.25},
                          {"name": "child", "arrivals_share": 0.1, "exit_rate": 0.3}]
    return cfg, rows


@pytest.fixture(scope="module")
def country(tmp_path_factory):
    cfg, rows = national()
    return load_scenario(write_scenario(tmp_path_factory.mktemp("country"), cfg, rows))


def with_places(cfg: dict, rows: list[dict], seed: int = 0) -> tuple[dict, list[dict]]:
    """``national()`` with the place-based features (issue 13): hotels in about one area in eight (some
    closing early, contingency_start their total), the supported basis with people in initial
    accommodation, protection of the most pressured places (one forced off), new sites dearer than hotels."""
    rng = np.random.default_rng(seed)
    years = cfg["years"]
    start = cfg["demand"].pop("contingency_start")
    hotels = rng.random(len(rows)) < 0.125
    share = rng.random(len(rows)) * hotels
    people = np.floor(start * share / share.sum()).astype(int)
    for k, row in enumerate(rows):
        row["contingency"] = int(people[k])
        row["hotels_close_by"] = years[0] + int(rng.integers(1, len(years))) if hotels[k] and rng.random() < 0.3 else None
        row["initial"] = int(rng.integers(0, 40)) if rng.random() < 0.2 else 0
        row["protect"] = "false" if k == 7 else None
    cfg["costs"].update(new_contingency_per_person_year=60_000, hotel_place_per_year=5_000)
    cfg["policy"].update(pressure_basis="supported", protect={"above_per_10k": 45, "rule": "no_net_growth"})
    return cfg, rows


@pytest.fixture(scope="module")
def place_country(tmp_path_factory):
    cfg, rows = with_places(*national())
    return load_scenario(write_scenario(tmp_path_factory.mktemp("place"), cfg, rows))


def test_place_based_country_same_optimum_and_the_start_is_used(place_country):
    """Hotels by area (the contingency split links areas: priced at the sample's duals, Q_t basic), the
    supported basis (the national total on it is D_t's column) and protection (local rows)."""
    d = prepare(place_country)
    lp = build_lp(d)
    assert {"contingency_split", "pressure_cap", "pressure_no_rise", "protection", "hotel_closure"} <= set(lp.rows)
    cold, warm = both(place_country)
    assert warm.summary["solver_start"] == "prices"
    assert agree(cold.objective, warm.objective), (cold.objective, warm.objective)
    s = ps.split(lp)
    linking = {name for name, block in lp.rows.items()
               if np.isin(np.arange(block.start, block.start + block.size), s.link_rows).any()}
    assert linking == {"national_balance", "dispersed_total", "contingency_split"}


def test_place_based_limit_after_the_area_plans_returns_them(place_country, monkeypatch):
    """The time-limit fallback completes the areas' plans with the new contingency meeting the split."""
    stop_after_area_plans(monkeypatch)
    plan = solve(place_country, start="prices")              # verified against the scenario
    assert plan.status == "time_limit" and plan.summary["incumbent"] == "price_start"
    assert plan.summary["gap"] > 0


def both(scenario):
    """The plan from each start (solve() verifies each against the scenario)."""
    return solve(scenario, start="cold"), solve(scenario, start="prices")


def same_outcome(scenario):
    """Both starts say infeasible (returns None), or both give one optimum (returns the price-guided plan;
    for an integer plan, each within the gap asked of the optimum)."""
    try:
        cold = solve(scenario, start="cold")
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            solve(scenario, start="prices")
        return None
    warm = solve(scenario, start="prices")
    gap = cold.summary.get("gap_tolerance", 0.0)         # an integer plan: each start proven within the gap
    assert objectives_agree(cold.objective, warm.objective, gap, REL), (cold.objective, warm.objective)
    return warm


# ----------------------------------------------------------------------------- same optimum
def test_country_same_optimum_and_the_start_is_used(country):
    cold, warm = both(country)
    assert warm.summary["solver_start"] == "prices"
    assert cold.summary["solver_start"] == "cold"
    assert agree(cold.objective, warm.objective), (cold.objective, warm.objective)


def test_country_with_binding_ceiling_and_agreements(country):
    """A ceiling the sample cannot meet, and agreements: the sample is relaxed, the whole model is not."""
    import pandas as pd

    cold = solve(country, start="cold")
    last = cold.exact_contingency[-1].sum()
    sc = country.with_policy(contingency_ceiling={country.years[-1]: float(np.ceil(last * 0.5))})
    ref = solve(sc, start="cold")                      # agreements this plan keeps: feasible by construction
    alloc = ref.allocations
    year = alloc[alloc["year"] == country.years[1]].groupby("area_code")["stock"].sum()
    chosen = year[year > 2].head(3)
    agreements = pd.DataFrame([{"area_code": code, "year": country.years[1], "minimum": float(v - 1),
                                "maximum": float(v + 1)} for code, v in chosen.items()])
    warm = same_outcome(sc.with_agreements(agreements))
    assert warm is not None and warm.summary["solver_start"] == "prices"
    kept = warm.allocations[warm.allocations["year"] == country.years[1]].groupby("area_code")["stock"].sum()
    assert ((kept[chosen.index] >= chosen - 1) & (kept[chosen.index] <= chosen + 1)).all()


def progressive_and_honest(scenario):
    """Issue 13: the progressive measure (three steps), average occupancy and empty bed spaces at half a place."""
    steps = [{"from": 1.0, "weight": 1}, {"from": 1.25, "weight": 3}, {"from": 1.5, "weight": 10}]
    return scenario.with_objective(equity_measure="progressive", equity_steps=steps).with_costs(
        occupancy="average", void_share=0.5)


def test_country_with_progressive_equity_and_honest_costing(country):
    """The steps' rows and the kept capacity's rows are local (one area's columns):
    the linking rows are still the balance and the dispersed total, the start is used, same optimum."""
    sc = progressive_and_honest(country)
    lp = build_lp(prepare(sc))
    assert {"fair_share_step", "capacity_kept"} <= set(lp.rows)
    s = ps.split(lp)
    linking = {name for name, block in lp.rows.items()
               if np.isin(np.arange(block.start, block.start + block.size), s.link_rows).any()}
    assert linking == {"national_balance", "dispersed_total"}
    cold, warm = both(sc)
    assert warm.summary["solver_start"] == "prices"
    assert agree(cold.objective, warm.objective), (cold.objective, warm.objective)


def test_area_plans_with_progressive_equity_and_honest_costing_complete(country, monkeypatch):
    """The time-limit fallback completes the areas' plans: the people above each step (``excess``) set to
    meet their rows, the kept capacity the areas' own; the plan keeps every row and bound."""
    d = prepare(progressive_and_honest(country))
    lp = build_lp(d)
    optimum = solve_lp(lp, data=d, start="cold").objective
    stop_after_area_plans(monkeypatch)
    raw = solve_lp(lp, data=d, start="prices")
    assert raw.status == Status.TIME_LIMIT and raw.info["fallback"] == "price_start", raw.info
    assert feasible(lp, raw.x) and optimum * (1 - 1e-9) <= raw.objective


@pytest.mark.parametrize("cohorts", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_generated_countries(tmp_path, seed, cohorts):
    cfg, rows = national(n=300, years=5, seed=seed, cohorts=cohorts)
    cold, warm = both(load_scenario(write_scenario(tmp_path, cfg, rows)))
    assert agree(cold.objective, warm.objective), (cold.objective, warm.objective)


@settings(max_examples=25, deadline=None)
@given(case=random_scenario(max_areas=8, max_years=4))
def test_random_scenarios_same_optimum(case, tmp_path_factory):
    """Tiny scenarios (2-8 areas: the sample is 2 areas) with every feature: same outcome as the cold solve."""
    cfg, rows = case
    warm = same_outcome(load_scenario(write_scenario(tmp_path_factory.mktemp("ps"), cfg, rows)))
    if warm is not None:
        assert warm.summary["solver_start"] == "prices" or warm.summary["solver_start"].startswith("cold: ")


# ----------------------------------------------------------------------------- the steps
def test_sample_scales_demand_to_its_population(country):
    d = prepare(country)
    s, share = ps.sample_areas(d, 0.25, seed=0)
    assert s.shape[0] == round(0.25 * d.shape[0])
    assert share == pytest.approx(s.population.sum() / d.population.sum())
    assert np.allclose(s.arrivals, d.arrivals * share)
    # need: the sample's own stock plus its share of contingency, rolled forward with the same exits
    prev = s.stock0.sum(axis=0) + d.contingency0 * share
    first = (1 - d.exit_rate) * prev + d.arrivals[0] * share
    assert np.allclose(s.need[0], first)
    again, _ = ps.sample_areas(d, 0.25, seed=0)
    assert again.areas["area_code"].tolist() == s.areas["area_code"].tolist()   # seeded


def test_split_finds_exactly_the_national_rows(country):
    lp = build_lp(prepare(country))
    s = ps.split(lp)
    linking = {name for name, block in lp.rows.items()
               if np.isin(np.arange(block.start, block.start + block.size), s.link_rows).any()}
    assert linking == {"national_balance", "dispersed_total"}
    assert len(s.link_rows) == lp.rows["national_balance"].size + lp.rows["dispersed_total"].size
    # every local row's columns belong to its area (national columns aside)
    A = lp.A[s.local_rows]
    rows = np.repeat(np.arange(len(s.local_rows)), np.diff(A.indptr))
    area = s.col_area[A.indices]
    assert np.all((area == s.row_area[rows]) | (area < 0))


def test_minmax_declines_and_says_why(country):
    sc = country.with_objective(equity_measure="minmax", equity_weight=2000.0)
    d = prepare(sc)
    lp = build_lp(d)
    raw = solve_lp(lp, data=d, start="prices")
    assert raw.info["start"] == "cold: the minmax equity measure ties every area to the national top rate"
    assert agree(raw.objective, solve_lp(lp, data=d, start="cold").objective)


@pytest.mark.parametrize(("which", "basic"), [("country", "dispersed"), ("place_country", "new_contingency")])
def test_whole_basis_has_one_basic_per_row(which, basic, request):
    """One basic per row; D_t basic for the dispersed total, and with hotels by area Q_t for the
    contingency split (priced at the sample's duals, one per year)."""
    d = prepare(request.getfixturevalue(which))
    lp = build_lp(d)
    s = ps.split(lp)
    lam, top, dispersed, sampled = ps.sample_prices(d, None, None, {})
    assert set(sampled) == ({"contingency_split"} if which == "place_country" else set())
    assert all(y.shape == (d.shape[1],) for y in sampled.values())
    plans = ps.AreaPlans(lp, s, dispersed, None, sampled=sampled)
    try:
        assert plans.solve(lam.reshape(-1), None)
        col, row = ps.whole_basis(lp, s, plans.statuses(), lam.ravel(), top.ravel())
    finally:
        plans.close()
    assert (col == ps.BASIC).sum() + (row == ps.BASIC).sum() == lp.num_row
    assert np.all(col[lp.variables[basic].slice] == ps.BASIC)


def test_price_correction_repairs_a_wrong_regime(country):
    """A price set far below the hotel price in a year that needs hotels is raised back towards it."""
    d = prepare(country)
    lp = build_lp(d)
    s = ps.split(lp)
    ref = solve_lp(lp, data=d, start="cold")
    bal = lp.rows["national_balance"]
    lam_opt = ref.row_dual[bal.slice]
    cont = lp.value(ref.x, "contingency")
    k = int(np.argmax(cont))                        # a balance row whose optimum uses hotels
    assert cont[k] > 1
    top = ps.hotel_prices(lp, ref.row_dual)
    wrong = lam_opt.copy()
    wrong[k] = 0.2 * lam_opt[k]
    plans = ps.AreaPlans(lp, s, lp.value(ref.x, "dispersed"), None)
    try:
        info: dict = {}
        fixed = ps.correct_prices(plans, wrong, top, None, 8, info)
    finally:
        plans.close()
    assert info["price_rounds"] >= 1
    assert abs(fixed[k] - lam_opt[k]) < 0.25 * abs(wrong[k] - lam_opt[k]), (fixed[k], lam_opt[k], wrong[k])


def test_time_limit_still_gives_a_feasible_plan(country):
    """Whatever a real (short) limit leaves -- optimal, an incumbent, or only "nobody newly placed",
    returned as asked -- it is a verified plan (solve() verifies it)."""
    plan = solve(country, start="prices", time_limit=0.001, keep_trivial=True)
    assert plan.status in ("time_limit", "optimal")
    assert np.isfinite(plan.objective)


def test_limit_after_the_area_plans_returns_them(country, monkeypatch):
    """Issue 11 A5: the limit falls after step 2, so the areas' plans, completed and checked against
    every row and bound, are the plan returned; not "nobody newly placed"."""
    d = prepare(country)
    lp = build_lp(d)
    optimum = solve_lp(lp, data=d, start="cold").objective
    trivial_x = nobody_new(lp)
    trivial = float(lp.c @ trivial_x + lp.offset)
    stop_after_area_plans(monkeypatch)
    raw = solve_lp(lp, data=d, start="prices")
    assert raw.status == Status.TIME_LIMIT and raw.info["fallback"] == "price_start", raw.info
    assert raw.info["start"] == "prices"
    assert feasible(lp, raw.x)
    assert raw.objective == pytest.approx(float(lp.c @ raw.x + lp.offset))
    assert optimum * (1 - 1e-9) <= raw.objective < trivial
    bound = balance_bound(lp)
    assert bound <= optimum * (1 + 1e-9)
    assert raw.info["bound"] >= bound
    assert raw.gap == pytest.approx((raw.objective - raw.info["bound"]) / raw.objective)
    assert 0 < raw.gap < (trivial - raw.info["bound"]) / trivial
    assert 0 < raw.info["price_start_share"] <= 1


def test_area_plans_incumbent_through_the_api(country, monkeypatch):
    stop_after_area_plans(monkeypatch)
    plan = solve(country, start="prices")                  # verified against the scenario
    assert plan.status == "time_limit" and plan.summary["incumbent"] == "price_start"
    assert plan.summary["gap"] > 0


def test_area_plans_that_break_a_linking_row_are_repaired_towards_them(country):
    """Too many placed in a year (contingency would be negative): the plan returned is the last
    feasible point from "nobody newly placed" towards them, and it keeps every row and bound."""
    d = prepare(country)
    lp = build_lp(d)
    x0 = nobody_new(lp)
    x1 = x0.copy()
    stock = lp.variables["stock"]
    x1[stock.slice] = np.minimum(lp.col_upper[stock.slice], x0[stock.slice] + 1e6)   # everyone everywhere
    x1 = complete(lp, x1)
    assert not feasible(lp, x1)
    x, theta = toward(lp, x0, x1)
    assert 0 < theta < 1 and feasible(lp, x)
    raw = at_limit(lp, RawSolution(Status.TIME_LIMIT, None, None, message="Time limit reached"), x1)
    assert feasible(lp, raw.x) and raw.info["price_start_share"] == pytest.approx(theta, abs=1e-6)
    assert raw.objective == pytest.approx(min(lp.c @ x, lp.c @ x0) + lp.offset)


def test_a_blend_of_plans_is_charged_only_the_empty_places_its_stock_needs(country):
    """A repaired plan is a blend of "nobody newly placed" and the areas' plans; blended, the bed spaces
    bought are more than the blended stock needs (the first plan keeps stock under today's capacity),
    so the fallback reported a cost the verifier did not find (exit 5 on the national central plan,
    issue 14). Completed, the bed spaces bought are the latest schedule for the stock: the cost the
    verifier recomputes, and still a plan keeping every row and bound."""
    sc = progressive_and_honest(country)
    d = prepare(sc)
    lp = build_lp(d)
    optimum = solve_lp(lp, data=d, start="cold")
    x0 = nobody_new(lp)
    blend = complete(lp, 0.5 * x0 + 0.5 * optimum.x)
    assert feasible(lp, blend)
    n_a, n_t, n_h = d.shape
    S = lp.value(blend, "stock").reshape(n_a, n_t, n_h)
    C = lp.value(blend, "contingency").reshape(n_t, n_h)
    assert verify_plan(sc, S, C, float(lp.c @ blend + lp.offset), hotels=hotel_solution(d, lp, blend)) == []
    bought = lp.value(blend, "bought")
    assert 0 < bought.sum() < 0.5 * lp.value(optimum.x, "bought").sum()     # the blend's stock needs fewer


# ----------------------------------------------------------------------------- the interfaces
def test_unknown_start_is_refused(country):
    with pytest.raises(SolverError, match="unknown start 'fast'"):
        solve(country, start="fast")


def test_auto_threshold(country):
    d = prepare(country)
    lp = build_lp(d)
    assert not ps.wanted(d, lp, "auto")             # 400 areas: below AUTO_MIN_AREAS
    assert ps.wanted(d, lp, "prices") and not ps.wanted(d, lp, "cold")


def test_cli_start_option(tmp_path, country):
    runner = CliRunner()
    example = "scenarios/example"
    res = runner.invoke(cli, ["solve", example, "--out", str(tmp_path / "a"), "--start", "prices", "-q"])
    assert res.exit_code == 0, res.output
    import json

    assert json.loads((tmp_path / "a" / "summary.json").read_text())["solver_start"] == "prices"
    res = runner.invoke(cli, ["solve", example, "--out", str(tmp_path / "b"), "--start", "prices",
                              "--solver", "pulp"])
    assert res.exit_code == 2
    assert "--start prices needs --solver highs" in res.output
    assert not (tmp_path / "b").exists()


def test_regional_targets_keep_the_start_and_the_optimum(place_country):
    """Regional targets link the areas of a region: their rows are left out of the areas' LPs and their
    slacks made basic (``basic slack``, like the ceiling's). With a most share below the largest region's
    share in the plan without targets and a least share above the smallest's, both binding, the start is
    still used and reaches the cold optimum."""
    free = solve(place_country, start="cold").regions
    last = free[free["year"] == free["year"].max()].set_index("region")["basis_share"]
    year = int(free["year"].max())
    targets = pd.DataFrame({"region": [last.idxmax(), last.idxmin()], "year": [year, year],
                            "min_share": [np.nan, last.min() + 0.01], "max_share": [last.max() - 0.01, np.nan]})
    scenario = dataclasses.replace(place_country, regions=targets)
    lp = build_lp(prepare(scenario))
    assert lp.rows["regional_share"].size == 2
    cold, warm = both(scenario)
    assert warm.summary["solver_start"] == "prices"
    assert agree(cold.objective, warm.objective), (cold.objective, warm.objective)
    shares = cold.regions.set_index(["region", "year"])["basis_share"]
    assert shares[(last.idxmax(), year)] <= last.max() - 0.01 + 1e-4
    assert shares[(last.idxmin(), year)] >= last.min() + 0.01 - 1e-4
    assert set(ps.split(lp).link_rows) >= set(range(lp.rows["regional_share"].start, lp.rows["regional_share"].start + 2))


def _plans_at_sample_prices(d, lp):
    s = ps.split(lp)
    lam, top, dispersed, sampled = ps.sample_prices(d, None, None, {})
    plans = ps.AreaPlans(lp, s, dispersed, None, sampled=sampled)
    assert plans.solve(lam.reshape(-1), None)
    return s, lam, top, plans


def test_rho_is_the_reduced_column_of_the_balance_row(place_country):
    """rho_k = a_k - a_{k,B} B^{-1} A, checked against the areas' basis matrices built densely:
    for a column j of area i, the people of balance row k that area i's basic columns and j
    together gain when j enters by one."""
    d = prepare(place_country)
    lp = build_lp(d)
    s, _, _, plans = _plans_at_sample_prices(d, lp)
    try:
        h, cols, rows, AT = plans.parts[0]
        A = AT.T.toarray()                                        # the part's local rows × columns
        basic = np.asarray(h.getBasicVariables()[1])
        # HiGHS's basis matrix: a structural column, or the row's logical (+e_r for row activity r)
        eye = np.eye(A.shape[0])
        B = np.column_stack([A[:, b] if b >= 0 else eye[:, -1 - b] for b in basic])
        bal = lp.rows["national_balance"]
        checked = 0
        for k in range(bal.size):
            coef = lp.A[bal.start + k].toarray().ravel()[cols]
            want = coef - (np.where(basic >= 0, coef[np.maximum(basic, 0)], 0.0) @ np.linalg.solve(B, A))
            got = plans.rho(k)[cols]
            assert np.allclose(got, want, atol=1e-9), k
            checked += int(np.count_nonzero(np.abs(want) > 1e-9))
        assert checked > 0                                        # not every rho zero
    finally:
        plans.close()


def test_fixing_the_dispersed_total_moves_only_the_right_hand_sides(country):
    """AreaPlans.fix_dispersed(D) leaves the areas' models exactly as if they had been built at D."""
    sc = progressive_and_honest(country)
    d = prepare(sc)
    lp = build_lp(d)
    s, lam, _, plans = _plans_at_sample_prices(d, lp)
    D = lp.variables["dispersed"].slice
    new = plans.x[D] * 1.01 + 3.0
    fresh = ps.AreaPlans(lp, s, new, None)
    try:
        plans.fix_dispersed(new)
        assert np.array_equal(plans.x[D], new)
        for (h, _, _, _), (g, _, _, _) in zip(plans.parts, fresh.parts):
            a, b = h.getLp(), g.getLp()
            assert np.allclose(a.row_lower_, b.row_lower_, rtol=0, atol=1e-9)
            assert np.allclose(a.row_upper_, b.row_upper_, rtol=0, atol=1e-9)
        assert plans.solve(lam.reshape(-1), None) and fresh.solve(lam.reshape(-1), None)
        cost = np.where(s.col_area >= 0, plans.cost - plans.A_bal.T @ lam.ravel(), 0.0)   # the areas' objective
        assert cost @ plans.x == pytest.approx(cost @ fresh.x, rel=1e-9)
    finally:
        plans.close()
        fresh.close()

"""Property-based tests on random small scenarios (hypothesis; the strategy is tests/strategies.py).

Every generated scenario (every feature able to appear together: cohorts, agreements, fractional inputs,
every option, the place-based features with hotel_places, any protection rule and protect_level, a re-plan's
over_cap_until and previous plan with stability_weight, opening decisions) either raises InfeasibleError
(only where a hard rule can cause it: a ceiling, an agreement, a regional target or the opening size of an
area hosting people now; then with a diagnosis, and lifting the named ceilings by the reported shortfall
makes it feasible) or gives a plan that passes the verifier and whose written files obey every rule in
whole people, recomputed here from the generated inputs, not from allocator's own arrays: capacity, caps,
agreements, the ceiling's whole part, the rules linking years (nobody moved out, growth limit), hotels,
the pressure basis, protection and the opening rules. An integer plan is "optimal within the gap asked"
(default 0.1%): nothing here asserts more of its objective than that the plan is verified and the same
on a second solve. Writing twice, and solving twice, gives byte-identical files.

Profiles (tests/conftest.py): HYPOTHESIS_PROFILE=ci (default, 40 examples) or dev (300).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import event, given

from allocator import InfeasibleError, load_scenario, prepare, read_plan, solve
from allocator.rounding import broken_rules, exact_rounding, fast_rounding, whole_rules
from allocator.rounding_place import whole_hotels
from allocator.verify import verify_plan
from tests.conftest import (
    PLAN_CSVS,
    plan_bytes,
    summary_without_timings,
    write_scenario,
    written_hotels,
)
from tests.strategies import hosts_nobody, opening_rules_hold, random_scenario


def expected(cfg: dict, rows: list[dict]) -> dict:
    """The rules' numbers, computed plainly from the generated dict and rows."""
    years = cfg["years"]
    cohorts = [c["name"] for c in cfg.get("cohorts") or []] or [None]
    shares = {c["name"]: c["arrivals_share"] for c in cfg.get("cohorts") or []} or {None: 1.0}
    rates = {c["name"]: c.get("exit_rate", cfg["demand"]["exit_rate"]) for c in cfg.get("cohorts") or []} \
        or {None: cfg["demand"]["exit_rate"]}
    col = lambda base, h: f"{base}_{h}" if h else base  # noqa: E731
    out: dict = {"areas": {}, "need": []}
    start = cfg["demand"].get("contingency_start")
    start = sum(r.get("contingency", 0) for r in rows) if start is None else start
    level = {h: sum(r[col("stock", h)] for r in rows) + start * shares[h] for h in cohorts}
    for y in years:
        level = {h: (1 - rates[h]) * level[h] + cfg["demand"]["arrivals"][y] * shares[h] for h in cohorts}
        out["need"].append(sum(level.values()))
    out["exit_rate"] = rates
    for r in rows:
        limit = r.get("cluster_limit") or cfg["policy"]["cluster_limit"]
        first = r["available_from"] if r["status"] == "volunteered" else years[0]
        out["areas"][r["area_code"]] = {
            "cap": math.floor(r["population"] / limit + 1e-9),
            "status": r["status"],
            "open": [r["status"] != "excluded" and y >= first for y in years],
            "years_open": [max(0, y - max(first, years[0]) + 1) for y in years],
            "inherited": [sum(r[col("stock", h)] * (1 - rates[h]) ** (k + 1) for h in cohorts)
                          for k in range(len(years))],
            "inherited_by_cohort": {h or "all": [r[col("stock", h)] * (1 - rates[h]) ** (k + 1)
                                                 for k in range(len(years))] for h in cohorts},
            "capacity0": {h or "all": r[col("capacity", h)] for h in cohorts},
            "stock0": {h or "all": r[col("stock", h)] for h in cohorts},
            "pace": {h or "all": r[col("procurement_per_year", h)] for h in cohorts},
            "carried": [r.get("over_cap_until") is not None and y <= r["over_cap_until"] for y in years],
        }
    return out


def check_written(cfg: dict, rows: list[dict], folder: Path) -> None:
    """Every rule, checked on the files as written."""
    ex = expected(cfg, rows)
    years = cfg["years"]
    alloc = pd.read_csv(folder / "allocations.csv", dtype={"area_code": str}, keep_default_na=False)
    traj = pd.read_csv(folder / "trajectory.csv")
    regions = pd.read_csv(folder / "regions.csv", keep_default_na=False)
    if "cohort" not in alloc:
        alloc["cohort"] = "all"
    for column in ("stock", "placements", "capacity", "procured", "cap"):
        assert pd.api.types.is_integer_dtype(alloc[column]), column
    assert (alloc["stock"] >= 0).all() and (alloc["placements"] >= 0).all()
    assert (alloc["stock"] <= alloc["capacity"]).all()
    assert len(alloc) == len(rows) * len(years) * alloc["cohort"].nunique()

    for row in alloc.itertuples():
        a = ex["areas"][row.area_code]
        k = years.index(row.year)
        assert row.cap == a["cap"]
        # capacity: today's plus at most the pace each year the area has been open
        assert 0 <= row.procured <= a["pace"][row.cohort], row
        assert row.capacity <= a["capacity0"][row.cohort] + a["pace"][row.cohort] * a["years_open"][k], row
        if not a["open"][k]:
            assert row.placements == 0, row
        if a["status"] == "volunteered" and not a["open"][k]:
            assert row.stock == 0 and row.procured == 0, row
        if a["status"] == "excluded" or (a["carried"][k] and a["open"][k]):
            # only decays (each cohort within a person of its survivors): excluded, or over its cap by a re-plan's
            # carried judgement (over_cap_until)
            assert row.stock <= math.ceil(a["inherited_by_cohort"][row.cohort][k] - 1e-6), row

    totals = alloc.groupby(["area_code", "year"])["stock"].sum()
    over = alloc.groupby(["area_code", "year"])["over_cap"].first()
    basis = alloc.groupby(["area_code", "year"])["basis_total"].first() if "basis_total" in alloc else totals
    for (code, year), total in totals.items():
        a = ex["areas"][code]
        k = years.index(year)
        assert over[(code, year)] == (basis[(code, year)] > a["cap"])
        if basis[(code, year)] > a["cap"]:       # only stock inherited above the cap (on the basis), decaying
            assert total <= math.ceil(a["inherited"][k] - 1e-6), (code, year, total)
    check_place(cfg, rows, ex, alloc, traj, totals)

    national = alloc.groupby("year")["stock"].sum().reindex(years).to_numpy()
    assert traj["year"].tolist() == years
    assert (traj["dispersed"].to_numpy() == national).all()
    assert (traj["dispersed"] + traj["contingency"] == traj["need"]).all()
    np.testing.assert_array_equal(traj["need"].to_numpy(), np.round(ex["need"]).astype(int))
    assert (traj["contingency"] >= 0).all()
    for year, ceiling in (cfg["policy"].get("contingency_ceiling") or {}).items():   # people are whole
        assert traj.loc[traj["year"] == year, "contingency"].item() <= math.floor(ceiling + 1e-9)
    for agreement in cfg.get("agreements") or []:
        total = totals[(agreement["area_code"], agreement["year"])]
        assert agreement.get("minimum", agreement.get("exact", 0)) <= total, agreement
        assert total <= agreement.get("maximum", agreement.get("exact", math.inf)), agreement
    check_links(cfg, ex, alloc)
    opening_rules_hold(cfg, rows, alloc)
    check_issue13(cfg, rows, ex, alloc, traj)
    region_sum = alloc.groupby(["region", "year"])["stock"].sum()
    in_years = regions[regions["position"] == "end of year"]
    assert in_years.set_index(["region", "year"])["stock"].sort_index().equals(region_sum.sort_index())
    start = pd.read_csv(folder / "start.csv", dtype={"area_code": str}, keep_default_na=False)
    at_start = regions[regions["position"] == "start"]            # one row per region, dated the year before
    assert (at_start["year"] == years[0] - 1).all() and len(regions) == len(at_start) * (len(years) + 1)
    assert at_start.set_index("region")["stock"].sort_index().equals(start.groupby("region")["stock"].sum())


def check_place(cfg: dict, rows: list[dict], ex: dict, alloc: pd.DataFrame, traj: pd.DataFrame,
                totals: pd.Series) -> None:
    """Issue 13's rules on the written plan, from the generated rows: hotel places whole, at most today's
    people in the area's hotels, never reopening, none from hotels_close_by; people in hotels within the
    open places; contingency = people in hotels + new contingency; the area totals on the basis; protection."""
    years = cfg["years"]
    basis = cfg["policy"].get("pressure_basis", "dispersal")
    fixed = (["resettled"] if basis == ["resettled"] else ["initial"] if basis == "supported" else [])
    located = "contingency" in rows[0]
    first = alloc.groupby(["area_code", "year"]).first()
    if located:
        assert (traj["contingency"] == traj["new_contingency"] + first.groupby("year")["contingency"].sum().to_numpy()).all()
        assert (traj["new_contingency"] >= 0).all()
    for r in rows:
        code = r["area_code"]
        if located:
            places = [first.loc[(code, y), "hotel_places"] for y in years]
            people = [first.loc[(code, y), "contingency"] for y in years]
            close = r.get("hotels_close_by")
            now_places = r["contingency"] if r.get("hotel_places") is None else r["hotel_places"]
            most = [0 if close is not None and y >= close else now_places for y in years]
            assert all(0 <= p <= h <= m for p, h, m in zip(people, places, most)), (code, people, places, most)
            assert all(b <= a for a, b in zip(places, places[1:])), (code, places)     # never reopen
        if basis != "dispersal":
            counted = [first.loc[(code, y), "contingency"] if located else 0 for y in years]
            extra = sum(r.get(c) or 0 for c in fixed)
            assert [first.loc[(code, y), "basis_total"] for y in years] == \
                [totals[(code, y)] + c + extra for y, c in zip(years, counted)]
        if located and basis != "dispersal" and r["contingency"] > 0:   # over the cap on the basis: never rises
            a = ex["areas"][code]
            close = r.get("hotels_close_by")
            on = [first.loc[(code, y), "basis_total"] for y in years]
            start = sum(v for k, v in r.items() if k.startswith("stock")) + r["contingency"] + extra
            for k, y in enumerate(years):
                hotels = r["contingency"] if close is None or y < close else 0
                if a["carried"][k] or a["inherited"][k] + extra + hotels > a["cap"] + 1e-9:
                    assert on[k] <= (start if k == 0 else on[k - 1]), (code, y, on, start)
        check_protection(cfg, r, ex["areas"][code], [totals[(code, y)] for y in years],
                         [first.loc[(code, y), "basis_total"] for y in years] if basis != "dispersal" else None)


def check_protection(cfg: dict, r: dict, a: dict, totals: list, on_basis: list | None) -> None:
    """Protection of one area (row ``r``) on the written whole people: its people in dispersal each year
    (``totals``) and on the pressure basis (``on_basis``; None on the dispersal basis). ``no_net_growth``:
    at most its level (``protect_level``, else today's people in dispersal) or the people still there from
    today where more; ``no_new_placements``: only the people still there; ``no_rise``: its basis never above
    last year's (today's, the first year), nor the first year above its level (``protect_level``, else
    today's) or the people still there and its fixed counts."""
    protect = cfg["policy"].get("protect")
    if not protect:
        return
    basis = cfg["policy"].get("pressure_basis", "dispersal")
    rule = protect.get("rule", "no_net_growth")
    fixed = sum(r.get(c) or 0 for c in (["resettled"] if basis == ["resettled"] else ["initial"] if basis == "supported"
                                       else []))
    now = sum(v for k, v in r.items() if k.startswith("stock"))
    start = now + (r.get("contingency", 0) if basis != "dispersal" else 0) + fixed
    chosen = {"true": True, "false": False}.get(r.get("protect"), start / r["population"] * 1e4 > protect["above_per_10k"])
    if not chosen:
        return
    level = r.get("protect_level")
    kept = [math.ceil(i - 1e-6) for i in a["inherited"]]
    for k, total in enumerate(totals):
        if not a["open"][k]:
            continue
        if rule == "no_new_placements":
            assert total <= kept[k], (r["area_code"], k, total, kept[k])
        elif rule == "no_net_growth":
            assert total <= max(now if level is None else level, kept[k]), (r["area_code"], k, total, level)
        else:
            last = start if k == 0 else on_basis[k - 1]
            assert on_basis[k] <= last, (r["area_code"], k, on_basis, start)
            if k == 0 and level is not None:
                assert on_basis[0] <= max(level, kept[0] + fixed), (r["area_code"], on_basis[0], level, kept[0])


def check_issue13(cfg: dict, rows: list[dict], ex: dict, alloc: pd.DataFrame, traj: pd.DataFrame) -> None:
    """Issue 13, on the written files: every row adds up (stock = last year's - exits + placements, none
    negative, no more exits than people); empty bed spaces and their cost; the areas above 125%, 150%
    and 200% of their fair share (on the pressure basis); the total cost is the four costs added; the
    empty hotel places."""
    years = cfg["years"]
    stock = alloc.set_index(["area_code", "cohort", "year"])["stock"]
    for row in alloc.itertuples():
        k = years.index(row.year)
        prev = ex["areas"][row.area_code]["stock0"][row.cohort] if k == 0 else stock[(row.area_code, row.cohort,
                                                                                      years[k - 1])]
        assert row.stock == prev - row.exits + row.placements, row
        assert row.placements >= 0 and 0 <= row.exits <= prev, row
    cohorts = [c["name"] for c in cfg.get("cohorts") or []] or [None]
    cost = {(r["area_code"], h or "all"): r.get(f"cost_per_place_{h}" if h else "cost_per_place",
                                                r.get("cost_per_place")) for r in rows for h in cohorts}
    alloc = alloc.assign(empty=alloc["capacity"] - alloc["stock"],
                         price=[cost[(r.area_code, r.cohort)] for r in alloc.itertuples()])
    assert (alloc["empty"] >= 0).all()
    by_year = alloc.groupby("year")
    traj = traj.set_index("year")
    assert (traj["void_places"] == by_year["empty"].sum()).all()
    share = cfg["costs"].get("void_share", 0)
    void_cost = by_year.apply(lambda g: share * float((g["empty"] * g["price"]).sum()), include_groups=False)
    assert np.allclose(traj["void_cost"], void_cost, atol=0.006)
    parts = traj[["accommodation_cost", "contingency_cost", "procurement_cost", "void_cost"]].sum(axis=1)
    assert np.allclose(traj["total_cost"], parts, atol=0.011)
    areas = alloc.groupby(["year", "area_code"]).agg(stock=("stock", "sum"), fair=("fair_share", "first"))
    if "basis_total" in alloc:                        # the fair share is on the pressure basis: so are the counts
        areas["stock"] = alloc.groupby(["year", "area_code"])["basis_total"].first()
    for multiple in (125, 150, 200):
        above = (areas["fair"] > 0) & (areas["stock"] > multiple / 100 * areas["fair"])
        assert (traj[f"areas_above_{multiple}pct"] == above.groupby("year").sum()).all(), multiple
    if "hotel_places" in alloc:                       # open hotel places nobody is in, each year
        first = alloc.groupby(["year", "area_code"])[["hotel_places", "contingency"]].first()
        empty = (first["hotel_places"] - first["contingency"]).groupby("year").sum()
        assert (traj["empty_hotel_places"] == empty).all()


def check_links(cfg: dict, ex: dict, alloc: pd.DataFrame) -> None:
    """The rules linking years, on the written whole people: nobody moved out (each area and cohort
    holds at least last year's people times (1 - exit rate), rounded down; with no exits, at least
    last year's people) and the growth limit (rounded up), the first year against today's stock."""
    years = cfg["years"]
    growth = cfg["policy"].get("max_growth")
    stock = alloc.set_index(["area_code", "cohort", "year"])["stock"]
    for code, a in ex["areas"].items():
        prev_total = sum(a["stock0"].values())
        for k, year in enumerate(years):
            total = 0
            for cohort, prev in a["stock0"].items():
                prev = prev if k == 0 else stock[(code, cohort, years[k - 1])]
                now = stock[(code, cohort, year)]
                rate = ex["exit_rate"][None if cohort == "all" else cohort]
                assert now >= math.floor((1 - rate) * prev + 1e-6), (code, cohort, year, prev, now)
                total += now
            if growth and a["open"][k]:
                most = math.ceil((1 + growth.get("relative", 0)) * prev_total + growth.get("absolute", 0) - 1e-6)
                assert total <= most, (code, year, prev_total, total)
            prev_total = total


@given(case=random_scenario())
def test_random_scenarios_obey_every_rule(case: tuple[dict, list[dict]], tmp_path_factory: pytest.TempPathFactory) -> None:
    cfg, rows = case
    root = tmp_path_factory.mktemp("prop")
    scenario = load_scenario(write_scenario(root / "scenario", cfg, rows))
    try:
        plan = solve(scenario)
    except InfeasibleError as err:
        event("infeasible")
        # Only a ceiling, an agreement, a regional target or the opening size of an area hosting people now
        # (min_open: a floor every year) can make a scenario infeasible: without them it is feasible. Without
        # agreements, targets and opening sizes, lifting each named year's ceiling by the reported shortfall
        # must make it feasible.
        sizes = any(r.get("min_open") and not hosts_nobody(r) for r in rows)
        hard = cfg["policy"].get("contingency_ceiling") or cfg.get("agreements") or cfg.get("regions") or sizes
        assert hard, "infeasible without a ceiling, agreements, regional targets or opening sizes"
        assert err.relaxations, str(err)                  # a diagnosis, never "please report this as a bug"
        soft = scenario.with_agreements(None).with_policy(contingency_ceiling=None)
        if sizes:
            soft = soft.with_areas(soft.areas.drop(columns="min_open"))
        solve(dataclasses.replace(soft, regions=None))
        if cfg.get("agreements") or cfg.get("regions") or sizes:
            event("infeasible with agreements, regional targets or opening sizes")
            return
        ceiling_option = [r for r in err.relaxations if r["option"] == "ceiling"]
        assert ceiling_option and all(r["places_short"] > 0 for r in ceiling_option)
        assert "contingency_ceiling" in str(err)
        lifted = dict(cfg["policy"]["contingency_ceiling"])
        for r in ceiling_option:
            assert f"contingency_ceiling {r['year']}" in str(err)
            lifted[r["year"]] = math.ceil(r["ceiling"] + r["places_short"] + 1e-3)
        solve(scenario.with_policy(contingency_ceiling=lifted))
        return

    event(f"plan, {'cohorts' if scenario.has_cohorts else 'one cohort'}, {scenario.config.objective.equity_measure}")
    event(f"plan with {'agreements' if cfg.get('agreements') else 'no agreements'}")
    event(f"plan with {'regional targets' if cfg.get('regions') else 'no regional targets'}")
    event(f"plan, occupancy {cfg['costs'].get('occupancy', 'end_of_year')}, void_share {cfg['costs'].get('void_share', 0)}")
    event("integer plan (opening decisions)" if "gap_tolerance" in plan.summary else "linear plan")
    event(f"plan with {'a previous plan' if cfg.get('previous_plan') else 'no previous plan'}")
    event(f"plan, protection {(cfg['policy'].get('protect') or {}).get('rule', 'none')}")
    # the integer program on its own: from every cell rounded down (which misses the totals) it must
    # still find a whole-people plan that keeps every rule (most random plans never need it)
    d = prepare(scenario)
    w = whole_rules(d, plan.exact_stock, plan.exact_hotels)
    event("whole people: " + ("integer program" if broken_rules(w, fast_rounding(w)) else "fast rounding kept"))
    repaired, located = exact_rounding(w, w.base.astype(np.int64))
    assert broken_rules(w, repaired, located) == []
    whole_cont = (np.round(d.need.sum(axis=1)) - repaired.sum(axis=(0, 2))).astype(np.int64)[:, None]
    hotels = None if w.hotels is None else whole_hotels(d, w.hotels, located, repaired)
    assert verify_plan(scenario, plan.exact_stock, plan.exact_contingency, plan.objective, repaired, whole_cont,
                       hotels=plan.exact_hotels, whole_hotels=hotels) == []
    # the independent verifier, on the exact plan and on the whole people read back from disk
    out = plan.write(root / "plan")
    back = read_plan(out)
    n_a, n_t, n_h = plan.exact_stock.shape
    R = back.allocations["stock"].to_numpy().reshape(n_a, n_t, n_h)
    Cint = back.trajectory["contingency"].to_numpy()[:, None]
    assert verify_plan(scenario, plan.exact_stock, plan.exact_contingency, plan.objective, R, Cint,
                       hotels=plan.exact_hotels, whole_hotels=written_hotels(back, n_a, n_t)) == []

    check_written(cfg, rows, out)

    # determinism: the same plan written twice, and a second solve, give the same bytes
    again = plan.write(root / "plan-again")
    assert plan_bytes(again) == plan_bytes(out)
    assert (again / "summary.json").read_bytes() == (out / "summary.json").read_bytes()
    second = solve(load_scenario(root / "scenario" / "scenario.yaml")).write(root / "plan-second")
    assert plan_bytes(second) == plan_bytes(out), "a second solve wrote different CSVs"
    assert summary_without_timings(second / "summary.json") == summary_without_timings(out / "summary.json")
    assert set(PLAN_CSVS) <= {p.name for p in out.iterdir()}

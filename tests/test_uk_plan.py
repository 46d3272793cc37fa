"""The national scenario solves, passes the verifier, and respects inherited caps (issue 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from allocator import InfeasibleError, load_scenario, solve
from allocator.verify import verify_plan

UK = Path(__file__).resolve().parents[1] / "scenarios" / "uk-2025"
FEASIBLE = ["central.yaml", "high-arrivals.yaml", "low-arrivals.yaml", "hotels-closed-by-2029.yaml"]


@pytest.fixture(scope="module", params=FEASIBLE)
def solved(request):
    scenario = load_scenario(UK / request.param)
    return scenario, solve(scenario)


def test_national_plan_is_optimal_and_verified(solved) -> None:
    scenario, plan = solved
    assert plan.status == "optimal"
    assert plan.summary["verified"] is True
    # the verifier, run again here on the exact and whole-people plan, finds nothing
    stock = plan.allocations.pivot_table(index="area_code", columns="year", values="stock", sort=False)
    whole = stock.loc[scenario.areas["area_code"]].to_numpy()[:, :, None]
    fails = verify_plan(scenario, plan.exact_stock, plan.exact_contingency, plan.objective, whole.astype(np.int64),
                        plan.trajectory["contingency"].to_numpy()[:, None])
    assert fails == []
    assert len(plan.allocations) == 361 * 4


def test_areas_over_the_cluster_limit_never_grow(solved) -> None:
    """An area whose stock is above its cap only declines while it stays above (Glasgow today)."""
    scenario, plan = solved
    a = plan.allocations.sort_values(["area_code", "year"])
    start = scenario.areas.set_index("area_code")["stock"]
    cap = a.groupby("area_code")["cap"].first()
    over = start[start > cap].index
    assert list(over) == ["S12000049"]                      # Glasgow City, 3,426 > 3,251
    for code in over:
        series = [start[code], *a.loc[a["area_code"] == code, "stock"].tolist()]
        for before, after in zip(series, series[1:]):
            if before > cap[code]:
                assert after <= before
                assert after <= max(cap[code], round(before * 0.65 + 0.5))


def test_hotels_closed_meets_its_ceiling(solved) -> None:
    scenario, plan = solved
    ceiling = scenario.config.policy.contingency_ceiling or {}
    for year, most in ceiling.items():
        assert plan.trajectory.set_index("year").at[year, "contingency"] <= most


def test_high_arrivals_with_hotel_closure_is_reported_infeasible() -> None:
    with pytest.raises(InfeasibleError) as info:
        solve(load_scenario(UK / "high-arrivals-hotels-closed.yaml"))
    text = str(info.value)
    assert "contingency_ceiling 2029" in text
    years = {r["year"] for r in info.value.relaxations if r["option"] == "ceiling"}
    assert 2029 in years
    # the shortfall is at least the gap between 2029 need and every place reachable by 2029
    short_2029 = next(r["places_short"] for r in info.value.relaxations
                      if r["option"] == "ceiling" and r["year"] == 2029)
    assert short_2029 > 0
    # the other lever named in policy terms: that many more bed spaces, by region
    extra = sum(r["amount"] for r in info.value.relaxations if r["option"] == "capacity")
    assert extra == pytest.approx(short_2029, rel=1e-6)
    assert "more bed spaces than capacity and procurement_per_year allow" in text

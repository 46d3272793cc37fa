"""Numerical robustness (issue 7): extreme but legal magnitudes solve and pass the verifier.

Each scenario mixes magnitudes a real file could contain: populations of millions next to
hundreds, costs of £1 next to £1m, exit rates near 0 and at the 0.99 limit, huge weights.
The property: HiGHS reports optimal (or the scenario is reported infeasible in policy terms),
and the independent verifier, run inside ``solve``, passes. Values beyond the documented limits
are refused with a message (see tests/hostile/).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from allocator import ScenarioError, load_scenario, solve
from allocator.scenario import MAX_POUNDS


def _scenario(folder: Path, pops, costs, exit_rate, arrivals, hotel=52925.0, equity=1000.0, measure="l1",
              growth=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    n = len(pops)
    stock = [min(p // 400, 1000) for p in pops]
    pd.DataFrame({
        "area_code": [f"A{i}" for i in range(n)], "area_name": [f"Area {i}" for i in range(n)],
        "region": ["North" if i % 2 else "South" for i in range(n)], "population": pops, "stock": stock,
        "capacity": [s + 10 for s in stock], "procurement_per_year": [max(1, p // 1000) for p in pops],
        "cost_per_place": costs, "status": "existing", "available_from": "",
    }).to_csv(folder / "areas.csv", index=False)
    doc = {"name": "extreme", "years": [2026, 2027, 2028], "areas": "areas.csv",
           "demand": {"arrivals": {2026: arrivals, 2027: arrivals, 2028: arrivals}, "exit_rate": exit_rate,
                      "contingency_start": 500},
           "costs": {"contingency_per_person_year": hotel},
           "policy": {"max_growth": growth},
           "objective": {"equity_weight": equity, "equity_measure": measure}}
    (folder / "scenario.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return folder


CASES = {
    "populations 8m next to 150": dict(pops=[8_000_000, 300, 1_200_000, 150, 50_000], costs=[5000] * 5,
                                       exit_rate=0.35, arrivals=20000),
    "costs £1 next to £1m": dict(pops=[100000] * 5, costs=[1, 1_000_000, 5000, 20, 300000], exit_rate=0.35,
                                 arrivals=300),
    "costs £1 next to £1m, minmax": dict(pops=[100000, 2000, 5_000_000, 700, 40000],
                                         costs=[1, 1_000_000, 5000, 20, 300000], exit_rate=0.35, arrivals=3000,
                                         measure="minmax"),
    "exit rate 1e-6": dict(pops=[100000] * 5, costs=[3000, 4000, 5000, 6000, 7000], exit_rate=1e-6, arrivals=100),
    "exit rate 0.99 (the limit)": dict(pops=[100000] * 5, costs=[3000, 4000, 5000, 6000, 7000], exit_rate=0.99,
                                       arrivals=2000),
    "hotel £10m, equity weight 1e9": dict(pops=[100000, 200, 3_000_000, 50000, 900],
                                          costs=[3000, 4000, 5000, 6000, 7000], exit_rate=0.3, arrivals=5000,
                                          hotel=MAX_POUNDS, equity=1e9),
    "growth limit tiny next to huge areas": dict(pops=[9_000_000, 100, 2_000_000, 80, 600_000],
                                                 costs=[2500, 19000, 4000, 8000, 6000], exit_rate=0.5,
                                                 arrivals=40000, growth={"absolute": 1, "relative": 0.01}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_extreme_magnitudes_solve_and_verify(name: str, tmp_path: Path) -> None:
    plan = solve(load_scenario(_scenario(tmp_path / "s", **CASES[name])))
    assert plan.status == "optimal"
    assert plan.summary["verified"] is True
    traj = plan.trajectory
    assert (traj["dispersed"] + traj["contingency"] == traj["need"]).all()


def test_exit_rate_above_the_limit_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"demand\.exit_rate.*0\.99"):
        load_scenario(_scenario(tmp_path / "s", pops=[1000] * 3, costs=[1] * 3, exit_rate=0.999999, arrivals=10))

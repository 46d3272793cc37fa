"""Integer plans (issue 16) at smoke sizes: allocator's MIP path and HiGHS on the plain mixed-integer
program agree on the objective to the gap, and allocator's plan passes the verifier.

Full-size figures: ``python benchmarks/opening.py national`` and ``... 2000x10x1`` (benchmarks/RESULTS.md,
"Integer plans"); no timing is asserted here.
"""

from __future__ import annotations

import pytest
from opening import CENTRAL, compare, with_openings

from allocator import solve


@pytest.mark.parametrize("size", ["national", (120, 5, 1), (40, 4, 3)], ids=str)
@pytest.mark.parametrize("max_new_areas", [None, 2])
def test_allocator_and_plain_highs_agree(scenario_dir, size, max_new_areas) -> None:
    path = CENTRAL if size == "national" else scenario_dir(*size)
    scenario = with_openings(path, min_open=10, open_cost=1_000_000, max_new_areas=max_new_areas)
    out = compare(scenario, gap=1e-3)
    ours, plain = out["allocator"], out["plain"]
    assert ours["status"] == "optimal" and plain["status"] == "Optimal"
    assert abs(ours["objective"] - plain["objective"]) <= 1e-3 * max(abs(ours["objective"]), abs(plain["objective"]))
    assert solve(scenario).summary["gap"] <= 1e-3                          # verified

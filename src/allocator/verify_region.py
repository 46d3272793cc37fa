"""The verifier's rule for regional targets (``regional_share``).

Part of the independent verifier (:mod:`allocator.verify`): each region's share of the national
total on the pressure basis is recomputed from the scenario itself (its regions table, the areas'
``region`` column and the areas' totals on the basis, :func:`allocator.verify_place.basis`), never
from ``ModelData`` or the linear program, and checked against the table's ``min_share`` and
``max_share``: exactly (to the verifier's tolerance) on the exact plan, and in whole people within
the rounding of the region's areas (each area's total is within a person per cohort, and its hotel
residents within one, of the exact plan; the national total within a person).
"""

from __future__ import annotations

import numpy as np

from allocator import verify_place as vp
from allocator.scenario import Scenario


def _shares(scenario: Scenario, B: np.ndarray, years: list[int]) -> list[tuple]:
    """For each row of the regions table: (region, year, min, max, the region's total, the national
    total, the number of its areas), from the areas' totals on the basis ``B`` (A,T)."""
    out = []
    region = scenario.areas["region"].astype(str).to_numpy()
    for row in scenario.regions.itertuples():
        k = years.index(int(row.year))
        mine = region == row.region
        out.append((row.region, int(row.year), row.min_share, row.max_share, float(B[mine, k].sum()),
                    float(B[:, k].sum()), int(mine.sum())))
    return out


def check(scenario: Scenario, ex: dict, total: np.ndarray, located: np.ndarray | None, tol: float,
          whole: bool = False) -> list[str]:
    """Each regional target on the plan whose areas' stock totals are ``total`` (A,T) and people in
    hotels ``located`` (A,T, or None): exact to ``tol``, or (``whole``) within the rounding of the
    region's areas."""
    if scenario.regions is None:
        return []
    px = ex["place"]
    B = vp.basis(px, total, located)
    per_area = len(scenario.cohort_names) + (1 if px["counts"] else 0)
    fails = []
    for name, year, low, high, mine, national, n in _shares(scenario, B, ex["years"]):
        slack = n * per_area + 1 if whole else tol
        prefix = "whole people: regional_share" if whole else "regional_share:"
        share = mine / national if national > 0 else 0.0
        if not np.isnan(low) and mine < low * national - slack:
            fails.append(f"{prefix} {name} {year}: {mine:.4f} of {national:.4f} on the pressure basis, a share "
                         f"of {share:.6f}, below the min_share {low:g}")
        if not np.isnan(high) and mine > high * national + slack:
            fails.append(f"{prefix} {name} {year}: {mine:.4f} of {national:.4f} on the pressure basis, a share "
                         f"of {share:.6f}, above the max_share {high:g}")
    return fails[:10]

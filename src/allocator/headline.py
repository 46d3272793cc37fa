"""The headline figures of an exact solution, per year, without the per-area tables.

Computed exactly as :func:`allocator.interpret.interpret` computes the trajectory (whole people,
lazy procurement schedule, costs as charged, the fairness figures of :mod:`allocator.fairness`): sweeps (:mod:`allocator.sweep`) and the
frontier (:mod:`allocator.frontier`) record them for every point they solve.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allocator.data import ModelData
from allocator.fairness import DISPERSAL, basis_totals, figures
from allocator.interpret import capacity_kept, year_costs
from allocator.rounding import whole_plan


def headline(d: ModelData, S: np.ndarray, C: np.ndarray, R: np.ndarray | None = None,
             hotels: Any = None, whole_hotels: Any = None) -> dict[str, Any]:
    """The sweep's headline figures from an exact solution, per year.

    Computed exactly as :func:`allocator.interpret.interpret` computes the
    trajectory (whole people, lazy procurement schedule, costs as charged, the fairness figures of
    :func:`allocator.fairness.figures`),
    without building the per-area tables; ``tests/test_sweep.py`` checks the two
    agree. ``R`` (and ``whole_hotels``) are the whole-people stock (and hotels by area)
    when the caller has them already; ``hotels`` the exact hotels by area.

    ``gini`` and ``max_rate_per_10k`` count people in dispersal alone (as trajectory.csv's columns of those
    names); ``basis_gini`` and ``basis_max_rate_per_10k`` count them on the plan's pressure basis, the one its
    caps and fair shares are judged on (:func:`allocator.fairness.on_basis`: the same figures on the
    dispersal basis); ``areas_over_cap`` is on that basis.
    """
    if R is None:
        R, whole_hotels = whole_plan(d, S, hotels)
    total = R.sum(axis=2)
    national = total.sum(axis=0)
    need_int = np.round(d.need.sum(axis=1)).astype(np.int64)
    contingency = need_int - national
    total_cost = year_costs(d, R, *capacity_kept(d, R), contingency, whole_hotels)["total_cost"]
    spread = figures(d, total, basis_totals(d, total, whole_hotels.located if whole_hotels is not None else 0))
    return {
        "need": need_int, "dispersed": national, "contingency": contingency, "total_cost": total_cost,
        **{key: spread[key] for key in ("gini", "max_rate_per_10k", "areas_over_cap")},
        **{f"basis_{key}": spread.get(f"basis_{key}", spread[key]) for key in ("gini", "max_rate_per_10k")},
    }


def basis_label(d: ModelData) -> str:
    """The pressure basis a plan of ``d`` is judged on, as its summary names it (``supported``,
    ``dispersal+contingency+...``, ``dispersal``): :func:`allocator.fairness.basis_name` of a solved plan."""
    return d.basis or DISPERSAL


#: The final year's fairness columns of a sweep's and a frontier's table, from :func:`headline`'s figures: on
#: the pressure basis (named in the ``pressure_basis`` column), and the same counting people in dispersal alone.
FINAL_SPREAD = {"gini_final_basis": "basis_gini", "max_rate_per_10k_final_basis": "basis_max_rate_per_10k",
                "areas_over_cap_final": "areas_over_cap",
                "gini_final_dispersal": "gini", "max_rate_per_10k_final_dispersal": "max_rate_per_10k"}


def final_spread(h: dict[str, Any]) -> dict[str, float | int]:
    """:data:`FINAL_SPREAD` of one solution's :func:`headline` figures (lists or arrays by year)."""
    return {column: (int if column == "areas_over_cap_final" else float)(h[key][-1])
            for column, key in FINAL_SPREAD.items()}

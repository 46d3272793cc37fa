r"""The family of a re-plan: stability, the distance from the previous plan's numbers.

A re-plan (``allocator replan``; :mod:`allocator.replan`) keeps councils close to what they were
told: each person an area's total is away from the previous plan's number :math:`V_{it}` costs
``objective.stability_weight`` :math:`\sigma` (£ per person, each year). The numbers come from the
scenario's ``previous_plan`` table (:mod:`allocator.previous`); without one, or with
:math:`\sigma = 0`, the family is not built (the registry's ``when``).
"""

from __future__ import annotations

import numpy as np

from allocator.data import ModelData
from allocator.families import Vars
from allocator.lp import INF, LPBuilder


def add_stability(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Distance from the previous plan's numbers.

    .. math::
        \sum_h S_{ith} - m^+_{it} + m^-_{it} = V_{it}, \qquad m^+_{it}, m^-_{it} \ge 0
        \qquad \forall\, (i, t) \in \mathcal{V}

    :math:`\mathcal{V}` is the set of areas and years the previous plan gives a number for,
    :math:`V_{it}` that number. Objective: :math:`\sigma \sum (m^+_{it} + m^-_{it})`, the people
    moved away from the previous plan. Row block ``stability`` (area, year); columns ``moved_up``,
    ``moved_down`` (area, year).
    """
    n_t = d.shape[1]
    cells = np.flatnonzero(~np.isnan(d.previous).ravel())
    a, t = np.divmod(cells, n_t)
    idx = {"area": a, "year": t}
    up = lp.add_variables("moved_up", (cells.size,), 0.0, INF, d.stability_weight, idx)
    down = lp.add_variables("moved_down", (cells.size,), 0.0, INF, d.stability_weight, idx)
    row = np.arange(cells.size)
    target = d.previous[a, t]
    lp.add_rows("stability", cells.size, [(row[:, None], v.stock[a, t, :], 1.0), (row, up, -1.0), (row, down, 1.0)],
                target, target, idx)

r"""Regional targets: each region's share of the national total on the pressure basis.

Like :mod:`allocator.families`: the ``add_`` function, its mathematics in a ``.. math::`` block that
docs/model.md repeats word for word, rows from broadcast index arrays. With it, what the rest of the
engine needs of the family (its record is in :mod:`allocator.registry`): where its rows bind for
``explain`` (:func:`at_share`), the words of its relaxation for the infeasibility diagnosis
(:func:`describe_shares`) and each region's share of a solution (:func:`region_shares`).

Symbols (docs/model.md, "Regional shares"): :math:`r` a region with targets, :math:`A_r` its areas,
:math:`\underline m_{rt}`, :math:`\overline m_{rt}` its least and most share in year t (the regions
table), :math:`B_{it}` an area's total on the pressure basis (:func:`allocator.families.area_basis`),
:math:`D^B_t` the national total on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from allocator.data import ModelData
from allocator.families import Vars, area_basis
from allocator.lp import INF, LinearProgram, LPBuilder
from allocator.regional import region_of

#: The row block's name.
BLOCK = "regional_share"
#: The ``bound`` index of a row: the least share, or the most.
MIN, MAX = 0, 1
#: Tolerance (relative) for a row to count as binding in ``explain``.
TOL = 1e-6
#: Solver round-off (in thousandths of a share) ignored when a needed share is rounded outwards to three
#: decimals: 1e-4 thousandths is 1e-7 of the national total, a ten-thousandth of a person in 1,000.
ROUND_TOL = 1e-4


def has_targets(d: ModelData) -> bool:
    """Whether the scenario gives regional targets."""
    return d.region_names is not None


def _targets(d: ModelData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rows: region r, year t, bound (MIN or MAX) and share of each, sorted by region, year, bound."""
    r, t, bound, share = [], [], [], []
    for k, table in ((MIN, d.region_min), (MAX, d.region_max)):
        rr, tt = np.nonzero(~np.isnan(table))
        r.append(rr)
        t.append(tt)
        bound.append(np.full(rr.size, k))
        share.append(table[rr, tt])
    r, t, bound, share = (np.concatenate(x) for x in (r, t, bound, share))
    order = np.lexsort((bound, t, r))
    return r[order], t[order], bound[order], share[order]


def national_total(d: ModelData) -> np.ndarray:
    r"""(T,) the constant part of :math:`D^B_t`: :math:`\sum_h N_{th} + F`."""
    return d.need.sum(axis=1) + d.fixed.sum()


def add_regional_share(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Regional targets: each region's least and most share of the national total on the pressure basis.

    .. math::
        \sum_{i \in A_r} B_{it} - \underline m_{rt}\, D^B_t \;\ge\; 0, \qquad
        \sum_{i \in A_r} B_{it} - \overline m_{rt}\, D^B_t \;\le\; 0
        \qquad \forall\, (r, t) \text{ in the regions table}

    Written without the column :math:`D^B_t` (which exists only with an equity term), by its
    identity :math:`D^B_t = \sum_h N_{th} + F - X_t`, with :math:`X_t = Q_t` (new contingency) when
    the people in hotels count on the basis and :math:`X_t = \sum_h C_{th}` otherwise
    (:func:`allocator.families.add_dispersed_total`): the row is
    :math:`\sum_{i \in A_r} (\sum_h S_{ith} + L_{it}) + m\,X_t` against :math:`m\,(\sum_h N_{th} + F) - \sum_{i \in A_r} F_i`.
    Row block ``regional_share`` (region, year, bound): a linking row, one for each share given.
    """
    r, t, bound, share = _targets(d)
    n = r.size
    reg = region_of(d.areas, d.region_names)
    order = np.argsort(reg, kind="stable")
    counts = np.bincount(reg[reg >= 0], minlength=len(d.region_names))
    first = int((reg < 0).sum()) + np.concatenate([[0], np.cumsum(counts)[:-1]])     # each region's areas in order
    per_row = counts[r]
    row = np.repeat(np.arange(n), per_row)
    within = np.arange(row.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    a = order[first[r][row] + within]
    terms, fixed = area_basis(d, v, row, a, t[row])
    rest = (np.arange(n), v.new_contingency[t], share) if d.basis_hotels else \
        (np.arange(n)[:, None], v.contingency[t, :], share[:, None])
    rhs = share * national_total(d)[t] - np.bincount(row, weights=fixed, minlength=n)
    lp.add_rows(BLOCK, n, [*terms, rest], np.where(bound == MIN, rhs, -INF), np.where(bound == MAX, rhs, INF),
                {"region": r, "year": t, "bound": bound})


def _basis_total(d: ModelData, lp: LinearProgram, x: np.ndarray) -> np.ndarray:
    """(T,) the national total on the pressure basis in solution ``x``, by its identity."""
    if d.basis_hotels:
        return national_total(d) - lp.value(x, "new_contingency")
    return national_total(d) - lp.value(x, "contingency").reshape(d.shape[1], d.shape[2]).sum(axis=1)


def at_share(bound: int) -> Callable[[Any], np.ndarray]:
    """``explain``'s test of a cell (a :class:`allocator.registry.Solved` plan): its area can receive people
    and its region is at its least (``MIN``) or most (``MAX``) share that year."""
    def binds(s: Any) -> np.ndarray:
        block = s.lp.rows.get(BLOCK)
        if block is None:
            return np.zeros((1, 1, 1), bool)
        rows = block.slice
        activity = s.lp.A[rows] @ s.x
        limit = (s.lp.row_lower if bound == MIN else s.lp.row_upper)[rows]
        tight = (block.index["bound"] == bound) & (np.abs(activity - limit) <= TOL * np.maximum(1.0, np.abs(limit)))
        held = np.zeros((len(s.d.region_names) + 1, s.d.shape[1]), bool)             # the last: no targets
        held[block.index["region"][tight], block.index["year"][tight]] = True
        return (held[region_of(s.d.areas, s.d.region_names)] & s.d.eligible)[:, :, None]
    return binds


def describe_shares(r: Any, fam: Any, side: str, slack: np.ndarray, block: Any) -> tuple[list[str], list[dict]]:
    """The relaxation's words (a :class:`allocator.registry.Relaxed` plan): for each target relaxed, the
    share the region needs that year, rounded outwards to three decimals so that it is enough."""
    d = r.d
    national = _basis_total(d, r.lp, r.x)
    lines, found = [], []
    for k in np.flatnonzero(slack > 1e-2):
        g, t = block.index["region"][k], block.index["year"][k]
        given = d.region_max[g, t] if side == "upper" else d.region_min[g, t]
        moved = slack[k] / max(national[t], 1e-9)
        needed = math.ceil((given + moved) * 1000 - ROUND_TOL) / 1000 if side == "upper" else \
            max(0.0, math.floor((given - moved) * 1000 + ROUND_TOL) / 1000)
        key, year = "max_share" if side == "upper" else "min_share", int(d.years[t])
        lines.append(f"{d.region_names[g]} needs {key} {needed:.3f} in {year}, not {given:.3f} "
                     f"({slack[k]:,.0f} people {'more' if side == 'upper' else 'fewer'})")
        found.append({"lever": fam.lever.name, "family": fam.name, "region": str(d.region_names[g]), "year": year,
                      "amount": float(slack[k]), "side": "maximum" if side == "upper" else "minimum",
                      "share": float(given), "needed_share": needed})
    return lines, found


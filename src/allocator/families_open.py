r"""The families of opening decisions (issue 16): one ``add_<family>`` function each, its mathematics in
its docstring (docs/model.md, "Opening new areas", has the same formulas).

With the areas columns ``min_open``, ``open_cost``, ``lead_time`` or ``policy.max_new_areas``
(:mod:`allocator.opening`) the model gets one 0/1 column per area whose opening it decides and year,

===================  ==============  =================================================
name in code         symbol          meaning
===================  ==============  =================================================
``open``             :math:`y_{it}`  1 when area i is open (hosts anyone) at the end of t
===================  ==============  =================================================

and becomes a mixed-integer program, solved by :mod:`allocator.solvers._mip`. :math:`N` is the set
of *new areas* (hosting nobody now, not excluded), :math:`O` the areas whose opening the model decides
(new areas with a ``min_open``, an ``open_cost`` or under ``policy.max_new_areas``; areas hosting people
now with a ``min_open``, open every year: :math:`y_{it} = 1`), :math:`m_i` the opening size (``min_open``,
at least 1 for a new area), :math:`f_i` the set-up cost, :math:`\ell_i` the lead time and :math:`M` the
most new areas a year.

The functions also give ``explain`` its reasons (:func:`opened`, :func:`below_size`, ...): masks of the
cells of a solved plan (an :class:`allocator.registry.Solved`) that each reason holds.
"""

from __future__ import annotations

import numpy as np

from allocator.data import ModelData, cell_limits
from allocator.families import Vars
from allocator.lp import INF, LPBuilder
from allocator.opening import Opening, opening


def _room(d: ModelData) -> np.ndarray:
    """(A,T) the most an area's total may be on its own limits: its cells' upper limits added up, at most
    its cap, agreement and protection, and the year's need."""
    limits = cell_limits(d)
    return np.minimum(np.minimum(limits.upper.sum(axis=2), limits.total_upper), d.need.sum(axis=1)[None, :])


def most_total(d: ModelData, op: Opening) -> np.ndarray:
    r"""(A,T) :math:`U_{it}`, the most people area i can host at the end of year t: its cells' upper
    limits added up, at most its cap, agreement and protection and the year's need, and for a new area
    under the growth limit at most what growth from nobody allows since it may first receive people:
    :math:`\gamma \sum_{k=0}^{t-t_0} (1+\rho)^k`."""
    most = _room(d)
    if d.growth_abs is not None:
        n_t = d.shape[1]
        first = np.maximum(d.open_year, op.lead)                                   # (A,)
        k = np.arange(n_t)[None, :] - first[:, None]                               # years since it may receive
        rel = 1.0 + d.growth_rel
        grown = d.growth_abs * (k + 1.0) if d.growth_rel == 0 else d.growth_abs * (rel ** (k + 1) - 1) / d.growth_rel
        most = np.where(op.new[:, None], np.minimum(most, np.where(k >= 0, grown, 0.0)), most)
    return np.maximum(most, 0.0)


def can_open(d: ModelData, op: Opening) -> np.ndarray:
    r"""(A,T) whether a new area may be open at the end of year t: in some year :math:`\tau \le t` it could
    receive people (after its lead time) and host its opening size :math:`m_i` (at most its room that year
    and, under the growth limit, :math:`\gamma`, all an area hosting nobody may grow by in a year). An
    area that can never reach its minimum stays closed: its :math:`y_{it}` are fixed at 0."""
    first = _room(d)
    if d.growth_abs is not None:
        first = np.minimum(first, d.growth_abs)
    after = np.arange(d.shape[1])[None, :] >= op.lead[:, None]
    reach = op.may_open(d) & after & (first >= op.size[:, None] - 1e-9)
    return np.logical_or.accumulate(reach, axis=1)


# --------------------------------------------------------------------------- the variables
def add_open_variables(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""The 0/1 columns :math:`y_{it}` of the areas in :math:`O`, and the set-up costs.

    Bounds: :math:`y_{it} = 1` for an area hosting people now; :math:`y_{it} = 0` where a new area
    cannot receive people (not yet open, ``available_from``) or cannot have reached its opening size
    (:func:`can_open`). Objective: ``cost_weight`` ×
    :math:`f_i` on :math:`y_{i,\lvert T\rvert-1}`: an area open at the end of the plan has opened once.
    """
    op = opening(d)
    n_a, n_t, _ = d.shape
    v.open = np.full((n_a, n_t), -1, dtype=np.int64)
    areas = np.flatnonzero(op.decides)
    if not areas.size:
        return
    free = op.may_open(d)[areas]                                                    # (k,T)
    lower = np.where(op.new[areas], 0.0, 1.0)[:, None] * np.ones((1, n_t))
    upper = np.where(op.new[areas][:, None], free & can_open(d, op)[areas], 1.0).astype(float)
    cost = np.zeros((areas.size, n_t))
    cost[:, -1] = d.cost_weight * op.cost[areas]
    a, t = np.repeat(areas, n_t), np.tile(np.arange(n_t), areas.size)
    v.open[areas] = lp.add_variables("open", (areas.size, n_t), lower, upper, cost, {"area": a, "year": t},
                                     integer=True)


def _cells(v: Vars, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(area, year) of the cells of ``mask`` (A,T) that have an open column."""
    if v.open is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.divmod(np.flatnonzero((mask & (v.open >= 0)).ravel()), mask.shape[1])


# --------------------------------------------------------------------------- families
def add_open_area(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""A new area hosts nobody until it opens, and once open it stays open.

    .. math::
        \sum_h S_{ith} - U_{it}\,y_{it} \;\le\; 0, \qquad y_{i,t-1} - y_{it} \;\le\; 0
        \qquad \forall\, i \in O \cap N,\ t

    :math:`U_{it}` is the most the area can host (:func:`most_total`), so the first row only says
    "nobody before it opens"; the second is implied by exit decay (people placed stay, and exits take
    only a share) and makes the relaxation tighter. The set-up cost :math:`f_i` is on
    :math:`y_{i,\lvert T\rvert-1}`. Row block ``open_area`` (area, year).
    """
    op = opening(d)
    a, t = _cells(v, op.new[:, None] & np.ones(d.shape[:2], bool))
    if not a.size:
        return
    row = np.arange(a.size)
    later = np.flatnonzero(t >= 1)
    links = a.size + np.arange(later.size)
    lp.add_rows("open_area", a.size + later.size,
                [(row[:, None], v.stock[a, t, :], 1.0), (row, v.open[a, t], -most_total(d, op)[a, t]),
                 (links, v.open[a[later], t[later] - 1], 1.0), (links, v.open[a[later], t[later]], -1.0)],
                -INF, 0.0, {"area": np.concatenate([a, a[later]]), "year": np.concatenate([t, t[later]])})


def add_min_open(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""An open area hosts at least its opening size: nobody, or at least ``min_open`` people.

    .. math::
        \sum_h S_{ith} - m_i\,y_{it} \;\ge\; 0 \qquad \forall\, i \in O,\ t

    With :math:`y_{it} = 1` for an area hosting people now this is a floor of :math:`m_i` every year;
    for a new area, at least :math:`m_i` people at the end of the year it opens and of every later year.
    Row block ``min_open`` (area, year).
    """
    op = opening(d)
    a, t = _cells(v, (op.size > 0)[:, None] & (op.may_open(d) | ~op.new[:, None]))
    if not a.size:
        return
    row = np.arange(a.size)
    lp.add_rows("min_open", a.size, [(row[:, None], v.stock[a, t, :], 1.0), (row, v.open[a, t], -op.size[a])],
                0.0, INF, {"area": a, "year": t})


def add_lead_time(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""A new area hosts nobody before its lead time is over.

    .. math::
        \sum_h S_{ith} \;\le\; 0 \qquad \forall\, i \in N,\ t < \ell_i,\ i \in E_t

    Row block ``lead_time`` (area, year); rows only where the area could otherwise receive people.
    """
    op = opening(d)
    if op is None:
        return
    early = op.new[:, None] & d.eligible & (np.arange(d.shape[1])[None, :] < op.lead[:, None])
    a, t = np.divmod(np.flatnonzero(early.ravel()), d.shape[1])
    if not a.size:
        return
    row = np.arange(a.size)
    lp.add_rows("lead_time", a.size, [(row[:, None], v.stock[a, t, :], 1.0)], -INF, 0.0, {"area": a, "year": t})


def add_max_new_areas(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""At most :math:`M` new areas open in any one year (``policy.max_new_areas``).

    .. math::
        \sum_{i \in O \cap N} \big(y_{it} - y_{i,t-1}\big) \;\le\; M \qquad \forall\, t, \qquad y_{i,-1} = 0

    Row block ``max_new_areas`` (year).
    """
    op = opening(d)
    n_t = d.shape[1]
    a, t = _cells(v, op.new[:, None] & np.ones(d.shape[:2], bool))
    if not a.size:
        return
    later = t >= 1
    lp.add_rows("max_new_areas", n_t, [(t, v.open[a, t], 1.0), (t[later], v.open[a[later], t[later] - 1], -1.0)],
                -INF, op.max_new, {"year": np.arange(n_t)})


# --------------------------------------------------------------------------- explain: where each reason holds
def _open_values(s) -> np.ndarray:
    """(A,T) the solved :math:`y_{it}` (1 for an area hosting people now, 0 where there is no column)."""
    y = np.zeros(s.d.shape[:2])
    block = s.lp.variables.get("open")
    if block is not None:
        y[block.index["area"], block.index["year"]] = s.x[block.slice]
    return y > 0.5


def _closed(s) -> np.ndarray:
    """(A,T) new areas whose opening is decided, closed in a year they could have opened."""
    op = opening(s.d)
    if op is None or "open" not in s.lp.variables:
        return np.zeros(s.d.shape[:2], bool)
    after = np.arange(s.d.shape[1])[None, :] >= op.lead[:, None]
    return op.may_open(s.d) & after & ~_open_values(s)


def opened(s) -> np.ndarray:
    """(A,T,1) the year a new area with a set-up cost or an opening size opens."""
    op = opening(s.d)
    if op is None or "open" not in s.lp.variables:
        return np.zeros((1, 1, 1), bool)
    y = _open_values(s)
    first = y & ~np.concatenate([np.zeros((y.shape[0], 1), bool), y[:, :-1]], axis=1)
    return (first & (op.new & op.decides)[:, None])[:, :, None]


def below_size(s) -> np.ndarray:
    """(A,T,1) closed new areas that could not host their opening size that year."""
    op = opening(s.d)
    closed = _closed(s)
    if not closed.any():
        return np.zeros((1, 1, 1), bool)
    return (closed & ~can_open(s.d, op))[:, :, None]


def not_worth(s) -> np.ndarray:
    """(A,T,1) closed new areas that could have hosted their opening size (its cost was worth more)."""
    op = opening(s.d)
    closed = _closed(s)
    if not closed.any():
        return np.zeros((1, 1, 1), bool)
    limited = new_areas_binds(s)[:, :, 0] if "max_new_areas" in s.lp.rows else False
    return (closed & can_open(s.d, op) & ~limited)[:, :, None]


def lead_time_binds(s) -> np.ndarray:
    """(A,T,1) new areas before their lead time is over."""
    op = opening(s.d)
    if op is None:
        return np.zeros((1, 1, 1), bool)
    early = op.new[:, None] & s.d.eligible & (np.arange(s.d.shape[1])[None, :] < op.lead[:, None])
    return early[:, :, None]


def new_areas_binds(s) -> np.ndarray:
    """(A,T,1) closed new areas in the years the most new areas a year have opened."""
    block = s.lp.rows.get("max_new_areas")
    if block is None:
        return np.zeros((1, 1, 1), bool)
    activity = s.lp.A[block.slice] @ s.x
    full = activity >= s.lp.row_upper[block.slice] - 1e-6
    return (_closed(s) & full[None, :])[:, :, None]


def at_size(s) -> np.ndarray:
    """(A,T,H) open areas holding exactly their opening size (their ``min_open`` row tight)."""
    if "min_open" not in s.lp.rows:
        return np.zeros((1, 1, 1), bool)
    return s.tight("min_open", ("lower",))[0] & _open_values(s)[:, :, None]

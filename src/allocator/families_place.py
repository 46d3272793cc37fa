r"""The place-based constraint families: hotels by area, the cap on the pressure basis, protection.

Like :mod:`allocator.families`: one ``add_<family>`` function per family, its mathematics in a
``.. math::`` block that docs/model.md repeats word for word, rows from broadcast index arrays.
None of them adds anything to a v1 scenario's linear program.

Symbols (docs/model.md, "Hotels by area", "Pressure basis", "Protection"): :math:`c^0_i` the
people in area i's hotels now (its hotel places), :math:`\tau_i` the first year without open
hotel places (``hotels_close_by``), :math:`F_i` the fixed counts on the pressure basis,
:math:`B_{it}` the area total on the basis (:func:`allocator.families.area_basis`), :math:`O` the
(area, year) pairs over the cap on the basis by inheritance, :math:`P` the protected areas.
"""

from __future__ import annotations

import numpy as np

from allocator.data import ModelData, cell_limits
from allocator.families import Vars, area_basis
from allocator.lp import INF, LPBuilder


def _hotel_cells(v: Vars, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(area, year) of the cells with hotel variables where the (A,T) mask ``where`` holds, area-major."""
    return np.nonzero((v.hotel_places >= 0) & where)


def add_hotel_variables(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""The hotel variables (from :func:`allocator.families.add_variables`, with the areas column
    ``contingency``): for each area with hotel places and each year, the open places :math:`H_{it}`
    and the people in them :math:`L_{it}`, and each year's new contingency :math:`Q_t`. Their bounds
    are in :func:`add_hotel_closure`; the closure date is a row family of its own
    (:func:`add_hotels_close_by`). Objective, × ``contingency_weight``: :math:`\pi^C` on
    :math:`L_{it}`, :math:`\pi^{new}` on :math:`Q_t`, :math:`\pi^H` on :math:`H_{it}`; the
    contingency :math:`C_{th}` then has no cost of its own. Each times :math:`\omega_t`, as the stock
    (:func:`allocator.families.add_variables`; ``costs.occupancy: average``): the start position's half of
    the first year, :math:`H_{i,-1} = h^0_i`, :math:`L_{i,-1} = c^0_i` and :math:`Q_{-1} = 0`, is in the
    objective's constant (:math:`h^0_i`: today's open hotel places, the areas column ``hotel_places``, by
    default :math:`c^0_i`).
    """
    n_a, n_t, _ = d.shape
    areas = np.flatnonzero(d.hotel_places0 > 0)
    a, t = np.repeat(areas, n_t), np.tile(np.arange(n_t), areas.size)
    most = d.hotel_places0[a]
    idx = {"area": a, "year": t}
    weights, start = d.occupancy_weights()
    w = d.contingency_weight * weights
    v.hotel_places = np.full((n_a, n_t), -1, np.int64)
    v.located = np.full((n_a, n_t), -1, np.int64)
    v.hotel_places[a, t] = lp.add_variables("hotel_places", (a.size,), 0.0, most, w[t] * d.hotel_place_cost, idx)
    v.located[a, t] = lp.add_variables("located", (a.size,), 0.0, most, w[t] * d.hotel_cost, idx)
    v.new_contingency = lp.add_variables("new_contingency", (n_t,), 0.0, INF, w * d.new_contingency_cost,
                                         {"year": np.arange(n_t)})
    if start > 0:                               # today's hotel residents in today's places
        lp.offset += start * d.contingency_weight * (d.hotel_cost * float(d.hotel0.sum())
                                                     + d.hotel_place_cost * float(d.hotel_places0.sum()))


def add_hotel_closure(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Hotel places close but never reopen.

    .. math::
        0 \le H_{it} \le h^0_i, \qquad 0 \le L_{it} \le h^0_i, \qquad
        H_{it} - H_{i,t-1} \;\le\; 0 \qquad \forall\, i \text{ with } h^0_i > 0,\ t \ge 1

    The first year's places are at most today's, :math:`h^0_i` (the bound: the areas column
    ``hotel_places``, by default the people in them now, :math:`c^0_i`), and no year's more than the
    year before's; from :math:`\tau_i` they are 0 (``hotels_close_by``, the next family). Row block
    ``hotel_closure`` (area, year).
    """
    a, t = _hotel_cells(v, np.broadcast_to(np.arange(d.shape[1]) >= 1, d.shape[:2]))
    row = np.arange(a.size)
    lp.add_rows("hotel_closure", a.size, [(row, v.hotel_places[a, t], 1.0), (row, v.hotel_places[a, t - 1], -1.0)],
                -INF, 0.0, {"area": a, "year": t})


def add_hotels_close_by(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""From ``hotels_close_by`` the area has no open hotel places.

    .. math::
        H_{it} \;\le\; 0 \qquad \forall\, i \text{ with } h^0_i > 0,\ t \ge \tau_i

    (and so, by ``hotel_use``, nobody in its hotels). Row block ``hotels_close_by`` (area, year), only
    for the areas whose date falls within the plan. Rows rather than bounds so that the infeasibility
    diagnosis can relax them (lever ``hotels_close_by``): a slack :math:`\sigma_{it}` on the row lets
    the area keep up to :math:`\sigma_{it}` places open in year :math:`t \ge \tau_i`, still never more
    than today's and never reopening (``hotel_closure`` holds in every year).
    """
    a, t = _hotel_cells(v, ~d.hotel_open)
    lp.add_rows("hotels_close_by", a.size, [(np.arange(a.size), v.hotel_places[a, t], 1.0)], -INF, 0.0,
                {"area": a, "year": t})


def add_hotel_use(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""People in an area's hotels never exceed its open hotel places.

    .. math::
        L_{it} - H_{it} \;\le\; 0 \qquad \forall\, t,\ i \text{ with } h^0_i > 0

    Row block ``hotel_use`` (area, year).
    """
    a, t = _hotel_cells(v, np.ones(d.shape[:2], bool))
    row = np.arange(a.size)
    lp.add_rows("hotel_use", a.size, [(row, v.located[a, t], 1.0), (row, v.hotel_places[a, t], -1.0)],
                -INF, 0.0, {"area": a, "year": t})


def add_contingency_split(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Everyone in contingency is in an area's hotel places or in new contingency.

    .. math::
        \sum_h C_{th} - \sum_i L_{it} - Q_t = 0 \qquad \forall\, t

    :math:`Q_t \ge 0` are the people beyond the open hotel places, in new (unlocated) sites.
    Row block ``contingency_split`` (year): a linking row, like the national balance.
    """
    n_a, n_t, _ = d.shape
    row = np.arange(n_t)
    a, t = _hotel_cells(v, np.ones((n_a, n_t), bool))
    lp.add_rows("contingency_split", n_t, [(row[:, None], v.contingency, 1.0), (t, v.located[a, t], -1.0),
                                           (row, v.new_contingency, -1.0)], 0.0, 0.0, {"year": row})


def add_pressure_cap(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""The cluster cap on the pressure basis, where the people in an area's hotels count.

    .. math::
        \sum_h S_{ith} + L_{it} \;\le\; \max\Big(\kappa_i - F_i,\ \sum_h I_{ith} + c^0_i\,[t < \tau_i]\Big)
        \qquad \forall\, t < \tau_i,\ i \text{ with } h^0_i > 0 \text{ and } i \in E_t \text{ or } h^0_i > c^0_i

    The area's total on the basis, :math:`B_{it} = \sum_h S_{ith} + L_{it} + F_i`, is never above
    its cap :math:`\kappa_i`, or above its inherited position (today's people still there and today's
    hotel residents while its hotels may stay open) where that is higher. Elsewhere the same limit,
    with :math:`L_{it} = 0`, is the cluster cap on the stock (``cluster_cap``, ``cluster_limit``),
    from :func:`allocator.data.cell_limits`. An area that cannot receive people (:math:`i \notin E_t`) keeps
    only its people still there, and its hotel places at most today's residents unless the areas column
    ``hotel_places`` opens more (:meth:`allocator.data.ModelData.pressure_capped`). Row block
    ``pressure_cap`` (area, year); only when the hotel residents count on the basis.
    """
    if not d.basis_hotels:
        return
    a, t = _hotel_cells(v, d.pressure_capped())
    row = np.arange(a.size)
    terms, fixed = area_basis(d, v, row, a, t)
    lp.add_rows("pressure_cap", a.size, terms, -INF, cell_limits(d).cluster[a, t], {"area": a, "year": t})


def add_pressure_no_rise(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""An area over its cap on the pressure basis by inheritance: its total on the basis never rises.

    .. math::
        B_{it} - B_{i,t-1} \;\le\; 0 \qquad \forall\, (i,t) \in O \text{ with } c^0_i > 0, \qquad
        O = \Big\{(i,t) : \sum_h I_{ith} + F_i + c^0_i\,[t < \tau_i] > \kappa_i \ \text{ or } \ y_t \le u_i\Big\}

    with :math:`B_{i,-1} = \sum_h s_{ih} + c^0_i + F_i` (the fixed counts cancel). In :math:`O` the area
    also takes nobody new into dispersal, :math:`S_{ith} \le I_{ith}` (a bound, ``pressure_inherited``).
    :math:`O` is data: an area's status is judged on its inherited position, so its hotel residents
    count while its hotels may stay open; :math:`u_i` (areas column ``over_cap_until``, a re-plan's
    carried judgement) adds the years :math:`y_t` up to it. Row block ``pressure_no_rise`` (area, year); only when the
    hotel residents count on the basis (otherwise the stock alone, fixed at its inherited level in
    :math:`O`, never rises).
    """
    if not d.basis_hotels:
        return
    a, t = _hotel_cells(v, d.over_basis)
    lp.add_rows("pressure_no_rise", a.size, *_no_rise_rows(d, v, a, t), {"area": a, "year": t})


def _no_rise_rows(d: ModelData, v: Vars, a: np.ndarray, t: np.ndarray) -> tuple[list, float, np.ndarray]:
    r"""Terms, lower and upper side of :math:`B_{it} - B_{i,t-1} \le 0` at cells (``a``, ``t``), with
    :math:`B_{i,-1} = \sum_h s_{ih} + c^0_i + F_i` (the fixed counts cancel; hotel residents count)."""
    row = np.arange(a.size)
    now, _ = area_basis(d, v, row, a, t)
    later = t >= 1
    before, _ = area_basis(d, v, row[later], a[later], t[later] - 1, sign=-1.0)
    return [*now, *before], -INF, np.where(later, 0.0, d.stock0.sum(axis=1)[a] + d.hotel0[a])


def add_protection(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Protection for the most pressured places (``policy.protect``).

    .. math::
        \sum_h S_{ith} \;\le\; \max\Big(\ell_i,\ \sum_h I_{ith}\Big) \ (\texttt{no\_net\_growth}), \qquad
        \sum_h S_{ith} - \sum_h (1-e_h)\,S_{i,t-1,h} \;\le\; 0 \ (\texttt{no\_new\_placements}),
        \qquad B_{it} - B_{i,t-1} \;\le\; 0,\ \ B_{i0} - F_i \;\le\; \max\Big(\ell_i,\ \sum_h I_{i0h}\Big)
        \ (\texttt{no\_rise}) \qquad \forall\, t,\ i \in E_t \cap P

    :math:`P`: the areas whose rate per 10,000 residents on the pressure basis at the start,
    :math:`10^4 \, B_{i,-1} / P_i`, is above ``above_per_10k``, with the areas column ``protect``
    forcing it on or off. :math:`\ell_i` is the level protection holds the area to: today's,
    :math:`\sum_h s_{ih}` (``no_net_growth``) or :math:`\sum_h s_{ih} + c^0_i` (``no_rise``), or the areas
    column ``protect_level`` (less :math:`F_i` with ``no_rise``; a re-plan carries the previous plan's start),
    never below the people still there (:meth:`allocator.data.ModelData.protection_level`).
    ``no_net_growth``: never more people in dispersal than :math:`\ell_i`;
    ``no_new_placements``: no new placements (with :math:`S_{i,-1,h} = s_{ih}`: with exit decay, the
    stock is its inherited stock, :math:`\sum_h I_{ith}`, the limit of
    :func:`allocator.data.cell_limits` the whole-people rounding keeps). Written as placements, so
    that the row's dual is what one more new placement there that year would save. ``no_rise``: the
    area's total on the pressure basis (dispersal, its hotel residents, :math:`F_i`) ends no year above
    where it started it, :math:`B_{i,-1} = \sum_h s_{ih} + c^0_i + F_i`, nor the first above
    :math:`\ell_i + F_i` (only with hotels by area and a basis that counts them; its limit in
    :func:`allocator.data.cell_limits`, :math:`\max(\ell_i, \sum_h I_{ith})`, follows). Row block
    ``protection`` (area, year).
    """
    most = cell_limits(d).protect
    cells = np.flatnonzero(~np.isnan(most).ravel())
    a, t = np.divmod(cells, d.shape[1])
    if d.protect_rule == "no_rise":                              # the first year: at most the level too
        terms, lower, upper = _no_rise_rows(d, v, a, t)
        lp.add_rows("protection", cells.size, terms, lower, np.where(t == 0, np.minimum(upper, most[a, t]), upper),
                    {"area": a, "year": t})
        return
    row = np.arange(cells.size)
    terms = [(row[:, None], v.stock[a, t, :], 1.0)]
    rhs = most[a, t]
    if d.protect_rule == "no_new_placements":                    # placements: this year's less last year's survivors
        later = t >= 1
        terms.append((row[later][:, None], v.stock[a[later], t[later] - 1, :], -(1.0 - d.exit_rate)[None, :]))
        rhs = np.where(later, 0.0, rhs)
    lp.add_rows("protection", cells.size, terms, -INF, rhs, {"area": a, "year": t})

r"""The constraint families: one ``add_<family>`` function per family, its mathematics in its docstring.

Each function adds one named row block (or, for :func:`add_variables`, the variables and their
bounds) in the notation of ``docs/model.md``; the ``.. math::`` block of each docstring appears
there word for word (``tests/test_registry.py`` checks it). Rows are built as COO triplets from
broadcast index arrays (no Python loop over areas or years). Which families are built, and in
which order, is the registry's business (:mod:`allocator.registry`); what each family means for
the rest of the engine (the lever that relaxes it, the reason ``explain`` gives, how the
price-guided start treats it) is its record there.

Variables (all continuous, people unless stated):

===================  ====================  =================================================
name in code         symbol                meaning
===================  ====================  =================================================
``stock``            :math:`S_{ith}`       people in dispersed accommodation in area i, end of t
``contingency``      :math:`C_{th}`        people in hotels/other contingency, end of t
``dispersed``        :math:`D_t`           national dispersed total (only with an equity term)
``over``/``under``   :math:`u^+,u^-`       distance above/below the fair share (l1, progressive)
``top_rate``         :math:`Z_t`           highest rate, as the national total it implies (minmax)
``procured``         :math:`G_{ih}`        new bed spaces procured over the plan (if they cost)
``excess``           :math:`e_{itk}`       people above step k of the progressive measure
``bought``           :math:`P_{ith}`       bed spaces bought in year t and kept (if empty places cost)
``hotel_places``     :math:`H_{it}`        open hotel places in area i, end of t (hotels by area)
``located``          :math:`L_{it}`        people in contingency located in area i, end of t
``new_contingency``  :math:`Q_t`           new (unlocated) contingency, end of t
===================  ====================  =================================================

With a pressure basis other than dispersal, ``dispersed`` is the national total on that basis,
:math:`D^B_t` (:func:`national_basis`), and every rule on an area's total reads its total on the
basis, :math:`B_{it}` (:func:`area_basis`). The place-based families are in
:mod:`allocator.families_place`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.data import ModelData, cell_limits
from allocator.lp import INF, LPBuilder


@dataclass
class Vars:
    """Column numbers of each variable block, shaped by its dimensions."""

    stock: np.ndarray                   # (A,T,H)
    contingency: np.ndarray             # (T,H)
    dispersed: np.ndarray | None = None  # (T,) the national total (on the pressure basis)
    top_rate: np.ndarray | None = None   # (T,)
    procured: np.ndarray | None = None   # (A,H)
    over: np.ndarray | None = None       # (cells,) u+ of the fair-share rows, one per eligible (area, year)
    under: np.ndarray | None = None      # (cells,) u-
    located: np.ndarray | None = None    # (A,T) L_it, -1 where the area has no hotel places
    hotel_places: np.ndarray | None = None  # (A,T) H_it, -1 where the area has no hotel places
    new_contingency: np.ndarray | None = None  # (T,) Q_t
    open: np.ndarray | None = None       # (A,T) y_it, -1 where the model does not decide it (allocator.opening)


Term = tuple[np.ndarray, np.ndarray, "np.ndarray | float"]


def area_basis(d: ModelData, v: Vars, row: np.ndarray, a: np.ndarray, t: np.ndarray,
               sign: float | np.ndarray = 1.0) -> tuple[list[Term], np.ndarray]:
    r"""The area total on the pressure basis, :math:`B_{it} = \sum_h S_{ith} + L_{it} + F_i`, for rows
    ``row`` at cells (``a``, ``t``): the terms (times ``sign``, a number or one per row) for
    :meth:`LPBuilder.add_rows` and the fixed counts :math:`F_i` (times ``sign``), which the caller moves
    to the right-hand side.

    The one place the basis is written: the cap on the basis, the fair share and its progressive steps,
    the highest rate and the no-rise rule read it here. With the dispersal basis it is
    :math:`\sum_h S_{ith}` and :math:`F_i = 0`.
    """
    per_row = np.ndim(sign) > 0                 # one coefficient a row (the progressive steps' f_k - 1)
    terms: list[Term] = [(row[:, None], v.stock[a, t, :], np.reshape(sign, (-1, 1)) if per_row else sign)]
    if d.basis_hotels and v.located is not None:
        col = v.located[a, t]
        has = col >= 0
        terms.append((row[has], col[has], np.asarray(sign)[has] if per_row else sign))
    return terms, sign * d.fixed[a]


def national_basis(v: Vars) -> np.ndarray:
    r"""(T,) the column of the national total on the pressure basis, :math:`D^B_t = \sum_i B_{it}`
    (:math:`D_t` with the dispersal basis), built by :func:`add_dispersed_total`."""
    return v.dispersed


def _grid(*shape: int) -> list[np.ndarray]:
    return list(np.indices(shape).reshape(len(shape), -1))


# --------------------------------------------------------------------------- variables
def add_variables(lp: LPBuilder, d: ModelData) -> Vars:
    r"""Variables, their bounds and their objective coefficients.

    .. math::
        I_{ith} \;\le\; S_{ith} \;\le\; \max\big(U_{ith},\; I_{ith}\big), \qquad C_{th} \ge 0

    :math:`I_{ith} = s_{ih}(1-e_h)^{t+1}` is the inherited stock; :math:`U_{ith}` is the
    capacity path :math:`\bar K_{ith}` where the area can receive people (capacity path and
    procurement pace), the inherited stock where it cannot (excluded, not yet open) and, with
    one cohort, also at most the cluster cap (a bound is cheaper than a row). All from
    :func:`allocator.data.cell_limits`. Objective: ``cost_weight`` × cost per place on each
    :math:`S_{ith}`, ``contingency_weight`` × hotel cost on each :math:`C_{th}`, each times
    :math:`\omega_t`, the share of a year-end number the year's costs are charged on (1; with
    ``costs.occupancy: average``, 1/2 in the last year, and the start position's half of the
    first year is a constant, the objective's offset: see docs/model.md, "Objective").
    """
    n_a, n_t, n_h = d.shape
    limits = cell_limits(d)
    weights, start = d.occupancy_weights()
    a, t, h = np.indices((n_a, n_t, n_h))
    stock = lp.add_variables("stock", (n_a, n_t, n_h), limits.lower, limits.upper,
                             d.cost_weight * d.cost[:, None, :] * weights[None, :, None],
                             {"area": a.ravel(), "year": t.ravel(), "cohort": h.ravel()})
    t2, h2 = np.indices((n_t, n_h))
    located = d.hotel0 is not None              # hotels by area: the cost is on L, Q and H instead
    contingency = lp.add_variables("contingency", (n_t, n_h), 0.0, INF,
                                   0.0 if located else d.contingency_weight * d.hotel_cost * weights[:, None],
                                   {"year": t2.ravel(), "cohort": h2.ravel()})
    if start > 0:                               # the start position's share of the first year (a constant)
        hotels = 0.0 if located else d.hotel_cost * float(d.contingency0.sum())
        lp.offset += start * (d.cost_weight * float((d.cost * d.stock0).sum()) + d.contingency_weight * hotels)
    return Vars(stock=stock, contingency=contingency)   # hotels by area: model.build_lp adds their variables


# --------------------------------------------------------------------------- families
def add_national_balance(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Everyone who needs accommodation is either dispersed or in contingency.

    .. math::
        \sum_{i \in A} S_{ith} + C_{th} = N_{th} \qquad \forall\, t \in T,\ h \in H

    with :math:`N_{th} = (1-e_h) N_{t-1,h} + a_{th}` and :math:`N_{-1,h}` today's
    dispersed stock plus ``contingency_start``. Row block ``national_balance``
    (year, cohort): the few linking rows of the model.
    """
    n_a, n_t, n_h = d.shape
    row = np.arange(n_t * n_h).reshape(n_t, n_h)
    lp.add_rows("national_balance", n_t * n_h,
                [(row[None, :, :], v.stock, 1.0), (row, v.contingency, 1.0)],
                d.need.ravel(), d.need.ravel(), {"year": _grid(n_t, n_h)[0], "cohort": _grid(n_t, n_h)[1]})


def add_exit_decay(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Nobody is moved out of an area: stock only shrinks by exits.

    .. math::
        S_{ith} - (1-e_h)\,S_{i,t-1,h} \;\ge\; 0 \qquad \forall\, i \in A,\ t \ge 1,\ h \in H

    (for the first year this is the lower bound :math:`S_{i0h} \ge (1-e_h)s_{ih}`).
    The left side is the year's new placements :math:`X_{ith}`. Row block
    ``exit_decay`` (area, year, cohort).
    """
    n_a, n_t, n_h = d.shape
    if n_t < 2:
        return
    n = n_a * (n_t - 1) * n_h
    row = np.arange(n).reshape(n_a, n_t - 1, n_h)
    a, t, h = np.indices((n_a, n_t - 1, n_h))
    lp.add_rows("exit_decay", n,
                [(row, v.stock[:, 1:, :], 1.0), (row, v.stock[:, :-1, :], -(1.0 - d.exit_rate)[None, None, :])],
                0.0, INF, {"area": a.ravel(), "year": t.ravel() + 1, "cohort": h.ravel()})


def add_max_growth(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""An area's stock grows by at most ``absolute + relative × last year's stock``.

    .. math::
        \sum_h S_{ith} - (1+\rho)\sum_h S_{i,t-1,h} \;\le\; \gamma \qquad \forall\, t,\ i \in E_t

    with :math:`S_{i,-1,h} = s_{ih}` (today's stock, moved to the right side).
    Row block ``max_growth`` (area, year); absent when ``policy.max_growth`` is not set.
    """
    if d.growth_abs is None:
        return
    n_a, n_t, n_h = d.shape
    cells = np.flatnonzero(d.eligible.ravel())        # (area, year) pairs, area-major
    if cells.size == 0:
        return
    a, t = np.divmod(cells, n_t)
    row = np.arange(cells.size)
    rel = 1.0 + d.growth_rel
    terms = [(row[:, None], v.stock[a, t, :], 1.0)]
    later = t >= 1
    terms.append((row[later][:, None], v.stock[a[later], t[later] - 1, :], -rel))
    rhs = np.full(cells.size, d.growth_abs)
    rhs[~later] += rel * d.stock0[a[~later]].sum(axis=1)
    lp.add_rows("max_growth", cells.size, terms, -INF, rhs, {"area": a, "year": t})


def add_cluster_limit(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""At most one supported person per ``cluster_limit`` residents, on total stock.

    .. math::
        \sum_h S_{ith} \;\le\; \max\Big(\kappa_i,\ \sum_h s_{ih}(1-e_h)^{t+1}\Big) \qquad \forall\, t,\ i \in E_t

    Stock inherited above the cap may only decay: the area takes nobody new
    until exits bring it under the cap. With one cohort this is a bound on
    :math:`S_{it}` (see :func:`add_variables`); with several it is row block
    ``cluster_limit`` (area, year).
    """
    n_a, n_t, n_h = d.shape
    if n_h == 1:
        return
    cells = np.flatnonzero(d.eligible.ravel())
    a, t = np.divmod(cells, n_t)
    row = np.arange(cells.size)
    lp.add_rows("cluster_limit", cells.size, [(row[:, None], v.stock[a, t, :], 1.0)],
                -INF, cell_limits(d).cluster[a, t], {"area": a, "year": t})


def add_contingency_ceiling(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""The hotel exit trajectory: at most :math:`\bar C_t` people in contingency.

    .. math::
        \sum_h C_{th} \;\le\; \bar C_t \qquad \forall\, t \text{ with a ceiling}

    :math:`\bar C_t` is the scenario's ceiling rounded down (people are whole: 87.4 allows 87;
    done in :func:`allocator.data.prepare`). Row block ``contingency_ceiling`` (year). A hard
    limit: if capacity, caps and growth limits cannot absorb enough people, the scenario is
    infeasible and the solver reports how many places are missing in which years.
    """
    years = np.flatnonzero(~np.isnan(d.ceiling))
    if years.size == 0:
        return
    row = np.arange(years.size)
    lp.add_rows("contingency_ceiling", years.size, [(row[:, None], v.contingency[years, :], 1.0)],
                -INF, d.ceiling[years], {"year": years})


def add_agreement(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Agreed allocations: decisions taken jointly, honoured by every solve.

    .. math::
        \underline g_{it} \;\le\; \sum_h S_{ith} \;\le\; \overline g_{it} \qquad \forall\, (i, t) \text{ in the agreements table}

    (an ``exact`` agreement sets both sides). Row block ``agreement`` (area, year);
    absent when the scenario has no agreements. Like the contingency ceiling, an
    agreement can make the scenario infeasible; the diagnosis then says by how much
    each agreement would have to be loosened.
    """
    cells = np.flatnonzero((~np.isnan(d.agreed_min) | ~np.isnan(d.agreed_max)).ravel())
    if cells.size == 0:
        return
    n_t = d.shape[1]
    a, t = np.divmod(cells, n_t)
    row = np.arange(cells.size)
    lower = np.nan_to_num(d.agreed_min[a, t], nan=-INF)
    upper = np.nan_to_num(d.agreed_max[a, t], nan=INF)
    lp.add_rows("agreement", cells.size, [(row[:, None], v.stock[a, t, :], 1.0)], lower, upper, {"area": a, "year": t})


def add_procurement(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""New bed spaces, paid for once, when ``costs.procurement_per_place`` > 0.

    .. math::
        S_{ith} - G_{ih} \;\le\; K_{ih} \qquad \forall\, t,\ i \in E_t,\ h, \qquad\qquad
        0 \le G_{ih} \le q_{ih}\,(\lvert T\rvert - o_i)

    :math:`G_{ih}` is the bed spaces procured over the plan (the highest stock
    ever needed above today's capacity :math:`K_{ih}`); :math:`\lvert T\rvert - o_i` the
    years the area is open. Objective: ``cost_weight`` × ``procurement_per_place`` ×
    :math:`G_{ih}`. The pace limit :math:`q_{ih}` per year is already in the
    bound on :math:`S_{ith}`. Row block ``procurement`` (area, year, cohort).
    """
    if d.procurement_cost <= 0:
        return
    n_a, n_t, n_h = d.shape
    years_open = np.maximum(n_t - d.open_year, 0)
    a, h = np.indices((n_a, n_h))
    v.procured = lp.add_variables("procured", (n_a, n_h), 0.0, d.procurement * years_open[:, None],
                                  d.cost_weight * d.procurement_cost, {"area": a.ravel(), "cohort": h.ravel()})
    cells = np.flatnonzero(np.repeat(d.eligible[:, :, None], n_h, axis=2).ravel())
    a, t, h = np.unravel_index(cells, (n_a, n_t, n_h))
    row = np.arange(cells.size)
    lp.add_rows("procurement", cells.size, [(row, v.stock[a, t, h], 1.0), (row, v.procured[a, h], -1.0)],
                -INF, d.capacity0[a, h], {"area": a, "year": t, "cohort": h})


def add_dispersed_total(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""One national total per year, so fair-share rows stay short.

    .. math::
        D_t + \sum_h C_{th} = \sum_h N_{th} \qquad \forall\, t

    Row block ``dispersed_total`` (year). :math:`D_t` equals
    :math:`\sum_{i,h} S_{ith}` through the balance rows, without a dense row.
    Only built when the objective has an equity term.

    On a pressure basis other than dispersal the column is the national total on that basis,
    :math:`D^B_t = \sum_i B_{it} = D_t + \sum_i L_{it} + F` with :math:`F = \sum_i F_i`, and its row

    .. math::
        D^B_t + Q_t = \sum_h N_{th} + F \quad \text{(hotel residents count)}, \qquad
        D^B_t + \sum_h C_{th} = \sum_h N_{th} + F \quad \text{(otherwise)}

    (through the contingency split, :math:`\sum_h C_{th} - \sum_i L_{it} = Q_t`): still two or
    :math:`1 + H` non-zeros a row.
    """
    n_t = d.shape[1]
    cost = -d.equity_weight if d.equity_measure == "minmax" else 0.0   # the -D_t of the minmax term
    v.dispersed = lp.add_variables("dispersed", (n_t,), 0.0, INF, cost, {"year": np.arange(n_t)})
    row = np.arange(n_t)
    rest = (row, v.new_contingency, 1.0) if d.basis_hotels else (row[:, None], v.contingency, 1.0)
    total = d.need.sum(axis=1) + d.fixed.sum()
    lp.add_rows("dispersed_total", n_t, [(row, v.dispersed, 1.0), rest], total, total, {"year": row})


def add_fair_share(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Distance from the fair share (``equity_measure: l1`` or ``progressive``).

    .. math::
        \sum_h S_{ith} - \phi_{it}\,D_t - u^+_{it} + u^-_{it} = 0, \qquad u^+_{it}, u^-_{it} \ge 0
        \qquad \forall\, t,\ i \in E_t

    :math:`E_t` is the set of areas that can receive people in year t, and
    :math:`\phi_{it} = w_i / \sum_{j \in E_t} w_j` the fair-share fraction. Objective:
    ``equity_weight`` × :math:`(u^+ + u^-)`; with the progressive measure ``equity_weight`` ×
    :math:`(w_0 u^+ + u^-)`, :math:`w_0` the first step's weight. Row block ``fair_share`` (area, year).
    On a pressure basis the row is on the area's total on the basis (:func:`area_basis`), the
    fixed counts on the right:

    .. math::
        B_{it} - \phi_{it}\,D^B_t - u^+_{it} + u^-_{it} = 0, \qquad
        B_{it} = \sum_h S_{ith} + L_{it} + F_i
    """
    n_a, n_t, _ = d.shape
    cells = np.flatnonzero(d.eligible.ravel())
    a, t = np.divmod(cells, n_t)
    idx = {"area": a, "year": t}
    first = 1.0 if d.equity_steps is None else d.equity_steps[0, 1]
    v.over = lp.add_variables("over", (cells.size,), 0.0, INF, d.equity_weight * first, idx)
    v.under = lp.add_variables("under", (cells.size,), 0.0, INF, d.equity_weight, idx)
    row = np.arange(cells.size)
    share = d.share()[a, t]
    terms, fixed = area_basis(d, v, row, a, t)
    lp.add_rows("fair_share", cells.size,
                [*terms, (row, national_basis(v)[t], -share), (row, v.over, -1.0), (row, v.under, 1.0)],
                0.0 - fixed, 0.0 - fixed, idx)         # 0.0 - F: never -0.0 (v1 builds the same LP)


def add_fair_share_steps(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""The steps of the progressive equity measure (``equity_measure: progressive``).

    .. math::
        e_{itk} + (f_k - 1)\,B_{it} - f_k\,u^+_{it} + f_k\,u^-_{it} \;\ge\; 0, \qquad e_{itk} \ge 0
        \qquad \forall\, t,\ i \in E_t,\ k = 1, \dots, K-1

    Step k starts at :math:`f_k` times the fair share and has weight :math:`w_k` (``equity_steps``;
    :math:`f_0 = 1`); :math:`B_{it}` is the area's total on the pressure basis (:func:`area_basis`:
    :math:`\sum_h S_{ith}` on the dispersal basis; the fixed counts :math:`(f_k - 1) F_i` move to the right).
    By the fair-share row :math:`\phi_{it} D^B_t = B_{it} - u^+_{it} + u^-_{it}`, so the row says
    :math:`e_{itk} \ge B_{it} - f_k \phi_{it} D^B_t` without the national column :math:`D^B_t`; at the
    optimum :math:`e_{itk} = \max(0, B_{it} - f_k \phi_{it} D^B_t)`, the people above step k. Objective:
    ``equity_weight`` × :math:`(w_k - w_{k-1})\,e_{itk}`, so that a person-year between :math:`f_k` and
    :math:`f_{k+1}` times the fair share costs ``equity_weight`` × :math:`w_k` in all (with :math:`u^+`'s
    :math:`w_0`). Row block ``fair_share_step`` (area, year, step).
    """
    n_t = d.shape[1]
    n_k = d.equity_steps.shape[0] - 1
    cells = np.flatnonzero(d.eligible.ravel())                     # as in add_fair_share: cell c has u+[c], u-[c]
    c = np.repeat(np.arange(cells.size), n_k)                      # rows: each cell's steps, in order
    a, t = np.divmod(cells[c], n_t)
    k = np.tile(np.arange(1, n_k + 1), cells.size)
    idx = {"area": a, "year": t, "step": k}
    excess = lp.add_variables("excess", (a.size,), 0.0, INF, d.equity_weight * np.diff(d.equity_steps[:, 1])[k - 1],
                              idx)
    row = np.arange(a.size)
    f = d.equity_steps[k, 0]
    terms, fixed = area_basis(d, v, row, a, t, sign=f - 1.0)
    lp.add_rows("fair_share_step", a.size, [(row, excess, 1.0), *terms, (row, v.over[c], -f), (row, v.under[c], f)],
                0.0 - fixed, INF, idx)


def add_capacity_kept(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""Capacity kept, whose empty bed spaces cost ``void_share`` of a place (``costs.void_share`` > 0).

    .. math::
        \sum_{\tau \le t} P_{i\tau h} - S_{ith} \;\ge\; -K_{ih}, \qquad 0 \le P_{ith} \le q_{ih}\,[i \in E_t]
        \qquad \forall\, i,\ t,\ h

    :math:`P_{ith}` is the bed spaces bought in year t, kept for the rest of the plan, so the capacity
    kept at the end of year t is :math:`\hat K_{ith} = K_{ih} + \sum_{\tau \le t} P_{i\tau h}`: never handed
    back, growing by at most the procurement pace in a year the area is open, always housing the stock.
    Objective: ``cost_weight`` × :math:`v\,c_{ih}\,(\hat K_{ith} - S_{ith})` summed over the years, the
    empty places at the end of each year (:math:`v` = ``void_share``): :math:`v\,c_{ih}\,(\lvert T\rvert - t)` on
    :math:`P_{ith}`, :math:`-v\,c_{ih}` on :math:`S_{ith}` and today's :math:`v\,c_{ih} K_{ih} \lvert T\rvert`, a
    constant. At the optimum :math:`\hat K` is the latest procurement schedule of the stock (the ``capacity``
    column of allocations.csv). Row block ``capacity_kept`` (area, year, cohort).
    """
    n_a, n_t, n_h = d.shape
    a, t, h = (g.ravel() for g in np.indices((n_a, n_t, n_h)))
    idx = {"area": a, "year": t, "cohort": h}
    void = d.cost_weight * d.void_share * d.cost[:, None, :]                       # (A,1,H) £ an empty place-year
    kept = (n_t - np.arange(n_t))[None, :, None]                                    # years a place bought in t is kept
    bought = lp.add_variables("bought", (n_a, n_t, n_h), 0.0, d.procurement[:, None, :] * d.eligible[:, :, None],
                              void * kept, idx)
    lp.add_costs(v.stock, -void)
    lp.offset += n_t * float((void[:, 0, :] * d.capacity0).sum())
    row = np.arange(a.size).reshape(n_a, n_t, n_h)
    earlier = [(row[:, tau:, :], bought[:, tau:tau + 1, :], 1.0) for tau in range(n_t)]   # T steps: P_tau in rows t >= tau
    lp.add_rows("capacity_kept", a.size, earlier + [(row, v.stock, -1.0)], -d.capacity0[a, h], INF, idx)


def add_top_rate(lp: LPBuilder, d: ModelData, v: Vars) -> None:
    r"""The highest rate per unit of weight (``equity_measure: minmax``).

    .. math::
        \sum_h S_{ith} - \phi_{it}\,Z_t \;\le\; 0 \qquad \forall\, t,\ i \in E_t \text{ with } w_i > 0

    :math:`Z_t` is the national total there would be if every area had the
    highest area's rate; objective ``equity_weight`` × :math:`(Z_t - D_t)`, the
    people "in excess" of an even spread. Row block ``top_rate`` (area, year). On a pressure basis
    the rate is that of the area's total on the basis (:math:`B_{it} - \phi_{it} Z_t \le 0`, the
    fixed counts on the right) and the objective's :math:`-D_t` is :math:`-D^B_t`.
    """
    n_a, n_t, _ = d.shape
    v.top_rate = lp.add_variables("top_rate", (n_t,), 0.0, INF, d.equity_weight, {"year": np.arange(n_t)})
    cells = np.flatnonzero((d.eligible & (d.weight[:, None] > 0)).ravel())
    a, t = np.divmod(cells, n_t)
    row = np.arange(cells.size)
    terms, fixed = area_basis(d, v, row, a, t)
    lp.add_rows("top_rate", cells.size, [*terms, (row, v.top_rate[t], -d.share()[a, t])],
                -INF, 0.0 - fixed, {"area": a, "year": t})

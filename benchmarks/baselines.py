"""The two baselines the benchmarks measure allocator against.

``naive_pulp(scenario)``
    The same linear program written the way an analyst would write it in PuLP:
    the areas table read row by row into dicts, one ``LpVariable`` per
    (area, year, cohort) in a dict, every constraint an ``lpSum`` in nested
    Python loops. Capacity, cluster limits and first-year rules are written as
    *rows*, as an analyst would. Its optimum must equal allocator's (1e-6
    relative); it is what the **build** speed ratio is measured against.

``plain_lp(scenario)``
    The "plain formulation" of the same model as a :class:`~allocator.model.LinearProgram`
    (vectorised, built in well under a second), passed to HiGHS with **default
    options**: the textbook formulation with placement variables ``X``,
    capacity variables ``K`` and stock ``S`` per (area, year, cohort), the
    stock recursion, capacity growth, capacity use and cluster limits as rows.
    This is the formulation issue 4 measured (22-28 s at 2,000 × 10 × 3); it is
    what the **solve** speed ratio is measured against. ``plain_x_to_stock``
    maps its solution back to (S, C) for the verifier.

Both read only the :class:`~allocator.scenario.Scenario` (its YAML settings and
its areas table), not allocator's prepared arrays, so they are independent
re-statements of docs/model.md.

``plain_place_lp(scenario)``
    The plain formulation of a scenario with the place-based features (issue 13: hotels by area,
    a pressure basis, protection, progressive equity), the baseline of the place-based benchmark
    (``benchmarks/place_run.py``). Its core is the textbook one above (``X``, ``K`` and every
    limit on the stock as a row instead of allocator's bounds and exit-decay rows); the
    place-based rows and the equity rows are allocator's own ``add_`` functions, on the same
    prepared data, so the two programs differ only in the formulation of the core and the
    objectives must agree. It is not an independent re-statement of the place-based rules (the
    verifier is); it measures what the formulation and the price-guided start are worth.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from allocator import registry
from allocator.data import cell_limits, prepare
from allocator.families import Vars
from allocator.families_place import add_hotel_variables
from allocator.lp import INF, LPBuilder
from allocator.model import Block, LinearProgram
from allocator.scenario import Scenario


# --------------------------------------------------------------------------- shared plain data
def _plain_data(scenario: Scenario) -> dict:
    """Everything the model needs, per area and cohort, computed plainly from the scenario."""
    cfg = scenario.config
    years = list(cfg.years)
    cohorts = scenario.cohort_names
    if cfg.cohorts:
        exit_rate = {c.name: (c.exit_rate if c.exit_rate is not None else cfg.demand.exit_rate) for c in cfg.cohorts}
        a_share = {c.name: c.arrivals_share for c in cfg.cohorts}
        c_share = {c.name: (c.contingency_share if c.contingency_share is not None else c.arrivals_share)
                   for c in cfg.cohorts}
    else:
        exit_rate, a_share, c_share = {"all": cfg.demand.exit_rate}, {"all": 1.0}, {"all": 1.0}
    df = scenario.areas
    records = df.to_dict("records")
    areas = [r["area_code"] for r in records]
    rows = {}
    for r in records:
        first = years[0]
        if r["status"] == "volunteered":
            first = max(years[0], int(r["available_from"]))
        limit = cfg.policy.cluster_limit
        if "cluster_limit" in r and r["cluster_limit"] == r["cluster_limit"]:   # not NaN
            limit = r["cluster_limit"]
        rows[r["area_code"]] = {
            "pop": r["population"],
            "weight": r["population"] if cfg.policy.fair_share == "population" else (r[cfg.policy.fair_share] or 0.0),
            "cap": math.floor(r["population"] / limit + 1e-9),
            "status": r["status"],
            "first": first,
            "stock": {h: r[scenario.cohort_column("stock", h)] for h in cohorts},
            "capacity": {h: r[scenario.cohort_column("capacity", h)] for h in cohorts},
            "pace": {h: r[scenario.cohort_column("procurement_per_year", h)] for h in cohorts},
            "cost": {h: r[scenario.cohort_column("cost_per_place", h)] for h in cohorts},
        }
    need = {}
    for h in cohorts:
        level = sum(rows[a]["stock"][h] for a in areas) + cfg.demand.contingency_start * c_share[h]
        for y in years:
            level = (1 - exit_rate[h]) * level + cfg.demand.arrivals[y] * a_share[h]
            need[y, h] = level
    return {"cfg": cfg, "years": years, "cohorts": cohorts, "areas": areas, "rows": rows, "exit_rate": exit_rate, "need": need}


def _open(r: dict, y: int) -> bool:
    return r["status"] != "excluded" and y >= r["first"]


# --------------------------------------------------------------------------- naive PuLP
def naive_pulp(scenario: Scenario):
    """The LP as an analyst would write it in PuLP. Returns ``(problem, S, C)`` (dicts of variables)."""
    import pulp

    p = _plain_data(scenario)
    cfg, years, cohorts, areas, rows, e = p["cfg"], p["years"], p["cohorts"], p["areas"], p["rows"], p["exit_rate"]
    obj = cfg.objective
    prob = pulp.LpProblem("allocator_naive", pulp.LpMinimize)
    S, C = {}, {}
    for a in areas:
        for y in years:
            for h in cohorts:
                S[a, y, h] = pulp.LpVariable(f"S_{a}_{y}_{h}", lowBound=0)
    for y in years:
        for h in cohorts:
            C[y, h] = pulp.LpVariable(f"C_{y}_{h}", lowBound=0)

    cost = obj.cost_weight * pulp.lpSum(rows[a]["cost"][h] * S[a, y, h] for a in areas for y in years for h in cohorts)
    cost += obj.contingency_weight * cfg.costs.contingency_per_person_year * pulp.lpSum(C.values())

    # national balance
    for y in years:
        for h in cohorts:
            prob += pulp.lpSum(S[a, y, h] for a in areas) + C[y, h] == p["need"][y, h], f"balance_{y}_{h}"
    for a in areas:
        r = rows[a]
        for k, y in enumerate(years):
            for h in cohorts:
                prev = r["stock"][h] if k == 0 else S[a, years[k - 1], h]
                # nobody is moved out: stock only shrinks by exits
                prob += S[a, y, h] >= (1 - e[h]) * prev, f"decay_{a}_{y}_{h}"
                # capacity: today's plus what can be procured while open
                survivors = r["stock"][h] * (1 - e[h]) ** (k + 1)
                if _open(r, y):
                    room = r["capacity"][h] + r["pace"][h] * (y - max(r["first"], years[0]) + 1)
                else:
                    room = survivors
                prob += S[a, y, h] <= max(room, survivors), f"capacity_{a}_{y}_{h}"
            total = pulp.lpSum(S[a, y, h] for h in cohorts)
            inherited = sum(r["stock"][h] * (1 - e[h]) ** (k + 1) for h in cohorts)
            if _open(r, y):
                prob += total <= max(r["cap"], inherited), f"cluster_{a}_{y}"
            growth = cfg.policy.max_growth
            if growth is not None and (growth.absolute is not None or growth.relative is not None) and _open(r, y):
                prev_total = (sum(r["stock"].values()) if k == 0
                              else pulp.lpSum(S[a, years[k - 1], h] for h in cohorts))
                prob += total <= (1 + (growth.relative or 0)) * prev_total + (growth.absolute or 0), f"growth_{a}_{y}"
    for y, value in (cfg.policy.contingency_ceiling or {}).items():
        prob += pulp.lpSum(C[y, h] for h in cohorts) <= value, f"ceiling_{y}"
    if cfg.costs.procurement_per_place > 0:
        G = {}
        for a in areas:
            r = rows[a]
            n_open = sum(1 for y in years if _open(r, y))
            for h in cohorts:
                G[a, h] = pulp.LpVariable(f"G_{a}_{h}", lowBound=0, upBound=r["pace"][h] * n_open)
                for y in years:
                    if _open(r, y):
                        prob += S[a, y, h] - G[a, h] <= r["capacity"][h], f"procured_{a}_{y}_{h}"
        cost += obj.cost_weight * cfg.costs.procurement_per_place * pulp.lpSum(G.values())
    if obj.equity_weight > 0:
        for y in years:
            open_areas = [a for a in areas if _open(rows[a], y)]
            w_total = sum(rows[a]["weight"] for a in open_areas)
            D = pulp.LpVariable(f"D_{y}", lowBound=0)
            prob += D == pulp.lpSum(S[a, y, h] for a in areas for h in cohorts), f"dispersed_{y}"
            if obj.equity_measure == "l1":
                for a in open_areas:
                    share = rows[a]["weight"] / w_total if w_total > 0 else 0.0
                    over = pulp.LpVariable(f"over_{a}_{y}", lowBound=0)
                    under = pulp.LpVariable(f"under_{a}_{y}", lowBound=0)
                    prob += (pulp.lpSum(S[a, y, h] for h in cohorts) - share * D == over - under), f"fair_{a}_{y}"
                    cost += obj.equity_weight * (over + under)
            else:
                Z = pulp.LpVariable(f"Z_{y}", lowBound=0)
                for a in open_areas:
                    share = rows[a]["weight"] / w_total if w_total > 0 else 0.0
                    if rows[a]["weight"] > 0:
                        prob += pulp.lpSum(S[a, y, h] for h in cohorts) <= share * Z, f"top_{a}_{y}"
                cost += obj.equity_weight * (Z - D)
    prob += cost
    return prob, S, C


def solve_naive_pulp(scenario: Scenario, solver: str = "highs") -> tuple[float, np.ndarray, np.ndarray]:
    """Build and solve the naive PuLP model. Returns (objective, S (A,T,H), C (T,H))."""
    import pulp

    prob, S, C = naive_pulp(scenario)
    if solver == "highs" and "HiGHS" in pulp.listSolvers(onlyAvailable=True):
        engine = pulp.HiGHS(msg=False)
    else:
        engine = pulp.PULP_CBC_CMD(msg=False)
    prob.solve(engine)
    if pulp.LpStatus[prob.status] != "Optimal":
        raise RuntimeError(f"naive PuLP model: {pulp.LpStatus[prob.status]}")
    p = _plain_data(scenario)
    s = np.array([[[S[a, y, h].value() or 0.0 for h in p["cohorts"]] for y in p["years"]] for a in p["areas"]])
    c = np.array([[C[y, h].value() or 0.0 for h in p["cohorts"]] for y in p["years"]])
    return float(pulp.value(prob.objective)), s, c


# --------------------------------------------------------------------------- plain formulation (vectorised)
def plain_lp(scenario: Scenario) -> LinearProgram:
    """The textbook formulation: S, X (placements), K (capacity) variables and every rule as a row.

    Variables, each (A,T,H) unless stated: ``S`` stock, ``X`` placements, ``K``
    bed spaces, ``C`` (T,H) contingency, and with an equity term ``D`` (T,) and
    ``over``/``under`` (A,T) or ``Z`` (T,); ``G`` (A,H) with a procurement cost.
    Rows: stock recursion ``S_t - (1-e) S_{t-1} - X_t = 0``; capacity growth
    ``K_t - K_{t-1} <= q`` (open years) / ``= 0`` (closed); capacity use
    ``S - K <= 0``; closed areas ``X = 0``; cluster limits, growth limits,
    balance, ceiling, dispersed total, fair share / top rate, procurement.
    """
    p = _plain_data(scenario)
    cfg, years, cohorts, areas, rows, e = p["cfg"], p["years"], p["cohorts"], p["areas"], p["rows"], p["exit_rate"]
    n_a, n_t, n_h = len(areas), len(years), len(cohorts)
    obj = cfg.objective
    get = lambda key: np.array([[rows[a][key][h] for h in cohorts] for a in areas], float)
    s0, k0, q, cost = get("stock"), get("capacity"), get("pace"), get("cost")
    cap = np.array([rows[a]["cap"] for a in areas], float)
    weight = np.array([rows[a]["weight"] for a in areas], float)
    er = np.array([e[h] for h in cohorts])
    is_open = np.array([[_open(rows[a], y) for y in years] for a in areas])           # (A,T)
    need = np.array([[p["need"][y, h] for h in cohorts] for y in years])               # (T,H)

    cols: list[tuple[str, int]] = []
    c_parts, lb_parts, ub_parts = [], [], []

    def var(name: str, shape: tuple, lb, ub, c) -> np.ndarray:
        start = sum(n for _, n in cols)
        size = int(np.prod(shape))
        cols.append((name, size))
        c_parts.append(np.broadcast_to(np.asarray(c, float), shape).ravel())
        lb_parts.append(np.broadcast_to(np.asarray(lb, float), shape).ravel())
        ub_parts.append(np.broadcast_to(np.asarray(ub, float), shape).ravel())
        return np.arange(start, start + size).reshape(shape)

    S = var("stock", (n_a, n_t, n_h), 0.0, np.inf, obj.cost_weight * cost[:, None, :])
    C = var("contingency", (n_t, n_h), 0.0, np.inf, obj.contingency_weight * cfg.costs.contingency_per_person_year)
    X = var("placements", (n_a, n_t, n_h), 0.0, np.inf, 0.0)
    K = var("capacity", (n_a, n_t, n_h), 0.0, np.inf, 0.0)

    ri, ci, vals, rl, ru, blocks = [], [], [], [], [], {}
    n_row = [0]

    def rows_(name: str, n: int, terms, lo, hi) -> None:
        if n == 0:
            return
        for r, cc, v in terms:
            r, cc, v = np.broadcast_arrays(np.asarray(r), np.asarray(cc), np.asarray(v, float))
            ri.append(r.ravel() + n_row[0])
            ci.append(cc.ravel())
            vals.append(v.ravel())
        rl.append(np.broadcast_to(np.asarray(lo, float), (n,)).copy())
        ru.append(np.broadcast_to(np.asarray(hi, float), (n,)).copy())
        blocks[name] = Block(name, n_row[0], n)
        n_row[0] += n

    surv = (1 - er)[None, :]
    # stock recursion (first year against today's stock)
    r = np.arange(n_a * n_t * n_h).reshape(n_a, n_t, n_h)
    rhs = np.zeros((n_a, n_t, n_h))
    rhs[:, 0, :] = surv * s0
    rows_("recursion", r.size, [(r, S, 1.0), (r, X, -1.0), (r[:, 1:, :], S[:, :-1, :], -surv[None])],
          rhs.ravel(), rhs.ravel())
    # capacity growth: K_0 <= k0 + q (if open), K_t - K_{t-1} <= q if open else = 0 ... written as two-sided rows
    r = np.arange(n_a * n_t * n_h).reshape(n_a, n_t, n_h)
    add = np.where(is_open[:, :, None], q[:, None, :], 0.0)
    lo = np.zeros((n_a, n_t, n_h))
    hi = add.copy()
    lo[:, 0, :] = k0
    hi[:, 0, :] = k0 + add[:, 0, :]
    rows_("capacity_growth", r.size, [(r, K, 1.0), (r[:, 1:, :], K[:, :-1, :], -1.0)], lo.ravel(), hi.ravel())
    # capacity use
    rows_("capacity_use", r.size, [(r, S, 1.0), (r, K, -1.0)], -np.inf, 0.0)
    # closed areas take nobody new
    closed = np.flatnonzero(np.repeat(~is_open[:, :, None], n_h, axis=2).ravel())
    rows_("closed", closed.size, [(np.arange(closed.size), X.ravel()[closed], 1.0)], 0.0, 0.0)
    # cluster limit on total stock (inherited stock above the cap may only decay)
    inherited = s0[:, None, :] * surv[None, :, :] ** (np.arange(n_t)[None, :, None] + 1)
    limit = np.maximum(cap[:, None], inherited.sum(axis=2))
    cells = np.flatnonzero(is_open.ravel())
    a, t = np.divmod(cells, n_t)
    rr = np.arange(cells.size)
    rows_("cluster_limit", cells.size, [(rr[:, None], S[a, t, :], 1.0)], -np.inf, limit[a, t])
    growth = cfg.policy.max_growth
    if growth is not None and (growth.absolute is not None or growth.relative is not None):
        rel, ab = 1 + (growth.relative or 0.0), growth.absolute or 0.0
        later = t >= 1
        rhs = np.full(cells.size, ab)
        rhs[~later] += rel * s0[a[~later]].sum(axis=1)
        rows_("max_growth", cells.size, [(rr[:, None], S[a, t, :], 1.0),
                                         (rr[later][:, None], S[a[later], t[later] - 1, :], -rel)], -np.inf, rhs)
    r2 = np.arange(n_t * n_h).reshape(n_t, n_h)
    rows_("national_balance", n_t * n_h, [(r2[None], S, 1.0), (r2, C, 1.0)], need.ravel(), need.ravel())
    ceil = cfg.policy.contingency_ceiling or {}
    ty = np.array([years.index(y) for y in ceil], dtype=np.int64)
    if ty.size:
        rows_("contingency_ceiling", ty.size, [(np.arange(ty.size)[:, None], C[ty, :], 1.0)], -np.inf,
              np.array([ceil[y] for y in ceil], float))
    if cfg.costs.procurement_per_place > 0:
        n_open = is_open.sum(axis=1)
        G = var("procured", (n_a, n_h), 0.0, q * n_open[:, None], obj.cost_weight * cfg.costs.procurement_per_place)
        cells3 = np.flatnonzero(np.repeat(is_open[:, :, None], n_h, axis=2).ravel())
        a3, t3, h3 = np.unravel_index(cells3, (n_a, n_t, n_h))
        r3 = np.arange(cells3.size)
        rows_("procurement", cells3.size, [(r3, S[a3, t3, h3], 1.0), (r3, G[a3, h3], -1.0)], -np.inf, k0[a3, h3])
    if obj.equity_weight > 0:
        w = np.where(is_open, weight[:, None], 0.0)
        share = np.divide(w, w.sum(axis=0), out=np.zeros_like(w), where=w.sum(axis=0) > 0)
        minmax = obj.equity_measure == "minmax"
        D = var("dispersed", (n_t,), 0.0, np.inf, -obj.equity_weight if minmax else 0.0)
        rt = np.arange(n_t)
        rows_("dispersed_total", n_t, [(rt, D, 1.0), (rt[:, None, None], S.transpose(1, 0, 2), -1.0)], 0.0, 0.0)
        if not minmax:
            over = var("over", (cells.size,), 0.0, np.inf, obj.equity_weight)
            under = var("under", (cells.size,), 0.0, np.inf, obj.equity_weight)
            rows_("fair_share", cells.size, [(rr[:, None], S[a, t, :], 1.0), (rr, D[t], -share[a, t]),
                                             (rr, over, -1.0), (rr, under, 1.0)], 0.0, 0.0)
        else:
            Z = var("top_rate", (n_t,), 0.0, np.inf, obj.equity_weight)
            keep = weight[a] > 0
            rk = np.arange(keep.sum())
            rows_("top_rate", int(keep.sum()), [(rk[:, None], S[a[keep], t[keep], :], 1.0),
                                                (rk, Z[t[keep]], -share[a[keep], t[keep]])], -np.inf, 0.0)
    n_col = sum(n for _, n in cols)
    A = sp.coo_matrix((np.concatenate(vals), (np.concatenate(ri), np.concatenate(ci))),
                      shape=(n_row[0], n_col)).tocsr()
    A.sum_duplicates()
    variables, start = {}, 0
    for name, size in cols:
        variables[name] = Block(name, start, size)
        start += size
    return LinearProgram(c=np.concatenate(c_parts), A=A, col_lower=np.concatenate(lb_parts),
                         col_upper=np.concatenate(ub_parts), row_lower=np.concatenate(rl),
                         row_upper=np.concatenate(ru), variables=variables, rows=blocks)


#: allocator's families the plain core replaces (its bounds and exit decay become X, K and rows).
CORE_REPLACED = ("exit_decay", "cluster_limit")


def plain_place_lp(scenario: Scenario) -> LinearProgram:
    """The plain formulation of a scenario with place-based features (module docstring).

    Core, each (A,T,H): stock ``S`` in [0, inf) with allocator's objective coefficients, placements
    ``X`` >= 0, capacity ``K``; rows: ``S_t - (1-e) S_{t-1} - X_t = 0``; ``K_0`` within [capacity now,
    the capacity path's first year], ``0 <= K_t - K_{t-1} <=`` the path's growth; ``S - K <= 0``;
    ``X = 0`` where the area takes nobody new (excluded, not yet open, over its cap by inheritance);
    the cluster cap as a row on every (area, year) that may take people. Then every other row
    family of allocator's registry, as allocator writes it.
    """
    d = prepare(scenario)
    n_a, n_t, n_h = d.shape
    lim = cell_limits(d)
    weights, start = d.occupancy_weights()
    lp = LPBuilder()
    S = lp.add_variables("stock", (n_a, n_t, n_h), 0.0, INF, d.cost_weight * d.cost[:, None, :] * weights[None, :, None])
    located = d.hotel0 is not None
    C = lp.add_variables("contingency", (n_t, n_h), 0.0, INF,
                         0.0 if located else d.contingency_weight * d.hotel_cost * weights[:, None])
    if start > 0:
        hotels = 0.0 if located else d.hotel_cost * float(d.contingency0.sum())
        lp.offset += start * (d.cost_weight * float((d.cost * d.stock0).sum()) + d.contingency_weight * hotels)
    X = lp.add_variables("placements", (n_a, n_t, n_h), 0.0, INF, 0.0)
    K = lp.add_variables("capacity", (n_a, n_t, n_h), 0.0, INF, 0.0)
    v = Vars(stock=S, contingency=C)
    if located:
        add_hotel_variables(lp, d, v)
    r = np.arange(n_a * n_t * n_h).reshape(n_a, n_t, n_h)
    surv = (1.0 - d.exit_rate)[None, :]
    rhs = np.zeros((n_a, n_t, n_h))
    rhs[:, 0, :] = surv * d.stock0
    lp.add_rows("recursion", r.size, [(r, S, 1.0), (r, X, -1.0), (r[:, 1:, :], S[:, :-1, :], -surv[None])],
                rhs.ravel(), rhs.ravel())
    path = d.capacity_path
    grow = np.diff(np.concatenate([d.capacity0[:, None, :], path], axis=1), axis=1)
    lo, hi = np.zeros_like(path), np.maximum(grow, 0.0)
    lo[:, 0, :], hi[:, 0, :] = np.minimum(d.capacity0, path[:, 0, :]), path[:, 0, :]
    lp.add_rows("capacity_growth", r.size, [(r, K, 1.0), (r[:, 1:, :], K[:, :-1, :], -1.0)], lo.ravel(), hi.ravel())
    lp.add_rows("capacity_use", r.size, [(r, S, 1.0), (r, K, -1.0)], -INF, 0.0)
    room = d.eligible if d.over_basis is None else d.eligible & ~d.over_basis
    closed = np.flatnonzero(np.repeat(~room[:, :, None], n_h, axis=2).ravel())
    lp.add_rows("closed", closed.size, [(np.arange(closed.size), X.ravel()[closed], 1.0)], 0.0, 0.0)
    a, t = np.nonzero(room)
    rr = np.arange(a.size)
    lp.add_rows("cluster_limit", a.size, [(rr[:, None], S[a, t, :], 1.0)], -INF, lim.cluster[a, t])
    for family in registry.rows():
        if family.when(d) and family.name not in CORE_REPLACED:
            family.add(lp, d, v)
    return lp.build()


def plain_x_to_stock(lp: LinearProgram, x: np.ndarray, shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(S (A,T,H), C (T,H)) from a solution of :func:`plain_lp`."""
    n_a, n_t, n_h = shape
    return lp.value(x, "stock").reshape(n_a, n_t, n_h), lp.value(x, "contingency").reshape(n_t, n_h)

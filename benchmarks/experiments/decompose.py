r"""Decomposition experiments over areas (issue 4): kept to reproduce what was tried; not used by solve().

The model is a short chain of rows per area (``exit_decay``, ``max_growth``,
``cluster_limit``, ``procurement``) tied together by *linking* rows: the
national balance per year and cohort, the dispersed total per year, the
contingency ceiling, and the fair-share (or top-rate) rows, which hold one
national variable :math:`D_t` (or :math:`Z_t`) each. The split is read from the
matrix: a row is *local* when all its columns belong to one area (the ``area``
index of the variable blocks), otherwise it is linking.

:func:`solve_dantzig_wolfe`
    Exact Dantzig-Wolfe: the master holds the linking rows, one convexity row per
    area and a growing set of per-area *proposals*; all areas are priced at once as
    a block-diagonal LP (chunks of areas, warm-started HiGHS models). It stops when
    no proposal has a negative reduced cost, so its optimum is the monolithic one.
    Result: correct to 1e-15, but it tails off (26 rounds at 300 areas, 35 at 2,000)
    and is far slower than the monolithic dual simplex.

:func:`solve_sifted`
    Exact sifting over areas: prices from a model on a random sample of areas,
    every area's best plan under them, a restricted monolithic model with all areas
    but the marginal ones fixed at their best plan, then pricing checks that free
    any area whose fixed plan is not its best. Result: the sample's prices are too
    far from the true ones (the years where contingency empties move), the restricted
    model is infeasible, and the method falls back to the whole model.

``benchmarks/run.py`` runs both at a small size so RESULTS.md reports them.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from allocator.model import LinearProgram

KINF = 1e30


@dataclass
class Split:
    """Which columns and rows are local to which area, and which link them."""

    col_area: np.ndarray           # (n_col,) area of each column, -1 for master columns
    sub_cols: np.ndarray           # columns priced in subproblems (local to an area)
    master_cols: np.ndarray        # columns kept in the master
    link_rows: np.ndarray          # rows kept in the master
    local_rows: np.ndarray         # rows of the subproblems
    n_areas: int
    info: dict = field(default_factory=dict)


def find_split(lp: LinearProgram) -> Split | None:
    """Read the area structure of ``lp``; None when it has none worth decomposing."""
    n = lp.num_col
    col_area = np.full(n, -1, dtype=np.int64)
    for block in lp.variables.values():
        if "area" in block.index and len(block.index["area"]) == block.size:
            col_area[block.slice] = block.index["area"]
    if (col_area >= 0).sum() == 0:
        return None
    A = lp.A.tocsr()
    row_of = np.repeat(np.arange(lp.num_row), np.diff(A.indptr))
    a = col_area[A.indices]
    big = np.iinfo(np.int64).max
    lo = np.full(lp.num_row, big)
    hi = np.full(lp.num_row, -1)
    np.minimum.at(lo, row_of, np.where(a >= 0, a, -1))
    np.maximum.at(hi, row_of, a)
    local = (lo == hi) & (lo >= 0)
    link_rows = np.flatnonzero(~local)
    local_rows = np.flatnonzero(local)
    # area columns that appear in a local row are priced; the rest stay in the master
    in_local = np.zeros(n, bool)
    Al = A[local_rows]
    in_local[Al.indices] = True
    sub = (col_area >= 0) & in_local
    col_area = np.where(sub, col_area, -1)
    n_areas = int(col_area.max()) + 1 if sub.any() else 0
    if n_areas < 2 or local_rows.size == 0:
        return None
    return Split(col_area, np.flatnonzero(sub), np.flatnonzero(~sub), link_rows, local_rows, n_areas)


def _new_highs():
    from allocator.solvers._highs import new_highs

    h = new_highs()
    h.setOptionValue("random_seed", 0)
    return h


def _pass(h, c, A: sp.csr_matrix, lb, ub, rl, ru) -> None:
    from allocator.solvers._highs import pass_arrays

    pass_arrays(h, c, A, lb, ub, rl, ru)


class _Pricing:
    """The block-diagonal pricing LP, in chunks of areas, each a persistent warm-started HiGHS."""

    def __init__(self, lp: LinearProgram, s: Split, chunks: int, threads: int) -> None:
        A = lp.A.tocsr()
        area = s.col_area[s.sub_cols]
        order = np.argsort(area, kind="stable")
        self.cols = s.sub_cols[order]                 # sub columns, grouped by area
        self.area = area[order]
        A_loc = A[s.local_rows][:, self.cols].tocsr()
        row_area = self.area[A_loc.indices[A_loc.indptr[:-1]]]   # area of each local row (first entry)
        r_order = np.argsort(row_area, kind="stable")
        A_loc = A_loc[r_order]
        row_area = row_area[r_order]
        rl, ru = lp.row_lower[s.local_rows][r_order], lp.row_upper[s.local_rows][r_order]
        bounds = np.linspace(0, s.n_areas, chunks + 1).round().astype(int)
        self.parts = []
        for k in range(chunks):
            c0, c1 = np.searchsorted(self.area, [bounds[k], bounds[k + 1]])
            r0, r1 = np.searchsorted(row_area, [bounds[k], bounds[k + 1]])
            if c1 == c0:
                continue
            sub = A_loc[r0:r1][:, c0:c1].tocsr()
            h = _new_highs()
            _pass(h, np.zeros(c1 - c0), sub, lp.col_lower[self.cols[c0:c1]], lp.col_upper[self.cols[c0:c1]],
                  rl[r0:r1], ru[r0:r1])
            self.parts.append((h, c0, c1))
        self.pool = cf.ThreadPoolExecutor(max_workers=threads) if threads > 1 and len(self.parts) > 1 else None

    def solve(self, cost: np.ndarray) -> np.ndarray:
        """Best plan for every area under ``cost`` (aligned with ``self.cols``)."""
        x = np.empty(len(self.cols))

        def run(part):
            h, c0, c1 = part
            idx = np.arange(c1 - c0, dtype=np.int32)
            h.changeColsCost(c1 - c0, idx, np.ascontiguousarray(cost[c0:c1]))
            h.run()
            if h.getModelStatus() != __import__("highspy").HighsModelStatus.kOptimal:
                raise RuntimeError(f"pricing subproblem: {h.modelStatusToString(h.getModelStatus())}")
            x[c0:c1] = np.asarray(h.getSolution().col_value)

        if self.pool is not None:
            list(self.pool.map(run, self.parts))
        else:
            for part in self.parts:
                run(part)
        return x

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _sub_lp(lp: LinearProgram, s: Split, areas: np.ndarray, share: float) -> tuple[LinearProgram, np.ndarray, np.ndarray]:
    """The model on a subset of areas, the linking rows' bounds scaled by ``share``."""
    keep_area = np.zeros(s.n_areas, bool)
    keep_area[areas] = True
    col_keep = (s.col_area < 0) | keep_area[np.maximum(s.col_area, 0)]
    cols = np.flatnonzero(col_keep)
    A = lp.A.tocsr()
    is_link = np.zeros(lp.num_row, bool)
    is_link[s.link_rows] = True
    # a local row belongs to one area: keep it when that area is kept
    first_col = A.indices[A.indptr[:-1].clip(max=max(A.nnz - 1, 0))]
    row_keep = is_link | (col_keep[first_col] & ~is_link)
    rows = np.flatnonzero(row_keep)
    sub = A[rows][:, cols].tocsr()
    rl, ru = lp.row_lower[rows].copy(), lp.row_upper[rows].copy()
    link = is_link[rows]
    rl[link] *= share
    ru[link] *= share
    out = LinearProgram(c=lp.c[cols], A=sub, col_lower=lp.col_lower[cols], col_upper=lp.col_upper[cols],
                        row_lower=rl, row_upper=ru, variables={}, rows={})
    return out, cols, rows


def _run_full(lp: LinearProgram, lb: np.ndarray, ub: np.ndarray, time_limit: float | None, options: dict | None):
    from allocator.solvers._highs import solve_highs

    fixed = LinearProgram(c=lp.c, A=lp.A, col_lower=lb, col_upper=ub, row_lower=lp.row_lower,
                          row_upper=lp.row_upper, variables=lp.variables, rows=lp.rows, offset=lp.offset)
    return solve_highs(fixed, time_limit=time_limit, options=options)


def solve_sifted(lp: LinearProgram, time_limit: float | None = None, sample: float = 0.15, seed: int = 0,
                 threads: int = 2, max_rounds: int = 30, log: list | None = None, options: dict | None = None):
    """Solve ``lp`` exactly by sifting over areas. None when the model has no area structure.

    1. *Prices*: solve the model on a random ``sample`` of the areas (linking rows
       scaled down) and keep the duals of the linking rows.
    2. *Best plans*: every area's best plan under those prices (the block-diagonal
       pricing LP, chunked over ``threads``).
    3. *Restricted model*: the monolithic model with every area outside the working
       set W fixed at its best plan; W starts with the areas whose best plan
       changes when the prices move by ±2% (the areas at the margin).
    4. *Check*: price every fixed area with the restricted model's duals. An area
       whose fixed plan is not its best plan joins W; repeat from 3. When none
       does, the restricted optimum is the monolithic optimum (LP duality: the
       fixed plans are optimal for their own rows under the same prices).
    """
    from allocator.solvers import RawSolution

    start = time.perf_counter()
    s = find_split(lp)
    if s is None:
        return None
    rng = np.random.default_rng(seed)
    A = lp.A.tocsr()
    A_L = A[s.link_rows]
    chunks = max(1, min(32, s.n_areas // 300))
    pricing = _Pricing(lp, s, chunks, threads)
    cols, area = pricing.cols, pricing.area
    A_Lc = A_L[:, cols].tocsc()
    c_sub = lp.c[cols]
    history: list = []

    def note(*item):
        history.append(tuple(item) + (round(time.perf_counter() - start, 3),))
        if log is not None:
            log.append(history[-1])

    def remaining() -> float | None:
        return None if time_limit is None else max(1e-3, time_limit - (time.perf_counter() - start))

    # 1. prices from a sample
    n_sample = max(2, round(sample * s.n_areas))
    picked = np.sort(rng.choice(s.n_areas, size=n_sample, replace=False))
    small, _, rows = _sub_lp(lp, s, picked, n_sample / s.n_areas)
    from allocator.solvers._highs import solve_highs

    raw = solve_highs(small, time_limit=remaining())
    if raw.status != "optimal":
        pricing.close()
        return RawSolution("error", None, None, solver="highs-sift", message=f"sample model: {raw.status}")
    y = np.zeros(lp.num_row)
    y[rows] = raw.row_dual
    y_link = y[s.link_rows]
    note("sample", n_sample, raw.seconds)

    # 2. best plans, and the areas at the margin
    def best(yl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cost = c_sub - A_Lc.T @ yl
        return pricing.solve(cost), cost

    x_bar, _ = best(y_link)
    moved = np.zeros(s.n_areas, bool)
    for f in (0.98, 1.02):
        x_f, _ = best(y_link * f)
        moved |= np.bincount(area, weights=np.abs(x_f - x_bar), minlength=s.n_areas) > 1e-7
    W = moved
    note("margin", int(W.sum()))

    lb, ub = lp.col_lower.copy(), lp.col_upper.copy()
    status, result = "error", None
    for round_ in range(max_rounds):
        fixed = ~W[area]
        lb[cols] = np.where(fixed, x_bar, lp.col_lower[cols])
        ub[cols] = np.where(fixed, x_bar, lp.col_upper[cols])
        result = _run_full(lp, lb, ub, remaining(), options)
        if result.status != "optimal":
            # the fixed plans leave no feasible way (or time ran out): free everything and stop
            note("restricted", round_, int(W.sum()), result.status)
            if W.all():
                break
            W[:] = True
            continue
        y_link = result.row_dual[s.link_rows]
        x_new, cost = best(y_link)
        value_new = np.bincount(area, weights=cost * x_new, minlength=s.n_areas)
        value_fix = np.bincount(area, weights=cost * x_bar, minlength=s.n_areas)
        scale = max(1.0, abs(result.objective))
        loss = value_fix - value_new                      # how much better each fixed area could do
        bad = (~W) & (loss > 1e-10 * scale)
        note("round", round_, int(W.sum()), result.objective, float(loss[~W].clip(min=0).sum()), int(bad.sum()))
        if not bad.any():
            status = "optimal"
            break
        W |= bad
        if time_limit is not None and time.perf_counter() - start > time_limit:
            status = "time_limit"
            break
    pricing.close()
    seconds = time.perf_counter() - start
    info = {"history": history, "free_areas": int(W.sum()), "areas": s.n_areas, "chunks": chunks}
    if result is None or result.x is None:
        return RawSolution("error", None, None, solver="highs-sift", seconds=seconds, info=info,
                           message=result.message if result is not None else "")
    out = RawSolution(status if status == "optimal" else result.status, result.x, result.objective,
                      result.row_dual, result.col_dual, gap=0.0 if status == "optimal" else result.gap,
                      solver="highs-sift", solver_version=result.solver_version, seconds=seconds, info=info)
    return out


def solve_dantzig_wolfe(lp: LinearProgram, time_limit: float | None = None, tol: float = 1e-8,
                        max_rounds: int = 500, threads: int = 2, log: list | None = None):
    """Dantzig-Wolfe over areas (exact: stops when no proposal prices out; see the module docstring)."""
    import highspy

    from allocator.solvers import RawSolution

    start = time.perf_counter()
    s = find_split(lp)
    if s is None:
        return None
    A = lp.A.tocsr()
    A_L = A[s.link_rows]
    n_link = len(s.link_rows)
    chunks = max(1, min(32, s.n_areas // 300))
    pricing = _Pricing(lp, s, chunks, threads)
    cols, area = pricing.cols, pricing.area
    A_Lc = A_L[:, cols].tocsc()
    c_sub = lp.c[cols]
    scale = max(1.0, float(np.abs(lp.c).max()))
    mc = s.master_cols
    A_m = A_L[:, mc].tocsc()
    rows_m = sp.vstack([A_m, sp.csc_matrix((s.n_areas, len(mc)))]).tocsc()
    rl = np.concatenate([lp.row_lower[s.link_rows], np.ones(s.n_areas)])
    ru = np.concatenate([lp.row_upper[s.link_rows], np.ones(s.n_areas)])
    eye = sp.identity(n_link, format="csc")
    elastic = sp.vstack([sp.hstack([eye, -eye]), sp.csc_matrix((s.n_areas, 2 * n_link))]).tocsc()
    M0 = sp.hstack([rows_m, elastic]).tocsc()
    c0 = np.concatenate([lp.c[mc], np.full(2 * n_link, 1e4 * scale)])
    lb0 = np.concatenate([lp.col_lower[mc], np.zeros(2 * n_link)])
    ub0 = np.concatenate([lp.col_upper[mc], np.full(2 * n_link, np.inf)])
    master = _new_highs()
    _pass(master, c0, M0.tocsr(), lb0, ub0, rl, ru)
    n_fixed = M0.shape[1]
    props, prop_area = [], []

    def add(x: np.ndarray, which: np.ndarray) -> None:
        E = sp.csc_matrix((x, (np.arange(len(cols)), area)), shape=(len(cols), s.n_areas))[:, which]
        link = (A_Lc @ E).tocsc()
        cost = np.asarray(E.T @ c_sub).ravel()
        convx = sp.csc_matrix((np.ones(which.size), (which, np.arange(which.size))), shape=(s.n_areas, which.size))
        col = sp.vstack([link, convx]).tocsc()
        master.addCols(which.size, cost, np.zeros(which.size), np.full(which.size, KINF), col.nnz,
                       col.indptr[:-1].astype(np.int32), col.indices.astype(np.int32), col.data.astype(float))
        props.append(x)
        prop_area.append(which)

    add(pricing.solve(c_sub.copy()), np.arange(s.n_areas))
    rounds, status, gap_abs, obj = 0, "optimal", 0.0, None
    while True:
        master.run()
        if master.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            status = "error"
            break
        y = np.asarray(master.getSolution().row_dual)
        y_link, sigma = y[:n_link], y[n_link:]
        obj = master.getInfo().objective_function_value
        cost = c_sub - A_Lc.T @ y_link
        x = pricing.solve(cost)
        red = np.bincount(area, weights=cost * x, minlength=s.n_areas) - sigma
        gap_abs = float(-np.minimum(red, 0.0).sum())
        enter = np.flatnonzero(red < -1e-12 * max(1.0, abs(obj)))
        if log is not None:
            log.append((rounds, obj, gap_abs, int(enter.size), round(time.perf_counter() - start, 3)))
        if enter.size == 0 or gap_abs <= tol * max(1.0, abs(obj)):
            break
        rounds += 1
        if rounds >= max_rounds or (time_limit is not None and time.perf_counter() - start > time_limit):
            status = "time_limit"
            break
        add(x, enter)
    pricing.close()
    seconds = time.perf_counter() - start
    info = {"rounds": rounds, "proposals": int(sum(len(p) for p in prop_area)), "areas": s.n_areas,
            "link_rows": n_link}
    if status == "error":
        return RawSolution("error", None, None, solver="highs-dw", seconds=seconds, info=info)
    w = np.asarray(master.getSolution().col_value)
    full = np.zeros(lp.num_col)
    full[mc] = w[:len(mc)]
    xs = np.zeros(len(cols))
    pos = n_fixed
    for x_k, which in zip(props, prop_area):
        weight = np.zeros(s.n_areas)
        weight[which] = w[pos:pos + which.size]
        pos += which.size
        xs += weight[area] * x_k
    full[cols] = xs
    info["elastic"] = float(w[len(mc):n_fixed].sum())
    objective = float(lp.c @ full + lp.offset)
    return RawSolution(status, full, objective, gap=gap_abs / max(1.0, abs(objective)), solver="highs-dw",
                       solver_version=master.version(), seconds=seconds, info=info)

r"""Price-guided start: a near-optimal starting basis for large models, then HiGHS on the whole model.

The model is a short chain of rows per area tied together by a few *linking*
rows: the national balance per year and cohort, the dispersed total per year
and the contingency ceiling. From a slack basis the dual simplex needs about one
iteration per basic structural variable (150,000 at 9,000 wards), and every
iteration pays for the dense linking rows. This module builds a starting basis
that is already almost optimal, so that the last step, the dual simplex on the
*whole, unchanged* model, needs only a thousand or two iterations:

1. **Prices from a sample.** A quarter of the areas (a seeded sample) with
   demand scaled to the sample's share of the population is solved. Its
   national balance duals :math:`\lambda_{th}` (the value of one more place
   for cohort h in year t) and its dispersed share of need estimate the whole
   model's. (If the sample cannot meet a scaled ceiling or its agreements, it
   is solved without them. A sample of ``SAMPLE_PRICES_MIN_AREAS`` (2,000)
   areas or more is solved by this same method.)
2. **Every area's plan at those prices, and the prices corrected.** With the
   linking rows priced out (cost :math:`c - \lambda`) and the national
   dispersed total :math:`D_t` fixed at its estimate, the model falls apart
   into one small LP per area; they are solved as block-diagonal LPs of
   ``AREAS_PER_PART`` areas each, in two threads (highspy releases the GIL).
   Where the areas' plans miss a year's need, that price is moved (doubling
   steps, then bisection; :func:`correct_prices`) and the areas re-solved
   from their last basis, for up to ``PRICE_ROUNDS`` rounds. Last, :math:`D_t`
   is fixed where the plans put it and the areas re-solved once more.
3. **A basis for the whole model.** The areas' bases, plus one basic variable
   per linking row: :math:`D_t` for the dispersed total; for each national
   balance row, the contingency :math:`C_{th}` or the area column (the
   marginal area) that moves the row's price least from the price the plans
   were made at (:func:`whole_basis`), so that the start is dual feasible but
   for a few columns; the ceiling rows' slacks. Linking rows
   of a ``sample price`` family (the contingency split of hotels by area) are
   priced in step 2 at the sample's duals, uncorrected, and their column
   (new contingency :math:`Q_t`) is made basic here.
4. **HiGHS dual simplex on the whole model** from that basis, to optimality.
   If a time limit stops it first, the areas' plans of step 2 are the plan
   returned (completed and checked against every row and bound, or repaired
   towards them from "nobody newly placed"; see
   :func:`allocator.solvers._fallback.at_limit`), with status ``time_limit``
   and their gap to a valid lower bound.

Correctness does not depend on the prices: step 4 solves the monolithic model
to HiGHS's optimality tolerances, so the optimum is the monolithic optimum
(checked against the cold solve in tests/test_price_start.py and in the
benchmarks at every size). Bad prices only cost iterations. Where the model has
a structure this start does not cover (the minmax equity measure links every
area through the top rate :math:`Z_t`), or a step fails, the whole model is
solved from HiGHS's own start instead and ``info["start"]`` says why.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import dataclasses
import os
import time

import numpy as np

from allocator import registry
from allocator.data import ModelData, roll_need
from allocator.model import LinearProgram, build_lp
from allocator.solvers._fallback import complete
from allocator.solvers._highs import highs_bounds, highs_model, set_time_limit, solve_highs
from allocator.status import Status, from_highs

#: ``start="auto"`` uses the price-guided start from this many areas and columns up.
#: Measured (benchmarks/RESULTS.md): at 2,000 areas × 10 years × 3 cohorts the price-guided start
#: saves a few tenths of a second; at 9,000 it is 4× faster.
AUTO_MIN_AREAS = 4000
AUTO_MIN_COLUMNS = 50_000
#: The share of areas whose model gives the prices (0.10 gave prices too far off at 9,000 wards).
SAMPLE_FRACTION = 0.25
SAMPLE_SEED = 0
#: Bisection rounds on the prices before the whole model is solved (each re-solves the areas warm).
PRICE_ROUNDS = 6
#: A price is corrected when the areas' plans miss that year's need by more than this share of it.
PRICE_TOLERANCE = 0.002
#: The first correction step, as a share of the hotel price; it doubles until the need is crossed.
PRICE_STEP = 0.03
#: Areas per block-diagonal area LP (two threads share them). Measured at 9,000 areas × 10 × 3 with the
#: place-based features: the first, cold solve of the area plans took 9.5 s in 2 parts, 4.6 s in 32, 4.0 s
#: in 128 (64 areas a part) and 4.1 s in 512: small models make each simplex iteration cheap.
AREAS_PER_PART = 64
#: HiGHS options of the area LPs (the caller's options win). Presolve off: measured at 9,000 × 10 × 3 with
#: the place-based features, the first (cold) solve of the area plans took 1.7 s instead of 2.6 s, and
#: the whole start up to the basis 10.1 s instead of 12.9 s.
AREA_OPTIONS = {"presolve": "off"}
#: A sample of at least this many areas is itself solved by the price-guided start (its own sample a
#: quarter of it). Measured at 9,000 × 10 × 3 with the place-based features: the 2,250-area sample took
#: 35 s cold and 5.3 s this way (the same optimum); on the v1 benchmark both took about 2.5 s.
SAMPLE_PRICES_MIN_AREAS = 2000
#: The registry's ``price_start`` roles of linking rows this start handles (every other family is local or declined).
LINKING_ROLES = ("priced", "sample price", "basic slack", "basic column")
#: Fields of ModelData indexed by area first.
_AREA_FIELDS = ("population", "weight", "cluster_cap", "stock0", "capacity0", "procurement", "cost", "open_year",
                "excluded", "eligible", "inherited", "capacity_path", "agreed_min", "agreed_max",
                "hotel0", "hotel_places0", "hotel_open", "basis_fixed", "over_basis", "protected", "protect_level",
                "previous", "min_open", "open_cost", "lead_time")

# HiGHS basis status codes (HighsBasisStatus)
LOWER, BASIC, UPPER, ZERO = 0, 1, 2, 3


def linking(lp: LinearProgram) -> list[registry.Family]:
    """The families in ``lp`` whose rows the start treats as linking rows (the registry's
    ``price_start`` role: priced, basic slack or basic column), in registry order."""
    return [f for f in registry.rows() if f.price_start.role in LINKING_ROLES and f.name in lp.rows]


def unsupported(lp: LinearProgram) -> str | None:
    """Why the price-guided start cannot be used on ``lp`` (None when it can): a family in it that
    the start declines (the registry's ``price_start``), or no area stock or national balance."""
    for family in registry.rows():
        if family.price_start.role == "declines" and family.name in lp.rows:
            return family.price_start.why
    if "stock" not in lp.variables or registry.priced().name not in lp.rows:
        return "the model has no area stock or national balance"
    return None


def wanted(d: ModelData, lp: LinearProgram, start: str, min_areas: int = AUTO_MIN_AREAS) -> bool:
    """Whether ``start`` ('auto', 'prices' or 'cold') asks for the price-guided start on this model
    (``auto``: from ``min_areas`` areas and ``AUTO_MIN_COLUMNS`` columns up)."""
    if start == "cold":
        return False
    if start == "prices":
        return True
    return d.shape[0] >= min_areas and lp.num_col >= AUTO_MIN_COLUMNS


# --------------------------------------------------------------------------- 1. prices from a sample
def sample_areas(d: ModelData, fraction: float | None = None, seed: int = SAMPLE_SEED) -> tuple[ModelData, float]:
    """A seeded sample of the areas (``SAMPLE_FRACTION`` of them unless said), with arrivals,
    contingency and ceilings scaled to its share of the population (so that the sample faces the
    same pressure per resident); returns it and that share."""
    fraction = SAMPLE_FRACTION if fraction is None else fraction
    n = d.shape[0]
    k = max(2, int(round(fraction * n)))
    idx = np.sort(np.random.default_rng(seed).permutation(n)[:k])
    share = float(d.population[idx].sum() / d.population.sum()) if d.population.sum() > 0 else k / n
    fields = {name: getattr(d, name)[idx] for name in _AREA_FIELDS if getattr(d, name) is not None}
    arrivals = d.arrivals * share
    contingency0 = d.contingency0 * share
    need = roll_need(fields["stock0"].sum(axis=0) + contingency0, arrivals, 1.0 - d.exit_rate)
    sample = dataclasses.replace(d, areas=d.areas.iloc[idx].reset_index(drop=True), arrivals=arrivals,
                                 contingency0=contingency0, need=need, ceiling=d.ceiling * share, **fields)
    return sample, share


def sample_prices(d: ModelData, deadline: float | None, options: dict | None, info: dict
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, dict[str, np.ndarray]] | None:
    """National balance prices, the hotel price of each balance row (both T×H, flat), the
    dispersed total (T,) and the prices of the other linking rows the areas' columns are in
    (the ``sample price`` families, by name), estimated from a sample of areas."""
    t0 = time.perf_counter()
    ds, _ = sample_areas(d)
    lps = build_lp(ds)
    raw = _solve_sample(ds, lps, deadline, options)
    if raw.status == Status.INFEASIBLE:
        # a sample can fail a scaled ceiling or the agreements its few areas cannot share out;
        # its prices without them are still a start (the whole model keeps every rule)
        dropped = [f for f in registry.FAMILIES if f.sample_drop is not None]
        ds = dataclasses.replace(ds, **{k: v for f in dropped for k, v in f.sample_drop(ds).items()})
        lps = build_lp(ds)
        raw = _solve_sample(ds, lps, deadline, options)
        info["sample_relaxed"] = "without " + " and ".join(f.title for f in dropped)
    info["sample_areas"] = ds.shape[0]
    info["sample_seconds"] = round(time.perf_counter() - t0, 4)
    if raw.status != Status.OPTIMAL:
        info["start"] = f"cold: the sample of {ds.shape[0]} areas ended {raw.status}"
        return None
    lam = raw.row_dual[lps.rows[registry.priced().name].slice]
    sampled = {f.name: raw.row_dual[lps.rows[f.name].slice] for f in linking(lps) if f.price_start.role == "sample price"}
    top = hotel_prices(lps, raw.row_dual)
    dispersed = None
    column = _basic_column(lps)
    if column is not None:                 # the national total D_t: the sample's share of need, scaled up
        need_s = ds.need.sum(axis=1)
        ratio = np.divide(lps.value(raw.x, column), need_s, out=np.ones_like(need_s), where=need_s > 0)
        dispersed = d.need.sum(axis=1) * ratio
    return lam, top, dispersed, sampled


def _basic_column(lp: LinearProgram) -> str | None:
    """The national column that a linking family of ``lp`` makes basic, one per row (``D_t``), if any."""
    columns = [f.price_start.column for f in linking(lp) if f.price_start.role == "basic column"]
    return columns[0] if columns else None


def hotel_prices(lp: LinearProgram, row_dual: np.ndarray) -> np.ndarray:
    """The price of each national balance row at which contingency is worth using: the contingency
    column's cost less the duals of its other rows (the dispersed total, a ceiling)."""
    bal = lp.rows[registry.priced().name]
    cont = lp.variables["contingency"]
    y = row_dual.copy()
    y[bal.slice] = 0.0
    return lp.c[cont.slice] - lp.A[:, cont.slice].T @ y


def _solve_sample(ds: ModelData, lps: LinearProgram, deadline: float | None, options: dict | None):
    """The sample's model: by the price-guided start itself when the sample is still large
    (``SAMPLE_PRICES_MIN_AREAS``), else cold."""
    if wanted(ds, lps, "auto", min_areas=SAMPLE_PRICES_MIN_AREAS):
        return solve_price_start(ds, lps, _remaining(deadline), options)
    return solve_highs(lps, time_limit=_remaining(deadline), options=options)


# --------------------------------------------------------------------------- 2. every area's plan
@dataclasses.dataclass
class Split:
    col_area: np.ndarray      # (n_col,) area of each column, -1 for national columns
    local_rows: np.ndarray    # rows whose area columns all belong to one area
    link_rows: np.ndarray     # the rest
    row_area: np.ndarray      # (len(local_rows),) the area of each local row


def split(lp: LinearProgram) -> Split | None:
    """Read the area structure of ``lp`` from the variable blocks' ``area`` index."""
    col_area = np.full(lp.num_col, -1, dtype=np.int64)
    for block in lp.variables.values():
        if "area" in block.index and len(block.index["area"]) == block.size:
            col_area[block.slice] = block.index["area"]
    A = lp.A
    row_of = np.repeat(np.arange(lp.num_row), np.diff(A.indptr))
    a = col_area[A.indices]
    lo = np.full(lp.num_row, np.iinfo(np.int64).max)
    hi = np.full(lp.num_row, -1)
    has = a >= 0
    np.minimum.at(lo, row_of[has], a[has])
    np.maximum.at(hi, row_of[has], a[has])
    expected = np.concatenate([np.arange(lp.rows[f.name].start, lp.rows[f.name].start + lp.rows[f.name].size)
                               for f in linking(lp)])
    local = (lo == hi) & (hi >= 0)
    local[expected] = False                 # a linking family's row stays linking where it meets one area only
    link = np.flatnonzero(~local)
    if not np.array_equal(np.sort(expected), link):
        return None                         # a family links areas in a way this start does not know
    local_rows = np.flatnonzero(local)
    return Split(col_area, local_rows, link, lo[local_rows])


class AreaPlans:
    """Every area's LP at given national prices, with the dispersed total fixed at its estimate.

    The areas are split into ``parts`` block-diagonal LPs (one per core), each a persistent
    HiGHS model: a new set of prices changes only costs, so a re-solve starts from the last basis.
    ``complete`` turns True once every part has solved: from then on ``x`` holds a plan for every
    area that keeps all its own rows (a later round that stops early leaves a part's last plan).
    """

    def __init__(self, lp: LinearProgram, s: Split, dispersed: np.ndarray | None, options: dict | None,
                 parts: int | None = None, sampled: dict[str, np.ndarray] | None = None) -> None:
        self.lp, self.s = lp, s
        bal = lp.rows[registry.priced().name].slice
        self.A_bal = lp.A[bal]                                 # the national balance rows
        self.cost = lp.c.copy()                                # the other linking rows priced at the sample's duals
        for name, y in (sampled or {}).items():
            self.cost -= lp.A[lp.rows[name].slice].T @ y
        self.need = lp.row_upper[bal]
        fixed = np.zeros(lp.num_col)                           # national columns at their estimates
        self.column = _basic_column(lp) if dispersed is not None else None
        if self.column is not None:
            fixed[lp.variables[self.column].slice] = dispersed
        A_loc = lp.A[s.local_rows]
        self.A_nat = A_loc[:, lp.variables[self.column].slice] if self.column is not None else None
        shift = A_loc @ np.where(s.col_area < 0, fixed, 0.0)
        self.rl = rl = lp.row_lower[s.local_rows] - shift
        self.ru = ru = lp.row_upper[s.local_rows] - shift
        n_areas = int(s.col_area.max()) + 1
        parts = max(2, -(-n_areas // AREAS_PER_PART)) if parts is None else parts
        edges = np.linspace(0, n_areas, parts + 1).round().astype(np.int64)
        self.parts = []
        for k in range(parts):
            cols = np.flatnonzero((s.col_area >= edges[k]) & (s.col_area < edges[k + 1]))
            rows = np.flatnonzero((s.row_area >= edges[k]) & (s.row_area < edges[k + 1]))
            if cols.size == 0:
                continue
            part = LinearProgram(c=lp.c[cols], A=A_loc[rows][:, cols].tocsr(), col_lower=lp.col_lower[cols],
                                 col_upper=lp.col_upper[cols], row_lower=rl[rows], row_upper=ru[rows],
                                 variables={}, rows={})
            self.parts.append((highs_model(part, options={**AREA_OPTIONS, **(options or {})}, large_model=True),
                               cols, rows, part.A.T.tocsr()))
        self.pool = _pool() if min(len(self.parts), os.cpu_count() or 1) > 1 else None
        self.x = fixed.copy()
        self.complete = False
        self.iterations = 0
        self._basic: dict[int, np.ndarray] = {}               # each part's basic variables, once solved

    def implied_dispersed(self) -> np.ndarray | None:
        """The national total :math:`D_t` the areas' plans imply (completed from them as the
        whole model's basis will hold it), or None when the model has no such column."""
        if self.column is None:
            return None
        x = complete(self.lp, np.where(self.s.col_area >= 0, self.x, 0.0))
        return x[self.lp.variables[self.column].slice]

    def fix_dispersed(self, value: np.ndarray) -> None:
        """Fix the national total :math:`D_t` at ``value`` in every area's rows: the right-hand sides
        of the rows it is in (the fair shares) move; the next :meth:`solve` starts from the last basis."""
        block = self.lp.variables[self.column].slice
        delta = self.A_nat @ (value - self.x[block])
        self.x[block] = value
        self.rl -= delta
        self.ru -= delta
        for h, _, rows, _ in self.parts:
            moved = np.flatnonzero(delta[rows] != 0.0)
            if moved.size:
                at = rows[moved]
                h.changeRowsBounds(moved.size, moved.astype(np.int32), highs_bounds(self.rl[at]),
                                   highs_bounds(self.ru[at]))

    def solve(self, lam: np.ndarray, deadline: float | None) -> bool:
        """Every area's plan at prices ``lam`` (T,H); False when a part did not solve to optimality."""
        cost = self.cost - self.A_bal.T @ lam.ravel()          # the linking rows priced out

        def run(part) -> bool:
            h, cols, _, _ = part
            h.changeColsCost(cols.size, np.arange(cols.size, dtype=np.int32), np.ascontiguousarray(cost[cols]))
            set_time_limit(h, _remaining(deadline))
            h.run()
            if from_highs(h.getModelStatus()) != Status.OPTIMAL:
                return False
            self.x[cols] = h.getSolution().col_value
            self.iterations += int(h.getInfo().simplex_iteration_count)
            return True

        ok = all(list(self.pool.map(run, self.parts)) if self.pool else [run(p) for p in self.parts])
        self._basic.clear()
        self.complete = self.complete or ok
        return ok

    def implied_contingency(self) -> np.ndarray:
        """People the areas' plans leave in contingency, per national balance row (negative: too many placed)."""
        return self.need - self.A_bal @ np.where(self.s.col_area >= 0, self.x, 0.0)

    def statuses(self) -> dict:
        """The areas' bases (HiGHS codes), reduced costs and the contingency their plans imply,
        for :func:`whole_basis`."""
        lp = self.lp
        out = {"col_status": np.full(lp.num_col, LOWER, np.int8), "row_status": np.full(lp.num_row, BASIC, np.int8),
               "implied": self.implied_contingency(), "dj": np.zeros(lp.num_col)}
        for h, cols, rows, _ in self.parts:
            basis = h.getBasis()
            out["col_status"][cols] = np.fromiter((v.value for v in basis.col_status), np.int8, cols.size)
            out["row_status"][self.s.local_rows[rows]] = np.fromiter((v.value for v in basis.row_status), np.int8,
                                                                     rows.size)
            out["dj"][cols] = h.getSolution().col_dual
        out["rho"] = self.rho
        return out

    def rho(self, k: int) -> np.ndarray:
        r"""Per column, how many people of national balance row ``k`` the areas' plans gain per unit of
        the column entering its area's basis: :math:`\rho = a_k - A^T B^{-T} a_{k,B}` (one solve with
        each part's transposed basis; 0 for basic columns)."""
        out = np.zeros(self.lp.num_col)
        coef = np.zeros(self.lp.num_col)
        row = self.A_bal[k]
        coef[row.indices] = row.data
        for h, cols, _, A in self.parts:
            if id(h) not in self._basic:
                self._basic[id(h)] = np.asarray(h.getBasicVariables()[1])      # >= 0 a column, < 0 a row
            basic = self._basic[id(h)]
            cb = np.where(basic >= 0, coef[cols[np.maximum(basic, 0)]], 0.0)
            if not cb.any():
                out[cols] = coef[cols]
                continue
            z = np.asarray(h.getBasisTransposeSolve(cb)[1])
            out[cols] = coef[cols] - A @ z
        return out

    def close(self) -> None:
        """Free the area models (as large as the whole model together) before the whole model is solved."""
        self.pool = None
        self.parts = []
        self.x = None


def correct_prices(plans: AreaPlans, lam: np.ndarray, top: np.ndarray, deadline: float | None,
                   rounds: int, info: dict) -> np.ndarray | None:
    r"""Move each national price until the areas' plans at that price meet that year's need.

    A price :math:`\lambda_{th}` is consistent when the areas' plans leave
    :math:`C_{th} = N_{th} - \sum_i S_{ith}` people in contingency with :math:`|C_{th}|` within
    ``PRICE_TOLERANCE`` of the need, or :math:`C_{th} > 0` at the price of a hotel place
    (``top``). Otherwise the price is too high (too many placed) or too low (people left in
    hotels below the hotel price): it moves by a step that doubles until the other side is
    seen, then by bisection. A sample's prices are close for most years, but can sit on the
    wrong side of the year contingency empties (34,000 £ off at 9,000 wards); a few rounds fix
    that. Each round re-solves the areas from their last basis. Returns the last prices, or
    None when a solve failed.
    """
    lam = lam.ravel().copy()
    top = top.ravel()
    tol = np.maximum(1.0, PRICE_TOLERANCE * np.abs(plans.need))
    lo = np.full_like(lam, -np.inf)
    hi = np.full_like(lam, np.inf)
    step = PRICE_STEP * np.maximum(np.abs(top), 1.0)
    done = 0
    for done in range(rounds + 1):
        if not plans.solve(lam, deadline):
            return None
        implied = plans.implied_contingency()
        high = implied < -tol                                      # too many placed: the price is too high
        low = (implied > tol) & (lam < top - 1e-9 * np.abs(top))   # people left in hotels below the hotel price
        move = high | low
        if done == rounds or not move.any():
            break
        hi = np.where(high, np.minimum(hi, lam), hi)
        lo = np.where(low, np.maximum(lo, lam), lo)
        bracketed = np.isfinite(lo) & np.isfinite(hi)
        with np.errstate(invalid="ignore"):
            new = np.where(bracketed, 0.5 * (lo + hi), np.where(high, lam - step, np.minimum(lam + step, top)))
        step = np.where(move & ~bracketed, 2.0 * step, step)
        lam = np.where(move, new, lam)
    info["price_rounds"] = done
    implied = plans.implied_dispersed()
    if implied is not None:          # the whole basis holds D_t at what the plans imply: fix it there
        plans.fix_dispersed(implied)
        if not plans.solve(lam, deadline):
            return None
    info["inconsistent_prices"] = int(move.sum())
    return lam


# --------------------------------------------------------------------------- 3. a basis for the whole model
def whole_basis(lp: LinearProgram, s: Split, plans: dict, lam: np.ndarray, top: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    r"""Column and row statuses for the whole model: the areas' bases plus one basic per linking row.

    Each national balance row gets the basic column that moves its price least from the price
    :math:`\lambda` the areas' plans were made at (``lam``; ``top`` the hotel price): the
    contingency :math:`C_{th}` (the price becomes the hotel price; only where the plans leave people
    in contingency), or the area column j with the least :math:`|d_j / \rho_j|`, its reduced cost
    over the people of the row it adds (:meth:`AreaPlans.rho`). Choosing by :math:`|d_j|` alone
    (until this change) could pick a column that adds nobody to the row and move the price by tens
    of thousands of pounds: 40,000 columns dual infeasible at the start, against a few dozen."""
    col, row = plans["col_status"], plans["row_status"]
    dj = plans["dj"]
    national = np.flatnonzero(s.col_area < 0)
    col[national] = np.where(np.isfinite(lp.col_lower[national]), LOWER, ZERO)
    row[s.link_rows] = LOWER
    for family in linking(lp):
        if family.price_start.role in ("basic column", "sample price"):   # D_t, Q_t: one per row
            col[lp.variables[family.price_start.column].slice] = BASIC
        elif family.price_start.role == "basic slack":         # the ceiling rows' slacks
            row[lp.rows[family.name].slice] = BASIC
    bal = lp.rows[registry.priced().name]
    cont = lp.variables["contingency"]
    A_bal = lp.A[bal.slice]
    implied = plans["implied"]                                # people the areas' plans leave in contingency
    used = np.zeros(int(s.col_area.max()) + 1, bool)          # areas already given a row
    for k in range(bal.size):                                 # T × H rows, not areas
        # the row's price moves to top (C_th basic) or by d_j / rho_j (area column j basic): least move
        hotel = abs(top[k] - lam[k]) if implied[k] > 1e-7 else np.inf
        cols = A_bal.indices[A_bal.indptr[k]:A_bal.indptr[k + 1]]
        cols = cols[(s.col_area[cols] >= 0) & (col[cols] != BASIC)]
        cols = cols[~used[s.col_area[cols]]]
        move = np.full(cols.size, np.inf)
        if cols.size:
            rho = plans["rho"](k)[cols]
            ok = np.abs(rho) > 1e-9
            move[ok] = np.abs(dj[cols[ok]] / rho[ok])
        m = int(np.argmin(move)) if cols.size else -1
        if m >= 0 and move[m] < hotel:
            col[cols[m]] = BASIC                              # the marginal area
            used[s.col_area[cols[m]]] = True
        else:
            col[cont.start + k] = BASIC
    return col, row


# --------------------------------------------------------------------------- the whole method
def solve_price_start(d: ModelData, lp: LinearProgram, time_limit: float | None = None,
                      options: dict | None = None):
    """Solve ``lp`` (built from ``d``) with the price-guided start; a :class:`RawSolution`.

    ``info["start"]`` is ``"prices"`` when the start was used, otherwise ``"cold: <why>"``. When a
    time limit stops the last step, the areas' plans (once every area has one) are offered as the
    plan to return (:func:`allocator.solvers._fallback.at_limit`).
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    info: dict = {}
    basis = areas_x = None
    why = unsupported(lp)
    s = None if why else split(lp)
    if why is None and s is None:
        why = "a constraint family links areas outside the national rows"
    if why:
        info["start"] = f"cold: {why}"
    else:
        prices = sample_prices(d, deadline, options, info)
        if prices is not None:
            lam, top, dispersed, sampled = prices
            t1 = time.perf_counter()
            plans = AreaPlans(lp, s, dispersed, options, sampled=sampled)
            try:
                lam = correct_prices(plans, lam, top, deadline, PRICE_ROUNDS, info)
                if lam is None:
                    info["start"] = ("cold: the area plans did not finish (time limit, or an area LP "
                                     "not solved to optimality)")
                else:
                    basis = whole_basis(lp, s, plans.statuses(), lam.ravel(), top.ravel())
                    info["start"] = "prices"
                if plans.complete:
                    areas_x = plans.x.copy()
            finally:
                plans.close()
            info["area_iterations"] = plans.iterations
            del plans
            _trim()
            info["area_seconds"] = round(time.perf_counter() - t1, 4)
    raw = _solve_whole(lp, _remaining(deadline), options, basis, areas_x)
    raw.info.update(info)
    raw.info["final_seconds"] = round(raw.seconds, 4)
    raw.seconds = time.perf_counter() - t0
    return raw


def _solve_whole(lp: LinearProgram, time_limit: float | None, options: dict | None,
                 basis: tuple[np.ndarray, np.ndarray] | None, areas_x: np.ndarray | None):
    """Step 4: HiGHS on the whole model from ``basis``; the areas' plans ``areas_x`` are the plan
    to return if the time limit stops it first."""
    return solve_highs(lp, time_limit=time_limit, options=options, basis=basis, incumbent=areas_x)


def _trim() -> None:
    """Hand the area models' freed memory back to the system before the whole model is solved:
    glibc keeps what the two worker threads freed in their own arenas, and without this the
    whole model's peak stacks on top of it (measured: 2.1 GB against 1.0 GB cold at 9,000 wards)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):     # not glibc: nothing to hand back this way
        pass


_POOL: cf.ThreadPoolExecutor | None = None


def _pool() -> cf.ThreadPoolExecutor:
    """One pool of two threads for the whole process. A new pool per solve leaked about 100 MB a
    solve at 2,000 areas (HiGHS keeps per-thread state for every thread that ever ran it)."""
    global _POOL
    if _POOL is None:
        _POOL = cf.ThreadPoolExecutor(max_workers=2, thread_name_prefix="allocator-areas")
    return _POOL


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(1e-3, deadline - time.perf_counter())


__all__ = ["solve_price_start", "sample_areas", "split", "unsupported", "wanted"]

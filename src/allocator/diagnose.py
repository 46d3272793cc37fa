r"""Infeasibility in policy terms: the smallest relaxations that would make a plan possible.

When the hard rules of a scenario conflict, :func:`diagnose_infeasible` solves
*elastic* versions of the model. Each elastic version lets one policy lever give
way, with a slack variable (in people) on the rows or bounds of that lever, and
minimises the total slack:

=====================  ==========================================================
lever                  what may give way
=====================  ==========================================================
``ceiling``            the contingency ceiling of each year (people left in hotels)
``capacity``           each area's capacity path: extra bed spaces beyond
                       ``capacity + procurement_per_year × years open``
``growth``             each area's yearly growth limit (``policy.max_growth``)
``cluster``            each area's cluster cap
``agreements``         each agreed minimum or maximum
=====================  ==========================================================

Every lever the scenario uses is tried alone; if none is enough alone, all are
tried together. The answer names the years, areas, regions and agreements in the
scenario's own terms, and is raised as :class:`~allocator.errors.InfeasibleError`
(exit code 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allocator.data import ModelData
from allocator.errors import InfeasibleError
from allocator.model import INF, LinearProgram
from allocator.status import Status

LEVERS = ("ceiling", "capacity", "growth", "cluster", "agreements")
#: Relaxations smaller than this (people) are solver round-off, not advice, and are not reported.
REPORT_TOL = 1e-2


def _elastic(d: ModelData, lp: LinearProgram, active: set[str]) -> tuple[LinearProgram, dict[str, tuple]]:
    """The model with slack on every lever; slack of inactive levers is fixed at 0."""
    n_a, n_t, n_h = d.shape
    m, n = lp.A.shape
    stock0 = lp.variables["stock"].start
    col_upper = lp.col_upper.copy()
    extra_cols: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []   # (lever, rows, coef, meta index)
    new_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # (cols, coef, upper, meta)
    meta: dict[str, tuple] = {}

    # capacity (per area and cohort) and cluster (per area): bounds become rows with slack
    eligible = np.repeat(d.eligible[:, :, None], n_h, axis=2)
    cells = np.flatnonzero(eligible.ravel())
    col_upper[stock0 + cells] = INF
    a, t, h = np.unravel_index(cells, (n_a, n_t, n_h))
    cap_slack = a * n_h + h                                               # one slack per (area, cohort)
    new_rows.append((np.stack([stock0 + cells, n + cap_slack], 1), np.tile([1.0, -1.0], (cells.size, 1)),
                     d.capacity_path[a, t, h], None))
    n_cap = n_a * n_h
    cluster_start = n + n_cap
    if n_h == 1:
        cells2 = np.flatnonzero(d.eligible.ravel())
        a2, t2 = np.divmod(cells2, n_t)
        new_rows.append((np.stack([stock0 + cells2, cluster_start + a2], 1), np.tile([1.0, -1.0], (cells2.size, 1)),
                         d.total_ub[a2, t2], None))
        cluster_rows = None
    elif "cluster_limit" in lp.rows:
        block = lp.rows["cluster_limit"]
        cluster_rows = (np.arange(block.start, block.start + block.size), block.index["area"])
    else:                                  # cohorts, but no area can receive people: no cluster rows
        cluster_rows = None
    next_col = cluster_start + n_a
    meta["capacity"] = (n, n_cap)
    meta["cluster"] = (cluster_start, n_a)

    def slack_on_rows(lever: str, family: str, sign: float) -> None:
        nonlocal next_col
        block = lp.rows.get(family)
        if block is None:
            return
        rows = np.arange(block.start, block.start + block.size)
        extra_cols.append((lever, rows, np.full(rows.size, sign), np.arange(next_col, next_col + rows.size)))
        meta.setdefault(lever, ())
        meta[f"{lever}:{family}:{'+' if sign > 0 else '-'}"] = (next_col, rows.size, block)
        next_col += rows.size

    slack_on_rows("ceiling", "contingency_ceiling", -1.0)
    slack_on_rows("growth", "max_growth", -1.0)
    slack_on_rows("agreements", "agreement", -1.0)     # above the maximum
    slack_on_rows("agreements", "agreement", 1.0)      # below the minimum
    if cluster_rows is not None:
        rows, areas = cluster_rows
        extra_cols.append(("cluster", rows, np.full(rows.size, -1.0), cluster_start + areas))

    n_total = next_col
    # columns: the original A plus slack entries on existing rows
    ri = [lp.A.tocoo().row]
    ci = [lp.A.tocoo().col]
    vi = [lp.A.tocoo().data]
    for _, rows, coef, cols in extra_cols:
        ri.append(rows)
        ci.append(cols)
        vi.append(coef)
    top = sp.coo_matrix((np.concatenate(vi), (np.concatenate(ri), np.concatenate(ci))), shape=(m, n_total))
    r_rows, r_cols, r_vals, r_upper = [], [], [], []
    offset = 0
    for cols, coef, upper, _ in new_rows:
        k = cols.shape[0]
        r_rows.append(np.repeat(np.arange(offset, offset + k), cols.shape[1]))
        r_cols.append(cols.ravel())
        r_vals.append(coef.ravel())
        r_upper.append(upper)
        offset += k
    bottom = sp.coo_matrix((np.concatenate(r_vals), (np.concatenate(r_rows), np.concatenate(r_cols))),
                           shape=(offset, n_total))
    A = sp.vstack([top, bottom], format="csr")

    slack_upper = np.zeros(n_total - n)
    costs = np.zeros(n_total - n)
    if "capacity" in active:
        slack_upper[:n_cap] = INF
    if "cluster" in active:
        slack_upper[n_cap:n_cap + n_a] = INF
    for key, value in meta.items():
        if ":" in key and key.split(":")[0] in active:
            start, size, _ = value
            slack_upper[start - n:start - n + size] = INF
    costs[slack_upper > 0] = 1.0
    elastic = LinearProgram(
        c=np.concatenate([np.zeros(n), costs]), A=A,
        col_lower=np.concatenate([lp.col_lower, np.zeros(n_total - n)]),
        col_upper=np.concatenate([col_upper, slack_upper]),
        row_lower=np.concatenate([lp.row_lower, np.full(offset, -INF)]),
        row_upper=np.concatenate([lp.row_upper, np.concatenate(r_upper)]),
        variables=lp.variables, rows=lp.rows)
    return elastic, meta


def _levers_in_use(d: ModelData, lp: LinearProgram) -> list[str]:
    levers = []
    if "contingency_ceiling" in lp.rows:
        levers.append("ceiling")
    levers.append("capacity")
    if "max_growth" in lp.rows:
        levers.append("growth")
    levers.append("cluster")
    if "agreement" in lp.rows:
        levers.append("agreements")
    return levers


def _first_year_over(d: ModelData, S: np.ndarray, a: int) -> int:
    over = np.flatnonzero((S[a] > d.capacity_path[a] + 1e-6).any(axis=1))
    return int(d.years[over[0]]) if over.size else int(d.years[0])


def _describe(d: ModelData, lp: LinearProgram, meta: dict, x: np.ndarray, lever: str) -> tuple[list[str], list[dict]]:
    n_a, n_t, n_h = d.shape
    S = x[lp.variables["stock"].slice].reshape(n_a, n_t, n_h)
    codes, names, regions = (d.areas[c].to_numpy() for c in ("area_code", "area_name", "region"))
    lines: list[str] = []
    found: list[dict] = []
    if lever in ("capacity", "all"):
        start, size = meta["capacity"]
        extra = x[start:start + size].reshape(n_a, n_h).sum(axis=1)
        idx = np.flatnonzero(extra > REPORT_TOL)
        if idx.size:
            rows = pd.DataFrame({"region": regions[idx], "places": extra[idx],
                                 "year": [_first_year_over(d, S, a) for a in idx]})
            by_region = rows.groupby("region").agg(places=("places", "sum"), year=("year", "min"))
            by_region = by_region.sort_values("places", ascending=False)
            parts = [f"{r} {v.places:,.0f} (used from {int(v.year)})" for r, v in by_region.iterrows()]
            lines.append(f"{extra.sum():,.0f} more bed spaces than capacity and procurement_per_year allow: "
                         + ", ".join(parts))
            found += [{"lever": "capacity", "area_code": str(codes[a]), "region": str(regions[a]),
                       "year": _first_year_over(d, S, a), "amount": float(extra[a])} for a in idx]
    if lever in ("cluster", "all"):
        start, size = meta["cluster"]
        extra = x[start:start + size]
        idx = np.flatnonzero(extra > REPORT_TOL)
        if idx.size:
            parts = [f"{names[a]} +{extra[a]:,.0f}" for a in idx[np.argsort(-extra[idx])][:8]]
            lines.append(f"cluster caps raised by {extra.sum():,.0f} people in {idx.size} area(s): " + ", ".join(parts))
            found += [{"lever": "cluster", "area_code": str(codes[a]), "region": str(regions[a]), "year": None,
                       "amount": float(extra[a])} for a in idx]
    for key, value in meta.items():
        if ":" not in key:
            continue
        name, family, sign = key.split(":")
        if lever not in (name, "all"):
            continue
        start, size, block = value
        slack = x[start:start + size]
        for k in np.flatnonzero(slack > REPORT_TOL):
            year = int(d.years[block.index["year"][k]])
            amount = float(slack[k])
            if family == "contingency_ceiling":
                t = block.index["year"][k]
                lines.append(f"contingency_ceiling {year}: ceiling {d.ceiling[t]:,.0f}, lowest reachable "
                             f"{d.ceiling[t] + amount:,.0f} ({amount:,.0f} more dispersal places needed by the end "
                             f"of {year})")
                found.append({"lever": "ceiling", "family": family, "year": year, "ceiling": float(d.ceiling[t]),
                              "lowest_reachable": float(d.ceiling[t] + amount), "places_short": amount,
                              "amount": amount})
            elif family == "max_growth":
                a = block.index["area"][k]
                lines.append(f"max_growth {names[a]} ({codes[a]}) {year}: allow {amount:,.0f} more people of growth")
                found.append({"lever": "growth", "area_code": str(codes[a]), "year": year, "amount": amount})
            elif family == "agreement":
                a, t = block.index["area"][k], block.index["year"][k]
                if sign == "-":    # above the maximum
                    lines.append(f"agreement {codes[a]} {year}: maximum {d.agreed_max[a, t]:,.0f} loosened to "
                                 f"{d.agreed_max[a, t] + amount:,.0f} (+{amount:,.0f})")
                else:
                    lines.append(f"agreement {codes[a]} {year}: minimum {d.agreed_min[a, t]:,.0f} loosened to "
                                 f"{d.agreed_min[a, t] - amount:,.0f} (-{amount:,.0f})")
                found.append({"lever": "agreements", "area_code": str(codes[a]), "year": year, "amount": amount,
                              "side": "maximum" if sign == "-" else "minimum"})
    return lines, found


LEVER_TITLES = {
    "ceiling": "raise the contingency ceiling",
    "capacity": "procure more bed spaces",
    "growth": "allow faster growth",
    "cluster": "raise cluster caps",
    "agreements": "loosen agreements",
    "all": "all levers together",
}


def _two_phase(d: ModelData, lp: LinearProgram, active: set[str]) -> tuple[float, np.ndarray, dict] | None:
    """Smallest total relaxation, then the cheapest plan (scenario objective) among those.

    Phase 1 minimises the slack of the active levers. Phase 2 keeps the slack at that
    minimum and minimises the scenario's own objective, so that where and when the extra
    places are used is the plan the scenario would choose, not an arbitrary one.
    """
    from allocator.solvers import solve_lp

    elastic, meta = _elastic(d, lp, active)
    raw = solve_lp(elastic, "highs")
    if raw.status != Status.OPTIMAL:
        return None
    total = float(raw.objective)
    slack = elastic.c > 0
    cap_row = sp.csr_matrix(slack.astype(float)[None, :])
    phase2 = LinearProgram(
        c=np.concatenate([lp.c, np.zeros(elastic.num_col - lp.num_col)]), A=sp.vstack([elastic.A, cap_row], format="csr"),
        col_lower=elastic.col_lower, col_upper=elastic.col_upper,
        row_lower=np.append(elastic.row_lower, -INF), row_upper=np.append(elastic.row_upper, total * (1 + 1e-9) + 1e-6),
        variables=lp.variables, rows=lp.rows)
    raw2 = solve_lp(phase2, "highs")
    x = raw2.x if raw2.status == Status.OPTIMAL else raw.x
    return total, x, meta


def diagnose_infeasible(d: ModelData, lp: LinearProgram) -> InfeasibleError:
    """Explain an infeasible scenario by the smallest relaxation of each policy lever."""

    levers = _levers_in_use(d, lp)
    options: list[tuple[str, float, list[str], list[dict]]] = []
    not_enough: list[str] = []
    for lever in levers:
        solved = _two_phase(d, lp, {lever})
        if solved is None:
            not_enough.append(lever)
            continue
        total, x, meta = solved
        lines, found = _describe(d, lp, meta, x, lever)
        options.append((lever, total, lines, found))
    if not options:
        solved = _two_phase(d, lp, set(levers))
        if solved is not None:
            total, x, meta = solved
            lines, found = _describe(d, lp, meta, x, "all")
            options.append(("all", total, lines, found))
    if not options:
        return InfeasibleError("the scenario is infeasible and no relaxation of its policy levers makes it "
                               "feasible; please report this scenario as a bug")
    hard = [f for _, _, _, fs in options for f in fs if f["lever"] in ("ceiling", "agreements", "growth")]
    years = sorted({f["year"] for f in (hard or [f for _, _, _, fs in options for f in fs]) if f.get("year") is not None})
    text = [f"the hard rules cannot all hold (constraint families: {', '.join(_family_names(lp))}; "
            f"years in conflict: {', '.join(map(str, years)) or 'all'}). Smallest changes that would make a plan possible,"
            " one lever at a time:"]
    for n, (lever, total, lines, _) in enumerate(options, 1):
        text.append(f"  Option {n}: {LEVER_TITLES[lever]} (total {total:,.0f} people)")
        text += [f"    * {line}" for line in lines[:15]]
        if len(lines) > 15:
            text.append(f"    * ... and {len(lines) - 15} more")
    if not_enough:
        text.append("  Not enough on its own: " + ", ".join(LEVER_TITLES[lv] for lv in not_enough) + ".")
    relaxations = [dict(f, option=lever) for lever, _, _, fs in options for f in fs]
    return InfeasibleError("\n".join(text), relaxations)


def _family_names(lp: LinearProgram) -> list[str]:
    return [name for name in ("contingency_ceiling", "agreement", "max_growth", "cluster_limit") if name in lp.rows] + \
        ["capacity"]

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
``protection``         each protected area's protection rule
``regions``            each regional least or most share
``hotels_close_by``    each area's closure date: hotel places kept open past it
=====================  ==========================================================

The levers (:data:`allocator.registry.LEVERS`, then any a new family brings), the families each
relaxes, on which side, with one slack per row or per area, and the words of each relaxation are
the families' records in the registry; nothing here names a family. Every lever the scenario
uses is tried alone; if none is enough alone, all are tried together. The answer names the years, areas, regions and agreements in the
scenario's own terms, and is raised as :class:`~allocator.errors.InfeasibleError`
(exit code 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from allocator import registry
from allocator.data import ModelData, cell_limits
from allocator.errors import InfeasibleError
from allocator.lp import Block
from allocator.model import INF, LinearProgram
from allocator.registry import REPORT_TOL, Family
from allocator.solvers import solve_lp
from allocator.status import Status

#: Slacks shared across years come first (a bed space or a cap raised once), then one per row.
_PER_ORDER = {"area_cohort": 0, "area": 1, "row": 2}


@dataclass(frozen=True)
class Slack:
    """The slack columns ``start`` .. ``start + size`` the elastic model gives one side of a family."""

    family: Family
    side: str
    start: int
    size: int
    block: Block | None


def _relaxable(d: ModelData, lp: LinearProgram) -> list[Family]:
    """The families in ``lp`` that a lever may relax, in the order their slack columns are laid out."""
    order = {lv.name: k for k, lv in enumerate(registry.levers())}
    found = [f for f in registry.FAMILIES if f.lever is not None and f.present(d, lp)]
    return sorted(found, key=lambda f: (_PER_ORDER[f.per], order[f.lever.name]))


def _elastic(d: ModelData, lp: LinearProgram, active: set[str]) -> tuple[LinearProgram, list[Slack]]:
    """The model with slack on every family with a lever; slack of inactive levers is fixed at 0.

    A family of rows gets a slack column on each side it relaxes (coefficient -1 above the
    upper bound, +1 below the lower), one per row, or one per area shared by its rows. A rule
    folded into the stock bounds becomes rows (stock - slack <= its limit) on the cells it
    applies to, its bound lifted, one slack per area (and cohort).
    """
    n_a, n_t, n_h = d.shape
    m, n = lp.A.shape
    limits = cell_limits(d)
    stock0 = lp.variables["stock"].start
    col_upper = lp.col_upper.copy()
    extra: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []        # (rows, slack columns, coefficients)
    new_rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []     # (stock columns, slack columns, upper)
    slacks: list[Slack] = []
    next_col = n
    for family in _relaxable(d, lp):
        if family.kind == "bound":
            mask, limit = family.bound(d, limits)
            cells = np.flatnonzero(np.broadcast_to(mask, (n_a, n_t, n_h)).ravel())
            a, _, h = np.unravel_index(cells, (n_a, n_t, n_h))
            size = n_a * n_h if family.per == "area_cohort" else n_a
            col_upper[stock0 + cells] = INF
            new_rows.append((stock0 + cells, next_col + (a * n_h + h if family.per == "area_cohort" else a),
                             np.broadcast_to(limit, (n_a, n_t, n_h)).ravel()[cells]))
            slacks.append(Slack(family, "upper", next_col, size, None))
            next_col += size
            continue
        block = lp.rows[family.name]
        rows = np.arange(block.start, block.start + block.size)
        for side in family.sides:
            size = n_a if family.per == "area" else block.size
            cols = next_col + (block.index["area"] if family.per == "area" else np.arange(block.size))
            extra.append((rows, cols, np.full(rows.size, -1.0 if side == "upper" else 1.0)))
            slacks.append(Slack(family, side, next_col, size, block))
            next_col += size

    n_total = next_col
    coo = lp.A.tocoo()
    top = sp.coo_matrix((np.concatenate([coo.data] + [c for _, _, c in extra]),
                         (np.concatenate([coo.row] + [r for r, _, _ in extra]),
                          np.concatenate([coo.col] + [c for _, c, _ in extra]))), shape=(m, n_total))
    k = sum(cols.size for cols, _, _ in new_rows)
    r_rows = np.repeat(np.arange(k), 2)
    r_cols = np.stack([np.concatenate([c for c, _, _ in new_rows] or [np.zeros(0, int)]),
                       np.concatenate([s for _, s, _ in new_rows] or [np.zeros(0, int)])], 1).ravel()
    bottom = sp.coo_matrix((np.tile([1.0, -1.0], k), (r_rows, r_cols)), shape=(k, n_total))
    A = sp.vstack([top, bottom], format="csr")

    slack_upper = np.zeros(n_total - n)
    costs = np.zeros(n_total - n)
    for slack in slacks:
        if slack.family.lever.name in active:
            slack_upper[slack.start - n:slack.start - n + slack.size] = INF
            costs[slack.start - n:slack.start - n + slack.size] = 0.0 if slack.family.follows else 1.0
    elastic = LinearProgram(
        c=np.concatenate([np.zeros(n), costs]), A=A,
        col_lower=np.concatenate([lp.col_lower, np.zeros(n_total - n)]),
        col_upper=np.concatenate([col_upper, slack_upper]),
        row_lower=np.concatenate([lp.row_lower, np.full(k, -INF)]),
        row_upper=np.concatenate([lp.row_upper] + [u for _, _, u in new_rows]),
        variables=lp.variables, rows=lp.rows,
        integer=None if lp.integer is None else np.concatenate([lp.integer, np.zeros(n_total - n, bool)]))
    return elastic, slacks


def _levers_in_use(d: ModelData, lp: LinearProgram) -> list[str]:
    """The levers of the families in ``lp``, in the registry's lever order."""
    used = {f.lever.name for f in _relaxable(d, lp)}
    return [lv.name for lv in registry.levers() if lv.name in used]


def _describe(d: ModelData, lp: LinearProgram, slacks: list[Slack], x: np.ndarray, lever: str
              ) -> tuple[list[str], list[dict]]:
    """Each relaxation of ``lever`` (or of every lever: ``"all"``) in the scenario's terms, by its family's words."""
    r = registry.Relaxed(d, x[lp.variables["stock"].slice].reshape(d.shape), cell_limits(d), lp=lp, x=x)
    lines: list[str] = []
    found: list[dict] = []
    for slack in slacks:
        if lever not in (slack.family.lever.name, "all") or slack.family.follows:
            continue
        describe = slack.family.describe or registry.describe_rows
        more, items = describe(r, slack.family, slack.side, x[slack.start:slack.start + slack.size], slack.block)
        lines += more
        found += items
    return lines, found


def lever_titles() -> dict[str, str]:
    """Each lever's option heading, by name, and ``all`` for every lever together."""
    return {**{lv.name: lv.title for lv in registry.levers()}, "all": "all levers together"}


def _two_phase(d: ModelData, lp: LinearProgram, active: set[str]) -> tuple[float, np.ndarray, dict] | None:
    """Smallest total relaxation, then the cheapest plan (scenario objective) among those.

    Phase 1 minimises the slack of the active levers. Phase 2 keeps the slack at that
    minimum and minimises the scenario's own objective, so that where and when the extra
    places are used is the plan the scenario would choose, not an arbitrary one.
    """
    elastic, meta = _elastic(d, lp, active)
    raw = solve_lp(elastic, solver="highs")
    if raw.status != Status.OPTIMAL:
        return None
    total = float(raw.objective)
    slack = elastic.c > 0
    cap_row = sp.csr_matrix(slack.astype(float)[None, :])
    phase2 = LinearProgram(
        c=np.concatenate([lp.c, np.zeros(elastic.num_col - lp.num_col)]), A=sp.vstack([elastic.A, cap_row], format="csr"),
        col_lower=elastic.col_lower, col_upper=elastic.col_upper,
        row_lower=np.append(elastic.row_lower, -INF), row_upper=np.append(elastic.row_upper, total * (1 + 1e-9) + 1e-6),
        variables=lp.variables, rows=lp.rows, integer=elastic.integer)
    raw2 = solve_lp(phase2, solver="highs")
    x = raw2.x if raw2.status == Status.OPTIMAL else raw.x
    return total, x, meta


def _amounts(d: ModelData, slacks: list[Slack], x: np.ndarray, lever: str) -> str:
    """How much ``lever`` gives way, in its unit, for an option's heading: by year where its slack is one per
    row of a year (people in different years do not add up: "583 people in 2027, 5,088 in 2028"), in all
    where it is one per area, shared by every year (bed spaces, a cap raised: these add up over areas)."""
    by_year = np.zeros(d.shape[1])
    shared = 0.0
    for slack in slacks:
        if slack.family.lever.name != lever or slack.family.follows:
            continue
        value = x[slack.start:slack.start + slack.size]
        if slack.family.per == "row" and slack.block is not None and "year" in slack.block.index:
            np.add.at(by_year, slack.block.index["year"], value)
        else:
            shared += float(value.sum())
    unit = next(lv.unit for lv in registry.levers() if lv.name == lever)
    years = [f"{v:,.0f} in {int(d.years[t])}" for t, v in enumerate(by_year) if v > REPORT_TOL]
    parts = [f"{shared:,.0f} {unit}"] if shared > REPORT_TOL else []
    if years:
        parts.append(f"{years[0].replace(' in ', f' {unit} in ', 1)}{''.join(', ' + y for y in years[1:])}")
    return "; ".join(parts)


def _lever_years(d: ModelData, lp: LinearProgram) -> dict[str, set[int]]:
    """The years each lever's rules act on in this scenario: a row family's rows' years (every year where its
    rows are not by year), a bound's cells' years (a contingency ceiling set for 2029 only acts on 2029)."""
    limits = cell_limits(d)
    found: dict[str, set[int]] = {}
    for family in _relaxable(d, lp):
        if family.follows:
            continue
        if family.kind == "bound":
            t = np.flatnonzero(np.broadcast_to(family.bound(d, limits)[0], d.shape).any(axis=(0, 2)))
        else:
            index = lp.rows[family.name].index
            t = np.unique(index["year"]) if "year" in index else np.arange(d.shape[1])
        found.setdefault(family.lever.name, set()).update(int(d.years[k]) for k in t)
    return found


def diagnose_infeasible(d: ModelData, lp: LinearProgram) -> InfeasibleError:
    """Explain an infeasible scenario by the smallest relaxation of each policy lever."""
    levers = _levers_in_use(d, lp)
    options: list[tuple[str, str, list[str], list[dict]]] = []     # lever, amounts, lines, relaxations
    not_enough: list[str] = []
    for lever in levers:
        solved = _two_phase(d, lp, {lever})
        if solved is None:
            not_enough.append(lever)
            continue
        _, x, meta = solved
        lines, found = _describe(d, lp, meta, x, lever)
        options.append((lever, _amounts(d, meta, x, lever), lines, found))
    if not options:
        solved = _two_phase(d, lp, set(levers))
        if solved is not None:
            _, x, meta = solved
            lines, found = _describe(d, lp, meta, x, "all")
            options.append(("all", "", lines, found))
    if not options:
        return InfeasibleError("the scenario is infeasible and no relaxation of its policy levers makes it "
                               "feasible; please report this scenario as a bug")
    hard_levers = {lv.name for lv in registry.levers() if lv.hard}
    hard = [f for _, _, _, fs in options for f in fs if f["lever"] in hard_levers]
    years = sorted({f["year"] for f in (hard or [f for _, _, _, fs in options for f in fs]) if f.get("year") is not None})
    text = [f"the hard rules cannot all hold (constraint families: {', '.join(_family_names(d, lp))}; "
            f"years in conflict: {', '.join(map(str, years)) or 'all'}). Smallest changes that would make a plan possible,"
            " one lever at a time:"]
    titles = lever_titles()
    for n, (lever, amounts, lines, _) in enumerate(options, 1):
        text.append(f"  Option {n}: {titles[lever]}" + (f" ({amounts})" if amounts else ""))
        text += [f"    * {line}" for line in lines[:15]]
        if len(lines) > 15:
            text.append(f"    * ... and {len(lines) - 15} more")
    acting = _lever_years(d, lp)            # a lever with no rule in the years in conflict is no way out
    not_enough = [lv for lv in not_enough if not years or acting.get(lv, set()) & set(years)]
    if not_enough:
        text.append("  Not enough on its own: " + ", ".join(titles[lv] for lv in not_enough) + ".")
    relaxations = [dict(f, option=lever) for lever, _, _, fs in options for f in fs]
    return InfeasibleError("\n".join(text), relaxations)


def _family_names(d: ModelData, lp: LinearProgram) -> list[str]:
    """The families in ``lp`` that a lever may relax, in the order of their levers."""
    order = {lv.name: k for k, lv in enumerate(registry.levers())}
    return [f.name for f in sorted(_relaxable(d, lp), key=lambda f: order[f.lever.name]) if not f.follows]

r"""Why is my number N: what limited each area's allocation, and what one more place is worth.

For every area, year (and cohort) the plan records in ``allocations.csv``:

``limited_by``
    the rules that hold the number where it is, recomputed from the exact plan
    and the prepared data (a tolerance of 1e-6 people):

    ==========================  ==============================================================
    reason                      when
    ==========================  ==============================================================
    ``excluded``                the area takes no new placements (status ``excluded``)
    ``not yet available``       a volunteered area before its ``available_from`` year
    ``inherited over cap``      today's people, still above the cluster cap, only decline
    ``cluster limit``           total stock is at ``floor(population / cluster_limit)``
    ``capacity``                stock is at today's capacity and the area procures nothing
    ``procurement pace``        stock is at capacity + ``procurement_per_year`` × years open
    ``growth limit``            the ``max_growth`` row is tight
    ``agreement``               an agreed minimum or maximum is tight
    ``exits only``              no new placements: the stock is what stays of last year's people
                                (nobody is moved out of an area, so it cannot be lower)
    ``fair share reached``      stock equals the fair share (with an l1 equity term)
    ``demand met``              nobody is left in contingency that year: no one else to place
    ``cost``                    none of the above: cheaper places were used first
    ==========================  ==============================================================

``shadow_price``
    £ per year that one more place allowed in that area and year would save (the
    dual value of the tight upper limit: the reduced cost of the stock variable at
    its bound, or the dual of the tight growth, cluster or agreement row). Blank
    where no upper limit is tight, or where the solver gives no duals (PuLP).
"""

from __future__ import annotations

import difflib
import re

import numpy as np

from allocator.data import ModelData
from allocator.errors import ScenarioError
from allocator.model import LinearProgram

TOL = 1e-6


def _row_state(lp: LinearProgram, x: np.ndarray, dual: np.ndarray | None, family: str,
               shape: tuple[int, int], upper: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(A,T) masks of rows of ``family`` at their upper (or lower) bound, and their saving per unit."""
    tight = np.zeros(shape, bool)
    saving = np.full(shape, np.nan)
    block = lp.rows.get(family)
    if block is None:
        return tight, saving
    rows = slice(block.start, block.start + block.size)
    activity = lp.A[rows] @ x
    bound = (lp.row_upper if upper else lp.row_lower)[rows]
    scale = np.maximum(1.0, np.abs(bound))
    at = np.isfinite(bound) & (np.abs(activity - bound) <= TOL * scale)
    a, t = block.index["area"], block.index["year"]
    tight[a[at], t[at]] = True
    if dual is not None:
        saving[a[at], t[at]] = np.abs(dual[rows][at])
    return tight, saving


def binding(d: ModelData, lp: LinearProgram, x: np.ndarray, row_dual: np.ndarray | None,
            col_dual: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``limited_by`` text (A,T,H) and ``shadow_price`` (A,T,H) for the exact solution ``x``."""
    n_a, n_t, n_h = d.shape
    S = lp.value(x, "stock").reshape(n_a, n_t, n_h)
    total = S.sum(axis=2)
    C = lp.value(x, "contingency").reshape(n_t, n_h).sum(axis=1)
    scale = np.maximum(1.0, np.abs(S))
    reasons = [[[[] for _ in range(n_h)] for _ in range(n_t)] for _ in range(n_a)]

    def mark(mask: np.ndarray, text: str) -> None:
        mask = np.broadcast_to(mask, (n_a, n_t, n_h))
        for i, t, h in zip(*np.nonzero(mask)):              # only the cells that carry this reason
            reasons[i][t][h].append(text)

    eligible = d.eligible[:, :, None]
    mark(d.excluded[:, None, None] & np.ones((1, n_t, 1), bool), "excluded")
    mark(~eligible & ~d.excluded[:, None, None], "not yet available")
    inherited_over = (d.inherited.sum(axis=2) > d.cluster_cap[:, None] + TOL)[:, :, None]
    mark(eligible & inherited_over, "inherited over cap")
    at_cap = (total >= d.cluster_cap[:, None] - TOL * np.maximum(1, total))[:, :, None]
    mark(eligible & at_cap & ~inherited_over, "cluster limit")
    at_capacity = eligible & (S >= d.capacity_path - TOL * scale)
    procures = (d.procurement > 0)[:, None, :]
    mark(at_capacity & ~procures, "capacity")
    mark(at_capacity & procures, "procurement pace")
    growth_tight, growth_saving = _row_state(lp, x, row_dual, "max_growth", (n_a, n_t))
    mark(growth_tight[:, :, None], "growth limit")
    ag_hi, ag_hi_saving = _row_state(lp, x, row_dual, "agreement", (n_a, n_t), upper=True)
    ag_lo, _ = _row_state(lp, x, row_dual, "agreement", (n_a, n_t), upper=False)
    mark((ag_hi | ag_lo)[:, :, None], "agreement")
    prev = np.concatenate([d.stock0[:, None, :], S[:, :-1, :]], axis=1)
    floor = (1.0 - d.exit_rate)[None, None, :] * prev
    mark(eligible & ~inherited_over & (prev > TOL) & (S <= floor + TOL * scale), "exits only")
    cluster_tight, cluster_saving = _row_state(lp, x, row_dual, "cluster_limit", (n_a, n_t))
    if "fair_share" in lp.rows:
        fair = d.share() * (d.need.sum(axis=1) - C)[None, :]
        mark(eligible & (np.abs(total - fair) <= TOL * np.maximum(1, fair))[:, :, None], "fair share reached")

    text = np.empty((n_a, n_t, n_h), dtype=object)
    for i in range(n_a):                                     # assemble strings (A·T·H small lists)
        for t in range(n_t):
            for h in range(n_h):
                found = reasons[i][t][h]
                if not found:
                    found = ["demand met"] if C[t] <= TOL * max(1.0, d.need[t].sum()) else ["cost"]
                text[i, t, h] = "; ".join(found)

    shadow = np.full((n_a, n_t, n_h), np.nan)
    if col_dual is not None:
        rc = lp.value(col_dual, "stock").reshape(n_a, n_t, n_h)
        ub = lp.value(lp.col_upper, "stock").reshape(n_a, n_t, n_h)
        at_ub = np.isfinite(ub) & (S >= ub - TOL * scale) & eligible
        shadow = np.where(at_ub, np.maximum(-rc, 0.0), np.nan)
    for saving in (growth_saving, cluster_saving, ag_hi_saving):
        extra = np.broadcast_to(saving[:, :, None], shadow.shape)
        shadow = np.where(np.isnan(shadow), extra, shadow)
    return text, np.round(shadow, 2)


REASON_WORDS = {
    "excluded": "the area is not a dispersal area (status excluded): it takes no new placements",
    "not yet available": "the area has volunteered but opens later (available_from)",
    "inherited over cap": "people already there exceed the cluster cap, so nobody new is placed until exits bring it under",
    "cluster limit": "it is at the cluster cap (one supported person per cluster_limit residents)",
    "capacity": "it is at today's capacity and the area procures no new bed spaces",
    "procurement pace": "it is at capacity: today's bed spaces plus the most that can be procured each year",
    "growth limit": "it grew as fast as policy.max_growth allows",
    "agreement": "an agreed allocation fixes or bounds this number",
    "fair share reached": "it is exactly at its fair share of the national total",
    "exits only": "nobody new was placed: these are the people still there from last year (nobody is moved out)",
    "demand met": "nobody is left in hotels that year: the number balances cost against fairness between areas",
    "cost": "places elsewhere were cheaper (in cost and fairness) for the people still in hotels",
}


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _contains_words(name: str, query: list[str]) -> bool:
    """``query`` appears in ``name`` as whole consecutive words ("Hull" in "Kingston upon Hull, City of")."""
    words = _words(name)
    n = len(query)
    return n > 0 and any(words[i:i + n] == query for i in range(len(words) - n + 1))


def find_area(allocations, query: str, where: str = "the plan") -> str:
    """The ``area_code`` that ``query`` names in a plan's allocations table.

    Tried in turn, each case-insensitively: the area code; the full area name; then the names
    that start with ``query`` or contain it as whole words ("Glasgow" finds "Glasgow City").
    Raises :class:`ScenarioError` listing the candidates when several areas match, or suggesting
    the closest names and codes (difflib) when none does.
    """
    areas = allocations.drop_duplicates("area_code")
    codes = areas["area_code"].astype(str).tolist()
    names = areas["area_name"].astype(str).tolist()
    q = " ".join(query.split()).casefold()
    for keys in ([c.casefold() for c in codes], [" ".join(n.split()).casefold() for n in names]):
        hits = [i for i, k in enumerate(keys) if k == q]
        if len(hits) == 1:
            return codes[hits[0]]
    hits = [i for i, n in enumerate(names) if n.casefold().startswith(q) or _contains_words(n, _words(q))] if q else []
    if len(hits) == 1:
        return codes[hits[0]]
    if hits:
        shown = ", ".join(f"{names[i]} ({codes[i]})" for i in hits[:10])
        more = f" and {len(hits) - 10} more" if len(hits) > 10 else ""
        raise ScenarioError(f"'{query}' matches {len(hits)} areas in {where}: {shown}{more}; "
                            "give the area code or more of the name", file="command line")
    by_key = {n.casefold(): f"{n} ({c})" for c, n in zip(codes, names)}
    by_key.update({c.casefold(): f"{n} ({c})" for c, n in zip(codes, names)})
    close = list(dict.fromkeys(by_key[k] for k in difflib.get_close_matches(q, list(by_key), n=5, cutoff=0.6)))
    hint = f"; did you mean {', '.join(close)}?" if close else "; give an area code or name from allocations.csv"
    raise ScenarioError(f"no area '{query}' in {where}{hint}", file="command line")


def explain_area(allocations, code: str) -> list[str]:
    """Plain-words lines for one area of a written plan (``allocations.csv`` as a DataFrame)."""
    rows = allocations[allocations["area_code"].astype(str) == code]
    if rows.empty:
        rows = allocations[allocations["area_name"].astype(str).str.lower() == code.lower()]
    if rows.empty:
        return []
    first = rows.iloc[0]
    lines = [f"{first['area_name']} ({first['area_code']}), {first['region']}: cluster cap {int(first['cap']):,} people."]
    for year, group in rows.groupby("year", sort=True):
        stock, placed = int(group["stock"].sum()), int(group["placements"].sum())
        fair = float(group["fair_share"].iloc[0])
        capacity = int(group["capacity"].sum())
        lines.append(f"{year}: {stock:,} people ({placed:,} newly placed; capacity {capacity:,}; fair share {fair:,.0f}).")
        for _, row in group.iterrows():
            prefix = f"  [{row['cohort']}] " if "cohort" in group.columns else "  "
            reasons = [r.strip() for r in str(row.get("limited_by", "")).split(";") if r.strip()]
            for r in reasons:
                lines.append(f"{prefix}Why: {REASON_WORDS.get(r, r)}.")
            price = row.get("shadow_price")
            if price is not None and price == price and price != "":
                lines.append(f"{prefix}One more place allowed here in {year} would save £{float(price):,.0f}.")
    return lines

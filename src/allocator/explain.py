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
    ``fair share reached``      stock equals the fair share (with an l1 or progressive equity term)
    ``above a fair-share step`` stock is at or above a step of the progressive measure
    ``previous plan``           a re-plan keeps the previous plan's number (``stability_weight``)
    ``demand met``              nobody is left in contingency that year: no one else to place
    ``cost``                    none of the above: cheaper places were used first
    ==========================  ==============================================================

``shadow_price``
    £ that one more place allowed in that area and year (that year's limit alone one
    person higher) would save over the whole plan: the fall in the objective (cost,
    hotels and the equity term, summed over every year of the plan), not £ a year.
    The person placed stays on into later years until they leave support, so it can
    be more than a year in a hotel. It is the dual value of the tight upper limit: the
    reduced cost of the stock variable at its bound, or the dual of the tight growth,
    cluster or agreement row. Blank where no upper limit is tight, or where the solver
    gives no duals (PuLP).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from allocator import registry
from allocator.data import ModelData
from allocator.errors import CommandLineError, given_issue
from allocator.model import LinearProgram

TOL = registry.TOL

#: The reasons when no rule binds: whether anyone is left in hotels that year.
NOTHING_BINDS = {
    "demand met": "nobody is left in hotels that year: the number balances cost against fairness between areas",
    "cost": "places elsewhere were cheaper (in cost and fairness) for the people still in hotels",
}


def binding(d: ModelData, lp: LinearProgram, x: np.ndarray, row_dual: np.ndarray | None,
            col_dual: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``limited_by`` text (A,T,H) and ``shadow_price`` (A,T,H) for the exact solution ``x``.

    The reasons are those of the registry's families (:func:`allocator.registry.reasons`), in
    their order: each where its ``binds`` holds, or where the family's rows are tight.
    """
    n_a, n_t, n_h = d.shape
    s = registry.Solved(d, lp, x, row_dual)
    tags = list(registry.reasons().items())
    bits = np.zeros((n_a, n_t, n_h), np.int64)               # bit k: reason k holds the cell
    for k, (tag, pairs) in enumerate(tags):
        for family, reason in pairs:
            held = reason.binds(s) if reason.binds is not None else s.tight(family.name, family.sides)[0]
            bits |= np.broadcast_to(held, bits.shape).astype(np.int64) << k
    patterns, inverse = np.unique(bits, return_inverse=True)
    words = np.array(["; ".join(tag for k, (tag, _) in enumerate(tags) if p >> k & 1) for p in patterns], dtype=object)
    text = words[inverse.reshape(-1)].reshape(n_a, n_t, n_h)
    met = s.C <= TOL * np.maximum(1.0, d.need.sum(axis=1))                 # (T,) nobody left in hotels
    free = bits == 0
    text[free] = np.array(["cost", "demand met"], dtype=object)[np.broadcast_to(met[None, :, None], free.shape)[free] * 1]

    shadow = np.full((n_a, n_t, n_h), np.nan)
    if col_dual is not None:
        rc = lp.value(col_dual, "stock").reshape(n_a, n_t, n_h)
        ub = lp.value(lp.col_upper, "stock").reshape(n_a, n_t, n_h)
        at_ub = np.isfinite(ub) & (s.S >= ub - TOL * s.scale) & s.eligible
        shadow = np.where(at_ub, np.maximum(-rc, 0.0), np.nan)
    for family in registry.FAMILIES:                        # the duals of tight upper limits on a total
        if family.shadow:
            saving = s.tight(family.name, ("upper",))[1]
            shadow = np.where(np.isnan(shadow), saving, shadow)
    return text, np.round(shadow, 2)


class _ReasonWords(Mapping):
    """Every reason's plain words: the registry's families', then :data:`NOTHING_BINDS`; read
    from the registry when used, so a family registered later is explained too."""

    def _words(self) -> dict[str, str]:
        words = {tag: pairs[0][1].words for tag, pairs in registry.reasons().items()}
        return {**words, **NOTHING_BINDS}

    def __getitem__(self, tag: str) -> str:
        return self._words()[tag]

    def __iter__(self) -> Iterator[str]:
        return iter(self._words())

    def __len__(self) -> int:
        return len(self._words())


REASON_WORDS: Mapping[str, str] = _ReasonWords()


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
    Raises :class:`~allocator.errors.CommandLineError` (exit code 2) naming the AREA argument and listing the
    candidates when several areas match, or suggesting the closest names and codes (difflib) when none does.
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
        raise CommandLineError(given_issue("AREA", None, f"'{query}' matches {len(hits)} areas in {where}: "
                                                         f"{shown}{more}; give the area code or more of the name"))
    by_key = {n.casefold(): f"{n} ({c})" for c, n in zip(codes, names)}
    by_key.update({c.casefold(): f"{n} ({c})" for c, n in zip(codes, names)})
    close = list(dict.fromkeys(by_key[k] for k in difflib.get_close_matches(q, list(by_key), n=5, cutoff=0.6)))
    hint = f"; did you mean {', '.join(close)}?" if close else "; give an area code or name from allocations.csv"
    raise CommandLineError(given_issue("AREA", None, f"no area '{query}' in {where}{hint}"))


def explain_area(allocations, code: str, start=None, basis: str | None = None) -> list[str]:
    """Plain-words lines for one area of a written plan (``allocations.csv`` as a DataFrame; ``start`` its
    start.csv, whose figures some reasons quote; ``basis`` the plan's pressure basis, None: dispersal alone)."""
    rows = allocations[allocations["area_code"].astype(str) == code]
    if rows.empty:
        rows = allocations[allocations["area_name"].astype(str).str.lower() == code.lower()]
    if rows.empty:
        return []
    first = rows.iloc[0]
    known = start is not None and (start["area_code"].astype(str) == str(first["area_code"])).any()
    start_row = start[start["area_code"].astype(str) == str(first["area_code"])].iloc[0].to_dict() if known else None
    by_tag = {tag: pairs[0][1] for tag, pairs in registry.reasons().items()}
    span = f"{int(rows['year'].min())}–{int(rows['year'].max())}"
    lines = [f"{first['area_name']} ({first['area_code']}), {first['region']}: cluster cap {int(first['cap']):,} people."]
    totals = _basis_totals(rows)
    for year, group in rows.groupby("year", sort=True):
        facts = _facts(int(year), group, basis, start_row, totals)
        lines.append(_year_line(facts, group))
        for _, row in group.iterrows():
            prefix = f"  [{row['cohort']}] " if "cohort" in group.columns else "  "
            reasons = [r.strip() for r in str(row.get("limited_by", "")).split(";") if r.strip()]
            for r in reasons:
                words = by_tag[r].say(facts) if r in by_tag else REASON_WORDS.get(r, r)
                lines.append(f"{prefix}Why: {words}.")
            price = row.get("shadow_price")
            if price is not None and price == price and price != "":
                if round(abs(float(price))) == 0:   # tight, but relaxing it alone changes no cost (degenerate)
                    lines.append(f"{prefix}One more place allowed here in {year} would save nothing on its own "
                                 "(another rule would hold the plan where it is).")
                else:
                    lines.append(f"{prefix}One more place allowed here in {year} would save £{float(price):,.0f} over "
                                 f"the whole plan, {span} (not a yearly figure: the person placed stays on into "
                                 "later years).")
    return lines


def reason_cells(allocations, start=None, basis: str | None = None) -> pd.Series:
    """Each area and year's ``limited_by`` as a table cell gives it (a re-plan's changes.csv ``why``): the reasons
    joined by ", ", each with its figures in brief where its :class:`~allocator.records.Reason` has any
    (``tag: figures``, from the area's rows of ``allocations`` and its ``start`` row). Indexed by area_code and year."""
    rows = allocations.groupby(["area_code", "year"], sort=False)
    tags = rows["limited_by"].first().map(lambda text: [r.strip() for r in str(text).split(";") if r.strip()])
    by_tag = {tag: pairs[0][1] for tag, pairs in registry.reasons().items()}
    out = tags.map(", ".join)
    briefed = tags.map(lambda ts: any(by_tag[t].brief is not None for t in ts if t in by_tag))
    starts = {} if start is None else {str(r["area_code"]): r for r in start.to_dict(orient="records")}
    totals = _basis_totals(allocations)
    for (code, year) in out.index[briefed.to_numpy()]:             # the few cells with figures to give
        facts = _facts(int(year), rows.get_group((code, year)), basis, starts.get(str(code)), totals)
        out[(code, year)] = ", ".join(by_tag[t].cell(facts) if t in by_tag else t for t in tags[(code, year)])
    return out


def _basis_totals(allocations) -> pd.Series | None:
    """Each area's total on the pressure basis by area_code and year (``basis_total``, on each cohort row of the
    area), with the plan's first year as ``attrs["first"]``; None on the dispersal basis."""
    if "basis_total" not in allocations.columns:
        return None
    totals = allocations.groupby([allocations["area_code"].astype(str), "year"], sort=False)["basis_total"].first()
    totals.attrs["first"] = int(allocations["year"].min())
    return totals


def _facts(year: int, group, basis: str | None, start: dict | None, totals: pd.Series | None = None) -> registry.Facts:
    """The figures of one area and year (its rows of allocations.csv, one per cohort) reasons may quote; ``totals``
    (:func:`_basis_totals`) gives its total on the basis at the end of the year before (start.csv's at the start)."""
    stock = int(group["stock"].sum())
    on_basis = "basis_total" in group.columns                  # the fair share is of the total on the basis
    first = None if totals is None else totals.attrs["first"]
    code = str(group["area_code"].iloc[0])
    before = (start.get("basis_total") if year == first and start is not None
              else totals.get((code, year - 1)) if totals is not None else None)
    return registry.Facts(year=year, stock=stock, fair=float(group["fair_share"].iloc[0]),
                          held=int(group["basis_total"].iloc[0]) if on_basis else stock,
                          basis=basis if on_basis else None,
                          in_hotels=int(group["contingency"].iloc[0]) if "contingency" in group.columns else None,
                          start=start, first=first, before=None if before is None or pd.isna(before) else int(before))


def _year_line(f: registry.Facts, group) -> str:
    """A year's line: people in dispersal, placed, left, capacity, fair share (on the pressure basis beside the
    area's total on it, where the plan has one) and its hotels."""
    placed, capacity = int(group["placements"].sum()), int(group["capacity"].sum())
    hotels = ""
    if "hotel_places" in group.columns and int(group["hotel_places"].iloc[0]) > 0:   # area-level, on each cohort row
        hotels = f"; {f.in_hotels:,} in its hotels, {int(group['hotel_places'].iloc[0]):,} hotel places open"
    left = f", {int(group['exits'].sum()):,} left support" if "exits" in group.columns else ""
    if f.basis is None:
        return f"{f.year}: {f.stock:,} people ({placed:,} newly placed{left}; capacity {capacity:,}; fair share {f.fair:,.0f}{hotels})."
    return (f"{f.year}: {f.stock:,} people in dispersal ({placed:,} newly placed{left}; capacity {capacity:,}{hotels}); "
            f"{f.held:,} on the pressure basis ({f.basis}), fair share {f.fair:,.0f} on that basis.")

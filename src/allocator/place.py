"""Place-based plans (scenario format v2): hotels located by area, the pressure basis, protection.

Everything here is off unless its key or column is given; a v1 scenario gets none of it.

* Loading (called by :mod:`allocator.scenario`): :func:`basis_specs` (the ``policy.pressure_basis``
  columns become required whole counts), :func:`check_areas` and :func:`check_start` (the
  cross-checks of the new columns and keys), each returning the problems found as ``Issue``\\ s.
* Preparing (called by :func:`allocator.data.prepare`): :func:`prepare_place`, the ``ModelData``
  fields of the hotels, the pressure basis and protection.
* Reading a solution: :class:`Hotels` and :func:`hotel_solution`, the people in contingency by
  area, the open hotel places and the new contingency of a solved linear program.

The mathematics is in docs/model.md ("Hotels by area", "Pressure basis", "Protection").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from allocator.errors import Issue

DISPERSAL, SUPPORTED = "dispersal", "supported"
#: The fixed-count column of the ``supported`` basis.
INITIAL = "initial"
#: Tolerance (people) for an area to count as over its cap by inheritance.
TOL = 1e-9
#: The people a fixed-count column of the pressure basis counts, in words ("65 in initial accommodation"); a
#: column of the scenario's own counts people supported under another programme.
FIXED_WORDS = {INITIAL: "in initial accommodation"}


# --------------------------------------------------------------------------- loading
def basis_names(config: Any, columns: Any) -> list[str]:
    """The areas columns whose fixed counts :math:`F_i` are on the pressure basis (``columns``: the table's)."""
    basis = config.policy.pressure_basis
    if basis == DISPERSAL:
        return []
    if basis == SUPPORTED:
        return [INITIAL] if INITIAL in columns else []
    return list(basis)


def fixed_words(basis: str | None) -> str:
    """Who a pressure basis counts besides dispersal and the area's hotels (its fixed counts), in words, from the
    basis as a plan names it (``supported``, ``dispersal+contingency+initial+x_afghan``): "in initial
    accommodation", "in initial accommodation or under other programmes (x_afghan and x_ukraine)"; "" on the
    dispersal basis. No ", " in them: a table cell joins its reasons with it."""
    if basis is None or basis == DISPERSAL:
        return ""
    names = [INITIAL] if basis == SUPPORTED else [n for n in basis.split("+") if n not in (DISPERSAL, "contingency")]
    own = [n for n in names if n not in FIXED_WORDS]
    words = [FIXED_WORDS[n] for n in names if n in FIXED_WORDS] + (
        [f"under other programmes ({' and '.join(own)})"] if own else [])
    return " or ".join(words)


def basis_specs(config: Any, specs: list, label: str, columns: Any, count_column: Any) -> list[Issue]:
    """Make the columns a ``pressure_basis`` list names required whole counts of people in ``specs``
    (the loader's column specs, changed in place; ``count_column(name)`` makes such a spec); the
    problems with the list, as issues."""
    basis = config.policy.pressure_basis
    if not isinstance(basis, list):
        return []
    issues = []
    for k, name in enumerate(basis):
        known = next((c for c in specs if c.name == name), None)
        if name in basis[:k]:
            issues.append(Issue(label, f"policy.pressure_basis names '{name}' twice", field=name))
        elif name not in columns:
            issues.append(Issue(label, "column is missing: policy.pressure_basis counts it", row=1, field=name))
        elif known is None:
            specs.append(count_column(name))
        elif name == INITIAL:
            specs[specs.index(known)] = dataclasses.replace(known, required=True)
        else:
            issues.append(Issue(label, f"policy.pressure_basis names '{name}', which is not a count of people "
                                "supported under another programme (name columns of your own, or 'initial')",
                                field=name))
    return issues


def check_areas(out: pd.DataFrame, config: Any, label: str, lines: np.ndarray, codes: list) -> list[Issue]:
    """The new columns against each other and the keys that use them: every row in question named."""
    issues = []

    def each(column: str, message: str, where: Any = True) -> None:
        for p in np.flatnonzero(out[column].notna().to_numpy() & where):
            issues.append(Issue(label, message, row=int(lines[p]), field=column, area=codes[p] or None))

    for column in ("hotels_close_by", "hotel_places"):
        if column in out and "contingency" not in out:
            each(column, f"{column} needs the column 'contingency' (the people in the area's hotels now)")
    if "hotel_places" in out and "contingency" in out:
        each("hotel_places", "hotel_places is below contingency: the people in the area's hotels need places",
             out["hotel_places"].to_numpy(float) < np.nan_to_num(out["contingency"].to_numpy(float)))
    protect = config.policy.protect
    if "protect" in out and protect is None:
        each("protect", "the protect column needs policy.protect in the scenario (its threshold and rule)")
    if "protect_level" in out:
        forced = out["protect"].map(lambda v: v is True).to_numpy(bool) if "protect" in out else False
        each("protect_level", "protect_level needs protect: true in the same row (the level is the one protection "
                              "holds a protected area to)", ~np.asarray(forced))
        if protect is not None and protect.rule == "no_new_placements":
            each("protect_level", "protect_level is not used by policy.protect.rule no_new_placements (a protected "
                                  "area keeps only the people still there from today): leave it empty, or use the "
                                  "rule no_net_growth or no_rise", np.asarray(forced))
    return issues


def check_start(config: Any, areas: pd.DataFrame, label: str) -> list[Issue]:
    """``demand.contingency_start`` against the ``contingency`` column, the hotel costs without one, and
    ``policy.protect.rule: no_rise``, which needs hotel residents counted on the basis."""
    start = config.demand.contingency_start
    costs = config.costs
    protect = config.policy.protect
    rise = ([] if protect is None or protect.rule != "no_rise" or (
        "contingency" in areas.columns and config.policy.pressure_basis != DISPERSAL) else [
        Issue(label, "rule no_rise needs hotels by area (a 'contingency' column) and a pressure_basis that counts "
                     "them (supported or a list): use no_net_growth or no_new_placements", field="policy.protect.rule")])
    if "contingency" not in areas.columns:
        issues = rise if start is not None else rise + [
            Issue(label, "required key is missing (or give the areas table a 'contingency' column)",
                  field="demand.contingency_start")]
        for key, value in (("new_contingency_per_person_year", costs.new_contingency_per_person_year),
                           ("hotel_place_per_year", costs.hotel_place_per_year or None)):
            if value is not None:
                issues.append(Issue(label, f"costs.{key} is used only with hotels by area: give the areas table "
                                    "a 'contingency' column", field=f"costs.{key}"))
        return issues
    total = float(np.nansum(areas["contingency"].to_numpy(float)))
    if start is not None and abs(start - total) > 1e-6 * max(1.0, total):
        return rise + [Issue(label, f"demand.contingency_start is {start:,.10g} but the column 'contingency' of "
                             f"{config.areas} adds up to {total:,.10g}: leave contingency_start out, or make them agree",
                      field="demand.contingency_start")]
    return rise


def contingency_start(config: Any, areas: pd.DataFrame) -> float:
    """People in contingency at the start: the ``contingency`` column's total when given, else the key."""
    if "contingency" in areas.columns:
        return float(np.nansum(areas["contingency"].to_numpy(float)))
    return float(config.demand.contingency_start)


# --------------------------------------------------------------------------- preparing
def new_contingency_cost(costs: Any) -> float:
    """£ per person-year in new contingency: ``costs.new_contingency_per_person_year``, by default
    ``contingency_per_person_year + hotel_place_per_year``. A new site costs at least what a hotel place
    and its occupant cost: a linear program cannot say "hotels first", so new sites priced below that
    would be filled while hotel places stand open (docs/model.md, "Hotels by area")."""
    new = costs.new_contingency_per_person_year
    return float(costs.contingency_per_person_year + costs.hotel_place_per_year if new is None else new)


def prepare_place(scenario: Any, years: np.ndarray, stock0: np.ndarray, inherited: np.ndarray,
                  cluster_cap: np.ndarray, population: np.ndarray) -> dict[str, Any]:
    """The ``ModelData`` fields of hotels by area, the pressure basis and protection (none for v1)."""
    cfg, df = scenario.config, scenario.areas
    n_a, n_t = len(df), len(years)
    out: dict[str, Any] = {}
    c0 = np.zeros(n_a)
    open_ = np.zeros((n_a, n_t), bool)
    if "contingency" in df.columns:
        c0 = np.nan_to_num(df["contingency"].to_numpy(float))
        places = df["hotel_places"].to_numpy(float) if "hotel_places" in df.columns else np.full(n_a, np.nan)
        close = df["hotels_close_by"].to_numpy(float) if "hotels_close_by" in df.columns else np.full(n_a, np.nan)
        tau = np.where(np.isnan(close), n_t, np.clip(close - years[0], 0, n_t))
        open_ = np.arange(n_t)[None, :] < tau[:, None]
        out.update(hotel0=c0, hotel_places0=np.where(np.isnan(places), c0, places), hotel_open=open_, hotel_place_cost=float(cfg.costs.hotel_place_per_year),
                   new_contingency_cost=new_contingency_cost(cfg.costs))
    basis = cfg.policy.pressure_basis
    names = basis_names(cfg, df.columns)
    counts = basis != DISPERSAL and "contingency" in df.columns
    fixed = (np.nan_to_num(df[names].to_numpy(float)).sum(axis=1) if names else None)   # an empty cell: nobody
    if basis != DISPERSAL:
        out["basis"] = basis if isinstance(basis, str) else "+".join(["dispersal", "contingency", *basis])
    out["basis_hotels"] = counts
    out["basis_fixed"] = fixed
    f = np.zeros(n_a) if fixed is None else fixed
    hotels = c0[:, None] * open_ if counts else np.zeros((n_a, n_t))
    carried = over_carried(df, years)
    if counts or fixed is not None or carried.any():
        out["over_basis"] = (inherited.sum(axis=2) + f[:, None] + hotels > cluster_cap[:, None] + TOL) | carried
    protect = cfg.policy.protect
    if protect is not None:
        start = stock0.sum(axis=1) + (c0 if counts else 0.0) + f
        protected = start / population * 1e4 > protect.above_per_10k
        if "protect" in df.columns:                           # a locally agreed exception, either way
            given = [v if isinstance(v, bool) else None for v in df["protect"].tolist()]
            protected = np.array([p if g is None else g for p, g in zip(protected, given)])
        out.update(protected=protected.astype(bool), protect_rule=protect.rule)
        if "protect_level" in df.columns:                     # on the basis with no_rise: less the fixed counts
            out["protect_level"] = df["protect_level"].to_numpy(float) - (f if protect.rule == "no_rise" else 0.0)
    return out


def over_carried(areas: pd.DataFrame, years: Any) -> np.ndarray:
    """(A,T) bool: the years an area counts as over its cap on the pressure basis by inheritance because the
    areas column ``over_cap_until`` says so (every planning year up to and including it; a re-plan carries
    the previous plan's judgement), whatever its own position."""
    until = areas["over_cap_until"].to_numpy(float) if "over_cap_until" in areas.columns else np.full(len(areas), np.nan)
    return np.asarray(years)[None, :] <= np.nan_to_num(until, nan=-np.inf)[:, None]


# --------------------------------------------------------------------------- reading a solution
@dataclass(frozen=True)
class Hotels:
    """People in contingency by area, open hotel places and new contingency (exact or whole)."""

    located: np.ndarray    # (A,T) people in contingency located in each area, L
    places: np.ndarray     # (A,T) open hotel places, H
    new: np.ndarray        # (T,) new (unlocated) contingency, Q


def hotel_solution(d: Any, lp: Any, x: np.ndarray) -> Hotels | None:
    r"""The hotel columns of a solution ``x`` of ``lp`` as (A,T) and (T,) arrays; None without hotels by area.

    Where an open hotel place costs nothing in the objective, any number of open places from those in
    use up to today's is optimal, and the solver's choice says nothing: the places reported are then
    the fewest the plan needs, those its hotel residents use in that year or later
    (:math:`H_{it} = \max_{\tau \ge t} L_{i\tau}`: still at most today's, never reopening, same cost).
    """
    if "located" not in lp.variables:
        return None
    n_a, n_t, _ = d.shape
    arrays = []
    for name in ("located", "hotel_places"):
        block = lp.variables[name]
        out = np.zeros((n_a, n_t))
        out[block.index["area"], block.index["year"]] = x[block.slice]
        arrays.append(out)
    located, places = arrays
    if d.hotel_place_cost * d.contingency_weight == 0:
        places = np.maximum.accumulate(np.maximum(located, 0.0)[:, ::-1], axis=1)[:, ::-1]
    return Hotels(located, places, np.asarray(lp.value(x, "new_contingency"), float))


# --------------------------------------------------------------------------- reporting
def new_sites_while_empty(d: Any, exact: Hotels | None, traj: pd.DataFrame) -> dict | None:
    """The years with people in new contingency while open hotel places stood empty (``summary.json``
    ``new_sites_while_hotel_places_empty``), with why; None when there are none or no hotels by area.

    Judged on the exact plan (at least half a person of each, so that rounding to whole people never
    makes one up) and reported in the whole people of ``traj`` (trajectory.csv). Why: new sites priced
    no higher than a person in an open hotel place (the place is paid for either way), or, when they
    are dearer, the pressure basis: people in an area's hotels count on it, people in new sites do not
    (docs/model.md, "New sites while hotel places stand empty").
    """
    if exact is None or "empty_hotel_places" not in traj:
        return None
    both = (exact.new > 0.5) & ((exact.places - exact.located).sum(axis=0) > 0.5)
    both &= (traj["new_contingency"].to_numpy() > 0) & (traj["empty_hotel_places"].to_numpy() > 0)
    if not both.any():
        return None
    years = [{"year": int(row.year), "new_contingency": int(row.new_contingency),
              "empty_hotel_places": int(row.empty_hotel_places)} for row in traj[both].itertuples()]
    if d.contingency_weight * d.new_contingency_cost <= d.contingency_weight * d.hotel_cost:
        why = (f"new sites are priced no higher than a person in an open hotel place "
               f"(costs.new_contingency_per_person_year £{d.new_contingency_cost:,.0f}, "
               f"contingency_per_person_year £{d.hotel_cost:,.0f})")
    else:
        why = ("people in an area's hotels count on its pressure basis and people in new sites do not: the "
               "equity term or the cap on the basis outweighed what new sites cost more")
    return {"years": years, "why": why}


def new_sites_line(record: dict) -> str:
    """The headline's one line for :func:`new_sites_while_empty`'s record."""
    years = "; ".join(f"{y['year']}: {y['new_contingency']:,} people in new sites while {y['empty_hotel_places']:,} "
                      "hotel places stood empty" for y in record["years"])
    return f"{years}: {record['why']}."

"""The family registry: one record per rule of the model, read by every part of the engine.

A *family* is a rule of the model: a block of rows built by one ``add_<family>`` function
(:mod:`allocator.families`), or a rule folded into the bounds on the stock variables
(``add_variables``, from :func:`allocator.data.cell_limits`). Its :class:`Family` record says
everything the rest of the engine needs to know about it:

* ``build_lp`` builds the row families in the order of :data:`FAMILIES`, each when its
  ``when(d)`` holds;
* the infeasibility diagnosis (:mod:`allocator.diagnose`) gives slack to every family with a
  ``lever``, on its ``sides``, one slack ``per`` row, area or area and cohort, and words the
  relaxation with its ``describe``;
* ``explain`` (:mod:`allocator.explain`) marks a cell with a family's ``reasons`` where they
  bind (by default: where the family's rows are tight), and takes the dual of its tight rows as
  the shadow price where ``shadow`` is set;
* the price-guided start (:mod:`allocator.solvers._price_start`) solves ``local`` families
  within each area's LP and treats the others by their ``price_start`` role; the time-limit
  fallback (:mod:`allocator.solvers._fallback`) sets national columns by their ``complete``;
* the verifier (:mod:`allocator.verify`) rechecks each family by the rule named ``verifier``,
  recomputed from the scenario (the registry only names it);
* docs/model.md documents each family in the section ``doc`` and in its family table.

Adding a rule is one ``add_`` function, one record here, one verifier rule and one section of
docs/model.md (docs/design.md, "How to add a rule"); ``tests/test_registry.py`` fails when one
is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from allocator import families as fm
from allocator import families_place as fp
from allocator import families_open as fo
from allocator import families_region as fr
from allocator import families_replan as frp
from allocator.data import CellLimits, ModelData
from allocator.lp import Block, LinearProgram
from allocator.opening import opening
from allocator.place import fixed_words, hotel_solution
from allocator.records import (LOCAL, PRICED, REPORT_TOL, TOL, Completion, Facts, Family, Lever,  # noqa: F401
                               PriceStart, Reason, Solved, always)


def _hotels(d: ModelData) -> bool:
    return d.hotel0 is not None


def _hotels_count(d: ModelData) -> bool:
    return d.basis_hotels


def _receives(d: ModelData) -> np.ndarray:
    """(A,T) the cells that may take new placements: eligible and not over the cap on the basis by inheritance."""
    return d.eligible if d.over_basis is None else d.eligible & ~d.over_basis


def _excluded(s: Solved) -> np.ndarray:
    return s.d.excluded[:, None, None] & np.ones((1, s.d.shape[1], 1), bool)


def _not_open(s: Solved) -> np.ndarray:
    return ~s.eligible & ~s.d.excluded[:, None, None]


def _inherited_over_cap(s: Solved) -> np.ndarray:
    return s.eligible & s.over_cap & ~s.over_by_hotels & ~s.over_carried


def _over_by_hotels(s: Solved) -> np.ndarray:
    return s.eligible & s.over_by_hotels


def _over_carried(s: Solved) -> np.ndarray:
    return s.eligible & s.over_carried


#: What the rule over the cap by inheritance does while the start hotel residents keep an area over it.
_OVER_BY_HOTELS = ("over its cap on the pressure basis by inheritance: the people in its hotels at the start count "
                   "on the basis for as long as its hotels may stay open (until its hotels_close_by date; the whole "
                   "plan without one), whatever its hotels hold now, and with them it is over its cap: nobody new is "
                   "placed in dispersal (a hotels_close_by date releases it from that year)")


def _over_by_hotels_figures(f: Facts) -> str:
    """The rule over the cap by inheritance with the area's figures: its start position on the basis (start.csv),
    how long its start hotel residents count (its ``hotels_close_by`` date, if any) and what they hold this year."""
    start = f.start
    if start is None or "contingency" not in start or "basis_total" not in start:
        return ""
    hotels0, total0, stock0, cap = (int(start[k]) for k in ("contingency", "basis_total", "stock", "cap"))
    others = _fixed_count(start)                                         # initial accommodation, ...
    other = f", {others:,} {fixed_words(f.basis)}" if others else ""
    close = start.get("hotels_close_by")
    until = ("it has no hotels_close_by date: every year of the plan" if close is None or pd.isna(close)
             else f"until its hotels_close_by date, {int(close)}")
    now = f"{f.in_hotels:,} in its hotels in {f.year}" if f.in_hotels is not None else f"its hotels in {f.year}"
    return (f"over its cap on the pressure basis by inheritance: at the start it had {total0:,} people on the basis "
            f"({stock0:,} in dispersal, {hotels0:,} in its hotels{other}) against its cap of {cap:,}; the rule counts "
            f"those {hotels0:,} start hotel residents for as long as its hotels may stay open ({until}), whatever "
            f"its hotels hold now ({now}); with them, the {f.stock:,} people left from its start make "
            f"{f.stock + hotels0 + others:,}, over its cap: nobody new is placed in dispersal. A hotels_close_by date "
            "releases it from that year")


def _on_basis(f: Facts) -> str:
    """Where a fair share is held: on the pressure basis, its total there beside its people in dispersal."""
    return "" if f.basis is None else (f" on the pressure basis ({f.basis}): {f.held:,} people on it, "
                                       f"{f.stock:,} of them in dispersal")


def _fair_share_figures(f: Facts) -> str:
    return f"it is exactly at its fair share of the national total{_on_basis(f)}" if f.basis is not None else ""


#: What a step does not decide: councils beyond the same step are alike to the equity term (issue 15, trial 5: two
#: scenarios of the same objective placed 1,698 people differently among such councils).
STEP_TIES = ("; beyond the same step a person weighs the same in equity in every council, so a plan of equal cost "
             "may place people differently among such councils")


def _step_figures(f: Facts) -> str:
    held = f" (it holds {f.held / f.fair:.0%} of its fair share{_on_basis(f)})" if f.fair > 0 else ""
    return FAIR_SHARE_STEP.words + held + STEP_TIES


def _at_cluster_cap(s: Solved) -> np.ndarray:
    cap = s.d.cluster_cap[:, None] - s.d.fixed[:, None]              # on the pressure basis: less the fixed counts
    at_cap = (s.total >= cap - TOL * np.maximum(1, s.total))[:, :, None]
    return s.eligible & at_cap & ~s.over_cap


def _at_capacity(s: Solved, procures: bool) -> np.ndarray:
    at = s.receives & (s.S >= s.limits.capacity - TOL * s.scale)
    return at & ((s.d.procurement > 0)[:, None, :] == procures)


def _protected(rule: str) -> Callable[[Solved], np.ndarray]:
    def binds(s: Solved) -> np.ndarray:
        if s.d.protected is None or s.d.protect_rule != rule:
            return np.zeros((1, 1, 1), bool)
        return s.tight("protection", ("upper",))[0]
    return binds


def _held_no_rise(f: Facts) -> str:
    """Protected with ``no_rise``, in brief and without a comma between figures (a cell lists several reasons,
    joined by ", "): the total on the pressure basis it is held at and the level that holds it, its total at the
    end of the year before (``no_rise``: no year ends above where it started), and its total at the plan's start
    by what it counts (start.csv), so that a rise in dispersal against a previous plan, as its hotels empty, reads
    as what it is. The first year's level is the start's, or the lower level protection holds the area to (a
    re-plan's: the previous plan's start, its areas column ``protect_level``). "" without the plan's start or a
    basis."""
    start = f.start
    if start is None or f.basis is None or "basis_total" not in start:
        return ""
    total0, stock0, others = int(start["basis_total"]), int(start["stock"]), _fixed_count(start)
    hotels0 = total0 - stock0 - others
    parts = " + ".join([f"{stock0:,} in dispersal", *([f"{hotels0:,} in its hotels"] if hotels0 else []),
                        *([f"{others:,} {fixed_words(f.basis)}"] if others else [])])
    began = "the plan's start" + ("" if f.first is None else f" on 31 Dec {f.first - 1}")
    held = f"held at {f.held:,} on its pressure basis"
    if f.first is not None and f.year > f.first:                     # no rise on the year before's level
        apart = "" if f.before in (None, f.held) else (f"{f.before:,} then; the plan's whole-people rounding puts "
                                                        f"them {abs(f.before - f.held)} apart; ")
        return f"{held} as at the end of {f.year - 1} ({apart}{total0:,} at {began}: {parts})"
    if f.held == total0:
        return f"{held} as at {began} ({parts})"
    return f"{held} at its protection level ({total0:,} at {began}: {parts})"


def _fixed_count(start: Mapping[str, Any] | None) -> int | None:
    """An area's fixed counts on the pressure basis (its people in initial accommodation, ...), from its row of
    start.csv: its total on the basis less its dispersal and hotels (the same every year); None without them."""
    if start is None or "basis_total" not in start:
        return None
    hotels = start.get("contingency")
    return int(start["basis_total"]) - int(start["stock"]) - (0 if hotels is None or pd.isna(hotels) else int(hotels))


def _at_basis_cap(f: Facts) -> str:
    """The pressure-basis cap, naming who the plan's basis counts (its fixed counts where the area has any)."""
    others = fixed_words(f.basis) if _fixed_count(f.start) != 0 else ""
    who = f"in dispersal, in its hotels and {others}" if others else "in dispersal and in its hotels"
    return "" if f.basis is None else f"it is at its cap on the pressure basis: its people {who} reach one per " \
                                      "cluster_limit residents"


def _exits_only(s: Solved) -> np.ndarray:
    prev = np.concatenate([s.d.stock0[:, None, :], s.S[:, :-1, :]], axis=1)
    floor = (1.0 - s.d.exit_rate)[None, None, :] * prev
    return s.eligible & ~s.over_cap & (prev > TOL) & (s.S <= floor + TOL * s.scale)


def _fair_share_measure(d: ModelData) -> bool:
    """Whether the fair-share rows are built: an equity term with the ``l1`` or ``progressive`` measure."""
    return d.equity_weight > 0 and d.equity_measure in ("l1", "progressive")


def _at_fair_share(s: Solved) -> np.ndarray:
    if "fair_share" not in s.lp.rows:
        return np.zeros((1, 1, 1), bool)
    if s.d.basis is None:
        fair = s.d.share() * (s.d.need.sum(axis=1) - s.C)[None, :]
        return s.eligible & (np.abs(s.total - fair) <= TOL * np.maximum(1, fair))[:, :, None]
    hotels = hotel_solution(s.d, s.lp, s.x)                 # on the pressure basis: B_it against phi D^B_t
    basis = s.total + s.d.fixed[:, None] + (hotels.located if hotels is not None and s.d.basis_hotels else 0.0)
    fair = s.d.share() * s.lp.value(s.x, "dispersed")[None, :]
    return s.eligible & (np.abs(basis - fair) <= TOL * np.maximum(1, fair))[:, :, None]


def _at_previous(s: Solved) -> np.ndarray:
    """Where the area's total is the previous plan's number (a re-plan's stability term keeps it there)."""
    if s.d.previous is None:
        return np.zeros((1, 1, 1), bool)
    held = np.abs(s.total - s.d.previous) <= TOL * np.maximum(1.0, np.abs(s.total))    # NaN: no number, False
    return (held & ~np.isnan(s.d.previous))[:, :, None]


# --------------------------------------------------------------------------- diagnose: a relaxed plan
@dataclass
class Relaxed:
    """An elastic solution as the diagnosis words it."""

    d: ModelData
    S: np.ndarray              # (A,T,H)
    limits: CellLimits
    lp: LinearProgram | None = None   # the model relaxed, and
    x: np.ndarray | None = None       # the elastic solution (its first columns are the model's)

    @cached_property
    def codes(self) -> np.ndarray:
        return self.d.areas["area_code"].to_numpy()

    @cached_property
    def names(self) -> np.ndarray:
        return self.d.areas["area_name"].to_numpy()

    @cached_property
    def regions(self) -> np.ndarray:
        return self.d.areas["region"].to_numpy()

    def first_year_over(self, a: int) -> int:
        """The first year area ``a`` holds more than its capacity path."""
        over = np.flatnonzero((self.S[a] > self.limits.capacity[a] + 1e-6).any(axis=1))
        return int(self.d.years[over[0]]) if over.size else int(self.d.years[0])


Words = tuple[list[str], list[dict]]
#: one relaxed row's words: (relaxed plan, block, row k, year, amount, side) -> (line, relaxation)
Line = Callable[[Relaxed, Block, int, int, float, str], tuple[str, dict]]


def _per_row(line: Line) -> Callable:
    """A ``describe`` giving ``line(...)`` for each row of the block relaxed by more than ``REPORT_TOL``."""
    def describe(r: Relaxed, fam: Family, side: str, slack: np.ndarray, block: Block | None) -> Words:
        lines, found = [], []
        for k in np.flatnonzero(slack > REPORT_TOL):
            text, item = line(r, block, k, int(r.d.years[block.index["year"][k]]), float(slack[k]), side)
            lines.append(text)
            found.append(item)
        return lines, found
    return describe


def describe_rows(r: Relaxed, fam: Family, side: str, slack: np.ndarray, block: Block | None) -> Words:
    """The default words of a relaxation: one line per relaxed row, naming its area (if any) and year."""
    def line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
        a = block.index["area"][k] if "area" in block.index else None
        where = "" if a is None else f" {r.names[a]} ({r.codes[a]})"
        item = {"lever": fam.lever.name, "family": fam.name, "year": year, "amount": amount, "side": side}
        if a is not None:
            item["area_code"] = str(r.codes[a])
        return f"{fam.name}{where} {year}: allow {amount:,.0f} {'more' if side == 'upper' else 'fewer'} people", item
    return _per_row(line)(r, fam, side, slack, block)


def _describe_capacity(r: Relaxed, fam: Family, side: str, slack: np.ndarray, block: Block | None) -> Words:
    n_a, _, n_h = r.d.shape
    extra = slack.reshape(n_a, n_h).sum(axis=1)
    idx = np.flatnonzero(extra > REPORT_TOL)
    if not idx.size:
        return [], []
    years = [r.first_year_over(a) for a in idx]
    by_region = pd.DataFrame({"region": r.regions[idx], "places": extra[idx], "year": years}).groupby("region").agg(
        places=("places", "sum"), year=("year", "min")).sort_values("places", ascending=False)
    parts = [f"{g} {v.places:,.0f} (used from {int(v.year)})" for g, v in by_region.iterrows()]
    line = f"{extra.sum():,.0f} more bed spaces than capacity and procurement_per_year allow: " + ", ".join(parts)
    return [line], [{"lever": fam.lever.name, "area_code": str(r.codes[a]), "region": str(r.regions[a]), "year": y,
                     "amount": float(extra[a])} for a, y in zip(idx, years)]


def _describe_cluster(r: Relaxed, fam: Family, side: str, slack: np.ndarray, block: Block | None) -> Words:
    idx = np.flatnonzero(slack > REPORT_TOL)
    if not idx.size:
        return [], []
    parts = [f"{r.names[a]} +{slack[a]:,.0f}" for a in idx[np.argsort(-slack[idx])][:8]]
    line = f"cluster caps raised by {slack.sum():,.0f} people in {idx.size} area(s): " + ", ".join(parts)
    return [line], [{"lever": fam.lever.name, "area_code": str(r.codes[a]), "region": str(r.regions[a]), "year": None,
                     "amount": float(slack[a])} for a in idx]


def _describe_protection(r: Relaxed, fam: Family, side: str, slack: np.ndarray, block: Block | None) -> Words:
    idx = np.flatnonzero(slack > REPORT_TOL)
    if not idx.size:
        return [], []
    parts = [f"{r.names[a]} ({r.codes[a]}) +{slack[a]:,.0f}" for a in idx[np.argsort(-slack[idx])][:8]]
    line = (f"protection ({r.d.protect_rule}) lifted by {slack.sum():,.0f} people in {idx.size} area(s): "
            + ", ".join(parts))
    return [line], [{"lever": fam.lever.name, "family": fam.name, "area_code": str(r.codes[a]),
                     "region": str(r.regions[a]), "year": None, "amount": float(slack[a])} for a in idx]


def _ceiling_line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
    c = r.d.ceiling[block.index["year"][k]]
    return (f"{block.name} {year}: ceiling {c:,.0f}, lowest reachable {c + amount:,.0f} ({amount:,.0f} more "
            f"dispersal places needed by the end of {year})",
            {"lever": "ceiling", "family": block.name, "year": year, "ceiling": float(c),
             "lowest_reachable": float(c + amount), "places_short": amount, "amount": amount})


def _growth_line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
    a = block.index["area"][k]
    return (f"{block.name} {r.names[a]} ({r.codes[a]}) {year}: allow {amount:,.0f} more people of growth",
            {"lever": "growth", "area_code": str(r.codes[a]), "year": year, "amount": amount})


def _agreement_line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
    a, t = block.index["area"][k], block.index["year"][k]
    if side == "upper":
        text = (f"{block.name} {r.names[a]} ({r.codes[a]}) {year}: maximum {r.d.agreed_max[a, t]:,.0f} loosened to "
                f"{r.d.agreed_max[a, t] + amount:,.0f} (+{amount:,.0f})")
    else:
        text = (f"{block.name} {r.names[a]} ({r.codes[a]}) {year}: minimum {r.d.agreed_min[a, t]:,.0f} loosened to "
                f"{r.d.agreed_min[a, t] - amount:,.0f} (-{amount:,.0f})")
    return text, {"lever": "agreements", "area_code": str(r.codes[a]), "year": year, "amount": amount,
                  "side": "maximum" if side == "upper" else "minimum"}


def _min_open_line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
    a = block.index["area"][k]
    size = float(opening(r.d).size[a])
    return (f"{block.name} {r.names[a]} ({r.codes[a]}) {year}: opening size {size:,.0f} lowered to "
            f"{size - amount:,.0f} (-{amount:,.0f})",
            {"lever": "min_open", "area_code": str(r.codes[a]), "year": year, "amount": amount})


def _lead_line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
    a = block.index["area"][k]
    ends = int(r.d.years[0]) + int(opening(r.d).lead[a])
    return (f"{block.name} {r.names[a]} ({r.codes[a]}) {year}: allow {amount:,.0f} people before its lead time "
            f"is over (first placements otherwise in {ends})",
            {"lever": "lead_time", "area_code": str(r.codes[a]), "year": year, "amount": amount})


def _new_areas_line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
    return (f"{block.name} {year}: open {amount:,.0f} more new area(s) than the {r.d.max_new_areas:,.0f} allowed",
            {"lever": "max_new_areas", "family": block.name, "year": year, "amount": amount})


def _close_by_line(r: Relaxed, block: Block, k: int, year: int, amount: float, side: str) -> tuple[str, dict]:
    """Hotel places kept open past the closure date, in whole places rounded up so that they are enough."""
    a = block.index["area"][k]
    closed = int(r.d.years[int(r.d.hotel_open[a].sum())])          # the first year without open places
    places, kept = float(r.d.hotel_places0[a]), int(np.ceil(amount - REPORT_TOL))
    return (f"{block.name} {r.names[a]} ({r.codes[a]}) {year}: keep {kept:,} of its {places:,.0f} hotel places "
            f"open (closed from {closed} otherwise)",
            {"lever": "hotels_close_by", "family": block.name, "area_code": str(r.codes[a]),
             "region": str(r.regions[a]), "year": year, "amount": amount, "hotel_places": kept,
             "hotel_places_today": places, "closed_from": closed})


def _opens(d: ModelData) -> bool:
    return opening(d) is not None


# --------------------------------------------------------------------------- the records
CEILING = Lever("ceiling", "raise the contingency ceiling", hard=True)
CAPACITY = Lever("capacity", "procure more bed spaces", unit="bed spaces")
GROWTH = Lever("growth", "allow faster growth", hard=True)
CLUSTER = Lever("cluster", "raise cluster caps")
AGREEMENTS = Lever("agreements", "loosen agreements", hard=True)
PROTECTION = Lever("protection", "lift protection")
MIN_OPEN = Lever("min_open", "lower the opening sizes")
LEAD_TIME = Lever("lead_time", "shorten lead times", hard=True)
NEW_AREAS = Lever("max_new_areas", "open more new areas a year", hard=True, unit="new areas")
REGIONS = Lever("regions", "change the regional shares", hard=True)
CLOSE_BY = Lever("hotels_close_by", "close hotels later", unit="hotel places")
#: The levers in the order the diagnosis tries and reports them (a new family's lever comes after).
LEVERS: tuple[Lever, ...] = (CEILING, CAPACITY, GROWTH, CLUSTER, AGREEMENTS, PROTECTION, REGIONS, CLOSE_BY)

CLUSTER_LIMIT = Reason("cluster limit", "it is at the cluster cap (one supported person per cluster_limit residents)",
                       _at_cluster_cap)
#: Where the rows of a step of the progressive measure are tight: the area is at or above the step.
FAIR_SHARE_STEP = Reason("above a fair-share step", "it is at or above a step of the progressive equity measure "
                         "(objective.equity_steps), beyond which each person costs more in equity",
                         figures=lambda f: _step_figures(f))
#: The order of the reasons in ``limited_by`` when a cell has several (a new family's come after).
REASON_ORDER = ("excluded", "not yet available", "inherited over cap", "inherited over cap (hotels)",
                "over its cap (carried)", "cluster limit", "pressure-basis cap", "protected (no net growth)", "protected (no new placements)",
                "protected (no rise)", "capacity", "procurement pace", "growth limit", "agreement",
                "regional share (max)", "regional share (min)", "exits only", "fair share reached", FAIR_SHARE_STEP.tag)

FAMILIES: tuple[Family, ...] = (
    # ---- rules folded into the bounds on stock (add_variables, from data.cell_limits)
    Family("excluded", "bound", "exclusion", fm.add_variables, "capacity", "Excluded areas",
           reasons=(Reason("excluded", "the area is not a dispersal area (status excluded): it takes no new "
                           "placements", _excluded),)),
    Family("not_yet_open", "bound", "not yet open", fm.add_variables, "capacity",
           "Volunteered areas before they open",
           reasons=(Reason("not yet available", "the area has volunteered but opens later (available_from)",
                           _not_open),)),
    Family("inherited", "bound", "inherited stock", fm.add_variables, "exit_decay", "Inherited stock",
           reasons=(Reason("inherited over cap", "people already there exceed the cluster cap, so nobody new is "
                           "placed until exits bring it under", _inherited_over_cap),)),
    Family("pressure_inherited", "bound", "over the cap on the pressure basis by inheritance", fm.add_variables,
           "pressure_no_rise", "Over the cap on the pressure basis by inheritance",
           when=lambda d: d.over_basis is not None,
           reasons=(Reason("inherited over cap (hotels)", _OVER_BY_HOTELS, _over_by_hotels, _over_by_hotels_figures),
                    Reason("over its cap (carried)", "the plan it was re-planned from judged it over its cap on the "
                           "pressure basis by inheritance this year (areas column over_cap_until): nobody new is "
                           "placed in dispersal", _over_carried))),
    Family("capacity", "bound", "the capacity path (procurement pace)", fm.add_variables, "capacity",
           "Capacity path and procurement pace", lever=CAPACITY, per="area_cohort",
           bound=lambda d, lim: (np.broadcast_to(_receives(d)[:, :, None], lim.capacity.shape), lim.capacity),
           describe=_describe_capacity,
           reasons=(Reason("capacity", "it is at today's capacity and the area procures no new bed spaces",
                           lambda s: _at_capacity(s, procures=False)),
                    Reason("procurement pace", "it is at capacity: today's bed spaces plus the most that can be "
                           "procured each year", lambda s: _at_capacity(s, procures=True)))),
    Family("cluster_cap", "bound", "the cluster cap (one cohort)", fm.add_variables, "cluster_limit",
           "Cluster cap, one cohort", when=lambda d: d.shape[2] == 1, lever=CLUSTER, per="area",
           bound=lambda d, lim: (_receives(d)[:, :, None], lim.cluster[:, :, None]), describe=_describe_cluster,
           reasons=(CLUSTER_LIMIT,)),
    # ---- row families, in build order
    Family("national_balance", "row", "the national balance", fm.add_national_balance, "national_balance",
           "National balance", price_start=PRICED, complete=Completion("meet", ("contingency",))),
    Family("exit_decay", "row", "exit decay (nobody is moved out)", fm.add_exit_decay, "exit_decay",
           "Exit decay (nobody is moved out)",
           reasons=(Reason("exits only", "nobody new was placed: these are the people still there from last year "
                           "(nobody is moved out)", _exits_only),)),
    Family("max_growth", "row", "the growth limit", fm.add_max_growth, "max_growth", "Growth limit", lever=GROWTH,
           describe=_per_row(_growth_line), shadow=True,
           reasons=(Reason("growth limit", "it grew as fast as policy.max_growth allows"),)),
    Family("cluster_limit", "row", "the cluster limit (cohorts)", fm.add_cluster_limit, "cluster_limit",
           "Cluster limit and inherited stock", lever=CLUSTER, per="area", describe=_describe_cluster, shadow=True,
           reasons=(CLUSTER_LIMIT,)),
    Family("contingency_ceiling", "row", "the contingency ceiling", fm.add_contingency_ceiling,
           "contingency_ceiling", "Contingency ceiling (hotel exit trajectory)", lever=CEILING,
           describe=_per_row(_ceiling_line), price_start=PriceStart("basic slack"),
           sample_drop=lambda d: {"ceiling": np.full_like(d.ceiling, np.nan)}),
    Family("agreement", "row", "agreements", fm.add_agreement, "agreement", "Agreed allocations", lever=AGREEMENTS,
           sides=("upper", "lower"), describe=_per_row(_agreement_line), shadow=True,
           reasons=(Reason("agreement", "an agreed allocation fixes or bounds this number"),),
           sample_drop=lambda d: {"agreed_min": np.full_like(d.agreed_min, np.nan),
                                  "agreed_max": np.full_like(d.agreed_max, np.nan)}),
    Family("hotel_closure", "row", "hotel places close, never reopen", fp.add_hotel_closure, "hotel_places",
           "Hotel places close but never reopen", when=_hotels),
    Family("hotels_close_by", "row", "no open hotel places from hotels_close_by", fp.add_hotels_close_by,
           "hotel_places", "No open hotel places from the closure date", when=_hotels, lever=CLOSE_BY,
           describe=_per_row(_close_by_line)),
    Family("hotel_use", "row", "people in hotels within the open places", fp.add_hotel_use, "hotel_use",
           "People in hotels within the open hotel places", when=_hotels),
    Family("contingency_split", "row", "the contingency split (hotels by area, new contingency)",
           fp.add_contingency_split, "contingency_split", "Contingency split: hotels by area and new contingency",
           when=_hotels, price_start=PriceStart("sample price", column="new_contingency"),
           complete=Completion("meet", ("new_contingency",))),
    Family("pressure_cap", "row", "the cap on the pressure basis (hotel residents counted)", fp.add_pressure_cap,
           "cluster_limit", "Cap on the pressure basis", when=_hotels_count, lever=CLUSTER, per="area", describe=_describe_cluster,
           shadow=True, reasons=(Reason("pressure-basis cap", "it is at its cap on the pressure basis: its people "
                                        "in dispersal, in its hotels and the others its basis counts (in initial "
                                        "accommodation, on the supported basis) reach one per cluster_limit residents",
                                        figures=_at_basis_cap),)),
    Family("pressure_no_rise", "row", "no rise on the pressure basis over the cap", fp.add_pressure_no_rise,
           "pressure_no_rise", "No rise on the pressure basis while over the cap", when=_hotels_count),
    Family("protection", "row", "protection of the most pressured places", fp.add_protection, "protection",
           "Protection", when=lambda d: d.protected is not None, lever=PROTECTION, per="area", describe=_describe_protection, shadow=True,
           reasons=(Reason("protected (no net growth)", "the area is protected (policy.protect: among the most "
                           "pressured places at the start) and ends no year with more people in dispersal than "
                           "today", _protected("no_net_growth")),
                    Reason("protected (no new placements)", "the area is protected (policy.protect: among the most "
                           "pressured places at the start) and takes no new placements",
                           _protected("no_new_placements")),
                    Reason("protected (no rise)", "the area is protected (policy.protect: among the most "
                           "pressured places at the start) and ends no year with more people on its pressure "
                           "basis than it started it with", _protected("no_rise"), brief=_held_no_rise))),
    Family("regional_share", "row", "regional shares", fr.add_regional_share, "regional_share", "Regional shares",
           when=fr.has_targets, lever=REGIONS, sides=("upper", "lower"), describe=fr.describe_shares,
           reasons=(Reason("regional share (max)", "its region holds the largest share of the national "
                           "total its target allows (regions table, max_share): nobody more is placed in the region", fr.at_share(fr.MAX)),
                    Reason("regional share (min)", "its region holds the smallest share of the national "
                           "total its target allows (regions table, min_share): the region must hold this many", fr.at_share(fr.MIN))),
           price_start=PriceStart("basic slack"),
           sample_drop=lambda d: {} if d.region_min is None else {"region_min": np.full_like(d.region_min, np.nan),
                                                                  "region_max": np.full_like(d.region_max, np.nan)}),
    Family("procurement", "row", "procurement cost", fm.add_procurement, "objective", "Procurement cost"),
    Family("capacity_kept", "row", "capacity kept (empty bed spaces cost)", fm.add_capacity_kept, "objective",
           "Capacity kept and empty bed spaces", when=lambda d: d.void_share > 0, lever=CAPACITY, sides=("lower",),
           follows=True, complete=Completion("latest", ("bought",))),
    Family("dispersed_total", "row", "the national dispersed total", fm.add_dispersed_total, "objective",
           "National dispersed total", when=lambda d: d.equity_weight > 0,
           price_start=PriceStart("basic column", column="dispersed"), complete=Completion("meet", ("dispersed",))),
    Family("fair_share", "row", "the fair share (l1 and progressive equity)", fm.add_fair_share, "objective",
           "Fair share, `l1` and `progressive` measures", when=_fair_share_measure,
           reasons=(Reason("fair share reached", "it is exactly at its fair share of the national total",
                           _at_fair_share, _fair_share_figures),),
           complete=Completion("distance", ("over", "under")), equity=("over", "under")),
    Family("fair_share_step", "row", "the steps of the progressive equity measure", fm.add_fair_share_steps,
           "objective", "Fair-share steps, `progressive` measure",
           when=lambda d: _fair_share_measure(d) and d.equity_steps is not None and len(d.equity_steps) > 1,
           sides=("lower",), reasons=(FAIR_SHARE_STEP,),
           complete=Completion("excess", ("excess",)), equity=("excess",)),
    Family("top_rate", "row", "the minmax equity measure", fm.add_top_rate, "objective",
           "Highest rate, `minmax` measure", when=lambda d: d.equity_weight > 0 and d.equity_measure == "minmax",
           price_start=PriceStart("declines", why="the minmax equity measure ties every area to the national top rate"),
           complete=Completion("highest", ("top_rate",)), equity=("top_rate", "dispersed")),
    # ---- a re-plan (allocator.families_replan)
    Family("stability", "row", "stability (the previous plan's numbers)", frp.add_stability, "objective", "Stability",
           when=lambda d: d.previous is not None and d.stability_weight > 0,
           reasons=(Reason("previous plan", "it is at the previous plan's number, which a re-plan keeps unless "
                           "moving it saves more than objective.stability_weight per person", _at_previous),),
           complete=Completion("distance", ("moved_up", "moved_down"))),
    # ---- opening decisions (allocator.opening, families_open): 0/1 columns, a mixed-integer program
    Family("open_area", "row", "new areas host nobody until they open, then stay open", fo.add_open_area,
           "objective", "Opening a new area", when=_opens,
           reasons=(Reason("opened", "opened: worth its set-up cost (open_cost); its first year hosting anyone, "
                           "at least its opening size (min_open)", fo.opened),
                    Reason("not worth opening", "not opened: its set-up cost (open_cost), or filling it to its "
                           "opening size (min_open), costs more than the places it would give", fo.not_worth))),
    Family("min_open", "row", "the opening size", fo.add_min_open, "min_open", "Opening size", when=_opens,
           lever=MIN_OPEN, sides=("lower",), describe=_per_row(_min_open_line),
           reasons=(Reason("below minimum size", "not opened: below its minimum size (it could not host min_open "
                           "people that year)", fo.below_size),
                    Reason("at minimum size", "it is open and holds its minimum size (min_open): fewer would mean "
                           "nobody", fo.at_size))),
    Family("lead_time", "row", "the lead time of new areas", fo.add_lead_time, "lead_time", "Lead time",
           when=_opens, lever=LEAD_TIME, describe=_per_row(_lead_line),
           reasons=(Reason("lead time", "not open yet: its lead time (lead_time) from the plan's start is not "
                           "over", fo.lead_time_binds),)),
    Family("max_new_areas", "row", "the most new areas opening a year", fo.add_max_new_areas, "max_new_areas",
           "New areas a year", when=lambda d: d.max_new_areas is not None and _opens(d), lever=NEW_AREAS,
           describe=_per_row(_new_areas_line), price_start=PriceStart("basic slack"),
           reasons=(Reason("new areas limit", "not opened: the most new areas a year (policy.max_new_areas) "
                           "opened elsewhere that year", fo.new_areas_binds),)),
)


# --------------------------------------------------------------------------- reading the registry
def family(name: str) -> Family:
    """The record of family ``name``."""
    for f in FAMILIES:
        if f.name == name:
            return f
    raise KeyError(name)


def rows() -> tuple[Family, ...]:
    """The row families, in build order."""
    return tuple(f for f in FAMILIES if f.kind == "row")


def levers() -> tuple[Lever, ...]:
    """Every lever of a registered family: :data:`LEVERS` first, then any other in registry order."""
    extra = [f.lever for f in FAMILIES if f.lever is not None and f.lever not in LEVERS]
    return LEVERS + tuple(dict.fromkeys(extra))


def reasons() -> dict[str, list[tuple[Family, Reason]]]:
    """Every reason tag, in ``limited_by`` order, with the families and reasons giving it."""
    found: dict[str, list[tuple[Family, Reason]]] = {tag: [] for tag in REASON_ORDER}
    for f in FAMILIES:
        for r in f.reasons:
            found.setdefault(r.tag, []).append((f, r))
    return {tag: pairs for tag, pairs in found.items() if pairs}


def priced() -> Family:
    """The family whose rows the price-guided start prices out (the national balance)."""
    [f] = [f for f in FAMILIES if f.price_start.role == "priced"]
    return f


__all__ = ["FAMILIES", "LEVERS", "REASON_ORDER", "Completion", "Facts", "Family", "Lever", "PriceStart", "Reason",
           "Relaxed", "Solved", "describe_rows", "family", "levers", "priced", "reasons", "rows"]

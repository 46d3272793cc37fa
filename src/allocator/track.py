"""Plan against actual: where each council stands on a date against where the plan said it would be.

:func:`track` compares a plan (a :class:`~allocator.plan.Plan`, usually read back from its folder)
with an actual position (:mod:`allocator.actual`) on one date, council by council, region by region
and for the nation. A plan gives numbers at year ends (31 December); inside a year the planned value
is the straight line between the two year ends around the date, by days::

    planned(d) = v(Y-1) + f * (v(Y) - v(Y-1)),   f = days from 31 Dec Y-1 to d / days in year Y

(31 March 2026: f = 90/365). The fulfilment rate is North Rhine-Westphalia's: the net new places a
council has actually provided since the plan's start against the net new places the plan asked of
it by the date, ``(actual - start) / (planned - start)``; it is undefined (and said to be) where the
plan asks for less than one net new place by the date, as at the plan's start itself. A council the
plan asks to shrink has a rate too: 100% is the planned reduction reached.

The result, a :class:`Tracking`, is written (and read back for the report) by :mod:`allocator.track_files`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from allocator.actual import (SUPPRESSED_DEFAULT, UNKNOWN, Actual, Matched, actual_notes, match_codes, plan_names,
                              read_actual, suppressed_notes, zero_notes)
from allocator.errors import CommandLineError, InputError, Issue, given_issue
from allocator.track_files import (ALL_AREAS, MIN_PLANNED_PLACES, sum_rows, track_markdown, unchecked, unchecked_text,
                                   write_tracking)

if TYPE_CHECKING:
    from allocator.plan import Plan

#: Default threshold (people) beyond which a council is flagged behind or ahead of its plan.
BEHIND_BY = 25
UNDEFINED = "no net new places planned by this date"


def year_end(year: int) -> date:
    return date(int(year), 12, 31)


def as_date(value: Any, what: str = "--date") -> date:
    """A date from ``YYYY-MM-DD`` text, a ``date`` or a ``datetime``; otherwise (other text, or a value of
    another type, such as the number 20260331) a CommandLineError naming the option ``what`` and the value."""
    if isinstance(value, date):
        return value if type(value) is date else value.date()
    if not isinstance(value, str):             # 20260331 is not read as a date: a date is text or a date
        raise CommandLineError(given_issue(what, str(value), f"not a date (type {type(value).__name__}): give it as "
                                                             "text, YYYY-MM-DD (e.g. '2026-03-31'), or as a "
                                                             "datetime.date"))
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        message = "not a date: write it as YYYY-MM-DD, e.g. 2026-03-31"
        raise CommandLineError(given_issue(what, value, message)) from None


# --------------------------------------------------------------------------- the plan through time
@dataclass(frozen=True)
class PlanPath:
    """A plan's numbers at its start and at each year end, per area (one row per area of start.csv)."""

    codes: list[str]
    names: list[str]
    regions: list[str]
    years: np.ndarray              # (T,)
    dispersal: np.ndarray          # (A, T+1): column 0 the start
    contingency: np.ndarray | None  # (A, T+1) people in the area's hotels, when the plan locates them
    national_contingency: np.ndarray  # (T+1,)
    cap: np.ndarray                # (A,)
    fixed: np.ndarray | None       # (A,) fixed counts on the pressure basis (initial, other programmes)
    before: str = ""               # what a date before the start is told (a re-plan: the previous plan's)

    @property
    def dates(self) -> list[date]:
        return [year_end(self.years[0] - 1), *(year_end(y) for y in self.years)]

    def where(self, when: date, name: str = "--date") -> tuple[int, float]:
        """(t, f): ``when`` lies in plan year ``t`` (1-based column of the arrays; 0 = the start) at
        fraction ``f`` of it. A CommandLineError naming ``name`` (the option --date, or an argument of the
        caller's) when it is outside the plan."""
        dates = self.dates
        if when < dates[0] or when > dates[-1]:
            raise CommandLineError(given_issue(name, when, f"outside the plan, which runs from {dates[0]:%d %b %Y} "
                                                           f"(its start) to {dates[-1]:%d %b %Y}"
                                                           + (self.before if when < dates[0] else "")))
        if when == dates[0]:
            return 0, 1.0
        t = next(k for k in range(1, len(dates)) if when <= dates[k])
        return t, (when - dates[t - 1]).days / (dates[t] - dates[t - 1]).days

    def at(self, values: np.ndarray, when: date) -> np.ndarray:
        """``values`` (..., T+1) interpolated to ``when``, linearly by days between year ends."""
        t, f = self.where(when)
        if t == 0:
            return values[..., 0].astype(float)
        return values[..., t - 1] + f * (values[..., t] - values[..., t - 1])


def plan_path(plan: Plan) -> PlanPath:
    """The :class:`PlanPath` of a plan; an InputError when the plan has no start.csv (an old folder)."""
    start = plan.start
    if start is None:
        raise InputError(Issue(str(getattr(plan, "folder", None) or "plan"), "the plan has no start.csv (written "
                                                                              "by an older version of allocator): "
                                                                              "solve its scenario again"))
    codes = start["area_code"].astype(str).tolist()
    years = np.sort(plan.trajectory["year"].to_numpy().astype(np.int64))
    alloc = plan.allocations
    by = alloc.groupby(["area_code", "year"], sort=False)

    def grid(column: str, how: str) -> np.ndarray:
        table = getattr(by[column], how)().unstack("year").reindex(index=codes, columns=years)
        return table.to_numpy(dtype=float)

    dispersal = np.column_stack([start["stock"].to_numpy(float), grid("stock", "sum")])
    contingency = None
    if "contingency" in alloc.columns and "contingency" in start.columns:
        contingency = np.column_stack([start["contingency"].to_numpy(float), grid("contingency", "first")])
    traj = plan.trajectory.set_index("year").reindex(years)
    head = plan.summary.get("headline", {}).get("start", {})
    national = np.concatenate([[float(head.get("contingency", np.nan))], traj["contingency"].to_numpy(float)])
    fixed = None
    if "basis_total" in start.columns:
        fixed = start["basis_total"].to_numpy(float) - dispersal[:, 0] - (
            contingency[:, 0] if contingency is not None else 0.0)
    return PlanPath(codes=codes, names=start["area_name"].astype(str).tolist(),
                    regions=start["region"].astype(str).tolist(), years=years, dispersal=dispersal,
                    contingency=contingency, national_contingency=national, cap=start["cap"].to_numpy(float),
                    fixed=fixed, before=_before(plan.summary.get("replan")))


def _before(made: Any) -> str:
    """What a date before a re-plan's start is told: it belongs to the plan the re-plan replaces, named by what
    its summary.json records (``replan``: the previous plan's SHA-256, the scenario given, the actual's date)."""
    if not isinstance(made, dict):
        return ""
    sha = str(made.get("previous_plan_sha256") or "")
    what = ", ".join(x for x in (f"SHA-256 {sha[:16]}…" if sha else "",
                                 f"scenario {made['scenario']}" if made.get("scenario") else "") if x)
    try:
        made_on = f"{date.fromisoformat(str(made.get('date'))):%d %b %Y}"
    except ValueError:
        made_on = "an earlier date"
    return (f": it is a re-plan (from the actual of {made_on}), and a date before its "
            "start belongs to the plan it replaces: track it against that plan" + (f" ({what})" if what else ""))


# --------------------------------------------------------------------------- the comparison
@dataclass
class Tracking:
    """A plan against the actual position on one date (:func:`track`)."""

    date: date
    councils: pd.DataFrame
    """One row per area of the plan: start, planned and actual dispersal, the difference (actual minus
    planned), planned and actual net new places, the fulfilment rate, contingency, the flags."""
    regions: pd.DataFrame
    """One row per region: the same figures summed over its councils whose actual is known."""
    nation: pd.DataFrame
    """One row: the same over every area of the plan, with the national contingency."""
    summary: dict
    """What was compared: the plan and its hash, the actual file and its hash, the interpolation, the
    threshold, and the notes (councils missing, renamed, suppressed cells, rows that are not councils)."""
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        """The summary as Markdown (``track.md``): the nation, the regions, the flagged councils, the notes."""
        return track_markdown(self)

    def write(self, out, *, force: bool = False, protect=()) -> Any:
        """Write the tables, ``track.md`` and ``track.json`` into the folder ``out`` (atomically;
        :func:`allocator.track_files.write_tracking`)."""
        return write_tracking(self, out, force=force, protect=protect)


def track(plan: Plan, actual: Actual | Any, when: Any, *, behind_by: float = BEHIND_BY,
          suppressed: str = SUPPRESSED_DEFAULT, date_name: str = "date") -> Tracking:
    """Compare ``plan`` with the ``actual`` position on ``when`` (a date or ``YYYY-MM-DD``).

    ``actual`` is an :class:`~allocator.actual.Actual`, or a file or table for
    :func:`~allocator.actual.read_actual` (with ``suppressed``). ``behind_by``: people; a council whose
    actual is below its planned number by more is flagged ``behind``, above it by more ``ahead``.

    Raises :class:`~allocator.errors.InputError` (exit 2) for a date outside the plan, a date the
    file contradicts (its title says ``as at`` another date, or its date column, such as
    Reg_02's ``snapshotDate``, gives another), a file with none of the plan's areas, and whatever
    the actual file holds that cannot be read. ``date_name`` is what the messages call ``when``
    (``argument date '...'``); the command line passes ``--date``.
    """
    when = as_date(when, date_name)
    path = plan_path(plan)
    t, f = path.where(when, date_name)
    if not isinstance(actual, Actual):
        actual = read_actual(actual, suppressed=suppressed)
    actual.check_date(when, date_name)
    matched = match_codes(actual, path.codes, path.names)
    councils = _council_table(path, actual, matched, when, behind_by)
    regions = sum_rows(councils, "region")
    nation = sum_rows(councils.assign(region=ALL_AREAS), "region")
    nation.insert(1, "national_planned_contingency", _national_contingency(path, when, nation))
    summary = _summary(plan, path, actual, matched, councils, when, t, f, behind_by)
    summary["notes"] = _notes(path, actual, matched, councils, plan.pressure_basis) + (
        [note] if (note := actual.date_note(when, date_name)) else [])
    return Tracking(date=when, councils=councils, regions=regions, nation=nation, summary=summary,
                    notes=summary["notes"])


def _national_contingency(path: PlanPath, when: date, nation: pd.DataFrame) -> float:
    """The plan's own contingency on ``when`` for all its areas. When the plan locates hotels by council, the
    councils' planned figures as ``planned_contingency_all`` sums them (each to 2 decimals) plus the people
    in new sites in no council: one number, so the two differ by those people only, never by rounding."""
    national = float(path.at(path.national_contingency, when))
    if path.contingency is None:
        return round(national, 2)
    unlocated = national - float(np.nansum(path.at(path.contingency, when)))
    return round(float(nation["planned_contingency_all"].iloc[0]) + round(unlocated, 2), 2)


def _council_table(path: PlanPath, actual: Actual, matched: Matched, when: date, behind_by: float) -> pd.DataFrame:
    idx = matched.index
    has = idx >= 0
    table = actual.table

    def actual_of(figure: str) -> np.ndarray:
        out = np.full(len(idx), np.nan)
        if figure in table.columns:
            out[has] = table[figure].to_numpy(float)[idx[has]]
        return out

    start = path.dispersal[:, 0]
    planned = path.at(path.dispersal, when)
    got = actual_of("dispersal")
    planned_new, actual_new = planned - start, got - start
    defined = np.abs(planned_new) >= MIN_PLANNED_PLACES
    fulfilment = np.where(defined & ~np.isnan(got), actual_new / np.where(defined, planned_new, 1.0), np.nan)
    diff = got - planned
    out = pd.DataFrame({"area_code": path.codes, "area_name": path.names, "region": path.regions,
                        "start_dispersal": start, "planned_dispersal": np.round(planned, 2), "actual_dispersal": got,
                        "difference": np.round(diff, 2), "planned_net_new": np.round(planned_new, 2),
                        "actual_net_new": actual_new,
                        "fulfilment": np.round(fulfilment, 4) + 0.0})                 # + 0.0: never -0.0
    planned_c = path.at(path.contingency, when) if path.contingency is not None else np.full(len(idx), np.nan)
    got_c = actual_of("contingency")
    out["planned_contingency"] = np.round(planned_c, 2)
    out["actual_contingency"] = got_c
    out["difference_contingency"] = np.round(got_c - planned_c, 2)
    basis, at_least = _basis(path, got, got_c)
    out["actual_basis"] = np.round(basis, 2)       # what the cap is judged on: the plan's pressure basis
    out["actual_basis_at_least"] = np.round(at_least, 2)
    out["cap"] = path.cap
    over = _flag(basis > path.cap, basis)
    over[np.isnan(basis) & (at_least > path.cap)] = True      # over whatever the unknown figure is
    out["over_cap"] = over
    out["behind"] = _flag(diff < -behind_by, diff)
    out["ahead"] = _flag(diff > behind_by, diff)
    suppressed = {(m["area_code"]) for m in actual.suppressed if m["read_as"] == UNKNOWN}
    codes_in_file = np.where(has, table["area_code"].to_numpy(dtype=object)[np.maximum(idx, 0)], "")
    out["status"] = np.select(
        [~has, np.isnan(got), ~defined],
        ["not in the actual", "unknown (suppressed)", "fulfilment undefined"], "tracked")
    out.loc[[c in suppressed and not np.isnan(g) for c, g in zip(codes_in_file, got)], "status"] = \
        "tracked (a suppressed figure read as unknown)"
    return out


def _basis(path: PlanPath, got: np.ndarray, got_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A,) each council's actual total on the plan's pressure basis: its dispersal, plus (when the basis
    counts more) the people in its hotels, where the plan counts them, and the fixed counts of the plan's
    start. Unknown (NaN) where a figure in it is unknown (suppressed, or the file has no such column): never
    read as 0. With it, the sum of the figures in it that are known: the total is at least that."""
    hotels = got_c if path.contingency is not None and path.fixed is not None else np.zeros_like(got)
    fixed = path.fixed if path.fixed is not None else 0.0
    return got + hotels + fixed, np.nan_to_num(got) + np.nan_to_num(hotels) + fixed


def _flag(holds: np.ndarray, value: np.ndarray) -> pd.arrays.BooleanArray:
    """A flag of each council, unknown (NA) where the ``value`` it is judged on is unknown, never False."""
    return pd.array(np.where(np.isnan(value), None, holds), dtype="boolean")


def _summary(plan: Plan, path: PlanPath, actual: Actual, matched: Matched, councils: pd.DataFrame, when: date,
             t: int, f: float, behind_by: float) -> dict:
    theirs = set(matched.outside["line"])             # the lines of councils not in the plan
    marks = [{**m, "in_plan": m["line"] not in theirs} for m in actual.suppressed]
    s = plan.summary
    dates = path.dates
    if t == 0:
        how = f"{when:%d %b %Y} is the plan's start: the planned numbers are the start position"
    elif f == 1.0:
        how = f"{when:%d %b %Y} is a year end of the plan: the planned numbers are the plan's own"
    else:
        days, year_days = (when - dates[t - 1]).days, (dates[t] - dates[t - 1]).days
        how = (f"{when:%d %b %Y} is {days} of the {year_days} days into {path.years[t - 1]}: each planned number "
               f"is the one at 31 Dec {path.years[t - 1] - 1} plus {days}/{year_days} of the change the plan makes "
               f"in {path.years[t - 1]} (a straight line between year ends)")
    return {
        "date": when.isoformat(),
        "plan": {"scenario": s.get("scenario"), "scenario_sha256": s.get("scenario_sha256"),
                 "sha256": plan.sha256(), "start": dates[0].isoformat(), "end": dates[-1].isoformat(),
                 "replan": _replanned(s.get("replan"))},
        "actual": {"file": actual.label, "sha256": actual.sha256, "layout": actual.layout,
                   "header_line": actual.header_line, "columns": actual.columns,
                   "date_in_file": actual.date_in_file.isoformat() if actual.date_in_file else None,
                   "date_from": actual.date_where or None,
                   "suppressed": marks,
                   "read_as_zero": zero_notes(actual, plan_names(actual, matched, path.names))},
        "interpolation": {"year": int(path.years[t - 1]) if t else None, "fraction": round(f, 6) if t else 0.0,
                          "how": how},
        "behind_by": behind_by,
        "hotels_by_area": path.contingency is not None,
        "pressure_basis": plan.pressure_basis,
    }


def _replanned(made: Any) -> dict | None:
    """What a re-plan's start is (``replan`` of its summary.json; None for a plan solved from its scenario):
    the date of the actual it was made from and, when that date is inside a year, that the start is a
    projection from it, not a published figure, which the net new places and fulfilment count from."""
    if not isinstance(made, dict):
        return None
    try:
        when, starts = date.fromisoformat(str(made["date"])), date.fromisoformat(str(made["starts"]))
    except (KeyError, ValueError):
        return None
    file = Path(str(made.get("actual") or "the actual file")).name
    if when == starts:
        how = (f"the plan is a re-plan, and its start ({starts:%d %b %Y}, its start.csv) is the actual of that date "
               f"({file})")
    else:
        how = (f"the plan is a re-plan, and its start ({starts:%d %b %Y}, its start.csv) is projected from the "
               f"actual of {when:%d %b %Y} ({file}) by the previous plan's change from then to {starts:%d %b %Y}: "
               "not a published figure. Net new places and fulfilment count from it")
    return {"actual_date": when.isoformat(), "starts": starts.isoformat(), "projected": when != starts,
            "actual": made.get("actual"), "actual_sha256": made.get("actual_sha256"),
            "previous_plan_sha256": made.get("previous_plan_sha256"), "how": how}


def _notes(path: PlanPath, actual: Actual, matched: Matched, councils: pd.DataFrame, basis: str | None) -> list[str]:
    """What a reader must know about the comparison, in words: nothing left out is left unsaid."""
    notes = []
    missing = councils[councils["status"] == "not in the actual"]
    if len(missing):
        notes.append(f"{len(missing)} area(s) of the plan are not in the actual file, so their actual is unknown: "
                     + _named(missing))
    zeros, renamed, skipped = actual_notes(actual, matched, path.names, path.regions)
    notes += zeros + renamed
    outside = matched.outside
    theirs = set(outside["line"])
    notes += suppressed_notes(actual.label, [m for m in actual.suppressed if m["line"] not in theirs])
    if len(rows := unchecked(councils, "contingency" in actual.columns)):
        notes.append(unchecked_text(rows, basis))
    if len(outside):
        held = outside["dispersal"]
        notes.append(f"{len(outside)} council(s) in the actual file are not in the plan and are not compared; they "
                     f"hold {held.sum():,.0f} people in dispersal" + _suppressed_outside(actual, outside) + ": "
                     + _named(outside))
    notes += skipped
    if path.contingency is None:
        notes.append("the plan does not locate hotels by area, so contingency is compared for the plan's areas "
                     "together only")
    if "contingency" not in actual.table.columns:
        notes.append("the actual file has no contingency column: contingency is not compared" +
                     (", and no council's total on the pressure basis is known: the cluster limit is checked only "
                      "where a council's known figures alone exceed it (it is over whatever its hotels hold)"
                      if path.fixed is not None and path.contingency is not None else ""))
    return notes


def _suppressed_outside(actual: Actual, outside: pd.DataFrame) -> str:
    """The suppressed cells of the councils not in the plan, counted: they do not matter to it."""
    names = dict(zip(outside["line"], outside["area_name"].astype(str)))
    marks = [m for m in actual.suppressed if m["line"] in names]
    if not marks:
        return ""
    cells = ", ".join(f"{names[m['line']] or m['area_code']}'s '{m['column']}' (line {m['line']})" for m in marks[:12])
    return (f" where known ({len(marks)} suppressed cell(s) among them, which do not matter to this plan: {cells}"
            + (f" and {len(marks) - 12} more" if len(marks) > 12 else "") + ")")


def _named(rows: pd.DataFrame) -> str:
    """Councils as ``Name (code)`` (the code alone where the file gives no name), the first twelve, and how
    many more."""
    names, codes = rows["area_name"].astype(str), rows["area_code"].astype(str)
    return _some(codes.where(names.str.strip() == "", names + " (" + codes + ")"))


def _some(names: pd.Series, limit: int = 12) -> str:
    shown = ", ".join(names.astype(str).head(limit))
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")

"""Re-planning from where things really are (``allocator replan``).

:func:`replan` takes a plan (read back from its folder), the scenario it was solved from, an actual
position (:mod:`allocator.actual`) and its date, and solves a new plan for the years that remain:

* **The start is the actual.** Each council's dispersal (and, when the scenario locates hotels, the
  people in its hotels) is the actual's on the date. The model plans whole years, so the new plan
  starts at a year end: at 31 December of the date's year when the date is one, otherwise at the
  *previous* plan's position moved on to that year end: each council's actual plus the change the
  previous plan makes from the date to the year end (a straight line between year ends, as
  ``allocator track`` reads a plan), never below 0. A figure the actual does not give (suppressed, or no
  row), dispersal or, with hotels by area, contingency, is the previous plan's on that date. Everything of
  this kind is listed in the notes, each area with the figure and the number taken.
* **The bed spaces are those the previous plan keeps.** Each area's bed spaces at the new start are
  the previous plan's capacity kept at that year end (the ``capacity`` column of its allocations.csv;
  on the plan's start, the scenario's), or the people it houses there if more (an actual has no
  capacity: people housed are in places that exist); the pace stays. Not the capacity path: places
  the plan never bought would count as bought already, and with ``costs.procurement_per_place`` or
  ``costs.void_share`` the re-plan would differ from the plan and charge wrong costs. A volunteered
  area that has opened becomes an existing one.
* **What the previous plan judged at its start carries over** (:func:`_carried`): the protected set,
  protection's level, the years an area is over its cap on the pressure basis by inheritance and the
  hotel places it keeps open, as the areas columns ``protect``, ``protect_level``, ``over_cap_until``
  and ``hotel_places``, not judged again from the new start.
* **Every agreement is kept.** Agreements for the remaining years are hard rules of the new plan;
  those of earlier years are not part of it (the notes say whether the actual met them). Every other
  table the scenario names (each key of :data:`allocator.scenario.TABLE_FILE_KEYS`: the regional targets
  too) is carried for the years left (:data:`TABLE_FILES`).
* **The notes on the actual are track's** (:func:`allocator.actual.renamed_notes`,
  :func:`~allocator.actual.suppressed_notes`, :func:`~allocator.actual.skipped_notes`), and the people in
  skipped rows of no council are said to be left out of the new start (:func:`_left_out`).
* **Stability.** ``objective.stability_weight`` (£ per person away from the previous plan's number,
  for each council and year) keeps councils' numbers where the previous plan had them unless moving
  them is worth more; the previous plan's numbers are the table ``previous.csv``.

The new plan is a plan folder like any other (``allocator track``, ``report``, ``explain`` read it),
with ``changes.csv`` / ``changes.md`` (the per-council change list: previous number, new number,
why) and the scenario it was solved from in ``scenario/`` (``allocator solve DIR/scenario`` solves
it again). Its ``summary.json`` records under ``replan`` the previous plan's SHA-256, the scenario given and
its SHA-256 (a scenario other than the one the previous plan was solved from is taken, and the first note
says so, naming both) and ``cost``: the new plan's total over its years beside the previous plan's over the
same years (:func:`cost_words`), and from a date inside a year what the start assumes: the previous plan's
change over the rest of the year (``assumes``); :func:`replan_lines` ends by saying that the releases before the
new start are tracked against the previous plan.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from allocator.actual import (SUPPRESSED_DEFAULT, Actual, Matched, actual_notes, match_codes, read_actual,
                              skipped_people, suppressed_notes)
from allocator.api import solve
from allocator.data import prepare
from allocator.errors import CommandLineError, InputError, Issue, given_issue
from allocator.explain import reason_cells
from allocator.output import clean_text, fmt, markdown_table, safe_csv, sentence, year_span
from allocator.scenario import TABLE_FILE_KEYS, Scenario, load_scenario
from allocator.track import PlanPath, _named, _some, as_date, plan_path, year_end

#: The file a re-plan's scenario/ holds for each table-file key of the scenario schema (scenario.TABLE_FILE_KEYS).
TABLE_FILES = {"areas": "areas.csv", "agreements": "agreements.csv", "regions": "regions.csv",
               "previous_plan": "previous.csv"}


@dataclass
class Replan:
    """A new plan from the actual position (:func:`replan`), with its change list and its scenario."""

    plan: Any                     # allocator.plan.Plan
    changes: pd.DataFrame         # per area and remaining year: previous, new, change, why
    notes: list[str]
    files: dict[str, bytes] = field(default_factory=dict)   # the scenario's files (scenario/ in the folder)

    def markdown(self) -> str:
        """``changes.md``: the councils whose numbers change, for early notification."""
        return changes_markdown(self)

    def write(self, out: str | Path, *, force: bool = False, protect=()) -> Path:
        """The new plan's folder: the plan files, changes.csv, changes.md and scenario/ (atomically)."""
        def extra(folder: Path) -> None:
            safe_csv(self.changes).to_csv(folder / "changes.csv", index=False, lineterminator="\n")
            (folder / "changes.md").write_text(self.markdown(), encoding="utf-8", newline="\n")
            (folder / "scenario").mkdir()
            for name, data in self.files.items():
                (folder / "scenario" / name).write_bytes(data)
        return self.plan.write(out, force=force, protect=protect, extra_files=extra)


def replan(previous: Any, scenario: Scenario, actual: Actual | Any, when: Any, *, suppressed: str = SUPPRESSED_DEFAULT,
           stability_weight: float | None = None, solver: str = "highs", time_limit: float | None = None,
           date_name: str = "date") -> Replan:
    """Solve a new plan for the remaining years of ``previous`` from ``actual`` on ``when``.

    ``scenario`` is the scenario ``previous`` was solved from (or its successor: new agreements are
    welcome; another scenario is taken, and the first of the notes says so). ``stability_weight``
    overrides ``objective.stability_weight``. Raises
    :class:`~allocator.errors.InputError` (exit 2) for a date outside the plan or with no year left
    to plan, an actual that cannot be read, a scenario whose areas are not the plan's;
    :class:`~allocator.errors.InfeasibleError` when the agreements cannot all be kept from here.
    ``date_name`` is what the messages call ``when``: the argument ``date``, or the CLI's ``--date``.
    """
    when = as_date(when, date_name)
    path = plan_path(previous)
    first = _first_year(path, when, date_name)
    if scenario.has_cohorts:
        raise InputError(Issue(str(scenario.source or "scenario"), "re-planning a scenario with cohorts is not "
                                                                    "supported: the actual tables give no split of a "
                                                                    "council's people by cohort", field="cohorts"))
    codes = scenario.areas["area_code"].astype(str).tolist()
    if codes != path.codes:
        raise InputError(Issue(str(scenario.source or "scenario"), "the scenario's areas are not the plan's (the "
                                                                    "plan was solved from another scenario?)",
                               field="areas"))
    if not isinstance(actual, Actual):
        actual = read_actual(actual, suppressed=suppressed)
    actual.check_date(when, date_name)
    matched = match_codes(actual, path.codes, path.names)
    theirs = set(matched.outside["line"])             # the lines of councils not in the plan
    zeros, renamed, skipped = actual_notes(actual, matched, path.names, path.regions)
    notes: list[str] = (_other_scenario(previous, scenario)
                        + ([note] if (note := actual.date_note(when, date_name)) else []) + zeros + renamed
                        + suppressed_notes(actual.label, [m for m in actual.suppressed if m["line"] not in theirs]))
    start = _start(path, actual, matched, when, first, notes, hotels=path.contingency is not None)
    notes += skipped + _left_out(actual)
    with tempfile.TemporaryDirectory(prefix="allocator-replan-") as tmp:
        files = _scenario_files(scenario, previous, path, start, when, first, notes, stability_weight)
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        new = load_scenario(Path(tmp) / "scenario.yaml")
        plan = solve(new, solver=solver, time_limit=time_limit)
    plan.summary["replan"] = {"previous_plan_sha256": previous.sha256(), "previous_scenario_sha256":
                              previous.summary.get("scenario_sha256"), "date": when.isoformat(),
                              "scenario": str(scenario.source or scenario.name), "scenario_sha256": scenario.sha256,
                              "starts": year_end(first - 1).isoformat(), "actual": actual.label,
                              "actual_sha256": actual.sha256, "cost": _cost(previous, plan, when), "notes": notes}
    return Replan(plan=plan, changes=_changes(previous, plan, first), notes=notes, files=files)


def _other_scenario(previous: Any, scenario: Scenario) -> list[str]:
    """A notice when ``scenario`` is not the one ``previous`` was solved from (a successor is allowed, and said to
    be): its SHA-256 is neither the previous plan's scenario's nor, for a re-plan, the one given to re-plan it."""
    s = previous.summary
    solved, before = s.get("scenario_sha256"), s.get("replan") or {}
    given = before.get("scenario_sha256", before.get("previous_scenario_sha256"))
    if solved is None or scenario.sha256 in (solved, given):
        return []
    files = "".join(f", {name}" for name in s.get("input_sha256") or {})
    return [f"the scenario {scenario.source or scenario.name} (SHA-256 {scenario.sha256[:16]}) differs from the one "
            f"the previous plan was solved from ('{s.get('scenario')}'{files}; SHA-256 {solved[:16]}): the new plan "
            "is this scenario's, from the actual position (summary.json records both)"]


def _cost(previous: Any, plan: Any, when: date) -> dict:
    """The new plan's total cost and the previous plan's over the same years (those of the new plan it has), and
    (``assumes``) the previous plan's change a start moved on from a date inside a year takes to happen."""
    new = plan.trajectory.set_index("year")["total_cost"]
    old = previous.trajectory.set_index("year")["total_cost"]
    same = [int(y) for y in new.index if y in old.index]
    return {"years": [int(new.index.min()), int(new.index.max())], "total": round(float(new.sum()), 2),
            "same_years": [same[0], same[-1]] if same else None, "total_same_years": round(float(new[same].sum()), 2),
            "previous_same_years": round(float(old[same].sum()), 2),
            "difference": round(float(new[same].sum() - old[same].sum()), 2), "assumes": _rest_of_year(when)}


def _rest_of_year(when: date) -> str | None:
    """The previous plan's change from ``when`` to its year end, which a start moved on from it assumes happens:
    "the previous plan's April–December 2026 change" (from 31 Mar 2026); None on 31 December."""
    if (when.month, when.day) == (12, 31):
        return None
    after = when + timedelta(days=1)
    since = f"{after:%B}" if after.day == 1 else f"{after.day} {after:%B}"
    span = "December" if since == "December" else f"{since}–December"
    return f"the previous plan's {span} {when.year} change"


def cost_words(cost: dict) -> str:
    """"cost over 2027–2029 £1,841.4m; the previous plan £1,621.1m over the same years (+£220.3m)", and from a
    date inside a year ", from a start that assumes the previous plan's April–December 2026 change happens"."""
    words = f"cost over {year_span(*cost['years'])} {fmt(cost['total'], 'money')}"
    assumes = f", from a start that assumes {cost['assumes']} happens" if cost.get("assumes") else ""
    if cost["same_years"] is None:
        return words + " (the previous plan has none of these years)" + assumes
    if cost["same_years"] != cost["years"]:
        words += f", over {year_span(*cost['same_years'])} {fmt(cost['total_same_years'], 'money')}"
    return (words + f"; the previous plan {fmt(cost['previous_same_years'], 'money')} over the same years "
            f"({fmt(cost['difference'], 'money', signed=True)})" + assumes)


def _first_year(path: PlanPath, when: date, name: str = "--date") -> int:
    """The first year of the new plan: the year after the date's (which is a year end, or inside that year)."""
    path.where(when, name)                            # an InputError when the date is outside the plan
    first = when.year + 1
    if first > int(path.years[-1]):
        raise CommandLineError(given_issue(name, when, f"leaves no year of the plan to re-plan (it ends "
                                                           f"{year_end(path.years[-1]):%d %b %Y})"))
    return first


def _start(path: PlanPath, actual: Actual, matched: Matched, when: date, first: int, notes: list[str],
           hotels: bool) -> dict:
    """Each area's people in dispersal (and in hotels) at the new plan's start, with the notes on how."""
    table = actual.table

    def figure(name: str, planned: np.ndarray) -> np.ndarray:
        got = _actual_of(table, matched, name)
        return np.where(np.isnan(got), planned, got)

    planned_now = path.at(path.dispersal, when)
    dispersal = figure("dispersal", planned_now)
    taken = {"dispersal": planned_now}                # the figures the previous plan gives where the actual does not
    contingency = None
    if hotels:
        if "contingency" not in table.columns:
            raise InputError(Issue(actual.label, "the scenario locates hotels by area, so the actual must give "
                                                 "each council's people in contingency (a contingency column)"))
        taken["contingency"] = path.at(path.contingency, when)
        contingency = figure("contingency", taken["contingency"])
    notes.extend(_taken_note(path, table, matched, when, taken))
    unlocated = float(path.at(path.national_contingency, when) - path.at(path.contingency, when).sum()) if hotels else 0
    if unlocated >= 0.5:
        notes.append(f"the previous plan had {fmt(unlocated, 'people')} in new contingency sites (in no council) on "
                     f"{when:%d %b %Y}; the new plan starts from the actual's contingency by council only, so "
                     "anyone still in such sites must be in the actual's council figures to be counted")
    national = float(np.nansum(_actual_of(table, matched, "contingency"))) if "contingency" in table.columns \
        else float(path.at(path.national_contingency, when))
    if contingency is None and "contingency" in table.columns:
        notes.extend(_uncounted_note(path, table, matched))
    if "contingency" not in table.columns:
        notes.append("the actual has no contingency column: the previous plan's national contingency on "
                     f"{when:%d %b %Y} ({fmt(national, 'people')}) is taken")
    end = year_end(first - 1)
    if when != end:                                   # move on to the year end along the previous plan
        step = path.at(path.dispersal, end) - planned_now
        dispersal = np.maximum(dispersal + step, 0.0)
        if contingency is not None:
            contingency = np.maximum(contingency + path.at(path.contingency, end) - path.at(path.contingency, when), 0)
        national = max(national + float(path.at(path.national_contingency, end)
                                        - path.at(path.national_contingency, when)), 0.0)
    # whole people, each area's rounded: the start the new plan is solved from (its areas.csv and start.csv)
    start = {"dispersal": np.round(dispersal), "contingency": None if contingency is None else np.round(contingency),
             "national_contingency": round(national), "initial": _initial(table, matched)}
    if when != end:                                   # the figures it starts from: the sums of those written
        held = start["national_contingency"] if contingency is None else float(start["contingency"].sum())
        notes.append(f"{when:%d %b %Y} is inside {first - 1}: the new plan starts at {end:%d %b %Y} from the actual "
                     "moved on by the previous plan's own change over the rest of the year (each council's actual "
                     f"plus its planned change, in whole people; {fmt(float(start['dispersal'].sum()), 'people')} in "
                     f"dispersal, {fmt(held, 'people')} in contingency)")
    outside = matched.outside
    if len(outside):
        theirs = set(outside["line"])
        hidden = sum(m["line"] in theirs for m in actual.suppressed)
        notes.append(f"{len(outside)} council(s) of the actual are not in the scenario and are left out"
                     + (f" ({hidden} suppressed cell(s) among them, which do not matter to this plan)" if hidden else "")
                     + ": " + _named(outside))
    return start


def _left_out(actual: Actual) -> list[str]:
    """The people in the actual's skipped rows that are not totals (in no council, or a row with no code): not in
    the new start, which is the councils' figures; said with their number."""
    held, lines = skipped_people(actual)
    if not lines:
        return []
    figures = ", ".join(f"{fmt(v, 'people')} in {name}" for name, v in held.items() if v or name == "dispersal")
    rows = f"{'line' if len(lines) == 1 else 'lines'} {', '.join(map(str, lines))}"
    return [f"the people in {len(lines)} skipped row(s) of the actual that are not totals ({rows}: people in no "
            f"council, or figures with no area code) are left out of the new start, which counts councils' rows "
            f"only: {figures}"]


def _taken_note(path: PlanPath, table: pd.DataFrame, matched: Matched, when: date,
                taken: dict[str, np.ndarray]) -> list[str]:
    """The note naming the areas with a figure the actual does not give (suppressed, or no row), each with the
    figure(s) taken from the previous plan on the date instead: "Cornwall (dispersal 17), Sheffield
    (contingency 247)"."""
    unknown = {name: np.isnan(_actual_of(table, matched, name)) for name in taken}
    missing = np.logical_or.reduce(list(unknown.values()))
    if not missing.any():
        return []
    said = pd.DataFrame({name: [f"{name} {fmt(v, 'people')}" if u else "" for v, u in zip(taken[name][missing],
                                                                                     unknown[name][missing])]
                         for name in taken}).agg(lambda r: "; ".join(w for w in r if w), axis=1)
    names = pd.Series(np.asarray(path.names)[missing]).astype(str) + " (" + said.to_numpy() + ")"
    return [f"{int(missing.sum())} area(s) have no actual {' or '.join(taken)} figure, so the previous plan's number "
            f"on {when:%d %b %Y} is taken: " + _some(names)]


def _uncounted_note(path: PlanPath, table: pd.DataFrame, matched: Matched) -> list[str]:
    """Without hotels by area the new plan starts from the actual's national contingency, its councils' sum: those
    whose figure is unknown (suppressed, or no row) are named, as counted as nobody in it."""
    unknown = np.isnan(_actual_of(table, matched, "contingency"))
    if not unknown.any():
        return []
    return [f"{int(unknown.sum())} area(s) have no actual contingency figure and count as 0 in the national "
            "contingency the new plan starts from (the actual's sum over councils): "
            + _some(pd.Series(np.asarray(path.names)[unknown]))]


def _actual_of(table: pd.DataFrame, matched, name: str) -> np.ndarray:
    out = np.full(len(matched.index), np.nan)
    has = matched.index >= 0
    if name in table.columns:
        out[has] = table[name].to_numpy(float)[matched.index[has]]
    return out


def _initial(table: pd.DataFrame, matched) -> np.ndarray | None:
    return _actual_of(table, matched, "initial") if "initial" in table.columns else None


def _scenario_files(scenario: Scenario, previous: Any, path: PlanPath, start: dict, when: date, first: int,
                    notes: list[str], stability_weight: float | None) -> dict[str, bytes]:
    """The new plan's scenario as files: scenario.yaml and each table it names (:data:`TABLE_FILES`)."""
    cfg = scenario.config.model_dump(mode="json", exclude_none=True)
    years = [y for y in scenario.years if y >= first]
    cfg["name"] = f"{re.sub(r' [(]re-planned from [^)]*[)]$', '', scenario.name)} (re-planned from {when:%d %b %Y})"
    cfg["years"] = years
    cfg["demand"]["arrivals"] = {y: v for y, v in scenario.config.demand.arrivals.items() if y >= first}
    ceiling = {y: v for y, v in (scenario.config.policy.contingency_ceiling or {}).items() if y >= first}
    cfg["policy"].pop("contingency_ceiling", None)
    if ceiling:
        cfg["policy"]["contingency_ceiling"] = ceiling
    areas = _areas(scenario, start, first, notes, previous)
    if "contingency" in areas.columns:
        cfg["demand"].pop("contingency_start", None)
    else:
        cfg["demand"]["contingency_start"] = start["national_contingency"]
    if stability_weight is not None:
        cfg["objective"]["stability_weight"] = stability_weight
    tables = {"areas": areas, "previous_plan": _previous_numbers(previous, years),
              "agreements": _agreements(scenario, first, when, dict(zip(path.codes, start["dispersal"])), notes),
              "regions": _of_years_left(scenario.regions, first, "regional target", notes)}
    files = {}
    for key in TABLE_FILE_KEYS:                       # every table a scenario may name: a new one is a KeyError here
        cfg.pop(key, None)
        if tables[key] is not None:
            cfg[key] = TABLE_FILES[key]
            files[TABLE_FILES[key]] = _csv(tables[key])
    header = (f"# Re-planned by allocator from the plan {previous.sha256()[:16]} and the actual of {when:%d %b %Y}.\n"
              "# Solve it again with: allocator solve <this folder> --out DIR\n")
    return {"scenario.yaml": (header + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)).encode()} | files


def _of_years_left(table: pd.DataFrame | None, first: int, what: str, notes: list[str]) -> pd.DataFrame | None:
    """The rows of a by-year table (the regional targets) for the new plan's years; those of earlier years are
    not part of it, and the notes say how many."""
    if table is None or not len(table):
        return None
    past = table[table["year"] < first]
    if len(past):
        notes.append(f"{len(past)} {what}(s) of {', '.join(map(str, sorted(past['year'].unique())))} are of years "
                     "before the new plan and are not part of it")
    kept = table[table["year"] >= first]
    return kept if len(kept) else None


def _areas(scenario: Scenario, start: dict, first: int, notes: list[str], previous: Any) -> pd.DataFrame:
    """The new start's areas table: the actual's people, the bed spaces the previous plan keeps (or the people
    there, if more), opened areas existing, and what the previous plan judged at its start (:func:`_carried`)."""
    df = scenario.areas.copy()
    opened = (df["status"] == "volunteered") & (df["available_from"].fillna(9999) < first) \
        if "available_from" in df.columns else pd.Series(False, index=df.index)
    kept = _at_new_start(previous, df["area_code"], first, "capacity", df["capacity"].to_numpy(float))
    df["stock"] = start["dispersal"]
    df["capacity"] = np.ceil(np.maximum(kept, start["dispersal"]) - 1e-9)
    short = start["dispersal"] > kept
    if short.any():
        notes.append(f"{int(short.sum())} area(s) house more people at the new start than the bed spaces the previous "
                     "plan keeps there, so their bed spaces are their people: "
                     + ", ".join(df.loc[short, "area_name"].astype(str).head(12)))
    early = (df["status"] == "volunteered") & (df["stock"] > 0) & ~opened
    for name in df.loc[opened | early, "area_name"]:
        notes.append(f"{name} has opened as a dispersal area: it is an existing area in the new plan")
    df.loc[opened | early, "status"] = "existing"
    if "available_from" in df.columns:
        df.loc[df["status"] != "volunteered", "available_from"] = np.nan
    if start["contingency"] is not None:
        df["contingency"] = start["contingency"]
    for name, column in _carried(scenario, previous, first, start["contingency"]).items():
        df[name] = column
    if start["initial"] is not None and "initial" in df.columns:
        df["initial"] = np.where(np.isnan(start["initial"]), df["initial"], start["initial"])
        notes.append("initial accommodation by council is the actual's")
    return df


def _carried(scenario: Scenario, previous: Any, first: int, people: np.ndarray | None) -> dict[str, np.ndarray]:
    """The areas columns that carry into the new plan what the previous plan judged once, at its start, and
    the hotel places it keeps open (docs/monitoring.md): ``protect`` (the protected set), ``protect_level``
    (the level protection holds a protected area to: the previous start's), ``over_cap_until`` (the last
    year from ``first`` on that the previous plan counts the area as over its cap on the pressure basis by
    inheritance) and ``hotel_places`` (its open hotel places at the new start, at least the ``people`` in them)."""
    d = prepare(scenario)
    out: dict[str, np.ndarray] = {}
    if people is not None:
        places = _at_new_start(previous, d.areas["area_code"], first, "hotel_places", d.hotel_places0, "first")
        out["hotel_places"] = np.maximum(np.nan_to_num(places), people)
    if d.over_basis is not None:
        over = d.over_basis & (d.years >= first)[None, :]
        last = d.years[len(d.years) - 1 - np.argmax(over[:, ::-1], axis=1)]
        if over.any():
            out["over_cap_until"] = np.where(over.any(axis=1), last, np.nan)
    if d.protected is not None:
        out["protect"] = d.protected
        if d.protect_rule != "no_new_placements":      # its level: on the basis with no_rise (the fixed counts too)
            level = d.protection_level() + (d.fixed if d.protect_rule == "no_rise" else 0.0)
            out["protect_level"] = np.where(d.protected, level, np.nan)
    return out


def _at_new_start(previous: Any, codes: pd.Series, first: int, column: str, at_start: np.ndarray,
                  how: str = "sum") -> np.ndarray:
    """(A,) the previous plan's ``column`` of allocations.csv at the end of ``first - 1``, the new start (an
    area's cohort rows summed, or with ``how="first"`` a figure of the area's, repeated on each row);
    ``at_start``, the scenario's own, when the new start is the plan's start."""
    a = previous.allocations
    a = a[a["year"] == first - 1]
    if not len(a):
        return at_start
    return a.groupby("area_code", sort=False)[column].agg(how).reindex(codes).to_numpy(float)


def _previous_numbers(previous: Any, years: list[int]) -> pd.DataFrame:
    a = previous.allocations
    a = a[a["year"].isin(years)]
    table = a.groupby(["area_code", "year"], sort=False)["stock"].sum().reset_index()
    return table.astype({"year": "int64", "stock": "int64"})


def _agreements(scenario: Scenario, first: int, when: date, now: dict, notes: list[str]) -> pd.DataFrame | None:
    """The agreements of the new plan's years; those of earlier years are reported (met or not, for the
    year the date ends)."""
    ag = scenario.agreements
    if ag is None or not len(ag):
        return None
    kept = _of_years_left(ag, first, "agreement", notes)
    if when == year_end(first - 1):
        for r in ag[ag["year"] == first - 1].itertuples():
            got = now[str(r.area_code)]
            low, high = (-np.inf if np.isnan(r.minimum) else r.minimum), (np.inf if np.isnan(r.maximum) else r.maximum)
            words = "met" if low <= got <= high else "not met"
            notes.append(f"the agreement for {r.area_code} in {r.year} ({_range(r.minimum, r.maximum)}) was {words}: "
                         f"{fmt(got, 'people')} at {when:%d %b %Y}")
    return None if kept is None else kept[["area_code", "year", "minimum", "maximum", "note"]]


def _range(low: float, high: float) -> str:
    if low == high:
        return f"exactly {fmt(low, 'people')}"
    return " and ".join(w for w in (f"at least {fmt(low, 'people')}" if not np.isnan(low) else "",
                                    f"at most {fmt(high, 'people')}" if not np.isnan(high) else "") if w)


def _csv(table: pd.DataFrame) -> bytes:
    """A table as the scenario's CSV: whole numbers without a decimal point, empty where there is none."""
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            values = out[col].to_numpy()
            whole = np.isfinite(values) & (values == np.round(values))
            out[col] = [str(int(v)) if w else ("" if not np.isfinite(v) else repr(float(v)))
                        for v, w in zip(values, whole)]
    return out.to_csv(index=False, lineterminator="\n").encode()


def _changes(previous: Any, plan: Any, first: int) -> pd.DataFrame:
    """Per area and remaining year: the previous number, the new one, the change and why (explain's reasons)."""
    old = previous.allocations
    old = old[old["year"] >= first].groupby(["area_code", "year"], sort=False)["stock"].sum()
    new = plan.allocations.groupby(["area_code", "area_name", "region", "year"], sort=False).agg(
        stock=("stock", "sum"), limited_by=("limited_by", "first")).reset_index()
    new["previous"] = old.reindex(pd.MultiIndex.from_frame(new[["area_code", "year"]])).to_numpy()
    out = new.rename(columns={"stock": "new"})[["area_code", "area_name", "region", "year", "previous", "new"]]
    out["change"] = out["new"] - out["previous"]
    why = reason_cells(plan.allocations, plan.start, plan.pressure_basis)
    out["why"] = why.reindex(pd.MultiIndex.from_frame(new[["area_code", "year"]])).to_numpy()
    return out


def changes_markdown(r: Replan) -> str:
    c = r.changes
    s = r.plan.summary
    moved = c[c["change"] != 0]
    councils = moved["area_code"].nunique()
    rows = moved.sort_values(["year", "change", "area_code"], key=lambda v: v.abs() if v.name == "change" else v,
                             ascending=[True, False, True])
    table = pd.DataFrame({"council": rows["area_name"].astype(str), "code": rows["area_code"].astype(str),
                          "year": rows["year"].astype(str), "Previous": rows["previous"].map(lambda v: fmt(v, "people")),
                          "New": rows["new"].map(lambda v: fmt(v, "people")),
                          "Change": rows["change"].map(lambda v: fmt(v, "people", signed=True)), "Why": rows["why"]})
    lines = [f"# Changes: {s['scenario']}", "",
             f"Re-planned from the actual of {s['replan']['date']} (`{Path(s['replan']['actual']).name}`); the previous "
             f"plan's SHA-256 is `{s['replan']['previous_plan_sha256'][:16]}`. "
             f"Total {cost_words(s['replan']['cost'])}.",
             "",
             f"{councils} of {c['area_code'].nunique()} councils change in at least one year; every other council keeps "
             "the previous plan's numbers. Why: what limits the new number (allocator explain gives the words).", "",
             markdown_table(table, ("council", "code", "year", "Why")) if len(table) else "No council's number changes.",
             "", "## Notes", "", *([f"* {sentence(n)}" for n in r.notes] or ["* None."]), ""]
    return clean_text("\n".join(lines), multiline=True)


def replan_lines(r: Replan) -> list[str]:
    """A few lines for the terminal: the new plan, the councils that change, the notes."""
    s, c = r.plan.summary, r.changes
    moved = c[c["change"] != 0]
    end = s["headline"]["end"]
    lines = [f"Re-planned {s['scenario']}: {s['status']}; {int(c['year'].nunique())} year(s) from "
             f"{s['replan']['starts']}.",
             f"By {end['year']}: {fmt(end['dispersed'], 'people')} in dispersal, {fmt(end['contingency'], 'people')} in "
             f"contingency; {cost_words(s['replan']['cost'])}.",
             f"{moved['area_code'].nunique()} of {c['area_code'].nunique()} councils change in at least one year "
             f"(people moved from the previous plan's numbers, all years: {fmt(float(moved['change'].abs().sum()), 'people')})."]
    for row in moved.reindex(moved["change"].abs().sort_values(ascending=False).index).head(5).itertuples():
        lines.append(f"  {row.area_name} {row.year}: {fmt(row.previous, 'people')} -> {fmt(row.new, 'people')} "
                     f"({fmt(row.change, 'people', signed=True)}; {row.why or 'no limit binds'})")
    lines += [f"Note: {n}." for n in r.notes]
    return lines + _track_next(s["replan"])


def _track_next(made: dict) -> list[str]:
    """After a re-plan from a date inside a year, which plan the releases until the new start are tracked against."""
    when, starts = date.fromisoformat(made["date"]), date.fromisoformat(made["starts"])
    if when == starts:
        return []
    return [f"Track the releases dated after {when:%d %b %Y} and before {starts:%d %b %Y} (this plan's start) "
            f"against the previous plan; this plan from {starts:%d %b %Y} on."]

"""A plan against actual (:class:`allocator.track.Tracking`) in words and files, and read back.

:func:`write_tracking` writes the folder ``allocator track`` leaves (through
:func:`allocator.output.write_folder`, so the ``--out``/``--force`` rules hold):

* ``track_councils.csv``: one row per area of the plan;
* ``track_regions.csv`` and ``track_nation.csv``: the same figures summed;
* ``track.md``: the summary (:func:`track_markdown`): the nation, the regions, the flagged councils
  (and those not checked against the cluster limit), every note (councils missing, renamed, suppressed
  cells, rows that are not councils), then contingency by council;
* ``track.json``: what was compared (the plan's and the actual file's SHA-256, the columns read,
  the interpolation, the threshold) and the notes.

:func:`read_tracking` reads such a folder back (``allocator report --track``). This module knows
the tracking only by its attributes: :mod:`allocator.track` imports it, not the other way round.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.actual import suppressed_notes
from allocator.errors import InputError, Issue
from allocator.inputs import MAX_PLAN_FILE_BYTES, read_file, read_plan_json, read_plan_table
from allocator.output import clean_text, fmt, markdown_table, safe_csv, sentence, write_folder
from allocator.output import percent as share

TRACK_FILES = ("track_councils.csv", "track_regions.csv", "track_nation.csv", "track.md", "track.json")
COUNCIL_COLUMNS = ("area_code", "area_name", "region", "start_dispersal", "planned_dispersal", "actual_dispersal",
                   "difference", "planned_net_new", "actual_net_new", "fulfilment", "status")
#: The flags of a council: True, False, or unknown (NA) where a figure they are judged on is unknown.
FLAGS = ("over_cap", "behind", "ahead")
#: Below this many planned net new places (in either direction) the fulfilment rate is undefined.
MIN_PLANNED_PLACES = 1.0
#: The name of the one row of ``track_nation.csv``: every area of the plan, national or not.
ALL_AREAS = "All areas of the plan"
#: The columns summed for a region or the nation, over its councils whose actual dispersal is known.
_SUMMED = ("start_dispersal", "planned_dispersal", "actual_dispersal", "difference", "planned_net_new",
           "actual_net_new")


def percent(value: float) -> str:
    """A fulfilment rate as people read it, ``undefined`` where there is none (never ``-0%``)."""
    return "undefined" if value is None or not np.isfinite(value) else share(value)


def sum_rows(councils: pd.DataFrame, key: str) -> pd.DataFrame:
    """The councils' figures summed by ``key`` (a region, or every area): the one definition of a region's and
    the nation's figures, in track_regions.csv, track_nation.csv, track.md, on screen and in the report.

    Dispersal and fulfilment over the councils whose actual dispersal is known (``councils_unknown``: the
    others); ``planned_contingency`` and ``actual_contingency`` over the councils whose actual contingency is
    known (``councils_contingency_unknown``: the others), so that like is compared with like (the planned
    figure blank when the plan does not locate hotels by council); ``planned_contingency_all`` and
    ``actual_contingency_all`` over every council, the latter unknown (blank) when any council's figure is;
    the counts of councils flagged, and ``over_cap_unknown``: those whose limit could not be checked
    (:func:`unchecked` lists them)."""
    known = councils["actual_dispersal"].notna()
    groups = sorted(councils[key].unique())
    out = councils[known].groupby(key, sort=True)[list(_SUMMED)].sum().round(2).reindex(groups)
    by = councils.groupby(key)
    out.insert(0, "councils", by.size())
    out.insert(1, "councils_unknown", (~known).groupby(councils[key]).sum())
    planned_new = out["planned_net_new"]
    defined = planned_new.abs() >= MIN_PLANNED_PLACES
    out["fulfilment"] = (out["actual_net_new"] / planned_new.where(defined)).round(4) + 0.0     # never -0.0
    known_c = councils["actual_contingency"].notna()
    out = out.join(councils[known_c].groupby(key)[["planned_contingency", "actual_contingency"]].sum(min_count=1)
                   .round(2))
    out["councils_contingency_unknown"] = (~known_c).groupby(councils[key]).sum()
    out["planned_contingency_all"] = by["planned_contingency"].sum(min_count=1).round(2)
    out["actual_contingency_all"] = by["actual_contingency"].sum(min_count=1).where(
        out["councils_contingency_unknown"] == 0)                  # unknown when a council's figure is
    for flag in FLAGS:
        out[flag] = by[flag].sum()
    out["over_cap_unknown"] = councils["over_cap"].isna().groupby(councils[key]).sum()
    for col in ("councils", "councils_unknown", "councils_contingency_unknown", *FLAGS, "over_cap_unknown"):
        out[col] = out[col].fillna(0).astype(np.int64)
    return out.reset_index()


def contingency_text(n: Any, hotels_by_area: bool, hotels_column: bool = True) -> str:
    """People in contingency, planned against actual over the same councils (those whose actual is known, and
    how many are not), from a row of :func:`sum_rows`; with ``national_planned_contingency`` (the plan's own
    total) when the plan does not locate hotels by council, or has people in sites in no council. Not compared
    when no council's actual is known, saying why: without ``hotels_column`` the actual file has no such column
    (:func:`hotels_read`)."""
    unknown = int(n["councils_contingency_unknown"])
    known = int(n["councils"]) - unknown
    over = f"over the {known:,} council(s) whose figure is known" + (
        f" ({unknown:,} left out, {'its figure' if unknown == 1 else 'their figures'} unknown)" if unknown else "")
    if not known:
        return "not compared: " + (NO_HOTELS_COLUMN if not hotels_column else "no council's actual is known")
    if hotels_by_area:
        text = f"planned {_people(n['planned_contingency'])}, actual {_people(n['actual_contingency'])}, {over}"
        unlocated = float(n.get("national_planned_contingency", np.nan)) - float(n["planned_contingency_all"])
        if unlocated >= 0.5:
            text += f"; the plan also has {_people(unlocated)} in new contingency sites, in no council"
        return text
    return (f"planned {_people(n['national_planned_contingency'])} for all the plan's areas together (it does not "
            f"locate hotels by council), actual {_people(n['actual_contingency'])} {over}")


def is_set(value: Any) -> bool:
    """A flag that holds: True, not False and not unknown (NA)."""
    return bool(value) if pd.notna(value) else False


def _people(value: float, signed: bool = False) -> str:
    return "unknown" if value is None or not np.isfinite(value) else fmt(value, "people", signed=signed)


def figure_rows(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """The figures of regions or the nation as text, for a Markdown table."""
    return pd.DataFrame({
        label: table["region"].astype(str), "Councils": table["councils"].map(str),
        "Unknown": table["councils_unknown"].map(str),
        "Start": table["start_dispersal"].map(_people), "Planned": table["planned_dispersal"].map(_people),
        "Actual": table["actual_dispersal"].map(_people),
        "Difference": table["difference"].map(lambda v: _people(v, True)),
        "Planned net new": table["planned_net_new"].map(lambda v: _people(v, True)),
        "Actual net new": table["actual_net_new"].map(lambda v: _people(v, True)),
        "Fulfilment": table["fulfilment"].map(percent),
    })


def _council_rows(table: pd.DataFrame, basis: str | None = None) -> pd.DataFrame:
    """The councils' figures as the tables of track.md show them; on a pressure basis the actual total on it
    (which the limit judges) beside the limit."""
    rows = pd.DataFrame({
        "council": table["area_name"].astype(str), "code": table["area_code"].astype(str),
        "region": table["region"].astype(str),
        "Planned": table["planned_dispersal"].map(_people), "Actual": table["actual_dispersal"].map(_people),
        "Difference": table["difference"].map(lambda v: _people(v, True)),
        "Fulfilment": table["fulfilment"].map(percent), "Limit": table["cap"].map(_people),
    })
    if basis is not None:
        rows.insert(len(rows.columns) - 1, f"Actual on the basis ({basis})", basis_texts(table))
    return rows


def basis_texts(table: pd.DataFrame) -> pd.Series:
    """Each council's actual total on the pressure basis as text: ``at least 620`` where a figure in it is unknown
    (``actual_basis_at_least``, the sum of the known ones, whether or not it is over the limit), ``unknown`` where
    the known ones add up to nothing."""
    at_least = table["actual_basis_at_least"] if "actual_basis_at_least" in table else pd.Series(np.nan, table.index)
    return pd.Series([_people(b) if pd.notna(b) else f"at least {_people(m)}" if pd.notna(m) and m > 0 else "unknown"
                      for b, m in zip(table["actual_basis"], at_least)], index=table.index)


#: The flags a council is listed under, with the words for them (track.md, the screen and the report).
FLAG_TITLES = {"behind": "behind the plan", "ahead": "ahead of the plan", "over_cap": "over the cluster limit"}


def flagged(c: pd.DataFrame, flag: str) -> pd.DataFrame:
    """The councils whose ``flag`` (:data:`FLAGS`) holds, furthest from the plan first (then by code): the one
    list of them, in track.md, on screen and in the report."""
    rows = c[c[flag].fillna(False).astype(bool)]
    return rows.sort_values(["difference", "area_code"], key=lambda s: s.abs() if s.name == "difference" else s,
                            ascending=[False, True])


#: Why a council's hotels are unknown when the actual file has no contingency column.
NO_HOTELS_COLUMN = "the actual file has no contingency column"


def hotels_read(summary: dict) -> bool:
    """Whether the actual file of a tracking (its ``summary``, track.json) has a contingency column."""
    return "contingency" in ((summary.get("actual") or {}).get("columns") or {})


def unchecked(c: pd.DataFrame, hotels_column: bool = True) -> pd.DataFrame:
    """The councils whose cluster limit could not be checked (``over_cap`` unknown: those ``over_cap_unknown``
    counts), with ``why``: which figure of their total on the pressure basis is unknown (their dispersal, the
    people in their hotels: suppressed, or, without ``hotels_column``, not in the file), or that they are not in
    the actual file."""
    rows = c[c["over_cap"].isna()]
    dispersal = rows["actual_dispersal"].isna().to_numpy()
    hotels = rows["actual_contingency"].isna().to_numpy() if "actual_contingency" in rows else np.zeros(len(rows), bool)
    missing = (rows["status"] == "not in the actual").to_numpy()
    absent = "" if hotels_column else NO_HOTELS_COLUMN          # said once for all (unchecked_text)
    why = np.select([missing, dispersal & hotels, dispersal, hotels],
                    ["not in the actual file", "dispersal unknown" if absent else "dispersal and hotels unknown",
                     "dispersal unknown", absent or "hotels unknown"], "a figure unknown")
    return rows.assign(why=why)


def unchecked_text(rows: pd.DataFrame, basis: str | None, limit: int = 12, codes: bool = True,
                   start: str | None = None) -> str:
    """What :func:`unchecked` found, in words: how many, why, and who (the first ``limit``; with ``codes``
    each council's code too). That the actual file has no contingency column is said once, before the list.
    ``start``: the words before the list (by default how many councils were not checked)."""
    judged = f", their total on the pressure basis ({basis}) unknown" if basis is not None else ""
    names, code = rows["area_name"].astype(str).str.strip(), rows["area_code"].astype(str)
    wide = (rows["why"] == NO_HOTELS_COLUMN).to_numpy()
    why = (code + np.where(wide, "", ", " + rows["why"])) if codes else rows["why"].where(~wide, "")
    who = names.where(names != "", code) + np.where(why == "", "", " (" + why + ")")
    start = start or f"{len(rows)} council(s) not checked against the cluster limit"
    return (f"{start}{judged}" + (f" ({NO_HOTELS_COLUMN})" if wide.any() else "") + ": " + ", ".join(who.head(limit))
            + (f" and {len(rows) - limit} more" if len(rows) > limit else ""))


def over_cap_title(c: pd.DataFrame, unknown: int) -> str:
    """How many councils are over the cluster limit, and of how many checked when some could not be (``unknown``
    of them): "12 council(s) over the cluster limit, of the 355 checked"."""
    over = len(flagged(c, "over_cap"))
    if not unknown:
        return f"{over} council(s) over the cluster limit"
    return f"{over} council(s) over the cluster limit, of the {len(c) - unknown:,} checked"


def _flagged(t: Any) -> list[str]:
    c = t.councils
    basis = t.summary.get("pressure_basis")
    out = []
    unknown = len(unchecked(c))
    for flag, title in (("behind", f"Behind the plan by more than {t.summary['behind_by']:g} people"),
                        ("ahead", f"Ahead of the plan by more than {t.summary['behind_by']:g} people"),
                        ("over_cap", "Over the cluster limit (on the plan's pressure basis)")):
        rows = flagged(c, flag)
        checked = ("" if flag != "over_cap" or not unknown else f" of the {len(c) - unknown:,} checked"
                   if len(c) > unknown else " (none could be checked)")
        out += [f"### {title}: {len(rows)}{checked}", ""]
        out += [markdown_table(_council_rows(rows, basis), ("council", "code", "region")), ""] if len(rows) else []
    if len(rows := unchecked(c, hotels_read(t.summary))):
        out += [f"### Not checked against the cluster limit: {len(rows)}", "", sentence(unchecked_text(rows, basis)),
                ""]
    return out


def _hotels(t: Any) -> list[str]:
    """The councils with people in contingency, planned or actual, when the plan locates hotels."""
    c = t.councils
    rows = c[(c["planned_contingency"].fillna(0) > 0) | (c["actual_contingency"].fillna(0) > 0)]
    if not t.summary["hotels_by_area"] or not c["actual_contingency"].notna().any():
        return []
    table = pd.DataFrame({"council": rows["area_name"].astype(str), "code": rows["area_code"].astype(str),
                          "Planned": rows["planned_contingency"].map(_people),
                          "Actual": rows["actual_contingency"].map(_people),
                          "Difference": rows["difference_contingency"].map(lambda v: _people(v, True))})
    return ["## Contingency by council", "", "People in hotels and other contingency sites, where the plan or the "
            "actual has any.", "", markdown_table(table, ("council", "code")) if len(rows) else "None.", ""]


def track_markdown(t: Any) -> str:
    """``track.md``: what was compared (and, for a re-plan, what its start is), the nation, the regions, the
    flagged councils, the notes, then contingency by council."""
    s = t.summary
    a, p = s["actual"], s["plan"]
    read = ", ".join(f"{role} '{name}'" for role, name in a["columns"].items())
    nation = t.nation.iloc[0]
    lines = [
        f"# Plan against actual, {t.date:%d %B %Y}", "",
        f"* Plan: {p['scenario']} ({p['start']} to {p['end']}), plan SHA-256 `{p['sha256'][:16]}`.",
        f"* Actual: `{Path(a['file']).name}`, {_layout(a['layout'])}, SHA-256 `{a['sha256'][:16]}`; header on "
        f"line {a['header_line']}; columns read: {read}.",
        *([f"* Start: {r['how']}."] if (r := p.get("replan")) else []),
        f"* Planned numbers: {s['interpolation']['how']}.",
        "* Difference: actual minus planned, in people. Fulfilment: the net new places actually provided "
        "since the plan's start against those the plan asked for by this date (undefined where it asked for "
        "fewer than one).", "",
        "## All areas of the plan", "", markdown_table(figure_rows(t.nation, "Areas"), ("Areas",)), "",
        "People in contingency (hotels and other sites): "
        f"{contingency_text(nation, s['hotels_by_area'], hotels_read(s))}.", "",
        "## Regions", "", markdown_table(figure_rows(t.regions, "Region"), ("Region",)), "",
        "## Councils flagged", "", *_flagged(t),
        "## Notes", "", *([f"* {sentence(n)}" for n in t.notes] or ["* None: every area of the plan is in the actual "
                                                                   "file and every row of the file is a council of "
                                                                   "the plan."]), "",
        *_hotels(t),
        "Every council's figures are in `track_councils.csv`.", ""]
    return clean_text("\n".join(lines), multiline=True)


def _layout(layout: str) -> str:
    return ("a Home Office local authority table (Reg_02 layout)" if layout == "reg02" else
            "an areas table (the project's own format)")


def _over_cap(r: Any, basis: str | None) -> str:
    """What an area over the cluster limit holds: on the plan's pressure basis (at least the known figures, when
    one is unknown), with its people in dispersal."""
    if basis is None:
        return f"{_people(r.actual_dispersal)} in dispersal"
    if pd.isna(r.actual_basis):
        unknown = "its hotels unknown" if pd.notna(r.actual_dispersal) else "its dispersal unknown"
        return (f"at least {_people(getattr(r, 'actual_basis_at_least', np.nan))} on the pressure basis ({basis}), "
                f"{_people(r.actual_dispersal)} in dispersal, {unknown}")
    return f"{_people(r.actual_basis)} on the pressure basis ({basis}), {_people(r.actual_dispersal)} in dispersal"


def summary_lines(t: Any, top: int = 5) -> list[str]:
    """A few lines for the terminal: the nation, the fulfilment, the flags, the notes' count."""
    n = t.nation.iloc[0]
    c = t.councils
    lines = [f"Plan against actual at {t.date:%d %b %Y} ({t.summary['interpolation']['how']}).",
             f"Dispersal, {n['councils'] - n['councils_unknown']} of {n['councils']} areas known: planned "
             f"{_people(n['planned_dispersal'])}, actual {_people(n['actual_dispersal'])}, difference "
             f"{_people(n['difference'], True)}; net new places planned {_people(n['planned_net_new'], True)}, "
             f"actual {_people(n['actual_net_new'], True)}; fulfilment {percent(n['fulfilment'])}."]
    if replanned := t.summary["plan"].get("replan"):          # the start the net new places are counted from
        lines.insert(1, sentence(replanned["how"]))
    if len(t.regions) > 1 and t.regions["fulfilment"].notna().any():     # each region's rate and what it is of
        lines.append("Fulfilment by region (actual of planned net new places): " + "; ".join(
            f"{r.region} {percent(r.fulfilment)} ({_people(r.actual_net_new, True)} of "
            f"{_people(r.planned_net_new, True)})" for r in t.regions.itertuples()) + ".")
    lines.append(f"Contingency: {contingency_text(n, t.summary['hotels_by_area'], hotels_read(t.summary))}.")
    if len(missing := c[c["status"] == "not in the actual"]):          # named, as suppressed cells are
        names = missing["area_name"].astype(str) + " (" + missing["area_code"].astype(str) + ")"
        lines.append(f"{len(missing)} area(s) of the plan not in the actual file, their actual unknown: "
                     + ", ".join(names.head(top)) + (f" and {len(missing) - top} more" if len(missing) > top else "")
                     + ".")
    basis = t.summary.get("pressure_basis")
    not_checked = unchecked(c, hotels_read(t.summary))
    for flag, words in FLAG_TITLES.items():
        rows = flagged(c, flag)
        shown = ", ".join(f"{r.area_name} ({_people(r.difference, True)})" if flag != "over_cap" else
                          f"{r.area_name} ({_over_cap(r, basis)}, limit {_people(r.cap)})"
                          for r in rows.head(top).itertuples())
        more = f" and {len(rows) - top} more" if len(rows) > top else ""
        if flag == "over_cap" and len(not_checked) == len(c):     # none checked: never "0 over the limit"
            continue
        title = over_cap_title(c, len(not_checked)) if flag == "over_cap" else f"{len(rows)} council(s) {words}"
        lines.append(title + (f": {shown}{more}." if len(rows) else "."))
    if len(not_checked):
        none = f"Over the cluster limit: not checked for any of the {len(c):,} council(s)"
        lines.append(sentence(unchecked_text(not_checked, basis, top, codes=False,
                                             start=none if len(not_checked) == len(c) else None)))
    a = t.summary["actual"]
    marks = a.get("suppressed", [])
    ours = [m for m in marks if m.get("in_plan", True)]             # suppressed cells of the plan's councils
    lines += [sentence(n) for n in suppressed_notes(a["file"], ours) + a.get("read_as_zero", [])]
    if outside := len(marks) - len(ours):
        lines.append(f"{outside} suppressed cell(s) of councils not in the plan: not needed, not read (see track.md).")
    if not a.get("date_from"):
        lines.append(f"Note: {Path(a['file']).name} gives no date: it is taken to be the position at "
                     f"{t.date:%d %B %Y} (--date).")
    if t.notes:
        lines.append(f"{len(t.notes)} note(s) on the comparison (councils missing, renamed, suppressed, rows that "
                     "are not councils): see track.md.")
    return lines


def write_tracking(t: Any, out: str | Path, *, force: bool = False, protect=()) -> Path:
    """Write :data:`TRACK_FILES` into the folder ``out`` atomically (``force`` replaces an earlier output)."""
    with write_folder(out, kind="track", force=force, protect=protect) as tmp:
        for name, table in (("track_councils.csv", t.councils), ("track_regions.csv", t.regions),
                            ("track_nation.csv", t.nation)):
            safe_csv(table).to_csv(tmp / name, index=False, lineterminator="\n")
        (tmp / "track.md").write_text(track_markdown(t), encoding="utf-8", newline="\n")
        written = {name: _sha256(tmp / name) for name in TRACK_FILES if name != "track.json"}
        with open(tmp / "track.json", "w", encoding="utf-8", newline="\n") as fh:
            json.dump({**t.summary, "files_sha256": written}, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    return Path(out)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: What to do with a tracking folder whose files are cut short or were changed.
TRACK_AGAIN = "run `allocator track` again to write the folder afresh"


def _check_written(d: Path, summary: dict, names: tuple[str, ...]) -> None:
    """Refuse (InputError) a file of the tracking folder ``d`` that is not the one ``allocator track`` wrote: its
    SHA-256 is not the one track.json records (``files_sha256``; a folder written before it was recorded is
    not checked)."""
    recorded = summary.get("files_sha256")
    if not isinstance(recorded, dict):
        return
    for name in (n for n in names if n in recorded):
        raw = read_file(d / name, MAX_PLAN_FILE_BYTES, str(d / name), "a tracking table", InputError)
        if hashlib.sha256(raw).hexdigest() != recorded[name]:
            raise InputError(Issue(str(d / name), "the file was changed or cut short after `allocator track` wrote it "
                                                  f"(its SHA-256 is not the one track.json records): {TRACK_AGAIN}"))


@dataclass
class TrackRead:
    """A tracking folder read back (:func:`read_tracking`): the council table and the summary."""

    date: date
    councils: pd.DataFrame
    summary: dict


def check_of_plan(tracking: Any, plan: Any, where: str = "track") -> None:
    """Refuse (InputError, exit 2) a tracking made of another plan than ``plan``: its figures would be shown as
    this plan's. ``where`` names the tracking (its track.json, or "track" for one passed from Python)."""
    theirs = str(tracking.summary.get("plan", {}).get("sha256", ""))
    if theirs != plan.sha256():
        raise InputError(Issue(where, f"this tracking compares another plan (SHA-256 {theirs[:16]}…), not the one "
                                      f"reported on ({plan.sha256()[:16]}…): run `allocator track` on this plan",
                               field="plan.sha256"))


def read_tracking(folder: str | Path) -> TrackRead:
    """Read the folder ``allocator track`` wrote; an InputError (exit 2) naming the file otherwise."""
    d = Path(folder)
    missing = [f for f in ("track_councils.csv", "track.json") if not (d / f).is_file()]
    if missing:
        raise InputError(Issue(str(d), f"not a tracking folder: missing {', '.join(missing)} (write one with "
                                       "`allocator track PLAN ACTUAL --date YYYY-MM-DD --out DIR`)"))
    summary = read_plan_json(d / "track.json")
    _check_written(d, summary, ("track_councils.csv",))
    councils = read_plan_table(d / "track_councils.csv", COUNCIL_COLUMNS,
                               ("start_dispersal", "planned_dispersal", "planned_net_new"), unknown_flags=True,
                               again=TRACK_AGAIN)
    for flag in FLAGS:                                      # True, False, or unknown (a blank cell)
        if flag in councils.columns:
            try:
                councils[flag] = councils[flag].astype("boolean")
            except (TypeError, ValueError):
                raise InputError(Issue(str(d / "track_councils.csv"), "not True, False or blank (unknown) in every "
                                                                       "row", row=1, field=flag)) from None
    try:
        when = date.fromisoformat(str(summary["date"]))
    except (KeyError, ValueError):
        raise InputError(Issue(str(d / "track.json"), "no valid date (YYYY-MM-DD)", field="date")) from None
    return TrackRead(date=when, councils=councils, summary=summary)

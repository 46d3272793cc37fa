"""The HTML report: one self-contained file that opens offline.

:func:`build_report` turns a plan (and optionally a plan to compare with)
into one HTML page: headline figures, trajectory charts, hex maps of people
per 10,000 residents today and in the final year, regional bars against the
fair share, and a searchable table of every council. The page comes from
Jinja2 templates (``allocator/templates``, autoescaping on: :mod:`allocator.pages`);
the charts are the matplotlib figures of ``plan.plot`` (:mod:`allocator.plot`), inlined as
SVG; the hex maps are written by the template from :func:`allocator.hexmap.hex_map`.
Everything is inline (SVG, CSS, a little JavaScript); a Content-Security-Policy
forbids the page from loading anything, so it makes no network request even by accident.
The same plan gives the same bytes.

:func:`write_region_reports` writes one such page per region (for each
Strategic Migration Partnership to share with its councils) and an index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib.style
import pandas as pd
from markupsafe import Markup

from allocator import charts
from allocator.compare import Comparison, compare_plans, shared_span
from allocator.fairness import DISPERSAL, ON_BASIS, basis_name, headline_on_basis, on_basis
from allocator.hexmap import FULFILMENT_CLASSES, FULFILMENT_UNDEFINED, FULFILMENT_UNKNOWN, RATE_CLASSES, \
    fulfilment_colour, hex_map, shaded_map
from allocator.output import fmt, plain_text, safe_file_names, write_file, write_folder, year_span
from allocator.pages import plan_summary_html, render
from allocator.plan import Plan
from allocator.place import fixed_words
from allocator.plot import AreaTable, along, area_table, axis_labels, draw_costs, draw_fair_share, draw_people, \
    fair_share_size, people_series, year_axis
from allocator.track_files import ALL_AREAS, FLAG_TITLES, basis_texts, check_of_plan, contingency_text, flagged, \
    hotels_read, is_set, percent, sum_rows, unchecked

__all__ = ["CSP", "build_report", "plan_summary_html", "regions_of", "write_region_reports", "write_report"]

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")
CHART_SIZE = (7.4, 3.9)          # inches; one of two charts side by side, at about 530 px
TRACK_LISTED = 10                # councils listed under each flag of the plan against the actual


@dataclass
class _View:
    """What every part of one report needs: the plan, the comparison, and the councils shown."""

    plan: Plan
    label: str
    at: AreaTable
    codes: list[str]
    region: str | None = None
    compare: Plan | None = None
    compare_label: str | None = None
    ot: AreaTable | None = None
    cmp: Comparison | None = None
    start: dict = field(default_factory=dict)
    end: dict = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return self.at.years

    @property
    def final(self) -> int:
        return self.at.years[-1]

    @property
    def traj(self) -> pd.DataFrame:
        return self.plan.trajectory.set_index("year")

    @property
    def otraj(self) -> pd.DataFrame | None:
        return self.compare.trajectory.set_index("year") if self.compare is not None else None

    @property
    def meta(self) -> pd.DataFrame:
        return self.at.meta.loc[self.codes]

    def other_codes(self) -> list[str]:
        return [c for c in self.codes if c in self.ot.stock.index]


def _view(plan: Plan, label: str | None, compare: Plan | None, compare_label: str | None,
          region: str | None) -> _View:
    label = label or str(plan.summary.get("scenario", "plan"))
    if compare is not None:
        compare_label = compare_label or str(compare.summary.get("scenario", "comparison"))
        if compare_label == label:
            compare_label = f"{compare_label} (comparison)"
    at = area_table(plan)
    codes = at.codes(region)
    if region is not None and not codes:
        raise ValueError(f"no council in region '{region}'")
    head = plan.summary.get("headline", {})
    v = _View(plan, label, at, codes, region, compare, compare_label, start=head.get("start", {}),
              end=head.get("end", {}))
    if compare is not None:
        v.ot = area_table(compare)
        v.cmp = compare_plans([plan, compare], [label, compare_label], top=10 if region is None else 100_000)
    return v


# --------------------------------------------------------------------------- the report
def build_report(plan: Plan, *, label: str | None = None, compare: Plan | None = None,
                 compare_label: str | None = None, region: str | None = None,
                 index_link: str | None = None, track: Any = None) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    plan : the plan to report on
    label : its short name (default: the scenario name)
    compare : another plan to compare against (its differences are shown everywhere)
    region : report only on this region's councils (national figures are kept as context)
    index_link : relative link back to an index page (regional reports)
    track : the plan against an actual position (:func:`allocator.track_files.read_tracking`, or the
        :class:`~allocator.track.Tracking` of :meth:`Plan.track`): adds a section with a hex map of
        each council's fulfilment rate; a tracking of another plan is refused (InputError, exit 2)
    """
    if track is not None:
        check_of_plan(track, plan)
    v = _view(plan, label, compare, compare_label, region)
    # The charts are drawn under matplotlib's default style and the report's own settings, whatever
    # the user's style is, so the same plan gives the same report (the user's settings come back after).
    with matplotlib.style.context([charts.SVG_STYLE], after_reset=True):
        chart_svgs = _trajectory_charts(v)
        fair = _fair_share(v)
    s = plan.summary
    return render(
        "report.html.j2", csp=Markup(CSP), title=f"{region}: dispersal plan" if region else "Dispersal plan",
        label=v.label, compare_label=v.compare_label, region=region, first=v.years[0], final=v.final,
        cards=_national_cards(v) if region is None else _region_cards(v), changes=_changes(v),
        charts=chart_svgs, **_maps(v), rate_classes=RATE_CLASSES, fair=fair, table=_table(v),
        track=_track_section(v, track),
        index_link=index_link, version=_version(),
        foot={"scenario": s.get("scenario", ""), "status": plan.status, "verified": bool(s.get("verified")),
              "solver": s.get("solver", ""), "solver_version": s.get("solver_version", ""),
              "sha": str(s.get("scenario_sha256", ""))[:12]})


def _version() -> str:
    try:
        return metadata.version("allocator")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "?"


# --------------------------------------------------------------------------- headline
def _card(title: str, value: str, sub: str = "", delta: tuple[str, str] = ("", "")) -> dict:
    return {"title": title, "value": value, "sub": sub, "delta": delta[0], "tone": delta[1]}


def _delta(this: float, other: float, kind: str, other_label: str, lower_is_better: bool | None) -> tuple[str, str]:
    diff = this - other
    txt = fmt(diff, kind, signed=True)
    if txt == "0":
        return f"same as {other_label}", "same"
    tone = ""
    if lower_is_better is not None:
        tone = "good" if (diff < 0) == lower_is_better else "bad"
    return f"{txt} vs {other_label}", tone


def _national_cards(v: _View) -> list[dict]:
    """The headline cards: the fairness figures on the plan's pressure basis, titled with it (and on dispersal
    alone too, where the basis is not dispersal); compared with the other plan only on the same basis."""
    otraj, final = v.otraj, v.final
    basis = basis_name(v.plan)
    same = v.compare is not None and basis_name(v.compare) == basis

    def card(title: str, key: str, kind: str, lower_is_better: bool | None, own: bool = False) -> dict:
        now_v = headline_on_basis(v.start, key) if own else v.start.get(key)
        end_v = headline_on_basis(v.end, key) if own else v.end.get(key)
        delta = ("", "")
        if otraj is not None and final in otraj.index and own and not same:
            delta = (f"{v.compare_label} counts on the {basis_name(v.compare)} basis: not compared", "")
        elif otraj is not None and final in otraj.index:
            column = on_basis(otraj, key) if own and key in ON_BASIS else otraj.get(key)
            other = column.at[final] if column is not None else end_v
            delta = _delta(end_v, other, kind, v.compare_label, lower_is_better)
        return _card(title, fmt(end_v, kind), f"now {fmt(now_v, kind)}" if now_v is not None else "", delta)

    total = v.end.get("total_cost_all_years", float(v.plan.trajectory["total_cost"].sum()))
    cost = _card("Total cost over the plan", fmt(total, "money"), year_span(int(v.years[0]), int(final)),
                 _cost_delta(v, total))
    dispersal_only = [card(f"{title} (dispersal only)", key, kind, True) for title, key, kind in SPREAD] \
        if basis != DISPERSAL else []
    return [card("In hotels (contingency)", "contingency", "people", True),
            card("In dispersal", "dispersed", "people", None), cost,
            *[card(f"{title} ({basis} basis)", key, kind, True, own=True) for title, key, kind in SPREAD],
            *dispersal_only,
            card(f"Areas over the cluster limit ({basis} basis)", "areas_over_cap", "count", True, own=True),
            card("Areas hosting", "areas_hosting", "count", None)]


def _cost_delta(v: _View, total: float) -> tuple[str, str]:
    """The total cost against the other plan's, over the years both cover (compare.plan_totals): a re-plan
    from 2027 against a plan from 2026 is not cheaper by the 2026 cost (issue 15, trial 4)."""
    if v.compare is None:
        return "", ""
    mine, theirs = v.cmp.totals.iloc[0], v.cmp.totals.iloc[1]
    if (mine["first_year"], mine["last_year"]) == (theirs["first_year"], theirs["last_year"]):
        return _delta(total, float(theirs["total_cost_all_years"]), "money", v.compare_label, True)
    span = shared_span(v.cmp.totals)
    if span is None:
        return f"{v.compare_label} covers other years: not compared", ""
    text, tone = _delta(float(mine["total_cost_shared_years"]), float(theirs["total_cost_shared_years"]), "money",
                        v.compare_label, True)
    return f"{text} over {year_span(*span)}, the years both cover", tone


#: The spread of people between areas (allocator.fairness): on the plan's basis, and on dispersal alone.
SPREAD = (("Gini of area rates", "gini", "gini"), ("Highest rate per 10,000", "max_rate_per_10k", "rate"))


def _region_cards(v: _View) -> list[dict]:
    """The headline cards of a region's report; its fair share and the councils over the cluster limit on the
    plan's pressure basis (named where it is not dispersal), as the plan judges them."""
    at, codes, final, region, plan = v.at, v.codes, v.final, v.region, v.plan
    st_final = at.stock.loc[codes, final]
    people = float(st_final.sum())
    held = float(at.held.loc[codes, final].sum())
    pop = v.meta["population"].sum()
    reg_rows = plan.regions[plan.regions["region"].map(plain_text) == region].set_index("year")
    fair_final = float(reg_rows.at[final, "fair_share"]) if final in reg_rows.index else float("nan")
    nat_rate = float(v.traj.at[final, "dispersed"]) / float(
        plan.regions[plan.regions["year"] == final]["population"].sum()) * 1e4
    now = at.now.loc[codes] if at.now is not None else None
    delta = ("", "")
    if v.ot is not None:
        delta = _delta(people, float(v.ot.stock.loc[v.other_codes(), final].sum()), "people", v.compare_label, None)
    rate_now = float(now.sum()) / pop * 1e4 if now is not None and pop > 0 else None
    share = held / fair_final if fair_final > 0 else float("nan")
    on = "" if at.basis is None else f" ({at.basis} basis)"
    houses = (f"the plan houses {share:.0%} of it" if at.basis is None else
              f"{fmt(held, 'people')} {at.counted}: {share:.0%} of it")
    return [
        _card(f"In dispersal in {region}", fmt(people, "people"),
              f"now {fmt(float(now.sum()), 'people')}" if now is not None else "", delta),
        _card("People per 10,000 residents", fmt(people / pop * 1e4, "rate"),
              (f"now {fmt(rate_now, 'rate')} · " if rate_now is not None else "") + f"UK {fmt(nat_rate, 'rate')}"),
        _card(f"Fair share{on}", fmt(fair_final, "people"), houses if math.isfinite(share) else ""),
        _card("Councils hosting", f"{int((st_final > 0).sum())} of {len(codes)}",
              f"now {int((now > 0).sum())}" if now is not None else ""),
        _card(f"Councils over the cluster limit{on}", str(int(at.over.loc[codes, final].sum())),
              f"now {int(at.on_map('now')[2].loc[codes].sum())}" if now is not None else ""),
        _card("UK: in hotels (contingency)", fmt(v.end.get("contingency"), "people"),
              f"now {fmt(v.start.get('contingency'), 'people')}"),
    ]


NATIONAL_CHANGES = (("contingency", "People in hotels", "people"), ("dispersed", "People in dispersal", "people"),
                    ("total_cost", "Cost", "money"), ("gini", "Gini of area rates", "gini"),
                    ("areas_over_cap", "Areas over the cluster limit", "count"),
                    ("areas_hosting", "Areas hosting", "count"))
#: The changes counted on the pressure basis: compared on it when both plans have the same, else the Gini on
#: dispersal alone (areas over the cap have no dispersal-only figure and are left out).
ON_PLAN_BASIS = ("gini", "areas_over_cap")
REGION_CHANGES = (("contingency", "People in hotels (UK)", "people"), ("total_cost", "Cost (UK)", "money"))
#: The changes that are flows over the final year ("Cost in 2029"), not positions at its end.
FLOWS = ("total_cost",)


def _changes(v: _View) -> dict | None:
    """What differs from the comparison at the end of the plan, and the councils that differ most."""
    if v.cmp is None:
        return None
    final, otraj, traj = v.final, v.otraj, v.traj
    pairs: list[tuple[str, float, float, str, str]] = []     # title, this, other, kind, key
    if v.region is not None and final in v.ot.stock.columns:
        oc = v.other_codes()
        pairs.append((f"People in dispersal in {v.region}", float(v.at.stock.loc[v.codes, final].sum()),
                      float(v.ot.stock.loc[oc, final].sum()), "people", ""))
        pairs.append((f"Councils in {v.region} over the cluster limit", float(v.at.over.loc[v.codes, final].sum()),
                      float(v.ot.over.loc[oc, final].sum()), "count", ""))
    basis, other = basis_name(v.plan), basis_name(v.compare)
    for key, title, kind in (NATIONAL_CHANGES if v.region is None else REGION_CHANGES):
        if final not in otraj.index or key not in otraj.columns:
            continue
        if key not in ON_PLAN_BASIS:
            pairs.append((title, float(traj.at[final, key]), float(otraj.at[final, key]), kind, key))
        elif basis == other:
            mine, theirs = (on_basis(t, key) if key in ON_BASIS else t.get(key) for t in (traj, otraj))
            if mine is not None:
                pairs.append((f"{title} ({basis} basis)", float(mine.at[final]), float(theirs.at[final]), kind, key))
        elif key in ON_BASIS and key in traj.columns:
            pairs.append((f"{title} (dispersal only)", float(traj.at[final, key]), float(otraj.at[final, key]), kind,
                          key))
    figures = [(title, f"in {final}" if key in FLOWS else f"at the end of {final}", fmt(a, kind), fmt(b, kind),
                fmt(a - b, kind, signed=True))
               for title, a, b, kind, key in pairs if fmt(a - b, kind, signed=True) != "0"]
    areas = v.cmp.areas
    if v.region is not None:
        areas = areas[areas["region"].map(plain_text) == v.region]
    councils = [(plain_text(r.area_name), fmt(r.final_plan, "people"), fmt(r.final_base, "people"),
                 fmt(r.final_base - r.final_plan, "people", signed=True), fmt(r.sum_abs_difference, "people"))
                for r in areas.head(8).itertuples()]
    return {"figures": figures, "councils": councils, "years": v.cmp.areas_years()}


# --------------------------------------------------------------------------- charts
def _svg(fig, *, name: str, label: str) -> Markup:
    """A chart as inline SVG, marked safe for the template (matplotlib escaped its text)."""
    return Markup(charts.to_svg(fig, name=name, label=label))


def _trajectory_charts(v: _View) -> list:
    """The two charts of the trajectory section, as inline SVG."""
    plan = v.plan
    if v.region is None:
        people = charts.figure(*CHART_SIZE)
        draw_people(people.add_subplot(), plan, v.label, v.compare, v.compare_label)
        costs = charts.figure(*CHART_SIZE)
        draw_costs(costs.add_subplot(), plan, v.compare, v.compare_label)
        return [_svg(people, name="people", label="People in hotels and in dispersal"),
                _svg(costs, name="costs", label="Cost per year")]
    at, codes, ends = v.at, v.codes, year_axis(plan, v.compare)
    reg_rows = plan.regions[plan.regions["region"].map(plain_text) == v.region].set_index("year")
    on = "" if at.basis is None else f" ({at.basis} basis)"
    series = [
        {"label": f"In dispersal in {v.region} ({v.label})", "colour": charts.BLUE,
         **along(ends, plan, float(at.now.loc[codes].sum()) if at.now is not None else None,
                 at.stock.loc[codes].sum())},
        {"label": f"Fair share{on}", "colour": charts.INK, "dash": True,
         **along(ends, plan, None, reg_rows["fair_share"])},
    ]
    if at.basis is not None:              # the total the fair share is a share of, beside dispersal alone
        series.insert(1, {"label": f"On the {at.basis} basis in {v.region} ({v.label})", "colour": charts.GREEN,
                          **along(ends, plan, float(at.now_held.loc[codes].sum()) if at.now_held is not None else None,
                                  at.held.loc[codes].sum())})
    if v.ot is not None:                  # at its own dates: a re-plan starts a year after the plan it revises
        ot, oc = v.ot, v.other_codes()
        series.append({"label": f"In dispersal ({v.compare_label})", "colour": charts.ORANGE, "dash": True,
                       **along(ends, v.compare, float(ot.now.loc[oc].sum()) if ot.now is not None else None,
                               ot.stock.loc[oc].sum())})
    region_fig = charts.figure(*CHART_SIZE)
    ax = region_fig.add_subplot()
    title = f"People in dispersal in {v.region}" if at.basis is None else \
        f"People in {v.region}: in dispersal and on the {at.basis} basis"
    charts.lines(ax, axis_labels(ends, plan, v.compare), series, title=title)
    charts.legend(ax)
    uk_fig = charts.figure(*CHART_SIZE)
    ax = uk_fig.add_subplot()
    charts.lines(ax, axis_labels(ends, plan, v.compare), people_series(plan, "UK", ends=ends),
                 title="UK: people in hotels and in dispersal")
    charts.legend(ax)
    return [_svg(region_fig, name="region", label=title),
            _svg(uk_fig, name="uk", label="UK trajectory")]


def _fair_share(v: _View) -> dict:
    """The chart of the regions (or a region's councils) against their fair share, on the plan's pressure basis
    (:func:`allocator.plot.fair_share_rows`), its title and caption naming the basis."""
    on = "" if v.at.basis is None else f", on the {v.at.basis} basis"
    title = (f"Regions at the end of {v.final} against their fair share{on}" if v.region is None else
             f"Councils in {v.region} at the end of {v.final} against their fair share{on}")
    rows = v.plan.regions["region"].nunique() if v.region is None else len(v.codes)
    fig = charts.figure(*fair_share_size(rows))
    draw_fair_share(fig, v.plan, v.at, v.region)
    return {"title": title, "svg": _svg(fig, name="fair-share", label=title), "basis": v.at.basis,
            "others": fixed_words(v.at.basis), "now": v.at.now is not None}


# --------------------------------------------------------------------------- maps
def _maps(v: _View) -> dict:
    """The hex maps now and at the end of the plan, and notes on what cannot be drawn."""
    at, codes, final = v.at, v.codes, v.final
    names = v.meta["area_name"].to_dict()
    maps, missing = [], []
    for year, caption in ((("now", "Now"),) if at.now is not None else ()) + ((final, f"End of {final}"),):
        rate, stock, over, _ = at.on_map(year)
        on_basis = at.rate_on_basis(year)        # the rate the cluster limit judges, with dispersal alone beside
        m = hex_map(codes, names, (rate if on_basis is None else on_basis).to_dict(), stock.to_dict(), over.to_dict(),
                    dispersal=None if on_basis is None else rate.to_dict(), basis=at.basis)
        missing = m.missing
        label = ("People per 10,000 residents now" if year == "now" else
                 f"People per 10,000 residents, end of {final}") + _basis_words(at.basis)
        if m.hexagons:
            maps.append((caption, m, label))
    note = None
    if missing:
        note = {"all": len(missing) == len(codes), "areas": len(codes), "count": len(missing),
                "shown": ", ".join(f"{names.get(c, c)} ({c})" for c in missing[:12]),
                "more": f" and {len(missing) - 12} more" if len(missing) > 12 else ""}
    any_over = bool(at.over.loc[codes].to_numpy().any()) or (
        at.now is not None and bool(at.on_map("now")[2].loc[codes].any()))
    return {"maps": maps, "missing": note, "no_start": at.now is None, "any_over": any_over,
            "basis": at.basis, "basis_others": fixed_words(at.basis)}


def _basis_words(basis: str | None) -> str:
    """Which people a rate counts: on the plan's pressure basis, or (none) dispersal alone."""
    return "" if basis is None else f", on the pressure basis ({basis})"


# --------------------------------------------------------------------------- plan against actual
def _track_section(v: _View, track: Any) -> dict | None:
    """The plan against the actual on one date: a hex map of fulfilment, the figures, the flagged councils."""
    if track is None:
        return None
    c = track.councils.assign(area_code=track.councils["area_code"].map(plain_text)).set_index("area_code")
    codes = [code for code in v.codes if code in c.index]
    c = c.loc[codes]
    known = c["actual_dispersal"].notna()
    names = c["area_name"].map(plain_text)
    why = unchecked(c, hotels_read(track.summary))["why"]

    def label(code: str) -> str:
        r = c.loc[code]
        if not known[code]:
            return f"{names[code]} ({code}): planned {fmt(r['planned_dispersal'], 'people')}, actual unknown"
        return (f"{names[code]} ({code}): planned {fmt(r['planned_dispersal'], 'people')}, actual "
                f"{fmt(r['actual_dispersal'], 'people')} ({fmt(r['difference'], 'people', signed=True)}); "
                f"fulfilment {percent(r['fulfilment'])}" + (" — over its cluster limit" if is_set(r["over_cap"]) else
                                                            "" if pd.notna(r["over_cap"]) else
                                                            f" — its cluster limit not checked ({why[code]})"))

    over = {code: is_set(flag) for code, flag in c["over_cap"].items()}
    m = shaded_map(codes, lambda code: fulfilment_colour(float(c.at[code, "fulfilment"]), bool(known[code])),
                   label, over)
    n = sum_rows(c.reset_index().assign(region=ALL_AREAS), "region").iloc[0]     # the figures of track_nation.csv
    hotels = bool(track.summary.get("hotels_by_area")) and c["actual_contingency"].notna().any()
    return {"date": f"{track.date:%d %B %Y}", "how": track.summary["interpolation"]["how"], "map": m,
            "classes": [*FULFILMENT_CLASSES, (None, *FULFILMENT_UNDEFINED), (None, *FULFILMENT_UNKNOWN)],
            "known": int(known.sum()), "areas": len(codes), "planned": fmt(n["planned_dispersal"], "people"),
            "actual": fmt(n["actual_dispersal"], "people"), "planned_new": fmt(n["planned_net_new"], "people", True),
            "actual_new": fmt(n["actual_net_new"], "people", True), "rate": percent(n["fulfilment"]),
            "contingency": contingency_text(n, True) if hotels else None,
            "behind_by": f"{float(track.summary['behind_by']):g}", "any_over": any(over.values()),
            "start": (track.summary.get("plan") or {}).get("replan"),
            **_track_flagged(c.reset_index(), track.summary.get("pressure_basis"), hotels_read(track.summary))}


def _track_flagged(c: pd.DataFrame, basis: str | None, hotels: bool = True, most: int = TRACK_LISTED) -> dict:
    """The councils flagged, as track.md lists them (:func:`allocator.track_files.flagged` and
    :func:`~allocator.track_files.unchecked`): behind, ahead, over the cluster limit, and not checked against
    it, at most ``most`` of each (and how many more)."""
    lists = [(FLAG_TITLES[flag], flagged(c, flag)) for flag in FLAG_TITLES]
    rows = unchecked(c, hotels)
    lists += [(f"limit not checked: {why}", rows[rows["why"] == why]) for why in dict.fromkeys(rows["why"])]
    table = [{"name": plain_text(r.area_name), "code": plain_text(r.area_code), "flag": flag,
              "planned": fmt(r.planned_dispersal, "people"), "actual": fmt(r.actual_dispersal, "people"),
              "difference": fmt(r.difference, "people", signed=True), "rate": percent(r.fulfilment),
              "basis": shown if basis is not None else None, "cap": fmt(r.cap, "people")}
             for flag, some in lists for r, shown in zip(some.head(most).itertuples(), basis_texts(some.head(most)))]
    more = [f"{len(some) - most} more {flag}" for flag, some in lists if len(some) > most]
    return {"flagged": table, "flagged_more": more, "basis": basis}


# --------------------------------------------------------------------------- table of councils
def _cell(value: float, kind: str, over: bool = False) -> tuple[str, str, bool]:
    """(sort key, text, over the limit) of one number in the table."""
    v = "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.6g}"
    return v, fmt(value, kind), bool(over)


def _table_head(v: _View) -> list[tuple[str, str, str, bool]]:
    """The headings of the table of councils: each names its basis where the plan's is not dispersal (the
    people in dispersal, then the totals on the basis, now and at the end, that the limit and fair share judge)."""
    at, final = v.at, v.final
    alone, on = ("", "") if at.basis is None else ("dispersal", f"{at.basis} basis")
    head = [("text", "Council", "", False)] + ([("text", "Region", "", False)] if v.region is None else [])
    head += [("num", "Now", alone, False)] if at.now is not None else []
    head += [("num", str(y), alone, False) for y in v.years]
    if at.basis is not None:
        head += ([("num", "Now", on, False)] if at.now_basis is not None else []) + [("num", str(final), on, False)]
    head += [("num", "Per 10k", f"{final}, {on}" if on else str(final), False),
             ("num", "Fair share", on, False) if on else ("num", "Fair", "share", False),
             ("num", "Limit", on, False), ("num", "Change", alone, False)]
    if v.ot is not None:
        head += [("num", str(final), v.compare_label, True), ("num", "Diff.", "", False)]
    return head


def _table(v: _View) -> dict:
    at, years, final, ot = v.at, v.years, v.final, v.ot
    rows = []
    for c in v.codes:
        m = at.meta.loc[c]
        pop = f" · population {fmt(float(m['population']), 'people')}" if m["population"] == m["population"] else ""
        stock = at.stock.loc[c]
        over_now = at.now is not None and at.now_held[c] > at.cap[c]        # judged on the basis, as the plan is
        cells = [_cell(float(at.now[c]), "people", over_now)] if at.now is not None else []
        cells += [_cell(float(stock[y]), "people", at.over.at[c, y]) for y in years]
        if at.basis is not None:
            cells += [_cell(float(at.now_basis[c]), "people", over_now)] if at.now_basis is not None else []
            cells += [_cell(float(at.held.at[c, final]), "people", at.over.at[c, final])]
        base_now = float(at.now[c]) if at.now is not None else float(stock[years[0]])
        cells += [_cell(float(at.held_rate.at[c, final]), "rate"), _cell(float(at.fair.at[c, final]), "people"),
                  _cell(float(at.cap[c]), "people"), _cell(float(stock[final]) - base_now, "people")]
        if ot is not None:
            o = float(ot.stock.at[c, final]) if (c in ot.stock.index and final in ot.stock.columns) else math.nan
            cells += [_cell(o, "people"), _cell(float(stock[final]) - o, "people")]
        rows.append({"code": c, "title": c + pop, "name": m["area_name"],
                     "region": m["region"] if v.region is None else None, "cells": cells})
    note = "Change: end of the plan minus now" if at.now is not None else f"Change: end of the plan minus {years[0]}"
    return {"head": _table_head(v), "rows": rows, "change_note": note + (" in dispersal." if at.basis else "."),
            "basis": at.basis, "others": fixed_words(at.basis), "final": final}


# --------------------------------------------------------------------------- files
def write_report(plan: Plan, out: str | Path, *, protect=(), **kwargs) -> Path:
    """Write :func:`build_report` to ``out`` (an .html file) atomically; returns the path.

    An earlier report is replaced only by a complete new one (:func:`allocator.output.write_file`).
    """
    return write_file(out, build_report(plan, **kwargs), protect=protect)


def regions_of(plan: Plan) -> list[str]:
    return sorted({plain_text(r) for r in plan.allocations["region"].unique()})


def write_region_reports(plan: Plan, folder: str | Path, *, label: str | None = None, compare: Plan | None = None,
                         compare_label: str | None = None, progress=None, force: bool = False,
                         protect=(), track: Any = None) -> list[Path]:
    """One report per region in ``folder`` and an ``index.html`` linking them, written atomically
    (:func:`allocator.output.write_folder`; ``force`` replaces an earlier output).

    Each region's file name is a safe slug of its name (:func:`allocator.output.safe_file_names`),
    with a short hash of the name when two names share a slug, when a name has no Latin letters or
    digits, or when it would be ``index``. ``progress`` wraps the list of regions
    (e.g. :func:`allocator.progress.track`).
    """
    folder = Path(folder)
    with write_folder(folder, kind="report", force=force, protect=protect) as tmp:
        pages = _region_pages(plan, tmp, label=label, compare=compare, compare_label=compare_label,
                              progress=progress, track=track)
    return [folder / p.name for p in pages]


def _region_pages(plan: Plan, folder: Path, *, label: str | None, compare: Plan | None, compare_label: str | None,
                  progress, track: Any = None) -> list[Path]:
    regions = regions_of(plan)
    files = safe_file_names(regions)
    label = label or str(plan.summary.get("scenario", "plan"))
    paths, links = [], []
    at = area_table(plan)
    final = at.years[-1]
    for region in (progress(regions) if progress else regions):
        path = folder / files[region]
        path.write_text(build_report(plan, label=label, compare=compare, compare_label=compare_label,
                                     region=region, index_link="index.html", track=track), encoding="utf-8")
        paths.append(path)
        codes = at.codes(region)
        links.append({"file": path.name, "name": region, "councils": len(codes),
                      "now": float(at.now.loc[codes].sum()) if at.now is not None else None,
                      "final": float(at.stock.loc[codes, final].sum())})
    index = folder / "index.html"
    index.write_text(render("index.html.j2", csp=Markup(CSP), title="Dispersal plan by region", label=label,
                            regions=links, has_now=at.now is not None, final=final, version=_version()),
                     encoding="utf-8")
    return [index, *paths]

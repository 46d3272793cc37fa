"""The HTML report: one self-contained file that opens offline.

:func:`build_report` turns a plan (and optionally a plan to compare with)
into one HTML page: headline figures, trajectory charts, hex maps of people
per 10,000 residents today and in the final year, regional bars against the
fair share, and a searchable table of every council. Everything is inline
(SVG, CSS, a little JavaScript); a Content-Security-Policy forbids the page
from loading anything, so it makes no network request even by accident.

:func:`write_region_reports` writes one such page per region (for each
Strategic Migration Partnership to share with its councils) and an index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.compare import compare_plans, fmt
from allocator.hexmap import RATE_CLASSES, corners, layout, rate_colour
from allocator.output import escape_html as escape
from allocator.output import safe_file_names, write_file, write_folder
from allocator.plan import Plan
from allocator.svg import hbars, line_chart, stacked_bars

BLUE, ORANGE, GREEN, GREY = "#2f6db5", "#d9822b", "#3a9a6a", "#9aa3ad"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")


def plain_text(value) -> str:
    """Undo the apostrophe that CSV outputs put before text a spreadsheet would run as a formula."""
    s = "" if value is None else str(value)
    return s[1:] if len(s) > 1 and s[0] == "'" and s[1] in "=+-@\t\r" else s


# --------------------------------------------------------------------------- plan tables
@dataclass
class AreaTable:
    """Per-area figures of one plan: people per year (cohorts summed), today and the area facts."""

    meta: pd.DataFrame          # index area_code: area_name, region, population (NaN if unknown), status
    stock: pd.DataFrame         # index area_code, columns years
    rate: pd.DataFrame          # per 10,000 residents, index area_code, columns years
    over: pd.DataFrame          # bool, over the cluster limit
    fair: pd.DataFrame          # fair share
    cap: pd.Series
    now: pd.Series | None       # stock today (None when the plan folder has no start.csv)
    now_rate: pd.Series | None

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.stock.columns]


def area_table(plan: Plan) -> AreaTable:
    a = plan.allocations.copy()
    a["area_code"] = a["area_code"].map(plain_text)
    order = list(dict.fromkeys(a["area_code"]))
    g = a.groupby(["area_code", "year"], sort=False).agg(
        stock=("stock", "sum"), rate=("rate_per_10k", "first"), over=("over_cap", "first"),
        fair=("fair_share", "first"), cap=("cap", "first"))

    def wide(col: str) -> pd.DataFrame:
        w = g[col].unstack("year").reindex(order)
        w.columns = [int(c) for c in w.columns]
        return w

    over = wide("over").map(lambda v: str(v).lower() == "true" if not isinstance(v, (bool, np.bool_)) else bool(v))
    meta = a.drop_duplicates("area_code").set_index("area_code")[["area_name", "region"]].reindex(order)
    meta["area_name"] = meta["area_name"].map(plain_text)
    meta["region"] = meta["region"].map(plain_text)
    stock = wide("stock")
    rate = wide("rate")
    now = now_rate = None
    if plan.start is not None:
        s = plan.start.copy()
        s["area_code"] = s["area_code"].map(plain_text)
        s = s.drop_duplicates("area_code").set_index("area_code").reindex(order)
        meta["population"] = s["population"].astype(float)
        meta["status"] = s["status"].astype(str) if "status" in s else "existing"
        now = s["stock"].astype(float)
        now_rate = (now / meta["population"] * 1e4).round(2)
    else:
        last = stock.columns[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            meta["population"] = np.where(rate[last] > 0, stock[last] / rate[last] * 1e4, np.nan)
        meta["status"] = ""
    return AreaTable(meta, stock, rate, over, wide("fair"), g["cap"].groupby(level=0, sort=False).first()
                     .reindex(order), now, now_rate)


# --------------------------------------------------------------------------- notebook summary
def plan_summary_html(plan: Plan) -> str:
    """A compact HTML summary of a plan (what Jupyter shows for a ``Plan``)."""
    s = plan.summary
    h = s.get("headline", {})
    start, end = h.get("start", {}), h.get("end", {})
    years = plan.trajectory["year"].tolist()

    def row(label: str, a, b, kind: str) -> str:
        a_txt = fmt(a, kind) if a is not None else "–"
        b_txt = fmt(b, kind) if b is not None else "–"
        return (f"<tr><th style='text-align:left;font-weight:normal'>{escape(label)}</th>"
                f"<td style='text-align:right'>{a_txt}</td><td style='text-align:right'>{b_txt}</td></tr>")

    rows = [
        row("In hotels (contingency)", start.get("contingency"), end.get("contingency"), "people"),
        row("In dispersal", start.get("dispersed"), end.get("dispersed"), "people"),
        row("Gini of area rates", start.get("gini"), end.get("gini"), "gini"),
        row("Highest rate per 10,000", start.get("max_rate_per_10k"), end.get("max_rate_per_10k"), "rate"),
        row("Areas over the cluster limit", start.get("areas_over_cap"), end.get("areas_over_cap"), "count"),
        row("Areas hosting", start.get("areas_hosting"), end.get("areas_hosting"), "count"),
    ]
    cost = end.get("total_cost_all_years")
    return (
        "<div style='font-family:system-ui,sans-serif;font-size:13px'>"
        f"<b>Plan: {escape(str(s.get('scenario', '?')))}</b> &nbsp; <span style='color:#5b6470'>"
        f"{escape(str(plan.status))}, {escape(str(s.get('solver', '')))}, "
        f"{len(plan.allocations['area_code'].unique())} areas, {years[0]}–{years[-1]}</span>"
        "<table style='border-collapse:collapse;margin-top:4px'>"
        f"<tr><th></th><th style='text-align:right;padding-left:14px'>now</th>"
        f"<th style='text-align:right;padding-left:14px'>end of {years[-1]}</th></tr>"
        + "".join(rows) + "</table>"
        + (f"<div>Total cost over the plan: <b>{fmt(cost, 'money')}</b></div>" if cost is not None else "")
        + "</div>")


# --------------------------------------------------------------------------- report pieces
def _card(title: str, value: str, sub: str, delta: str = "", tone: str = "") -> str:
    d = f'<div class="delta {tone}">{delta}</div>' if delta else ""
    return (f'<div class="card"><div class="card-title">{escape(title)}</div><div class="card-value">{value}</div>'
            f'<div class="card-sub">{sub}</div>{d}</div>')


def _delta(this: float, other: float, kind: str, other_label: str, lower_is_better: bool | None) -> tuple[str, str]:
    diff = this - other
    txt = fmt(diff, kind, signed=True)
    if txt == "0":
        return f"same as {escape(other_label)}", "same"
    tone = ""
    if lower_is_better is not None:
        tone = "good" if (diff < 0) == lower_is_better else "bad"
    return f"{txt} vs {escape(other_label)}", tone


def _legend(items: list[tuple[str, str, str]]) -> str:
    """items: (colour, label, style) with style 'line', 'dash', 'box' or 'tick'."""
    out = ['<div class="legend">']
    for colour, label, style in items:
        out.append(f'<span class="key"><i class="sw {style}" style="--c:{colour}"></i>{escape(label)}</span>')
    out.append("</div>")
    return "".join(out)


def _hexmap_svg(codes: list[str], names: dict, values: dict, stocks: dict, over: dict, caption: str,
                hex_size: float = 10.0) -> tuple[str, list[str]]:
    lay = layout(codes)
    if not lay.centres:
        return "", lay.missing
    x0, y0, x1, y1 = lay.bounds
    pad = 0.6
    vb = (f"{(x0 - pad) * hex_size:.1f} {(y0 - pad) * hex_size:.1f} {(x1 - x0 + 2 * pad) * hex_size:.1f} "
          f"{(y1 - y0 + 2 * pad) * hex_size:.1f}")
    natural = (x1 - x0 + 2 * pad) * hex_size * 2.6      # px: hexagons no bigger than about 45 px across
    out = [f'<svg class="hexmap" viewBox="{vb}" style="max-width:{natural:.0f}px" role="img" '
           f'aria-label="{escape(caption)}">']
    over_polys = []
    for code, (cx, cy) in lay.centres.items():
        pts = " ".join(f"{px * hex_size:.1f},{py * hex_size:.1f}" for px, py in corners(cx, cy, 0.97))
        rate = values.get(code, float("nan"))
        n = stocks.get(code, float("nan"))
        label = (f"{names.get(code, code)} ({code}): {fmt(n, 'people')} people, {fmt(rate, 'rate')} per 10,000"
                 + (" — over its cluster limit" if over.get(code) else ""))
        poly = (f'<polygon class="hex{" over" if over.get(code) else ""}" data-code="{escape(code)}" '
                f'points="{pts}" fill="{rate_colour(rate)}"><title>{escape(label)}</title></polygon>')
        (over_polys if over.get(code) else out).append(poly)
    out += over_polys           # drawn last so their outline is on top
    out.append("</svg>")
    return "".join(out), lay.missing


def _map_legend(show_over: bool) -> str:
    items = "".join(f'<span class="key"><i class="sw box" style="--c:{c}"></i>{escape(lab)}</span>'
                    for _, c, lab in RATE_CLASSES)
    if show_over:
        items += '<span class="key"><i class="sw over"></i>over its cluster limit</span>'
    return f'<div class="legend map-legend"><b>People per 10,000 residents:</b> {items}</div>'


def _th(label: str, kind: str = "num") -> str:
    return f'<th data-kind="{kind}" tabindex="0">{label}</th>'


def _td_num(value: float, kind: str, extra: str = "") -> str:
    v = "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.6g}"
    return f'<td class="num{extra}" data-v="{v}">{fmt(value, kind)}</td>'


# --------------------------------------------------------------------------- the report
def build_report(plan: Plan, *, label: str | None = None, compare: Plan | None = None,
                 compare_label: str | None = None, region: str | None = None,
                 index_link: str | None = None) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    plan : the plan to report on
    label : its short name (default: the scenario name)
    compare : another plan to compare against (its differences are shown everywhere)
    region : report only on this region's councils (national figures are kept as context)
    index_link : relative link back to an index page (regional reports)
    """
    s = plan.summary
    head = s.get("headline", {})
    start, end = head.get("start", {}), head.get("end", {})
    label = label or str(s.get("scenario", "plan"))
    compare_label = compare_label or (str(compare.summary.get("scenario", "comparison")) if compare else None)
    if compare is not None and compare_label == label:
        compare_label = f"{compare_label} (comparison)"
    at = area_table(plan)
    years = at.years
    final = years[-1]
    traj = plan.trajectory.set_index("year")
    ot = area_table(compare) if compare is not None else None
    otraj = compare.trajectory.set_index("year") if compare is not None else None
    cmp = (compare_plans([plan, compare], [label, compare_label], top=10 if region is None else 100_000)
           if compare is not None else None)

    codes = list(at.meta.index)
    if region is not None:
        codes = [c for c in codes if at.meta.at[c, "region"] == region]
        if not codes:
            raise ValueError(f"no council in region '{region}'")
    meta = at.meta.loc[codes]

    title = f"{region}: dispersal plan" if region else "Dispersal plan"
    sections: list[str] = []

    # ---------------- headline
    cards = []
    if region is None:
        def traj_card(title_: str, key: str, kind: str, lib: bool | None) -> str:
            now_v, end_v = start.get(key), end.get(key)
            sub = f"now {fmt(now_v, kind)}" if now_v is not None else ""
            d = _delta(end_v, otraj.at[final, key] if key in otraj.columns else end_v, kind, compare_label, lib) \
                if otraj is not None and final in otraj.index else ("", "")
            return _card(title_, fmt(end_v, kind), sub, *d)
        cards.append(traj_card("In hotels (contingency)", "contingency", "people", True))
        cards.append(traj_card("In dispersal", "dispersed", "people", None))
        total = end.get("total_cost_all_years", float(plan.trajectory["total_cost"].sum()))
        d = _delta(total, float(compare.trajectory["total_cost"].sum()), "money", compare_label, True) \
            if compare is not None else ("", "")
        cards.append(_card("Total cost over the plan", fmt(total, "money"), f"{years[0]}–{final}", *d))
        cards.append(traj_card("Gini of area rates", "gini", "gini", True))
        cards.append(traj_card("Highest rate per 10,000", "max_rate_per_10k", "rate", True))
        cards.append(traj_card("Areas over the cluster limit", "areas_over_cap", "count", True))
        cards.append(traj_card("Areas hosting", "areas_hosting", "count", None))
    else:
        st_final = at.stock.loc[codes, final]
        pop = meta["population"].sum()
        reg_rows = plan.regions[plan.regions["region"].map(plain_text) == region].set_index("year")
        fair_final = float(reg_rows.at[final, "fair_share"]) if final in reg_rows.index else float("nan")
        nat_rate = float(traj.at[final, "dispersed"]) / float(plan.regions[plan.regions["year"] == final]
                                                              ["population"].sum()) * 1e4
        now_total = float(at.now.loc[codes].sum()) if at.now is not None else None
        sub = f"now {fmt(now_total, 'people')}" if now_total is not None else ""
        d = ("", "")
        if ot is not None:
            other_codes = [c for c in codes if c in ot.stock.index]
            d = _delta(float(st_final.sum()), float(ot.stock.loc[other_codes, final].sum()), "people",
                       compare_label, None)
        cards.append(_card(f"In dispersal in {region}", fmt(float(st_final.sum()), "people"), sub, *d))
        rate_now = now_total / pop * 1e4 if now_total is not None and pop > 0 else None
        cards.append(_card("People per 10,000 residents", fmt(float(st_final.sum()) / pop * 1e4, "rate"),
                           (f"now {fmt(rate_now, 'rate')} · " if rate_now is not None else "")
                           + f"UK {fmt(nat_rate, 'rate')}"))
        share = float(st_final.sum()) / fair_final if fair_final > 0 else float("nan")
        cards.append(_card("Fair share", fmt(fair_final, "people"),
                           f"the plan houses {share:.0%} of it" if math.isfinite(share) else ""))
        hosting_now = int((at.now.loc[codes] > 0).sum()) if at.now is not None else None
        cards.append(_card("Councils hosting", f"{int((st_final > 0).sum())} of {len(codes)}",
                           f"now {hosting_now}" if hosting_now is not None else ""))
        over_now = (int((at.now.loc[codes] > at.cap.loc[codes]).sum()) if at.now is not None else None)
        cards.append(_card("Councils over the cluster limit", str(int(at.over.loc[codes, final].sum())),
                           f"now {over_now}" if over_now is not None else ""))
        cards.append(_card("UK: in hotels (contingency)", fmt(end.get("contingency"), "people"),
                           f"now {fmt(start.get('contingency'), 'people')}"))
    intro = (f'<p class="lede">Where supported asylum seekers are housed, year by year, {years[0]}–{final}: '
             f'<b>{escape(label)}</b>' + (f', compared with <b>{escape(compare_label)}</b>' if compare else "")
             + f". Large figures are at the end of {final}; “now” is the position the plan starts from. "
             "People are counted at the end of each year.</p>")
    sections.append(f'<section id="headline">{intro}<div class="cards">{"".join(cards)}</div>')

    if cmp is not None:
        changes = []
        pairs: list[tuple[str, float, float, str]] = []
        if region is not None and final in ot.stock.columns:
            oc = [c for c in codes if c in ot.stock.index]
            pairs.append((f"People in dispersal in {region}", float(at.stock.loc[codes, final].sum()),
                          float(ot.stock.loc[oc, final].sum()), "people"))
            pairs.append((f"Councils in {region} over the cluster limit", float(at.over.loc[codes, final].sum()),
                          float(ot.over.loc[oc, final].sum()), "count"))
        national = (("contingency", "People in hotels (UK)", "people"), ("total_cost", "Cost (UK)", "money"))
        if region is None:
            national = (("contingency", "People in hotels", "people"), ("dispersed", "People in dispersal", "people"),
                        ("total_cost", "Cost", "money"), ("gini", "Gini of area rates", "gini"),
                        ("areas_over_cap", "Areas over the cluster limit", "count"),
                        ("areas_hosting", "Areas hosting", "count"))
        for key, title_, kind in national:
            if final in otraj.index and key in otraj.columns:
                pairs.append((title_, float(traj.at[final, key]), float(otraj.at[final, key]), kind))
        for title_, a, b, kind in pairs:
            if fmt(a - b, kind, signed=True) != "0":
                changes.append(f"<li>{escape(title_)} at the end of {final}: <b>{fmt(a, kind)}</b> against "
                               f"{fmt(b, kind)} ({fmt(a - b, kind, signed=True)}).</li>")
        areas = cmp.areas
        if region is not None:
            areas = areas[areas["region"].map(plain_text) == region]
        rows = "".join(
            f"<tr><td>{escape(plain_text(r.area_name))}</td>"
            f'<td class="num">{fmt(r.final_plan, "people")}</td><td class="num">{fmt(r.final_base, "people")}</td>'
            f'<td class="num">{fmt(r.final_base - r.final_plan, "people", signed=True)}</td></tr>'
            for r in areas.head(8).itertuples())
        changed = "".join(changes) or "<li>No national figure differs at the end of the plan.</li>"
        table = (f'<table class="small"><thead><tr><th>Council</th><th class="num">'
                 f'{escape(compare_label)}</th><th class="num">{escape(label)}</th><th class="num">difference</th>'
                 f"</tr></thead><tbody>{rows}</tbody></table>" if rows else
                 "<p>No council's allocation differs.</p>")
        sections[-1] += (f'<div class="changes two"><div><h3>What changes against {escape(compare_label)}</h3>'
                         f"<ul>{changed}</ul></div><div><h3>Councils that differ most (end of {final})</h3>"
                         f"{table}</div></div>")
    sections[-1] += "</section>"

    # ---------------- trajectory charts
    xl = ["Now", *[str(y) for y in years]]
    charts = []
    if region is None:
        series = [
            {"label": f"In dispersal ({label})", "values": [start.get("dispersed"),
                                                             *traj["dispersed"].astype(float).tolist()],
             "colour": BLUE},
            {"label": f"In hotels ({label})", "values": [start.get("contingency"),
                                                          *traj["contingency"].astype(float).tolist()],
             "colour": ORANGE},
        ]
        keys = [(BLUE, f"In dispersal ({label})", "line"), (ORANGE, f"In hotels ({label})", "line")]
        if compare is not None:
            oh = compare.summary.get("headline", {}).get("start", {})
            series += [
                {"label": f"In dispersal ({compare_label})", "values": [oh.get("dispersed"), *[
                    float(otraj.at[y, "dispersed"]) if y in otraj.index else None for y in years]],
                 "colour": BLUE, "dash": True},
                {"label": f"In hotels ({compare_label})", "values": [oh.get("contingency"), *[
                    float(otraj.at[y, "contingency"]) if y in otraj.index else None for y in years]],
                 "colour": ORANGE, "dash": True},
            ]
            keys += [(BLUE, f"In dispersal ({compare_label})", "dash"), (ORANGE, f"In hotels ({compare_label})",
                                                                          "dash")]
        charts.append(f'<figure><figcaption>People in hotels and in dispersal</figcaption>'
                      f'{line_chart(xl, series, kind="people", title="People in hotels and in dispersal")}'
                      f"{_legend(keys)}</figure>")
        stacks = [
            {"label": "Dispersal accommodation", "values": traj["accommodation_cost"].astype(float).tolist(),
             "colour": BLUE},
            {"label": "Hotels (contingency)", "values": traj["contingency_cost"].astype(float).tolist(),
             "colour": ORANGE},
            {"label": "Procurement", "values": traj["procurement_cost"].astype(float).tolist(), "colour": GREEN},
        ]
        keys = [(BLUE, "Dispersal accommodation", "box"), (ORANGE, "Hotels (contingency)", "box")]
        if traj["procurement_cost"].sum() > 0:
            keys.append((GREEN, "Procurement", "box"))
        markers = None
        if compare is not None:
            markers = {"label": f"Total cost ({compare_label})",
                       "values": [float(otraj.at[y, "total_cost"]) if y in otraj.index else None for y in years]}
            keys.append(("#222", f"Total cost ({compare_label})", "dash"))
        charts.append(f'<figure><figcaption>Cost per year</figcaption>'
                      f'{stacked_bars([str(y) for y in years], stacks, kind="money", title="Cost per year", markers=markers)}'
                      f"{_legend(keys)}</figure>")
    else:
        reg_rows = plan.regions[plan.regions["region"].map(plain_text) == region].set_index("year")
        now_total = float(at.now.loc[codes].sum()) if at.now is not None else None
        series = [
            {"label": f"In dispersal ({label})", "values": [now_total, *[float(at.stock.loc[codes, y].sum())
                                                                          for y in years]], "colour": BLUE},
            {"label": "Fair share", "values": [None, *[float(reg_rows.at[y, "fair_share"]) if y in reg_rows.index
                                                       else None for y in years]], "colour": "#111", "dash": True},
        ]
        keys = [(BLUE, f"In dispersal in {region} ({label})", "line"), ("#111", "Fair share", "dash")]
        if ot is not None:
            oc = [c for c in codes if c in ot.stock.index]
            series.append({"label": f"In dispersal ({compare_label})", "values": [
                float(ot.now.loc[oc].sum()) if ot.now is not None else None,
                *[float(ot.stock.loc[oc, y].sum()) if y in ot.stock.columns else None for y in years]],
                "colour": ORANGE, "dash": True})
            keys.append((ORANGE, f"In dispersal ({compare_label})", "dash"))
        charts.append(f"<figure><figcaption>People in dispersal in {escape(region)}</figcaption>"
                      f'{line_chart(xl, series, kind="people", title="People in dispersal")}{_legend(keys)}</figure>')
        series = [{"label": "In hotels (UK)", "values": [start.get("contingency"),
                                                          *traj["contingency"].astype(float).tolist()],
                   "colour": ORANGE},
                  {"label": "In dispersal (UK)", "values": [start.get("dispersed"),
                                                             *traj["dispersed"].astype(float).tolist()],
                   "colour": BLUE}]
        charts.append("<figure><figcaption>UK: people in hotels and in dispersal</figcaption>"
                      f'{line_chart(xl, series, kind="people", title="UK trajectory")}'
                      f'{_legend([(BLUE, "In dispersal", "line"), (ORANGE, "In hotels", "line")])}</figure>')
    sections.append(f'<section id="trajectory"><h2>Trajectory</h2><div class="two">{"".join(charts)}</div></section>')

    # ---------------- hex maps
    names = meta["area_name"].to_dict()
    maps = []
    missing: list[str] = []
    if at.now is not None:
        over_now = {c: bool(at.now[c] > at.cap[c]) for c in codes}
        svg, missing = _hexmap_svg(codes, names, at.now_rate.to_dict(), at.now.to_dict(), over_now,
                                   "People per 10,000 residents now")
        if svg:
            maps.append(f"<figure><figcaption>Now</figcaption>{svg}</figure>")
    svg, missing = _hexmap_svg(codes, names, at.rate[final].to_dict(), at.stock[final].to_dict(),
                               at.over[final].to_dict(), f"People per 10,000 residents, end of {final}")
    if svg:
        maps.append(f"<figure><figcaption>End of {final}</figcaption>{svg}</figure>")
    notes = []
    if at.now is None:
        notes.append("This plan folder has no <code>start.csv</code> (it was written by an older version of "
                     "allocator), so today's map is not shown: solve the scenario again to add it.")
    if missing:
        shown = ", ".join(escape(f"{names.get(c, c)} ({c})") for c in missing[:12])
        more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
        if len(missing) == len(codes):
            notes.append(f"No hex map: none of the {len(codes)} area codes is a UK council area code in the map "
                         f"layout (UK local authority districts, 2023 codes), e.g. {shown}{more}.")
        else:
            notes.append(f"{len(missing)} area code(s) are not in the map layout and are not drawn: {shown}{more}.")
    note_html = "".join(f'<p class="note">{n}</p>' for n in notes)
    if maps:
        any_over = bool(at.over.loc[codes].to_numpy().any()) or (at.now is not None and bool(
            (at.now.loc[codes] > at.cap.loc[codes]).any()))
        sections.append(f'<section id="map"><h2>Map: people per 10,000 residents</h2>'
                        f'<div class="maps">{"".join(maps)}</div>{_map_legend(any_over)}'
                        f'<p class="hint">Each hexagon is one council area. Hover for figures; click to find it '
                        f'in the table.</p>{note_html}</section>')
    else:
        sections.append(f'<section id="map"><h2>Map</h2>{note_html}</section>')

    # ---------------- bars against fair share
    if region is None:
        reg = plan.regions.copy()
        reg["region"] = reg["region"].map(plain_text)
        fin = reg[reg["year"] == final].set_index("region")
        now_by_region = (at.now.groupby(at.meta["region"]).sum() if at.now is not None else None)
        rows = []
        for name, r in fin.sort_values("stock", ascending=False).iterrows():
            fair = float(r["fair_share"])
            pct = f"{r['stock'] / fair:.0%} of fair share" if fair > 0 else "no fair share"
            rows.append({"label": name, "value": float(r["stock"]), "fair": fair,
                         "now": float(now_by_region.get(name, 0)) if now_by_region is not None else None,
                         "text": f"{r['stock']:,.0f} · {pct} · {r['rate_per_10k']:.1f}/10k"})
        bars_title = f"Regions at the end of {final} against their fair share"
    else:
        rows = []
        fin = at.stock.loc[codes, final]
        for c in fin.sort_values(ascending=False).index:
            fair = float(at.fair.at[c, final])
            pct = f"{fin[c] / fair:.0%} of fair share" if fair > 0 else "no fair share"
            rows.append({"label": names[c], "value": float(fin[c]), "fair": fair,
                         "now": float(at.now[c]) if at.now is not None else None,
                         "text": f"{fin[c]:,.0f} · {pct} · {at.rate.at[c, final]:.1f}/10k"})
        bars_title = f"Councils in {region} at the end of {final} against their fair share"
    keys = [(BLUE, "at or below fair share", "box"), (ORANGE, "above fair share", "box"),
            ("#111", "fair share", "tick")]
    if at.now is not None:
        keys.insert(0, (GREY, "now", "thin"))
    sections.append(f'<section id="fair-share"><h2>{escape(bars_title)}</h2>{hbars(rows, title=bars_title)}'
                    f'{_legend(keys)}<p class="hint">The fair share is each area\'s share of the people in '
                    f"dispersal that year, by the scenario's fair-share key (population unless it says otherwise), "
                    f"among the areas that can host.</p></section>")

    # ---------------- table of councils
    head_cells = [_th("Council", "text")]
    if region is None:
        head_cells.append(_th("Region", "text"))
    if at.now is not None:
        head_cells.append(_th("Now"))
    head_cells += [_th(str(y)) for y in years]
    head_cells += [_th(f"Per 10k<br>{final}"), _th("Fair<br>share"), _th("Limit"), _th("Change")]
    if ot is not None:
        head_cells += [_th(f'{final}<br><span class="code">{escape(compare_label)}</span>'), _th("Diff.")]
    body = []
    for c in codes:
        m = meta.loc[c]
        pop_txt = f" · population {fmt(float(m['population']), 'people')}" if m["population"] == m["population"] else ""
        cells = [f'<td title="{escape(c)}{pop_txt}">{escape(m["area_name"])}</td>']
        if region is None:
            cells.append(f'<td class="region">{escape(m["region"])}</td>')
        if at.now is not None:
            cells.append(_td_num(float(at.now[c]), "people", " over" if at.now[c] > at.cap[c] else ""))
        for y in years:
            cells.append(_td_num(float(at.stock.at[c, y]), "people", " over" if at.over.at[c, y] else ""))
        cells.append(_td_num(float(at.rate.at[c, final]), "rate"))
        cells.append(_td_num(float(at.fair.at[c, final]), "people"))
        cells.append(_td_num(float(at.cap[c]), "people"))
        base_now = float(at.now[c]) if at.now is not None else float(at.stock.at[c, years[0]])
        cells.append(_td_num(float(at.stock.at[c, final]) - base_now, "people"))
        if ot is not None:
            o = float(ot.stock.at[c, final]) if (c in ot.stock.index and final in ot.stock.columns) else float("nan")
            cells.append(_td_num(o, "people"))
            cells.append(_td_num(float(at.stock.at[c, final]) - o, "people"))
        body.append(f'<tr data-code="{escape(c)}">{"".join(cells)}</tr>')
    change_note = "Change: end of the plan minus now." if at.now is not None else \
        f"Change: end of the plan minus {years[0]}."
    sections.append(
        f'<section id="councils"><h2>Every council{" in " + escape(region) if region else ""}</h2>'
        f'<div class="tools"><input id="search" type="search" placeholder="Search councils, codes, regions…" '
        f'aria-label="Search the table"> <span id="count">{len(codes)} of {len(codes)} councils</span></div>'
        f'<div class="tablewrap"><table id="areas"><thead><tr>{"".join(head_cells)}</tr></thead>'
        f'<tbody>{"".join(body)}</tbody></table></div>'
        f'<p class="hint">People in dispersal at the end of each year. A link to this file ending in '
        f'<code>#search=Leeds</code> opens with the table searched. Hover a council for its code and population. Limit: the most the cluster limit allows. '
        f'Figures in <span class="over-key">red</span> are over the limit (inherited stock that may only '
        f"decline). {change_note} Click a column heading to sort.</p></section>")

    # ---------------- footer
    version = _version()
    regions_link = f'<a href="{escape(index_link)}">All regions</a> · ' if index_link else ""
    foot = (f"<footer>{regions_link}Scenario <b>{escape(str(s.get('scenario', '')))}</b>: {escape(str(plan.status))}"
            f"{', verified' if s.get('verified') else ''}; solver {escape(str(s.get('solver', '')))} "
            f"{escape(str(s.get('solver_version', '')))}; scenario SHA-256 "
            f"<code>{escape(str(s.get('scenario_sha256', ''))[:12])}</code>. Made with allocator {version}. "
            "Statistics: Home Office and ONS/NRS/NISRA, Open Government Licence v3.0. Hex map layout © Open "
            "Innovations (MIT). Capacity and procurement per council are assumptions, not data.</footer>")
    return _page(title, label, sections, foot)


def _version() -> str:
    try:
        return metadata.version("allocator")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "?"


CSS = """
:root{--ink:#1f2630;--muted:#5b6470;--line:#e3e6ea;--bg:#f6f7f9;--blue:#2f6db5;--orange:#d9822b}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
header{background:#14355e;color:#fff;padding:22px 0 18px}
header .wrap>div{color:#c9d6e8;font-size:14px}
h1{margin:0 0 4px;font-size:26px;font-weight:650}
h2{font-size:19px;margin:0 0 12px}
h3{font-size:16px;margin:16px 0 6px}h4{font-size:14px;margin:12px 0 6px;color:var(--muted)}
.wrap{max-width:1160px;margin:0 auto;padding:0 20px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:18px 0}
.lede{margin:0 0 14px;color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fbfcfd}
.card-title{font-size:13px;color:var(--muted)}
.card-value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;margin:2px 0}
.card-sub{font-size:12.5px;color:var(--muted)}
.delta{font-size:12.5px;margin-top:3px;font-weight:600;color:var(--muted)}
.delta.good{color:#1e7b4d}.delta.bad{color:#b3261e}
.changes{margin-top:8px}.changes ul{margin:4px 0 8px;padding-left:20px}.changes li{margin:3px 0}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px}.two>*{min-width:0;overflow-x:auto}
figure{margin:0}figcaption{font-weight:600;font-size:14px;margin-bottom:4px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12.5px;color:var(--muted);margin-top:4px;align-items:center}
.key{display:inline-flex;align-items:center;gap:5px}
.sw{display:inline-block;width:18px;height:10px;background:var(--c)}
.sw.line{height:3px}.sw.dash{height:0;border-top:3px dashed var(--c);background:none}
.sw.thin{height:4px}.sw.tick{width:3px;height:14px}
.sw.box{width:14px;height:14px;border-radius:2px;border:1px solid rgba(0,0,0,.12)}
.sw.over{width:14px;height:14px;border:2.5px solid #c62828;background:#fff}
.maps{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px;align-items:start}
.maps figure{text-align:center}
.hexmap{width:100%;max-height:640px}
.hex{stroke:#fff;stroke-width:.8;cursor:pointer}
.hex:hover{stroke:#111;stroke-width:2}
.hex.over{stroke:#c62828;stroke-width:2.2}
.map-legend{justify-content:center;margin-top:8px}
.note{background:#fff8e1;border:1px solid #f1d48a;border-radius:6px;padding:8px 12px;font-size:14px}
.hint{font-size:12.5px;color:var(--muted);margin:8px 0 0}
.tools{display:flex;gap:12px;align-items:center;margin-bottom:8px}
#search{flex:0 1 340px;padding:7px 10px;border:1px solid #c5cbd3;border-radius:6px;font-size:14px}
#count{color:var(--muted);font-size:13px}
.tablewrap{max-height:560px;overflow:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 7px;vertical-align:middle;border-bottom:1px solid var(--line);white-space:nowrap;text-align:left}
td.num,th[data-kind=num],th.num{text-align:right}
#areas{min-width:100%;font-size:12.5px}#areas thead th{vertical-align:bottom}#areas thead th{position:sticky;top:0;background:#eef1f5;cursor:pointer;user-select:none}
#areas thead th[aria-sort=ascending]::after{content:" ▲"}#areas thead th[aria-sort=descending]::after{content:" ▼"}
#areas tbody tr:hover{background:#f3f7fc}
#areas tr.hit{background:#fff3c4}
.code{color:var(--muted);font-size:11.5px}

td.over,.over-key{color:#c62828;font-weight:600}
table.small{width:auto}
footer{font-size:12px;color:var(--muted);margin:10px 0 30px}
@media print{body{background:#fff}section{break-inside:avoid;border:none}.tools,.hint{display:none}.tablewrap{max-height:none;overflow:visible}}
"""

GUARD_JS = """
(function(){var root=document.documentElement,errors=[],blocked=[];
function note(list,attr,text){list.push(String(text));root.setAttribute(attr,list.join(' | '));}
window.addEventListener('error',function(e){note(errors,'data-errors',e.message||('failed to load '+((e.target&&(e.target.src||e.target.href))||'a resource')));},true);
window.addEventListener('unhandledrejection',function(e){note(errors,'data-errors','unhandled rejection: '+e.reason);});
document.addEventListener('securitypolicyviolation',function(e){note(blocked,'data-blocked-requests',e.blockedURI+' ('+e.violatedDirective+')');});
var ce=console.error;console.error=function(){note(errors,'data-errors',Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};
})();
"""

MAIN_JS = """
(function(){
var table=document.getElementById('areas'),input=document.getElementById('search'),count=document.getElementById('count');
if(table){
var tbody=table.tBodies[0],rows=Array.prototype.slice.call(tbody.rows),total=rows.length;
rows.forEach(function(r){r._text=(r.textContent+' '+r.getAttribute('data-code')).toLowerCase();});
function filter(){var q=input.value.trim().toLowerCase(),n=0;
 rows.forEach(function(r){var show=!q||r._text.indexOf(q)>=0;r.style.display=show?'':'none';if(show)n++;});
 count.textContent=n+' of '+total+' councils';}
input.addEventListener('input',filter);
var m=/^#search=(.*)$/.exec(location.hash);if(m){input.value=decodeURIComponent(m[1]);filter();}
var heads=table.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,i){
 function sort(){var asc=th.getAttribute('aria-sort')!=='ascending',num=th.getAttribute('data-kind')==='num';
  Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',asc?'ascending':'descending');
  rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i],c;
   if(num){var u=parseFloat(x.getAttribute('data-v')),v=parseFloat(y.getAttribute('data-v'));
    u=isNaN(u)?-Infinity:u;v=isNaN(v)?-Infinity:v;c=u-v;}
   else{c=x.textContent.localeCompare(y.textContent);}
   return asc?c:-c;});
  rows.forEach(function(r){tbody.appendChild(r);});}
 th.addEventListener('click',sort);
 th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});
});
document.querySelectorAll('.hex').forEach(function(h){h.addEventListener('click',function(){
 var code=h.getAttribute('data-code');input.value=code;filter();
 rows.forEach(function(r){r.classList.toggle('hit',r.getAttribute('data-code')===code);});
 table.scrollIntoView({behavior:'smooth',block:'start'});});});
}
document.documentElement.setAttribute('data-report-ready','1');
})();
"""


def _page(title: str, label: str, sections: list[str], footer: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">'
        f"<title>{escape(title)} – {escape(label)}</title>"
        f"<script>{GUARD_JS}</script><style>{CSS}</style></head><body>"
        f'<header><div class="wrap"><h1>{escape(title)}</h1><div>{escape(label)}</div></div></header>'
        f'<main class="wrap">{"".join(sections)}{footer}</main>'
        f"<script>{MAIN_JS}</script></body></html>\n")


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
                         protect=()) -> list[Path]:
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
                              progress=progress)
    return [folder / p.name for p in pages]


def _region_pages(plan: Plan, folder: Path, *, label: str | None, compare: Plan | None, compare_label: str | None,
                  progress) -> list[Path]:
    regions = regions_of(plan)
    files = safe_file_names(regions)
    label = label or str(plan.summary.get("scenario", "plan"))
    paths, links = [], []
    at = area_table(plan)
    final = at.years[-1]
    for region in (progress(regions) if progress else regions):
        path = folder / files[region]
        path.write_text(build_report(plan, label=label, compare=compare, compare_label=compare_label,
                                     region=region, index_link="index.html"), encoding="utf-8")
        paths.append(path)
        codes = at.meta.index[at.meta["region"] == region]
        links.append(f'<tr><td><a href="{escape(path.name)}">{escape(region)}</a></td>'
                     f'<td class="num">{len(codes)}</td>'
                     + (f'<td class="num">{fmt(float(at.now.loc[codes].sum()), "people")}</td>'
                        if at.now is not None else "")
                     + f'<td class="num">{fmt(float(at.stock.loc[codes, final].sum()), "people")}</td></tr>')
    head = "<th>Region</th><th class='num'>Councils</th>" + ("<th class='num'>Now</th>" if at.now is not None
                                                              else "") + f"<th class='num'>End of {final}</th>"
    section = (f'<section><h2>One report per region</h2><p class="lede">Each page shows the region\'s councils: '
               f"headline figures, trajectory, hex map, fair share and a table to search.</p>"
               f'<table class="small"><thead><tr>{head}</tr></thead><tbody>{"".join(links)}</tbody></table></section>')
    index = folder / "index.html"
    index.write_text(_page("Dispersal plan by region", label, [section],
                           "<footer>Made with allocator " + _version() + ".</footer>"), encoding="utf-8")
    return [index, *paths]

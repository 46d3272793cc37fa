"""Figures of a plan: ``plan.plot.trajectory()``, ``plan.plot.map()``, ``plan.plot.fair_share()``.

Each returns a :class:`matplotlib.figure.Figure` (made directly, not through pyplot: a
notebook shows it once, a script can ``fig.savefig("plan.png")``, and the user's matplotlib
backend is never touched). The HTML report draws its charts with the same functions
(:func:`draw_people`, :func:`draw_costs`, :func:`draw_fair_share`) and inlines them as SVG;
only its hex maps are written by :mod:`allocator.hexmap` (see docs/design.md).

:func:`area_table` is the per-area view of a plan that the report and the maps share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.patches import Patch, Polygon

from allocator import charts
from allocator.charts import BLUE, GREEN, GREY, ORANGE
from allocator.hexmap import RATE_CLASSES, corners, layout, rate_colour
from allocator.output import plain_text


# --------------------------------------------------------------------------- the per-area view
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
    basis: str | None = None    # the plan's pressure basis (None: dispersal alone), which the cap judges
    basis_rate: pd.DataFrame | None = None   # per 10,000 on the basis, index area_code, columns years
    now_basis: pd.Series | None = None       # the total on the basis today
    basis_stock: pd.DataFrame | None = None  # the total on the basis, index area_code, columns years

    @property
    def held(self) -> pd.DataFrame:
        """People per area and year on the plan's pressure basis (dispersal alone on the dispersal basis): the
        figure its cap and fair share judge."""
        return self.stock if self.basis_stock is None else self.basis_stock

    @property
    def held_rate(self) -> pd.DataFrame:
        """:attr:`held` per 10,000 residents."""
        return self.rate if self.basis_rate is None else self.basis_rate

    @property
    def now_held(self) -> pd.Series | None:
        """Today's people per area on the plan's pressure basis (None without a start position)."""
        return self.now if self.now_basis is None else self.now_basis

    @property
    def counted(self) -> str:
        """Which people :attr:`held` counts, in words: "on the supported basis", "in dispersal"."""
        return "in dispersal" if self.basis is None else f"on the {self.basis} basis"

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.stock.columns]

    def codes(self, region: str | None = None) -> list[str]:
        """The area codes, in the plan's order (only ``region``'s when given)."""
        if region is None:
            return list(self.meta.index)
        return list(self.meta.index[self.meta["region"] == region])

    def on_map(self, year: int | str) -> tuple[pd.Series, pd.Series, pd.Series, str]:
        """Rate per 10,000, people and over-the-limit per area in ``year`` (or ``"now"``), and a title."""
        if year == "now":
            if self.now is None:
                raise ValueError("this plan has no start position (start.csv); solve the scenario again")
            return self.now_rate, self.now, self.now_held > self.cap, "Now"
        if int(year) not in self.years:
            raise ValueError(f"year {year} is not in the plan ({self.years[0]}-{self.years[-1]})")
        y = int(year)
        return self.rate[y], self.stock[y], self.over[y], f"End of {y}"

    def rate_on_basis(self, year: int | str) -> pd.Series | None:
        """Rate per 10,000 on the plan's pressure basis in ``year`` (or ``"now"``); None on the dispersal basis."""
        if self.basis is None or self.basis_rate is None:
            return None
        if year == "now":
            return None if self.now_basis is None else (self.now_basis / self.meta["population"] * 1e4).round(2)
        return self.basis_rate[int(year)]


def _as_bool(v) -> bool:
    return bool(v) if isinstance(v, (bool, np.bool_)) else str(v).lower() == "true"


def area_table(plan) -> AreaTable:
    """The per-area view of ``plan`` (names read back without their spreadsheet apostrophe)."""
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

    meta = a.drop_duplicates("area_code").set_index("area_code")[["area_name", "region"]].reindex(order)
    meta["area_name"] = meta["area_name"].map(plain_text)
    meta["region"] = meta["region"].map(plain_text)
    stock, rate = wide("stock"), wide("rate")
    basis = plan.pressure_basis if "basis_rate_per_10k" in a.columns else None
    basis_rate = basis_stock = None
    if basis is not None:
        on = a.groupby(["area_code", "year"], sort=False)[["basis_rate_per_10k", "basis_total"]].first()
        basis_rate, basis_stock = (on[col].unstack("year").reindex(order).rename(columns=int).astype(float)
                                   for col in ("basis_rate_per_10k", "basis_total"))
    now = now_rate = now_basis = None
    if plan.start is not None:
        s = plan.start.copy()
        s["area_code"] = s["area_code"].map(plain_text)
        s = s.drop_duplicates("area_code").set_index("area_code").reindex(order)
        meta["population"] = s["population"].astype(float)
        meta["status"] = s["status"].astype(str) if "status" in s else "existing"
        now = s["stock"].astype(float)
        now_rate = (now / meta["population"] * 1e4).round(2)
        now_basis = s["basis_total"].astype(float) if basis is not None and "basis_total" in s else None
    else:
        last = stock.columns[-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            meta["population"] = np.where(rate[last] > 0, stock[last] / rate[last] * 1e4, np.nan)
        meta["status"] = ""
    cap = g["cap"].groupby(level=0, sort=False).first().reindex(order)
    return AreaTable(meta, stock, rate, wide("over").map(_as_bool), wide("fair"), cap, now, now_rate,
                     basis, basis_rate, now_basis, basis_stock)


# --------------------------------------------------------------------------- charts of a plan
def label_of(plan, default: str = "plan") -> str:
    return str(plan.summary.get("scenario", default))


def year_axis(*plans) -> list[int]:
    """The year ends of one x axis covering ``plans`` (None left out): from the earliest start (a plan starts
    on 31 December of the year before its first year) to the end of the latest last year. Two plans of other
    years (a plan and its re-plan) each keep their own dates on it."""
    trajectories = [p.trajectory["year"] for p in plans if p is not None]
    return list(range(min(int(t.min()) for t in trajectories) - 1, max(int(t.max()) for t in trajectories) + 1))


def start_of(plan) -> int:
    """The year at whose end ``plan`` starts (its "now")."""
    return int(plan.trajectory["year"].min()) - 1


def axis_labels(ends: list[int], *plans) -> list[str]:
    """The x labels of :func:`year_axis`: "Now" at the start when every plan starts there; otherwise the first
    year end, before every plan's first year, reads "end 2025" (the plans' own starts are named in the hover)."""
    starts = {start_of(p) for p in plans if p is not None}
    first = "Now" if starts == {ends[0]} else f"end {ends[0]}"
    return [first, *(str(e) for e in ends[1:])]


def along(ends: list[int], plan, now: float | None, per_year) -> dict:
    """The values of ``plan`` on the axis ``ends``: ``now`` at its start, ``per_year`` (year -> value) at its
    years, None elsewhere; with the name of each point for its hover text ("Now (31 Dec 2026)", "2027")."""
    start = start_of(plan)
    values = [now if e == start else (float(per_year[e]) if e in per_year else None) for e in ends]
    names = [f"Now (31 Dec {e})" if e == start else str(e) for e in ends]
    return {"values": values, "names": names}


def people_series(plan, label: str, dashed: bool = False, ends: list[int] | None = None) -> list[dict]:
    """People in dispersal and in hotels, now and at the end of each year, as :func:`charts.lines` series on the
    axis ``ends`` (:func:`year_axis`; by default the plan's own)."""
    t = plan.trajectory.set_index("year")
    start = plan.summary.get("headline", {}).get("start", {})
    ends = year_axis(plan) if ends is None else ends
    return [{"label": f"{name} ({label})", **along(ends, plan, start.get(col), t[col].astype(float).to_dict()),
             "colour": colour, "dash": dashed}
            for col, name, colour in (("dispersed", "In dispersal", BLUE), ("contingency", "In hotels", ORANGE))]


def draw_people(ax, plan, label: str, compare=None, compare_label: str | None = None) -> None:
    """People in hotels and in dispersal from now to the end of the plan; ``compare`` dashed. Each plan is drawn
    at its own dates, on one axis covering both (a re-plan starts a year after the plan it revises)."""
    ends = year_axis(plan, compare)
    series = people_series(plan, label, ends=ends)
    if compare is not None:
        series += people_series(compare, compare_label or label_of(compare, "comparison"), dashed=True, ends=ends)
    charts.lines(ax, axis_labels(ends, plan, compare), series, kind="people",
                 title="People in hotels and in dispersal")
    ax.set_ylabel("people (end of year)", color=charts.MUTED, fontsize="small")
    charts.legend(ax)


def draw_costs(ax, plan, compare=None, compare_label: str | None = None) -> None:
    """The cost per year, stacked by kind; ``compare``'s total as a dashed line across each year. The years are
    both plans' (a year only one of them covers has only its figure)."""
    t = plan.trajectory.set_index("year")
    years = year_axis(plan, compare)[1:]
    kinds = [("accommodation_cost", "Dispersal accommodation", BLUE),
             ("contingency_cost", "Hotels (contingency)", ORANGE), ("procurement_cost", "Procurement", GREEN)]
    if "void_cost" in t and (t["void_cost"] > 0).any():          # costs.void_share: empty bed spaces kept
        kinds.append(("void_cost", "Empty bed spaces", GREY))
    stacks = [{"label": name, "values": [float(t.at[y, col]) if y in t.index else None for y in years],
               "colour": colour} for col, name, colour in kinds]
    markers = None
    if compare is not None:
        ct = compare.trajectory.set_index("year")
        markers = {"label": f"Total cost ({compare_label or label_of(compare, 'comparison')})",
                   "values": [float(ct.at[y, "total_cost"]) if y in ct.index else None for y in years]}
    charts.stacked_bars(ax, [str(y) for y in years], stacks, kind="money", title="Cost per year", markers=markers)
    charts.legend(ax)


def fair_share_rows(plan, at: AreaTable, region: str | None = None) -> list[dict]:
    """Regions (or ``region``'s councils) at the end of the plan against their fair share, largest first: the
    people on the plan's pressure basis (:attr:`AreaTable.held`), as the fair share is a share of the national
    total on it, with dispersal alone in the text where the basis is not dispersal."""
    final = at.years[-1]
    if region is None:
        reg = plan.regions.assign(region=plan.regions["region"].map(plain_text))
        fin = reg[reg["year"] == final].set_index("region")
        value = fin["basis_total"].astype(float) if at.basis is not None else fin["stock"].astype(float)
        value = value.sort_values(ascending=False, kind="stable")
        fin = fin.loc[value.index]
        now = at.now_held.groupby(at.meta["region"]).sum() if at.now_held is not None else None
        names, fair, dispersal = value.index, fin["fair_share"], fin["stock"]
        rate = value / fin["population"] * 1e4 if at.basis is not None else fin["rate_per_10k"]
    else:
        codes = at.codes(region)
        value = at.held.loc[codes, final].sort_values(ascending=False, kind="stable")
        names = at.meta.loc[value.index, "area_name"]
        fair, rate, now = at.fair.loc[value.index, final], at.held_rate.loc[value.index, final], at.now_held
        dispersal = at.stock.loc[value.index, final]
    rows = []
    for key, name, v, f, r, d in zip(value.index, names, value, fair, rate, dispersal):
        pct = f"{v / f:.0%} of fair share" if f > 0 else "no fair share"
        alone = f" ({d:,.0f} in dispersal)" if at.basis is not None else ""
        rows.append({"label": name, "value": float(v), "fair": float(f), "counted": at.counted,
                     "text": f"{v:,.0f}{alone} · {pct} · {r:.1f}/10k",
                     "now": float(now.get(key, 0)) if now is not None else None})
    return rows


def draw_fair_share(fig, plan, at: AreaTable, region: str | None = None) -> None:
    charts.fair_share_bars(fig.add_subplot(), fair_share_rows(plan, at, region))


def fair_share_size(rows: int) -> tuple[float, float]:
    """Width and height (inches) of a fair-share chart of ``rows`` bars."""
    return 15.4, 0.9 + 0.36 * rows


# --------------------------------------------------------------------------- plan.plot
class PlanPlot:
    """Plots of one plan; reached as ``plan.plot``."""

    def __init__(self, plan) -> None:
        self.plan = plan

    def trajectory(self, compare=None, *, label: str | None = None, compare_label: str | None = None):
        """People in hotels and in dispersal over the years, and the cost per year.

        ``compare``: another plan, drawn dashed (its total cost as a dashed line on each year).
        """
        fig = charts.figure(11, 4.6)
        ax1, ax2 = fig.subplots(1, 2)
        label = label or label_of(self.plan)
        draw_people(ax1, self.plan, label, compare, compare_label)
        draw_costs(ax2, self.plan, compare, compare_label)
        return fig

    def fair_share(self, region: str | None = None):
        """Regions (or ``region``'s councils) at the end of the plan against their fair share."""
        at = area_table(self.plan)
        if region is not None and not at.codes(region):
            raise ValueError(f"no council in region '{region}'")
        fig = charts.figure(*fair_share_size(len(at.codes(region)) if region else
                                             self.plan.regions["region"].nunique()))
        draw_fair_share(fig, self.plan, at, region)
        return fig

    def map(self, year: int | str | None = None, *, region: str | None = None, ax=None):
        """Hex map of people per 10,000 residents.

        ``year``: a plan year, or ``"now"`` for today's position (default: the final year).
        ``region``: only that region's councils. Areas whose codes are not UK council codes
        (the hex layout's 2023 codes) cannot be drawn; the title says how many are missing.
        The rates are on the plan's pressure basis, as the outlines of the areas over their
        cluster limit are (the legend names a basis other than dispersal).
        """
        at = area_table(self.plan)
        codes = at.codes(region)
        when = at.years[-1] if year is None else year
        rate, _, over, title = at.on_map(when)
        on_basis = at.rate_on_basis(when)
        rate = rate if on_basis is None else on_basis
        lay = layout(codes)
        if ax is None:
            fig = charts.figure(6, 7.5)
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        for code, (x, y) in lay.centres.items():
            is_over = bool(over.get(code))
            ax.add_patch(Polygon(corners(x, -y, 0.97), closed=True, facecolor=rate_colour(rate.get(code, math.nan)),
                                 edgecolor="#c62828" if is_over else "white", linewidth=1.6 if is_over else 0.4))
        if lay.centres:
            x0, y0, x1, y1 = lay.bounds
            ax.set_xlim(x0 - 0.5, x1 + 0.5)
            ax.set_ylim(-y1 - 0.5, -y0 + 0.5)
        ax.set_aspect("equal")
        ax.axis("off")
        if lay.missing:
            title += f" ({len(lay.missing)} of {len(codes)} areas not on the UK hex map)"
        ax.set_title(title)
        handles = [Patch(facecolor=c, edgecolor="#bbb", label=lab) for _, c, lab in RATE_CLASSES]
        key = "per 10,000 residents" + ("" if on_basis is None else f"\n{at.counted}")
        ax.legend(handles=handles, title=key, fontsize=7, title_fontsize=8, frameon=False,
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return fig

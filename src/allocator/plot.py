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


def people_series(plan, label: str, dashed: bool = False) -> list[dict]:
    """People in dispersal and in hotels, now and at the end of each year, as :func:`charts.lines` series."""
    t = plan.trajectory
    start = plan.summary.get("headline", {}).get("start", {})
    return [{"label": f"{name} ({label})", "values": [start.get(col), *t[col].astype(float).tolist()],
             "colour": colour, "dash": dashed}
            for col, name, colour in (("dispersed", "In dispersal", BLUE), ("contingency", "In hotels", ORANGE))]


def year_labels(plan, now: bool = True) -> list[str]:
    return (["Now"] if now else []) + [str(int(y)) for y in plan.trajectory["year"]]


def draw_people(ax, plan, label: str, compare=None, compare_label: str | None = None) -> None:
    """People in hotels and in dispersal from now to the end of the plan; ``compare`` dashed."""
    series = people_series(plan, label)
    if compare is not None:
        other = people_series(compare, compare_label or label_of(compare, "comparison"), dashed=True)
        years = plan.trajectory["year"].tolist()
        ct = compare.trajectory.set_index("year")
        for s, col in zip(other, ("dispersed", "contingency")):      # on this plan's years
            s["values"] = [s["values"][0], *[float(ct.at[y, col]) if y in ct.index else None for y in years]]
        series += other
    charts.lines(ax, year_labels(plan), series, kind="people", title="People in hotels and in dispersal")
    ax.set_ylabel("people (end of year)", color=charts.MUTED, fontsize="small")
    charts.legend(ax)


def draw_costs(ax, plan, compare=None, compare_label: str | None = None) -> None:
    """The cost per year, stacked by kind; ``compare``'s total as a dashed line across each year."""
    t = plan.trajectory
    kinds = [("accommodation_cost", "Dispersal accommodation", BLUE),
             ("contingency_cost", "Hotels (contingency)", ORANGE), ("procurement_cost", "Procurement", GREEN)]
    if "void_cost" in t and (t["void_cost"] > 0).any():          # costs.void_share: empty bed spaces kept
        kinds.append(("void_cost", "Empty bed spaces", GREY))
    stacks = [{"label": name, "values": t[col].astype(float).tolist(), "colour": colour} for col, name, colour in kinds]
    markers = None
    if compare is not None:
        ct = compare.trajectory.set_index("year")
        markers = {"label": f"Total cost ({compare_label or label_of(compare, 'comparison')})",
                   "values": [float(ct.at[y, "total_cost"]) if y in ct.index else None for y in t["year"]]}
    charts.stacked_bars(ax, year_labels(plan, now=False), stacks, kind="money", title="Cost per year",
                        markers=markers)
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

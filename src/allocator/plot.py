"""Figures of a plan for notebooks and scripts: ``plan.plot.trajectory()``, ``plan.plot.map()``.

Both return a :class:`matplotlib.figure.Figure` (not drawn through pyplot, so a
notebook shows it once and a script can ``fig.savefig("plan.png")``).
"""

from __future__ import annotations

import io
import math

from allocator.hexmap import RATE_CLASSES, corners, layout, rate_colour

BLUE, ORANGE, GREEN = "#2f6db5", "#d9822b", "#3a9a6a"


_FIGURE_CLASS = None


def _figure(width: float, height: float):
    """A matplotlib Figure that a notebook shows once, as a PNG, even without ``%matplotlib inline``."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        from matplotlib.figure import Figure

        class PlanFigure(Figure):
            def _repr_png_(self) -> bytes:
                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=100)
                return buf.getvalue()

        _FIGURE_CLASS = PlanFigure
    return _FIGURE_CLASS(figsize=(width, height), layout="constrained")


class PlanPlot:
    """Plots of one plan; reached as ``plan.plot``."""

    def __init__(self, plan) -> None:
        self.plan = plan

    def trajectory(self, compare=None, label: str | None = None, compare_label: str | None = None):
        """People in hotels and in dispersal over the years, and the cost per year.

        ``compare``: another plan, drawn dashed.
        """
        plan = self.plan
        label = label or str(plan.summary.get("scenario", "plan"))
        fig = _figure(11, 4.6)
        ax1, ax2 = fig.subplots(1, 2)
        self._people(ax1, plan, label, dashed=False)
        if compare is not None:
            compare_label = compare_label or str(compare.summary.get("scenario", "comparison"))
            self._people(ax1, compare, compare_label, dashed=True)
        ax1.set_title("People in hotels and in dispersal")
        ax1.set_ylabel("people (end of year)")
        ax1.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax1.set_ylim(bottom=0)
        ax1.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
        ax1.grid(axis="y", color="#e3e6ea")

        t = plan.trajectory
        years = [str(y) for y in t["year"]]
        bottom = [0.0] * len(years)
        for col, name, colour in (("accommodation_cost", "Dispersal accommodation", BLUE),
                                  ("contingency_cost", "Hotels (contingency)", ORANGE),
                                  ("procurement_cost", "Procurement", GREEN)):
            values = [v / 1e6 for v in t[col].astype(float)]
            if any(values):
                ax2.bar(years, values, bottom=bottom, color=colour, label=name, width=0.6)
                bottom = [b + v for b, v in zip(bottom, values)]
        if compare is not None:
            ct = compare.trajectory.set_index("year")
            ax2.scatter(years, [ct.at[y, "total_cost"] / 1e6 if y in ct.index else math.nan for y in t["year"]],
                        marker="_", s=900, color="#222", label=f"Total ({compare_label})", zorder=3)
        ax2.set_title("Cost per year")
        ax2.set_ylabel("£ million")
        ax2.yaxis.set_major_formatter(lambda v, _: f"£{v:,.0f}m")
        ax2.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
        ax2.grid(axis="y", color="#e3e6ea")
        ax2.set_axisbelow(True)
        for ax in (ax1, ax2):
            ax.spines[["top", "right"]].set_visible(False)
        return fig

    @staticmethod
    def _people(ax, plan, label: str, dashed: bool) -> None:
        t = plan.trajectory
        start = plan.summary.get("headline", {}).get("start", {})
        xs = ["now", *[str(y) for y in t["year"]]]
        style = "--" if dashed else "-"
        marker = "o"
        for col, name, colour in (("dispersed", "In dispersal", BLUE), ("contingency", "In hotels", ORANGE)):
            ys = [start.get(col, math.nan), *t[col].astype(float)]
            ax.plot(xs, ys, style, marker=marker, color=colour, label=f"{name} ({label})",
                    markerfacecolor="white" if dashed else colour)

    def map(self, year: int | str | None = None, region: str | None = None, ax=None):
        """Hex map of people per 10,000 residents.

        ``year``: a plan year, or ``"now"`` for today's position (default: the final year).
        ``region``: only that region's councils. Areas whose codes are not UK council codes
        (the hex layout's 2023 codes) cannot be drawn; the title says how many are missing.
        """
        from matplotlib.patches import Patch, Polygon

        plan = self.plan
        a = plan.allocations
        years = sorted(int(y) for y in a["year"].unique())
        if year is None:
            year = years[-1]
        if region is not None:
            a = a[a["region"] == region]
        codes = list(dict.fromkeys(a["area_code"].astype(str)))
        if year == "now":
            if plan.start is None:
                raise ValueError("this plan has no start position (start.csv); solve the scenario again")
            s = plan.start.set_index(plan.start["area_code"].astype(str))
            rate = s["rate_per_10k"].to_dict()
            over = (s["stock"] > s["cap"]).to_dict()
            title = "Now"
        else:
            if int(year) not in years:
                raise ValueError(f"year {year} is not in the plan ({years[0]}-{years[-1]})")
            g = a[a["year"] == int(year)].groupby("area_code", sort=False).agg(
                rate=("rate_per_10k", "first"), over=("over_cap", "first"))
            g.index = g.index.astype(str)
            rate, over = g["rate"].to_dict(), g["over"].astype(bool).to_dict()
            title = f"End of {year}"
        lay = layout(codes)
        if ax is None:
            fig = _figure(6, 7.5)
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
        ax.legend(handles=handles, title="per 10,000 residents", fontsize=7, title_fontsize=8, frameon=False,
                  loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return fig

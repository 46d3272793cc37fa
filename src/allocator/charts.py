"""The charts of a plan, drawn by matplotlib: one drawing for notebooks (``plan.plot``) and reports.

The functions here draw on a matplotlib ``Axes`` and know nothing about plans:
:func:`lines` (values over the years), :func:`stacked_bars` (costs per year) and
:func:`fair_share_bars` (areas against their fair share). :mod:`allocator.plot` feeds them a
plan's figures; :mod:`allocator.report` turns the same figures into inline SVG with
:func:`to_svg`.

Figures are :class:`matplotlib.figure.Figure` objects made directly, never through pyplot:
no backend is chosen or changed (``matplotlib.use`` is never called), a notebook shows a
figure once, and a script can ``fig.savefig("plan.png")``.

:func:`to_svg` makes the SVG fit for a page that loads nothing: text stays text (``svg.fonttype``
``none``, drawn in the page's font), no metadata, date or address, no XML prologue, and ids
from a fixed salt, so the same plan gives the same bytes. Each point and bar keeps its
tooltip (an SVG ``<title>``), as the hand-written charts it replaced did.
"""

from __future__ import annotations

import io
import math
import re
import textwrap

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from allocator.output import clean_text, escape_html

BLUE, ORANGE, GREEN, GREY, INK, MUTED, GRID = ("#2f6db5", "#d9822b", "#3a9a6a", "#9aa3ad", "#111111",
                                                "#5b6470", "#e3e6ea")

#: rcParams for SVG in a report: matplotlib's defaults and these, whatever the user's style is.
SVG_STYLE = {"svg.fonttype": "none", "font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"],
             "font.size": 14}
#: savefig's metadata: None drops each default entry (creator and version, date, format, type).
NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
LEGEND_WRAP = 64                 # characters per line of a legend entry


class PlanFigure(Figure):
    """A Figure that a notebook shows once, as a PNG, even without ``%matplotlib inline``."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100)
        return buf.getvalue()


def figure(width: float, height: float) -> PlanFigure:
    return PlanFigure(figsize=(width, height), layout="constrained")


def text(value: object) -> str:
    """A name from a user's file as matplotlib text: control characters written out, ``$`` not math."""
    return clean_text(value).replace("$", r"\$")


# --------------------------------------------------------------------------- numbers
def tick_label(value: float, kind: str, thousands: bool | None = None) -> str:
    """An axis tick: money as £m or £bn; people in thousands (``k``) from 10,000, or on an axis
    that reaches 10,000 when ``thousands`` is given (so that one axis never mixes 5,000 and 10k)."""
    if kind == "money":
        m = value / 1e6
        if abs(m) >= 1000:
            return f"£{_trim(m / 1000, 2)}bn"
        return f"£{m:,.0f}m" if m >= 10 or m == 0 else f"£{_trim(m, 1)}m"
    if kind == "rate":
        return f"{value:,.0f}" if value >= 10 else _trim(value, 1)
    if value >= 10_000 or (thousands and value):
        return f"{_trim(value / 1000, 1)}k"
    return f"{value:,.0f}"


def _trim(value: float, decimals: int) -> str:
    """``value`` with at most ``decimals`` decimals and no trailing zeros (1.5, 2, 1.25)."""
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def value_label(value: float, kind: str) -> str:
    """A value on a bar or in a tooltip."""
    if kind == "money":
        return f"£{value / 1e6:,.1f}m"
    if kind == "rate":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def _tip(artist, tip: str) -> None:
    """Give ``artist`` a tooltip: :func:`to_svg` writes it as the SVG ``<title>`` of the artist's group."""
    fig = artist.figure
    tips = fig.__dict__.setdefault("_allocator_tips", {})
    gid = f"allocator-tip-{len(tips)}"
    artist.set_gid(gid)
    tips[gid] = clean_text(tip)


def _frame(ax, kind: str | None = None, grid: str = "y") -> None:
    """The look every chart shares: no top or right spine, light grid, muted ticks."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(GRID)
    ax.tick_params(colors=MUTED, labelsize="small", length=0)
    ax.grid(axis=grid, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    if kind is not None:
        axis = ax.yaxis if grid == "y" else ax.xaxis
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(lambda v, _: tick_label(v, kind, thousands=max(axis.get_view_interval()) >= 10_000))


def legend(ax_or_fig, handles=None, ncols: int = 2) -> None:
    """A legend under the chart (outside the axes, so it never hides a line); bars before lines.

    Long labels (plans are named by users) are wrapped and put in one column, so that the
    legend never grows wider than the chart."""
    if handles is None and not isinstance(ax_or_fig, Figure):
        handles = sorted(ax_or_fig.get_legend_handles_labels()[0], key=lambda h: isinstance(h, Line2D))
    labels = [textwrap.fill(h.get_label(), LEGEND_WRAP) for h in handles]
    if max(map(len, labels), default=0) > LEGEND_WRAP / 2:
        ncols = 1
    kw = dict(handles=handles, labels=labels, ncols=ncols, frameon=False, fontsize="small")
    if isinstance(ax_or_fig, Figure):
        ax_or_fig.legend(loc="outside lower center", **kw)
    else:
        ax_or_fig.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), **kw)


# --------------------------------------------------------------------------- charts
def lines(ax, x_labels: list[str], series: list[dict], *, kind: str = "people", title: str = "") -> None:
    """Values over the years, one line per series.

    Each series: ``label``, ``values`` (None leaves a gap), ``colour``, ``dash`` (drawn dashed with
    open markers: a comparison, or a target such as the fair share) and, optionally, ``names``: each point's
    name in its hover text (by default its x label).
    """
    xs = range(len(x_labels))
    for s in series:
        pts = [(x, v) for x, v in zip(xs, s["values"]) if v is not None and not _nan(v)]
        if not pts:
            continue
        style = dict(color=s["colour"], linestyle=(0, (4, 2.5)) if s.get("dash") else "-", linewidth=2)
        ax.plot([x for x, _ in pts], [v for _, v in pts], label=text(s["label"]), marker="o", markersize=6,
                markerfacecolor="white" if s.get("dash") else s["colour"], **style)
        for x, v in pts:                 # an invisible bigger marker per point carries its tooltip
            dot, = ax.plot([x], [v], marker="o", markersize=9, linestyle="none", alpha=0)
            _tip(dot, f"{s['label']}, {s.get('names', x_labels)[x]}: {value_label(v, kind)}")
    ax.set_xticks(list(xs), [text(x) for x in x_labels])
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1))
    _frame(ax, kind)
    if title:
        ax.set_title(text(title), fontsize="medium", fontweight="bold")


def stacked_bars(ax, x_labels: list[str], stacks: list[dict], *, kind: str = "money", title: str = "",
                 markers: dict | None = None) -> None:
    """Stacked columns per year, the total above each. Each stack: ``label``, ``values`` (None: the year has
    no column, e.g. a year the plan does not cover), ``colour``; ``markers``: a ``label``/``values`` series
    drawn as a dashed line across each column (e.g. the comparison's total). A stack that is zero throughout
    is left out of the legend."""
    xs = list(range(len(x_labels)))
    base = [0.0] * len(xs)
    drawn = [any(s["values"][x] is not None for s in stacks) for x in xs]
    for s in stacks:
        values = [0.0 if v is None else float(v) for v in s["values"]]
        bars = ax.bar(xs, values, bottom=base, width=0.6, color=s["colour"],
                      label=text(s["label"]) if any(values) else "_nolegend_")
        for x, bar, v in zip(xs, bars, values):
            if v > 0:
                _tip(bar, f"{s['label']}, {x_labels[x]}: {value_label(v, kind)}")
        base = [b + v for b, v in zip(base, values)]
    for x, total in ((x, total) for x, total in zip(xs, base) if drawn[x]):
        ax.annotate(value_label(total, kind), (x, total), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize="x-small", color="#2b3138")
    if markers is not None:
        first = True
        for x, v in zip(xs, markers["values"]):
            if v is None or _nan(v):
                continue
            line, = ax.plot([x - 0.4, x + 0.4], [v, v], color="#222222", linewidth=2, linestyle=(0, (3, 2)),
                            label=text(markers["label"]) if first else "_nolegend_")
            _tip(line, f"{markers['label']}, {x_labels[x]}: {value_label(v, kind)}")
            first = False
    ax.set_xticks(xs, [text(x) for x in x_labels])
    marked = [v for v in (markers or {}).get("values", []) if v is not None and not _nan(v)]
    ax.set_ylim(0, max([*base, *marked, 1.0]) * 1.12)          # room for the totals above the columns
    _frame(ax, kind)
    if title:
        ax.set_title(text(title), fontsize="medium", fontweight="bold")


def fair_share_bars(ax, rows: list[dict]) -> None:
    """Horizontal bars against a fair share, the first row at the top. Each row: ``label``, ``value``
    (the main bar, orange when above the fair share), ``fair`` (a black tick), ``now`` (a thin grey
    bar, or None), ``text`` (written after the bar, on the right) and, optionally, ``counted``: which people
    ``value`` and ``now`` count, in words for the hover text ("on the supported basis")."""
    ys = list(range(len(rows)))
    above = [r["value"] > r["fair"] * 1.005 if r["fair"] > 0 else r["value"] > 0 for r in rows]
    bars = ax.barh([y + 0.08 for y in ys], [r["value"] for r in rows], height=0.5,
                   color=[ORANGE if a else BLUE for a in above])
    counted = [f" {r['counted']}" if r.get("counted") else "" for r in rows]
    for r, bar, words in zip(rows, bars, counted):
        _tip(bar, f"{r['label']}: {r['value']:,.0f}{words} (fair share {r['fair']:,.0f})")
    now = [(y, r) for y, r in zip(ys, rows) if r.get("now") is not None]
    if now:
        bars = ax.barh([y - 0.3 for y, _ in now], [r["now"] for _, r in now], height=0.14, color=GREY)
        for (_, r), bar in zip(now, bars):
            _tip(bar, f"{r['label']} now: {r['now']:,.0f}" + (f" {r['counted']}" if r.get("counted") else ""))
    for y, r in zip(ys, rows):
        tick, = ax.plot([r["fair"]] * 2, [y - 0.4, y + 0.4], color=INK, linewidth=2)
        _tip(tick, f"fair share {r['fair']:,.0f}")
    # The names (left) and the figures after each bar (right) are texts, not tick labels: a chart of 60
    # councils draws in a third of the time. Constrained layout makes room for them all the same.
    rows_at = ax.get_yaxis_transform()               # x in axes fractions, y in rows
    for y, r in zip(ys, rows):
        ax.text(-0.01, y, text(r["label"]), transform=rows_at, ha="right", va="center", fontsize="small",
                color="#2b3138")
        ax.text(1.01, y, text(r["text"]), transform=rows_at, ha="left", va="center", fontsize="small",
                color="#2b3138")
    ax.set_yticks([])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    _frame(ax, "people", grid="x")
    keys = [Patch(color=BLUE, label="at or below fair share"), Patch(color=ORANGE, label="above fair share"),
            Line2D([], [], color=INK, linewidth=2, label="fair share")]
    if any(r.get("now") is not None for r in rows):
        keys.insert(0, Patch(color=GREY, label="now"))
    legend(ax.figure, keys, ncols=len(keys))


def _nan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


# --------------------------------------------------------------------------- SVG for a page
_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.S)
_ROOT = re.compile(r"<svg\b[^>]*\bviewBox=\"([^\"]+)\"[^>]*>")
_AUTO_ID = re.compile(r' id="[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z]+)?_\d+"')   # figure_1, line2d_3, ...
_TIP = re.compile(r'<g id="(allocator-tip-\d+)">')


def to_svg(fig: Figure, *, name: str, label: str, css_class: str = "chart") -> str:
    """``fig`` as an ``<svg>`` element to put inside an HTML page.

    ``name`` salts matplotlib's ids (clip paths, markers), so that two charts on one page never
    share an id and the same chart always gets the same ones; ``label`` is the accessible name.
    The figure must have been made under :data:`SVG_STYLE` (see :func:`allocator.report`).
    """
    buf = io.StringIO()
    with matplotlib.rc_context({**SVG_STYLE, "svg.hashsalt": f"allocator-{name}"}):
        fig.savefig(buf, format="svg", metadata=NO_METADATA)
    svg = _PROLOGUE.sub("", buf.getvalue(), count=1)
    root = (f'<svg class="{css_class}" viewBox="{_ROOT.match(svg).group(1)}" role="img" '
            f'aria-label="{escape_html(label)}">')
    svg = _ROOT.sub(lambda _: root, svg, count=1)          # a function: a name's backslash stays a backslash
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>", "", svg, count=1)   # a global * rule
    svg = _AUTO_ID.sub("", svg)                                   # figure_1, axes_1, ...: repeated per chart
    svg = re.sub(r">\s+<", "><", re.sub(r" ?\n *", " ", svg))   # the indentation, and line breaks in paths
    tips = fig.__dict__.get("_allocator_tips", {})
    svg = _TIP.sub(lambda m: f"<g><title>{escape_html(tips.get(m.group(1), ''))}</title>", svg)
    return svg.strip()

"""Small inline-SVG charts for the HTML report: no JavaScript library, no web fonts, no network.

Every function returns an ``<svg>`` element as a string; text is escaped.
Numbers on axes are formatted for reading (thousands separators, £ millions).
"""

from __future__ import annotations

import math

from allocator.output import escape_html as escape

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"


def nice_step(raw: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at least ``raw``."""
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    exp = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= raw - 1e-12:
            return m * exp
    return 10 * exp  # pragma: no cover


def ticks(vmax: float, n: int = 4) -> list[float]:
    """Axis ticks from 0 to a round number at least ``vmax``."""
    step = nice_step(max(vmax, 1e-9) / n)
    top = step * math.ceil(max(vmax, 1e-9) / step - 1e-9)
    k = int(round(top / step))
    return [round(i * step, 10) for i in range(k + 1)]


def axis_label(value: float, kind: str) -> str:
    if kind == "money":
        m = value / 1e6
        if abs(m) >= 1000:
            return f"£{m / 1000:,.1f}bn".replace(".0bn", "bn")
        return f"£{m:,.0f}m" if m >= 10 or m == 0 else f"£{m:,.1f}m"
    if kind == "rate":
        return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}"
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def value_label(value: float, kind: str) -> str:
    if kind == "money":
        return f"£{value / 1e6:,.1f}m"
    if kind == "rate":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def _chart_frame(width: int, height: int, left: int, right: int, title: str, tk: list[float], y, kind: str) -> list[str]:
    """The opening of a chart: the svg element, its title, horizontal grid lines and y-axis labels."""
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
           f'aria-label="{escape(title)}" style="{FONT}">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for t in tk:
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#e3e6ea"/>')
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6470">'
                   f"{escape(axis_label(t, kind))}</text>")
    return out


def line_chart(x_labels: list[str], series: list[dict], *, kind: str = "people", title: str = "",
               width: int = 520, height: int = 260) -> str:
    """Lines over the years. Each series: ``label``, ``values`` (None leaves a gap), ``colour``, ``dash``."""
    left, right, top, bottom = 58, 18, 14, 34
    pw, ph = width - left - right, height - top - bottom
    values = [v for s in series for v in s["values"] if v is not None]
    tk = ticks(max(values) if values else 1.0)
    ymax = tk[-1] or 1.0
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (pw * (i / (n - 1)) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - v / ymax)

    out = _chart_frame(width, height, left, right, title, tk, y, kind)
    for i, lab in enumerate(x_labels):
        out.append(f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle" font-size="11" fill="#5b6470">'
                   f"{escape(str(lab))}</text>")
    for s in series:
        pts = [(x(i), y(v), v, x_labels[i]) for i, v in enumerate(s["values"]) if v is not None]
        if not pts:
            continue
        dash = ' stroke-dasharray="6 4"' if s.get("dash") else ""
        d = " ".join(f"{'M' if k == 0 else 'L'}{px:.1f},{py:.1f}" for k, (px, py, _, _) in enumerate(pts))
        out.append(f'<path d="{d}" fill="none" stroke="{s["colour"]}" stroke-width="2.5"{dash}/>')
        for px, py, v, lab in pts:
            fill = "#fff" if s.get("dash") else s["colour"]
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{fill}" stroke="{s["colour"]}" '
                       f'stroke-width="2"><title>{escape(s["label"])}, {escape(str(lab))}: '
                       f"{escape(value_label(v, kind))}</title></circle>")
    out.append("</svg>")
    return "".join(out)


def stacked_bars(x_labels: list[str], stacks: list[dict], *, kind: str = "money", title: str = "",
                 markers: dict | None = None, width: int = 520, height: int = 260) -> str:
    """Stacked columns per year. Each stack: ``label``, ``values``, ``colour``. ``markers``: a
    ``label``/``values`` series drawn as a dashed tick on each column (e.g. the comparison's total)."""
    left, right, top, bottom = 58, 18, 14, 34
    pw, ph = width - left - right, height - top - bottom
    n = len(x_labels)
    totals = [sum(s["values"][i] for s in stacks) for i in range(n)]
    allv = totals + ([v for v in markers["values"] if v is not None] if markers else [])
    tk = ticks(max(allv) if allv else 1.0)
    ymax = tk[-1] or 1.0
    slot = pw / max(n, 1)
    bw = min(56.0, slot * 0.6)

    def y(v: float) -> float:
        return top + ph * (1 - v / ymax)

    out = _chart_frame(width, height, left, right, title, tk, y, kind)
    for i, lab in enumerate(x_labels):
        cx = left + slot * (i + 0.5)
        base = 0.0
        for s in stacks:
            v = s["values"][i]
            if v > 0:
                out.append(f'<rect x="{cx - bw / 2:.1f}" y="{y(base + v):.1f}" width="{bw:.1f}" '
                           f'height="{max(y(base) - y(base + v), 0.5):.1f}" fill="{s["colour"]}">'
                           f"<title>{escape(s['label'])}, {escape(str(lab))}: {escape(value_label(v, kind))}"
                           f"</title></rect>")
            base += v
        out.append(f'<text x="{cx:.1f}" y="{y(totals[i]) - 5:.1f}" text-anchor="middle" font-size="10.5" '
                   f'fill="#2b3138">{escape(value_label(totals[i], kind))}</text>')
        if markers and markers["values"][i] is not None:
            my = y(markers["values"][i])
            out.append(f'<line x1="{cx - bw / 2 - 6:.1f}" x2="{cx + bw / 2 + 6:.1f}" y1="{my:.1f}" y2="{my:.1f}" '
                       f'stroke="#222" stroke-width="2" stroke-dasharray="4 3"><title>{escape(markers["label"])}, '
                       f"{escape(str(lab))}: {escape(value_label(markers['values'][i], kind))}</title></line>")
        out.append(f'<text x="{cx:.1f}" y="{height - 12}" text-anchor="middle" font-size="11" fill="#5b6470">'
                   f"{escape(str(lab))}</text>")
    out.append("</svg>")
    return "".join(out)


def hbars(rows: list[dict], *, width: int = 1110, label_width: int = 200, row_height: int = 28,
          title: str = "") -> str:
    """Horizontal bars against a fair share. Each row: ``label``, ``now`` (thin grey bar, may be None),
    ``value`` (main bar), ``fair`` (tick), ``text`` (shown after the bar)."""
    text_width = 230
    pw = width - label_width - text_width - 10
    vmax = max([max(r["value"], r["fair"], r.get("now") or 0) for r in rows] + [1.0])
    height = row_height * len(rows) + 8

    def x(v: float) -> float:
        return label_width + pw * v / vmax

    out = [f'<svg class="bars" viewBox="0 0 {width} {height}" width="{width}" role="img" '
           f'aria-label="{escape(title)}" style="{FONT};max-width:100%;height:auto">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for k, r in enumerate(rows):
        y0 = 4 + k * row_height
        ratio = r["value"] / r["fair"] if r["fair"] > 0 else float("inf") if r["value"] > 0 else 1.0
        colour = "#d9822b" if ratio > 1.005 else "#2f6db5"
        out.append(f'<text x="{label_width - 8}" y="{y0 + row_height / 2 + 4:.1f}" text-anchor="end" '
                   f'font-size="12" fill="#2b3138">{escape(r["label"])}</text>')
        out.append(f'<rect x="{label_width}" y="{y0 + 5}" width="{pw}" height="{row_height - 10}" fill="#f3f5f7"/>')
        if r.get("now") is not None:
            out.append(f'<rect x="{label_width}" y="{y0 + 3}" width="{max(x(r["now"]) - label_width, 0):.1f}" '
                       f'height="4" fill="#9aa3ad"><title>{escape(r["label"])} now: {r["now"]:,.0f}</title></rect>')
        out.append(f'<rect x="{label_width}" y="{y0 + 9}" width="{max(x(r["value"]) - label_width, 0):.1f}" '
                   f'height="{row_height - 16}" fill="{colour}"><title>{escape(r["label"])}: {r["value"]:,.0f} '
                   f'(fair share {r["fair"]:,.0f})</title></rect>')
        fx = x(r["fair"])
        out.append(f'<line x1="{fx:.1f}" x2="{fx:.1f}" y1="{y0 + 2}" y2="{y0 + row_height - 2}" stroke="#111" '
                   f'stroke-width="2"><title>fair share {r["fair"]:,.0f}</title></line>')
        out.append(f'<text x="{label_width + pw + 10}" y="{y0 + row_height / 2 + 4:.1f}" font-size="11.5" '
                   f'fill="#2b3138">{escape(r["text"])}</text>')
    out.append("</svg>")
    return "".join(out)

"""HTML pages from Jinja2 templates (``allocator/templates``): the report and a plan's notebook summary.

The environment escapes everything a template writes (autoescaping on, with
:func:`allocator.output.escape_html`, so control characters are written out too); only
values marked safe (:class:`markupsafe.Markup`: the inline SVG charts, the page's own CSS and
script) are written as they are. An undefined name in a template is an error, not a blank.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2
from markupsafe import Markup

from allocator.output import escape_html, fmt

TEMPLATES = "templates"


def _finalize(value: object) -> object:
    """Every ``{{ value }}``: text escaped by the project's own rule, safe markup as it is."""
    return value if hasattr(value, "__html__") else Markup(escape_html(value))


@lru_cache(maxsize=None)
def asset(name: str) -> Markup:
    """A file from the templates folder (CSS, script), written into the page as it is."""
    return Markup(resources.files("allocator").joinpath(TEMPLATES, name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("allocator", TEMPLATES), autoescape=True,
                             finalize=_finalize, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["fmt"] = fmt
    env.globals["asset"] = asset
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def plan_summary_html(plan) -> str:
    """A compact HTML summary of a plan (what Jupyter shows for a ``Plan``)."""
    s = plan.summary
    h = s.get("headline", {})
    years = plan.trajectory["year"].tolist()
    basis = plan.pressure_basis
    spread = [("Gini of area rates", "gini", "gini"), ("Highest rate per 10,000", "max_rate_per_10k", "rate")]
    # the spread on the plan's pressure basis (summary.json headline "basis"), then on dispersal alone
    on_basis = [(f"{title} ({basis} basis)", f"basis_{key}", kind) for title, key, kind in spread] if basis else []
    rows = [("In hotels (contingency)", "contingency", "people"), ("In dispersal", "dispersed", "people"),
            *on_basis, *[(f"{title} (dispersal only)" if basis else title, key, kind) for title, key, kind in spread],
            ("Areas over the cluster limit" + (f" ({basis} basis)" if basis else ""), "areas_over_cap", "count"),
            ("Areas hosting", "areas_hosting", "count")]

    def flat(position: dict) -> dict:
        return {**position, **{f"basis_{k}": v for k, v in position.get("basis", {}).items()}}

    return render("plan_summary.html.j2", scenario=s.get("scenario", "?"), status=plan.status,
                  solver=s.get("solver", ""), areas=plan.allocations["area_code"].nunique(), first=years[0],
                  final=years[-1], start=flat(h.get("start", {})), end=flat(h.get("end", {})), rows=rows,
                  cost=h.get("end", {}).get("total_cost_all_years"))

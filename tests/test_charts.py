"""One chart stack: matplotlib draws ``plan.plot`` and the report's charts, without touching the user's backend.

The report's SVG is checked in tests/test_report.py (and in a real browser there); here: the library
never chooses a matplotlib backend, names from users' files are text (never mathtext), the SVG
for a page carries no address, metadata or shared ids, and the axis numbers read well.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

from allocator import charts
from tests.conftest import EXAMPLE

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "allocator"


def test_no_library_module_chooses_a_matplotlib_backend() -> None:
    """``matplotlib.use`` and pyplot (which picks a backend and keeps figures alive) appear nowhere in src/."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "use" and isinstance(node.value, ast.Name) \
                    and node.value.id in ("matplotlib", "mpl"):
                found.append(f"{path.name}:{node.lineno} matplotlib.use")
            names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
            module = node.module if isinstance(node, ast.ImportFrom) else ""
            if any("pyplot" in n for n in [*names, module or ""]):
                found.append(f"{path.name}:{node.lineno} pyplot")
    assert found == []


BACKEND_SCRIPT = """
import sys, tempfile, matplotlib
matplotlib.use("pdf")
from pathlib import Path
from allocator import load_scenario, solve
from allocator.frontier import compute_frontier
from allocator.report import build_report
scenario = load_scenario(sys.argv[1])
plan = solve(scenario)
plan.plot.trajectory(compare=plan)
plan.plot.map()
plan.plot.fair_share()
plan._repr_html_()
build_report(plan, compare=plan)
compute_frontier(scenario, points=3).plot(Path(tempfile.mkdtemp()) / "frontier.png")
print(matplotlib.get_backend())
"""


@pytest.mark.slow
def test_plots_reports_and_frontier_charts_leave_the_users_backend_alone() -> None:
    """In a fresh interpreter whose user chose the ``pdf`` backend, it is still ``pdf`` afterwards."""
    r = subprocess.run([sys.executable, "-c", BACKEND_SCRIPT, str(EXAMPLE)], capture_output=True, text=True,
                       timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().splitlines()[-1] == "pdf"


def test_plot_figures_are_matplotlib_figures_without_pyplot(example_plan) -> None:
    from matplotlib.figure import Figure

    fig = example_plan.plot.fair_share()
    assert isinstance(fig, Figure) and fig.canvas.manager is None            # not registered with pyplot
    ax = fig.axes[0]
    reg = example_plan.regions
    final = reg[reg["year"] == reg["year"].max()].sort_values("stock", ascending=False, kind="stable")
    names = [t.get_text() for t in ax.texts if t.get_horizontalalignment() == "right"]
    assert names == final["region"].tolist()                                   # largest first
    with pytest.raises(ValueError, match="no council in region"):
        example_plan.plot.fair_share(region="Atlantis")


def test_names_from_users_files_are_text_not_mathtext() -> None:
    fig = charts.figure(4, 2)
    ax = fig.add_subplot()
    charts.lines(ax, ["Now", "2026"], [{"label": "a", "values": [1, 2], "colour": "#000"}],
                 title=r"North $1$ & <b> \frac{ $x^2$")
    ax.set_yticks([0, 1], [charts.text("$\\frac{"), charts.text("tab\there")])
    with matplotlib.rc_context(charts.SVG_STYLE):
        svg = charts.to_svg(fig, name="t", label='a "label"')
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert r"North $1$ &amp; &lt;b&gt; \frac{ $x^2$" in texts
    assert "$\\frac{" in texts and "tab\\x09here" in texts
    assert 'aria-label="a &quot;label&quot;"' in svg


def test_svg_for_a_page_has_no_address_metadata_or_repeated_ids(example_plan) -> None:
    svgs = []
    for name in ("one", "two"):
        fig = charts.figure(5, 3)
        with matplotlib.rc_context(charts.SVG_STYLE):
            from allocator.plot import draw_people
            draw_people(fig.add_subplot(), example_plan, "plan")
            svgs.append(charts.to_svg(fig, name=name, label=name))
    for svg in svgs:
        assert svg.startswith('<svg class="chart" viewBox="') and svg.endswith("</svg>")
        assert not re.search(r"https?:|<metadata|<\?xml|<!DOCTYPE|<!--|<style", svg)
        assert "<title>In dispersal (plan), Now (31 Dec 2025): " in svg    # each point keeps its tooltip, dated
    ids = [re.findall(r' id="([^"]+)"', s) for s in svgs]
    assert ids[0] and not set(ids[0]) & set(ids[1])                        # two charts on one page share no id
    for s, own in zip(svgs, ids):
        refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', s))
        assert refs and refs <= set(own)                                    # every reference is to its own chart


@pytest.mark.parametrize(("value", "kind", "thousands", "text"), [
    (0, "people", True, "0"), (5_000, "people", False, "5,000"), (5_000, "people", True, "5k"),
    (12_500, "people", None, "12.5k"), (150_000, "people", None, "150k"), (2.5, "rate", None, "2.5"),
    (0, "money", None, "£0m"), (250e6, "money", None, "£250m"), (1.25e9, "money", None, "£1.25bn"),
    (2e9, "money", None, "£2bn"), (1.5e9, "money", None, "£1.5bn"), (2.5e6, "money", None, "£2.5m"),
])
def test_axis_numbers(value, kind, thousands, text) -> None:
    assert charts.tick_label(value, kind, thousands=thousands) == text


def test_what_a_plan_reaches_for_figures_never_imports_the_plan_back() -> None:
    """``Plan.plot`` and ``Plan._repr_html_`` import plot and pages: neither they nor what they import
    (charts, hexmap) may import plan, compare, report or api, or the modules would import in a circle."""
    def imports(name: str) -> set[str]:
        tree = ast.parse((SRC / f"{name}.py").read_text(encoding="utf-8"))
        found = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        found |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        found |= {f"allocator.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                  and n.module == "allocator" for a in n.names}
        return {m for m in found if m.startswith("allocator.")}

    reached, todo = set(), ["plot", "pages"]
    while todo:
        name = todo.pop()
        reached.add(name)
        todo += [m.split(".")[1] for m in imports(name) if m.split(".")[1] not in reached]
    assert {"plot", "pages", "charts", "hexmap", "output"} <= reached
    assert not reached & {"plan", "compare", "report", "api"}

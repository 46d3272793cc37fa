"""The quick-start notebook runs from top to bottom, and the plotting helpers it uses return figures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "docs" / "notebooks" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs_top_to_bottom() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()                                   # raises CellExecutionError on the first failing cell
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("In hotels (contingency)" in h for h in html)          # the Plan's HTML summary
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 3                                              # trajectory and two maps, each once
    assert (REPO / "out" / "notebook" / "limit-250" / "plan.xlsx").exists()


def test_plot_trajectory_returns_a_figure(example_plan) -> None:
    from matplotlib.figure import Figure

    fig = example_plan.plot.trajectory()
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["People in hotels and in dispersal", "Cost per year"]


def test_plot_map_one_hexagon_per_uk_area() -> None:
    from matplotlib.figure import Figure

    from allocator import load_scenario, solve

    plan = solve(load_scenario(REPO / "scenarios" / "uk-2025" / "central.yaml"))
    fig = plan.plot.map()
    assert isinstance(fig, Figure)
    assert len(fig.axes[0].patches) == 361
    assert fig.axes[0].get_title() == "End of 2029"
    now = plan.plot.map("now", region="Wales")
    assert len(now.axes[0].patches) == 22 and now.axes[0].get_title() == "Now"


def test_plot_map_says_when_codes_are_not_on_the_uk_map(example_plan) -> None:
    fig = example_plan.plot.map(2028)
    assert len(fig.axes[0].patches) == 0
    assert "12 of 12 areas not on the UK hex map" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="not in the plan"):
        example_plan.plot.map(2040)

"""The fairness figures (Gini, highest rate, areas over the cap, areas above their fair share) have one
definition, :mod:`allocator.fairness`, on a stated pressure basis: trajectory.csv, summary.json's headline,
``allocator compare``, the report and the national demo (``plan_figures``) agree, and say which basis."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from allocator import Scenario, solve
from allocator.cli.solving import headline_lines
from allocator.fairness import plan_figures
from allocator.pages import plan_summary_html
from allocator.report import build_report
from tests.conftest import area, config, load


def test_a_plan_counted_on_another_basis_by_hand(tmp_path: Path) -> None:
    """A and B (10,000 residents each) hold 50 people in dispersal each; A's hotels hold 100 more (its areas
    column ``contingency``). On the dispersal basis the rates are equal: Gini 0, nobody above a fair share.
    On the supported basis A holds 150 and B 50 of 200, fair shares 100 each: A is above 125% (150 > 125) but
    not above 150% (150 is not > 150); rates 150 and 50 per 10,000, Gini 1 - [0.5 (0.25 + 0) + 0.5 (1 + 0.25)]
    = 0.25; the highest rate 150. The plan (its allocations: 50 and 50 in dispersal, 100 in A's hotels in
    2026) is counted as it stands, so today and 2026 agree."""
    cfg = config([2026], [0], exit_rate=0.0, contingency_start=100)
    sc = load(tmp_path, cfg, [area("A", population=10_000, stock=50, capacity=50, contingency=100),
                              area("B", population=10_000, stock=50, capacity=50, contingency=0)])
    allocations = pd.DataFrame({"area_code": ["A", "B"], "year": [2026, 2026], "stock": [50, 50],
                                "contingency": [100, 0]})
    plan = SimpleNamespace(allocations=allocations)
    own = plan_figures(plan, sc)
    assert own.loc["gini"].tolist() == [0.0, 0.0] and own.loc["areas_above_125pct"].tolist() == [0, 0]
    assert "basis_gini" not in own.index                       # the dispersal basis has no basis_ figures
    supported = plan_figures(plan, sc, "supported")
    assert list(supported.columns) == ["now", 2026]
    for column in ("now", 2026):
        figures = supported[column]
        assert (figures["gini"], figures["basis_gini"], figures["basis_max_rate_per_10k"]) == (0.0, 0.25, 150.0)
        assert (figures["areas_above_125pct"], figures["areas_above_150pct"], figures["areas_above_200pct"]) == (1, 0, 0)
        assert figures["areas_over_cap"] == 1                  # the cap 10,000 / 200 = 50: A's 150 is over it
    assert own.loc["areas_over_cap"].tolist() == [0, 0]         # on dispersal 50 is not over 50


@pytest.fixture(scope="module")
def supported_plan(example_scenario: Scenario):
    sc = example_scenario.with_policy(pressure_basis="supported")
    return sc, solve(sc)


def test_one_definition_for_trajectory_headline_and_plan_figures(supported_plan) -> None:
    """On the example on the supported basis, plan_figures (the demo's count) gives trajectory.csv's figures
    each year and summary.json's headline for today: the same definition, not a second one."""
    sc, plan = supported_plan
    figures = plan_figures(plan, sc)
    traj = plan.trajectory.set_index("year")
    for key in figures.index:
        assert figures.loc[key, traj.index].astype(float).tolist() == traj[key].astype(float).tolist(), key
    start = plan.summary["headline"]["start"]
    assert figures.at["gini", "now"] == start["gini"] and figures.at["max_rate_per_10k", "now"] == start["max_rate_per_10k"]
    assert figures.at["basis_gini", "now"] == start["basis"]["gini"]
    assert figures.at["areas_over_cap", "now"] == start["areas_over_cap"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_shows_the_plans_basis_and_never_compares_unlike_figures(supported_plan, example_plan) -> None:
    """The report's cards give the Gini and highest rate on the plan's basis (its basis_gini, 0.335 in 2030;
    today 0.511), titled with it, then on dispersal alone (0.335 against the example's 0.134: +0.201); against
    a plan on another basis the basis figures are not compared, and the page says so."""
    _, plan = supported_plan
    text = _text(build_report(plan, label="supported", compare=example_plan, compare_label="example"))
    assert "Gini of area rates (supported basis) 0.335 now 0.511 example counts on the dispersal basis: not compared" in text
    assert "Gini of area rates (dispersal only) 0.335 now 0.545 +0.201 vs example" in text
    assert "Areas over the cluster limit (supported basis)" in text
    assert "Gini of area rates (dispersal only) at the end of 2030: 0.335 against 0.134 (+0.201)" in text
    summary = _text(plan_summary_html(plan))
    assert "Gini of area rates (supported basis) 0.511 0.335" in summary
    assert "Gini of area rates (dispersal only) 0.545 0.335" in summary


def test_the_solve_headline_names_the_basis_of_each_gini(supported_plan, example_plan) -> None:
    """`allocator solve` prints the Gini on dispersal alone and on the pressure basis: on a basis other than
    dispersal the first says it is on dispersal only; on the dispersal basis there is one, unlabelled."""
    _, plan = supported_plan
    lines = "\n".join(headline_lines(plan))
    assert "Gini of area rates (dispersal only) 0.545 -> 0.335." in lines
    assert "On the pressure basis (supported): 5,470 people now, 4,386 by 2030; Gini of area rates 0.511 -> 0.335; " \
           "regional rates now" in lines
    assert "Gini of area rates 0.545 -> 0.134." in "\n".join(headline_lines(example_plan))

"""`solve --status-quo` and `solve --baseline` (trial of main, 2026-11-30, item (a)1): a baseline that buys
no places is said to be one, its difference is never called a saving, and a chosen baseline is named
with its figures."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from allocator import load_scenario, solve
from allocator.cli import cli
from tests.conftest import REPO

UK = REPO / "scenarios" / "uk-2025"


def _solve(*args: str | Path):
    return CliRunner().invoke(cli, ["solve", *map(str, args)])


def test_the_no_procurement_line_says_what_it_is_and_calls_nothing_a_saving(tmp_path: Path) -> None:
    """High arrivals against buying nothing: the plan is cheaper, but that is not a saving (the old line:
    "Status quo (no new procurement, no hotel ceiling): £5,813,758,638; the plan saves £600,822,629")."""
    result = _solve(UK / "high-arrivals.yaml", "--out", tmp_path / "high", "--status-quo")
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.output.splitlines() if "procurement" in x and "£" in x]
    summary = json.loads((tmp_path / "high" / "summary.json").read_text(encoding="utf-8"))
    cost, floor = summary["headline"]["end"]["total_cost_all_years"], summary["status_quo_cost"]
    assert cost < floor                                  # the case where the old line said "saves"
    assert "saves" not in line and "not a saving" in line
    assert line.strip().startswith("No new procurement at all (every procurement_per_year 0")
    assert f"£{floor - cost:,.0f} less" in line and "trend-status-quo.yaml" in line


def test_a_baseline_scenario_is_solved_named_and_compared(tmp_path: Path) -> None:
    base_file = UK / "high-arrivals-status-quo.yaml"
    result = _solve(UK / "high-arrivals.yaml", "--out", tmp_path / "high", "--baseline", base_file)
    assert result.exit_code == 0, result.output
    base = solve(load_scenario(base_file)).summary["headline"]["end"]
    summary = json.loads((tmp_path / "high" / "summary.json").read_text(encoding="utf-8"))
    end = summary["headline"]["end"]
    assert summary["baseline"] == {"scenario": "UK national status quo at the trend pace, high arrivals",
                                   "file": str(base_file), "total_cost": base["total_cost_all_years"],
                                   "contingency_end": base["contingency"]}
    diff = end["total_cost_all_years"] - base["total_cost_all_years"]
    assert diff > 0                                      # against the trend the plan costs more
    [line] = [x for x in result.output.splitlines() if x.strip().startswith("Baseline ")]
    assert f"the plan costs £{diff:,.0f} more" in line
    assert f"plan {end['contingency']:,}, baseline {base['contingency']:,}" in line


def test_a_missing_baseline_fails_before_solving_and_writes_nothing(tmp_path: Path) -> None:
    result = _solve(REPO / "scenarios" / "example", "--out", tmp_path / "ex", "--baseline", tmp_path / "nothing.yaml")
    assert result.exit_code == 2
    assert "nothing.yaml" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "ex").exists()

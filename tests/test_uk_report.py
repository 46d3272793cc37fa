"""docs/uk-scenario.md and `make demo` come from fresh solves (issue 14): the page cannot drift, and the
headline says what its baseline is."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scenarios" / "uk-2025" / "report.py"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("uk2025_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_page_is_what_fresh_solves_give(report) -> None:
    assert report.page() == (REPO / "docs" / "uk-scenario.md").read_text(encoding="utf-8")


def test_the_demo_names_its_baseline_and_writes_both_plans(report, tmp_path: Path, capsys) -> None:
    assert report.demo(tmp_path) == 0
    out = capsys.readouterr().out
    assert "against the trend status quo (`trend-status-quo.yaml`)" in out
    assert "historical pace (4,132 places a year" in out and "best twelve months on record +6,867" in out
    assert "High path" in out
    assert (tmp_path / "uk-2025-central" / "summary.json").is_file()
    assert (tmp_path / "uk-2025-trend-status-quo" / "summary.json").is_file()

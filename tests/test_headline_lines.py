"""The headline's lines: in order whatever the plan has, and never a line naming hundreds of areas."""

from __future__ import annotations

import copy
from types import SimpleNamespace

from allocator import load_scenario, solve
from allocator.cli.solving import NAMED, headline_lines
from tests.conftest import REPO


def _summary():
    sc = load_scenario(REPO / "scenarios" / "example").update({"policy.pressure_basis": "supported"})
    return solve(sc).summary


def test_an_integer_plans_line_does_not_shift_the_others() -> None:
    """The integer plan's line is the second; "By <year>" is followed by its own figures (found on
    docs/new-areas.md: the new-sites line under "Now:", the pressure basis before the regional rates)."""
    s = _summary()
    plain = headline_lines(SimpleNamespace(summary=s))
    integer = copy.deepcopy(s)
    integer.update(gap=0.0001, gap_tolerance=0.001, set_up_cost=5e6,
                   opened=[{"area_name": "Kingsmead", "area_code": "S02", "year": 2026, "people": 20}])
    lines = headline_lines(SimpleNamespace(summary=integer))
    assert lines[1].startswith("Integer plan (opening decisions)")
    assert lines[:1] + lines[2:] == plain
    by = next(k for k, line in enumerate(plain) if line.startswith("By "))
    assert "new sites" in plain[by + 1] and "Regional rates" in plain[by + 2] and "pressure basis" in plain[by + 3]


def test_long_lists_of_areas_are_cut_to_a_few_names() -> None:
    s = copy.deepcopy(_summary())
    s["inherited_over_cap"] = [{"area_name": f"Ward {k}", "stock": 10 + k, "cap": 5} for k in range(NAMED + 37)]
    [line] = [x for x in headline_lines(SimpleNamespace(summary=s)) if x.startswith("Inherited stock")]
    assert f"Ward {NAMED - 1} " in line and f"Ward {NAMED} " not in line
    assert line.endswith("and 37 more (summary.json lists them).")

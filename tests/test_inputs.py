"""Reading inputs (issue 11): numbers with commas, years given twice, and a loader linear in the columns.

The command-line refusals are in the hostile corpus (tests/hostile/, run by test_hostile.py);
here are the rules themselves and the loader's growth with the number of columns.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from allocator import ScenarioError, load_scenario
from tests.conftest import EXAMPLE


# --------------------------------------------------------------------------- A6: commas in numbers
@pytest.mark.parametrize(("cell", "value"), [
    ("4300", 4300), ("4,300", 4300), ("12,345,678", 12_345_678), ("1,234.5", 1234.5), ("-1,234", -1234),
    ("+1,000", 1000), ("4300.5", 4300.5), ("0.5", 0.5), ("", None), ("lots", None),
])
def test_numbers_and_thousands_separators(cell: str, value: float | None) -> None:
    from allocator.inputs import parse_numbers

    values, misplaced = parse_numbers(pd.Series([cell], dtype=object))
    assert not misplaced[0]
    assert (values[0] != values[0]) if value is None else values[0] == value


@pytest.mark.parametrize("cell", ["4300,5", "98,5", "1,23", "1234,567", ",123", "1,,234", "1,234,5", "12,34.5",
                                  "1.234,5", "4,300,"])
def test_a_comma_anywhere_else_is_refused_not_dropped(cell: str) -> None:
    """Before issue 11 every comma was dropped: "4300,5" was read as 43005 and "98,5" as 985."""
    from allocator.inputs import parse_numbers

    values, misplaced = parse_numbers(pd.Series(["100", cell], dtype=object))
    assert misplaced.tolist() == [False, True]
    assert values[0] == 100 and values[1] != values[1]


def test_decimal_comma_in_agreements_is_refused(tmp_path: Path) -> None:
    scen = tmp_path / "s"
    shutil.copytree(EXAMPLE, scen)
    (scen / "agreements.csv").write_text('area_code,year,maximum\nN01,2027,"500,5"\n', encoding="utf-8")
    with open(scen / "scenario.yaml", "a", encoding="utf-8") as fh:
        fh.write("agreements: agreements.csv\n")
    with pytest.raises(ScenarioError, match=r"agreements\.csv, line 2 \(area N01\), column 'maximum': not a number: "
                                            r"'500,5': a comma may only separate thousands.*write 500\.5"):
        load_scenario(scen)


# --------------------------------------------------------------------------- A7: a year given twice
@pytest.fixture(scope="module")
def example():
    return load_scenario(EXAMPLE)


@pytest.mark.parametrize("change", [
    lambda sc: sc.with_policy(contingency_ceiling={2029: 600, "2029": 5000}),
    lambda sc: sc.with_demand(arrivals={2026: 1, 2027: 1, 2028: 1, 2029: 1, 2030: 1, "2030": 9}),
    lambda sc: sc.with_demand(arrivals={2026: 1, 2027: 1, 2028: 1, 2029: 1, 2030: 1, " 2026 ": 5}),
])
def test_a_year_given_twice_in_code_is_refused(example, change) -> None:
    with pytest.raises(ScenarioError, match=r"is given twice \(also as 20\d\d\)"):
        change(example)


def test_a_dotted_override_replaces_the_year_it_names(example) -> None:
    """``demand.arrivals.2026`` is the year 2026, not a second key "2026" beside it."""
    varied = example.with_overrides({"demand.arrivals.2026": 2000, "policy.contingency_ceiling.2029": 400,
                                     "policy.contingency_ceiling.2028": 900})
    assert varied.config.demand.arrivals == {2026: 2000, 2027: 1600, 2028: 1500, 2029: 1500, 2030: 1400}
    assert varied.config.policy.contingency_ceiling == {2028: 900, 2029: 400, 2030: 200}


# --------------------------------------------------------------------------- B10: linear in the columns
def _with_notes(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLE / "scenario.yaml", folder)
    rows = list(csv.reader(open(EXAMPLE / "areas.csv", encoding="utf-8")))
    with open(folder / "areas.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(rows[0] + [f"x_note_{i}" for i in range(n)])
        writer.writerows(r + ["x"] * n for r in rows[1:])
    return folder


def _calls(work) -> int:
    """Python function calls (and resumed generators) made by ``work()``: a count of operations
    that does not depend on the machine's speed or load."""
    work()                                   # imports and caches out of the way
    count = 0

    def profile(frame, event, arg) -> None:
        nonlocal count
        count += 1
    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def test_loading_grows_linearly_with_the_number_of_columns(tmp_path: Path) -> None:
    """A 430 KB table with 20,000 notes columns took more than 200 s: the duplicate-column check
    listed all columns once per column. With 4 times the columns a linear loader makes at most 4
    times the calls (less, with its fixed costs); the quadratic one made 8 times as many at these
    sizes (16 times in the limit). Counting calls, unlike timing, does not depend on the machine."""
    small, large = _with_notes(tmp_path / "small", 200), _with_notes(tmp_path / "large", 800)
    ratio = _calls(lambda: load_scenario(large)) / _calls(lambda: load_scenario(small))
    assert ratio < 5, f"loading 4x the columns made {ratio:.1f}x the calls"


def test_a_table_given_in_code_is_checked_in_linear_time(example) -> None:
    """``with_areas`` turned the table back into text one column at a time (quadratic: 20,000
    notes columns ran for more than 25 minutes); it is now built in one step."""
    def wide(n: int) -> pd.DataFrame:
        return pd.concat([example.areas, pd.DataFrame({f"x_note_{i}": ["x"] * len(example.areas) for i in range(n)})],
                         axis=1)
    small, large = wide(200), wide(800)
    ratio = _calls(lambda: example.with_areas(large)) / _calls(lambda: example.with_areas(small))
    assert ratio < 5, f"checking 4x the columns made {ratio:.1f}x the calls"

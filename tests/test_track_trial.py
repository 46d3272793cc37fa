"""``allocator track`` after a new user's trial (trial 2): what is unknown stays unknown, counts are true.

* A suppressed figure on the pressure basis leaves the council's total on it, and its cluster limit,
  unknown (blank), never judged as if the figure were 0.
* A plan and an actual with no area in common are refused (exit 2), by ``track`` and ``replan``.
* Every error's count of problems counts those it does not list; a date column that disagrees with the
  title, or gives several dates, is one problem, said once.
* Contingency is compared over the same councils on both sides; the plan's areas are not "the nation".
* No percentage prints ``-0%``.
* A file with no date is said to be taken as of the date given; suppressed cells of councils not in the
  plan are counted, not listed as the plan's; errors from Python name the ``date`` argument.
* Trial 3: every council not checked against the cluster limit is counted and named (as
  ``over_cap_unknown`` counts them); tracking a re-plan says its start is the re-plan's (a projection
  when made inside a year); the report lists the flagged councils; a file name keeps its case; a number
  is not a date; one national contingency; the flagged councils come before the hotels table.

The files are built from the bundled Reg_02 table of 31 December 2025 (the plan's start).
"""

from __future__ import annotations

import math
import re
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from allocator import load_scenario
from allocator.errors import MAX_LISTED, InputError, Issue, ScenarioError, listed
from allocator.output import percent, sentence
from allocator.plan import read_plan
from allocator.replan import replan
from allocator.track_files import summary_lines
from tests.conftest import EXAMPLE
from tests.test_track import BIN, REG02, actual_file, central, refused, run, small  # noqa: F401 - fixtures

HILLINGDON, SHEFFIELD, CORNWALL = "E09000017", "E08000039", "E06000052"


def reg02(folder: Path, cells: dict[tuple[str, str], str] | None = None, title: str | None = None,
          dates: dict[str, str] | None = None, name: str = "reg02.csv") -> Path:
    """The bundled Reg_02 table with some cells changed (``(code, column): text``), a title line above it and
    some rows' ``snapshotDate`` changed (``code: text``)."""
    reg = pd.read_csv(REG02, dtype=str, keep_default_na=False)
    for (code, column), text in (cells or {}).items():
        reg.loc[reg["areaCode"] == code, column] = text
    for code, text in (dates or {}).items():
        reg.loc[reg["areaCode"] == code, "snapshotDate"] = text
    path = folder / name
    path.write_text((f"{title}\n" if title else "") + reg.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 1. the cap with a figure suppressed
def test_a_suppressed_contingency_leaves_the_cap_unknown(central: Path, tmp_path: Path) -> None:
    """Hillingdon at the plan's start: 158 in dispersal and 1,896 in its hotels, 2,054 on the supported basis
    against a limit of 1,645. With its contingency suppressed, that total is unknown: it was read as
    158 (the hotels as 0) and the council was not over its limit."""
    plan = read_plan(central)
    given = plan.track(REG02, "2025-12-31").councils.set_index("area_code").loc[HILLINGDON]
    assert given["actual_basis"] == 2_054 and given["over_cap"]
    path = reg02(tmp_path, {(HILLINGDON, "contingencyAccommodation"): "[c]",
                            (SHEFFIELD, "contingencyAccommodation"): "[c]"})
    t = plan.track(path, "2025-12-31")
    c = t.councils.set_index("area_code")
    for code in (HILLINGDON, SHEFFIELD):
        assert math.isnan(c.loc[code, "actual_basis"]) and pd.isna(c.loc[code, "over_cap"])
        assert math.isnan(c.loc[code, "difference_contingency"])
        assert c.loc[code, "difference"] == 0 and not c.loc[code, "behind"]          # dispersal is known
    assert c["over_cap"].sum() == given_over(plan) - 1                                # Hillingdon is not counted
    assert t.nation.iloc[0]["over_cap_unknown"] == 2
    note = next(n for n in t.notes if "not checked against the cluster limit" in n)
    assert "Sheffield (E08000039, hotels unknown)" in note and "Hillingdon (E09000017, hotels unknown)" in note
    line = next(x for x in summary_lines(t) if "not checked against the cluster limit" in x)
    assert line.startswith("2 council(s) not checked") and "Hillingdon (hotels unknown)" in line
    assert "### Not checked against the cluster limit: 2" in t.markdown()
    out = tmp_path / "t"
    assert run("track", central, path, "--date", "2025-12-31", "--out", out).returncode == 0
    written = pd.read_csv(out / "track_councils.csv", dtype=str, keep_default_na=False).set_index("area_code")
    assert written.loc[HILLINGDON, ["actual_basis", "over_cap"]].tolist() == ["", ""]    # blank: unknown
    r = run("report", central, "--track", out, "--out", tmp_path / "r.html")       # read back, unknown kept
    assert r.returncode == 0, r.stderr
    assert "Hillingdon (E09000017): planned 158, actual 158 (0); fulfilment undefined — its cluster limit not " \
           "checked" in (tmp_path / "r.html").read_text()


def given_over(plan) -> int:
    return int(plan.track(REG02, "2025-12-31").councils["over_cap"].sum())


def test_a_suppressed_dispersal_leaves_every_derived_figure_unknown(central: Path, tmp_path: Path) -> None:
    t = read_plan(central).track(reg02(tmp_path, {(CORNWALL, "dispersalAccommodation"): "[c]"}), "2025-12-31")
    cornwall = t.councils.set_index("area_code").loc[CORNWALL]
    for column in ("actual_dispersal", "difference", "actual_net_new", "fulfilment", "actual_basis"):
        assert math.isnan(cornwall[column]), column
    assert all(pd.isna(cornwall[flag]) for flag in ("over_cap", "behind", "ahead"))


# --------------------------------------------------------------------------- 2. no area in common
def test_an_actual_of_other_areas_is_refused_by_track(small: Path, tmp_path: Path) -> None:
    refused(run("track", small, REG02, "--date", "2025-12-31", "--out", tmp_path / "t"), tmp_path / "t",
            f"{REG02}, line 1, column 'areaCode': none of the plan's 3 areas is in this file (its 361 council rows "
            "are all of other areas): is this the actual for another plan?")


def test_an_actual_of_other_areas_is_refused_by_replan(tmp_path: Path) -> None:
    plan = run("solve", EXAMPLE, "--out", tmp_path / "plan")
    assert plan.returncode == 0, plan.stderr
    r = subprocess.run([str(BIN), "replan", str(tmp_path / "plan"), "--scenario", str(EXAMPLE), "--actual", str(REG02),
                        "--date", "2025-12-31", "--out", str(tmp_path / "new")], capture_output=True, text=True)
    assert r.returncode == 2 and "none of the plan's 12 areas is in this file" in r.stderr, r.stderr
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- 3. true counts, one date problem
def test_the_count_of_problems_counts_those_not_listed(central: Path, tmp_path: Path) -> None:
    """A plan's allocations.csv (361 areas x 4 years) as the actual: 1,083 rows repeat a code."""
    r = run("track", central, central / "allocations.csv", "--date", "2026-03-31", "--out", tmp_path / "t")
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert lines[0] == f"allocator: error in input: {MAX_LISTED + 1_063:,} problems ({MAX_LISTED} listed):"
    assert lines[-1] == "    ... and 1,063 more like it" and len(lines) == MAX_LISTED + 2
    assert "the area code 'E06000001' is given 4 times (first on line 2); the file has a 'year' column: a plan's " \
           "allocations.csv (one row per area and year)? An actual file is one row per council" in lines[1]


def test_issues_listed_and_counted() -> None:
    issues = listed(range(25), lambda i: Issue("f.csv", "bad", row=i + 2))
    assert len(issues) == MAX_LISTED and issues[-1].more == 5
    text = str(ScenarioError(issues))
    assert text.startswith("25 problems in the scenario (20 listed):") and text.endswith("... and 5 more like it")
    assert str(InputError(listed(range(2), lambda i: Issue("f.csv", "bad", row=i + 2)))).startswith("2 problems:")


def test_a_title_and_a_column_of_another_date_are_one_problem(central: Path, tmp_path: Path) -> None:
    """Every row of the bundled table is dated 31 December 2025; a title says 31 March 2026."""
    path = reg02(tmp_path, title="Reg_02: immigration groups, as at 31 March 2026")
    with pytest.raises(InputError) as err:
        read_plan(central).track(path, "2026-03-31")
    assert len(err.value.issues) == 1 and err.value.issues[0].more == 0
    assert str(err.value) == (f"{path}, line 3, column 'snapshotDate': the title says as at 31 March 2026 but the "
                              "column 'snapshotDate' says 31 December 2025 (every row that gives a date, 361 of "
                              "them): which date is the table's?")


def test_a_column_of_several_dates_is_one_problem(central: Path, tmp_path: Path) -> None:
    path = reg02(tmp_path, title="Reg_02: immigration groups, as at 31 March 2026",
                 dates={"E06000001": "31/03/2026", "E06000003": "2026-03-31"})
    r = run("track", central, path, "--date", "2026-03-31", "--out", tmp_path / "t")
    assert r.returncode == 2
    assert r.stderr == (f"allocator: error in input: {path}, line 3 (area E06000001), column 'snapshotDate': the "
                        "column gives 2 dates: 359 rows (the first on line 4) dated 31 December 2025, 2 rows (lines "
                        "3 and 5) dated 31 March 2026; the title says as at 31 March 2026: an actual file describes "
                        "one date; give the rows of one release\n")


# --------------------------------------------------------------------------- 4. contingency, like with like
def test_contingency_is_compared_over_the_councils_whose_figure_is_known(central: Path, tmp_path: Path) -> None:
    """Sheffield's contingency (328 at the start) suppressed: the planned figure leaves Sheffield out too."""
    t = read_plan(central).track(reg02(tmp_path, {(SHEFFIELD, "contingencyAccommodation"): "[c]"}), "2025-12-31")
    n = t.nation.iloc[0]
    assert (n["planned_contingency"], n["actual_contingency"]) == (32_667 - 328, 32_667 - 328)
    assert n["councils_contingency_unknown"] == 1 and n["national_planned_contingency"] == 32_667
    said = ("planned 32,339, actual 32,339, over the 360 council(s) whose figure is known (1 left out, its figure "
            "unknown)")
    assert f"Contingency: {said}." in summary_lines(t)
    assert f"People in contingency (hotels and other sites): {said}." in t.markdown()
    out = tmp_path / "t"
    t.write(out)
    r = run("report", central, "--track", out, "--out", tmp_path / "r.html")
    assert r.returncode == 0 and said in (tmp_path / "r.html").read_text()


def test_a_plan_of_some_areas_is_not_the_nation(small: Path, tmp_path: Path) -> None:
    path = actual_file(tmp_path, [("A01", 145, 3), ("A02", 191, 0), ("A03", 60, 0)],
                       header="area_code,stock,contingency")
    t = read_plan(small).track(path, "2026-03-31")
    text = "\n".join(summary_lines(t)) + t.markdown()
    assert "nation" not in text.lower()
    planned = t.nation.iloc[0]["national_planned_contingency"]
    assert f"Contingency: planned {planned:,.0f} for all the plan's areas together (it does not locate hotels by " \
           "council), actual 3 over the 3 council(s) whose figure is known." in summary_lines(t)


# --------------------------------------------------------------------------- 5. no -0%
def test_no_percentage_prints_minus_zero(small: Path, tmp_path: Path) -> None:
    """Beta planned to go from 200 to 182 by 31 March 2026 and still at 200: (200 - 200) / (182 - 200) = -0.0."""
    assert percent(-0.0) == "0%" and percent(-0.004) == "0%" and percent(-0.006) == "-1%"
    path = actual_file(tmp_path, [("A01", 190), ("A02", 200), ("A03", 50)])
    out = tmp_path / "t"
    assert run("track", small, path, "--date", "2026-03-31", "--out", out, "--behind-by", "10").returncode == 0
    written = pd.read_csv(out / "track_councils.csv", dtype=str).set_index("area_code")
    assert written.loc["A02", "fulfilment"] == "0.0"                                 # not -0.0
    md = (out / "track.md").read_text()
    assert "| Beta | A02 | North | 182 | 200 | +18 | 0% |" in md and "-0%" not in md
    assert run("report", small, "--track", out, "--out", tmp_path / "r.html").returncode == 0
    page = (tmp_path / "r.html").read_text()
    assert ('<tr><td>Beta (A02)</td><td>ahead of the plan</td><td class="num">182</td><td class="num">200</td>'
            '<td class="num">+18</td><td class="num">0%</td><td class="num">5,000</td></tr>') in page
    assert "-0%" not in page


# --------------------------------------------------------------------------- 6. what is said
def test_a_file_with_no_date_is_said_to_be_of_the_date_given(small: Path, tmp_path: Path) -> None:
    path = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)])
    r = run("track", small, path, "--date", "2026-03-31", "--out", tmp_path / "t")
    assert "Note: actual.csv gives no date: it is taken to be the position at 31 March 2026 (--date)." in r.stdout
    t = read_plan(small).track(path, "2026-03-31")
    assert t.notes[-1] == ("actual.csv gives no date (no 'as at' in a title line, no date column): it is taken to be "
                           "the position at 31 March 2026, the date given (date)")


def test_suppressed_cells_outside_the_plan_are_counted_not_listed(small: Path, tmp_path: Path) -> None:
    path = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60), (CORNWALL, "[c]"), (SHEFFIELD, 900)])
    r = run("track", small, path, "--date", "2026-03-31", "--out", tmp_path / "t")
    assert r.returncode == 0, r.stderr
    assert "Suppressed in" not in r.stdout
    assert "1 suppressed cell(s) of councils not in the plan: not needed, not read (see track.md)." in r.stdout
    note = next(n for n in read_plan(small).track(path, "2026-03-31").notes if "not in the plan" in n)
    assert note.startswith("2 council(s) in the actual file are not in the plan and are not compared; they hold 900 "
                           "people in dispersal where known (1 suppressed cell(s) among them, which do not matter "
                           f"to this plan: {CORNWALL}'s 'stock' (line 5))")


@pytest.mark.parametrize(("when", "said"), [("31/03/2026", "argument date '31/03/2026': not a date"),
                                            ("2030-01-01", "argument date '2030-01-01': outside the plan")])
def test_errors_from_python_name_the_date_argument(small: Path, tmp_path: Path, when: str, said: str) -> None:
    with pytest.raises(InputError) as err:
        read_plan(small).track(actual_file(tmp_path, [("A01", 1)]), when)
    assert str(err.value).startswith(said) and "--date" not in str(err.value)


def test_a_dash_is_refused_with_what_to_write(small: Path, tmp_path: Path) -> None:
    r = run("track", small, actual_file(tmp_path, [("A01", "-"), ("A02", 1), ("A03", 1)]), "--date", "2026-03-31",
            "--out", tmp_path / "t")
    assert r.returncode == 2
    assert "column 'stock': not a number: '-' (a dash: write nil as 0, and a figure that is not published as a " \
           "suppression marker: *, .., ., :, z, x, c, [c]," in r.stderr


def test_each_regions_fulfilment_is_shown_with_its_planned_net_new(small: Path, tmp_path: Path) -> None:
    t = read_plan(small).track(actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)]), "2026-03-31")
    assert ("Fulfilment by region (actual of planned net new places): North 50% (+36 of +72); South undefined "
            "(+10 of 0).") in summary_lines(t)


# --------------------------------------------------------------------------- the same for replan (trial 2, (b)/(c))
def test_replan_says_what_track_says_of_the_date_and_of_councils_outside_the_plan(small: Path, tmp_path: Path) -> None:
    """Was: replan took a file with no date as of --date in silence, listed the suppressed cells of councils it
    leaves out as if they mattered ("Suppressed in ... read as unknown"), and from Python named '--date'."""
    scenario = load_scenario(small.parent / "scenario")
    path = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 50), (CORNWALL, "[c]"), (SHEFFIELD, 900)])
    notes = replan(read_plan(small), scenario, path, "2026-03-31").notes
    assert notes[0] == ("actual.csv gives no date (no 'as at' in a title line, no date column): it is taken to be the "
                        "position at 31 March 2026, the date given (date)")
    assert not any("uppressed in" in n for n in notes)
    assert ("2 council(s) of the actual are not in the scenario and are left out (1 suppressed cell(s) among them, "
            f"which do not matter to this plan): {CORNWALL}, {SHEFFIELD}") in notes
    r = run("replan", small, "--scenario", small.parent / "scenario", "--actual", path, "--date", "2026-03-31",
            "--out", tmp_path / "r")
    assert r.returncode == 0, r.stderr
    assert "Note: actual.csv gives no date (no 'as at' in a title line, no date column): it is taken to be the " \
           "position at 31 March 2026, the date given (--date)." in r.stdout
    changes = (tmp_path / "r" / "changes.md").read_text()
    assert "* actual.csv gives no date" in changes and "Actual.csv" not in changes   # a file name keeps its case


@pytest.mark.parametrize(("when", "said"), [("31/03/2026", "argument date '31/03/2026': not a date"),
                                            ("2030-01-01", "argument date '2030-01-01': outside the plan"),
                                            ("2027-03-31", "argument date '2027-03-31': leaves no year of the plan")])
def test_replan_errors_from_python_name_the_date_argument(small: Path, tmp_path: Path, when: str, said: str) -> None:
    with pytest.raises(InputError) as err:
        replan(read_plan(small), load_scenario(small.parent / "scenario"), actual_file(tmp_path, [("A01", 1)]), when)
    assert str(err.value).startswith(said) and "--date" not in str(err.value)


# --------------------------------------------------------------------------- trial 3
# The count of councils not checked against the cluster limit is over_cap_unknown's; tracking a re-plan
# says its start is a projection; the report lists the flagged councils as track.md does; a file name keeps
# its case; a number is not a date; one national contingency; the flagged councils before the hotels table.
def test_every_council_not_checked_against_the_limit_is_counted_and_named(central: Path, tmp_path: Path) -> None:
    """Was: "1 council(s) not checked ...: Sheffield" while track_nation.csv said 2: Cornwall, whose dispersal
    is suppressed, was left out of the count and the list."""
    path = reg02(tmp_path, {(CORNWALL, "dispersalAccommodation"): "[c]",
                            (SHEFFIELD, "contingencyAccommodation"): "[c]"})
    t = read_plan(central).track(path, "2025-12-31")
    unknown = int(t.nation.iloc[0]["over_cap_unknown"])
    assert unknown == 2
    line = next(x for x in summary_lines(t) if "not checked against the cluster limit" in x)
    assert line == (f"{unknown} council(s) not checked against the cluster limit, their total on the pressure basis "
                    "(supported) unknown: Cornwall (dispersal unknown), Sheffield (hotels unknown).")
    note = next(n for n in t.notes if "not checked against the cluster limit" in n)
    assert note.startswith(f"{unknown} council(s)") and note.endswith(
        f"Cornwall ({CORNWALL}, dispersal unknown), Sheffield ({SHEFFIELD}, hotels unknown)")
    assert f"### Not checked against the cluster limit: {unknown}" in t.markdown()


def test_a_council_missing_from_the_actual_is_not_checked_either(small: Path, tmp_path: Path) -> None:
    t = read_plan(small).track(actual_file(tmp_path, [("A01", 145), ("A02", 191)]), "2026-03-31")
    assert t.nation.iloc[0]["over_cap_unknown"] == 1
    assert "1 council(s) not checked against the cluster limit: Gamma (not in the actual file)." in summary_lines(t)


@pytest.mark.parametrize(("when", "alpha", "said"), [
    ("2026-03-31", 145, "the plan is a re-plan, and its start (31 Dec 2026, its start.csv) is projected from the "
                        "actual of 31 Mar 2026 (actual.csv) by the previous plan's change from then to 31 Dec "
                        "2026: not a published figure. Net new places and fulfilment count from it"),
    ("2026-12-31", 465, "the plan is a re-plan, and its start (31 Dec 2026, its start.csv) is the actual of that "
                        "date (actual.csv)")])
def test_tracking_a_replan_says_where_its_start_comes_from(small: Path, tmp_path: Path, when: str, alpha: int,
                                                           said: str) -> None:
    """Alpha: 145 on 31 Mar 2026, planned 190 then and 465 at the end of 2026, so the re-plan starts it at
    145 + 275 = 420, a projection; net new places count from 420, not from a published 145. On 31 Dec 2026
    (the plan's own position there) the start is the actual."""
    made = tmp_path / "made"
    made.mkdir()
    new = replan(read_plan(small), load_scenario(small.parent / "scenario"),
                 actual_file(made, [("A01", alpha), ("A02", 191 if alpha == 145 else 127), ("A03", 50)]),
                 when).write(tmp_path / "new")
    later = tmp_path / "later"
    later.mkdir()
    path = actual_file(later, [("A01", 430), ("A02", 150), ("A03", 50)])
    t = read_plan(new).track(path, "2027-03-31")
    alpha_start = t.councils.set_index("area_code").loc["A01"]
    assert alpha_start["start_dispersal"] == (420 if when == "2026-03-31" else 465)
    made_from = t.summary["plan"]["replan"]
    assert (made_from["actual_date"], made_from["starts"], made_from["how"]) == (when, "2026-12-31", said)
    assert made_from["projected"] is (when == "2026-03-31")
    assert f"* Start: {said}." in t.markdown()
    r = run("track", new, path, "--date", "2027-03-31", "--out", tmp_path / "t")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1] == f"{said[0].upper()}{said[1:]}."
    assert read_plan(small).track(path, "2026-03-31").summary["plan"]["replan"] is None     # not a re-plan


def test_the_report_lists_the_councils_track_md_flags(central: Path, tmp_path: Path) -> None:
    """Was: the report's tracking section listed only the councils behind and ahead (Leeds, 100 short here);
    Hillingdon, Hounslow and Glasgow (over the limit) and the unchecked Cornwall and Sheffield were only in
    the hover text of the map."""
    leeds = "E08000035"
    reg = pd.read_csv(REG02, dtype=str, keep_default_na=False).set_index("areaCode")
    short = str(int(reg.loc[leeds, "dispersalAccommodation"]) - 100)
    path = reg02(tmp_path, {(CORNWALL, "dispersalAccommodation"): "[c]", (SHEFFIELD, "contingencyAccommodation"): "[c]",
                            (leeds, "dispersalAccommodation"): short})
    out = tmp_path / "t"
    assert run("track", central, path, "--date", "2025-12-31", "--out", out).returncode == 0
    assert run("report", central, "--track", out, "--out", tmp_path / "r.html").returncode == 0
    page = (tmp_path / "r.html").read_text()
    section = page[page.index('<section id="track">'):]
    section = section[:section.index("</section>")]
    listed = dict(re.findall(r"<tr><td>[^<]* \((\w+)\)</td><td>([^<]+)</td>", section))
    assert listed == {leeds: "behind the plan", HILLINGDON: "over the cluster limit",
                      "E09000018": "over the cluster limit", "S12000049": "over the cluster limit",
                      CORNWALL: "limit not checked: dispersal unknown", SHEFFIELD: "limit not checked: hotels unknown"}
    md = (out / "track.md").read_text()
    assert all(code in md[md.index("## Councils flagged"):md.index("## Notes")] for code in listed)


def test_a_file_name_keeps_its_case(small: Path, tmp_path: Path) -> None:
    """Was: "* Areas.csv gives no date ..." in track.md: the note's first letter upper-cased, the file's name too."""
    path = tmp_path / "areas.csv"
    actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)]).rename(path)
    md = read_plan(small).track(path, "2026-03-31").markdown()
    assert "* areas.csv gives no date" in md and "Areas.csv" not in md
    assert sentence("line 3: bad") == "Line 3: bad."
    assert sentence("reg02.csv gives no date") == "reg02.csv gives no date."


@pytest.mark.parametrize("when", [20260331, 2026.0331, None])
def test_a_date_that_is_not_text_or_a_date_is_refused(small: Path, tmp_path: Path, when) -> None:
    """Was: plan.track(A, 20260331) read the number as 31 March 2026."""
    path = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)])
    for call in (lambda: read_plan(small).track(path, when),
                 lambda: replan(read_plan(small), load_scenario(small.parent / "scenario"), path, when)):
        with pytest.raises(InputError) as err:
            call()
        assert str(err.value) == (f"argument date '{when}': not a date (type {type(when).__name__}): give it as "
                                  "text, YYYY-MM-DD (e.g. '2026-03-31'), or as a datetime.date")
    assert read_plan(small).track(path, date(2026, 3, 31)).date == date(2026, 3, 31)


def test_one_national_contingency_and_no_all_of_unknowns(central: Path, tmp_path: Path) -> None:
    """Was: national_planned_contingency 24643.44 beside planned_contingency_all 24643.41 (the councils' figures
    rounded, then summed), and actual_contingency_all the sum of the known figures with Sheffield's unknown."""
    reg, header = pd.read_csv(REG02, dtype=str, keep_default_na=False), "area_code,stock,contingency"
    rows = list(zip(reg["areaCode"], reg["dispersalAccommodation"], reg["contingencyAccommodation"]))
    n = read_plan(central).track(actual_file(tmp_path, rows, header), "2026-03-31").nation.iloc[0]
    assert n["national_planned_contingency"] == n["planned_contingency_all"]
    assert n["actual_contingency_all"] == n["actual_contingency"] == 32_667
    rows = [(code, d, "[c]" if code == SHEFFIELD else c) for code, d, c in rows]
    n = read_plan(central).track(actual_file(tmp_path, rows, header), "2026-03-31").nation.iloc[0]
    assert math.isnan(n["actual_contingency_all"]) and n["actual_contingency"] == 32_667 - 328


def test_the_flagged_councils_and_the_notes_come_before_the_hotels(central: Path) -> None:
    md = read_plan(central).track(REG02, "2025-12-31").markdown()
    assert md.index("## Councils flagged") < md.index("## Notes") < md.index("## Contingency by council")

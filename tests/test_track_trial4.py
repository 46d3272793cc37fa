"""``allocator track`` and ``backtest`` after a new user's fourth trial: each figure hand-made.

* A file with no contingency column: the cluster limit is not checked for that reason (never "suppressed"),
  no "0 over the limit" leads when nothing was checked, and a council whose known figures alone exceed its
  limit is over it, its total "at least" their sum, whether the unknown figure is suppressed or absent.
* A totals row is compared with the councils of its area (a region's with the region's), over the councils
  whose figure is known, with thousands separators; a row of an area that cannot be told gets no sum.
* A date before a re-plan's start points to the plan it replaces.
* An empty contingency cell of the areas format read as 0 is said to be; a council missing is named on screen.
* An encoding error names the line; a file separated by ';' or empty says so; a code in lower case is read.
* A tracking folder cut short or edited is refused with "run `allocator track` again".
* backtest: "1 person"; a plan that runs on past the date is not "the plan solved on history".
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from allocator import load_scenario, solve
from allocator.actual import read_actual, skipped_notes
from allocator.backtest import backtest, backtest_lines
from allocator.errors import CommandLineError, InputError
from allocator.plan import read_plan
from allocator.report import build_report
from allocator.track import track
from allocator.track_files import read_tracking, summary_lines
from tests.conftest import REPO
from tests.test_track import actual_file, run, small  # noqa: F401 - fixtures

EXAMPLE_ACTUAL = REPO / "scenarios" / "example" / "actual-2026-03-31.csv"
HEADER = "Local authority,Region,LAD Code,Dispersal accommodation"


@pytest.fixture(scope="module")
def supported(tmp_path_factory) -> Path:
    """The example plan on the supported basis (each council's limit judged on dispersal plus hotels; no fixed
    counts): Northgate (N06) has a limit of 1,600, Riverside (N01) 490."""
    plan = solve(load_scenario(REPO / "scenarios" / "example").update({"policy.pressure_basis": "supported"}))
    return plan.write(tmp_path_factory.mktemp("supported") / "plan")


def example_rows(changes: dict[str, dict[str, str]] | None = None, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """The example's actual of 31 March 2026 as text cells, some changed (``code: {column: text}``), some
    columns dropped."""
    t = pd.read_csv(EXAMPLE_ACTUAL, skiprows=1, dtype=str, keep_default_na=False)
    for code, cells in (changes or {}).items():
        for column, text in cells.items():
            t.loc[t["LAD Code"] == code, column] = text
    return t.drop(columns=list(drop))


def write(folder: Path, table: pd.DataFrame, name: str = "actual.csv") -> Path:
    path = folder / name
    path.write_text(table.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 1. no contingency column
def test_no_contingency_column_is_the_reason_and_nothing_leads_with_0_over(supported: Path, tmp_path: Path) -> None:
    """Was: "0 council(s) over the cluster limit." then "12 council(s) not checked … (hotels unknown)", as if
    a cell were suppressed. Every council here is within its limit on dispersal alone (Cragdale, over its limit
    of 270 on dispersal alone in the example, set to 250)."""
    path = write(tmp_path, example_rows({"N05": {"Dispersal accommodation": "250"}}, drop=("Contingency accommodation",)))
    t = read_plan(supported).track(path, "2026-03-31")
    assert t.councils["over_cap"].isna().all()
    lines = summary_lines(t)
    assert not [x for x in lines if "council(s) over the cluster limit" in x], lines
    line = next(x for x in lines if "cluster limit" in x)
    assert line.startswith("Over the cluster limit: not checked for any of the 12 council(s), their total on the "
                           "pressure basis (supported) unknown (the actual file has no contingency column): "
                           "Riverside, Hillport"), line
    assert "hotels unknown" not in line and "suppressed" not in line
    note = next(n for n in t.notes if "not checked against the cluster limit" in n)
    assert "(the actual file has no contingency column): Riverside (N01), Hillport (N02)" in note
    md = t.markdown()
    assert "### Over the cluster limit (on the plan's pressure basis): 0 (none could be checked)" in md


@pytest.mark.parametrize("contingency", ["absent", "[c]"])
def test_known_figures_alone_over_the_limit_are_over_it(supported: Path, tmp_path: Path, contingency: str) -> None:
    """Northgate with 1,700 in dispersal against a limit of 1,600 is over it whatever its hotels hold: its total is
    at least 1,700. Riverside (441 against 490) stays unknown. Was: over_cap unknown for both, '0 over'."""
    change = {"N06": {"Dispersal accommodation": "1700"}, "N05": {"Dispersal accommodation": "250"}}
    if contingency == "absent":
        table = example_rows(change, drop=("Contingency accommodation",))
    else:
        change["N06"]["Contingency accommodation"] = contingency
        change["N01"] = {"Contingency accommodation": contingency}
        table = example_rows(change)
    t = read_plan(supported).track(write(tmp_path, table), "2026-03-31")
    c = t.councils.set_index("area_code")
    assert bool(c.loc["N06", "over_cap"]) and math.isnan(c.loc["N06", "actual_basis"])
    assert c.loc["N06", "actual_basis_at_least"] == 1_700
    assert pd.isna(c.loc["N01", "over_cap"])
    line = next(x for x in summary_lines(t) if "over the cluster limit" in x)
    checked = 1 if contingency == "absent" else 10       # suppressed: N01's hotels, Oakfield's dispersal (in the file)
    assert line == (f"1 council(s) over the cluster limit, of the {checked} checked: Northgate (at least 1,700 on the "
                    "pressure basis (supported), 1,700 in dispersal, its hotels unknown, limit 1,600).")
    assert "| Northgate | N06 | North | " in t.markdown() and "| at least 1,700 | 1,600 |" in t.markdown()


def test_without_a_contingency_column_the_contingency_line_says_so(supported: Path, tmp_path: Path) -> None:
    """Trial 6 (P6): was "Contingency: not compared: no council's actual is known.", as if every cell were
    suppressed; the limit line beside it gave the real reason. Now both do, on screen and in track.md."""
    t = read_plan(supported).track(write(tmp_path, example_rows(drop=("Contingency accommodation",))), "2026-03-31")
    assert "Contingency: not compared: the actual file has no contingency column." in summary_lines(t)
    assert ("People in contingency (hotels and other sites): not compared: the actual file has no contingency "
            "column.") in t.markdown()
    suppressed = {code: {"Contingency accommodation": "[c]"} for code in example_rows()["LAD Code"]}
    t = read_plan(supported).track(write(tmp_path, example_rows(suppressed), "all-c.csv"), "2026-03-31")
    assert "Contingency: not compared: no council's actual is known." in summary_lines(t)    # a column, all suppressed


@pytest.mark.parametrize("contingency", ["absent", "[c]"])
def test_a_council_within_its_limit_with_its_hotels_unknown_is_at_least_its_known_figures(
        supported: Path, tmp_path: Path, contingency: str) -> None:
    """Trial 6 (P10): Portsmouth, under its limit with its hotels unknown, read "unknown" on the basis in the
    report's table of tracked councils, though track_councils.csv had actual_basis_at_least 620; only councils over
    the limit read "at least". Here Riverside: 441 in dispersal, hotels unknown, limit 490, not checked."""
    table = (example_rows(drop=("Contingency accommodation",)) if contingency == "absent" else
             example_rows({"N01": {"Contingency accommodation": contingency}}))
    plan = read_plan(supported)
    t = plan.track(write(tmp_path, table), "2026-03-31")
    c = t.councils.set_index("area_code")
    assert pd.isna(c.loc["N01", "over_cap"]) and c.loc["N01", "actual_basis_at_least"] == 441
    row = re.search(r"<tr><td>Riverside \(N01\)</td><td>limit not checked: [^<]*</td>(.*?)</tr>",
                    build_report(plan, track=t)).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[-2:] == ["at least 441", "490"]


# --------------------------------------------------------------------------- 2. totals rows
def test_a_totals_row_is_compared_with_its_areas_councils(tmp_path: Path) -> None:
    """Was: every totals row beside the sum of all the councils ('its dispersal figure is 6937 (the councils'
    rows add up to 68,595)'). Hartlepool and Middlesbrough are North East councils, Leeds is in Yorkshire."""
    path = tmp_path / "tot.csv"
    path.write_text("areaCode,areaName,dispersalAccommodation\n"
                    "K02000001,United Kingdom,\"2,480\"\nE12000001,North East,1080\n"
                    "E06000001,Hartlepool,405\nE06000002,Middlesbrough,675\nE08000035,Leeds,\"1,400\"\n"
                    ",Total for North East,1080\n,Total for Yorkshire and The Humber,1399\n,Grand total,2480\n"
                    ",Total for Cumbria,99\nE10000006,Cumbria,99\n,Unknown,5\n", encoding="utf-8")
    notes = skipped_notes(read_actual(path))
    assert notes[0].endswith("its dispersal figure is 2,480 (the 3 councils in the file add up to 2,480)")
    assert notes[1].endswith("its dispersal figure is 1,080 (the 2 councils of North East in the file add up to 1,080)")
    assert notes[2].endswith("(the 2 councils of North East in the file add up to 1,080)")
    assert notes[3].endswith("(the 1 council of Yorkshire and The Humber in the file adds up to 1,400)")
    assert notes[4].endswith("(the 3 councils in the file add up to 2,480)")
    assert [n.endswith("its dispersal figure is 99") for n in notes[5:7]] == [True, True]     # no sum: a county
    assert notes[7].endswith("its dispersal figure is 5")


def test_a_totals_row_with_a_figure_unknown_says_which(tmp_path: Path) -> None:
    """Was: "(the councils' rows add up to 68,575)" beside 68,591, a gap that was exactly the suppressed cell."""
    path = tmp_path / "tot.csv"
    path.write_text("areaCode,areaName,dispersalAccommodation\nE06000001,Hartlepool,405\nE06000002,Middlesbrough,[c]\n"
                    "E08000035,Leeds,1400\n,Total,2480\n", encoding="utf-8")
    assert skipped_notes(read_actual(path))[0].endswith(
        "its dispersal figure is 2,480 (the 2 councils whose figure is known add up to 1,805; unknown: Middlesbrough)")


def test_a_totals_row_of_a_plans_own_region(small: Path, tmp_path: Path) -> None:
    """The plan's regions are told by name too (its councils are in no published region): North is Alpha and
    Beta."""
    path = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60), ("", 336, "Total for North"),
                                  ("", 396, "Total")], header="area_code,stock,area_name")
    notes = read_plan(small).track(path, "2026-03-31").notes
    assert any(n.endswith("its dispersal figure is 336 (the 2 councils of North in the file add up to 336)")
               for n in notes), notes
    assert any(n.endswith("its dispersal figure is 396 (the 3 councils in the file add up to 396)") for n in notes)


# --------------------------------------------------------------------------- 3. before a re-plan's start
def test_a_date_before_a_replans_start_points_to_the_previous_plan(small: Path, tmp_path: Path) -> None:
    folder = tmp_path / "replanned"
    shutil.copytree(small, folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["replan"] = {"previous_plan_sha256": "ab" * 32, "date": "2025-09-30", "starts": "2025-12-31",
                         "scenario": "scenarios/x.yaml"}
    (folder / "summary.json").write_text(json.dumps(summary))
    path = actual_file(tmp_path, [("A01", 1)])
    with pytest.raises(CommandLineError, match=r"outside the plan, which runs from 31 Dec 2025 \(its start\) to 31 Dec "
                                               r"2027: it is a re-plan \(from the actual of 30 Sep 2025\), and a date "
                                               r"before its start belongs to the plan it replaces: track it against "
                                               r"that plan \(SHA-256 abababababababab…, scenario scenarios/x.yaml\)"):
        track(read_plan(folder), path, "2025-09-30")
    with pytest.raises(CommandLineError) as plain:
        track(read_plan(small), path, "2025-09-30")
    assert "re-plan" not in str(plain.value)


# --------------------------------------------------------------------------- 4, 5. said, not silent
def test_empty_contingency_cells_read_as_0_are_counted_and_named(small: Path, tmp_path: Path) -> None:
    path = actual_file(tmp_path, [("A01", 145, 3), ("A02", 191, ""), ("A03", 60, "")], header="area_code,stock,contingency")
    t = read_plan(small).track(path, "2026-03-31")
    said = ("2 empty cell(s) in column 'contingency' of actual.csv read as 0 (in the areas format an empty contingency "
            "is 0, as in a scenario): Beta (A02, line 3), Gamma (A03, line 4)")
    assert said in t.notes
    assert said[:1].upper() + said[1:] + "." in summary_lines(t)
    assert t.councils["actual_contingency"].tolist() == [3, 0, 0]          # the rule is kept


def test_a_council_missing_from_the_file_is_named_on_screen(small: Path, tmp_path: Path) -> None:
    t = read_plan(small).track(actual_file(tmp_path, [("A01", 145), ("A02", 191)]), "2026-03-31")
    assert "1 area(s) of the plan not in the actual file, their actual unknown: Gamma (A03)." in summary_lines(t)


# --------------------------------------------------------------------------- 6, 7. reading the file
def test_an_encoding_error_names_the_line_and_the_character(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("area_code,area_name,stock\nA01,Alpha,1\nA02,Ynys Môn,2\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"latin1\.csv, line 3: not UTF-8 text: character 11 of the line is the byte "
                                         r"0xF4, 'ô' in Windows-1252 \(byte 48 of the file\); save it as UTF-8 CSV "
                                         r"\(Excel: Save As 'CSV UTF-8 \(Comma delimited\)'"):
        read_actual(path)
    path.write_bytes(b"\xef\xbb\xbf" + "area_code,stock\nA01,Môn\n".encode("cp1252"))     # after a byte-order mark
    with pytest.raises(InputError, match=r"line 2: not UTF-8 text: character 6 of the line is the byte 0xF4"):
        read_actual(path)


@pytest.mark.parametrize(("text", "message"), [
    ("area_code;stock\nA01;1\nA02;2\n", "no recognisable layout (its fields are separated by ';', not commas: save it "
                                        "as CSV with commas"),
    ("", "the file is empty: no header line, no rows"),
    ("\n\n", "the file is empty: no header line, no rows"),
])
def test_a_file_separated_by_semicolons_or_empty_says_so(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "actual.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_actual(path)


def test_a_code_in_lower_case_is_read_as_upper_case(small: Path, tmp_path: Path) -> None:
    """Was refused as 'neither in the plan nor a UK council code' while ' A01' (a space) was read."""
    path = actual_file(tmp_path, [("a01", 145), (" a02", 191), ("A03", 60)])
    t = read_plan(small).track(path, "2026-03-31")
    assert t.councils["actual_dispersal"].tolist() == [145, 191, 60]
    assert read_actual(path).table["area_code"].tolist() == ["A01", "A02", "A03"]


# --------------------------------------------------------------------------- 8. a tracking folder changed
def test_a_tracking_folder_cut_short_or_edited_is_refused(small: Path, tmp_path: Path) -> None:
    actual = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)])
    assert run("track", small, actual, "--date", "2026-03-31", "--out", tmp_path / "t").returncode == 0
    councils = tmp_path / "t" / "track_councils.csv"
    whole = councils.read_text()
    read_tracking(tmp_path / "t")
    councils.write_text(whole.replace(",145.0,", ",945.0,", 1))                  # Alpha's actual edited
    with pytest.raises(InputError, match=r"track_councils\.csv: the file was changed or cut short after `allocator "
                                         r"track` wrote it .*: run `allocator track` again"):
        read_tracking(tmp_path / "t")
    with pytest.raises(InputError, match="changed or cut short"):
        build_report(read_plan(small), track=read_tracking(tmp_path / "t"))
    councils.write_text(whole[:-5])                                       # cut short, in a folder of before the hashes
    summary = json.loads((tmp_path / "t" / "track.json").read_text())
    del summary["files_sha256"]
    (tmp_path / "t" / "track.json").write_text(json.dumps(summary))
    with pytest.raises(InputError, match=r"the file was cut short \(run `allocator track` again"):
        read_tracking(tmp_path / "t")


# --------------------------------------------------------------------------- 9. backtest's words
def test_backtest_says_1_person_and_names_a_forward_plan_for_what_it_is(small: Path, tmp_path: Path) -> None:
    """At the plan's end (31 Dec 2027: 465, 110, 50) each council off by 1: 'mean absolute error 1 person', the
    plan solved on history. Inside it (31 Mar 2026), the plan runs on past the date: not called so."""
    plan = read_plan(small)
    at_end = backtest(plan, actual_file(tmp_path, [("A01", 466), ("A02", 109), ("A03", 51)]), "2027-12-31")
    lines = backtest_lines(at_end)
    assert any(x.startswith("  the model (the plan solved on history): ") and "mean absolute error 1 person," in x
               for x in lines), lines
    inside = backtest(plan, actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)]), "2026-03-31")
    text = "\n".join(backtest_lines(inside)) + inside.markdown()
    assert "solved on history" not in text
    assert "the model (the plan's numbers at 31 Mar 2026; the plan runs on to 31 Dec 2027)" in text

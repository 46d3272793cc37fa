"""``allocator track`` and ``Plan.track`` (issue 15 item 1): the plan against the actual on a date.

The small plan is hand-set: agreements fix every council's number at each year end (exit rate 0.5),
so the planned numbers, the interpolation and the fulfilment rates can be worked out on paper:

===== ======= ========= ========= ===========================================
area  start   2026      2027      at 31 Mar 2026 (90/365 of 2026's change)
===== ======= ========= ========= ===========================================
A01   100     465       465       100 + 90/365 × 365 = 190 (net new +90)
A02   200     127       110       200 - 90/365 × 73 = 182 (net new -18)
A03   50      50        50        50 (net new 0: fulfilment undefined)
===== ======= ========= ========= ===========================================
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocator import load_scenario, solve
from allocator.actual import read_actual
from allocator.errors import InputError
from allocator.plan import read_plan
from allocator.track import PlanPath, plan_path, track
from allocator.report import build_report, write_report
from allocator.track_files import read_tracking, summary_lines
from tests.conftest import REPO, UK_CENTRAL, area, config, write_scenario

BIN = Path(sys.executable).parent / "allocator"
REG02 = REPO / "scenarios" / "uk-2025" / "raw" / "ho_reg02_la_immigration_groups_2025-12-31.csv"


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """The hand-set plan of the module docstring, written to a folder."""
    folder = tmp_path_factory.mktemp("small")
    agreements = [{"area_code": c, "year": y, "exact": v} for c, path in
                  (("A01", (465, 465)), ("A02", (127, 110)), ("A03", (50, 50))) for y, v in zip((2026, 2027), path)]
    cfg = config([2026, 2027], [500, 312.5], exit_rate=0.5, agreements=agreements)
    rows = [area("A01", stock=100, capacity=465, region="North", name="Alpha"),
            area("A02", stock=200, capacity=200, region="North", name="Beta"),
            area("A03", stock=50, capacity=50, region="South", name="Gamma")]
    plan = solve(load_scenario(write_scenario(folder / "scenario", cfg, rows)))
    return plan.write(folder / "plan")


def refused(r: subprocess.CompletedProcess, out: Path, message: str) -> None:
    """``r`` exited 2 with ``message`` first, no traceback, and wrote nothing into ``out``."""
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith(f"allocator: error in input: {message}"), r.stderr
    assert not out.exists()


def actual_file(folder: Path, rows: list[tuple], header: str = "area_code,stock") -> Path:
    path = folder / "actual.csv"
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_the_small_plan_is_as_set(small: Path) -> None:
    a = read_plan(small).allocations
    assert a.groupby("area_code")["stock"].apply(list).to_dict() == {"A01": [465, 465], "A02": [127, 110],
                                                                    "A03": [50, 50]}


def test_interpolation_at_a_quarter_end(small: Path) -> None:
    path = plan_path(read_plan(small))
    assert path.where(date(2026, 3, 31)) == (1, 90 / 365)
    assert path.where(date(2025, 12, 31)) == (0, 1.0)             # the start
    assert path.where(date(2026, 12, 31)) == (1, 1.0)             # a year end: the plan's own number
    assert path.where(date(2027, 6, 30)) == (2, 181 / 365)
    np.testing.assert_allclose(path.at(path.dispersal, date(2026, 3, 31)), [190, 182, 50], rtol=0, atol=1e-9)
    np.testing.assert_allclose(path.at(path.dispersal, date(2027, 6, 30)),
                               [465, 127 - 17 * 181 / 365, 50], rtol=0, atol=1e-9)
    leap = PlanPath(["X"], ["X"], ["R"], np.array([2028]), np.array([[0.0, 366.0]]), None, np.zeros(2),
                    np.array([1e9]), None)
    assert leap.at(leap.dispersal, date(2028, 3, 31))[0] == pytest.approx(91.0)   # 2028 has 366 days


def test_fulfilment_by_hand(small: Path, tmp_path: Path) -> None:
    """31 Mar 2026: A01 145 of planned 190 (net new +45 of +90: 50%); A02 191 of 182 (-9 of -18: 50%,
    half the planned reduction); A03 60 of 50 (no net new place planned: undefined)."""
    t = read_plan(small).track(actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)]), "2026-03-31")
    c = t.councils.set_index("area_code")
    assert c["planned_dispersal"].tolist() == [190.0, 182.0, 50.0]
    assert c["difference"].tolist() == [-45.0, 9.0, 10.0]
    assert c["planned_net_new"].tolist() == [90.0, -18.0, 0.0]
    assert c["actual_net_new"].tolist() == [45.0, -9.0, 10.0]
    assert c.loc["A01", "fulfilment"] == 0.5 and c.loc["A02", "fulfilment"] == 0.5
    assert math.isnan(c.loc["A03", "fulfilment"]) and c.loc["A03", "status"] == "fulfilment undefined"
    assert c["behind"].tolist() == [True, False, False]          # 45 people behind (threshold 25)
    north = t.regions.set_index("region").loc["North"]
    assert (north["planned_net_new"], north["actual_net_new"], north["fulfilment"]) == (72.0, 36.0, 0.5)
    nation = t.nation.iloc[0]
    assert (nation["planned_dispersal"], nation["actual_dispersal"], nation["difference"]) == (422.0, 396.0, -26.0)
    assert nation["fulfilment"] == round(46 / 72, 4)
    # at a year end: A01 319 of 465 (219 of 365 net new: 60%), A02 164 of 127 (-36 of -73)
    t = read_plan(small).track(actual_file(tmp_path, [("A01", 319), ("A02", 164), ("A03", 50)]), "2026-12-31")
    c = t.councils.set_index("area_code")
    assert c["fulfilment"].tolist()[:2] == [0.6, round(36 / 73, 4)]
    assert "a year end of the plan" in t.summary["interpolation"]["how"]


def test_written_files_and_markdown(small: Path, tmp_path: Path) -> None:
    actual = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)])
    r = run("track", small, actual, "--date", "2026-03-31", "--out", tmp_path / "t")
    assert r.returncode == 0, r.stderr
    assert "fulfilment 64%" in r.stdout and "1 council(s) behind the plan: Alpha (-45)." in r.stdout
    out = tmp_path / "t"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "track.json", "track.md", "track_councils.csv", "track_nation.csv", "track_regions.csv"]
    md = (out / "track.md").read_text()
    assert "| Alpha | A01 | North | 190 | 145 | -45 | 50% | 5,000 |" in md
    assert "90 of the 365 days into 2026" in md
    again = run("track", small, actual, "--date", "2026-03-31", "--out", out)
    assert again.returncode == 7 and "--force" in again.stderr          # the --out rules
    assert run("track", small, actual, "--date", "2026-03-31", "--out", out, "--force").returncode == 0


# --------------------------------------------------------------------------- the national plan and Reg_02
@pytest.fixture(scope="module")
def central(tmp_path_factory) -> Path:
    return solve(load_scenario(UK_CENTRAL)).write(tmp_path_factory.mktemp("central") / "plan")


def test_central_plan_against_the_published_table_itself(central: Path) -> None:
    """At the plan's start the published Reg_02 table is the plan: every difference 0, fulfilment undefined."""
    t = read_plan(central).track(REG02, "2025-12-31")
    c = t.councils
    assert len(c) == 361 and (c["difference"] == 0).all() and c["fulfilment"].isna().all()
    assert (c["status"] == "fulfilment undefined").all()
    assert (t.regions["difference"] == 0).all() and t.regions["fulfilment"].isna().all()
    nation = t.nation.iloc[0]
    assert (nation["actual_dispersal"], nation["actual_contingency_all"]) == (68538, 32667)
    assert nation["national_planned_contingency"] == 32667
    assert "| All areas of the plan | 361 | 0 | 68,538 | 68,538 | 68,538 | 0 | 0 | 0 | undefined |" in t.markdown()
    assert t.summary["actual"]["columns"]["dispersal"] == "dispersalAccommodation"


def perturbed(folder: Path) -> Path:
    """Reg_02 as a user might export it: a title line, Leeds +100, Barnsley under its old code, Hartlepool's
    dispersal suppressed, Rutland left out, a UK totals row and a note under the table."""
    reg = pd.read_csv(REG02, dtype=str, keep_default_na=False)
    reg.loc[reg["areaCode"] == "E08000035", "dispersalAccommodation"] = str(
        int(reg.loc[reg["areaCode"] == "E08000035", "dispersalAccommodation"].iloc[0]) + 100)
    reg.loc[reg["areaCode"] == "E08000038", "areaCode"] = "E08000016"
    reg.loc[reg["areaCode"] == "E06000001", "dispersalAccommodation"] = "[c]"
    reg = reg[reg["areaCode"] != "E06000017"]
    total = {c: "" for c in reg.columns} | {"areaCode": "K02000001", "areaName": "United Kingdom - total",
                                           "dispersalAccommodation": "68538"}
    reg = pd.concat([reg, pd.DataFrame([total])], ignore_index=True)
    path = folder / "reg02-perturbed.csv"
    body = reg.to_csv(index=False, lineterminator="\n")
    path.write_text("Reg_02: Immigration groups, by Local Authority, as at 31 December 2025\n" + body +
                    "Source: Home Office\n", encoding="utf-8")
    return path


def test_central_plan_against_a_perturbed_copy(central: Path, tmp_path: Path) -> None:
    path = perturbed(tmp_path)
    r = run("track", central, path, "--date", "2025-12-31", "--out", tmp_path / "t", "--suppressed", "error")
    assert r.returncode == 2 and "line 3 (area E06000001)" in r.stderr and "suppressed ('[c]')" in r.stderr   # Hartlepool's line
    assert not (tmp_path / "t").exists()
    r = run("track", central, path, "--date", "2025-12-31", "--out", tmp_path / "t")       # by default: unknown
    assert r.returncode == 0, r.stderr
    assert ("Suppressed in reg02-perturbed.csv, line 3 (E06000001), column 'dispersalAccommodation' ('[c]'): "
            "read as unknown.") in r.stdout
    t = read_plan(central).track(path, "2025-12-31")
    c = t.councils.set_index("area_code")
    assert c.loc["E08000035", "difference"] == 100 and math.isnan(c.loc["E08000035", "fulfilment"])
    assert c.loc["E08000035", "ahead"]
    assert c.loc["E06000001", "status"] == "unknown (suppressed)" and math.isnan(c.loc["E06000001", "difference"])
    assert c.loc["E06000017", "status"] == "not in the actual"
    assert c.loc["E08000038", "difference"] == 0                     # matched through the recoding
    assert (c.drop(["E08000035", "E06000001", "E06000017"])["difference"] == 0).all()
    assert t.nation.iloc[0]["councils_unknown"] == 2 and t.nation.iloc[0]["difference"] == 100
    notes = "\n".join(t.notes)
    assert "E08000016 is read as E08000038 (Barnsley)" in notes
    assert "Rutland (E06000017)" in notes and "('[c]'): read as unknown" in notes
    assert "'United Kingdom - total' skipped, a region, country or UK total" in notes
    assert "'Source: Home Office' skipped, a note line" in notes
    with pytest.raises(InputError, match="as at 31 December 2025 .* but the date given .date. is 31 March 2026"):
        read_plan(central).track(path, "2026-03-31", suppressed="unknown")


def test_central_plan_a_year_on(central: Path, tmp_path: Path) -> None:
    """At 31 Dec 2026 each difference is the actual minus the plan's own 2026 number."""
    plan = read_plan(central)
    a = plan.allocations[plan.allocations["year"] == 2026].set_index("area_code")["stock"]
    reg = pd.read_csv(REG02, dtype={"areaCode": str}).set_index("areaCode")
    got = track(plan, pd.DataFrame({"area_code": a.index, "stock": reg["dispersalAccommodation"].reindex(a.index)
                                    .to_numpy() + 7}), "2026-12-31")
    c = got.councils.set_index("area_code")
    np.testing.assert_array_equal(c["difference"], reg["dispersalAccommodation"].reindex(c.index) + 7 - a[c.index])


def test_the_published_tables_date_column_must_be_the_date_given(central: Path, tmp_path: Path) -> None:
    """Reg_02's ``snapshotDate`` column says 31 December 2025: tracking it as the March 2026 position is refused."""
    refused(run("track", central, REG02, "--date", "2026-03-31", "--out", tmp_path / "t"), tmp_path / "t",
            f"{REG02}, line 2, column 'snapshotDate': the table is as at 31 December 2025 (its column "
            "'snapshotDate') but the date given (--date) is 31 March 2026")
    a = read_actual(REG02)
    assert a.date_in_file == date(2025, 12, 31) and a.columns["date"] == "snapshotDate"
    assert read_plan(central).track(a, "2025-12-31").summary["actual"]["date_from"] == "its column 'snapshotDate'"


@pytest.mark.parametrize(("cells", "message"), [
    (("2026-03-31", "2026-03-31", "2025-12-31"), "line 4 (area A03), column 'snapshotDate': the column gives 2 dates: "
                                                 "2 rows (lines 2 and 3) dated 31 March 2026, 1 row (line 4) dated "
                                                 "31 December 2025: an actual file describes one date"),
    (("2026-03-31", "soon", "2026-03-31"), "line 3 (area A02), column 'snapshotDate': 'soon' is not a date"),
])
def test_a_date_column_gives_one_date(small: Path, tmp_path: Path, cells: tuple, message: str) -> None:
    path = actual_file(tmp_path, [(c, n, d) for c, n, d in zip(("A01", "A02", "A03"), (145, 191, 60), cells)],
                       header="area_code,stock,snapshotDate")
    r = run("track", small, path, "--date", "2026-03-31", "--out", tmp_path / "t")
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "t").exists()


def test_a_date_column_in_other_spellings(small: Path, tmp_path: Path) -> None:
    """31/03/2026, 31 March 2026, 31 Mar 2026 and a blank cell are one date; that date, not another, is tracked."""
    path = actual_file(tmp_path, [("A01", 145, "31/03/2026"), ("A02", 191, "31 March 2026"), ("A03", 60, "")],
                       header="area_code,stock,Date")
    t = read_plan(small).track(path, "2026-03-31")
    assert t.summary["actual"]["date_in_file"] == "2026-03-31"
    with pytest.raises(InputError, match="as at 31 March 2026 .its column 'Date'. but the date given .date. is 31 Dec"):
        read_plan(small).track(path, "2026-12-31")


def test_a_title_and_a_date_column_that_disagree(small: Path, tmp_path: Path) -> None:
    path = tmp_path / "actual.csv"
    path.write_text("Immigration groups, as at 31 March 2026\narea_code,stock,snapshotDate\nA01,145,2025-12-31\n"
                    "A02,191,2025-12-31\n", encoding="utf-8")
    with pytest.raises(InputError, match="the title says as at 31 March 2026 but the column 'snapshotDate' says "
                                         "31 December 2025"):
        read_actual(path)


# --------------------------------------------------------------------------- bad input
BAD = {
    "no layout": ("code,people\nA01,3\n", "no recognisable layout"),
    "negative": ("area_code,stock\nA01,-3\nA02,1\nA03,1\n", "line 2 (area A01), column 'stock': -3 is negative"),
    "not a number": ("area_code,stock\nA01,lots\nA02,1\nA03,1\n", "column 'stock': not a number: 'lots'"),
    "fraction": ("area_code,stock\nA01,2.5\nA02,1\nA03,1\n", "not a whole number"),
    "star": ("area_code,stock\nA01,*\nA02,1\nA03,1\n", "line 2 (area A01), column 'stock': suppressed ('*')"),
    "dots": ("area_code,stock\nA01,..\n", "suppressed ('..')"),
    "z": ("LAD Code,Dispersal accommodation\nA01,z\n", "column 'Dispersal accommodation': suppressed ('z')"),
    "unknown code": ("area_code,stock\nA01,1\nQ99,4\n", "line 3, column 'area_code': the area code 'Q99' is neither"),
    "twice": ("area_code,stock\nA01,1\nA01,2\n", "line 3, column 'area_code': the area code 'A01' is given twice (also on line 2)"),
    "two dispersal columns": ("LAD Code,Dispersal accommodation,Dispersal (s95)\nA01,1,1\n",
                              "which is the dispersal column"),
    "missing": ("area_code,stock\nA01,\n", "missing value"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_actual_files(small: Path, tmp_path: Path, case: str) -> None:
    text, message = BAD[case]
    path = tmp_path / "actual.csv"
    path.write_text(text, encoding="utf-8")
    r = run("track", small, path, "--date", "2026-03-31", "--out", tmp_path / "t", "--suppressed", "error")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"allocator: error in input: {path}") and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "t").exists()


@pytest.mark.parametrize(("when", "message"), [("2025-12-30", "outside the plan, which runs from 31 Dec 2025"),
                                               ("2028-01-01", "outside the plan"),
                                               ("31/03/2026", "option --date '31/03/2026': not a date: write it as YYYY-MM-DD")])
def test_bad_dates(small: Path, tmp_path: Path, when: str, message: str) -> None:
    r = run("track", small, actual_file(tmp_path, [("A01", 1)]), "--date", when, "--out", tmp_path / "t")
    assert r.returncode == 2 and message in r.stderr and "--date" in r.stderr, r.stderr


def test_suppressed_cells_are_unknown_by_default_and_said_to_be(small: Path, tmp_path: Path) -> None:
    """A suppressed cell is neither an error nor 0 unless asked: the council's figure is unknown, left out of
    the sums, and the file, line and column are printed and in the notes."""
    path = actual_file(tmp_path, [("A01", "*"), ("A02", 191), ("A03", 60)])
    r = run("track", small, path, "--date", "2026-03-31", "--out", tmp_path / "t")
    assert r.returncode == 0, r.stderr
    assert "Suppressed in actual.csv, line 2 (A01), column 'stock' ('*'): read as unknown." in r.stdout
    c = pd.read_csv(tmp_path / "t" / "track_councils.csv").set_index("area_code")
    assert c.loc["A01", "status"] == "unknown (suppressed)" and math.isnan(c.loc["A01", "actual_dispersal"])
    nation = pd.read_csv(tmp_path / "t" / "track_nation.csv").iloc[0]
    assert (nation["councils_unknown"], nation["actual_dispersal"]) == (1, 251)
    assert "* Suppressed in actual.csv, line 2 (A01), column 'stock' ('*'): read as unknown." in \
        (tmp_path / "t" / "track.md").read_text()


def test_suppressed_read_as_zero_is_reported(small: Path, tmp_path: Path) -> None:
    t = read_plan(small).track(actual_file(tmp_path, [("A01", "[c]"), ("A02", 191), ("A03", 60)]), "2026-03-31",
                               suppressed="zero")
    assert t.councils.set_index("area_code").loc["A01", "actual_dispersal"] == 0
    assert "suppressed in actual.csv, line 2 (A01), column 'stock' ('[c]'): read as 0" in t.notes


def test_published_layout_with_title_lines_and_thousands(small: Path, tmp_path: Path) -> None:
    """A sheet exported from the published spreadsheet: title lines, numbers with thousands separators,
    the names the Home Office uses, a region total and a note; the title's date is read."""
    text = ("Reg_02: Immigration groups, by Local Authority, as at 31 March 2026\n"
            "Local authority,Region/Nation,LAD Code,Supported asylum,Dispersal accommodation,"
            "Contingency accommodation,Population\n"
            "Alpha,North,A01,\"1,200\",145,\"1,055\",\"1,000,000\"\n"
            "Beta,North,A02,191,191,0,1000000\nGamma,South,A03,60,60,0,1000000\n"
            "England - North,,E12000002,,336,,\n\"Note: figures are provisional\",,,,,,\n")
    path = tmp_path / "reg.csv"
    path.write_text(text, encoding="utf-8")
    actual = read_actual(path)
    assert actual.layout == "reg02" and actual.header_line == 2 and actual.date_in_file == date(2026, 3, 31)
    assert actual.table["contingency"].tolist() == [1055, 0, 0]
    assert [s["why"] for s in actual.skipped] == ["a region, country or UK total (its code is not a council's)",
                                                   "a note line"]
    t = read_plan(small).track(actual, "2026-03-31")
    assert t.councils["actual_contingency"].tolist() == [1055, 0, 0]
    assert math.isnan(t.councils["planned_contingency"].iat[0])        # this plan does not locate hotels


def test_report_with_a_tracking_section(small: Path, tmp_path: Path) -> None:
    actual = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)])
    assert run("track", small, actual, "--date", "2026-03-31", "--out", tmp_path / "t").returncode == 0
    r = run("report", small, "--track", tmp_path / "t", "--out", tmp_path / "r.html")
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "r.html").read_text()
    assert '<section id="track"><h2>Plan against actual, 31 March 2026</h2>' in page
    assert "fulfilment <b>64%</b>" in page
    other = tmp_path / "other"
    shutil.copytree(small, other)
    (other / "summary.json").write_text((other / "summary.json").read_text().replace('"optimal"', '"optimal" '))
    r = run("report", other, "--track", tmp_path / "t", "--out", tmp_path / "r2.html")
    assert r.returncode == 2 and "this tracking compares another plan" in r.stderr


def test_a_report_from_python_refuses_a_tracking_of_another_plan(small: Path, tmp_path: Path) -> None:
    """Trial 4 (a)7: `build_report(plan, track=...)` drew another plan's tracked figures as this plan's; the command
    line refused it. Both ways in, a folder read back and a Tracking from Plan.track, are refused now."""
    actual = actual_file(tmp_path, [("A01", 145), ("A02", 191), ("A03", 60)])
    assert run("track", small, actual, "--date", "2026-03-31", "--out", tmp_path / "t").returncode == 0
    other = tmp_path / "other"
    shutil.copytree(small, other)
    (other / "summary.json").write_text((other / "summary.json").read_text().replace('"optimal"', '"optimal" '))
    mine, theirs = read_plan(small), read_plan(other)
    assert "Plan against actual" in build_report(mine, track=read_tracking(tmp_path / "t"))
    for tracking in (read_tracking(tmp_path / "t"), mine.track(actual, "2026-03-31")):
        with pytest.raises(InputError, match="this tracking compares another plan"):
            build_report(theirs, track=tracking)
        with pytest.raises(InputError, match="this tracking compares another plan"):
            write_report(theirs, tmp_path / "r.html", track=tracking)
    assert not (tmp_path / "r.html").exists()


def test_over_the_cluster_limit_shows_the_total_on_the_plans_basis(tmp_path: Path) -> None:
    """Trial (a)5: on the supported basis `track` listed "Hillingdon (158 in dispersal, limit 1,645)" as over
    the cluster limit, a number below the limit. The example on the supported basis: Northgate has 1,160 in
    dispersal at 31 March 2026 and 820 in its hotels (the actual file), 1,980 on the basis against 1,600."""
    from_example = load_scenario(REPO / "scenarios" / "example").update({"policy.pressure_basis": "supported"})
    plan = solve(from_example)
    t = track(plan, REPO / "scenarios" / "example" / "actual-2026-03-31.csv", "2026-03-31")
    northgate = t.councils.set_index("area_code").loc["N06"]
    assert northgate["actual_basis"] == northgate["actual_dispersal"] + northgate["actual_contingency"] == 1_980
    assert northgate["over_cap"] and northgate["actual_dispersal"] < northgate["cap"] == 1_600
    line = next(x for x in summary_lines(t) if "over the cluster limit" in x)
    assert "Northgate (1,980 on the pressure basis (supported), 1,160 in dispersal, limit 1,600)" in line
    assert t.summary["pressure_basis"] == "supported"

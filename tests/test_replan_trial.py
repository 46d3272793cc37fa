"""``allocator replan`` after a new user's fourth trial (TRIAL4.md):

* (a1) A scenario with regional targets re-plans: every table a scenario can name (the schema's table-file
  keys: areas, agreements, regions, previous_plan) is written into the new scenario, for the years left.
* (a6) The notes ``track`` gives on the actual file (a code read as another, rows skipped, a totals row beside
  the councils' sum) are a re-plan's notes too, and the people in skipped rows of no council are said to be
  left out of the new start, with their number.
* (b) On a date inside a year the cost line says the start assumes the previous plan's change over the rest
  of the year happens, and the closing line says the releases before the new start are tracked against the
  previous plan.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

import allocator.replan as replanning
import allocator.scenario as scenarios
from allocator import load_scenario, solve
from allocator.plan import read_plan
from allocator.replan import replan, replan_lines
from tests.conftest import EXAMPLE, area, config, write_scenario
from tests.test_replan import BIN, at_year_end

REGIONAL = EXAMPLE / "regional.yaml"
ACTUAL = EXAMPLE / "actual-2026-03-31.csv"


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True)


# --------------------------------------------------------------------------- (a1) every table the scenario names
def test_a_scenario_with_regional_targets_re_plans(tmp_path: Path) -> None:
    """Trial 4 a1: the trial's commands exited 2 ("table file 'regions.csv' not found next to the scenario
    (/tmp/allocator-replan-…)"). The re-plan keeps the regional targets of the years left (its scenario/ holds
    regions.csv, and a target binds), and its scenario/ solves again to the same plan."""
    assert run("solve", REGIONAL, "--out", tmp_path / "plan", "-q").returncode == 0
    r = run("replan", tmp_path / "plan", "--scenario", REGIONAL, "--actual", ACTUAL, "--date", "2026-03-31",
            "--out", tmp_path / "new")
    assert r.returncode == 0, r.stderr
    written = pd.read_csv(tmp_path / "new" / "scenario" / "regions.csv")
    given = pd.read_csv(EXAMPLE / "regions.csv")
    pd.testing.assert_frame_equal(written, given[given["year"] >= 2027].reset_index(drop=True))
    assert yaml.safe_load((tmp_path / "new" / "scenario" / "scenario.yaml").read_text())["regions"] == "regions.csv"
    assert read_plan(tmp_path / "new").allocations["limited_by"].str.contains("regional share").any()
    assert run("solve", tmp_path / "new" / "scenario", "--out", tmp_path / "again", "-q").returncode == 0
    assert (tmp_path / "again" / "allocations.csv").read_bytes() == (tmp_path / "new" / "allocations.csv").read_bytes()


def every_table(folder: Path):
    """The regional example with every table file the schema knows (agreements and a previous plan's numbers
    too, each with a row of 2026, before a re-plan from the end of 2026) and a pressure basis naming a column
    of the user's own (x_afghan), solved."""
    shutil.copytree(EXAMPLE, folder / "sc")
    cfg = yaml.safe_load(REGIONAL.read_text())
    cfg["policy"]["pressure_basis"] = ["x_afghan"]
    areas = pd.read_csv(folder / "sc" / "areas.csv", dtype=str, keep_default_na=False)
    areas["x_afghan"] = [str(5 * k) for k in range(len(areas))]
    areas.to_csv(folder / "sc" / "areas.csv", index=False)
    pd.DataFrame({"area_code": ["N01", "S02"], "year": [2026, 2028], "minimum": [400, 100]}).to_csv(
        folder / "sc" / "agreements.csv", index=False)
    pd.DataFrame({"region": ["South", "North"], "year": [2026, 2028], "min_share": [0.3, None],
                  "max_share": [None, 0.65]}).to_csv(folder / "sc" / "regions.csv", index=False)
    base = solve(load_scenario(EXAMPLE))
    base.allocations[["area_code", "year", "stock"]].to_csv(folder / "sc" / "previous.csv", index=False)
    cfg.update(agreements="agreements.csv", regions="regions.csv", previous_plan="previous.csv")
    (folder / "sc" / "every.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    sc = load_scenario(folder / "sc" / "every.yaml")
    return read_plan(solve(sc).write(folder / "plan")), sc


def test_every_table_file_the_schema_knows_is_carried(tmp_path: Path) -> None:
    """Each table-file key of the scenario schema that the scenario uses names a file in the re-plan's
    scenario/, holding the rows of the years left (those of earlier years are said to be left out); the
    user's own column the pressure basis names stays in its areas.csv. A key added to the schema fails here
    until the scenario below uses it and the re-plan writes it."""
    plan, sc = every_table(tmp_path)
    keys = scenarios.TABLE_FILE_KEYS
    assert set(keys) == {"areas", "agreements", "regions", "previous_plan"}
    assert all(getattr(sc.config, key) for key in keys), "give the scenario above every table file"
    r = replan(plan, sc, at_year_end(plan, 2026), "2026-12-31")
    cfg = yaml.safe_load(r.files["scenario.yaml"])
    for key in keys:
        table = pd.read_csv(io.BytesIO(r.files[cfg[key]]))
        assert len(table), key
        if "year" in table.columns:
            assert table["year"].min() >= 2027, key
    assert pd.read_csv(io.BytesIO(r.files[cfg["regions"]]))[["region", "year"]].values.tolist() == [["North", 2028]]
    assert "1 regional target(s) of 2026 are of years before the new plan and are not part of it" in r.notes
    assert "1 agreement(s) of 2026 are of years before the new plan and are not part of it" in r.notes
    areas = pd.read_csv(io.BytesIO(r.files["areas.csv"]))
    assert areas["x_afghan"].tolist() == [5 * k for k in range(len(areas))]
    again = r.write(tmp_path / "new")
    solved = solve(load_scenario(again / "scenario")).write(tmp_path / "again")
    assert (solved / "allocations.csv").read_bytes() == (again / "allocations.csv").read_bytes()


# --------------------------------------------------------------------------- (a6) track's notes on the actual file
BARNSLEY, LEEDS, HARTLEPOOL = "E08000038", "E08000035", "E06000001"


def councils(folder: Path):
    """Three real councils (Barnsley under its 2024 code), solved."""
    cfg = config([2026, 2027], [300, 300], contingency_start=200)
    rows = [area(BARNSLEY, stock=200, capacity=400, procurement=50, name="Barnsley", population=250_000),
            area(LEEDS, stock=300, capacity=500, procurement=50, name="Leeds", population=800_000),
            area(HARTLEPOOL, stock=100, capacity=200, procurement=50, name="Hartlepool", population=90_000)]
    sc = load_scenario(write_scenario(folder, cfg, rows))
    return read_plan(solve(sc).write(folder / "plan")), sc


TABLE = """Reg_02: Regional and local authority data on immigration groups, as at 31 March 2026
areaCode,areaName,dispersalAccommodation,contingencyAccommodation
K02000001,United Kingdom,"1,078",160
E08000016,Barnsley,210,40
E08000035,Leeds,320,50
E06000001,Hartlepool,95,10
,Unknown,55,3
N/A,Unknown,12,
,Total,"1,070",100
Source: an edited release
"""


def test_a_replan_gives_tracks_notes_on_the_actual_file(tmp_path: Path) -> None:
    """Trial 4 a6: the re-plan said nothing of the code read as Barnsley's, the totals rows (beside the councils'
    sum) or the rows skipped, all of which track lists: they are the same notes, on screen, in changes.md and in
    summary.json; and the 67 people in dispersal and 3 in contingency of the rows of no council (lines 7 and 8)
    are said to be left out of the new start."""
    plan, sc = councils(tmp_path)
    path = tmp_path / "actual.csv"
    path.write_text(TABLE, encoding="utf-8")
    said = plan.track(path, "2026-03-31").notes
    from_track = [n for n in said if n.startswith("line ")]
    assert len(from_track) == 6 and "the code E08000016 is read as E08000038 (Barnsley)" in from_track[0]
    assert "line 9: 'Total' skipped, a totals row; its dispersal figure is 1,070 (the 3 councils in the file add up to 625)" \
        in from_track
    r = run("replan", plan.folder, "--scenario", tmp_path / "scenario.yaml", "--actual", path, "--date",
            "2026-03-31", "--out", tmp_path / "new")
    assert r.returncode == 0, r.stderr
    left = ("the people in 2 skipped row(s) of the actual that are not totals (lines 7, 8: people in no council, or "
            "figures with no area code) are left out of the new start, which counts councils' rows only: 67 in "
            "dispersal, 3 in contingency")
    notes = read_plan(tmp_path / "new").summary["replan"]["notes"]
    changes = (tmp_path / "new" / "changes.md").read_text()
    for note in [*from_track, left]:
        assert note in notes
        assert f"Note: {note}." in r.stdout
        assert f"* {note[:1].upper()}{note[1:]}." in changes


# --------------------------------------------------------------------------- (b) the start a date inside a year assumes
@pytest.mark.parametrize(("when", "words"), [("2026-03-31", "the previous plan's April–December 2026 change"),
                                             ("2026-06-30", "the previous plan's July–December 2026 change"),
                                             ("2026-11-30", "the previous plan's December 2026 change"),
                                             ("2026-03-15", "the previous plan's 16 March–December 2026 change"),
                                             ("2026-12-31", None)])
def test_the_rest_of_the_year_a_start_assumes(when: str, words: str | None) -> None:
    assert replanning._rest_of_year(pd.Timestamp(when).date()) == words


def test_a_mid_year_cost_says_what_its_start_assumes_and_what_to_track_against(tmp_path: Path) -> None:
    """Trial 4 (b): from 31 March the new start is the actual moved on by the previous plan's April–December
    change, and the cost line (+£220.3m on the national plan) depends on it without saying so; nothing said that
    the releases before the new start (30 June, 30 September) are tracked against the previous plan (track
    refuses a date before a plan's start). Both are said, on screen and (the cost) in changes.md; from a year
    end, neither."""
    plan, sc = councils(tmp_path)
    actual = pd.DataFrame({"area_code": [BARNSLEY, LEEDS, HARTLEPOOL], "stock": [210, 320, 95]})
    r = replan(plan, sc, actual, "2026-03-31")
    assumes = ", from a start that assumes the previous plan's April–December 2026 change happens"
    lines = replan_lines(r)
    assert lines[1].endswith(f"){assumes}.") and r.plan.summary["replan"]["cost"]["assumes"] == assumes[28:-8]
    assert f"){assumes}." in r.markdown()
    assert lines[-1] == ("Track the releases dated after 31 Mar 2026 and before 31 Dec 2026 (this plan's start) "
                         "against the previous plan; this plan from 31 Dec 2026 on.")
    end = replan(plan, sc, at_year_end(plan, 2026), "2026-12-31")
    assert "assumes" not in replan_lines(end)[1] and "assumes" not in end.markdown()
    assert not replan_lines(end)[-1].startswith("Track") and end.plan.summary["replan"]["cost"]["assumes"] is None

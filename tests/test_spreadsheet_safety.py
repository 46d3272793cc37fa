"""No text cell in any CSV or Excel output can run as a spreadsheet formula (issue 7).

Area codes, names and regions come from users' files. Spreadsheets run a cell that starts
with =, +, - or @ as a formula (CSV injection). Every output is checked: a cell starting with
one of those characters must be a plain number (e.g. -12.5), else it was not made safe.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from allocator.cli import cli

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
HOSTILE = {"N01": "=HYPERLINK(\"http://x\",\"click\")", "N02": "+SUM(A1:A9)", "N03": "-2+3", "S01": "@cmd"}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _hostile_scenario(tmp_path: Path) -> Path:
    folder = tmp_path / "scenario"
    shutil.copytree(EXAMPLE, folder)
    rows = list(csv.reader((folder / "areas.csv").open(encoding="utf-8")))
    for row in rows[1:]:
        if row[0] in HOSTILE:
            row[1] = HOSTILE[row[0]]
        if row[2] == "South":
            row[2] = "=South"
    rows[1][0] = "=N01"                                   # a hostile code too
    with open(folder / "areas.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return folder


def test_no_output_cell_can_run_as_a_formula(tmp_path: Path) -> None:
    scenario = _hostile_scenario(tmp_path)
    runner = CliRunner()
    a, b = tmp_path / "a", tmp_path / "b"
    assert runner.invoke(cli, ["solve", str(scenario), "--out", str(a), "--format", "xlsx", "-q"]).exit_code == 0
    assert runner.invoke(cli, ["solve", str(EXAMPLE), "--out", str(b), "-q"]).exit_code == 0
    assert runner.invoke(cli, ["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "-q"]).exit_code == 0

    csv_files = sorted(a.glob("*.csv")) + sorted((tmp_path / "cmp").glob("*.csv"))
    assert len(csv_files) >= 6
    seen_hostile = 0
    for path in csv_files:
        for row in csv.reader(path.open(encoding="utf-8")):
            for cell in row:
                if cell[:1] in "=+-@" and cell:
                    assert _is_number(cell), f"{path.name}: {cell!r} would run as a formula"
                if cell.startswith("'") and cell[1:2] in "=+-@":
                    seen_hostile += 1
    assert seen_hostile > 0                                # the hostile names did reach the outputs, made safe

    wb = openpyxl.load_workbook(a / "plan.xlsx")
    texts = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    texts += 1
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert not (cell.value.startswith("=") and cell.data_type == "f")
    assert texts > 0
    names = [c.value for c in wb["allocations"]["B"]]
    assert HOSTILE["N02"] in names or f"'{HOSTILE['N02']}" in names

"""Excel in and out: .xlsx areas tables, the plan workbook, and text that must never run as a formula."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from allocator import ScenarioError, load_scenario, read_plan, solve
from allocator.cli import cli

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "scenarios" / "example"
SHEETS = ["allocations", "trajectory", "regions", "summary", "start"]


def sheet_frame(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def assert_same_table(ws, df: pd.DataFrame) -> None:
    got = sheet_frame(ws)
    assert list(got.columns) == list(df.columns)
    assert len(got) == len(df)
    for col in df.columns:
        for a, b in zip(got[col].tolist(), df[col].tolist()):
            if b is pd.NA or (isinstance(b, float) and math.isnan(b)):       # pd.NA: start.csv's hotels_close
                assert a is None or (isinstance(a, float) and math.isnan(a)), col   # an empty cell
            elif isinstance(b, (int, float)) and not isinstance(b, bool):
                assert a == pytest.approx(float(b), abs=1e-9), col
            else:
                assert a == b, col


# --------------------------------------------------------------------------- the plan workbook
def test_xlsx_round_trip_same_numbers(example_plan, tmp_path: Path) -> None:
    example_plan.write(tmp_path / "plan", format="xlsx")
    wb = openpyxl.load_workbook(tmp_path / "plan" / "plan.xlsx")
    assert wb.sheetnames == SHEETS
    assert_same_table(wb["allocations"], example_plan.allocations)
    assert_same_table(wb["trajectory"], example_plan.trajectory)
    assert_same_table(wb["regions"], example_plan.regions)
    assert_same_table(wb["start"], example_plan.start)
    summary = dict(sheet_frame(wb["summary"]).itertuples(index=False))
    assert summary["scenario"] == example_plan.summary["scenario"]
    assert summary["objective"] == pytest.approx(example_plan.objective)
    assert summary["headline.end.contingency"] == example_plan.summary["headline"]["end"]["contingency"]
    # the CSV files are still written: the folder is still a plan folder
    again = read_plan(tmp_path / "plan")
    pd.testing.assert_frame_equal(again.trajectory, example_plan.trajectory, check_dtype=False)


def test_workbook_from_a_plan_read_back_from_csv(example_plan, tmp_path: Path) -> None:
    example_plan.write(tmp_path / "p")
    from allocator.excel import write_workbook

    write_workbook(read_plan(tmp_path / "p"), tmp_path / "again.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "again.xlsx")
    assert_same_table(wb["trajectory"], example_plan.trajectory)
    assert sheet_frame(wb["allocations"])["stock"].tolist() == example_plan.allocations["stock"].tolist()


def test_cli_solve_format_xlsx(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["solve", str(EXAMPLE), "--out", str(tmp_path / "x"), "--format", "xlsx"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "x" / "plan.xlsx").exists()
    assert "plan.xlsx" in res.output
    assert openpyxl.load_workbook(tmp_path / "x" / "plan.xlsx").sheetnames == SHEETS


def test_unknown_format_is_refused(example_plan, tmp_path: Path) -> None:
    from allocator import OutputError

    with pytest.raises(OutputError, match="unknown plan format"):
        example_plan.write(tmp_path / "p", format="ods")


HOSTILE = {
    "N01": ("=HYPERLINK(\"http://example.invalid\",\"click\")", "=cmd|' /C calc'!A0"),
    "N02": ("+1+1", "+North"),
    "N03": ("-2+3", "-North"),
    "N04": ("@SUM(A1:A9)", "@North"),
}


@pytest.fixture(scope="module")
def hostile_plan():
    """The example scenario with council names, regions and one code that look like formulas."""
    sc = load_scenario(EXAMPLE)
    areas = sc.areas.copy()
    for code, (name, region) in HOSTILE.items():
        i = areas.index[areas["area_code"] == code][0]
        areas.loc[i, "area_name"] = name
        areas.loc[i, "region"] = region
    areas.loc[areas["area_code"] == "S01", "area_code"] = "=S01"
    return solve(sc.with_areas(areas))


def test_formula_injection_xlsx(hostile_plan, tmp_path: Path) -> None:
    hostile_plan.write(tmp_path / "p", format="xlsx")
    path = tmp_path / "p" / "plan.xlsx"
    wb = openpyxl.load_workbook(path)                      # formulas are kept as formulas when reading
    texts = {name for name, _ in HOSTILE.values()} | {region for _, region in HOSTILE.values()} | {"=S01"}
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in texts:
                    seen.add(cell.value)
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert seen == texts                                   # each original string, unchanged
    alloc = sheet_frame(wb["allocations"])
    assert alloc.loc[alloc["area_code"] == "N01", "area_name"].iloc[0] == HOSTILE["N01"][0]
    # and in the file itself: no formula element anywhere
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(r"<(\w+:)?f[ >]", z.read(name).decode("utf-8")), name


def test_formula_injection_xlsx_after_csv_round_trip(hostile_plan, tmp_path: Path) -> None:
    """CSV outputs prefix such text with an apostrophe; the workbook made from them shows the original."""
    hostile_plan.write(tmp_path / "p")
    alloc_csv = (tmp_path / "p" / "allocations.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in alloc_csv and "'+1+1" in alloc_csv and "'@SUM" in alloc_csv
    from allocator.excel import write_workbook

    write_workbook(read_plan(tmp_path / "p"), tmp_path / "w.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["allocations"]
    names = {c.value for c in ws["B"][1:]}
    assert HOSTILE["N02"][0] in names and "'" + HOSTILE["N02"][0] not in names


# --------------------------------------------------------------------------- .xlsx areas tables
def write_xlsx_scenario(folder: Path, areas_key: str, sheet: str | None = "Councils", edit=None) -> Path:
    """The example scenario with its areas table in a workbook (a notes sheet first when sheet is named)."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text(encoding="utf-8"))
    cfg["areas"] = areas_key
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    df = pd.read_csv(EXAMPLE / "areas.csv", dtype=str, keep_default_na=False)
    wb = openpyxl.Workbook()
    ws = wb.active
    if sheet:
        ws.title = "Notes"
        ws["A1"] = "This sheet explains the table; the areas are on the next sheet."
        ws = wb.create_sheet(sheet)
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([float(v) if re.fullmatch(r"[0-9.]+", v) else (v or None) for v in row])
    if edit:
        edit(ws)
    wb.save(folder / "areas.xlsx")
    return folder / "scenario.yaml"


def test_xlsx_areas_first_sheet_equals_csv(tmp_path: Path) -> None:
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx", sheet=None)
    sc, ref = load_scenario(path), load_scenario(EXAMPLE)
    pd.testing.assert_frame_equal(sc.areas, ref.areas)
    assert solve(sc).objective == pytest.approx(solve(ref).objective, rel=1e-9)


def test_xlsx_areas_named_sheet(tmp_path: Path) -> None:
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx#Councils")
    pd.testing.assert_frame_equal(load_scenario(path).areas, load_scenario(EXAMPLE).areas)
    res = CliRunner().invoke(cli, ["validate", str(path)])
    assert res.exit_code == 0 and res.output.startswith("OK: ")


def test_xlsx_areas_blank_rows_are_skipped_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    def edit(ws):
        ws.insert_rows(4)                                  # a blank row between N02 and N03
        ws["F6"] = "lots"                                  # capacity of N04, now on row 6
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx#Councils", edit=edit)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    msg = str(info.value)
    assert "areas.xlsx#Councils, line 6 (area N04), column 'capacity'" in msg
    assert "'lots'" in msg


@pytest.mark.parametrize(("key", "edit", "expected"), [
    ("areas.xlsx#Nope", None, "no sheet named 'Nope'; the workbook has: Notes, Councils"),
    ("areas.xlsx#Councils", lambda ws: ws.__setitem__("D3", -5),
     "areas.xlsx#Councils, line 3 (area N02), column 'population': "),
    ("areas.xlsx#Councils", lambda ws: ws.__setitem__("A4", "N01"),
     "areas.xlsx#Councils, line 4 (area N01), column 'area_code': duplicate area_code 'N01'"),
    ("areas.xlsx#Councils", lambda ws: ws.delete_cols(8),
     "areas.xlsx#Councils, line 1, column 'cost_per_place': required column is missing"),
    ("areas.xlsx#Councils", lambda ws: ws.__setitem__("E2", "=D2/200"),
     "areas.xlsx#Councils, line 2, column 'stock': formula without a saved value"),
])
def test_xlsx_areas_errors_name_file_row_and_column(tmp_path: Path, key, edit, expected) -> None:
    path = write_xlsx_scenario(tmp_path / "s", key, edit=edit)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert expected in str(info.value)


def test_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx")
    shutil.copy(EXAMPLE / "areas.csv", tmp_path / "s" / "areas.xlsx")
    with pytest.raises(ScenarioError, match="areas.xlsx: cannot read the workbook"):
        load_scenario(path)


# --------------------------------------------------------------------------- hostile workbooks (issue 11)
def _rewrite_part(path: Path, part: str, edit) -> None:
    """Replace one part of a workbook (a zip of XML files) by ``edit(its bytes)``."""
    with zipfile.ZipFile(path) as z:
        parts = [(info.filename, z.read(info)) for info in z.infolist()]
    assert part in dict(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(name, edit(data) if name == part else data)


def _with_doctype(doctype: bytes, old: bytes, new: bytes):
    """The part with a DOCTYPE put in front of its root and ``old`` replaced by ``new`` (an entity reference)."""
    def edit(xml: bytes) -> bytes:
        body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
        assert old in body
        return b'<?xml version="1.0"?>\n' + doctype + b"\n" + body.replace(old, new, 1)
    return edit


LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)) + b"]>")
SHEET, WORKBOOK = "xl/worksheets/sheet1.xml", "xl/workbook.xml"      # openpyxl writes text into the sheet

HOSTILE_WORKBOOKS = {
    "cut short": (lambda p, secret: p.write_bytes(p.read_bytes()[:3000]), r"File is not a zip file"),
    "broken sheet XML": (lambda p, secret: _rewrite_part(p, SHEET, lambda x: x[: len(x) // 2]),
                         rf"broken XML in {SHEET}: "),
    "broken workbook XML": (lambda p, secret: _rewrite_part(p, WORKBOOK, lambda x: x.replace(b"</", b"<", 1)),
                            rf"broken XML in {WORKBOOK}: "),
    "billion laughs in the workbook": (
        lambda p, secret: _rewrite_part(p, WORKBOOK, _with_doctype(LAUGHS, b'name="Sheet"', b'name="&lol9;"')),
        rf"{WORKBOOK} declares a DOCTYPE \(entities\), which spreadsheet programs never write"),
    "billion laughs in the text cells": (
        lambda p, secret: _rewrite_part(p, SHEET, _with_doctype(LAUGHS, b"<t>North</t>", b"<t>&lol9;</t>")),
        rf"{SHEET} declares a DOCTYPE"),
    "external entity": (
        lambda p, secret: _rewrite_part(p, SHEET, _with_doctype(
            b'<!DOCTYPE x [<!ENTITY secret SYSTEM "' + secret.as_uri().encode() + b'">]>', b"<t>North</t>",
            b"<t>&secret;</t>")),
        rf"{SHEET} declares a DOCTYPE"),
}


@pytest.mark.parametrize("case", list(HOSTILE_WORKBOOKS))
def test_hostile_workbook_is_exit_2_naming_the_file(tmp_path: Path, case: str) -> None:
    """Broken, "billion laughs" and external-entity workbooks were stopped by the XML parser but
    ended "unexpected error ... this is a bug" (exit 1). Each is now refused by name (exit 2);
    the secret file an external entity points at never reaches the output."""
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx", sheet=None)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    edit, message = HOSTILE_WORKBOOKS[case]
    edit(tmp_path / "s" / "areas.xlsx", secret)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, output
    assert output.startswith("allocator: error in scenario: areas.xlsx: cannot read the workbook: "), output
    assert re.search(message, output), output
    assert "TOP-SECRET-VALUE" not in output and "Traceback" not in output


def _validate_in_child(path: Path) -> subprocess.CompletedProcess:
    """``allocator validate`` in a child process that may use at most 2 GB (the example needs less
    than 1 GB) and 300 s: a workbook that would fill memory fails the test, never the machine."""
    from tests.test_hostile import run_in_child

    return run_in_child(["validate", str(path)], timeout=300, memory=2 * 1024**3)


def test_far_away_cell_is_refused_without_exhausting_memory(tmp_path: Path) -> None:
    """A 5.6 KB workbook with one value in XFD1048576 (Excel's last cell) was read as 1,048,576
    rows of 16,384 cells and exhausted memory: in the capped child process the old behaviour ends
    in a MemoryError (exit 1). Now only the cells that are there are read and the stray one is named."""
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx", sheet=None, edit=lambda ws: ws.__setitem__(
        "XFD1048576", 1))
    assert (tmp_path / "s" / "areas.xlsx").stat().st_size < 10_000
    proc = _validate_in_child(path)
    assert proc.returncode == 2, proc.stderr
    assert ("areas.xlsx: cell XFD1048576 holds a value, but a table may have at most 1,000 columns and 200,000 rows "
            "below the header (stray cells far from the table?") in proc.stderr


@pytest.mark.parametrize("edit", [
    lambda ws: setattr(ws.cell(row=1_048_576, column=16_384), "font", openpyxl.styles.Font(bold=True)),
    lambda ws: ws.parent.create_sheet("Notes").__setitem__("XFD1048576", "a note far away"),
    lambda ws: ws.cell(row=20, column=ws.max_column + 2, value="a note right of the table"),   # beyond the header
], ids=["formatted empty cell far away", "far cell on another sheet", "note right of the table"])
def test_cells_that_are_not_the_table_are_not_refused(tmp_path: Path, edit) -> None:
    """Only the used range of the areas sheet is read: formatting and other sheets do not count."""
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx", sheet=None, edit=edit)
    proc = _validate_in_child(path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: Example - two regions, twelve councils: 12 areas in 2 regions")


def test_sheet_with_too_many_columns_is_refused(tmp_path: Path) -> None:
    def edit(ws):
        for j in range(11, 1_012):
            ws.cell(row=1, column=j, value=f"x_note_{j}")
    path = write_xlsx_scenario(tmp_path / "s", "areas.xlsx", sheet=None, edit=edit)
    with pytest.raises(ScenarioError, match=r"areas\.xlsx: cell ALM1 holds a value, but a table may have at most "
                                            r"1,000 columns"):
        load_scenario(path)


def test_every_doc_that_runs_format_xlsx_says_it_needs_the_excel_extra() -> None:
    """Trial (a)9: docs/guide/solve.md's first command used --format xlsx, which exits 6 after `make demo`
    (the engine alone), and the guide did not say so. A document that runs it names the extra before it."""
    repo = Path(__file__).resolve().parents[1]
    for doc in [repo / "README.md", *sorted((repo / "docs").rglob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        run = re.search(r"^(\$ )?allocator .*--format xlsx", text, flags=re.MULTILINE)
        if run:
            assert "pip install 'allocator[excel]'" in text[:run.start()], f"{doc}: --format xlsx without the extra"

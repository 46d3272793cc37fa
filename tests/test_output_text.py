"""What goes into outputs (issue 11: B12, B13, C17).

* Names with control characters (terminal escape sequences) never crash a writer and never
  reach a file or the terminal as they are: every output escapes them.
* Text that a spreadsheet would run as a formula is made safe in header cells too.
* ``report --by-region`` gives every region its own safe file name.
* ``plan.xlsx`` is byte-identical on every run, like the CSV files.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import re
import shutil
import time
import types
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from allocator.cli import cli
from allocator.output import clean_text, safe_file_names
from tests.conftest import EXAMPLE

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")        # tab and newline may appear in HTML/CSS
ESC = "\x1b"
HOSTILE_NAME = "River\x1b[31mside\x07"
HOSTILE_REGION = "No\x1b]0;pwned\x07rth[/bold]"
HOSTILE_SCENARIO = "Example\x1b[2J"


def run(*args):
    """The CLI as on a terminal (``color=True``: click strips some escape sequences only for pipes)."""
    return CliRunner().invoke(cli, [str(a) for a in args], color=True)


def _renamed(plan, names: dict[str, str], regions: dict[str, str], scenario: str | None = None,
             headline: dict[str, str] | None = None):
    """``plan`` with council names and regions (by area code) replaced, as in a hand-edited plan folder;
    ``headline`` renames regions in the summary's headline figures."""
    def rename(df):
        df = df.copy()
        df["area_name"] = [names.get(c, n) for c, n in zip(df["area_code"], df["area_name"])]
        df["region"] = [regions.get(c, r) for c, r in zip(df["area_code"], df["region"])]
        return df

    alloc = rename(plan.allocations)
    reg = (alloc.groupby(["region", "year"], as_index=False)[["stock", "fair_share"]].sum()
           .sort_values(["region", "year"]).reset_index(drop=True))
    reg["population"] = 100_000
    reg["rate_per_10k"] = (reg["stock"] / reg["population"] * 1e4).round(2)
    text = json.dumps(plan.summary)
    for old, new in (headline or {}).items():
        text = text.replace(json.dumps(old), json.dumps(new))
    summary = json.loads(text)
    if scenario is not None:
        summary["scenario"] = scenario
    return dataclasses.replace(plan, allocations=alloc, regions=reg, summary=summary,
                               start=None if plan.start is None else rename(plan.start))


@pytest.fixture(scope="module")
def hostile_plan(example_plan):
    """The example plan with names that hold escape sequences (and rich markup)."""
    north = [c for c in example_plan.allocations["area_code"].unique() if c.startswith("N")]
    return _renamed(example_plan, {"N01": HOSTILE_NAME}, {c: HOSTILE_REGION for c in north}, HOSTILE_SCENARIO,
                    headline={"North": HOSTILE_REGION})


@pytest.fixture(scope="module")
def hostile_dir(hostile_plan, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "plan"
    hostile_plan.write(out)
    return out


def test_xlsx_with_control_characters(hostile_plan, tmp_path: Path) -> None:
    """``--format xlsx`` once crashed after solving (openpyxl IllegalCharacterError, exit 1)."""
    hostile_plan.write(tmp_path / "x", format="xlsx")
    wb = openpyxl.load_workbook(tmp_path / "x" / "plan.xlsx")
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "River\\x1b[31mside\\x07" in cells and not any(CONTROL.search(v) for v in cells)


# --------------------------------------------------------------------------- B12: control characters
def test_clean_text_escapes_control_characters() -> None:
    assert clean_text("a\x1b[31mb\x07\x9b\u2028") == "a\\x1b[31mb\\x07\\x9b\\u2028"
    assert clean_text("line\nnext\tx", multiline=True) == "line\nnext\\x09x"
    assert clean_text("Ynys Môn / Αθήνα") == "Ynys Môn / Αθήνα"


def test_files_hold_no_control_characters(hostile_dir: Path, tmp_path: Path) -> None:
    for p in hostile_dir.glob("*.csv"):
        text = p.read_text(encoding="utf-8")
        assert not CONTROL.search(text), p.name
    assert "River\\x1b[31mside\\x07" in (hostile_dir / "allocations.csv").read_text(encoding="utf-8")
    assert run("report", hostile_dir, "--out", tmp_path / "r.html", "-q").exit_code == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert not CONTROL.search(html) and "River\\x1b[31mside\\x07" in html
    res = run("compare", hostile_dir, EXAMPLE, "--out", tmp_path / "cmp", "-q")
    assert res.exit_code == 0, res.output
    for p in (tmp_path / "cmp").iterdir():
        assert not CONTROL.search(p.read_text(encoding="utf-8")), p.name


def test_terminal_output_holds_no_escape_sequences(hostile_dir: Path) -> None:
    for args in (["compare", hostile_dir, EXAMPLE], ["explain", hostile_dir, "N01"],
                 ["explain", hostile_dir, "nowhere\x1b[2J"]):
        res = run(*args)
        assert res.exit_code in (0, 2), (args, res.output)
        assert ESC not in res.output and ESC not in res.stderr, args
        assert "\\x1b" in res.output + res.stderr, args


def test_validate_and_solve_messages_hold_no_escape_sequences(tmp_path: Path) -> None:
    """Whether or not the loader accepts such a name, nothing raw reaches the terminal."""
    folder = tmp_path / "s"
    shutil.copytree(EXAMPLE, folder)
    yaml = (folder / "scenario.yaml").read_text(encoding="utf-8")
    yaml = re.sub(r"(?m)^name: .*$", lambda m: 'name: "Ex\\e[2Jample"', yaml)
    (folder / "scenario.yaml").write_text(yaml, encoding="utf-8")
    areas = (folder / "areas.csv").read_text(encoding="utf-8")
    (folder / "areas.csv").write_text(areas.replace("Riverside", HOSTILE_NAME).replace(",South,", ",So\x1b[5muth,"),
                                      encoding="utf-8")
    for args in (["validate", folder], ["solve", folder, "--out", tmp_path / "out"],
                 ["solve", folder, "--out", tmp_path / "x", "--format", "xlsx"]):
        res = run(*args)
        assert res.exit_code in (0, 2), (args, res.output)
        assert ESC not in res.output and ESC not in res.stderr, args


# --------------------------------------------------------------------------- B13: formulas and file names
def test_compare_csv_header_cells_cannot_run_as_formulas(example_plan, tmp_path: Path) -> None:
    for name in ("=cmd", "+sum", "@x"):
        example_plan.write(tmp_path / name)
    res = run("compare", tmp_path / "=cmd", tmp_path / "+sum", tmp_path / "@x", "--out", tmp_path / "cmp", "-q")
    assert res.exit_code == 0, res.output
    headers = 0
    for path in (tmp_path / "cmp").glob("*.csv"):
        for i, row in enumerate(csv.reader(path.open(encoding="utf-8"))):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@"):
                    float(cell)                                  # only numbers may start like a formula
                headers += i == 0 and cell.startswith("'")
    assert headers >= 3


def test_region_file_names_are_distinct_and_safe(example_plan, tmp_path: Path) -> None:
    regions = ["Index", "+r", "-r", "@r", "r", "Αθήνα", "Москва", "Île-de-France", "CON", "../etc", "North", "nul"]
    codes = list(example_plan.allocations["area_code"].unique())
    plan = _renamed(example_plan, {}, dict(zip(codes, regions)))
    plan.write(tmp_path / "plan")
    res = run("report", tmp_path / "plan", "--by-region", "--out", tmp_path / "regions", "-q")
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "regions").iterdir() if not p.name.startswith("."))
    assert len(files) == len(regions) + 1
    index = (tmp_path / "regions" / "index.html").read_text(encoding="utf-8")
    assert "One report per region" in index
    links = re.findall(r'<a href="([^"]+)">', index)
    assert sorted(links) == sorted(f for f in files if f != "index.html")
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*\.html", f) for f in files)
    for region, name in safe_file_names(regions).items():
        page = (tmp_path / "regions" / name).read_text(encoding="utf-8")
        assert f"People in dispersal in {region}".replace("'", "&#x27;") in page or region in page, region
    assert safe_file_names(["North East"]) == {"North East": "north-east.html"}


# --------------------------------------------------------------------------- C17: the same workbook every run
def test_plan_xlsx_is_byte_identical_on_every_run(example_plan, tmp_path: Path, monkeypatch) -> None:
    example_plan.write(tmp_path / "a", format="xlsx")
    # the second run: later (by a year and a day) and with other wall-clock timings
    later = time.time() + 366 * 86400
    monkeypatch.setattr(time, "time", lambda: later)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.fromtimestamp(later, tz)

    import openpyxl.writer.excel as excel_writer

    monkeypatch.setattr(excel_writer, "datetime", types.SimpleNamespace(datetime=Later, timezone=dt.timezone))
    again = dataclasses.replace(example_plan, summary={**example_plan.summary, "solve_seconds": 12.5,
                                                       "build_seconds": 3.25})
    again.write(tmp_path / "b", format="xlsx")
    assert (tmp_path / "a" / "plan.xlsx").read_bytes() == (tmp_path / "b" / "plan.xlsx").read_bytes()

"""Plan folders read back by ``compare``, ``explain`` and ``report`` (issue 11, items A8 and B11).

* Names stay names: a region called ``NA`` or ``None`` and a council called ``None`` were read
  back as missing values (NaN), and ``compare`` then joined the two regions' rows together.
* A plan folder that is cut short, garbled or edited gives exit code 2 and one message naming
  the file (and the line and column where there is one), never "unexpected error ... this is a
  bug" (exit 1) and never a hang.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from allocator import read_plan
from allocator.cli import cli

from tests.conftest import EXAMPLE

COMMANDS = {
    "compare": lambda plan, other, tmp: ["compare", str(other), str(plan)],
    "explain": lambda plan, other, tmp: ["explain", str(plan), "N01"],
    "report": lambda plan, other, tmp: ["report", str(plan), "--out", str(tmp / "report.html")],
    "report --compare": lambda plan, other, tmp: ["report", str(other), "--compare", str(plan),
                                                  "--out", str(tmp / "report.html")],
}


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture(scope="module")
def written_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plans") / "example"
    code, output = run(["solve", str(EXAMPLE), "--out", str(out), "-q"])
    assert code == 0, output
    return out


# --------------------------------------------------------------------------- names that look like "missing"
def _renamed_example(folder: Path, exit_rate: float) -> Path:
    """The example with the regions called NA and None, a council called None and one called NULL."""
    folder.mkdir(parents=True)
    cfg = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text(encoding="utf-8"))
    cfg["demand"]["exit_rate"] = exit_rate
    (folder / "scenario.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    rows = list(csv.DictReader(open(EXAMPLE / "areas.csv", encoding="utf-8")))
    for row in rows:
        row["region"] = {"North": "NA", "South": "None"}[row["region"]]
    rows[0]["area_name"], rows[6]["area_name"] = "None", "NULL"
    with open(folder / "areas.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _region_stock(plan: Path) -> dict[tuple[str, int], int]:
    return {(r["region"], int(r["year"])): int(r["stock"])
            for r in csv.DictReader(open(plan / "regions.csv", encoding="utf-8"))}


def test_names_like_na_and_none_survive_solve_compare_report_and_explain(tmp_path: Path) -> None:
    plans = []
    for name, exit_rate in (("a", 0.35), ("b", 0.25)):
        out = tmp_path / f"plan-{name}"
        code, output = run(["solve", str(_renamed_example(tmp_path / name, exit_rate)), "--out", str(out), "-q"])
        assert code == 0, output
        plans.append(out)
    a, b = plans

    back = read_plan(a)
    assert set(back.regions["region"]) == {"NA", "None"}
    assert set(back.allocations["region"]) == {"NA", "None"} and set(back.start["region"]) == {"NA", "None"}
    assert {"None", "NULL"} <= set(back.allocations["area_name"])

    code, output = run(["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "-q"])
    assert code == 0, output
    rows = list(csv.DictReader(open(tmp_path / "cmp" / "compare_regions.csv", encoding="utf-8")))
    stock_a, stock_b = _region_stock(a), _region_stock(b)
    assert {(r["region"], int(r["year"])) for r in rows} == set(stock_a)     # two regions, never "nan"
    for r in rows:                                    # each region's own figures, not the other one's
        key = (r["region"], int(r["year"]))
        assert (int(r["plan-a"]), int(r["plan-b"])) == (stock_a[key], stock_b[key])
        assert int(r["plan-b-plan-a"]) == stock_b[key] - stock_a[key]
    areas = list(csv.DictReader(open(tmp_path / "cmp" / "compare_areas.csv", encoding="utf-8")))
    assert {r["region"] for r in areas} <= {"NA", "None"} and "nan" not in {r["area_name"] for r in areas}

    code, output = run(["report", str(a), "--compare", str(b), "--out", str(tmp_path / "r.html")])
    assert code == 0, output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert ">NA<" in html and ">None<" in html and "NULL" in html
    assert ">nan<" not in html.lower()

    code, output = run(["explain", str(a), "N01"])
    assert code == 0 and output.startswith("None (N01), NA: "), output


# --------------------------------------------------------------------------- corrupted plan folders
def _rewrite(name: str, edit) -> callable:
    def corrupt(folder: Path) -> None:
        path = folder / name
        path.write_bytes(edit(path.read_bytes()))
    return corrupt


def _cut_lines(n: int):
    return lambda raw: b"".join(raw.splitlines(keepends=True)[:n])


def _edit_line(line: int, edit):
    def apply(raw: bytes) -> bytes:
        lines = raw.decode().split("\n")
        lines[line - 1] = edit(lines[line - 1])
        return "\n".join(lines).encode()
    return apply


def _edit_cell(line: int, column: str, value: str):
    def edit(raw: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(raw.decode())))
        rows[line - 1][rows[0].index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue().encode()
    return edit


def _drop_column(column: str):
    def edit(raw: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(raw.decode())))
        i = rows[0].index(column)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([r[:i] + r[i + 1:] for r in rows])
        return buf.getvalue().encode()
    return edit


def _folder_instead(name: str):
    def corrupt(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return corrupt


CORRUPTIONS = {
    "cut mid-line": (_rewrite("allocations.csv", lambda raw: raw[: len(raw) // 2]),
                     r"allocations\.csv: the last line is incomplete: the file was cut short"),
    "cut at a line end": (_rewrite("allocations.csv", _cut_lines(18)),
                          r"allocations\.csv: area_code 'N04' has rows for 2 of the 5 years"),
    "whole regions cut": (_rewrite("regions.csv", _cut_lines(4)),
                          r"regions\.csv: region 'North' has rows for 2 of the 5 years"),
    "whole areas cut": (_rewrite("allocations.csv", _cut_lines(16)),
                        r"allocations\.csv: area_code 'N04' is in start\.csv but not in allocations\.csv"),
    "start cut to its header": (_rewrite("start.csv", _cut_lines(1)),
                                r"start\.csv: area_code 'N01' is in allocations\.csv but not in start\.csv"),
    "no years": (_rewrite("trajectory.csv", _cut_lines(1)), r"trajectory\.csv: the table has no rows"),
    "garbled bytes": (_rewrite("trajectory.csv", lambda raw: bytes(range(256)) * 8 + b"\n"),
                      r"trajectory\.csv, line 2: not UTF-8 text: character 118 of the line is the byte 0x80, '€' in "
                      r"Windows-1252 \(byte 128 of the file\)"),
    "NUL bytes": (_rewrite("regions.csv", lambda raw: raw.replace(b"North", b"No\x00rth")),
                  r"regions\.csv: the file contains NUL bytes"),
    "ragged line": (_rewrite("trajectory.csv", _edit_line(3, lambda line: line + ",1,2")),
                    r"trajectory\.csv, line 3: \d+ fields but the header has \d+"),
    "text in a number": (_rewrite("allocations.csv", _edit_cell(3, "stock", "lots")),
                         r"allocations\.csv, line 3, column 'stock': not a number: 'lots'"),
    "blank number": (_rewrite("regions.csv", _edit_cell(2, "population", "")),
                     r"regions\.csv, line 2, column 'population': missing value"),
    "flag not a flag": (_rewrite("allocations.csv", _edit_cell(4, "over_cap", "maybe")),
                        r"allocations\.csv, line 4, column 'over_cap': not True or False: 'maybe'"),
    "missing column": (_rewrite("allocations.csv", _drop_column("stock")),
                       r"allocations\.csv, line 1, column 'stock': required column is missing"),
    "missing start column": (_rewrite("start.csv", _drop_column("population")),
                             r"start\.csv, line 1, column 'population': required column is missing"),
    "empty table": (_rewrite("regions.csv", lambda raw: b""),
                    r"regions\.csv: the table is empty"),
    "invalid JSON": (_rewrite("summary.json", lambda raw: raw[: len(raw) // 2]),
                     r"summary\.json, line \d+: not valid JSON: "),
    "JSON not an object": (_rewrite("summary.json", lambda raw: b"[1, 2]\n"),
                           r"summary\.json: must hold a JSON object"),
    "headline edited": (_rewrite("summary.json", lambda raw: re.sub(rb'("gini": )[0-9.]+', rb'\1"high"', raw, count=1)),
                        r"summary\.json, key 'headline\.start\.gini': the headline figures must be numbers"),
    "timings not JSON": (_rewrite("timings.json", lambda raw: b"{'build': 1}\n"),
                         r"timings\.json, line 1: not valid JSON"),
    "folder instead of a table": (_folder_instead("regions.csv"), r"regions\.csv: is a folder, not a file"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_plan_folder_is_exit_2_naming_the_file(written_plan: Path, tmp_path: Path, case: str,
                                                         command: str) -> None:
    corrupt, message = CORRUPTIONS[case]
    plan = tmp_path / "plan"
    shutil.copytree(written_plan, plan)
    corrupt(plan)
    code, output = run(COMMANDS[command](plan, written_plan, tmp_path))
    assert code == 2, output
    assert output.startswith(f"allocator: error in input: {plan}/"), output
    assert re.search(message, output), output
    assert "Traceback" not in output and "unexpected error" not in output
    assert not (tmp_path / "report.html").exists()


def test_corrupted_plan_folder_in_python_raises_input_error(written_plan: Path, tmp_path: Path) -> None:
    from allocator import InputError

    plan = tmp_path / "plan"
    shutil.copytree(written_plan, plan)
    CORRUPTIONS["text in a number"][0](plan)
    with pytest.raises(InputError) as info:
        read_plan(plan)
    assert info.value.issues[0].row == 3 and info.value.issues[0].field == "stock"


def test_unreadable_plan_file_is_exit_2(written_plan: Path, monkeypatch) -> None:
    """Tests run as root in CI, where chmod does not stop reading: the refusal is simulated."""
    from tests.test_hostile import deny_reading

    deny_reading(monkeypatch, written_plan / "trajectory.csv")
    code, output = run(["compare", str(written_plan), str(written_plan)])
    assert code == 2, output
    assert f"{written_plan}/trajectory.csv: cannot read the file: permission denied" in output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_in_a_plan_folder_is_refused_not_waited_on(written_plan: Path, tmp_path: Path) -> None:
    """Reading a FIFO waits for ever for a writer: the command runs in a child process with a
    timeout so that the old behaviour (a hang) fails this test instead of stopping the test run."""
    plan = tmp_path / "plan"
    shutil.copytree(written_plan, plan)
    (plan / "allocations.csv").unlink()
    os.mkfifo(plan / "allocations.csv")
    from tests.test_hostile import run_in_child

    proc = run_in_child(["explain", str(plan), "N01"], timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert f"{plan}/allocations.csv: is a named pipe (FIFO), not a file" in proc.stderr

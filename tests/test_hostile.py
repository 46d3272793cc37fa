"""The hostile-input corpus (issue 7): every file gets its exit code and message, never a traceback.

``tests/hostile/<case>/`` holds a scenario.yaml (and usually an areas.csv); ``expected.csv``
gives each case's exit code and a regular expression its message must match. A few hostile
inputs cannot live in git as files (symlinks out of the folder, oversized files); they are
made in a temporary folder by the tests below.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator.cli import cli
from allocator.scenario import MAX_TABLE_BYTES, MAX_YAML_BYTES

HOSTILE = Path(__file__).resolve().parent / "hostile"
EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
CASES = list(csv.DictReader(open(HOSTILE / "expected.csv", encoding="utf-8")))


def test_corpus_is_large_and_complete() -> None:
    folders = {p.name for p in HOSTILE.iterdir() if p.is_dir()}
    assert len(CASES) >= 30
    assert folders == {c["case"] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_corpus_case(case: dict) -> None:
    result = CliRunner().invoke(cli, ["validate", str(HOSTILE / case["case"])])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == int(case["exit_code"]), output
    assert re.search(case["message_regex"], output), output
    assert "Traceback" not in output
    if result.exit_code == 2:
        assert output.startswith("allocator: error in scenario: ")


@pytest.mark.parametrize("name", ["billion-laughs", "csv-extra-field", "path-dotdot", "csv-latin1"])
def test_corpus_through_a_real_process(name: str, tmp_path: Path) -> None:
    """The same refusals from the installed command, with a hang guard; nothing is written."""
    case = next(c for c in CASES if c["case"] == name)
    out = tmp_path / "plan"
    proc = subprocess.run([sys.executable, "-m", "allocator.cli", "solve", str(HOSTILE / name), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)   # a hang guard only
    assert proc.returncode == int(case["exit_code"])
    assert re.search(case["message_regex"], proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan")]


def _copy_example(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("scenario.yaml", "areas.csv"):
        (folder / name).write_bytes((EXAMPLE / name).read_bytes())


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_bytes((EXAMPLE / "areas.csv").read_bytes())
    scen = tmp_path / "scen"
    _copy_example(scen)
    (scen / "areas.csv").unlink()
    (scen / "areas.csv").symlink_to(secret)
    result = CliRunner().invoke(cli, ["validate", str(scen)])
    assert result.exit_code == 2
    assert "leaves the scenario folder" in result.output


def test_symlink_inside_the_folder_is_allowed(tmp_path: Path) -> None:
    scen = tmp_path / "scen"
    _copy_example(scen)
    (scen / "areas.csv").rename(scen / "real.csv")
    (scen / "areas.csv").symlink_to(scen / "real.csv")
    assert CliRunner().invoke(cli, ["validate", str(scen)]).exit_code == 0


def test_oversized_yaml_is_refused(tmp_path: Path) -> None:
    scen = tmp_path / "scen"
    _copy_example(scen)
    with open(scen / "scenario.yaml", "a", encoding="utf-8") as fh:
        fh.write("# " + "x" * (MAX_YAML_BYTES + 10) + "\n")
    result = CliRunner().invoke(cli, ["validate", str(scen)])
    assert result.exit_code == 2
    assert f"the limit for a scenario file is {MAX_YAML_BYTES:,}" in result.output


def test_oversized_table_is_refused_without_reading_it(tmp_path: Path) -> None:
    scen = tmp_path / "scen"
    _copy_example(scen)
    with open(scen / "areas.csv", "r+b") as fh:        # a sparse file: large, but costs no disk
        fh.truncate(MAX_TABLE_BYTES + 1)
    result = CliRunner().invoke(cli, ["validate", str(scen)])
    assert result.exit_code == 2
    assert f"the limit for a table is {MAX_TABLE_BYTES:,}" in result.output

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


# --------------------------------------------------------------------------- issue 11: files that are not files
def deny_reading(monkeypatch, target: Path) -> None:
    """Opening ``target`` fails with "permission denied", however it is opened.

    Tests run as root in CI, where ``chmod 000`` does not stop reading, so the refusal is
    simulated at the three ways Python opens a file (``os.open``, ``io.open``/``open``).
    """
    import builtins
    import io

    target = Path(target).resolve()
    real_os_open, real_open = os.open, io.open

    def denied(path) -> bool:
        return isinstance(path, (str, os.PathLike)) and Path(path).resolve() == target

    def os_open(path, *args, **kwargs):
        if denied(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_os_open(path, *args, **kwargs)

    def io_open(file, *args, **kwargs):
        if denied(file):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr(builtins, "open", io_open)


@pytest.mark.parametrize("name", ["scenario.yaml", "areas.csv", "agreements.csv"])
def test_unreadable_file_is_exit_2_naming_it(tmp_path: Path, monkeypatch, name: str) -> None:
    scen = tmp_path / "scen"
    _copy_example(scen)
    (scen / "agreements.csv").write_text("area_code,year,maximum\nN01,2027,500\n", encoding="utf-8")
    with open(scen / "scenario.yaml", "a", encoding="utf-8") as fh:
        fh.write("agreements: agreements.csv\n")
    deny_reading(monkeypatch, scen / name)
    result = CliRunner().invoke(cli, ["validate", str(scen)])
    assert result.exit_code == 2, result.output
    assert re.search(rf"{name}: cannot read the file: permission denied", result.output), result.output


def run_in_child(args: list[str], timeout: float = 120, memory: int | None = None) -> subprocess.CompletedProcess:
    """The command in a child process, so that a hang or a runaway read fails the test instead of
    stopping the test run: a timeout, and optionally a cap on its address space (``memory`` bytes)."""
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return subprocess.run([sys.executable, "-m", "allocator.cli", *args], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit if memory else None)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("name", ["scenario.yaml", "areas.csv"])
def test_fifo_is_refused_not_waited_on(tmp_path: Path, name: str) -> None:
    """Reading a FIFO waits for ever for a writer (it hung before issue 11): refused unopened."""
    scen = tmp_path / "scen"
    _copy_example(scen)
    (scen / name).unlink()
    os.mkfifo(scen / name)
    proc = run_in_child(["validate", str(scen)], timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert f"{name}: is a named pipe (FIFO), not a file: give a file saved on disk" in proc.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_device_is_refused_before_reading() -> None:
    """/dev/zero never ends: it was read until memory ran out. Capped at 2 GB here, so the old
    behaviour ends in a MemoryError (exit 1) instead of exhausting the machine."""
    proc = run_in_child(["validate", "/dev/zero"], timeout=120, memory=2 * 1024**3)
    assert proc.returncode == 2, proc.stderr
    assert "allocator: error in scenario: /dev/zero: is a device, not a file" in proc.stderr


def test_twenty_thousand_note_columns_are_refused_at_once(tmp_path: Path) -> None:
    """A 430 KB table with 20,000 notes columns took more than 200 s to validate (the loader was
    quadratic in the columns; 390 s measured on the development machine). It is now refused by the
    column limit before any per-column work. The child process gets 120 s: far more than the
    refusal needs on any machine (it reads one header line), far less than the old code took. The
    loader's linearity below the limit is checked by counting calls in test_inputs.py."""
    scen = tmp_path / "scen"
    _copy_example(scen)
    rows = list(csv.reader(open(EXAMPLE / "areas.csv", encoding="utf-8")))
    with open(scen / "areas.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(rows[0] + [f"x_note_{i}" for i in range(20_000)])
        writer.writerows(r + [""] * 20_000 for r in rows[1:])
    proc = run_in_child(["validate", str(scen)], timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert f"areas.csv, line 1: {20_000 + len(rows[0]):,} columns; a table may have at most 1,000" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_where_a_sweep_point_should_be_is_solved_again_not_waited_on(tmp_path: Path) -> None:
    """A resumed sweep reads each finished point's file; a FIFO there hung it (child process with a timeout)."""
    (tmp_path / "points").mkdir()
    os.mkfifo(tmp_path / "points" / "p1.json")
    code = ("from pathlib import Path; from allocator.sweep import read_point; "
            f"print(read_point(Path({str(tmp_path)!r}), 'p1'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "None", proc.stderr

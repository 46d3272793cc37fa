"""Where outputs may be written, and how (issue 11: A1, B11, C15, D19).

* ``--force`` replaces only a folder allocator wrote that holds nothing else: never the
  current folder, the scenario's folder or one of their parents, never a user's folder;
  ``--out`` is a literal path. The same rules for every command that writes a folder.
* The lock has one holder at a time; a planted ``.lock`` symlink is not followed; an
  ``--out`` symlink is refused and left alone; two sweeps into one folder are locked.
* A full disk, a file-size limit, a read-only folder or a file in the path gives exit 7
  naming the path, and leaves the previous output untouched.

A read-only folder is simulated (tests run as root in CI, where chmod does not stop root);
the file-size limit is real (``RLIMIT_FSIZE`` in a child process).
"""

from __future__ import annotations

import builtins
import errno
import fcntl
import os
import resource
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator import OutputError
from allocator.cli import cli
from allocator.output import MARKER, output_lock
from tests.conftest import EXAMPLE, UK_CENTRAL

EXIT_OUTPUT = 7


def run(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args])


def run_process(*args: str | Path, cwd: Path | None = None, fsize: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "allocator.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore",
                                                     "PYTHONDONTWRITEBYTECODE": "1"},
                          preexec_fn=limit if fsize else None)


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path -> bytes); symlinks as their target."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = b"-> " + os.readlink(p).encode()
        elif p.is_file():
            out[rel] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plans") / "example"
    assert run("solve", EXAMPLE, "--out", out, "-q").exit_code == 0
    return out


# --------------------------------------------------------------------------- A1: what --force may replace
def test_force_never_replaces_the_current_folder(tmp_path: Path) -> None:
    """`cp -r scenarios/example s && allocator solve s --out "$PWD" --force` once left only the plan."""
    work = tmp_path / "work"
    shutil.copytree(EXAMPLE, work / "s")
    (work / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    for out in (work, tmp_path, "."):
        proc = run_process("solve", "s", "--out", out, "--force", "-q", cwd=work)
        assert proc.returncode == EXIT_OUTPUT, (out, proc.stderr)
        assert "current folder" in proc.stderr and "Traceback" not in proc.stderr
    assert tree(tmp_path) == before


def test_force_never_replaces_the_scenario_folder_or_its_parents(tmp_path: Path) -> None:
    scenario = tmp_path / "inputs" / "s"
    shutil.copytree(EXAMPLE, scenario)
    before = tree(tmp_path)
    for out in (scenario, scenario.parent, tmp_path):
        res = run("solve", scenario, "--out", out, "--force", "-q")
        assert res.exit_code == EXIT_OUTPUT, (out, res.output)
        assert str(out) in res.stderr
    res = run("solve", scenario / "scenario.yaml", "--out", scenario, "--force")
    assert res.exit_code == EXIT_OUTPUT
    assert tree(tmp_path) == before


def test_force_replaces_only_a_folder_allocator_wrote(tmp_path: Path, plan_dir: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    res = run("solve", EXAMPLE, "--out", mine, "--force", "-q")
    assert res.exit_code == EXIT_OUTPUT and "was not written by allocator" in res.stderr
    assert tree(mine) == {"thesis.docx": b"years of work"}

    # a plan folder that also holds someone's notes: not replaced either
    mixed = tmp_path / "mixed"
    shutil.copytree(plan_dir, mixed)
    (mixed / "notes.txt").write_text("keep")
    before = tree(mixed)
    res = run("solve", EXAMPLE, "--out", mixed, "--force", "-q")
    assert res.exit_code == EXIT_OUTPUT and "notes.txt" in res.stderr
    assert tree(mixed) == before

    # a plan allocator wrote is replaced; so is one written before the marker existed (summary.json)
    for name, drop_marker in (("plan", False), ("old-plan", True)):
        folder = tmp_path / name
        shutil.copytree(plan_dir, folder)
        if drop_marker:
            (folder / MARKER).unlink()
        (folder / "allocations.csv").write_text("stale")
        res = run("solve", EXAMPLE, "--out", folder, "--force", "-q")
        assert res.exit_code == 0, res.output
        assert (folder / "allocations.csv").read_bytes() == (plan_dir / "allocations.csv").read_bytes()


def test_out_is_a_literal_path(tmp_path: Path) -> None:
    """`--out 'dir/*'` once deleted an unrelated dir/.photos.tmp-2024/ (the glob expanded the name)."""
    d = tmp_path / "dir"
    for hidden in (".photos.tmp-2024", ".photos.tmp-abcdefgh", ".plan.tmp-holidays"):
        (d / hidden).mkdir(parents=True)
        (d / hidden / "beach.jpg").write_bytes(b"jpeg")
    before = tree(d)
    assert run("solve", EXAMPLE, "--out", d / "*", "-q").exit_code == 0
    assert run("solve", EXAMPLE, "--out", d / "photos", "-q").exit_code == 0
    assert run("solve", EXAMPLE, "--out", d / "photos", "--force", "-q").exit_code == 0
    assert run("solve", EXAMPLE, "--out", d / "plan", "-q").exit_code == 0
    after = tree(d)
    assert {k: v for k, v in after.items() if k in before} == before
    assert (d / "*" / "summary.json").exists()


def _commands(tmp_path: Path, plan: Path, out: Path, force: bool) -> dict[str, list]:
    f = ["--force"] if force else []
    return {
        "frontier": ["frontier", EXAMPLE, "--points", "2", "--out", out, *f],
        "uncertainty": ["uncertainty", EXAMPLE, "--samples", "10", "--out", out, *f],
        "compare": ["compare", plan, plan, "--out", out, "-q", *f],
        "report --by-region": ["report", plan, "--by-region", "--out", out, "-q", *f],
        "sweep": ["sweep", EXAMPLE, "--set", "policy.cluster_limit=200", "--workers", "1", "--out", out, "-q"],
    }


@pytest.mark.parametrize("command", ["frontier", "uncertainty", "compare", "report --by-region", "sweep"])
def test_every_folder_command_follows_the_same_rules(tmp_path: Path, plan_dir: Path, command: str) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work")
    for force in (False, True):
        res = run(*_commands(tmp_path, plan_dir, mine, force)[command])
        assert res.exit_code == EXIT_OUTPUT, (command, force, res.output)
        assert str(mine) in res.stderr
    assert tree(mine) == {"thesis.docx": b"years of work"}
    # the scenario's folder (the sweep and the rest take a scenario or a plan from there)
    copy = tmp_path / "s"
    shutil.copytree(EXAMPLE, copy)
    args = [copy if a == EXAMPLE else a for a in _commands(tmp_path, plan_dir, copy.parent, True)[command]]
    before = tree(tmp_path)
    assert run(*args).exit_code == EXIT_OUTPUT
    assert tree(tmp_path) == before
    # a fresh folder works, and a second run replaces it with --force (a sweep resumes instead)
    fresh = tmp_path / "fresh"
    assert run(*_commands(tmp_path, plan_dir, fresh, False)[command]).exit_code == 0
    again = run(*_commands(tmp_path, plan_dir, fresh, True)[command])
    assert again.exit_code == 0, again.output
    assert (fresh / MARKER).exists()


def test_a_sweep_resumes_only_its_own_folder(tmp_path: Path, plan_dir: Path) -> None:
    args = ["sweep", EXAMPLE, "--set", "policy.cluster_limit=150,200", "--workers", "1", "-q", "--out"]
    assert run(*args, tmp_path / "sweep").exit_code == 0
    (tmp_path / "sweep" / MARKER).unlink()                        # written before the marker existed
    again = run(*[a for a in args if a != "-q"], tmp_path / "sweep")
    assert again.exit_code == 0 and "(0 solved now, 2 already done)" in again.output, again.output
    assert (tmp_path / "sweep" / MARKER).exists()
    res = run(*args, plan_dir)                                     # a plan folder is not a sweep to resume
    assert res.exit_code == EXIT_OUTPUT and "not a sweep" in res.stderr
    assert not (plan_dir / "points").exists()


# --------------------------------------------------------------------------- C15: the lock, symlinks, sweeps
def test_the_lock_has_one_holder_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """B opens the lock file while A holds it; A finishes (removing the file); B then locks the
    removed file while C locks a new one. Only one of B and C may believe it holds the lock."""
    target = tmp_path / "plan"
    real_flock = fcntl.flock
    b_opened, b_go = threading.Event(), threading.Event()

    def flock(fd, op):
        if threading.current_thread().name == "B":
            b_opened.set()
            assert b_go.wait(30)
        return real_flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", flock)
    holders, release = [], threading.Event()

    def take(name: str) -> None:
        try:
            with output_lock(target):
                holders.append(name)
                release.wait(30)
        except OutputError:
            pass

    a = output_lock(target)
    a.__enter__()
    b = threading.Thread(target=take, args=("B",), name="B")
    b.start()
    assert b_opened.wait(30)               # B has the file open and is about to lock it
    a.__exit__(None, None, None)           # A is done
    b_go.set()
    while b.is_alive() and not holders:    # until B holds the lock or has given up
        b.join(0.01)
    c = threading.Thread(target=take, args=("C",), name="C")
    c.start()
    while c.is_alive() and len(holders) < 2:   # until C holds it too or was refused
        c.join(0.01)
    both = list(holders)
    release.set()
    b.join(30)
    c.join(30)
    assert len(both) == 1, f"two holders of one lock: {both}"


def test_a_planted_lock_symlink_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    (tmp_path / ".plan.lock").symlink_to(victim)
    res = run("solve", EXAMPLE, "--out", tmp_path / "plan", "-q")
    assert res.exit_code == EXIT_OUTPUT and "symbolic link" in res.stderr
    assert not victim.exists() and (tmp_path / ".plan.lock").is_symlink()


def test_out_symlink_is_refused_and_left_alone(tmp_path: Path, plan_dir: Path) -> None:
    real = tmp_path / "real"
    shutil.copytree(plan_dir, real)
    link = tmp_path / "latest"
    link.symlink_to(real, target_is_directory=True)
    before = tree(tmp_path)
    res = run("solve", EXAMPLE, "--out", link, "--force", "-q")
    assert res.exit_code == EXIT_OUTPUT and "symbolic link" in res.stderr
    assert tree(tmp_path) == before and link.is_symlink()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_two_sweeps_cannot_write_one_folder(tmp_path: Path, example) -> None:
    from allocator.sweep import run_sweep

    out = tmp_path / "sweep"
    with output_lock(out):                  # another sweep is running into the same folder
        with pytest.raises(OutputError, match="another allocator run is writing"):
            run_sweep(example, [{"policy.cluster_limit": 150}], out, workers=1, progress=False)
    assert not out.exists()


# --------------------------------------------------------------------------- B11: the file system says no
def test_out_below_a_file(tmp_path: Path, plan_dir: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    below = tmp_path / "file.txt" / "plan"
    for args in (["solve", EXAMPLE, "--out", below], ["report", plan_dir, "--out", below / "r.html"],
                 ["frontier", EXAMPLE, "--points", "2", "--out", below],
                 ["compare", plan_dir, plan_dir, "--out", below, "-q"]):
        res = run(*args)
        assert res.exit_code == EXIT_OUTPUT, (args, res.output)
        assert "file.txt" in res.stderr and "unexpected" not in res.stderr


def _read_only(monkeypatch, folder: Path) -> None:
    """Make creating or writing anything directly inside ``folder`` fail with EACCES."""
    real_open, real_os_open, real_mkdir = builtins.open, os.open, os.mkdir

    def inside(path) -> bool:
        return isinstance(path, (str, bytes, os.PathLike)) and Path(os.fsdecode(path)).parent == folder

    def fail(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))

    def open_(file, mode="r", *args, **kwargs):
        if inside(file) and any(c in mode for c in "wax+"):
            fail(file)
        return real_open(file, mode, *args, **kwargs)

    def os_open(path, flags, *args, **kwargs):
        if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            fail(path)
        return real_os_open(path, flags, *args, **kwargs)

    def mkdir(path, *args, **kwargs):
        if inside(path):
            fail(path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "mkdir", mkdir)


def test_read_only_folder(tmp_path: Path, plan_dir: Path, monkeypatch) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    _read_only(monkeypatch, ro)
    for args in (["solve", EXAMPLE, "--out", ro / "plan", "-q"], ["report", plan_dir, "--out", ro / "r.html"],
                 ["compare", plan_dir, plan_dir, "--out", ro / "cmp", "-q"]):
        res = run(*args)
        assert res.exit_code == EXIT_OUTPUT, (args, res.output)
        assert str(ro) in res.stderr and "permission denied" in res.stderr
    monkeypatch.undo()
    assert list(ro.iterdir()) == []


def test_full_disk_leaves_the_previous_plan(tmp_path: Path, plan_dir: Path, monkeypatch) -> None:
    out = tmp_path / "plan"
    shutil.copytree(plan_dir, out)
    before = tree(tmp_path)
    real_to_csv = pd.DataFrame.to_csv

    def to_csv(self, path=None, *args, **kwargs):
        if path is None or not str(path).endswith("trajectory.csv"):
            return real_to_csv(self, path, *args, **kwargs)
        with open(path, "w") as fh:          # the disk fills up part way through a file
            fh.write(real_to_csv(self, None, *args, **kwargs)[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)
    res = run("solve", UK_CENTRAL, "--out", out, "--force", "-q")
    assert res.exit_code == EXIT_OUTPUT, res.output
    assert str(out) in res.stderr and "disk is full" in res.stderr
    assert tree(tmp_path) == before                     # the old plan, and nothing beside it


def test_file_size_limit_leaves_the_previous_plan_and_report(tmp_path: Path, plan_dir: Path) -> None:
    out = tmp_path / "plan"
    shutil.copytree(plan_dir, out)
    report = tmp_path / "report.html"
    assert run("report", plan_dir, "--out", report, "-q").exit_code == 0
    before = tree(tmp_path)
    proc = run_process("solve", UK_CENTRAL, "--out", out, "--force", "-q", fsize=4096)
    assert proc.returncode == EXIT_OUTPUT, proc.stderr
    assert str(out) in proc.stderr and "file-size limit" in proc.stderr
    proc = run_process("report", out, "--out", report, "-q", fsize=4096)
    assert proc.returncode == EXIT_OUTPUT, proc.stderr
    assert str(report) in proc.stderr
    assert tree(tmp_path) == before


# --------------------------------------------------------------------------- D19: report's file type
@pytest.mark.parametrize("name", ["report.pdf", "report.docx", "report"])
def test_report_refuses_other_file_types(tmp_path: Path, plan_dir: Path, name: str) -> None:
    res = run("report", plan_dir, "--out", tmp_path / name, "-q")
    assert res.exit_code == 2, res.output
    assert (Path(name).suffix or "no extension") in res.stderr and ".html" in res.stderr
    assert list(tmp_path.iterdir()) == []
    assert run("report", plan_dir, "--out", tmp_path / "R.HTM", "-q").exit_code == 0

"""Outputs are atomic, locked and reproducible (issue 7), tested with real processes and signals.

A run is killed (SIGINT, SIGTERM, SIGKILL) while it is writing: the test waits until the
run's temporary folder appears beside the output, then sends the signal. Writing is
slowed by the test hook ``ALLOCATOR_TEST_WRITE_PAUSE`` (seconds after each table) so the
signal lands mid-write. Afterwards the output folder holds either the previous complete
plan, byte for byte, or the new complete plan; never a mix, never a partial folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"
UK = ROOT / "scenarios" / "uk-2025" / "central.yaml"
PLAN_FILES = {"allocations.csv", "trajectory.csv", "regions.csv", "start.csv", "summary.json", "timings.json",
              ".allocator-output.json"}


def _cmd(scenario: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "allocator.cli", "solve", str(scenario), "--out", str(out), "-q", *extra]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _run(scenario: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(_cmd(scenario, out, *extra), capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def _start_slow(scenario: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "ALLOCATOR_TEST_WRITE_PAUSE": "0.4"}
    return subprocess.Popen(_cmd(scenario, out, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _wait_for_tmp(parent: Path, name: str, proc: subprocess.Popen, timeout: float = 60) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if any(p.name.startswith(f".{name}.tmp-") and any(p.iterdir()) for p in parent.iterdir()):
            return True
        time.sleep(0.01)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_killed_while_writing_leaves_the_previous_plan(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "plan"
    assert _run(EXAMPLE, out).returncode == 0
    before = _snapshot(out)
    assert set(before) == PLAN_FILES
    proc = _start_slow(UK, out, "--force")                  # a different scenario into the same folder
    assert _wait_for_tmp(tmp_path, "plan", proc), proc.communicate()
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert _snapshot(out) == before                          # the old plan, untouched, byte for byte
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".plan.tmp-")]
    if sig != signal.SIGKILL:
        assert leftovers == []                               # SIGINT/SIGTERM unwind and clean up
        assert b"Traceback" not in proc.stderr.read()
    # the next run cleans whatever a SIGKILL left, and writes the new plan whole
    assert _run(UK, out, "--force").returncode == 0
    assert set(_snapshot(out)) == PLAN_FILES
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".plan.tmp-", ".plan.old-"))]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_first_run_leaves_nothing(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "plan"
    proc = _start_slow(EXAMPLE, out)
    assert _wait_for_tmp(tmp_path, "plan", proc)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert not out.exists()


@pytest.mark.slow
def test_two_solves_cannot_write_the_same_folder(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    first = _start_slow(UK, out)
    assert _wait_for_tmp(tmp_path, "plan", first)
    second = _run(EXAMPLE, out, "--force")
    assert second.returncode == 7
    assert "another allocator run is writing to" in second.stderr
    assert first.wait(timeout=120) == 0
    assert set(_snapshot(out)) == PLAN_FILES                 # the first run's plan, whole
    assert "UK national" in (out / "summary.json").read_text()


def test_existing_output_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert _run(EXAMPLE, out).returncode == 0
    before = _snapshot(out)
    again = _run(EXAMPLE, out)
    assert again.returncode == 7 and "use --force" in again.stderr
    assert _snapshot(out) == before


def test_same_scenario_gives_byte_identical_files(tmp_path: Path) -> None:
    """Two processes with different hash seeds: every file but timings.json is identical."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(UK, a, env={"PYTHONHASHSEED": "1"}).returncode == 0
    assert _run(UK, b, env={"PYTHONHASHSEED": "2"}).returncode == 0
    snap_a, snap_b = _snapshot(a), _snapshot(b)
    assert set(snap_a) == PLAN_FILES
    for name in PLAN_FILES - {"timings.json"}:
        assert snap_a[name] == snap_b[name], name


def test_manifest_traces_the_result_to_its_inputs(tmp_path: Path) -> None:
    import hashlib
    import json

    out = tmp_path / "plan"
    assert _run(UK, out).returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    for name in ("central.yaml", "areas.csv"):
        assert summary["input_sha256"][name] == hashlib.sha256((UK.parent / name).read_bytes()).hexdigest()
    assert len(summary["scenario_sha256"]) == 64
    for lib in ("allocator", "numpy", "scipy", "pandas", "highspy", "pydantic", "python"):
        assert summary["versions"][lib]
    timings = json.loads((out / "timings.json").read_text())
    assert set(timings) == {"build_seconds", "solve_seconds", "interpret_seconds", "verify_seconds"}

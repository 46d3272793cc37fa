"""Outputs are atomic, locked and reproducible (issue 7), tested with real processes and signals.

A run is killed (SIGINT, SIGTERM, SIGKILL) while it is writing. Nothing here guesses how fast a
run is (issue 11, C14): the run is held mid-write at the test gate ``plan-write``
(:mod:`allocator.testhooks`, through ``ALLOCATOR_TEST_GATE``), right after its first table is in
the temporary folder, and stays there until the test lets it go. The test waits for the run to
reach the gate, then sends the signal (or starts a second run). Afterwards the output folder holds
either the previous complete plan, byte for byte, or the new complete plan; never a mix, never a
partial folder.

Timeouts below are hang guards only (a run that never reaches the gate fails the test instead
of blocking it); they are generous because a busy 2-core machine can take minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from allocator.testhooks import ENV as GATE_ENV
from allocator.testhooks import reached, release

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example"
UK = ROOT / "scenarios" / "uk-2025" / "central.yaml"
PLAN_FILES = {"allocations.csv", "trajectory.csv", "regions.csv", "start.csv", "summary.json", "timings.json",
              ".allocator-output.json"}
HANG_GUARD = 600          # seconds: only to stop a broken run from blocking the suite


def _cmd(scenario: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "allocator.cli", "solve", str(scenario), "--out", str(out), "-q", *extra]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _run(scenario: Path, out: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(_cmd(scenario, out, *extra), capture_output=True, text=True, timeout=HANG_GUARD,
                          env={**os.environ, **(env or {})})


def _start_held(scenario: Path, out: Path, gates: Path, *extra: str) -> subprocess.Popen:
    """Start a solve that stops at the gate ``plan-write`` (mid-write) until :func:`release`."""
    gates.mkdir(exist_ok=True)
    env = {**os.environ, GATE_ENV: str(gates)}
    # Ctrl-C as a terminal delivers it: a shell that starts the tests in the background (`cmd &`, nohup) hands
    # its children SIGINT ignored, and the run would then (rightly) not stop on it
    return subprocess.Popen(_cmd(scenario, out, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_until_held(gates: Path, proc: subprocess.Popen) -> None:
    """Return once ``proc`` waits at the gate; fail if it ends first (or hangs past the guard)."""
    end = time.monotonic() + HANG_GUARD
    while proc.pid not in reached(gates, "plan-write"):
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended (exit {proc.returncode}) before reaching the gate: {err.decode()}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail(f"the run did not reach the gate within {HANG_GUARD} s")
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_killed_while_writing_leaves_the_previous_plan(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "plan"
    assert _run(EXAMPLE, out).returncode == 0
    before = _snapshot(out)
    assert set(before) == PLAN_FILES
    gates = tmp_path / "gates"
    proc = _start_held(UK, out, gates, "--force")            # a different scenario into the same folder
    _wait_until_held(gates, proc)
    assert any(p.name.startswith(".plan.tmp-") for p in tmp_path.iterdir())   # mid-write: the temporary folder
    proc.send_signal(sig)
    proc.wait(timeout=HANG_GUARD)
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
    gates = tmp_path / "gates"
    proc = _start_held(EXAMPLE, out, gates)
    _wait_until_held(gates, proc)
    proc.send_signal(sig)
    proc.wait(timeout=HANG_GUARD)
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_stopped_run_says_so(tmp_path: Path, sig: signal.Signals, code: int) -> None:
    """The last row of the exit-code table: exit 130 (Ctrl-C) or 143 (SIGTERM), and the message
    `allocator: interrupted` on standard error, also with -q (issue 11, D20: SIGTERM said nothing)."""
    out = tmp_path / "plan"
    gates = tmp_path / "gates"
    proc = _start_held(EXAMPLE, out, gates)
    _wait_until_held(gates, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == code
    assert err.decode().strip().startswith("allocator: interrupted"), err.decode()
    assert not out.exists()


@pytest.mark.slow
def test_two_solves_cannot_write_the_same_folder(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    gates = tmp_path / "gates"
    first = _start_held(UK, out, gates)
    try:
        _wait_until_held(gates, first)                       # the first run holds the lock, mid-write
        second = _run(EXAMPLE, out, "--force")               # however long this takes, the first one waits
        assert second.returncode == 7, second.stderr
        assert "another allocator run is writing to" in second.stderr
    finally:
        release(gates, "plan-write")
    assert first.wait(timeout=HANG_GUARD) == 0
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

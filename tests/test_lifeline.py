"""A sweep's worker processes die with the sweep, even when it is killed with SIGKILL (issue 11, C16).

Each test starts a real ``allocator sweep`` (or a bare process pool) in a child process. The
points are held at the test gate ``sweep-point`` (:mod:`allocator.testhooks`), so the workers are
busy with a point, whatever the machine's speed, when the test kills the sweep with SIGKILL.
Every process the sweep had started must then end. The bounds are hang guards (minutes), never
a statement about speed: with the death signal the workers end at once, with the watchdog
within about a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from allocator.testhooks import ENV as GATE_ENV
from allocator.testhooks import reached, release
from tests.conftest import EXAMPLE

psutil = pytest.importorskip("psutil")

HANG_GUARD = 600          # seconds to reach the gate: a loaded machine may need minutes to start workers
EXIT_GUARD = 120          # seconds for the orphaned workers to end (they end within a second or two)

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")


def _start(cmd: list[str], gates: Path, log: Path) -> subprocess.Popen:
    gates.mkdir(exist_ok=True)
    with open(log, "wb") as fh:
        return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, GATE_ENV: str(gates)},
                                start_new_session=True)


def _wait_for_gate(gates: Path, proc: subprocess.Popen, count: int, log: Path) -> list[int]:
    """The pids of ``count`` processes held at ``sweep-point`` (the workers)."""
    end = time.monotonic() + HANG_GUARD
    while len(pids := reached(gates, "sweep-point")) < count:
        if proc.poll() is not None:
            pytest.fail(f"the sweep ended (exit {proc.returncode}) before its workers reached the gate:\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > end:
            pytest.fail(f"the workers did not reach the gate within {HANG_GUARD} s")
        time.sleep(0.05)
    return pids


def _alive(procs: list) -> list:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def _kill_parent_and_wait(proc: subprocess.Popen, gates: Path, workers: list[int]) -> list:
    """SIGKILL ``proc``; return its descendants still running after :data:`EXIT_GUARD` seconds."""
    parent = psutil.Process(proc.pid)
    family = parent.children(recursive=True)
    assert set(workers) <= {p.pid for p in family}, "the gate was reached by processes outside the sweep"
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=HANG_GUARD)
        end = time.monotonic() + EXIT_GUARD
        while (left := _alive(family)) and time.monotonic() < end:
            time.sleep(0.1)
        return [f"{p.pid} {' '.join(p.cmdline()[:4])}" for p in _alive(family)]
    finally:
        release(gates, "sweep-point")                 # a survivor (the old behaviour) must not hold on
        for p in _alive(family):
            p.kill()


def _sweep_cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "allocator.cli", "sweep", str(EXAMPLE), "--set",
            "policy.cluster_limit=150,200,250,300", "--out", str(out), *extra]


@pytest.mark.slow
def test_local_workers_die_with_a_killed_sweep(tmp_path: Path) -> None:
    gates, log = tmp_path / "gates", tmp_path / "sweep.log"
    proc = _start(_sweep_cmd(tmp_path / "sweep", "--workers", "2"), gates, log)
    workers = _wait_for_gate(gates, proc, 2, log)
    assert proc.pid not in workers                    # the points are solved in worker processes
    assert _kill_parent_and_wait(proc, gates, workers) == []


@pytest.mark.slow
def test_dask_local_cluster_workers_die_with_a_killed_sweep(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    gates, log = tmp_path / "gates", tmp_path / "sweep.log"
    proc = _start(_sweep_cmd(tmp_path / "sweep", "--scheduler", "local", "--workers", "2"), gates, log)
    workers = _wait_for_gate(gates, proc, 2, log)
    assert _kill_parent_and_wait(proc, gates, workers) == []


def test_the_watchdog_alone_ends_an_orphaned_worker(tmp_path: Path) -> None:
    """Without the Linux death signal (other systems), the parent-pid watchdog ends the worker."""
    gates, log = tmp_path / "gates", tmp_path / "pool.log"
    script = textwrap.dedent("""
        import multiprocessing, os
        from concurrent.futures import ProcessPoolExecutor
        from allocator.lifeline import tie_to_parent
        from allocator.testhooks import gate

        if __name__ == "__main__":
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(1, mp_context=ctx, initializer=tie_to_parent,
                                     initargs=(os.getpid(), False, 0.2)) as pool:
                pool.submit(gate, "sweep-point").result()
    """)
    (tmp_path / "pool.py").write_text(script)
    proc = _start([sys.executable, str(tmp_path / "pool.py")], gates, log)
    workers = _wait_for_gate(gates, proc, 1, log)
    assert _kill_parent_and_wait(proc, gates, workers) == []

"""Worker processes die with the process that started them.

A sweep's local worker processes each hold a scenario and a solver (hundreds of MB on the national
scenario). When the sweep is killed in a way that runs no clean-up (SIGKILL, the out-of-memory
killer), its workers must not live on. :func:`tie_to_parent` is the pool's initializer and ties
each worker to the sweep's life twice:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the moment the
  thread that started it ends (the sweep starts its pool from the thread that runs the sweep,
  which outlives the pool);
* everywhere, a watchdog thread that checks once a second whether the parent is still the
  process that started the worker, and ends the worker at once (``os._exit``) when it is not.

A parent that died before the worker got this far is caught by the same check, run once at start.
Dask workers need neither: ``distributed`` ends its worker processes when their parent's pipe
closes. ``tests/test_lifeline.py`` checks all three ways.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
EXIT_ORPHANED = 70          # the worker's exit status when its parent is gone (never seen by a user)


def _parent_gone(parent_pid: int) -> bool:
    return os.getppid() != parent_pid


def _die_with_parent_linux() -> bool:
    """Ask the kernel to SIGKILL this process when its parent (thread) ends. False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, interval: float) -> None:
    while not _parent_gone(parent_pid):
        time.sleep(interval)
    os._exit(EXIT_ORPHANED)


def tie_to_parent(parent_pid: int, use_prctl: bool = True, interval: float = 1.0) -> None:
    """Initializer of a worker process started by ``parent_pid``: end it when that process ends.

    ``use_prctl=False`` leaves only the portable watchdog (used by the tests to check it).
    """
    if use_prctl:
        _die_with_parent_linux()
    if _parent_gone(parent_pid):          # died before the death signal was armed
        os._exit(EXIT_ORPHANED)
    threading.Thread(target=_watch, args=(parent_pid, interval), name="allocator-lifeline", daemon=True).start()

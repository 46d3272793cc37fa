"""Test hooks: hold a run at a named point until the test lets it go.

Tests that kill a run while it writes, or start a second run while the first one holds a lock,
must not guess how long the first run takes: on a loaded machine any guess is wrong sooner or
later. Instead the run waits at a *gate* until the test says go.

The hook is inert unless the environment variable ``ALLOCATOR_TEST_GATE`` names a folder. At the
gate ``NAME`` a run then

1. creates ``<folder>/NAME.<pid>.reached`` (the test waits for this file), and
2. waits until ``<folder>/NAME.go`` exists (the test creates it when it is ready).

Gates in the engine: ``plan-write`` (:meth:`allocator.plan.Plan.write`, after the first table is in
the temporary folder) and ``sweep-point`` (:func:`allocator.sweep.solve_point`, before a point is
solved, in the worker). A gate gives up after :data:`GIVE_UP_SECONDS` with an error, so a run whose
test died does not wait for ever.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "ALLOCATOR_TEST_GATE"
GIVE_UP_SECONDS = 3600.0


def gate(name: str) -> None:
    """Wait at the gate ``name`` when ``ALLOCATOR_TEST_GATE`` is set; return at once otherwise."""
    folder = os.environ.get(ENV)
    if not folder:
        return
    root = Path(folder)
    (root / f"{name}.{os.getpid()}.reached").touch()
    go = root / f"{name}.go"
    end = time.monotonic() + GIVE_UP_SECONDS
    while not go.exists():
        if time.monotonic() > end:
            raise RuntimeError(f"test gate {name!r}: {go} did not appear within {GIVE_UP_SECONDS:.0f} s")
        time.sleep(0.01)   # a poll interval, not a guess at anyone's speed


def reached(folder: str | Path, name: str) -> list[int]:
    """The process ids waiting at (or past) the gate ``name`` (for tests)."""
    return sorted(int(p.name.split(".")[-2]) for p in Path(folder).glob(f"{name}.*.reached"))


def release(folder: str | Path, name: str) -> None:
    """Let every run waiting at the gate ``name`` go on (for tests)."""
    (Path(folder) / f"{name}.go").touch()

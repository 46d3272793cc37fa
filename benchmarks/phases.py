"""The pipeline cut into the phases the benchmarks time: load, build, solve, interpret, verify.

Each phase is the same code :func:`allocator.solve` runs (``api.solve`` and
``api.finish``), called one step at a time so that each can be timed on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from allocator import load_scenario, prepare
from allocator.model import build_lp
from allocator.rounding import whole_plan
from allocator.interpret import interpret
from allocator.place import hotel_solution
from allocator.solvers import solve_lp
from allocator.verify import verify_plan

REL = 1e-6   # objectives must agree to this (relative)

@dataclass
class Run:
    path: Path
    scenario: object = None
    data: object = None
    lp: object = None
    raw: object = None
    tables: tuple | None = None
    hotels: tuple | None = None        # (exact, whole) people in hotels by area, when the scenario locates them
    failures: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)

    @property
    def objective(self) -> float:
        return float(self.raw.objective)


def load(run: Run) -> None:
    run.scenario = load_scenario(run.path)


def build(run: Run) -> None:
    run.data = prepare(run.scenario)
    run.lp = build_lp(run.data)


def solve(run: Run, solver: str = "highs", time_limit: float | None = None, options: dict | None = None,
          start: str = "auto") -> None:
    run.raw = solve_lp(run.lp, solver=solver, time_limit=time_limit, options=options, data=run.data, start=start)
    if run.raw.x is None:
        raise RuntimeError(f"{run.path}: solver {solver} returned {run.raw.status} ({run.raw.message})")


def split(run: Run) -> tuple[np.ndarray, np.ndarray]:
    n_a, n_t, n_h = run.data.shape
    S = run.lp.value(run.raw.x, "stock").reshape(n_a, n_t, n_h)
    C = run.lp.value(run.raw.x, "contingency").reshape(n_t, n_h)
    return S, C


def interpret_(run: Run) -> None:
    S, C = split(run)
    exact = hotel_solution(run.data, run.lp, run.raw.x)
    R, whole = whole_plan(run.data, S, exact)
    run.hotels = (exact, whole)
    run.tables = (R,) + interpret(run.data, S, C, R, whole)


def verify(run: Run) -> None:
    S, C = split(run)
    R, _, traj, _ = run.tables
    exact, whole = run.hotels
    fails = verify_plan(run.scenario, S, C, run.raw.objective, R, traj["contingency"].to_numpy()[:, None],
                        hotels=exact, whole_hotels=whole)
    run.failures = list(fails)
    if run.failures:
        raise AssertionError(f"{run.path}: plan failed the verifier: {run.failures[:5]}")


PHASES = (("load", load), ("build", build), ("solve", solve), ("interpret", interpret_), ("verify", verify))


def run_all(path: str | Path, solver: str = "highs", options: dict | None = None,
            time_limit: float | None = None) -> Run:
    """Run every phase once, timing each (perf_counter seconds in ``run.seconds``)."""
    run = Run(Path(path))
    for name, fn in PHASES:
        t0 = time.perf_counter()
        if name == "solve":
            fn(run, solver=solver, options=options, time_limit=time_limit)
        else:
            fn(run)
        run.seconds[name] = time.perf_counter() - t0
    return run


def same(a: float, b: float, rel: float = REL) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))

"""Sweep benchmarks (pytest-benchmark): cold against warm-started points on the national scenario.

Run with timings: ``pytest benchmarks/test_sweep_bench.py``; in CI they run once each with
``--benchmark-disable`` (a smoke test that they still work). The full throughput figures
(points per minute, local processes and Dask) come from ``benchmarks/sweep_throughput.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator import load_scenario
from allocator.data import prepare
from allocator.model import build_lp
from allocator.sweep import apply_params, grid_points, parse_set, point_id, solve_point
from allocator.warm import WarmSolver, solve_cold

REPO = Path(__file__).resolve().parents[1]
CENTRAL = REPO / "scenarios" / "uk-2025" / "central.yaml"
# Not the cluster limit: on the national scenario's supported basis it moves the set of councils over their
# cap by inheritance, and so the model's rows; such a point is solved cold by design (tests/test_sweep.py).
POINTS = grid_points([parse_set("costs.contingency_scale=0.9,1.0,1.1"), parse_set("demand.arrivals_scale=0.8:1.25:4")])


@pytest.fixture(scope="module")
def central():
    return load_scenario(CENTRAL)


@pytest.fixture(scope="module")
def lps(central):
    return build_lp(prepare(central)), [build_lp(prepare(apply_params(central, p))) for p in POINTS]


def test_solver_cold(benchmark, lps):
    _, models = lps
    raws = benchmark(lambda: [solve_cold(lp) for lp in models])
    assert all(r.status == "optimal" for r in raws)


def test_solver_warm(benchmark, lps):
    base, models = lps
    ws = WarmSolver(base)
    raws = benchmark(lambda: [ws.solve(lp).raw for lp in models])
    cold = [solve_cold(lp) for lp in models]
    for w, c in zip(raws, cold):
        assert w.objective == pytest.approx(c.objective, rel=1e-6)
    assert sum(r.info["simplex_iterations"] for r in raws) < sum(r.info["simplex_iterations"] for r in cold) / 5


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_sweep_points_in_process(benchmark, central, warm):
    """The whole per-point pipeline of a sweep (parameters, build, solve, headline, verifier), 12 points."""
    from allocator import sweep

    sha = central.sha256
    ids = [point_id(p, sha) for p in POINTS]

    def run():
        sweep._local.solvers = {}
        return [solve_point(central, p, pid, warm=warm, base_sha=sha) for p, pid in zip(POINTS, ids)]
    rows = benchmark(run)
    assert [r["status"] for r in rows] == ["optimal"] * len(POINTS)
    assert all(r["warm"] is warm for r in rows)

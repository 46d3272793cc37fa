"""Sweep throughput on the national scenario: points per minute, cold against warm-started.

    python benchmarks/sweep_throughput.py                 # 30 points, prints a Markdown table
    python benchmarks/sweep_throughput.py --points 120 --json out/sweep-bench.json

The sweep is ``costs.contingency_scale`` (0.9, 1.0, 1.1) × ``demand.arrivals_scale``
(evenly from 0.8 to 1.25) on ``scenarios/uk-2025/central.yaml`` (361 areas,
4 years: 9,676 variables, 10,224 rows since issue 14; not the cluster limit, which on
that scenario's supported basis moves the councils over their cap by inheritance and
so the model's rows: such points are solved cold by design). Every point goes through the whole
per-point pipeline a sweep runs: apply the parameters, prepare, build the LP,
solve, headline figures, independent verifier. Measured:

* in one process, cold (a fresh HiGHS model per point, presolve on, exactly
  as ``allocator solve``) and warm (one HiGHS model, only changed costs and
  bounds sent, started from the base's optimal basis); best of ``--repeat`` runs;
* the solver alone (mean seconds and simplex iterations per point), cold, warm
  from the reference basis (what sweeps do) and warm chained from the
  previous point's basis (HiGHS's default; order-dependent, not used);
* the whole ``run_sweep`` on 2 local processes and on a 2-worker Dask
  LocalCluster, cold and warm (these include starting the workers).

Every warm objective is checked against the cold one (1e-6 relative).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from allocator import load_scenario  # noqa: E402
from allocator.data import prepare  # noqa: E402
from allocator.model import build_lp  # noqa: E402
from allocator.sweep import apply_params, grid_points, parse_set, point_id, run_sweep, solve_point  # noqa: E402
from allocator.warm import WarmSolver, solve_cold  # noqa: E402

CENTRAL = REPO / "scenarios" / "uk-2025" / "central.yaml"


def sweep_points(n: int) -> list[dict]:
    per = max(1, n // 3)
    return grid_points([parse_set("costs.contingency_scale=0.9,1.0,1.1"),   # not the cluster limit: see docstring
                        parse_set(f"demand.arrivals_scale=0.8:1.25:{per}")])


def in_process(sc, points, warm: bool) -> tuple[float, list[dict]]:
    """Seconds for the whole per-point pipeline over ``points`` in this process (warm solver built inside)."""
    from allocator import sweep

    sweep._local.solvers = {}                        # start cold: the base model is built and solved in the timing
    sha = sc.sha256
    ids = [point_id(p, sha) for p in points]
    t0 = time.perf_counter()
    rows = [solve_point(sc, p, pid, warm=warm, base_sha=sha) for p, pid in zip(points, ids)]
    return time.perf_counter() - t0, rows


def solver_only(sc, points) -> dict:
    lps = [build_lp(prepare(apply_params(sc, p))) for p in points]
    base = build_lp(prepare(sc))
    out = {}
    cold = [solve_cold(lp) for lp in lps]
    out["cold"] = cold
    for mode in ("reference", "previous"):
        ws = WarmSolver(base, basis=mode)
        out[mode] = [ws.solve(lp).raw for lp in lps]
        out[mode + "_base_seconds"] = ws.base_seconds
    for mode in ("reference", "previous"):
        for a, b in zip(out["cold"], out[mode]):
            assert abs(a.objective - b.objective) <= 1e-6 * abs(a.objective), (mode, a.objective, b.objective)
    return out


def whole_sweep(sc, points, warm: bool, scheduler: str | None) -> float:
    folder = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    try:
        t0 = time.perf_counter()
        res = run_sweep(sc, points, folder, workers=2, scheduler=scheduler, warm=warm, progress=False)
        seconds = time.perf_counter() - t0
        assert res.solved == len(points) and set(res.table["status"]) == {"optimal"}
        return seconds
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-parallel", action="store_true", help="Skip the 2-process and Dask runs.")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    sc = load_scenario(CENTRAL)
    points = sweep_points(args.points)
    n = len(points)
    lp = build_lp(prepare(sc))
    res: dict = {"scenario": str(CENTRAL.relative_to(REPO)), "points": n,
                 "model": {"variables": lp.num_col, "rows": lp.num_row, "nonzeros": int(lp.A.nnz)},
                 "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()}}
    for label, warm in (("cold", False), ("warm", True)):
        times = []
        for _ in range(args.repeat):
            seconds, rows = in_process(sc, points, warm)
            times.append(seconds)
            assert all(r["status"] == "optimal" for r in rows)
            assert all(r["warm"] == warm for r in rows)
        res[f"in_process_{label}_seconds"] = min(times)
        res[f"in_process_{label}_points_per_minute"] = 60 * n / min(times)
    s = solver_only(sc, points)
    for mode in ("cold", "reference", "previous"):
        res[f"solve_{mode}_mean_ms"] = 1e3 * statistics.mean(r.seconds for r in s[mode])
        res[f"solve_{mode}_mean_iterations"] = statistics.mean(r.info["simplex_iterations"] for r in s[mode])
    res["solve_reference_base_ms"] = 1e3 * s["reference_base_seconds"]
    res["warm_objectives_equal_cold"] = True
    if not args.no_parallel:
        for label, warm in (("cold", False), ("warm", True)):
            res[f"processes_{label}_seconds"] = whole_sweep(sc, points, warm, None)
            try:
                import distributed  # noqa: F401
                res[f"dask_{label}_seconds"] = whole_sweep(sc, points, warm, "local")
            except ImportError:  # pragma: no cover
                pass
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    print(report(res))


def report(r: dict) -> str:
    n = r["points"]
    ppm = lambda s: f"{60 * n / s:,.0f}"  # noqa: E731
    lines = [f"National scenario ({r['model']['variables']:,} variables, {r['model']['rows']:,} rows), "
             f"{n} points, Python {r['machine']['python']}, {r['machine']['cpus']} CPUs.", "",
             "| run | seconds | points/minute |", "|---|---:|---:|",
             f"| one process, cold | {r['in_process_cold_seconds']:.2f} | {ppm(r['in_process_cold_seconds'])} |",
             f"| one process, warm | {r['in_process_warm_seconds']:.2f} | {ppm(r['in_process_warm_seconds'])} |"]
    for key, label in (("processes", "2 local processes"), ("dask", "Dask LocalCluster, 2 workers")):
        for mode in ("cold", "warm"):
            if f"{key}_{mode}_seconds" in r:
                sec = r[f"{key}_{mode}_seconds"]
                lines.append(f"| {label}, {mode} (incl. worker start) | {sec:.2f} | {ppm(sec)} |")
    lines += ["", "| solver alone, per point | ms | simplex iterations |", "|---|---:|---:|",
              f"| cold (fresh model, presolve) | {r['solve_cold_mean_ms']:.1f} | "
              f"{r['solve_cold_mean_iterations']:,.0f} |",
              f"| warm from the reference basis | {r['solve_reference_mean_ms']:.1f} | "
              f"{r['solve_reference_mean_iterations']:,.0f} |",
              f"| warm chained from the previous point | {r['solve_previous_mean_ms']:.1f} | "
              f"{r['solve_previous_mean_iterations']:,.0f} |",
              "", f"Speed-up, one process, whole pipeline: "
              f"{r['in_process_cold_seconds'] / r['in_process_warm_seconds']:.1f}x; solver alone: "
              f"{r['solve_cold_mean_ms'] / r['solve_reference_mean_ms']:.1f}x. "
              f"Warm objectives equal cold ones to 1e-6: {r['warm_objectives_equal_cold']}."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

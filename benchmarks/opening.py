"""Integer plans (issue 16): allocator's MIP path against HiGHS on the plain mixed-integer program.

Every area hosting nobody now gets ``min_open`` and an ``open_cost`` (a set-up cost), which makes the
model a mixed-integer program with one 0/1 column per such area and year. Two ways to solve it, in
one run, on the same model:

* **allocator** (``solve_lp``, :mod:`allocator.solvers._mip`): the relaxation, a rounded incumbent,
  HiGHS's branch and bound given that incumbent, the decisions fixed and the LP re-solved;
* **plain HiGHS**: the same mixed-integer program handed to HiGHS as it is (same gap, same seed).

Each is given the same time limit; the table reports seconds, the gap proven and the ratio. Run::

    python benchmarks/opening.py national                     # scenarios/uk-2025/central.yaml
    python benchmarks/opening.py 2000x10x1 --time-limit 60    # generated (benchmarks/generate.py)

``benchmarks/test_opening_bench.py`` runs both at smoke sizes and checks the answers agree.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

from allocator import load_scenario
from allocator.data import prepare
from allocator.model import build_lp
from allocator.solvers import solve_lp
from allocator.solvers._highs import highs_model

REPO = Path(__file__).resolve().parents[1]
CENTRAL = REPO / "scenarios" / "uk-2025" / "central.yaml"
#: The opening terms given to every area hosting nobody now.
MIN_OPEN = 20.0
OPEN_COST = 5_000_000.0


def with_openings(path: Path, min_open: float = MIN_OPEN, open_cost: float = OPEN_COST,
                  max_new_areas: int | None = None):
    """The scenario at ``path`` with ``min_open`` and ``open_cost`` on every area hosting nobody now
    (and ``policy.max_new_areas`` when given)."""
    sc = load_scenario(path)
    areas = sc.areas.copy()
    stock = sum(areas[sc.cohort_column("stock", c)] for c in sc.cohort_names)
    nobody = (stock == 0).to_numpy()
    areas["min_open"] = np.where(nobody, min_open, np.nan)
    areas["open_cost"] = np.where(nobody, open_cost, np.nan)
    sc = sc.with_areas(areas)
    return sc if max_new_areas is None else sc.with_policy(max_new_areas=max_new_areas)


def plain_highs(lp, gap: float, time_limit: float | None) -> dict:
    """HiGHS on the mixed-integer program as it is."""
    t0 = time.perf_counter()
    h = highs_model(lp, time_limit=time_limit, options={"mip_rel_gap": gap})
    whole = np.flatnonzero(lp.integer).astype(np.int32)
    h.changeColsIntegrality(whole.size, whole, np.full(whole.size, highspy.HighsVarType.kInteger))
    h.run()
    info = h.getInfo()
    found = info.primal_solution_status == 2
    return {"seconds": time.perf_counter() - t0, "objective": info.objective_function_value if found else None,
            "gap": float(info.mip_gap) if found else None, "status": h.modelStatusToString(h.getModelStatus())}


def allocator_mip(lp, d, gap: float, time_limit: float | None) -> dict:
    """allocator's integer path (solve_lp)."""
    t0 = time.perf_counter()
    raw = solve_lp(lp, data=d, gap=gap, time_limit=time_limit)
    return {"seconds": time.perf_counter() - t0, "objective": raw.objective, "gap": raw.gap, "status": str(raw.status),
            "relaxation_seconds": raw.info.get("relaxation_seconds"), "rounded": raw.info.get("rounded"),
            "nodes": raw.info.get("nodes")}


def compare(scenario, gap: float = 1e-3, time_limit: float | None = None) -> dict:
    """Both ways on one scenario's model: the figures of each and the speed ratio (plain / allocator)."""
    d = prepare(scenario)
    lp = build_lp(d)
    ours = allocator_mip(lp, d, gap, time_limit)
    plain = plain_highs(lp, gap, time_limit)
    return {"binaries": int(lp.integer.sum()), "columns": lp.num_col, "rows": lp.num_row, "allocator": ours,
            "plain": plain, "speedup": plain["seconds"] / ours["seconds"]}


def _pct(gap: float | None) -> str:
    return "none" if gap is None else f"{gap:.4%}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("size", help="'national' or AREASxYEARSxCOHORTS, e.g. 2000x10x1")
    p.add_argument("--gap", type=float, default=1e-3)
    p.add_argument("--time-limit", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-open", type=float, default=MIN_OPEN)
    p.add_argument("--open-cost", type=float, default=OPEN_COST)
    p.add_argument("--max-new-areas", type=int, default=None)
    args = p.parse_args()
    if args.size == "national":
        scenario = with_openings(CENTRAL, args.min_open, args.open_cost, args.max_new_areas)
    else:
        from generate import generate          # noqa: PLC0415 - a script next to this one
        areas, years, cohorts = (int(v) for v in args.size.lower().split("x"))
        scenario = with_openings(generate(Path(tempfile.mkdtemp()), areas, years, cohorts, seed=args.seed),
                                 args.min_open, args.open_cost, args.max_new_areas)
    out = compare(scenario, args.gap, args.time_limit)
    a, b = out["allocator"], out["plain"]
    print(f"{args.size}: {out['binaries']:,} binaries, {out['columns']:,} columns, {out['rows']:,} rows")
    print(f"  allocator   {a['seconds']:7.2f} s  gap {_pct(a['gap'])}  {a['status']}  (relaxation "
          f"{a['relaxation_seconds']} s, start {a['rounded']}, nodes {a['nodes']})")
    print(f"  plain HiGHS {b['seconds']:7.2f} s  gap {_pct(b['gap'])}  {b['status']}")
    print(f"  plain / allocator: {out['speedup']:.2f}x")


if __name__ == "__main__":
    main()

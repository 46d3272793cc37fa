"""Integer plans (issue 16): allocator's MIP path against HiGHS on the plain mixed-integer program.

Every area hosting nobody now gets ``min_open`` and an ``open_cost`` (a set-up cost), which makes the
model a mixed-integer program with one 0/1 column per such area and year. Two ways to solve it, in
one run, on the same model:

* **allocator** (``solve_lp``, :mod:`allocator.solvers._mip`): the relaxation, a rounded incumbent,
  HiGHS's branch and bound given that incumbent, the decisions fixed and the LP re-solved;
* **plain HiGHS**: the same mixed-integer program handed to HiGHS as it is (same gap, same seed).

Each is given the same time limit; the table reports seconds, the gap proven and the ratio. Run::

    python benchmarks/opening.py national                     # scenarios/uk-2025/ambitious.yaml
    python benchmarks/opening.py 2000x10x1 --time-limit 60    # generated (benchmarks/generate.py)
    python benchmarks/opening.py --record                     # every case of CASES, in one run:
                                                              # results_opening.json and RESULTS.md

``benchmarks/run.py`` (``make bench``) keeps the section "Integer plans" of RESULTS.md from
``results_opening.json`` (:func:`section`).

``benchmarks/test_opening_bench.py`` runs both at smoke sizes and checks the answers agree.
"""

from __future__ import annotations

import argparse
import json
import os
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
#: The national case: ambitious procurement, where councils hosting nobody now get a procurement pace
#: (in the central scenario procurement follows today's dispersal areas, so none of them can open).
AMBITIOUS = REPO / "scenarios" / "uk-2025" / "ambitious.yaml"
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


#: The recorded cases: (what, size, min_open, open_cost, max_new_areas, gap, time limit s). The targets of
#: issue 16: the national scenario optimal to 0.1% in 5 s; 2000 × 10 × 1 within 1% in 60 s. In the
#: generated scenario an area hosting nobody may grow by at most 18 people a year, so min_open 20 opens none.
CASES = (
    ("national (ambitious), min_open 20, £5m", "national", 20, 5e6, None, 1e-3, 60.0),
    ("national (ambitious), min_open 20, £1m", "national", 20, 1e6, None, 1e-3, 60.0),
    ("national (ambitious), min_open 20, £5m, at most 3 new areas a year", "national", 20, 5e6, 3, 1e-3, 60.0),
    ("2000 × 10 × 1, min_open 20, £5m (none can open)", "2000x10x1", 20, 5e6, None, 1e-3, 60.0),
    ("2000 × 10 × 1, min_open 10, £1m", "2000x10x1", 10, 1e6, None, 1e-3, 60.0),
    ("2000 × 10 × 1, min_open 10, £1m, at most 20 new areas a year, gap 1%", "2000x10x1", 10, 1e6, 20, 1e-2, 60.0),
)
RESULTS = Path(__file__).resolve().parent / "results_opening.json"
RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
HEADING = "## Integer plans (issue 16): opening decisions against HiGHS on the plain mixed-integer program"


def scenario_of(size: str, min_open: float, open_cost: float, max_new_areas: int | None, seed: int = 0):
    if size == "national":
        return with_openings(AMBITIOUS, min_open, open_cost, max_new_areas)
    from generate import generate          # noqa: PLC0415 - a script next to this one
    areas, years, cohorts = (int(v) for v in size.lower().split("x"))
    return with_openings(generate(Path(tempfile.mkdtemp()), areas, years, cohorts, seed=seed), min_open, open_cost,
                         max_new_areas)


def record() -> None:
    """Measure every case of :data:`CASES` in one run; write :data:`RESULTS` and the section of RESULTS.md."""
    out = []
    for what, size, m, f, most, gap, limit in CASES:
        r = compare(scenario_of(size, m, f, most), gap, limit)
        out.append({"what": what, "gap_asked": gap, "time_limit": limit, **r})
        print(what, f"{r['allocator']['seconds']:.2f} s", _pct(r["allocator"]["gap"]), flush=True)
    RESULTS.write_text(json.dumps({"machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} before",
                                   "cases": out}, indent=1, default=float) + "\n")
    text = RESULTS_MD.read_text(encoding="utf-8")
    head = text.find(HEADING)
    text = (text if head < 0 else text[:head].rstrip("\n") + "\n").rstrip("\n") + "\n\n" + section() + "\n"
    RESULTS_MD.write_text(text, encoding="utf-8")


def section() -> str:
    """The section "Integer plans" of RESULTS.md from :data:`RESULTS` (empty when it has not been recorded)."""
    if not RESULTS.exists():
        return ""
    data = json.loads(RESULTS.read_text(encoding="utf-8"))
    lines = [HEADING, "",
             "Written by `python benchmarks/opening.py --record` (kept here by `make bench`), all in one run on "
             f"{data['machine']}. Every area hosting nobody now gets `min_open` and `open_cost`; *allocator* is "
             "`solve_lp` (the relaxation, a rounded plan, branch and bound from it only when the rounded plan is "
             "not within the gap of the relaxation's bound, the decisions fixed), *plain* is HiGHS on the same "
             "mixed-integer program as it is, same gap and time limit. *national (ambitious)* is "
             "`scenarios/uk-2025/ambitious.yaml` (in the central scenario no council hosting nobody has a procurement "
             "pace, so none can open). Targets: the national scenario optimal to "
             "0.1% in ≤ 5 s; 2000 × 10 × 1 within 1% in ≤ 60 s.", "",
             "| case | binaries | allocator s | gap | status | plain HiGHS s | gap | status | plain / allocator |",
             "|---|---:|---:|---:|---|---:|---:|---|---:|"]
    for c in data["cases"]:
        a, b = c["allocator"], c["plain"]
        lines.append(f"| {c['what']} | {c['binaries']:,} | {a['seconds']:.2f} | {_pct(a['gap'])} | {a['status']} | "
                     f"{b['seconds']:.2f} | {_pct(b['gap'])} | {b['status']} | {c['speedup']:.2f}× |")
    return "\n".join(lines) + "\n"


def _pct(gap: float | None) -> str:
    return "none" if gap is None else f"{gap:.4%}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("size", nargs="?", help="'national' or AREASxYEARSxCOHORTS, e.g. 2000x10x1")
    p.add_argument("--record", action="store_true", help="measure every case of CASES; write RESULTS.md")
    p.add_argument("--gap", type=float, default=1e-3)
    p.add_argument("--time-limit", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-open", type=float, default=MIN_OPEN)
    p.add_argument("--open-cost", type=float, default=OPEN_COST)
    p.add_argument("--max-new-areas", type=int, default=None)
    args = p.parse_args()
    if args.record:
        record()
        return
    scenario = scenario_of(args.size, args.min_open, args.open_cost, args.max_new_areas, args.seed)
    out = compare(scenario, args.gap, args.time_limit)
    a, b = out["allocator"], out["plain"]
    print(f"{args.size}: {out['binaries']:,} binaries, {out['columns']:,} columns, {out['rows']:,} rows")
    print(f"  allocator   {a['seconds']:7.2f} s  gap {_pct(a['gap'])}  {a['status']}  (relaxation "
          f"{a['relaxation_seconds']} s, start {a['rounded']}, nodes {a['nodes']})")
    print(f"  plain HiGHS {b['seconds']:7.2f} s  gap {_pct(b['gap'])}  {b['status']}")
    print(f"  plain / allocator: {out['speedup']:.2f}x")


if __name__ == "__main__":
    main()

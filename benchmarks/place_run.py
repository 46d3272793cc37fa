"""The place-based benchmark (issue 13): 9,000 × 10 × 3 with hotels by area, the supported
pressure basis, protection and progressive equity, against the plain formulation of the same model.

    python benchmarks/place_run.py                  # about 10-20 minutes on 2 cores; rewrites PLACE_RESULTS.md
    python benchmarks/place_run.py --size 2000 10 3 # a smaller try

The scenario is ``benchmarks/generate.py --place`` (seed 0; :func:`generate.add_place` says what it
adds). Like ``make bench`` (``run.py``), every measurement runs in its own child process, all in one
run, so the ratio compares like with like on whatever load the machine has:

* allocator: load, build and solve on its default path (the price-guided start from 4,000 areas up);
  the plan is verified (exact and whole-people) by the independent verifier;
* plain: :func:`baselines.plain_place_lp` (the textbook core with ``X`` and ``K`` and every limit as a
  row, allocator's own place-based and equity rows), HiGHS with default options, as the issue-4
  baseline; its objective must equal allocator's to 1e-6.

Targets (issue 13): optimal in ≤ 20 s and ≥ 10× faster than the plain baseline, same objective.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (benchmarks/run.py: child processes, machine and versions)

SIZE = (9000, 10, 3)
TARGET_SECONDS = 20.0
TARGET_RATIO = 10.0


def _scenario(size) -> Path:
    from generate import generate

    a, t, h = size
    folder = run.DATA / f"place-{a}x{t}x{h}"
    return folder / "scenario.yaml" if (folder / "scenario.yaml").exists() else generate(folder, a, t, h, place=True)


def job_ours(size, rounds: int) -> dict:
    res = run.time_phases(_scenario(size), rounds)
    res["info"] = {k: v for k, v in res["info"].items() if not isinstance(v, (list, dict))}
    return res


def job_plain(size, time_limit: float | None = None) -> dict:
    from baselines import plain_place_lp

    from allocator import load_scenario
    from allocator.solvers._highs import solve_highs

    sc = load_scenario(_scenario(size))
    t0 = time.perf_counter()
    lp = plain_place_lp(sc)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = solve_highs(lp, time_limit=time_limit, options={"simplex_dual_edge_weight_strategy": -1})   # HiGHS defaults
    return {"build": build, "median": time.perf_counter() - t0, "status": raw.status, "objective": raw.objective,
            "iterations": raw.info.get("simplex_iterations"), "variables": lp.num_col, "rows": lp.num_row,
            "nonzeros": int(lp.A.nnz), "peak_mb": run._peak_mb()}


JOBS = {"ours": job_ours, "plain": job_plain}


def child(kind: str, timeout: float | None = None, **kw) -> dict:
    import subprocess

    spec = json.dumps({"kind": kind, **kw})
    print(f"[{time.strftime('%H:%M:%S')}] {kind} {kw.get('size')} ...", flush=True)
    t0 = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, __file__, "--job", spec], capture_output=True, text=True,
                             check=False, timeout=timeout, cwd=run.REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s (killed)"}
    if out.returncode != 0:
        return {"error": " | ".join((out.stderr or out.stdout).strip().splitlines()[-3:])}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"    done in {time.perf_counter() - t0:.1f} s", flush=True)
    return res


def render(R: dict) -> str:
    """PLACE_RESULTS.md: the run's machine and versions, then :func:`body`."""
    m = R["machine"]
    L = ["# Place-based benchmark (issue 13)", "",
         "Written by `python benchmarks/place_run.py`; every figure below was measured in that one run, each "
         "measurement in its own child process. Scenario: `benchmarks/generate.py --place` (seed 0): contingency "
         "by area (hotels in about 3% of the areas), `pressure_basis: supported` (with an `initial` column), "
         "`protect` (`no_net_growth`, the top 5% of rates at the start) and progressive equity (steps 1, 1.25, "
         "1.5 × the fair share, weights 1, 3, 10).", "",
         f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB; load average before the run "
         f"{', '.join(f'{x:.2f}' for x in m['load_before'])}. Run took {R['minutes']:.0f} min.", "",
         "Versions: " + ", ".join(f"{k} {v}" for k, v in R["versions"].items()) + ".", ""]
    return "\n".join(L + body(R)) + "\n"


def section() -> str:
    """The section of benchmarks/RESULTS.md on the place-based features, from the last recorded run
    (``place_results.json``; empty when there is none)."""
    path = HERE / "place_results.json"
    if not path.exists():
        return ""
    R = json.loads(path.read_text(encoding="utf-8"))
    m = R["machine"]
    head = ["## The place-based features (issue 13)", "",
            f"Recorded by `python benchmarks/place_run.py` in its own run (load average before it "
            f"{', '.join(f'{x:.2f}' for x in m['load_before'])}; versions as in "
            "[PLACE_RESULTS.md](PLACE_RESULTS.md), which has the scenario), not by `make bench`:", ""]
    return "\n".join(head + body(R))


def body(R: dict) -> list[str]:
    """The table of both solves, allocator's phases and the targets."""
    ours, plain, size = R["ours"], R["plain"], R["size"]
    label = " × ".join(str(x) for x in size)
    if "error" in ours:
        return [f"allocator failed: {ours['error']}", ""]
    med = ours["median"]
    info = ours["info"]
    L = ["| | variables | rows | nonzeros | solve s | status | objective |", "|---|---:|---:|---:|---:|---|---:|",
         f"| allocator (default path) | {ours['variables']:,} | {ours['rows']:,} | {ours['nonzeros']:,} | "
         f"{med['solve']:.1f} | {ours['status']} | {ours['objective']:,.2f} |"]
    if "error" in plain:
        L.append(f"| plain formulation, HiGHS defaults | | | | – | {plain['error']} | |")
    else:
        objective = "–" if plain["objective"] is None else f"{plain['objective']:,.2f}"
        L.append(f"| plain formulation, HiGHS defaults | {plain['variables']:,} | {plain['rows']:,} | "
                 f"{plain['nonzeros']:,} | {plain['median']:.1f} | {plain['status']} | {objective} |")
    L += ["", f"allocator's phases at {label}: " + ", ".join(f"{k} {v:.2f} s" for k, v in med.items())
          + f"; peak {ours['peak_mb']:,.0f} MB; verifier failures: {len(ours['verifier_failures'])}.",
          f"Price-guided start: {info.get('start')}; sample of {info.get('sample_areas')} areas "
          f"{info.get('sample_seconds')} s, area plans ({info.get('price_rounds')} price rounds) "
          f"{info.get('area_seconds')} s, whole model {info.get('final_seconds')} s "
          f"({info.get('simplex_iterations')} iterations).", "", "| target | measured | met? |", "|---|---|---|"]
    solve = med["solve"]
    L.append(f"| {label} with the place-based features optimal in ≤ {TARGET_SECONDS:.0f} s | {solve:.1f} s "
             f"({ours['status']}) | {'yes' if solve <= TARGET_SECONDS and ours['status'] == 'optimal' else 'no'} |")
    if "error" not in plain:
        ratio = plain["median"] / solve
        stopped = plain["status"] != "optimal"          # the plain baseline's time limit: the ratio is a lower bound
        L.append(f"| … ≥ {TARGET_RATIO:.0f}× faster than the plain-formulation HiGHS baseline | "
                 f"{'at least ' if stopped else ''}{ratio:.1f}× (plain {plain['median']:.1f} s, {plain['status']}) | "
                 f"{'yes' if ratio >= TARGET_RATIO else 'no'} |")
        full = R.get("plain_optimum")
        if stopped and full and full.get("status") == "optimal":
            L.append(f"| … to the plain baseline's optimum (a separate run) | {full['median'] / solve:.1f}× "
                     f"(plain {full['median']:,.0f} s, optimal) | {'yes' if full['median'] / solve >= TARGET_RATIO else 'no'} |")
        if stopped and full and full.get("status") == "optimal":
            same = run.same(ours["objective"], full["objective"])
            L.append(f"| … with the same objective (1e-6 relative) | allocator {ours['objective']:,.2f}, plain "
                     f"{full['objective']:,.2f} (solved to its optimum in a separate run: {full['median']:,.0f} s, "
                     f"{full['iterations']:,} iterations) | {'yes' if same else 'no'} |")
        elif stopped:
            L.append(f"| … with the same objective (1e-6 relative) | plain stopped at its limit before its optimum "
                     f"(allocator {ours['objective']:,.2f}) | not measured |")
        else:
            same = run.same(ours["objective"], plain["objective"])
            L.append(f"| … with the same objective (1e-6 relative) | allocator {ours['objective']:,.2f}, plain "
                     f"{plain['objective']:,.2f} | {'yes' if same else 'no'} |")
    return L + [""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--job")
    ap.add_argument("--size", nargs=3, type=int, default=list(SIZE))
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--plain-limit", type=float, default=1800.0,
                    help="time limit (s) of the plain baseline (stopped there, the ratio is a lower bound)")
    ap.add_argument("--out", default=str(HERE / "PLACE_RESULTS.md"))
    ap.add_argument("--plain-to-optimum", type=float, metavar="LIMIT",
                    help="only solve the plain baseline again with this time limit (s), to compare its optimum "
                         "with the recorded allocator objective; adds it to place_results.json and the results")
    a = ap.parse_args()
    if a.job:
        spec = json.loads(a.job)
        print(json.dumps(JOBS[spec.pop("kind")](**spec), default=str))
        return
    if a.plain_to_optimum:
        path = HERE / "place_results.json"
        R = json.loads(path.read_text(encoding="utf-8"))
        R["plain_optimum"] = child("plain", timeout=a.plain_to_optimum + 600, size=R["size"],
                                   time_limit=a.plain_to_optimum)
        path.write_text(json.dumps(R, indent=1, default=str), encoding="utf-8")
        Path(a.out).write_text(render(R), encoding="utf-8")
        print(f"wrote {a.out}")
        return
    t0 = time.time()
    R = {"size": a.size, "machine": run.machine(), "versions": run.versions()}
    R["ours"] = child("ours", size=a.size, rounds=a.rounds)
    R["plain"] = child("plain", timeout=a.plain_limit + 600, size=a.size, time_limit=a.plain_limit)
    R["minutes"] = (time.time() - t0) / 60
    (HERE / "place_results.json").write_text(json.dumps(R, indent=1, default=str), encoding="utf-8")
    Path(a.out).write_text(render(R), encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()

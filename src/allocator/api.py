"""The pipeline as one call: prepare → build → solve → verify → interpret.

>>> from allocator import load_scenario, solve          # doctest: +SKIP
>>> plan = solve(load_scenario("scenarios/example"))     # doctest: +SKIP
"""

from __future__ import annotations

import functools
import platform
import time
from importlib import metadata

import numpy as np
import pandas as pd

from allocator.data import ModelData, prepare
from allocator.diagnose import diagnose_infeasible
from allocator.explain import binding
from allocator.errors import SolverError, TimeLimitError, VerificationError
from allocator.model import LinearProgram, build_lp
from allocator.opening import opening_summary
from allocator.fairness import basis_start
from allocator.interpret import end_position, interpret, start_position
from allocator.plan import Plan
from allocator.place import Hotels, hotel_solution, new_sites_while_empty
from allocator.rounding import whole_plan
from allocator.scenario import Scenario
from allocator.solvers import DEFAULT_GAP, RawSolution, solve_lp
from allocator.status import Status
from allocator.verify import verify_plan


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("allocator", "numpy", "scipy", "pandas", "highspy", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def solve(scenario: Scenario, *, solver: str = "highs", time_limit: float | None = None,
          verify: bool = True, options: dict | None = None, start: str = "auto",
          keep_trivial: bool = False, gap: float = DEFAULT_GAP) -> Plan:
    """Solve a scenario and return a verified :class:`~allocator.plan.Plan`.

    Parameters
    ----------
    scenario : from :func:`allocator.load_scenario`, possibly varied with ``with_policy`` etc.
    solver : ``"highs"`` (default), ``"ortools"`` or ``"pulp"``
    time_limit : seconds; when hit, the best feasible plan found is returned with
        status ``time_limit`` and ``summary["gap"]``, its relative gap to a valid lower bound
        (``summary["incumbent"]`` says where it came from: ``solver`` or ``price_start``).
        Check :func:`allocator.status.proven_optimal` before trusting it as optimal
    keep_trivial : when the time limit leaves nothing better than the always-feasible plan that
        places nobody new, return that plan (``summary["incumbent"] == "nobody_new"``) instead
        of raising ``TimeLimitError`` (the CLI's ``--write-incomplete``)
    verify : run the independent verifier (default; a failing plan raises)
    options : HiGHS options by name, e.g. ``{"simplex_strategy": 4}``
    gap : the relative optimality gap an integer plan (opening decisions: ``min_open``, ``open_cost``,
        ``lead_time``, ``policy.max_new_areas``) is solved to, default 0.001 (0.1%); the gap proven is
        ``summary["gap"]``. A linear plan is solved to optimality whatever it is
    start : how HiGHS starts: ``"auto"`` (the price-guided start from 4,000 areas up),
        ``"prices"`` (always) or ``"cold"`` (HiGHS's own start). Every start reaches the same
        optimum; see docs/performance.md

    Raises
    ------
    InfeasibleError : hard constraints conflict (with the years and the shortfall)
    TimeLimitError : the time limit was hit before the solver found any plan better than
        "nobody newly placed" (unless ``keep_trivial``)
    VerificationError : the plan broke a rule when recomputed from the scenario
    SolverError : the solver is missing or failed
    """
    t0 = time.perf_counter()
    d = prepare(scenario)
    lp = build_lp(d)
    t1 = time.perf_counter()
    raw = solve_lp(lp, solver=solver, time_limit=time_limit, options=options, data=d, start=start, gap=gap)
    t2 = time.perf_counter()
    if raw.status == Status.UNBOUNDED:
        raise SolverError("the solver reports the model unbounded; please report this scenario as a bug")
    if raw.status == Status.INFEASIBLE:
        raise diagnose_infeasible(d, lp)
    if raw.status == Status.TIME_LIMIT and (raw.x is None or (trivial(raw) and not keep_trivial)):
        raise TimeLimitError(time_limit_message(time_limit, raw))
    if raw.x is None:
        raise SolverError(f"the solver {raw.solver} failed: {raw.message or raw.status}")
    return finish(scenario, d, lp, raw, build_seconds=t1 - t0, solve_seconds=t2 - t1, verify=verify)


def trivial(raw: RawSolution) -> bool:
    """Whether ``raw`` is the always-feasible "nobody newly placed" plan a time limit falls back on."""
    return raw.info.get("fallback") == "nobody_new"


def time_limit_message(time_limit: float | None, raw: RawSolution) -> str:
    """Why a time limit left no plan worth having (the ``TimeLimitError`` message)."""
    limit = f"the time limit of {time_limit:g} s" if time_limit is not None else "a solver limit"
    if raw.x is None:
        return f"{limit} was reached before any feasible plan was found; raise --time-limit"
    gap = f" (gap {raw.gap:.1%})" if raw.gap is not None else ""
    return (f"{limit} was reached before the solver found any plan better than "
            f"the always-feasible one that places nobody new{gap}; raise --time-limit, or write that plan "
            "anyway with --write-incomplete (keep_trivial=True in Python)")


def finish(scenario: Scenario, d: ModelData, lp: LinearProgram, raw: RawSolution, build_seconds: float,
           solve_seconds: float, verify: bool = True) -> Plan:
    """Interpret and verify a solver's raw solution (used by :func:`solve` and the benchmarks)."""
    t2 = time.perf_counter()
    n_a, n_t, n_h = d.shape
    S = lp.value(raw.x, "stock").reshape(n_a, n_t, n_h)
    C = lp.value(raw.x, "contingency").reshape(n_t, n_h)
    hotels = hotel_solution(d, lp, raw.x)
    try:
        R, whole_hotels = whole_plan(d, S, hotels)
    except VerificationError as err:     # say first what is wrong with the exact plan, if anything
        raise VerificationError((verify_plan(scenario, S, C, raw.objective, hotels=hotels) if verify else [])
                                + err.failures) from None
    alloc, traj, regions = interpret(d, S, C, R, whole_hotels)
    limited_by, shadow = binding(d, lp, raw.x, raw.row_dual, raw.col_dual)
    alloc["limited_by"] = limited_by.ravel()
    alloc["shadow_price"] = shadow.ravel()
    t3 = time.perf_counter()
    if verify:
        fails = verify_plan(scenario, S, C, raw.objective, R, traj["contingency"].to_numpy()[:, None],
                            hotels=hotels, whole_hotels=whole_hotels, allocations=alloc)
        if fails:
            raise VerificationError(fails)
    t4 = time.perf_counter()
    summary = {
        "scenario": scenario.name,
        **({"overrides": dict(scenario.overrides)} if scenario.overrides else {}),   # a varied scenario (update, --set)
        "status": Status(raw.status).value,
        "objective": round(float(raw.objective), 6),
        "gap": raw.gap,
        "solver": raw.solver,
        "solver_version": raw.solver_version,
        "solver_start": raw.info.get("start", "cold"),
        "build_seconds": round(build_seconds, 4),
        "solve_seconds": round(solve_seconds, 4),
        "interpret_seconds": round(t3 - t2, 4),
        "verify_seconds": round(t4 - t3, 4),
        "verified": bool(verify),
        "model_size": {"variables": lp.num_col, "rows": lp.num_row, "nonzeros": int(lp.A.nnz)},
        "scenario_sha256": scenario.sha256,
        "input_sha256": dict(scenario.input_hashes),
        "versions": dict(_versions()),
        "headline": {"start": start_position(d), "end": end_position(traj, regions)},
        "inherited_over_cap": [
            {"area_code": str(d.areas["area_code"].iat[i]), "area_name": str(d.areas["area_name"].iat[i]),
             "stock": int(round(d.stock0[i].sum())), "cap": int(d.cluster_cap[i])}
            for i in np.flatnonzero(d.stock0.sum(axis=1) > d.cluster_cap)
        ],
    }
    if d.basis is not None:                 # over the cap on the pressure basis today (allowed only to decline)
        basis = basis_start(d)
        summary["over_cap_on_basis"] = [
            {"area_code": str(d.areas["area_code"].iat[i]), "area_name": str(d.areas["area_name"].iat[i]),
             "basis_total": int(round(basis[i])), "cap": int(d.cluster_cap[i])}
            for i in np.flatnonzero(basis > d.cluster_cap)
        ]
    summary.update(opening_summary(d, R, raw.info))   # integer plans only: the gap asked, the areas opened
    empty = new_sites_while_empty(d, hotels, traj)    # new sites while hotel places stood empty (docs/model.md)
    if empty is not None:
        summary["new_sites_while_hotel_places_empty"] = empty
    if raw.status == Status.TIME_LIMIT:     # where the plan came from (optimal plans keep their summary as it was)
        summary["incumbent"] = raw.info.get("fallback", "solver")
    return Plan(alloc, traj, regions, summary, exact_stock=S, exact_contingency=C,
                start=start_table(d, whole_hotels), exact_hotels=hotels)


def start_table(d: ModelData, hotels: Hotels | None = None) -> pd.DataFrame:
    """Today's position per area (the plan's ``start.csv``): what reports and maps show as "now";
    with hotels by area, the people in its hotels now and the first year its hotels are closed in the plan (and
    the areas column ``hotels_close_by``, where the scenario has it)."""
    stock = np.round(d.stock0.sum(axis=1)).astype(np.int64)
    table = pd.DataFrame({
        "area_code": d.areas["area_code"].to_numpy(), "area_name": d.areas["area_name"].to_numpy(),
        "region": d.areas["region"].to_numpy(), "status": d.areas["status"].to_numpy(),
        "population": np.round(d.population).astype(np.int64), "stock": stock,
        "cap": d.cluster_cap.astype(np.int64), "rate_per_10k": np.round(stock / d.population * 1e4, 2),
    })
    if d.basis is not None:
        basis = basis_start(d)
        table["basis_total"] = np.round(basis).astype(np.int64)
        table["basis_rate_per_10k"] = np.round(basis / d.population * 1e4, 2)
    if d.protected is not None:
        table["protected"] = d.protected
    if hotels is not None:
        table["contingency"] = np.round(d.hotel0).astype(np.int64)
        closed = hotels.places == 0                                              # (A,T)
        ever = (d.hotel_places0 > 0) & closed.any(axis=1)
        table["hotels_close"] = pd.Series(d.years[closed.argmax(axis=1)]).where(ever).astype("Int64")
        if "hotels_close_by" in d.areas.columns:              # the rule's date, which explain quotes
            table["hotels_close_by"] = pd.to_numeric(d.areas["hotels_close_by"]).round().astype("Int64").to_numpy()
    return table

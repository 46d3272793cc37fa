"""Solving one sweep point: a pure task, the same row wherever and however often it runs.

:func:`solve_point` applies the point's parameters to the base scenario, solves it (from scratch,
as ``allocator solve`` does, by default; with ``warm``, from a cached model of the same structure
when it can: :func:`structural_keys`), verifies the plan and returns its row of headline figures
(:func:`allocator.headline.headline`);
:func:`flatten` makes that row one line of the results table.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from allocator.data import ModelData, prepare
from allocator.diagnose import diagnose_infeasible
from allocator.errors import AllocatorError, ScenarioError, VerificationError
from allocator.headline import FINAL_SPREAD, basis_label, final_spread, headline
from allocator.model import LinearProgram, build_lp
from allocator.place import hotel_solution
from allocator.rounding import whole_plan
from allocator.scenario import Scenario
from allocator.status import Status
from allocator.sweep.params import _canon, apply_params, point_id
from allocator.testhooks import gate
from allocator.verify import verify_plan
from allocator.warm import WarmSolver, solve_cold, structure_difference

#: Columns that record how long a point took: the only ones that differ between two runs of a sweep.
TIMING_COLUMNS = ("solve_seconds", "point_seconds")


_local = threading.local()


def _warm_solver(base: Scenario, reference: dict[str, Any], base_sha: str | None = None):
    """This thread's warm solver for ``base`` with the ``reference`` parameters applied.

    Built and solved once per thread, then reused for every point of the same
    model structure. ``reference`` holds the point's values of the keys that
    change the structure (see :func:`structural_keys`), so the reference basis
    depends on the point alone, never on the order points arrive in.
    """
    cache: dict = getattr(_local, "solvers", None) or {}
    _local.solvers = cache
    key = point_id(reference, base_sha or base.sha256)
    if key not in cache:
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[key] = WarmSolver(build_lp(prepare(apply_params(base, reference))))
    return cache[key]


def structural_keys(scenario: Scenario, points: list[dict[str, Any]], *, limit: int = 25) -> list[str]:
    """The swept keys whose values change the model's structure (rows, columns or coefficients).

    Each distinct value of each key (for a key with more than ``limit`` numeric
    values: its ends and ``limit`` evenly spaced ones) is applied alone to the
    base scenario and its LP compared with the base LP. A structural value that
    is missed costs speed, never correctness: its points are solved cold, with
    ``warm_note`` saying why. Points that differ in these keys get a
    warm-start model of their own; points that differ only in other keys share one.
    """
    base_lp = build_lp(prepare(scenario))
    found = []
    keys: list[str] = []
    for p in points:
        keys += [k for k in p if k not in keys]
    for key in keys:
        distinct: dict[Any, Any] = {}
        for p in points:
            if key in p:
                distinct.setdefault(_canon(p[key]), p[key])
        values = list(distinct.values())
        if len(values) > limit:          # a long numeric range: its ends and evenly spaced values between
            numbers = sorted(v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool))
            others = [v for v in values if not (isinstance(v, (int, float)) and not isinstance(v, bool))]
            step = max(1, len(numbers) // limit)
            values = others + numbers[::step] + numbers[-1:]
        for v in values:
            try:
                lp = build_lp(prepare(apply_params(scenario, {key: v})))
            except AllocatorError:
                continue
            if structure_difference(base_lp, lp) is not None:
                found.append(key)
                break
    return found


def _shortfall(d: ModelData, lp: LinearProgram) -> dict[str, Any]:
    """What an infeasible point lacks, from the same diagnosis as ``allocator solve``.

    ``shortfall_by_year``: dispersal places short at the end of each ceiling year (the
    smallest raise of that year's contingency ceiling); ``shortfall_peak``: the largest of
    them. Years are never added: the people short in one year are mostly those short the
    next, so a sum over years counts them again. ``extra_bed_spaces``:
    the fewest bed spaces beyond capacity and procurement pace that would make it
    feasible, when that lever alone can.
    """
    try:
        err = diagnose_infeasible(d, lp)
    except AllocatorError as e:   # pragma: no cover - the diagnosis itself failed
        return {"message": str(e)}
    rel = getattr(err, "relaxations", []) or []
    ceiling = [r for r in rel if "places_short" in r and r.get("option", "ceiling") in ("ceiling", "all")]
    beds = [r for r in rel if r.get("lever") == "capacity" and r.get("option", "capacity") == "capacity"]
    out: dict[str, Any] = {"message": str(err).splitlines()[0]}
    if ceiling:
        out["shortfall_peak"] = round(max(float(r["places_short"]) for r in ceiling), 2)
        out["shortfall_by_year"] = ";".join(f"{int(r['year'])}:{float(r['places_short']):.0f}"
                                            for r in ceiling if r.get("year") is not None)
    if beds:
        out["extra_bed_spaces"] = round(sum(float(r.get("amount", 0.0)) for r in beds), 2)
    return out


def solve_point(base: Scenario, params: dict[str, Any], pid: str, *, warm: bool = False,
                verify: bool = True, structural: tuple[str, ...] = (), base_sha: str | None = None) -> dict[str, Any]:
    """Solve one sweep point and return its row of headline results.

    Pure and idempotent: the row depends only on ``base``, ``params`` and the
    options (timing columns apart), so a retried or repeated task is harmless.
    Solved from scratch (the default), it is the plan ``allocator solve`` gives for the point; the
    LP can have several equally good plans (docs/model.md), and a ``warm`` start may stop at
    another of them: the same objective, other figures (Gini, highest rate, and, rounded to
    whole people, the cost by up to some £10,000s).
    ``structural`` names the swept keys that change the model's structure
    (:func:`structural_keys`): the warm start begins from the optimal basis of
    the base scenario with this point's values of those keys. ``base_sha`` is
    ``base.sha256``, passed in so that it is not recomputed for every point.
    Never raises for a bad point: an invalid value, an infeasible scenario or a
    verifier failure is recorded in ``status`` and ``message``.
    """
    gate("sweep-point")                 # test hook (allocator.testhooks): inert unless a test set it
    t0 = time.perf_counter()
    row: dict[str, Any] = {"point_id": pid, "params": dict(params), "status": Status.ERROR.value, "warm": False,
                           "warm_note": "", "objective": None, "message": ""}
    try:
        sc = apply_params(base, params)
        d = prepare(sc)
        row["pressure_basis"] = basis_label(d)
        lp = build_lp(d)
        if warm:
            reference = {k: params[k] for k in structural if k in params}
            wr = _warm_solver(base, reference, base_sha).solve(lp)
            if wr.warm:
                raw = wr.raw
                row["warm"] = True
                if reference:
                    row["warm_note"] = "warm from the basis of the base with " + ", ".join(
                        f"{k}={v}" for k, v in reference.items())
            else:
                row["warm_note"] = f"cold: {wr.note}"
                raw = solve_cold(lp, d)
        else:
            row["warm_note"] = "cold: solved as allocator solve solves it (warm starts off)"
            raw = solve_cold(lp, d)
        row["simplex_iterations"] = int(raw.info.get("simplex_iterations", 0))
        row["solve_seconds"] = round(raw.seconds, 6)
        row["status"] = Status(raw.status).value
        years = [int(y) for y in d.years]
        row["years"] = years
        if raw.status == Status.OPTIMAL:
            row["objective"] = float(raw.objective)
            S = lp.value(raw.x, "stock").reshape(d.shape)
            C = lp.value(raw.x, "contingency").reshape(d.shape[1], d.shape[2])
            hotels = hotel_solution(d, lp, raw.x)
            R, whole_hotels = whole_plan(d, S, hotels)
            h = headline(d, S, C, R, whole_hotels=whole_hotels)
            row["headline"] = {k: np.asarray(v).tolist() for k, v in h.items()}
            if verify:
                fails = verify_plan(sc, S, C, raw.objective, R, h["contingency"][:, None], hotels=hotels,
                                    whole_hotels=whole_hotels)
                if fails:
                    row["status"] = Status.VERIFY_FAILED.value
                    row["message"] = "; ".join(fails[:5])
        elif raw.status == Status.INFEASIBLE:
            row.update(_shortfall(d, lp))
        else:
            row["message"] = raw.message
    except ScenarioError as err:
        row["status"] = Status.INVALID.value
        row["message"] = str(err)
    except VerificationError as err:              # no whole-people plan keeps every rule
        row["status"] = "verify_failed"
        row["message"] = "; ".join(err.failures[:5])
    except Exception as err:  # noqa: BLE001 - one bad point must not end a long sweep
        row["status"] = Status.ERROR.value
        row["message"] = f"{type(err).__name__}: {err}"
    row["point_seconds"] = round(time.perf_counter() - t0, 6)
    return row


def current(row: dict[str, Any]) -> bool:
    """Whether a stored point record has every figure :func:`flatten` needs. A solved point written by an
    allocator from before the sweep recorded its pressure basis lacks them (``basis_gini``...), and is then
    solved again rather than shown with figures on another basis."""
    h = row.get("headline")
    return not h or ("pressure_basis" in row and all(key in h for key in FINAL_SPREAD.values()))


def flatten(row: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """A point's stored record -> one flat table row (the fairness columns: :data:`allocator.headline.FINAL_SPREAD`)."""
    out: dict[str, Any] = {"point_id": row["point_id"]}
    for k in keys:
        out[k] = row["params"].get(k)
    out["status"] = row["status"]
    out["warm"] = bool(row.get("warm", False))
    out["warm_note"] = row.get("warm_note", "")
    out["objective"] = row.get("objective")
    out["pressure_basis"] = row.get("pressure_basis", "")
    h = row.get("headline")
    years = row.get("years", [])
    if h:
        out["total_cost"] = round(float(sum(h["total_cost"])), 2)
        for y, c in zip(years, h["contingency"]):
            out[f"contingency_{y}"] = int(c)
        out["dispersed_final"] = int(h["dispersed"][-1])
        out["contingency_final"] = int(h["contingency"][-1])
        out.update(final_spread(h))
    out["shortfall_peak"] = row.get("shortfall_peak")
    out["shortfall_by_year"] = row.get("shortfall_by_year", "")
    out["extra_bed_spaces"] = row.get("extra_bed_spaces")
    out["message"] = row.get("message", "")
    out["simplex_iterations"] = row.get("simplex_iterations")
    for k in TIMING_COLUMNS:
        out[k] = row.get(k)
    return out

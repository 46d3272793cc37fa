"""Sweeps: solve a scenario over a grid (or a Latin hypercube) of parameter values.

>>> from allocator import load_scenario                                   # doctest: +SKIP
>>> from allocator.sweep import parse_set, grid_points, run_sweep         # doctest: +SKIP
>>> axes = [parse_set("policy.cluster_limit=150,200,250"),
...         parse_set("demand.arrivals_scale=0.8:1.2:5")]                 # doctest: +SKIP
>>> result = run_sweep(load_scenario("scenarios/uk-2025/central.yaml"),
...                    grid_points(axes), "out/sweep")                    # doctest: +SKIP
>>> result.table                                                          # doctest: +SKIP

Each point is a set of parameter values applied to the base scenario: dotted
scenario keys (``policy.cluster_limit``, ``objective.equity_weight``,
``demand.arrivals.2027``) or the *virtual keys* in :data:`VIRTUAL_KEYS`
(``demand.arrivals_scale`` multiplies every year's arrivals, and so on).

How a sweep stays correct when things go wrong:

* every point has a stable id, a hash of its parameter values and of the
  scenario's content (:func:`point_id`);
* the task that solves a point (:func:`solve_point`) is pure: the same point
  gives the same row, wherever and however often it runs, so a task may be
  retried or re-run after a lost worker without harm;
* the driver writes each finished point atomically to ``OUT/points/<id>.json``
  as soon as it arrives; a sweep started again over the same folder skips the
  points already there;
* the table (``results.parquet``, ``results.csv``) is assembled from those files,
  sorted by point id, so local and Dask runs give identical tables (apart from
  the timing columns, which say how long each point took).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from allocator.data import ModelData, prepare
from allocator.errors import AllocatorError, Issue, ScenarioError, VerificationError
from allocator.model import LinearProgram, build_lp
from allocator.output import atomic_write_bytes, check_path, input_paths, open_resumable, output_lock, safe_csv
from allocator.scenario import Scenario
from allocator.status import Status

#: Columns that record how long a point took: the only ones that differ between two runs of a sweep.
TIMING_COLUMNS = ("solve_seconds", "point_seconds")


# --------------------------------------------------------------------------- parameters
def _scale_arrivals(sc: Scenario, s: float) -> dict[str, Any]:
    return {"demand.arrivals": {y: v * s for y, v in sc.config.demand.arrivals.items()}}


def _scale_contingency(sc: Scenario, s: float) -> dict[str, Any]:
    return {"costs.contingency_per_person_year": sc.config.costs.contingency_per_person_year * s}


def _scale_columns(prefix: str, whole: bool = False) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    def apply(areas: pd.DataFrame, s: float) -> pd.DataFrame:
        out = areas.copy()
        for col in [c for c in out.columns if c == prefix or c.startswith(prefix + "_")]:
            out[col] = np.floor(out[col] * s + 1e-9) if whole else out[col] * s
        return out
    return apply


@dataclass(frozen=True)
class VirtualKey:
    description: str
    config: Callable[[Scenario, float], dict[str, Any]] | None = None      # -> dotted overrides
    areas: Callable[[pd.DataFrame, float], pd.DataFrame] | None = None     # -> new areas table


#: Keys that are not in the scenario file but scale something in it. Each takes a number >= 0 (1 = unchanged).
VIRTUAL_KEYS: dict[str, VirtualKey] = {
    "demand.arrivals_scale": VirtualKey("multiplies every year's arrivals", config=_scale_arrivals),
    "costs.contingency_scale": VirtualKey("multiplies the cost of a person-year in hotels/contingency",
                                          config=_scale_contingency),
    "costs.place_scale": VirtualKey("multiplies every area's cost_per_place (all cohorts)",
                                    areas=_scale_columns("cost_per_place")),
    "areas.procurement_scale": VirtualKey("multiplies every area's procurement_per_year (all cohorts), "
                                          "rounded down to whole bed spaces",
                                          areas=_scale_columns("procurement_per_year", whole=True)),
}

# Overrides under these keys cannot change how the areas table is read, so the table is
# not parsed again (the settings are still validated in full, as the loader does).
_CONFIG_ONLY_SECTIONS = ("name", "description", "demand", "costs", "objective", "funding")
_CONFIG_ONLY_POLICY = ("policy.cluster_limit", "policy.max_growth", "policy.contingency_ceiling")


def _config_only(key: str) -> bool:
    return key.split(".")[0] in _CONFIG_ONLY_SECTIONS or any(
        key == p or key.startswith(p + ".") for p in _CONFIG_ONLY_POLICY)


def _part(node: dict, part: str) -> Any:
    """A dotted part as the dict's key: year keys (ints) may be written as text."""
    if part not in node and part.lstrip("-").isdigit():
        return int(part)
    return part


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in a nested settings dict (a typo in the last part is caught by validation)."""
    node: Any = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        if not isinstance(node, dict):
            raise KeyError(dotted)
        key = _part(node, part)
        if key not in node:
            raise KeyError(dotted)
        if node[key] is None:
            node[key] = {}
        node = node[key]
    if not isinstance(node, dict):
        raise KeyError(dotted)
    key = _part(node, parts[-1])
    if value is None and isinstance(key, int):
        node.pop(key, None)          # null for one year of a by-year mapping: no value that year
    else:
        node[key] = value


def apply_params(scenario: Scenario, params: dict[str, Any]) -> Scenario:
    """The scenario with one point's parameter values applied (re-validated).

    Dotted keys are applied first, then virtual keys (scales act on the result).
    Raises :class:`ScenarioError` naming the key when a value is not allowed.
    """
    plain = {k: v for k, v in params.items() if k not in VIRTUAL_KEYS}
    virtual = {k: v for k, v in params.items() if k in VIRTUAL_KEYS}
    overrides = dict(plain)
    areas_fns = []
    for key, value in virtual.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ScenarioError(Issue("sweep", f"{key} must be a number >= 0, got {value!r}", field=key))
        spec = VIRTUAL_KEYS[key]
        if spec.areas is not None:
            areas_fns.append((spec.areas, float(value)))
    sc = _override(scenario, overrides) if overrides else scenario
    config_scales: dict[str, Any] = {}
    for key, value in virtual.items():
        spec = VIRTUAL_KEYS[key]
        if spec.config is not None:
            config_scales.update(spec.config(sc, float(value)))
    if config_scales:
        sc = _override(sc, config_scales)
    if areas_fns:
        areas = sc.areas
        for fn, value in areas_fns:
            areas = fn(areas, value)
        sc = sc.with_areas(areas)
    return sc


def _override(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    data = scenario.config.model_dump(mode="python")
    for dotted, value in overrides.items():
        try:
            _set_dotted(data, dotted, value)
        except KeyError:
            known = ", ".join(sorted(VIRTUAL_KEYS))
            raise ScenarioError(Issue("sweep", f"unknown key '{dotted}' (a dotted scenario key such as "
                                               f"policy.cluster_limit, or one of: {known})", field=dotted)) from None
    if all(_config_only(k) for k in overrides):
        from allocator.scenario import _check_config, _validate_config

        config = _validate_config(data, "sweep")
        issues = _check_config(config, "sweep")
        if issues:
            raise ScenarioError(issues)
        return dataclasses.replace(scenario, config=config)
    tops = sorted({k.split(".")[0] for k in overrides})
    return scenario.with_overrides({t: data[t] for t in tops})


# --------------------------------------------------------------------------- axes and points
@dataclass(frozen=True)
class Axis:
    """One swept key: a list of values, or a range ``start:stop:count`` (evenly spaced)."""

    key: str
    values: tuple
    low: float | None = None        # set for ranges: the Latin hypercube samples within [low, high]
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None


def _number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ScenarioError(Issue("sweep", f"'{text}' is not a number"), file="command line") from None
    if not math.isfinite(v):
        raise ScenarioError(Issue("sweep", f"'{text}' is not a finite number"), file="command line")
    return v


def _tidy(v: float) -> float | int:
    """Round away float noise (0.9000000000000001 -> 0.9); whole numbers stay whole."""
    v = float(f"{v:.10g}")
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def parse_set(text: str) -> Axis:
    """``KEY=V1,V2,...`` or ``KEY=START:STOP:COUNT`` -> :class:`Axis`.

    List items are read as YAML scalars: ``250`` is a number, ``l1`` text,
    ``null`` nothing. A range gives COUNT evenly spaced numbers from START to
    STOP inclusive.
    """
    if "=" not in text:
        raise ScenarioError(f"--set expects KEY=VALUES, got '{text}'", file="command line")
    key, spec = (s.strip() for s in text.split("=", 1))
    if not key or not spec:
        raise ScenarioError(f"--set expects KEY=VALUES, got '{text}'", file="command line")
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise ScenarioError(f"--set {key}: a range is START:STOP:COUNT, got '{spec}'", file="command line")
        lo, hi, n = _number(parts[0]), _number(parts[1]), _number(parts[2])
        if n < 1 or not float(n).is_integer():
            raise ScenarioError(f"--set {key}: COUNT must be a whole number >= 1, got '{parts[2]}'",
                                file="command line")
        values = tuple(_tidy(v) for v in np.linspace(lo, hi, int(n)))
        return Axis(key, values, lo, hi)
    values = []
    for token in spec.split(","):
        token = token.strip()
        try:
            value = yaml.safe_load(token) if token else None
        except yaml.YAMLError:
            value = token
        if isinstance(value, float):
            value = _tidy(value)
        if isinstance(value, (dict, list)):
            raise ScenarioError(f"--set {key}: '{token}' is not a single value", file="command line")
        values.append(value)
    return Axis(key, tuple(values))


def grid_points(axes: list[Axis]) -> list[dict[str, Any]]:
    """Every combination of the axes' values (the cartesian grid)."""
    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"a key is swept twice: {keys}", file="command line")
    return [dict(zip(keys, combo)) for combo in itertools.product(*(a.values for a in axes))]


def lhs_points(axes: list[Axis], n: int, seed: int) -> list[dict[str, Any]]:
    """A seeded Latin hypercube sample of ``n`` points.

    Each axis's range is cut into ``n`` equal strata and each stratum is used
    once (scipy's ``qmc.LatinHypercube``). A range axis is sampled anywhere in
    [START, STOP]; a list axis picks the value whose slot the sample falls into.
    """
    from scipy.stats import qmc

    keys = [a.key for a in axes]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"a key is swept twice: {keys}", file="command line")
    if n < 1:
        raise ScenarioError("--lhs needs at least 1 point", file="command line")
    u = qmc.LatinHypercube(d=len(axes), rng=np.random.default_rng(seed)).random(n)
    points = []
    for row in u:
        p: dict[str, Any] = {}
        for axis, x in zip(axes, row):
            if axis.is_range:
                p[axis.key] = float(f"{axis.low + x * (axis.high - axis.low):.6g}")
            else:
                p[axis.key] = axis.values[min(int(x * len(axis.values)), len(axis.values) - 1)]
        points.append(p)
    return points


def _canon(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float, np.integer, np.floating)):
        return repr(float(v))
    return str(v)


def point_id(params: dict[str, Any], scenario_sha256: str) -> str:
    """A stable id for a point: hash of the scenario's content and the parameter values.

    Numbers are compared by value (``200`` and ``200.0`` are the same point);
    the order in which keys are given does not matter.
    """
    payload = json.dumps({"scenario": scenario_sha256, "params": {k: _canon(v) for k, v in params.items()}},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- solving one point
_local = threading.local()


def _warm_solver(base: Scenario, reference: dict[str, Any], base_sha: str | None = None):
    """This thread's warm solver for ``base`` with the ``reference`` parameters applied.

    Built and solved once per thread, then reused for every point of the same
    model structure. ``reference`` holds the point's values of the keys that
    change the structure (see :func:`structural_keys`), so the reference basis
    depends on the point alone, never on the order points arrive in.
    """
    from allocator.warm import WarmSolver

    cache: dict = getattr(_local, "solvers", None) or {}
    _local.solvers = cache
    key = point_id(reference, base_sha or base.sha256)
    if key not in cache:
        if len(cache) >= 8:
            cache.pop(next(iter(cache)))
        cache[key] = WarmSolver(build_lp(prepare(apply_params(base, reference))))
    return cache[key]


def structural_keys(scenario: Scenario, points: list[dict[str, Any]], limit: int = 25) -> list[str]:
    """The swept keys whose values change the model's structure (rows, columns or coefficients).

    Each distinct value of each key (for a key with more than ``limit`` numeric
    values: its ends and ``limit`` evenly spaced ones) is applied alone to the
    base scenario and its LP compared with the base LP. A structural value that
    is missed costs speed, never correctness: its points are solved cold, with
    ``warm_note`` saying why. Points that differ in these keys get a
    warm-start model of their own; points that differ only in other keys share one.
    """
    from allocator.warm import structure_difference

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


def headline(d: ModelData, S: np.ndarray, C: np.ndarray, R: np.ndarray | None = None) -> dict[str, Any]:
    """The sweep's headline figures from an exact solution, per year.

    Computed exactly as :func:`allocator.interpret.interpret` computes the
    trajectory (whole people, lazy procurement schedule, Gini over area rates),
    without building the per-area tables; ``tests/test_sweep.py`` checks the two
    agree. ``R`` is the whole-people stock when the caller has it already.
    """
    from allocator.interpret import capacity_kept, weighted_gini, year_costs
    from allocator.rounding import whole_people

    n_a, n_t, n_h = S.shape
    R = whole_people(d, S) if R is None else R
    total = R.sum(axis=2)
    national = total.sum(axis=0)
    need_int = np.round(d.need.sum(axis=1)).astype(np.int64)
    contingency = need_int - national
    total_cost = year_costs(d, R, *capacity_kept(d, R), contingency)["total_cost"]
    rate = total / d.population[:, None] * 1e4
    return {
        "need": need_int, "dispersed": national, "contingency": contingency, "total_cost": total_cost,
        "gini": np.array([round(weighted_gini(rate[:, t], d.weight), 4) for t in range(n_t)]),
        "max_rate_per_10k": np.round(rate.max(axis=0), 2),
        "areas_over_cap": (total > d.cluster_cap[:, None]).sum(axis=0),
    }


def _shortfall(d: ModelData, lp: LinearProgram) -> dict[str, Any]:
    """What an infeasible point lacks, from the same diagnosis as ``allocator solve``.

    ``shortfall_total`` / ``shortfall_by_year``: dispersal places short at the end of
    each ceiling year (the smallest raise of the contingency ceiling); ``extra_bed_spaces``:
    the fewest bed spaces beyond capacity and procurement pace that would make it
    feasible, when that lever alone can.
    """
    from allocator.api import diagnose_infeasible

    try:
        err = diagnose_infeasible(d, lp)
    except AllocatorError as e:   # pragma: no cover - the diagnosis itself failed
        return {"message": str(e)}
    rel = getattr(err, "relaxations", []) or []
    ceiling = [r for r in rel if "places_short" in r and r.get("option", "ceiling") in ("ceiling", "all")]
    beds = [r for r in rel if r.get("lever") == "capacity" and r.get("option", "capacity") == "capacity"]
    out: dict[str, Any] = {"message": str(err).splitlines()[0]}
    if ceiling:
        out["shortfall_total"] = round(sum(float(r["places_short"]) for r in ceiling), 2)
        out["shortfall_by_year"] = ";".join(f"{int(r['year'])}:{float(r['places_short']):.0f}"
                                            for r in ceiling if r.get("year") is not None)
    if beds:
        out["extra_bed_spaces"] = round(sum(float(r.get("amount", 0.0)) for r in beds), 2)
    return out


def solve_point(base: Scenario, params: dict[str, Any], pid: str, warm: bool = True,
                verify: bool = True, structural: tuple[str, ...] = (), base_sha: str | None = None) -> dict[str, Any]:
    """Solve one sweep point and return its row of headline results.

    Pure and idempotent: the row depends only on ``base``, ``params`` and the
    options (timing columns apart), so a retried or repeated task is harmless.
    ``structural`` names the swept keys that change the model's structure
    (:func:`structural_keys`): the warm start begins from the optimal basis of
    the base scenario with this point's values of those keys. ``base_sha`` is
    ``base.sha256``, passed in so that it is not recomputed for every point.
    Never raises for a bad point: an invalid value, an infeasible scenario or a
    verifier failure is recorded in ``status`` and ``message``.
    """
    from allocator.rounding import whole_people
    from allocator.testhooks import gate
    from allocator.verify import verify_plan
    from allocator.warm import solve_cold

    gate("sweep-point")                 # test hook (allocator.testhooks): inert unless a test set it
    t0 = time.perf_counter()
    row: dict[str, Any] = {"point_id": pid, "params": dict(params), "status": Status.ERROR.value, "warm": False,
                           "warm_note": "", "objective": None, "message": ""}
    try:
        sc = apply_params(base, params)
        d = prepare(sc)
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
                raw = solve_cold(lp)
        else:
            row["warm_note"] = "cold: warm starts switched off"
            raw = solve_cold(lp)
        row["simplex_iterations"] = int(raw.info.get("simplex_iterations", 0))
        row["solve_seconds"] = round(raw.seconds, 6)
        row["status"] = Status(raw.status).value
        years = [int(y) for y in d.years]
        row["years"] = years
        if raw.status == Status.OPTIMAL:
            row["objective"] = float(raw.objective)
            S = lp.value(raw.x, "stock").reshape(d.shape)
            C = lp.value(raw.x, "contingency").reshape(d.shape[1], d.shape[2])
            R = whole_people(d, S)
            h = headline(d, S, C, R)
            row["headline"] = {k: np.asarray(v).tolist() for k, v in h.items()}
            if verify:
                fails = verify_plan(sc, S, C, raw.objective, R, h["contingency"][:, None])
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


def flatten(row: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """A point's stored record -> one flat table row."""
    out: dict[str, Any] = {"point_id": row["point_id"]}
    for k in keys:
        out[k] = row["params"].get(k)
    out["status"] = row["status"]
    out["warm"] = bool(row.get("warm", False))
    out["warm_note"] = row.get("warm_note", "")
    out["objective"] = row.get("objective")
    h = row.get("headline")
    years = row.get("years", [])
    if h:
        out["total_cost"] = round(float(sum(h["total_cost"])), 2)
        for y, c in zip(years, h["contingency"]):
            out[f"contingency_{y}"] = int(c)
        out["dispersed_final"] = int(h["dispersed"][-1])
        out["contingency_final"] = int(h["contingency"][-1])
        out["gini_final"] = float(h["gini"][-1])
        out["max_rate_per_10k_final"] = float(h["max_rate_per_10k"][-1])
        out["areas_over_cap_final"] = int(h["areas_over_cap"][-1])
    out["shortfall_total"] = row.get("shortfall_total")
    out["shortfall_by_year"] = row.get("shortfall_by_year", "")
    out["extra_bed_spaces"] = row.get("extra_bed_spaces")
    out["message"] = row.get("message", "")
    out["simplex_iterations"] = row.get("simplex_iterations")
    for k in TIMING_COLUMNS:
        out[k] = row.get(k)
    return out


# --------------------------------------------------------------------------- files
def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write_point(folder: Path, row: dict[str, Any]) -> Path:
    """Write one finished point to ``folder/points/<id>.json`` atomically."""
    path = folder / "points" / f"{row['point_id']}.json"
    atomic_write_bytes(path, (json.dumps(row, default=_json_default, sort_keys=True, allow_nan=False) + "\n").encode())
    return path


def read_point(folder: Path, pid: str) -> dict[str, Any] | None:
    """A finished point, or ``None`` when it is missing or unreadable (then it is solved again)."""
    path = folder / "points" / f"{pid}.json"
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return row if isinstance(row, dict) and row.get("point_id") == pid else None


# --------------------------------------------------------------------------- the driver
@dataclass
class SweepResult:
    table: pd.DataFrame
    folder: Path
    solved: int                 # points solved in this run
    skipped: int                # points found finished in the folder and not solved again
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)   # points by status

    @property
    def points_per_minute(self) -> float:
        return 60.0 * self.solved / self.seconds if self.seconds > 0 and self.solved else float("nan")


def build_table(folder: Path, ids: list[str], keys: list[str]) -> pd.DataFrame:
    rows = []
    for pid in sorted(ids):
        row = read_point(folder, pid)
        if row is not None:
            rows.append(flatten(row, keys))
    table = pd.DataFrame(rows)
    for col in ("shortfall_total", "extra_bed_spaces"):
        if col in table:
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
    if not table.empty:
        # one column order whatever the first row held
        first = ["point_id", *keys, "status", "warm", "warm_note", "objective", "total_cost"]
        years = sorted(c for c in table.columns if c.startswith("contingency_") and c[12:].isdigit())
        rest = ["dispersed_final", "contingency_final", "gini_final", "max_rate_per_10k_final",
                "areas_over_cap_final", "shortfall_total", "shortfall_by_year", "extra_bed_spaces", "message",
                "simplex_iterations",
                *TIMING_COLUMNS]
        cols = [c for c in first + years + rest if c in table.columns]
        table = table[cols + [c for c in table.columns if c not in cols]]
    return table


def write_table(folder: Path, table: pd.DataFrame) -> None:
    """``results.parquet`` and ``results.csv``, each written atomically."""
    import io

    buf = io.BytesIO()
    table.to_parquet(buf, index=False)
    atomic_write_bytes(folder / "results.parquet", buf.getvalue())
    atomic_write_bytes(folder / "results.csv", safe_csv(table).to_csv(index=False, lineterminator="\n").encode("utf-8"))


def _manifest(scenario: Scenario, axes_keys: list[str], points: list[dict], ids: list[str], how: dict) -> bytes:
    return (json.dumps({
        "scenario": scenario.name, "scenario_source": str(scenario.source) if scenario.source else None,
        "scenario_sha256": scenario.sha256, "keys": axes_keys, "points": len(ids), **how,
    }, indent=2, default=_json_default) + "\n").encode()


def run_sweep(scenario: Scenario, points: Iterable[dict[str, Any]], out: str | Path, *, workers: int = 2,
              scheduler: str | None = None, warm: bool = True, verify: bool = True, retries: int = 2,
              progress: bool = True, on_point: Callable[[dict], None] | None = None,
              how: dict | None = None) -> SweepResult:
    """Solve every point not already finished in ``out`` and write the table.

    Parameters
    ----------
    scenario : the base scenario
    points : parameter dicts (from :func:`grid_points` or :func:`lhs_points`)
    out : folder for ``points/``, ``results.parquet``, ``results.csv``, ``sweep.json``
    workers : local worker processes (1 = solve in this process); with
        ``scheduler="local"`` the number of Dask workers to start
    scheduler : ``None`` for local processes; a Dask scheduler address
        (``tcp://host:8786``) to run on that cluster; ``"local"`` to start a
        Dask ``LocalCluster`` of ``workers`` processes
    warm : warm-start points whose model structure matches the base scenario
    verify : run the independent verifier on every optimal point
    retries : how many times a task that failed (an exception, a lost worker,
        a broken local pool) is tried again
    on_point : called with each finished point's record, after it is written

    ``out`` must be new, empty or a sweep folder allocator wrote (which is then resumed); its
    lock (:func:`allocator.output.output_lock`) is held for the whole run, so a second sweep
    into the same folder fails at once.
    """
    folder = Path(out)
    check_path(folder, input_paths(scenario))    # before the lock: the current folder, inputs, a path below a file
    with output_lock(folder):
        open_resumable(folder, "sweep", SWEEP_FILES, protect=input_paths(scenario))
        return _sweep_into(folder, scenario, list(points), workers=workers, scheduler=scheduler, warm=warm,
                           verify=verify, retries=retries, progress=progress, on_point=on_point, how=how)


#: What a sweep folder holds (the marker lists them, so that a resumed sweep is recognised).
SWEEP_FILES = ("points", "results.csv", "results.parquet", "sweep.json")


def _sweep_into(folder: Path, scenario: Scenario, points: list[dict[str, Any]], *, workers: int,
                scheduler: str | None, warm: bool, verify: bool, retries: int, progress: bool,
                on_point: Callable[[dict], None] | None, how: dict | None) -> SweepResult:
    """:func:`run_sweep` once the folder is locked and checked."""
    keys: list[str] = []
    for p in points:
        keys += [k for k in p if k not in keys]
    sha = scenario.sha256
    ids: list[str] = []
    by_id: dict[str, dict] = {}
    for p in points:
        pid = point_id(p, sha)
        if pid not in by_id:
            by_id[pid] = p
            ids.append(pid)
    # fail fast on a mistyped key or an impossible value, before any worker starts
    for key in keys:
        seen: list[Any] = []
        for p in points:
            if key in p and not any(_canon(p[key]) == _canon(u) for u in seen):
                seen.append(p[key])
                apply_params(scenario, {key: p[key]})
    structural = tuple(structural_keys(scenario, points)) if warm else ()
    atomic_write_bytes(folder / "sweep.json", _manifest(scenario, keys, points, ids,
                                                        {"warm": warm, "verify": verify,
                                                         "structural_keys": list(structural), **(how or {})}))
    done = {pid for pid in ids if read_point(folder, pid) is not None}
    todo = [pid for pid in ids if pid not in done]
    counts: dict[str, int] = {}
    t0 = time.perf_counter()

    with _Progress(len(ids), len(done), enabled=progress) as bar:
        def finished(row: dict) -> None:
            write_point(folder, row)
            counts[row["status"]] = counts.get(row["status"], 0) + 1
            bar.advance(row["status"])
            if on_point is not None:
                on_point(row)

        tasks = [(pid, by_id[pid]) for pid in todo]
        if not tasks:
            pass
        elif scheduler is not None:
            _run_dask(scenario, tasks, finished, scheduler, workers, warm, verify, retries, structural, sha)
        elif workers <= 1:
            for pid, p in tasks:
                finished(solve_point(scenario, p, pid, warm, verify, structural, sha))
        else:
            _run_processes(scenario, tasks, finished, workers, warm, verify, retries, structural, sha)
    seconds = time.perf_counter() - t0
    table = build_table(folder, ids, keys)
    write_table(folder, table)
    all_counts = table["status"].value_counts().to_dict() if not table.empty else {}
    return SweepResult(table, folder, solved=len(todo), skipped=len(done), seconds=seconds,
                       counts={str(k): int(v) for k, v in all_counts.items()})


def _run_processes(scenario: Scenario, tasks: list[tuple[str, dict]], finished: Callable[[dict], None],
                   workers: int, warm: bool, verify: bool, retries: int, structural: tuple = (),
                   sha: str | None = None) -> None:
    """Local worker processes; a crashed pool is replaced and its unfinished points resubmitted.

    The workers die with this process, even when it is killed with SIGKILL (:mod:`allocator.lifeline`).
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from allocator.lifeline import tie_to_parent

    remaining = dict(tasks)
    attempt = 0
    ctx = multiprocessing.get_context("spawn")   # no fork of a process that may hold solver threads
    while remaining:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=tie_to_parent,
                                   initargs=(os.getpid(),))
        try:
            pending = {pool.submit(solve_point, scenario, p, pid, warm, verify, structural, sha): pid
                       for pid, p in remaining.items()}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    pid = pending.pop(fut)
                    row = fut.result()          # BrokenProcessPool surfaces here
                    remaining.pop(pid, None)
                    finished(row)
        except BrokenProcessPool:
            attempt += 1
            if attempt > retries:
                raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(scenario: Scenario, tasks: list[tuple[str, dict]], finished: Callable[[dict], None],
              scheduler: str, workers: int, warm: bool, verify: bool, retries: int,
              structural: tuple = (), sha: str | None = None) -> None:
    """The same tasks on a Dask cluster. Results are gathered and written here, in the driver."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as err:  # pragma: no cover - a dependency
        from allocator.errors import SolverError

        raise SolverError(f"--scheduler needs dask.distributed ({err}); pip install 'dask[distributed]'") from None
    import pickle

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            from allocator.errors import SolverError

            raise SolverError(f"cannot reach the Dask scheduler at {scheduler} ({err}); start one with "
                              "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`") from None
    try:
        # The scenario is held by the scheduler as a small task of its own, so a worker that
        # dies with it in memory costs a recomputation, never a lost input.
        blob = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
        base = client.submit(pickle.loads, blob, key=f"allocator-scenario-{scenario.sha256[:16]}", pure=False)
        futures = [client.submit(solve_point, base, p, pid, warm, verify, structural, sha, key=f"allocator-point-{pid}",
                                 retries=retries, pure=False) for pid, p in tasks]
        for fut in as_completed(futures):
            finished(fut.result())
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _Progress:
    """A rich progress bar on standard error (only on a terminal)."""

    def __init__(self, total: int, done: int, enabled: bool = True) -> None:
        self.total, self.done, self.enabled = total, done, enabled
        self.failed = 0
        self.progress = None

    def __enter__(self) -> _Progress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        if not console.is_terminal:
            self.enabled = False
            return self
        self.progress = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TextColumn("points"),
                                 TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                 TextColumn("{task.fields[note]}"), console=console, transient=False)
        self.progress.__enter__()
        note = f"({self.done} already done)" if self.done else ""
        self.task = self.progress.add_task("sweep", total=self.total, completed=self.done, note=note)
        return self

    def advance(self, status: str) -> None:
        if status != Status.OPTIMAL:
            self.failed += 1
        if self.progress is not None:
            note = f"{self.failed} not optimal" if self.failed else ""
            self.progress.update(self.task, advance=1, note=note)

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)


def preview(table: pd.DataFrame, keys: list[str], limit: int = 30) -> str:
    """A readable excerpt of the table, sorted by parameter values."""
    if table.empty:
        return "(no points)"
    cols = [c for c in [*keys, "status", "total_cost", "contingency_final", "dispersed_final", "gini_final",
                        "max_rate_per_10k_final", "shortfall_total"] if c in table.columns]
    t = table[cols].sort_values(keys, kind="stable").copy()
    if "total_cost" in t:
        t["total_cost"] = t["total_cost"].map(lambda v: "" if pd.isna(v) else f"£{v / 1e9:,.3f}bn")
    if "shortfall_total" in t and t["shortfall_total"].isna().all():
        t = t.drop(columns="shortfall_total")
    more = f"\n... {len(t) - limit} more rows in the table" if len(t) > limit else ""
    return t.head(limit).to_string(index=False, na_rep="") + more

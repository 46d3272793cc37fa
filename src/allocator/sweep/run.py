"""The sweep driver: solve every point not finished yet, write each as it arrives, then the table.

Points go to local worker processes (:func:`_run_processes`), a Dask cluster
(:func:`_run_dask`, extra ``allocator[distributed]``) or this process; each finished
point is written atomically to ``OUT/points/<id>.json`` by the driver, and the table
(``results.parquet``, ``results.csv``) is assembled from those files, sorted by point id.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)

from allocator.errors import ScenarioError, SolverError
from allocator.extras import needs_extra
from allocator.headline import FINAL_SPREAD
from allocator.inputs import MAX_JSON_BYTES, read_file
from allocator.lifeline import tie_to_parent
from allocator.output import atomic_write_bytes, check_path, input_paths, open_resumable, output_lock, safe_csv
from allocator.scenario import Scenario
from allocator.status import Status
from allocator.sweep.params import _canon, apply_params, point_id
from allocator.sweep.point import TIMING_COLUMNS, current, flatten, solve_point, structural_keys


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
    """A finished point, or ``None`` when it is missing, unreadable or lacks figures the table now has
    (:func:`allocator.sweep.point.current`): then it is solved again."""
    return _load_point(folder, pid)[0]


#: Why a point file in the folder is not used, and the point solved again (:func:`_load_point`).
STALE = {"unreadable": "damaged or unreadable",
         "outdated": "written by an allocator from before the table's pressure-basis figures (gini_final_basis, "
                     "max_rate_per_10k_final_basis): their figures were on dispersal alone"}


def _load_point(folder: Path, pid: str) -> tuple[dict[str, Any] | None, str | None]:
    """:func:`read_point`'s point, and when there is none although the file is there, why (a key of :data:`STALE`)."""
    path = folder / "points" / f"{pid}.json"
    if not path.exists():
        return None, None
    try:                                            # a regular file only: something else there must not hang the sweep
        row = json.loads(read_file(path, MAX_JSON_BYTES, str(path), "a JSON file").decode("utf-8"))
    except (ScenarioError, ValueError):
        return None, "unreadable"
    if not (isinstance(row, dict) and row.get("point_id") == pid):
        return None, "unreadable"
    return (row, None) if current(row) else (None, "outdated")


# --------------------------------------------------------------------------- the driver
@dataclass
class SweepResult:
    table: pd.DataFrame
    folder: Path
    solved: int                 # points solved in this run
    skipped: int                # points found finished in the folder and not solved again
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)   # points by status
    stale: dict[str, int] = field(default_factory=dict)    # point files found but solved again, by why (STALE)

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
    for col in ("shortfall_peak", "extra_bed_spaces"):
        if col in table:
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
    if not table.empty:
        # one column order whatever the first row held
        first = ["point_id", *keys, "status", "warm", "warm_note", "objective", "total_cost"]
        years = sorted(c for c in table.columns if c.startswith("contingency_") and c[12:].isdigit())
        rest = ["dispersed_final", "contingency_final", "pressure_basis", *FINAL_SPREAD, "shortfall_peak",
                "shortfall_by_year", "extra_bed_spaces", "message", "simplex_iterations", *TIMING_COLUMNS]
        cols = [c for c in first + years + rest if c in table.columns]
        table = table[cols + [c for c in table.columns if c not in cols]]
    return table


def write_table(folder: Path, table: pd.DataFrame) -> None:
    """``results.parquet`` and ``results.csv``, each written atomically."""
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
              scheduler: str | None = None, warm: bool = False, verify: bool = True, retries: int = 2,
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
    warm : warm-start points whose model structure matches the base scenario (faster on large sweeps; the
        figures other than the objective may then be those of another, equally good plan than the one
        ``allocator solve`` gives: see docs/sweeps.md). Off by default: every point is solved from
        scratch, as ``allocator solve`` solves it
    verify : run the independent verifier on every optimal point
    retries : how many times a task that failed (an exception, a lost worker,
        a broken local pool) is tried again
    on_point : called with each finished point's record, after it is written

    ``out`` must be new, empty or a sweep folder allocator wrote (which is then resumed); its
    lock (:func:`allocator.output.output_lock`) is held for the whole run, so a second sweep
    into the same folder fails at once.
    """
    if scheduler is not None:                   # a missing extra says so before any point is solved
        with needs_extra("distributed", "running a sweep on Dask (--scheduler)"):
            import distributed  # noqa: F401
    folder = Path(out)
    points = list(points)
    _check_values(scenario, points)              # a mistyped key or an impossible value: before the folder is made
    check_path(folder, input_paths(scenario))    # before the lock: the current folder, inputs, a path below a file
    with output_lock(folder):
        open_resumable(folder, "sweep", SWEEP_FILES, protect=input_paths(scenario))
        return _sweep_into(folder, scenario, points, workers=workers, scheduler=scheduler, warm=warm,
                           verify=verify, retries=retries, progress=progress, on_point=on_point, how=how)


#: What a sweep folder holds (the marker lists them, so that a resumed sweep is recognised).
SWEEP_FILES = ("points", "results.csv", "results.parquet", "sweep.json")


def _check_values(scenario: Scenario, points: list[dict[str, Any]]) -> None:
    """Apply each distinct value of each key once: a mistyped key or an impossible value is an InputError
    (exit 2) before any folder is made or worker started."""
    keys: list[str] = []
    for p in points:
        keys += [k for k in p if k not in keys]
    for key in keys:
        seen: list[Any] = []
        for p in points:
            if key in p and not any(_canon(p[key]) == _canon(u) for u in seen):
                seen.append(p[key])
                apply_params(scenario, {key: p[key]})


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
    structural = tuple(structural_keys(scenario, points)) if warm else ()
    atomic_write_bytes(folder / "sweep.json", _manifest(scenario, keys, points, ids,
                                                        {"warm": warm, "verify": verify,
                                                         "structural_keys": list(structural), **(how or {})}))
    found = {pid: _load_point(folder, pid) for pid in ids}
    done = {pid for pid, (row, _) in found.items() if row is not None}
    todo = [pid for pid in ids if pid not in done]
    stale: dict[str, int] = {}
    for _, why in found.values():
        if why is not None:
            stale[why] = stale.get(why, 0) + 1
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
                finished(solve_point(scenario, p, pid, warm=warm, verify=verify, structural=structural, base_sha=sha))
        else:
            _run_processes(scenario, tasks, finished, workers, warm, verify, retries, structural, sha)
    seconds = time.perf_counter() - t0
    table = build_table(folder, ids, keys)
    write_table(folder, table)
    all_counts = table["status"].value_counts().to_dict() if not table.empty else {}
    return SweepResult(table, folder, solved=len(todo), skipped=len(done), seconds=seconds,
                       counts={str(k): int(v) for k, v in all_counts.items()}, stale=stale)


def _run_processes(scenario: Scenario, tasks: list[tuple[str, dict]], finished: Callable[[dict], None],
                   workers: int, warm: bool, verify: bool, retries: int, structural: tuple = (),
                   sha: str | None = None) -> None:
    """Local worker processes; a crashed pool is replaced and its unfinished points resubmitted.

    The workers die with this process, even when it is killed with SIGKILL (:mod:`allocator.lifeline`).
    """
    remaining = dict(tasks)
    attempt = 0
    ctx = multiprocessing.get_context("spawn")   # no fork of a process that may hold solver threads
    while remaining:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=tie_to_parent,
                                   initargs=(os.getpid(),))
        try:
            pending = {pool.submit(solve_point, scenario, p, pid, warm=warm, verify=verify, structural=structural,
                                   base_sha=sha): pid
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
    with needs_extra("distributed", "running a sweep on Dask (--scheduler)"):
        from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise SolverError(f"cannot reach the Dask scheduler at {scheduler} ({err}); start one with "
                              "`dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`") from None
    try:
        # The scenario is held by the scheduler as a small task of its own, so a worker that
        # dies with it in memory costs a recomputation, never a lost input.
        blob = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
        base = client.submit(pickle.loads, blob, key=f"allocator-scenario-{scenario.sha256[:16]}", pure=False)
        futures = [client.submit(solve_point, base, p, pid, warm=warm, verify=verify, structural=structural,
                                 base_sha=sha, key=f"allocator-point-{pid}",
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


def preview(table: pd.DataFrame, keys: list[str], *, limit: int = 30) -> str:
    """A readable excerpt of the table, sorted by parameter values, and the pressure basis its fairness
    columns are counted on."""
    if table.empty:
        return "(no points)"
    cols = [c for c in [*keys, "status", "total_cost", "contingency_final", "dispersed_final", "gini_final_basis",
                        "max_rate_per_10k_final_basis", "shortfall_peak"] if c in table.columns]
    t = table[cols].sort_values(keys, kind="stable").copy()
    if "total_cost" in t:
        t["total_cost"] = t["total_cost"].map(lambda v: "" if pd.isna(v) else f"£{v / 1e9:,.3f}bn")
    if "shortfall_peak" in t and t["shortfall_peak"].isna().all():
        t = t.drop(columns="shortfall_peak")
    more = f"\n... {len(t) - limit} more rows in the table" if len(t) > limit else ""
    return _basis_note(table) + t.head(limit).to_string(index=False, na_rep="") + more


def _basis_note(table: pd.DataFrame) -> str:
    """The lines over the preview that name the pressure basis of its ``_basis`` columns."""
    if "gini_final_basis" not in table:                     # no point solved
        return ""
    bases = list(dict.fromkeys(table.loc[table["gini_final_basis"].notna(), "pressure_basis"]))
    where = f"the pressure basis, {bases[0]}," if len(bases) == 1 else "each point's pressure basis (pressure_basis)"
    return (f"Final year's Gini and highest rate per 10,000 (_basis) on {where} as the cluster limit\n"
            "and fair shares are judged; results.csv also has them for dispersal alone (_dispersal).\n")

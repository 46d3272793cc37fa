"""Interpret: from the solver's numbers to a readable, checkable plan.

:class:`Plan` holds tidy pandas tables (``allocations``, ``trajectory``,
``regions``) and a ``summary`` dict, and writes them atomically with
:meth:`Plan.write`. :func:`read_plan` reads a written plan back.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import sys
import time
from contextlib import contextmanager
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.data import ModelData
from allocator.errors import InputError, Issue, OutputError
from allocator.rounding import largest_first, round_keeping_total

PLAN_FILES = ("allocations.csv", "trajectory.csv", "regions.csv", "summary.json")


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Gini coefficient of ``values`` (rates) over units weighted by ``weights`` (population).

    0 when every area has the same rate; approaching 1 when one area holds everyone.
    """
    mask = weights > 0
    v, w = values[mask], weights[mask]
    if v.size == 0 or (v * w).sum() <= 0:
        return 0.0
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    wshare = w / w.sum()
    amount = v * w
    lorenz = np.cumsum(amount) / amount.sum()
    prev = np.concatenate([[0.0], lorenz[:-1]])
    return float(1.0 - np.sum(wshare * (lorenz + prev)))


def capacity_schedule(stock: np.ndarray, capacity0: np.ndarray, pace: np.ndarray, years_open: np.ndarray) -> np.ndarray:
    """Latest procurement schedule that has enough bed spaces in time.

    ``stock`` (A,T) whole people; returns capacity (A,T) at the end of each year:
    :math:`K_t = \\max_{\\tau \\le t} L_\\tau`,
    :math:`L_t = \\max(K^0, \\max_{\\tau \\ge t} S_\\tau - q (Y_\\tau - Y_t))` where
    :math:`Y` counts the years the area has been open.
    """
    slack = stock - pace[:, None] * years_open                      # S_tau - q Y_tau
    future = np.maximum.accumulate(slack[:, ::-1], axis=1)[:, ::-1]  # max over tau >= t
    lazy = np.maximum(capacity0[:, None], future + pace[:, None] * years_open)
    return np.maximum.accumulate(lazy, axis=1)


@dataclass
class Plan:
    """A solved, verified change plan.

    Attributes
    ----------
    allocations : one row per area and year (and cohort, when the scenario has cohorts)
    trajectory : one row per year, national figures
    regions : one row per region and year
    summary : status, objective, solver, timings, hashes and headline figures
    """

    allocations: pd.DataFrame
    trajectory: pd.DataFrame
    regions: pd.DataFrame
    summary: dict
    exact_stock: np.ndarray | None = field(default=None, repr=False)
    exact_contingency: np.ndarray | None = field(default=None, repr=False)
    start: pd.DataFrame | None = field(default=None, repr=False)   # today's position per area (start.csv)

    @property
    def status(self) -> str:
        return self.summary.get("status", "unknown")

    @property
    def objective(self) -> float:
        return float(self.summary.get("objective", float("nan")))

    @property
    def plot(self):
        """Figures of this plan: ``plan.plot.trajectory()``, ``plan.plot.map()`` (matplotlib)."""
        from allocator.plot import PlanPlot

        return PlanPlot(self)

    def _repr_html_(self) -> str:
        from allocator.report import plan_summary_html

        return plan_summary_html(self)

    def __repr__(self) -> str:
        h = self.summary.get("headline", {})
        return (f"<Plan {self.summary.get('scenario', '?')!r}: {self.status}, "
                f"objective £{self.objective:,.0f}, {len(self.allocations)} allocation rows, "
                f"final-year contingency {h.get('end', {}).get('contingency', '?')}>")

    def write(self, directory: str | Path, force: bool = False, format: str = "csv",  # noqa: A002
              locked: bool = False) -> Path:
        """Write the plan's files into ``directory`` atomically.

        * The files go into a temporary folder beside ``directory``, which is then
          swapped into place in one step (``renameat2(RENAME_EXCHANGE)`` on Linux; two
          renames elsewhere). A reader, or a run killed at any moment, sees the previous
          complete plan or the new one, never a mix.
        * While writing, ``.<name>.lock`` beside the folder is held (``flock``): a second
          writer to the same folder fails at once instead of interleaving. Pass
          ``locked=True`` when the caller already holds it (:func:`output_lock`).
        * An existing non-empty folder is replaced only with ``force=True``.
        * ``format="xlsx"`` also writes ``plan.xlsx`` (the CSV files stay: they are the plan).

        ``summary.json`` holds everything that follows from the scenario, so two runs write
        byte-identical files; the wall-clock timings go to ``timings.json``.
        """
        if format not in ("csv", "xlsx"):
            raise OutputError(f"unknown plan format '{format}'; use 'csv' or 'xlsx'")
        target = Path(directory)
        if locked:
            return self._write_locked(target, force, format)
        with output_lock(target):
            return self._write_locked(target, force, format)

    def _write_locked(self, target: Path, force: bool, fmt: str) -> Path:
        if target.exists() and not target.is_dir():
            raise OutputError(f"output path {target} exists and is not a folder")
        if target.exists() and any(target.iterdir()) and not force:
            raise OutputError(f"output folder {target} is not empty; use --force (force=True) to replace it")
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(f".{target.name}.tmp-*"):      # left by a killed run; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        for stale in target.parent.glob(f".{target.name}.old-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)          # mkdtemp makes 0700; a plan folder is as readable as any other
        try:
            self._write_files(tmp, fmt)
            if target.exists():
                if _exchange(tmp, target):     # tmp now holds the old plan
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    old = target.parent / f".{target.name}.old-{os.getpid()}"
                    os.replace(target, old)
                    os.replace(tmp, target)
                    shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target

    def _write_files(self, folder: Path, fmt: str = "csv") -> None:
        pause = float(os.environ.get("ALLOCATOR_TEST_WRITE_PAUSE", "0") or 0)   # test hook: widen the window
        tables = [("allocations.csv", self.allocations), ("trajectory.csv", self.trajectory),
                  ("regions.csv", self.regions)]
        if self.start is not None:
            tables.append(("start.csv", self.start))
        for name, table in tables:
            safe_csv(table).to_csv(folder / name, index=False, lineterminator="\n")
            if pause:
                time.sleep(pause)
        if fmt == "xlsx":
            from allocator.excel import write_workbook

            write_workbook(self, folder / "plan.xlsx")
        summary = {k: v for k, v in self.summary.items() if k not in TIMING_KEYS}
        timings = {k: self.summary[k] for k in TIMING_KEYS if k in self.summary}
        for name, payload in (("summary.json", summary), ("timings.json", timings)):
            with open(folder / name, "w", encoding="utf-8", newline="\n") as fh:
                json.dump(payload, fh, indent=2, sort_keys=False, ensure_ascii=False)
                fh.write("\n")


#: Wall-clock measurements: written to timings.json so that summary.json is reproducible.
TIMING_KEYS = ("build_seconds", "solve_seconds", "interpret_seconds", "verify_seconds")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE). False if unsupported."""
    if sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2  # noqa: N806
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


@contextmanager
def output_lock(target: str | Path):
    """Hold ``.<name>.lock`` beside the output folder; fail at once if another run holds it.

    The lock file is removed when the run ends (also on errors and Ctrl-C). A run killed
    with SIGKILL leaves it behind; that is harmless: the lock is the ``flock``, which the
    kernel releases with the process, not the file's existence.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}.lock"
    fh = open(path, "a+")  # noqa: SIM115 - held for the duration
    try:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: best effort only
            pass
        except OSError:
            raise OutputError(f"another allocator run is writing to {target}; wait for it to finish") from None
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)       # still holding the lock: leave no clutter beside the output
    finally:
        fh.close()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_csv(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe.

    Only text values are touched (a number such as -12.5 stays a number). Used for every CSV
    the engine writes: plans, comparisons, sweeps.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            values = out[col].tolist()
            if any(isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values):
                out[col] = ["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values]
    return out


#: Columns a plan table must have to be read back: those ``compare``, ``explain`` and ``report`` use.
PLAN_COLUMNS = {
    "allocations.csv": ("area_code", "area_name", "region", "year", "placements", "stock", "capacity", "fair_share",
                        "cap", "over_cap", "rate_per_10k"),
    "trajectory.csv": ("year", "dispersed", "contingency", "accommodation_cost", "contingency_cost",
                       "procurement_cost", "total_cost"),
    "regions.csv": ("region", "year", "stock", "fair_share", "population", "rate_per_10k"),
    "start.csv": ("area_code", "area_name", "region", "population", "stock"),
}
#: Columns that must hold numbers when they are there; only ``shadow_price`` may be blank ("no tight limit").
PLAN_NUMBERS = ("year", "need", "dispersed", "contingency", "placements", "stock", "capacity", "procured",
                "fair_share", "cap", "rate_per_10k", "funding", "population", "accommodation_cost",
                "contingency_cost", "procurement_cost", "total_cost", "gini", "max_rate_per_10k", "areas_over_cap",
                "areas_hosting")


def read_plan(directory: str | Path) -> Plan:
    """Read a plan written by :meth:`Plan.write` (for ``compare``, ``explain``, ``report`` and notebooks).

    Name and code columns stay text (a region called ``NA`` is not a missing value). A file that
    is cut short, garbled or edited out of shape raises :class:`~allocator.errors.InputError`
    (exit code 2) naming the file, line and column.
    """
    from allocator.inputs import read_plan_json, read_plan_table

    d = Path(directory)
    missing = [f for f in PLAN_FILES if not (d / f).exists()]
    if missing:
        raise OutputError(f"{d} is not a plan folder: missing {', '.join(missing)}")
    tables = {name: read_plan_table(d / name, PLAN_COLUMNS[name], PLAN_NUMBERS)
              for name in PLAN_COLUMNS if name != "start.csv" or (d / name).exists()}
    _check_complete(d, tables)
    summary = read_plan_json(d / "summary.json")
    if (d / "timings.json").exists():
        summary.update(read_plan_json(d / "timings.json"))
    return Plan(allocations=tables["allocations.csv"], trajectory=tables["trajectory.csv"],
                regions=tables["regions.csv"], summary=summary, start=tables.get("start.csv"))


def _check_complete(d: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Every area (of start.csv) and region has a row for each year of the trajectory: no table
    was cut short at a line end, where nothing else would show it."""
    years = tables["trajectory.csv"]["year"]
    if years.empty:
        raise InputError(Issue(str(d / "trajectory.csv"), "the table has no rows: the file was cut short or edited"))
    if years.duplicated().any():
        raise InputError(Issue(str(d / "trajectory.csv"), "a year appears more than once", field="year"))
    for name, key in (("allocations.csv", "area_code"), ("regions.csv", "region")):
        t = tables[name]
        rows = t.groupby([key, "year"], sort=False).size()
        per_key = rows.groupby(level=0, sort=False).size()
        short = per_key[per_key != len(years)]
        odd = np.setdiff1d(t["year"].unique(), years.to_numpy()).tolist()
        if odd or len(short) or rows.nunique() > 1:
            what = (f"years {odd} are not in trajectory.csv" if odd else
                    f"{key} '{short.index[0]}' has rows for {short.iloc[0]} of the {len(years)} years"
                    if len(short) else "the rows per year differ between areas")
            raise InputError(Issue(str(d / name), f"{what}: the file was cut short or edited"))
    pairs = [("start.csv", "allocations.csv", "area_code"), ("allocations.csv", "start.csv", "area_code"),
             ("allocations.csv", "regions.csv", "region")]
    for whole, part, key in pairs:
        if whole in tables and part in tables:
            lost = pd.Index(tables[whole][key].unique()).difference(tables[part][key].unique())
            if len(lost):
                raise InputError(Issue(str(d / part), f"{key} '{lost[0]}' is in {whole} but not in {part}: the file "
                                                      "was cut short or edited"))


def whole_people(d: ModelData, S: np.ndarray) -> np.ndarray:
    """Round the exact stock (A,T,H) to whole people, keeping national totals and limits."""
    n_a, n_t, n_h = S.shape
    room = np.where(d.eligible[:, :, None], np.floor(d.capacity_path + 1e-6), np.ceil(d.inherited - 1e-6))
    room = np.maximum(room, np.ceil(d.inherited - 1e-6))
    cap = np.maximum(d.cluster_cap[:, None], np.ceil(d.inherited.sum(axis=2) - 1e-6))   # (A,T)
    floors = np.floor(S + 1e-9)
    # Each year's whole national total: the exact total rounded, but never above the whole need and
    # never leaving more people in contingency than the whole ceiling allows (round-half-to-even can
    # otherwise overshoot it by one); split over cohorts so that the cohorts add up to it.
    national = national_whole_total(S.sum(axis=(0, 2)), d.need.sum(axis=1), d.ceiling)
    targets = round_keeping_total(S.sum(axis=0).T, total=national)               # (H,T)

    def by_cohorts(order: tuple[int, ...]) -> np.ndarray:
        """Round the cohorts in ``order``, all areas and years at once; each leaves room under the
        cap for the rounded-down values of the cohorts still to come."""
        R = np.zeros(S.shape, dtype=np.int64)
        for k, h in enumerate(order):
            later = floors[:, :, list(order[k + 1:])].sum(axis=2)
            done = R[:, :, list(order[:k])].sum(axis=2)
            limit = np.minimum(room[:, :, h], cap - later - done)
            R[:, :, h] = round_keeping_total(S[:, :, h], limit, total=targets[h])
        return R

    R = by_cohorts(tuple(range(n_h)))
    # An earlier cohort can take an area's last whole place under the cap that a later cohort needed
    # (found by hypothesis: 0.5 of a single rounded up where 2.5 families had to become 3), and the
    # year then misses its national total. Such years are rounded again in the other cohort orders
    # (years are independent here); the first order that meets the total is kept.
    whole = national.astype(np.int64)                                               # (T,) whole numbers already
    short = whole - R.sum(axis=(0, 2))
    for order in itertools.islice(itertools.permutations(range(n_h)), 1, 120):
        if not (short != 0).any():
            break
        other = by_cohorts(order)
        fixed = (short != 0) & (other.sum(axis=(0, 2)) == whole)
        R[:, fixed, :] = other[:, fixed, :]
        short[fixed] = 0
    # When no order meets it (found by hypothesis: 9.5 singles and 0.5 of a family in an area capped
    # at 10), round up other cells of the year, largest fraction first, where the exact plan holds
    # more than the rounded one and there is room, and only in a cohort still below its exact total
    # rounded up (each cohort's whole total stays within a person of its exact one).
    for h in range(n_h):
        if not (short > 0).any():
            break
        free = np.minimum(room[:, :, h] - R[:, :, h], cap - R.sum(axis=2))         # (A,T)
        frac = S[:, :, h] - R[:, :, h]
        below = np.ceil(S[:, :, h].sum(axis=0) - 1e-6) - R[:, :, h].sum(axis=0)    # (T,) units this cohort may take
        can = (free >= 1 - 1e-9) & (frac > 1e-9)
        add = can & largest_first(np.where(can, frac, -1.0), np.minimum(short, below))
        R[:, :, h] += add
        short -= add.sum(axis=0)
    return R


def national_whole_total(exact_total: np.ndarray, need: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """(T,) whole people dispersed each year: ``round(exact_total)`` clipped to
    ``[round(need) - ceil(ceiling), round(need)]`` (ceiling NaN where there is none)."""
    need_int = np.round(need)
    whole_ceiling = np.where(np.isnan(ceiling), np.inf, np.ceil(np.nan_to_num(ceiling) - 1e-9))
    return np.clip(np.round(exact_total), need_int - whole_ceiling, need_int)


def interpret(d: ModelData, S: np.ndarray, C: np.ndarray, R: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tidy tables from the exact stock ``S``, contingency ``C`` and whole-people stock ``R``."""
    n_a, n_t, n_h = S.shape
    prev_exact = np.concatenate([d.stock0[:, None, :], S[:, :-1, :]], axis=1)
    placements_exact = S - (1.0 - d.exit_rate)[None, None, :] * prev_exact
    X = np.stack([round_keeping_total(np.maximum(placements_exact[:, :, h], 0.0)) for h in range(n_h)], axis=2)

    years_open = np.maximum(np.arange(n_t)[None, :] - d.open_year[:, None] + 1, 0)
    K = np.stack([capacity_schedule(R[:, :, h].astype(float), d.capacity0[:, h], d.procurement[:, h], years_open)
                  for h in range(n_h)], axis=2)
    K = np.ceil(K - 1e-9).astype(np.int64)
    procured = np.diff(np.concatenate([np.ceil(d.capacity0 - 1e-9)[:, None, :].astype(np.int64), K], axis=1), axis=1)

    total = R.sum(axis=2)                                                # (A,T)
    prev_total = np.concatenate([np.round(d.stock0.sum(axis=1))[:, None], total[:, :-1]], axis=1)
    national = total.sum(axis=0)                                         # (T,)
    fair = d.share() * national[None, :]
    rate = total / d.population[:, None] * 1e4
    over_cap = total > d.cluster_cap[:, None]
    funding = d.grant_occupied * total + d.grant_new * np.maximum(total - prev_total, 0)

    need_int = np.round(d.need.sum(axis=1)).astype(np.int64)
    contingency_int = need_int - national

    # ---- allocations
    idx_a, idx_t, idx_h = (g.ravel() for g in np.indices((n_a, n_t, n_h)))
    alloc = pd.DataFrame({
        "area_code": d.areas["area_code"].to_numpy()[idx_a],
        "area_name": d.areas["area_name"].to_numpy()[idx_a],
        "region": d.areas["region"].to_numpy()[idx_a],
        "year": d.years[idx_t],
    })
    if n_h > 1:
        alloc["cohort"] = np.asarray(d.cohorts)[idx_h]
    alloc["placements"] = X.ravel()
    alloc["stock"] = R.ravel()
    alloc["capacity"] = K.ravel()
    alloc["procured"] = procured.ravel()
    alloc["fair_share"] = np.round(fair[idx_a, idx_t], 2)
    alloc["cap"] = d.cluster_cap[idx_a].astype(np.int64)
    alloc["over_cap"] = over_cap[idx_a, idx_t]
    alloc["rate_per_10k"] = np.round(rate[idx_a, idx_t], 2)
    if d.grant_occupied or d.grant_new:
        alloc["funding"] = np.round(funding[idx_a, idx_t], 2)

    # ---- trajectory
    accommodation = (d.cost[:, None, :] * R).sum(axis=(0, 2))
    traj = pd.DataFrame({
        "year": d.years,
        "need": need_int,
        "dispersed": national,
        "contingency": contingency_int,
        "placements": X.sum(axis=(0, 2)),
        "accommodation_cost": np.round(accommodation, 2),
        "contingency_cost": np.round(contingency_int * d.hotel_cost, 2),
        "procurement_cost": np.round(procured.sum(axis=(0, 2)) * d.procurement_cost, 2),
    })
    traj["total_cost"] = np.round(traj["accommodation_cost"] + traj["contingency_cost"] + traj["procurement_cost"], 2)
    traj["gini"] = [round(weighted_gini(rate[:, t], d.weight), 4) for t in range(n_t)]
    traj["max_rate_per_10k"] = np.round(rate.max(axis=0), 2)
    traj["areas_over_cap"] = over_cap.sum(axis=0)
    traj["areas_hosting"] = (total > 0).sum(axis=0)
    if d.grant_occupied or d.grant_new:
        traj["funding"] = np.round(funding.sum(axis=0), 2)

    # ---- regions
    region = d.areas["region"].to_numpy()
    frames = []
    for t, year in enumerate(d.years):                                   # T groupbys, vectorised inside
        g = pd.DataFrame({"region": region, "stock": total[:, t], "fair_share": fair[:, t],
                          "population": d.population}).groupby("region", sort=True).sum()
        g.insert(0, "year", year)
        frames.append(g.reset_index())
    regions = pd.concat(frames, ignore_index=True)[["region", "year", "stock", "fair_share", "population"]]
    regions["fair_share"] = regions["fair_share"].round(2)
    regions["rate_per_10k"] = (regions["stock"] / regions["population"] * 1e4).round(2)
    regions["population"] = regions["population"].round().astype(np.int64)
    regions = regions.sort_values(["region", "year"], kind="stable").reset_index(drop=True)
    return alloc, traj, regions


def start_position(d: ModelData) -> dict:
    """Headline figures for today's position (before the first planning year)."""
    total = np.round(d.stock0.sum(axis=1))
    rate = total / d.population * 1e4
    region = pd.DataFrame({"region": d.areas["region"], "stock": total, "population": d.population}) \
        .groupby("region").sum()
    rr = (region["stock"] / region["population"] * 1e4).round(2)
    return {
        "dispersed": int(total.sum()),
        "contingency": int(round(d.contingency0.sum())),
        "areas_over_cap": int((total > d.cluster_cap).sum()),
        "areas_hosting": int((total > 0).sum()),
        "areas_hosting_nobody": int((total == 0).sum()),
        "gini": round(weighted_gini(rate, d.weight), 4),
        "max_rate_per_10k": round(float(rate.max()), 2),
        "highest_region": {"region": str(rr.idxmax()), "rate_per_10k": float(rr.max())},
        "lowest_region": {"region": str(rr.idxmin()), "rate_per_10k": float(rr.min())},
    }


def end_position(traj: pd.DataFrame, regions: pd.DataFrame) -> dict:
    last = traj.iloc[-1]
    final = regions[regions["year"] == last["year"]].set_index("region")["rate_per_10k"]
    return {
        "year": int(last["year"]),
        "dispersed": int(last["dispersed"]),
        "contingency": int(last["contingency"]),
        "areas_over_cap": int(last["areas_over_cap"]),
        "areas_hosting": int(last["areas_hosting"]),
        "gini": float(last["gini"]),
        "max_rate_per_10k": float(last["max_rate_per_10k"]),
        "highest_region": {"region": str(final.idxmax()), "rate_per_10k": float(final.max())},
        "lowest_region": {"region": str(final.idxmin()), "rate_per_10k": float(final.min())},
        "total_cost_all_years": round(float(traj["total_cost"].sum()), 2),
    }

"""The plan: what a solve returns, how it is written and read back.

:class:`Plan` holds tidy pandas tables (``allocations``, ``trajectory``,
``regions``) and a ``summary`` dict, and writes them atomically with
:meth:`Plan.write` (through :mod:`allocator.output`, the writer every command
uses). :func:`read_plan` reads a written plan back.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.errors import InputError, Issue, OutputError
from allocator.excel import write_workbook
from allocator.inputs import read_plan_json, read_plan_table
from allocator.interpret import START
from allocator.output import (  # noqa: F401 - FORMULA_STARTS, output_lock, safe_csv re-exported
    FORMULA_STARTS, TIMING_KEYS, output_lock, safe_csv, write_folder)
from allocator.pages import plan_summary_html
from allocator.plot import PlanPlot
from allocator.testhooks import gate
from allocator.track import track as track_plan

PLAN_FILES = ("allocations.csv", "trajectory.csv", "regions.csv", "summary.json")
#: The files a plan's fingerprint (:meth:`Plan.sha256`) covers, in this order, when present.
HASHED_FILES = ("allocations.csv", "trajectory.csv", "regions.csv", "start.csv", "summary.json")
#: The files ``allocator solve --out`` writes (``plan.xlsx`` too with ``--format xlsx``).
WRITTEN_FILES = (*HASHED_FILES, "timings.json")


def files_sha256(folder: Path) -> str:
    """SHA-256 over the plan files in ``folder`` (:data:`HASHED_FILES`): each file's name and bytes."""
    digest = hashlib.sha256()
    for name in HASHED_FILES:
        path = Path(folder) / name
        if path.is_file():
            data = path.read_bytes()
            digest.update(f"{name}\n{len(data)}\n".encode())
            digest.update(data)
    return digest.hexdigest()


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
    exact_hotels: Any = field(default=None, repr=False)   # allocator.place.Hotels: the exact hotels by area, if any
    folder: Path | None = field(default=None, repr=False)  # the folder it was read from (read_plan), if any

    @property
    def status(self) -> str:
        return self.summary.get("status", "unknown")

    @property
    def objective(self) -> float:
        return float(self.summary.get("objective", float("nan")))

    @property
    def pressure_basis(self) -> str | None:
        """The plan's pressure basis (``supported``, or ``dispersal+contingency+...`` for a list of columns), on
        which its caps, fair shares and protection are judged; None on the dispersal basis (dispersal alone)."""
        basis = self.summary.get("headline", {}).get("start", {}).get("basis")
        return str(basis["pressure_basis"]) if isinstance(basis, dict) and "pressure_basis" in basis else None

    @property
    def plot(self):
        """Figures of this plan (matplotlib): ``plan.plot.trajectory()``, ``plan.plot.map()``,
        ``plan.plot.fair_share()``."""
        return PlanPlot(self)

    def sha256(self) -> str:
        """The plan's fingerprint: SHA-256 over its files (allocations.csv, trajectory.csv, regions.csv,
        start.csv, summary.json) as they are in the folder it was read from, or as :meth:`write` would
        write them. The timings are not part of it. A re-plan records its previous plan's."""
        if self.folder is not None:
            return files_sha256(self.folder)
        with tempfile.TemporaryDirectory(prefix="allocator-plan-") as tmp:
            self._write_files(Path(tmp))
            return files_sha256(Path(tmp))

    def track(self, actual: Any, date: Any, **options: Any) -> Any:
        """Compare this plan with the actual position on ``date``: :func:`allocator.track.track`
        (``actual``: a file, a table, or :func:`allocator.actual.read_actual`'s result)."""
        return track_plan(self, actual, date, **options)

    def _repr_html_(self) -> str:
        return plan_summary_html(self)

    def __repr__(self) -> str:
        h = self.summary.get("headline", {})
        return (f"<Plan {self.summary.get('scenario', '?')!r}: {self.status}, "
                f"objective £{self.objective:,.0f}, {len(self.allocations)} allocation rows, "
                f"final-year contingency {h.get('end', {}).get('contingency', '?')}>")

    def write(self, directory: str | Path, *, force: bool = False, format: str = "csv",  # noqa: A002
              locked: bool = False, protect: Iterable[str | Path] = (),
              extra_files: Callable[[Path], None] | None = None) -> Path:
        """Write the plan's files into ``directory`` atomically (:func:`allocator.output.write_folder`).

        * The files go into a temporary folder beside ``directory``, which is then swapped
          into place in one step: a reader, or a run killed at any moment, sees the previous
          complete plan or the new one, never a mix.
        * While writing, ``.<name>.lock`` beside the folder is held: a second writer to the
          same folder fails at once. Pass ``locked=True`` when the caller already holds it
          (:func:`allocator.output.output_lock`).
        * An existing non-empty folder is replaced only with ``force=True``, and only when
          allocator wrote it and it holds nothing else; never the current folder, an input in
          ``protect`` (e.g. the scenario's files) or a folder that holds one.
        * ``format="xlsx"`` also writes ``plan.xlsx`` (the CSV files stay: they are the plan).
        * ``extra_files(folder)``, when given, adds files of its own into the folder before it is
          swapped in (a re-plan's change list and scenario).

        ``summary.json`` holds everything that follows from the scenario, so two runs write
        byte-identical files; the wall-clock timings go to ``timings.json``.
        """
        if format not in ("csv", "xlsx"):
            raise OutputError(f"unknown plan format '{format}'; use 'csv' or 'xlsx'")
        with write_folder(directory, kind="plan", force=force, protect=protect, locked=locked) as tmp:
            self._write_files(tmp, format)
            if extra_files is not None:
                extra_files(tmp)
        return Path(directory)

    def _write_files(self, folder: Path, fmt: str = "csv") -> None:
        tables = [("allocations.csv", self.allocations), ("trajectory.csv", self.trajectory),
                  ("regions.csv", self.regions)]
        if self.start is not None:
            tables.append(("start.csv", self.start))
        for name, table in tables:
            safe_csv(table).to_csv(folder / name, index=False, lineterminator="\n")
            gate("plan-write")                 # test hook (allocator.testhooks): inert unless a test set it
        if fmt == "xlsx":
            write_workbook(self, folder / "plan.xlsx")
        summary = {k: v for k, v in self.summary.items() if k not in TIMING_KEYS}
        timings = {k: self.summary[k] for k in TIMING_KEYS if k in self.summary}
        for name, payload in (("summary.json", summary), ("timings.json", timings)):
            with open(folder / name, "w", encoding="utf-8", newline="\n") as fh:
                json.dump(payload, fh, indent=2, sort_keys=False, ensure_ascii=False)
                fh.write("\n")


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
    d = Path(directory)
    missing = [f for f in PLAN_FILES if not (d / f).exists()]
    if missing:
        raise InputError(Issue(str(d), f"not a plan folder: missing {', '.join(missing)} (write one with "
                                       "`allocator solve SCENARIO --out DIR`)"))
    tables = {name: read_plan_table(d / name, PLAN_COLUMNS[name], PLAN_NUMBERS)
              for name in PLAN_COLUMNS if name != "start.csv" or (d / name).exists()}
    _check_complete(d, tables)
    summary = read_plan_json(d / "summary.json")
    if (d / "timings.json").exists():
        summary.update(read_plan_json(d / "timings.json"))
    return Plan(allocations=tables["allocations.csv"], trajectory=tables["trajectory.csv"],
                regions=tables["regions.csv"], summary=summary, start=tables.get("start.csv"), folder=d)


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
        if "position" in t.columns:                 # regions.csv's start rows are dated before the first year
            t = t[t["position"] != START]
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

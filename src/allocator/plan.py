"""The plan: what a solve returns, how it is written and read back.

:class:`Plan` holds tidy pandas tables (``allocations``, ``trajectory``,
``regions``) and a ``summary`` dict, and writes them atomically with
:meth:`Plan.write` (through :mod:`allocator.output`, the writer every command
uses). :func:`read_plan` reads a written plan back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.errors import OutputError
from allocator.output import (  # noqa: F401 - FORMULA_STARTS, output_lock, safe_csv re-exported
    FORMULA_STARTS, TIMING_KEYS, output_lock, safe_csv, write_folder)
from allocator.testhooks import gate

PLAN_FILES = ("allocations.csv", "trajectory.csv", "regions.csv", "summary.json")


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

    @property
    def status(self) -> str:
        return self.summary.get("status", "unknown")

    @property
    def objective(self) -> float:
        return float(self.summary.get("objective", float("nan")))

    @property
    def plot(self):
        """Figures of this plan (matplotlib): ``plan.plot.trajectory()``, ``plan.plot.map()``,
        ``plan.plot.fair_share()``."""
        from allocator.plot import PlanPlot   # matplotlib: heavy, and only for figures

        return PlanPlot(self)

    def _repr_html_(self) -> str:
        from allocator.pages import plan_summary_html   # Jinja2: only for notebooks and reports

        return plan_summary_html(self)

    def __repr__(self) -> str:
        h = self.summary.get("headline", {})
        return (f"<Plan {self.summary.get('scenario', '?')!r}: {self.status}, "
                f"objective £{self.objective:,.0f}, {len(self.allocations)} allocation rows, "
                f"final-year contingency {h.get('end', {}).get('contingency', '?')}>")

    def write(self, directory: str | Path, force: bool = False, format: str = "csv",  # noqa: A002
              locked: bool = False, *, protect: Iterable[str | Path] = ()) -> Path:
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

        ``summary.json`` holds everything that follows from the scenario, so two runs write
        byte-identical files; the wall-clock timings go to ``timings.json``.
        """
        if format not in ("csv", "xlsx"):
            raise OutputError(f"unknown plan format '{format}'; use 'csv' or 'xlsx'")
        with write_folder(directory, kind="plan", force=force, protect=protect, locked=locked) as tmp:
            self._write_files(tmp, format)
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
            from allocator.excel import write_workbook

            write_workbook(self, folder / "plan.xlsx")
        summary = {k: v for k, v in self.summary.items() if k not in TIMING_KEYS}
        timings = {k: self.summary[k] for k in TIMING_KEYS if k in self.summary}
        for name, payload in (("summary.json", summary), ("timings.json", timings)):
            with open(folder / name, "w", encoding="utf-8", newline="\n") as fh:
                json.dump(payload, fh, indent=2, sort_keys=False, ensure_ascii=False)
                fh.write("\n")


def read_plan(directory: str | Path) -> Plan:
    """Read a plan written by :meth:`Plan.write` (for ``compare`` and notebooks)."""
    d = Path(directory)
    missing = [f for f in PLAN_FILES if not (d / f).exists()]
    if missing:
        raise OutputError(f"{d} is not a plan folder: missing {', '.join(missing)}")
    return Plan(
        allocations=pd.read_csv(d / "allocations.csv", dtype={"area_code": str}, keep_default_na=False,
                                na_values={"shadow_price": [""]}),   # blank = no tight limit
        trajectory=pd.read_csv(d / "trajectory.csv"),
        regions=pd.read_csv(d / "regions.csv"),
        summary={**json.loads((d / "summary.json").read_text(encoding="utf-8")),
                 **(json.loads((d / "timings.json").read_text(encoding="utf-8")) if (d / "timings.json").exists() else {})},
        start=(pd.read_csv(d / "start.csv", dtype={"area_code": str}, keep_default_na=False)
               if (d / "start.csv").exists() else None),
    )


#: ``position`` in regions.csv: the start (today's people, dated the year before the first
#: planning year) and the end of each planning year.



"""The previous plan's numbers: the table a re-plan keeps councils close to (``previous_plan``).

A scenario may name a table of the numbers an earlier plan gave each council (``previous_plan:
previous.csv``, columns ``area_code``, ``year``, ``stock``: people in dispersal at the end of the
year); with ``objective.stability_weight`` each person a council's number is away from it costs
that much (:func:`allocator.families_replan.add_stability`). ``allocator replan`` writes it; a
user may write one too. This module reads, types and checks the table for the loader
(:func:`read_previous`, :func:`check_previous`, :func:`previous_year_issues`) and turns it into the
model's fields (:func:`previous_fields`); the scenario (:mod:`allocator.scenario`) holds it as
``Scenario.previous``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.errors import Issue, listed
from allocator.inputs import read_csv_text
from allocator.tables import Column, as_text, header_issues, read_table, type_columns

#: The table's columns (docs/scenario-format.md, "The previous plan's table").
PREVIOUS_COLUMNS: tuple[Column, ...] = (
    Column("area_code", "text", True, "", "The area (must be in the areas table)."),
    Column("year", "year", True, "year", "A planning year.", 1900.0, False, 2200.0),
    Column("stock", "number", True, "people", "The previous plan's people in dispersal in the area at the end of "
                                              "the year (whole number).", 0.0, False, 1e8, True),
)


def read_previous(folder: Path, name: str | None, label: str, hashes: dict[str, str]) -> pd.DataFrame | None:
    """The text cells of the table ``previous_plan`` names (None when it names none); its SHA-256 goes
    into ``hashes`` (the scenario's input files)."""
    if name is None:
        return None
    raw, _ = read_table(folder, name, label, "previous_plan", name)
    hashes[name] = hashlib.sha256(raw).hexdigest()
    return read_csv_text(raw, name)


def check_previous(table: pd.DataFrame | None, config: Any, areas: pd.DataFrame,
                   label: str) -> tuple[pd.DataFrame | None, list[Issue]]:
    """The previous plan's table (text cells, or a typed table given again) typed and checked against
    the scenario's areas and years; (None, []) without one."""
    if table is None:
        return None, []
    typed = "stock" in table.columns and pd.api.types.is_numeric_dtype(table["stock"])
    text = as_text(table) if typed else table
    return parse_previous(text, PREVIOUS_COLUMNS, config.years, areas["area_code"], config.previous_plan or label)


def parse_previous(df: pd.DataFrame, columns: Sequence[Any], years: Sequence[int], area_codes: Iterable[str],
                   label: str) -> tuple[pd.DataFrame | None, list[Issue]]:
    """Type and check the previous plan's table (specs ``columns``) against the areas and years:
    one row per area and year at most, every area known, every year a planning year."""
    issues = header_issues(df, columns, label)
    lines = np.asarray(df.attrs.pop("lines", None) or np.arange(len(df)) + 2)
    if issues:
        return None, issues
    codes = df["area_code"].astype(str).tolist()
    out, issues = type_columns(df, columns, label, lines, codes)
    if issues:
        return None, issues
    valid = set(area_codes)
    issues += listed(np.flatnonzero(~out["area_code"].isin(list(valid)).to_numpy()), lambda i: Issue(
        label, f"area '{codes[i]}' is not in the areas table", row=int(lines[i]), field="area_code", area=codes[i]))
    issues += listed(np.flatnonzero(~out["year"].astype(int).isin(list(years)).to_numpy()), lambda i: Issue(
        label, f"{int(out['year'].iat[i])} is not a planning year {list(years)}", row=int(lines[i]), field="year",
        area=codes[i]))
    key = out["area_code"] + "/" + out["year"].astype(int).astype(str)
    issues += listed(np.flatnonzero(key.duplicated().to_numpy()), lambda i: Issue(
        label, f"a second row for {codes[i]} in {int(out['year'].iat[i])}", row=int(lines[i]), field="year",
        area=codes[i]))
    if issues:
        return None, issues
    table = pd.DataFrame({"area_code": out["area_code"], "year": out["year"].astype(int), "stock": out["stock"]})
    return table.reset_index(drop=True), []


def previous_year_issues(previous: pd.DataFrame, years: Sequence[int], label: str) -> list[Issue]:
    """Each row for a year outside the plan: checked again when the years change (``Scenario.update``)."""
    outside = np.flatnonzero(~previous["year"].isin(list(years)).to_numpy())
    return listed(outside, lambda i: Issue(label, f"the previous plan's number for {previous['area_code'].iat[i]} in "
                                                  f"{int(previous['year'].iat[i])}: not a planning year {list(years)}"))


def previous_fields(scenario: Any, years: np.ndarray) -> dict:
    """The model's fields of a re-plan (:class:`allocator.data.ModelData`): ``previous`` (A,T) and
    ``stability_weight``; nothing without a previous plan's table."""
    table = getattr(scenario, "previous", None)
    if table is None or not len(table):
        return {}
    return {"previous": previous_array(table, scenario.areas["area_code"], years),
            "stability_weight": float(scenario.config.objective.stability_weight)}


def previous_array(previous: pd.DataFrame | None, area_codes: pd.Series, years: np.ndarray) -> np.ndarray | None:
    """(A,T) the previous plan's numbers, NaN where the table has none (None without a table)."""
    if previous is None or not len(previous):
        return None
    out = np.full((len(area_codes), len(years)), np.nan)
    row = pd.Index(area_codes).get_indexer(previous["area_code"])
    col = np.searchsorted(years, previous["year"].to_numpy())
    out[row, col] = previous["stock"].to_numpy(float)
    return out

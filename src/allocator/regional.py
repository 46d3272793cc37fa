"""Regional targets (scenario format v2): the regions table, checked and prepared.

An optional top-level key ``regions: regions.csv`` names a table with the columns ``region``,
``year``, ``min_share`` and ``max_share``: each region's least and most share of the national
total on the pressure basis (``policy.pressure_basis``) at the end of the year, 0 to 1, either
left empty for none. They are hard limits (docs/model.md, "Regional shares").

* Loading (called by :mod:`allocator.scenario`): :func:`parse_regions` types and checks the
  table against the areas' regions and the planning years, every problem an ``Issue`` naming the
  file, line and column.
* Preparing (called by :func:`allocator.data.prepare`): :func:`prepare_regions`, the
  ``ModelData`` fields ``region_names``, ``region_min`` and ``region_max``.

A scenario without the key gets none of it: its linear program, hash and plan are v1's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from allocator.errors import Issue, listed
from allocator.tables import Column, as_text, header_issues, type_columns

#: The columns of the regions table (docs/scenario-format.md, "The regions table").
REGION_COLUMNS: tuple[Column, ...] = (
    Column("region", "text", True, "", "A region of the areas table."),
    Column("year", "year", True, "year", "The planning year whose end-of-year share is limited.", 1900.0, False, 2200.0),
    *(Column(name, "number", False, "share", f"The region's {word} share of the national total on the pressure "
             "basis (0 to 1; empty: none).", 0.0, False, 1.0) for name, word in (("min_share", "least"),
                                                                                 ("max_share", "most"))),
)
#: Slack (as a share) for the sum of the minimum shares of a year: up to 1 plus round-off.
SUM_TOL = 1e-9


def parse_regions(df: pd.DataFrame, columns: Sequence[Any], years: Sequence[int], regions: Sequence[str],
                  label: str) -> tuple[pd.DataFrame | None, list[Issue]]:
    """Type and check the regions table (column specs ``columns``) against the areas' ``regions`` and
    the planning ``years``; the typed table (region, year, min_share, max_share, NaN where none) or
    None, and every problem found."""
    issues = header_issues(df, columns, label)
    lines = np.asarray(df.attrs.pop("lines", None) or np.arange(len(df)) + 2)
    if not issues and "min_share" not in df.columns and "max_share" not in df.columns:
        issues.append(Issue(label, "give a column min_share, max_share or both", row=1, field="min_share"))
    if issues:
        return None, issues
    names = df["region"].tolist()
    out, issues = type_columns(df, [c for c in columns if c.name in df.columns], label, lines, [None] * len(df))
    if issues:
        return None, issues
    for name in ("min_share", "max_share"):
        if name not in out:
            out[name] = np.nan
    lo, hi, year = out["min_share"].to_numpy(float), out["max_share"].to_numpy(float), out["year"].to_numpy()

    def bad(mask: np.ndarray, column: str, message) -> None:
        issues.extend(listed(np.flatnonzero(mask), lambda p: Issue(label, message(p), row=int(lines[p]), field=column)))

    region_set = set(regions)
    bad(np.array([n not in region_set for n in names]), "region",
        lambda p: f"region '{names[p]}' is not a region of the areas table ({', '.join(sorted(region_set))})")
    bad(~np.isin(year, list(years)), "year", lambda p: f"{int(year[p])} is not a planning year {list(years)}")
    bad(np.isnan(lo) & np.isnan(hi), "min_share", lambda p: "give a min_share, a max_share or both")
    bad(lo > hi, "max_share", lambda p: f"max_share {hi[p]:g} is below the min_share {lo[p]:g}")
    key = pd.Series(names, dtype=object) + "/" + pd.Series(year).astype(int).astype(str)
    bad(key.duplicated().to_numpy(), "year", lambda p: f"a second row for {names[p]} in {int(year[p])}")
    running = pd.Series(np.nan_to_num(lo)).groupby(year).cumsum().to_numpy()       # per year, in file order
    over = running > 1 + SUM_TOL
    first_over = over & (pd.Series(over).groupby(year).cumsum().to_numpy() == 1)   # the row that tips it over
    bad(first_over, "min_share", lambda p: f"the min_shares for {int(year[p])} add up to more than 1 by this "
        f"row ({running[p]:.6g}): no plan can give every region its minimum share")
    if issues:
        return None, issues
    table = pd.DataFrame({"region": pd.Series(names, dtype=object), "year": year.astype(np.int64),
                          "min_share": lo, "max_share": hi})
    return table.reset_index(drop=True), []


def from_table(regions: pd.DataFrame, config: Any, areas: pd.DataFrame) -> tuple[pd.DataFrame | None, list[Issue]]:
    """:func:`parse_regions` of a regions table read from a file (text cells, with their line numbers) or
    typed (a scenario's, checked again against new areas), against the areas table ``areas`` and the years
    of the scenario's settings ``config``."""
    text = regions if "lines" in regions.attrs else as_text(regions)
    return parse_regions(text, REGION_COLUMNS, config.years, areas["region"].unique().tolist(), config.regions)


def year_issues(table: pd.DataFrame, years: Sequence[int], label: str) -> list[Issue]:
    """Each row of a typed regions table for a year outside the plan (checked again when the years change)."""
    outside = np.flatnonzero(~table["year"].isin(list(years)).to_numpy())
    return [Issue(label, f"the target for {table['region'].iat[i]}: {int(table['year'].iat[i])} is not a planning "
                         f"year {list(years)}", field="year") for i in outside]


def prepare_regions(scenario: Any, years: np.ndarray) -> dict[str, Any]:
    """The ``ModelData`` fields of regional targets: the regions named (R,), in sorted order, and their
    least and most shares (R,T), NaN where none; nothing without a regions table."""
    table = getattr(scenario, "regions", None)
    if table is None or not len(table):
        return {}
    names = tuple(sorted(set(table["region"])))
    r = np.searchsorted(np.array(names, dtype=object), table["region"].to_numpy(dtype=object))
    t = np.searchsorted(years, table["year"].to_numpy())
    low = np.full((len(names), len(years)), np.nan)
    high = low.copy()
    low[r, t] = table["min_share"].to_numpy(float)
    high[r, t] = table["max_share"].to_numpy(float)
    return {"region_names": names, "region_min": low, "region_max": high}


def region_of(areas: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """(A,) each area's index in ``names`` (the regions with targets), -1 where its region has none."""
    return pd.Index(list(names)).get_indexer(areas["region"].astype(str))

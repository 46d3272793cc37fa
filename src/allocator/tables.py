"""Scenario tables as text: find and read them, type their columns, check the agreements.

The loader (:mod:`allocator.scenario`) reads each table as text cells
(:func:`allocator.inputs.read_csv_text`, or an .xlsx sheet) and types it here by a list
of column specs (:class:`Column`; the areas table's are
:data:`allocator.scenario.AREA_COLUMNS`), after checking its header against them
(:func:`header_issues`: a required column missing, a column the engine does not know; one rule for
every scenario table, docs/design.md). Every bad cell becomes an
:class:`~allocator.errors.Issue` with its file, line and column. This module knows no
scenario settings: the specs, the planning years and the area codes come in as arguments.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from allocator.errors import MAX_LISTED, Issue, ScenarioError, capped, listed
from allocator.inputs import MAX_TABLE_BYTES, comma_message, parse_numbers, read_file


@dataclass(frozen=True)
class Column:
    """The spec of one column of a scenario table (also ``allocator.scenario.Column``)."""

    name: str
    kind: Literal["text", "number", "year", "status", "flag"]
    required: bool
    unit: str
    description: str
    minimum: float | None = 0.0
    strict_minimum: bool = False
    maximum: float | None = None
    whole: bool = False          # people and bed spaces come in whole numbers


#: The values of the areas table's ``status`` column.
STATUSES = ("existing", "volunteered", "excluded")
#: The words a flag column (``protect``) accepts, any capitalisation; an empty cell is "not given".
FLAGS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
#: A column of a scenario table whose name starts with this is the user's own (notes, sources, figures kept
#: for a variant): the engine reads it only where a key names it (``policy.pressure_basis``,
#: ``policy.fair_share``). Every other column the engine does not know is refused (docs/design.md).
OWN_PREFIX = "x_"
#: At most this many unknown columns are named one by one; the rest are counted (:attr:`Issue.more`).
MAX_UNKNOWN_NAMED = MAX_LISTED


def resolve_scenario_path(path: str | Path) -> Path:
    """A scenario is a YAML file, or a folder holding ``scenario.yaml``."""
    p = Path(path)
    if p.is_dir():
        candidate = p / "scenario.yaml"
        if not candidate.exists():
            yamls = sorted(p.glob("*.yaml"))
            names = ", ".join(y.name for y in yamls) or "none"
            raise ScenarioError(Issue(str(p), f"folder has no scenario.yaml; YAML files there: {names}"))
        return candidate
    if not p.exists():
        raise ScenarioError(Issue(str(p), "scenario file not found"))
    return p


def resolve_table(base: Path, name: str, label: str, key: str) -> Path:
    """The table ``name`` (the value of the YAML key ``key``), which must be inside the folder ``base``."""
    rel = Path(name)
    if rel.is_absolute():
        raise ScenarioError(Issue(label, f"table path must be relative to the scenario folder, got '{name}'", field=key))
    path = (base / rel)
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ScenarioError(Issue(label, f"table file '{name}' not found next to the scenario ({base})", field=key)) from None
    if not resolved.is_relative_to(base.resolve()):
        raise ScenarioError(Issue(label, f"table path '{name}' leaves the scenario folder; copy the table into it", field=key))
    return resolved


def read_table(base: Path, file_name: str, label: str, key: str, name: str) -> tuple[bytes, Path]:
    """The bytes of a table (a regular file inside the scenario's folder, within the size limit)."""
    path = resolve_table(base, file_name, label, key)
    return read_file(path, MAX_TABLE_BYTES, name, "a table"), path


def header_issues(df: pd.DataFrame, specs: Sequence[Column], label: str) -> list[Issue]:
    """The header of a text table against its column specs: each required column missing, then each column
    the table has that no spec names (:func:`unknown_columns`); every one an Issue on line 1."""
    return missing_columns(df, specs, label) + unknown_columns(df, [c.name for c in specs], label)


def missing_columns(df: pd.DataFrame, specs: Sequence[Column], label: str) -> list[Issue]:
    """An Issue on line 1 for each required column of ``specs`` the table ``df`` does not have."""
    return [Issue(label, "required column is missing", row=1, field=s.name)
            for s in specs if s.required and s.name not in df.columns]


def unknown_columns(df: pd.DataFrame, known: Sequence[str], label: str) -> list[Issue]:
    """An Issue on line 1 for each column of ``df`` that is not in ``known``: a column the engine does not know
    is refused, never ignored (a misspelt ``hotel_close_by`` would leave every hotel open). The message suggests
    the nearest known name (``did you mean 'hotels_close_by'?``), or lists them all. Allowed besides: a column of
    the user's own (:data:`OWN_PREFIX`), and a column with no name and no values (a spreadsheet's trailing
    separator)."""
    names, issues = list(dict.fromkeys(known)), []
    allowed = set(names)
    for k, name in enumerate(map(str, df.columns)):
        if name in allowed or name.startswith(OWN_PREFIX):
            continue
        if name == "":
            if (df.iloc[:, k].astype(str) != "").any():
                issues.append(Issue(label, f"column {k + 1} has no name but holds values; name it, or delete it",
                                    row=1))
            continue
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"the columns are {', '.join(names)}."
        issues.append(Issue(label, f"unknown column; {hint} Or, for a column of your own, name it "
                                   f"'{OWN_PREFIX}{name}'", row=1, field=name))
    return capped(issues, limit=MAX_UNKNOWN_NAMED)


def issue_reporter(issues: list[Issue], label: str, lines: np.ndarray,
                   codes: list) -> Callable[[np.ndarray, str, Any], None]:
    """``bad(mask, column, message)``: one Issue (with its line and area) per row where ``mask`` holds,
    the first :data:`~allocator.errors.MAX_LISTED` listed and the rest counted; ``message`` is text or a
    function of the row's position."""
    def bad(mask: np.ndarray, column: str, message: str | Any) -> None:
        issues.extend(listed(np.flatnonzero(mask), lambda pos: Issue(
            label, message(pos) if callable(message) else message, row=int(lines[pos]), field=column,
            area=codes[pos] or None)))
    return bad


def type_columns(df: pd.DataFrame, specs: Iterable[Column], label: str, lines: np.ndarray,
                 codes: list) -> tuple[pd.DataFrame, list[Issue]]:
    """Type each column of a text table by its spec; every bad cell becomes an Issue with its line."""
    issues: list[Issue] = []
    bad = issue_reporter(issues, label, lines, codes)
    out = pd.DataFrame(index=df.index)
    for spec in specs:
        if spec.name not in df.columns:
            continue
        col = df[spec.name].astype(str)
        empty = (col == "").to_numpy()
        if spec.kind == "text":
            if spec.required:
                bad(empty, spec.name, "empty value")
            out[spec.name] = col
        elif spec.kind == "status":
            low = col.str.lower()
            bad(~low.isin(STATUSES).to_numpy(), spec.name,
                lambda p: f"unknown status '{col.iloc[p]}'; use one of {', '.join(STATUSES)}")
            out[spec.name] = low
        elif spec.kind == "flag":
            low = col.str.lower()
            bad(~empty & ~low.isin(list(FLAGS)).to_numpy(), spec.name,
                lambda p: f"'{col.iloc[p]}' is not true or false")
            out[spec.name] = [FLAGS.get(v) for v in low]
        else:
            out[spec.name] = _numbers(col, empty, spec, bad)
    return out, issues


def _numbers(col: pd.Series, empty: np.ndarray, spec: Column, bad: Callable) -> np.ndarray:
    """A number (or year) column's values; each bad cell reported through ``bad``."""
    values, misplaced_comma = parse_numbers(col)
    if spec.required:
        bad(empty, spec.name, "missing value")
    bad(misplaced_comma, spec.name, lambda p: comma_message(col.iloc[p]))
    notnum = ~empty & np.isnan(values) & ~misplaced_comma
    bad(notnum, spec.name, lambda p: f"not a number: '{col.iloc[p]}'")
    bad(np.isinf(values), spec.name, "must be a finite number")
    finite = np.isfinite(values)
    if spec.kind == "year":
        bad(finite & (values != np.round(values)), spec.name, "must be a whole year")
    elif spec.whole:
        bad(finite & (values != np.round(values)), spec.name,
            lambda p: f"must be a whole number ({spec.unit}), got {values[p]:g}")
    if spec.minimum is not None:
        if spec.strict_minimum:
            bad(finite & (values <= spec.minimum), spec.name,
                lambda p: f"must be greater than {spec.minimum:g}, got {values[p]:g}")
        elif spec.minimum == 0:
            bad(finite & (values < 0), spec.name, lambda p: f"must not be negative, got {values[p]:g}")
        else:
            bad(finite & (values < spec.minimum), spec.name,
                lambda p: f"must be at least {spec.minimum:g}, got {values[p]:g}")
    if spec.maximum is not None:
        bad(finite & (values > spec.maximum), spec.name,
            lambda p: f"{values[p]:g} is above the limit of {spec.maximum:g} for this column")
    return values


def _cell_text(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and math.isnan(v)):
        return ""
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)


def as_text(df: pd.DataFrame) -> pd.DataFrame:
    """A typed table back to the text cells the loader checks (NaN and None become empty).

    Built in one step from all columns: inserting them one by one is quadratic in their number."""
    dup = df.columns[df.columns.duplicated()]
    if len(dup):
        raise ScenarioError(Issue("table (in code)", "column appears more than once", field=str(dup[0])))
    cells = {col: [_cell_text(v) for v in df[col].tolist()] for col in df.columns}
    return pd.DataFrame(cells, index=df.index, columns=df.columns, dtype=object)


def agreement_year_issues(agreements: pd.DataFrame, years: Sequence[int], label: str) -> list[Issue]:
    """Each agreement for a year outside the plan: what :meth:`allocator.scenario.Scenario.update`
    checks again when the years change (the typed table has no line numbers: the area names the row)."""
    outside = np.flatnonzero(~agreements["year"].astype(int).isin(list(years)).to_numpy())
    return [Issue(label, f"the agreement for {agreements['area_code'].iat[i]}: "
                         + _not_a_planning_year(int(agreements["year"].iat[i]), years))
            for i in outside]


def _not_a_planning_year(year: int, years: Sequence[int]) -> str:
    return f"{year} is not a planning year {list(years)}"


def parse_agreements(df: pd.DataFrame, columns: Sequence[Column], years: Sequence[int], area_codes: Iterable[str],
                     label: str) -> tuple[pd.DataFrame | None, list[Issue]]:
    """Type and check the agreements table (specs ``columns``) against the areas and years."""
    issues = header_issues(df, columns, label)
    lines = np.asarray(df.attrs.pop("lines", None) or np.arange(len(df)) + 2)
    if issues:
        return None, issues
    codes = df["area_code"].tolist()
    out, issues = type_columns(df, [c for c in columns if c.name in df.columns], label, lines, codes)
    if issues:
        return None, issues
    for name in ("minimum", "maximum", "exact"):
        if name not in out:
            out[name] = np.nan
    lo, hi, ex = out["minimum"].to_numpy(), out["maximum"].to_numpy(), out["exact"].to_numpy()
    where = lambda i, f, m: Issue(label, m, row=int(lines[i]), field=f, area=codes[i])  # noqa: E731
    valid_codes = set(area_codes)
    for i in range(len(out)):                       # agreements are a short, hand-written list
        if codes[i] not in valid_codes:
            issues.append(where(i, "area_code", f"area '{codes[i]}' is not in the areas table"))
        if int(out["year"].iat[i]) not in years:
            issues.append(where(i, "year", _not_a_planning_year(int(out["year"].iat[i]), years)))
        if np.isnan(lo[i]) and np.isnan(hi[i]) and np.isnan(ex[i]):
            issues.append(where(i, "minimum", "give a minimum, a maximum or an exact number"))
        if not np.isnan(ex[i]) and not (np.isnan(lo[i]) and np.isnan(hi[i])):
            issues.append(where(i, "exact", "give either exact, or minimum and/or maximum, not both"))
        if not np.isnan(lo[i]) and not np.isnan(hi[i]) and lo[i] > hi[i]:
            issues.append(where(i, "maximum", f"maximum {hi[i]:g} is below the minimum {lo[i]:g}"))
        for name, v in (("minimum", lo[i]), ("maximum", hi[i]), ("exact", ex[i])):
            if not np.isnan(v) and v != np.round(v):
                issues.append(where(i, name, f"agreements are in whole people, got {v:g}"))
    key = out["area_code"] + "/" + out["year"].astype(int).astype(str)
    for i in np.flatnonzero(key.duplicated().to_numpy()):
        issues.append(where(i, "year", f"a second agreement for {codes[i]} in {int(out['year'].iat[i])}"))
    if issues:
        return None, issues
    exact = ~np.isnan(ex)
    result = pd.DataFrame({
        "area_code": out["area_code"], "year": out["year"].astype(int),
        "minimum": np.where(exact, ex, lo), "maximum": np.where(exact, ex, hi),
        "note": out["note"] if "note" in out else "",
    })
    return result.reset_index(drop=True), []

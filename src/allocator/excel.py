"""Excel in and out.

* :func:`read_areas_sheet` reads a scenario's areas table from an .xlsx sheet
  into the same text cells the CSV reader produces, so every check and every
  error message (file, row, column) is the same as for a CSV.
* :func:`write_workbook` writes a plan as one workbook (allocations,
  trajectory, regions, summary and, when known, today's position), where no
  text cell can ever run as a formula: every text cell is stored as a string
  (never a formula), and text that begins like a formula (``=``, ``+``, ``-``,
  ``@``, tab, carriage return) also gets Excel's "quote prefix" so that editing
  the cell keeps it as text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import Issue, ScenarioError

from allocator.output import FORMULA_STARTS as RISKY_START  # one definition of a risky first character
from allocator.output import TIMING_KEYS, clean_text

#: Timestamp of every zip entry and of the workbook's created/modified dates: the same plan gives
#: the same bytes (1980-01-01 is the earliest date a zip entry can hold).
FIXED_TIME = dt.datetime(1980, 1, 1)

# Number formats by column name (anything else numeric: general).
_PEOPLE = {"need", "dispersed", "contingency", "placements", "exits", "stock", "capacity", "procured", "cap",
           "population", "areas_over_cap", "areas_hosting", "void_places", "areas_above_125pct", "areas_above_150pct",
           "areas_above_200pct"}
_MONEY = {"accommodation_cost", "contingency_cost", "procurement_cost", "void_cost", "total_cost", "funding"}
_DECIMAL = {"fair_share": "#,##0.00", "rate_per_10k": "0.00", "max_rate_per_10k": "0.00", "gini": "0.0000"}


def _plain(value: str) -> str:
    """Undo the apostrophe CSV outputs put before formula-like text (plans read back from CSV)."""
    return value[1:] if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r" else value


def _cell_value(v):
    if v is None:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) else f
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _write_text(cell, text: str) -> None:
    """Put ``text`` in ``cell`` as a string that can never be run as a formula (control characters,
    which Excel refuses, written out as ``\\xNN``)."""
    text = clean_text(text)
    cell.value = text
    cell.data_type = "s"            # openpyxl guessed "f" for text starting with "="; force a string
    if text.startswith(RISKY_START):
        cell.quotePrefix = True     # Excel keeps it as text even when the cell is edited


def _write_table(ws, df: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE5EF")
    for j, name in enumerate(df.columns, start=1):
        c = ws.cell(row=1, column=j)
        _write_text(c, str(name))
        c.font = header_font
        c.fill = header_fill
        c.alignment = Alignment(horizontal="center")
    formats = []
    for name in df.columns:
        if name in _PEOPLE:
            formats.append("#,##0")
        elif name in _MONEY:
            formats.append("£#,##0")
        else:
            formats.append(_DECIMAL.get(name))
    columns = [df[c].tolist() for c in df.columns]
    for i in range(len(df)):
        row = i + 2
        for j, col in enumerate(columns):
            v = _cell_value(col[i])
            c = ws.cell(row=row, column=j + 1)
            if isinstance(v, str):
                _write_text(c, _plain(v))
            else:
                c.value = v
                if formats[j] and isinstance(v, (int, float)) and not isinstance(v, bool):
                    c.number_format = formats[j]
    for j, name in enumerate(df.columns, start=1):
        values = [str(name)] + [str(v) for v in df.iloc[:200, j - 1].tolist()]
        ws.column_dimensions[get_column_letter(j)].width = min(max(len(v) for v in values) + 3, 45)
    ws.freeze_panes = "A2"
    if len(df):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += _flatten(v, key + ".")
        elif isinstance(v, list):
            rows.append((key, json.dumps(v, ensure_ascii=False)))
        else:
            rows.append((key, v))
    return rows


def write_workbook(plan, path: str | Path) -> Path:
    """Write ``plan`` as one .xlsx workbook: allocations, trajectory, regions, summary (and start).

    The same plan gives the same bytes on every run: the zip entries and the workbook's dates
    carry a fixed timestamp, and the wall-clock timings are left out (they are in timings.json).
    """
    from openpyxl import Workbook

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "allocations"
    _write_table(ws, plan.allocations)
    _write_table(wb.create_sheet("trajectory"), plan.trajectory)
    _write_table(wb.create_sheet("regions"), plan.regions)
    facts = {k: v for k, v in plan.summary.items() if k not in TIMING_KEYS}   # wall-clock: in timings.json
    summary = pd.DataFrame(_flatten(facts), columns=["key", "value"])
    summary["value"] = [v if isinstance(v, (int, float, bool)) or v is None else str(v) for v in summary["value"]]
    _write_table(wb.create_sheet("summary"), summary)
    if getattr(plan, "start", None) is not None:
        _write_table(wb.create_sheet("start"), plan.start)
    wb.properties.creator = "allocator"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_fixed_times(buf.getvalue()))
    return path


def _fixed_times(xlsx: bytes) -> bytes:
    """The workbook with every zip entry dated :data:`FIXED_TIME` and the same created/modified dates
    (openpyxl stamps the time of saving on both)."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp.encode() + rb"\g<2>",
                              data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    return out.getvalue()


# --------------------------------------------------------------------------- reading areas
def split_sheet(name: str) -> tuple[str, str | None]:
    """``"areas.xlsx#Councils"`` -> ``("areas.xlsx", "Councils")``; other names are returned unchanged."""
    base, sep, sheet = name.partition("#")
    if sep and base.lower().endswith((".xlsx", ".xlsm")):
        return base, sheet or None
    return name, None


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return str(v).strip()


def read_areas_sheet(path: Path, sheet: str | None, label: str) -> pd.DataFrame:
    """Read an areas table from an .xlsx workbook: the named sheet, or the first one.

    Row 1 is the header; row numbers in messages are the spreadsheet's own
    (``df.attrs["lines"]``, as for CSV line numbers). Returns text cells, like
    the CSV reader; blank rows are skipped.
    """
    from openpyxl import load_workbook

    if path.suffix.lower() == ".xls":    # pragma: no cover - resolved earlier by suffix
        raise ScenarioError(Issue(label, "old .xls workbooks are not supported; save the file as .xlsx"))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise ScenarioError(Issue(label, f"cannot read the workbook: {err}")) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb[names[0]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise ScenarioError(Issue(label, f"no sheet named '{sheet}'; the workbook has: {', '.join(names)}"))
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    formulas = _uncached_formulas(path, sheet or names[0], rows)
    if formulas:
        raise ScenarioError([Issue(label, "formula without a saved value; open the workbook in a spreadsheet and "
                                   "save it, or paste the values", row=r, field=col) for r, col in formulas[:50]])
    if not rows or not any(_text(v) for v in rows[0]):
        raise ScenarioError(Issue(label, "the sheet is empty: row 1 must name the columns", row=1))
    header = [_text(v) for v in rows[0]]
    while header and header[-1] == "":
        header.pop()                                     # formatted but unused columns on the right
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ScenarioError(Issue(label, f"column '{name}' appears more than once", row=1, field=name))
        seen.add(name)
    width = len(header)
    body, lines = [], []
    for i, r in enumerate(rows[1:], start=2):
        cells = [_text(r[j]) if j < len(r) else "" for j in range(width)]
        if not any(cells):
            continue                                     # blank row
        body.append(cells)
        lines.append(i)
    df = pd.DataFrame(body, columns=header, dtype=object)
    df.attrs["lines"] = lines
    return df


def _uncached_formulas(path: Path, sheet: str, values: list[list]) -> list[tuple[int, str]]:
    """Cells holding a formula with no saved result (data_only reads them as empty)."""
    if not any(v is None for row in values for v in row):
        return []
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[sheet]
        header = [_text(v) for v in (values[0] if values else [])]
        out = []
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("=") and i < len(values) and j < len(values[i]) \
                        and values[i][j] is None:
                    out.append((i + 1, header[j] if j < len(header) and header[j] else f"column {j + 1}"))
        return out
    finally:
        wb.close()

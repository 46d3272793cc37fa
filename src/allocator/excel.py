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
import zlib
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pandas as pd

from allocator.errors import Issue, ScenarioError, listed
from allocator.extras import needs_extra
from allocator.inputs import MAX_TABLE_BYTES, MAX_TABLE_CELLS, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, check_width

from allocator.output import FORMULA_STARTS as RISKY_START  # one definition of a risky first character
from allocator.output import TIMING_KEYS, clean_text

#: Timestamp of every zip entry and of the workbook's created/modified dates: the same plan gives
#: the same bytes (1980-01-01 is the earliest date a zip entry can hold).
FIXED_TIME = dt.datetime(1980, 1, 1)

# Number formats by column name (anything else numeric: general).
_PEOPLE = {"need", "dispersed", "contingency", "placements", "exits", "stock", "capacity", "procured", "cap",
           "population", "areas_over_cap", "areas_hosting", "new_contingency", "hotel_places", "basis_total",
           "void_places", "areas_above_125pct", "areas_above_150pct", "areas_above_200pct", "empty_hotel_places"}
_MONEY = {"accommodation_cost", "contingency_cost", "procurement_cost", "void_cost", "total_cost", "funding"}
_DECIMAL = {"fair_share": "#,##0.00", "rate_per_10k": "0.00", "max_rate_per_10k": "0.00", "gini": "0.0000",
            "basis_rate_per_10k": "0.00", "basis_max_rate_per_10k": "0.00", "basis_gini": "0.0000"}


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
    with needs_extra("excel", "writing plan.xlsx"):
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
    with needs_extra("excel", "writing plan.xlsx"):
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
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384     # Excel's own sheet size (XFD1048576)
MAX_XML_ELEMENTS = 12_000_000       # in one part of a workbook: about a table of MAX_TABLE_CELLS cells
#: What openpyxl and zipfile raise on a broken workbook (ParseError is a SyntaxError).
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, KeyError, IndexError, OSError, ValueError,
           TypeError, AttributeError, SyntaxError, NotImplementedError)


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


class _Refused(Exception):
    """A workbook part that is not read any further (the reason is the message)."""


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_CELL_REF = re.compile(r"([A-Z]+)([0-9]+)")


def _looks_like_xml(head: bytes) -> bool:
    """XML (what openpyxl may parse), not an image or an embedded file: checked by content, not by name."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True                                          # UTF-16 with a byte-order mark
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _scan_part(head: bytes, stream, part: str) -> str | None:
    """Stream one XML part of a workbook through expat, building nothing.

    Raises :class:`_Refused` for a DOCTYPE (entity declarations: "billion laughs", external
    entities), broken XML, more than :data:`MAX_XML_ELEMENTS` elements, more than Excel's own
    1,048,576 rows or 16,384 cells in a row. Returns the reference of the first cell holding a
    value beyond the table limits (row ``MAX_TABLE_ROWS + 1``, column ``MAX_TABLE_COLUMNS``), or None.
    """
    parser = expat.ParserCreate()
    state = {"elements": 0, "row": 0, "cells": 0, "col": 0, "cell": None, "far": None}

    def doctype(*_args) -> None:
        raise _Refused(f"{part} declares a DOCTYPE (entities), which spreadsheet programs never write")

    def start(name: str, attrs: dict) -> None:
        state["elements"] += 1
        if state["elements"] > MAX_XML_ELEMENTS:
            raise _Refused(f"{part} holds more than {MAX_XML_ELEMENTS:,} XML elements")
        tag = name.rpartition(":")[2]
        if tag == "row":
            r = attrs.get("r", "")
            state["row"] = int(r) if r.isdigit() else state["row"] + 1
            state["cells"] = state["col"] = 0
            if state["row"] > EXCEL_MAX_ROWS:
                raise _Refused(f"{part} has a row {state['row']:,}; Excel's limit is {EXCEL_MAX_ROWS:,}")
        elif tag == "c":
            state["cells"] += 1
            if state["cells"] > EXCEL_MAX_COLUMNS:
                raise _Refused(f"{part} has more than {EXCEL_MAX_COLUMNS:,} cells in row {state['row']:,}")
            ref = _CELL_REF.fullmatch(attrs.get("r", ""))
            row, state["col"] = (int(ref[2]), _column_number(ref[1])) if ref else (state["row"], state["col"] + 1)
            state["cell"] = (attrs.get("r") or f"column {state['col']:,} of row {row:,}", row, state["col"])
        elif tag in ("v", "f", "is") and state["cell"] and state["far"] is None:
            ref, row, col = state["cell"]
            if row > MAX_TABLE_ROWS + 1 or col > MAX_TABLE_COLUMNS:
                state["far"] = ref

    def end(name: str) -> None:
        if name.rpartition(":")[2] == "c":
            state["cell"] = None

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(head, False)
        while chunk := stream.read(1 << 20):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise _Refused(f"broken XML in {part}: {expat.errors.messages[err.code]} (line {err.lineno})") from None
    return state["far"]


def _scan_workbook(raw: bytes, label: str) -> dict[str, str | None]:
    """Check a workbook's parts before openpyxl reads any: {part name: first value cell beyond the limits}."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            if unpacked > MAX_TABLE_BYTES:
                raise ScenarioError(Issue(label, f"the workbook unpacks to {unpacked:,} bytes; the limit for a table "
                                                 f"is {MAX_TABLE_BYTES:,}"))
            found = {}
            for m in members:
                with archive.open(m) as stream:
                    head = stream.read(64)
                    if _looks_like_xml(head):
                        found[m.filename] = _scan_part(head, stream, m.filename)
            return found
    except _Refused as why:
        raise ScenarioError(Issue(label, f"cannot read the workbook: {why}")) from None
    except ScenarioError:
        raise
    except _BROKEN as err:
        raise ScenarioError(Issue(label, f"cannot read the workbook: {_why(err)}")) from None


def _why(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return f"it is not a valid .xlsx file ({text})" if not isinstance(err, zipfile.BadZipFile) else text


def _sheet_rows(ws):
    """The rows of a read-only sheet as they are in the file: no padding to the dimension the file claims."""
    ws.reset_dimensions()
    return ws.iter_rows(values_only=True)


def read_areas_sheet(raw: bytes, sheet: str | None, label: str) -> pd.DataFrame:
    """Read an areas table from the bytes of an .xlsx workbook: the named sheet, or the first one.

    Row 1 is the header; row numbers in messages are the spreadsheet's own
    (``df.attrs["lines"]``, as for CSV line numbers). Returns text cells, like
    the CSV reader; blank rows are skipped. Every part of the workbook is checked first
    (:func:`_scan_workbook`), and only the cells that are there are read, so a stray cell
    far away (``XFD1048576``) is refused instead of filling memory with empty cells.
    """
    with needs_extra("excel", f"reading the areas sheet {label}"):
        from openpyxl import load_workbook

    scans = _scan_workbook(raw, label)
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except _BROKEN as err:
        raise ScenarioError(Issue(label, f"cannot read the workbook: {_why(err)}")) from None
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            raise ScenarioError(Issue(label, f"no sheet named '{sheet}'; the workbook has: {', '.join(names)}"))
        ws = wb[sheet if sheet is not None else names[0]]
        far = scans.get(getattr(ws, "_worksheet_path", "").lstrip("/"))
        if far:
            raise ScenarioError(Issue(label, f"cell {far} holds a value, but a table may have at most "
                                             f"{MAX_TABLE_COLUMNS:,} columns and {MAX_TABLE_ROWS:,} rows below the "
                                             "header (stray cells far from the table? Ctrl+End in Excel shows the "
                                             "last cell in use)"))
        df, width = _read_rows(_sheet_rows(ws), label)
        formulas = _uncached_formulas(raw, ws.title, df, width)
    except ScenarioError:
        raise
    except _BROKEN as err:
        raise ScenarioError(Issue(label, f"cannot read the workbook: {_why(err)}")) from None
    finally:
        wb.close()
    if formulas:
        raise ScenarioError(listed(formulas, lambda f: Issue(label, "formula without a saved value; open the workbook "
                                                                    "in a spreadsheet and save it, or paste the values",
                                                             row=f[0], field=f[1])))
    return df


def _read_rows(rows, label: str) -> tuple[pd.DataFrame, int]:
    """Header and body of a sheet as text cells; blank rows skipped, cells right of the header ignored."""
    first = next(rows, None)
    if not first or not any(_text(v) for v in first):
        raise ScenarioError(Issue(label, "the sheet is empty: row 1 must name the columns", row=1))
    header = [_text(v) for v in first]
    while header and header[-1] == "":
        header.pop()                                     # formatted but unused columns on the right
    check_width(header, label)
    width = len(header)
    max_rows = min(MAX_TABLE_ROWS, MAX_TABLE_CELLS // width)
    body, lines = [], []
    for i, r in enumerate(rows, start=2):
        if not r:
            continue                                     # a row missing from the file
        cells = [_text(r[j]) if j < len(r) else "" for j in range(width)]
        if not any(cells):
            continue                                     # blank row
        if len(body) >= max_rows:
            raise ScenarioError(Issue(label, f"the table has more than {max_rows:,} rows of {width} columns; the "
                                             f"limits are {MAX_TABLE_ROWS:,} rows and {MAX_TABLE_CELLS:,} cells"))
        body.append(cells)
        lines.append(i)
    df = pd.DataFrame(body, columns=header, dtype=object)
    df.attrs["lines"] = lines
    return df, width


def _uncached_formulas(raw: bytes, sheet: str, df: pd.DataFrame, width: int) -> list[tuple[int, str]]:
    """Cells holding a formula with no saved result (data_only reads them as empty)."""
    with needs_extra("excel", "reading an .xlsx sheet"):
        from openpyxl import load_workbook

    header = list(df.columns)
    empty = {1: [h == "" for h in header]}
    empty.update({line: [c == "" for c in row] for line, row in zip(df.attrs["lines"], df.itertuples(index=False))})
    if not any(any(v) for v in empty.values()):
        return []
    wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    try:
        out = []
        for i, row in enumerate(_sheet_rows(wb[sheet]), start=1):
            blanks = empty.get(i)
            for j, v in enumerate(row[:width] if blanks else ()):
                if isinstance(v, str) and v.startswith("=") and blanks[j]:
                    out.append((i, header[j] if header[j] else f"column {j + 1}"))
        return out
    finally:
        wb.close()


def check_available(feature: str) -> None:
    """Raise :class:`~allocator.errors.MissingExtraError` now (before a long solve) when the
    ``excel`` extra is missing."""
    with needs_extra("excel", feature):
        import openpyxl  # noqa: F401

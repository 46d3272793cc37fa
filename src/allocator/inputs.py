"""Reading the files allocator is given: safely, in bounded time and memory, names kept as text.

* :func:`read_yaml` reads the scenario file with a safe loader that refuses duplicate keys
  (``2029`` and ``"2029"`` are one key), aliases, Python tags and deep nesting.
* :func:`read_file` returns the bytes of a regular file of at most a given size. Anything else
  is refused before it is read, with a message naming the file (exit code 2): a folder, a device
  (``/dev/zero`` never ends), a FIFO (reading one waits for ever for a writer), a socket, a file
  over the limit, a file that cannot be opened or read (permission denied, an I/O error).
* :func:`read_csv_text` reads a CSV as text cells with each row's line number, refusing ragged
  lines, repeated column names and tables beyond :data:`MAX_TABLE_COLUMNS` columns (and, for the
  scenario's own tables, :data:`MAX_TABLE_ROWS` rows and :data:`MAX_TABLE_CELLS` cells).
* :func:`parse_numbers` turns text cells into numbers, reading a comma only as a thousands
  separator (``1,234``): ``4300,5`` is refused, never read as 43005.
* :func:`read_plan_table` and :func:`read_plan_json` read a written plan folder back for
  ``compare``, ``explain`` and ``report``: every name and code column stays text (a region called
  ``NA`` or a council called ``None`` is not a missing value), and a cut-short, garbled or edited
  file is an :class:`~allocator.errors.InputError` naming the file, line and column.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from pyarrow import csv as pacsv

from allocator.errors import MAX_LISTED, InputError, Issue, ScenarioError, capped, listed

MAX_YAML_BYTES = 1 * 1024 * 1024
MAX_YAML_DEPTH = 50            # a scenario nests 4 levels; PyYAML's recursive composer fails at about 330
MAX_TABLE_BYTES = 200 * 1024 * 1024
MAX_TABLE_ROWS = 200_000           # below the header; England and Wales have about 190,000 output areas
MAX_TABLE_COLUMNS = 1_000          # a scenario table has about 10 to 50; notes columns are ignored but counted
MAX_TABLE_CELLS = 5_000_000        # rows x columns: 35,000 areas x 140 columns
MAX_PLAN_FILE_BYTES = 1024 * 1024 * 1024   # a plan's allocations.csv grows with areas x years x cohorts
MAX_JSON_BYTES = 64 * 1024 * 1024

_NOT_REGULAR = {stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFIFO: "a named pipe (FIFO)",
                stat.S_IFSOCK: "a socket"}


# --------------------------------------------------------------------------- files
def _unreadable(label: str, err: OSError) -> Issue:
    if isinstance(err, IsADirectoryError):
        return Issue(label, "is a folder, not a file")
    if isinstance(err, FileNotFoundError):
        return Issue(label, "file not found")
    if isinstance(err, PermissionError):
        return Issue(label, "cannot read the file: permission denied")
    return Issue(label, f"cannot read the file: {err.strerror or err}")


def read_file(path: str | Path, limit: int, label: str, kind: str,
              error: type[ScenarioError] = ScenarioError) -> bytes:
    """The bytes of the regular file ``path``, refused (``error``, exit 2) unless it is one of at most ``limit`` bytes.

    ``label`` names the file in messages; ``kind`` names the limit ("a table"). Nothing but a
    regular file is read, and never more than ``limit`` bytes, whatever the file claims.
    """
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)                   # non-blocking: opening a FIFO does not wait for a writer
    except OSError as err:
        raise error(_unreadable(label, err)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise error(Issue(label, "is a folder, not a file"))
        if not stat.S_ISREG(info.st_mode):
            what = _NOT_REGULAR.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise error(Issue(label, f"is {what}, not a file: give a file saved on disk"))
        too_big = f"the limit for {kind} is {limit:,}"
        if info.st_size > limit:
            raise error(Issue(label, f"file is {info.st_size:,} bytes; {too_big}"))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:                            # the file grew while it was read
            raise error(Issue(label, f"file is more than {limit:,} bytes; {too_big}"))
        return b"".join(chunks)
    except OSError as err:
        raise error(_unreadable(label, err)) from None
    finally:
        os.close(fd)


#: What to do with a table that is not UTF-8 text.
SAVE_AS_UTF8 = ("save it as UTF-8 CSV (Excel: Save As 'CSV UTF-8 (Comma delimited)'; LibreOffice: Text CSV, "
                "character set 'Unicode (UTF-8)')")


def decode_text(raw: bytes, label: str, hint: str, error: type[ScenarioError] = ScenarioError) -> str:
    """UTF-8 text (a byte-order mark is allowed), or ``error`` naming the line, the character in it and the byte of
    the first that is not (``é`` saved as Windows-1252/Latin-1, as Excel's "CSV (Comma delimited)" does)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        at = err.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)     # utf-8-sig counts after the mark
        start = raw.rfind(b"\n", 0, at) + 1
        char = len(raw[start:at].decode("utf-8", errors="replace")) + 1
        bad = raw[at:at + 1]
        seen = bad.decode("cp1252", errors="replace")
        as_latin = (" (a UTF-16 file)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else
                    f", '{seen}' in Windows-1252" if seen.isprintable() and seen != "\ufffd" else "")
        raise error(Issue(label, f"not UTF-8 text: character {char} of the line is the byte 0x{bad.hex().upper()}"
                                 f"{as_latin} (byte {at} of the file); {hint}",
                          row=raw.count(b"\n", 0, at) + 1)) from None


# --------------------------------------------------------------------------- the scenario file (YAML)
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and alias (anchor) expansion."""


def same_key(key: Any) -> Any:
    """What the schema reads ``key`` as: ``2029``, ``"2029"`` and ``2029.0`` are one year."""
    if isinstance(key, str):
        text = key.strip()
        for number in (int, float):
            try:
                value = number(text)
            except ValueError:
                continue
            return value if value == value else key         # "nan" stays text
    return key


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict = {}
    seen: dict = {}                             # same_key(key) -> (key as written, its line)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:                       # a list or mapping used as a key ("? [a]: b", "{[1]: 2}")
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name or number, not a list or mapping", key_node.start_mark
            ) from None
        mark = key_node.start_mark
        first = seen.get(same_key(key))
        if first is not None:
            also = "" if first[0] == key and type(first[0]) is type(key) else (
                f": the same key as {first[0]!r} on line {first[1]} (a year written as a number and as text "
                "is one year)")
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (line {mark.line + 1}){also}", mark
            )
        seen[same_key(key)] = (key, mark.line + 1)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _refuse_alias(loader: _UniqueKeyLoader, node: yaml.Node) -> Any:  # pragma: no cover - guard
    raise yaml.constructor.ConstructorError(None, None, "YAML aliases are not allowed", node.start_mark)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _NoAliasComposer(_UniqueKeyLoader):
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in scenario files", event.start_mark
            )
        if self._depth >= MAX_YAML_DEPTH:      # PyYAML composes recursively: "[[[[..." would overflow the stack
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def read_yaml(path: Path) -> tuple[dict, bytes]:
    """The scenario file's mapping, and its bytes (read once, for the hash).

    A safe loader that refuses duplicate keys (``2029`` and ``"2029"`` count as one), aliases,
    Python tags and nesting deeper than :data:`MAX_YAML_DEPTH`, on at most :data:`MAX_YAML_BYTES`."""
    label = path.name
    raw = read_file(path, MAX_YAML_BYTES, str(path), "a scenario file")
    text = decode_text(raw, label, "save the file as UTF-8")
    try:
        data = yaml.load(text, Loader=_NoAliasComposer)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = Issue(label, f"YAML error: {err.problem or err.context}", row=mark.line + 1 if mark else None)
        raise ScenarioError(where) from None
    except yaml.YAMLError as err:
        raise ScenarioError(Issue(label, f"YAML error: {err}")) from None
    if not isinstance(data, dict):
        raise ScenarioError(Issue(label, "the scenario file must be a YAML mapping (key: value lines)"))
    return data, raw


# --------------------------------------------------------------------------- tables as text
def _too_large(label: str, what: str, limit: int) -> Issue:
    return Issue(label, f"the table has more than {limit:,} {what}; that is far beyond any real table "
                        "(the wrong file, or stray cells far from the table?)")


def check_width(header: list[str], label: str, error: type[ScenarioError] = ScenarioError) -> None:
    """Refuse more than :data:`MAX_TABLE_COLUMNS` columns and a column named twice."""
    if len(header) > MAX_TABLE_COLUMNS:
        raise error(Issue(label, f"{len(header):,} columns; a table may have at most {MAX_TABLE_COLUMNS:,} "
                                 "(columns the engine does not know are ignored, but so many suggest the wrong "
                                 "file)", row=1))
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise error(Issue(label, f"column '{name}' appears more than once", row=1, field=name))
        seen.add(name)


def read_csv_text(raw: bytes, label: str, bounded: bool = True,
                  error: type[ScenarioError] = ScenarioError) -> pd.DataFrame:
    """A CSV as text cells (``df.attrs["lines"]``: each row's line number), refusing ragged lines.

    ``bounded``: also refuse more than :data:`MAX_TABLE_ROWS` rows or :data:`MAX_TABLE_CELLS`
    cells (the scenario's tables; a plan read back is bounded by its file size only).
    """
    text = decode_text(raw, label, SAVE_AS_UTF8, error)
    if "\x00" in text:
        raise error(Issue(label, "the file contains NUL bytes; it is not a text CSV file"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise error(Issue(label, "the table is empty: the first line must name the columns"))
        header = [h.strip() for h in header]
        check_width(header, label, error)
        max_rows = min(MAX_TABLE_ROWS, MAX_TABLE_CELLS // len(header)) if bounded else None
        rows, issues, line_numbers, unlisted = [], [], [], 0
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue                                    # blank line
            if len(row) != len(header):
                if len(issues) == MAX_LISTED:               # counted, not listed
                    unlisted += 1
                    continue
                issues.append(Issue(label, f"{len(row)} fields but the header has {len(header)} "
                                    "(a comma inside an unquoted value, e.g. 4,300? write 4300 or quote it)",
                                    row=reader.line_num))
                continue
            if max_rows is not None and len(rows) >= max_rows:
                what, limit = (("rows", MAX_TABLE_ROWS) if max_rows == MAX_TABLE_ROWS else
                               ("cells (rows × columns)", MAX_TABLE_CELLS))
                raise error(_too_large(label, what, limit))
            rows.append([cell.strip() for cell in row])
            line_numbers.append(reader.line_num)
    except csv.Error as err:
        raise error(Issue(label, f"cannot parse the CSV: {err}", row=reader.line_num)) from None
    if issues:
        raise error(capped(issues, unlisted))
    df = pd.DataFrame(rows, columns=header, dtype=object)
    df.attrs["lines"] = line_numbers
    return df


# --------------------------------------------------------------------------- numbers
_THOUSANDS = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?"


def parse_numbers(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from text cells; NaN where a cell is empty or not a number.

    A comma is read only as a thousands separator, between groups of three digits (``1,234``,
    ``12,345,678.5``). Returns the values and a mask of the cells with a comma anywhere else
    (``4300,5``, ``98,5``, ``1,23``): those are NaN, for :func:`comma_message` to explain.
    """
    cells = cells.astype(str)
    comma = cells.str.contains(",", regex=False).to_numpy(dtype=bool)
    if not comma.any():
        return pd.to_numeric(cells, errors="coerce").astype(float).to_numpy(copy=True), comma
    grouped = cells.str.fullmatch(_THOUSANDS).to_numpy(dtype=bool)
    values = pd.to_numeric(cells.str.replace(",", "", regex=False), errors="coerce").astype(float).to_numpy(copy=True)
    misplaced = comma & ~grouped
    values[misplaced] = np.nan
    return values, misplaced


def comma_message(cell: str) -> str:
    """Why a number with a misplaced comma is refused, and what to write instead."""
    guess = cell.replace(",", ".") if cell.count(",") == 1 and "." not in cell else cell.replace(",", "")
    return (f"not a number: '{cell}': a comma may only separate thousands (1,234 or 12,345,678); "
            f"a decimal comma? write {guess}")


# --------------------------------------------------------------------------- plan folders read back
#: Name and code columns of the plan tables: always text, whatever they hold ("NA", "None", "001").
PLAN_TEXT_COLUMNS = frozenset({"area_code", "area_name", "region", "status", "cohort", "limited_by"})
PLAN_FLAG_COLUMNS = frozenset({"over_cap"})
PLAN_BLANK_NUMBERS = frozenset({"shadow_price"})   # numbers, or blank: "no tight limit"
_FLAGS = {"True": True, "False": False}


#: What to do with a plan folder's file that is cut short (``read_plan_table``'s default ``again``).
PLAN_AGAIN = "copy the plan folder again, or solve the scenario again"


def read_plan_table(path: Path, required: tuple[str, ...], numeric: tuple[str, ...] = (),
                    unknown_flags: bool = False, again: str = PLAN_AGAIN) -> pd.DataFrame:
    """A CSV table of a plan folder, typed: names as text, flags as booleans, the rest as numbers.

    ``required`` columns must be present; ``numeric`` columns, when present, must hold a number in
    every cell (``shadow_price`` may be blank: "no tight limit"). Other columns become numbers
    when every cell is one or blank, and stay text otherwise. Anything else (cut short, garbled,
    edited) is an :class:`InputError` naming the file, line and column. Parsed by pyarrow: a plan
    of 35,000 areas is read as fast as before, strictly (a line with too few fields is refused).
    With ``unknown_flags`` a flag may be blank, unknown (a tracking's ``over_cap``). ``again``: how to get the
    file whole again, said when it is cut short.
    """
    label = str(path)
    raw = read_file(path, MAX_PLAN_FILE_BYTES, label, "a plan table", InputError)
    if raw and not raw.endswith(b"\n"):
        raise InputError(Issue(label, f"the last line is incomplete: the file was cut short ({again})"))
    text = decode_text(raw, label, "it is not a table written by allocator", InputError)
    if "\x00" in text:
        raise InputError(Issue(label, "the file contains NUL bytes; it is not a text CSV file"))
    header = next(csv.reader(io.StringIO(text, newline="")), None)
    if not header or not any(h.strip() for h in header):
        raise InputError(Issue(label, "the table is empty: the first line must name the columns"))
    check_width(header, label, InputError)
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError([Issue(label, "required column is missing (not a plan table written by allocator?)",
                                row=1, field=c) for c in missing])
    ragged: list[Issue] = []

    def refuse_row(row) -> str:
        ragged.append(Issue(label, f"{row.actual_columns} fields but the header has {row.expected_columns}",
                            row=row.number))
        return "skip"
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode()),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=refuse_row),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header if c in PLAN_TEXT_COLUMNS}, strings_can_be_null=False,
                null_values=[""], true_values=["True"], false_values=["False"]))
    except pa.ArrowInvalid as err:
        raise InputError(Issue(label, f"cannot parse the CSV: {err}")) from None
    if ragged:
        raise InputError(capped(ragged))
    return _typed_plan_table(table, text, label, set(numeric) | PLAN_BLANK_NUMBERS, unknown_flags)


def _typed_plan_table(table, text: str, label: str, numbers: set[str], unknown_flags: bool = False) -> pd.DataFrame:
    """Check the types pyarrow found: numbers where numbers belong, flags True or False."""
    df = table.to_pandas()
    issues: list[Issue] = []
    lines = None

    def where(mask: np.ndarray, name: str, message) -> None:
        nonlocal lines
        if lines is None:                                   # exact line numbers (quoted line breaks count)
            lines = read_csv_text(text.encode(), label, bounded=False, error=InputError).attrs["lines"]
        issues.extend(listed(np.flatnonzero(mask), lambda i: Issue(label, message(i), row=int(lines[i]), field=name)))

    for field in table.schema:
        name, kind, cells = field.name, field.type, df[field.name]
        if name in PLAN_TEXT_COLUMNS:
            continue
        if pa.types.is_null(kind):                          # every cell blank
            df[name] = np.full(len(df), np.nan)
            if name in numbers - PLAN_BLANK_NUMBERS or (name in PLAN_FLAG_COLUMNS and not unknown_flags):
                where(np.ones(len(df), bool), name, lambda i: "missing value")
        elif name in PLAN_FLAG_COLUMNS:
            if not pa.types.is_boolean(kind) or (cells.isna().any() and not unknown_flags):
                shown = cells.astype(object).where(cells.notna(), "").astype(str)
                where((~shown.isin(["True", "False"])).to_numpy(), name,
                      lambda i, c=shown: f"not True or False: '{c.iat[i]}'")
        elif name in numbers and not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            shown = cells.astype(object).where(cells.notna(), "").astype(str)
            values = pd.to_numeric(shown.where(shown != "", None), errors="coerce")
            blank = (shown == "") & (name in PLAN_BLANK_NUMBERS)
            where((values.isna() & ~blank).to_numpy(), name,
                  lambda i, c=shown: f"not a number: '{c.iat[i]}'" if c.iat[i] else "missing value")
            df[name] = values
        elif name in numbers - PLAN_BLANK_NUMBERS and cells.isna().any():
            where(cells.isna().to_numpy(), name, lambda i: "missing value")
    if issues:
        raise InputError(issues)
    return df


def read_plan_json(path: Path) -> dict:
    """A JSON object of a plan folder (``summary.json``), or an :class:`InputError` naming the file."""
    label = str(path)
    text = decode_text(read_file(path, MAX_JSON_BYTES, label, "a JSON file", InputError), label,
                       "it is not a file written by allocator", InputError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(Issue(label, f"not valid JSON: {err.msg} (column {err.colno}); the file is cut short "
                                      "or was edited", row=err.lineno)) from None
    except RecursionError:
        raise InputError(Issue(label, "not valid JSON: nested too deeply")) from None
    if not isinstance(data, dict):
        raise InputError(Issue(label, f"must hold a JSON object ({{...}}), not a {type(data).__name__}"))
    wrong = _not_figures(data.get("headline", {}), "headline")
    if wrong:
        raise InputError(Issue(label, "the headline figures must be numbers (and region names text); the file "
                                      "was edited", field=wrong))
    return data


#: Headline keys whose values are text: a region's name, the pressure basis (a word or a list of columns).
_TEXT_FIGURES = ("region", "pressure_basis")


def _not_figures(node, path: str) -> str | None:
    """The first key under ``node`` that is not a number (a region name, the pressure basis: text), or None."""
    if not isinstance(node, dict):
        return path
    for key, value in node.items():
        where = f"{path}.{key}"
        if isinstance(value, dict):
            wrong = _not_figures(value, where)
            if wrong:
                return wrong
        elif key in _TEXT_FIGURES:
            if not isinstance(value, str | list):      # the basis may be a list of column names
                return where
        elif value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return where
    return None

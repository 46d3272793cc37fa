"""The actual position: a published table of people supported by council on one date.

:func:`read_actual` reads one of two layouts, recognised by the names in its header line:

* a **Home Office local authority table** (the Reg_02 layout of *Regional and local authority
  data on immigration groups*, or any table like it): one row per council, with a code column
  (``LAD Code``, ``Local authority code``, ``areaCode``, ``LAD25CD``, ...) and a column whose name
  holds ``dispersal`` (``Dispersal accommodation``); a column holding ``contingency`` and one
  holding ``initial`` are read too when present. Title lines above the header are skipped (an
  ``as at 31 December 2025`` among them is the table's date, as is a date column such as the
  published CSV's ``snapshotDate``, whose council rows must all give one date); every other column
  is ignored. :meth:`Actual.check_date` refuses a table of another date than the one asked for.
* the **project's own areas format**: ``area_code`` and ``stock`` (people in dispersal), with
  ``contingency`` and ``initial`` when present (an empty cell there is 0, as in a scenario, and each
  one is listed in :attr:`Actual.zeros`: :func:`zero_notes`).

Codes are read whatever their case (``e06000002`` is ``E06000002``) and spaces around them.

Nothing is dropped without saying so: rows that are not councils (a totals row such as
``United Kingdom - total``, a region or country code, a note line) are listed in
:attr:`Actual.skipped`; a suppressed cell (``*``, ``..``, ``z``, ``[c]``, ...) is read as unknown (or, as the caller
asks, refused or read as 0) and listed in :attr:`Actual.suppressed`, never read as 0 unsaid. A
negative, fractional or non-numeric cell, a repeated code, a header naming two columns for one
figure: an :class:`~allocator.errors.InputError` (exit code 2) naming the file, line and column.
Codes are matched to a plan by :func:`match_codes` (which also knows the Barnsley and Sheffield
recoding of 2024). The notes on a file, in ``track``'s words, are built here: :func:`renamed_notes`,
:func:`suppressed_notes`, :func:`skipped_notes` (and :func:`skipped_people`, the people in the skipped rows
that are not totals); ``replan`` gives them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import InputError, Issue, listed
from allocator.hexmap import CODE_ALIASES, hexes
from allocator.inputs import MAX_TABLE_BYTES, SAVE_AS_UTF8, comma_message, decode_text, parse_numbers, read_file
from allocator.totals import area_sum

#: How many lines above the header a file may have (title and notes lines of a published sheet).
HEADER_SEARCH_LINES = 30
#: Cell markers of a figure that is not published (suppressed, not available, not applicable).
SUPPRESSED_MARKERS = ("*", "..", ".", ":", "z", "x", "c", "[c]", "[x]", "[z]", "[u]", "[w]", "[low]")
#: Cells a published table may use for nil, refused with :data:`NIL_HINT`.
DASHES = ("-", "–", "—", "--")
NIL_HINT = (" (a dash: write nil as 0, and a figure that is not published as a suppression marker: "
            + ", ".join(SUPPRESSED_MARKERS) + ")")
#: What to do with a suppressed cell: refuse the file (exit 2), read it as unknown, read it as 0.
REFUSE, UNKNOWN, ZERO = "error", "unknown", "zero"
SUPPRESSED_POLICIES = (REFUSE, UNKNOWN, ZERO)
#: The default: a suppressed figure is unknown (left out of the sums), and each one is listed.
SUPPRESSED_DEFAULT = UNKNOWN
#: Code prefixes of aggregates, never councils: countries, the UK and Great Britain, English regions,
#: counties and metropolitan counties, Inner and Outer London.
AGGREGATE_PREFIXES = ("K02", "K03", "K04", "E92", "W92", "S92", "N92", "E12", "E10", "E11", "E13")
#: Codes of people supported whom the table places in no council (Asy_D11 writes ``N/A``).
NO_COUNCIL_CODES = ("n/a", "na", "unknown", "not known")
#: Why a row of people is skipped: the table places them in no council, or the row gives no code (and is not a
#: totals row). Their people are in no council's figures (:func:`skipped_people`).
IN_NO_COUNCIL, NO_CODE = "people the table places in no council", "a row with figures but no area code"
#: The words of a totals row with no code.
TOTAL_WORDS = re.compile(r"\b(total|united kingdom|great britain|england|wales|scotland|northern ireland|all)\b",
                         re.IGNORECASE)
#: The figures read, by the role of their column: (name in outputs, what it is).
FIGURES = {"dispersal": "people in dispersal accommodation", "contingency": "people in contingency accommodation "
           "(hotels and other contingency sites)", "initial": "people in initial accommodation"}
#: Today's code of each council whose code changed (the 2024 recoding of Barnsley and Sheffield).
RENAMED = {old: new for new, old in CODE_ALIASES.items()}

_AS_AT = re.compile(r"as at (\d{1,2}) ([A-Za-z]+) (\d{4})", re.IGNORECASE)


def council_codes() -> frozenset[str]:
    """Every UK council code the engine knows: the 361 of the hex map's layout (2023 codes) and the
    codes that replaced two of them in 2024 (Barnsley E08000038, Sheffield E08000039)."""
    return frozenset(hexes()) | frozenset(CODE_ALIASES)


def _words(header: str) -> str:
    """A column name as words: ``areaCode`` → ``area code``, ``LAD Code`` → ``lad code``."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header.strip())
    return re.sub(r"[^a-z0-9%]+", " ", spaced.lower().replace("&", " and ")).strip()


_ROLES = {
    "code": re.compile(r"^((area|lad|la|local authority|council|ons|gss) )?code$|^lad\d\dcd$|^area code$"),
    "name": re.compile(r"^((area|lad|la|local authority|council) )?name$|^local authority$|^lad\d\dnm$"),
    "region": re.compile(r"^(uk )?region( name| or nation| nation)?$|^region and nation$|^region name$"),
    "date": re.compile(r"^(snapshot |reference |as at |period end |end )?date$|^as at$|^period end(ing)?$"),
}
_REG02 = {"dispersal": "dispersal", "contingency": "contingency", "initial": "initial"}
_OWN = {"dispersal": "stock", "contingency": "contingency", "initial": "initial"}
_NOT_A_COUNT = re.compile(r"\b(rate|per|%|percentage|share)\b")


def _roles(header: list[str]) -> tuple[str | None, dict[str, int], dict[str, list[int]]]:
    """The layout a header line names (``areas``, ``reg02`` or None), the column of each role, and
    the roles more than one column could be."""
    words = [_words(h) for h in header]
    found: dict[str, list[int]] = {}
    for role, pattern in _ROLES.items():
        found[role] = [i for i, w in enumerate(words) if pattern.fullmatch(w)]
    own = "stock" in words
    for role, word in (_OWN if own else _REG02).items():
        found[role] = [i for i, w in enumerate(words) if (w == word if own else word in w.split())
                       and not _NOT_A_COUNT.search(w)]
    layout = None
    if found["code"] and found["dispersal"]:
        layout = "areas" if own else "reg02"
    one = {role: cols[0] for role, cols in found.items() if len(cols) == 1}
    many = {role: cols for role, cols in found.items() if len(cols) > 1}
    return layout, one, many


@dataclass
class Actual:
    """An actual position read by :func:`read_actual`: one row per council, with the rows it skipped."""

    table: pd.DataFrame
    """area_code, area_name, region (text, possibly empty), the figures (``dispersal``, and
    ``contingency``, ``initial`` when the file has them; NaN where unknown), ``line`` (in the file)."""
    label: str
    layout: str                    # "reg02" or "areas"
    sha256: str
    columns: dict[str, str]        # role -> the column's name in the file
    header_line: int
    date_in_file: date | None = None
    date_where: str = ""           # where the file says its date: its title, or its date column
    date_cell: tuple[int, str | None] | None = None   # where the date is: the title's line, or the first date cell's
    skipped: list[dict] = field(default_factory=list)     # line, code, name, why, dispersal
    suppressed: list[dict] = field(default_factory=list)  # line, area_code, column, marker, read_as
    zeros: list[dict] = field(default_factory=list)       # line, area_code, column: an areas table's empty cells
    #                                                       read as 0

    def check_date(self, when: date, name: str = "--date") -> None:
        """Refuse (exit 2) a ``when`` other than the date the file gives (in its title or its date column);
        ``name`` is what the caller calls the date given: the option ``--date``, or an argument in Python."""
        if self.date_in_file is not None and self.date_in_file != when:
            line, column = self.date_cell or (None, None)
            raise InputError(Issue(self.label, f"the table is as at {self.date_in_file:%d %B %Y} ({self.date_where}) "
                                               f"but the date given ({name}) is {when:%d %B %Y}: is this the "
                                               "release of that date?", row=line, field=column))

    def date_note(self, when: date, name: str = "--date") -> str | None:
        """What a reader must be told when the file gives no date: it is taken to be of ``when`` (``name``)."""
        if self.date_in_file is not None:
            return None
        return (f"{Path(self.label).name} gives no date (no 'as at' in a title line, no date column): it is taken "
                f"to be the position at {when:%d %B %Y}, the date given ({name})")

    @property
    def layout_words(self) -> str:
        return ("a Home Office local authority table (Reg_02 layout)" if self.layout == "reg02" else
                "an areas table (the project's own format)")


def read_actual(source: str | Path | pd.DataFrame, *, suppressed: str = SUPPRESSED_DEFAULT,
                label: str | None = None) -> Actual:
    """Read an actual position from a CSV file (or a table of text cells given in code).

    ``suppressed``: ``unknown`` (the default: the figure is unknown, NaN, and listed), ``error`` (a
    suppressed cell refuses the file, exit 2) or ``zero`` (read as 0, listed). Raises :class:`InputError` naming the
    file, line and column for anything that cannot be read as a council's count of people.
    """
    if suppressed not in SUPPRESSED_POLICIES:
        raise ValueError(f"suppressed must be one of {SUPPRESSED_POLICIES}, got {suppressed!r}")
    if isinstance(source, pd.DataFrame):
        label = label or "actual (in code)"
        rows = [list(map(str, source.columns))] + source.astype(str).where(source.notna(), "").values.tolist()
        digest = hashlib.sha256(source.to_csv(index=False).encode()).hexdigest()
    else:
        label = label or str(source)
        raw = read_file(source, MAX_TABLE_BYTES, label, "a table", InputError)
        digest = hashlib.sha256(raw).hexdigest()
        rows = _csv_rows(decode_text(raw, label, SAVE_AS_UTF8, InputError), label)
    return _parse(rows, label, digest, suppressed)


def _csv_rows(text: str, label: str) -> list[list[str]]:
    if "\x00" in text:
        raise InputError(Issue(label, "the file contains NUL bytes; it is not a text CSV file"))
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), strict=True)]
    except csv.Error as err:
        raise InputError(Issue(label, f"cannot parse the CSV: {err}")) from None


def _find_header(rows: list[list[str]], label: str) -> tuple[int, str, dict[str, int]]:
    for k, row in enumerate(rows[:HEADER_SEARCH_LINES]):
        layout, one, many = _roles(row)
        if layout is None:
            continue
        if many:
            role, cols = next(iter(many.items()))
            names = " and ".join(f"'{row[c]}'" for c in cols)
            raise InputError(Issue(label, f"the header names {names}: which is the {role} column? Keep one "
                                          f"(delete or rename the other)", row=k + 1, field=row[cols[0]]))
        return k, layout, one
    if not any(any(r) for r in rows):
        raise InputError(Issue(label, "the file is empty: no header line, no rows (an actual file is a table of "
                                      "councils: see docs/monitoring.md#the-actual-file)"))
    raise InputError(Issue(label, "no recognisable layout" + _why_no_layout(rows) + ": no line among the first "
                                  f"{HEADER_SEARCH_LINES} names both an area code column (area_code, LAD Code, "
                                  "Local authority code, areaCode, ...) and a dispersal column (stock in the "
                                  "project's areas format, or a column whose name holds 'dispersal', such as "
                                  "'Dispersal accommodation'); see docs/monitoring.md#the-actual-file"))


def _why_no_layout(rows: list[list[str]]) -> str:
    """What a file with no header line is, when it can be told: its fields separated by ``;`` or tabs
    (a spreadsheet's CSV in a language whose decimal mark is a comma)."""
    lines = [r for r in rows[:HEADER_SEARCH_LINES] if any(r)]
    for mark, words in ((";", "';'"), ("\t", "tabs")):
        if sum(len(r) == 1 and mark in r[0] for r in lines) > len(lines) / 2:
            return (f" (its fields are separated by {words}, not commas: save it as CSV with commas, e.g. "
                    "'CSV UTF-8 (Comma delimited)')")
    return ""


def _date_in(lines: list[list[str]]) -> tuple[date | None, int | None]:
    """The date of the first title line that says ``as at <date>``, and that line (1-based)."""
    for k, row in enumerate(lines):
        m = _AS_AT.search(" ".join(row))
        if m:
            try:
                return datetime.strptime(" ".join(m.groups()), "%d %B %Y").date(), k + 1
            except ValueError:
                return None, None
    return None, None


#: The ways a date cell may be written: 2025-12-31, 31/12/2025, 31 December 2025, 31 Dec 2025, 31-Dec-2025.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%d-%B-%Y")


def _cell_date(text: str) -> date | None:
    text = text.strip()
    text = text[:10] if re.fullmatch(r"\d{4}-\d\d-\d\d[T ][0-9:.]+", text) else text   # 2025-12-31T00:00:00
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def _column_date(table: pd.DataFrame, column: str, label: str, title: date | None,
                 issues: list[Issue]) -> tuple[date, int] | None:
    """The one date the council rows' date column gives (an empty cell says nothing) and its first line.
    Issues: each cell that is not a date; ONE for a column of several dates (how many rows give each) and
    ONE for a column of one date that is not the title's."""
    texts, lines, codes = table["date"].astype(str), table["line"].to_numpy(), table["area_code"].to_numpy()
    known = {text: _cell_date(text) for text in texts.unique() if text}
    dates = texts.map(lambda text: known.get(text))
    bad = np.flatnonzero((texts != "").to_numpy() & dates.isna().to_numpy())
    issues += listed(bad, lambda i: Issue(label, f"'{texts.iat[i]}' is not a date (write it as YYYY-MM-DD, e.g. "
                                                 "2025-12-31)", row=int(lines[i]), field=column, area=str(codes[i])))
    given = dates[dates.notna()]
    if given.empty:
        return None
    groups = sorted(given.groupby(given, sort=False).groups.items(), key=lambda g: (-len(g[1]), g[0]))
    said = f"; the title says as at {title:%d %B %Y}" if title else ""
    if len(groups) > 1:
        odd = int(groups[-1][1][0])
        each = ", ".join(f"{_rows(lines[np.asarray(rows)])} dated {d:%d %B %Y}" for d, rows in groups)
        issues.append(Issue(label, f"the column gives {len(groups)} dates: {each}{said}: an actual file "
                                   "describes one date; give the rows of one release", row=int(lines[odd]),
                            field=column, area=str(codes[odd])))
        return None
    when, first = groups[0][0], int(given.index[0])
    if title and title != when:
        issues.append(Issue(label, f"the title says as at {title:%d %B %Y} but the column '{column}' says "
                                   f"{when:%d %B %Y} (every row that gives a date, {len(given):,} of them): which "
                                   "date is the table's?", row=int(lines[first]), field=column))
    return when, int(lines[first])


def _rows(lines: np.ndarray) -> str:
    """``1 row (line 7)``, ``2 rows (lines 7 and 9)``, ``359 rows (the first on line 4)``."""
    if len(lines) == 1:
        return f"1 row (line {lines[0]})"
    if len(lines) <= 3:
        return f"{len(lines)} rows (lines {', '.join(map(str, lines[:-1]))} and {lines[-1]})"
    return f"{len(lines):,} rows (the first on line {lines[0]})"


def _parse(rows: list[list[str]], label: str, digest: str, policy: str) -> Actual:
    k, layout, cols = _find_header(rows, label)
    header = rows[k]
    body = [(k + 2 + i, r) for i, r in enumerate(rows[k + 1:]) if any(c for c in r)]
    issues: list[Issue] = []
    wide = [(line, r) for line, r in body if len(r) > len(header) and any(r[len(header):])]
    issues += listed(wide, lambda w: Issue(label, f"{len(w[1])} fields but the header has {len(header)}", row=w[0]))
    if issues:
        raise InputError(issues)

    def cell(r: list[str], role: str) -> str:
        c = cols.get(role)
        return r[c] if c is not None and c < len(r) else ""

    figures = [f for f in FIGURES if f in cols]
    out = {"line": [], "area_code": [], "area_name": [], "region": [], "date": [], **{f: [] for f in figures}}
    skipped, marks, zeros = [], [], []
    for line, r in body:
        code, name = cell(r, "code").upper(), cell(r, "name")       # e06000002 is E06000002
        lone = sum(1 for c in r if c) <= 1 and not re.fullmatch(r"[A-Za-z0-9_\-]+", code)  # one cell of text
        why = "a note line" if lone else _not_a_council(code, name, [cell(r, f) for f in figures])
        if why:
            skipped.append({"line": line, "code": code, "name": name or next((c for c in r if c), ""), "why": why,
                            "dispersal": cell(r, "dispersal"), "figures": {f: cell(r, f) for f in figures}})
            continue
        out["line"].append(line)
        out["area_code"].append(code)
        out["area_name"].append(name)
        out["region"].append(cell(r, "region"))
        out["date"].append(cell(r, "date"))
        for f in figures:
            out[f].append(cell(r, f))
    table = pd.DataFrame(out)
    for f in figures:
        table[f] = _counts(table, f, header[cols[f]], layout, policy, label, issues, marks, zeros)
    issues += _repeated(table, header, cols, label)
    in_title, title_line = _date_in(rows[:k])
    dated = _column_date(table, header[cols["date"]], label, in_title, issues) if "date" in cols else None
    in_column = dated[0] if dated else None
    if issues:
        raise InputError(issues)
    if table.empty:
        raise InputError(Issue(label, "no council rows below the header", row=k + 1))
    where = (f"its title, above line {k + 1}" if in_title else
             f"its column '{header[cols['date']]}'" if in_column else "")
    return Actual(table=table.drop(columns="date"), label=label, layout=layout, sha256=digest,
                  columns={role: header[c] for role, c in cols.items()}, header_line=k + 1,
                  date_in_file=in_title or in_column, date_where=where,
                  date_cell=(title_line, None) if in_title else (dated[1], header[cols["date"]]) if dated else None,
                  skipped=skipped, suppressed=marks, zeros=zeros)


#: What a plan's allocations.csv given as the actual is told (one row per area and year, not per council).
_A_PLANS_TABLE = ("; the file has a 'year' column: a plan's allocations.csv (one row per area and year)? An actual "
                  "file is one row per council, its position on one date (a published table, or a plan's start.csv)")


def _repeated(table: pd.DataFrame, header: list[str], cols: dict[str, int], label: str) -> list[Issue]:
    """An issue for each row whose code an earlier row gives; the first says when the file looks like a plan's
    allocations.csv (a ``year`` column)."""
    codes, lines = table["area_code"], table["line"].to_numpy()
    by_code = pd.Series(lines, index=codes).groupby(level=0)
    first, times = by_code.first(), by_code.size()
    hint = _A_PLANS_TABLE if "year" in (_words(h) for h in header) else ""
    repeats = np.flatnonzero(codes.duplicated(keep="first").to_numpy())

    def issue(i: int) -> Issue:
        said = hint if i == repeats[0] else ""
        code = codes.iat[i]
        twice = f"twice (also on line {first[code]})" if times[code] == 2 else \
            f"{times[code]} times (first on line {first[code]})"
        return Issue(label, f"the area code '{code}' is given {twice}{said}", row=int(lines[i]),
                     field=header[cols["code"]])
    return listed(repeats, issue)


def _not_a_council(code: str, name: str, figures: list[str]) -> str | None:
    """Why a row is not a council's (a totals row, people in no council, a note), or None."""
    if code.upper().startswith(AGGREGATE_PREFIXES):
        return "a region, country or UK total (its code is not a council's)"
    if code.lower() in NO_COUNCIL_CODES:
        return IN_NO_COUNCIL
    if code:
        return None
    if TOTAL_WORDS.search(name):
        return "a totals row"
    if any(figures):
        return NO_CODE
    return "a note line"


def _counts(table: pd.DataFrame, figure: str, column: str, layout: str, policy: str, label: str,
            issues: list[Issue], marks: list[dict], zeros: list[dict]) -> np.ndarray:
    """Whole, non-negative numbers of people from the text cells of ``figure``; suppressed cells by ``policy``; the
    empty cells of an areas table's contingency or initial read as 0 and listed in ``zeros``."""
    cells = table[figure].astype(str)
    empty = (cells == "").to_numpy()
    marker = cells.str.lower().isin(SUPPRESSED_MARKERS).to_numpy()
    values, misplaced = parse_numbers(cells.where(~marker, ""))
    lines, codes = table["line"].to_numpy(), table["area_code"].to_numpy()

    def bad(mask: np.ndarray, message) -> None:
        issues.extend(listed(np.flatnonzero(mask), lambda i: Issue(label, message(i), row=int(lines[i]),
                                                                    field=column, area=str(codes[i]))))

    if figure != "dispersal" and layout == "areas":
        values[empty] = 0.0                        # the areas format: an empty contingency or initial is 0
        zeros.extend({"line": int(lines[i]), "area_code": str(codes[i]), "column": column}
                     for i in np.flatnonzero(empty))
    else:
        bad(empty, lambda i: "missing value: give the number of people (0 if none)")
    bad(misplaced, lambda i: comma_message(cells.iat[i]))
    bad(~empty & ~marker & ~misplaced & np.isnan(values), lambda i: f"not a number: '{cells.iat[i]}'" + (
        NIL_HINT if cells.iat[i].strip() in DASHES else ""))
    bad(values < 0, lambda i: f"{cells.iat[i]} is negative: a count of people is 0 or more")
    bad((values >= 0) & (np.abs(values - np.round(values)) > 1e-9),
        lambda i: f"{cells.iat[i]} is not a whole number of people")
    if marker.any() and policy == REFUSE:
        bad(marker, lambda i: f"suppressed ('{cells.iat[i]}'): the figure is not published, and suppressed "
                              "figures are refused (--suppressed error). Without it the council's figure is read "
                              "as unknown (--suppressed zero: as 0); either is reported")
    elif marker.any():
        values[marker] = np.nan if policy == UNKNOWN else 0.0
        marks.extend({"line": int(lines[i]), "area_code": str(codes[i]), "column": column,
                      "marker": cells.iat[i], "read_as": UNKNOWN if policy == UNKNOWN else "0"}
                     for i in np.flatnonzero(marker))
    return values


def suppressed_notes(label: str, marks: list[dict]) -> list[str]:
    """One note per suppressed cell read as unknown or 0 (``marks``: :attr:`Actual.suppressed` of the
    file ``label``): the file, its line, council and column."""
    return [f"suppressed in {Path(label).name}, line {m['line']} ({m['area_code']}), column '{m['column']}' "
            f"('{m['marker']}'): read as {m['read_as']}" for m in marks]


def zero_notes(actual: Actual, names: dict[str, str] | None = None, limit: int = 12) -> list[str]:
    """One note per column of the areas format whose empty cells were read as 0 (:attr:`Actual.zeros`): how many,
    and which councils (``names``: code -> name, where known), the first ``limit`` and how many more."""
    notes = []
    names = names or {}
    for column in dict.fromkeys(z["column"] for z in actual.zeros):
        cells = [z for z in actual.zeros if z["column"] == column]
        who = ", ".join(f"{names[z['area_code']] + ' (' if names.get(z['area_code']) else '('}{z['area_code']}, line "
                        f"{z['line']})" for z in cells[:limit])
        more = f" and {len(cells) - limit} more" if len(cells) > limit else ""
        notes.append(f"{len(cells)} empty cell(s) in column '{column}' of {Path(actual.label).name} read as 0 (in the "
                     f"areas format an empty {column} is 0, as in a scenario): {who}{more}")
    return notes


def skipped_notes(actual: Actual, regions: list[str] | None = None) -> list[str]:
    """One note per row :func:`read_actual` skipped (:attr:`Actual.skipped`): its line, what it is and its
    dispersal figure; for a totals row of an area that can be told (the UK or Great Britain, a nation, a region:
    by its code, or by its name, ``Total for North East``), the sum of that area's council rows beside it, over
    the councils whose figure is known, so a reader sees whether they agree. ``regions``: the region of each
    council row of the file, where known (a plan's), beside the file's own and the hex map's."""
    notes = []
    for s in actual.skipped:
        what = f"line {s['line']}: '{s['name'] or s['code']}' skipped, {s['why']}"
        if s["dispersal"]:
            value = parse_numbers(pd.Series([s["dispersal"]]))[0][0]
            what += "; its dispersal figure is " + (f"{value:,.0f}" if np.isfinite(value) else f"'{s['dispersal']}'")
            if "total" in s["why"]:
                what += area_sum(actual.table, s, regions)
        notes.append(what)
    return notes


def skipped_people(actual: Actual) -> tuple[dict[str, float], list[int]]:
    """The people in the skipped rows that are not totals (:data:`IN_NO_COUNCIL`, :data:`NO_CODE`), in no
    council's figures: their sum by figure (``dispersal``, ``contingency``, ``initial`` as the file has them; a
    cell that is not a number counts as none) and the lines of the rows with any."""
    rows = [s for s in actual.skipped if s["why"] in (IN_NO_COUNCIL, NO_CODE)]
    cells = pd.DataFrame([s.get("figures", {}) for s in rows], columns=[f for f in FIGURES if f in actual.columns])
    values = pd.DataFrame({f: parse_numbers(cells[f].fillna(""))[0] for f in cells.columns}).fillna(0.0)
    held = values.sum(axis=1).to_numpy() > 0
    return ({f: float(values[f].sum()) for f in values.columns},
            [r["line"] for r, h in zip(rows, held) if h])


# --------------------------------------------------------------------------- matching a plan's codes
@dataclass(frozen=True)
class Matched:
    """An actual's rows matched to a plan's areas by :func:`match_codes`."""

    index: np.ndarray        # (A,) row of the actual table for each plan area, -1 where the actual has none
    renamed: list[dict]      # line, code (in the actual), area_code (the plan's), area_name
    outside: pd.DataFrame    # actual rows of councils the plan does not have (known council codes)


def match_codes(actual: Actual, plan_codes: list[str], plan_names: list[str]) -> Matched:
    """Match the actual's council rows to the plan's areas.

    A code the plan has matches it; a code renamed in 2024 (Barnsley, Sheffield: either code on
    either side) matches the plan's; a UK council code the plan does not have is listed in
    ``outside`` (and each renamed code in ``renamed``, :func:`renamed_notes`). A code in neither the plan nor the list of UK council codes is an
    :class:`InputError` (exit 2) naming the line and column, and so is a file none of whose rows is
    an area of the plan (the actual of another plan: nothing could be compared).
    """
    t = actual.table
    codes = t["area_code"].to_numpy(dtype=object)
    position = {c.upper(): i for i, c in enumerate(plan_codes)}     # a code is read whatever its case
    also = {**RENAMED, **CODE_ALIASES}                      # old -> new and new -> old
    target = np.array([position.get(c, position.get(also.get(c, ""), -1)) for c in codes], dtype=np.int64)
    renamed = [{"line": int(t["line"].iat[i]), "code": str(codes[i]), "area_code": plan_codes[target[i]],
                "area_name": plan_names[target[i]]}
               for i in np.flatnonzero((target >= 0) & (np.array([c not in position for c in codes], bool)))]
    known = council_codes()
    unknown = np.flatnonzero((target < 0) & np.array([c not in known for c in codes], bool))
    if unknown.size:
        raise InputError(listed(unknown, lambda i: Issue(
            actual.label, f"the area code '{codes[i]}' is neither in the plan nor a UK council code (the 361 "
                          "councils of 2023, with Barnsley and Sheffield's codes of 2024): a typing error, or the "
                          "plan of other areas?", row=int(t["line"].iat[i]), field=actual.columns["code"])))
    if len(codes) and (target < 0).all():
        rows = f"its {len(codes):,} council rows are all" if len(codes) > 1 else "its one council row is"
        raise InputError(Issue(actual.label, f"none of the plan's {len(plan_codes):,} areas is in this file ({rows} "
                                             "of other areas): is this the actual for another plan?",
                               row=actual.header_line, field=actual.columns["code"]))
    hit = np.flatnonzero(target >= 0)
    twice = hit[pd.Series(target[hit]).duplicated().to_numpy()]
    if twice.size:                                          # E08000016 and E08000038 are one council
        i = int(twice[0])
        j = int(hit[target[hit] == target[i]][0])
        raise InputError(Issue(actual.label, f"'{codes[i]}' and '{codes[j]}' (line {t['line'].iat[j]}) are the same "
                                             f"council, {plan_names[target[i]]} (its code changed in 2024): give "
                                             "it once", row=int(t["line"].iat[i]), field=actual.columns["code"]))
    index = np.full(len(plan_codes), -1, dtype=np.int64)
    index[target[hit]] = hit
    return Matched(index=index, renamed=renamed, outside=t[target < 0].reset_index(drop=True))


def plan_names(actual: Actual, matched: Matched, names) -> dict[str, str]:
    """The plan's name (``names``, one per plan area) of each council code of the actual file that is its area."""
    codes = actual.table["area_code"].to_numpy(dtype=object)
    return {str(codes[i]): names[a] for a, i in enumerate(matched.index) if i >= 0}


def plan_regions(actual: Actual, matched: Matched, regions) -> list[str]:
    """The plan's region (``regions``, one per plan area) of each council row of the actual file; "" where the row
    is not the plan's (for :func:`skipped_notes`)."""
    out = np.full(len(actual.table), "", dtype=object)
    out[matched.index[matched.index >= 0]] = np.asarray(regions, dtype=object)[matched.index >= 0]
    return out.tolist()


def actual_notes(actual: Actual, matched: Matched, names, regions) -> tuple[list[str], list[str], list[str]]:
    """The notes track and replan both give on an actual file: empty cells read as 0, codes read as another
    council's, rows skipped (with their totals checked against the councils of their area)."""
    return (zero_notes(actual, plan_names(actual, matched, names)), renamed_notes(matched),
            skipped_notes(actual, plan_regions(actual, matched, regions)))


def renamed_notes(matched: Matched) -> list[str]:
    """One note per row whose code :func:`match_codes` read as another (Barnsley's and Sheffield's codes of
    2024): its line, the code in the file and the plan's area it is read as."""
    return [f"line {r['line']}: the code {r['code']} is read as {r['area_code']} ({r['area_name']}): the council's "
            "code changed in 2024" for r in matched.renamed]

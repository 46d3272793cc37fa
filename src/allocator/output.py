"""Writing outputs: the one writer every command uses for the files it leaves on disk.

* :func:`write_folder` writes a folder atomically: the files go into a temporary
  folder beside the target, which is then swapped into place in one step
  (``renameat2(RENAME_EXCHANGE)`` on Linux; two renames elsewhere). A reader, or a run
  killed at any moment, sees the previous complete folder or the new one, never a mix.
  Every folder it writes holds a marker (:data:`MARKER`) naming the kind of output and
  its files.
* :func:`write_file` writes one file atomically (a temporary file beside it, then
  ``os.replace``).
* :func:`output_lock` holds ``.<name>.lock`` beside the target (``flock``) while a run
  writes, so that a second run fails at once instead of interleaving.
* :func:`check_target` holds the rules for ``--out`` (and ``--force``): a folder is
  replaced only when allocator wrote it and it holds nothing else, never the current
  folder, an input or a folder that contains one; a symbolic link is refused.
* :func:`clean_text`, :func:`safe_csv`, :func:`escape_html` and :func:`echo` keep
  control characters (terminal escape sequences) and spreadsheet formulas out of
  every output (:func:`plain_text` reads such a name back); :func:`safe_file_names` turns
  names into distinct, safe file names; :func:`fmt` writes a number as people read it.

Every operating-system error while writing (a full disk, a file-size limit, a read-only
folder, a file where a folder should be) becomes an :class:`~allocator.errors.OutputError`
(exit code 7) naming the path; nothing half-written is left behind.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import html
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click
import pandas as pd

from allocator.errors import OutputError

try:  # POSIX; elsewhere the lock is best effort
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: The marker in every folder allocator writes: ``{"written_by": "allocator", "kind": ..., "files": [...]}``.
MARKER = ".allocator-output.json"

#: Folders written before the marker existed, recognised by a manifest and a known set of files.
LEGACY = {
    "plan": ("summary.json", ("scenario_sha256",),
             {"allocations.csv", "trajectory.csv", "regions.csv", "start.csv", "summary.json", "timings.json",
              "plan.xlsx"}),
    "sweep": ("sweep.json", ("scenario_sha256", "keys"), {"sweep.json", "points", "results.csv", "results.parquet"}),
}

# --------------------------------------------------------------------------- text in outputs
#: Control characters (C0, DEL, C1) and the Unicode line separators: escaped in every output.
_CONTROL = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
_ESCAPE = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _CONTROL}
_ESCAPE_MULTILINE = {c: v for c, v in _ESCAPE.items() if c != 0x0A}
_HAS_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_text(value: object, *, multiline: bool = False) -> str:
    """``value`` as text with every control character written out as ``\\xNN``.

    Names come from users' files: an escape sequence in a council's name must not
    recolour, retitle or clear the terminal, and a control character must not break a
    workbook (Excel refuses most of them). With ``multiline=True`` line breaks are kept
    (for whole messages); the rest is still escaped.
    """
    text = "" if value is None else str(value)
    if not _HAS_CONTROL.search(text):
        return text
    return text.translate(_ESCAPE_MULTILINE if multiline else _ESCAPE)


def echo(message: object = "", *, err: bool = False) -> None:
    """``click.echo`` for text that may hold names from users' files (control characters escaped)."""
    click.echo(clean_text(message, multiline=True), err=err)


def escape_html(value: object, quote: bool = True) -> str:
    """HTML-escaped text with control characters written out (for reports and SVG charts)."""
    return html.escape(clean_text(value), quote=quote)


def fmt(value: float | None, kind: str, signed: bool = False) -> str:
    """A number as people read it: thousands separators, £ millions, never scientific notation.

    ``kind`` is ``people``, ``count``, ``money`` (£ millions; an amount too small to show in them, yet a
    pound or more, in whole pounds: ``-£7,588``, never ``0``), ``pounds`` (whole £), ``gini`` or ``rate``;
    with ``signed`` a difference too small to show is ``0`` and a positive one has a ``+``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "money" and round(value, -5) == 0 and round(value) != 0:
        kind = "pounds"                             # £0.0m would hide it: a difference of £7,588 is not none
    if round(value, {"money": -5, "gini": 3, "rate": 1}.get(kind, 0)) == 0:
        if signed:
            return "0"
        value = 0.0                                 # never "-0": a value that shows as zero is zero
    sign = "+" if signed and value > 0 else ""
    if kind == "pounds":
        return f"{'-' if value < 0 else sign}£{abs(value):,.0f}"
    if kind == "money":
        m = value / 1e6
        return f"{'-' if m < 0 else sign}£{abs(m):,.1f}m"
    if kind == "gini":
        return f"{sign}{value:.3f}"
    if kind == "rate":
        return f"{sign}{value:,.1f}"
    return f"{sign}{value:,.0f}"


def people(value: float | None, signed: bool = False) -> str:
    """A number of people with its noun, as :func:`fmt` shows it: ``1 person``, ``87 people``, ``+1 person``."""
    shown = fmt(value, "people", signed=signed)
    return f"{shown} {'person' if shown.lstrip('+-') == '1' else 'people'}"


def year_span(first: int, last: int) -> str:
    """``2027–2029``, or ``2027`` for one year."""
    return f"{first}" if first == last else f"{first}–{last}"


def percent(value: float, digits: int = 0, signed: bool = False) -> str:
    """A share as a percentage (0.5: ``50%``), with ``signed`` a ``+`` on a rise; never ``-0%``: a share
    that shows as zero is ``0%``."""
    text = f"{value:{'+' if signed else ''}.{digits}%}"
    return text if round(value * 100, digits) != 0 else f"{0:.{digits}%}"


def sentence(text: str) -> str:
    """``text`` as a sentence: its first letter upper-cased and a full stop at its end, unless its first word
    is a file name or a path (``areas.csv gives no date``), whose case is its own."""
    first = text.split(maxsplit=1)[0].rstrip(":,;") if text.strip() else ""
    starts = text if "." in first or "/" in first or "\\" in first else text[:1].upper() + text[1:]
    return starts + ("" if starts.endswith(".") else ".")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Wall-clock measurements: written to timings.json (never to summary.json or plan.xlsx), so that
#: the same scenario gives byte-identical files.
TIMING_KEYS = ("build_seconds", "solve_seconds", "interpret_seconds", "verify_seconds")


def _safe_cell(value: str) -> str:
    value = clean_text(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_csv(df: pd.DataFrame) -> pd.DataFrame:
    """The table with text safe for a spreadsheet: control characters escaped, and a leading
    apostrophe on text (cells and column headers) that a spreadsheet would run as a formula.

    Only text values are touched (a number such as -12.5 stays a number). Used for every CSV
    the engine writes: plans, comparisons, sweeps, frontiers, uncertainty tables.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            values = out[col].tolist()
            if any(isinstance(v, str) and (v.startswith(FORMULA_STARTS) or _HAS_CONTROL.search(v)) for v in values):
                out[col] = [_safe_cell(v) if isinstance(v, str) else v for v in values]
    out.columns = [_safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def plain_text(value: object) -> str:
    """A name read back from a CSV output, without the apostrophe :func:`safe_csv` put before text
    a spreadsheet would run as a formula (for pages, where a formula runs nowhere)."""
    s = "" if value is None else str(value)
    return s[1:] if len(s) > 1 and s[0] == "'" and s[1:].startswith(FORMULA_STARTS) else s


def markdown_table(df: pd.DataFrame, text_columns: Iterable[str] = ()) -> str:
    """``df`` as a Markdown table: the ``text_columns`` left-aligned, the rest right; every cell plain
    text (control characters escaped, ``|`` escaped)."""
    def cell(value: object) -> str:
        return clean_text(value).replace("|", "\\|")

    text = set(text_columns)
    head = "| " + " | ".join(cell(c) for c in df.columns) + " |"
    sep = "|" + "|".join("---" if c in text else "---:" for c in df.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in r) + " |" for r in df.itertuples(index=False)]
    return "\n".join([head, sep, *rows])


_RESERVED_STEMS = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")


def safe_file_names(names: Iterable[str], suffix: str = ".html", reserved: Iterable[str] = ("index",),
                    fallback: str = "region") -> dict[str, str]:
    """A distinct, safe file name for every name: a lower-case ASCII slug, plus a short hash of the
    name when the slug is empty, shared by another name, reserved (``index``) or a device name.

    ``+r``, ``-r`` and ``@r`` get ``r-<hash>.html`` each; ``Index`` gets ``index-<hash>.html``;
    non-Latin names get ``region-<hash>.html``. The same name always gets the same file name.
    """
    names = list(dict.fromkeys(names))
    slugs = {n: _slug(n) for n in names}
    shared = Counter(slugs.values())
    taken = {r.lower() for r in reserved} | _RESERVED_STEMS
    out: dict[str, str] = {}
    for n in names:
        s = slugs[n]
        if not s or shared[s] > 1 or s in taken:
            s = f"{s or fallback}-{hashlib.sha256(n.encode('utf-8')).hexdigest()[:8]}"
        out[n] = s + suffix
    if len(set(out.values())) < len(out):         # a slug that happens to look like another's hashed name
        out = {n: f"{slugs[n] or fallback}-{hashlib.sha256(n.encode('utf-8')).hexdigest()[:16]}{suffix}"
               for n in names}
    return out


# --------------------------------------------------------------------------- errors
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EFBIG: "a file would exceed the file-size limit (ulimit -f)",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "a folder is in the way",
}


@contextmanager
def os_errors(target: str | Path, note: str = "") -> Iterator[None]:
    """Turn an operating-system error while writing ``target`` into an :class:`OutputError` naming it."""
    try:
        yield
    except OSError as err:
        reason = _REASONS.get(err.errno or 0, err.strerror or str(err))
        raise OutputError(f"cannot write {target}: {reason}{note}") from err


# --------------------------------------------------------------------------- the lock
@contextmanager
def output_lock(target: str | Path) -> Iterator[Path]:
    """Hold ``.<name>.lock`` beside ``target`` (a folder or a file); fail at once if another run holds it.

    The lock is the ``flock`` on the file, which the kernel releases with the process (a run
    killed with SIGKILL leaves a harmless file behind). The file is removed at the end while
    still held; a run that took the lock on a file removed meanwhile sees that the path no
    longer leads to the file it locked, and tries again, so two runs never both hold it. A
    symbolic link (or anything but a regular file) at the lock's path is refused, never followed.
    """
    target = Path(target)
    if target.name in ("", ".", ".."):
        target = Path(os.path.realpath(target))     # the lock of "." is ".<name>.lock" beside it
    if not target.name:
        raise OutputError(f"{target} is the root folder; allocator never writes over it")
    _check_parents(target)
    with os_errors(target):
        target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}.lock"
    with os_errors(target):
        fd = _acquire(path, target)
    try:
        yield path
    finally:
        try:
            os.unlink(path)        # still holding the lock: leave no clutter beside the output
        except OSError:
            pass
        os.close(fd)


def _acquire(path: Path, target: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | \
        getattr(os, "O_NONBLOCK", 0)
    for _ in range(1000):
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise OutputError(f"the lock file {path} is a symbolic link; allocator does not follow it: "
                                  "remove it and run again") from None
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise OutputError(f"the lock file {path} is not a regular file; remove it and run again")
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise OutputError(f"another allocator run is writing to {target}; wait for it to finish") \
                        from None
            try:
                now = os.stat(path, follow_symlinks=False)
            except FileNotFoundError:
                now = None
            if now is not None and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)               # we locked a lock file that its holder had just removed: take the new one
    raise OutputError(f"could not take the lock {path}; another run keeps replacing it")  # pragma: no cover


# --------------------------------------------------------------------------- the rules for --out
def _real(target: Path) -> Path:
    """``target`` with its folder resolved (the last part itself is not followed)."""
    if target.name in ("", ".", ".."):
        return Path(os.path.realpath(target))
    return Path(os.path.realpath(target.parent)) / target.name


def _check_parents(target: Path) -> None:
    for parent in Path(os.path.abspath(target)).parents:
        if os.path.lexists(parent):
            if not parent.is_dir():
                raise OutputError(f"cannot write {target}: {parent} is a file, not a folder")
            return


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def input_paths(scenario) -> list[Path]:
    """The files a scenario was read from (its YAML and its tables): outputs may not replace them."""
    source = getattr(scenario, "source", None)
    if source is None:
        return []
    return [Path(source), *(Path(source).parent / name.split("#")[0] for name in scenario.input_hashes)]


def check_target(target: str | Path, *, force: bool = False, protect: Iterable[str | Path] = (),
                 what: str = "folder") -> None:
    """Refuse an output ``target`` that must not be written (an :class:`OutputError`, exit 7).

    * a symbolic link (the link would be replaced, not what it points to): give the real path;
    * the current folder or one of its parents; an input in ``protect`` or a folder holding one;
    * a path below a file; a file where a folder is asked (and the other way round);
    * an existing non-empty folder without ``force``; with ``force``, a folder allocator did not
      write (no marker, nor the manifest of an older version) or one that also holds other files.
    """
    target = Path(target)
    real = check_path(target, protect, what)
    if what == "file" or not os.path.lexists(real):
        return
    with os_errors(target):
        empty = not any(real.iterdir())
    if empty:
        return
    if not force:
        raise OutputError(f"output folder {target} is not empty; use --force to replace it")
    with os_errors(target):
        kind, why = recognise(real)
    if kind is None:
        raise OutputError(f"--force replaces only a folder that allocator wrote and that holds nothing else; "
                          f"{target} {why}. Nothing was changed: choose another {what}, or move it away yourself")


def check_path(target: Path, protect: Iterable[str | Path] = (), what: str = "folder") -> Path:
    """The rules that hold whether or not ``target`` exists (a symbolic link, the current folder or
    one above it, an input or a folder holding one, a path below a file, a file where a folder is
    asked and the other way round); returns it with its folder resolved."""
    real = _real(target)
    if real.is_symlink():
        raise OutputError(f"{target} is a symbolic link (to {os.readlink(real)}); allocator does not replace "
                          "links: give the folder or file itself")
    cwd = Path.cwd().resolve()
    if real == cwd or real in cwd.parents:
        raise OutputError(f"{target} is the current folder or one of its parents; allocator never writes over "
                          f"it: choose a new {what} such as {target / 'out'}")
    for p in protect:
        if _inside(Path(os.path.realpath(p)), real):
            raise OutputError(f"{target} would replace the input {p}; choose another {what}")
    _check_parents(target)
    if what == "file" and real.is_dir():
        raise OutputError(f"{target} is a folder; give a file name such as {target / 'report.html'}")
    if what != "file" and os.path.lexists(real) and not real.is_dir():
        raise OutputError(f"output path {target} exists and is not a folder")
    return real


def recognise(folder: Path) -> tuple[str | None, str]:
    """``(kind, "")`` when allocator wrote ``folder`` and it holds nothing else; else ``(None, why not)``."""
    entries = {p.name for p in folder.iterdir()}
    marker = folder / MARKER
    if marker.is_file() and not marker.is_symlink():
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            kind, files = str(data["kind"]), {str(f) for f in data["files"]}
        except (OSError, ValueError, KeyError, TypeError):
            return None, f"has an unreadable {MARKER}"
    else:
        kind, files = _legacy(folder, entries)
        if kind is None:
            return None, f"was not written by allocator (it has no {MARKER})"
    extra = sorted(e for e in entries - files - {MARKER} if not _is_leftover(e, files))
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        return None, f"also holds files allocator did not write there ({shown})"
    return kind, ""


def _legacy(folder: Path, entries: set[str]) -> tuple[str | None, set[str]]:
    """A folder written before the marker existed: its manifest names it (summary.json for a plan)."""
    for kind, (manifest, keys, files) in LEGACY.items():
        if manifest in entries:
            try:
                data = json.loads((folder / manifest).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and all(k in data for k in keys):
                return kind, files
    return None, set()


def _is_leftover(entry: str, files: set[str]) -> bool:
    """A temporary file or lock of one of ``files`` (left by a run killed with SIGKILL)."""
    m = re.fullmatch(r"\.(.+)\.(?:tmp-[a-z0-9_]{8}(?:\.\w+)?|lock)", entry)
    return bool(m) and m.group(1) in files


def open_resumable(target: str | Path, kind: str, files: Iterable[str], protect: Iterable[str | Path] = ()) -> Path:
    """Make ``target`` ready for a run that adds to it over time (a sweep, resumed by running it again).

    It must be absent, empty or a ``kind`` folder allocator wrote that holds nothing else; it is
    created and marked. The caller holds :func:`output_lock` for the whole run.
    """
    target = Path(target)
    real = check_path(target, protect, "folder")
    with os_errors(target):
        found, why = recognise(real) if os.path.lexists(real) and any(real.iterdir()) else (kind, "")
    if found != kind:
        why = why or f"holds a {found} written by allocator, not a {kind}"
        raise OutputError(f"{target} {why}; a {kind} is written only into a new folder or resumed in its own: "
                          "choose another folder")
    with os_errors(target):
        real.mkdir(parents=True, exist_ok=True)
        _write_marker(real, kind, sorted(files))
    return target


# --------------------------------------------------------------------------- writing
def _write_marker(folder: Path, kind: str, files: list[str]) -> None:
    data = {"written_by": "allocator", "kind": kind, "files": files}
    with open(folder / MARKER, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(data, indent=2) + "\n")


def _remove_stale(target: Path) -> None:
    """Remove what a run killed with SIGKILL left beside ``target``: exact names only, and only
    folders that are empty or hold allocator's marker (never a user's ``.photos.tmp-2024``)."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(?:tmp-[a-z0-9_]{8}(?:\.\w+)?|old-\d+)")
    for entry in target.parent.iterdir():
        if not pattern.fullmatch(entry.name) or entry.is_symlink():
            continue
        if entry.is_dir() and (not any(entry.iterdir()) or (entry / MARKER).is_file()
                               or recognise(entry)[0] is not None):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_file() and not entry.is_dir():
            entry.unlink(missing_ok=True)


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


def _swap_in(tmp: Path, target: Path) -> None:
    if os.path.lexists(target):
        if _exchange(tmp, target):     # tmp now holds the old folder
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


@contextmanager
def write_folder(target: str | Path, *, kind: str, force: bool = False, protect: Iterable[str | Path] = (),
                 locked: bool = False) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success it replaces ``target`` in one step.

    ``kind`` names the output (``plan``, ``frontier``, ``report``, ...) in the marker. The rules of
    :func:`check_target` apply (``force`` to replace an earlier output). Pass ``locked=True`` when
    the caller already holds :func:`output_lock`. On any error (or Ctrl-C) the temporary folder is
    removed and ``target`` is left as it was; an operating-system error becomes an OutputError.
    """
    target = Path(target)
    protect = list(protect)
    check_target(target, force=force, protect=protect)     # before taking the lock, and again holding it
    with nullcontext() if locked else output_lock(target):
        check_target(target, force=force, protect=protect)
        real = _real(target)
        with os_errors(target, "; nothing was changed"):
            real.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale(real)
            tmp = Path(tempfile.mkdtemp(prefix=f".{real.name}.tmp-", dir=real.parent))
            try:
                os.chmod(tmp, 0o777 & ~_umask())    # mkdtemp makes 0700; an output is as readable as any other folder
                _write_marker(tmp, kind, [])      # a killed run's folder is recognisably ours
                yield tmp
                _write_marker(tmp, kind, sorted(p.name for p in tmp.iterdir() if p.name != MARKER))
                _swap_in(tmp, real)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise


def write_file(target: str | Path, data: bytes | str | Callable[[Path], None], *,
               protect: Iterable[str | Path] = (), locked: bool = False) -> Path:
    """Write one file atomically: ``data`` (bytes or text), or ``data(path)`` writing a temporary file
    with the same suffix, which then replaces ``target`` in one step. An existing file is replaced;
    a folder or a symbolic link at ``target`` is refused."""
    target = Path(target)
    check_target(target, protect=protect, what="file")
    with nullcontext() if locked else output_lock(target):
        check_target(target, protect=protect, what="file")
        real = _real(target)
        with os_errors(target, "; nothing was changed"):
            _remove_stale(real)
            fd, name = tempfile.mkstemp(prefix=f".{real.name}.tmp-", suffix=real.suffix, dir=real.parent)
            tmp = Path(name)
            try:
                with os.fdopen(fd, "wb") as fh:
                    if not callable(data):
                        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                if callable(data):
                    data(tmp)
                os.chmod(tmp, 0o666 & ~_umask())
                os.replace(tmp, real)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    return target


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step (inside a folder whose lock the caller holds)."""
    with os_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask

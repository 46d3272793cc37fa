"""Error types and the exit codes the CLI maps them to.

Every error a user can cause derives from :class:`AllocatorError` and carries a
message written for the person who wrote the scenario, not for a programmer.
:data:`EXIT_CODES` is the exit-code table; README.md, docs/cli.md, docs/api.md
and docs/design.md show it as :func:`exit_code_table` renders it (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from allocator.status import GAP_TOLERANCE

EXIT_OK = 0
EXIT_ERROR = 1          # unexpected internal error (a bug: please report it)
EXIT_SCENARIO = 2       # bad input: the scenario or its tables, or a plan folder read back
EXIT_INFEASIBLE = 3     # hard constraints conflict
EXIT_TIME_LIMIT = 4     # the time limit left no plan better than "nobody newly placed"
EXIT_VERIFY = 5         # the plan failed the independent verifier (never written)
EXIT_SOLVER = 6         # the solver is missing or failed, or an optional package a feature needs is missing
EXIT_OUTPUT = 7         # the output folder cannot be written as asked (e.g. not empty without --force)
EXIT_NOT_OPTIMAL = 8    # a plan was written, but the time limit stopped the solver before it was proven optimal
EXIT_BROKEN_PIPE = 141  # the reader of standard output went away (128 + SIGPIPE)

#: (code, meaning, raised as, the message starts) for every exit code of the CLI.
EXIT_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("0", "success (for `solve`: the plan is optimal, verified and written)", "", ""),
    ("1", "an unexpected error, which is a bug: run again with `--debug` and report the output",
     "any other exception", "`allocator: unexpected error (...)`"),
    ("2", "bad input: a scenario, or a plan folder read back by `compare`, `explain` or `report` that is "
          "cut short, garbled or edited; or a bad command line. A file, line and column or key is named; on "
          "the command line, the option or argument and the value given",
     "`ScenarioError`, `InputError` (a plan folder), `CommandLineError` (an option or argument); click's usage errors",
     "`allocator: error in scenario:`, `allocator: error in input:`, `allocator: error in command line:`; `Error:`"),
    ("3", "infeasible: the hard constraints cannot all hold; names the constraint family and the years",
     "`InfeasibleError`", "`allocator: infeasible:`"),
    ("4", "the time limit was reached before any plan better than \"nobody newly placed\" was found; "
          "nothing is written unless `--write-incomplete` is given",
     "`TimeLimitError`", "`allocator: time limit:`"),
    ("5", "the plan failed the independent verifier; nothing is written",
     "`VerificationError`", "`allocator: plan failed verification:`"),
    ("6", "the solver is not installed or failed; or a feature needs an optional package that is not installed "
          "(the message names the extra, e.g. `pip install 'allocator[excel]'`)",
     "`SolverError`, `MissingExtraError`", "`allocator: solver error:`, `allocator: missing package:`"),
    ("7", "the output cannot be written as asked: a folder not empty without `--force`, a folder `--force` may "
          "not replace (one allocator did not write, the current folder, an input's folder), a symbolic link, "
          "another run writing to it, or the file system refusing (a full disk, a file-size limit, a read-only "
          "folder, a file where a folder should be); the message names the path, and the previous output is left "
          "as it was", "`OutputError`", "`allocator: output error:`"),
    ("8", "a plan was written, but the time limit stopped the solver before it was proven optimal "
          f"(a gap above {GAP_TOLERANCE:g}): `summary.json` has `status: time_limit` and the `gap`",
     "`NotOptimalError` (by the CLI; `solve()` returns the plan)", "`allocator: not proven optimal:`"),
    ("130 / 143", "interrupted by Ctrl-C (SIGINT) / stopped by SIGTERM; no partial output is left",
     "", "`allocator: interrupted`"),
    ("141", "what allocator printed was cut short because the program reading it stopped (e.g. `| head`), "
            "as with other command-line tools (128 + SIGPIPE); files it writes are not affected",
     "`BrokenPipeError` on standard output", "(nothing: the reader has gone)"),
)


def exit_code_table() -> str:
    """:data:`EXIT_CODES` as the Markdown table every document shows."""
    lines = ["| Code | Meaning | Raised as | Message starts |", "|---|---|---|---|"]
    lines += ["|" + "|".join(f" {cell} " if cell else " " for cell in row) + "|" for row in EXIT_CODES]
    return "\n".join(lines)


@dataclass(frozen=True)
class Issue:
    """One problem found in a scenario, with where it is: a file (and line, column or key), or what was given
    on the command line (:func:`given_issue`)."""

    file: str
    message: str
    row: int | None = None          # line number in the file (header is line 1)
    field: str | None = None        # column or dotted YAML key
    area: str | None = None         # area_code of the row, when known
    more: int = 0                   # further problems like this one, not listed (:func:`listed`)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
            if self.area:
                where += f" (area {self.area})"
        if self.field:
            where += f", {'column' if self.row is not None else 'key'} '{self.field}'"
        return f"{where}: {self.message}"


#: How many problems of one kind an error lists; the others are counted (:attr:`Issue.more`), never dropped.
MAX_LISTED = 20


def listed(positions: Sequence, make: Callable[[object], Issue], limit: int = MAX_LISTED) -> list[Issue]:
    """The issues ``make(p)`` of the first ``limit`` ``positions`` (rows where one problem holds); the last one
    listed counts the rest (:attr:`Issue.more`), so that the error's count of problems is true."""
    shown = [make(p) for p in positions[:limit]]
    return capped(shown, len(positions) - len(shown))


def capped(issues: list[Issue], unlisted: int = 0, limit: int = MAX_LISTED) -> list[Issue]:
    """``issues`` cut to ``limit``, the last one kept counting those cut and ``unlisted`` more."""
    rest = unlisted + sum(1 + i.more for i in issues[limit:])
    if not issues or not rest:
        return list(issues)
    kept = list(issues[:limit])
    kept[-1] = replace(kept[-1], more=kept[-1].more + rest)
    return kept


def problems_text(issues: list[Issue], what: str = "") -> str:
    """The issues of an error as printed: one issue alone, or ``N problems<what>:`` and a list, where N counts
    the problems not listed too (``... and 1,063 more like it``)."""
    total = sum(1 + i.more for i in issues)
    if total == 1:
        return str(issues[0])
    head = f"{total:,} problems{what}" + (f" ({len(issues)} listed)" if total > len(issues) else "")
    lines = [f"{head}:"]
    for issue in issues:
        lines.append(f"  * {issue}")
        if issue.more:
            lines.append(f"    ... and {issue.more:,} more like it")
    return "\n".join(lines)


class AllocatorError(Exception):
    """Base class of every error allocator raises on purpose."""

    exit_code = EXIT_ERROR


class ScenarioError(AllocatorError, ValueError):
    """The scenario or one of its tables is wrong. Carries every problem found."""

    exit_code = EXIT_SCENARIO

    def __init__(self, issues: list[Issue] | Issue | str, file: str = "scenario") -> None:
        if isinstance(issues, str):
            issues = [Issue(file=file, message=issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues = list(issues)
        super().__init__(self._text())

    def _text(self) -> str:
        return problems_text(self.issues, " in the scenario")


class InputError(ScenarioError):
    """A file given as input that is not a scenario (a plan folder read back by ``compare``,
    ``explain`` or ``report``) cannot be read or is malformed. Exit code 2, like a bad scenario."""

    def _text(self) -> str:
        return problems_text(self.issues)


def given_issue(name: str, value: object, message: str, field: str | None = None) -> Issue:
    """A problem with what was given on the command line: ``name`` is an option (``--set``) or an argument
    (``TARGET``), ``value`` what was given for it (``None``: the message says it). Its place reads
    ``option --set 'policy.x=1'`` or ``argument TARGET 'model.txt'``."""
    where = f"{'option' if name.startswith('-') else 'argument'} {name}"
    return Issue(where if value is None else f"{where} '{value}'", message, field=field)


class CommandLineError(InputError):
    """An option or argument given on the command line cannot be used (not a file's content): exit code 2,
    like a bad scenario. Each issue names the option or argument and the value (:func:`given_issue`)."""


class InfeasibleError(AllocatorError):
    """The hard constraints of the scenario cannot all hold at once."""

    exit_code = EXIT_INFEASIBLE

    def __init__(self, message: str, relaxations: list[dict] | None = None) -> None:
        self.relaxations = relaxations or []
        super().__init__(message)


class TimeLimitError(AllocatorError):
    """The time limit stopped the solver before it found any plan better than "nobody newly placed"."""

    exit_code = EXIT_TIME_LIMIT


class NotOptimalError(AllocatorError):
    """A plan was written, but the time limit stopped the solver before it was proven optimal.

    Raised by the command line after writing, so that a script sees a non-zero exit code;
    :func:`allocator.solve` returns such a plan with ``status == "time_limit"`` and its gap.
    """

    exit_code = EXIT_NOT_OPTIMAL


class VerificationError(AllocatorError):
    """The plan broke a constraint when recomputed from the scenario."""

    exit_code = EXIT_VERIFY

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        shown = "\n".join(f"  * {f}" for f in failures[:20])
        more = f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""
        super().__init__(f"the plan failed {len(failures)} verifier check(s):\n{shown}{more}")


class SolverError(AllocatorError, RuntimeError):
    """The solver is not available or failed."""

    exit_code = EXIT_SOLVER


class OutputError(AllocatorError):
    """The output folder cannot be written as asked."""

    exit_code = EXIT_OUTPUT


class MissingExtraError(AllocatorError):
    """A feature needs an optional package that is not installed; the message names the extra
    that installs it (:mod:`allocator.extras`)."""

    exit_code = EXIT_SOLVER

"""Error types and the exit codes the CLI maps them to.

Every error a user can cause derives from :class:`AllocatorError` and carries a
message written for the person who wrote the scenario, not for a programmer.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1          # unexpected internal error (a bug: please report it)
EXIT_SCENARIO = 2       # bad input: the scenario or its tables, or a plan folder read back
EXIT_INFEASIBLE = 3     # hard constraints conflict
EXIT_TIME_LIMIT = 4     # the time limit was hit before any feasible plan was found
EXIT_VERIFY = 5         # the plan failed the independent verifier (never written)
EXIT_SOLVER = 6         # the solver is missing or failed
EXIT_OUTPUT = 7         # the output folder cannot be written as asked (e.g. not empty without --force)


@dataclass(frozen=True)
class Issue:
    """One problem found in a scenario, with where it is."""

    file: str
    message: str
    row: int | None = None          # line number in the file (header is line 1)
    field: str | None = None        # column or dotted YAML key
    area: str | None = None         # area_code of the row, when known

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
            if self.area:
                where += f" (area {self.area})"
        if self.field:
            where += f", {'column' if self.row is not None else 'key'} '{self.field}'"
        return f"{where}: {self.message}"


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
        if len(self.issues) == 1:
            return str(self.issues[0])
        lines = [f"{len(self.issues)} problems in the scenario:"]
        lines += [f"  * {issue}" for issue in self.issues]
        return "\n".join(lines)


class InputError(ScenarioError):
    """A file given as input that is not a scenario (a plan folder read back by ``compare``,
    ``explain`` or ``report``) cannot be read or is malformed. Exit code 2, like a bad scenario."""

    def _text(self) -> str:
        if len(self.issues) == 1:
            return str(self.issues[0])
        return "\n".join([f"{len(self.issues)} problems:"] + [f"  * {issue}" for issue in self.issues])


class InfeasibleError(AllocatorError):
    """The hard constraints of the scenario cannot all hold at once."""

    exit_code = EXIT_INFEASIBLE

    def __init__(self, message: str, relaxations: list[dict] | None = None) -> None:
        self.relaxations = relaxations or []
        super().__init__(message)


class TimeLimitError(AllocatorError):
    """The time limit stopped the solver before it found any feasible plan."""

    exit_code = EXIT_TIME_LIMIT


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

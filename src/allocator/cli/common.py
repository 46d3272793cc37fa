"""What every command of the CLI shares: the error boundary, the error words, the console.

Imported by each command module of :mod:`allocator.cli`; it imports no command module.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console

from allocator.errors import EXIT_BROKEN_PIPE, EXIT_ERROR, AllocatorError
from allocator.output import echo

ERROR_WORDS = {
    "ScenarioError": "error in scenario", "InputError": "error in input", "CommandLineError": "error in command line",
    "InfeasibleError": "infeasible",
    "TimeLimitError": "time limit",
    "VerificationError": "plan failed verification", "SolverError": "solver error", "OutputError": "output error",
    "NotOptimalError": "not proven optimal", "MissingExtraError": "missing package",
}


@contextmanager
def error_boundary(debug: bool):
    """Turn allocator errors into one clear message and an exit code; no traceback."""
    try:
        yield
    except AllocatorError as err:
        if debug:
            raise
        kind = ERROR_WORDS.get(type(err).__name__, "error")
        echo(f"allocator: {kind}: {err}", err=True)
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except BrokenPipeError:
        reader_gone()
    except Exception as err:  # noqa: BLE001 - the last line of defence for users
        if debug:
            raise
        echo(f"allocator: unexpected error ({type(err).__name__}: {err}). "
             "This is a bug: run again with --debug and report the output.", err=True)
        sys.exit(EXIT_ERROR)


def reader_gone() -> None:
    """The program reading standard output stopped (``allocator sweep ... | head``): stop quietly, as other
    command-line tools do, with 128 + SIGPIPE; standard output goes nowhere, so that Python's last flush
    at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def console() -> Console:
    """A rich console on standard output: at its natural width, without colour, when it is not a terminal."""
    out = Console(highlight=False)
    if not out.is_terminal:          # a pipe or a file: tables at their natural width, no colour
        out = Console(highlight=False, width=200, color_system=None)
    return out


def not_a_plan(path: Path, then: str) -> str:
    """Why ``path`` is not a plan folder, and what to run instead."""
    is_scenario = (path.is_file() and path.suffix.lower() in (".yaml", ".yml")) or (path / "scenario.yaml").is_file()
    if is_scenario:
        return (f"{path} is a scenario, not a plan folder: solve it first with "
                f"`allocator solve {path} --out DIR`, then `{then}`")
    if not path.exists():
        return f"{path} does not exist: give a plan folder written by `allocator solve SCENARIO --out DIR`"
    return f"{path} is not a plan folder (no summary.json): give a folder written by `allocator solve SCENARIO --out DIR`"

"""The ``allocator`` command line: the group, the entry point, and the command modules it gathers.

Each command group is a module that imports the library and :mod:`allocator.cli.common`,
never another command module: :mod:`~allocator.cli.solving` (validate, solve, export),
:mod:`~allocator.cli.analyse` (compare, report, explain) and :mod:`~allocator.cli.explore`
(sweep, frontier, uncertainty) and :mod:`~allocator.cli.monitor` (track, replan, backtest). The entry point is :func:`main` (``allocator = "allocator.cli:main"``).

Exit codes: the table in :data:`allocator.errors.EXIT_CODES` (0 success, 1 a bug, 2 bad input,
3 infeasible, 4 time limit with no plan better than "nobody newly placed", 5 verification failed,
6 solver failed or an optional package missing, 7 output folder problem, 8 a plan written but not
proven optimal).
"""

from __future__ import annotations

import signal
import sys

import click

from allocator.cli import analyse, explore, monitor, solving
from allocator.cli.common import ERROR_WORDS, error_boundary, reader_gone  # noqa: F401 - the CLI's error words, for tests and docs


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="allocator")
def cli() -> None:
    """Plan where supported asylum seekers are housed, year on year, as a linear program.

    \b
    Typical use:
      allocator validate scenarios/example
      allocator solve scenarios/example --out out/example
      allocator compare out/plan-a out/plan-b
    """


for _command in (solving.validate, solving.solve, solving.export, analyse.compare, analyse.report, analyse.explain,
                 explore.sweep, explore.frontier, explore.uncertainty, monitor.track, monitor.replan, monitor.backtest):
    cli.add_command(_command)


class Terminated(SystemExit):
    """SIGTERM arrived: unwinds like Ctrl-C (every ``finally`` and context manager runs)."""


def _terminate(signum: int, frame) -> None:  # noqa: ARG001
    """SIGTERM behaves like Ctrl-C: unwind, remove temporary files, say so, exit 143."""
    raise Terminated(128 + signum)


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        result = cli.main(prog_name="allocator", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("\nallocator: interrupted; no partial output was left", err=True)
        sys.exit(130)
    except Terminated as stop:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)    # a second SIGTERM now ends the process at once
        click.echo("\nallocator: interrupted by SIGTERM; no partial output was left", err=True)
        sys.exit(stop.code)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except BrokenPipeError:                              # the reader went away outside a command's boundary
        reader_gone()
    sys.exit(result if isinstance(result, int) else 0)

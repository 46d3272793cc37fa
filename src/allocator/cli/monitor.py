"""The commands that hold a plan against what happened: ``track``, ``replan`` and ``backtest``."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.actual import SUPPRESSED_DEFAULT, SUPPRESSED_POLICIES
from allocator.backtest import backtest as run_backtest, backtest_lines
from allocator.cli.common import error_boundary, not_a_plan
from allocator.compare import is_plan_folder, load_plan_or_solve
from allocator.errors import CommandLineError, given_issue
from allocator.output import check_target, echo, input_paths
from allocator.plan import read_plan
from allocator.progress import spinner
from allocator.replan import replan as run_replan, replan_lines
from allocator.scenario import load_scenario
from allocator.track import BEHIND_BY, track as track_plan
from allocator.track_files import summary_lines

SUPPRESSED_HELP = ("What a suppressed cell (*, .., z, [c], ...) of ACTUAL means: unknown (the council's figure is "
                   "unknown and left out of the sums), error (refuse the file, exit 2, naming the line and "
                   "column), zero (read as 0). Each one read is printed and listed in the notes.")


def _shared(solver: str | None = None):
    """The options every command here ends with, in this order: --suppressed, --solver (with ``solver``
    its help; none without), --force, -q, --debug."""
    options = [click.option("--suppressed", type=click.Choice(SUPPRESSED_POLICIES), default=SUPPRESSED_DEFAULT,
                            show_default=True, help=SUPPRESSED_HELP)]
    if solver is not None:
        options.append(click.option("--solver", type=click.Choice(["highs", "ortools", "pulp"]), default="highs",
                                    show_default=True, help=solver))
    options += [click.option("--force", is_flag=True, help="Replace the --out folder if it holds an earlier output "
                                                           "of allocator (and nothing else)."),
                click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors."),
                click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")]

    def wrap(command):
        for option in reversed(options):
            command = option(command)
        return command
    return wrap


def _plan(path: Path, then: str):
    if not is_plan_folder(path):
        raise CommandLineError(given_issue("PLAN", None, not_a_plan(path, then)))
    return read_plan(path)


def _write_and_say(result, lines, out: Path, force: bool, protect: list, quiet: bool) -> None:
    """Write ``result`` into ``out`` (by its own ``write``), then print its ``lines(result)`` and the files
    written, unless ``quiet``: the last step of track, backtest and replan."""
    result.write(out, force=force, protect=protect)
    if not quiet:
        for line in lines(result):
            echo(line)
        files = sorted(p.name for p in out.iterdir() if p.is_file() and not p.name.startswith("."))
        echo(f"Written to {out}/ ({', '.join(files)})")


@click.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.argument("actual", type=click.Path(path_type=Path))
@click.option("--date", "when", required=True, metavar="YYYY-MM-DD",
              help="The date ACTUAL describes (a Home Office table's 'as at' date, e.g. 2026-03-31).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write into: track_councils.csv, track_regions.csv, track_nation.csv, track.md, "
                   "track.json.")
@click.option("--behind-by", type=click.FloatRange(min=0), default=BEHIND_BY, show_default=True,
              help="People: a council this far below its planned number is flagged behind (above it: ahead).")
@_shared()
def track(plan: Path, actual: Path, when: str, out: Path, behind_by: float, suppressed: str, force: bool,
          quiet: bool, debug: bool) -> None:
    """Compare the plan in PLAN with the ACTUAL position on --date, council by council.

    PLAN is a folder written by `allocator solve`. ACTUAL is a CSV: a Home
    Office local authority table (the Reg_02 layout: a code column such as
    'LAD Code' and a 'Dispersal accommodation' column; 'Contingency
    accommodation' is read too) or an areas table in the project's format
    (area_code, stock, contingency). Inside a plan year the planned numbers are
    the straight line between the year ends around --date.

    For each council, region and the nation: planned and actual dispersal and
    contingency, the difference (actual minus planned), and the fulfilment
    rate: net new places actually provided since the plan's start against
    those planned by the date. Councils over their limit, or behind or ahead
    by more than --behind-by people, are flagged. Councils missing on either
    side, renamed codes, suppressed cells and totals rows are reported in the
    notes (docs/monitoring.md).

    \b
    Examples:
      allocator track out/central scenarios/uk-2025/raw/ho_reg02_la_immigration_groups_2025-12-31.csv \\
          --date 2025-12-31 --out out/track-2025
      allocator track out/central reg02-mar-2026.csv --date 2026-03-31 --out out/track-2026q1
    """
    with error_boundary(debug):
        check_target(out, force=force, protect=[plan, actual])
        result = track_plan(_plan(plan, f"allocator track DIR {actual} --date {when} --out {out}"), actual, when,
                            behind_by=behind_by, suppressed=suppressed, date_name="--date")
        _write_and_say(result, summary_lines, out, force, [plan, actual], quiet)


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--actual", type=click.Path(path_type=Path), required=True,
              help="The published table of --date to compare with (the layouts of `allocator track`).")
@click.option("--date", "when", required=True, metavar="YYYY-MM-DD", help="The date --actual describes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write into: backtest_councils.csv, backtest_regions.csv, backtest_metrics.csv, "
                   "backtest.md, backtest.json.")
@_shared(solver="Solver for the scenario.")
def backtest(scenario: Path, actual: Path, when: str, out: Path, suppressed: str, solver: str, force: bool,
             quiet: bool, debug: bool) -> None:
    """Solve SCENARIO, which starts in the past, and compare it with what happened.

    SCENARIO starts from a past position and runs through realised national
    totals (scenarios/backtest-2022: the councils at 31 Dec 2022, 2023-2025);
    a plan folder is read instead of solved. Its council numbers on --date are
    compared with --actual, as `allocator track` reads it, and with two naive
    predictions that use no model: every council keeps its share of the start
    (persistence), or gets its population share. Printed and written: the
    correlation, the rank correlation, the mean absolute error and the share
    of people placed elsewhere, the model against each naive prediction
    measure by measure, the regions and the councils most off
    (docs/backtest.md).

    \b
    Examples:
      allocator backtest scenarios/backtest-2022 --date 2025-12-31 --out out/backtest \\
          --actual scenarios/backtest-2022/raw/ho_reg02_la_immigration_groups_2025-12-31.csv
    """
    with error_boundary(debug):
        check_target(out, force=force, protect=[scenario, actual])
        with spinner(f"Solving {scenario} …", quiet):
            plan = load_plan_or_solve(scenario, solver=solver)
        result = run_backtest(plan, actual, when, suppressed=suppressed, date_name="--date")
        _write_and_say(result, backtest_lines, out, force, [scenario, actual], quiet)


@click.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path), required=True,
              help="The scenario PLAN was solved from (a YAML file or a folder), with any agreements reached since "
                   "(another scenario is taken, and the first note names both).")
@click.option("--actual", type=click.Path(path_type=Path), required=True,
              help="The position on --date (the layouts `allocator track` reads).")
@click.option("--date", "when", required=True, metavar="YYYY-MM-DD", help="The date --actual describes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the new plan into, with changes.csv, changes.md and scenario/.")
@click.option("--stability-weight", type=click.FloatRange(min=0), default=None,
              help="£ per person moved away from the previous plan's number, for each council and year "
                   "(default: the scenario's objective.stability_weight, £1,000 unless it says otherwise).")
@_shared(solver="LP backend.")
def replan(plan: Path, scenario_path: Path, actual: Path, when: str, out: Path, stability_weight: float | None,
           suppressed: str, solver: str, force: bool, quiet: bool, debug: bool) -> None:
    """Re-plan the years left of the plan in PLAN from the --actual position on --date.

    The new plan starts from the actual (on a date inside a year: from the
    actual moved on to that year's end by the previous plan's own changes),
    keeps every agreement of the years left, and keeps each council's number
    where the previous plan had it unless moving it saves more than
    --stability-weight per person and year. Written to --out: the new plan,
    changes.csv and changes.md (per council: previous number, new number, why,
    for early notification) and scenario/ (allocator solve DIR/scenario solves
    it again). summary.json records the previous plan's SHA-256. The cost
    printed is over the years re-planned, beside the previous plan's over the
    same years (from a date inside a year, from a start that assumes the
    previous plan's change over the rest of the year happens: track the
    releases before the new start against the previous plan). The notes are
    track's on the actual file (codes read as another, suppressed cells, rows
    skipped), and the people in skipped rows of no council are said to be left
    out of the new start.

    \b
    Examples:
      allocator replan out/central --scenario scenarios/uk-2025/central.yaml \\
          --actual reg02-2026-12-31.csv --date 2026-12-31 --out out/central-2027
    """
    with error_boundary(debug):
        check_target(out, force=force, protect=[plan, scenario_path, actual])
        previous = _plan(plan, f"allocator replan DIR --scenario {scenario_path} ...")
        scenario = load_scenario(scenario_path)
        with spinner(f"Re-planning {scenario.name} from {when} …", quiet):
            result = run_replan(previous, scenario, actual, when, suppressed=suppressed,
                                stability_weight=stability_weight, solver=solver, date_name="--date")
        _write_and_say(result, replan_lines, out, force, [plan, scenario_path, actual, *input_paths(scenario)], quiet)

"""The ``allocator`` command line.

Exit codes: the table in :data:`allocator.errors.EXIT_CODES` (0 success, 1 a bug, 2 bad input,
3 infeasible, 4 time limit with no plan better than "nobody newly placed", 5 verification failed,
6 solver failed, 7 output folder problem, 8 a plan written but not proven optimal).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from allocator.errors import EXIT_ERROR, AllocatorError, NotOptimalError, ScenarioError, TimeLimitError
from allocator.status import GAP_TOLERANCE, Status, proven_optimal
from allocator.output import echo

EPILOG_SOLVE = """\b
Examples:
  allocator solve scenarios/example --out out/example
  allocator solve scenarios/uk-2025/central.yaml --out out/central --force
  allocator solve scenarios/example --out out/ex-ortools --solver ortools --time-limit 60
  allocator solve wards/scenario.yaml --out out/wards --start cold   # compare with the default start
"""


ERROR_WORDS = {
    "ScenarioError": "error in scenario", "InputError": "error in input", "InfeasibleError": "infeasible",
    "TimeLimitError": "time limit",
    "VerificationError": "plan failed verification", "SolverError": "solver error", "OutputError": "output error",
    "NotOptimalError": "not proven optimal",
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
    except Exception as err:  # noqa: BLE001 - the last line of defence for users
        if debug:
            raise
        echo(f"allocator: unexpected error ({type(err).__name__}: {err}). "
             "This is a bug: run again with --debug and report the output.", err=True)
        sys.exit(EXIT_ERROR)


def _fmt(n: float) -> str:
    return f"{n:,.0f}"


def headline_lines(plan, out: Path | None = None) -> list[str]:
    """A few readable lines: where things stand now and what the plan achieves."""
    s = plan.summary
    start, end = s["headline"]["start"], s["headline"]["end"]
    hi0, lo0, hi1, lo1 = start["highest_region"], start["lowest_region"], end["highest_region"], end["lowest_region"]
    lines = [
        f"Scenario: {s['scenario']}   status: {s['status']}   solver: {s['solver']} {s['solver_version']}"
        f"   build {s['build_seconds']:.2f}s, solve {s['solve_seconds']:.2f}s",
        f"Now:       {_fmt(start['dispersed'])} people in dispersal, {_fmt(start['contingency'])} in contingency (hotels); "
        f"{start['areas_over_cap']} area(s) over the cluster limit; {start['areas_hosting_nobody']} area(s) hosting nobody.",
        f"           Regional rates per 10,000 residents: highest {hi0['region']} {hi0['rate_per_10k']:.1f}, "
        f"lowest {lo0['region']} {lo0['rate_per_10k']:.1f}.",
        f"By {end['year']}:   {_fmt(end['dispersed'])} in dispersal, {_fmt(end['contingency'])} in contingency; "
        f"{end['areas_over_cap']} area(s) over the cluster limit; {end['areas_hosting']} area(s) hosting.",
        f"           Regional rates: highest {hi1['region']} {hi1['rate_per_10k']:.1f}, lowest {lo1['region']} "
        f"{lo1['rate_per_10k']:.1f}; Gini of area rates {start['gini']:.3f} -> {end['gini']:.3f}.",
        f"Total cost over the plan: £{_fmt(end['total_cost_all_years'])}.",
    ]
    if "basis" in start:                 # the pressure basis beside dispersal alone
        b0, b1 = start["basis"], end["basis"]
        lines.insert(5, f"           On the pressure basis ({b0['pressure_basis']}): {_fmt(b0['total'])} people now, "
                        f"{_fmt(b1['total'])} by {end['year']}; Gini of area rates {b0['gini']:.3f} -> {b1['gini']:.3f}.")
    if "new_contingency" in end:
        lines.insert(4, f"           Of the contingency, {_fmt(end['new_contingency'])} in new sites beyond the open "
                        "hotel places.")
    if "status_quo_cost" in s:
        diff = end["total_cost_all_years"] - s["status_quo_cost"]
        lines.append(f"           Status quo (no new procurement, no hotel ceiling): £{_fmt(s['status_quo_cost'])}; "
                     f"the plan {'saves' if diff < 0 else 'costs'} £{_fmt(abs(diff))} "
                     f"({abs(diff) / max(1, s['status_quo_cost']):.1%}).")
    if s.get("inherited_over_cap"):
        names = ", ".join(f"{r['area_name']} ({_fmt(r['stock'])} > {_fmt(r['cap'])})" for r in s["inherited_over_cap"])
        lines.append(f"Inherited stock over the cluster limit (only allowed to decline): {names}.")
    if s.get("over_cap_on_basis"):
        names = ", ".join(f"{r['area_name']} ({_fmt(r['basis_total'])} > {_fmt(r['cap'])})" for r in s["over_cap_on_basis"])
        lines.append(f"Over the cluster limit on the pressure basis now (nobody new while over): {names}.")
    if out is not None:
        files = sorted(p.name for p in Path(out).iterdir() if p.is_file() and not p.name.startswith(".")) \
            if Path(out).is_dir() else []
        lines.append(f"Full outputs: {out}/ ({', '.join(files) or 'allocations.csv, trajectory.csv, regions.csv, summary.json'})")
    return lines


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


@cli.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def validate(scenario: Path, debug: bool) -> None:
    """Check a SCENARIO (a YAML file, or a folder with scenario.yaml) without solving.

    Every problem is listed with its file, line and column or key. Exit code 0
    when the scenario is valid, 2 when it is not.

    \b
    Examples:
      allocator validate scenarios/example
      allocator validate scenarios/uk-2025/central.yaml
    """
    from allocator.scenario import load_scenario

    with error_boundary(debug):
        sc = load_scenario(scenario)
        cfg = sc.config
        echo(f"OK: {cfg.name}: {len(sc.areas)} areas in {sc.areas['region'].nunique()} regions, "
             f"years {cfg.years[0]}-{cfg.years[-1]}, cohorts: {', '.join(sc.cohort_names)}.")


@cli.command(epilog=EPILOG_SOLVE)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the plan into (allocations.csv, trajectory.csv, regions.csv, summary.json).")
@click.option("--solver", type=click.Choice(["highs", "ortools", "pulp"]), default="highs", show_default=True,
              help="LP backend: HiGHS (fast, default), OR-Tools GLOP, or PuLP with CBC (slow; for cross-checks).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds. If hit, the best feasible plan is written with status time_limit and its gap, "
                   "and the exit code is 8 (not proven optimal); if nothing better than the plan that places "
                   "nobody new was found, exit 4 and nothing is written.")
@click.option("--write-incomplete", is_flag=True,
              help="With --time-limit: when nothing better than the plan that places nobody new was found, "
                   "write that plan anyway (the exit code is still 4).")
@click.option("--start", type=click.Choice(["auto", "prices", "cold"]), default="auto", show_default=True,
              help="How HiGHS starts. auto: the price-guided start from 4,000 areas up (prices from a sample of "
                   "areas give a near-optimal first basis); prices: always; cold: HiGHS's own start. "
                   "Every start reaches the same optimum (docs/performance.md).")
@click.option("--force", is_flag=True, help="Replace the output folder if it holds an earlier output of allocator "
                                          "(and nothing else).")
@click.option("--status-quo/--no-status-quo", default=False, show_default=True,
              help="Also solve the status quo (no new procurement) and report the cost difference.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="xlsx: also write plan.xlsx, one workbook with every table (text never runs as a formula).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def solve(scenario: Path, out: Path, solver: str, time_limit: float | None, write_incomplete: bool, start: str,
          force: bool, status_quo: bool, fmt: str, quiet: bool, debug: bool) -> None:
    """Solve a SCENARIO and write the verified plan to --out.

    The plan is checked by an independent verifier before it is written; a
    plan that fails is never written. The folder is written atomically: a
    reader sees the old complete plan or the new one, never a mix. A plan
    that the time limit stopped before it was proven optimal is written but
    exits 8, even with -q (exit codes: docs/cli.md).
    """
    from allocator.api import solve as run_solve
    from allocator.output import check_target, input_paths, output_lock
    from allocator.progress import spinner
    from allocator.scenario import load_scenario

    if start == "prices" and solver != "highs":
        raise click.UsageError(f"--start prices needs --solver highs (got --solver {solver})")
    with error_boundary(debug):
        check_target(out, force=force, protect=[scenario])   # before solving: the same rules apply when writing
        sc = load_scenario(scenario)
        with output_lock(out):                 # a second solve into the same folder fails at once
            with spinner(f"Solving {sc.name} ({len(sc.areas):,} areas, {len(sc.years)} years) …", quiet):
                plan = run_solve(sc, solver=solver, time_limit=time_limit, start=start,
                                 keep_trivial=write_incomplete)
                if status_quo:
                    sq = status_quo_plan(sc, solver)
                    plan.summary["status_quo_cost"] = sq.summary["headline"]["end"]["total_cost_all_years"]
            plan.write(out, force=force, format=fmt, locked=True, protect=[scenario, *input_paths(sc)])
        if not quiet:
            for line in headline_lines(plan, out):
                echo(line)
        refuse_not_optimal(plan, out, quiet)


def refuse_not_optimal(plan, out: Path, quiet: bool) -> None:
    """A written plan that is not proven optimal never exits 0: exit 4 for the "nobody newly placed"
    plan written with --write-incomplete, exit 8 for any other plan the time limit stopped."""
    gap = plan.summary.get("gap")
    if proven_optimal(plan.status, gap):
        if plan.status != Status.OPTIMAL and not quiet:
            echo(f"Note: the time limit stopped the solver with the plan proven within {GAP_TOLERANCE:g} "
                 "of the optimum.")
        return
    within = f"within {gap:.2%} of the optimum" if gap is not None else "at an unknown distance from the optimum"
    if plan.summary.get("incumbent") == "nobody_new":
        raise TimeLimitError(f"the time limit was reached before any plan better than the one that places nobody "
                             f"new was found; that plan ({within}) was written to {out} as --write-incomplete asked")
    raise NotOptimalError(f"the time limit stopped the solver before it proved the plan optimal: the plan written "
                          f"to {out} has status {plan.status} and is {within} (its gap to a lower bound); "
                          "raise --time-limit for an optimal plan")


def status_quo_plan(sc, solver: str = "highs"):
    """The same scenario with no new procurement: today's capacity is all there is."""
    from allocator.api import solve as run_solve

    areas = sc.areas.copy()
    for col in [c for c in areas.columns if c.startswith("procurement_per_year")]:
        areas[col] = 0.0
    sq = sc.with_areas(areas)
    if sq.config.policy.contingency_ceiling:
        sq = sq.with_policy(contingency_ceiling=None)
    return run_solve(sq, solver=solver)


from allocator.analyst_cli import compare, report  # noqa: E402 - the analyst commands live in their own module

cli.add_command(compare)
cli.add_command(report)


@cli.command(name="export")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def export(scenario: Path, target: Path, debug: bool) -> None:
    """Write the SCENARIO's linear program to TARGET (.mps or .lp) for another solver.

    \b
    Examples:
      allocator export scenarios/example model.mps
      allocator export scenarios/uk-2025/central.yaml central.lp
    """
    from allocator.data import prepare
    from allocator.model import build_lp
    from allocator.scenario import load_scenario
    from allocator.solvers.export import write_model

    with error_boundary(debug):
        if target.suffix.lower() not in (".mps", ".lp"):
            raise ScenarioError(f"export target must end in .mps or .lp, got '{target.name}'", file="command line")
        lp = build_lp(prepare(load_scenario(scenario)))
        write_model(lp, target)
        echo(f"Wrote {target} ({lp.num_col:,} variables, {lp.num_row:,} rows, {lp.A.nnz:,} nonzeros).")


from allocator.cli_explore import frontier, sweep, uncertainty  # noqa: E402 - sweeps, frontier, uncertain arrivals

cli.add_command(sweep)
cli.add_command(frontier)
cli.add_command(uncertainty)


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.argument("area")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def explain(plan: Path, area: str, debug: bool) -> None:
    """Say in plain words why AREA (a code or a name) has the numbers it has in a solved PLAN.

    PLAN is a folder written by `allocator solve`. AREA is matched without
    regard to case: the area code, the full name, then a unique start of the
    name or whole words in it (Glasgow finds Glasgow City). When several areas
    match they are listed; when none does, the closest names are suggested.

    For each year: the people housed, what limited the number (cluster limit,
    capacity, procurement pace, growth limit, agreement, fair share, ...) and,
    where a limit is tight, what one more place there would save a year.

    \b
    Examples:
      allocator explain out/uk-2025-central E08000035
      allocator explain out/example "Kingsmead"
    """
    from allocator.compare import is_plan_folder
    from allocator.explain import explain_area, find_area
    from allocator.plan import read_plan

    with error_boundary(debug):
        if not is_plan_folder(plan):
            raise ScenarioError(_not_a_plan(plan, f'allocator explain DIR "{area}"'), file="command line")
        allocations = read_plan(plan).allocations
        echo("\n".join(explain_area(allocations, find_area(allocations, area, f"{plan}/allocations.csv"))))


def _not_a_plan(path: Path, then: str) -> str:
    """Why ``path`` is not a plan folder, and what to run instead."""
    is_scenario = (path.is_file() and path.suffix.lower() in (".yaml", ".yml")) or (path / "scenario.yaml").is_file()
    if is_scenario:
        return (f"{path} is a scenario, not a plan folder: solve it first with "
                f"`allocator solve {path} --out DIR`, then `{then}`")
    if not path.exists():
        return f"{path} does not exist: give a plan folder written by `allocator solve SCENARIO --out DIR`"
    return f"{path} is not a plan folder (no summary.json): give a folder written by `allocator solve SCENARIO --out DIR`"


class Terminated(SystemExit):
    """SIGTERM arrived: unwinds like Ctrl-C (every ``finally`` and context manager runs)."""


def _terminate(signum: int, frame) -> None:  # noqa: ARG001
    """SIGTERM behaves like Ctrl-C: unwind, remove temporary files, say so, exit 143."""
    raise Terminated(128 + signum)


def main() -> None:
    import signal

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
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

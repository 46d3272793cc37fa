"""The ``allocator`` command line.

Exit codes: 0 success, 2 bad scenario or usage, 3 infeasible, 4 time limit
without a feasible plan, 5 the plan failed verification, 6 solver missing or
failed, 7 output folder problem (e.g. not empty without --force), 1 anything
unexpected (a bug: run again with --debug and report it).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from allocator.errors import EXIT_ERROR, EXIT_SCENARIO, AllocatorError, ScenarioError

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
        click.echo(f"allocator: {kind}: {err}", err=True)
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as err:  # noqa: BLE001 - the last line of defence for users
        if debug:
            raise
        click.echo(f"allocator: unexpected error ({type(err).__name__}: {err}). "
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
    if "status_quo_cost" in s:
        diff = end["total_cost_all_years"] - s["status_quo_cost"]
        lines.append(f"           Status quo (no new procurement, no hotel ceiling): £{_fmt(s['status_quo_cost'])}; "
                     f"the plan {'saves' if diff < 0 else 'costs'} £{_fmt(abs(diff))} "
                     f"({abs(diff) / max(1, s['status_quo_cost']):.1%}).")
    if s.get("inherited_over_cap"):
        names = ", ".join(f"{r['area_name']} ({_fmt(r['stock'])} > {_fmt(r['cap'])})" for r in s["inherited_over_cap"])
        lines.append(f"Inherited stock over the cluster limit (only allowed to decline): {names}.")
    if out is not None:
        files = sorted(p.name for p in Path(out).iterdir() if p.is_file()) if Path(out).is_dir() else []
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
        click.echo(f"OK: {cfg.name}: {len(sc.areas)} areas in {sc.areas['region'].nunique()} regions, "
                   f"years {cfg.years[0]}-{cfg.years[-1]}, cohorts: {', '.join(sc.cohort_names)}.")


@cli.command(epilog=EPILOG_SOLVE)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the plan into (allocations.csv, trajectory.csv, regions.csv, summary.json).")
@click.option("--solver", type=click.Choice(["highs", "ortools", "pulp"]), default="highs", show_default=True,
              help="LP backend: HiGHS (fast, default), OR-Tools GLOP, or PuLP with CBC (slow; for cross-checks).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds. If hit, the best feasible plan is written with status time_limit and its gap.")
@click.option("--start", type=click.Choice(["auto", "prices", "cold"]), default="auto", show_default=True,
              help="How HiGHS starts. auto: the price-guided start from 4,000 areas up (prices from a sample of "
                   "areas give a near-optimal first basis); prices: always; cold: HiGHS's own start. "
                   "Every start reaches the same optimum (docs/performance.md).")
@click.option("--force", is_flag=True, help="Replace the output folder if it already holds files.")
@click.option("--status-quo/--no-status-quo", default=False, show_default=True,
              help="Also solve the status quo (no new procurement) and report the cost difference.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="xlsx: also write plan.xlsx, one workbook with every table (text never runs as a formula).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def solve(scenario: Path, out: Path, solver: str, time_limit: float | None, start: str, force: bool,
          status_quo: bool, fmt: str, quiet: bool, debug: bool) -> None:
    """Solve a SCENARIO and write the verified plan to --out.

    The plan is checked by an independent verifier before it is written; a
    plan that fails is never written. The folder is written atomically: a
    reader sees the old complete plan or the new one, never a mix.
    """
    from allocator.api import solve as run_solve
    from allocator.plan import output_lock
    from allocator.progress import spinner
    from allocator.scenario import load_scenario

    if start == "prices" and solver != "highs":
        raise click.UsageError(f"--start prices needs --solver highs (got --solver {solver})")
    with error_boundary(debug):
        if out.exists() and out.is_dir() and any(out.iterdir()) and not force:
            raise_output(f"output folder {out} is not empty; use --force to replace it")
        sc = load_scenario(scenario)
        with output_lock(out):                 # a second solve into the same folder fails at once
            with spinner(f"Solving {sc.name} ({len(sc.areas):,} areas, {len(sc.years)} years) …", quiet):
                plan = run_solve(sc, solver=solver, time_limit=time_limit, start=start)
                if status_quo:
                    sq = status_quo_plan(sc, solver)
                    plan.summary["status_quo_cost"] = sq.summary["headline"]["end"]["total_cost_all_years"]
            plan.write(out, force=force, format=fmt, locked=True)
        if not quiet:
            for line in headline_lines(plan, out):
                click.echo(line)
            if plan.status == "time_limit":
                gap = plan.summary.get("gap")
                click.echo(f"Note: the time limit stopped the solver; this plan is feasible but may not be optimal"
                           f"{f' (gap {gap:.2%})' if gap is not None else ''}.")


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


def raise_output(message: str) -> None:
    from allocator.errors import OutputError

    raise OutputError(message)


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
        click.echo(f"Wrote {target} ({lp.num_col:,} variables, {lp.num_row:,} rows, {lp.A.nnz:,} nonzeros).")


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

    For each year: the people housed, what limited the number (cluster limit,
    capacity, procurement pace, growth limit, agreement, fair share, ...) and,
    where a limit is tight, what one more place there would save a year.

    \b
    Examples:
      allocator explain out/uk-2025-central E08000035
      allocator explain out/example "Kingsmead"
    """
    from allocator.explain import explain_area
    from allocator.plan import read_plan

    with error_boundary(debug):
        lines = explain_area(read_plan(plan).allocations, area)
        if not lines:
            raise ScenarioError(f"no area '{area}' in {plan}/allocations.csv", file="command line")
        click.echo("\n".join(lines))


def _terminate(signum: int, frame) -> None:  # noqa: ARG001
    """SIGTERM behaves like Ctrl-C: unwind, remove temporary files, exit 143."""
    raise SystemExit(128 + signum)


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        result = cli.main(prog_name="allocator", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("\nallocator: interrupted; no partial output was left", err=True)
        sys.exit(130)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()

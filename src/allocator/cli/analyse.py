"""The commands that read plans: ``compare``, ``report`` and ``explain``.

A scenario given instead of a plan folder (to ``compare`` and ``report``) is solved first.
"""

from __future__ import annotations

from pathlib import Path

import click

from allocator.cli.common import console, error_boundary, not_a_plan
from allocator.compare import compare_plans, is_plan_folder, load_plan_or_solve, short_names
from allocator.errors import CommandLineError, given_issue
from allocator.explain import explain_area, find_area
from allocator.output import check_target, echo
from allocator.plan import read_plan
from allocator.progress import spinner, track
from allocator.ranking import rank_councils
from allocator.report import write_region_reports, write_report
from allocator.track_files import check_of_plan, read_tracking

#: What ``report --out`` may be called (the report is one HTML file).
REPORT_SUFFIXES = (".html", ".htm")


def _load_all(paths: tuple[Path, ...], solver: str, quiet: bool) -> list:
    """Read plan folders; solve scenarios (with a progress bar on a terminal)."""
    to_solve = [p for p in paths if not is_plan_folder(p)]
    if len(to_solve) > 1:
        return [load_plan_or_solve(p, solver=solver) for p in track(paths, "Solving scenarios", quiet=quiet,
                                                                 label=lambda p: Path(p).name)]
    if to_solve:
        with spinner(f"Solving {to_solve[0]} …", quiet):
            return [load_plan_or_solve(p, solver=solver) for p in paths]
    return [load_plan_or_solve(p, solver=solver) for p in paths]


@click.command()
@click.argument("plans", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many councils to list per plan.")
@click.option("--sort-by", type=click.Choice(["change", "funding", "rate"]), default=None,
              help="Also rank each plan's councils, largest first: change = people at the end of the final "
                   "year minus people at the start; funding = funding summed over all years; rate = people "
                   "per 10,000 residents at the end of the final year, on the plan's pressure basis "
                   "(dispersal alone on the dispersal basis). With --sort-by one plan is enough.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the tables into this folder: compare_trajectory.csv, compare_regions.csv, "
                   "compare_areas.csv, compare_ranking.csv with --sort-by (raw numbers) and compare.md "
                   "(formatted).")
@click.option("--force", is_flag=True, help="Replace the --out folder if it holds an earlier output of allocator "
                                          "(and nothing else).")
@click.option("--solver", type=click.Choice(["highs", "ortools", "pulp"]), default="highs", show_default=True,
              help="Solver for any scenario given instead of a plan folder.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (use with --out in scripts).")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def compare(plans: tuple[Path, ...], top: int, sort_by: str | None, out: Path | None, force: bool, solver: str,
            quiet: bool,
            debug: bool) -> None:
    """Compare two or more PLANS side by side; the first is the baseline.

    Each of PLANS is a plan folder written by `allocator solve`, or a scenario
    (a YAML file, or a folder with scenario.yaml), which is solved first.

    Prints three tables: per year, each plan's people in hotels (contingency)
    and in dispersal, total cost, Gini of area rates, highest rate per 10,000
    residents, areas over the cluster limit and areas hosting, with each
    plan's difference from the first; people in dispersal per region in the
    final year; and the councils whose allocations differ most from the first
    plan (summed over the years both cover). The Gini, highest rate and areas over the
    limit are each plan's on its pressure basis (policy.pressure_basis), named
    in the row; where it is not dispersal the Gini and highest rate on
    dispersal alone follow, and where the plans' bases differ no difference
    is given for the figures on each plan's own basis. With --sort-by, a fourth table ranks each
    plan's councils by their change in people, funding or rate (one plan is
    then enough, and only that table is printed).

    \b
    Examples:
      allocator compare out/central out/high-arrivals
      allocator compare out/central scenarios/uk-2025/low-arrivals.yaml
      allocator compare out/a out/b out/c --top 20 --out out/comparison -q
      allocator compare out/central --sort-by change --top 10
    """
    with error_boundary(debug):
        if len(plans) < 2 and sort_by is None:
            raise CommandLineError(given_issue("PLANS", " ".join(map(str, plans)), "compare needs at least two "
                                                                                  "plans (or one plan with --sort-by)"))
        if out is not None:
            check_target(out, force=force, protect=plans)
        loaded = _load_all(plans, solver, quiet)
        if len(plans) == 1:
            result = rank_councils(loaded, short_names([str(plans[0])]), by=sort_by, top=top)
        else:
            result = compare_plans(loaded, [str(p) for p in plans], top=top, sort_by=sort_by)
        written = result.write(out, force=force, protect=plans) if out is not None else []
        if not quiet:
            result.render(console())
            if written:
                echo(f"Comparison written to {out}/ ({', '.join(p.name for p in written)})")


@click.command()
@click.argument("plan_dir", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="The HTML file to write (.html or .htm; a folder with --by-region).")
@click.option("--compare", "compare_with", type=click.Path(exists=True, path_type=Path), default=None,
              help="Another plan (or scenario) to compare against: its differences are shown throughout.")
@click.option("--track", "track_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A folder written by `allocator track` for this plan: adds a section on the plan against the "
                   "actual, with a hex map of each council's fulfilment rate and the councils flagged.")
@click.option("--by-region", is_flag=True,
              help="Write one report per region into the --out folder, with an index.html linking them.")
@click.option("--force", is_flag=True, help="With --by-region: replace the --out folder if it holds an earlier "
                                          "output of allocator (and nothing else). A single report file is "
                                          "always replaced.")
@click.option("--solver", type=click.Choice(["highs", "ortools", "pulp"]), default="highs", show_default=True,
              help="Solver for a scenario given instead of a plan folder.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def report(plan_dir: Path, out: Path, compare_with: Path | None, track_dir: Path | None, by_region: bool,
           force: bool, solver: str, quiet: bool, debug: bool) -> None:
    """Write an HTML report of the plan in PLAN_DIR: one self-contained file that opens offline.

    Headline figures (and what changes against --compare), charts of people in
    hotels and in dispersal and of costs over the years, hex maps of people
    per 10,000 residents now and in the final year, regions against their fair
    share, and a searchable, sortable table of every council. Nothing is loaded
    from the internet: send the file by e-mail, open it on any computer.

    \b
    Examples:
      allocator report out/central --out out/central.html
      allocator report out/hotels-closed --compare out/central --out out/closed-vs-central.html
      allocator report out/central --by-region --out out/central-regions
      allocator report out/central --track out/track-2026q1 --out out/central-2026q1.html
    """
    with error_boundary(debug):
        paths = (plan_dir,) if compare_with is None else (plan_dir, compare_with)
        if not by_region and out.suffix.lower() not in REPORT_SUFFIXES:
            raise CommandLineError(given_issue("--out", out, "the report is an HTML file, so the name must end in "
                                                             f".html or .htm (got {out.suffix or 'no extension'})"))
        check_target(out, force=force, protect=paths, what="folder" if by_region else "file")
        loaded = _load_all(paths, solver, quiet)
        names = short_names([str(p) for p in paths])
        kwargs = {"label": names[0], "track": _tracking(track_dir, loaded[0])}
        if compare_with is not None:
            kwargs.update(compare=loaded[1], compare_label=names[1])
        if by_region:
            written = write_region_reports(loaded[0], out, force=force, protect=paths, progress=lambda rs: track(
                rs, "Writing regional reports", quiet=quiet, label=lambda r: r), **kwargs)
            if not quiet:
                echo(f"Wrote {len(written) - 1} regional reports and {written[0]} (the index).")
        else:
            path = write_report(loaded[0], out, protect=paths, **kwargs)
            if not quiet:
                echo(f"Wrote {path} ({path.stat().st_size / 1024:,.0f} KB; opens offline in any browser).")


def _tracking(folder: Path | None, plan):
    """The tracking folder for ``report --track``, refused (exit 2) when it compares another plan."""
    if folder is None:
        return None
    tracking = read_tracking(folder)
    check_of_plan(tracking, plan, str(folder / "track.json"))
    return tracking


@click.command()
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
    where a limit is tight, what one more place there that year would save
    over the whole plan (not a yearly figure).

    \b
    Examples:
      allocator explain out/uk-2025-central E08000035
      allocator explain out/example "Kingsmead"
    """
    with error_boundary(debug):
        if not is_plan_folder(plan):
            raise CommandLineError(given_issue("PLAN", None, not_a_plan(plan, f'allocator explain DIR "{area}"')))
        read = read_plan(plan)
        code = find_area(read.allocations, area, f"{plan}/allocations.csv")
        echo("\n".join(explain_area(read.allocations, code, read.start, read.pressure_basis)))

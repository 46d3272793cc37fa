"""The commands that take a scenario to a plan or a model: ``validate``, ``solve``, ``export``."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.api import solve as run_solve
from allocator.solvers import DEFAULT_GAP
from allocator.cli.common import error_boundary
from allocator.data import prepare
from allocator.dotted import given_on_command_line, parse_assignments
from allocator.errors import CommandLineError, NotOptimalError, TimeLimitError, given_issue
from allocator.excel import check_available
from allocator.interpret import START
from allocator.model import build_lp
from allocator.output import check_target, echo, input_paths, output_lock
from allocator.place import new_sites_line
from allocator.plan import WRITTEN_FILES
from allocator.progress import spinner
from allocator.scenario import Scenario, load_scenario
from allocator.solvers.export import write_model
from allocator.status import GAP_TOLERANCE, Status, proven_optimal

EPILOG_SOLVE = """\b
Examples:
  allocator solve scenarios/example --out out/example
  allocator solve scenarios/uk-2025/central.yaml --out out/central --force
  allocator solve scenarios/uk-2025/central.yaml --set policy.cluster_limit=250 --out out/central-250
  allocator solve scenarios/example --out out/ex-ortools --solver ortools --time-limit 60
  allocator solve wards/scenario.yaml --out out/wards --start cold   # compare with the default start
"""


def _fmt(n: float) -> str:
    return f"{n:,.0f}"


def _integer_line(s: dict) -> str:
    """An integer plan's line of the headline: its gap and the new areas it opens, first first."""
    gap = "unknown" if s.get("gap") is None else f"{s['gap']:.3%}"
    opened = ", ".join(f"{o['area_name']} {o['year']}" for o in s["opened"][:8])
    more = f" and {len(s['opened']) - 8} more" if len(s["opened"]) > 8 else ""
    return (f"Integer plan (opening decisions): gap {gap}, asked {s['gap_tolerance']:.3%}; "
            f"{len(s['opened'])} new area(s) opened" + (f": {opened}{more}" if opened else "")
            + f"; set-up costs £{_fmt(s['set_up_cost'])} (not in the total cost below).")


#: At most this many areas named on one line of the headline; summary.json lists them all.
NAMED = 10


def _some(names) -> str:
    """The first :data:`NAMED` of ``names``, and how many more (all of them are in summary.json)."""
    names = list(names)
    more = len(names) - NAMED
    return ", ".join(names[:NAMED]) + (f" and {more} more (summary.json lists them)" if more > 0 else "")


#: Where the headline sends a reader for a baseline someone might choose (docs/cli.md, docs/uk-scenario.md).
TREND_BASELINE = "scenarios/uk-2025/trend-status-quo.yaml"


def _against(plan_cost: float, base_cost: float) -> str:
    """"the plan costs £X more (+Y%)" or "£X less (-Y%)": a difference, never called a saving."""
    diff = plan_cost - base_cost
    if round(diff) == 0:
        return "the plan costs the same"
    return (f"the plan costs £{_fmt(abs(diff))} {'more' if diff > 0 else 'less'} "
            f"({diff / max(1.0, base_cost):+.1%})")


def baseline_lines(s: dict, end: dict) -> list[str]:
    """The lines comparing the plan with --status-quo (no new places at all: a floor, said so) and with
    --baseline (a scenario the user chose, named)."""
    lines = []
    if "status_quo_cost" in s:
        lines.append(f"           No new procurement at all (every procurement_per_year 0, no hotel ceiling): "
                     f"£{_fmt(s['status_quo_cost'])}; {_against(end['total_cost_all_years'], s['status_quo_cost'])}. "
                     "A baseline that buys no places is one nobody would choose: the difference is not a saving. "
                     f"For a realistic baseline use --baseline (the national one: {TREND_BASELINE}).")
    if "baseline" in s:
        b = s["baseline"]
        lines.append(f"           Baseline {b['scenario']!r} ({b['file']}): £{_fmt(b['total_cost'])}; "
                     f"{_against(end['total_cost_all_years'], b['total_cost'])}; in contingency by {end['year']}: "
                     f"plan {_fmt(end['contingency'])}, baseline {_fmt(b['contingency_end'])}.")
    return lines


def _basis_regions(regions, year: int) -> str:
    """The highest and lowest regional rates on the pressure basis, now and at the end (regions.csv: its start rows
    and ``year``'s); "" for a plan without them (written before start rows, or no regions table at all)."""
    if regions is None or "position" not in regions or "basis_total" not in regions:
        return ""
    parts = []
    for when, rows in (("now", regions[regions["position"] == START]),
                       (f"by {year}", regions[(regions["year"] == year) & (regions["position"] != START)])):
        rate = (rows["basis_total"] / rows["population"] * 1e4).set_axis(rows["region"])
        if rate.empty:
            return ""
        parts.append(f"{when} highest {rate.idxmax()} {rate.max():.1f}, lowest {rate.idxmin()} {rate.min():.1f}")
    return "; regional rates " + "; ".join(parts)


def headline_lines(plan, out: Path | None = None) -> list[str]:
    """A few readable lines: where things stand now and what the plan achieves."""
    s = plan.summary
    start, end = s["headline"]["start"], s["headline"]["end"]
    hi0, lo0, hi1, lo1 = start["highest_region"], start["lowest_region"], end["highest_region"], end["lowest_region"]
    alone = " (dispersal only)" if "basis" in start else ""      # beside the same on the pressure basis, below
    lines = [
        f"Scenario: {s['scenario']}   status: {s['status']}   solver: {s['solver']} {s['solver_version']}"
        f"   build {s['build_seconds']:.2f}s, solve {s['solve_seconds']:.2f}s",
        f"Now:       {_fmt(start['dispersed'])} people in dispersal, {_fmt(start['contingency'])} in contingency (hotels); "
        f"{start['areas_over_cap']} area(s) over the cluster limit; {start['areas_hosting_nobody']} area(s) hosting nobody.",
        f"           Regional rates per 10,000 residents{alone}: highest {hi0['region']} {hi0['rate_per_10k']:.1f}, "
        f"lowest {lo0['region']} {lo0['rate_per_10k']:.1f}.",
        f"By {end['year']}:   {_fmt(end['dispersed'])} in dispersal, {_fmt(end['contingency'])} in contingency; "
        f"{end['areas_over_cap']} area(s) over the cluster limit; {end['areas_hosting']} area(s) hosting.",
        f"           Regional rates{alone}: highest {hi1['region']} {hi1['rate_per_10k']:.1f}, lowest {lo1['region']} "
        f"{lo1['rate_per_10k']:.1f}; Gini of area rates{alone} {start['gini']:.3f} -> {end['gini']:.3f}.",
        f"Total cost over the plan: £{_fmt(end['total_cost_all_years'])}.",
    ]
    if "basis" in start:                 # the pressure basis beside dispersal alone
        b0, b1 = start["basis"], end["basis"]
        lines.insert(5, f"           On the pressure basis ({b0['pressure_basis']}): {_fmt(b0['total'])} people now, "
                        f"{_fmt(b1['total'])} by {end['year']}; Gini of area rates {b0['gini']:.3f} -> {b1['gini']:.3f}"
                        + _basis_regions(getattr(plan, "regions", None), end["year"]) + ".")
    if "new_contingency" in end:
        lines.insert(4, f"           Of the contingency, {_fmt(end['new_contingency'])} in new sites beyond the open "
                        "hotel places.")
    if "gap_tolerance" in s:             # an integer plan: its gap and the areas it opens (after the inserts above,
        lines.insert(1, _integer_line(s))   # whose places count from the scenario line)
    lines += baseline_lines(s, end)
    if s.get("inherited_over_cap"):
        names = _some(f"{r['area_name']} ({_fmt(r['stock'])} > {_fmt(r['cap'])})" for r in s["inherited_over_cap"])
        lines.append(f"Inherited stock over the cluster limit (only allowed to decline): {names}.")
    if s.get("over_cap_on_basis"):
        names = _some(f"{r['area_name']} ({_fmt(r['basis_total'])} > {_fmt(r['cap'])})" for r in s["over_cap_on_basis"])
        lines.append(f"Over the cluster limit on the pressure basis now: {names}. Each year ends at or under the "
                     "limit, or, where the people already there are still above it, with nobody new.")
    if s.get("new_sites_while_hotel_places_empty"):
        lines.append(new_sites_line(s["new_sites_while_hotel_places_empty"]))
    if out is not None:
        files = sorted(p.name for p in Path(out).iterdir() if p.is_file() and not p.name.startswith(".")) \
            if Path(out).is_dir() else []
        lines.append(f"Full outputs: {out}/ ({', '.join(files) or 'allocations.csv, trajectory.csv, regions.csv, summary.json'})")
    return lines


@click.command()
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
    with error_boundary(debug):
        sc = load_scenario(scenario)
        cfg = sc.config
        echo(f"OK: {cfg.name}: {len(sc.areas)} areas in {sc.areas['region'].nunique()} regions, "
             f"years {cfg.years[0]}-{cfg.years[-1]}, cohorts: {', '.join(sc.cohort_names)}.")


@click.command(epilog=EPILOG_SOLVE)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help=f"Folder to write the plan into: {', '.join(WRITTEN_FILES)} (and plan.xlsx with --format xlsx).")
@click.option("--solver", type=click.Choice(["highs", "ortools", "pulp"]), default="highs", show_default=True,
              help="LP backend: HiGHS (fast, default), OR-Tools GLOP, or PuLP with CBC (slow; for cross-checks). "
                   "Integer plans: highs or pulp.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds. If hit, the best feasible plan is written with status time_limit and its gap, "
                   "and the exit code is 8 (not proven optimal); if nothing better than the plan that places "
                   "nobody new was found, exit 4 and nothing is written.")
@click.option("--gap", type=click.FloatRange(min=0, max=1), default=DEFAULT_GAP, show_default=True,
              help="Integer plans only (opening decisions: min_open, open_cost, policy.max_new_areas; "
                   "docs/new-areas.md): the relative gap to a proven lower bound at which the plan counts as "
                   "optimal (0.001 = 0.1%). A plan the time limit stops above it is written with status "
                   "time_limit (exit 8).")
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
              help="Also solve the scenario with no new procurement at all (and no hotel ceiling) and report "
                   "the cost difference: a floor nobody would choose, not a realistic status quo (see --baseline).")
@click.option("--baseline", type=click.Path(path_type=Path), default=None,
              help="Also solve this scenario (for the national plan "
                   "scenarios/uk-2025/trend-status-quo.yaml: procurement at the historical pace under today's "
                   "rules) and report the plan's cost and hotels against it. Without --set.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True,
              help="xlsx: also write plan.xlsx, one workbook with every table (text never runs as a formula).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Change one setting of the scenario for this solve, by its dotted key (repeat for more): "
                   "--set policy.cluster_limit=250, --set policy.contingency_ceiling.2029=0. VALUE is read as "
                   "YAML (a number, text, null, [a, b]). summary.json records the overrides; --set name=... "
                   "names the variant.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def solve(scenario: Path, out: Path, solver: str, time_limit: float | None, gap: float, write_incomplete: bool, start: str,
          force: bool, status_quo: bool, baseline: Path | None, fmt: str, sets: tuple[str, ...], quiet: bool, debug: bool) -> None:
    """Solve a SCENARIO and write the verified plan to --out.

    The plan is checked by an independent verifier before it is written; a
    plan that fails is never written. The folder is written atomically: a
    reader sees the old complete plan or the new one, never a mix. A plan
    that the time limit stopped before it was proven optimal is written but
    exits 8, even with -q (exit codes: docs/cli.md).
    """
    if start == "prices" and solver != "highs":
        raise click.UsageError(f"--start prices needs --solver highs (got --solver {solver})")
    with error_boundary(debug):
        check_target(out, force=force, protect=[scenario, *filter(None, [baseline])])   # before solving: the same rules apply when writing
        overrides = parse_assignments(sets)                  # a bad --set fails before the scenario is read
        if fmt == "xlsx":
            check_available("--format xlsx")                 # a missing extra fails before a long solve
        sc = load_scenario(scenario)
        with given_on_command_line("--set", dict(zip(overrides, sets)), label="--set"):
            sc = sc.update(overrides, source="--set")
        base = load_scenario(baseline) if baseline is not None else None   # a bad baseline fails before solving
        with output_lock(out):                 # a second solve into the same folder fails at once
            with spinner(f"Solving {sc.name} ({len(sc.areas):,} areas, {len(sc.years)} years) …", quiet):
                plan = run_solve(sc, solver=solver, time_limit=time_limit, start=start, gap=gap,
                                 keep_trivial=write_incomplete)
                if status_quo:
                    sq = status_quo_plan(sc, solver)
                    plan.summary["status_quo_cost"] = sq.summary["headline"]["end"]["total_cost_all_years"]
                if base is not None:
                    plan.summary["baseline"] = baseline_summary(run_solve(base, solver=solver), baseline)
            plan.write(out, force=force, format=fmt, locked=True, protect=[scenario, *filter(None, [baseline]), *input_paths(sc)])
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


def status_quo_plan(sc: Scenario, solver: str = "highs"):
    """The same scenario with no new procurement: today's capacity is all there is."""
    areas = sc.areas.copy()
    for col in [c for c in areas.columns if c.startswith("procurement_per_year")]:
        areas[col] = 0.0
    sq = sc.with_areas(areas)
    if sq.config.policy.contingency_ceiling:
        sq = sq.with_policy(contingency_ceiling=None)
    return run_solve(sq, solver=solver)


def baseline_summary(base, path: Path) -> dict:
    """What summary.json records of the --baseline solve: its name, file, total cost and last year's contingency."""
    end = base.summary["headline"]["end"]
    return {"scenario": base.summary["scenario"], "file": str(path),
            "total_cost": end["total_cost_all_years"], "contingency_end": end["contingency"]}


@click.command(name="export")
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
    with error_boundary(debug):
        if target.suffix.lower() not in (".mps", ".lp"):
            raise CommandLineError(given_issue("TARGET", target, "must end in .mps or .lp"))
        lp = build_lp(prepare(load_scenario(scenario)))
        write_model(lp, target)
        echo(f"Wrote {target} ({lp.num_col:,} variables, {lp.num_row:,} rows, {lp.A.nnz:,} nonzeros).")

"""The commands that explore a scenario: ``sweep``, ``frontier`` and ``uncertainty``.

The work itself lives in :mod:`allocator.sweep`, :mod:`allocator.frontier` and
:mod:`allocator.uncertainty`; this module reads options and prints.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
import pandas as pd

from allocator.api import solve
from allocator.cli.common import error_boundary
from allocator.dotted import given_on_command_line
from allocator.errors import CommandLineError, InfeasibleError, given_issue
from allocator.frontier import compute_frontier
from allocator.output import check_target, echo, fmt, input_paths, safe_csv, write_folder
from allocator.plan import read_plan
from allocator.scenario import load_scenario
from allocator.status import Status
from allocator.sweep import STALE, VIRTUAL_KEYS, grid_points, lhs_points, parse_set, preview, run_sweep
from allocator.uncertainty import (ArrivalModel, evaluate, fan_chart, parse_ceiling, robust_plan, streams,
                                   write_json)


def _money(v: float) -> str:
    return fmt(v, "money")


# --------------------------------------------------------------------------- sweep
_VIRTUAL = "\n".join(f"  {k:<26} {v.description}" for k, v in VIRTUAL_KEYS.items())

SWEEP_EPILOG = f"""\b
Values: a comma list (150,200,250; text and null allowed: l1,minmax) or a range
START:STOP:COUNT (0.8:1.2:5 = 0.8, 0.9, 1.0, 1.1, 1.2). Keys are dotted scenario
keys (policy.cluster_limit, objective.equity_weight, demand.exit_rate,
demand.arrivals.2027, policy.contingency_ceiling.2029) or these virtual keys:
{_VIRTUAL}

\b
Examples:
  allocator sweep scenarios/uk-2025/central.yaml --set policy.cluster_limit=150,200,250 \\
      --set demand.arrivals_scale=0.8:1.2:5 --out out/sweep
  allocator sweep scenarios/uk-2025/central.yaml --set policy.cluster_limit=100:300:2 \\
      --set demand.arrivals_scale=0.7:1.3:2 --lhs 200 --seed 1 --out out/lhs
  allocator sweep scenarios/example --set objective.equity_weight=0,1000,3000 \\
      --scheduler tcp://10.0.0.5:8786 --out out/cluster-sweep

Run the same command again to resume an interrupted sweep: finished points are
kept in OUT/points/ and not solved again.
"""


@click.command("sweep", epilog=SWEEP_EPILOG)
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--set", "sets", multiple=True, required=True, metavar="KEY=VALUES",
              help="A parameter to vary and its values (repeat for more keys).")
@click.option("--lhs", type=click.IntRange(min=1), default=None, metavar="N",
              help="A Latin hypercube sample of N points instead of the full grid (ranges are sampled "
                   "anywhere between START and STOP; COUNT is then ignored).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Latin hypercube.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on a Dask cluster (e.g. tcp://host:8786), or 'local' to start a Dask LocalCluster.")
@click.option("--workers", type=click.IntRange(min=1), default=min(2, os.cpu_count() or 1), show_default=True,
              help="Local worker processes (1 = in this process), or LocalCluster workers with --scheduler local.")
@click.option("--warm/--cold", default=False, show_default=True,
              help="--cold (the default) solves every point from scratch, as allocator solve does: its figures are "
                   "those solve gives for the point. --warm starts each point from the base scenario's optimal "
                   "basis: faster on large sweeps, the same objective, but where several plans are equally good "
                   "(docs/model.md) the figures may be another one's (Gini, highest rate; cost after rounding).")
@click.option("--no-verify", is_flag=True, help="Skip the independent verifier on each point (faster).")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="Times a failed task (a lost worker, a crashed process) is tried again.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for results.parquet, results.csv and points/ (the same folder resumes a sweep).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def sweep(scenario: Path, sets: tuple[str, ...], lhs: int | None, seed: int, scheduler: str | None, workers: int,
          warm: bool, no_verify: bool, retries: int, out: Path, quiet: bool, debug: bool) -> None:
    """Solve SCENARIO over a grid of parameter values; write one table of headline results.

    One row per point: its parameters, status, whether it was warm-started,
    objective, total cost, people in contingency (hotels) each year, final
    dispersed total, the final Gini, highest rate and areas over the cluster
    limit on the point's pressure basis (the Gini and highest rate also on
    dispersal alone), and the places short when a point is infeasible. Written to OUT/results.parquet and
    OUT/results.csv, sorted by point id (a hash of the parameters and the scenario).
    """
    with error_boundary(debug):
        sc = load_scenario(scenario)
        axes = [parse_set(s) for s in sets]
        points = lhs_points(axes, lhs, seed) if lhs else grid_points(axes)
        how = {"design": f"lhs n={lhs} seed={seed}" if lhs else "grid", "sets": list(sets),
               "scheduler": scheduler or (f"{workers} local processes" if workers > 1 else "in process")}
        with given_on_command_line("--set", {a.key: text for a, text in zip(axes, sets)}, label="sweep"):
            result = run_sweep(sc, points, out, workers=workers, scheduler=scheduler, warm=warm,
                               verify=not no_verify, retries=retries, progress=not quiet, how=how)
        if quiet:
            return
        where = (f"the Dask cluster at {scheduler}" if scheduler and scheduler != "local"
                 else f"a Dask LocalCluster of {workers} worker(s)" if scheduler
                 else f"{workers} local process{'es' if workers > 1 else ''}" if workers > 1 else "this process")
        rate = result.points_per_minute
        echo(f"Sweep of '{sc.name}': {len(result.table)} points ({result.solved} solved now, "
             f"{result.skipped} already done) in {result.seconds:.1f} s"
             + (f" ({rate:,.0f} points/min)" if rate == rate else "")
             + f" on {where}; " + ("warm starts on." if warm else "each point solved as allocator solve solves it."))
        for why, n in result.stale.items():
            echo(f"Solved again: {n} point file(s) already in {out}/points, {STALE[why]}.")
        echo("Status: " + ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items())) + ".")
        t = result.table
        if not t.empty and warm:
            echo(f"Warm-started: {int(t['warm'].sum())} of {len(t)} points (warm_note says why not, for the others). "
                 "Where several plans are equally good, a warm-started point's figures (Gini, highest rate; cost "
                 "after rounding) may be another one's than allocator solve gives: the objective is the same; "
                 "without --warm they are solve's.")
        echo(preview(t, [a.key for a in axes]))
        echo(f"Table: {out}/results.parquet and {out}/results.csv")


# --------------------------------------------------------------------------- frontier
@click.command("frontier", epilog="""\b
Examples:
  allocator frontier scenarios/uk-2025/central.yaml --out out/frontier
  allocator frontier scenarios/uk-2025/central.yaml --points 21 --no-extra-hotels --out out/frontier-nh
""")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--points", type=click.IntRange(min=2), default=11, show_default=True,
              help="Steps on the curve, both ends included.")
@click.option("--measure", type=click.Choice(["l1", "minmax", "progressive"]), default=None,
              help="Equity measure (default: the scenario's objective.equity_measure; progressive uses its "
                   "objective.equity_steps).")
@click.option("--no-extra-hotels", is_flag=True,
              help="Keep hotel use at or below the cheapest plan's in every year: fairness may not be bought "
                   "by keeping people in hotels longer.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for frontier.csv, frontier.png and frontier.json.")
@click.option("--force", is_flag=True, help="Replace the --out folder if it holds an earlier output of allocator "
                                          "(and nothing else).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def frontier(scenario: Path, points: int, measure: str | None, no_extra_hotels: bool, out: Path, force: bool,
             quiet: bool, debug: bool) -> None:
    """The cost against equity trade-off of SCENARIO: what each step of fairness costs per year.

    Epsilon-constraint: for each level of unfairness (people away from their
    area's fair share, summed over areas and years), the cheapest plan. From the
    cost-only plan to the fairest plan possible, in --points even steps.
    """
    with error_boundary(debug):
        check_target(out, force=force, protect=[scenario])   # before the work; checked again when writing
        sc = load_scenario(scenario)
        f = compute_frontier(sc, points=points, measure=measure, no_extra_hotels=no_extra_hotels)
        f.write(out, force=force, protect=[scenario, *input_paths(sc)])
        if quiet:
            return
        t = f.table
        echo(f"Cost-equity frontier of '{sc.name}' ({f.measure} measure, {len(t)} steps"
             f"{', no extra hotel use' if no_extra_hotels else ''}; {f.seconds:.2f} s, "
             f"{f.simplex_iterations:,} simplex iterations).")
        show = t[["share_of_range", "deviation_per_year", "cost_per_year", "extra_cost_per_year",
                  "step_cost_per_person", "contingency_total", "gini_final_basis"]].copy()
        show.columns = ["step", "unfair/yr", "cost/yr", "extra/yr", "£ per person-yr (step)", "hotel person-yrs",
                        "Gini final"]
        show["step"] = [f"{v:.0%}" for v in t["share_of_range"]]
        show["unfair/yr"] = show["unfair/yr"].map(lambda v: f"{v:,.0f}")
        for col in ("cost/yr", "extra/yr"):
            show[col] = show[col].map(_money)
        show["£ per person-yr (step)"] = show["£ per person-yr (step)"].map(lambda v: "" if v != v else f"£{v:,.0f}")
        echo(show.to_string(index=False))
        echo(f"Gini final: of the areas' rates in {f.years[-1]} on the pressure basis, {f.pressure_basis}, "
             "whole people (frontier.csv has it on dispersal alone too).")
        if f.scenario_point:
            p = f.scenario_point
            echo(f"The scenario itself (equity weight £{p['equity_weight']:,.0f} per person-year): "
                 f"unfairness {p['deviation_per_year']:,.0f} a year, cost {_money(p['cost_per_year'])} a year, "
                 f"Gini {p['gini_final_basis']:.3f} on the {f.pressure_basis} basis "
                 f"({p['gini_final_dispersal']:.3f} in dispersal alone).")
        echo(f"Written: {out}/frontier.csv, {out}/frontier.png, {out}/frontier.json")


# --------------------------------------------------------------------------- uncertainty
@click.command("uncertainty", epilog="""\b
Examples:
  allocator uncertainty scenarios/uk-2025/central.yaml --samples 2000 --seed 1 --out out/unc
  allocator uncertainty out/central --scenario scenarios/uk-2025/central.yaml --cv 0.3 --out out/unc30
  allocator uncertainty scenarios/uk-2025/central.yaml --robust --ceiling 2029=0 --share 0.8 --out out/robust
""")
@click.argument("plan_or_scenario", type=click.Path(path_type=Path))
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path), default=None,
              help="The scenario a plan folder was solved from (needed when PLAN_OR_SCENARIO is a plan).")
@click.option("--samples", type=click.IntRange(min=10), default=1000, show_default=True,
              help="Sampled arrival paths.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same seed gives the same samples.")
@click.option("--cv", type=click.FloatRange(min=0), default=0.2, show_default=True,
              help="Coefficient of variation of one year's arrivals (0.2 = typically ±20%).")
@click.option("--rho", type=click.FloatRange(min=-0.99, max=0.99), default=0.5, show_default=True,
              help="Year-to-year correlation of the arrival multipliers (0 = independent years).")
@click.option("--empty-place-cost", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="£ per empty bed space per year (the LP charges places only when occupied).")
@click.option("--robust", is_flag=True, help="Also solve a robust plan that keeps hotel use within --ceiling in at "
                                             "least --share of futures, and check it on fresh samples.")
@click.option("--ceiling", default=None, metavar="PEOPLE|YEAR=PEOPLE,...",
              help="Hotel ceiling for --robust (default: the scenario's policy.contingency_ceiling).")
@click.option("--share", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True), default=0.9,
              show_default=True, help="Share of futures in which the robust plan must keep within the ceiling.")
@click.option("--joint", is_flag=True, help="The share holds for all ceiling years at once (Bonferroni), not each "
                                            "year separately.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for percentiles.csv, samples.parquet, fan.png (and robust_plan/, robust_check.csv).")
@click.option("--force", is_flag=True, help="Replace the --out folder if it holds an earlier output of allocator "
                                          "(and nothing else).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--debug", is_flag=True, help="Show the full Python traceback on error.")
def uncertainty(plan_or_scenario: Path, scenario_path: Path | None, samples: int, seed: int, cv: float, rho: float,
                empty_place_cost: float, robust: bool, ceiling: str | None, share: float, joint: bool, out: Path,
                force: bool, quiet: bool, debug: bool) -> None:
    """Evaluate a plan against many sampled arrival paths; optionally solve a robust plan.

    PLAN_OR_SCENARIO is a plan folder (from `allocator solve`; give --scenario
    too) or a scenario (solved first). The plan's bed spaces are fixed; each
    future's arrivals fill them, and whoever has no place is in contingency
    (hotels). Prints and writes percentiles of hotel use and cost per year and a
    fan chart. See docs/uncertainty.md for the sampling model and the rule.
    """
    with error_boundary(debug):
        inputs = [p for p in (plan_or_scenario, scenario_path) if p is not None]
        check_target(out, force=force, protect=inputs)
        is_plan = plan_or_scenario.is_dir() and (plan_or_scenario / "summary.json").exists()
        if is_plan:
            if scenario_path is None:
                raise CommandLineError(given_issue("PLAN_OR_SCENARIO", plan_or_scenario, "a plan folder: give the "
                                                   "scenario it was solved from with --scenario"))
            sc = load_scenario(scenario_path)
            plan = read_plan(plan_or_scenario)
            if plan.summary.get("scenario_sha256") not in (None, sc.sha256):
                raise CommandLineError(given_issue("--scenario", scenario_path, f"the plan in {plan_or_scenario} "
                                                   "was not solved from this scenario (scenario hashes differ)"))
        else:
            sc = load_scenario(plan_or_scenario if scenario_path is None else scenario_path)
            plan = solve(sc)
        model = ArrivalModel(cv=cv, rho=rho)
        years = sc.years
        ceil = parse_ceiling(ceiling, years)
        if ceil is None and sc.config.policy.contingency_ceiling:
            ceil = {int(k): float(v) for k, v in sc.config.policy.contingency_ceiling.items()}
        rng, _ = streams(seed)
        ev = evaluate(sc, plan, model.multipliers(samples, len(years), rng), empty_place_cost=empty_place_cost)
        pct = ev.percentiles(ceil)
        meta = {"scenario": sc.name, "scenario_sha256": sc.sha256, "plan": str(plan_or_scenario),
                "samples": samples, "seed": seed, "cv": cv, "rho": rho, "empty_place_cost": empty_place_cost,
                "sampling": "arrivals_t x exp(sigma z_t - sigma^2/2), sigma^2 = ln(1+cv^2), z AR(1) with rho",
                "rule": "bed spaces fixed by the plan; survivors stay; new placements follow the plan, scaled "
                        "down when fewer need a place, free beds filled pro rata when more do; the rest in hotels"}
        if not quiet:
            _print_evaluation(pct, sc.name, samples, cv, rho, seed)
        r, failed = None, None
        if robust:
            try:
                r = robust_plan(sc, model, samples=samples, seed=seed, share=share, ceiling=ceil, joint=joint, original=plan,
                                empty_place_cost=empty_place_cost)
            except InfeasibleError as err:
                meta["robust"] = {"status": Status.INFEASIBLE.value, "share": share, "joint": joint, "ceiling": ceil,
                                  "message": str(err)}
                failed = err             # the evaluation is still written, then the error is reported
            else:
                meta["robust"] = {"status": Status.OPTIMAL.value, "share": share, "joint": joint, "ceiling": r.ceiling,
                                  "quantile_level": round(r.level, 4), "need_target": r.need_target,
                                  "in_sample_share_within": r.in_sample, "in_sample_target": round(r.target, 4),
                                  "fresh_share_within_all_years": r.joint_share,
                                  "robust_total_cost": float(r.plan.trajectory["total_cost"].sum()),
                                  "original_total_cost": float(plan.trajectory["total_cost"].sum()),
                                  "robust_expected_cost": float(r.fresh.cost.sum(axis=1).mean()),
                                  "original_expected_cost": float(r.fresh_original.cost.sum(axis=1).mean())}
                if not quiet:
                    _print_robust(r, meta, share, joint, samples)
        titles = (f"{sc.name}: {samples:,} sampled arrival paths (cv {cv:g}, rho {rho:g}, seed {seed})",
                  f"Robust plan (hotels within ceiling in {share:.0%} of futures{' jointly' if joint else ''}) "
                  f"on {r.fresh.contingency.shape[0]:,} fresh samples" if r is not None else "")
        with write_folder(out, kind="uncertainty", force=force, protect=inputs) as tmp:
            _write_uncertainty(tmp, ev, pct, meta, years, titles, ceil, r)
        if failed is not None:
            raise failed
        if not quiet:
            extra = ", robust_plan/, robust_check.csv, fan_robust.png" if r is not None else ""
            echo(f"Written: {out}/ (percentiles.csv, samples.parquet, fan.png, uncertainty.json{extra})")


def _print_robust(r, meta: dict, share: float, joint: bool, samples: int) -> None:
    echo("")
    echo(f"Robust plan: hotel use within {r.ceiling} in at least {share:.0%} of futures"
         f"{' (all years jointly)' if joint else ' (each year)'}. Solved for need at its "
         f"{r.level:.1%} quantile ({r.in_sample:.1%} of the {samples:,} planning samples within "
         f"the ceiling); checked on {r.fresh.contingency.shape[0]:,} fresh samples:")
    echo(r.check.to_string(index=False))
    echo(f"Share of fresh futures within the ceiling in every year: robust "
         f"{r.joint_share['robust']:.1%}, original plan "
         f"{r.joint_share.get('original', float('nan')):.1%}.")
    echo(f"Expected cost over the plan: robust {_money(meta['robust']['robust_expected_cost'])}, "
         f"original {_money(meta['robust']['original_expected_cost'])}.")


def _write_uncertainty(folder: Path, ev, pct, meta: dict, years: list[int], titles: tuple[str, str], ceil,
                       r=None) -> None:
    """The files of ``allocator uncertainty`` in ``folder`` (a temporary folder swapped into place)."""
    safe_csv(pct).to_csv(folder / "percentiles.csv", index=False, lineterminator="\n")
    n = ev.contingency.shape[0]
    long = pd.DataFrame({"sample": [s for s in range(n) for _ in years], "year": years * n,
                         "need": ev.need.ravel(), "dispersed": ev.dispersed.ravel(),
                         "contingency": ev.contingency.ravel(), "empty_places": ev.empty_places.ravel(),
                         "cost": ev.cost.ravel()})
    long.to_parquet(folder / "samples.parquet", index=False)
    fan_chart(ev, folder / "fan.png", titles[0], ceiling=ceil)
    if r is not None:
        r.plan.write(folder / "robust_plan")
        safe_csv(r.check).to_csv(folder / "robust_check.csv", index=False, lineterminator="\n")
        fan_chart(r.fresh, folder / "fan_robust.png", titles[1], ceiling=ceil, other=r.fresh_original,
                  other_label="original plan", label="robust plan")
    write_json(folder / "uncertainty.json", meta)


def _print_evaluation(pct, name: str, samples: int, cv: float, rho: float, seed: int) -> None:
    c = pct[pct["metric"] == "contingency"].set_index("year")
    k = pct[pct["metric"] == "cost"].set_index("year")
    lines = [f"'{name}' against {samples:,} sampled arrival paths (cv {cv:g}, rho {rho:g}, seed {seed}):",
             f"{'year':>6} {'hotels: plan':>13} {'p5':>8} {'median':>8} {'p95':>8} {'P(>plan)':>9}   "
             f"{'cost: plan':>11} {'median':>10} {'p95':>10}"]
    for y in c.index:
        lines.append(f"{y:>6} {c.at[y, 'plan']:>13,.0f} {c.at[y, 'p5']:>8,.0f} {c.at[y, 'p50']:>8,.0f} "
                     f"{c.at[y, 'p95']:>8,.0f} {c.at[y, 'share_above_plan']:>9.0%}   "
                     f"{_money(k.at[y, 'plan']):>11} {_money(k.at[y, 'p50']):>10} "
                     f"{_money(k.at[y, 'p95']):>10}")
    echo("\n".join(lines))

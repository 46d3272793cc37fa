"""Sweeps: parameters, point ids, warm starts, resume, local processes and Dask (issue 6)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from allocator import load_scenario, solve
from allocator.cli import cli
from allocator.data import prepare
from allocator.dotted import parse_assignment
from allocator.fairness import ON_BASIS, on_basis
from allocator.errors import ScenarioError
from allocator.model import build_lp
from allocator.interpret import interpret
from allocator.rounding import whole_plan
from allocator.sweep import (
    TIMING_COLUMNS,
    apply_params,
    grid_points,
    headline,
    lhs_points,
    parse_set,
    point_id,
    preview,
    run_sweep,
    solve_point,
    structural_keys,
)
from allocator.warm import WarmSolver, solve_cold, structure_difference
from tests.conftest import EXAMPLE, REPO

HIGH_CLOSED = REPO / "scenarios" / "uk-2025" / "high-arrivals-hotels-closed.yaml"


def results(table: pd.DataFrame) -> pd.DataFrame:
    """The table without the timing columns (the only ones allowed to differ between runs)."""
    return table.drop(columns=[c for c in TIMING_COLUMNS if c in table.columns]).reset_index(drop=True)


EXAMPLE_GRID = ["policy.cluster_limit=150,200,250", "demand.arrivals_scale=0.9:1.1:3"]


# --------------------------------------------------------------------------- parameters
def test_parse_lists_ranges_and_scalars():
    assert parse_set("policy.cluster_limit=150,200,250").values == (150, 200, 250)
    assert parse_set("demand.arrivals_scale=0.8:1.2:5").values == (0.8, 0.9, 1, 1.1, 1.2)
    axis = parse_set("objective.equity_measure=l1, minmax")
    assert axis.values == ("l1", "minmax") and not axis.is_range
    assert parse_set("policy.contingency_ceiling.2029=0,null").values == (0, None)
    for bad in ("policy.cluster_limit", "x=1:2", "x=1:2:0", "x=a:b:3", "=1,2"):
        with pytest.raises(ScenarioError):
            parse_set(bad)


def test_grid_is_cartesian_and_lhs_is_seeded_and_stratified():
    axes = [parse_set(s) for s in EXAMPLE_GRID]
    assert len(grid_points(axes)) == 9
    a = lhs_points(axes, 20, seed=3)
    assert a == lhs_points(axes, 20, seed=3)
    assert a != lhs_points(axes, 20, seed=4)
    scale = np.array([p["demand.arrivals_scale"] for p in a])
    assert ((scale >= 0.9) & (scale <= 1.1)).all()
    strata = np.floor((scale - 0.9) / 0.2 * 20 - 1e-6).astype(int)       # Latin: one sample per stratum
    assert sorted(strata) == list(range(20))
    assert {p["policy.cluster_limit"] for p in a} <= {150, 200, 250}


def test_point_id_is_stable(example):
    sha = example.sha256
    p = {"policy.cluster_limit": 200, "demand.arrivals_scale": 1.1}
    assert point_id(p, sha) == point_id({"demand.arrivals_scale": 1.1, "policy.cluster_limit": 200.0}, sha)
    assert point_id(p, sha) != point_id({**p, "policy.cluster_limit": 201}, sha)
    assert point_id(p, sha) != point_id(p, "0" * 64)
    assert len(point_id(p, sha)) == 16


def test_apply_params_matches_with_overrides(example):
    arr = example.config.demand.arrivals
    fast = apply_params(example, {"policy.cluster_limit": 250, "demand.arrivals_scale": 1.1,
                                  "demand.arrivals.2027": 2000, "costs.contingency_scale": 0.5,
                                  "policy.contingency_ceiling.2029": None})
    slow = example.with_overrides({
        "policy.cluster_limit": 250,
        "demand.arrivals": {y: (2000 if y == 2027 else v) * 1.1 for y, v in arr.items()},
        "costs.contingency_per_person_year": example.config.costs.contingency_per_person_year * 0.5,
        "policy.contingency_ceiling": {2030: 200}})
    assert fast.sha256 == slow.sha256
    scaled = apply_params(example, {"costs.place_scale": 2, "areas.procurement_scale": 0})
    assert (scaled.areas["cost_per_place"] == 2 * example.areas["cost_per_place"]).all()
    assert (scaled.areas["procurement_per_year"] == 0).all()
    with pytest.raises(ScenarioError, match="clusterlimit"):
        apply_params(example, {"policy.clusterlimit": 250})
    with pytest.raises(ScenarioError, match="arrivals_scale"):
        apply_params(example, {"demand.arrivals_scale": -1})


@pytest.mark.parametrize("which", ["example", "central"])
def test_headline_equals_the_plan_trajectory(which, example, central):
    sc = {"example": example, "central": central}[which]
    for params in ({}, {"policy.cluster_limit": 150, "demand.arrivals_scale": 1.2}):
        s = apply_params(sc, params)
        d = prepare(s)
        plan = solve(s)
        h = headline(d, plan.exact_stock, plan.exact_contingency, hotels=plan.exact_hotels)
        traj = plan.trajectory
        for col in ("dispersed", "contingency", "total_cost", "gini", "max_rate_per_10k", "areas_over_cap"):
            np.testing.assert_array_equal(np.asarray(h[col]), traj[col].to_numpy(), err_msg=col)
        for key in ON_BASIS:                        # on the plan's pressure basis (dispersal on the dispersal basis)
            np.testing.assert_array_equal(np.asarray(h[f"basis_{key}"]), on_basis(traj, key).to_numpy(), err_msg=key)
        R, hotels = whole_plan(d, plan.exact_stock, plan.exact_hotels)
        _, traj2, _ = interpret(d, plan.exact_stock, plan.exact_contingency, R, hotels)
        pd.testing.assert_frame_equal(traj, traj2)


def test_fairness_columns_are_on_the_pressure_basis(central, tmp_path):
    """Trial 5 A3: gini_final and max_rate_per_10k_final were dispersal alone (0.5401, 47.73 at central) while
    the plan's cluster limit and fair shares are judged on its supported basis (0.5384, 49.41). The table now
    has each on the point's basis (named) and on dispersal alone, and the old ambiguous names are gone rather
    than carrying another meaning."""
    res = run_sweep(central, [{}], tmp_path, workers=1, progress=False)
    row = res.table.iloc[0]
    traj = solve(central).trajectory.iloc[-1]
    assert row["pressure_basis"] == "supported"
    assert (row["gini_final_basis"], row["max_rate_per_10k_final_basis"]) == (traj["basis_gini"],
                                                                             traj["basis_max_rate_per_10k"])
    assert (row["gini_final_dispersal"], row["max_rate_per_10k_final_dispersal"]) == (traj["gini"],
                                                                                     traj["max_rate_per_10k"])
    assert row["areas_over_cap_final"] == traj["areas_over_cap"]
    assert row["max_rate_per_10k_final_basis"] != row["max_rate_per_10k_final_dispersal"]   # the bases differ here
    assert not {"gini_final", "max_rate_per_10k_final"} & set(res.table.columns)
    shown = preview(res.table, [])
    assert "gini_final_basis" in shown and "on the pressure basis, supported" in shown


def test_every_point_is_the_plan_allocator_solve_gives(central, tmp_path):
    """Trial 6 N1: the national LP has several equally good plans; warm-started, the sweep reported the figures of
    another one than `allocator solve` gives (at 1 in 200 and 90% of central arrivals a highest basis rate of 49.41
    where solve's plan has 47.99, a Gini of 0.5159 for 0.5164). docs/sweeps.md says the figures are solve's: by
    default every point is now solved as solve solves it, and each fairness and cost column equals solve's."""
    points = [{"policy.cluster_limit": 200, "demand.arrivals_scale": s} for s in (0.8, 0.9, 1.2)]
    res = run_sweep(central, points, tmp_path, workers=1, progress=False)
    table = res.table.set_index("demand.arrivals_scale")
    assert not table["warm"].any()
    for p in points:
        row = table.loc[p["demand.arrivals_scale"]]
        traj = solve(apply_params(central, p)).trajectory
        last = traj.iloc[-1]
        assert (row["gini_final_basis"], row["max_rate_per_10k_final_basis"], row["gini_final_dispersal"],
                row["max_rate_per_10k_final_dispersal"], row["areas_over_cap_final"]) == (
            last["basis_gini"], last["basis_max_rate_per_10k"], last["gini"], last["max_rate_per_10k"],
            last["areas_over_cap"]), p
        assert row["total_cost"] == round(float(traj["total_cost"].sum()), 2), p
        assert (row["dispersed_final"], row["contingency_final"]) == (last["dispersed"], last["contingency"]), p


def test_scale_keys_are_refused_by_update_with_the_setting_that_gives_the_point(central, tmp_path):
    """Trial 6 P3: `allocator solve --set demand.arrivals_scale=0.9` said "unknown key (did you mean 'arrivals'?)".
    The sweep's scale keys are not settings; update (and solve --set) now says so, and names the setting whose
    value gives the sweep's point exactly."""
    with pytest.raises(ScenarioError, match="a sweep-only key") as err:
        central.update({"demand.arrivals_scale": 0.9})
    said = err.value.issues[0].message
    key, value = parse_assignment(said.split(": set ", 1)[1].removesuffix(" for the same scenario"))
    assert central.update({key: value}).sha256 == apply_params(central, {"demand.arrivals_scale": 0.9}).sha256
    with pytest.raises(ScenarioError, match="cost_per_place column"):
        central.update({"costs.place_scale": 2})
    result = CliRunner().invoke(cli, ["solve", str(REPO / "scenarios" / "uk-2025" / "central.yaml"), "--set",
                                      "demand.arrivals_scale=0.9", "--out", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert ("option --set 'demand.arrivals_scale=0.9': a sweep-only key (multiplies every year's arrivals; "
            "allocator sweep --set): set demand.arrivals={2026: 18720.0") in result.output
    assert not (tmp_path / "p").exists()


def test_a_point_recorded_without_its_basis_is_solved_again(example, tmp_path):
    """A point file from before the sweep recorded the pressure basis is not shown with figures on another
    basis: it is solved again, as a damaged one is."""
    points = [{"policy.cluster_limit": 200}]
    first = run_sweep(example, points, tmp_path, workers=1, progress=False)
    path = next((tmp_path / "points").glob("*.json"))
    old = json.loads(path.read_text())
    del old["pressure_basis"]
    for key in ("basis_gini", "basis_max_rate_per_10k"):
        del old["headline"][key]
    path.write_text(json.dumps(old))
    again = run_sweep(example, points, tmp_path, workers=1, progress=False)
    assert (again.solved, again.skipped) == (1, 0)
    assert again.stale == {"outdated": 1}                 # trial 6 P7: and the screen says why
    pd.testing.assert_frame_equal(results(again.table), results(first.table))
    path.write_text(json.dumps(old))
    shown = CliRunner().invoke(cli, ["sweep", str(EXAMPLE), "--set", "policy.cluster_limit=200", "--workers", "1",
                                     "--out", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert "1 points (1 solved now, 0 already done)" in shown.output
    assert ("Solved again: 1 point file(s) already in " in shown.output
            and "written by an allocator from before the table's pressure-basis figures" in shown.output)


# --------------------------------------------------------------------------- warm starts
def _cold_objective(sc, params):
    lp = build_lp(prepare(apply_params(sc, params)))
    raw = solve_cold(lp)
    return raw.status, raw.objective


def test_warm_equals_cold_on_the_example(example):
    points = grid_points([parse_set("policy.cluster_limit=120,200,300"), parse_set("demand.arrivals_scale=0.7:1.3:4"),
                          parse_set("costs.contingency_scale=0.2,1"), parse_set("objective.equity_weight=500,3000")])
    keys = tuple(structural_keys(example, points))
    assert keys == ()
    warm_count = 0
    for p in points:
        row = solve_point(example, p, point_id(p, example.sha256), warm=True, structural=keys)
        status, objective = _cold_objective(example, p)
        assert row["status"] == status
        if status == "optimal":
            assert row["objective"] == pytest.approx(objective, rel=1e-6)
        warm_count += row["warm"]
    assert warm_count == len(points)


def test_warm_starts_with_a_moving_objective_constant(example):
    """Issue 13: with average occupancy and empty bed spaces the objective has a constant (today's half
    year, today's empty places), which moves with the costs and the start: the points stay warm, each
    with its own constant, and equal the cold solves (they were cold: "objective offset changed")."""
    sc = example.with_costs(occupancy="average", void_share=0.5)
    points = grid_points([parse_set("costs.contingency_scale=0.5,1"), parse_set("costs.place_scale=0.8,1.2")])
    for p in points:
        row = solve_point(sc, p, point_id(p, sc.sha256), warm=True)
        status, objective = _cold_objective(sc, p)
        assert row["warm"] and row["status"] == status == "optimal", row["warm_note"]
        assert row["objective"] == pytest.approx(objective, rel=1e-9)
    offsets = {build_lp(prepare(apply_params(sc, p))).offset for p in points}
    assert len(offsets) == len(points)


def test_warm_equals_cold_on_the_national_scenario(central):
    # (the cluster limit is no longer swept here: on the supported basis it moves the set of councils
    # over their cap by inheritance, and so the model's rows: such a point is solved cold, by design)
    points = grid_points([parse_set("costs.contingency_scale=0.9,1.1"), parse_set("demand.arrivals_scale=0.8,1.25"),
                          parse_set("costs.place_scale=0.9,1.1")])
    for p in points:
        row = solve_point(central, p, point_id(p, central.sha256), warm=True)
        status, objective = _cold_objective(central, p)
        assert row["warm"] and row["status"] == status == "optimal"
        assert row["objective"] == pytest.approx(objective, rel=1e-6)


def test_warm_starts_need_far_fewer_iterations(central):
    lp0 = build_lp(prepare(central))
    ws = WarmSolver(lp0)
    lp = build_lp(prepare(apply_params(central, {"costs.contingency_scale": 1.1, "demand.arrivals_scale": 1.1})))
    warm = ws.solve(lp)
    cold = solve_cold(lp)
    assert warm.warm and warm.raw.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.raw.info["simplex_iterations"] < cold.info["simplex_iterations"] / 5


def test_reference_basis_makes_results_independent_of_order(example):
    lps = [build_lp(prepare(apply_params(example, {"policy.cluster_limit": c, "demand.arrivals_scale": s})))
           for c in (120, 200, 300) for s in (0.7, 1.0, 1.3)]
    base = build_lp(prepare(example))
    xs = []
    for order in (range(9), reversed(range(9)), [4, 0, 8, 2, 6, 1, 7, 3, 5]):
        ws = WarmSolver(base)
        got = {i: ws.solve(lps[i]).raw for i in order}
        xs.append([got[i].x for i in range(9)])
    for other in xs[1:]:
        for a, b in zip(xs[0], other):
            np.testing.assert_array_equal(a, b)


def test_structure_change_falls_back_to_cold_and_says_so(example):
    base = build_lp(prepare(example))
    changed = build_lp(prepare(example.with_demand(exit_rate=0.3)))
    assert "exit_decay" in structure_difference(base, changed)
    minmax = build_lp(prepare(example.with_objective(equity_measure="minmax")))
    assert "model size changed" in structure_difference(base, minmax)
    # a structural key the sweep did not declare: the solver notices and solves cold
    p = {"demand.exit_rate": 0.3}
    row = solve_point(example, p, point_id(p, example.sha256), warm=True, structural=())
    assert row["warm"] is False and row["warm_note"].startswith("cold: constraint coefficients changed")
    assert row["objective"] == pytest.approx(_cold_objective(example, p)[1], rel=1e-6)
    # declared: points get a warm-start model of their own
    points = grid_points([parse_set("demand.exit_rate=0.3,0.35"), parse_set("objective.equity_measure=l1,minmax"),
                          parse_set("policy.cluster_limit=150,250")])
    keys = structural_keys(example, points)
    assert keys == ["demand.exit_rate", "objective.equity_measure"]
    for p in points:
        row = solve_point(example, p, point_id(p, example.sha256), warm=True, structural=tuple(keys))
        assert row["warm"] and row["objective"] == pytest.approx(_cold_objective(example, p)[1], rel=1e-6)


def test_no_basis_to_start_from_means_cold(tmp_path):
    sc = load_scenario(HIGH_CLOSED)                     # infeasible on purpose: no optimal basis
    res = run_sweep(sc, grid_points([parse_set("demand.arrivals_scale=0.8,1")]), tmp_path, workers=1,
                    progress=False, warm=True)
    t = res.table.set_index("demand.arrivals_scale")
    assert not t["warm"].any()
    assert t["warm_note"].str.contains("no optimal basis").all()
    assert t.loc[0.8, "status"] == "optimal" and t.loc[1, "status"] == "infeasible"
    # docs/infeasibility.md: 583, 5,088 and 9,861 short in 2027-2029; years are not added (issue 15 trial)
    assert t.loc[1, "shortfall_peak"] == pytest.approx(9861, abs=2)
    assert "shortfall_total" not in t.columns
    assert t.loc[1, "shortfall_by_year"].startswith("2027:")
    assert t.loc[1, "extra_bed_spaces"] == pytest.approx(9861, abs=2)     # or procure this many more beds


# --------------------------------------------------------------------------- resume
def test_resumed_sweep_skips_finished_points(example, tmp_path):
    points = grid_points([parse_set(s) for s in EXAMPLE_GRID])
    full = run_sweep(example, points, tmp_path / "full", workers=1, progress=False)
    assert (full.solved, full.skipped) == (9, 0)
    assert set(full.table["status"]) == {"optimal"}

    # interrupted after 4 points (Ctrl-C): those 4 are on disk, the rest are not
    out = tmp_path / "interrupted"
    seen = []

    def interrupt(row):
        seen.append(row["point_id"])
        if len(seen) == 4:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_sweep(example, points, out, workers=1, progress=False, on_point=interrupt)
    assert sorted(p.stem for p in (out / "points").glob("*.json")) == sorted(seen)

    solved = []
    again = run_sweep(example, points, out, workers=1, progress=False, on_point=lambda r: solved.append(r["point_id"]))
    assert (again.solved, again.skipped) == (5, 4)
    assert not set(solved) & set(seen) and len(solved) == 5
    pd.testing.assert_frame_equal(results(again.table), results(full.table))

    # a third run solves nothing; a damaged point file is solved again
    assert run_sweep(example, points, out, workers=1, progress=False).solved == 0
    (out / "points" / f"{seen[0]}.json").write_text("{not json")
    fixed = run_sweep(example, points, out, workers=1, progress=False)
    assert (fixed.solved, fixed.skipped) == (1, 8)
    pd.testing.assert_frame_equal(results(fixed.table), results(full.table))


# --------------------------------------------------------------------------- local processes and Dask
@pytest.fixture(scope="module")
def reference_table(central, tmp_path_factory):
    points = grid_points([parse_set("policy.cluster_limit=150,200,250"),
                          parse_set("demand.arrivals_scale=0.8:1.25:10")])
    res = run_sweep(central, points, tmp_path_factory.mktemp("inproc"), workers=1, progress=False)
    assert len(res.table) == 30
    return points, res.table


def test_local_processes_equal_in_process(central, reference_table, tmp_path):
    points, table = reference_table
    res = run_sweep(central, points, tmp_path, workers=2, progress=False)
    assert res.solved == 30
    pd.testing.assert_frame_equal(results(res.table), results(table))
    assert (tmp_path / "results.parquet").exists() and (tmp_path / "results.csv").exists()
    pd.testing.assert_frame_equal(results(pd.read_parquet(tmp_path / "results.parquet")), results(table))


def test_dask_with_a_worker_killed_loses_no_point(central, reference_table, tmp_path):
    distributed = pytest.importorskip("distributed")
    points, table = reference_table
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        killed = threading.Event()

        def kill_one(row):                      # first result in: kill a worker while the rest are in flight
            if not killed.is_set():
                killed.set()
                os.kill(victim, signal.SIGKILL)
        res = run_sweep(central, points, tmp_path, scheduler=cluster.scheduler_address, warm=False,
                        progress=False, on_point=kill_one)
        assert killed.is_set()
        # The nanny restarts the killed worker; how long that takes depends on the machine's load, so this
        # only waits (a hang guard of 10 minutes, not a speed assumption) until it is no longer listed.
        deadline = time.monotonic() + 600
        while victim in client.run(os.getpid).values() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert victim not in client.run(os.getpid).values()       # the nanny replaced the killed worker
    assert res.solved == 30 and len(list((tmp_path / "points").glob("*.json"))) == 30
    cold = results(res.table).drop(columns=["warm", "warm_note", "simplex_iterations"])
    warm = results(table).drop(columns=["warm", "warm_note", "simplex_iterations"])
    np.testing.assert_allclose(cold["objective"], warm["objective"], rtol=1e-6)
    assert (cold["status"] == warm["status"]).all()


def test_dask_results_identical_to_local(central, reference_table, tmp_path):
    distributed = pytest.importorskip("distributed")
    points, table = reference_table
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster:
        res = run_sweep(central, points, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(results(res.table), results(table))


# --------------------------------------------------------------------------- command line
def test_cli_sweep_writes_the_table_and_resumes(tmp_path):
    runner = CliRunner()
    args = ["sweep", str(EXAMPLE), "--set", "policy.cluster_limit=150,250", "--set", "demand.arrivals_scale=0.9,1.1",
            "--workers", "1", "--out", str(tmp_path)]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "4 points (4 solved now, 0 already done)" in first.output
    table = pd.read_csv(tmp_path / "results.csv")
    assert len(table) == 4 and {"point_id", "policy.cluster_limit", "demand.arrivals_scale", "status", "warm",
                                "objective", "total_cost", "contingency_2030", "gini_final_basis",
                                "gini_final_dispersal", "pressure_basis"} <= set(table.columns)
    second = runner.invoke(cli, args)
    assert "(0 solved now, 4 already done)" in second.output and "Solved again" not in second.output
    next((tmp_path / "points").glob("*.json")).write_text("{not json")
    third = runner.invoke(cli, args)
    assert "(1 solved now, 3 already done)" in third.output
    assert f"Solved again: 1 point file(s) already in {tmp_path}/points, damaged or unreadable." in third.output
    bad = runner.invoke(cli, ["sweep", str(EXAMPLE), "--set", "policy.clusterlimit=1", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "clusterlimit" in bad.output

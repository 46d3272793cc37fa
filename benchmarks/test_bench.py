"""Benchmarks of the optimisation core, phase by phase, and the checks that keep them honest.

``pytest -q benchmarks --benchmark-disable`` (``make bench-smoke``, CI) runs each once at
small sizes (conftest.SMOKE_SIZES) and checks every answer; without ``--benchmark-disable``
pytest-benchmark times them. Full-size figures come from ``benchmarks/run.py`` (``make bench``).

Checks (they fail, not just time):
* every phase runs, and the plan passes the independent verifier;
* allocator's optimum equals the plain-formulation HiGHS baseline and the naive PuLP model
  (objective to 1e-6 relative), on variants with a ceiling, a procurement cost and minmax equity;
* every backend (HiGHS, OR-Tools GLOP, PuLP CBC) agrees with the monolithic model, and its plan
  passes the verifier;
* the options allocator picks for large models (``solvers._highs.LARGE_MODEL_OPTIONS``) give the same optimum;
* the price-guided start (``solvers._price_start``) gives the monolithic optimum, and a plan that
  passes the verifier, on every variant;
* with a time limit, the HiGHS backend returns a feasible plan with status ``time_limit``
  and a gap, never "infeasible".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from baselines import plain_lp, plain_place_lp, plain_x_to_stock, solve_naive_pulp
from conftest import size_id, sizes
from phases import PHASES, Run, same

from allocator import load_scenario
from allocator.data import prepare
from allocator.model import build_lp
from allocator.solvers import solve_lp
from allocator.verify import verify_plan

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # PuLP 3 announces its 4.0 API

REPO = Path(__file__).resolve().parents[1]
CENTRAL = REPO / "scenarios" / "uk-2025" / "central.yaml"
SIZES = sizes()
ROUNDS = 3


def _prepared(path: Path, upto: str) -> Run:
    run = Run(path)
    for name, fn in PHASES:
        if name == upto:
            return run
        fn(run)
    raise KeyError(upto)


@pytest.mark.parametrize("phase", [name for name, _ in PHASES])
@pytest.mark.parametrize("size", SIZES, ids=size_id)
def test_phase(benchmark, scenario_dir, size, phase):
    """Time one phase at one size (the phases before it run once, untimed)."""
    run = _prepared(scenario_dir(*size), phase)
    fn = dict(PHASES)[phase]
    benchmark.group = f"phase {phase}"
    benchmark.extra_info.update(size=size_id(size))
    benchmark.pedantic(fn, args=(run,), rounds=ROUNDS, iterations=1, warmup_rounds=0)
    if phase == "solve":
        assert run.raw.status == "optimal"
        benchmark.extra_info.update(variables=run.lp.num_col, rows=run.lp.num_row, nonzeros=int(run.lp.A.nnz))
    if phase == "verify":
        assert run.failures == []


@pytest.mark.parametrize("phase", ["solve", "verify"])
def test_national_council_scenario(benchmark, phase):
    """The committed national scenario (361 councils × 4 years)."""
    run = _prepared(CENTRAL, phase)
    benchmark.group = "national uk-2025 central"
    benchmark.pedantic(dict(PHASES)[phase], args=(run,), rounds=ROUNDS, iterations=1)
    if phase == "solve":
        assert run.raw.status == "optimal"
    else:
        assert run.failures == []


# ----------------------------------------------------------------------------- agreement checks
VARIANTS = {
    "plain": {},
    "ceiling": {"ceiling": True},
    "procurement": {"procurement": 2500.0},
    "minmax": {"minmax": True},
}


def _variant(scenario_dir, size, variant: str):
    kw = VARIANTS[variant]
    sc = load_scenario(scenario_dir(*size, seed=1))
    if "ceiling" in kw:
        # a binding ceiling: the least contingency reachable in the last year, plus one person
        from allocator import solve

        last = solve(sc, verify=False).exact_contingency[-1].sum()
        sc = sc.with_policy(contingency_ceiling={sc.years[-1]: float(np.ceil(last) + 1.0)})
    if "procurement" in kw:
        sc = sc.with_costs(procurement_per_place=kw["procurement"])
    if kw.get("minmax"):
        sc = sc.with_objective(equity_measure="minmax", equity_weight=2000.0)
    return sc


def _exact_failures(sc, S, C, objective) -> list[str]:
    return verify_plan(sc, S, C, objective)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("size", [(40, 4, 1), (60, 5, 3), (300, 10, 3)], ids=size_id)
def test_baselines_agree(scenario_dir, size, variant):
    """allocator, the plain-formulation HiGHS baseline and the naive PuLP model: one optimum."""
    sc = _variant(scenario_dir, size, variant)
    d = prepare(sc)
    lp = build_lp(d)
    ours = solve_lp(lp)
    assert ours.status == "optimal"
    plain = plain_lp(sc)
    base = solve_lp(plain)
    assert base.status == "optimal"
    assert same(base.objective, ours.objective), (base.objective, ours.objective)
    S, C = plain_x_to_stock(plain, base.x, d.shape)
    assert _exact_failures(sc, S, C, base.objective) == []
    if size[0] <= 60:                                         # the naive model is slow to build by design
        obj, S2, C2 = solve_naive_pulp(sc)
        assert same(obj, ours.objective), (obj, ours.objective)
        assert _exact_failures(sc, S2, C2, obj) == []


@pytest.mark.parametrize("solver", ["ortools", "pulp"])
@pytest.mark.parametrize("size", [(40, 4, 1), (60, 5, 3)], ids=size_id)
def test_backends_agree(scenario_dir, size, solver):
    sc = load_scenario(scenario_dir(*size))
    d = prepare(sc)
    lp = build_lp(d)
    ref = solve_lp(lp)
    other = solve_lp(lp, solver=solver)
    assert other.status == "optimal"
    assert same(other.objective, ref.objective), (solver, other.objective, ref.objective)
    S = lp.value(other.x, "stock").reshape(d.shape)
    C = lp.value(other.x, "contingency").reshape(d.shape[1:])
    assert _exact_failures(sc, S, C, other.objective) == []


@pytest.mark.parametrize("size", [(120, 5, 3), (361, 10, 3)], ids=size_id)
def test_large_model_options_agree(scenario_dir, size):
    """The HiGHS options allocator uses above the size threshold give the monolithic optimum."""
    from allocator.solvers._highs import LARGE_MODEL_OPTIONS

    sc = load_scenario(scenario_dir(*size))
    lp = build_lp(prepare(sc))
    plain_defaults = solve_lp(lp, options={"simplex_dual_edge_weight_strategy": -1})
    tuned = solve_lp(lp, options=dict(LARGE_MODEL_OPTIONS))
    assert plain_defaults.status == tuned.status == "optimal"
    assert same(plain_defaults.objective, tuned.objective)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("size", [(60, 5, 3), (300, 10, 3), (800, 10, 1)], ids=size_id)
def test_price_guided_start_agrees(scenario_dir, size, variant):
    """The price-guided start and the cold dual simplex reach one optimum (minmax: the start declines, says why)."""
    sc = _variant(scenario_dir, size, variant)
    d = prepare(sc)
    lp = build_lp(d)
    cold = solve_lp(lp, start="cold", data=d)
    warm = solve_lp(lp, start="prices", data=d)
    assert cold.status == warm.status == "optimal"
    assert same(cold.objective, warm.objective), (cold.objective, warm.objective)
    if variant == "minmax":
        assert warm.info["start"].startswith("cold: the minmax equity measure")
    else:
        assert warm.info["start"] == "prices", warm.info
    S = lp.value(warm.x, "stock").reshape(d.shape)
    C = lp.value(warm.x, "contingency").reshape(d.shape[1:])
    assert _exact_failures(sc, S, C, warm.objective) == []


def test_time_limit_returns_feasible_plan(scenario_dir):
    """A limit far too short: a feasible, verified plan with status time_limit and a gap; never infeasible.
    (Asked for even when it is only "nobody newly placed", which solve() otherwise refuses.)"""
    from allocator import solve

    sc = load_scenario(scenario_dir(1500, 10, 3))
    plan = solve(sc, time_limit=0.01, verify=False, keep_trivial=True)
    assert plan.status == "time_limit"
    assert plan.summary["gap"] is not None and 0 <= plan.summary["gap"] <= 1
    fails = verify_plan(sc, plan.exact_stock, plan.exact_contingency, plan.objective)
    assert fails == []
    full = solve(sc, verify=False)
    assert full.objective <= plan.objective * (1 + 1e-9)
    assert np.isfinite(plan.objective)


@pytest.mark.parametrize("size", [(60, 4, 1), (300, 6, 3)], ids=size_id)
def test_place_baseline_agrees(tmp_path, size):
    """The place-based benchmark's baseline (hotels by area, the supported basis, protection,
    progressive equity) and allocator's own model, price-guided start forced on: one optimum,
    and the plan passes the verifier (benchmarks/place_run.py measures their speed)."""
    from generate import generate

    sc = load_scenario(generate(tmp_path / "place", *size, seed=1, place=True))
    d = prepare(sc)
    assert d.hotel0 is not None and d.protected is not None and d.equity_steps is not None
    run = Run(tmp_path / "place" / "scenario.yaml")
    for name, fn in PHASES:
        fn(run) if name != "solve" else fn(run, start="prices")
    assert run.raw.status == "optimal" and run.failures == []
    base = solve_lp(plain_place_lp(sc))
    assert base.status == "optimal"
    assert same(base.objective, run.objective), (base.objective, run.objective)

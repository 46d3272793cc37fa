"""Shared helpers: write a scenario (a YAML dict plus area rows) into a folder and load or solve it.

Test modules import the plain functions (``from tests.conftest import ...``); the
fixtures below wrap the ones that need a temporary folder.

* :func:`config` builds a scenario dict with small, explicit defaults.
* :func:`area` builds one row of the areas table.
* :func:`write_scenario` writes both into a folder; :func:`load` also loads it;
  :func:`solve_rows` also solves it.
* :data:`BAD_INPUTS` is the catalogue of broken scenarios shared by
  ``test_scenario_errors.py`` and ``test_cli.py``.
* The hypothesis strategy of random scenarios, :func:`tests.strategies.random_scenario`, shared by the
  property, backend, price-start and opening tests, is in tests/strategies.py.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, settings

from allocator import Plan, Scenario, load_scenario, solve

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "scenarios" / "example"
WORKED = REPO / "docs" / "worked-example"
UK_CENTRAL = REPO / "scenarios" / "uk-2025" / "central.yaml"
PLAN_CSVS = ("allocations.csv", "trajectory.csv", "regions.csv")
TIMING_KEYS = ("build_seconds", "solve_seconds", "interpret_seconds", "verify_seconds")

# --------------------------------------------------------------------------- hypothesis profiles
settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --------------------------------------------------------------------------- building scenarios
def config(years: list[int] | None = None, arrivals: list[float] | dict | None = None, *, exit_rate: float = 0.5,
           contingency_start: float = 0, hotel: float = 50_000, procurement_per_place: float = 0,
           policy: dict | None = None, objective: dict | None = None, **extra: Any) -> dict:
    """A scenario dict. ``arrivals`` is a list (one per year) or a dict; defaults are explicit
    so each hand-solved test states only what matters: cluster limit 200, no growth limit,
    no ceiling, cost-only objective (cost 1, contingency 1, equity 0)."""
    years = list(years or [2026])
    arrivals = arrivals if arrivals is not None else [0] * len(years)
    if not isinstance(arrivals, dict):
        arrivals = dict(zip(years, arrivals))
    out = {
        "name": "test scenario",
        "years": years,
        "areas": "areas.csv",
        "demand": {"arrivals": arrivals, "exit_rate": exit_rate, "contingency_start": contingency_start},
        "costs": {"contingency_per_person_year": hotel, "procurement_per_place": procurement_per_place},
        "policy": {"cluster_limit": 200, **(policy or {})},
        "objective": {"cost_weight": 1, "contingency_weight": 1, "equity_weight": 0, "equity_measure": "l1",
                      **(objective or {})},
    }
    out.update(extra)
    return out


def area(code: str, *, population: float = 1_000_000, stock: float = 0, capacity: float = 0,
         procurement: float = 0, cost: float = 5_000, status: str = "existing", available_from: int | None = None,
         region: str = "R1", name: str | None = None, **extra: Any) -> dict:
    """One areas-table row. Population defaults to 1,000,000 (cap 5,000 at the limit 200: not binding)."""
    row = {"area_code": code, "area_name": name or f"Area {code}", "region": region, "population": population,
           "stock": stock, "capacity": capacity, "procurement_per_year": procurement, "cost_per_place": cost,
           "status": status, "available_from": available_from}
    row.update(extra)
    return row


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def write_areas(path: Path, rows: list[dict]) -> Path:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([_cell(row.get(c)) for c in columns])
    return path


def write_scenario(folder: Path, cfg: dict, rows: list[dict], yaml_name: str = "scenario.yaml") -> Path:
    """Write ``cfg`` as YAML and ``rows`` as the table ``cfg['areas']`` into ``folder``; return the YAML path.

    ``cfg['agreements']`` (and ``cfg['regions']``, ``cfg['previous_plan']``) may be a list of rows (dicts)
    instead of a file name: they are written to ``agreements.csv`` (``regions.csv``, ``previous.csv``), which
    the YAML then names."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / yaml_name
    for key, name in (("agreements", "agreements.csv"), ("regions", "regions.csv"), ("previous_plan", "previous.csv")):
        if isinstance(cfg.get(key), list):
            write_areas(folder / name, cfg[key])
            cfg = {**cfg, key: name}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    write_areas(folder / cfg["areas"], rows)
    return path


def load(folder: Path, cfg: dict, rows: list[dict]) -> Scenario:
    return load_scenario(write_scenario(folder, cfg, rows))


def solve_rows(folder: Path, cfg: dict, rows: list[dict], **kwargs: Any) -> Plan:
    return solve(load(folder, cfg, rows), **kwargs)


# --------------------------------------------------------------------------- reading plans
def written(plan: Plan, code: str, column: str = "stock") -> list:
    """One area's column over the years, from the whole-people allocations table (cohorts summed)."""
    a = plan.allocations
    return a[a["area_code"] == code].groupby("year", sort=True)[column].sum().tolist()


def exact(plan: Plan, scenario_or_codes: Scenario | list[str], code: str, cohort: int | None = None) -> list[float]:
    """One area's exact (solver) stock over the years, summed over cohorts unless one is named."""
    codes = (scenario_or_codes.areas["area_code"].tolist() if isinstance(scenario_or_codes, Scenario)
             else scenario_or_codes)
    i = codes.index(code)
    s = plan.exact_stock[i]
    return (s.sum(axis=1) if cohort is None else s[:, cohort]).tolist()


def written_hotels(plan: Plan, n_a: int, n_t: int):
    """The whole-people hotels of a plan's tables (:class:`allocator.place.Hotels`; None without hotels
    by area): people in each area's hotels and its open places (A,T), new contingency (T,)."""
    from allocator.place import Hotels

    if "hotel_places" not in plan.allocations:
        return None
    first = plan.allocations.groupby(["area_code", "year"], sort=False).first()
    return Hotels(first["contingency"].to_numpy().reshape(n_a, n_t), first["hotel_places"].to_numpy().reshape(n_a, n_t),
                  plan.trajectory["new_contingency"].to_numpy())


def assert_close(actual: list[float] | np.ndarray, expected: list[float], tol: float = 1e-6) -> None:
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=tol)


def summary_without_timings(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in TIMING_KEYS:
        data.pop(key, None)
    return data


def plan_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in PLAN_CSVS}


# --------------------------------------------------------------------------- bad inputs
def good_rows() -> list[dict]:
    return [area("E01", capacity=100, stock=40, population=50_000),
            area("E02", capacity=100, stock=20, population=60_000, cost=6_000),
            area("V01", status="volunteered", available_from=2027, population=40_000, procurement=20)]


def good_config() -> dict:
    return config([2026, 2027], [100, 100], contingency_start=10)


def _with_rows(mutate: Callable[[list[dict]], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        rows = good_rows()
        mutate(rows)
        return write_scenario(folder, good_config(), rows)
    return build


def _with_config(mutate: Callable[[dict], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        cfg = good_config()
        mutate(cfg)
        return write_scenario(folder, cfg, good_rows())
    return build


def _with_yaml_text(edit: Callable[[str], str]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = write_scenario(folder, good_config(), good_rows())
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        return path
    return build


def _set(i: int, **values: Any) -> Callable[[list[dict]], None]:
    return lambda rows: rows[i].update(values)


def _drop_column(name: str) -> Callable[[list[dict]], None]:
    def mutate(rows: list[dict]) -> None:
        for r in rows:
            r.pop(name)
    return mutate


def _hotels(*people: float) -> Callable[[list[dict]], None]:
    """People in the hotels of the first rows (the ``contingency`` column; the rest 0)."""
    def mutate(rows: list[dict]) -> None:
        for i, row in enumerate(rows):
            row["contingency"] = people[i] if i < len(people) else 0
    return mutate


def _chain(*mutations: Callable[[list[dict]], None]) -> Callable[[list[dict]], None]:
    def mutate(rows: list[dict]) -> None:
        for m in mutations:
            m(rows)
    return mutate


def _with_both(edit: Callable[[dict], None], mutate: Callable[[list[dict]], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        cfg, rows = good_config(), good_rows()
        edit(cfg)
        for row in rows:
            row.setdefault("resettled", 0)
        mutate(rows)
        return write_scenario(folder, cfg, rows)
    return build


def _missing_table(folder: Path) -> Path:
    path = write_scenario(folder, good_config(), good_rows())
    (folder / "areas.csv").unlink()
    return path


def _absolute(folder: Path) -> Path:
    path = write_scenario(folder, good_config(), good_rows())
    cfg = good_config()
    cfg["areas"] = str((folder / "areas.csv").resolve())
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _outside(folder: Path) -> Path:
    inner = folder / "inner"
    folder.mkdir(parents=True, exist_ok=True)
    write_areas(folder / "areas.csv", good_rows())          # the file exists, but outside the scenario folder
    cfg = good_config()
    cfg["areas"] = "../areas.csv"
    return write_scenario(inner, cfg, good_rows())


def _cohorts_with_an_empty_cost(folder: Path) -> Path:
    """Two cohorts with their own columns; E02's ``cost_per_place_family`` cell is empty."""
    cfg = good_config()
    cfg["cohorts"] = [{"name": "single", "arrivals_share": 0.7}, {"name": "family", "arrivals_share": 0.3}]
    rows = good_rows()
    for r in rows:
        for h in ("single", "family"):
            for base in ("stock", "capacity", "procurement_per_year"):
                r[f"{base}_{h}"] = r[base] // 2
        r["cost_per_place_family"] = 7_000
    rows[1]["cost_per_place_family"] = None
    return write_scenario(folder, cfg, rows)


def _progressive(steps: list[dict]) -> Callable[[Path], Path]:
    return _with_config(lambda c: c["objective"].update(equity_measure="progressive", equity_steps=steps,
                                                        equity_weight=100))


def _with_regions(targets: list[dict] | str, two_regions: bool = False) -> Callable[[Path], Path]:
    """A regions table (``targets``: its rows, or a file name that is not there); ``two_regions``: E02 in R2."""
    def build(folder: Path) -> Path:
        rows = good_rows()
        if two_regions:
            rows[1]["region"] = "R2"
        return write_scenario(folder, {**good_config(), "regions": targets}, rows)
    return build


@dataclass(frozen=True)
class BadInput:
    """A broken scenario: ``build(folder)`` writes it and returns the path to load; the error message
    must contain every string in ``where`` (the file, the line, the column or key) and ``what``."""

    id: str
    build: Callable[[Path], Path]
    where: tuple[str, ...]
    what: str


# Area rows are lines 2 (E01), 3 (E02), 4 (V01) of areas.csv (the header is line 1).
BAD_INPUTS: tuple[BadInput, ...] = (
    BadInput("missing_areas_file", _missing_table, ("scenario.yaml", "'areas'"), "'areas.csv' not found"),
    BadInput("missing_column", _with_rows(_drop_column("cost_per_place")),
             ("areas.csv", "line 1", "'cost_per_place'"), "missing"),
    BadInput("negative_population", _with_rows(_set(1, population=-5)),
             ("areas.csv", "line 3", "'population'"), "-5"),
    BadInput("duplicate_area_code", _with_rows(_set(1, area_code="E01")),
             ("areas.csv", "line 3", "'area_code'"), "duplicate"),
    BadInput("unknown_status", _with_rows(_set(0, status="closed")),
             ("areas.csv", "line 2", "'status'"), "closed"),
    BadInput("volunteered_without_available_from", _with_rows(_set(2, available_from=None)),
             ("areas.csv", "line 4", "'available_from'"), "volunteered"),
    BadInput("years_out_of_order", _with_config(lambda c: c.update(years=[2027, 2026])),
             ("scenario.yaml", "'years'"), "increasing"),
    BadInput("non_numeric_cell", _with_rows(_set(1, capacity="lots")),
             ("areas.csv", "line 3", "'capacity'"), "lots"),
    # the fair-share key naming a column the table lacks, or a text column; a cohort's empty cost cell
    # (docs/scenario-format.md listed these as known problems ending in exit 1; issue 11, D20)
    BadInput("fair_share_column_missing", _with_config(lambda c: c["policy"].update(fair_share="weight")),
             ("areas.csv", "'weight'"), "required column is missing"),
    BadInput("fair_share_text_column", _with_config(lambda c: c["policy"].update(fair_share="area_name")),
             ("areas.csv", "'area_name'"), "not a numeric column"),
    BadInput("cohort_cost_cell_empty", _cohorts_with_an_empty_cost,
             ("areas.csv", "line 3", "'cost_per_place_family'"), "missing value"),
    BadInput("yaml_syntax_error", _with_yaml_text(lambda t: t.replace("exit_rate: 0.5", "exit_rate: [0.5")),
             ("scenario.yaml", "line "), "YAML"),
    BadInput("unknown_key", _with_config(lambda c: c["policy"].update(clusterlimit=250)),
             ("scenario.yaml", "'policy.clusterlimit'"), "unknown key"),
    BadInput("arrivals_missing_a_year", _with_config(lambda c: c["demand"]["arrivals"].pop(2027)),
             ("scenario.yaml", "'demand.arrivals'"), "2027"),
    BadInput("stock_above_capacity", _with_rows(_set(0, stock=150)),
             ("areas.csv", "line 2", "'capacity'"), "150"),
    BadInput("table_path_leaves_folder", _outside, ("scenario.yaml", "'areas'"), "../areas.csv"),
    BadInput("absolute_table_path", _absolute, ("scenario.yaml", "'areas'"), "relative"),
    BadInput("duplicate_yaml_key", _with_yaml_text(lambda t: t + "name: again\n"),
             ("scenario.yaml", "line "), "duplicate key 'name'"),
    BadInput("yaml_alias", _with_yaml_text(lambda t: t.replace("demand:\n", "x-base: &base 3\ndemand:\n")
                                           .replace("contingency_start: 10", "contingency_start: *base")),
             ("scenario.yaml", "line "), "alias"),
    # place-based (issue 13): hotels by area, the pressure basis, protection
    BadInput("negative_contingency", _with_rows(_hotels(-4, 14)), ("areas.csv", "line 2", "'contingency'"), "-4"),
    BadInput("fractional_contingency", _with_rows(_hotels(9.5, 0.5)), ("areas.csv", "line 2", "'contingency'"),
             "whole number"),
    BadInput("contingency_disagrees_with_contingency_start", _with_rows(_hotels(4, 5)),
             ("scenario.yaml", "'demand.contingency_start'", "areas.csv"), "adds up to 9"),
    BadInput("no_contingency_start_and_no_column", _with_config(lambda c: c["demand"].pop("contingency_start")),
             ("scenario.yaml", "'demand.contingency_start'"), "required key is missing"),
    BadInput("hotels_close_by_not_a_year", _with_rows(_chain(_hotels(4, 6), _set(1, hotels_close_by="soon"))),
             ("areas.csv", "line 3", "'hotels_close_by'"), "soon"),
    BadInput("hotels_close_by_fractional_year", _with_rows(_chain(_hotels(4, 6), _set(1, hotels_close_by=2027.5))),
             ("areas.csv", "line 3", "'hotels_close_by'"), "whole year"),
    BadInput("hotels_close_by_without_contingency", _with_rows(_set(1, hotels_close_by=2027)),
             ("areas.csv", "line 3", "'hotels_close_by'"), "needs the column 'contingency'"),
    BadInput("pressure_basis_missing_column",
             _with_config(lambda c: c["policy"].update(pressure_basis=["initial", "resettled"])),
             ("areas.csv", "line 1", "'initial'"), "policy.pressure_basis counts it"),
    BadInput("pressure_basis_text_column", _with_both(lambda c: c["policy"].update(pressure_basis=["resettled"]),
                                                      _set(2, resettled="some")),
             ("areas.csv", "line 4", "'resettled'"), "not a number: 'some'"),
    BadInput("pressure_basis_names_a_table_column",
             _with_config(lambda c: c["policy"].update(pressure_basis=["area_name"])),
             ("areas.csv", "'area_name'"), "not a count of people"),
    BadInput("protect_without_above_per_10k", _with_config(lambda c: c["policy"].update(protect={"rule": "no_net_growth"})),
             ("scenario.yaml", "'policy.protect.above_per_10k'"), "required key is missing"),
    BadInput("protect_unknown_rule",
             _with_config(lambda c: c["policy"].update(protect={"above_per_10k": 40, "rule": "freeze"})),
             ("scenario.yaml", "'policy.protect.rule'"), "freeze"),
    BadInput("protect_column_not_a_flag", _with_both(lambda c: c["policy"].update(protect={"above_per_10k": 40}),
                                                     _set(1, protect="maybe")),
             ("areas.csv", "line 3", "'protect'"), "'maybe' is not true or false"),
    BadInput("protect_column_without_policy", _with_rows(_set(1, protect="true")),
             ("areas.csv", "line 3", "'protect'"), "needs policy.protect"),
    # issue 13: the progressive measure's steps, honest costing
    BadInput("progressive_without_steps", _with_config(lambda c: c["objective"].update(equity_measure="progressive")),
             ("scenario.yaml", "'objective.equity_steps'"), "needs equity_steps"),
    BadInput("equity_steps_not_from_one", _progressive([{"from": 1.1, "weight": 1}, {"from": 1.5, "weight": 2}]),
             ("scenario.yaml", "'objective.equity_steps.0.from'"), "from: 1.0; got 1.1"),
    BadInput("equity_steps_not_increasing", _progressive([{"from": 1.0, "weight": 1}, {"from": 1.5, "weight": 2},
                                                          {"from": 1.25, "weight": 3}]),
             ("scenario.yaml", "'objective.equity_steps.2.from'"), "1.25 is not above 1.5"),
    BadInput("equity_weights_decreasing", _progressive([{"from": 1.0, "weight": 3}, {"from": 1.25, "weight": 1}]),
             ("scenario.yaml", "'objective.equity_steps.1.weight'"), "must not decrease"),
    BadInput("equity_step_without_weight", _progressive([{"from": 1.0}]),
             ("scenario.yaml", "'objective.equity_steps.0.weight'"), "required"),
    BadInput("void_share_above_one", _with_config(lambda c: c["costs"].update(void_share=1.5)),
             ("scenario.yaml", "'costs.void_share'"), "1.5"),
    BadInput("unknown_occupancy", _with_config(lambda c: c["costs"].update(occupancy="monthly")),
             ("scenario.yaml", "'costs.occupancy'"), "'monthly'"),
    # regional targets (issue 13 item 5): the regions table's rows are lines 2, 3 of regions.csv
    BadInput("regions_unknown_region", _with_regions([{"region": "Narnia", "year": 2026, "min_share": 0.1}]),
             ("regions.csv", "line 2", "'region'"), "'Narnia' is not a region of the areas table"),
    BadInput("regions_year_outside_plan", _with_regions([{"region": "R1", "year": 2031, "max_share": 0.5}]),
             ("regions.csv", "line 2", "'year'"), "2031 is not a planning year"),
    BadInput("regions_min_above_max", _with_regions([{"region": "R1", "year": 2026, "min_share": 0.5,
                                                      "max_share": 0.2}]),
             ("regions.csv", "line 2", "'max_share'"), "max_share 0.2 is below the min_share 0.5"),
    BadInput("regions_share_above_one", _with_regions([{"region": "R1", "year": 2026, "max_share": 1.5}]),
             ("regions.csv", "line 2", "'max_share'"), "1.5 is above the limit of 1"),
    BadInput("regions_negative_share", _with_regions([{"region": "R1", "year": 2026, "min_share": -0.1}]),
             ("regions.csv", "line 2", "'min_share'"), "must not be negative"),
    BadInput("regions_non_numeric", _with_regions([{"region": "R1", "year": 2026, "min_share": "a third"}]),
             ("regions.csv", "line 2", "'min_share'"), "not a number: 'a third'"),
    BadInput("regions_duplicate", _with_regions([{"region": "R1", "year": 2027, "min_share": 0.1},
                                                 {"region": "R1", "year": 2027, "max_share": 0.9}]),
             ("regions.csv", "line 3", "'year'"), "a second row for R1 in 2027"),
    BadInput("regions_no_share", _with_regions([{"region": "R1", "year": 2027, "min_share": None,
                                                 "max_share": None}]),
             ("regions.csv", "line 2", "'min_share'"), "give a min_share, a max_share or both"),
    BadInput("regions_unknown_column", _with_regions([{"region": "R1", "year": 2027, "share": 0.1}]),
             ("regions.csv", "line 1", "'share'"), "unknown column"),
    BadInput("regions_min_shares_above_one", _with_regions([{"region": "R1", "year": 2026, "min_share": 0.6},
                                                            {"region": "R2", "year": 2026, "min_share": 0.5}],
                                                           two_regions=True),
             ("regions.csv", "line 3", "'min_share'"), "the min_shares for 2026 add up to more than 1"),
    BadInput("regions_missing_file", _with_regions("regions.csv"), ("scenario.yaml", "'regions'"),
             "'regions.csv' not found"),
    # a column the engine does not know is refused, never ignored: a misspelt hotels_close_by left every hotel open
    BadInput("areas_misspelt_hotels_close_by", _with_rows(_chain(_hotels(4, 6), _set(1, hotel_close_by=2027))),
             ("areas.csv", "line 1", "'hotel_close_by'"), "unknown column; did you mean 'hotels_close_by'?"),
    BadInput("areas_misspelt_contingency", _with_rows(_set(0, contingncy=10)),
             ("areas.csv", "line 1", "'contingncy'"), "unknown column; did you mean 'contingency'?"),
    BadInput("areas_unknown_column", _with_rows(_set(0, notes="see the council's letter")),
             ("areas.csv", "line 1", "'notes'"), "unknown column; the columns are area_code, area_name, region,"),
    BadInput("areas_unnamed_column_with_values", _with_rows(_set(2, **{"": "stray"})),
             ("areas.csv", "line 1"), "column 11 has no name but holds values"),
)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def make_scenario(tmp_path: Path) -> Callable[..., Scenario]:
    """``make_scenario(cfg, rows)`` writes into a fresh folder under tmp_path and loads."""
    counter = iter(range(10_000))

    def make(cfg: dict, rows: list[dict]) -> Scenario:
        return load(tmp_path / f"s{next(counter)}", cfg, rows)
    return make


@pytest.fixture(scope="session")
def example_scenario() -> Scenario:
    return load_scenario(EXAMPLE)


@pytest.fixture(scope="session")
def example_plan(example_scenario: Scenario) -> Plan:
    return solve(example_scenario)


# --------------------------------------------------------------------------- tiny instances (mutation tests)
def tiny_config(**objective: float) -> dict:
    """The two-area, two-year instance of tests/test_mutation_kills_model.py (its docstring has the numbers)."""
    return config([2026, 2027], [100, 50], exit_rate=0.5, contingency_start=10, hotel=50_000,
                  policy={"max_growth": {"absolute": 20, "relative": 0.5}, "contingency_ceiling": {2027: 30}},
                  objective={"cost_weight": 2, "contingency_weight": 3, "equity_weight": 0, **objective})


def tiny_rows() -> list[dict]:
    return [area("A", population=15_000, stock=40, capacity=60, procurement=10, cost=4_000),
            area("B", population=60_000, procurement=30, cost=6_000, status="volunteered", available_from=2027)]


def tiny_cohort_scenario(tmp_path: Path, procurement_per_place: float = 3):
    """Two areas, two years, two cohorts (tests/test_mutation_kills_model.py::test_cohort_lp derives its LP)."""
    cfg = config([2026, 2027], [100, 50], exit_rate=0.5, contingency_start=100, hotel=50_000,
                 procurement_per_place=procurement_per_place)
    cfg["cohorts"] = [{"name": "single", "arrivals_share": 0.6, "contingency_share": 0.75},
                      {"name": "family", "arrivals_share": 0.4, "contingency_share": 0.25, "exit_rate": 0.2}]
    a = area("A", population=20_000)
    b = area("B", population=40_000, status="volunteered", available_from=2027)
    for row in (a, b):
        for k in ("stock", "capacity", "procurement_per_year", "cost_per_place"):
            row.pop(k)
    a.update(stock_single=10, capacity_single=20, procurement_per_year_single=5, cost_per_place_single=1_000,
             stock_family=20, capacity_family=30, procurement_per_year_family=0, cost_per_place_family=2_000)
    b.update(stock_single=0, capacity_single=0, procurement_per_year_single=4, cost_per_place_single=1_500,
             stock_family=0, capacity_family=0, procurement_per_year_family=6, cost_per_place_family=2_500)
    return load(tmp_path, cfg, [a, b])


# --------------------------------------------------------------------------- shared loaded scenarios
@pytest.fixture(scope="session")
def example() -> Scenario:
    """The bundled example scenario (immutable, so one copy serves every test)."""
    return load_scenario(EXAMPLE)


@pytest.fixture(scope="session")
def central() -> Scenario:
    """The national central scenario."""
    return load_scenario(UK_CENTRAL)

"""``prepare``: every array of ModelData on tiny instances worked out on paper (issue 7, mutation testing).

The base instance is the one of tests/test_mutation_kills_model.py (two areas A and B, two
years, e = 0.5); its numbers are derived there. Other tests each vary one thing: cohorts,
when a volunteered area opens, a missing optional column, tiny inherited stock, local cluster
limits, growth settings, funding, fair-share weights and agreements.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from allocator import prepare
from allocator.data import cell_limits
from tests.conftest import area, config, load, tiny_cohort_scenario as cohort_scenario
from tests.conftest import tiny_config as base_config, tiny_rows as base_rows

NAN = np.nan


def eq(actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=1e-12, atol=0)


def test_base_instance_every_array(tmp_path: Path) -> None:
    """Base instance: A (15,000 residents, stock 40, capacity 60, procurement 10, £4,000) and B
    (volunteered from 2027, 60,000 residents, procurement 30, £6,000); e 0.5; arrivals 100, 50;
    contingency_start 10; growth 20 + 0.5; ceiling 30 in 2027; weights cost 2, contingency 3.

    cluster_cap = floor(15,000/200) = 75, floor(60,000/200) = 300. need = 125, 112.5.
    open_year: A 0, B 2027 - 2026 = 1; eligible A both years, B 2027 only.
    inherited A = 40·0.5 = 20, 40·0.25 = 10; B 0.
    capacity_path = capacity + procurement × years open (t - open_year + 1, at least 0):
    A 60 + 10·1 = 70, 60 + 10·2 = 80; B 0 + 30·0 = 0, 0 + 30·1 = 30.
    cell_limits: capacity = capacity_path where eligible, else inherited: A 70, 80; B 0, 30;
    cluster = max(cap, inherited total): A 75, 75; B 300, 300; the stock bound (one cohort) =
    max(min(capacity, cluster), inherited): A 70, 75; B 0, 30. In whole people the same (all whole).
    No funding: both grants 0. No agreements: agreed_min/max all NaN.
    """
    d = prepare(load(tmp_path, base_config(), base_rows()))
    assert d.shape == (2, 2, 1)
    assert d.years.tolist() == [2026, 2027] and d.years.dtype.kind == "i"
    assert d.cohorts == ["all"]
    assert list(d.areas.columns) == ["area_code", "area_name", "region", "status"]
    assert d.areas["area_code"].tolist() == ["A", "B"] and d.areas.index.tolist() == [0, 1]
    assert d.areas["status"].tolist() == ["existing", "volunteered"]
    eq(d.population, [15_000, 60_000])
    eq(d.weight, [15_000, 60_000])
    eq(d.cluster_cap, [75, 300])
    eq(d.stock0, [[40], [0]])
    eq(d.capacity0, [[60], [0]])
    eq(d.procurement, [[10], [30]])
    eq(d.cost, [[4_000], [6_000]])
    eq(d.exit_rate, [0.5])
    eq(d.arrivals, [[100], [50]])
    eq(d.contingency0, [10])
    eq(d.need, [[125], [112.5]])
    assert d.open_year.tolist() == [0, 1] and d.open_year.dtype.kind == "i"
    assert d.excluded.tolist() == [False, False]
    assert d.eligible.tolist() == [[True, True], [False, True]]
    eq(d.inherited, [[[20], [10]], [[0], [0]]])
    eq(d.capacity_path, [[[70], [80]], [[0], [30]]])
    lim = cell_limits(d)
    eq(lim.lower, [[[20], [10]], [[0], [0]]])
    eq(lim.capacity, [[[70], [80]], [[0], [30]]])
    eq(lim.cluster, [[75, 75], [300, 300]])
    eq(lim.upper, [[[70], [75]], [[0], [30]]])
    eq(lim.total_lower, [[0, 0], [0, 0]])
    eq(lim.total_upper, [[75, 75], [300, 300]])
    assert (d.growth_abs, d.growth_rel) == (20.0, 0.5)
    eq(d.ceiling, [NAN, 30])
    assert (d.hotel_cost, d.procurement_cost, d.cost_weight, d.contingency_weight, d.equity_weight) == \
        (50_000, 0, 2, 3, 0)
    assert d.equity_measure == "l1"
    assert (d.grant_occupied, d.grant_new) == (0.0, 0.0)
    assert np.isnan(d.agreed_min).all() and np.isnan(d.agreed_max).all()
    assert d.agreed_min.shape == d.agreed_max.shape == (2, 2)
    eq(d.share(), [[1.0, 0.2], [0.0, 0.8]])


def test_cohorts(tmp_path: Path) -> None:
    """Two cohorts (the instance of test_cohort_lp): single e 0.5 (the demand's), family its own 0.2.

    arrivals split 60/40: (60, 40) then (30, 20); contingency_start 100 split 75/25;
    need (102.5, 76) then (81.25, 80.8) (each cohort starts from its own stock: 10 + 75, 20 + 25).
    """
    d = prepare(cohort_scenario(tmp_path))
    assert d.cohorts == ["single", "family"]
    eq(d.exit_rate, [0.5, 0.2])
    eq(d.arrivals, [[60, 40], [30, 20]])
    eq(d.contingency0, [75, 25])
    eq(d.stock0, [[10, 20], [0, 0]])
    eq(d.capacity0, [[20, 30], [0, 0]])
    eq(d.procurement, [[5, 0], [4, 6]])
    eq(d.cost, [[1_000, 2_000], [1_500, 2_500]])
    eq(d.need, [[102.5, 76], [81.25, 80.8]])
    eq(d.inherited[0], [[5, 16], [2.5, 12.8]])


def test_cohort_contingency_share_defaults_to_arrivals_share(tmp_path: Path) -> None:
    """Without contingency_share, contingency_start 100 splits like arrivals (0.6, 0.4): 60 and 40;
    need_2026 = (0.5·(10+60) + 60, 0.8·(20+40) + 40) = (95, 88)."""
    sc = cohort_scenario(tmp_path)
    cfg = sc.config.model_dump(mode="python")
    for c in cfg["cohorts"]:
        c.pop("contingency_share")
    d = prepare(sc.with_overrides({"cohorts": cfg["cohorts"]}))
    eq(d.contingency0, [60, 40])
    eq(d.need[0], [95, 88])


def test_when_volunteered_areas_open(tmp_path: Path) -> None:
    """Years 2026-2028. available_from 2024 (before the plan) opens now: open_year 0, years open
    1, 2, 3, capacity path 5 + 2·(1, 2, 3) = 7, 9, 11. 2026: open_year 0, the same path.
    2028: open_year 2, years open 0, 0, 1: path 5, 5, 7, capacity limit 0, 0, 7 (closed years: inherited
    0). 2031 (after the plan): open_year 3 = T, never eligible, path 5, 5, 5.
    """
    cfg = config([2026, 2027, 2028], [10, 10, 10])
    rows = [area(c, capacity=5, procurement=2, status="volunteered", available_from=y)
            for c, y in (("E", 2024), ("F", 2026), ("G", 2028), ("H", 2031))]
    d = prepare(load(tmp_path, cfg, rows))
    assert d.open_year.tolist() == [0, 0, 2, 3]
    assert d.eligible.tolist() == [[True] * 3, [True] * 3, [False, False, True], [False] * 3]
    eq(d.capacity_path[:, :, 0], [[7, 9, 11], [7, 9, 11], [5, 5, 7], [5, 5, 5]])
    eq(cell_limits(d).capacity[:, :, 0], [[7, 9, 11], [7, 9, 11], [0, 0, 7], [0, 0, 0]])


def test_table_without_optional_columns(tmp_path: Path) -> None:
    """No available_from and no cluster_limit column at all (every area existing): every area opens
    now, caps come from the policy limit (200): floor(1,000/200) = 5 and floor(999/200) = 4."""
    rows = [area("A", population=1_000), area("B", population=999)]
    for r in rows:
        r.pop("available_from")
    d = prepare(load(tmp_path, config([2026, 2027], [1, 1]), rows))
    assert d.open_year.tolist() == [0, 0]
    assert d.eligible.all()
    eq(d.cluster_cap, [5, 4])


def test_local_cluster_limits(tmp_path: Path) -> None:
    """A local cluster_limit of 100 doubles A's cap (20,000/100 = 200); an empty cell keeps the policy
    limit 200 for B (20,000/200 = 100). The cap is floored: 20,099/200 → 100."""
    rows = [area("A", population=20_000, cluster_limit=100), area("B", population=20_000, cluster_limit=None),
            area("C", population=20_099, cluster_limit=None)]
    d = prepare(load(tmp_path, config(), rows))
    eq(d.cluster_cap, [200, 100, 100])
    eq(cell_limits(d).cluster[:, 0], [200, 100, 100])


def test_inherited_stock_decays_and_only_dust_is_zeroed(tmp_path: Path) -> None:
    """One person today, e = 0.99, five years: survivors 0.01, 1e-4, 1e-6, 1e-8, then 1e-10, which is
    below 1e-9 people and set to 0 (no dust bounds). Everything above is kept, even below one person."""
    cfg = config(list(range(2026, 2031)), [0] * 5, exit_rate=0.99)
    d = prepare(load(tmp_path, cfg, [area("A", stock=1, capacity=1)]))
    np.testing.assert_allclose(d.inherited[0, :, 0], [0.01, 1e-4, 1e-6, 1e-8, 0.0], rtol=1e-9, atol=0)
    assert d.inherited[0, 4, 0] == 0.0
    eq(cell_limits(d).cluster[0], [5_000] * 5)


def test_growth_settings(tmp_path: Path) -> None:
    """max_growth with only an absolute part: relative 0; only a relative part: absolute 0;
    neither (an empty mapping) or no max_growth at all: no growth limit (None, None)."""
    rows = [area("A")]
    cases = [({"absolute": 25}, (25.0, 0.0)), ({"relative": 0.5}, (0.0, 0.5)), ({}, (None, None)), (None, (None, None))]
    for i, (growth, expected) in enumerate(cases):
        policy = {} if growth is None else {"max_growth": growth}
        d = prepare(load(tmp_path / str(i), config(policy=policy), rows))
        assert (d.growth_abs, d.growth_rel) == expected, growth


def test_funding_grants(tmp_path: Path) -> None:
    cfg = config(funding={"grant_per_occupied_place": 750, "grant_per_new_place": 3_500})
    d = prepare(load(tmp_path, cfg, [area("A")]))
    assert (d.grant_occupied, d.grant_new) == (750, 3_500)


def test_fair_share_column_and_shares(tmp_path: Path) -> None:
    """fair_share: key, with weights 0.2 (A), 0.3 (B), 0.5 (C, excluded), 4 (D, volunteered from 2027).

    weight is the column itself. Shares among areas that can receive people that year:
    2026: A 0.2/0.5 = 0.4, B 0.6, C 0, D 0 (not open); 2027: A 0.2/4.5, B 0.3/4.5, C 0, D 4/4.5.
    """
    cfg = config([2026, 2027], [1, 1], policy={"fair_share": "key"})
    rows = [area("A", key=0.2), area("B", key=0.3), area("C", key=0.5, status="excluded"),
            area("D", key=4, status="volunteered", available_from=2027)]
    d = prepare(load(tmp_path, cfg, rows))
    eq(d.weight, [0.2, 0.3, 0.5, 4])
    eq(d.population, [1_000_000] * 4)
    np.testing.assert_allclose(d.share(), [[0.4, 0.2 / 4.5], [0.6, 0.3 / 4.5], [0, 0], [0, 4 / 4.5]], rtol=1e-12)


def test_share_of_a_year_nobody_can_receive_is_zero(tmp_path: Path) -> None:
    """Only a volunteered area opening in 2027 and an excluded one: in 2026 no area can receive
    people, so every share is 0 (not a division by zero); in 2027 the volunteered area has it all."""
    rows = [area("V", status="volunteered", available_from=2027), area("X", status="excluded")]
    d = prepare(load(tmp_path, config([2026, 2027], [1, 1]), rows))
    share = d.share()
    assert np.isfinite(share).all()
    eq(share, [[0, 1], [0, 0]])


def test_agreements_land_in_their_cells(tmp_path: Path) -> None:
    """Agreements B 2027 at least 3, A 2026 exactly 7: agreed_min[B, 2027] = 3 (max NaN),
    agreed_min = agreed_max = 7 at [A, 2026]; every other cell NaN."""
    sc = load(tmp_path, base_config(), base_rows())
    sc = sc.with_agreements(pd.DataFrame({"area_code": ["B", "A"], "year": [2027, 2026],
                                          "minimum": [3.0, NAN], "exact": [NAN, 7.0]}))
    d = prepare(sc)
    eq(d.agreed_min, [[7, NAN], [NAN, 3]])
    eq(d.agreed_max, [[7, NAN], [NAN, NAN]])


def test_cell_limits_in_whole_people(tmp_path: Path) -> None:
    """Two cohorts, one year, e = 0.5. A: stock 25 and 15 (inherited 12.5, 7.5; total 20), capacity 30 and
    16, no procurement, population 3,000 (cap 15: inherited above it). B: volunteered from 2027, never
    open in the plan (inherited 0).

    Exact: capacity = path where open: 30, 10; cluster = max(15, 20) = 20; the bound with two cohorts is
    max(capacity, inherited) (the cap is a row): 30, 16. B: 0 everywhere. With paths of 30.6 and 16.6
    (as if procured in fractions), in whole people: paths rounded down (30, 16), inherited rounded up
    (13, 8), cluster max(15, ceil 20) = 20; room max(30, 13), max(16, 8) = 30, 16; B stays 0.
    An agreed maximum of 18 for A makes its total upper limit 18, and an agreed minimum of 16 its total
    lower limit (0 where there is no agreement).
    """
    cfg = config([2026], [0], exit_rate=0.5, cohorts=[{"name": "single", "arrivals_share": 0.5},
                                                       {"name": "family", "arrivals_share": 0.5}])
    rows = [area("A", population=3_000, stock_single=25, stock_family=15, capacity_single=30, capacity_family=16,
                 procurement_per_year_single=0, procurement_per_year_family=0),
            area("B", status="volunteered", available_from=2027, stock_single=0, stock_family=0, capacity_single=0,
                 capacity_family=0, procurement_per_year_single=0, procurement_per_year_family=0)]
    for r in rows:
        for k in ("stock", "capacity", "procurement_per_year"):
            r.pop(k)
    d = prepare(load(tmp_path, cfg, rows))
    exact = cell_limits(d)
    eq(exact.lower[0, 0], [12.5, 7.5])
    eq(exact.capacity[:, 0], [[30, 16], [0, 0]])
    eq(exact.cluster[:, 0], [20, 5_000])
    eq(exact.upper[:, 0], [[30, 16], [0, 0]])
    whole = cell_limits(dataclasses.replace(d, capacity_path=d.capacity_path + 0.6), whole=True)
    eq(whole.lower[0, 0], [13, 8])
    eq(whole.capacity[:, 0], [[30, 16], [0, 0]])
    eq(whole.room[:, 0], [[30, 16], [0, 0]])
    eq(whole.cluster[:, 0], [20, 5_000])
    agreed = dataclasses.replace(d, agreed_min=np.array([[16.0], [np.nan]]), agreed_max=np.array([[18.0], [np.nan]]))
    eq(cell_limits(agreed).total_upper[:, 0], [18, 5_000])
    eq(cell_limits(agreed).total_lower[:, 0], [16, 0])

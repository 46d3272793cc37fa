"""The linear program, row by row, on tiny instances worked out on paper (issue 7, mutation testing).

Each test builds the LP of a scenario small enough to write down whole (``prepare`` then
``build_lp``, no solver) and compares every block with the rows derived in its docstring:
the block's name, first row or column, size and index (which ``explain`` and ``diagnose`` read),
the coefficients of each row (as a dense matrix), the row bounds, the column bounds and the
objective. Notation as in docs/model.md: S stock, C contingency, D national dispersed total,
u+/u- distance above/below the fair share, Z top rate, G procured bed spaces.

The base instance "two areas, two years" (``base``), one cohort, exit rate e = 0.5:

* A: 15,000 residents (cap 15,000/200 = 75), stock 40, capacity 60, procurement 10 a year, £4,000;
* B: volunteered from 2027 (open_year 1), 60,000 residents (cap 300), nothing now, procurement 30, £6,000;
* arrivals 100 then 50, contingency_start 10: need_2026 = 0.5·(40+10) + 100 = 125,
  need_2027 = 0.5·125 + 50 = 112.5;
* growth limit 20 + 0.5 × last year's stock; hotel ceiling 30 in 2027 only;
* objective weights: cost 2, contingency 3 (hotel £50,000), equity 0.

Columns: S_A26 = 0, S_A27 = 1, S_B26 = 2, S_B27 = 3 (area-major), C_26 = 4, C_27 = 5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allocator import prepare
from allocator.model import LinearProgram, build_lp
from tests.conftest import area, config, load, tiny_cohort_scenario as cohort_scenario
from tests.conftest import tiny_config as base_config, tiny_rows as base_rows

INF = np.inf


def close(actual: np.ndarray, expected: list) -> None:
    """Equal up to floating-point rounding (1e-12 relative); infinities must match exactly."""
    np.testing.assert_allclose(actual, np.array(expected, float), rtol=1e-12, atol=0)


def block_rows(lp: LinearProgram, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dense rows of one row block, with their lower and upper bounds."""
    s = lp.rows[name].slice
    return lp.A.toarray()[s], lp.row_lower[s], lp.row_upper[s]


def assert_block(lp: LinearProgram, name: str, start: int, rows: list[list[float]], lower: list[float],
                 upper: list[float], index: dict[str, list[int]]) -> None:
    block = lp.rows[name]
    assert (block.name, block.start, block.size) == (name, start, len(rows))
    dense, lo, hi = block_rows(lp, name)
    close(dense, rows)
    close(lo, lower)
    close(hi, upper)
    assert set(block.index) == set(index)
    for key, values in index.items():
        np.testing.assert_array_equal(block.index[key], values)


def assert_variables(lp: LinearProgram, name: str, start: int, lower: list[float], upper: list[float],
                     cost: list[float], index: dict[str, list[int]]) -> None:
    block = lp.variables[name]
    assert (block.name, block.start, block.size) == (name, start, len(lower))
    close(lp.col_lower[block.slice], lower)
    close(lp.col_upper[block.slice], upper)
    close(lp.c[block.slice], cost)
    assert set(block.index) == set(index)
    for key, values in index.items():
        np.testing.assert_array_equal(block.index[key], values)


# --------------------------------------------------------------------------- the base instance
def test_base_instance_whole_lp(tmp_path: Path) -> None:
    """The whole LP of the base instance (see the module docstring).

    Variables. Lower bounds are the survivors of today's stock, s(1-e)^(t+1): A 40·0.5 = 20 and
    40·0.25 = 10; B 0. Upper bounds: A's capacity path is 60 + 10·(t+1) = 70, 80 and its cap 75,
    so min(70, 75) = 70 and min(80, 75) = 75 (one cohort: the cap is folded into the bound); B is
    closed in 2026 (upper = inherited = 0) and has 0 + 30·1 = 30 in 2027. Costs: 2 × £4,000 = 8,000
    (A), 2 × £6,000 = 12,000 (B), 3 × £50,000 = 150,000 per person in contingency.

    Rows, in build order:

    * national_balance (year): S_A26 + S_B26 + C_26 = 125;  S_A27 + S_B27 + C_27 = 112.5.
    * exit_decay (area, year 1): S_A27 - 0.5 S_A26 >= 0;  S_B27 - 0.5 S_B26 >= 0.
    * max_growth (eligible cells A26, A27, B27): S_A26 <= 20 + 1.5·40 = 80 (today's stock moved to
      the right side); S_A27 - 1.5 S_A26 <= 20; S_B27 - 1.5 S_B26 <= 20.
    * contingency_ceiling (2027 only): C_27 <= 30.

    No cluster_limit rows (one cohort), no agreement, no procurement, no equity blocks.
    """
    lp = build_lp(prepare(load(tmp_path, base_config(), base_rows())))
    assert (lp.num_row, lp.num_col) == (8, 6)
    assert lp.A.shape == (8, 6)
    assert list(lp.variables) == ["stock", "contingency"]
    assert list(lp.rows) == ["national_balance", "exit_decay", "max_growth", "contingency_ceiling"]
    assert lp.offset == 0.0
    assert_variables(lp, "stock", 0, [20, 10, 0, 0], [70, 75, 0, 30], [8_000, 8_000, 12_000, 12_000],
                     {"area": [0, 0, 1, 1], "year": [0, 1, 0, 1], "cohort": [0, 0, 0, 0]})
    assert_variables(lp, "contingency", 4, [0, 0], [INF, INF], [150_000, 150_000], {"year": [0, 1], "cohort": [0, 0]})
    assert_block(lp, "national_balance", 0, [[1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1]], [125, 112.5], [125, 112.5],
                 {"year": [0, 1], "cohort": [0, 0]})
    assert_block(lp, "exit_decay", 2, [[-0.5, 1, 0, 0, 0, 0], [0, 0, -0.5, 1, 0, 0]], [0, 0], [INF, INF],
                 {"area": [0, 1], "year": [1, 1], "cohort": [0, 0]})
    assert_block(lp, "max_growth", 4, [[1, 0, 0, 0, 0, 0], [-1.5, 1, 0, 0, 0, 0], [0, 0, -1.5, 1, 0, 0]],
                 [-INF] * 3, [80, 20, 20], {"area": [0, 0, 1], "year": [0, 1, 1]})
    assert_block(lp, "contingency_ceiling", 7, [[0, 0, 0, 0, 0, 1]], [-INF], [30], {"year": [1]})
    assert lp.value(np.arange(6.0), "contingency").tolist() == [4.0, 5.0]


def test_base_instance_agreements(tmp_path: Path) -> None:
    """Agreements on the base instance: A in 2027 at least 30; B in 2027 at most 15.

    Rows block ``agreement`` after the ceiling (start 8), cells area-major (A27, then B27):
    30 <= S_A27 <= inf;  -inf <= S_B27 <= 15. An exact agreement sets both sides: with B27
    exactly 12 the second row is 12 <= S_B27 <= 12.
    """
    scenario = load(tmp_path, base_config(), base_rows())
    table = pd.DataFrame({"area_code": ["A", "B"], "year": [2027, 2027], "minimum": [30.0, np.nan],
                          "maximum": [np.nan, 15.0]})
    lp = build_lp(prepare(scenario.with_agreements(table)))
    assert list(lp.rows)[-1] == "agreement"
    assert_block(lp, "agreement", 8, [[0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0]], [30, -INF], [INF, 15],
                 {"area": [0, 1], "year": [1, 1]})
    exact = pd.DataFrame({"area_code": ["B"], "year": [2027], "exact": [12.0]})
    lp = build_lp(prepare(scenario.with_agreements(exact)))
    assert_block(lp, "agreement", 8, [[0, 0, 0, 1, 0, 0]], [12], [12], {"area": [1], "year": [1]})


def test_base_instance_l1_equity(tmp_path: Path) -> None:
    """l1 equity with weight 0.5 (a weight below 1 still switches the equity blocks on).

    Fair shares by population: in 2026 only A can receive people (share 1); in 2027
    A 15,000/75,000 = 0.2 and B 0.8. New columns: D_26 = 6, D_27 = 7 (cost 0 for l1),
    u+ = 8, 9, 10 and u- = 11, 12, 13 for the eligible cells A26, A27, B27 (cost 0.5 each).

    * dispersed_total (start 8): D_26 + C_26 = 125;  D_27 + C_27 = 112.5.
    * fair_share (start 10): S_A26 - 1.0 D_26 - u+_0 + u-_0 = 0;
      S_A27 - 0.2 D_27 - u+_1 + u-_1 = 0;  S_B27 - 0.8 D_27 - u+_2 + u-_2 = 0.
    """
    lp = build_lp(prepare(load(tmp_path, base_config(equity_weight=0.5, equity_measure="l1"), base_rows())))
    assert list(lp.variables) == ["stock", "contingency", "dispersed", "over", "under"]
    assert list(lp.rows)[4:] == ["dispersed_total", "fair_share"]
    assert lp.A.shape == (13, 14)
    assert_variables(lp, "dispersed", 6, [0, 0], [INF, INF], [0, 0], {"year": [0, 1]})
    cells = {"area": [0, 0, 1], "year": [0, 1, 1]}
    assert_variables(lp, "over", 8, [0] * 3, [INF] * 3, [0.5] * 3, cells)
    assert_variables(lp, "under", 11, [0] * 3, [INF] * 3, [0.5] * 3, cells)
    z = [0] * 14

    def row(**coef: float) -> list[float]:
        r = list(z)
        for k, v in coef.items():
            r[int(k[1:])] = v
        return r

    assert_block(lp, "dispersed_total", 8, [row(c6=1, c4=1), row(c7=1, c5=1)], [125, 112.5], [125, 112.5],
                 {"year": [0, 1]})
    assert_block(lp, "fair_share", 10,
                 [row(c0=1, c6=-1.0, c8=-1, c11=1), row(c1=1, c7=-0.2, c9=-1, c12=1), row(c3=1, c7=-0.8, c10=-1, c13=1)],
                 [0, 0, 0], [0, 0, 0], cells)


def test_base_instance_minmax_equity(tmp_path: Path) -> None:
    """minmax equity with weight 7: D costs -7 (the -D_t of the term), Z costs +7.

    Columns D_26 = 6, D_27 = 7, Z_26 = 8, Z_27 = 9. Rows top_rate (start 10), for eligible cells
    with a positive weight (A26, A27, B27): S_A26 - 1.0 Z_26 <= 0;  S_A27 - 0.2 Z_27 <= 0;
    S_B27 - 0.8 Z_27 <= 0.
    """
    lp = build_lp(prepare(load(tmp_path, base_config(equity_weight=7, equity_measure="minmax"), base_rows())))
    assert list(lp.variables) == ["stock", "contingency", "dispersed", "top_rate"]
    assert list(lp.rows)[4:] == ["dispersed_total", "top_rate"]
    assert_variables(lp, "dispersed", 6, [0, 0], [INF, INF], [-7, -7], {"year": [0, 1]})
    assert_variables(lp, "top_rate", 8, [0, 0], [INF, INF], [7, 7], {"year": [0, 1]})
    assert_block(lp, "top_rate", 10,
                 [[1, 0, 0, 0, 0, 0, 0, 0, -1.0, 0], [0, 1, 0, 0, 0, 0, 0, 0, 0, -0.2],
                  [0, 0, 0, 1, 0, 0, 0, 0, 0, -0.8]],
                 [-INF] * 3, [0, 0, 0], {"area": [0, 0, 1], "year": [0, 1, 1]})


def test_minmax_rows_skip_zero_weights_and_keep_fractional_ones(tmp_path: Path) -> None:
    """minmax with a fair-share column ``key``: A 0.5, B 0 (B is open in 2027 but weighs nothing).

    Shares: 2026 A 1 (the only open area); 2027 A 0.5/0.5 = 1, B 0. Only cells with a positive
    weight get a top_rate row, however small the weight: A26 and A27, not B27.
    Rows: S_A26 - Z_26 <= 0;  S_A27 - Z_27 <= 0.
    """
    rows = base_rows()
    rows[0]["key"], rows[1]["key"] = 0.5, 0
    cfg = base_config(equity_weight=7, equity_measure="minmax")
    cfg["policy"]["fair_share"] = "key"
    d = prepare(load(tmp_path, cfg, rows))
    np.testing.assert_array_equal(d.weight, [0.5, 0.0])
    np.testing.assert_array_equal(d.share(), [[1.0, 1.0], [0.0, 0.0]])
    lp = build_lp(d)
    assert_block(lp, "top_rate", 10, [[1, 0, 0, 0, 0, 0, 0, 0, -1, 0], [0, 1, 0, 0, 0, 0, 0, 0, 0, -1]],
                 [-INF] * 2, [0, 0], {"area": [0, 0], "year": [0, 1]})


# --------------------------------------------------------------------------- procurement
def test_procurement_block(tmp_path: Path) -> None:
    """Procurement at £1 a place (any positive price switches it on), cost weight 2.

    The base areas plus D (volunteered from 2030, after the plan: open_year 2, never eligible,
    procurement 5 a year) and C, excluded, last (stock 4 = capacity 4, procurement 7).
    Stock columns 0-7 (A26, A27, B26, B27, D26, D27, C26, C27), contingency 8-9, then
    G_A = 10, G_B = 11, G_D = 12, G_C = 13.

    G's upper bound is q × years open (T - open_year, at least 0): A 10·2 = 20, B 30·1 = 30,
    D 5·0 = 0, C 7·2 = 14 (C never receives anyone, so its G appears in no row: the matrix
    still has all 14 columns). Cost 2 × £1 = 2 each.
    Rows ``procurement`` (eligible cells A26, A27, B27): S - G <= today's capacity:
    S_A26 - G_A <= 60;  S_A27 - G_A <= 60;  S_B27 - G_B <= 0.
    """
    rows = base_rows() + [
        area("D", population=10_000, procurement=5, status="volunteered", available_from=2030),
        area("C", population=10_000, stock=4, capacity=4, procurement=7, status="excluded")]
    cfg = base_config()
    cfg["costs"]["procurement_per_place"] = 1
    d = prepare(load(tmp_path, cfg, rows))
    np.testing.assert_array_equal(d.open_year, [0, 1, 2, 0])
    lp = build_lp(d)
    assert lp.A.shape == (lp.num_row, 14)
    assert list(lp.variables) == ["stock", "contingency", "procured"]
    assert_variables(lp, "procured", 10, [0] * 4, [20, 30, 0, 14], [2] * 4,
                     {"area": [0, 1, 2, 3], "cohort": [0, 0, 0, 0]})
    assert list(lp.rows)[-1] == "procurement"
    z = [0.0] * 14
    r = [list(z) for _ in range(3)]
    r[0][0], r[0][10] = 1, -1
    r[1][1], r[1][10] = 1, -1
    r[2][3], r[2][11] = 1, -1
    assert_block(lp, "procurement", lp.rows["procurement"].start, r, [-INF] * 3, [60, 60, 0],
                 {"area": [0, 0, 1], "year": [0, 1, 1], "cohort": [0, 0, 0]})
    cfg["costs"]["procurement_per_place"] = 0
    assert "procured" not in build_lp(prepare(load(tmp_path / "free", cfg, rows))).variables


# --------------------------------------------------------------------------- cohorts
def test_cohort_lp(tmp_path: Path) -> None:
    """Two cohorts: single (e 0.5, 60% of arrivals, 75% of contingency_start) and family
    (its own e 0.2, 40%, 25%). contingency_start 100 → 75 and 25.

    need: start = stock + contingency = (10 + 75, 20 + 25) = (85, 45);
    2026: (0.5·85 + 60, 0.8·45 + 40) = (102.5, 76);  2027: (0.5·102.5 + 30, 0.8·76 + 20) = (81.25, 80.8).

    Stock columns a·4 + t·2 + h: A26s 0, A26f 1, A27s 2, A27f 3, B26s 4, B26f 5, B27s 6, B27f 7;
    contingency (t, h) 8-11; G (a, h) 12-15.
    Lower bounds (survivors): A single 10·0.5 = 5, 2.5; family 20·0.8 = 16, 12.8; B 0.
    Upper bounds: A single 20 + 5(t+1) = 25, 30; family 30, 30 (no procurement); B closed in
    2026 (0), then capacity 0 + procurement × 1 = 4 (single), 6 (family). With cohorts the cluster
    cap is not folded into these bounds. Costs are each cohort's £ per place (cost weight 1).

    * national_balance (year, cohort): S_A + S_B + C = need, for (26,s) (26,f) (27,s) (27,f).
    * exit_decay (area, year 1, cohort), each cohort with its own rate:
      S_A27s - 0.5 S_A26s;  S_A27f - 0.8 S_A26f;  S_B27s - 0.5 S_B26s;  S_B27f - 0.8 S_B26f  (>= 0).
    * cluster_limit (eligible A26, A27, B27) on the total over cohorts:
      S_A26s + S_A26f <= max(cap 100, 5 + 16) = 100;  S_A27s + S_A27f <= 100;  S_B27s + S_B27f <= 200.
    * procurement (£3 a place; eligible cells × cohorts): G bounds q × years open: A (10, 0),
      B (4, 6); rows S - G_(a,h) <= capacity: A26s - G_As <= 20, A26f - G_Af <= 30,
      A27s - G_As <= 20, A27f - G_Af <= 30, B27s - G_Bs <= 0, B27f - G_Bf <= 0.
    """
    d = prepare(cohort_scenario(tmp_path))
    np.testing.assert_allclose(d.need, [[102.5, 76], [81.25, 80.8]], rtol=1e-12)
    lp = build_lp(d)
    assert list(lp.rows) == ["national_balance", "exit_decay", "cluster_limit", "procurement"]
    assert lp.A.shape == (17, 16)
    assert_variables(lp, "stock", 0, [5, 16, 2.5, 12.8, 0, 0, 0, 0], [25, 30, 30, 30, 0, 0, 4, 6],
                     [1_000, 2_000, 1_000, 2_000, 1_500, 2_500, 1_500, 2_500],
                     {"area": [0] * 4 + [1] * 4, "year": [0, 0, 1, 1] * 2, "cohort": [0, 1] * 4})
    assert_variables(lp, "contingency", 8, [0] * 4, [INF] * 4, [50_000] * 4,
                     {"year": [0, 0, 1, 1], "cohort": [0, 1, 0, 1]})
    assert_variables(lp, "procured", 12, [0] * 4, [10, 0, 4, 6], [3] * 4, {"area": [0, 0, 1, 1], "cohort": [0, 1, 0, 1]})

    def rows(*terms: dict[int, float]) -> list[list[float]]:
        out = []
        for t in terms:
            r = [0.0] * 16
            for k, v in t.items():
                r[k] = v
            out.append(r)
        return out

    assert_block(lp, "national_balance", 0, rows({0: 1, 4: 1, 8: 1}, {1: 1, 5: 1, 9: 1}, {2: 1, 6: 1, 10: 1},
                                                 {3: 1, 7: 1, 11: 1}),
                 [102.5, 76, 81.25, 80.8], [102.5, 76, 81.25, 80.8], {"year": [0, 0, 1, 1], "cohort": [0, 1, 0, 1]})
    assert_block(lp, "exit_decay", 4, rows({2: 1, 0: -0.5}, {3: 1, 1: -0.8}, {6: 1, 4: -0.5}, {7: 1, 5: -0.8}),
                 [0] * 4, [INF] * 4, {"area": [0, 0, 1, 1], "year": [1, 1, 1, 1], "cohort": [0, 1, 0, 1]})
    assert_block(lp, "cluster_limit", 8, rows({0: 1, 1: 1}, {2: 1, 3: 1}, {6: 1, 7: 1}), [-INF] * 3, [100, 100, 200],
                 {"area": [0, 0, 1], "year": [0, 1, 1]})
    assert_block(lp, "procurement", 11,
                 rows({0: 1, 12: -1}, {1: 1, 13: -1}, {2: 1, 12: -1}, {3: 1, 13: -1}, {6: 1, 14: -1}, {7: 1, 15: -1}),
                 [-INF] * 6, [20, 30, 20, 30, 0, 0],
                 {"area": [0, 0, 0, 0, 1, 1], "year": [0, 0, 1, 1, 1, 1], "cohort": [0, 1, 0, 1, 0, 1]})


# --------------------------------------------------------------------------- edge sizes
def test_one_year_has_no_exit_decay_rows_and_one_growth_row(tmp_path: Path) -> None:
    """One area, one year: exit decay is only the lower bound (no rows), and the single eligible
    cell still gets its growth row: S_A26 <= 20 + 1.5 × 40 = 80."""
    cfg = config([2026], [100], exit_rate=0.5, policy={"max_growth": {"absolute": 20, "relative": 0.5}})
    lp = build_lp(prepare(load(tmp_path, cfg, [area("A", stock=40, capacity=60)])))
    assert list(lp.rows) == ["national_balance", "max_growth"]
    assert_block(lp, "max_growth", 1, [[1, 0]], [-INF], [80], {"area": [0], "year": [0]})


def test_three_years_chain_the_exit_decay(tmp_path: Path) -> None:
    """Three years, one area (e 0.5): two exit_decay rows, S_27 - 0.5 S_26 >= 0 and S_28 - 0.5 S_27 >= 0,
    indexed years 1 and 2. No growth limit: no max_growth block."""
    cfg = config([2026, 2027, 2028], [10, 10, 10], exit_rate=0.5)
    lp = build_lp(prepare(load(tmp_path, cfg, [area("A", stock=4, capacity=60)])))
    assert "max_growth" not in lp.rows
    assert_block(lp, "exit_decay", 3, [[-0.5, 1, 0, 0, 0, 0], [0, -0.5, 1, 0, 0, 0]], [0, 0], [INF, INF],
                 {"area": [0, 0], "year": [1, 2], "cohort": [0, 0]})

r"""The cost-equity frontier, by the epsilon-constraint method.

"What does fairness cost?" The scenario's objective mixes money and equity
with one weight (``objective.equity_weight``, £ per person-year away from the
fair share). The frontier drops the weight and asks the question directly: for
each level :math:`\varepsilon` of unfairness, what is the cheapest plan?

.. math::
    \min\ c^\top x \quad \text{s.t. the plan's rules and}\quad E(x) \le \varepsilon

where :math:`c^\top x` is the money part of the objective (places, hotels,
procurement, with their weights) and :math:`E(x)` the equity measure:

* ``l1`` (default): :math:`E = \sum_{i,t} (u^+_{it} + u^-_{it})`, people away
  from their area's fair share, summed over areas and years (person-years);
* ``minmax``: :math:`E = \sum_t (Z_t - D_t)`, people "in excess" of an even
  spread at the highest area's rate, summed over years;
* ``progressive``: :math:`E = \sum_{i,t} (w_0 u^+_{it} + u^-_{it} + \sum_k (w_k - w_{k-1}) e_{itk})`,
  person-years away from the fair share weighted by the scenario's ``equity_steps``.

The :math:`\varepsilon` row is appended to the built
:class:`~allocator.model.LinearProgram` here (``scipy.sparse.vstack``); the
model builder is not changed. The two ends of the curve are found
lexicographically, so each is a proper single-objective optimum:

* the **cost-only end**: least cost :math:`C^*`, then the least :math:`E` among
  plans costing :math:`C^*`  ->  :math:`E_{max}`;
* the **fairest end**: least :math:`E` (:math:`E_{min}`), then the least cost among
  plans with :math:`E = E_{min}`  ->  :math:`C_{max}`.

In between, :math:`\varepsilon` steps evenly from :math:`E_{max}` down to
:math:`E_{min}`; each step is a warm-started re-solve of one HiGHS model (only
the bound of the :math:`\varepsilon` row moves). The shadow price of that row is
the marginal cost of fairness: £ per person-year of unfairness removed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allocator import registry
from allocator.data import ModelData, prepare
from allocator.errors import CommandLineError, InfeasibleError, VerificationError, given_issue
from allocator.fairness import DISPERSAL
from allocator.headline import basis_label, final_spread, headline
from allocator.model import Block, LinearProgram, build_lp
from allocator.output import safe_csv, write_folder
from allocator.place import hotel_solution
from allocator.scenario import Scenario
from allocator.solvers._highs import collect, highs_bounds, highs_model
from allocator.status import Status
from allocator.verify import verify_plan

MEASURES = ("l1", "minmax", "progressive")


@dataclass
class EquityLP:
    """The scenario's LP with the equity structure, a money objective, and two extra rows.

    ``eps_row`` bounds the equity measure; ``budget_row`` bounds the money cost
    (used for the lexicographic ends). Both start free.
    """

    lp: LinearProgram
    d: ModelData
    scenario: Scenario
    money: np.ndarray            # objective without the equity term
    equity: np.ndarray           # E(x) as a row vector
    eps_row: int
    budget_row: int
    measure: str


def equity_lp(scenario: Scenario, *, measure: str | None = None) -> EquityLP:
    """Build the scenario's LP with equity variables (costing nothing) and the extra rows."""
    measure = measure or scenario.config.objective.equity_measure
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    sc = scenario.with_objective(equity_weight=1.0, equity_measure=measure)
    d = prepare(sc)
    lp = build_lp(d)
    if lp.is_mip:                            # its re-solves move bounds on one linear program
        raise CommandLineError(given_issue("SCENARIO", scenario.source, "the frontier is traced on linear plans; "
                                           "this scenario has opening decisions (min_open, open_cost or "
                                           "policy.max_new_areas: an integer plan). Compare single solves with "
                                           "--set objective.equity_weight=... instead"))
    equity = np.zeros(lp.num_col)
    zero = []
    for family in registry.rows():          # the measure's columns, from its family's record; built with
        if family.equity and family.when(d):  # equity_weight 1, their costs are the measure's weights
            for name in family.equity:
                equity[lp.variables[name].slice] = lp.c[lp.variables[name].slice]
                zero.append(lp.variables[name].slice)
    money = lp.c.copy()
    for s in zero:
        money[s] = 0.0
    extra = sp.csr_matrix(np.vstack([equity, money]))
    n = lp.num_row
    rows = dict(lp.rows)
    rows["epsilon"] = Block("epsilon", n, 1, {})
    rows["budget"] = Block("budget", n + 1, 1, {})
    big = LinearProgram(c=money.copy(), A=sp.vstack([lp.A, extra], format="csr"), col_lower=lp.col_lower,
                        col_upper=lp.col_upper, row_lower=np.concatenate([lp.row_lower, [-np.inf, -np.inf]]),
                        row_upper=np.concatenate([lp.row_upper, [np.inf, np.inf]]), variables=lp.variables,
                        rows=rows, offset=lp.offset)
    return EquityLP(big, d, sc, money, equity, n, n + 1, measure)


class _Model:
    """One HiGHS model of an :class:`EquityLP`, re-solved as objective and bounds move."""

    def __init__(self, e: EquityLP, *, large_model: bool | None = False) -> None:
        self.e = e
        # HiGHS's defaults, not the large-model ones (measured for cold solves only): the frontier's
        # re-solves move one bound at a time from the last basis, and its tables stay as they were.
        # ``large_model=None``: as a cold solve of allocator solve (the scenario's own point)
        self.h = highs_model(e.lp, large_model=large_model)
        self.cost = e.lp.c.copy()
        self.iterations = 0

    def objective(self, c: np.ndarray) -> None:
        idx = np.flatnonzero(c != self.cost).astype(np.int32)
        if idx.size:
            self.h.changeColsCost(idx.size, idx, c[idx].astype(float))
            self.cost = c.copy()

    def bound(self, row: int, upper: float) -> None:
        self.h.changeRowsBounds(1, np.array([row], np.int32), np.array([-np.inf]), highs_bounds(np.array([upper])))

    def cap_contingency(self, upper: np.ndarray | None) -> None:
        """Upper bounds on the contingency (hotel) variables; ``None`` lifts them."""
        block = self.e.lp.variables["contingency"]
        idx = np.arange(block.start, block.start + block.size, dtype=np.int32)
        lower = self.e.lp.col_lower[block.slice]
        up = self.e.lp.col_upper[block.slice] if upper is None else upper
        self.h.changeColsBounds(idx.size, idx, highs_bounds(lower), highs_bounds(up))

    def run(self):
        t0 = time.perf_counter()
        self.h.run()
        raw = collect(self.h, self.e.lp, time.perf_counter() - t0)
        self.iterations += raw.info.get("simplex_iterations", 0)
        if raw.status != Status.OPTIMAL:
            raise InfeasibleError(f"the frontier model is {raw.status} ({raw.message}); "
                                  "solve the scenario itself first (allocator solve) to see why")
        return raw


def _slack(value: float) -> float:
    """A little room above an optimum, so that re-imposing it as a bound stays feasible."""
    return value + max(1e-6, 1e-9 * abs(value))


@dataclass
class Frontier:
    """The trade-off curve: one row per step, from the cheapest plan to the fairest."""

    table: pd.DataFrame
    measure: str
    scenario_name: str
    years: list[int]
    scenario_point: dict | None = None          # where the scenario's own equity weight lands
    seconds: float = 0.0
    simplex_iterations: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def pressure_basis(self) -> str:
        """The pressure basis of the ``_basis`` columns (``policy.pressure_basis``, as a plan's summary names it)."""
        return str(self.meta.get("pressure_basis", DISPERSAL))

    def write(self, folder: str | Path, *, force: bool = False, protect=()) -> Path:
        """frontier.csv, frontier.json and frontier.png in ``folder``, written atomically
        (:func:`allocator.output.write_folder`; ``force`` replaces an earlier output)."""
        folder = Path(folder)
        meta = {"scenario": self.scenario_name, "measure": self.measure, "years": self.years,
                "scenario_point": self.scenario_point, "seconds": round(self.seconds, 3),
                "simplex_iterations": self.simplex_iterations, **self.meta}
        with write_folder(folder, kind="frontier", force=force, protect=protect) as tmp:
            safe_csv(self.table).to_csv(tmp / "frontier.csv", index=False, lineterminator="\n")
            (tmp / "frontier.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            self.plot(tmp / "frontier.png")
        return folder

    def plot(self, path: str | Path) -> Path:
        from matplotlib.figure import Figure   # optional and heavy; a Figure needs no pyplot backend

        t = self.table
        fig = Figure(figsize=(8, 5.2), dpi=120)
        ax = fig.subplots()
        x = t["deviation_per_year"] / 1e3
        y = t["cost_per_year"] / 1e6
        ax.plot(x, y, "-o", color="#1f4e79", ms=4, label="cheapest plan at each level of fairness")
        ends = t.iloc[[0, -1]]
        ax.scatter(ends["deviation_per_year"] / 1e3, ends["cost_per_year"] / 1e6, s=60, color="#1f4e79", zorder=3)
        ax.annotate("cost only", (x.iloc[0], y.iloc[0]), textcoords="offset points", xytext=(-10, 10), ha="right")
        ax.annotate("fairest", (x.iloc[-1], y.iloc[-1]), textcoords="offset points", xytext=(8, -4))
        if self.scenario_point:
            sp_ = self.scenario_point
            ax.scatter([sp_["deviation_per_year"] / 1e3], [sp_["cost_per_year"] / 1e6], marker="*", s=180,
                       color="#c00000", zorder=4,
                       label=f"the scenario (equity weight £{sp_['equity_weight']:,.0f} per person-year)")
        for _, r in t.iloc[:: max(1, len(t) // 5)].iterrows():
            ax.annotate(f"Gini {r['gini_final_basis']:.2f}", (r["deviation_per_year"] / 1e3, r["cost_per_year"] / 1e6),
                        textcoords="offset points", xytext=(6, 6), fontsize=7, color="#555555")
        unit = UNITS[self.measure]
        ax.set_xlabel(f"Unfairness: {unit}, a year (thousands)")
        ax.set_ylabel("Cost per year (£ million)")
        ax.set_title(f"What fairness costs: {self.scenario_name}\n"
                     f"({self.years[0]}-{self.years[-1]}, {self.measure} measure; "
                     f"Gini of area rates in the final year, {self.pressure_basis} basis)",
                     fontsize=10)
        ax.invert_xaxis()
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        return Path(path)


#: What each measure counts, for the chart's axis (docs/frontier.md gives the formulas).
UNITS = {"l1": "people away from their fair share",
         "minmax": "people above an even spread at the top rate",
         "progressive": "person-years from the fair share, step-weighted"}

def _row(e: EquityLP, raw, label: str, eps: float | None) -> dict:
    d, lp = e.d, e.lp
    x = raw.x
    S = lp.value(x, "stock").reshape(d.shape)
    C = lp.value(x, "contingency").reshape(d.shape[1], d.shape[2])
    hotels = hotel_solution(d, lp, x)
    h = headline(d, S, C, hotels=hotels)
    n_t = d.shape[1]
    dev = float(e.equity @ x)
    cost = float(e.money @ x) + e.lp.offset        # with the constant: the money part of the objective
    dual = float(raw.row_dual[e.eps_row]) if raw.row_dual is not None else 0.0
    return {"step": label, "epsilon": eps, "deviation": dev, "deviation_per_year": dev / n_t,
            "cost": cost, "cost_per_year": cost / n_t,
            "marginal_cost_per_person_year": abs(dual),
            "plan_total_cost": float(np.sum(h["total_cost"])),
            "contingency_final": int(h["contingency"][-1]),
            "contingency_total": int(np.sum(h["contingency"])),
            **final_spread(h), "_S": S, "_C": C, "_H": hotels}


def compute_frontier(scenario: Scenario, *, points: int = 11, measure: str | None = None,
                     no_extra_hotels: bool = False, verify: bool = True) -> Frontier:
    """The cost-equity frontier of ``scenario`` in ``points`` steps (at least 2: the two ends).

    ``no_extra_hotels=True`` keeps people in contingency (hotels) at or below the
    cost-only plan in every year, so that fairness can only be bought by placing
    people differently, not by keeping them in hotels longer (see docs/frontier.md).
    """
    if points < 2:
        raise ValueError("a frontier needs at least 2 points (its two ends)")
    t0 = time.perf_counter()
    e = equity_lp(scenario, measure=measure)
    m = _Model(e)
    # the cost-only end: least cost, then least unfairness at that cost
    # the rows bound c x and the equity term: a solve's objective less the LP's constant (costs.occupancy:
    # average, costs.void_share), which is in every objective value and in no row
    m.objective(e.money)
    first = m.run()
    c_star = first.objective - e.lp.offset
    if no_extra_hotels:
        m.cap_contingency(first.x[e.lp.variables["contingency"].slice] + 1e-6)
    m.bound(e.budget_row, _slack(c_star))
    m.objective(e.equity)
    e_max = m.run().objective - e.lp.offset
    m.bound(e.budget_row, np.inf)
    # the fairest end: least unfairness (then cheapest, by the last epsilon step)
    e_min = m.run().objective - e.lp.offset
    e_max = max(e_max, e_min)
    m.objective(e.money)
    rows = []
    targets = np.linspace(e_max, e_min, points)
    for k, eps in enumerate(targets):
        bound = _slack(eps)
        m.bound(e.eps_row, bound)
        raw = m.run()
        rows.append(_row(e, raw, str(k), float(eps)))
    point, point_iterations = _scenario_point(e, scenario)
    if verify:
        for r in rows:
            fails = verify_plan(e.scenario, r["_S"], r["_C"], None, hotels=r["_H"])
            if fails:
                raise VerificationError([f"frontier step {r['step']}: {f}" for f in fails])
    table = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    table["extra_cost_per_year"] = table["cost_per_year"] - table["cost_per_year"].iloc[0]
    table["step_cost_per_year"] = table["cost_per_year"].diff().fillna(0.0)
    table["step_fairness_per_year"] = (-table["deviation_per_year"].diff()).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["step_cost_per_person"] = np.where(table["step_fairness_per_year"] > 1e-9,
                                                 table["step_cost_per_year"] / table["step_fairness_per_year"],
                                                 np.nan)
    for col in ("epsilon", "deviation", "deviation_per_year", "cost", "cost_per_year", "extra_cost_per_year",
                "step_cost_per_year", "step_fairness_per_year", "step_cost_per_person",
                "marginal_cost_per_person_year", "plan_total_cost"):
        table[col] = table[col].round(2)
    table.insert(0, "share_of_range", np.round(np.linspace(0, 1, points), 4))
    return Frontier(table, e.measure, scenario.name, [int(y) for y in e.d.years], point,
                    seconds=time.perf_counter() - t0, simplex_iterations=int(m.iterations + point_iterations),
                    meta={"no_extra_hotels": no_extra_hotels, "pressure_basis": basis_label(e.d),
                          # both ends' cost as frontier.csv's: the money part of the objective with its constant
                          "cost_only": {"cost": c_star + e.lp.offset, "deviation": e_max},
                          "fairest": {"deviation": e_min, "cost": float(rows[-1]["cost"])}})


def _scenario_point(e: EquityLP, scenario: Scenario) -> tuple[dict | None, int]:
    """Where the scenario's own weighted objective lands (None when it has no equity weight or another measure),
    and the simplex iterations it took.

    Solved from scratch on a model of its own, as ``allocator solve`` solves the scenario, so that its figures
    are the plan's: a re-solve warm from a frontier step may stop at another, equally good plan (on the national
    scenario one whose Gini in dispersal is 0.5395 where the plan's is 0.5401)."""
    w = scenario.config.objective.equity_weight
    if not (w > 0 and scenario.config.objective.equity_measure == e.measure):
        return None, 0
    m = _Model(e, large_model=None)
    m.objective(e.money + w * e.equity)
    r = _row(e, m.run(), "scenario", None)
    keys = ("deviation", "deviation_per_year", "cost", "cost_per_year", "plan_total_cost", "contingency_final",
            "gini_final_basis", "max_rate_per_10k_final_basis", "gini_final_dispersal",
            "max_rate_per_10k_final_dispersal")
    return {"equity_weight": w, **{k: r[k] for k in keys}}, m.iterations

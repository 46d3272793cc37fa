"""How evenly a plan spreads people: the fairness figures, defined once for every output.

trajectory.csv (:func:`allocator.interpret.interpret`), summary.json's headline (today's position
and the last year), the sweeps' and the frontier's figures (:mod:`allocator.headline`), ``allocator
compare`` and the report (:mod:`allocator.compare`, :mod:`allocator.report`) and the national
scenario's demo (``scenarios/uk-2025/report.py``: :func:`plan_figures`) all take them from
:func:`figures`. What each counts (docs/cli.md, "trajectory.csv"):

* ``gini``, ``max_rate_per_10k``, ``areas_hosting``: people in dispersal alone, whatever the basis;
* ``basis_gini``, ``basis_max_rate_per_10k``: the plan's pressure basis (``policy.pressure_basis``:
  dispersal, the area's hotel residents, ``initial`` or the columns listed), only where it is not
  dispersal;
* ``areas_over_cap``, ``areas_above_<n>pct``: the plan's pressure basis (dispersal alone on the
  dispersal basis), against the cap and the fair share of the national total on it.

:func:`on_basis` reads a written trajectory's Gini or highest rate on the plan's own basis, so
that plans are compared on the figures their caps and fair shares are judged on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from allocator.data import ModelData, prepare
from allocator.scenario import Scenario

#: Multiples of the fair share whose areas every plan counts (trajectory.csv ``areas_above_<n>pct``).
FAIR_SHARE_MULTIPLES = (1.25, 1.5, 2.0)
#: The figures that have a ``basis_`` twin on a pressure basis other than dispersal.
ON_BASIS = ("gini", "max_rate_per_10k")
DISPERSAL = "dispersal"


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Gini coefficient of ``values`` (rates) over units weighted by ``weights`` (population).

    0 when every area has the same rate; approaching 1 when one area holds everyone.
    """
    mask = weights > 0
    v, w = values[mask], weights[mask]
    if v.size == 0 or (v * w).sum() <= 0:
        return 0.0
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    wshare = w / w.sum()
    amount = v * w
    lorenz = np.cumsum(amount) / amount.sum()
    prev = np.concatenate([[0.0], lorenz[:-1]])
    return float(1.0 - np.sum(wshare * (lorenz + prev)))


def _spread(people: np.ndarray, d: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """(T,) the Gini of the areas' rates per 10,000 residents (four decimals) and the highest rate (two)."""
    rate = people / d.population[:, None] * 1e4
    gini = np.array([round(weighted_gini(rate[:, t], d.weight), 4) for t in range(rate.shape[1])], dtype=float)
    return gini, np.round(rate.max(axis=0), 2)


def figures(d: ModelData, total: np.ndarray, basis: np.ndarray, fair: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """(T,) each year's fairness figures of whole people: ``total`` (A,T) in dispersal, ``basis`` (A,T) on the
    pressure basis (``total`` itself on the dispersal basis) and ``fair`` (A,T) the fair shares of the national
    total on it (allocations.csv ``fair_share``; without it, no ``areas_above_<n>pct``). The table of the module
    docstring says which basis each is on."""
    gini, top = _spread(total, d)
    out = {"gini": gini, "max_rate_per_10k": top, "areas_over_cap": (basis > d.cluster_cap[:, None]).sum(axis=0),
           "areas_hosting": (total > 0).sum(axis=0)}
    if fair is not None:
        written = np.round(fair, 2)                                      # as allocations.csv has it
        for multiple in FAIR_SHARE_MULTIPLES:
            out[f"areas_above_{round(multiple * 100)}pct"] = ((written > 0) & (basis > multiple * written)).sum(axis=0)
    if d.basis is not None:
        out["basis_gini"], out["basis_max_rate_per_10k"] = _spread(basis, d)
    return out


def basis_totals(d: ModelData, total: np.ndarray, located: Any = 0) -> np.ndarray:
    """(A,T) each area's whole-people total on the pressure basis: its stock ``total``, the people ``located`` in
    its hotels (A,T) where they count, and its fixed counts (just ``total`` on the dispersal basis)."""
    if d.basis is None:
        return total
    return total + (located if d.basis_hotels else 0) + np.round(d.fixed).astype(np.int64)[:, None]


def basis_start(d: ModelData) -> np.ndarray:
    """(A,) each area's total on the pressure basis today (today's stock on the dispersal basis)."""
    start = np.round(d.stock0.sum(axis=1))
    if d.basis is None:
        return start
    return start + (d.hotel0 if d.basis_hotels else 0.0) + d.fixed


def start_figures(d: ModelData) -> dict[str, np.ndarray]:
    """(1,) the fairness figures of today's position, as :func:`figures` counts a year's (the fair shares over the
    areas open in the first planning year, as regions.csv's start rows)."""
    basis = basis_start(d)[:, None]
    return figures(d, np.round(d.stock0.sum(axis=1))[:, None], basis, d.share()[:, :1] * basis.sum())


def plan_figures(plan: Any, scenario: Scenario, basis: str | list[str] | None = None) -> pd.DataFrame:
    """The fairness figures of a solved ``plan`` of ``scenario`` on ``basis`` (a ``policy.pressure_basis``;
    the scenario's own by default), today and at the end of each year: one row per figure, columns ``now``
    and the years. Counted as trajectory.csv counts them (:func:`figures`), from the plan's allocations
    (``stock``, and ``contingency``: its hotel residents by area) and the scenario's areas, so that a plan
    can be judged on another plan's basis (``scenarios/uk-2025/report.py``: the status quo, on the
    dispersal basis, counted on the supported basis as the plan is)."""
    d = prepare(scenario if basis is None else scenario.with_policy(pressure_basis=basis))
    a = plan.allocations
    codes = d.areas["area_code"].astype(str)
    years = list(d.years)

    def by_area(column: str, how: str) -> np.ndarray:       # (A,T) in the scenario's order of areas and years
        table = a.pivot_table(index=a["area_code"].astype(str), columns="year", values=column, aggfunc=how)
        return table.reindex(index=codes, columns=years).fillna(0).to_numpy()

    total = by_area("stock", "sum")                                  # stock: one row per cohort
    hotels = by_area("contingency", "first") if "contingency" in a.columns else 0   # on each cohort's row
    held = basis_totals(d, total, hotels)
    per_year = figures(d, total, held, d.share() * held.sum(axis=0)[None, :])
    now = start_figures(d)
    return pd.DataFrame({"now": {k: v[0] for k, v in now.items()},
                         **{int(y): {k: v[t] for k, v in per_year.items()} for t, y in enumerate(years)}})


def basis_name(plan: Any) -> str:
    """A plan's pressure basis as written in its summary (``supported``, ``dispersal+contingency+...``), or
    ``dispersal``."""
    return plan.pressure_basis or DISPERSAL


def on_basis(trajectory: pd.DataFrame, key: str) -> pd.Series | None:
    """trajectory.csv's ``key`` (``gini``, ``max_rate_per_10k``) on the plan's own pressure basis: its
    ``basis_<key>`` column where the plan has one, ``key`` on the dispersal basis (None if it has neither)."""
    return trajectory.get(f"basis_{key}", trajectory.get(key))


def headline_on_basis(position: dict, key: str) -> Any:
    """A summary.json headline position's (``start``, ``end``) ``key`` on the plan's own pressure basis."""
    basis = position.get("basis")
    return basis[key] if isinstance(basis, dict) and key in basis else position.get(key)

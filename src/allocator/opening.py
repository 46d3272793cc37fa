"""New dispersal areas as yes-or-no decisions: opening sizes, set-up costs, lead times (issue 16).

Everything here is off unless the areas table has one of the columns ``min_open``, ``open_cost``,
``lead_time`` or the scenario sets ``policy.max_new_areas``; without them the model stays a pure
linear program, unchanged.

* Loading (called by :mod:`allocator.scenario`): :func:`check_areas`, the cross-checks of the new
  columns (a lead time on an area that already hosts people). The cells themselves are typed and
  checked by their specs in :data:`allocator.scenario.AREA_COLUMNS` (whole, not negative).
* Preparing (called by :func:`allocator.data.prepare`): :func:`prepare_open`, the ``ModelData`` fields.
* Reading them: :func:`opening`, the decisions the model makes (:class:`Opening`), shared by the
  model (:mod:`allocator.families_open`), the rounding, ``explain`` and the integer solver.

Words used throughout (docs/model.md, "Opening new areas"):

* a **new area** hosts nobody now (its ``stock`` is 0 in every cohort) and is not excluded;
* an area is **open** at the end of a year when it hosts anyone then. Nobody is moved out and exits
  take only a share of the people each year, so an area that has received anyone stays open to the
  end of the plan; an area that hosts people now is open from the start;
* an area **opens** in the first year it is open: that is when a new area "first receives people",
  pays its ``open_cost`` and counts towards ``policy.max_new_areas``;
* ``min_open``: an open area hosts at least ``min_open`` people at the end of every year (so a
  new area receives at least that many in the year it opens); an area that hosts nobody hosts nobody.
  An open new area hosts at least one person whatever its ``min_open``;
* ``lead_time``: a new area hosts nobody before the year ``first year + lead_time``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from allocator.errors import Issue, listed

#: The areas columns of opening decisions (their specs are in allocator.scenario.AREA_COLUMNS), described.
DESCRIBE = {
    "min_open": "An area hosts nobody or at least this many at the end of each year (whole number): the smallest "
                "viable size of a dispersal area.",
    "open_cost": "Paid once, when an area hosting nobody now first receives people (support services, legal "
                 "advice access, reporting arrangements).",
    "lead_time": "Whole years from the plan's start before an area hosting nobody now can receive its first "
                 "placements.",
}
COLUMNS = tuple(DESCRIBE)


class NewAreas(BaseModel):
    """``policy.new_areas``: the opening terms of every area hosting nobody now whose cell is empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_open: int | None = Field(default=None, ge=0, le=100_000_000)
    """People: the areas column ``min_open`` for those areas."""
    open_cost: float | None = Field(default=None, ge=0, le=1e9, allow_inf_nan=False)
    """£: the areas column ``open_cost`` for those areas."""
    lead_time: int | None = Field(default=None, ge=0, le=100)
    """Years: the areas column ``lead_time`` for those areas."""
#: People: an area whose exact total is above this hosts someone (the solver's round-off is below it).
TOL = 1e-6


# --------------------------------------------------------------------------- loading
def check_areas(out: pd.DataFrame, config: Any, label: str, lines: np.ndarray, codes: list,
                stock_columns: list[str]) -> list[Issue]:
    """A ``lead_time`` on an area that already hosts people is refused: it is open already."""
    if "lead_time" not in out.columns:
        return []
    hosting = out[stock_columns].to_numpy(float).sum(axis=1)
    lead = out["lead_time"].to_numpy(float)
    bad = np.flatnonzero((np.nan_to_num(lead) > 0) & (hosting > 0))
    return listed(bad, lambda p: Issue(label, f"lead_time is for areas that host nobody now; this one hosts "
                                              f"{hosting[p]:,.0f} people already (leave the cell empty)",
                                       row=int(lines[p]), field="lead_time", area=codes[p] or None))


# --------------------------------------------------------------------------- preparing
def terms(scenario: Any, name: str) -> np.ndarray | None:
    """(A,) the areas column ``name`` (empty cells 0), where empty and the area hosts nobody now the
    default of ``policy.new_areas``; None when neither gives it."""
    df = scenario.areas
    default = getattr(scenario.config.policy.new_areas, name, None) if scenario.config.policy.new_areas else None
    if name not in df.columns and default is None:
        return None
    values = df[name].to_numpy(float) if name in df.columns else np.full(len(df), np.nan)
    if default is not None:
        stock = sum(df[scenario.cohort_column("stock", c)].to_numpy(float) for c in scenario.cohort_names)
        values = np.where(np.isnan(values) & (stock == 0), float(default), values)
    return np.nan_to_num(values)


def prepare_open(scenario: Any) -> dict:
    """The ``ModelData`` fields of opening decisions: ``min_open``, ``open_cost`` and ``lead_time``
    (A,) (:func:`terms`; None when not given) and ``max_new_areas`` (None when not set)."""
    out: dict = {name: terms(scenario, name) for name in COLUMNS}
    most = scenario.config.policy.max_new_areas
    out["max_new_areas"] = None if most is None else float(most)
    return out


# --------------------------------------------------------------------------- the decisions
@dataclass(frozen=True)
class Opening:
    """Which areas' opening the model decides, and on what terms (all (A,) unless said)."""

    new: np.ndarray          # bool: hosts nobody now and is not excluded
    decides: np.ndarray      # bool: has an open/closed decision (a 0/1 column per year)
    size: np.ndarray         # the least people an open area hosts: min_open (at least 1 for a new area)
    cost: np.ndarray         # £ once, when a new area opens (0 elsewhere)
    lead: np.ndarray         # int: the first year index a new area may host anyone (0 elsewhere)
    max_new: float | None    # most new areas opening in one year

    def may_open(self, d: Any) -> np.ndarray:
        """(A,T) bool: the cells whose decision is free (a new area, able to receive people); an area
        that hosts people now is open every year; any other cell is closed."""
        return self.decides[:, None] & self.new[:, None] & d.eligible


def opening(d: Any) -> Opening | None:
    """The opening decisions of prepared data ``d``; None when there are none (a pure linear program)."""
    if d.min_open is None and d.open_cost is None and d.lead_time is None and d.max_new_areas is None:
        return None
    n_a = d.shape[0]
    zero = np.zeros(n_a)
    m = zero if d.min_open is None else d.min_open
    f = zero if d.open_cost is None else d.open_cost
    lead = np.zeros(n_a, np.int64) if d.lead_time is None else d.lead_time.astype(np.int64)
    new = (d.stock0.sum(axis=1) <= 0) & ~d.excluded & d.eligible.any(axis=1)
    hosting = d.stock0.sum(axis=1) > 0
    decides = (new & ((m > 0) | (f > 0) | (d.max_new_areas is not None))) | (hosting & (m > 0))
    if not decides.any() and not (new & (lead > 0)).any():
        return None
    return Opening(new=new, decides=decides, size=np.where(new, np.maximum(m, 1.0), m),
                   cost=np.where(new, f, 0.0), lead=np.where(new, lead, 0), max_new=d.max_new_areas)


def open_cells(d: Any, S: np.ndarray) -> np.ndarray:
    """(A,T) bool: the areas hosting anyone at the end of each year in the exact stock ``S`` (A,T,H)."""
    return S.sum(axis=2) > TOL


def whole_lower(d: Any, S: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """(A,T) an area's least whole-people total: ``lower``, and where the exact plan has the area open,
    at least its opening size (whole already). Used by the whole-people rounding, so that an area
    opened in the exact plan hosts at least ``min_open`` whole people and a closed one nobody."""
    op = opening(d)
    if op is None:
        return lower
    size = np.where(op.decides, op.size, 0.0)
    return np.where(open_cells(d, S), np.maximum(lower, size[:, None]), lower)


def opening_summary(d: Any, R: np.ndarray, info: dict) -> dict:
    """``summary.json``'s entries of an integer plan (none for a linear one): the gap asked
    (``gap_tolerance``), ``set_up_cost`` (£, the ``open_cost`` of the areas opened: in the objective,
    not in the plan's costs by year) and ``opened``, the new areas the whole-people plan ``R`` (A,T,H)
    opens, in the year each first hosts anyone, with the people it hosts then (by year, then area code)."""
    if not info.get("integer"):
        return {}
    op = opening(d)
    total = R.sum(axis=2)                                                           # (A,T)
    hosts = total > 0
    areas = np.flatnonzero(op.new & hosts.any(axis=1))
    first = hosts[areas].argmax(axis=1)
    order = np.lexsort((d.areas["area_code"].to_numpy()[areas], first))
    cost = float(op.cost[areas].sum())
    return {"gap_tolerance": info["gap_tolerance"], "set_up_cost": round(cost, 2), "opened": [
        {"area_code": str(d.areas["area_code"].iat[a]), "area_name": str(d.areas["area_name"].iat[a]),
         "year": int(d.years[t]), "people": int(total[a, t])} for a, t in zip(areas[order], first[order])]}

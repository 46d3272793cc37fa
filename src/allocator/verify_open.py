"""The verifier's rules of opening decisions (issue 16), recomputed from the scenario itself.

Called by :func:`allocator.verify.verify_plan`; like the rest of the verifier it reads the scenario's
settings and areas table, never ``ModelData``, :mod:`allocator.opening` or the solver's 0/1 values: an
area is open in a year when the plan has anyone in it at the end of that year.

* ``min_open``: an area with a ``min_open`` hosts nobody or at least that many, every year;
* ``lead_time``: an area hosting nobody now hosts nobody in the years before ``first year + lead_time``;
* ``max_new_areas``: at most ``policy.max_new_areas`` areas hosting nobody now first host people in a year;
* the objective: ``cost_weight`` × ``open_cost`` for every area hosting nobody now that the plan opens;
* in whole people, the same rules, and the exact plan's decisions kept: an area open in the exact plan
  is open in whole people, a closed one hosts nobody.
"""

from __future__ import annotations

import numpy as np

from allocator.scenario import Scenario


def expected(scenario: Scenario) -> dict | None:
    """The opening rules of the scenario, plainly (None when it has none)."""
    df = scenario.areas
    policy = scenario.config.policy
    defaults = policy.new_areas.model_dump() if policy.new_areas is not None else {}
    given = [c for c in ("min_open", "open_cost", "lead_time") if c in df.columns or defaults.get(c) is not None]
    most = policy.max_new_areas
    if not given and most is None:
        return None
    stock_now = sum(df[scenario.cohort_column("stock", c)].to_numpy(float) for c in scenario.cohort_names)
    new = (stock_now == 0) & (df["status"].to_numpy() != "excluded")

    def column(name: str) -> np.ndarray:
        cells = df[name].to_numpy(float) if name in df.columns else np.full(len(df), np.nan)
        if defaults.get(name) is not None:              # policy.new_areas: for areas hosting nobody now
            cells = np.where(np.isnan(cells) & (stock_now == 0), defaults[name], cells)
        return np.nan_to_num(cells)

    return {"new": new, "min": column("min_open"), "cost": column("open_cost"),
            "lead": column("lead_time").astype(int), "most": most, "codes": df["area_code"].tolist(),
            "years": list(scenario.config.years)}


def first_years(new: np.ndarray, hosts: np.ndarray) -> np.ndarray:
    """(A,) the year index each new area first hosts anyone (-1: never, or not a new area)."""
    return np.where(new & hosts.any(axis=1), hosts.argmax(axis=1), -1)


def _rules(ox: dict, total: np.ndarray, hosts: np.ndarray, prefix: str) -> list[str]:
    """Each rule on area totals ``total`` (A,T), open where ``hosts`` (A,T)."""
    fails: list[str] = []
    codes, years = ox["codes"], ox["years"]
    m = ox["min"][:, None]
    small = hosts & (total < m - 1e-6 * np.maximum(1.0, m))
    for i, k in list(zip(*np.nonzero(small)))[:10]:
        fails.append(f"{prefix}min_open: {codes[i]} {years[k]}: hosts {total[i, k]:.4f} people, neither nobody "
                     f"nor its minimum {ox['min'][i]:g}")
    early = hosts & ox["new"][:, None] & (np.arange(len(years))[None, :] < ox["lead"][:, None])
    for i, k in list(zip(*np.nonzero(early)))[:10]:
        fails.append(f"{prefix}lead_time: {codes[i]} {years[k]}: hosts {total[i, k]:.4f} people before its lead "
                     f"time of {ox['lead'][i]} year(s) is over")
    if ox["most"] is not None:
        first = first_years(ox["new"], hosts)
        for k, y in enumerate(years):
            opened = np.flatnonzero(first == k)
            if opened.size > ox["most"]:
                fails.append(f"{prefix}max_new_areas: {y}: {opened.size} areas hosting nobody now first receive "
                             f"people ({', '.join(codes[i] for i in opened[:5])}...), more than {ox['most']}")
    return fails


def check_exact(ox: dict | None, S: np.ndarray, tol: float) -> list[str]:
    """The exact stock ``S`` (A,T,H) against the opening rules, to the tolerance ``tol`` (people)."""
    if ox is None:
        return []
    total = S.sum(axis=2)
    return _rules(ox, total, total > tol, "")


def open_cost(ox: dict | None, S: np.ndarray, tol: float) -> float:
    """£ of set-up costs of the plan ``S``: ``open_cost`` of each new area it ever has anyone in."""
    if ox is None:
        return 0.0
    opened = ox["new"] & (S.sum(axis=2) > tol).any(axis=1)
    return float(ox["cost"][opened].sum())


def check_whole(ox: dict | None, S: np.ndarray, R: np.ndarray, tol: float) -> list[str]:
    """The whole-people stock ``R`` against the opening rules, and the exact plan's decisions kept."""
    if ox is None:
        return []
    total = R.sum(axis=2)
    hosts = total > 0
    fails = _rules(ox, total.astype(float), hosts, "whole people: ")
    exact = S.sum(axis=2) > tol
    decided = ox["new"] & ((ox["min"] > 0) | (ox["cost"] > 0) | (ox["most"] is not None))
    differ = (hosts != exact) & decided[:, None]
    for i, k in list(zip(*np.nonzero(differ)))[:10]:
        fails.append(f"whole people: opening: {ox['codes'][i]} {ox['years'][k]}: "
                     f"{'open' if exact[i, k] else 'closed'} in the exact plan but hosts {total[i, k]} people")
    return fails

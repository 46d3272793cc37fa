"""Interpret: from the solver's numbers to the published tables.

:func:`interpret` turns the exact plan and its whole-people rounding into the
``allocations``, ``trajectory`` and ``regions`` tables; :func:`start_position` and
:func:`end_position` give the headline figures. Pure: no solver, no files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.data import ModelData
from allocator.fairness import FAIR_SHARE_MULTIPLES, basis_start, basis_totals, figures, start_figures
from allocator.place import Hotels


def capacity_schedule(stock: np.ndarray, capacity0: np.ndarray, pace: np.ndarray, years_open: np.ndarray) -> np.ndarray:
    """Latest procurement schedule that has enough bed spaces in time.

    ``stock`` (A,T) whole people; returns capacity (A,T) at the end of each year:
    :math:`K_t = \\max_{\\tau \\le t} L_\\tau`,
    :math:`L_t = \\max(K^0, \\max_{\\tau \\ge t} S_\\tau - q (Y_\\tau - Y_t))` where
    :math:`Y` counts the years the area has been open.
    """
    slack = stock - pace[:, None] * years_open                      # S_tau - q Y_tau
    future = np.maximum.accumulate(slack[:, ::-1], axis=1)[:, ::-1]  # max over tau >= t
    lazy = np.maximum(capacity0[:, None], future + pace[:, None] * years_open)
    return np.maximum.accumulate(lazy, axis=1)


def flows(d: ModelData, S: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whole-people placements and exits (A,T,H) that add up to the whole stock ``R``, row by row:
    :math:`R_t = R_{t-1} - \text{exits} + \text{placements}` (docs/model.md, "How the output tables are derived").

    Last year's people expected to stay, :math:`(1-e_h) R_{t-1}`, rounded half up and within
    :math:`[0, R_{t-1}]`, are the survivors; where the exact plan ``S`` places nobody, everyone the whole
    stock keeps of last year's people is a survivor (the rounding of today's stock places nobody). What
    the stock holds above its survivors is placed; the rest of last year's people left support.
    """
    prev = np.concatenate([np.round(d.stock0)[:, None, :], R[:, :-1, :]], axis=1).astype(np.int64)
    survivors = np.clip(np.round(np.round((1.0 - d.exit_rate) * prev, 6)), 0, prev).astype(np.int64)
    prev_exact = np.concatenate([d.stock0[:, None, :], S[:, :-1, :]], axis=1)
    nobody = S - (1.0 - d.exit_rate) * prev_exact <= 1e-6 * np.maximum(1.0, np.abs(S))
    survivors = np.where(nobody, np.maximum(survivors, np.minimum(R, prev)), survivors)
    return np.maximum(R - survivors, 0), prev - np.minimum(R, survivors)


def capacity_kept(d: ModelData, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A,T,H) whole bed spaces kept at the end of each year for the whole stock ``R`` (the latest
    procurement schedule, :func:`capacity_schedule`) and (A,T,H) those procured in each year."""
    n_t, n_h = R.shape[1], R.shape[2]
    years_open = np.maximum(np.arange(n_t)[None, :] - d.open_year[:, None] + 1, 0)
    K = np.stack([capacity_schedule(R[:, :, h].astype(float), d.capacity0[:, h], d.procurement[:, h], years_open)
                  for h in range(n_h)], axis=2)
    K = np.ceil(K - 1e-9).astype(np.int64)
    procured = np.diff(np.concatenate([np.ceil(d.capacity0 - 1e-9)[:, None, :].astype(np.int64), K], axis=1), axis=1)
    return K, procured


def occupancy_cost(d: ModelData, at_end: np.ndarray, at_start: float) -> np.ndarray:
    """(T,) each year's £ from the £ a year ``at_end`` (T,) of each year's end-of-year numbers and ``at_start``
    of today's: the end-of-year figure, or with ``costs.occupancy: average`` the mean of the year's start and end."""
    if d.occupancy != "average":
        return at_end
    return (np.concatenate([[at_start], at_end[:-1]]) + at_end) / 2


def year_costs(d: ModelData, R: np.ndarray, K: np.ndarray, procured: np.ndarray, contingency: np.ndarray,
               hotels: Hotels | None = None) -> dict:
    """trajectory.csv's cost columns (T,), £ to two decimals, for the whole stock ``R``, capacity kept ``K``,
    bed spaces ``procured``, ``contingency`` (T,) whole people and whole ``hotels`` by area (when located);
    ``void_places``, the empty bed spaces kept."""
    accommodation = occupancy_cost(d, (d.cost[:, None, :] * R).sum(axis=(0, 2)),
                                   float((d.cost * np.round(d.stock0)).sum()))
    hotel_cost = occupancy_cost(d, contingency_cost(d, contingency, hotels), contingency_start_cost(d))
    void = K - R
    costs = {"accommodation_cost": np.round(accommodation, 2), "contingency_cost": np.round(hotel_cost, 2),
             "procurement_cost": np.round(procured.sum(axis=(0, 2)) * d.procurement_cost, 2),
             "void_places": void.sum(axis=(0, 2)),
             "void_cost": np.round(d.void_share * (d.cost[:, None, :] * void).sum(axis=(0, 2)), 2)}
    costs["total_cost"] = np.round(costs["accommodation_cost"] + costs["contingency_cost"] + costs["procurement_cost"]
                                   + costs["void_cost"], 2)
    return costs


def interpret(d: ModelData, S: np.ndarray, C: np.ndarray, R: np.ndarray, hotels: Hotels | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tidy tables from the exact stock ``S``, contingency ``C``, whole-people stock ``R`` and
    whole-people ``hotels`` by area (when the scenario locates them)."""
    n_a, n_t, n_h = S.shape
    X, exits = flows(d, S, R)
    K, procured = capacity_kept(d, R)

    total = R.sum(axis=2)                                                # (A,T)
    prev_total = np.concatenate([np.round(d.stock0.sum(axis=1))[:, None], total[:, :-1]], axis=1)
    national = total.sum(axis=0)                                         # (T,)
    basis = basis_totals(d, total, hotels.located if hotels is not None else 0)   # (A,T) on the pressure basis
    fair = d.share() * basis.sum(axis=0)[None, :]
    rate = total / d.population[:, None] * 1e4
    over_cap = basis > d.cluster_cap[:, None]
    fairness = figures(d, total, basis, fair)                            # one definition: allocator.fairness
    funding = d.grant_occupied * total + d.grant_new * np.maximum(total - prev_total, 0)

    need_int = np.round(d.need.sum(axis=1)).astype(np.int64)
    contingency_int = need_int - national

    # ---- allocations
    idx_a, idx_t, idx_h = (g.ravel() for g in np.indices((n_a, n_t, n_h)))
    alloc = pd.DataFrame({
        "area_code": d.areas["area_code"].to_numpy()[idx_a],
        "area_name": d.areas["area_name"].to_numpy()[idx_a],
        "region": d.areas["region"].to_numpy()[idx_a],
        "year": d.years[idx_t],
    })
    if n_h > 1:
        alloc["cohort"] = np.asarray(d.cohorts)[idx_h]
    alloc["placements"] = X.ravel()
    alloc["exits"] = exits.ravel()
    alloc["stock"] = R.ravel()
    alloc["capacity"] = K.ravel()
    alloc["procured"] = procured.ravel()
    alloc["fair_share"] = np.round(fair[idx_a, idx_t], 2)
    alloc["cap"] = d.cluster_cap[idx_a].astype(np.int64)
    alloc["over_cap"] = over_cap[idx_a, idx_t]
    alloc["rate_per_10k"] = np.round(rate[idx_a, idx_t], 2)
    _place_columns(d, alloc, None, basis, hotels, idx_a, idx_t)
    if d.grant_occupied or d.grant_new:
        alloc["funding"] = np.round(funding[idx_a, idx_t], 2)

    # ---- trajectory
    traj = pd.DataFrame({"year": d.years, "need": need_int, "dispersed": national, "contingency": contingency_int,
                         "placements": X.sum(axis=(0, 2)), **year_costs(d, R, K, procured, contingency_int, hotels)})
    for key in ("gini", "max_rate_per_10k", "areas_over_cap", "areas_hosting",
                *(f"areas_above_{round(m * 100)}pct" for m in FAIR_SHARE_MULTIPLES)):
        traj[key] = fairness[key]
    _place_columns(d, None, traj, basis, hotels, fairness=fairness)
    if d.grant_occupied or d.grant_new:
        traj["funding"] = np.round(funding.sum(axis=0), 2)

    return alloc, traj, region_table(d, total, fair, basis)


def _place_columns(d: ModelData, alloc: pd.DataFrame | None, traj: pd.DataFrame | None, basis: np.ndarray,
                   hotels: Hotels | None, idx_a: np.ndarray | None = None, idx_t: np.ndarray | None = None,
                   fairness: dict | None = None) -> None:
    """The place-based columns of allocations.csv (``alloc``: the totals and rates on the pressure basis, the
    people in the area's hotels and its open places) or trajectory.csv (``traj``: new contingency, the open
    hotel places nobody is in, the national total, and ``fairness``'s Gini and highest rate on the basis); only
    where the scenario has them."""
    rate = basis / d.population[:, None] * 1e4
    if alloc is not None:
        if d.basis is not None:
            alloc["basis_total"] = basis[idx_a, idx_t].astype(np.int64)
            alloc["basis_rate_per_10k"] = np.round(rate[idx_a, idx_t], 2)
        if hotels is not None:
            alloc["contingency"] = hotels.located[idx_a, idx_t]
            alloc["hotel_places"] = hotels.places[idx_a, idx_t]
        return
    if hotels is not None:
        traj.insert(4, "new_contingency", hotels.new)
        traj.insert(5, "empty_hotel_places", (hotels.places - hotels.located).sum(axis=0))
    if d.basis is not None:
        traj["basis_total"] = basis.sum(axis=0).astype(np.int64)
        traj["basis_gini"] = fairness["basis_gini"]
        traj["basis_max_rate_per_10k"] = fairness["basis_max_rate_per_10k"]


def contingency_start_cost(d: ModelData) -> float:
    """£ a year of today's contingency (the start position ``costs.occupancy: average`` charges half of in
    the first year): today's people in contingency at the hotel cost; with hotels by area, today's hotel
    residents at the hotel cost and today's open hotel places at the place's."""
    if d.hotel0 is None:
        return round(float(d.contingency0.sum())) * d.hotel_cost
    return float(np.round(d.hotel0).sum()) * d.hotel_cost + float(np.round(d.hotel_places0).sum()) * d.hotel_place_cost


def contingency_cost(d: ModelData, contingency: np.ndarray, hotels: Hotels | None) -> np.ndarray:
    """(T,) £ of contingency each year: people in contingency at the hotel cost; with hotels by area, the
    people in areas' hotels at that cost, new contingency at its own and every open hotel place at its cost."""
    if hotels is None:
        return contingency * d.hotel_cost
    return (hotels.located.sum(axis=0) * d.hotel_cost + hotels.new * d.new_contingency_cost
            + hotels.places.sum(axis=0) * d.hotel_place_cost)


START, YEAR_END = "start", "end of year"


def region_table(d: ModelData, total: np.ndarray, fair: np.ndarray, basis: np.ndarray | None = None) -> pd.DataFrame:
    """regions.csv: one row per region for the start position and for the end of each year.

    ``total`` (A,T) whole people and ``fair`` (A,T) fair shares at the end of each year. The start
    row is dated the year before the first planning year, with ``position`` "start": today's stock
    (rounded to whole people, as in start.csv) and its fair share over the areas open in the first
    planning year. On a pressure basis (``basis``, (A,T)) the fair shares are of the national total
    on the basis, and the column ``basis_total`` gives the region's total on it.
    """
    start = np.round(d.stock0.sum(axis=1)).astype(np.int64)
    stock = np.column_stack([start, total]).astype(np.int64)                    # (A, T+1)
    fair_all = np.column_stack([d.share()[:, 0] * basis_start(d).sum(), fair])
    years = np.concatenate([[int(d.years[0]) - 1], np.asarray(d.years, dtype=np.int64)])
    n_a, n_y = stock.shape
    columns = {
        "region": np.repeat(d.areas["region"].to_numpy(), n_y), "year": np.tile(years, n_a),
        "stock": stock.ravel(), "fair_share": fair_all.ravel(), "population": np.repeat(d.population, n_y),
    }
    if d.basis is not None:
        columns["basis_total"] = np.column_stack([basis_start(d), basis]).astype(np.int64).ravel()
    regions = pd.DataFrame(columns).groupby(["region", "year"], sort=True).sum().reset_index()
    regions.insert(2, "position", np.where(regions["year"] == years[0], START, YEAR_END))
    regions["fair_share"] = regions["fair_share"].round(2)
    regions["rate_per_10k"] = (regions["stock"] / regions["population"] * 1e4).round(2)
    regions["population"] = regions["population"].round().astype(np.int64)
    if d.basis is not None or d.region_names is not None:
        _region_shares(d, regions)
    return regions


def _region_shares(d: ModelData, regions: pd.DataFrame) -> None:
    """regions.csv's ``basis_share`` (each region's share of the national total on the pressure basis, six
    decimals) and, with regional targets, the ``min_share`` and ``max_share`` of each year (empty where none)."""
    held = regions["basis_total"] if "basis_total" in regions else regions["stock"]
    national = held.groupby(regions["year"]).transform("sum")
    regions["basis_share"] = np.round(np.divide(held, national, out=np.zeros(len(held)), where=national > 0), 6)
    if d.region_names is None:
        return
    r = pd.Index(list(d.region_names)).get_indexer(regions["region"])
    t = pd.Index(d.years).get_indexer(regions["year"])
    given = (r >= 0) & (t >= 0)
    for name, table in (("min_share", d.region_min), ("max_share", d.region_max)):
        regions[name] = np.where(given, table[r, t], np.nan)


def start_position(d: ModelData) -> dict:
    """Headline figures for today's position (before the first planning year)."""
    total = np.round(d.stock0.sum(axis=1))
    region = pd.DataFrame({"region": d.areas["region"], "stock": total, "population": d.population}) \
        .groupby("region").sum()
    rr = (region["stock"] / region["population"] * 1e4).round(2)
    now = start_figures(d)                                               # one definition: allocator.fairness
    return {
        "dispersed": int(total.sum()),
        "contingency": int(round(d.contingency0.sum())),
        "areas_over_cap": int(now["areas_over_cap"][0]),                 # on the pressure basis
        "areas_hosting": int((total > 0).sum()),
        "areas_hosting_nobody": int((total == 0).sum()),
        "gini": float(now["gini"][0]),
        "max_rate_per_10k": float(now["max_rate_per_10k"][0]),
        "highest_region": {"region": str(rr.idxmax()), "rate_per_10k": float(rr.max())},
        "lowest_region": {"region": str(rr.idxmin()), "rate_per_10k": float(rr.min())},
        **({"basis": {"pressure_basis": d.basis, "total": int(round(basis_start(d).sum())),
                      "gini": float(now["basis_gini"][0]), "max_rate_per_10k": float(now["basis_max_rate_per_10k"][0])}}
           if d.basis is not None else {}),
    }


def end_position(traj: pd.DataFrame, regions: pd.DataFrame) -> dict:
    last = traj.iloc[-1]
    final = regions[regions["year"] == last["year"]].set_index("region")["rate_per_10k"]
    return {
        "year": int(last["year"]),
        "dispersed": int(last["dispersed"]),
        "contingency": int(last["contingency"]),
        "areas_over_cap": int(last["areas_over_cap"]),
        "areas_hosting": int(last["areas_hosting"]),
        "gini": float(last["gini"]),
        "max_rate_per_10k": float(last["max_rate_per_10k"]),
        "highest_region": {"region": str(final.idxmax()), "rate_per_10k": float(final.max())},
        "lowest_region": {"region": str(final.idxmin()), "rate_per_10k": float(final.min())},
        "total_cost_all_years": round(float(traj["total_cost"].sum()), 2),
        **({"basis": {"total": int(last["basis_total"]), "gini": float(last["basis_gini"]),
                      "max_rate_per_10k": float(last["basis_max_rate_per_10k"])}}
           if "basis_total" in traj else {}),
        **({"new_contingency": int(last["new_contingency"])} if "new_contingency" in traj else {}),
    }

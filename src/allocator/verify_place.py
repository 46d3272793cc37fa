"""The verifier's place-based rules: hotels by area, the cap on the pressure basis, protection.

Part of the independent verifier (:mod:`allocator.verify`): everything is recomputed from the
scenario itself (the areas table and the keys), written out plainly, never from ``ModelData``.
:func:`expected` adds the place-based data to the verifier's own; :func:`basis` gives each area's
total on the pressure basis; :func:`check_exact` and :func:`check_whole` check the exact and the
whole-people plan. Each failure starts with the rule's name (``hotel_places``, ``hotel_use``,
``contingency_split``, ``cluster_limit``, ``pressure_no_rise``, ``protection``).
"""

from __future__ import annotations

import functools

import numpy as np

from allocator.scenario import Scenario


def _report(fails: list[str], mask: np.ndarray, text, prefix: str = "") -> None:
    for idx in list(zip(*np.nonzero(mask)))[:10]:
        fails.append(prefix + text(*idx))


def expected(scenario: Scenario, ex: dict) -> dict:
    """The place-based data, from the scenario: people in hotels now ``c0`` (A,), open hotel places now
    ``places`` (A,) and while open ``c_open`` (A,T), the fixed counts ``F`` (A,), whether hotel residents count (``counts``), the over-by-inheritance
    set ``over`` (A,T), the protection limit ``protect`` (A,T, NaN where none) and the hotel prices."""
    cfg, df = scenario.config, scenario.areas
    years = ex["years"]
    n_a, n_t = len(df), len(years)
    located = "contingency" in df.columns
    c0 = np.nan_to_num(df["contingency"].to_numpy(float)) if located else np.zeros(n_a)
    places = c0.copy()                              # today's open hotel places: the column, or the people in them
    if "hotel_places" in df.columns:
        given = df["hotel_places"].to_numpy(float)
        places = np.where(np.isnan(given), c0, given)
    close = df["hotels_close_by"].to_numpy(float) if "hotels_close_by" in df.columns else np.full(n_a, np.nan)
    still_open = np.isnan(close)[:, None] | (np.asarray(years)[None, :] < close[:, None])    # before hotels_close_by
    c_open = np.where(still_open, places[:, None], 0.0)
    basis = cfg.policy.pressure_basis
    counts = located and basis != "dispersal"
    names = list(basis) if isinstance(basis, list) else (["initial"] if basis == "supported" and "initial" in df else [])
    F = np.zeros(n_a)
    for name in names:
        F += np.nan_to_num(df[name].to_numpy(float))
    on_basis = counts or bool(names)
    hotels_counted = np.where(still_open, c0[:, None], 0.0) if counts else np.zeros((n_a, n_t))   # today's residents
    inherited = ex["inherited"].sum(axis=2)
    over = (inherited + F[:, None] + hotels_counted > ex["cap"][:, None] + 1e-9) if on_basis else np.zeros((n_a, n_t), bool)
    if "over_cap_until" in df.columns:          # counted as over in each year up to and including the column's
        until = df["over_cap_until"].to_numpy(float)
        over = over | (~np.isnan(until)[:, None] & (np.asarray(years)[None, :] <= until[:, None]))
    protect = np.full((n_a, n_t), np.nan)
    no_rise = np.zeros((n_a, n_t), bool)        # protected with rule no_rise: the total on the basis never rises
    rule = cfg.policy.protect.rule if cfg.policy.protect is not None else None
    if rule is not None:
        start = ex["s0"].sum(axis=1) + (c0 if counts else 0.0) + F
        chosen = start / ex["pop"] * 1e4 > cfg.policy.protect.above_per_10k
        if "protect" in df.columns:                  # the column forces it on or off where given
            given = df["protect"].map(lambda v: v if isinstance(v, bool) else None)
            chosen = np.where(given.notna().to_numpy(), given.fillna(False).to_numpy(bool), chosen)
        level = ex["s0"].sum(axis=1) + (c0 if rule == "no_rise" else 0.0)      # today's, or the column's
        if "protect_level" in df.columns:
            given = df["protect_level"].to_numpy(float) - (F if rule == "no_rise" else 0.0)
            level = np.where(np.isnan(given), level, given)
        most = inherited if rule == "no_new_placements" else np.maximum(level[:, None], inherited)
        protect = np.where(chosen[:, None] & ex["open"], most, np.nan)
        no_rise = chosen[:, None] & ex["open"] if rule == "no_rise" else no_rise
    costs = cfg.costs
    new_cost = costs.new_contingency_per_person_year           # by default a hotel place and its occupant
    if new_cost is None:
        new_cost = costs.contingency_per_person_year + costs.hotel_place_per_year
    return dict(located=located, c0=c0, places=places, c_open=c_open, F=F, counts=counts, on_basis=on_basis, over=over,
                protect=protect, no_rise=no_rise, rule=rule, hotels_counted=hotels_counted, place_cost=costs.hotel_place_per_year,
                new_cost=new_cost)


def _first_at_most(px: dict, before: np.ndarray, level: np.ndarray) -> np.ndarray:
    """(A,T) ``before`` (the total on the basis the year before) with the first year's at most ``level`` (A,)
    for the protected areas with rule no_rise: protection's level (``protect_level``, by default today's)."""
    if px["rule"] != "no_rise":
        return before
    out = before.astype(float)
    out[:, 0] = np.fmin(out[:, 0], level)
    return out


def basis(px: dict, total: np.ndarray, located: np.ndarray | None) -> np.ndarray:
    """(A,T) each area's total on the pressure basis: stock ``total``, hotel residents where they count, F."""
    hotels = located if located is not None and px["counts"] else 0.0
    return total + hotels + px["F"][:, None]


def cap_limit(px: dict, ex: dict, inherited_total: np.ndarray) -> np.ndarray:
    """(A,T) most stock plus counted hotel residents: the cap less the fixed counts, or the inherited
    position (today's people still there, today's hotel residents while the hotels may stay open)."""
    return np.maximum(ex["cap"][:, None] - px["F"][:, None], inherited_total + px["hotels_counted"])


def contingency_by_year(scenario: Scenario, px: dict, C: np.ndarray, hotels) -> np.ndarray:
    """(T,) £ of contingency in the objective each year (before its weight): hotel residents, new contingency
    and open places with hotels by area, else everyone in contingency at the hotel cost."""
    costs = scenario.config.costs
    if not px["located"]:
        return costs.contingency_per_person_year * C.sum(axis=1)
    return (costs.contingency_per_person_year * hotels.located.sum(axis=0) + px["new_cost"] * hotels.new
            + px["place_cost"] * hotels.places.sum(axis=0))


def contingency_now(scenario: Scenario, px: dict, people: float) -> float:
    """£ a year of today's contingency (``costs.occupancy: average`` charges half of it in the first year):
    the ``people`` in contingency now at the hotel cost; with hotels by area, today's hotel residents at the
    hotel cost (none in new contingency) and today's open hotel places at the place's."""
    costs = scenario.config.costs
    if not px["located"]:
        return costs.contingency_per_person_year * people
    return costs.contingency_per_person_year * float(px["c0"].sum()) + px["place_cost"] * float(px["places"].sum())


def check_exact(scenario: Scenario, ex: dict, px: dict, S: np.ndarray, C: np.ndarray, hotels, tol: float) -> list[str]:
    """The place-based rules on the exact plan."""
    fails: list[str] = []
    report = functools.partial(_report, fails)
    codes, years = scenario.areas["area_code"].tolist(), ex["years"]
    total = S.sum(axis=2)
    if px["located"]:
        if hotels is None:
            return ["contingency_split: the plan gives no hotel places, people in hotels or new contingency"]
        H, L, Q = hotels.places, hotels.located, hotels.new
        report(H < -tol, lambda i, k: f"hotel_places: {codes[i]} {years[k]}: {H[i, k]:.6f} negative")
        report(H > px["c_open"] + tol, lambda i, k: f"hotel_places: {codes[i]} {years[k]}: {H[i, k]:.4f} open, "
               f"above {px['c_open'][i, k]:g} (today's places, 0 from hotels_close_by)")
        report(H[:, 1:] > H[:, :-1] + tol, lambda i, k: f"hotel_places: {codes[i]} {years[k + 1]}: {H[i, k + 1]:.4f} "
               f"open after {H[i, k]:.4f} the year before: hotel places reopened")
        report(L < -tol, lambda i, k: f"hotel_use: {codes[i]} {years[k]}: {L[i, k]:.6f} people negative")
        report(L > H + tol, lambda i, k: f"hotel_use: {codes[i]} {years[k]}: {L[i, k]:.4f} people in "
               f"{H[i, k]:.4f} open hotel places")
        split = C.sum(axis=1) - L.sum(axis=0) - Q
        report((np.abs(split) > tol) | (Q < -tol), lambda k: f"contingency_split: {years[k]}: contingency "
               f"{C[k].sum():.4f} is not people in hotels {L[:, k].sum():.4f} + new contingency {Q[k]:.4f}")
    located = hotels.located if px["located"] and hotels is not None else None
    B = basis(px, total, located)
    report(px["over"][:, :, None] & (S > ex["inherited"] + tol), lambda i, k, h: f"pressure_no_rise: {codes[i]} "
           f"{years[k]}: stock {S[i, k, h]:.4f} above the {ex['inherited'][i, k, h]:.4f} still there: new placements "
           "while over the cap on the pressure basis")
    before = np.concatenate([basis(px, ex["s0"].sum(axis=1)[:, None], px["c0"][:, None]), B[:, :-1]], axis=1)
    report(px["over"] & (B > before + tol), lambda i, k: f"pressure_no_rise: {codes[i]} {years[k]}: total on the "
           f"pressure basis {B[i, k]:.4f} above {before[i, k]:.4f} the year before, while over the cap")
    report(total > px["protect"] + tol, lambda i, k: f"protection: {codes[i]} {years[k]}: stock {total[i, k]:.4f} "
           f"above {px['protect'][i, k]:.4f} ({px['rule']})")
    before = _first_at_most(px, before, px["protect"][:, 0] + px["F"])
    report(px["no_rise"] & (B > before + tol), lambda i, k: f"protection: {codes[i]} {years[k]}: total on the "
           f"pressure basis {B[i, k]:.4f} above {before[i, k]:.4f} the year before, or its level (no_rise)")
    return fails


def check_whole(scenario: Scenario, ex: dict, px: dict, S: np.ndarray, R: np.ndarray, hotels, whole,
                contingency: np.ndarray | None) -> list[str]:
    """The place-based rules on the whole-people plan (``whole``: the whole hotels, ``contingency`` (T,) the
    whole contingency): hotel places whole, at most today's, never reopening; people in hotels within a person
    of the exact plan and within the open places; new contingency the rest, within a person of the exact; the
    cap on the basis, no new placements and no rise while over it, and protection, in whole people."""
    fails: list[str] = []
    report = functools.partial(_report, fails, prefix="whole people: ")
    codes, years = scenario.areas["area_code"].tolist(), ex["years"]
    total = R.sum(axis=2)
    inherited = np.ceil(ex["inherited"] - 1e-6)
    L = None
    if px["located"]:
        if whole is None or hotels is None:
            return ["whole people: contingency_split: the plan gives no whole hotel figures"]
        H, L, Q = whole.places, whole.located, whole.new
        report((H > px["c_open"]) | (H < 0) | (H < L), lambda i, k: f"hotel_places {codes[i]} {years[k]}: {H[i, k]} "
               f"open for {L[i, k]} people, today's places {px['places'][i]:g}")
        report(H[:, 1:] > H[:, :-1], lambda i, k: f"hotel_places {codes[i]} {years[k + 1]}: {H[i, k + 1]} open after "
               f"{H[i, k]}: reopened")
        report(np.abs(L - hotels.located) >= 1 - 1e-9, lambda i, k: f"hotel_use {codes[i]} {years[k]}: {L[i, k]} "
               f"people in hotels, a person or more from {hotels.located[i, k]:.4f}")
        report((Q < 0) | (np.abs(Q - hotels.new) >= 1 - 1e-9), lambda k: f"contingency_split {years[k]}: new "
               f"contingency {Q[k]}, exact {hotels.new[k]:.4f}")
        if contingency is not None:
            report(L.sum(axis=0) + Q != contingency, lambda k: f"contingency_split {years[k]}: {L[:, k].sum()} in "
                   f"hotels + {Q[k]} new is not the contingency {contingency[k]}")
    counted = (L if L is not None and px["counts"] else 0) + total
    limit = cap_limit(px, ex, np.ceil(ex["inherited"].sum(axis=2) - 1e-6))
    report(px["on_basis"] & (counted > limit), lambda i, k: f"cluster_limit {codes[i]} {years[k]}: {counted[i, k]} "
           f"on the pressure basis (less fixed counts), above {limit[i, k]:g}")
    report(px["over"][:, :, None] & (R > inherited), lambda i, k, h: f"pressure_no_rise {codes[i]} {years[k]}: stock "
           f"{R[i, k, h]} above the {inherited[i, k, h]:g} still there, while over the cap")
    start = np.round(ex["s0"].sum(axis=1)) + (px["c0"] if px["counts"] else 0)
    before = np.concatenate([start[:, None], counted[:, :-1]], axis=1)
    report(px["over"] & (counted > before), lambda i, k: f"pressure_no_rise {codes[i]} {years[k]}: {counted[i, k]} on "
           f"the pressure basis (less fixed counts) after {before[i, k]:g}, while over the cap")
    before = _first_at_most(px, before, np.ceil(px["protect"][:, 0] - 1e-6))
    report(px["no_rise"] & (counted > before), lambda i, k: f"protection {codes[i]} {years[k]}: {counted[i, k]} on "
           f"the pressure basis (less fixed counts) after {before[i, k]:g}, or above its level (no_rise)")
    most = np.where(np.isnan(px["protect"]), np.inf, np.ceil(px["protect"] - 1e-6))
    report(total > most, lambda i, k: f"protection {codes[i]} {years[k]}: stock {total[i, k]} above {most[i, k]:g}")
    return fails

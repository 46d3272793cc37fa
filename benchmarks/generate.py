"""Seeded generator of synthetic national scenarios in the v1 format.

``generate(folder, areas=9000, years=10, cohorts=3, seed=0)`` writes
``scenario.yaml`` and ``areas.csv`` into ``folder`` and returns the YAML path,
so every benchmark goes through the real loader :func:`allocator.load_scenario`.

The country is the same at every size (about 67 million residents, about
100,000 people in dispersal, 12 regions); only the granularity changes:

* population is log-normal: councils (up to 500 areas) from about 10k to
  1.2M, wards (more areas) scaled down to about 5k-20k at 9,000 areas and
  further at 35,000 (small areas);
* costs are £3k-£19k per place-year, log-normal around a regional level
  (the South and London dear, the North cheap), one factor per cohort;
* today's stock is concentrated in cheap areas (weight population × cheapness³),
  about a third of areas host nobody, about 2% inherit stock above the cluster
  limit (they may only decline);
* about 4% of areas are volunteered (open in a later year, stock 0) and 5% excluded;
* capacity is a little above stock, procurement a share of the cluster cap;
* demand (arrivals, contingency_start) is set so that contingency is used in the
  first years and emptied later: the LP has real trade-offs every year;
* a growth limit (absolute + 50%) and an l1 equity weight.

Run as a script to write one scenario::

    python benchmarks/generate.py out/bench-2000 --areas 2000 --years 10 --cohorts 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REGIONS = (  # name, cost level (£/place-year, median), share of areas
    ("North East", 4200, 0.05), ("North West", 4800, 0.12), ("Yorkshire and The Humber", 4600, 0.09),
    ("East Midlands", 5600, 0.08), ("West Midlands", 5400, 0.09), ("East of England", 8200, 0.10),
    ("London", 15500, 0.12), ("South East", 10500, 0.14), ("South West", 7800, 0.09),
    ("Wales", 5000, 0.05), ("Scotland", 5200, 0.05), ("Northern Ireland", 4700, 0.02),
)
COHORT_NAMES = ("singles", "families", "unaccompanied", "elderly", "disabled", "other")
COHORT_FACTOR = (1.0, 1.45, 1.8, 1.25, 1.6, 1.1)          # cost multiplier per cohort
COHORT_SHARE = (0.62, 0.30, 0.08, 0.05, 0.03, 0.02)       # renormalised for the number used
COUNTRY_POPULATION = 67_000_000
COUNTRY_STOCK = 100_000


def _population(rng: np.random.Generator, n: int) -> np.ndarray:
    if n <= 500:                                  # councils: ~10k .. 1.2M
        pop = rng.lognormal(np.log(150_000), 0.65, n)
        return np.clip(pop, 10_000, 1_200_000).round()
    median = COUNTRY_POPULATION / n * 0.95        # wards / small areas, e.g. ~7k at 9,000 areas
    pop = rng.lognormal(np.log(median), 0.35, n)
    return np.clip(pop, 0.6 * median, 2.8 * median).round()


def make_tables(areas: int, years: int, cohorts: int, seed: int = 0, first_year: int = 2026,
                contingency_ceiling: float | None = None, place: bool = False) -> tuple[dict, pd.DataFrame]:
    """The scenario settings (a dict for YAML) and the areas table, deterministic in ``seed``;
    with ``place``, the place-based features too (:func:`add_place`)."""
    if areas < 2 or years < 1 or not 1 <= cohorts <= len(COHORT_NAMES):
        raise ValueError(f"need areas >= 2, years >= 1, 1 <= cohorts <= {len(COHORT_NAMES)}")
    rng = np.random.default_rng(seed)
    n = areas
    region_idx = rng.choice(len(REGIONS), size=n, p=[r[2] for r in REGIONS])
    region = np.array([REGIONS[k][0] for k in region_idx])
    level = np.array([REGIONS[k][1] for k in region_idx], float)
    pop = _population(rng, n)
    base_cost = np.clip(level * rng.lognormal(0.0, 0.25, n), 3000, 19000)
    cap = np.floor(pop / 200)                                        # cluster cap, whole people

    status = np.full(n, "existing", dtype=object)
    u = rng.random(n)
    status[u < 0.05] = "excluded"
    status[(u >= 0.05) & (u < 0.09)] = "volunteered"
    vol = status == "volunteered"
    available = np.where(vol, first_year + rng.integers(1, max(2, years // 2 + 1), n), 0)

    # today's stock: concentrated in cheap areas, a third host nobody
    cheap = (3000.0 / base_cost) ** 3
    weight = pop * cheap * (rng.random(n) > 0.33) * ~vol
    total = np.zeros(n)
    if weight.sum() > 0:
        total = weight / weight.sum() * COUNTRY_STOCK
    total = np.minimum(total, 0.95 * cap)                           # most areas under the cap ...
    over = (~vol) & (rng.random(n) < 0.02) & (cap > 0)               # ... some inherited over it
    total[over] = np.ceil(cap[over] * rng.uniform(1.05, 1.6, over.sum()))
    total = np.floor(total)

    names = list(COHORT_NAMES[:cohorts])
    share = np.array(COHORT_SHARE[:cohorts]) / sum(COHORT_SHARE[:cohorts])
    table: dict[str, object] = {
        "area_code": [f"A{i:06d}" for i in range(n)],
        "area_name": [f"Area {i}" for i in range(n)],
        "region": region,
        "population": pop.astype(np.int64),
    }
    split = rng.dirichlet(share * 20, size=n) if cohorts > 1 else np.ones((n, 1))
    headroom = rng.uniform(0.0, 0.08, n)
    pace = np.maximum(1.0, np.round(cap * rng.uniform(0.01, 0.04, n)))
    for k, name in enumerate(names):
        sfx = f"_{name}" if cohorts > 1 else ""
        stock_k = np.floor(total * split[:, k])
        capacity_k = np.ceil(stock_k * (1 + headroom)) + (rng.random(n) < 0.3)
        pace_k = np.maximum(0.0, np.round(pace * (share[k] if cohorts > 1 else 1.0) * 1.5))
        cost_k = np.clip(base_cost * COHORT_FACTOR[k] * rng.lognormal(0.0, 0.05, n), 3000, 19000).round()
        table[f"stock{sfx}"] = stock_k.astype(np.int64)
        table[f"capacity{sfx}"] = capacity_k.astype(np.int64)
        table[f"procurement_per_year{sfx}"] = pace_k.astype(np.int64)
        table[f"cost_per_place{sfx}"] = cost_k.astype(np.int64)
    table["status"] = status
    table["available_from"] = [str(int(y)) if v else "" for y, v in zip(available, vol)]
    df = pd.DataFrame(table)

    stock_total = float(sum(df[c].sum() for c in df.columns if c.startswith("stock")))
    year_list = list(range(first_year, first_year + years))
    arrivals = {y: float(round(0.45 * stock_total * 1.02 ** k)) for k, y in enumerate(year_list)}
    growth_abs = float(max(2, round(100 * (COUNTRY_POPULATION / n) / 185_000)))
    config: dict = {
        "name": f"Synthetic {n} areas x {years} years x {cohorts} cohorts (seed {seed})",
        "description": "Generated by benchmarks/generate.py for the benchmarks.",
        "years": year_list,
        "areas": "areas.csv",
        "demand": {"arrivals": arrivals, "exit_rate": 0.35, "contingency_start": float(round(0.3 * stock_total))},
        "costs": {"contingency_per_person_year": 52925.0, "procurement_per_place": 0.0},
        "policy": {"cluster_limit": 200, "fair_share": "population",
                   "max_growth": {"absolute": growth_abs, "relative": 0.5}},
        "objective": {"cost_weight": 1.0, "contingency_weight": 1.0, "equity_weight": 1000.0,
                      "equity_measure": "l1"},
    }
    if cohorts > 1:
        exits = (0.35, 0.25, 0.30, 0.20, 0.30, 0.35)
        config["cohorts"] = [{"name": name, "arrivals_share": float(s), "exit_rate": exits[k]}
                             for k, (name, s) in enumerate(zip(names, share))]
        # shares must add up to 1 exactly after YAML round trip
        config["cohorts"][-1]["arrivals_share"] = float(1.0 - sum(c["arrivals_share"] for c in config["cohorts"][:-1]))
    if contingency_ceiling is not None:       # a share of contingency_start, in the last year (hard)
        start = config["demand"]["contingency_start"]
        config["policy"]["contingency_ceiling"] = {year_list[-1]: float(round(contingency_ceiling * start))}
    if place:
        add_place(config, df, np.random.default_rng(seed + 1))
    return config, df


def add_place(config: dict, df: pd.DataFrame, rng: np.random.Generator) -> None:
    """The place-based features of issue 13, in place: contingency by area, the supported basis,
    protection and progressive equity.

    * ``contingency``: ``contingency_start`` located in hotels in about 3% of the areas, drawn with
      weight population × cost (hotels are where accommodation is dear, as London's are); the
      scenario then leaves ``contingency_start`` to the column's total;
    * ``initial``: people in initial accommodation in about 1% of the areas (about 1.5% of the stock);
    * ``policy.pressure_basis: supported``; ``policy.protect`` at the rate on that basis that about
      5% of the areas are above at the start (``no_net_growth``);
    * ``objective.equity_measure: progressive`` with steps at 1, 1.25 and 1.5 × the fair share
      (weights 1, 3, 10).
    """
    n = len(df)
    pop = df["population"].to_numpy(float)
    dear = df[[c for c in df.columns if c.startswith("cost_per_place")]].to_numpy(float).mean(axis=1)
    stock = df[[c for c in df.columns if c.startswith("stock")]].to_numpy(float).sum(axis=1)
    can = (df["status"] == "existing").to_numpy()
    k = max(1, round(0.03 * n))
    w = pop * dear * can
    hotels = rng.choice(n, size=k, replace=False, p=w / w.sum())
    total = float(config["demand"].pop("contingency_start"))
    share = rng.dirichlet(np.ones(k))
    people = np.floor(share * total)
    people[: int(total - people.sum())] += 1                        # whole people adding up to the total
    contingency = np.zeros(n, np.int64)
    contingency[hotels] = people.astype(np.int64)
    df["contingency"] = contingency
    initial = np.zeros(n, np.int64)
    sites = rng.choice(n, size=max(1, round(0.01 * n)), replace=False)
    initial[sites] = np.floor(rng.dirichlet(np.ones(sites.size)) * 0.015 * stock.sum()).astype(np.int64)
    df["initial"] = initial
    rate = (stock + contingency + initial) / pop * 1e4
    config["policy"]["pressure_basis"] = "supported"
    config["policy"]["protect"] = {"above_per_10k": float(np.round(np.quantile(rate, 0.95), 1)),
                                   "rule": "no_net_growth"}
    config["objective"]["equity_measure"] = "progressive"
    config["objective"]["equity_steps"] = [{"from": 1.0, "weight": 1.0}, {"from": 1.25, "weight": 3.0},
                                           {"from": 1.5, "weight": 10.0}]


def generate(folder: str | Path, areas: int, years: int = 10, cohorts: int = 3, seed: int = 0,
             **kwargs) -> Path:
    """Write ``scenario.yaml`` and ``areas.csv`` into ``folder``; return the YAML's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config, df = make_tables(areas, years, cohorts, seed, **kwargs)
    df.to_csv(folder / "areas.csv", index=False, lineterminator="\n")
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder")
    p.add_argument("--areas", type=int, default=2000)
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--cohorts", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--place", action="store_true", help="with the place-based features (add_place)")
    a = p.parse_args()
    print(generate(a.folder, a.areas, a.years, a.cohorts, a.seed, place=a.place))


if __name__ == "__main__":
    main()

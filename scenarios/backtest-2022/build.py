#!/usr/bin/env python3
"""Build the back-test scenario ``scenarios/backtest-2022/`` from ``raw/``.

Usage::

    python scenarios/backtest-2022/build.py            # (re)write the areas tables and scenario files
    python scenarios/backtest-2022/build.py --check    # rebuild into a temp dir; exit 1 if a committed file differs

The model is run on history: from each council's position at 31 December 2022 (Home Office Asy_D11,
the first quarter of the consistent series) through the realised national totals of 2023, 2024
and 2025, in a descriptive setting, and its council numbers at 31 December 2025 are compared with
the published Reg_02 table (``allocator backtest``; docs/backtest.md). The script reads only files
under ``raw/`` (their SHA-256 are checked first) and writes byte-for-byte reproducible outputs.
Every assumption is a named constant below, described in ``SOURCES.md``. Dependencies: the
standard library, numpy and pandas.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from allocator.rounding import round_keeping_total

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"

RAW_D11 = "ho_asy_d11_la_support_2014q1_2024q3_long.csv"
RAW_REG02 = "ho_reg02_la_immigration_groups_2025-12-31.csv"
RAW_UK = "ho_uk_supported_asylum_stock_quarterly_2014q1_2025q4.csv"
RAW_MYE4 = "ons_mye4_population_mid2011_to_mid2024_uk.csv"
RAW_PIPR = "ons_pipr_avg_monthly_private_rent_by_la_2026-07.csv"
RAW_LOOKUP = "lad_lookup_uk_361_region_nation.csv"
RAW_SHA256 = {
    RAW_D11: "55415b29a728150e2c0c816f36511bfe07b31fcbd6f11feae6b994d6062b83c8",
    RAW_REG02: "f77661bb7579811c1e9be9219cb832bd1c572d5c1914dc5a4afea02bed3a7cdf",
    RAW_UK: "9c1a1b696f254246a96360a413b91e2469085a6b93474df07c65755964c6404b",
    RAW_MYE4: "7858e91f2aee176302b35761cf118509c5a2e5d9142f3a01e9bdbfdedf260a33",
    RAW_PIPR: "9c5c7da599f7bd9ae12bf263e88d4e09867768f4a2be02433e95bce4f02dd750",
    RAW_LOOKUP: "75d354d53e4d32b7ba8e70305d95efac8c2bdec4495e8b5513e23456c5dbf852",
}

# ---------------------------------------------------------------------------------------------
# Parameters (assumptions). All documented in SOURCES.md; adjust here and rebuild.
# ---------------------------------------------------------------------------------------------
START = "2022-12-31"          # the first quarter of the consistent Asy_D11 series (hotels split out)
YEARS = (2023, 2024, 2025)
YEAR_ENDS = {2023: "2023-12-31", 2024: "2024-12-31", 2025: "2025-12-31"}
D11_LAST = "2024-09-30"       # the last quarter of the Asy_D11 file
EXIT_RATE = 0.35              # the first national scenario's rate (uk-2025 now uses 0.5): mean time in support ~2.9 years
EXIT_RATE_VARIANT = 0.5       # the exit-rate variant (issue 14's calibration proposes 0.5)
POPULATION_YEAR = "Mid-2022"  # ONS MYE4: the population at the start
CLUSTER_LIMIT = 200
MONTHS = 12                   # cost_per_place = a year of the council's average private rent (only ratios matter)
# Rent figure for councils PIPR does not give (England: the region's; Scotland and NI: the country's).
RENT_FALLBACK = {"E09000001": "E12000007", "E06000053": "E12000009", "S": "S92000003", "N": "N92000002"}

# Councils whose codes changed between 31 Dec 2022 and today (ONS: the 2023 reorganisations of Cumbria,
# North Yorkshire and Somerset; the 2024 recoding of Barnsley and Sheffield).
FORMER_CODES = {
    "E07000026": "E06000063", "E07000028": "E06000063", "E07000029": "E06000063",   # Cumberland
    "E07000027": "E06000064", "E07000030": "E06000064", "E07000031": "E06000064",   # Westmorland and Furness
    "E07000163": "E06000065", "E07000164": "E06000065", "E07000165": "E06000065",   # North Yorkshire
    "E07000166": "E06000065", "E07000167": "E06000065", "E07000168": "E06000065", "E07000169": "E06000065",
    "E07000187": "E06000066", "E07000188": "E06000066", "E07000189": "E06000066",   # Somerset
    "E07000246": "E06000066",
    "E08000016": "E08000038",   # Barnsley
    "E08000019": "E08000039",   # Sheffield
}
NO_COUNCIL = "N/A"
NO_GEOGRAPHY = "N/A - Subsistence Only (Dec 2023 - Sep 2024)"   # subsistence-only rows with no council
DISPERSAL = "Dispersal Accommodation"
CONTINGENCY = ("Contingency Accommodation - Hotel", "Contingency Accommodation - Other")
OUT_OF_SCOPE = ("Initial Accommodation", "Other Accommodation", "Subsistence Only", "Subsistence only")
LA_GEOGRAPHIES = {"Non-metropolitan District", "Unitary Authority", "Metropolitan District", "London Borough",
                  "Council area", "Local Government District"}

VARIANTS = {   # file -> (title, pace split, exit rate)
    "scenario.yaml": ("Back-test from 31 Dec 2022: procurement where dispersal was", "stock", EXIT_RATE),
    "pace-by-population.yaml": ("Back-test from 31 Dec 2022: procurement by population", "population", EXIT_RATE),
    "exit-rate-0.5.yaml": ("Back-test from 31 Dec 2022: exit rate 0.5", "stock", EXIT_RATE_VARIANT),
}
AREAS_FILES = {"stock": "areas.csv", "population": "areas-pace-by-population.csv"}


class BuildError(RuntimeError):
    """Raised when a raw file does not have the expected shape or content."""


def check_raw(raw: Path = RAW) -> None:
    for name, digest in RAW_SHA256.items():
        path = raw / name
        if not path.is_file():
            raise BuildError(f"missing raw file {path}")
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        if got != digest:
            raise BuildError(f"raw file {name} changed: sha256 {got}, expected {digest}")


# ---------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class History:
    start: pd.Series            # dispersal people by council at START (today's codes)
    unplaced: int               # dispersal people with no council at START
    contingency0: int           # hotels + other contingency at START (every row)
    quarterly: pd.Series        # national dispersal by quarter end, START to D11_LAST
    need: dict                  # year -> dispersal + contingency at the year end (the model's need)
    contingency: dict           # year -> contingency at the year end (the ceiling)
    pace: int                   # best four-quarter net growth of national dispersal, START to D11_LAST
    pace_window: tuple[str, str]


def history(raw: Path, councils: pd.Index) -> History:
    d = pd.read_csv(raw / RAW_D11, keep_default_na=False, dtype={"LAD Code": str, "Date": str})
    d = d[d["Date"] >= START]
    codes = d["LAD Code"].replace(FORMER_CODES).replace(NO_GEOGRAPHY, NO_COUNCIL)
    unknown = sorted(set(codes) - set(councils) - {NO_COUNCIL})
    if unknown:
        raise BuildError(f"Asy_D11 codes not mapped to today's councils: {unknown}")
    d = d.assign(area_code=codes)
    by = d.pivot_table(index="Date", columns="Accommodation Type", values="People", aggfunc="sum", fill_value=0)
    at0 = d[(d["Date"] == START) & (d["Accommodation Type"] == DISPERSAL)]
    start = at0[at0["area_code"] != NO_COUNCIL].groupby("area_code")["People"].sum().reindex(councils, fill_value=0)
    quarterly = by[DISPERSAL].astype("int64")
    windows = quarterly.diff(4).dropna()
    best = windows.idxmax()
    best_from = quarterly.index[quarterly.index.get_loc(best) - 4]
    uk = pd.read_csv(raw / RAW_UK, dtype={"period_end": str}).set_index("period_end")
    reg = pd.read_csv(raw / RAW_REG02)
    # 2023: Asy_D11 itself. 2024: Asy_D09's total and hotels at 31 Dec 2024, with the people outside the
    # model (initial, other, subsistence only) and other contingency as at 30 Sep 2024 (Asy_D11's last quarter).
    # 2025: Reg_02.
    cont = {2023: int(by.loc[YEAR_ENDS[2023], list(CONTINGENCY)].sum())}
    need = {2023: int(by.loc[YEAR_ENDS[2023], DISPERSAL]) + cont[2023]}
    out_2024 = int(by.loc[D11_LAST, [c for c in OUT_OF_SCOPE if c in by.columns]].sum())
    cont[2024] = int(uk.loc[YEAR_ENDS[2024], "contingency_hotel_uk"]) + int(by.loc[D11_LAST, CONTINGENCY[1]])
    need[2024] = int(uk.loc[YEAR_ENDS[2024], "supported_asylum_total_uk"]) - out_2024
    cont[2025] = int(reg["contingencyAccommodation"].sum())
    need[2025] = int(reg["dispersalAccommodation"].sum()) + cont[2025]
    return History(start=start.astype("int64"), unplaced=int(at0.loc[at0["area_code"] == NO_COUNCIL, "People"].sum()),
                   contingency0=int(by.loc[START, list(CONTINGENCY)].sum()), quarterly=quarterly, need=need,
                   contingency=cont, pace=int(windows.max()), pace_window=(best_from, best))


# ---------------------------------------------------------------------------------------------
# Areas
# ---------------------------------------------------------------------------------------------
def councils(raw: Path) -> pd.DataFrame:
    lookup = pd.read_csv(raw / RAW_LOOKUP, dtype=str)
    if len(lookup) != 361:
        raise BuildError("the lookup must have 361 councils")
    mye = pd.read_csv(raw / RAW_MYE4, dtype={"Code": str})
    las = mye[mye["Geography"].isin(LA_GEOGRAPHIES)].set_index("Code")[POPULATION_YEAR]
    pop = las.rename(index=dict(zip(lookup["lad_code_mye"], lookup["lad_code"], strict=True)))
    if len(las) != 361 or set(pop.index) != set(lookup["lad_code"]):
        raise BuildError("MYE4 councils do not match the lookup's 361")
    pipr = pd.read_csv(raw / RAW_PIPR, dtype={"area_code": str})
    rent = dict(zip(pipr["area_code"], pipr["monthly_rent_gbp"].astype(float), strict=True))
    local = set(pipr.loc[pipr["area_level"] == "local_authority", "area_code"])

    def rent_of(code: str) -> float:
        if code in local:
            return rent[code]
        return rent[RENT_FALLBACK.get(code, RENT_FALLBACK.get(code[0], ""))]

    out = pd.DataFrame({"area_code": lookup["lad_code"], "area_name": lookup["name"], "region": lookup["region"]})
    out["population"] = out["area_code"].map(pop).astype("int64")
    out["cost_per_place"] = [int(round(MONTHS * rent_of(c))) for c in out["area_code"]]
    return out.sort_values("area_code").reset_index(drop=True)


def areas_table(base: pd.DataFrame, hist: History, split: str) -> pd.DataFrame:
    out = base.copy()
    stock = hist.start.reindex(out["area_code"]).to_numpy()
    out["stock"] = stock
    out["capacity"] = stock                     # no spare bed spaces known: today's places are those in use
    weights = (stock if split == "stock" else out["population"].to_numpy()).astype(float)
    # largest remainder, ties to the first code (the table is in code order): the engine's own rounding
    out["procurement_per_year"] = round_keeping_total(weights / weights.sum() * hist.pace, total=hist.pace)
    out["status"] = "existing"
    return out[["area_code", "area_name", "region", "population", "stock", "capacity", "procurement_per_year",
                "cost_per_place", "status"]]


def arrivals(hist: History, exit_rate: float, need0: int) -> dict[int, float]:
    """Arrivals that put the model's need on the realised year-end totals: a_t = N_t - (1 - e) N_{t-1}."""
    out, prev = {}, need0
    for year in YEARS:
        out[year] = round(hist.need[year] - (1 - exit_rate) * prev, 2)
        prev = hist.need[year]
    return out


def _number(value: float) -> str:
    """A number as YAML, to the cent, without trailing zeros (36889.95, 52438.5, 47778)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def scenario_yaml(title: str, areas_file: str, hist: History, exit_rate: float, need0: int) -> str:
    arr = arrivals(hist, exit_rate, need0)
    ceiling = ", ".join(f"{y}: {hist.contingency[y]}" for y in YEARS)
    return f"""# Generated by build.py from raw/ (see SOURCES.md); do not edit by hand.
name: "{title}"
description: >-
  The model run on history: each council's dispersal at 31 Dec 2022 (Home Office Asy_D11), the
  realised national totals of 2023-2025, costs alone deciding where people go (no equity term),
  procurement pace from the best year on record. Compare the end of 2025 with Reg_02:
  allocator backtest (docs/backtest.md).
years: [{", ".join(map(str, YEARS))}]
areas: {areas_file}
demand:
  arrivals: {{{", ".join(f"{y}: {_number(v)}" for y, v in arr.items())}}}
  exit_rate: {exit_rate:g}
  contingency_start: {hist.contingency0}
costs:
  contingency_per_person_year: 0      # not in the objective (contingency_weight 0): the ceilings fix it
  procurement_per_place: 0
policy:
  cluster_limit: {CLUSTER_LIMIT}
  contingency_ceiling: {{{ceiling}}}   # realised contingency at each year end
objective:
  cost_weight: 1
  contingency_weight: 0
  equity_weight: 0
"""


def build(out: Path, raw: Path = RAW, verbose: bool = True) -> dict[str, object]:
    check_raw(raw)
    base = councils(raw)
    hist = history(raw, pd.Index(base["area_code"]))
    need0 = int(hist.start.sum()) + hist.contingency0
    out.mkdir(parents=True, exist_ok=True)
    for split, name in AREAS_FILES.items():
        areas_table(base, hist, split).to_csv(out / name, index=False, lineterminator="\n")
    for file, (title, split, rate) in VARIANTS.items():
        (out / file).write_text(scenario_yaml(title, AREAS_FILES[split], hist, rate, need0), encoding="utf-8")
    facts = {"need0": need0, "start_dispersal": int(hist.start.sum()), "unplaced": hist.unplaced,
             "contingency0": hist.contingency0, "need": hist.need, "contingency": hist.contingency,
             "pace": hist.pace, "pace_window": hist.pace_window,
             "councils_hosting": int((hist.start > 0).sum()),
             "arrivals": {rate: arrivals(hist, rate, need0) for rate in (EXIT_RATE, EXIT_RATE_VARIANT)}}
    if verbose:
        print_calibration(hist, facts)
    return facts


def print_calibration(hist: History, facts: dict) -> None:
    print(f"Start, {START}: {facts['start_dispersal']:,} in dispersal in {facts['councils_hosting']} councils "
          f"(+{hist.unplaced} with no council, left out), {hist.contingency0:,} in contingency; need {facts['need0']:,}")
    print("National dispersal by quarter (Asy_D11): " + ", ".join(f"{k} {v:,}" for k, v in hist.quarterly.items()))
    print(f"Procurement pace: best four-quarter net growth {hist.pace:,} ({hist.pace_window[0]} to {hist.pace_window[1]})")
    print("year  need     contingency  dispersal  " + "  ".join(f"arrivals e={e:g}" for e in facts["arrivals"]))
    for y in YEARS:
        print(f"{y}  {hist.need[y]:>7,}  {hist.contingency[y]:>11,}  {hist.need[y] - hist.contingency[y]:>9,}  "
              + "  ".join(f"{facts['arrivals'][e][y]:>14,.2f}" for e in facts["arrivals"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="rebuild into a temporary folder and compare")
    args = parser.parse_args(argv)
    files = [*AREAS_FILES.values(), *VARIANTS]
    if not args.check:
        build(HERE)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp), verbose=False)
        changed = [f for f in files if (Path(tmp) / f).read_bytes() != (HERE / f).read_bytes()]
    for f in changed:
        print(f"{f} would change: run build.py and commit it", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())

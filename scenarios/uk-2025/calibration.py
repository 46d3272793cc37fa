"""Calibration of the UK national scenario from ``raw/``: the historical dispersal trend and its
split by council, the other programmes by council, demand through 31 March 2026, unit costs.

Loaded by ``build.py`` (by path; it is not a package). Every figure is a named constant below or
computed from the raw files, and every constant is described, with its source, in ``SOURCES.md``
(section 8 onward) and ``CALIBRATION.md``. Dependencies: numpy and pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------------------------
# Codes. Asy_D11 and Res_D01 use the LAD code valid in each quarter. Councils merged or recoded
# since 2019 map to today's code (checked against mySociety's register of UK local authorities,
# column `replaced-by`; ONS recode of Barnsley and Sheffield). Rows with no council are `N/A`
# (Asy_D11) or `Unknown` (Res_D01).
# ---------------------------------------------------------------------------------------------
FORMER_CODES = {
    "E07000004": "E06000060", "E07000005": "E06000060", "E07000006": "E06000060",  # Buckinghamshire (2020)
    "E07000007": "E06000060",
    "E07000150": "E06000061", "E07000152": "E06000061", "E07000153": "E06000061",  # North Northamptonshire (2021)
    "E07000156": "E06000061",
    "E07000151": "E06000062", "E07000154": "E06000062", "E07000155": "E06000062",  # West Northamptonshire (2021)
    "E07000026": "E06000063", "E07000028": "E06000063", "E07000029": "E06000063",  # Cumberland (2023)
    "E07000027": "E06000064", "E07000030": "E06000064", "E07000031": "E06000064",  # Westmorland and Furness (2023)
    "E07000163": "E06000065", "E07000164": "E06000065", "E07000165": "E06000065",  # North Yorkshire (2023)
    "E07000166": "E06000065", "E07000167": "E06000065", "E07000168": "E06000065",
    "E07000169": "E06000065",
    "E07000187": "E06000066", "E07000188": "E06000066", "E07000189": "E06000066",  # Somerset (2023)
    "E07000246": "E06000066",
    "E08000016": "E08000038",  # Barnsley (ONS recode)
    "E08000019": "E08000039",  # Sheffield (ONS recode)
}
NO_COUNCIL = {"N/A", "Unknown"}

# ---------------------------------------------------------------------------------------------
# The consistent dispersal series (Asy_D11 from 31 Dec 2022, when contingency hotels were first
# split out; before that, section 95 hotel residents were counted in dispersal) and Reg_02.
# ---------------------------------------------------------------------------------------------
DISPERSAL_TYPE = "Dispersal Accommodation"
TREND_START = "2022-12-31"   # first quarter of the consistent series (Asy_D11, release Sep 2024)
TREND_END = "2025-12-31"     # Reg_02 (year ending Dec 2025)
TREND_YEARS = 3              # 31 Dec 2022 -> 31 Dec 2025

# The ambitious alternative: a national pace split by each council's shortfall below its
# population share of the national total on the supported basis (see `ambitious_weights`).
AMBITIOUS_PROCUREMENT_PER_YEAR = 10000

# Other programmes: UK resettlement arrivals (Res_D01, not Afghan schemes) in the five years to
# the last quarter of the file, 1 Oct 2019 - 30 Sep 2024 (20 quarters).
UK_RESETTLEMENT_SCHEMES = (
    "Vulnerable Persons Resettlement Scheme",
    "Vulnerable Children Resettlement Scheme",
    "UK Resettlement Scheme",
    "UK Resettlement Scheme - Community Sponsorship Scheme",
    "Mandate Scheme",
)
RESETTLED_FIRST_QUARTER = "2019-12-31"
RESETTLED_LAST_QUARTER = "2024-09-30"

# ---------------------------------------------------------------------------------------------
# Demand through 31 March 2026. Published figures not in raw/ (Home Office Asy_D09, release
# year ending March 2026, file asylum-seekers-receipt-support-datasets-mar-2026.xlsx; read via
# migrantdata.uk, not at source; see SOURCES.md).
# ---------------------------------------------------------------------------------------------
SUPPORTED_2026_03_31 = 97519
HOTELS_2026_03_31 = 20885
QUARTER = 0.25               # 31 March is a quarter of a year after 31 December
EXIT_RATE_CENTRAL = 0.5      # proposed for phase 2 (mean time counted in the stock ~ 2 years)
EXIT_RATE_GRID = (0.35, 0.5, 0.65)
CASELOAD_TREND_FROM = "2022-12-31"   # 2027-2029: compound change of Asy_D09 supported asylum,
CASELOAD_TREND_TO = "2025-12-31"     # 31 Dec 2022 -> 31 Dec 2025 (the recent plateau)
ARRIVALS_ROUNDING = 100

# ---------------------------------------------------------------------------------------------
# Unit costs (proposed for phase 2). Sources in SOURCES.md section 11.
# ---------------------------------------------------------------------------------------------
DAYS_PER_YEAR = 365
HOTEL_COST_PER_NIGHT_MAR2025 = 118.87   # £ per person per night in hotels, March 2025 (BBC Verify, HO FOI data)
NAO_HOTEL_SHARE_OF_PEOPLE = 0.35        # NAO (May 2025): hotels held 35% of people in asylum accommodation ...
NAO_HOTEL_SHARE_OF_COST = 0.76          # ... and 76% of the annual contract cost, 2024-25
NAO_CONTRACT_COST_2024_25 = 1.7e9       # £, estimated annual cost of the contracts in 2024-25 (NAO)
HO_ACCOUNTS_HOTEL_SPEND_2024_25 = 2.1e9  # £ spent on hotel accommodation Apr 2024 - Mar 2025 (HO annual accounts)
FY_2024_25_QUARTER_ENDS = ("2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31", "2025-03-31")
LEGACY_HOTEL_PER_NIGHT = 145.0          # v1 figures (NAO 2023, as reported), for comparison
LEGACY_DISPERSAL_PER_NIGHT = 14.41


class CalibrationError(RuntimeError):
    """Raised when a raw series does not have the expected shape."""


def largest_remainder(total: int, weights: pd.Series) -> pd.Series:
    """Integer split of ``total`` proportional to ``weights`` (ties broken by index order)."""
    quota = weights / weights.sum() * total
    base = np.floor(quota).astype("int64")
    remainder = (quota - base).round(12)
    short = total - int(base.sum())
    order = sorted(weights.index, key=lambda k: (-remainder[k], k))
    base.loc[order[:short]] += 1
    return base


def current_code(codes: pd.Series, known: set[str]) -> pd.Series:
    """Map the codes of a quarter to today's codes; fail on a code that is neither."""
    mapped = codes.replace(FORMER_CODES)
    bad = sorted(set(mapped) - known - NO_COUNCIL)
    if bad:
        raise CalibrationError(f"codes not in today's 361 councils and not mapped: {bad}")
    return mapped


# ---------------------------------------------------------------------------------------------
# Trend
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    national: pd.Series       # dispersal people by quarter end (Asy_D11 from TREND_START, then Reg_02)
    start_total: int
    end_total: int
    pace_exact: float
    pace: int                 # whole places a year
    windows: pd.DataFrame     # every four-quarter change inside Asy_D11
    growth: pd.Series         # net change by council, TREND_START -> TREND_END
    unplaced_start: int       # people in dispersal with no council at TREND_START


def dispersal_by_council(path: Path, known: set[str]) -> pd.DataFrame:
    """Dispersal people by quarter end (rows) and today's council code (columns), consistent series."""
    d = pd.read_csv(path, keep_default_na=False, dtype={"LAD Code": str, "Date": str})
    d = d[(d["Date"] >= TREND_START) & (d["Accommodation Type"] == DISPERSAL_TYPE)]
    if d.empty:
        raise CalibrationError(f"no dispersal rows from {TREND_START} in {path.name}")
    d = d.assign(area_code=current_code(d["LAD Code"], known))
    return d.pivot_table(index="Date", columns="area_code", values="People", aggfunc="sum", fill_value=0)


def trend(path: Path, dispersal_end: pd.Series) -> Trend:
    """Net growth of dispersal accommodation from TREND_START (Asy_D11) to TREND_END (Reg_02)."""
    table = dispersal_by_council(path, set(dispersal_end.index))
    national = table.sum(axis=1).astype("int64")
    national.loc[TREND_END] = int(dispersal_end.sum())
    quarters = table.index.tolist()
    windows = pd.DataFrame({
        "from": quarters[:-4], "to": quarters[4:],
        "start": national.loc[quarters[:-4]].to_numpy(), "end": national.loc[quarters[4:]].to_numpy(),
    })
    windows["change"] = windows["end"] - windows["start"]
    start_row = table.loc[TREND_START]
    unplaced = int(start_row[[c for c in start_row.index if c in NO_COUNCIL]].sum())
    start_by_council = start_row.drop([c for c in start_row.index if c in NO_COUNCIL])
    growth = dispersal_end.sub(start_by_council.reindex(dispersal_end.index, fill_value=0)).astype("int64")
    start_total, end_total = int(national.loc[TREND_START]), int(national.loc[TREND_END])
    pace_exact = (end_total - start_total) / TREND_YEARS
    return Trend(national=national, start_total=start_total, end_total=end_total, pace_exact=pace_exact,
                 pace=int(round(pace_exact)), windows=windows, growth=growth, unplaced_start=unplaced)


def trend_split(tr: Trend) -> pd.Series:
    """The trend pace split by each council's share of historical net growth (growing councils only)."""
    return largest_remainder(tr.pace, tr.growth.clip(lower=0).astype(float))


def ambitious_weights(basis: pd.Series, population: pd.Series) -> pd.Series:
    """Shortfall below the population share of the national total on the supported basis (>= 0)."""
    fair = population / population.sum() * basis.sum()
    return (fair - basis).clip(lower=0)


def resettled_5y(path: Path, known: set[str]) -> tuple[pd.Series, int]:
    """UK resettlement arrivals (not Afghan schemes) by council in the five years to Sep 2024.

    Returns the counts by today's code and the number of arrivals with no council."""
    r = pd.read_csv(path, keep_default_na=False, dtype={"LAD Code": str, "Date": str})
    if not set(UK_RESETTLEMENT_SCHEMES) <= set(r["Resettlement Scheme"]):
        raise CalibrationError(f"{path.name}: a UK resettlement scheme is missing")
    if r["Date"].max() != RESETTLED_LAST_QUARTER:
        raise CalibrationError(f"{path.name}: last quarter {r['Date'].max()}, expected {RESETTLED_LAST_QUARTER}")
    r = r[r["Resettlement Scheme"].isin(UK_RESETTLEMENT_SCHEMES)
          & (r["Date"] >= RESETTLED_FIRST_QUARTER) & (r["Date"] <= RESETTLED_LAST_QUARTER)]
    r = r.assign(area_code=current_code(r["LAD Code"], known))
    unplaced = int(r.loc[r["area_code"].isin(NO_COUNCIL), "Persons"].sum())
    placed = r[~r["area_code"].isin(NO_COUNCIL)].groupby("area_code")["Persons"].sum()
    return placed.astype("int64"), unplaced


# ---------------------------------------------------------------------------------------------
# Demand
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandInputs:
    need0: int                 # dispersal + contingency at 31 Dec 2025 (the model's need)
    out_of_scope: int          # initial + other accommodation + subsistence only, 31 Dec 2025
    other_contingency: int     # contingency that is not a hotel, 31 Dec 2025
    need_march: int            # the model's need at 31 Mar 2026 (out_of_scope held)
    contingency_march: int     # hotels at 31 Mar 2026 + other contingency held
    caseload_trend: float      # compound yearly change for 2027-2029


def demand_inputs(uk_stock: pd.DataFrame, reg: pd.DataFrame) -> DemandInputs:
    """The figures the calibration compares with, from Reg_02, Asy_D09 and the 31 March constants."""
    need0 = int(reg["dispersalAccommodation"].sum() + reg["contingencyAccommodation"].sum())
    supported = int(reg["supportedAsylum"].sum())
    total = uk_stock["supported_asylum_total_uk"]
    if int(total.loc[TREND_END]) != supported:
        raise CalibrationError("Reg_02 supported asylum differs from Asy_D09 at 31 Dec 2025")
    other_cont = int(reg["contingencyAccommodation"].sum()) - int(uk_stock.loc[TREND_END, "contingency_hotel_uk"])
    out = supported - need0
    rate = (float(total.loc[CASELOAD_TREND_TO]) / float(total.loc[CASELOAD_TREND_FROM])) ** (
        1.0 / (int(CASELOAD_TREND_TO[:4]) - int(CASELOAD_TREND_FROM[:4]))) - 1.0
    return DemandInputs(need0=need0, out_of_scope=out, other_contingency=other_cont,
                        need_march=SUPPORTED_2026_03_31 - out,
                        contingency_march=HOTELS_2026_03_31 + other_cont, caseload_trend=rate)


def quarterly_factors(exit_rate: float) -> tuple[float, float]:
    """s = (1 - e)^(1/4), the share of a quarter's starting stock still supported at its end, and
    k = 1 + s + s^2 + s^3, so that four equal quarters of arrivals a/k give the yearly recursion."""
    s = (1.0 - exit_rate) ** QUARTER
    return s, 1.0 + s + s * s + s ** 3


def need_2026(d: DemandInputs, exit_rate: float, convention: str) -> tuple[float, float]:
    """(arrivals in 2026, need at 31 Dec 2026) such that the 2026 path passes through 31 March.

    ``linear``: need at 31 March is the straight line between the year ends (as `occupancy: average`
    reads a year). ``quarterly``: the year is four equal quarters (exit rate s per quarter, arrivals
    a/k per quarter), which compound exactly to the model's yearly recursion. ``one-off``: the fall
    to 31 March is a level shift, after which need follows the caseload trend."""
    if convention == "linear":
        end = d.need0 + (d.need_march - d.need0) / QUARTER
    elif convention == "quarterly":
        s, k = quarterly_factors(exit_rate)
        arrivals = k * (d.need_march - s * d.need0)
        return arrivals, (1.0 - exit_rate) * d.need0 + arrivals
    elif convention == "one-off":
        end = d.need_march * (1.0 + d.caseload_trend) ** (1.0 - QUARTER)
    else:
        raise ValueError(convention)
    return end - (1.0 - exit_rate) * d.need0, end


def arrivals_path(d: DemandInputs, exit_rate: float, convention: str, years: tuple[int, ...]) -> dict[int, int]:
    """Whole arrivals per year (rounded to ARRIVALS_ROUNDING): 2026 through 31 March by the
    convention, later years so that need follows the caseload trend."""
    first, need = need_2026(d, exit_rate, convention)
    if first < 0:
        raise CalibrationError(f"exit rate {exit_rate} with the {convention} convention needs negative arrivals")
    out = {years[0]: first}
    for year in years[1:]:
        target = need * (1.0 + d.caseload_trend)
        out[year] = target - (1.0 - exit_rate) * need
        need = target
    return {y: int(round(v / ARRIVALS_ROUNDING) * ARRIVALS_ROUNDING) for y, v in out.items()}


def calibration_table(d: DemandInputs) -> pd.DataFrame:
    """One row per exit rate and convention: arrivals 2026, need at 31 Dec 2026, need at 31 March
    read back through the linear convention, and the long-run need if 2026 arrivals continued."""
    rows = []
    for e in EXIT_RATE_GRID:
        for conv in ("linear", "quarterly", "one-off"):
            arrivals, end = need_2026(d, e, conv)
            rows.append({"exit_rate": e, "convention": conv, "arrivals_2026": arrivals, "need_2026": end,
                         "march_linear": d.need0 + QUARTER * (end - d.need0),
                         "long_run": arrivals / e if arrivals > 0 else 0.0})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Unit costs
# ---------------------------------------------------------------------------------------------
def nao_ratio() -> float:
    """Cost per person in hotels / cost per person elsewhere, from the NAO shares."""
    hotel = NAO_HOTEL_SHARE_OF_COST / NAO_HOTEL_SHARE_OF_PEOPLE
    other = (1 - NAO_HOTEL_SHARE_OF_COST) / (1 - NAO_HOTEL_SHARE_OF_PEOPLE)
    return hotel / other


def mean_hotel_population_2024_25(uk_stock: pd.DataFrame) -> float:
    """Mean people in hotels over 2024-25 (trapezoid over the five quarter ends, Asy_D09)."""
    v = uk_stock.loc[list(FY_2024_25_QUARTER_ENDS), "contingency_hotel_uk"].astype(float).to_numpy()
    return float((v[0] / 2 + v[1:-1].sum() + v[-1] / 2) / (len(v) - 1))


@dataclass(frozen=True)
class UnitCost:
    name: str
    hotel_per_night: float
    dispersal_per_night: float
    basis: str

    @property
    def contingency_per_year(self) -> int:
        return int(round(self.hotel_per_night * DAYS_PER_YEAR))

    @property
    def ratio(self) -> float:
        return self.hotel_per_night / self.dispersal_per_night


def unit_costs(uk_stock: pd.DataFrame) -> list[UnitCost]:
    """Central, low and high unit costs at the NAO ratio, and the v1 (legacy) pair."""
    ratio = nao_ratio()
    hotel_people = mean_hotel_population_2024_25(uk_stock)
    low = NAO_CONTRACT_COST_2024_25 * NAO_HOTEL_SHARE_OF_COST / hotel_people / DAYS_PER_YEAR
    high = HO_ACCOUNTS_HOTEL_SPEND_2024_25 / hotel_people / DAYS_PER_YEAR
    return [
        UnitCost("central", HOTEL_COST_PER_NIGHT_MAR2025, HOTEL_COST_PER_NIGHT_MAR2025 / ratio,
                 "hotel: BBC Verify (HO FOI), Mar 2025; dispersal: hotel / NAO ratio"),
        UnitCost("low", low, low / ratio,
                 "NAO contract cost 2024-25 x 76% over mean hotel population 2024-25; dispersal at NAO ratio"),
        UnitCost("high", high, high / ratio,
                 "HO accounts hotel spend 2024-25 over mean hotel population 2024-25; dispersal at NAO ratio"),
        UnitCost("legacy (v1)", LEGACY_HOTEL_PER_NIGHT, LEGACY_DISPERSAL_PER_NIGHT, "NAO 2023 as reported"),
    ]


# ---------------------------------------------------------------------------------------------
# Printed tables (build.py prints them; SOURCES.md and CALIBRATION.md quote them)
# ---------------------------------------------------------------------------------------------
def trend_lines(tr: Trend, split: pd.Series, names: pd.Series, top: int = 15) -> list[str]:
    lines = ["dispersal accommodation, UK, consistent series (Asy_D11 Sep 2024 release; Reg_02 at 31 Dec 2025):"]
    lines += [f"  {date}  {int(v):7,}" for date, v in tr.national.items()]
    lines.append("  four-quarter changes inside Asy_D11:")
    lines += [f"    {w['from']} -> {w['to']}: {int(w['change']):+7,}" for _, w in tr.windows.iterrows()]
    best = tr.windows.loc[tr.windows["change"].idxmax()]
    last_asy = tr.windows["to"].iloc[-1]
    tail = tr.end_total - int(tr.national.loc[last_asy])
    lines += [
        f"  best twelve months: {int(best['change']):+,} ({best['from']} -> {best['to']})",
        f"  {last_asy} -> {TREND_END} (15 months): {tail:+,} = {tail / 1.25:+,.0f} a year",
        f"  net growth {TREND_START} -> {TREND_END}: {tr.end_total:,} - {tr.start_total:,} = "
        f"{tr.end_total - tr.start_total:+,} over {TREND_YEARS} years = {tr.pace_exact:,.2f} a year "
        f"-> trend pace {tr.pace:,} places a year",
        f"  ({tr.unplaced_start} people in dispersal with no council at {TREND_START} count in the national "
        "total, not in any council's growth)",
    ]
    grew, fell = int((tr.growth > 0).sum()), int((tr.growth < 0).sum())
    lines.append(f"  councils: {grew} grew (sum {int(tr.growth.clip(lower=0).sum()):+,}), {fell} fell "
                 f"(sum {int(tr.growth.clip(upper=0).sum()):+,}); x_procurement_trend splits {tr.pace:,} a year "
                 "by shares of the growth of the councils that grew")
    order = split.sort_values(ascending=False, kind="mergesort").index[:top]
    lines += [f"    {names[c]:28s} {c}  growth {int(tr.growth[c]):+6,}  share {split[c] / tr.pace:6.2%}  "
              f"x_procurement_trend {int(split[c]):4,}" for c in order]
    return lines


def ambitious_lines(gap: pd.Series, split: pd.Series, basis: pd.Series, names: pd.Series, top: int = 10) -> list[str]:
    below = gap > 0
    lines = [
        f"ambitious procurement: {AMBITIOUS_PROCUREMENT_PER_YEAR:,} a year split by the shortfall below the "
        f"population share of the supported basis total ({int(basis.sum()):,} = dispersal + contingency + initial)",
        f"  {int(below.sum())} councils below their share; total shortfall {gap.sum():,.0f} "
        f"(= {gap.sum() / AMBITIOUS_PROCUREMENT_PER_YEAR:.2f} years at this pace)",
    ]
    order = split.sort_values(ascending=False, kind="mergesort").index[:top]
    lines += [f"    {names[c]:28s} {c}  basis {int(basis[c]):6,}  shortfall {gap[c]:7,.0f}  "
              f"x_procurement_ambitious {int(split[c]):4,}" for c in order]
    return lines


def demand_lines(d: DemandInputs, years: tuple[int, ...]) -> list[str]:
    lines = [
        f"demand calibration: need = dispersal + contingency. 31 Dec 2025: {d.need0:,}; outside the model "
        f"{d.out_of_scope:,} (initial, other, subsistence only: held at this level)",
        f"  31 Mar 2026 (Asy_D09): supported {SUPPORTED_2026_03_31:,} -> need {d.need_march:,} "
        f"({d.need_march - d.need0:+,} in a quarter, {d.need_march / d.need0 - 1:+.1%}); hotels {HOTELS_2026_03_31:,} "
        f"+ other contingency {d.other_contingency:,} held = contingency {d.contingency_march:,}; "
        f"dispersal then {d.need_march - d.contingency_march:,}",
        f"  caseload trend 2027-2029: Asy_D09 supported asylum {CASELOAD_TREND_FROM} -> {CASELOAD_TREND_TO}: "
        f"{d.caseload_trend:+.3%} a year",
        "  exit  convention  arrivals_2026  need_2026  need_31Mar(linear read)  long-run need",
    ]
    for _, r in calibration_table(d).iterrows():
        lines.append(f"  {r['exit_rate']:.2f}  {r['convention']:10s} {r['arrivals_2026']:13,.0f} "
                     f"{r['need_2026']:10,.0f} {r['march_linear']:24,.0f} {r['long_run']:14,.0f}")
    for label, conv in (("central (proposed)", "quarterly"), ("high: one-off fall", "one-off"),
                        ("low: Q1 pace all year", "linear")):
        path = arrivals_path(d, EXIT_RATE_CENTRAL, conv, years)
        need, needs = float(d.need0), []
        for y in years:
            need = (1 - EXIT_RATE_CENTRAL) * need + path[y]
            needs.append(need)
        lines.append(f"  {label:22s} exit {EXIT_RATE_CENTRAL}: arrivals {path} -> need "
                     + ", ".join(f"{y} {v:,.0f}" for y, v in zip(years, needs)))
    return lines


def cost_lines(uk_stock: pd.DataFrame) -> list[str]:
    hotel_people = mean_hotel_population_2024_25(uk_stock)
    lines = [
        f"unit costs: NAO ratio = ({NAO_HOTEL_SHARE_OF_COST:.2f} / {NAO_HOTEL_SHARE_OF_PEOPLE:.2f}) / "
        f"({1 - NAO_HOTEL_SHARE_OF_COST:.2f} / {1 - NAO_HOTEL_SHARE_OF_PEOPLE:.2f}) = {nao_ratio():.4f}; "
        f"mean hotel population 2024-25 (Asy_D09) {hotel_people:,.0f}",
        "  variant      hotel £/night  dispersal £/night  contingency £/yr  dispersal £/yr  ratio  basis",
    ]
    for u in unit_costs(uk_stock):
        lines.append(f"  {u.name:12s} {u.hotel_per_night:13.2f} {u.dispersal_per_night:18.2f} "
                     f"{u.contingency_per_year:16,} {u.dispersal_per_night * DAYS_PER_YEAR:15,.0f} "
                     f"{u.ratio:6.2f}  {u.basis}")
    return lines

#!/usr/bin/env python3
"""Build the UK national dispersal scenario ``scenarios/uk-2025/`` from ``raw/``.

Usage::

    python scenarios/uk-2025/build.py            # (re)write areas.csv and the scenario YAML files
    python scenarios/uk-2025/build.py --check    # rebuild into a temp dir; exit 1 if a committed file differs

The script reads only files under ``raw/`` next to this file (their SHA-256 are checked
first) and writes byte-for-byte reproducible outputs. Dependencies: the standard library,
numpy and pandas. Every assumption is a constant in the "Parameters" block below and is
described in ``SOURCES.md``. Change a constant, re-run, commit the outputs.

Test code imports :func:`build` via importlib from this path.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"

# ---------------------------------------------------------------------------------------------
# Raw inputs (byte copies; see SOURCES.md). The build refuses to run if any of them changed.
# ---------------------------------------------------------------------------------------------
RAW_REG02 = "ho_reg02_la_immigration_groups_2025-12-31.csv"
RAW_UK_STOCK = "ho_uk_supported_asylum_stock_quarterly_2014q1_2025q4.csv"
RAW_MYE2 = "ons_mye2_mid2024_persons_by_single_year_of_age_uk.csv"
RAW_PIPR = "ons_pipr_avg_monthly_private_rent_by_la_2026-07.csv"
RAW_LOOKUP = "lad_lookup_uk_361_region_nation.csv"
RAW_HEXJSON = "uk-local-authority-districts-2023.hexjson"
RAW_ASY_D11 = "ho_asy_d11_la_support_2014q1_2024q3_long.csv"
RAW_RES_D01 = "ho_res_d01_resettlement_by_la_2014q1_2024q3_long.csv"

RAW_SHA256 = {
    RAW_REG02: "f77661bb7579811c1e9be9219cb832bd1c572d5c1914dc5a4afea02bed3a7cdf",
    RAW_UK_STOCK: "9c1a1b696f254246a96360a413b91e2469085a6b93474df07c65755964c6404b",
    RAW_MYE2: "81b999962087fad34ecc1463f06f922ba651f8a3f710a5a1053cb7828465732d",
    RAW_PIPR: "9c5c7da599f7bd9ae12bf263e88d4e09867768f4a2be02433e95bce4f02dd750",
    RAW_LOOKUP: "75d354d53e4d32b7ba8e70305d95efac8c2bdec4495e8b5513e23456c5dbf852",
    RAW_HEXJSON: "dc1692514e184c0299619fee3377ef09cdaabd3190c408a08b337e5eb99a88d7",
    RAW_ASY_D11: "55415b29a728150e2c0c816f36511bfe07b31fcbd6f11feae6b994d6062b83c8",
    RAW_RES_D01: "4a627880369b35ec6a33bc33b67ce60afe038c311b231c78df5bc0dfaf9a6028",
}


def _load_sibling(name: str):
    """Import ``<name>.py`` next to this file by path (this folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"uk2025_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cal = _load_sibling("calibration")

# ---------------------------------------------------------------------------------------------
# Parameters (assumptions). All documented in SOURCES.md; adjust here and rebuild.
# ---------------------------------------------------------------------------------------------
YEARS = (2026, 2027, 2028, 2029)
BASE_YEAR = 2025  # reference date 31 Dec 2025

# capacity = ceil(stock * (1 + VACANCY_MARGIN)): bed spaces usable now. No public figure.
VACANCY_MARGIN = 0.05

# procurement_per_year: a national pace split over areas by population x rental-market factor,
# factor = (UK average rent / area rent) ** RENT_ELASTICITY. 0 (the default) splits the pace by
# population alone, as the change plan's 'faster procurement in new areas, including properties of
# higher market value' asks; 1 would favour cheap markets, as procurement has done so far.
# Integer shares by the largest-remainder method (ties by area_code), so they sum to the pace.
NATIONAL_PROCUREMENT_PER_YEAR = 10000
RENT_ELASTICITY = 0.0

# cost_per_place: proportional to the ONS PIPR average monthly rent, scaled so that the
# stock-weighted national mean equals the reported average dispersal cost per person-night.
DISPERSAL_COST_PER_NIGHT = 14.41  # £ per person per night (NAO, as reported; see SOURCES.md)
DAYS_PER_YEAR = 365
COST_WEIGHTING = "stock"  # "stock" (weights = dispersalAccommodation) or "population"
# Scotland has PIPR only by Broad Rental Market Area: use the named BRMA ("brma") or the
# Scotland country figure for every council ("country").
SCOTLAND_RENT_SOURCE = "brma"
# NI has only a country figure (and a Belfast BRMA row, not used, as briefed): country figure.
# Areas with no PIPR figure in England: their region's figure.
ENGLAND_RENT_FALLBACK = {"E09000001": "E12000007", "E06000053": "E12000009"}

# Council area -> Scottish BRMA whose name is the council or the council's named grouping.
# BRMA boundaries do not follow council boundaries exactly; councils not listed (Moray,
# East Renfrewshire: no BRMA named for them and we could not place them with confidence)
# take the Scotland country figure.
SCOTLAND_BRMA = {
    "S12000033": "S33000001",  # Aberdeen City -> Aberdeen and Shire
    "S12000034": "S33000001",  # Aberdeenshire -> Aberdeen and Shire
    "S12000035": "S33000002",  # Argyll and Bute
    "S12000008": "S33000003",  # East Ayrshire -> Ayrshires
    "S12000021": "S33000003",  # North Ayrshire -> Ayrshires
    "S12000028": "S33000003",  # South Ayrshire -> Ayrshires
    "S12000006": "S33000004",  # Dumfries and Galloway
    "S12000042": "S33000005",  # Dundee City -> Dundee and Angus
    "S12000041": "S33000005",  # Angus -> Dundee and Angus
    "S12000045": "S33000006",  # East Dunbartonshire
    "S12000047": "S33000007",  # Fife
    "S12000005": "S33000008",  # Clackmannanshire -> Forth Valley
    "S12000014": "S33000008",  # Falkirk -> Forth Valley
    "S12000030": "S33000008",  # Stirling -> Forth Valley
    "S12000049": "S33000009",  # Glasgow City -> Greater Glasgow
    "S12000017": "S33000010",  # Highland -> Highland and Islands
    "S12000013": "S33000010",  # Na h-Eileanan Siar -> Highland and Islands
    "S12000023": "S33000010",  # Orkney Islands -> Highland and Islands
    "S12000027": "S33000010",  # Shetland Islands -> Highland and Islands
    "S12000036": "S33000011",  # City of Edinburgh -> Lothian
    "S12000010": "S33000011",  # East Lothian -> Lothian
    "S12000019": "S33000011",  # Midlothian -> Lothian
    "S12000050": "S33000012",  # North Lanarkshire
    "S12000048": "S33000013",  # Perth and Kinross
    "S12000038": "S33000014",  # Renfrewshire -> Renfrewshire/Inverclyde
    "S12000018": "S33000014",  # Inverclyde -> Renfrewshire/Inverclyde
    "S12000026": "S33000015",  # Scottish Borders
    "S12000029": "S33000016",  # South Lanarkshire
    "S12000039": "S33000017",  # West Dunbartonshire
    "S12000040": "S33000018",  # West Lothian
}

# Demand calibration (see SOURCES.md, "Demand").
EXIT_RATE = 0.35  # share of people in support who leave in a year (mean stay ~ 1/0.35 = 2.9 years)
TREND_YEARS = 3  # trend = compound annual change of UK supported asylum, Dec 2022 -> Dec 2025
ARRIVALS_ROUNDING = 100  # round calibrated arrivals to the nearest 100 people
VARIANT_ARRIVALS_FACTOR = {"high-arrivals": 1.25, "low-arrivals": 0.75}
CONTINGENCY_START = 32667  # 30,657 hotel + 2,010 other contingency at 31 Dec 2025 (Reg_02 sum)

CONTINGENCY_COST_PER_NIGHT = 145  # £ per person per night in hotels (NAO, as reported)
PROCUREMENT_PER_PLACE = 0  # one-off £ per new bed space: no published figure found
CLUSTER_LIMIT = 200
MAX_GROWTH_ABSOLUTE = 100  # people per area per year (see SOURCES.md)
MAX_GROWTH_RELATIVE = 0.5
EQUITY_WEIGHT = 5000  # £ per person-year away from the population fair share (L1): ~ one average place-year
HOTEL_CEILING = {2026: 30000, 2027: 20000, 2028: 10000, 2029: 0}
GRANT_PER_OCCUPIED_PLACE = 750  # Home Office asylum grant, £ per occupied bed space (2024-25)
GRANT_PER_NEW_PLACE = 3500  # Home Office asylum grant, £ per net new bed space (2022-23, 2024-25)

AREAS_COLUMNS = [
    "area_code",
    "area_name",
    "region",
    "population",
    "stock",
    "capacity",
    "procurement_per_year",
    "cost_per_place",
    "status",
    "available_from",
    "contingency",
    "initial",
    "other_accommodation",
    "afghan",
    "ukraine_arrivals",
    "resettled_5y",
    "procurement_trend",
    "procurement_ambitious",
]
LA_GEOGRAPHIES = {
    "Non-metropolitan District",
    "Unitary Authority",
    "Metropolitan District",
    "London Borough",
    "Council Area",
    "Local Government District",
}
NATION_COUNTS = {"E": 296, "W": 22, "S": 32, "N": 11}
EXPECTED_DISPERSAL_TOTAL = 68538
# Reg_02 columns copied as they are (people at 31 Dec 2025; see SOURCES.md section 2).
REG02_COLUMNS = {
    "contingency": "contingencyAccommodation",
    "initial": "initialAccommodation",
    "other_accommodation": "otherAccommodation",
    "afghan": "afghanProgrammePopulation",
    "ukraine_arrivals": "homesForUkraineArrivals",
}
EXPECTED_CONTINGENCY_TOTAL = 32667  # Reg_02 contingencyAccommodation summed = Asy_D09 hotel + other, 31 Dec 2025


class BuildError(RuntimeError):
    """Raised when the raw inputs do not have the expected shape or content."""


def _fail(message: str) -> None:
    raise BuildError(message)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_raw(raw: Path = RAW) -> None:
    """Fail if any raw file is missing or differs from the recorded SHA-256."""
    for name, digest in RAW_SHA256.items():
        path = raw / name
        if not path.is_file():
            _fail(f"missing raw file {path}")
        actual = _sha256(path)
        if actual != digest:
            _fail(f"raw file {name} changed: sha256 {actual}, expected {digest}")


# ---------------------------------------------------------------------------------------------
# Areas
# ---------------------------------------------------------------------------------------------
def _read_reg02(raw: Path) -> pd.DataFrame:
    reg = pd.read_csv(raw / RAW_REG02, dtype={"areaCode": str})
    if len(reg) != 361 or reg["areaCode"].duplicated().any():
        _fail("Reg_02 must have 361 unique area codes")
    parts = ["initialAccommodation", "dispersalAccommodation", "contingencyAccommodation",
             "otherAccommodation", "subsistenceOnly"]
    if not (reg[parts].sum(axis=1) == reg["supportedAsylum"]).all():
        _fail("Reg_02 accommodation types do not add up to supportedAsylum")
    if int(reg["dispersalAccommodation"].sum()) != EXPECTED_DISPERSAL_TOTAL:
        _fail("Reg_02 dispersal accommodation does not sum to 68,538")
    if int(reg["contingencyAccommodation"].sum()) != EXPECTED_CONTINGENCY_TOTAL:
        _fail("Reg_02 contingency accommodation does not sum to 32,667")
    afghan = ["afghanProgrammeTransitional", "afghanProgrammeLaHousing", "afghanProgrammePrsHousing"]
    if not (reg[afghan].sum(axis=1) == reg["afghanProgrammePopulation"]).all():
        _fail("Reg_02 Afghan programme parts do not add up to afghanProgrammePopulation")
    return reg


def _read_population(raw: Path) -> pd.Series:
    """ONS/NRS/NISRA mid-2024 'All ages' by current LAD code (via the lookup's lad_code_mye)."""
    mye = pd.read_csv(raw / RAW_MYE2, usecols=["Code", "Name", "Geography", "All ages"],
                      dtype={"Code": str})
    las = mye[mye["Geography"].isin(LA_GEOGRAPHIES)]
    if len(las) != 361:
        _fail(f"expected 361 LAs in MYE2, got {len(las)}")
    uk_total = int(mye.loc[mye["Code"] == "K02000001", "All ages"].iloc[0])
    if int(las["All ages"].sum()) != uk_total:
        _fail("MYE2 LA populations do not sum to the UK total")
    lookup = pd.read_csv(raw / RAW_LOOKUP, dtype=str)
    code_map = dict(zip(lookup["lad_code_mye"], lookup["lad_code"], strict=True))
    pop = las.assign(area_code=las["Code"].map(code_map)).set_index("area_code")["All ages"]
    if pop.index.isna().any():
        _fail("MYE2 code not in the lookup")
    return pop.astype("int64")


def _rents(raw: Path, areas: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Monthly rent (£) per area and a note on where the figure came from."""
    pipr = pd.read_csv(raw / RAW_PIPR, dtype={"area_code": str})
    by_code = dict(zip(pipr["area_code"], pipr["monthly_rent_gbp"].astype(float), strict=True))
    la_codes = set(pipr.loc[pipr["area_level"] == "local_authority", "area_code"])
    rents: dict[str, float] = {}
    notes: dict[str, str] = {}
    for code in areas["area_code"]:
        if code in la_codes:
            rents[code], notes[code] = by_code[code], "pipr_la"
        elif code in ENGLAND_RENT_FALLBACK:
            src = ENGLAND_RENT_FALLBACK[code]
            rents[code], notes[code] = by_code[src], f"pipr_region:{src}"
        elif code.startswith("S"):
            src = SCOTLAND_BRMA.get(code, "S92000003") if SCOTLAND_RENT_SOURCE == "brma" else "S92000003"
            rents[code], notes[code] = by_code[src], f"pipr_scotland:{src}"
        elif code.startswith("N"):
            rents[code], notes[code] = by_code["N92000002"], "pipr_country:N92000002"
        else:
            _fail(f"no rent figure for {code}")
    return pd.Series(rents), pd.Series(notes)


def build_areas(raw: Path = RAW) -> tuple[pd.DataFrame, dict[str, object]]:
    """Return the areas table (sorted by area_code) and a dict of derived numbers."""
    reg = _read_reg02(raw)
    pop = _read_population(raw)
    areas = pd.DataFrame({
        "area_code": reg["areaCode"],
        "area_name": reg["areaName"],
        "region": reg["regionName"],
        "stock": reg["dispersalAccommodation"].astype("int64"),
        "supported": reg["supportedAsylum"].astype("int64"),
        "reg02_population": reg["population"].astype("int64"),
        **{col: reg[src].astype("int64") for col, src in REG02_COLUMNS.items()},
    }).sort_values("area_code", kind="mergesort").reset_index(drop=True)
    areas["population"] = areas["area_code"].map(pop)
    if areas["population"].isna().any() or not (areas["population"] == areas["reg02_population"]).all():
        _fail("ONS mid-2024 population differs from Reg_02 population")
    counts = areas["area_code"].str[0].value_counts().to_dict()
    if counts != NATION_COUNTS:
        _fail(f"nation counts {counts} != {NATION_COUNTS}")

    areas["capacity"] = [math.ceil(s * (1 + VACANCY_MARGIN) - 1e-9) for s in areas["stock"]]

    rent, rent_note = _rents(raw, areas)
    areas["rent"] = areas["area_code"].map(rent)
    areas["rent_source"] = areas["area_code"].map(rent_note)

    uk_rent = float(pd.read_csv(raw / RAW_PIPR, dtype={"area_code": str})
                    .set_index("area_code").loc["K02000001", "monthly_rent_gbp"])
    factor = (uk_rent / areas["rent"]) ** RENT_ELASTICITY
    weights = pd.Series((areas["population"] * factor).to_numpy(), index=areas["area_code"])
    areas["procurement_per_year"] = cal.largest_remainder(NATIONAL_PROCUREMENT_PER_YEAR, weights).to_numpy()

    target = DISPERSAL_COST_PER_NIGHT * DAYS_PER_YEAR
    w = areas["stock"] if COST_WEIGHTING == "stock" else areas["population"]
    scale = target / float((w * areas["rent"]).sum() / w.sum())
    areas["cost_per_place"] = (areas["rent"] * scale).round(0).astype("int64")
    weighted_mean = float((w * areas["cost_per_place"]).sum() / w.sum())

    areas["status"] = "existing"
    areas["available_from"] = ""
    programmes = _add_programmes_and_procurement(areas, raw)

    info: dict[str, object] = {
        **programmes,
        "uk_rent": uk_rent,
        "cost_scale_per_rent_pound": scale,
        "cost_weighted_mean_year": weighted_mean,
        "cost_weighted_mean_night": weighted_mean / DAYS_PER_YEAR,
        "rent_sources": areas["rent_source"].str.split(":").str[0].value_counts().sort_index().to_dict(),
        "over_cluster_dispersal": areas.loc[areas["stock"] * CLUSTER_LIMIT > areas["population"],
                                            ["area_code", "area_name", "stock", "population"]],
        "over_cluster_supported": areas.loc[areas["supported"] * CLUSTER_LIMIT > areas["population"],
                                            ["area_code", "area_name", "supported", "population"]],
        "full": areas,
    }
    return areas[AREAS_COLUMNS].copy(), info


def _add_programmes_and_procurement(areas: pd.DataFrame, raw: Path) -> dict[str, object]:
    """Add resettled_5y, procurement_trend and procurement_ambitious to ``areas`` (in place)."""
    codes = areas["area_code"]
    by_code = areas.set_index("area_code")
    resettled, resettled_unplaced = cal.resettled_5y(raw / RAW_RES_D01, set(codes))
    areas["resettled_5y"] = codes.map(resettled).fillna(0).astype("int64").to_numpy()

    tr = cal.trend(raw / RAW_ASY_D11, by_code["stock"])
    areas["procurement_trend"] = cal.trend_split(tr).loc[codes].to_numpy()

    basis = by_code["stock"] + by_code["contingency"] + by_code["initial"]
    gap = cal.ambitious_weights(basis, by_code["population"])
    ambitious = cal.largest_remainder(cal.AMBITIOUS_PROCUREMENT_PER_YEAR, gap)
    areas["procurement_ambitious"] = ambitious.loc[codes].to_numpy()
    return {"trend": tr, "resettled_unplaced": resettled_unplaced, "ambitious_gap": gap, "basis": basis}


# ---------------------------------------------------------------------------------------------
# Demand
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Demand:
    need0: int
    trend_rate: float
    need_target_first_year: float
    arrivals: int


def calibrate_demand(raw: Path, dispersal_total: int) -> Demand:
    """Constant yearly arrivals so that need in the first year follows the recent trend."""
    uk = pd.read_csv(raw / RAW_UK_STOCK, dtype={"period_end": str}).set_index("period_end")
    end = uk.loc[f"{BASE_YEAR}-12-31", "supported_asylum_total_uk"]
    start = uk.loc[f"{BASE_YEAR - TREND_YEARS}-12-31", "supported_asylum_total_uk"]
    rate = (float(end) / float(start)) ** (1.0 / TREND_YEARS) - 1.0
    need0 = dispersal_total + CONTINGENCY_START
    target = need0 * (1.0 + rate)
    arrivals = target - (1.0 - EXIT_RATE) * need0
    arrivals_rounded = int(round(arrivals / ARRIVALS_ROUNDING) * ARRIVALS_ROUNDING)
    return Demand(need0=need0, trend_rate=rate, need_target_first_year=target, arrivals=arrivals_rounded)


def need_path(need0: float, arrivals: dict[int, int]) -> dict[int, float]:
    """The engine's recursion: need_t = (1 - exit_rate) * need_{t-1} + arrivals_t."""
    out, need = {}, float(need0)
    for year in YEARS:
        need = (1.0 - EXIT_RATE) * need + arrivals[year]
        out[year] = need
    return out


def capacity_reach(areas: pd.DataFrame, years_of_procurement: int) -> int:
    """National dispersal places reachable after n years of procurement, after cluster caps."""
    cap = areas["population"] // CLUSTER_LIMIT
    reach = areas["capacity"] + years_of_procurement * areas["procurement_per_year"]
    return int(np.minimum(reach, np.maximum(cap, 0)).sum())


def growth_reach(areas: pd.DataFrame, rule: str) -> dict[int, int]:
    """Upper bound on national dispersal stock by year when every area grows as fast as allowed.

    Per area and year: stock_t <= min(capacity + k * procurement, floor(pop / 200), stock_{t-1} + g),
    with g = max(absolute, relative * stock_{t-1}) ("max") or absolute + relative * stock_{t-1}
    ("sum"); k = years since the base year. Stock in the base year may exceed the cluster cap.
    """
    stock = areas["stock"].to_numpy(dtype=float)
    cap = (areas["population"] // CLUSTER_LIMIT).to_numpy(dtype=float)
    out = {}
    for k, year in enumerate(YEARS, start=1):
        if rule == "max":
            growth = np.maximum(MAX_GROWTH_ABSOLUTE, MAX_GROWTH_RELATIVE * stock)
        else:
            growth = MAX_GROWTH_ABSOLUTE + MAX_GROWTH_RELATIVE * stock
        reach = (areas["capacity"] + k * areas["procurement_per_year"]).to_numpy(dtype=float)
        stock = np.floor(np.minimum(np.minimum(reach, cap), stock + growth))
        out[year] = int(stock.sum())
    return out


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------
def _year_map(values: dict[int, int]) -> str:
    return "{" + ", ".join(f"{y}: {v}" for y, v in values.items()) + "}"


def scenario_yaml(name: str, description: str, arrivals: dict[int, int],
                  ceiling: dict[int, int] | None) -> str:
    """Scenario file text, format v1 (keys in a fixed order)."""
    lines = [
        f"name: {name}",
        "description: >-",
        *[f"  {line}" for line in description.strip().splitlines()],
        f"years: [{', '.join(str(y) for y in YEARS)}]",
        "areas: areas.csv",
        "demand:",
        f"  arrivals: {_year_map(arrivals)}",
        f"  exit_rate: {EXIT_RATE}",
        f"  contingency_start: {CONTINGENCY_START}",
        "costs:",
        f"  contingency_per_person_year: {CONTINGENCY_COST_PER_NIGHT * DAYS_PER_YEAR}",
        f"  procurement_per_place: {PROCUREMENT_PER_PLACE}",
        "policy:",
        f"  cluster_limit: {CLUSTER_LIMIT}",
        "  fair_share: population",
        f"  max_growth: {{absolute: {MAX_GROWTH_ABSOLUTE}, relative: {MAX_GROWTH_RELATIVE}}}",
    ]
    if ceiling is not None:
        lines.append(f"  contingency_ceiling: {_year_map(ceiling)}")
    lines += [
        "objective:",
        "  cost_weight: 1",
        "  contingency_weight: 1",
        f"  equity_weight: {EQUITY_WEIGHT}",
        "  equity_measure: l1",
        "funding:",
        f"  grant_per_occupied_place: {GRANT_PER_OCCUPIED_PLACE}",
        f"  grant_per_new_place: {GRANT_PER_NEW_PLACE}",
    ]
    return "\n".join(lines) + "\n"


def _scenarios(arrivals_central: int) -> dict[str, str]:
    central = {y: arrivals_central for y in YEARS}
    high = {y: int(round(arrivals_central * VARIANT_ARRIVALS_FACTOR["high-arrivals"])) for y in YEARS}
    low = {y: int(round(arrivals_central * VARIANT_ARRIVALS_FACTOR["low-arrivals"])) for y in YEARS}
    common = ("All 361 UK local authorities with their dispersal stock at 31 Dec 2025 (Home Office Reg_02);\n"
              "capacity and procurement are stated assumptions, see SOURCES.md.")
    return {
        "central.yaml": scenario_yaml(
            "UK national dispersal, central arrivals",
            f"Arrivals held at the level that continues the 2022-2025 trend in supported asylum.\n{common}",
            central, None),
        "high-arrivals.yaml": scenario_yaml(
            "UK national dispersal, high arrivals",
            f"Central case with arrivals 25% higher every year.\n{common}",
            high, None),
        "low-arrivals.yaml": scenario_yaml(
            "UK national dispersal, low arrivals",
            f"Central case with arrivals 25% lower every year.\n{common}",
            low, None),
        "hotels-closed-by-2029.yaml": scenario_yaml(
            "UK national dispersal, hotels closed by 2029",
            "Central arrivals with a ceiling on people in hotels and other contingency accommodation\n"
            f"falling from 30,000 in 2026 to zero in 2029.\n{common}",
            central, HOTEL_CEILING),
        "high-arrivals-hotels-closed.yaml": scenario_yaml(
            "UK national dispersal, high arrivals and hotels closed by 2029",
            "High arrivals with the hotel ceiling of hotels-closed-by-2029: a stress test that the\n"
            "assumed capacity and procurement pace cannot meet (the solver reports the shortfall).\n"
            f"{common}",
            high, HOTEL_CEILING),
    }


def build(out_dir: Path, raw: Path = RAW, verbose: bool = False) -> list[Path]:
    """Write areas.csv and the four scenario YAML files into ``out_dir``; return their paths."""
    check_raw(raw)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    areas, info = build_areas(raw)
    demand = calibrate_demand(raw, int(areas["stock"].sum()))

    written = []
    path = out_dir / "areas.csv"
    areas.to_csv(path, index=False, lineterminator="\n")
    written.append(path)
    for name, text in _scenarios(demand.arrivals).items():
        path = out_dir / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)

    if verbose:
        _report(areas, info, demand)
        _report_phase2(raw, areas, info)
    return written


def _report(areas: pd.DataFrame, info: dict[str, object], demand: Demand) -> None:
    p = print
    p(f"areas: {len(areas)}; population {int(areas['population'].sum()):,}; "
      f"dispersal stock {int(areas['stock'].sum()):,}")
    p(f"capacity now (stock x {1 + VACANCY_MARGIN:g}, rounded up): {int(areas['capacity'].sum()):,}")
    p(f"procurement per year (national pace): {int(areas['procurement_per_year'].sum()):,}")
    p(f"cluster caps floor(pop/{CLUSTER_LIMIT}) total: {int((areas['population'] // CLUSTER_LIMIT).sum()):,}")
    p(f"rent sources: {info['rent_sources']}; UK rent £{info['uk_rent']:.0f}/month")
    p(f"cost: £{info['cost_scale_per_rent_pound']:.4f} per person-year per £1 monthly rent; "
      f"{COST_WEIGHTING}-weighted mean £{info['cost_weighted_mean_year']:.2f}/yr "
      f"= £{info['cost_weighted_mean_night']:.4f}/night; range "
      f"£{int(areas['cost_per_place'].min()):,}-£{int(areas['cost_per_place'].max()):,}")
    p("dispersal stock over population/200:")
    p(info["over_cluster_dispersal"].to_string(index=False))
    p("all supported asylum over population/200:")
    p(info["over_cluster_supported"].to_string(index=False))
    p(f"demand: need_0 = {demand.need0:,} (dispersal + contingency); trend {TREND_YEARS}-year "
      f"compound change {demand.trend_rate:+.4%}/yr; need_{YEARS[0]} target {demand.need_target_first_year:,.0f}")
    p(f"exit rate {EXIT_RATE}; arrivals (central) {demand.arrivals:,}/yr")
    for variant, factor in [("central", 1.0), *VARIANT_ARRIVALS_FACTOR.items()]:
        arr = int(round(demand.arrivals * factor))
        path = need_path(demand.need0, {y: arr for y in YEARS})
        p(f"  {variant:14s} arrivals {arr:,}: need " + ", ".join(f"{y} {v:,.0f}" for y, v in path.items()))
    central = need_path(demand.need0, {y: demand.arrivals for y in YEARS})
    for n in (len(YEARS) - 1, len(YEARS)):
        p(f"dispersal places reachable after {n} years of procurement, after cluster caps: "
          f"{capacity_reach(areas, n):,} (central need {YEARS[-1]}: {central[YEARS[-1]]:,.0f})")
    for rule in ("max", "sum"):
        reach = growth_reach(areas, rule)
        p(f"max-growth reach ({rule} rule) vs need - ceiling: " + ", ".join(
            f"{y} {reach[y]:,} vs {central[y] - HOTEL_CEILING[y]:,.0f}" for y in YEARS))


def _report_phase2(raw: Path, areas: pd.DataFrame, info: dict[str, object]) -> None:
    """The issue-14 calibration: other programmes, trend and ambitious procurement, demand through
    31 March 2026, unit costs. Printed only: the scenario files use them from phase 2 on."""
    by_code = areas.set_index("area_code")
    names = by_code["area_name"]
    cols = ["contingency", "initial", "other_accommodation", "afghan", "ukraine_arrivals", "resettled_5y"]
    print("other columns, totals: " + ", ".join(f"{c} {int(areas[c].sum()):,}" for c in cols)
          + f" (resettled_5y: {info['resettled_unplaced']} arrivals with no council left out)")
    basis = info["basis"]
    over = basis[basis * CLUSTER_LIMIT > by_code["population"]]
    print(f"supported basis (dispersal + contingency + initial) over population/{CLUSTER_LIMIT}: "
          + ", ".join(f"{names[c]} {int(v):,}" for c, v in over.items()))
    for line in cal.trend_lines(info["trend"], by_code["procurement_trend"], names):
        print(line)
    for line in cal.ambitious_lines(info["ambitious_gap"], by_code["procurement_ambitious"], basis, names):
        print(line)
    uk = pd.read_csv(raw / RAW_UK_STOCK, dtype={"period_end": str}).set_index("period_end")
    for line in cal.demand_lines(cal.demand_inputs(uk, _read_reg02(raw)), YEARS):
        print(line)
    for line in cal.cost_lines(uk):
        print(line)


def check(out_dir: Path = HERE) -> int:
    """Rebuild into a temp dir and compare with the committed files; return an exit code."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(Path(tmp))
        differ = [p.name for p in fresh if not (out_dir / p.name).is_file()
                  or (out_dir / p.name).read_bytes() != p.read_bytes()]
    for name in differ:
        print(f"differs: {out_dir / name}")
    if differ:
        print("run `python scenarios/uk-2025/build.py` and commit the result")
        return 1
    print(f"ok: {len(fresh)} files reproduce byte for byte")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file differs")
    args = parser.parse_args(argv)
    try:
        if args.check:
            return check()
        for path in build(HERE, verbose=True):
            print(f"wrote {path.relative_to(HERE.parent.parent)}")
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

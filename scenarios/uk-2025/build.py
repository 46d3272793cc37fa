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

# procurement_per_year: which calibrated column each areas file uses (calibration.py, SOURCES.md
# section 9). areas.csv (every scenario but `ambitious`): the trend, 4,132 places a year, the
# consistent 2022-2025 net growth of dispersal, split as it went (councils that grew, by their growth).
# areas-ambitious.csv: 10,000 a year split by the shortfall below the fair share on the supported basis.
PROCUREMENT_COLUMN = {"areas.csv": "x_procurement_trend", "areas-ambitious.csv": "x_procurement_ambitious"}

# cost_per_place: proportional to the ONS PIPR average monthly rent, scaled so that the
# stock-weighted national mean equals the dispersal cost per person-night of a unit-cost variant
# (calibration.unit_costs: the hotel figure over the NAO hotel/other cost ratio; SOURCES.md section 11).
# areas.csv: central (£20.21); the cost variants' own areas files: low (£17.62) and high (£28.64).
COST_FILES = {"areas.csv": "central", "areas-costs-low.csv": "low", "areas-costs-high.csv": "high"}
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

# Demand (calibration.py; SOURCES.md section 10): exit rate and the convention that takes 2026 through
# the published 31 March 2026 figures; 2027-2029 follow the 2022-2025 caseload trend.
EXIT_RATE = cal.EXIT_RATE_CENTRAL  # 0.5: share of people in support who leave in a year
DEMAND_PATHS = {"central": "quarterly",   # through 31 March 2026 exactly (four equal quarters)
                "high": "one-off",        # the March fall a one-off level shift, then the trend
                "low": "linear"}          # the first quarter's pace all through 2026
# The contingency at the start is the `contingency` column (32,667 = 30,657 hotels + 2,010 other,
# Reg_02): the scenario files leave demand.contingency_start out.

PROCUREMENT_PER_PLACE = 0  # one-off £ per new bed space: no published figure found
OCCUPANCY = "average"  # each year charged on the mean of its start and end (issue 13)
VOID_SHARE = 0.5  # an empty bed space costs half a place a year: no public figure (the lease runs on,
                  # per-person services stop); an assumption
CLUSTER_LIMIT = 200
MAX_GROWTH_ABSOLUTE = 100  # people per area per year (see SOURCES.md)
MAX_GROWTH_RELATIVE = 0.5
PRESSURE_BASIS = "supported"  # dispersal + the people in the council's hotels + initial accommodation
# Protection (rule no_rise: a protected council ends no year with more people on the supported basis
# than it started it with). Protected: councils whose rate at the start is above PROTECT_MARGIN x the
# lowest national rate on the basis in the central path (the highest fair share a council can fall to
# in the plan), rounded down to 0.1 per 10,000: every council that could be above 125% of its fair
# share in some year. 1.5 (the 150% of the acceptance test) left councils just under it free to grow
# above 150% and then rise again (Colchester in a trial), so the margin is 1.25.
PROTECT_RULE = "no_rise"
PROTECT_MARGIN = 1.25
# Progressive equity: a person-year above 1.5 x the fair share costs 10 x the weight. The weight is the
# largest multiple of 100 with (top step + 1) x weight < (hotel - average place) / 2: moving someone
# from a hotel in a council below its share into an average empty place in a council above 150% always
# pays, even in the plan's last year, whose year-end costs count half under average occupancy.
EQUITY_STEPS = ((1.0, 1), (1.25, 3), (1.5, 10))
EQUITY_ROUNDING = 100
# New (unlocated) contingency sites count in no council's pressure, so fairness would move people out of
# open hotel places into them (docs/model.md, "New sites while hotel places stand empty"). They are
# priced at a hotel place plus a premium just above what fairness can pay for that move,
# (top step + 1) x equity weight, rounded up to EQUITY_ROUNDING: the plan fills today's hotel places
# first, and any new contingency it reports is a real shortfall of places. No published figure.
HOTEL_CEILING = {2026: 22000, 2027: 15000, 2028: 7500, 2029: 0}  # from 22,895 at 31 Mar 2026 to none
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
    "x_other_accommodation",
    "x_afghan",
    "x_ukraine_arrivals",
    "x_resettled_5y",
    "x_procurement_trend",
    "x_procurement_ambitious",
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
    "x_other_accommodation": "otherAccommodation",
    "x_afghan": "afghanProgrammePopulation",
    "x_ukraine_arrivals": "homesForUkraineArrivals",
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
    units = {u.name: u for u in cal.unit_costs(_uk_stock(raw))}
    scale = _set_cost(areas, units["central"].dispersal_per_night)
    w = areas["stock"] if COST_WEIGHTING == "stock" else areas["population"]
    weighted_mean = float((w * areas["cost_per_place"]).sum() / w.sum())

    areas["status"] = "existing"
    areas["available_from"] = ""
    programmes = _add_programmes_and_procurement(areas, raw)
    areas["procurement_per_year"] = areas[PROCUREMENT_COLUMN["areas.csv"]]

    info: dict[str, object] = {
        **programmes,
        "units": units,
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


def _uk_stock(raw: Path) -> pd.DataFrame:
    return pd.read_csv(raw / RAW_UK_STOCK, dtype={"period_end": str}).set_index("period_end")


def _set_cost(areas: pd.DataFrame, per_night: float) -> float:
    """Set ``cost_per_place`` (in place) to the rent scaled to a weighted mean of ``per_night`` a
    person-night; return the scale (£ a person-year per £1 of monthly rent)."""
    w = areas["stock"] if COST_WEIGHTING == "stock" else areas["population"]
    scale = per_night * DAYS_PER_YEAR / float((w * areas["rent"]).sum() / w.sum())
    areas["cost_per_place"] = (areas["rent"] * scale).round(0).astype("int64")
    return scale


def areas_files(full: pd.DataFrame, units: dict) -> dict[str, pd.DataFrame]:
    """The areas files: ``areas.csv`` and the variants, each with one column changed (same rows)."""
    out = {"areas.csv": full[AREAS_COLUMNS].copy()}
    for name, column in PROCUREMENT_COLUMN.items():
        if name != "areas.csv":
            out[name] = out["areas.csv"].assign(procurement_per_year=full[column].to_numpy())
    for name, unit in COST_FILES.items():
        if name != "areas.csv":
            table = full.copy()
            _set_cost(table, units[unit].dispersal_per_night)
            out[name] = out["areas.csv"].assign(cost_per_place=table["cost_per_place"].to_numpy())
    return out


def _add_programmes_and_procurement(areas: pd.DataFrame, raw: Path) -> dict[str, object]:
    """Add x_resettled_5y, x_procurement_trend and x_procurement_ambitious to ``areas`` (in place)."""
    codes = areas["area_code"]
    by_code = areas.set_index("area_code")
    resettled, resettled_unplaced = cal.resettled_5y(raw / RAW_RES_D01, set(codes))
    areas["x_resettled_5y"] = codes.map(resettled).fillna(0).astype("int64").to_numpy()

    tr = cal.trend(raw / RAW_ASY_D11, by_code["stock"])
    areas["x_procurement_trend"] = cal.trend_split(tr).loc[codes].to_numpy()

    basis = by_code["stock"] + by_code["contingency"] + by_code["initial"]
    gap = cal.ambitious_weights(basis, by_code["population"])
    ambitious = cal.largest_remainder(cal.AMBITIOUS_PROCUREMENT_PER_YEAR, gap)
    areas["x_procurement_ambitious"] = ambitious.loc[codes].to_numpy()
    return {"trend": tr, "resettled_unplaced": resettled_unplaced, "ambitious_gap": gap, "basis": basis}


# ---------------------------------------------------------------------------------------------
# Demand and policy derived from the calibration
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Derived:
    arrivals: dict[str, dict[int, int]]   # by demand path
    needs: dict[str, dict[int, float]]    # need (dispersal + contingency) at each year end, by path
    protect_above: float                  # policy.protect.above_per_10k
    equity_weight: int
    new_site_premium: int                 # £ a person-year above a hotel place
    initial: int                          # people in initial accommodation (fixed on the basis)
    population: int


def need_path(need0: float, arrivals: dict[int, int]) -> dict[int, float]:
    """The engine's recursion: need_t = (1 - exit_rate) * need_{t-1} + arrivals_t."""
    out, need = {}, float(need0)
    for year in YEARS:
        need = (1.0 - EXIT_RATE) * need + arrivals[year]
        out[year] = need
    return out


def derive(raw: Path, areas: pd.DataFrame, units: dict) -> Derived:
    """Arrivals by path, the protection threshold and the equity weight (see the Parameters block)."""
    d = cal.demand_inputs(_uk_stock(raw), _read_reg02(raw))
    arrivals = {k: cal.arrivals_path(d, EXIT_RATE, conv, YEARS) for k, conv in DEMAND_PATHS.items()}
    needs = {k: need_path(d.need0, a) for k, a in arrivals.items()}
    initial, population = int(areas["initial"].sum()), int(areas["population"].sum())
    lowest = (min(needs["central"].values()) + initial) / population * 1e4
    protect_above = math.floor(PROTECT_MARGIN * lowest * 10) / 10
    gap = (units["central"].contingency_per_year - units["central"].dispersal_per_night * DAYS_PER_YEAR) / 2
    top = EQUITY_STEPS[-1][1]
    weight = int(math.ceil(gap / (top + 1) / EQUITY_ROUNDING - 1) * EQUITY_ROUNDING)
    premium = int(math.floor((top + 1) * weight / EQUITY_ROUNDING + 1) * EQUITY_ROUNDING)
    return Derived(arrivals=arrivals, needs=needs, protect_above=protect_above, equity_weight=weight,
                   new_site_premium=premium, initial=initial, population=population)


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------
def _flow(value: object) -> str:
    """A YAML flow value: numbers and words as they are, mappings and lists in braces and brackets."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return str(value)


def scenario_yaml(spec: dict) -> str:
    """Scenario file text (format v2): top-level keys in the order of ``spec``, one line a key below."""
    lines = [f"name: {spec['name']}", "description: >-",
             *[f"  {line}" for line in spec["description"].strip().splitlines()]]
    for key, value in spec.items():
        if key in ("name", "description"):
            continue
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {_flow(v)}" for k, v in value.items() if v is not None]
        else:
            lines.append(f"{key}: {_flow(value)}")
    return "\n".join(lines) + "\n"


COMMON = ("All 361 UK councils at 31 Dec 2025 (Home Office Reg_02): dispersal, hotels and initial\n"
          "accommodation by council; demand, unit costs and procurement calibrated in build.py, see SOURCES.md.")


def central_spec(x: Derived, units: dict) -> dict:
    """The central scenario as a mapping (the variants change a few keys)."""
    steps = [{"from": f, "weight": w} for f, w in EQUITY_STEPS]
    return {
        "name": "UK national plan, central",
        "description": ("Demand through the published 31 March 2026 figures, then the 2022-2025 trend; procurement\n"
                        "at the consistent historical pace (4,132 places a year, where it went); pressure counted on\n"
                        f"all supported asylum; the most pressured councils protected (no rise).\n{COMMON}"),
        "years": list(YEARS),
        "areas": "areas.csv",
        "demand": {"arrivals": x.arrivals["central"], "exit_rate": EXIT_RATE},
        "costs": {"contingency_per_person_year": units["central"].contingency_per_year,
                  "new_contingency_per_person_year": units["central"].contingency_per_year + x.new_site_premium,
                  "procurement_per_place": PROCUREMENT_PER_PLACE, "occupancy": OCCUPANCY, "void_share": VOID_SHARE},
        "policy": {"pressure_basis": PRESSURE_BASIS, "cluster_limit": CLUSTER_LIMIT, "fair_share": "population",
                   "max_growth": {"absolute": MAX_GROWTH_ABSOLUTE, "relative": MAX_GROWTH_RELATIVE},
                   "protect": {"above_per_10k": x.protect_above, "rule": PROTECT_RULE}},
        "objective": {"cost_weight": 1, "contingency_weight": 1, "equity_weight": x.equity_weight,
                      "equity_measure": "progressive", "equity_steps": steps},
        "funding": {"grant_per_occupied_place": GRANT_PER_OCCUPIED_PLACE, "grant_per_new_place": GRANT_PER_NEW_PLACE},
    }


def _variant(base: dict, name: str, description: str, **changes: dict) -> dict:
    """``base`` with the keys of ``changes`` (section -> {key: value or None to drop}) replaced."""
    out = {**base, "name": name, "description": f"{description}\n{COMMON}"}
    for section, values in changes.items():
        if isinstance(values, dict):
            merged = {**out[section], **values}
            out[section] = {k: v for k, v in merged.items() if v is not None}
        else:
            out[section] = values
    return out


STATUS_QUO = {"policy": {"pressure_basis": "dispersal", "protect": None}, "objective": {"equity_weight": 0}}


def scenario_specs(x: Derived, units: dict) -> dict[str, dict]:
    """Every scenario file: the central and its variants (each changes only what its description says)."""
    c = central_spec(x, units)
    high = {"demand": {"arrivals": x.arrivals["high"]}}
    ceiling = {"policy": {**c["policy"], "contingency_ceiling": HOTEL_CEILING}}
    sq = "today's rules: the cap on dispersal only, no protection, no equity term (the cheapest placement)"
    specs = {
        "central.yaml": c,
        "trend-status-quo.yaml": _variant(
            c, "UK national status quo at the trend pace",
            f"The headline's baseline: central demand, costs and procurement (the historical pace), with\n{sq}.",
            **STATUS_QUO),
        "ambitious.yaml": _variant(
            c, "UK national plan, ambitious procurement",
            "Central, with 10,000 new places a year targeted at councils below their fair share.",
            areas="areas-ambitious.csv"),
        "hotels-closed-by-2029.yaml": _variant(
            c, "UK national plan, hotels closed by 2029",
            "Central, with a ceiling on contingency falling from 22,000 (2026) to none in 2029.", **ceiling),
        "high-arrivals.yaml": _variant(
            c, "UK national plan, high arrivals",
            "Central, with the fall to 31 March 2026 taken as a one-off: need stays near 90,000.", **high),
        "high-arrivals-status-quo.yaml": _variant(
            c, "UK national status quo at the trend pace, high arrivals",
            f"High arrivals at the historical procurement pace, with\n{sq}.", **high, **STATUS_QUO),
        "low-arrivals.yaml": _variant(
            c, "UK national plan, low arrivals",
            "Central, with the first quarter's fall continuing all through 2026.",
            demand={"arrivals": x.arrivals["low"]}),
        "high-arrivals-hotels-closed.yaml": _variant(
            c, "UK national plan, high arrivals and hotels closed by 2029",
            "High arrivals with the hotel ceiling of hotels-closed-by-2029: a stress test that the\n"
            "historical procurement pace cannot meet (the solver reports the shortfall).", **high, **ceiling),
    }
    for level in ("low", "high"):
        u = units[level]
        specs[f"costs-{level}.yaml"] = _variant(
            c, f"UK national plan, {level} unit costs",
            f"Central, with hotels at £{u.hotel_per_night:.2f} and dispersal at £{u.dispersal_per_night:.2f} a night "
            "(same ratio).", areas=f"areas-costs-{level}.csv",
            costs={"contingency_per_person_year": u.contingency_per_year,
                   "new_contingency_per_person_year": u.contingency_per_year + x.new_site_premium})
    return specs


def build(out_dir: Path, raw: Path = RAW, verbose: bool = False) -> list[Path]:
    """Write the areas files and the scenario YAML files into ``out_dir``; return their paths."""
    check_raw(raw)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    areas, info = build_areas(raw)
    units = info["units"]
    derived = derive(raw, areas, units)

    written = []
    for name, table in areas_files(info["full"], units).items():
        path = out_dir / name
        table.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    for name, spec in scenario_specs(derived, units).items():
        path = out_dir / name
        path.write_bytes(scenario_yaml(spec).encode("utf-8"))
        written.append(path)

    if verbose:
        _report(areas, info, derived)
        _report_phase2(raw, areas, info)
    return written


def _report(areas: pd.DataFrame, info: dict[str, object], x: Derived) -> None:
    p = print
    p(f"areas: {len(areas)}; population {int(areas['population'].sum()):,}; "
      f"dispersal stock {int(areas['stock'].sum()):,}")
    p(f"capacity now (stock x {1 + VACANCY_MARGIN:g}, rounded up): {int(areas['capacity'].sum()):,}")
    p(f"procurement per year: areas.csv {int(areas['procurement_per_year'].sum()):,} (trend); "
      f"areas-ambitious.csv {int(areas['x_procurement_ambitious'].sum()):,}")
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
    for path, arrivals in x.arrivals.items():
        p(f"demand {path:8s} exit {EXIT_RATE}: arrivals {arrivals} -> need "
          + ", ".join(f"{y} {v:,.0f}" for y, v in x.needs[path].items()))
    lowest = min(x.needs["central"].values()) + x.initial
    basis = info["basis"]
    rate = basis / areas.set_index("area_code")["population"] * 1e4
    p(f"protection: lowest national total on the basis (central) {lowest:,.0f} = "
      f"{lowest / x.population * 1e4:.3f} per 10,000; x {PROTECT_MARGIN} -> above {x.protect_above} per 10,000: "
      f"{int((rate > x.protect_above).sum())} councils protected at the start")
    u = info["units"]["central"]
    p(f"equity weight: ({u.contingency_per_year:,} - {u.dispersal_per_night * DAYS_PER_YEAR:,.0f}) / 2 / "
      f"({EQUITY_STEPS[-1][1]} + 1) rounded down to {EQUITY_ROUNDING} -> {x.equity_weight:,}; new sites: a hotel "
      f"place + £{x.new_site_premium:,} (just above {EQUITY_STEPS[-1][1] + 1} x {x.equity_weight:,})")


def _report_phase2(raw: Path, areas: pd.DataFrame, info: dict[str, object]) -> None:
    """The issue-14 calibration: other programmes, trend and ambitious procurement, demand through
    31 March 2026, unit costs. Printed only: the scenario files use them from phase 2 on."""
    by_code = areas.set_index("area_code")
    names = by_code["area_name"]
    cols = ["contingency", "initial", "x_other_accommodation", "x_afghan", "x_ukraine_arrivals", "x_resettled_5y"]
    print("other columns, totals: " + ", ".join(f"{c} {int(areas[c].sum()):,}" for c in cols)
          + f" (x_resettled_5y: {info['resettled_unplaced']} arrivals with no council left out)")
    basis = info["basis"]
    over = basis[basis * CLUSTER_LIMIT > by_code["population"]]
    print(f"supported basis (dispersal + contingency + initial) over population/{CLUSTER_LIMIT}: "
          + ", ".join(f"{names[c]} {int(v):,}" for c, v in over.items()))
    for line in cal.trend_lines(info["trend"], by_code["x_procurement_trend"], names):
        print(line)
    for line in cal.ambitious_lines(info["ambitious_gap"], by_code["x_procurement_ambitious"], basis, names):
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

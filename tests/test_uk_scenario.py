"""Data checks on the committed national scenario ``scenarios/uk-2025/``.

Pure data tests: they read the committed files with pandas/yaml and import the scenario
builder by path. They do not import ``allocator``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "uk-2025"
RAW = SCENARIO / "raw"
YAML_FILES = [
    "central.yaml", "trend-status-quo.yaml", "ambitious.yaml", "hotels-closed-by-2029.yaml", "high-arrivals.yaml",
    "high-arrivals-status-quo.yaml", "low-arrivals.yaml", "costs-low.yaml", "costs-high.yaml",
    "high-arrivals-hotels-closed.yaml",
]
COLUMNS = [
    "area_code", "area_name", "region", "population", "stock", "capacity",
    "procurement_per_year", "cost_per_place", "status", "available_from",
    "contingency", "initial", "x_other_accommodation", "x_afghan", "x_ukraine_arrivals", "x_resettled_5y",
    "x_procurement_trend", "x_procurement_ambitious",
]
PEOPLE_COLUMNS = ["contingency", "initial", "x_other_accommodation", "x_afghan", "x_ukraine_arrivals", "x_resettled_5y",
                  "x_procurement_trend", "x_procurement_ambitious"]
# ONS, mid-2024 population estimates (published 26 Sep 2025), MYE2 "All ages",
# row K02000001 UNITED KINGDOM: 69,281,437.
UK_POPULATION_MID2024 = 69_281_437
DISPERSAL_TOTAL_2025_12_31 = 68_538  # Home Office Reg_02 / Asy_D09, 31 Dec 2025
COST_PER_NIGHT = 20.21  # hotel £118.87 a night over the NAO ratio 5.881 (calibration.py)
REGIONS = {
    "North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West", "Wales", "Scotland", "Northern Ireland",
}


@pytest.fixture(scope="module")
def areas() -> pd.DataFrame:
    return pd.read_csv(SCENARIO / "areas.csv", dtype={"area_code": str, "available_from": str},
                       keep_default_na=False)


@pytest.fixture(scope="module")
def reg02() -> pd.DataFrame:
    return pd.read_csv(RAW / "ho_reg02_la_immigration_groups_2025-12-31.csv", dtype={"areaCode": str})


def _load_builder():
    spec = importlib.util.spec_from_file_location("uk2025_build", SCENARIO / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_columns_and_order(areas: pd.DataFrame) -> None:
    assert list(areas.columns) == COLUMNS
    assert areas["area_code"].tolist() == sorted(areas["area_code"])


def test_361_unique_codes_by_nation(areas: pd.DataFrame, reg02: pd.DataFrame) -> None:
    assert len(areas) == 361
    assert not areas["area_code"].duplicated().any()
    assert (areas["area_code"].str.len() == 9).all()
    assert set(areas["area_code"]) == set(reg02["areaCode"])
    counts = areas["area_code"].str[0].value_counts().to_dict()
    assert counts == {"E": 296, "W": 22, "S": 32, "N": 11}
    assert set(areas["region"]) == REGIONS


def test_barnsley_sheffield_current_codes(areas: pd.DataFrame) -> None:
    names = areas.set_index("area_code")["area_name"]
    assert names["E08000038"] == "Barnsley"
    assert names["E08000039"] == "Sheffield"
    assert not areas["area_code"].isin(["E08000016", "E08000019"]).any()


def test_population_equals_published_uk_total(areas: pd.DataFrame) -> None:
    mye = pd.read_csv(RAW / "ons_mye2_mid2024_persons_by_single_year_of_age_uk.csv",
                      usecols=["Code", "All ages"], dtype={"Code": str})
    published = int(mye.loc[mye["Code"] == "K02000001", "All ages"].iloc[0])
    assert published == UK_POPULATION_MID2024
    assert int(areas["population"].sum()) == UK_POPULATION_MID2024
    assert (areas["population"] > 0).all()


def test_population_matches_reg02(areas: pd.DataFrame, reg02: pd.DataFrame) -> None:
    merged = areas.merge(reg02, left_on="area_code", right_on="areaCode", validate="one_to_one")
    assert (merged["population_x"] == merged["population_y"]).all()
    assert (merged["stock"] == merged["dispersalAccommodation"]).all()


def test_stock_total(areas: pd.DataFrame) -> None:
    assert int(areas["stock"].sum()) == DISPERSAL_TOTAL_2025_12_31
    assert (areas["stock"] >= 0).all()


def test_areas_over_cluster_ratio_on_all_supported(reg02: pd.DataFrame) -> None:
    over = reg02.loc[reg02["supportedAsylum"] * 200 > reg02["population"], "areaCode"]
    assert set(over) == {"S12000049", "E09000017", "E09000018"}  # Glasgow City, Hillingdon, Hounslow
    names = reg02.set_index("areaCode")["areaName"]
    assert (names["S12000049"], names["E09000017"], names["E09000018"]) == (
        "Glasgow City", "Hillingdon", "Hounslow")


def test_capacity_and_procurement(areas: pd.DataFrame) -> None:
    assert (areas["capacity"] >= areas["stock"]).all()
    assert (areas["procurement_per_year"] >= 0).all()
    assert pd.api.types.is_integer_dtype(areas["capacity"])
    assert pd.api.types.is_integer_dtype(areas["procurement_per_year"])


def test_costs_positive_and_calibrated(areas: pd.DataFrame) -> None:
    assert (areas["cost_per_place"] > 0).all()
    assert pd.api.types.is_integer_dtype(areas["cost_per_place"])
    # stock-weighted national mean, per person per night
    mean_year = (areas["stock"] * areas["cost_per_place"]).sum() / areas["stock"].sum()
    assert abs(mean_year / 365 - COST_PER_NIGHT) <= 0.01


def test_status_and_available_from(areas: pd.DataFrame) -> None:
    assert set(areas["status"]) == {"existing"}
    assert (areas["available_from"] == "").all()


def test_central_demand_fits_in_todays_capacity(areas: pd.DataFrame) -> None:
    """Capacity after cluster caps holds the central need every year: hotels can empty on it."""
    central = yaml.safe_load((SCENARIO / "central.yaml").read_text(encoding="utf-8"))
    demand = central["demand"]
    need = int(areas["stock"].sum()) + int(areas["contingency"].sum())
    cap = areas["population"] // central["policy"]["cluster_limit"]
    for year in central["years"]:
        need = (1 - demand["exit_rate"]) * need + demand["arrivals"][year]
        assert areas["capacity"].clip(upper=cap).sum() >= need


@pytest.mark.parametrize("name", YAML_FILES)
def test_yaml_keys(name: str) -> None:
    """Every file in scenario format v2: hotels by council (no contingency_start), average occupancy, a
    void share, the calibrated demand and costs."""
    doc = yaml.safe_load((SCENARIO / name).read_text(encoding="utf-8"))
    assert list(doc) == ["name", "description", "years", "areas", "demand", "costs", "policy",
                         "objective", "funding"]
    assert doc["years"] == [2026, 2027, 2028, 2029]
    assert doc["areas"] in {"areas.csv", "areas-ambitious.csv", "areas-costs-low.csv", "areas-costs-high.csv"}
    assert set(doc["demand"]) == {"arrivals", "exit_rate"}
    assert all(isinstance(k, int) and v > 0 for k, v in doc["demand"]["arrivals"].items())
    assert doc["demand"]["exit_rate"] == 0.5
    assert doc["costs"]["occupancy"] == "average" and doc["costs"]["void_share"] == 0.5
    assert doc["costs"]["new_contingency_per_person_year"] > doc["costs"]["contingency_per_person_year"]
    assert doc["policy"]["cluster_limit"] == 200
    assert doc["objective"]["equity_measure"] == "progressive"
    if "status-quo" in name:
        assert doc["policy"]["pressure_basis"] == "dispersal" and "protect" not in doc["policy"]
        assert doc["objective"]["equity_weight"] == 0
    else:
        assert doc["policy"]["pressure_basis"] == "supported"
        assert doc["policy"]["protect"] == {"above_per_10k": 12.7, "rule": "no_rise"}
        assert doc["objective"]["equity_weight"] == 1600
    assert ("contingency_ceiling" in doc["policy"]) == ("hotels-closed" in name)


def test_variants_change_only_what_they_say() -> None:
    """Each variant differs from central.yaml only in its named keys."""
    docs = {n: yaml.safe_load((SCENARIO / n).read_text(encoding="utf-8")) for n in YAML_FILES}
    central = docs["central.yaml"]
    changes = {"trend-status-quo.yaml": {"policy", "objective"}, "ambitious.yaml": {"areas"},
               "hotels-closed-by-2029.yaml": {"policy"}, "high-arrivals.yaml": {"demand"},
               "high-arrivals-status-quo.yaml": {"demand", "policy", "objective"}, "low-arrivals.yaml": {"demand"},
               "costs-low.yaml": {"areas", "costs"}, "costs-high.yaml": {"areas", "costs"},
               "high-arrivals-hotels-closed.yaml": {"demand", "policy"}, "central.yaml": set()}
    for name, doc in docs.items():
        differ = {k for k in doc if k not in ("name", "description") and doc[k] != central[k]}
        assert differ == changes[name], name
    arr = {n: d["demand"]["arrivals"][2026] for n, d in docs.items()}
    assert arr["low-arrivals.yaml"] < arr["central.yaml"] < arr["high-arrivals.yaml"]
    assert docs["costs-low.yaml"]["costs"]["contingency_per_person_year"] < central["costs"][
        "contingency_per_person_year"] < docs["costs-high.yaml"]["costs"]["contingency_per_person_year"]


def test_variant_areas_files_change_one_column() -> None:
    base = pd.read_csv(SCENARIO / "areas.csv", dtype=str, keep_default_na=False)
    assert (base["procurement_per_year"] == base["x_procurement_trend"]).all()
    for name, column in (("areas-ambitious.csv", "procurement_per_year"), ("areas-costs-low.csv", "cost_per_place"),
                         ("areas-costs-high.csv", "cost_per_place")):
        other = pd.read_csv(SCENARIO / name, dtype=str, keep_default_na=False)
        assert list(other) == list(base)
        differ = [c for c in base if not (base[c] == other[c]).all()]
        assert differ == [column], name
    ambitious = pd.read_csv(SCENARIO / "areas-ambitious.csv", dtype={"area_code": str}, keep_default_na=False)
    assert (ambitious["procurement_per_year"] == ambitious["x_procurement_ambitious"]).all()


def test_builder_reproduces_committed_files(tmp_path: Path) -> None:
    builder = _load_builder()
    written = builder.build(tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted(["areas.csv", "areas-ambitious.csv", "areas-costs-low.csv", "areas-costs-high.csv",
                            *YAML_FILES])
    for path in written:
        assert path.read_bytes() == (SCENARIO / path.name).read_bytes(), path.name


def test_raw_is_self_contained() -> None:
    text = (SCENARIO / "build.py").read_text(encoding="utf-8")
    assert "/work/shared" not in text
    assert "/work/shared" not in (SCENARIO / "calibration.py").read_text(encoding="utf-8")
    builder = _load_builder()
    for name in builder.RAW_SHA256:
        assert (RAW / name).is_file(), name


# --------------------------------------------------------------------------- issue 14, phase 1
# Published figures at 31 Dec 2025 (Home Office Reg_02, summed over the 361 councils; Asy_D09).
CONTINGENCY_TOTAL_2025_12_31 = 32_667   # 30,657 in hotels + 2,010 in other contingency
SUPPORTED_TOTAL_2025_12_31 = 107_003
REG02_TOTALS = {                        # areas column -> (Reg_02 column, published total)
    "contingency": ("contingencyAccommodation", CONTINGENCY_TOTAL_2025_12_31),
    "initial": ("initialAccommodation", 1_572),
    "x_other_accommodation": ("otherAccommodation", 649),
    "x_afghan": ("afghanProgrammePopulation", 31_021),
    "x_ukraine_arrivals": ("homesForUkraineArrivals", 149_685),
}
ASY_D11 = RAW / "ho_asy_d11_la_support_2014q1_2024q3_long.csv"
RES_D01 = RAW / "ho_res_d01_resettlement_by_la_2014q1_2024q3_long.csv"


@pytest.fixture(scope="module")
def builder():
    return _load_builder()


def _basis(areas: pd.DataFrame) -> pd.Series:
    """The supported basis of issue 13: dispersal + contingency + initial accommodation."""
    return (areas["stock"] + areas["contingency"] + areas["initial"]).set_axis(areas["area_code"])


def test_new_columns_are_whole_people(areas: pd.DataFrame) -> None:
    for col in PEOPLE_COLUMNS:
        assert pd.api.types.is_integer_dtype(areas[col]), col
        assert (areas[col] >= 0).all(), col


@pytest.mark.parametrize("column", sorted(REG02_TOTALS))
def test_reg02_columns_by_council_reproduce_the_published_totals(areas: pd.DataFrame, reg02: pd.DataFrame,
                                                                 column: str) -> None:
    source, published = REG02_TOTALS[column]
    merged = areas.merge(reg02, left_on="area_code", right_on="areaCode", validate="one_to_one")
    assert (merged[column] == merged[source]).all()
    assert int(areas[column].sum()) == published


def test_everyone_supported_is_accounted_for(areas: pd.DataFrame, reg02: pd.DataFrame) -> None:
    """Dispersal + contingency + initial + other + subsistence only = 107,003, the Asy_D09 total."""
    uk = pd.read_csv(RAW / "ho_uk_supported_asylum_stock_quarterly_2014q1_2025q4.csv", dtype={"period_end": str})
    published = int(uk.set_index("period_end").at["2025-12-31", "supported_asylum_total_uk"])
    assert published == SUPPORTED_TOTAL_2025_12_31
    held = areas[["stock", "contingency", "initial", "x_other_accommodation"]].to_numpy().sum()
    assert int(held + reg02["subsistenceOnly"].sum()) == SUPPORTED_TOTAL_2025_12_31
    hotels = int(uk.set_index("period_end").at["2025-12-31", "contingency_hotel_uk"])
    assert CONTINGENCY_TOTAL_2025_12_31 - hotels == 2_010


def test_hillingdon_and_hounslow_are_over_their_cap_on_the_supported_basis(areas: pd.DataFrame) -> None:
    basis = _basis(areas)
    population = areas.set_index("area_code")["population"]
    over = set(basis[basis * 200 > population].index)
    assert over == {"E09000017", "E09000018", "S12000049"}  # Hillingdon, Hounslow, Glasgow City
    # on dispersal alone only Glasgow is over: hotels put Hillingdon and Hounslow over
    stock = areas.set_index("area_code")["stock"]
    assert set(stock[stock * 200 > population].index) == {"S12000049"}
    assert basis["E09000017"] == 2_054 and basis["E09000018"] == 1_656


def _national_dispersal_by_quarter() -> pd.Series:
    """Asy_D11 dispersal people summed over every row (councils and 'N/A'), read independently."""
    d = pd.read_csv(ASY_D11, keep_default_na=False, dtype={"Date": str})
    d = d[d["Accommodation Type"] == "Dispersal Accommodation"]
    return d.groupby("Date")["People"].sum()


def test_trend_pace_is_the_consistent_historical_figure(areas: pd.DataFrame, reg02: pd.DataFrame, builder) -> None:
    """Net growth of dispersal 31 Dec 2022 (Asy_D11) -> 31 Dec 2025 (Reg_02), per year."""
    series = _national_dispersal_by_quarter()
    start, end = int(series["2022-12-31"]), int(reg02["dispersalAccommodation"].sum())
    pace = round((end - start) / 3)
    assert (start, end) == (56_143, 68_538)
    assert int(areas["x_procurement_trend"].sum()) == pace
    computed = builder.cal.trend(ASY_D11, areas.set_index("area_code")["stock"])
    assert computed.pace == pace
    # the best twelve months of the consistent series (from Dec 2022), recomputed from the quarters
    consistent = series[series.index >= "2022-12-31"]
    best = int((consistent - consistent.shift(4)).max())
    assert best == int(computed.windows["change"].max()) == 6_867  # 30 Sep 2023 -> 30 Sep 2024


def test_trend_procurement_goes_where_dispersal_grew(areas: pd.DataFrame, builder) -> None:
    d = pd.read_csv(ASY_D11, keep_default_na=False, dtype={"LAD Code": str, "Date": str})
    d = d[(d["Date"] == "2022-12-31") & (d["Accommodation Type"] == "Dispersal Accommodation")]
    start = d.assign(code=d["LAD Code"].replace(builder.cal.FORMER_CODES)).groupby("code")["People"].sum()
    assert set(start.index) - set(areas["area_code"]) == {"N/A"}
    stock = areas.set_index("area_code")["stock"]
    growth = (stock - start.reindex(stock.index, fill_value=0)).clip(lower=0)
    trend = areas.set_index("area_code")["x_procurement_trend"]
    assert (trend[growth == 0] == 0).all()
    share = trend.sum() * growth / growth.sum()
    assert (trend - share).abs().max() < 1


def test_ambitious_procurement_targets_councils_below_their_fair_share(areas: pd.DataFrame) -> None:
    basis = _basis(areas)
    population = areas.set_index("area_code")["population"]
    gap = (population / population.sum() * basis.sum() - basis).clip(lower=0)
    ambitious = areas.set_index("area_code")["x_procurement_ambitious"]
    assert int(ambitious.sum()) == 10_000
    assert (ambitious[gap == 0] == 0).all()
    assert (ambitious - 10_000 * gap / gap.sum()).abs().max() < 1


def test_resettled_5y_is_uk_scheme_arrivals_oct_2019_to_sep_2024(areas: pd.DataFrame) -> None:
    r = pd.read_csv(RES_D01, keep_default_na=False, dtype={"Date": str})
    schemes = {"Vulnerable Persons Resettlement Scheme", "Vulnerable Children Resettlement Scheme",
               "UK Resettlement Scheme", "UK Resettlement Scheme - Community Sponsorship Scheme", "Mandate Scheme"}
    window = r[r["Resettlement Scheme"].isin(schemes) & r["Date"].between("2019-12-31", "2024-09-30")]
    # 20 quarters; none were resettled in Q2 and Q3 2020 (the pandemic pause), so those rows are absent
    assert (window["Date"].min(), window["Date"].max()) == ("2019-12-31", "2024-09-30")
    no_council = int(window.loc[window["LAD Code"] == "Unknown", "Persons"].sum())
    assert int(areas["x_resettled_5y"].sum()) == int(window["Persons"].sum()) - no_council


def test_demand_calibration_passes_through_31_march_2026(builder) -> None:
    cal = builder.cal
    uk = pd.read_csv(RAW / "ho_uk_supported_asylum_stock_quarterly_2014q1_2025q4.csv",
                     dtype={"period_end": str}).set_index("period_end")
    reg = builder._read_reg02(RAW)
    d = cal.demand_inputs(uk, reg)
    assert d.need0 == 101_205 and d.out_of_scope == 5_798
    assert d.need_march == 97_519 - 5_798
    e = cal.EXIT_RATE_CENTRAL
    arrivals, end = cal.need_2026(d, e, "quarterly")
    s, k = cal.quarterly_factors(e)
    assert s ** 4 == pytest.approx(1 - e)
    # four equal quarters reproduce the yearly recursion and pass through 31 March exactly
    need = float(d.need0)
    for quarter in range(4):
        need = s * need + arrivals / k
        if quarter == 0:
            assert need == pytest.approx(d.need_march)
    assert need == pytest.approx(end) == pytest.approx((1 - e) * d.need0 + arrivals)
    # the linear reading passes through 31 March by construction
    _, linear_end = cal.need_2026(d, e, "linear")
    assert d.need0 + 0.25 * (linear_end - d.need0) == pytest.approx(d.need_march)
    path = cal.arrivals_path(d, e, "quarterly", (2026, 2027, 2028, 2029))
    assert all(v > 0 and v % 100 == 0 for v in path.values())


def test_unit_costs_follow_the_published_figures(builder) -> None:
    cal = builder.cal
    uk = pd.read_csv(RAW / "ho_uk_supported_asylum_stock_quarterly_2014q1_2025q4.csv",
                     dtype={"period_end": str}).set_index("period_end")
    costs = {u.name: u for u in cal.unit_costs(uk)}
    central = costs["central"]
    assert central.contingency_per_year == round(118.87 * 365)
    assert central.ratio == pytest.approx((0.76 / 0.35) / (0.24 / 0.65))  # about 6:1
    assert 5.5 < central.ratio < 6.5
    assert costs["low"].hotel_per_night < central.hotel_per_night < costs["high"].hotel_per_night

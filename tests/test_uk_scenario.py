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
    "central.yaml", "high-arrivals.yaml", "low-arrivals.yaml", "hotels-closed-by-2029.yaml",
    "high-arrivals-hotels-closed.yaml",
]
COLUMNS = [
    "area_code", "area_name", "region", "population", "stock", "capacity",
    "procurement_per_year", "cost_per_place", "status", "available_from",
]
# ONS, mid-2024 population estimates (published 26 Sep 2025), MYE2 "All ages",
# row K02000001 UNITED KINGDOM: 69,281,437.
UK_POPULATION_MID2024 = 69_281_437
DISPERSAL_TOTAL_2025_12_31 = 68_538  # Home Office Reg_02 / Asy_D09, 31 Dec 2025
COST_PER_NIGHT = 14.41
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


def test_hotels_closed_is_feasible_on_capacity(areas: pd.DataFrame) -> None:
    """Capacity after cluster caps can hold the central 2029 need, even with 3 years of procurement."""
    central = yaml.safe_load((SCENARIO / "central.yaml").read_text(encoding="utf-8"))
    demand = central["demand"]
    need = int(areas["stock"].sum()) + demand["contingency_start"]
    for year in central["years"]:
        need = (1 - demand["exit_rate"]) * need + demand["arrivals"][year]
    cap = areas["population"] // central["policy"]["cluster_limit"]
    reach = (areas["capacity"] + 3 * areas["procurement_per_year"]).clip(upper=cap)
    assert reach.sum() >= need


@pytest.mark.parametrize("name", YAML_FILES)
def test_yaml_keys(name: str) -> None:
    doc = yaml.safe_load((SCENARIO / name).read_text(encoding="utf-8"))
    assert list(doc) == ["name", "description", "years", "areas", "demand", "costs", "policy",
                         "objective", "funding"]
    assert doc["years"] == [2026, 2027, 2028, 2029]
    assert doc["areas"] == "areas.csv"
    assert set(doc["demand"]) == {"arrivals", "exit_rate", "contingency_start"}
    assert set(doc["demand"]["arrivals"]) == set(doc["years"])
    assert all(isinstance(k, int) and v > 0 for k, v in doc["demand"]["arrivals"].items())
    assert 0 < doc["demand"]["exit_rate"] < 1
    assert doc["demand"]["contingency_start"] == 32667
    assert set(doc["costs"]) == {"contingency_per_person_year", "procurement_per_place"}
    assert doc["costs"]["contingency_per_person_year"] == 145 * 365
    policy_keys = {"cluster_limit", "fair_share", "max_growth"}
    if "hotels-closed" in name:
        policy_keys.add("contingency_ceiling")
        ceiling = doc["policy"]["contingency_ceiling"]
        assert all(isinstance(k, int) for k in ceiling)
        assert ceiling[2029] == 0
    assert set(doc["policy"]) == policy_keys
    assert doc["policy"]["cluster_limit"] == 200
    assert doc["policy"]["fair_share"] == "population"
    assert set(doc["policy"]["max_growth"]) == {"absolute", "relative"}
    assert set(doc["objective"]) == {"cost_weight", "contingency_weight", "equity_weight",
                                     "equity_measure"}
    assert doc["objective"]["equity_measure"] == "l1"
    assert set(doc["funding"]) == {"grant_per_occupied_place", "grant_per_new_place"}


def test_variants_share_everything_but_arrivals_and_ceiling() -> None:
    docs = {n: yaml.safe_load((SCENARIO / n).read_text(encoding="utf-8")) for n in YAML_FILES}
    central = docs["central.yaml"]
    for name, doc in docs.items():
        for key in ("costs", "objective", "funding", "years", "areas"):
            assert doc[key] == central[key], (name, key)
        assert doc["demand"]["exit_rate"] == central["demand"]["exit_rate"]
    arr = {n: d["demand"]["arrivals"][2026] for n, d in docs.items()}
    assert arr["low-arrivals.yaml"] < arr["central.yaml"] < arr["high-arrivals.yaml"]
    assert arr["hotels-closed-by-2029.yaml"] == arr["central.yaml"]
    assert arr["high-arrivals-hotels-closed.yaml"] == arr["high-arrivals.yaml"]


def test_builder_reproduces_committed_files(tmp_path: Path) -> None:
    builder = _load_builder()
    written = builder.build(tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted(["areas.csv", *YAML_FILES])
    for path in written:
        assert path.read_bytes() == (SCENARIO / path.name).read_bytes(), path.name


def test_raw_is_self_contained() -> None:
    text = (SCENARIO / "build.py").read_text(encoding="utf-8")
    assert "/work/shared" not in text
    builder = _load_builder()
    for name in builder.RAW_SHA256:
        assert (RAW / name).is_file(), name

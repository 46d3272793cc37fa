"""Scenario files: the YAML schema, the areas table, loading and validation.

A scenario is a YAML file plus the tables it names, in the same folder.
:func:`load_scenario` reads and checks everything, collects every problem it
finds and raises one :class:`~allocator.errors.ScenarioError` listing them all
(file, line, column or key). What it returns, a :class:`Scenario`, is valid by
construction and immutable; vary it in code with :meth:`Scenario.update`
(dotted keys) or :meth:`Scenario.with_policy` and friends, which re-validate.
Reading and typing the tables is :mod:`allocator.tables`'s; dotted keys are
:mod:`allocator.dotted`'s.

The column registry :data:`AREA_COLUMNS` is the single description of the areas
table: the loader, the checks and ``docs/scenario-format.md`` follow it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from allocator import costing, opening, place, regional
from allocator.dotted import merge, set_dotted, validation_issues
from allocator.errors import Issue, ScenarioError
from allocator.excel import read_areas_sheet, split_sheet
from allocator.inputs import MAX_TABLE_BYTES, MAX_YAML_BYTES  # noqa: F401 - the file limits, named here too (docs, tests)
from allocator.inputs import read_csv_text, read_yaml, same_key
from allocator.columns import AGREEMENT_COLUMNS, AREA_COLUMNS, COHORT_COLUMNS, MAX_PEOPLE, MAX_POUNDS  # noqa: F401
from allocator.scales import VIRTUAL_KEYS, sweep_only
from allocator.previous import check_previous, previous_year_issues, read_previous
from allocator.tables import (OWN_PREFIX, Column, agreement_year_issues, as_text, issue_reporter, missing_columns,  # noqa: F401
                              parse_agreements, read_table, resolve_scenario_path, type_columns, unknown_columns)


# --------------------------------------------------------------------------- YAML schema
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonNeg = Field(ge=0, allow_inf_nan=False)
#: Marks a key added in scenario format v2: left out of the scenario's hash while it holds its default,
#: so that a v1 scenario keeps its hash (and writes byte-identical plans).
SINCE_V2 = {"since": 2}
#: Marks a key that names a table file next to the scenario (:data:`TABLE_FILE_KEYS`).
TABLE_FILE = {"table_file": True}


def _one_per_year(v: Any) -> Any:
    """A by-year mapping may not name a year twice (``{2029: 600, "2029": 5000}``): one value would win silently."""
    if isinstance(v, dict):
        seen: dict = {}
        for key in v:
            first = seen.setdefault(same_key(key), key)
            if first is not key:
                raise ValueError(f"the year {key!r} is given twice (also as {first!r})")
    return v


class MaxGrowth(_Strict):
    absolute: float | None = Field(default=None, ge=0, le=1e8, allow_inf_nan=False)
    """Most people an area's stock may grow by in a year, on top of the relative part."""
    relative: float | None = Field(default=None, ge=0, le=1e3, allow_inf_nan=False)
    """Most growth in a year as a share of last year's stock (0.5 = +50%)."""


class Demand(_Strict):
    arrivals: dict[int, float]
    """People newly needing accommodation in each year (one entry per planning year)."""
    exit_rate: float = Field(ge=0, le=0.99, allow_inf_nan=False)
    """Share of everyone in support who leaves support in a year (at most 0.99: above that,
    almost nobody stays a year, and the model's exit terms become too small to solve reliably)."""
    contingency_start: float | None = Field(default=None, ge=0, le=1e8, allow_inf_nan=False)
    """People in hotels and other contingency accommodation at the start (may be left out when the
    areas table has a ``contingency`` column: its total is the start)."""

    @field_validator("arrivals", mode="before")
    @classmethod
    def _one_value_per_year(cls, v: Any) -> Any:
        return _one_per_year(v)

    @field_validator("arrivals")
    @classmethod
    def _arrivals_finite(cls, v: dict[int, float]) -> dict[int, float]:
        for year, value in v.items():
            if not math.isfinite(value) or value < 0 or value > 1e8:
                raise ValueError(f"arrivals for {year} must be a number from 0 to 1e8, got {value}")
        return v


class Costs(_Strict):
    contingency_per_person_year: float = Field(ge=0, le=1e7, allow_inf_nan=False)
    """£ per person-year in hotels and other contingency accommodation."""
    procurement_per_place: float = Field(default=0.0, ge=0, le=1e7, allow_inf_nan=False)
    """£ one-off for each new bed space procured."""
    occupancy: Literal["end_of_year", "average"] = Field(default="end_of_year", json_schema_extra=SINCE_V2)
    """What a year's accommodation and contingency cost is charged on: the end-of-year numbers,
    or the mean of the start-of-year and end-of-year numbers."""
    void_share: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False, json_schema_extra=SINCE_V2)
    """Share of cost_per_place that an empty bed space of kept capacity costs for a year (0 to 1)."""
    new_contingency_per_person_year: float | None = Field(default=None, ge=0, le=1e7, allow_inf_nan=False,
                                                          json_schema_extra=SINCE_V2)
    """£ per person-year in new contingency (new sites, beyond the open hotel places; with the areas column
    ``contingency``); default ``contingency_per_person_year + hotel_place_per_year``, a place and its occupant."""
    hotel_place_per_year: float = Field(default=0.0, ge=0, le=1e7, allow_inf_nan=False, json_schema_extra=SINCE_V2)
    """£ per open hotel place per year, occupied or not. Used with the areas column ``contingency``."""


class Protect(_Strict):
    above_per_10k: float = Field(ge=0, le=1e4, allow_inf_nan=False)
    """An area whose rate per 10,000 residents on the pressure basis at the start is above this is protected."""
    rule: Literal["no_net_growth", "no_new_placements", "no_rise"] = "no_net_growth"
    """``no_net_growth``: never more in dispersal than today; ``no_new_placements``: nobody new; ``no_rise``:
    the total on the pressure basis never rises from one year end to the next (needs hotels counted on it)."""


class Policy(_Strict):
    cluster_limit: float = Field(default=200, ge=1, le=1e6, allow_inf_nan=False)
    """At most one supported person per this many residents."""
    fair_share: str = "population"
    """The areas-table column whose share defines each area's fair share."""
    max_growth: MaxGrowth | None = None
    """Growth limit per area and year; none if omitted."""
    contingency_ceiling: dict[int, float] | None = None
    """Most people in contingency accommodation at the end of each listed year (hard)."""
    pressure_basis: Literal["dispersal", "supported"] | list[str] = Field(default="dispersal",
                                                                         json_schema_extra=SINCE_V2)
    """Who counts towards an area's pressure: ``dispersal`` (v1), ``supported`` (dispersal, the people in
    its hotels and the column ``initial``) or a list of areas columns counted with dispersal and hotels."""

    @field_validator("pressure_basis", mode="before")
    @classmethod
    def _a_basis(cls, v: Any) -> Any:
        if isinstance(v, list) and all(isinstance(c, str) for c in v) or v in ("dispersal", "supported"):
            return v
        raise ValueError(f"{v!r} is not a pressure basis: give dispersal, supported, or a list of areas columns "
                         "counted with dispersal and hotels (e.g. [initial, afghan])")
    protect: Protect | None = Field(default=None, json_schema_extra=SINCE_V2)
    """Protection for the most pressured places; none if omitted."""
    max_new_areas: int | None = Field(default=None, ge=0, le=100_000, json_schema_extra=SINCE_V2)
    """Most areas hosting nobody now that may first receive people in any one year; no limit if omitted."""
    new_areas: opening.NewAreas | None = Field(default=None, json_schema_extra=SINCE_V2)
    """Opening terms for every area hosting nobody now, where the areas table leaves them empty."""

    @field_validator("contingency_ceiling", mode="before")
    @classmethod
    def _one_value_per_year(cls, v: Any) -> Any:
        return _one_per_year(v)

    @field_validator("contingency_ceiling")
    @classmethod
    def _ceiling_finite(cls, v: dict[int, float] | None) -> dict[int, float] | None:
        for year, value in (v or {}).items():
            if not math.isfinite(value) or value < 0 or value > 1e8:
                raise ValueError(f"contingency_ceiling for {year} must be a number from 0 to 1e8, got {value}")
        return v


class Objective(_Strict):
    cost_weight: float = Field(default=1.0, ge=0, le=1e6, allow_inf_nan=False)
    contingency_weight: float = Field(default=1.0, ge=0, le=1e6, allow_inf_nan=False)
    equity_weight: float = Field(default=0.0, ge=0, le=1e9, allow_inf_nan=False)
    """£ per person-year away from the fair share (l1, progressive) or per person of excess (minmax)."""
    equity_measure: Literal["l1", "minmax", "progressive"] = "l1"
    equity_steps: list[costing.EquityStep] | None = Field(default=None, min_length=1, max_length=20,
                                                          json_schema_extra=SINCE_V2)
    """The steps of the progressive measure: ``[{from: 1.0, weight: 1}, {from: 1.25, weight: 3}, ...]``."""
    stability_weight: float = Field(default=1_000.0, ge=0, le=1e9, allow_inf_nan=False, json_schema_extra=SINCE_V2)
    """£ per person an area's number is away from the previous plan's (``previous_plan``), each year."""


class Cohort(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    arrivals_share: float = Field(ge=0, le=1, allow_inf_nan=False)
    """Share of each year's arrivals in this cohort (shares add up to 1)."""
    contingency_share: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    """Share of contingency_start in this cohort; defaults to arrivals_share."""
    exit_rate: float | None = Field(default=None, ge=0, le=0.99, allow_inf_nan=False)
    """This cohort's exit rate; defaults to demand.exit_rate."""


class Funding(_Strict):
    grant_per_occupied_place: float = Field(default=0.0, ge=0, le=1e7, allow_inf_nan=False)
    """£ paid to the council per occupied place per year."""
    grant_per_new_place: float = Field(default=0.0, ge=0, le=1e7, allow_inf_nan=False)
    """£ paid to the council once per net new place (stock growth over the year)."""


class ScenarioConfig(_Strict):
    name: str
    description: str = ""
    years: list[Annotated[int, Field(ge=1900, le=2200)]] = Field(min_length=1, max_length=100)
    areas: str = Field(json_schema_extra=TABLE_FILE)
    demand: Demand
    costs: Costs
    policy: Policy = Policy()
    objective: Objective = Objective()
    cohorts: list[Cohort] | None = Field(default=None, min_length=1)
    funding: Funding | None = None
    agreements: str | None = Field(default=None, json_schema_extra=TABLE_FILE)
    """Optional table of agreed allocations (area, year, minimum/maximum/exact stock): hard constraints."""
    regions: str | None = Field(default=None, json_schema_extra=SINCE_V2 | TABLE_FILE)
    """Optional table of regional targets (region, year, min_share, max_share of the national total): hard."""
    previous_plan: str | None = Field(default=None, json_schema_extra=SINCE_V2 | TABLE_FILE)
    """Optional table of a previous plan's numbers (area, year, stock), kept to by ``objective.stability_weight``."""


#: The keys of a scenario that name a table file next to it (areas, agreements, regions, previous_plan): the
#: schema's fields marked :data:`TABLE_FILE`. An override cannot change them; a re-plan writes each one it uses.
TABLE_FILE_KEYS: tuple[str, ...] = tuple(name for name, info in ScenarioConfig.model_fields.items()
                                         if (info.json_schema_extra or {}).get("table_file"))


def _hash_dump(model: BaseModel) -> dict:
    """``model.model_dump(mode="json", by_alias=True)`` without the v2 keys (:data:`SINCE_V2`) that hold
    their default."""
    out = model.model_dump(mode="json", by_alias=True)
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if (info.json_schema_extra or {}).get("since") == 2 and value == info.default:
            del out[name]
        elif isinstance(value, BaseModel):
            out[name] = _hash_dump(value)
    return out


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario: its settings and its areas table.

    Use :func:`load_scenario` to read one from disk. The ``with_*`` methods
    return a new, re-validated scenario; the original is never changed.
    """

    config: ScenarioConfig
    areas: pd.DataFrame
    source: Path | None = None
    input_hashes: dict[str, str] = field(default_factory=dict)
    agreements: pd.DataFrame | None = None
    """Agreed allocations, one row per (area_code, year): columns minimum and maximum (NaN = none)."""
    regions: pd.DataFrame | None = None
    """Regional targets, one row per (region, year): min_share and max_share (NaN = none)."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """The dotted overrides applied since loading (:meth:`update`), in order: applied in that order to the
    loaded files they give this scenario again. Empty for a scenario as its files say."""
    previous: pd.DataFrame | None = None
    """A previous plan's numbers (``previous_plan``), one row per (area_code, year): column stock."""

    # ---- convenience accessors
    @property
    def name(self) -> str:
        return self.config.name

    @property
    def years(self) -> list[int]:
        return list(self.config.years)

    @property
    def cohort_names(self) -> list[str]:
        return [c.name for c in self.config.cohorts] if self.config.cohorts else ["all"]

    @property
    def has_cohorts(self) -> bool:
        return self.config.cohorts is not None

    def cohort_column(self, base: str, cohort: str) -> str:
        """The areas-table column holding ``base`` for ``cohort``."""
        if not self.has_cohorts:
            return base
        col = f"{base}_{cohort}"
        if base == "cost_per_place" and col not in self.areas.columns:
            return base
        return col

    @property
    def sha256(self) -> str:
        """Hash of the scenario's content: its settings (including the areas file name) and areas table."""
        payload = json.dumps(_hash_dump(self.config), sort_keys=True).encode()
        table = self.areas.to_csv(index=False, lineterminator="\n").encode()
        if self.agreements is not None:
            table += b"\n" + self.agreements.to_csv(index=False, lineterminator="\n").encode()
        if self.regions is not None:                     # scenario format v2: absent, the hash is v1's
            table += b"\nregions\n" + self.regions.to_csv(index=False, lineterminator="\n").encode()
        if self.previous is not None:
            table += b"\nprevious\n" + self.previous.to_csv(index=False, lineterminator="\n").encode()
        return hashlib.sha256(payload + b"\n" + table).hexdigest()

    # ---- variation in code: every change of a setting goes through update()
    def update(self, overrides: Mapping[str, Any], *, source: str = "overrides") -> Scenario:
        """A copy with settings changed by dotted key, e.g. ``update({"policy.cluster_limit": 250})``.

        Keys are paths in the scenario's YAML (``policy.contingency_ceiling.2029``,
        ``cohorts.0.exit_rate``; :func:`allocator.dotted.set_dotted`), applied in order. The
        new settings are validated by the same schema and checks as a loaded file; the areas
        table is not read again (its cells were checked when it was read): only what depends
        on the settings is checked again (the columns the cohorts and the fair-share key
        need, the agreements' years). ``source`` names the overrides in error messages
        (``--set`` on the command line). The copy's :attr:`overrides` records every override
        since loading; ``summary.json`` of a plan solved from it records them too.

        Raises :class:`~allocator.errors.ScenarioError` naming the key; the original is never changed.
        """
        if not overrides:
            return self
        for key, value in overrides.items():
            if key in VIRTUAL_KEYS:                       # demand.arrivals_scale...: not a setting (allocator.scales)
                raise ScenarioError(sweep_only(self, key, value, source))
            if key.split(".")[0] in TABLE_FILE_KEYS:
                raise ScenarioError(Issue(source, f"'{key}' names a table file, which an override cannot change: "
                                                  "edit the YAML, or use with_areas / with_agreements in Python",
                                          field=key))
        data = self.config.model_dump(mode="python")
        for dotted, value in overrides.items():
            set_dotted(data, dotted, copy.deepcopy(value), source)
        config = _validate_config(data, source)
        issues = _check_config(config, source) or _fits_tables(config, self.areas, self.agreements, source)
        issues += [] if self.regions is None else regional.year_issues(self.regions, config.years, config.regions)
        if self.previous is not None:
            issues += previous_year_issues(self.previous, config.years, config.previous_plan or source)
        if issues:
            raise ScenarioError(issues)
        return dataclasses.replace(self, config=config, overrides=merge(self.overrides, overrides))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """The same as :meth:`update` (the earlier name)."""
        return self.update(overrides)

    def with_policy(self, **values: Any) -> Scenario:
        """Copy with policy settings changed, e.g. ``with_policy(cluster_limit=250)``."""
        return self.update({f"policy.{k}": v for k, v in values.items()})

    def with_demand(self, **values: Any) -> Scenario:
        """Copy with demand settings changed, e.g. ``with_demand(exit_rate=0.3)``."""
        return self.update({f"demand.{k}": v for k, v in values.items()})

    def with_costs(self, **values: Any) -> Scenario:
        """Copy with cost settings changed, e.g. ``with_costs(contingency_per_person_year=30_000)``."""
        return self.update({f"costs.{k}": v for k, v in values.items()})

    def with_objective(self, **values: Any) -> Scenario:
        """Copy with objective weights changed, e.g. ``with_objective(equity_weight=0)``."""
        return self.update({f"objective.{k}": v for k, v in values.items()})

    def with_areas(self, areas: pd.DataFrame) -> Scenario:
        """Copy with a different areas table (checked like a file)."""
        return dataclasses.replace(_finish(self.config, as_text(areas), self.source, dict(self.input_hashes),
                                           "areas (in code)", agreements=self.agreements, regions=self.regions,
                                           previous=self.previous),
                                   overrides=self.overrides)

    def with_agreements(self, agreements: pd.DataFrame | None) -> Scenario:
        """Copy with a different agreements table (columns as in an agreements CSV), or none."""
        table = None if agreements is None else as_text(agreements)
        return dataclasses.replace(_finish(self.config, as_text(self.areas), self.source, dict(self.input_hashes),
                                           "agreements (in code)", agreements_table=table, regions=self.regions,
                                           previous=self.previous),
                                   overrides=self.overrides)


def _validate_config(data: dict, label: str) -> ScenarioConfig:
    try:
        return ScenarioConfig.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(validation_issues(err, label, ScenarioConfig)) from None


def _check_config(config: ScenarioConfig, label: str) -> list[Issue]:
    issues: list[Issue] = []
    years = config.years
    if any(b <= a for a, b in zip(years, years[1:])):
        issues.append(Issue(label, f"years must be in increasing order, got {years}", field="years"))
    elif any(b != a + 1 for a, b in zip(years, years[1:])):
        issues.append(Issue(label, f"years must be consecutive calendar years, got {years}", field="years"))
    missing = [y for y in years if y not in config.demand.arrivals]
    extra = [y for y in config.demand.arrivals if y not in years]
    if missing:
        issues.append(Issue(label, f"no arrivals given for {missing}", field="demand.arrivals"))
    if extra:
        issues.append(Issue(label, f"arrivals given for years outside the plan: {extra}", field="demand.arrivals"))
    ceiling = config.policy.contingency_ceiling or {}
    outside = [y for y in ceiling if y not in years]
    if outside:
        issues.append(Issue(label, f"ceiling given for years outside the plan: {outside}", field="policy.contingency_ceiling"))
    issues += costing.check_equity_steps(config.objective, label)
    if config.cohorts:
        names = [c.name for c in config.cohorts]
        if len(set(names)) != len(names):
            issues.append(Issue(label, f"cohort names must be unique, got {names}", field="cohorts"))
        total = sum(c.arrivals_share for c in config.cohorts)
        if abs(total - 1) > 1e-9:
            issues.append(Issue(label, f"arrivals_share must add up to 1, got {total:g}", field="cohorts"))
        shares = [c.contingency_share for c in config.cohorts]
        if any(s is not None for s in shares):
            if any(s is None for s in shares):
                issues.append(Issue(label, "give contingency_share for every cohort or none", field="cohorts"))
            elif abs(sum(shares) - 1) > 1e-9:
                issues.append(Issue(label, f"contingency_share must add up to 1, got {sum(shares):g}", field="cohorts"))
    return issues


# --------------------------------------------------------------------------- the areas table
def _area_specs(config: ScenarioConfig, columns: pd.Index, label: str) -> tuple[list[Column], list[Issue]]:
    """The column specs the areas table needs under ``config`` (cohorts and the fair-share key decide
    some), given the ``columns`` it has; an issue when the fair-share key names a column that is not numeric."""
    required = [c for c in AREA_COLUMNS if c.required]
    cohort_cols: list[Column] = []
    if config.cohorts:
        required = [c for c in required if c.name not in COHORT_COLUMNS[:3]]
        for cohort in config.cohorts:
            for base in COHORT_COLUMNS:
                spec = next(c for c in AREA_COLUMNS if c.name == base)
                name = f"{base}_{cohort.name}"
                # a cohort cost column may be left out (cost_per_place applies), but if present, every cell counts
                need = base != "cost_per_place" or "cost_per_place" not in columns or name in columns
                cohort_cols.append(Column(name, "number", need, spec.unit, spec.description, spec.minimum,
                                          spec.strict_minimum, spec.maximum, spec.whole))
        if "cost_per_place" not in columns:
            required = [c for c in required if c.name != "cost_per_place"]
    specs = required + [c for c in AREA_COLUMNS if not c.required] + cohort_cols
    fs = config.policy.fair_share
    if fs != "population":
        known = next((c for c in specs if c.name == fs), None)
        if known is None:
            specs.append(Column(fs, "number", True, "", "fair-share key", 0.0, False, 1e12))
        elif known.kind != "number":
            return specs, [Issue(label, f"policy.fair_share names '{fs}', which is not a numeric column", field=fs)]
        elif not known.required:
            specs[specs.index(known)] = dataclasses.replace(known, required=True)
    issues = place.basis_specs(config, specs, label, columns, _count_column)   # the pressure_basis columns
    return specs, issues


def _count_column(name: str) -> Column:
    """The spec of a column a ``pressure_basis`` list counts: a whole number of people, at least 0."""
    return Column(name, "number", True, "people", "counted on the pressure basis", 0.0, False, MAX_PEOPLE, True)


def _fair_share_issues(areas: pd.DataFrame, fair_share: str, label: str) -> list[Issue]:
    """The fair-share key must be above zero for at least one area that can host."""
    if fair_share == "population" or (areas[fair_share].to_numpy()[areas["status"].to_numpy() != "excluded"] > 0).any():
        return []
    return [Issue(label, "the fair-share column is zero for every area that can host", field=fair_share)]


def _parse_areas(df: pd.DataFrame, config: ScenarioConfig, label: str) -> tuple[pd.DataFrame, list[Issue]]:
    """Type and check the areas table. Returns the typed table and every problem found."""
    issues: list[Issue] = []
    lines = np.asarray(df.attrs.pop("lines", None) or np.arange(len(df)) + 2)  # file line numbers (header is 1)
    codes = df["area_code"].tolist() if "area_code" in df.columns else [None] * len(df)
    bad = issue_reporter(issues, label, lines, codes)

    dup = df.columns[df.columns.duplicated()]         # one pass: a table may have many columns of its own
    if len(dup):
        issues.append(Issue(label, f"column '{dup[0]}' appears more than once", row=1, field=dup[0]))
        return df, issues
    specs, spec_issues = _area_specs(config, df.columns, label)
    # a column the engine does not know is refused, never ignored; it does not stop the checks of the others
    issues += unknown_columns(df, [c.name for c in specs] + [c.name for c in AREA_COLUMNS], label)
    header = spec_issues or missing_columns(df, specs, label)
    if header:
        return df, issues + header
    if len(df) == 0:
        return df, issues + [Issue(label, "the areas table has no rows")]

    out, typed_issues = type_columns(df, specs, label, lines, codes)
    if typed_issues:
        return out, issues + typed_issues

    # ---- cross-column checks
    code = out["area_code"]
    dupes = code.duplicated(keep="first").to_numpy()
    bad(dupes, "area_code", lambda p: f"duplicate area_code '{code.iloc[p]}'")
    status = out["status"].to_numpy()
    avail = out["available_from"].to_numpy() if "available_from" in out else np.full(len(out), np.nan)
    vol = status == "volunteered"
    bad(vol & np.isnan(avail), "available_from", "a volunteered area needs available_from (the first year it can receive people)")
    bad(~vol & ~np.isnan(avail), "available_from", "available_from is only for volunteered areas (status is not 'volunteered')")
    cohorts = [c.name for c in config.cohorts] if config.cohorts else [None]
    for cohort in cohorts:
        sfx = f"_{cohort}" if cohort else ""
        stock, capacity = out[f"stock{sfx}"].to_numpy(), out[f"capacity{sfx}"].to_numpy()
        bad(stock > capacity + 1e-9, f"capacity{sfx}",
            lambda p, s=stock, c=capacity: f"capacity {c[p]:g} is below the current stock {s[p]:g}")
        bad(vol & (stock > 0), f"stock{sfx}", "a volunteered area holds nobody before it opens; stock must be 0")
    issues += _fair_share_issues(out, config.policy.fair_share, label)
    issues += place.check_areas(out, config, label, lines, codes)
    issues += opening.check_areas(out, config, label, lines, codes,
                                  [f"stock_{c}" for c in cohorts] if config.cohorts else ["stock"])
    out.index = pd.RangeIndex(len(out))
    return out, issues


def _fits_tables(config: ScenarioConfig, areas: pd.DataFrame, agreements: pd.DataFrame | None,
                 label: str) -> list[Issue]:
    """What of the (already typed and checked) tables depends on the settings, checked again for new
    settings by :meth:`Scenario.update`: the columns the cohorts and the fair-share key need, and the
    agreements' years. Nothing is parsed again, so a column of the user's own (``x_...``) that the loaded
    settings did not name was never read and cannot be counted now: said so, not "missing"."""
    basis = config.policy.pressure_basis
    unread = [n for n in (basis if isinstance(basis, list) else []) if n.startswith(OWN_PREFIX) and n not in areas.columns]
    if unread:
        return [Issue(label, f"'{n}' is a column of your own, read only when the scenario file's "
                             "policy.pressure_basis names it, so a change of settings cannot add it; name it in the "
                             "scenario file", field="policy.pressure_basis") for n in unread]
    specs, issues = _area_specs(config, areas.columns, label)
    if issues:
        return issues
    fs = config.policy.fair_share
    for spec in (s for s in specs if s.required):
        key = "policy.fair_share" if spec.name == fs else "cohorts" if spec not in AREA_COLUMNS else spec.name
        if spec.name not in areas.columns:
            issues.append(Issue(label, f"needs the column '{spec.name}', which the areas table ({config.areas}) "
                                       "does not have", field=key))
        elif areas[spec.name].isna().any():
            empty = areas.loc[areas[spec.name].isna(), "area_code"]
            issues.append(Issue(label, f"needs a value in the column '{spec.name}' for every area; "
                                       f"{len(empty)} have none (e.g. {empty.iat[0]})", field=key))
    if not issues:
        issues += _fair_share_issues(areas, fs, config.areas)
        issues += place.check_start(config, areas, label)
        if "protect" in areas.columns and config.policy.protect is None and areas["protect"].notna().any():
            issues.append(Issue(label, "the protect column needs policy.protect in the scenario (its threshold and "
                                       "rule)", field="policy.protect"))
    if agreements is not None:
        issues += agreement_year_issues(agreements, config.years, config.agreements or label)
    return issues


def _finish(config: ScenarioConfig, table: pd.DataFrame, source: Path | None, hashes: dict[str, str],
            label: str, agreements: pd.DataFrame | None = None,
            agreements_table: pd.DataFrame | None = None, regions: pd.DataFrame | None = None,
            previous: pd.DataFrame | None = None) -> Scenario:
    """Check a config and raw (string) tables together and build a Scenario.

    ``agreements`` is an already-typed agreements table (kept as is, re-checked against the
    areas and years); ``agreements_table`` a raw text one to parse; ``regions`` the regions table (text or typed);
    ``previous`` a previous plan's numbers, raw or typed (:func:`allocator.previous.check_previous`).
    """
    issues = _check_config(config, label)
    areas, table_issues = _parse_areas(table, config, config.areas if label != "areas (in code)" else label)
    issues += table_issues
    if agreements is not None and agreements_table is None:
        agreements_table = as_text(agreements)
    typed = None
    if agreements_table is not None and not table_issues:
        typed, more = parse_agreements(agreements_table, AGREEMENT_COLUMNS, config.years, areas["area_code"],
                                       config.agreements or label)
        issues += more
    targets, more = (None, []) if regions is None or table_issues else regional.from_table(regions, config, areas)
    issues += more
    previous, more = check_previous(None if table_issues else previous, config, areas, label)
    issues += more
    if not table_issues:
        issues += place.check_start(config, areas, label)
    if issues:
        raise ScenarioError(issues)
    return Scenario(config=config, areas=areas, source=source, input_hashes=hashes, agreements=typed, regions=targets,
                    previous=previous)


def load_scenario(path: str | Path) -> Scenario:
    """Read, check and return the scenario at ``path`` (a YAML file or a folder).

    Raises
    ------
    ScenarioError
        Listing every problem found, each with its file, line and column or key.
    """
    yaml_path = resolve_scenario_path(path)
    data, yaml_raw = read_yaml(yaml_path)
    label = yaml_path.name
    config = _validate_config(data, label)
    table_name, sheet = split_sheet(config.areas)      # areas may be an .xlsx sheet: "file.xlsx#Sheet"
    raw, table_path = read_table(yaml_path.parent, table_name, label, "areas", config.areas)
    hashes = {yaml_path.name: hashlib.sha256(yaml_raw).hexdigest(), config.areas: hashlib.sha256(raw).hexdigest()}
    if table_path.suffix.lower() in (".xlsx", ".xlsm"):
        table = read_areas_sheet(raw, sheet, config.areas)
    else:
        table = read_csv_text(raw, config.areas)
    texts = {}
    for key in ("agreements", "regions"):                # the optional tables, named by their keys
        name = getattr(config, key)
        if name is not None:
            raw, _ = read_table(yaml_path.parent, name, label, key, name)
            hashes[name] = hashlib.sha256(raw).hexdigest()
            texts[key] = read_csv_text(raw, name)
    previous = read_previous(yaml_path.parent, config.previous_plan, label, hashes)
    return _finish(config, table, yaml_path, hashes, label, agreements_table=texts.get("agreements"),
                   regions=texts.get("regions"), previous=previous)

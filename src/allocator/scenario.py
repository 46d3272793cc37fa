"""Scenario files: the YAML schema, the areas table, loading and validation.

A scenario is a YAML file plus the tables it names, in the same folder.
:func:`load_scenario` reads and checks everything, collects every problem it
finds and raises one :class:`~allocator.errors.ScenarioError` listing them all
(file, line, column or key). What it returns, a :class:`Scenario`, is valid by
construction and immutable; vary it in code with :meth:`Scenario.with_policy`
and friends, which re-validate.

The column registry :data:`AREA_COLUMNS` is the single description of the areas
table: the loader, the checks and ``docs/scenario-format.md`` follow it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from allocator.errors import Issue, ScenarioError

MAX_YAML_BYTES = 1 * 1024 * 1024
MAX_YAML_DEPTH = 50            # a scenario nests 4 levels; PyYAML's recursive composer fails at about 330
MAX_TABLE_BYTES = 200 * 1024 * 1024
STATUSES = ("existing", "volunteered", "excluded")
#: Keys added by scenario format v2 (issue 13): left out of :attr:`Scenario.sha256` at their defaults.
V2_KEYS = ("costs.occupancy", "costs.void_share", "objective.equity_steps")


# --------------------------------------------------------------------------- YAML schema
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonNeg = Field(ge=0, allow_inf_nan=False)


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
    contingency_start: float = Field(ge=0, le=1e8, allow_inf_nan=False)
    """People in hotels and other contingency accommodation at the start."""

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
    occupancy: Literal["end_of_year", "average"] = "end_of_year"
    """What a year's accommodation and contingency cost is charged on: the end-of-year numbers,
    or the mean of the start-of-year and end-of-year numbers."""
    void_share: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)
    """Share of cost_per_place that an empty bed space of kept capacity costs for a year (0 to 1)."""


class Policy(_Strict):
    cluster_limit: float = Field(default=200, ge=1, le=1e6, allow_inf_nan=False)
    """At most one supported person per this many residents."""
    fair_share: str = "population"
    """The areas-table column whose share defines each area's fair share."""
    max_growth: MaxGrowth | None = None
    """Growth limit per area and year; none if omitted."""
    contingency_ceiling: dict[int, float] | None = None
    """Most people in contingency accommodation at the end of each listed year (hard)."""

    @field_validator("contingency_ceiling")
    @classmethod
    def _ceiling_finite(cls, v: dict[int, float] | None) -> dict[int, float] | None:
        for year, value in (v or {}).items():
            if not math.isfinite(value) or value < 0 or value > 1e8:
                raise ValueError(f"contingency_ceiling for {year} must be a number from 0 to 1e8, got {value}")
        return v


class EquityStep(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: float = Field(alias="from", ge=1.0, le=1e3, allow_inf_nan=False)
    """Multiple of the fair share from which the step's weight applies (the first step: 1.0)."""
    weight: float = Field(gt=0, le=1e6, allow_inf_nan=False)
    """Multiple of equity_weight charged per person-year above ``from`` × the fair share."""


class Objective(_Strict):
    cost_weight: float = Field(default=1.0, ge=0, le=1e6, allow_inf_nan=False)
    contingency_weight: float = Field(default=1.0, ge=0, le=1e6, allow_inf_nan=False)
    equity_weight: float = Field(default=0.0, ge=0, le=1e9, allow_inf_nan=False)
    """£ per person-year away from the fair share (l1, progressive) or per person of excess (minmax)."""
    equity_measure: Literal["l1", "minmax", "progressive"] = "l1"
    equity_steps: list[EquityStep] | None = Field(default=None, min_length=1, max_length=20)
    """The steps of the progressive measure: ``[{from: 1.0, weight: 1}, {from: 1.25, weight: 3}, ...]``."""


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
    areas: str
    demand: Demand
    costs: Costs
    policy: Policy = Policy()
    objective: Objective = Objective()
    cohorts: list[Cohort] | None = Field(default=None, min_length=1)
    funding: Funding | None = None
    agreements: str | None = None
    """Optional table of agreed allocations (area, year, minimum/maximum/exact stock): hard constraints."""


# --------------------------------------------------------------------------- areas table
@dataclass(frozen=True)
class Column:
    name: str
    kind: Literal["text", "number", "year", "status"]
    required: bool
    unit: str
    description: str
    minimum: float | None = 0.0
    strict_minimum: bool = False
    maximum: float | None = None
    whole: bool = False          # people and bed spaces come in whole numbers


#: Largest values accepted: far beyond any real council, small enough that no sum overflows
#: and the linear program stays well scaled. Larger inputs are refused with this limit named.
MAX_PEOPLE = 1e8
MAX_POUNDS = 1e7


AREA_COLUMNS: tuple[Column, ...] = (
    Column("area_code", "text", True, "", "Unique code of the area (e.g. the ONS/GSS code)."),
    Column("area_name", "text", True, "", "Name of the area."),
    Column("region", "text", True, "", "Region the area belongs to (used for regional totals)."),
    Column("population", "number", True, "people", "Resident population (at least 1).", 1.0, False, 1e9),
    Column("stock", "number", True, "people", "People in dispersed accommodation in the area now (whole number).",
           0.0, False, MAX_PEOPLE, True),
    Column("capacity", "number", True, "bed spaces", "Bed spaces usable now (at least `stock`; whole number).",
           0.0, False, MAX_PEOPLE, True),
    Column("procurement_per_year", "number", True, "bed spaces/year",
           "Most new bed spaces that can be procured in a year (whole number).", 0.0, False, MAX_PEOPLE, True),
    Column("cost_per_place", "number", True, "£/person-year", "Annual property market cost of one occupied place.",
           0.0, False, MAX_POUNDS),
    Column("status", "status", True, "", "`existing`, `volunteered` or `excluded`."),
    Column("available_from", "year", False, "year", "First year a volunteered area can receive people (volunteered areas only).",
           1900.0, False, 2200.0),
    Column("cluster_limit", "number", False, "residents per person", "Locally agreed cluster limit overriding policy.cluster_limit.",
           1.0, False, 1e6),
    Column("weight", "number", False, "", "Fair-share key other than population (use with policy.fair_share: weight).",
           0.0, False, 1e12),
)
COHORT_COLUMNS = ("stock", "capacity", "procurement_per_year", "cost_per_place")

AGREEMENT_COLUMNS: tuple[Column, ...] = (
    Column("area_code", "text", True, "", "The area the agreement is about (must be in the areas table)."),
    Column("year", "year", True, "year", "The planning year whose end-of-year stock is agreed.", 1900.0, False, 2200.0),
    Column("minimum", "number", False, "people", "At least this many people in the area at the end of the year.",
           0.0, False, MAX_PEOPLE),
    Column("maximum", "number", False, "people", "At most this many people in the area at the end of the year.",
           0.0, False, MAX_PEOPLE),
    Column("exact", "number", False, "people", "Exactly this many (instead of minimum and maximum).",
           0.0, False, MAX_PEOPLE),
    Column("note", "text", False, "", "Free text: who agreed it and when (reported, not used)."),
)


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
        """Hash of the scenario's content: its settings (including the areas file name) and areas table.

        Keys of scenario format v2 (:data:`V2_KEYS`) count only when they differ from their defaults,
        so that a v1 scenario keeps the hash it had (``scenario_sha256`` in summary.json)."""
        settings = self.config.model_dump(mode="json", by_alias=True)
        for dotted in V2_KEYS:
            *path, key = dotted.split(".")
            node, model = settings, self.config
            for part in path:
                node, model = node[part], getattr(model, part)
            if getattr(model, key) == type(model).model_fields[key].default:
                node.pop(key)
        payload = json.dumps(settings, sort_keys=True).encode()
        table = self.areas.to_csv(index=False, lineterminator="\n").encode()
        if self.agreements is not None:
            table += b"\n" + self.agreements.to_csv(index=False, lineterminator="\n").encode()
        return hashlib.sha256(payload + b"\n" + table).hexdigest()

    # ---- variation in code
    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """Return a copy with dotted keys replaced, e.g. ``{"policy.cluster_limit": 250}``."""
        data = self.config.model_dump(mode="python", exclude_unset=False)
        data = copy.deepcopy(data)
        for dotted, value in overrides.items():
            node = data
            parts = dotted.split(".")
            for part in parts[:-1]:
                if not isinstance(node, dict) or part not in node:
                    raise ScenarioError(Issue("overrides", f"unknown key '{dotted}'", field=dotted))
                if node[part] is None:
                    node[part] = {}
                node = node[part]
            if not isinstance(node, dict):
                raise ScenarioError(Issue("overrides", f"unknown key '{dotted}'", field=dotted))
            node[parts[-1]] = value
        config = _validate_config(data, "overrides")
        return _finish(config, _as_text(self.areas), self.source, dict(self.input_hashes), "overrides", raw=False,
                       agreements=self.agreements)

    def with_policy(self, **values: Any) -> Scenario:
        """Copy with policy settings changed, e.g. ``with_policy(cluster_limit=250)``."""
        return self.with_overrides({f"policy.{k}": v for k, v in values.items()})

    def with_demand(self, **values: Any) -> Scenario:
        """Copy with demand settings changed, e.g. ``with_demand(exit_rate=0.3)``."""
        return self.with_overrides({f"demand.{k}": v for k, v in values.items()})

    def with_costs(self, **values: Any) -> Scenario:
        return self.with_overrides({f"costs.{k}": v for k, v in values.items()})

    def with_objective(self, **values: Any) -> Scenario:
        """Copy with objective weights changed, e.g. ``with_objective(equity_weight=0)``."""
        return self.with_overrides({f"objective.{k}": v for k, v in values.items()})

    def with_areas(self, areas: pd.DataFrame) -> Scenario:
        """Copy with a different areas table (checked like a file)."""
        return _finish(self.config, _as_text(areas), self.source, dict(self.input_hashes), "areas (in code)", raw=False,
                       agreements=self.agreements)

    def with_agreements(self, agreements: pd.DataFrame | None) -> Scenario:
        """Copy with a different agreements table (columns as in an agreements CSV), or none."""
        table = None if agreements is None else _as_text(agreements)
        return _finish(self.config, _as_text(self.areas), self.source, dict(self.input_hashes), "agreements (in code)",
                       raw=False, agreements_table=table)


# --------------------------------------------------------------------------- YAML reading
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and alias (anchor) expansion."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:                       # a list or mapping used as a key ("? [a]: b", "{[1]: 2}")
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name or number, not a list or mapping", key_node.start_mark
            ) from None
        if key in mapping:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (line {mark.line + 1})", mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _refuse_alias(loader: _UniqueKeyLoader, node: yaml.Node) -> Any:  # pragma: no cover - guard
    raise yaml.constructor.ConstructorError(None, None, "YAML aliases are not allowed", node.start_mark)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _NoAliasComposer(_UniqueKeyLoader):
    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in scenario files", event.start_mark
            )
        if self._depth >= MAX_YAML_DEPTH:      # PyYAML composes recursively: "[[[[..." would overflow the stack
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _read_yaml(path: Path) -> dict:
    label = path.name
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ScenarioError(Issue(str(path), f"cannot read the scenario file: {err.strerror}")) from None
    if size > MAX_YAML_BYTES:
        raise ScenarioError(Issue(label, f"file is {size:,} bytes; the limit for a scenario file is {MAX_YAML_BYTES:,}"))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(Issue(label, f"not UTF-8 text (byte {err.start}); save the file as UTF-8")) from None
    try:
        data = yaml.load(text, Loader=_NoAliasComposer)  # noqa: S506 - safe loader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = Issue(label, f"YAML error: {err.problem or err.context}", row=mark.line + 1 if mark else None)
        raise ScenarioError(where) from None
    except yaml.YAMLError as err:
        raise ScenarioError(Issue(label, f"YAML error: {err}")) from None
    if not isinstance(data, dict):
        raise ScenarioError(Issue(label, "the scenario file must be a YAML mapping (key: value lines)"))
    return data


def _validate_config(data: dict, label: str) -> ScenarioConfig:
    try:
        return ScenarioConfig.model_validate(data)
    except ValidationError as err:
        issues = []
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"]) or "(top level)"
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling against docs/scenario-format.md)"
            elif e["type"] == "missing":
                msg = "required key is missing"
            else:
                msg = f"{msg} (got {e.get('input')!r})"
            issues.append(Issue(label, msg, field=key))
        raise ScenarioError(issues) from None


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
    issues += _check_equity_steps(config.objective, label)
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


def _check_equity_steps(objective: Objective, label: str) -> list[Issue]:
    """The progressive measure's steps: given with it, starting at 1.0 (the fair share), ``from``
    strictly increasing and weights never decreasing (a convex cost, so the model stays linear)."""
    steps = objective.equity_steps
    key = "objective.equity_steps"
    if steps is None:
        if objective.equity_measure == "progressive":
            return [Issue(label, "equity_measure: progressive needs equity_steps, e.g. "
                          "[{from: 1.0, weight: 1}, {from: 1.25, weight: 3}]", field=key)]
        return []
    issues = []
    if steps[0].from_ != 1.0:
        issues.append(Issue(label, f"the first step must start at the fair share, from: 1.0; got {steps[0].from_:g}",
                            field=f"{key}.0.from"))
    for k, (before, step) in enumerate(zip(steps, steps[1:]), 1):
        if step.from_ <= before.from_:
            issues.append(Issue(label, f"from must increase from step to step: {step.from_:g} is not above "
                                f"{before.from_:g}", field=f"{key}.{k}.from"))
        if step.weight < before.weight:
            issues.append(Issue(label, f"weights must not decrease (the measure must be convex to stay a "
                                f"linear program): {step.weight:g} after {before.weight:g}", field=f"{key}.{k}.weight"))
    return issues


# --------------------------------------------------------------------------- table reading
def _resolve_table(base: Path, name: str, label: str, key: str) -> Path:
    rel = Path(name)
    if rel.is_absolute():
        raise ScenarioError(Issue(label, f"table path must be relative to the scenario folder, got '{name}'", field=key))
    path = (base / rel)
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ScenarioError(Issue(label, f"table file '{name}' not found next to the scenario ({base})", field=key)) from None
    if not resolved.is_relative_to(base.resolve()):
        raise ScenarioError(Issue(label, f"table path '{name}' leaves the scenario folder; copy the table into it", field=key))
    if not resolved.is_file():
        raise ScenarioError(Issue(label, f"table '{name}' is not a file", field=key))
    size = resolved.stat().st_size
    if size > MAX_TABLE_BYTES:
        raise ScenarioError(Issue(name, f"file is {size:,} bytes; the limit for a table is {MAX_TABLE_BYTES:,}"))
    return resolved


def _read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV table as text cells, refusing ragged lines and repeated headers."""
    import csv
    import io

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError(Issue(path.name, f"not UTF-8 text (byte {err.start}); save the table as UTF-8 CSV")) from None
    if "\x00" in text:
        raise ScenarioError(Issue(path.name, "the file contains NUL bytes; it is not a text CSV file"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ScenarioError(Issue(path.name, "the table is empty: the first line must name the columns"))
        header = [h.strip() for h in header]
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise ScenarioError(Issue(path.name, f"column '{name}' appears more than once", row=1, field=name))
            seen.add(name)
        rows, issues, line_numbers = [], [], []
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue                                    # blank line
            if len(row) != len(header):
                issues.append(Issue(path.name, f"{len(row)} fields but the header has {len(header)} "
                                    "(a comma inside an unquoted value, e.g. 4,300? write 4300 or quote it)",
                                    row=reader.line_num))
                if len(issues) >= 20:
                    break
                continue
            rows.append([cell.strip() for cell in row])
            line_numbers.append(reader.line_num)
    except csv.Error as err:
        raise ScenarioError(Issue(path.name, f"cannot parse the CSV: {err}", row=reader.line_num)) from None
    if issues:
        raise ScenarioError(issues)
    df = pd.DataFrame(rows, columns=header, dtype=object)
    df.attrs["lines"] = line_numbers
    return df


def _type_columns(df: pd.DataFrame, specs: list[Column], label: str, lines: np.ndarray,
                  codes: list) -> tuple[pd.DataFrame, list[Issue]]:
    """Type each column of a text table by its spec; every bad cell becomes an Issue with its line."""
    issues: list[Issue] = []

    def bad(mask: np.ndarray, column: str, message: str | Any) -> None:
        for pos in np.flatnonzero(mask)[:50]:
            text = message(pos) if callable(message) else message
            issues.append(Issue(label, text, row=int(lines[pos]), field=column, area=codes[pos] or None))

    out = pd.DataFrame(index=df.index)
    for spec in specs:
        if spec.name not in df.columns:
            continue
        col = df[spec.name].astype(str)
        empty = (col == "").to_numpy()
        if spec.kind == "text":
            if spec.required:
                bad(empty, spec.name, "empty value")
            out[spec.name] = col
        elif spec.kind == "status":
            low = col.str.lower()
            bad(~low.isin(STATUSES).to_numpy(), spec.name,
                lambda p: f"unknown status '{col.iloc[p]}'; use one of {', '.join(STATUSES)}")
            out[spec.name] = low
        else:
            num = pd.to_numeric(col.str.replace(",", "", regex=False), errors="coerce").astype(float)
            values = num.to_numpy()
            if spec.required:
                bad(empty, spec.name, "missing value")
            notnum = ~empty & np.isnan(values)
            bad(notnum, spec.name, lambda p: f"not a number: '{col.iloc[p]}'")
            bad(np.isinf(values), spec.name, "must be a finite number")
            finite = np.isfinite(values)
            if spec.kind == "year":
                bad(finite & (values != np.round(values)), spec.name, "must be a whole year")
            elif spec.whole:
                bad(finite & (values != np.round(values)), spec.name,
                    lambda p: f"must be a whole number ({spec.unit}), got {values[p]:g}")
            if spec.minimum is not None:
                if spec.strict_minimum:
                    bad(finite & (values <= spec.minimum), spec.name,
                        lambda p: f"must be greater than {spec.minimum:g}, got {values[p]:g}")
                elif spec.minimum == 0:
                    bad(finite & (values < 0), spec.name, lambda p: f"must not be negative, got {values[p]:g}")
                else:
                    bad(finite & (values < spec.minimum), spec.name,
                        lambda p: f"must be at least {spec.minimum:g}, got {values[p]:g}")
            if spec.maximum is not None:
                bad(finite & (values > spec.maximum), spec.name,
                    lambda p: f"{values[p]:g} is above the limit of {spec.maximum:g} for this column")
            out[spec.name] = values
    return out, issues


def _parse_areas(df: pd.DataFrame, config: ScenarioConfig, label: str) -> tuple[pd.DataFrame, list[Issue]]:
    """Type and check the areas table. Returns the typed table and every problem found."""
    issues: list[Issue] = []
    lines = np.asarray(df.attrs.get("lines") or np.arange(len(df)) + 2)  # file line numbers (header is 1)
    codes = df["area_code"].tolist() if "area_code" in df.columns else [None] * len(df)

    def bad(mask: np.ndarray, column: str, message: str | Any) -> None:
        for pos in np.flatnonzero(mask)[:50]:
            text = message(pos) if callable(message) else message
            issues.append(Issue(label, text, row=int(lines[pos]), field=column, area=codes[pos] or None))

    dup = [c for c in df.columns if list(df.columns).count(c) > 1]
    if dup:
        issues.append(Issue(label, f"column '{dup[0]}' appears more than once", row=1, field=dup[0]))
        return df, issues
    required = [c for c in AREA_COLUMNS if c.required]
    cohort_cols: list[Column] = []
    if config.cohorts:
        required = [c for c in required if c.name not in COHORT_COLUMNS[:3]]
        for cohort in config.cohorts:
            for base in COHORT_COLUMNS:
                spec = next(c for c in AREA_COLUMNS if c.name == base)
                name = f"{base}_{cohort.name}"
                # a cohort cost column may be left out (cost_per_place applies), but if present, every cell counts
                need = base != "cost_per_place" or "cost_per_place" not in df.columns or name in df.columns
                cohort_cols.append(Column(name, "number", need, spec.unit, spec.description, spec.minimum,
                                          spec.strict_minimum, spec.maximum, spec.whole))
        if "cost_per_place" not in df.columns:
            required = [c for c in required if c.name != "cost_per_place"]
    specs = required + [c for c in AREA_COLUMNS if not c.required] + cohort_cols
    fs = config.policy.fair_share
    if fs != "population":
        known = next((c for c in specs if c.name == fs), None)
        if known is None:
            specs.append(Column(fs, "number", True, "", "fair-share key", 0.0, False, 1e12))
        elif known.kind != "number":
            issues.append(Issue(label, f"policy.fair_share names '{fs}', which is not a numeric column", field=fs))
            return df, issues
        elif not known.required:
            specs[specs.index(known)] = dataclasses.replace(known, required=True)
    for spec in specs:
        if spec.required and spec.name not in df.columns:
            issues.append(Issue(label, "required column is missing", row=1, field=spec.name))  # line 1: the header
    if issues:
        return df, issues
    if len(df) == 0:
        return df, [Issue(label, "the areas table has no rows")]

    out, typed_issues = _type_columns(df, specs, label, lines, codes)
    issues += typed_issues
    if issues:
        return out, issues

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
    if fs != "population":
        w = out[fs].to_numpy()
        if not (w[status != "excluded"] > 0).any():
            issues.append(Issue(label, "the fair-share column is zero for every area that can host", field=fs))
    out.index = pd.RangeIndex(len(out))
    return out, issues


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """A typed table back to the text cells the loader checks (NaN and None become empty)."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        out[col] = [("" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else
                     (repr(float(v)) if isinstance(v, (float, np.floating)) else str(v))) for v in df[col].tolist()]
    return out


def _finish(config: ScenarioConfig, table: pd.DataFrame, source: Path | None, hashes: dict[str, str],
            label: str, raw: bool, agreements: pd.DataFrame | None = None,
            agreements_table: pd.DataFrame | None = None) -> Scenario:
    """Check a config and raw (string) tables together and build a Scenario.

    ``agreements`` is an already-typed agreements table (kept as is, re-checked against the
    areas and years); ``agreements_table`` a raw text one to parse.
    """
    issues = _check_config(config, label)
    areas, table_issues = _parse_areas(table, config, config.areas if label != "areas (in code)" else label)
    issues += table_issues
    if agreements is not None and agreements_table is None:
        agreements_table = _as_text(agreements)
    typed = None
    if agreements_table is not None and not table_issues:
        typed, more = _parse_agreements(agreements_table, config, areas, config.agreements or label)
        issues += more
    if issues:
        raise ScenarioError(issues)
    return Scenario(config=config, areas=areas, source=source, input_hashes=hashes, agreements=typed)


def _parse_agreements(df: pd.DataFrame, config: ScenarioConfig, areas: pd.DataFrame,
                      label: str) -> tuple[pd.DataFrame | None, list[Issue]]:
    """Type and check the agreements table against the areas and years."""
    issues: list[Issue] = []
    lines = np.asarray(df.attrs.get("lines") or np.arange(len(df)) + 2)
    for spec in AGREEMENT_COLUMNS:
        if spec.required and spec.name not in df.columns:
            issues.append(Issue(label, "required column is missing", row=1, field=spec.name))
    known = {c.name for c in AGREEMENT_COLUMNS}
    for name in df.columns:
        if name not in known:
            issues.append(Issue(label, f"unknown column; use {', '.join(sorted(known))}", row=1, field=name))
    if issues:
        return None, issues
    codes = df["area_code"].tolist()
    out, issues = _type_columns(df, [c for c in AGREEMENT_COLUMNS if c.name in df.columns], label, lines, codes)
    if issues:
        return None, issues
    for name in ("minimum", "maximum", "exact"):
        if name not in out:
            out[name] = np.nan
    lo, hi, ex = out["minimum"].to_numpy(), out["maximum"].to_numpy(), out["exact"].to_numpy()
    where = lambda i, f, m: Issue(label, m, row=int(lines[i]), field=f, area=codes[i])  # noqa: E731
    valid_codes = set(areas["area_code"])
    for i in range(len(out)):                       # agreements are a short, hand-written list
        if codes[i] not in valid_codes:
            issues.append(where(i, "area_code", f"area '{codes[i]}' is not in the areas table"))
        if int(out["year"].iat[i]) not in config.years:
            issues.append(where(i, "year", f"{int(out['year'].iat[i])} is not a planning year {config.years}"))
        if np.isnan(lo[i]) and np.isnan(hi[i]) and np.isnan(ex[i]):
            issues.append(where(i, "minimum", "give a minimum, a maximum or an exact number"))
        if not np.isnan(ex[i]) and not (np.isnan(lo[i]) and np.isnan(hi[i])):
            issues.append(where(i, "exact", "give either exact, or minimum and/or maximum, not both"))
        if not np.isnan(lo[i]) and not np.isnan(hi[i]) and lo[i] > hi[i]:
            issues.append(where(i, "maximum", f"maximum {hi[i]:g} is below the minimum {lo[i]:g}"))
        for name, v in (("minimum", lo[i]), ("maximum", hi[i]), ("exact", ex[i])):
            if not np.isnan(v) and v != np.round(v):
                issues.append(where(i, name, f"agreements are in whole people, got {v:g}"))
    key = out["area_code"] + "/" + out["year"].astype(int).astype(str)
    for i in np.flatnonzero(key.duplicated().to_numpy()):
        issues.append(where(i, "year", f"a second agreement for {codes[i]} in {int(out['year'].iat[i])}"))
    if issues:
        return None, issues
    exact = ~np.isnan(ex)
    result = pd.DataFrame({
        "area_code": out["area_code"], "year": out["year"].astype(int),
        "minimum": np.where(exact, ex, lo), "maximum": np.where(exact, ex, hi),
        "note": out["note"] if "note" in out else "",
    })
    return result.reset_index(drop=True), []


def resolve_scenario_path(path: str | Path) -> Path:
    """A scenario is a YAML file, or a folder holding ``scenario.yaml``."""
    p = Path(path)
    if p.is_dir():
        candidate = p / "scenario.yaml"
        if not candidate.exists():
            yamls = sorted(p.glob("*.yaml"))
            names = ", ".join(y.name for y in yamls) or "none"
            raise ScenarioError(Issue(str(p), f"folder has no scenario.yaml; YAML files there: {names}"))
        return candidate
    if not p.exists():
        raise ScenarioError(Issue(str(p), "scenario file not found"))
    return p


def load_scenario(path: str | Path) -> Scenario:
    """Read, check and return the scenario at ``path`` (a YAML file or a folder).

    Raises
    ------
    ScenarioError
        Listing every problem found, each with its file, line and column or key.
    """
    yaml_path = resolve_scenario_path(path)
    data = _read_yaml(yaml_path)
    label = yaml_path.name
    config = _validate_config(data, label)
    from allocator.excel import read_areas_sheet, split_sheet   # areas may be an .xlsx sheet: "file.xlsx#Sheet"

    table_name, sheet = split_sheet(config.areas)
    table_path = _resolve_table(yaml_path.parent, table_name, label, "areas")
    hashes = {
        yaml_path.name: hashlib.sha256(yaml_path.read_bytes()).hexdigest(),
        config.areas: hashlib.sha256(table_path.read_bytes()).hexdigest(),
    }
    if table_path.suffix.lower() in (".xlsx", ".xlsm"):
        table = read_areas_sheet(table_path, sheet, config.areas)
    else:
        table = _read_csv(table_path)
    agreements = None
    if config.agreements is not None:
        agreements_path = _resolve_table(yaml_path.parent, config.agreements, label, "agreements")
        hashes[config.agreements] = hashlib.sha256(agreements_path.read_bytes()).hexdigest()
        agreements = _read_csv(agreements_path)
    return _finish(config, table, yaml_path, hashes, label, raw=False, agreements_table=agreements)

"""docs/scenario-format.md documents exactly the scenario's schema (issue 12 item 9): every YAML key of
the pydantic schema (``allocator.scenario.ScenarioConfig``) and every column of ``AREA_COLUMNS``,
and nothing that is not there.

The convention the doc keeps (so that it stays readable and this test can read it):

* Under ``## YAML keys``, each ``### `section` `` heading (``### `policy` ``, ``### `cohorts` (optional)``)
  names a section, and ``### Top level`` the top level. The first column of the table below it holds
  the keys, each in backticks, relative to the section: ``max_growth.absolute`` under ``policy`` is
  ``policy.max_growth.absolute``; under ``cohorts`` (a list) the keys are those of one entry.
* Under ``## The areas table``, the first table's first column holds the column names, in backticks.
"""

from __future__ import annotations

import re
import types
import typing

from pydantic import BaseModel

from allocator.scenario import AREA_COLUMNS, ScenarioConfig
from tests.conftest import REPO

DOC = REPO / "docs" / "scenario-format.md"
HINT = ("add a row for it to the key tables under '## YAML keys' in docs/scenario-format.md (the table under "
        "'### `section`', key relative to the section)")


def schema_keys(model: type[BaseModel] = ScenarioConfig, prefix: str = "") -> set[str]:
    """Every dotted key of the schema: each field (by its YAML name, its alias where it has one:
    ``from`` of an equity step), and the fields of the sections (models) below it."""
    keys = set()
    for name, info in model.model_fields.items():
        key = f"{prefix}{info.alias or name}"
        keys.add(key)
        for inner in _models(info.annotation):
            keys |= schema_keys(inner, f"{key}.")
    return keys


def _models(annotation) -> list[type[BaseModel]]:
    """The models a field holds: ``Policy``, ``MaxGrowth | None``, ``list[Cohort] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        return [m for arg in typing.get_args(annotation) for m in _models(arg)]
    return []


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def _first_cells(table_lines: list[str]) -> list[str]:
    """The backticked names in the first column of a Markdown table's body rows."""
    names = []
    for line in table_lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([^`]+)`", cells[0]) if cells else None
        if match:
            names.append(match.group(1))
    return names


def documented_keys(text: str) -> set[str]:
    keys, prefix = set(), None
    for line in _section(text, "## YAML keys").splitlines():
        if line.startswith("### "):
            match = re.match(r"### `([^`]+)`", line)
            prefix = f"{match.group(1)}." if match else ("" if line.strip() == "### Top level" else None)
        elif line.startswith("|") and prefix is not None:
            keys |= {prefix + name for name in _first_cells([line])}
    return keys


def documented_columns(text: str) -> list[str]:
    lines = _section(text, "## The areas table").splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(first, len(lines)) if not lines[i].startswith("|")), len(lines))
    return _first_cells(lines[first:end])


def test_every_schema_key_is_documented_and_every_documented_key_exists() -> None:
    schema, documented = schema_keys(), documented_keys(DOC.read_text(encoding="utf-8"))
    undocumented = sorted(schema - documented)
    assert not undocumented, "keys of the scenario schema that docs/scenario-format.md does not document: " + \
        ", ".join(undocumented) + f"; {HINT}"
    unknown = sorted(documented - schema)
    assert not unknown, ("keys documented in docs/scenario-format.md that the schema (allocator.scenario."
                         "ScenarioConfig) does not have: " + ", ".join(unknown))


def test_every_areas_column_is_documented_and_every_documented_column_exists() -> None:
    documented = documented_columns(DOC.read_text(encoding="utf-8"))
    columns = [c.name for c in AREA_COLUMNS]
    undocumented = [c for c in columns if c not in documented]
    assert not undocumented, ("columns of AREA_COLUMNS that docs/scenario-format.md does not document: "
                              f"{', '.join(undocumented)}; add a row to the table under '## The areas table'")
    unknown = [c for c in documented if c not in columns]
    assert not unknown, f"columns documented under '## The areas table' that AREA_COLUMNS does not have: {unknown}"


def test_the_doc_reader_sees_a_missing_and_an_extra_key() -> None:
    """The reading can fail: a key left out, a key made up, a section prefix and a list's entries."""
    text = DOC.read_text(encoding="utf-8")
    assert {"policy.max_growth.absolute", "cohorts.exit_rate", "demand.arrivals", "agreements"} <= documented_keys(text)
    assert "policy.max_growth.absolute" in schema_keys() and "cohorts.exit_rate" in schema_keys()
    cut = text.replace("| `cluster_limit` | number | residents per supported person | `200` |", "| cluster |")
    assert "policy.cluster_limit" not in documented_keys(cut)
    extra = text.replace("### `costs`\n", "### `costs`\n\n| Key |\n|---|\n| `made_up` |\n")
    assert "costs.made_up" in documented_keys(extra)

"""A column the engine does not know is refused, never ignored (one rule for every scenario table).

A user's areas table had ``hotel_close_by`` (meant: ``hotels_close_by``): it passed ``allocator validate`` with
OK and every hotel stayed open. A misspelt ``contingency`` was reported as problems with YAML keys. Now an
unknown column is bad input (exit 2) naming the file and the column, with the nearest known name when one is
close; a column of the user's own starts with ``x_``. The broken cases shared with test_cli.py (exit 2, no
traceback, nothing written by ``solve``) are in ``tests/conftest.py`` (``BAD_INPUTS``, ``areas_...``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator import ScenarioError, load_scenario, solve
from allocator.cli import cli
from allocator.tables import MAX_UNKNOWN_NAMED, OWN_PREFIX
from tests.conftest import EXAMPLE, area, config, good_config, good_rows, load, write_scenario


def _example_with_header(folder: Path, edit, yaml_edit=None) -> Path:
    """A copy of the example scenario whose areas.csv header line is ``edit(header)`` (and its YAML text
    ``yaml_edit(text)``)."""
    folder.mkdir(parents=True)
    text = (EXAMPLE / "scenario.yaml").read_text(encoding="utf-8")
    (folder / "scenario.yaml").write_text(yaml_edit(text) if yaml_edit else text, encoding="utf-8")
    header, rest = (EXAMPLE / "areas.csv").read_text(encoding="utf-8").split("\n", 1)
    (folder / "areas.csv").write_text(edit(header) + "\n" + rest, encoding="utf-8")
    return folder


@pytest.mark.parametrize("yaml_edit", [None, lambda t: t.replace("  contingency_start: 1500", "")],
                         ids=["with-contingency_start", "without-contingency_start"])
def test_a_misspelt_contingency_column_names_the_areas_file_not_yaml_keys(tmp_path: Path, yaml_edit) -> None:
    """Was: 'scenario.yaml, key costs.new_contingency_per_person_year: ... give the areas table a contingency
    column' (and the same for hotel_place_per_year, or demand.contingency_start): the table's real problem
    unnamed."""
    folder = _example_with_header(tmp_path / "s", lambda h: h.replace("contingency", "contingncy"), yaml_edit)
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    assert [(i.file, i.row, i.field) for i in err.value.issues] == [("areas.csv", 1, "contingncy")]
    assert err.value.issues[0].message.startswith("unknown column; did you mean 'contingency'?")
    assert "scenario.yaml" not in str(err.value) and "key '" not in str(err.value)


def test_the_unknown_column_comes_with_every_cell_and_row_problem(tmp_path: Path) -> None:
    """``validate`` lists the unknown column together with the other problems of the table in one run: a bad
    cell, and (on a table whose cells are good) the checks across rows."""
    rows = good_rows()
    rows[0]["hotel_close_by"] = 2027
    rows[1]["capacity"] = "lots"
    path = write_scenario(tmp_path / "cells", good_config(), rows)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "2 problems in the scenario" in result.stderr
    assert "areas.csv, line 1, column 'hotel_close_by': unknown column; did you mean 'hotels_close_by'?" \
        in result.stderr
    assert "areas.csv, line 3 (area E02), column 'capacity': not a number: 'lots'" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""

    rows = good_rows()
    rows[0]["notes"] = "agreed in March"
    rows[1]["area_code"] = "E01"
    path = write_scenario(tmp_path / "rows", good_config(), rows)
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "areas.csv, line 1, column 'notes': unknown column; the columns are area_code, area_name, region," \
        in result.stderr
    assert "name it 'x_notes'" in result.stderr
    assert "areas.csv, line 3 (area E01), column 'area_code': duplicate area_code 'E01'" in result.stderr


def test_a_missing_column_and_its_misspelling_are_both_named(tmp_path: Path) -> None:
    rows = good_rows()
    for r in rows:
        r["populaton"] = r.pop("population")
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, good_config(), rows)
    found = {(i.field, i.message.split(" Or,")[0]) for i in err.value.issues}
    assert found == {("population", "required column is missing"),
                     ("populaton", "unknown column; did you mean 'population'?")}


def test_columns_of_your_own_are_allowed_and_not_read(tmp_path: Path) -> None:
    """``x_`` columns (notes, sources, figures) load and change nothing: the same typed table, hash and plan."""
    plain = load(tmp_path / "plain", good_config(), good_rows())
    rows = good_rows()
    for r in rows:
        r.update({f"{OWN_PREFIX}source": "Reg_02, 31 Dec 2025", f"{OWN_PREFIX}afghan": 12, "": None})
    own = load(tmp_path / "own", good_config(), rows)
    assert own.areas.equals(plain.areas) and own.sha256 == plain.sha256
    assert solve(own).allocations.equals(solve(plain).allocations)


def test_a_pressure_basis_may_count_a_column_of_your_own(tmp_path: Path) -> None:
    cfg = good_config()
    cfg["policy"]["pressure_basis"] = ["x_afghan"]
    rows = [{**r, "x_afghan": 30 * k, "x_note": "kept"} for k, r in enumerate(good_rows())]
    sc = load(tmp_path, cfg, rows)
    assert sc.areas["x_afghan"].tolist() == [0, 30, 60] and "x_note" not in sc.areas


def test_an_unnamed_column_with_values_is_refused(tmp_path: Path) -> None:
    """A trailing separator on every line (a spreadsheet's) is allowed; a value under no name is not."""
    rows = good_rows()
    for r in rows:
        r[""] = None
    load(tmp_path / "empty", good_config(), rows)
    rows[1][""] = "12"
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "filled", good_config(), rows)
    assert str(err.value) == "areas.csv, line 1: column 11 has no name but holds values; name it, or delete it"


def test_many_unknown_columns_are_named_up_to_a_limit(tmp_path: Path) -> None:
    rows = good_rows()
    for r in rows:
        r.update({f"note{i}": "n" for i in range(MAX_UNKNOWN_NAMED + 5)})
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, good_config(), rows)
    assert [i.field for i in err.value.issues[:MAX_UNKNOWN_NAMED]] == [f"note{i}" for i in range(MAX_UNKNOWN_NAMED)]
    assert len(err.value.issues) == MAX_UNKNOWN_NAMED and err.value.issues[-1].more == 5     # counted, not listed
    assert str(err.value).startswith(f"{MAX_UNKNOWN_NAMED + 5} problems in the scenario ({MAX_UNKNOWN_NAMED} listed):")
    assert str(err.value).endswith("... and 5 more like it")


def test_with_areas_refuses_an_unknown_column(tmp_path: Path) -> None:
    sc = load(tmp_path, good_config(), good_rows())
    with pytest.raises(ScenarioError) as err:
        sc.with_areas(sc.areas.assign(hotel_close_by=2027.0))
    issue = err.value.issues[0]
    assert (issue.file, issue.field) == ("areas (in code)", "hotel_close_by")
    assert "did you mean 'hotels_close_by'?" in issue.message


def test_with_cohorts_the_plain_columns_stay_allowed_and_an_unknown_cohort_is_refused(tmp_path: Path) -> None:
    """With cohorts the plain stock, capacity and procurement columns are not read (docs: "then ignored"), but
    allowed; a column for a cohort the scenario does not have is refused, the nearest one suggested."""
    cfg = config([2026], [10], contingency_start=0)
    cfg["cohorts"] = [{"name": "single", "arrivals_share": 0.5}, {"name": "family", "arrivals_share": 0.5}]
    row = area("A", stock=4, capacity=8)
    for h in ("single", "family"):
        row.update({f"stock_{h}": 2, f"capacity_{h}": 4, f"procurement_per_year_{h}": 0})
    load(tmp_path / "ok", cfg, [row])
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "bad", cfg, [{**row, "stock_familly": 1}])
    assert [(i.field, i.message.split(" Or,")[0]) for i in err.value.issues] == [
        ("stock_familly", "unknown column; did you mean 'stock_family'?")]


def test_the_regions_table_follows_the_same_rule(tmp_path: Path) -> None:
    cfg = {**good_config(), "regions": [{"region": "R1", "year": 2026, "max_share": 1, "x_source": "agreed"}]}
    load(tmp_path / "own", cfg, good_rows())
    cfg = {**good_config(), "regions": [{"region": "R1", "year": 2026, "max_shares": 1}]}
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "typo", cfg, good_rows())
    assert "regions.csv, line 1, column 'max_shares': unknown column; did you mean 'max_share'?" in str(err.value)


def test_every_shipped_scenario_loads() -> None:
    """The scenarios the project ships (their own columns renamed x_...) pass the check."""
    for path in sorted((EXAMPLE.parent).glob("*/*.yaml")):
        load_scenario(path)


def test_a_column_of_your_own_cannot_be_added_to_the_basis_by_a_change_of_settings(tmp_path: Path) -> None:
    """Was: "column is missing: policy.pressure_basis counts it" for a column the file has: columns of your own
    are read only when the scenario file names them, so --set / update cannot count one."""
    rows = [{**r, "x_afghan": 30 * k} for k, r in enumerate(good_rows())]
    sc = load(tmp_path / "s", good_config(), rows)
    with pytest.raises(ScenarioError) as err:
        sc.update({"policy.pressure_basis": ["x_afghan"]})
    assert [i.field for i in err.value.issues] == ["policy.pressure_basis"]
    assert "'x_afghan' is a column of your own" in str(err.value) and "missing" not in str(err.value)
    result = CliRunner().invoke(cli, ["solve", str(tmp_path / "s"), "--set", "policy.pressure_basis=[x_afghan]",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "name it in the scenario file" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()

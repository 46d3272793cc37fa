"""Bad input: one clear ScenarioError naming the file, the line and the column or key.

The catalogue of broken scenarios (``BAD_INPUTS``) lives in conftest.py and is shared with
test_cli.py, which checks the same cases through the command line (exit 2, no traceback).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from allocator import Scenario, ScenarioError, load_scenario, prepare
from allocator.dotted import validation_issues
from tests.conftest import BAD_INPUTS, REPO, BadInput, area, config, good_config, good_rows, load, write_scenario


def test_the_good_scenario_loads(tmp_path: Path) -> None:
    """The scenario every bad case is derived from is itself valid (so each case breaks one thing)."""
    sc = load(tmp_path, good_config(), good_rows())
    assert sc.areas["area_code"].tolist() == ["E01", "E02", "V01"]
    assert sc.years == [2026, 2027]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.id)
def test_bad_input_names_file_line_and_column(tmp_path: Path, bad: BadInput) -> None:
    path = bad.build(tmp_path)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    for part in (*bad.where, bad.what):
        assert part in text, f"{part!r} not in {text!r}"
    assert err.value.issues, "a ScenarioError carries its issues"
    assert err.value.exit_code == 2


def test_the_count_of_problems_counts_those_not_listed(tmp_path: Path) -> None:
    """60 areas with a population that is not a number: 20 are listed, and the count is of all 60 (it said
    "50 problems in the scenario:", listing the first 50 of one check and column)."""
    rows = [area(f"E{i:02d}", capacity=10, population="many") for i in range(60)]
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, good_config(), rows)
    text = str(err.value)
    assert text.startswith("60 problems in the scenario (20 listed):\n") and text.endswith("... and 40 more like it")
    assert len(err.value.issues) == 20 and err.value.issues[-1].more == 40


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    """Two bad cells in different rows and columns: both are reported, each with its line and column."""
    rows = good_rows()
    rows[0]["population"] = "many"
    rows[1]["status"] = "closed"
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, good_config(), rows)
    where = {(i.file, i.row, i.field) for i in err.value.issues}
    assert {("areas.csv", 2, "population"), ("areas.csv", 3, "status")} <= where
    assert str(err.value).startswith(f"{len(err.value.issues)} problems in the scenario")


def test_scenario_folder_without_scenario_yaml(tmp_path: Path) -> None:
    write_scenario(tmp_path, good_config(), good_rows(), yaml_name="other.yaml")
    with pytest.raises(ScenarioError, match="no scenario.yaml; YAML files there: other.yaml"):
        load_scenario(tmp_path)


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name", ["example", "uk-2025/central.yaml", "uk-2025/hotels-closed-by-2029.yaml"])
def test_bundled_scenarios_load(name: str) -> None:
    sc = load_scenario(REPO / "scenarios" / name)
    assert len(sc.areas) > 0


# --------------------------------------------------------------------------- varying in code
@pytest.fixture
def base(tmp_path: Path) -> Scenario:
    cfg = config([2026, 2027], [100, 100], policy={"max_growth": {"absolute": 50, "relative": 0.5}})
    return load(tmp_path, cfg, [area("A", population=50_000, capacity=100), area("B", population=80_000)])


@pytest.mark.parametrize(("vary", "key"), [
    (lambda s: s.with_policy(cluster_limit=-5), "policy.cluster_limit"),
    (lambda s: s.with_policy(cluster_limit="abc"), "policy.cluster_limit"),
    (lambda s: s.with_policy(contingency_ceiling={2035: 5}), "policy.contingency_ceiling"),
    (lambda s: s.with_policy(max_growth={"absolute": -1}), "policy.max_growth.absolute"),
    (lambda s: s.with_policy(nonsense=1), "policy.nonsense"),
    (lambda s: s.with_demand(exit_rate=1.5), "demand.exit_rate"),
    (lambda s: s.with_demand(arrivals={2026: 100}), "demand.arrivals"),
    (lambda s: s.with_objective(equity_measure="max"), "objective.equity_measure"),
    (lambda s: s.with_overrides({"nothere.x": 1}), "nothere.x"),
], ids=["negative-limit", "text-limit", "ceiling-year", "negative-growth", "unknown-policy-key",
        "exit-rate", "arrivals-year", "equity-measure", "unknown-section"])
def test_bad_variation_is_refused_and_the_original_kept(base: Scenario, vary, key: str) -> None:
    before = (base.sha256, base.config.model_dump(), base.areas.copy())
    with pytest.raises(ScenarioError) as err:
        vary(base)
    assert f"key '{key}'" in str(err.value)
    assert (base.sha256, base.config.model_dump()) == before[:2]
    assert base.areas.equals(before[2])


def test_with_areas_checks_the_table_like_a_file(base: Scenario) -> None:
    bad = base.areas.copy()
    bad.loc[1, "population"] = -1
    with pytest.raises(ScenarioError) as err:
        base.with_areas(bad)
    assert "line 3" in str(err.value) and "'population'" in str(err.value)
    assert (base.areas["population"] > 0).all()


def test_good_variation_changes_only_the_copy(base: Scenario) -> None:
    """cluster_limit 200 → 250: caps floor(50,000/200) = 250 and 400 become 200 and 320."""
    sha = base.sha256
    varied = base.with_policy(cluster_limit=250)
    assert varied.config.policy.cluster_limit == 250 and base.config.policy.cluster_limit == 200
    assert varied.sha256 != sha and base.sha256 == sha
    assert prepare(base).cluster_cap.tolist() == [250, 400]
    assert prepare(varied).cluster_cap.tolist() == [200, 320]
    # untouched settings survive the round trip through validation
    assert varied.config.policy.max_growth == base.config.policy.max_growth
    assert varied.config.demand == base.config.demand

    demand = base.with_demand(exit_rate=0.25)
    assert demand.config.demand.exit_rate == 0.25 and demand.sha256 != sha
    np.testing.assert_allclose(prepare(demand).need[:, 0], [100, 0.75 * 100 + 100])

    dotted = base.with_overrides({"objective.equity_weight": 10, "costs.contingency_per_person_year": 1})
    assert dotted.config.objective.equity_weight == 10 and dotted.config.costs.contingency_per_person_year == 1
    assert dotted.sha256 not in (sha, varied.sha256)


@pytest.mark.parametrize("value", ["supportd", 3, ["initial", 4]])
def test_a_misspelt_pressure_basis_is_one_message_with_the_allowed_values(tmp_path: Path, value) -> None:
    """Trial (a)7: ``pressure_basis: supportd`` gave two messages naming pydantic's union members
    (key 'policy.pressure_basis.literal['dispersal','supported']', 'policy.pressure_basis.list[str]')."""
    cfg = good_config()
    cfg["policy"]["pressure_basis"] = value
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, cfg, good_rows())
    assert len(err.value.issues) == 1
    issue = err.value.issues[0]
    assert (issue.file, issue.field) == ("scenario.yaml", "policy.pressure_basis")
    assert issue.message == (f"{value!r} is not a pressure basis: give dispersal, supported, or a list of areas "
                             "columns counted with dispersal and hotels (e.g. [initial, afghan])")
    assert "literal" not in str(err.value) and "Value error" not in str(err.value)


def test_a_value_of_none_of_a_keys_types_is_one_issue_at_that_key() -> None:
    """Any key that takes one of several types: one issue at the key, saying what each type wanted."""
    class Model(BaseModel):
        x: int | list[int]

    with pytest.raises(ValidationError) as err:
        Model(x="many")
    issues = validation_issues(err.value, "scenario.yaml")
    assert [(i.field, i.message) for i in issues] == [
        ("x", "Input should be a valid integer, unable to parse string as an integer; or Input should be a "
              "valid list (got 'many')")]


def test_validate_lists_every_row_problem_of_the_areas_table_in_one_run(tmp_path: Path) -> None:
    """Trial (a)8: an areas table with two rows whose hotel_places are below contingency and a protect_level
    under the rule no_new_placements reported only the first row; the protect_level came after a fix, blamed
    on scenario.yaml's policy.protect.rule instead of the areas.csv row that gives it."""
    cfg = config([2026], [0], policy={"pressure_basis": "supported",
                                      "protect": {"above_per_10k": 1, "rule": "no_new_placements"}})
    del cfg["demand"]["contingency_start"]
    rows = [area("A", contingency=10, hotel_places=5), area("B", contingency=10, hotel_places=4),
            area("C", contingency=0, protect=True, protect_level=3)]
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, cfg, rows)
    found = [(i.file, i.row, i.area, i.field) for i in err.value.issues]
    assert found == [("areas.csv", 2, "A", "hotel_places"), ("areas.csv", 3, "B", "hotel_places"),
                     ("areas.csv", 4, "C", "protect_level")]
    assert "protect_level is not used by policy.protect.rule no_new_placements" in err.value.issues[2].message


@pytest.mark.parametrize(("change", "key", "said"), [
    (lambda c: c["demand"].update(exit_rat=c["demand"].pop("exit_rate")), "demand.exit_rat",
     "unknown key (did you mean 'exit_rate'?)"),
    (lambda c: c["policy"].update(clusterlimit=250), "policy.clusterlimit", "unknown key (did you mean 'cluster_limit'?)"),
    (lambda c: c["policy"].update(zzz=1), "policy.zzz", "unknown key (check the spelling against docs/scenario-format.md)"),
], ids=["required", "optional", "nothing-near"])
def test_a_misspelt_key_gets_the_nearest_key_and_one_message(tmp_path: Path, change, key: str, said: str) -> None:
    """Trial 5 (c): `exit_rat` said "unknown key", and a second message said `exit_rate` is missing; a misspelt
    column of areas.csv gets a "did you mean", a key of the YAML did not. Now one message, with the nearest key."""
    cfg = good_config()
    change(cfg)
    with pytest.raises(ScenarioError) as err:
        load(tmp_path, cfg, good_rows())
    assert [(i.field, i.message) for i in err.value.issues] == [(key, said)]

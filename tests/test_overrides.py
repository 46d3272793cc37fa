"""One override path (issue 12 item 4): ``Scenario.update`` with dotted keys, used by every ``with_*``
method, by ``allocator sweep`` and by ``allocator solve --set``; validated by the same schema, without
reading the areas table again; recorded in the plan's summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator import ScenarioError, load_scenario, solve
from allocator import scenario as scenario_module
from allocator import tables
from allocator.cli import cli
from allocator.scenario import AGREEMENT_COLUMNS, Scenario, _finish
from allocator.sweep import apply_params
from tests.conftest import EXAMPLE, UK_CENTRAL, area, config, load


@pytest.fixture(scope="module")
def example() -> Scenario:
    return load_scenario(EXAMPLE)


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def files(folder: Path) -> dict[str, bytes]:
    """The plan's files, but the wall-clock timings."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.name != "timings.json"}


# --------------------------------------------------------------------------- the CLI equals the library
def test_solve_set_writes_the_plan_of_with_policy(tmp_path: Path) -> None:
    """`allocator solve central.yaml --set policy.cluster_limit=250 --out DIR` writes the same files as
    solve(load_scenario(...).with_policy(cluster_limit=250)).write(...)."""
    result = run("solve", UK_CENTRAL, "--set", "policy.cluster_limit=250", "--out", tmp_path / "cli", "-q")
    assert result.exit_code == 0, result.output
    solve(load_scenario(UK_CENTRAL).with_policy(cluster_limit=250)).write(tmp_path / "api")
    cli_files, api_files = files(tmp_path / "cli"), files(tmp_path / "api")
    assert cli_files.keys() == api_files.keys()
    for name in cli_files:
        assert cli_files[name] == api_files[name], name
    summary = json.loads(cli_files["summary.json"])
    assert summary["overrides"] == {"policy.cluster_limit": 250}
    assert summary["scenario"] == load_scenario(UK_CENTRAL).name
    plain = json.loads(solve(load_scenario(UK_CENTRAL)).write(tmp_path / "plain").joinpath("summary.json").read_text())
    assert "overrides" not in plain                       # a plan of the files as they are: as before
    assert summary["scenario_sha256"] != plain["scenario_sha256"]


def test_set_takes_yaml_values_years_and_a_name(tmp_path: Path, example: Scenario) -> None:
    out = tmp_path / "plan"
    result = run("solve", EXAMPLE, "--out", out, "-q", "--set", "policy.contingency_ceiling.2029=900",
                 "--set", "policy.max_growth={absolute: 80, relative: 0.5}", "--set", "name=example, ceiling 900")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "example, ceiling 900"
    assert summary["overrides"] == {"policy.contingency_ceiling.2029": 900,
                                    "policy.max_growth": {"absolute": 80, "relative": 0.5},
                                    "name": "example, ceiling 900"}
    varied = example.update({k: v for k, v in summary["overrides"].items()})
    assert varied.config.policy.contingency_ceiling == {2029: 900, 2030: 200}
    assert summary["scenario_sha256"] == varied.sha256     # the record gives the varied scenario again


@pytest.mark.parametrize("setting, named", [
    ("policy.clusterlimit=250", "policy.clusterlimit"),
    ("policy.cluster_limit=abc", "policy.cluster_limit"),
    ("policy.cluster_limit=-5", "policy.cluster_limit"),
    ("nothere.x=1", "nothere.x"),
    ("policy.contingency_ceiling.2040=5", "policy.contingency_ceiling"),
    ("policy.cluster_limit", "policy.cluster_limit"),
    ("policy.fair_share=weight", "policy.fair_share"),
    ("areas=other.csv", "areas"),
    ("years.9=2031", "years.9"),
    ("policy.max_growth={absolute: [", "policy.max_growth"),
], ids=["unknown-key", "text", "negative", "unknown-section", "year-outside", "no-value", "missing-column",
        "table-file", "list-position", "bad-yaml"])
def test_bad_set_exits_2_naming_the_key_and_writes_nothing(tmp_path: Path, setting: str, named: str) -> None:
    out = tmp_path / "plan"
    result = run("solve", EXAMPLE, "--out", out, "--set", setting)
    assert result.exit_code == 2, result.output
    assert named in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_key_set_twice_is_refused(tmp_path: Path) -> None:
    result = run("solve", EXAMPLE, "--out", tmp_path / "p", "--set", "policy.cluster_limit=250",
                 "--set", "policy.cluster_limit=300")
    assert result.exit_code == 2 and "twice" in result.output


# --------------------------------------------------------------------------- update itself
def test_update_does_not_read_the_areas_table_again(monkeypatch: pytest.MonkeyPatch, example: Scenario) -> None:
    """Only what depends on the settings is checked again: the table is never parsed."""
    def parsed(*args, **kwargs):
        raise AssertionError("the areas table was parsed again")

    monkeypatch.setattr(scenario_module, "_parse_areas", parsed)
    monkeypatch.setattr(scenario_module, "type_columns", parsed)
    monkeypatch.setattr(scenario_module, "as_text", parsed)
    varied = example.update({"policy.cluster_limit": 250, "demand.arrivals.2027": 2000, "objective.equity_weight": 0,
                             "policy.fair_share": "population", "years": [2026, 2027, 2028, 2029, 2030]})
    assert varied.areas is example.areas
    for change in (example.with_policy, example.with_demand, example.with_costs, example.with_objective):
        assert change().sha256 == example.sha256                # no values: the same scenario


@pytest.mark.parametrize("overrides", [
    {"policy.cluster_limit": 250},
    {"policy.fair_share": "weight"},
    {"policy.fair_share": "region"},
    {"policy.fair_share": "nonesuch"},
    {"demand.arrivals": {2026: 10, 2027: 10}, "years": [2026, 2027]},
    {"years": [2027, 2028, 2029, 2030, 2031], "demand.arrivals": {y: 100 for y in range(2027, 2032)}},
    {"cohorts": [{"name": "adults", "arrivals_share": 1}]},
    {"policy.max_growth.relative": 0.2, "policy.contingency_ceiling.2030": None},
], ids=["limit", "fair-share-weight", "fair-share-text", "fair-share-missing", "fewer-years", "other-years",
        "cohorts", "nested"])
def test_update_agrees_with_reading_the_table_again(tmp_path: Path, overrides: dict) -> None:
    """What update checks without parsing gives the scenario (or the refusal) that a full re-parse gives."""
    rows = [area("A", population=50_000, capacity=100, weight=3), area("B", population=80_000, weight=0),
            area("C", population=20_000, status="excluded", weight=0)]
    cfg = config([2026, 2027, 2028, 2029, 2030], [100] * 5, policy={"max_growth": {"absolute": 50}},
                 agreements=[{"area_code": "A", "year": 2028, "minimum": 1}])
    base = load(tmp_path, cfg, rows)
    full = None
    try:
        new = base.update(overrides).config
        full = _finish(new, tables.as_text(base.areas), base.source, {}, "overrides", agreements=base.agreements)
    except ScenarioError as err:
        fast_error = err
        with pytest.raises(ScenarioError):                  # the full path refuses it too
            data = base.config.model_dump(mode="python")
            for key, value in overrides.items():
                scenario_module.set_dotted(data, key, value)
            new = scenario_module._validate_config(data, "overrides")
            _finish(new, tables.as_text(base.areas), base.source, {}, "overrides", agreements=base.agreements)
        assert all(i.field is None or f"'{i.field}'" in str(fast_error) for i in fast_error.issues)
    if full is not None:
        fast = base.update(overrides)
        assert fast.sha256 == full.sha256
        pd.testing.assert_frame_equal(fast.areas, full.areas)


def test_overrides_are_recorded_in_order_and_give_the_scenario_again(example: Scenario) -> None:
    varied = (example.with_policy(max_growth={"absolute": 10}).update({"policy.max_growth.relative": 0.2})
              .with_objective(equity_weight=5).with_policy(cluster_limit=300))
    assert list(varied.overrides) == ["policy.max_growth", "policy.max_growth.relative", "objective.equity_weight",
                                      "policy.cluster_limit"]
    assert example.update(varied.overrides).sha256 == varied.sha256
    assert example.overrides == {}                         # the original is never changed
    again = varied.with_policy(max_growth=None)            # a later key that covers earlier ones: replay still agrees
    assert example.update(again.overrides).sha256 == again.sha256
    assert again.with_areas(again.areas).overrides == again.overrides   # a new table keeps the record


def test_list_positions_and_year_keys(tmp_path: Path) -> None:
    cfg = config([2026, 2027], [100, 100], cohorts=[{"name": "adults", "arrivals_share": 0.5},
                                                    {"name": "families", "arrivals_share": 0.5}])
    rows = [{**area("A"), **{f"{b}_{c}": v for c in ("adults", "families")
                             for b, v in (("stock", 0), ("capacity", 10), ("procurement_per_year", 5))}}]
    for key in ("stock", "capacity", "procurement_per_year"):
        rows[0].pop(key)
    base = load(tmp_path, cfg, rows)
    varied = base.update({"cohorts.1.exit_rate": 0.2, "demand.arrivals.2027": 50})
    assert varied.config.cohorts[1].exit_rate == 0.2 and varied.config.demand.arrivals == {2026: 100, 2027: 50}
    with pytest.raises(ScenarioError, match="cohorts.2.exit_rate"):
        base.update({"cohorts.2.exit_rate": 0.2})


def test_sweep_points_go_through_update(example: Scenario) -> None:
    """A sweep point's dotted keys are applied (and recorded) by Scenario.update; virtual keys too."""
    point = apply_params(example, {"policy.cluster_limit": 250, "demand.arrivals_scale": 2})
    assert point.overrides == {"policy.cluster_limit": 250,
                               "demand.arrivals": {y: 2 * v for y, v in example.config.demand.arrivals.items()}}
    with pytest.raises(ScenarioError, match="virtual keys"):
        apply_params(example, {"demand.arrivalscale": 2})


def test_the_agreements_are_checked_against_new_years(tmp_path: Path) -> None:
    cfg = config([2026, 2027], [100, 100], agreements=[{"area_code": "A", "year": 2027, "minimum": 1}])
    base = load(tmp_path, cfg, [area("A")])
    assert AGREEMENT_COLUMNS[0].name == "area_code"
    with pytest.raises(ScenarioError, match="2027 is not a planning year"):
        base.update({"years": [2026], "demand.arrivals": {2026: 100}})

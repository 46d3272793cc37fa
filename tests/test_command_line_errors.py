"""A wrong option or argument is reported as the command line's, naming it and the value given.

A trial found `--set`, sweep, uncertainty and export mistakes reported as ``allocator: error in
scenario: command line: ...`` (or ``error in scenario: --set, key ...``), as if a scenario file were
wrong. Each is now ``allocator: error in command line: option --set 'policy.x=1': ...`` (or
``argument TARGET '...'``): one line (or one per problem), exit code 2, no traceback, nothing
written. The mechanism is one: :class:`allocator.errors.CommandLineError` with
:func:`allocator.errors.given_issue`, printed by the CLI's error boundary; an override's complaint
from :meth:`Scenario.update` is named by :func:`allocator.dotted.given_on_command_line`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from allocator import ScenarioError, load_scenario
from allocator.cli import cli
from allocator.dotted import given_on_command_line
from allocator.errors import CommandLineError, InputError, Issue
from tests.conftest import EXAMPLE

WORDS = "allocator: error in command line: "


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def refused(result: Result) -> list[str]:
    """The lines of a refusal: exit 2, no traceback; what it printed."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, ScenarioError), result.output
    return result.output.splitlines()


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "example"
    assert run("solve", EXAMPLE, "--out", out, "-q").exit_code == 0
    return out


# --------------------------------------------------------------------------- solve --set
@pytest.mark.parametrize(("setting", "line"), [
    ("policy.clusterlimit=250",
     "option --set 'policy.clusterlimit=250': unknown key (did you mean 'cluster_limit'?)"),
    ("policy.cluster_limit=abc",
     "option --set 'policy.cluster_limit=abc': Input should be a valid number, unable to parse string as a number "
     "(got 'abc')"),
    ("policy.cluster_limit", "option --set 'policy.cluster_limit': expects KEY=VALUE"),
    ("policy.cluster_limit=[1", "option --set 'policy.cluster_limit=[1': cannot read '[1' (expected ',' or ']', "
                                "but got '<stream end>')"),
    ("policy.foo.bar=1", "option --set 'policy.foo.bar=1': unknown key 'policy.foo.bar'"),
    ("objective.equity_steps=[{from: 1.0, weight: x}]",
     "option --set 'objective.equity_steps=[{from: 1.0, weight: x}]', key 'objective.equity_steps.0.weight': Input "
     "should be a valid number, unable to parse string as a number (got 'x')"),
    ("areas=other.csv", "option --set 'areas=other.csv': 'areas' names a table file, which an override cannot "
                        "change: edit the YAML, or use with_areas / with_agreements in Python"),
], ids=["unknown-key", "text", "no-value", "bad-yaml", "unknown-section", "inside-a-list", "table-file"])
def test_solve_set_names_the_option_and_the_text_given(tmp_path: Path, setting: str, line: str) -> None:
    out = tmp_path / "plan"
    assert refused(run("solve", EXAMPLE, "--out", out, "--set", setting)) == [WORDS + line]
    assert not out.exists()


def test_solve_set_names_each_override_at_fault(tmp_path: Path) -> None:
    """Two bad values: each problem names its own --set; a good one given with them is not named."""
    lines = refused(run("solve", EXAMPLE, "--out", tmp_path / "p", "--set", "policy.cluster_limit=-5",
                        "--set", "objective.equity_weight=10", "--set", "policy.max_growth.absolute=-1"))
    assert lines == [WORDS + "2 problems:",
                     "  * option --set 'policy.cluster_limit=-5': Input should be greater than or equal to 1 (got -5)",
                     "  * option --set 'policy.max_growth.absolute=-1': Input should be greater than or equal to 0 "
                     "(got -1)"]


def test_solve_set_given_twice_names_the_second(tmp_path: Path) -> None:
    lines = refused(run("solve", EXAMPLE, "--out", tmp_path / "p", "--set", "policy.cluster_limit=250",
                        "--set", "policy.cluster_limit=300"))
    assert lines == [WORDS + "option --set 'policy.cluster_limit=300': 'policy.cluster_limit' is given twice"]


def test_an_override_breaking_another_setting_names_the_override_and_that_key(tmp_path: Path) -> None:
    """Fewer years leave the arrivals and the ceiling with years outside the plan: the --set is the cause."""
    lines = refused(run("solve", EXAMPLE, "--out", tmp_path / "p", "--set", "years=[2026,2027]"))
    assert lines[0] == WORDS + "2 problems:"
    assert lines[1] == ("  * option --set 'years=[2026,2027]', key 'demand.arrivals': arrivals given for years "
                        "outside the plan: [2028, 2029, 2030]")


def test_a_bad_scenario_file_is_still_the_scenario_s_error(tmp_path: Path) -> None:
    """Only the overrides' complaints become the command line's: the file's own stay the file's."""
    folder = tmp_path / "scenario"
    folder.mkdir()
    (folder / "areas.csv").write_bytes((EXAMPLE / "areas.csv").read_bytes())
    text = (EXAMPLE / "scenario.yaml").read_text(encoding="utf-8").replace("cluster_limit: 200", "cluster_limit: -1")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    lines = refused(run("solve", folder, "--out", tmp_path / "p", "--set", "objective.equity_weight=10"))
    assert lines[0].startswith("allocator: error in scenario: scenario.yaml, key 'policy.cluster_limit': "), lines


# --------------------------------------------------------------------------- sweep
@pytest.mark.parametrize(("sets", "line"), [
    (["policy.cluster_limit=a:300:3"], "option --set 'policy.cluster_limit=a:300:3': 'a' is not a number"),
    (["policy.cluster_limit=100:300"], "option --set 'policy.cluster_limit=100:300': a range is START:STOP:COUNT"),
    (["policy.cluster_limit"], "option --set 'policy.cluster_limit': expects KEY=VALUES"),
    (["policy.cluster_limit=150,x"],
     "option --set 'policy.cluster_limit=150,x': Input should be a valid number, unable to parse string as a "
     "number (got 'x')"),
    (["objective.equity_weight=0,1000", "policy.clusterlimit=150,250"],
     "option --set 'policy.clusterlimit=150,250': unknown key (did you mean 'cluster_limit'?); or use one of the "
     "sweep's virtual keys: areas.procurement_scale, "
     "costs.contingency_scale, costs.place_scale, demand.arrivals_scale"),
    (["demand.arrivals_scale=-1,1"], "option --set 'demand.arrivals_scale=-1,1': demand.arrivals_scale must be a "
                                     "number >= 0, got -1"),
    (["policy.cluster_limit=150", "policy.cluster_limit=250"],
     "option --set: 'policy.cluster_limit' is swept twice: give it once, with all its values"),
], ids=["range-text", "range-parts", "no-values", "bad-value", "unknown-key", "virtual-negative", "twice"])
def test_sweep_set_names_the_option_and_the_text_given(tmp_path: Path, sets: list[str], line: str) -> None:
    args = [a for s in sets for a in ("--set", s)]
    assert refused(run("sweep", EXAMPLE, *args, "--workers", "1", "--out", tmp_path / "s")) == [WORDS + line]
    assert not (tmp_path / "s").exists()                 # refused before the folder (and its marker) is made


# --------------------------------------------------------------------------- other commands
def test_export_names_the_target_argument(tmp_path: Path) -> None:
    target = tmp_path / "model.txt"
    assert refused(run("export", EXAMPLE, target)) == [WORDS + f"argument TARGET '{target}': must end in .mps or .lp"]
    assert not target.exists()


def test_compare_of_one_plan_names_the_plans_argument(plan: Path) -> None:
    assert refused(run("compare", plan)) == [
        WORDS + f"argument PLANS '{plan}': compare needs at least two plans (or one plan with --sort-by)"]


@pytest.mark.parametrize(("options", "line"), [
    (["--cv", "nan"], "option --cv 'nan': must be a finite number >= 0"),
    (["--robust", "--ceiling", "2040=0"], "option --ceiling '2040=0': years [2040] are not in the plan (2026-2030)"),
    (["--robust", "--ceiling", "lots"], "option --ceiling 'lots': expected a number or YEAR=PEOPLE,..."),
], ids=["cv", "ceiling-year", "ceiling-text"])
def test_uncertainty_names_the_option_and_the_value(plan: Path, tmp_path: Path, options: list[str], line: str) -> None:
    out = tmp_path / "u"
    assert refused(run("uncertainty", plan, "--scenario", EXAMPLE, "--samples", "10", *options, "--out", out)) == [
        WORDS + line]
    assert not out.exists()


def test_uncertainty_of_a_plan_without_its_scenario_names_the_argument(plan: Path, tmp_path: Path) -> None:
    assert refused(run("uncertainty", plan, "--out", tmp_path / "u")) == [
        WORDS + f"argument PLAN_OR_SCENARIO '{plan}': a plan folder: give the scenario it was solved from with "
                "--scenario"]


@pytest.mark.parametrize(("when", "line"), [
    ("31/03/2026", "option --date '31/03/2026': not a date: write it as YYYY-MM-DD, e.g. 2026-03-31"),
    ("2031-03-31", "option --date '2031-03-31': outside the plan, which runs from 31 Dec 2025 (its start) to "
                   "31 Dec 2030"),
])
def test_track_names_the_date_option(plan: Path, tmp_path: Path, when: str, line: str) -> None:
    actual = tmp_path / "actual.csv"
    actual.write_text("area_code,stock\nN01,400\n", encoding="utf-8")
    assert refused(run("track", plan, actual, "--date", when, "--out", tmp_path / "t")) == [WORDS + line]
    assert not (tmp_path / "t").exists()


def test_explain_names_the_plan_and_area_arguments(plan: Path) -> None:
    assert refused(run("explain", plan, "Leedz")) == [
        WORDS + f"argument AREA: no area 'Leedz' in {plan}/allocations.csv; give an area code or name from "
                "allocations.csv"]
    assert refused(run("explain", EXAMPLE, "Leeds"))[0].startswith(
        WORDS + f"argument PLAN: {EXAMPLE} is a scenario, not a plan folder")


# --------------------------------------------------------------------------- the mechanism
def test_command_line_errors_are_input_errors_of_exit_code_2() -> None:
    """Code that catches a ScenarioError (a sweep point, the Python API) still catches them."""
    assert issubclass(CommandLineError, InputError) and issubclass(CommandLineError, ScenarioError)
    assert CommandLineError("x").exit_code == 2


def test_only_the_overrides_issues_are_renamed() -> None:
    """An issue of another source passes as it is; an issue of the overrides names the text of its key."""
    with pytest.raises(CommandLineError) as caught:
        with given_on_command_line("--set", {"policy.cluster_limit": "policy.cluster_limit=0"}, label="--set"):
            raise ScenarioError([Issue("--set", "too small", field="policy.cluster_limit"),
                                 Issue("regions.csv", "not a planning year", row=3, field="year")])
    assert [str(i) for i in caught.value.issues] == ["option --set 'policy.cluster_limit=0': too small",
                                                     "regions.csv, line 3, column 'year': not a planning year"]
    with pytest.raises(ScenarioError) as other:
        with given_on_command_line("--set", {}, label="--set"):
            load_scenario(EXAMPLE).update({"policy.cluster_limit": 0}, source="in code")
    assert type(other.value) is ScenarioError and str(other.value).startswith("in code, key 'policy.cluster_limit'")

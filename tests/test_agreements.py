"""Agreed allocations (issue 6): honoured as hard constraints, checked, and diagnosed in policy terms.

The cases use the bundled example scenario (scenarios/example), whose numbers are small
enough to check by hand. Kingsmead (S02) has stock 60, capacity 80, procurement 100 a year,
and the growth limit is 60 + 0.5 × last year's stock, so its most by the end of:

* 2026: min(capacity 80 + 100 = 180, growth 60 + 1.5 × 60 = 150) = 150
* 2027: min(capacity 180 + 100 = 280, growth 60 + 1.5 × 150 = 285) = 280
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator import InfeasibleError, ScenarioError, load_scenario, solve
from allocator.cli import cli
from allocator.verify import verify_plan

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"


def _with_agreements(tmp_path: Path, rows: str) -> Path:
    folder = tmp_path / "scenario"
    shutil.copytree(EXAMPLE, folder)
    (folder / "agreements.csv").write_text("area_code,year,minimum,maximum,exact,note\n" + rows, encoding="utf-8")
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    (folder / "scenario.yaml").write_text(text.replace("areas: areas.csv", "areas: areas.csv\nagreements: agreements.csv"),
                                          encoding="utf-8")
    return folder


def _stock(plan, code: str, year: int) -> int:
    a = plan.allocations
    return int(a.loc[(a["area_code"] == code) & (a["year"] == year), "stock"].sum())


def test_agreements_are_honoured(tmp_path: Path) -> None:
    free = solve(load_scenario(EXAMPLE))
    assert _stock(free, "S02", 2027) != 250 and _stock(free, "N06", 2029) > 700 and _stock(free, "N01", 2030) < 250
    plan = solve(load_scenario(_with_agreements(tmp_path, "S02,2027,,,250,exact\nN06,2029,,700,,\nN01,2030,250,,,\n")))
    assert _stock(plan, "S02", 2027) == 250
    assert _stock(plan, "N06", 2029) == 700                 # binding maximum (it wanted more)
    assert _stock(plan, "N01", 2030) == 250                 # binding minimum (it wanted fewer)
    assert plan.objective > free.objective                  # agreements cost something here


def test_a_broken_agreement_is_caught_by_the_verifier(tmp_path: Path) -> None:
    scenario = load_scenario(_with_agreements(tmp_path, "S02,2027,,,250,\n"))
    plan = solve(scenario)
    S = plan.exact_stock.copy()
    i = scenario.areas.index[scenario.areas["area_code"] == "S02"][0]
    S[i, 1, 0] -= 5
    fails = verify_plan(scenario, S, plan.exact_contingency, None)
    assert any(f.startswith("agreement: S02 2027") for f in fails)


def test_unreachable_agreement_reports_the_fix_known_on_paper(tmp_path: Path) -> None:
    """At least 300 in Kingsmead by 2027, but at most 280 can be there (see module docstring).

    Only loosening the agreement by 20 (to 280) helps on its own: more capacity alone still
    meets the growth limit (285 < 300), faster growth alone still meets capacity (280 < 300).
    """
    folder = _with_agreements(tmp_path, "S02,2027,300,,,council cabinet\n")
    with pytest.raises(InfeasibleError) as err:
        solve(load_scenario(folder))
    text = str(err.value)
    assert "agreement Kingsmead (S02) 2027: minimum 300 loosened to 280 (-20)" in text
    [fix] = [r for r in err.value.relaxations if r["option"] == "agreements"]
    assert fix["area_code"] == "S02" and fix["year"] == 2027 and fix["amount"] == pytest.approx(20, abs=1e-4)
    assert {r["option"] for r in err.value.relaxations} == {"agreements"}
    assert "Not enough on its own" in text and "procure more bed spaces" in text
    result = CliRunner().invoke(cli, ["solve", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "minimum 300 loosened to 280" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("rows", "message"), [
    ("X99,2027,1,,,\n", r"agreements.csv, line 2 \(area X99\), column 'area_code': area 'X99' is not in the areas"),
    ("S02,2035,1,,,\n", r"line 2 \(area S02\), column 'year': 2035 is not a planning year"),
    ("S02,2027,,,,\n", r"line 2 \(area S02\), column 'minimum': give a minimum, a maximum or an exact number"),
    ("S02,2027,5,,6,\n", r"column 'exact': give either exact, or minimum and/or maximum"),
    ("S02,2027,9,5,,\n", r"column 'maximum': maximum 5 is below the minimum 9"),
    ("S02,2027,2.5,,,\n", r"agreements are in whole people"),
    ("S02,2027,1,,,\nS02,2027,,4,,\n", r"line 3 \(area S02\), column 'year': a second agreement for S02 in 2027"),
    ("S02,2027,lots,,,\n", r"column 'minimum': not a number: 'lots'"),
])
def test_bad_agreements_name_file_line_and_column(tmp_path: Path, rows: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(_with_agreements(tmp_path, rows))


def test_agreements_survive_variation_in_code(tmp_path: Path) -> None:
    scenario = load_scenario(_with_agreements(tmp_path, "S02,2027,,,250,\n"))
    varied = scenario.with_policy(cluster_limit=250)
    assert varied.agreements is not None and varied.agreements["maximum"].tolist() == [250.0]
    assert varied.sha256 != scenario.sha256
    assert scenario.with_agreements(None).agreements is None
    assert _stock(solve(varied), "S02", 2027) == 250
    assert scenario.with_agreements(None).sha256 != scenario.sha256

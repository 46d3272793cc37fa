"""Fuzzing the loader (issue 7): mutated scenarios either load or raise ScenarioError with a location.

The property: ``load_scenario`` on a mutated copy of a valid scenario either returns a
scenario that solves (or is reported infeasible), or raises :class:`ScenarioError` whose every
issue names a file. Nothing else is raised, nothing hangs. Examples per run come from the
hypothesis profile (``HYPOTHESIS_PROFILE=ci`` small, ``dev`` many).
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocator import InfeasibleError, ScenarioError, load_scenario, solve

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "example"
BASE_YAML = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text(encoding="utf-8"))
BASE_CSV = (EXAMPLE / "areas.csv").read_text(encoding="utf-8").splitlines()

NASTY = st.sampled_from([
    "", " ", "nan", "NaN", "inf", "-inf", "1e308", "-1", "-0", "0", "1e-320", "9" * 40, "abc", "１２", "∞",
    "\u00a0", "'", '"', "=1+1", "@SUM(A1)", "+44", "2026.5", "1,000", "None", "null", "true", "🙂", "\x00",
])
YAML_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.lists(st.integers(min_value=-5, max_value=3000), max_size=4),
    st.dictionaries(st.integers(min_value=2020, max_value=2035), st.floats(allow_nan=True), max_size=3),
)


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))


YAML_PATHS = list(_paths(BASE_YAML))


@st.composite
def mutated(draw):
    doc = yaml.safe_load(yaml.safe_dump(BASE_YAML))
    rows = [r.split(",") for r in BASE_CSV]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["drop_key", "retype_key", "rename_key", "cell", "drop_col", "rename_col",
                                     "dup_row", "drop_rows", "bom", "crlf", "swap_cols"]))
        if kind in ("drop_key", "retype_key", "rename_key"):
            path = draw(st.sampled_from(YAML_PATHS))
            parent = doc
            for p in path[:-1]:
                parent = parent.get(p) if isinstance(parent, dict) else None
            if not isinstance(parent, dict) or path[-1] not in parent:
                continue
            if kind == "drop_key":
                del parent[path[-1]]
            elif kind == "retype_key":
                parent[path[-1]] = draw(YAML_VALUES)
            else:
                parent[str(path[-1]) + draw(st.sampled_from(["_", "s", "X"]))] = parent.pop(path[-1])
        elif kind == "cell" and len(rows) > 1:
            r = draw(st.integers(min_value=1, max_value=len(rows) - 1))
            c = draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))
            if c < len(rows[r]):
                rows[r][c] = draw(NASTY).replace(",", ";").replace("\n", " ")
        elif not rows or not rows[0]:
            continue
        elif kind == "drop_col":
            c = draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))
            rows = [r[:c] + r[c + 1:] for r in rows]
        elif kind == "rename_col":
            c = draw(st.integers(min_value=0, max_value=len(rows[0]) - 1))
            rows[0][c] = rows[0][c].upper()
        elif kind == "dup_row" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(min_value=1, max_value=len(rows) - 1))]))
        elif kind == "drop_rows":
            rows = rows[: draw(st.integers(min_value=0, max_value=len(rows)))]
        elif kind == "swap_cols" and len(rows[0]) > 1:
            rows = [[r[1], r[0], *r[2:]] if len(r) > 1 else r for r in rows]
    text = "\n".join(",".join(r) for r in rows) + "\n"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return doc, text


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
@given(mutated())
def test_mutated_scenarios_load_or_fail_with_location(tmp_path_factory, case) -> None:
    doc, csv_text = case
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "areas.csv").write_text(csv_text, encoding="utf-8", newline="")
    (folder / "scenario.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        scenario = load_scenario(folder)
    except ScenarioError as err:
        assert err.issues, "a ScenarioError must carry at least one issue"
        for issue in err.issues:
            assert issue.file, issue
            assert issue.message, issue
        assert "Traceback" not in str(err)
        return
    try:
        plan = solve(scenario)
    except InfeasibleError as err:
        assert "contingency_ceiling" in str(err)
        return
    assert plan.status == "optimal"
    assert all(math.isfinite(v) for v in plan.trajectory["total_cost"])

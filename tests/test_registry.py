"""The family registry (issue 12): every rule has its four parts, and a new rule needs nothing else.

A family is complete when it has an ``add_`` function whose ``.. math::`` block is in
docs/model.md, a record in :data:`allocator.registry.FAMILIES` listed in docs/model.md's registry
table and heading its own section there, and a verifier rule that fails a plan built without the
family (or, for a rule folded into the stock bounds, from data that break it). The last tests add
a toy family in the test suite through the registry alone and show that the model, ``explain``,
the infeasibility diagnosis and the price-guided start all pick it up.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from allocator import diagnose, frontier, load_scenario, model, prepare, registry, rounding, solve
from allocator.api import finish
from allocator.data import ModelData
from allocator.errors import InfeasibleError, VerificationError
from allocator.explain import REASON_WORDS, binding
from allocator.families import Vars
from allocator.lp import INF, LPBuilder
from allocator.model import build_lp
from allocator.registry import Family, Lever, PriceStart, Reason
from allocator.scenario import Scenario
from allocator.solvers import _fallback, _price_start, solve_lp
from tests.conftest import EXAMPLE, REPO, area, config, load

DOCS = REPO / "docs"
MODEL_MD = (DOCS / "model.md").read_text(encoding="utf-8")
FAMILY_IDS = [f.name for f in registry.FAMILIES]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def math_blocks(doc: str) -> list[str]:
    """The ``.. math::`` blocks of a docstring: the indented lines after each, up to a blank line."""
    lines = (doc or "").splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() == ".. math::":
            body = []
            for nxt in lines[i + 1:]:
                if not nxt.strip():
                    if body:
                        break
                    continue
                body.append(nxt)
            blocks.append(" ".join(body))
    return blocks


# --------------------------------------------------------------------------- the four parts of a family
@pytest.mark.parametrize("family", registry.FAMILIES, ids=FAMILY_IDS)
def test_the_add_function_mathematics_is_in_model_md(family: Family) -> None:
    blocks = math_blocks(family.add.__doc__)
    assert blocks, f"{family.add.__name__} has no .. math:: block"
    for block in blocks:
        assert squash(block) in squash(MODEL_MD), f"{family.add.__name__}'s mathematics is not in docs/model.md:\n{block}"


@pytest.mark.parametrize("family", registry.FAMILIES, ids=FAMILY_IDS)
def test_each_family_has_its_section_in_model_md(family: Family) -> None:
    heading = f"### {family.doc}: `{family.name}`, `{family.add.__name__}`"
    assert heading in MODEL_MD.splitlines(), f"docs/model.md has no section {heading!r}"


def table_row(f: Family) -> str:
    """The family's row of the registry table in docs/model.md, from its record."""
    reasons = ", ".join(f"`{r.tag}`" for r in f.reasons) or "—"
    lever = f"`{f.lever.name}`" if f.lever else "—"
    return (f"| `{f.name}` | {f.kind} | {lever} | {reasons} | {'yes' if f.links_areas else 'no'} | {f.price_start} | "
            f"{f.complete or '—'} | `{f.verifier}` |")


@pytest.mark.parametrize("family", registry.FAMILIES, ids=FAMILY_IDS)
def test_each_family_is_in_the_registry_table_of_model_md(family: Family) -> None:
    assert table_row(family) in MODEL_MD.splitlines(), f"docs/model.md's registry table lacks {table_row(family)}"


def test_the_registry_names_are_unique_and_its_rows_are_the_built_blocks() -> None:
    names = [f.name for f in registry.FAMILIES]
    assert len(names) == len(set(names))
    assert {f.kind for f in registry.FAMILIES} == {"row", "bound"}
    assert all(f.per in ("row", "area", "area_cohort") for f in registry.FAMILIES)
    assert all(f.kind == "row" or f.bound is not None or f.lever is None for f in registry.FAMILIES)
    for scenario in (load_scenario(EXAMPLE), load_scenario(EXAMPLE).with_objective(equity_measure="minmax")):
        assert set(build_lp(prepare(scenario)).rows) <= {f.name for f in registry.rows()}


def test_explain_and_infeasibility_docs_list_the_registry() -> None:
    """docs/explain.md lists every reason (and only those); docs/infeasibility.md every lever."""
    explain_md = (DOCS / "explain.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+)` \|", explain_md, flags=re.M)
    assert listed == list(REASON_WORDS)
    levers_md = (DOCS / "infeasibility.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (\w+) \| each", levers_md, flags=re.M)
    assert listed == [lv.name for lv in registry.levers()]


@pytest.mark.parametrize("reader", [diagnose, _price_start, _fallback, model, frontier, rounding, binding],
                         ids=lambda m: m.__name__)
def test_readers_name_no_family(reader) -> None:
    """diagnose, explain, the price-guided start, the fallback and the frontier read the registry:
    no row block's name is written in them as a string (``procurement`` is also a ModelData field)."""
    source = inspect.getsource(reader)
    fields = {f.name for f in dataclasses.fields(ModelData)}
    for name in {f.name for f in registry.rows()} - fields:
        assert not re.search(rf"[\"']{name}[\"']", source), f"{reader.__name__} names {name!r}"


# --------------------------------------------------------------------------- each verifier rule must fail
def _cohorts(rows: list[dict], **per_cohort: float) -> list[dict]:
    """Rows with the stock, capacity and procurement columns split over two cohorts (given values each)."""
    for row in rows:
        for base in ("stock", "capacity", "procurement_per_year"):
            value = row.pop(base)
            row[f"{base}_single"] = row[f"{base}_family"] = per_cohort.get(base, value)
    return rows


def _costs(cfg: dict, **costs: float) -> dict:
    cfg["costs"].update(costs)
    return cfg


COHORTS = [{"name": "single", "arrivals_share": 0.5}, {"name": "family", "arrivals_share": 0.5}]


def _hotels(cfg: dict, **costs: float) -> dict:
    """``cfg`` with hotels by area: no ``contingency_start`` (the areas' column gives it), and ``costs``."""
    del cfg["demand"]["contingency_start"]
    cfg["costs"].update(costs)
    return cfg


#: tests/test_place_based.py::test_hotels_close_but_never_reopen, place cost £10,000
HOTELS = _hotels(config([2026, 2027], [50, 100], exit_rate=0.0), new_contingency_per_person_year=80_000,
                 hotel_place_per_year=10_000)
HOTEL_ROWS = [area("A", capacity=100, cost=5_000), area("H", contingency=50)]
STEPS = [{"from": 1.0, "weight": 1}, {"from": 1.25, "weight": 5}]
EQUITY = [area("A", capacity=100, cost=1000), area("B", capacity=100), area("C", capacity=100)]
#: a scenario where the family binds, and how to break it: a replacement add_ function (rows) or
#: changed data (rules folded into the stock bounds)
CASES: dict[str, tuple[dict, list[dict], Callable | None, Callable | None]] = {
    "national_balance": (config([2026], [50]), [area("A", capacity=100, cost=1000)], None, None),
    "exit_decay": (config([2026, 2027], [150, 0]),
                   [area("A", capacity=100, cost=9000), area("B", procurement=100, cost=1000)], None, None),
    "max_growth": (config([2026], [50], policy={"max_growth": {"absolute": 10}}), [area("A", capacity=100)], None, None),
    "cluster_limit": (config([2026], [60], cohorts=COHORTS), _cohorts([area("A", population=4_000, capacity=50)]),
                      None, None),
    "contingency_ceiling": (config([2026], [50], hotel=1_000, policy={"contingency_ceiling": {2026: 10}}),
                            [area("A", capacity=100)], None, None),
    "agreement": (config([2026], [50], agreements=[{"area_code": "A", "year": 2026, "minimum": 30}]),
                  [area("A", capacity=100, cost=9000), area("B", capacity=100, cost=1000)], None, None),
    "procurement": (config([2026], [50], procurement_per_place=2_000), [area("A", procurement=100)], None, None),
    "dispersed_total": (config([2026], [30], objective={"equity_weight": 100}), EQUITY,
                        lambda lp, d, v: setattr(v, "dispersed", lp.add_variables("dispersed", (d.shape[1],), 0.0,
                                                                                    INF, 0.0)), None),
    "fair_share": (config([2026], [30], objective={"equity_weight": 100}), EQUITY, None, None),
    "fair_share_step": (config([2026], [30], objective={"equity_weight": 100, "equity_measure": "progressive",
                                                        "equity_steps": STEPS}), EQUITY, None, None),
    "capacity_kept": (_costs(config([2026], [50]), void_share=0.5), [area("A", capacity=100, cost=1000)], None, None),
    "top_rate": (config([2026], [30], objective={"equity_weight": 100, "equity_measure": "minmax"}), EQUITY, None,
                 None),
    "capacity": (config([2026], [50]), [area("A", capacity=10)], None,
                 lambda d: dataclasses.replace(d, capacity_path=d.capacity_path + 500)),
    "cluster_cap": (config([2026], [50]), [area("A", population=4_000, capacity=100)], None,
                    lambda d: dataclasses.replace(d, cluster_cap=d.cluster_cap + 500)),
    "excluded": (config([2026], [50]), [area("A", status="excluded", capacity=100)], None,
                 lambda d: dataclasses.replace(d, excluded=np.zeros_like(d.excluded),
                                               eligible=np.ones_like(d.eligible))),
    "not_yet_open": (config([2026, 2027], [50, 0]), [area("A", status="volunteered", available_from=2027,
                                                          procurement=100)], None,
                     lambda d: dataclasses.replace(d, eligible=np.ones_like(d.eligible),
                                                   capacity_path=d.capacity_path + 100)),
    "inherited": (config([2026], [0]), [area("A", stock=100, capacity=100, cost=9000), area("B", capacity=100)],
                  None, lambda d: dataclasses.replace(d, inherited=np.zeros_like(d.inherited))),
    # place-based (tests/test_place_based.py has the hand-solved plans): hotels kept open though empty
    # in 2026 (without the rule: closed, then reopened); 50 people in 2027 in hotels with no open place
    "hotel_closure": (HOTELS, HOTEL_ROWS, None, None),
    "hotel_use": (HOTELS, HOTEL_ROWS, None, None),
    # tests/test_place_based.py::test_hotels_close_but_never_reopen closing by 2027: without the rows H keeps
    # its 50 places open into 2027 (£10,000 a place and £50,000 a person against £80,000 in a new site)
    "hotels_close_by": (HOTELS, [HOTEL_ROWS[0], {**HOTEL_ROWS[1], "hotels_close_by": 2027}], None, None),
    "contingency_split": (HOTELS, HOTEL_ROWS, None, None),
    # H's 60 places would take 20 people beside its 100 in dispersal, over its cap of 100 on the basis
    "pressure_cap": (_hotels(config([2026], [100], policy={"pressure_basis": "supported"}),
                             new_contingency_per_person_year=80_000),
                     [area("H", population=20_000, capacity=200, cost=1_000, contingency=60),
                      area("B", capacity=10, cost=5_000)], None, None),
    # H over its cap by its 150 hotel residents: 75 in its hotels in 2026, so at most 75 in 2027 (not 150)
    "pressure_no_rise": (_hotels(config([2026, 2027], [0, 200], policy={"pressure_basis": "supported"}),
                                 new_contingency_per_person_year=80_000),
                         [area("H", population=20_000, contingency=150), area("B")], None, None),
    "pressure_inherited": (_hotels(config([2026], [100], policy={"pressure_basis": "supported"})),
                           [area("H", population=20_000, stock=40, capacity=200, cost=1_000, contingency=90),
                            area("B", capacity=1_000, cost=5_000)], None,
                           lambda d: dataclasses.replace(d, over_basis=np.zeros_like(d.over_basis))),
    # tests/test_regions.py::test_a_regional_minimum_share_that_binds: South holds 30 of 100, not 0
    "regional_share": (config([2026], [100], regions=[{"region": "South", "year": 2026, "min_share": 0.3}]),
                       [area("A", region="North", capacity=100, cost=1_000),
                        area("B", region="South", capacity=100, cost=5_000)], None, None),
    # A is cheaper, so the plan puts all 50 people there, 10 more than the previous plan's 40 (£1,000 each)
    "stability": (config([2026], [50], objective={"stability_weight": 1_000},
                         previous_plan=[{"area_code": "A", "year": 2026, "stock": 40}]),
                  [area("A", capacity=100, cost=1_000), area("B", capacity=100, cost=5_000)], None, None),
    "protection": (config([2026], [100], policy={"protect": {"above_per_10k": 30}}),
                   [area("P", population=10_000, stock=40, capacity=100, cost=1_000),
                    area("B", capacity=1_000, cost=5_000)], None, None),
    # opening decisions (tests/test_opening.py has the hand-solved plans): without its rows a new area takes
    # people without paying its set-up cost, before its lead time, all three in one year; an area hosting
    # people keeps only its survivors (dearer than hotels), below its minimum
    "open_area": (config([2026], [10]), [area("A", capacity=100, open_cost=400_000)], None, None),
    "min_open": (config([2026], [40]), [area("B", stock=10, capacity=30, cost=60_000, min_open=20)], None, None),
    "lead_time": (config([2026, 2027], [40, 40]), [area("A", capacity=50, lead_time=1)], None, None),
    "max_new_areas": (config([2026], [30], policy={"max_new_areas": 1}),
                      [area("A", capacity=10), area("B", capacity=10), area("C", capacity=10)], None, None),
}


def test_every_family_has_a_must_fail_case() -> None:
    assert set(CASES) == {f.name for f in registry.FAMILIES}


@pytest.mark.parametrize("family", registry.FAMILIES, ids=FAMILY_IDS)
def test_the_verifier_rule_of_each_family_fails_a_plan_without_it(tmp_path: Path, monkeypatch, family: Family) -> None:
    """In a scenario where the family binds, the plan passes; a plan built without the family (its rows
    left out, or its bound from broken data) fails the verifier's rule the registry names for it."""
    must_fail(tmp_path, monkeypatch, family, CASES[family.name])


#: the rules of a family that come in variants (a rule option, a re-plan's carried column), each with its case
VARIANTS: dict[str, tuple[str, tuple[dict, list[dict], Callable | None, Callable | None]]] = {
    # P's 40 people (e = 0.5: 20 still there) and 80 places more: protected, it takes nobody new
    "protection_no_new_placements": ("protection", (
        config([2026], [100], policy={"protect": {"above_per_10k": 30, "rule": "no_new_placements"}}),
        [area("P", population=10_000, stock=40, capacity=100, cost=1_000), area("B", capacity=1_000, cost=5_000)],
        None, None)),
    # H (cap 100) starts at 50 on the basis (40 in dispersal, 10 in its hotels): protected, it ends 2026 no higher
    "protection_no_rise": ("protection", (
        _hotels(config([2026], [100], policy={"pressure_basis": "supported",
                                              "protect": {"above_per_10k": 20, "rule": "no_rise"}})),
        [area("H", population=20_000, stock=40, capacity=200, cost=1_000, contingency=10, initial=0),
         area("B", capacity=1_000, cost=5_000, contingency=0, initial=0)], None, None)),
    # P (cap 100, 40 people) is under its cap but a re-plan carries "over its cap" to 2026: nobody new
    "pressure_inherited_carried": ("pressure_inherited", (
        config([2026], [100], policy={"pressure_basis": "supported"}),
        [area("P", population=20_000, stock=40, capacity=200, cost=1_000, initial=0, over_cap_until=2026),
         area("B", capacity=1_000, cost=5_000, initial=0)], None,
        lambda d: dataclasses.replace(d, over_basis=np.zeros_like(d.over_basis)))),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_verifier_rule_of_each_variant_fails_a_plan_without_it(tmp_path: Path, monkeypatch, variant: str) -> None:
    """As above, for each variant of a family's rule: its own case binds, and a plan without it fails."""
    name, case = VARIANTS[variant]
    must_fail(tmp_path, monkeypatch, registry.family(name), case)


def must_fail(tmp_path: Path, monkeypatch, family: Family, case: tuple) -> None:
    """The family binds in ``case`` (scenario dict, rows, replacement add_ function, changed data): the plan
    passes; one built without the family fails the verifier's rule the registry names for it."""
    cfg, rows, add, data = case
    scenario = load(tmp_path, cfg, [dict(r) for r in rows])
    d = prepare(scenario)
    assert family.present(d, build_lp(d)), "the case does not use the family"
    solve(scenario)                                     # verified: the failure below is the family's
    if family.kind == "row":
        broken = dataclasses.replace(family, add=add or (lambda lp, d, v: None))
        monkeypatch.setattr(registry, "FAMILIES", tuple(broken if f is family else f for f in registry.FAMILIES))
    wrong = data(d) if data else d
    lp = build_lp(wrong)
    raw = solve_lp(lp)
    assert raw.status == "optimal"
    with pytest.raises(VerificationError) as err:
        finish(scenario, wrong, lp, raw, build_seconds=0, solve_seconds=0)
    assert any(f.startswith(f"{family.verifier}:") for f in err.value.failures), err.value.failures


# --------------------------------------------------------------------------- a new family, through the registry alone
TOY = Lever("area_limit", "raise the toy area limits")


def toy_family(limits: dict[str, float], **record) -> Family:
    """A test-only rule: at most ``limits[code]`` people in each listed area, every year."""

    def add_area_limit(lp: LPBuilder, d: ModelData, v: Vars) -> None:
        r"""At most :math:`\ell_i` people in each listed area, in every year it can receive people.

        .. math::
            \sum_h S_{ith} \;\le\; \ell_i \qquad \forall\, t,\ i \in E_t \text{ with a limit}

        Row block ``area_limit`` (area, year).
        """
        limit = d.areas["area_code"].map(limits).to_numpy(float)          # NaN where no limit
        cells = np.flatnonzero((d.eligible & ~np.isnan(limit)[:, None]).ravel())
        a, t = np.divmod(cells, d.shape[1])
        row = np.arange(cells.size)
        lp.add_rows("area_limit", cells.size, [(row[:, None], v.stock[a, t, :], 1.0)], -INF, limit[a],
                    {"area": a, "year": t})

    fields = dict(lever=TOY, shadow=True, reasons=(Reason("area limit", "it is at the toy area limit"),))
    fields.update(record)
    return Family("area_limit", "row", "the toy area limit", add_area_limit, "none: a test-only rule",
                  "Toy area limit", **fields)


def national_cap_family(cap: float, price_start: PriceStart) -> Family:
    """A test-only rule linking every area: at most ``cap`` people dispersed each year."""

    def add_national_cap(lp: LPBuilder, d: ModelData, v: Vars) -> None:
        n_t = d.shape[1]
        row = np.arange(n_t)
        lp.add_rows("national_cap", n_t, [(row[None, :, None], v.stock, 1.0)], -INF, cap, {"year": row})

    return Family("national_cap", "row", "the toy national cap", add_national_cap, "none", "Toy national cap",
                  price_start=price_start)


@pytest.fixture
def register(monkeypatch):
    def add(*families: Family) -> None:
        monkeypatch.setattr(registry, "FAMILIES", registry.FAMILIES + families)
    return add


def test_a_new_family_is_built_and_explained(register, example: Scenario) -> None:
    """S01 procures at its pace to 190, 270, ... (docs/explain.md); a toy limit of 150 holds it there:
    ``limited_by`` says "area limit" with the registry's words, and one more place has a price."""
    register(toy_family({"S01": 150.0}))
    assert "area_limit" in build_lp(prepare(example)).rows
    plan = solve(example)                       # verified: the verifier is independent and does not know the toy
    s01 = plan.allocations.set_index(["area_code", "year"]).loc["S01"]
    held = s01[s01["limited_by"].str.split("; ").apply(lambda r: "area limit" in r)]
    assert len(held) and (held["stock"] == 150).all()
    assert (held["shadow_price"] > 0).all()
    assert REASON_WORDS["area limit"] == "it is at the toy area limit"
    assert list(REASON_WORDS)[-3:] == ["area limit", "demand met", "cost"]


def test_a_new_family_is_a_lever_of_the_diagnosis(register, example: Scenario) -> None:
    """A toy limit of 0 in Cragdale (N05), which keeps 292.5 of today's 450 people in 2026: only raising
    the toy limit helps, by the people it must keep."""
    register(toy_family({"N05": 0.0}))
    with pytest.raises(InfeasibleError) as err:
        solve(example)
    text = str(err.value)
    assert "Option 1: raise the toy area limits" in text and "area_limit" in text.split(";")[0]
    toy = [r for r in err.value.relaxations if r["option"] == "area_limit"]
    assert toy and {r["area_code"] for r in toy} == {"N05"} and {r["family"] for r in toy} == {"area_limit"}
    assert toy[0]["year"] == 2026 and toy[0]["amount"] == pytest.approx(450 * 0.65, rel=1e-6)
    assert "Not enough on its own: raise the contingency ceiling" in text


@pytest.mark.parametrize("linking", [False, True])
def test_the_price_guided_start_takes_a_new_family(register, example: Scenario, linking: bool) -> None:
    """A local family is solved within each area's LP; a linking one declared as such (its slack basic)
    keeps the start; both reach the cold optimum."""
    need = prepare(example).need.sum(axis=1).max()
    register(national_cap_family(need, PriceStart("basic slack")) if linking else toy_family({"S01": 150.0}))
    cold, warm = solve(example, start="cold"), solve(example, start="prices")
    assert warm.summary["solver_start"] == "prices"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_the_price_guided_start_refuses_a_linking_family_declared_local(register, example: Scenario) -> None:
    need = prepare(example).need.sum(axis=1).max()
    register(national_cap_family(need, registry.LOCAL))
    plan = solve(example, start="prices")
    assert plan.summary["solver_start"] == "cold: a constraint family links areas outside the national rows"

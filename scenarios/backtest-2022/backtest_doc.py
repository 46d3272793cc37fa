#!/usr/bin/env python3
"""Write ``docs/backtest.md``: the back-test's method and result, from a fresh solve.

Usage::

    python scenarios/backtest-2022/backtest_doc.py           # rewrite docs/backtest.md
    python scenarios/backtest-2022/backtest_doc.py --check   # exit 1 if docs/backtest.md would change

Every figure on the page comes from ``build.py``'s calibration and from ``allocator backtest`` run on
the three scenario files of this folder; ``tests/test_backtest.py`` checks that the page is what
this script writes, so the page cannot drift from the code or the data.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import pandas as pd

from allocator import load_scenario, solve
from allocator.backtest import PREDICTIONS, Backtest, backtest, council_table, metrics_table, region_table, versus
from allocator.output import fmt, markdown_table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DOC = HERE.parents[1] / "docs" / "backtest.md"
ACTUAL = HERE / "raw" / "ho_reg02_la_immigration_groups_2025-12-31.csv"
DATE = "2025-12-31"
#: A council "new to dispersal": at most this many people at the start and at least NEW_AT_END at the end.
NEW_AT_START, NEW_AT_END = 50, 200


def _build_module():
    spec = importlib.util.spec_from_file_location("backtest_build", HERE / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def run_all() -> tuple[dict, dict[str, Backtest]]:
    """The calibration facts and the back-test of each scenario file."""
    build = _build_module()
    with tempfile.TemporaryDirectory() as tmp:
        facts = build.build(Path(tmp), verbose=False)
    results = {file: backtest(solve(load_scenario(HERE / file)), ACTUAL, DATE) for file in build.VARIANTS}
    national = load_scenario(REPO / "scenarios" / "uk-2025" / "central.yaml").config.demand.exit_rate
    return facts | {"variants": build.VARIANTS, "exit_rate": build.EXIT_RATE, "national_exit_rate": national,
                    "variant_exit_rate": build.EXIT_RATE_VARIANT}, results


def _how_many(n: int, of: int) -> str:
    """"all five", "none of the five", "3 of the five" (of up to ten)."""
    word = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")[of - 1] if 0 < of <= 10 else f"{of:,}"
    return f"all {word}" if n == of else ("none of the " + word if n == 0 else f"{n} of the {word}")


def _signed(value: float) -> str:
    return fmt(value, "people", signed=True)


def variants_table(facts: dict, results: dict[str, Backtest]) -> pd.DataFrame:
    rows = []
    for file, b in results.items():
        m = b.metrics.set_index("prediction").loc["model"]
        rows.append({"Scenario file": f"`{file}`", "Model": facts["variants"][file][0].split(": ", 1)[1],
                     "Correlation": f"{m['correlation']:.3f}", "Rank correlation": f"{m['rank_correlation']:.3f}",
                     "Mean absolute error": fmt(m["mean_absolute_error"], "people"),
                     "Placed elsewhere": f"{m['share_elsewhere']:.1%}"})
    return pd.DataFrame(rows)


def findings(results: dict[str, Backtest]) -> list[str]:
    central, by_pop = results["scenario.yaml"], results["pace-by-population.yaml"]
    share = {name: b.metrics.set_index("prediction")["share_elsewhere"] for name, b in results.items()}
    c = central.councils[central.councils["actual_dispersal"].notna()]
    new = c[(c["start_dispersal"] <= NEW_AT_START) & (c["actual_dispersal"] >= NEW_AT_END)]
    gone = c[(c["start_dispersal"] >= 500) & (c["actual_dispersal"] <= 0.25 * c["start_dispersal"])]
    top_over = c[c["model_error"] > 0].nlargest(5, "model_error")
    regions = central.regions.set_index("region")
    london = regions.loc["London"] if "London" in regions.index else None
    s0 = share["scenario.yaml"]
    lines = [
        f"* **Against persistence.** Where the pace follows the councils that housed people at the start, the "
        f"model is {versus(central)}. Costs alone, inside the pace that history allowed, add little to \"each "
        f"council keeps its share\". With the same pace spread by population it is {versus(by_pop)}. A population "
        f"share alone ({s0['population']:.1%} placed elsewhere) is far worse than either: where people are housed "
        "follows where they were housed.",
        f"* **New dispersal areas.** {len(new)} councils housed at most {NEW_AT_START} people at the start and at least "
        f"{NEW_AT_END} at the end ({', '.join(new.nlargest(6, 'actual_dispersal')['area_name'].astype(str))}, ...): "
        f"{new['actual_dispersal'].sum():,.0f} people by 31 December 2025, of whom the model places "
        f"{new['model'].sum():,.0f} there when the pace follows the start and "
        f"{by_pop.councils.set_index('area_code').loc[new['area_code'], 'model'].sum():,.0f} when it follows "
        "population. Procurement went to new councils (full dispersal, announced by the Home Office in April 2022: "
        "every council a dispersal area); a pace tied to the dispersal areas of the start cannot see that, and one "
        "spread by population sees part of it.",
        f"* **Places that closed.** The councils the model over-predicts most are "
        + ", ".join(f"{r.area_name} ({fmt(r.start_dispersal, 'people')} at the start, {fmt(r.actual_dispersal, 'people')} "
                    f"at the end, the model {fmt(r.model, 'people')})" for r in top_over.itertuples())
        + f": {_how_many(int((top_over['actual_dispersal'] < top_over['start_dispersal']).sum()), len(top_over))} housed fewer "
        "people at the end than at the start. In the model a council's places never close (capacity only grows, by "
        "procurement), so the places of the start stay filled wherever they are cheaper than the alternatives "
        "left; in reality places in these councils were given up. That capacity only grows is an assumption.",
    ]
    if london is not None:
        lines.append(
            f"* **London.** The model moves people out of London as rents say it should ({fmt(london['model_error'], 'people', True)} "
            f"against the actual, where persistence is {fmt(london['persistence_error'], 'people', True)}), but not as "
            f"far as happened: London fell from {fmt(london['start_dispersal'], 'people')} to "
            f"{fmt(london['actual_dispersal'], 'people')}.")
    if len(gone):
        lines.append(
            f"* **Collapses no cost model sees.** {len(gone)} council(s) that housed 500 or more at the start housed a "
            f"quarter or less by the end: " + ", ".join(f"{r.area_name} ({fmt(r.start_dispersal, 'people')} to "
                                                          f"{fmt(r.actual_dispersal, 'people')})" for r in gone.itertuples())
            + ". Contracts and properties end for reasons that are not in the model's costs or capacities.")
    return lines


def page(facts: dict, results: dict[str, Backtest]) -> str:
    central = results["scenario.yaml"]
    need, cont = facts["need"], facts["contingency"]
    calibration = pd.DataFrame({
        "Year end": [f"31 Dec {y}" for y in need], "Need (dispersal + contingency)": [fmt(v, "people") for v in need.values()],
        "Contingency (the ceiling)": [fmt(cont[y], "people") for y in need],
        "Dispersal": [fmt(need[y] - cont[y], "people") for y in need],
        f"Arrivals (exit rate {facts['exit_rate']:g})": [fmt(v, "people") for v in facts["arrivals"][facts["exit_rate"]].values()]})
    w0, w1 = facts["pace_window"]
    text = f"""# Back-test: the model on 2023–2025

<!-- Generated by scenarios/backtest-2022/backtest_doc.py from a fresh solve; tests/test_backtest.py checks it. Do not edit by hand. -->

Would the model have said where people were housed at the end of 2025, had it been run at the end of
2022? The back-test starts from each council's dispersal at **31 December 2022**, runs the model
through the national totals that were actually reached in 2023, 2024 and 2025, and compares its
council numbers at **31 December 2025** with the published Reg_02 table. The result is **mixed**:
read it before trusting any one council's number in a plan.

```text
$ allocator backtest scenarios/backtest-2022 --date 2025-12-31 --out out/backtest \\
    --actual scenarios/backtest-2022/raw/ho_reg02_la_immigration_groups_2025-12-31.csv
```

(the command and its output: [guide](guide/backtest.md)). The scenario, its raw tables and
`build.py` are in [`scenarios/backtest-2022/`](../scenarios/backtest-2022/SOURCES.md).

## Method

**Start.** Home Office Asy_D11 (release September 2024), 31 December 2022: the first quarter of the
consistent series, in which hotel residents on section 95 support are no longer counted as
dispersal. {fmt(facts['start_dispersal'], 'people')} people in dispersal in {facts['councils_hosting']} councils
({facts['unplaced']} more with no council are left out), {fmt(facts['contingency0'], 'people')} in contingency. Codes are
today's: the districts merged in 2023 (Cumbria, North Yorkshire, Somerset) are added to their new
councils, Barnsley and Sheffield take their 2024 codes.

**Realised national totals.** The model's need at each year end is the dispersal plus contingency
that was reached, and the contingency ceiling is the contingency that was reached, so that the
national dispersal total is the realised one each year; the arrivals are what puts the need on that
path at the scenario's exit rate.

{markdown_table(calibration, ("Year end",))}

2023 is Asy_D11's own; 2025 is Reg_02's; for 2024 (no council table in the data) the total and the
hotels are Asy_D09's at 31 December 2024, with initial accommodation, other accommodation,
subsistence only and other contingency as at 30 September 2024 (Asy_D11's last quarter).

**Descriptive setting.** Costs alone decide where people go: `cost_weight: 1`, no equity term
(`equity_weight: 0`), and hotels carry no weight (`contingency_weight: 0`: the ceilings fix them),
so the model houses the realised dispersal total in the cheapest councils it can. A council's
cost per place is a year of its average private rent (ONS PIPR; only the ratios between councils
matter here). It can reach only what the procurement pace allows: no spare places at the start
(capacity = the people housed), and a national pace of **{fmt(facts['pace'], 'people')} new places a year**, the best
four-quarter net growth of national dispersal in the consistent series ({w0} to {w1}), split
over councils in proportion to their dispersal at the start (`scenario.yaml`) or to their
population (`pace-by-population.yaml`). Exits: {facts['exit_rate']:g} a year (a mean time in support of about
{1 / facts['exit_rate']:.1f} years), the first national scenario's rate; the national scenario now uses
{facts['national_exit_rate']:g}, which its calibration proposes (`exit-rate-{facts['variant_exit_rate']:g}.yaml` tries
it). One person per 200 residents (mid-2022 populations) is the cap.
Where costs are equal (Scotland's and Northern Ireland's councils share their nation's rent figure)
the model has no reason to prefer one council, and the solver's choice among them is arbitrary.

**Compared with.** Two predictions that use no model: *persistence* (each council keeps its share
of the dispersal at the start, scaled to the 2025 total) and *population* (each council gets its
population share). Measures over the {central.summary['councils_compared']} councils: Pearson's correlation of the
counts, Spearman's of their ranks, the mean absolute error, and the share of people placed
elsewhere, Σ|predicted − actual| / (2 × Σ actual): the share of the 2025 total that would have to
move to turn the prediction into what happened.

## Result

{markdown_table(metrics_table(central), ("Prediction",))}

The model with each scenario file:

{markdown_table(variants_table(facts, results), ("Scenario file", "Model"))}

Regions (`scenario.yaml`), largest model error first:

{markdown_table(region_table(central), ("Region",))}

The ten councils the model is most off (`scenario.yaml`):

{markdown_table(council_table(central, 10), ("Council", "Region"))}

## What it says about the cost and capacity assumptions

{chr(10).join(findings(results))}

So: the cost and capacity inputs steer a plan's *direction* (out of the dearest areas, into places
with procurement), but where people end up is decided mostly by where places are procured, which is
an assumption in every scenario of this project (`procurement_per_year`), not data. A plan's
council numbers are as good as that assumption; its national figures (hotels, costs) do not depend
on it in the same way. Replace the pace with provider data before relying on any council's number.
"""
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/backtest.md would change")
    args = parser.parse_args(argv)
    text = page(*run_all())
    if args.check:
        if DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} would change: run {Path(__file__).name} and commit it", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

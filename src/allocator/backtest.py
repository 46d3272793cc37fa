"""Back-testing: a plan solved on history against what happened (``allocator backtest``).

A back-test scenario starts from a past position (``scenarios/backtest-2022/``: each council's
dispersal at 31 December 2022) and is solved through the realised national totals of the years
since; :func:`backtest` then compares the plan's council numbers on a later date with a published
table of that date, by :func:`allocator.track.track` (so councils missing, renamed codes, suppressed
cells and totals rows are handled and reported the same way), and measures how close they are
against two naive predictions that use no model:

* ``persistence``: every council keeps its share of the start, scaled to the actual total;
* ``population``: every council gets its population share of the actual total.

The measures (over the councils whose actual is known): Pearson's correlation of the counts,
Spearman's of their ranks, the mean absolute error in people, and the share of people placed
elsewhere, ``sum |predicted - actual| / (2 sum actual)``: the share of the actual total that would
have to move to turn the prediction into the actual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allocator.actual import SUPPRESSED_DEFAULT
from allocator.output import clean_text, fmt, markdown_table, people, safe_csv, sentence, write_folder
from allocator.track import track

#: The predictions compared, in order: the model's, then the naive ones.
PREDICTIONS = {"model": "the model (the plan solved on history)",
               "persistence": "persistence: each council keeps its share of the start",
               "population": "population: each council gets its population share"}
BACKTEST_FILES = ("backtest_councils.csv", "backtest_regions.csv", "backtest_metrics.csv", "backtest.md",
                  "backtest.json")


@dataclass
class Backtest:
    """A plan solved on history against the actual position on one date (:func:`backtest`)."""

    date: date
    councils: pd.DataFrame   # per council: start, actual, each prediction and its error (prediction - actual)
    regions: pd.DataFrame    # per region: the same, summed
    metrics: pd.DataFrame    # per prediction: correlation, rank correlation, mean absolute error, share elsewhere
    summary: dict            # the scenario, the plan's and the actual file's SHA-256, the notes

    def markdown(self, top: int = 10) -> str:
        """``backtest.md``: the measures, the regions and the councils most off."""
        return backtest_markdown(self, top)

    def write(self, out: str | Path, *, force: bool = False, protect=()) -> Path:
        """Write :data:`BACKTEST_FILES` into the folder ``out`` atomically."""
        with write_folder(out, kind="backtest", force=force, protect=protect) as tmp:
            for name, table in (("backtest_councils.csv", self.councils), ("backtest_regions.csv", self.regions),
                                ("backtest_metrics.csv", self.metrics)):
                safe_csv(table).to_csv(tmp / name, index=False, lineterminator="\n")
            (tmp / "backtest.md").write_text(self.markdown(), encoding="utf-8", newline="\n")
            with open(tmp / "backtest.json", "w", encoding="utf-8", newline="\n") as fh:
                json.dump(self.summary, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
        return Path(out)


def backtest(plan: Any, actual: Any, when: Any, *, suppressed: str = SUPPRESSED_DEFAULT,
             date_name: str = "date") -> Backtest:
    """Compare ``plan``'s council numbers on ``when`` with ``actual`` (a file, a table or an
    :class:`~allocator.actual.Actual`); the errors are prediction minus actual, in people."""
    t = track(plan, actual, when, suppressed=suppressed, date_name=date_name)
    c = t.councils
    pop = plan.start.set_index(plan.start["area_code"].astype(str))["population"].reindex(c["area_code"]).to_numpy(float)
    known = c["actual_dispersal"].notna().to_numpy()
    total = float(c.loc[known, "actual_dispersal"].sum())
    start = c["start_dispersal"].to_numpy(float)
    out = c[["area_code", "area_name", "region", "start_dispersal", "actual_dispersal"]].copy()
    out["model"] = c["planned_dispersal"]
    out["persistence"] = np.round(start / start[known].sum() * total, 2)
    out["population"] = np.round(pop / pop[known].sum() * total, 2)
    for name in PREDICTIONS:
        out[f"{name}_error"] = np.round(out[name] - out["actual_dispersal"], 2)
    out["status"] = c["status"].replace({"fulfilment undefined": "compared", "tracked": "compared"})
    k = out[known]
    metrics = pd.DataFrame([{"prediction": name, **measures(k[name].to_numpy(float), k["actual_dispersal"].to_numpy(float))}
                            for name in PREDICTIONS])
    regions = k.groupby("region", sort=True)[["start_dispersal", "actual_dispersal", *PREDICTIONS]].sum().round(2)
    for name in PREDICTIONS:
        regions[f"{name}_error"] = (regions[name] - regions["actual_dispersal"]).round(2)
    summary = {"date": t.date.isoformat(), "scenario": plan.summary.get("scenario"),
               "scenario_sha256": plan.summary.get("scenario_sha256"), "plan_sha256": t.summary["plan"]["sha256"],
               "model": _model_words(t.date, t.summary["plan"]),
               "actual": t.summary["actual"], "councils_compared": int(known.sum()), "councils": len(out),
               "metrics": metrics.set_index("prediction").to_dict(orient="index"), "notes": t.notes}
    return Backtest(date=t.date, councils=out, regions=regions.reset_index(), metrics=metrics, summary=summary)


def _model_words(when: date, plan: dict) -> str:
    """What the model's prediction is: the plan solved on history when ``when`` is the plan's end (every year of it
    lies before the date of the actual), otherwise the numbers of a plan that runs on past the date (a forward
    plan is not called a plan solved on history)."""
    end = date.fromisoformat(plan["end"])
    if when >= end:
        return PREDICTIONS["model"]
    return f"the model (the plan's numbers at {when:%d %b %Y}; the plan runs on to {end:%d %b %Y})"


def words(b: Backtest, name: str) -> str:
    """The words for the prediction ``name``: :data:`PREDICTIONS`, the model's as :func:`backtest` found it."""
    return b.summary.get("model", PREDICTIONS[name]) if name == "model" else PREDICTIONS[name]


def measures(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Pearson's r of the counts, Spearman's rho (Pearson's r of the ranks, ties averaged), the mean
    absolute error (people) and the share of people placed elsewhere."""
    def pearson(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")
    rank = pd.Series(predicted).rank().to_numpy(), pd.Series(actual).rank().to_numpy()
    gap = np.abs(predicted - actual)
    return {"correlation": round(pearson(predicted, actual), 4), "rank_correlation": round(pearson(*rank), 4),
            "mean_absolute_error": round(float(gap.mean()), 2),
            "share_elsewhere": round(float(gap.sum() / (2 * actual.sum())), 4) if actual.sum() > 0 else float("nan")}


#: Each measure: its words, whether higher is closer, and how it is shown (the comparison is of the figures shown).
MEASURES = {"correlation": ("correlation", True, lambda v: f"{v:.3f}", False),
            "rank_correlation": ("rank correlation", True, lambda v: f"{v:.3f}", False),
            "mean_absolute_error": ("mean absolute error", False, lambda v: fmt(v, "people"), True),
            "share_elsewhere": ("people placed elsewhere", False, lambda v: f"{v:.1%}", False)}


def versus(b: Backtest, other: str = "persistence") -> str:
    """The model against the naive prediction ``other``, measure by measure, as the figures shown compare: "better on
    rank correlation (0.725 against 0.716), ...; worse on correlation (0.912 against 0.913)" ("the same on": equal)."""
    m = b.metrics.set_index("prediction")
    groups: dict[str, list[str]] = {"better": [], "worse": [], "the same": []}
    for key, (what, higher, shown, in_people) in MEASURES.items():
        model, naive = shown(m.at["model", key]), shown(m.at[other, key])
        closer = (m.at["model", key] > m.at[other, key]) == higher
        groups["the same" if model == naive else "better" if closer else "worse"].append(
            f"{what} ({model} against {people(m.at[other, key]) if in_people else naive})")
    parts = [f"{verdict} on " + (", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0])
             for verdict, items in groups.items() if items]
    return "; ".join(parts)


def metrics_table(b: Backtest) -> pd.DataFrame:
    """The measures as text, one row per prediction."""
    m = b.metrics
    return pd.DataFrame({"Prediction": m["prediction"].map(lambda name: words(b, name)),
                         "Correlation": m["correlation"].map(lambda v: f"{v:.3f}"),
                         "Rank correlation": m["rank_correlation"].map(lambda v: f"{v:.3f}"),
                         "Mean absolute error": m["mean_absolute_error"].map(lambda v: fmt(v, "people")),
                         "Placed elsewhere": m["share_elsewhere"].map(lambda v: f"{v:.1%}")})


def region_table(b: Backtest) -> pd.DataFrame:
    r = b.regions.sort_values("model_error", key=abs, ascending=False)
    return pd.DataFrame({"Region": r["region"].astype(str), "Start": r["start_dispersal"].map(lambda v: fmt(v, "people")),
                         "Actual": r["actual_dispersal"].map(lambda v: fmt(v, "people")),
                         "Model": r["model"].map(lambda v: fmt(v, "people")),
                         "Model − actual": r["model_error"].map(lambda v: fmt(v, "people", signed=True)),
                         "Persistence − actual": r["persistence_error"].map(lambda v: fmt(v, "people", signed=True))})


def council_table(b: Backtest, top: int) -> pd.DataFrame:
    c = b.councils[b.councils["actual_dispersal"].notna()]
    c = c.reindex(c["model_error"].abs().sort_values(ascending=False, kind="stable").index).head(top)
    return pd.DataFrame({"Council": c["area_name"].astype(str), "Region": c["region"].astype(str),
                         "Start": c["start_dispersal"].map(lambda v: fmt(v, "people")),
                         "Actual": c["actual_dispersal"].map(lambda v: fmt(v, "people")),
                         "Model": c["model"].map(lambda v: fmt(v, "people")),
                         "Model − actual": c["model_error"].map(lambda v: fmt(v, "people", signed=True)),
                         "Persistence − actual": c["persistence_error"].map(lambda v: fmt(v, "people", signed=True))})


def backtest_markdown(b: Backtest, top: int = 10) -> str:
    s = b.summary
    lines = ["# Back-test", "", f"Scenario: {s['scenario']}.", "",
             f"The plan's council numbers at {b.date:%d %B %Y} against `{Path(s['actual']['file']).name}` "
             f"({s['councils_compared']} of {s['councils']} councils compared; plan SHA-256 "
             f"`{s['plan_sha256'][:16]}`).", "",
             "## How close", "", markdown_table(metrics_table(b), ("Prediction",)), "",
             *[f"* The model against {o}: {versus(b, o)}." for o in PREDICTIONS if o != "model"], "",
             "## Regions, largest model error first", "", markdown_table(region_table(b), ("Region",)), "",
             f"## The {top} councils the model is most off", "",
             markdown_table(council_table(b, top), ("Council", "Region")), "",
             "## Notes", "", *([f"* {sentence(n)}" for n in s["notes"]] or ["* None."]), "",
             "Every council's figures are in `backtest_councils.csv`.", ""]
    return clean_text("\n".join(lines), multiline=True)


def backtest_lines(b: Backtest) -> list[str]:
    """A few lines for the terminal: each prediction's measures, the regions most off."""
    s = b.summary
    lines = [f"Scenario: {s['scenario']}.",
             f"At {b.date:%d %b %Y}, {s['councils_compared']} of {s['councils']} councils compared with the actual:"]
    for r in b.metrics.itertuples():
        lines.append(f"  {words(b, r.prediction)}: correlation {r.correlation:.3f}, rank correlation "
                     f"{r.rank_correlation:.3f}, mean absolute error {people(r.mean_absolute_error)}, "
                     f"{r.share_elsewhere:.1%} placed elsewhere")
    lines += [f"  the model against {other}: {versus(b, other)}" for other in PREDICTIONS if other != "model"]
    worst = b.regions.reindex(b.regions["model_error"].abs().sort_values(ascending=False).index).head(3)
    lines.append("Regions the model is most off (model minus actual): " + ", ".join(
        f"{r.region} {fmt(r.model_error, 'people', signed=True)}" for r in worst.itertuples()) + ".")
    return lines

"""Compare solved plans side by side: trajectories, regions, and the areas that differ most."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from allocator.plan import Plan, read_plan

METRICS = (
    ("contingency", "In contingency (hotels)"),
    ("dispersed", "In dispersal"),
    ("total_cost", "Total cost £"),
    ("gini", "Gini of area rates"),
    ("max_rate_per_10k", "Highest rate per 10k"),
    ("areas_over_cap", "Areas over cluster limit"),
    ("areas_hosting", "Areas hosting"),
)


def load_plan_or_solve(path: str | Path) -> Plan:
    """A plan folder is read; a scenario (YAML file or folder with scenario.yaml) is solved."""
    p = Path(path)
    if p.is_dir() and (p / "summary.json").exists():
        return read_plan(p)
    from allocator.api import solve
    from allocator.scenario import load_scenario

    return solve(load_scenario(p))


@dataclass
class Comparison:
    trajectory: pd.DataFrame      # year, metric, one column per plan, and difference from the first
    regions: pd.DataFrame         # region, year, stock per plan
    areas: pd.DataFrame           # areas whose stock differs most from the first plan
    labels: list[str]

    def text(self) -> str:
        out = ["Trajectory (per year)", self.trajectory.to_string(index=False), "",
               "Regional stock in the final year", self.regions.to_string(index=False), "",
               f"Areas whose allocations differ most from {self.labels[0]}", self.areas.to_string(index=False)]
        return "\n".join(out)

    def write(self, folder: str | Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        md = []
        for name, table in (("trajectory", self.trajectory), ("regions", self.regions), ("areas", self.areas)):
            table.to_csv(folder / f"compare_{name}.csv", index=False, lineterminator="\n")
            md += [f"## {name.capitalize()}", "", _markdown(table), ""]
        (folder / "compare.md").write_text("\n".join(md), encoding="utf-8")


def _markdown(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = ["| " + " | ".join(map(str, r)) + " |" for r in df.itertuples(index=False)]
    return "\n".join([head, sep, *rows])


def _short(labels: list[str]) -> list[str]:
    names = [Path(label).name or label for label in labels]
    return names if len(set(names)) == len(names) else [f"{i + 1}:{n}" for i, n in enumerate(names)]


def compare_plans(plans: list[Plan], labels: list[str], top: int = 10) -> Comparison:
    """Side-by-side tables for two or more plans over the same years and areas."""
    names = _short(labels)
    rows = []
    years = plans[0].trajectory["year"].tolist()
    for metric, title in METRICS:
        for y in years:
            row = {"year": y, "metric": title}
            for name, plan in zip(names, plans):
                t = plan.trajectory.set_index("year")
                row[name] = t.at[y, metric] if y in t.index else float("nan")
            for name in names[1:]:
                row[f"{name}-{names[0]}"] = row[name] - row[names[0]]
            rows.append(row)
    trajectory = pd.DataFrame(rows)

    final = years[-1]
    reg = None
    for name, plan in zip(names, plans):
        r = plan.regions[plan.regions["year"] == final].set_index("region")["stock"].rename(name)
        reg = r.to_frame() if reg is None else reg.join(r, how="outer")
    regions = reg.fillna(0).astype(int).reset_index()

    def area_totals(plan: Plan) -> pd.DataFrame:
        a = plan.allocations.groupby(["area_code", "area_name", "year"], sort=True)["stock"].sum()
        return a.unstack("year")

    base = area_totals(plans[0])
    frames = []
    for name, plan in zip(names[1:], plans[1:]):
        other = area_totals(plan).reindex(base.index).fillna(0)
        diff = (other - base)
        frame = pd.DataFrame({
            "plan": name,
            f"final {names[0]}": base[final].astype(int),
            f"final {name}": other[final].astype(int),
            "final difference": diff[final].astype(int),
            "sum |difference| over years": diff.abs().sum(axis=1).astype(int),
        }).reset_index().drop(columns=[], errors="ignore")
        frames.append(frame.sort_values(["sum |difference| over years", "area_code"], ascending=[False, True],
                                        kind="stable").head(top))
    areas = pd.concat(frames, ignore_index=True)
    return Comparison(trajectory, regions, areas, names)

"""Compare solved plans side by side: trajectories, regions, and the areas that differ most.

:func:`compare_plans` returns a :class:`Comparison` of plain tables (raw
numbers, for CSV and code); :meth:`Comparison.render` prints them as readable
terminal tables (rich), :meth:`Comparison.markdown` formats them for reading,
and :meth:`Comparison.write` writes both. Every difference is "this plan minus
the first plan" (the baseline).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from allocator.api import solve
from allocator.fairness import DISPERSAL, basis_name, on_basis
from allocator.interpret import START
from allocator.output import clean_text, fmt, safe_csv, write_folder, year_span
from allocator.plan import Plan, read_plan
from allocator.ranking import Ranking, markdown_table, rank_councils
from allocator.scenario import load_scenario

# (trajectory column, title, kind, on the basis) - kind decides the number format; "on the basis": the
# figure is counted on each plan's own pressure basis (allocator.fairness), and its title says which
METRICS = (
    ("contingency", "In contingency (hotels)", "people", False),
    ("dispersed", "In dispersal", "people", False),
    ("total_cost", "Total cost £", "money", False),
    ("gini", "Gini of area rates", "gini", True),
    ("max_rate_per_10k", "Highest rate per 10k", "rate", True),
    ("areas_over_cap", "Areas over cluster limit", "count", True),
    ("areas_hosting", "Areas hosting", "count", False),
)
#: The figures also given on dispersal alone, after the others, when a plan's pressure basis is not dispersal.
DISPERSAL_ONLY = ("gini", "max_rate_per_10k")
#: The basis of a row whose plans count pressure on different bases (no difference is given).
EACH_OWN = "each plan's basis"
_ROUND = {"people": 0, "count": 0, "money": 2, "gini": 4, "rate": 2}


def load_plan_or_solve(path: str | Path, *, solver: str = "highs") -> Plan:
    """A plan folder is read; a scenario (YAML file or folder with scenario.yaml) is solved."""
    p = Path(path)
    if p.is_dir() and (p / "summary.json").exists():
        return read_plan(p)

    return solve(load_scenario(p), solver=solver)


def is_plan_folder(path: str | Path) -> bool:
    p = Path(path)
    return p.is_dir() and (p / "summary.json").exists()


@dataclass
class Comparison:
    trajectory: pd.DataFrame      # year, metric (title), key (trajectory column), basis, one column per plan, "<plan>-<first>"
    regions: pd.DataFrame         # region, year, stock per plan, differences, rate per 10k per plan
    areas: pd.DataFrame           # areas whose stock differs most from the first plan
    labels: list[str]             # short plan names, the first is the baseline
    totals: pd.DataFrame | None = None   # plan, first_year, last_year, total_cost_all_years, total_cost_shared_years
    ranking: Ranking | None = None       # councils ranked by --sort-by (allocator.ranking)
    bases: list[str] | None = None       # each plan's pressure basis (allocator.fairness.basis_name)

    def areas_years(self) -> str:
        """The years the areas table sums over: those each plan shares with the first."""
        spans = sorted(set(self.areas["years"])) if "years" in self.areas else []
        return spans[0] if len(spans) == 1 else "years shared" if spans else "all years"

    def no_areas(self) -> str:
        """What the areas table says when it has no row."""
        if self.totals is not None and self.totals["total_cost_shared_years"].isna().all():
            return "The plans share no year, so their councils are not compared."
        return "No council's allocation differs between the plans in the years they share."

    @property
    def base(self) -> str:
        return self.labels[0]

    def basis_note(self) -> str:
        """What the fairness rows are counted on, when a plan's pressure basis is not dispersal alone: the
        plans' bases, and whether their figures compare like for like (empty when every plan is on dispersal)."""
        bases = self.bases or [DISPERSAL] * len(self.labels)
        if set(bases) == {DISPERSAL}:
            return ""
        if len(set(bases)) == 1:
            return (f"Pressure basis (policy.pressure_basis): {bases[0]} in every plan. Rows marked ({bases[0]} "
                    "basis) count on it; rows marked (dispersal only) count people in dispersal alone.")
        named = "; ".join(f"{n} {b}" for n, b in zip(self.labels, bases))
        return (f"Pressure bases differ (policy.pressure_basis): {named}.\nRows marked ({EACH_OWN}) are not "
                "like for like, so no difference is given; rows marked (dispersal only) compare like for like.")

    @property
    def final_year(self) -> int:
        return int(self.trajectory["year"].max())

    # ------------------------------------------------------------------ display
    def render(self, console) -> None:
        """Print the comparison as rich tables on ``console`` (names as plain text: :func:`_shown`)."""
        base, others = self.labels[0], self.labels[1:]
        shown = {n: _shown(n) for n in self.labels}
        console.print(f"[bold]Comparing {len(self.labels)} plans[/bold]; differences are each plan minus "
                      f"[bold]{shown[base]}[/bold].")
        for line in self.basis_note().splitlines():
            console.print(_shown(line))
        t = Table(title="Trajectory: national figures at the end of each year", box=box.SIMPLE_HEAVY,
                  title_justify="left", title_style="bold")
        t.add_column("Measure", style="bold", no_wrap=True)
        t.add_column("Year", justify="right")
        for name in self.labels:
            t.add_column(shown[name], justify="right")
        for name in others:
            t.add_column(f"{shown[name]}\n− {shown[base]}", justify="right", style="cyan")
        kinds = _kinds()
        metrics = list(dict.fromkeys(self.trajectory["metric"]))
        for metric in metrics:
            rows = self.trajectory[self.trajectory["metric"] == metric]
            kind = kinds.get(rows["key"].iloc[0], "people")
            for i, (_, r) in enumerate(rows.iterrows()):
                cells = [metric if i == 0 else "", str(int(r["year"]))]
                cells += [fmt(r[n], kind) for n in self.labels]
                cells += [fmt(r[f"{n}-{base}"], kind, signed=True) for n in others]
                t.add_row(*cells, end_section=i == len(rows) - 1)
        console.print(t)
        if self.totals is not None:
            console.print(_shown(totals_line(self.totals)))
            console.print()

        final = self.regions[self.regions["year"] == self.final_year]
        t = Table(title=f"Regions: people in dispersal at the end of {self.final_year}", box=box.SIMPLE_HEAVY,
                  title_justify="left", title_style="bold")
        t.add_column("Region", style="bold", no_wrap=True)
        for name in self.labels:
            t.add_column(shown[name], justify="right")
        for name in others:
            t.add_column(f"{shown[name]}\n− {shown[base]}", justify="right", style="cyan")
        for name in self.labels:
            t.add_column(f"{shown[name]}\nper 10k", justify="right", style="dim")
        for _, r in final.iterrows():
            t.add_row(_shown(r["region"]), *[fmt(r[n], "people") for n in self.labels],
                      *[fmt(r[f"{n}-{base}"], "people", signed=True) for n in others],
                      *[fmt(r[f"{n} per 10k"], "rate") for n in self.labels])
        console.print(t)

        t = Table(title=f"Councils whose allocations differ most from {shown[base]}", box=box.SIMPLE_HEAVY,
                  title_justify="left", title_style="bold")
        t.add_column("Plan", no_wrap=True)
        t.add_column("Council", style="bold", no_wrap=True)
        t.add_column("Code", style="dim", no_wrap=True)
        t.add_column("Region")
        t.add_column(f"{self.final_year} {shown[base]}", justify="right")
        t.add_column(f"{self.final_year} plan", justify="right")
        t.add_column("Difference", justify="right", style="cyan")
        t.add_column(f"Σ|difference|\n{self.areas_years()}", justify="right")
        several = self.areas_years() == "years shared"
        if several:
            t.add_column("Years", no_wrap=True)
        for _, r in self.areas.iterrows():
            t.add_row(_shown(r["plan"]), _shown(r["area_name"]), _shown(r["area_code"]), _shown(r["region"]),
                      fmt(r["final_base"], "people"), fmt(r["final_plan"], "people"),
                      fmt(r["final_difference"], "people", signed=True), fmt(r["sum_abs_difference"], "people"),
                      *([r["years"]] if several else []))
        if self.areas.empty:
            console.print(self.no_areas())
        else:
            console.print(t)
        if self.ranking is not None:
            self.ranking.render(console)

    def text(self, *, width: int = 120) -> str:
        """The comparison as plain text (the terminal tables without colour)."""
        buf = io.StringIO()
        self.render(Console(file=buf, width=width, color_system=None, highlight=False, emoji=False,
                            force_jupyter=False, force_terminal=False))
        return buf.getvalue()

    def markdown(self) -> str:
        """The comparison as Markdown, numbers formatted for reading."""
        base, others = self.labels[0], self.labels[1:]
        kinds = _kinds()
        traj = self.trajectory.drop(columns=["key", "basis"], errors="ignore").copy()
        for col in [*self.labels, *[f"{n}-{base}" for n in others]]:
            traj[col] = [fmt(v, kinds.get(k, "people"), signed=col not in self.labels)
                         for v, k in zip(traj[col], self.trajectory["key"])]
        traj = traj.rename(columns={f"{n}-{base}": f"{n} − {base}" for n in others})
        traj["metric"] = traj["metric"].where(traj["metric"] != traj["metric"].shift(), "")
        traj = traj[["metric", *[c for c in traj.columns if c != "metric"]]]
        final = self.regions[self.regions["year"] == self.final_year].drop(columns=["year", "position"],
                                                                             errors="ignore").copy()
        for col in final.columns[1:]:
            final[col] = [fmt(v, "rate" if col.endswith("per 10k") else "people", signed="-" in col and
                              col.endswith(f"-{base}")) for v in final[col]]
        final = final.rename(columns={f"{n}-{base}": f"{n} − {base}" for n in others})
        areas = self.areas.copy()
        for col in ("final_base", "final_plan", "sum_abs_difference"):
            areas[col] = [fmt(v, "people") for v in areas[col]]
        areas["final_difference"] = [fmt(v, "people", signed=True) for v in areas["final_difference"]]
        areas = areas.rename(columns={"final_base": f"{self.final_year} {base}",
                                      "final_plan": f"{self.final_year} plan",
                                      "final_difference": "difference",
                                      "sum_abs_difference": f"Σ|difference| {self.areas_years()}"})
        if self.areas_years() != "years shared":     # one span: in the heading; several: a column each row
            areas = areas.drop(columns="years")
        lines = [f"# Comparison of {', '.join(self.labels)}", "",
                 f"Differences are each plan minus **{base}**. People and areas at the end of each year; "
                 "costs in £ millions (a difference under £0.05m in pounds).", "", *([self.basis_note(), ""] if self.basis_note() else []),
                 "## Trajectory", "", markdown_table(traj), ""]
        if self.totals is not None:
            lines += [totals_line(self.totals), ""]
        lines += [f"## Regions, end of {self.final_year}", "", markdown_table(final), "",
                  f"## Councils whose allocations differ most from {base}", "",
                  markdown_table(areas) if len(areas) else self.no_areas(), ""]
        if self.ranking is not None:
            lines.append(self.ranking.markdown())
        return clean_text("\n".join(lines), multiline=True)   # names from plan folders and paths

    def write(self, folder: str | Path, *, force: bool = False, protect=()) -> list[Path]:
        """Write compare_trajectory.csv, compare_regions.csv, compare_areas.csv and compare.md into
        ``folder``, atomically (:func:`allocator.output.write_folder`; ``force`` replaces an earlier output)."""
        folder = Path(folder)
        names = [f"compare_{name}.csv" for name in ("trajectory", "regions", "areas")]
        with write_folder(folder, kind="compare", force=force, protect=protect) as tmp:
            for name, table in zip(names, (self.trajectory, self.regions, self.areas)):
                safe_csv(table).to_csv(tmp / name, index=False, lineterminator="\n")
            if self.ranking is not None:
                names.append(self.ranking.write_csv(tmp).name)
            (tmp / "compare.md").write_text(self.markdown(), encoding="utf-8")
        return [folder / name for name in [*names, "compare.md"]]


def _kinds() -> dict[str, str]:
    """Each trajectory key's number format."""
    return {key: kind for key, _, kind, _ in METRICS}


def _shown(value) -> str:
    """A name as rich prints it: control characters escaped, never read as markup (``[/bold]``)."""
    return escape(clean_text(value))


def _number(value, kind: str):
    """Whole numbers for people and counts, rounded floats otherwise (NaN kept)."""
    v = float(value)
    if math.isnan(v):
        return v
    digits = _ROUND[kind]
    return int(round(v)) if digits == 0 else round(v, digits)


def short_names(labels: list[str]) -> list[str]:
    """Short, unique plan names from paths: the folder name, or the YAML file's stem."""
    names = []
    for label in labels:
        p = Path(label)
        names.append((p.stem if p.suffix.lower() in (".yaml", ".yml") else p.name) or label)
    return names if len(set(names)) == len(names) else [f"{i + 1}:{n}" for i, n in enumerate(names)]


_short = short_names   # kept for callers of the old name


def compare_plans(plans: list[Plan], labels: list[str], *, top: int = 10, sort_by: str | None = None) -> Comparison:
    """Side-by-side tables for two or more plans over the same years.

    Areas or regions present in only some plans count as 0 people in the others. With
    ``sort_by`` (``change``, ``funding`` or ``rate``) the comparison also ranks each plan's
    councils (:func:`allocator.ranking.rank_councils`, the first ``top`` of each).
    """
    if len(plans) < 2:
        raise ValueError("compare_plans needs at least two plans")
    names = short_names(labels)
    years = sorted(set().union(*(p.trajectory["year"].tolist() for p in plans)))
    totals = plan_totals(plans, names)
    ranking = rank_councils(plans, names, by=sort_by, top=top) if sort_by is not None else None
    bases = [basis_name(p) for p in plans]
    return Comparison(_trajectory_table(plans, names, years, bases), _regions_table(plans, names),
                      _areas_table(plans, names, years[-1], top), names, totals, ranking, bases)


def plan_totals(plans: list[Plan], names: list[str]) -> pd.DataFrame:
    """Each plan's total cost over its own years and over the years every plan covers: a re-plan from
    2027 against a plan from 2026 must not read as a saving of the 2026 cost (issue 15 trial)."""
    shared = sorted(set.intersection(*(set(p.trajectory["year"].astype(int)) for p in plans)))

    def cost(p: Plan, years) -> float:
        t = p.trajectory
        return round(float(t.loc[t["year"].astype(int).isin(years), "total_cost"].sum()), 2)

    return pd.DataFrame({
        "plan": names,
        "first_year": [int(p.trajectory["year"].min()) for p in plans],
        "last_year": [int(p.trajectory["year"].max()) for p in plans],
        "total_cost_all_years": [cost(p, p.trajectory["year"].astype(int)) for p in plans],
        "total_cost_shared_years": [cost(p, shared) if shared else math.nan for p in plans],
    })


def shared_span(totals: pd.DataFrame) -> tuple[int, int] | None:
    """The first and last year every plan of :func:`plan_totals` covers; None where they share none."""
    first, last = int(totals["first_year"].max()), int(totals["last_year"].min())
    return (first, last) if first <= last else None


def totals_line(totals: pd.DataFrame) -> str:
    """The total-cost sentence of a comparison: over the years, named; where the plans cover different years,
    each plan's own years and then the years they share, which are the ones to compare."""
    def money(column: str) -> str:
        """Each plan's total, and after each but the first its difference from the first's, as in the tables."""
        first = totals[column].iat[0]
        return ", ".join(f"{r['plan']} {fmt(r[column], 'money')}"
                         + (f" ({fmt(r[column] - first, 'money', signed=True)})" if i else "")
                         for i, (_, r) in enumerate(totals.iterrows()))

    spans = [year_span(int(r["first_year"]), int(r["last_year"])) for _, r in totals.iterrows()]
    if len(set(spans)) == 1:
        return f"Total cost over {spans[0]}: {money('total_cost_all_years')}."
    own = ", ".join(f"{r['plan']} {fmt(r['total_cost_all_years'], 'money')} ({span})"
                    for (_, r), span in zip(totals.iterrows(), spans))
    span = shared_span(totals)
    if span is None:
        return f"Total cost over each plan's own years: {own}. The plans share no year, so their costs do not compare."
    return (f"Total cost over each plan's own years: {own}. They cover different years: over the years they share, "
            f"{year_span(*span)}: {money('total_cost_shared_years')}.")


def _trajectory_table(plans: list[Plan], names: list[str], years: list, bases: list[str]) -> pd.DataFrame:
    """Each metric of :data:`METRICS` per year: each plan's value and its difference from the first.

    The fairness figures are each plan's on its own pressure basis (:func:`allocator.fairness.on_basis`),
    titled with the basis; where the plans' bases differ, the difference is not given (NaN). When a plan's
    basis is not dispersal, each :data:`DISPERSAL_ONLY` figure is followed by the same on dispersal alone."""
    shared = bases[0] if len(set(bases)) == 1 else EACH_OWN
    label = EACH_OWN if shared == EACH_OWN else f"{shared} basis"
    rows = []
    for key, title, kind, on in METRICS:
        rows.append((key, f"{title} ({label})", kind, shared, True) if on else (key, title, kind, "", False))
        if key in DISPERSAL_ONLY and set(bases) != {DISPERSAL}:
            rows.append((key, f"{title} (dispersal only)", kind, DISPERSAL, False))
    out = []
    for key, title, kind, basis, own in rows:
        tables = [(on_basis(p.trajectory, key) if own and key in DISPERSAL_ONLY else p.trajectory.get(key))
                  for p in plans]
        for y in years:
            row: dict = {"year": int(y), "metric": title, "key": key, "basis": basis}
            for name, plan, column in zip(names, plans, tables):
                at = pd.Index(plan.trajectory["year"]).get_indexer([y])[0]
                row[name] = _number(column.iloc[at] if column is not None and at >= 0 else math.nan, kind)
            for name in names[1:]:
                row[f"{name}-{names[0]}"] = _number(math.nan if basis == EACH_OWN else row[name] - row[names[0]], kind)
            out.append(row)
    trajectory = pd.DataFrame(out, dtype=object)
    trajectory["year"] = trajectory["year"].astype("int64")
    return trajectory


def _regions_table(plans: list[Plan], names: list[str]) -> pd.DataFrame:
    """People per region and year in each plan, the differences from the first, and the rates per 10,000."""
    base = names[0]
    # Start rows (regions.csv ``position`` "start") are compared when every plan has them; a plan
    # folder written before they existed has none, and its start must not count as 0 people.
    with_start = all("position" in p.regions.columns for p in plans)
    reg = None
    for name, plan in zip(names, plans):
        r = plan.regions
        if "position" in r.columns and not with_start:
            r = r[r["position"] != START]
        r = r.set_index(["region", "year"])
        part = r[["stock"]].rename(columns={"stock": name}).join(
            (r["stock"] / r["population"] * 1e4).round(2).rename(f"{name} per 10k"))
        reg = part if reg is None else reg.join(part, how="outer")
    stock_cols = names
    reg[stock_cols] = reg[stock_cols].fillna(0).astype("int64")
    for name in names[1:]:
        reg[f"{name}-{base}"] = reg[name] - reg[base]
    regions = reg.reset_index()[["region", "year", *names, *[f"{n}-{base}" for n in names[1:]],
                                 *[f"{n} per 10k" for n in names]]]
    if with_start:          # the first plan's label where plans share a (region, year)
        position = pd.concat([p.regions.set_index(["region", "year"])["position"] for p in plans])
        position = position[~position.index.duplicated()]
        regions.insert(2, "position", position.reindex(pd.MultiIndex.from_frame(regions[["region", "year"]])).to_numpy())
    return regions.sort_values(["year", "region"], kind="stable").reset_index(drop=True)


def _area_totals(plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People per area (rows) and year (columns), and each area's name and region."""
    a = plan.allocations
    stock = a.groupby(["area_code", "year"], sort=True)["stock"].sum().unstack("year")
    meta = a.drop_duplicates("area_code").set_index("area_code")[["area_name", "region"]]
    return stock, meta


def _areas_table(plans: list[Plan], names: list[str], final, top: int) -> pd.DataFrame:
    """The ``top`` councils of each plan whose allocations differ most from the first plan's, summed over
    the years both plans cover (``years``): a re-plan from 2027 has no 2026, and a year one plan lacks is
    not a difference (issue 15, trial 3). A council in only one of the plans counts as 0 people in the other."""
    base_stock, meta = _area_totals(plans[0])
    frames = []
    for name, plan in zip(names[1:], plans[1:]):
        other, other_meta = _area_totals(plan)
        index = base_stock.index.union(other.index)
        cols = sorted(set(base_stock.columns) & set(other.columns))
        if not cols:
            continue
        b = base_stock.reindex(index=index, columns=cols).fillna(0)
        o = other.reindex(index=index, columns=cols).fillna(0)
        diff = o - b
        info = meta.combine_first(other_meta).reindex(index)
        frame = pd.DataFrame({
            "plan": name,
            "area_code": index,
            "area_name": info["area_name"].to_numpy(),
            "region": info["region"].to_numpy(),
            "final_base": b[final].astype("int64").to_numpy() if final in b else 0,
            "final_plan": o[final].astype("int64").to_numpy() if final in o else 0,
            "final_difference": diff[final].astype("int64").to_numpy() if final in diff else 0,
            "sum_abs_difference": diff.abs().sum(axis=1).astype("int64").to_numpy(),
            "years": year_span(int(cols[0]), int(cols[-1])),
        })
        frame = frame[frame["sum_abs_difference"] > 0]
        frames.append(frame.sort_values(["sum_abs_difference", "area_code"], ascending=[False, True],
                                        kind="stable").head(top))
    columns = ["plan", "area_code", "area_name", "region", "final_base", "final_plan", "final_difference",
               "sum_abs_difference", "years"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

"""Rank the councils of one or more plans: ``allocator compare --sort-by change|funding|rate --top N``.

For each plan, every council's figures (cohorts added up):

``start``
    people in dispersal at the start, today's position (``start.csv``, ``stock``)
``final``
    people in dispersal at the end of the final planning year (``allocations.csv``, ``stock``)
``change``
    ``final`` minus ``start``: positive when the council houses more people at the end
``rate_per_10k``
    people in dispersal per 10,000 residents at the end of the final year (``allocations.csv``,
    ``rate_per_10k``)
``basis_rate_per_10k``
    the same on the plan's pressure basis (``allocations.csv``, ``basis_rate_per_10k``: dispersal,
    the council's hotel residents and the other programmes counted), only for a plan whose basis is
    not dispersal alone; ``--sort-by rate`` ranks by it there, as the plan's caps and fair shares
    judge the council (Hillingdon's pressure is mostly its hotels)
``funding``
    the council's funding summed over every planning year, £ (``allocations.csv``, ``funding``,
    the area's figure, counted once per year even with cohorts); only when the scenario has a
    ``funding`` section

The ``--sort-by`` figure ranks the councils, largest first (ties by area code), and the first
``--top`` of each plan are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich import box
from rich.markup import escape
from rich.table import Table

from allocator.errors import CommandLineError, given_issue
from allocator.fairness import basis_name
from allocator.output import clean_text, fmt, markdown_table as text_table, safe_csv, write_folder
from allocator.plan import Plan

#: ``--sort-by`` choices: the column ranked and how the tables say it (largest first; ties by area code).
SORT_BY = {
    "change": ("change", "their change in people from the start to the end of {last}"),
    "funding": ("funding", "their funding over {first}–{last}"),
    "rate": ("rate_per_10k", "people per 10,000 residents at the end of {last}"),
}
BASIS_RATE = "basis_rate_per_10k"


def rank_column(figures: pd.DataFrame, by: str) -> str:
    """The column ``by`` ranks a plan's councils by: for ``rate``, the rate on the plan's pressure basis where
    the plan has one (:data:`BASIS_RATE`), else people in dispersal alone."""
    column = SORT_BY[by][0]
    return BASIS_RATE if column == "rate_per_10k" and BASIS_RATE in figures else column


def council_figures(plan: Plan, label: str, by: str) -> pd.DataFrame:
    """One row per council of ``plan``: start, final, change, rate_per_10k (and funding)."""
    a = plan.allocations
    final = int(a["year"].max())
    by_year = a.groupby(["area_code", "year"], sort=True)
    out = a.drop_duplicates("area_code").set_index("area_code")[["area_name", "region"]].sort_index()
    out["start"] = np.nan
    if plan.start is not None:
        out["start"] = plan.start.set_index("area_code")["stock"].reindex(out.index)
    elif by == "change":
        raise CommandLineError(given_issue("--sort-by", by, f"{label} has no start.csv (it was written by an older "
                                                            "allocator), so the change from the start is not known: "
                                                            "solve the scenario again"))
    out["final"] = by_year["stock"].sum().xs(final, level="year").reindex(out.index)
    out["change"] = out["final"] - out["start"]
    out["rate_per_10k"] = by_year["rate_per_10k"].first().xs(final, level="year").reindex(out.index)
    if BASIS_RATE in a.columns:         # the area's figure, repeated on each cohort row
        out[BASIS_RATE] = by_year[BASIS_RATE].first().xs(final, level="year").reindex(out.index)
    if "funding" in a.columns:          # the area's figure, repeated on each cohort row
        out["funding"] = by_year["funding"].first().groupby(level="area_code").sum().reindex(out.index)
    elif by == "funding":
        raise CommandLineError(given_issue("--sort-by", by, f"{label} has no funding column: its scenario has no "
                                                            "funding section (see docs/scenario-format.md)"))
    return out.reset_index()


@dataclass
class Ranking:
    """The councils of each plan ranked by one figure (:data:`SORT_BY`), the first ``top`` of each."""

    table: pd.DataFrame   # plan, rank, area_code, area_name, region, start, final, change, rate_per_10k[, basis_rate_per_10k, funding]
    by: str
    first_year: int
    final_year: int
    bases: tuple[str, ...] = ()    # with ``by == "rate"``: each plan's pressure basis, when one is not dispersal

    @property
    def title(self) -> str:
        text = "Councils ranked by " + SORT_BY[self.by][1].format(first=self.first_year, last=self.final_year)
        if self.bases:
            text += f", on the plan's pressure basis ({', '.join(dict.fromkeys(self.bases))})"
        return text

    def _shown(self) -> pd.DataFrame:
        """The table with numbers formatted for reading and readable column names."""
        t = self.table.copy()
        for col, kind in (("start", "people"), ("final", "people"), ("rate_per_10k", "rate"), (BASIS_RATE, "rate"),
                          ("funding", "pounds")):
            if col in t:
                t[col] = [fmt(v, kind) for v in t[col]]
        t["change"] = [fmt(v, "people", signed=True) for v in t["change"]]
        t["rank"] = t["rank"].astype(str)
        t = t[["plan", "rank", "area_name", "area_code", *t.columns[4:]]]
        dispersal = "per 10k in dispersal" if BASIS_RATE in t else "per 10k"
        return t.rename(columns={"area_name": "council", "area_code": "code", "final": f"end of {self.final_year}",
                                 "rate_per_10k": f"{dispersal}, {self.final_year}",
                                 BASIS_RATE: f"per 10k on basis, {self.final_year}", "funding": "funding, all years"})

    def render(self, console) -> None:
        shown = self._shown()
        t = Table(title=self.title, box=box.SIMPLE_HEAVY, title_justify="left", title_style="bold")
        for col in shown.columns:
            t.add_column(col, justify="left" if col in ("plan", "council", "code", "region") else "right",
                         no_wrap=col in ("plan", "code"), style="bold" if col == "council" else None)
        for row in shown.itertuples(index=False):
            t.add_row(*[escape(clean_text(v)) for v in row])    # names never read as markup
        console.print(t)

    def markdown(self) -> str:
        return "\n".join([f"## {self.title}", "", markdown_table(self._shown()), ""])

    def write_csv(self, folder: str | Path) -> Path:
        """``compare_ranking.csv``: the table as raw numbers."""
        path = Path(folder) / "compare_ranking.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        safe_csv(self.table).to_csv(path, index=False, lineterminator="\n")
        return path

    def write(self, folder: str | Path, *, force: bool = False, protect=()) -> list[Path]:
        """``compare_ranking.csv`` and ``compare.md`` (the ranking alone, formatted), written atomically
        (:func:`allocator.output.write_folder`; ``force`` replaces an earlier output)."""
        folder = Path(folder)
        with write_folder(folder, kind="compare", force=force, protect=protect) as tmp:
            csv = self.write_csv(tmp)
            text = f"# Councils of {', '.join(dict.fromkeys(self.table['plan']))}\n\n{self.markdown()}"
            (tmp / "compare.md").write_text(clean_text(text, multiline=True), encoding="utf-8")
        return [folder / csv.name, folder / "compare.md"]


def rank_councils(plans: list[Plan], labels: list[str], *, by: str, top: int = 10) -> Ranking:
    """Each plan's ``top`` councils by ``by`` (a key of :data:`SORT_BY`), largest first, ties by code."""
    if by not in SORT_BY:
        raise CommandLineError(given_issue("--sort-by", by, f"must be one of {', '.join(SORT_BY)}"))
    frames, basis_ranked = [], False
    for label, plan in zip(labels, plans):
        f = council_figures(plan, label, by)
        column = rank_column(f, by)
        basis_ranked |= column == BASIS_RATE
        f = f.sort_values([column, "area_code"], ascending=[False, True], kind="stable").head(top)
        f.insert(0, "rank", np.arange(1, len(f) + 1))
        f.insert(0, "plan", label)
        frames.append(f)
    table = pd.concat(frames, ignore_index=True)
    if table["start"].notna().all():
        table[["start", "change"]] = table[["start", "change"]].astype("int64")
    years = pd.concat([p.allocations["year"] for p in plans])
    bases = tuple(basis_name(p) for p in plans) if basis_ranked else ()
    return Ranking(table, by, int(years.min()), int(years.max()), bases)


_TEXT_COLUMNS = {"metric", "region", "plan", "area_code", "area_name", "council", "code"}


def markdown_table(df: pd.DataFrame) -> str:
    """``df`` as a Markdown table (text columns left-aligned, numbers right); cells are plain text."""
    return text_table(df, _TEXT_COLUMNS)

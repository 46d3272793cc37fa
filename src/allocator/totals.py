"""Totals rows of an actual file beside the councils they sum (:func:`allocator.actual.skipped_notes`).

A published table may hold rows that total its councils: the UK's, a nation's, an English region's
(by an ONS code, ``K02000001``, ``E12000001``, or by name only, ``Total for North East``). Each is
compared with the council rows of its own area: a region's with that region's councils (a council's
region is the plan's, the file's region column, or the ONS region the hex map gives its code), the
UK's or a grand total's with all of them, over the councils whose figure is known. A row whose area
cannot be told (a county's code, a name of no known area) gets no sum: a sum of the wrong councils
would show a discrepancy that does not exist.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from allocator.hexmap import CODE_ALIASES, hexes

#: The ONS codes of the English regions and the three other nations, and their names: a totals row of one of them is
#: compared with its councils (a council's region is the hex map's, ``region`` of its hexjson entry).
REGION_CODES = {"E12000001": "North East", "E12000002": "North West", "E12000003": "Yorkshire and The Humber",
                "E12000004": "East Midlands", "E12000005": "West Midlands", "E12000006": "East of England",
                "E12000007": "London", "E12000008": "South East", "E12000009": "South West",
                "W92000004": "Wales", "S92000003": "Scotland", "N92000002": "Northern Ireland"}
#: The nations (first letter of a region's code) an aggregate code, or a name, stands for.
NATION_CODES = {"K02": ("EWSN", "the UK"), "K03": ("EWS", "Great Britain"), "K04": ("EW", "England and Wales"),
                "E92": ("E", "England"), "W92": ("W", "Wales"), "S92": ("S", "Scotland"),
                "N92": ("N", "Northern Ireland")}
NATION_NAMES = {"united kingdom": "EWSN", "uk": "EWSN", "great britain": "EWS", "england and wales": "EW",
                "england": "E", "wales": "W", "scotland": "S", "northern ireland": "N"}
#: Words a totals row's name may hold besides the area it totals ("Total for North East", "Grand total").
_TOTAL_FILLER = frozenset({"total", "totals", "for", "grand", "all", "areas", "the", "of", "in", "sum", "overall"})


def area_sum(t: pd.DataFrame, row: dict, regions: list[str] | None = None) -> str:
    """`` (the 12 councils of North East in the file add up to 6,937)``: the council rows of ``t`` (an actual's
    table) that the totals ``row`` (its ``code`` and ``name``) sums, when its area can be told, and their
    dispersal over those whose figure is known (naming the others); nothing when the area cannot be told (a
    county, a name of no known area). ``regions``: each council row's region in a plan, where known."""
    area = _area_of(row["code"], row["name"], t, regions)
    if area is None:
        return ""
    words, members = area
    known = members & t["dispersal"].notna().to_numpy()
    if not members.any():
        return ""
    where = f" of {words}" if words else ""
    total = f"{t['dispersal'].to_numpy(float)[known].sum():,.0f}"
    councils = f"{int(known.sum()):,} council" + ("s" if known.sum() != 1 else "")
    add = "add" if known.sum() != 1 else "adds"
    if known.sum() == members.sum():
        return f" (the {councils}{where} in the file {add} up to {total})"
    unknown = t[members & ~known]
    names = unknown["area_name"].astype(str).where(unknown["area_name"].astype(str) != "", unknown["area_code"])
    return (f" (the {councils}{where} whose figure is known {add} up to {total}; unknown: "
            + ", ".join(names.head(3)) + (f" and {len(unknown) - 3} more" if len(unknown) > 3 else "") + ")")


def _area_of(code: str, name: str, t: pd.DataFrame, regions: list[str] | None) -> tuple[str, np.ndarray] | None:
    """The area a totals row sums, (its words, which council rows of the file are in it), or None when it cannot
    be told: by an aggregate code (the UK, Great Britain, a nation, a region), else by its name, which must be
    a region's or a nation's (or none: ``Total``, ``Grand total``) and words of a total besides."""
    layout = hexes()
    ons = np.array([str(layout.get(CODE_ALIASES.get(c, c), {}).get("region", "")) for c in t["area_code"]])
    theirs = [{str(x).strip().lower() for x in xs} for xs in zip(
        ons, [REGION_CODES.get(o, "") for o in ons], t["region"].astype(str), regions or [""] * len(t))]

    def nations(letters: str) -> np.ndarray:
        return np.array([o[:1] in letters and o != "" for o in ons], bool)

    def region(words: str) -> np.ndarray:
        return np.array([words.lower() in mine for mine in theirs], bool)

    if code:
        if code[:3] in NATION_CODES:
            letters, words = NATION_CODES[code[:3]]
            return ("", np.ones(len(t), bool)) if letters == "EWSN" else (words, nations(letters))
        return (REGION_CODES[code], region(code) | region(REGION_CODES[code])) if code in REGION_CODES else None
    text = " ".join(re.sub(r"[^a-z0-9&]+", " ", name.lower().replace("&", " and ")).split())
    known = {n.lower(): n for n in [*REGION_CODES.values(), *(str(x) for x in t["region"]), *(regions or [])] if n}
    for words in sorted({**known, **dict.fromkeys(NATION_NAMES)}, key=len, reverse=True):
        if not re.search(rf"\b{re.escape(words)}\b", text):
            continue
        rest = set(re.sub(rf"\b{re.escape(words)}\b", " ", text).split())
        if not rest <= _TOTAL_FILLER:
            return None
        if words in NATION_NAMES and (words not in known):
            letters = NATION_NAMES[words]
            return ("", np.ones(len(t), bool)) if letters == "EWSN" else (name_of(words), nations(letters))
        return known[words], region(words)
    return ("", np.ones(len(t), bool)) if set(text.split()) <= _TOTAL_FILLER and text else None


def name_of(words: str) -> str:
    """A nation's name as written: ``great britain`` -> ``Great Britain``."""
    return " ".join(w if w == "and" else w.capitalize() for w in words.split())

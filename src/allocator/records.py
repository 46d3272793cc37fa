"""The records of the family registry (:mod:`allocator.registry`): a family (:class:`Family`), its
policy lever (:class:`Lever`), its words in ``explain`` (:class:`Reason`), how the price-guided start
(:class:`PriceStart`) and the time-limit fallback (:class:`Completion`) treat it, and a solved plan as
``explain`` reads it (:class:`Solved`). The registry itself, the list of families, is in registry.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from allocator.data import CellLimits, ModelData, cell_limits
from allocator.lp import LinearProgram

#: Tolerance (people) for a rule to count as binding in ``explain``.
TOL = 1e-6
#: Relaxations smaller than this (people) are solver round-off, not advice, and are not reported.
REPORT_TOL = 1e-2


# --------------------------------------------------------------------------- the record
@dataclass(frozen=True)
class Lever:
    """A policy lever the infeasibility diagnosis may relax (docs/infeasibility.md)."""

    name: str
    title: str           # the option's heading, e.g. "raise the contingency ceiling"
    hard: bool = False   # its relaxations say which years are in conflict
    unit: str = "people"  # what its slack counts, in the option's heading ("bed spaces", "hotel places", "areas")


@dataclass(frozen=True)
class Facts:
    """One area and year of a written plan, the figures the words of a reason may quote in ``explain``."""

    year: int
    stock: int                          # people in dispersal at the end of the year
    fair: float                         # its fair share (of the national total on the plan's pressure basis)
    held: int                           # its total on the pressure basis that year (``stock`` on the dispersal basis)
    basis: str | None = None            # the plan's pressure basis; None: dispersal alone
    in_hotels: int | None = None        # people in its hotels that year (None: no hotels by area)
    start: Mapping[str, Any] | None = None   # its row of the plan's start.csv (None: an older plan without it)
    first: int | None = None            # the plan's first year: it starts on 31 December of the year before
    before: int | None = None           # its total on the pressure basis at the end of the year before (None: unknown)


@dataclass(frozen=True)
class Reason:
    """A word of ``limited_by`` and the plain words ``allocator explain`` gives for it."""

    tag: str
    words: str
    #: (A,T,H)-broadcastable mask of the cells it holds; None: where the family's rows are tight
    binds: Callable[[Solved], np.ndarray] | None = None
    #: the words with the area's figures (:class:`Facts`); "" where the plan lacks them: ``words`` then
    figures: Callable[[Facts], str] | None = None
    #: the figures a table cell gives after the tag ("tag: figures", a re-plan's changes.csv ``why``); "": none
    brief: Callable[[Facts], str] | None = None

    def say(self, facts: Facts) -> str:
        """The plain words for one area and year: with its figures where the reason quotes any."""
        return (self.figures(facts) if self.figures is not None else "") or self.words

    def cell(self, facts: Facts) -> str:
        """The tag as a table cell gives it: with its figures in brief where the reason has any."""
        figures = self.brief(facts) if self.brief is not None else ""
        return f"{self.tag}: {figures}" if figures else self.tag


@dataclass(frozen=True)
class PriceStart:
    """How the price-guided start treats a family (docs/performance.md)."""

    role: str              # local | priced | sample price | basic slack | basic column | declines
    column: str = ""       # basic column, sample price: the national column made basic, one per row
    why: str = ""          # declines: why the start is not used

    def __str__(self) -> str:
        return f"{self.role} `{self.column}`" if self.column else self.role


LOCAL = PriceStart("local")             # every row within one area: solved in that area's LP
PRICED = PriceStart("priced")           # the linking rows priced out: their duals are the prices


@dataclass(frozen=True)
class Completion:
    """How the time-limit fallback sets a family's national columns from the area columns.

    ``meet``: ``columns[0]`` so that each row meets its lower bound; ``distance``: ``columns[0]``
    and ``columns[1]`` the part of each row's activity above and below 0; ``highest``:
    ``columns[0]`` the least value keeping every row; ``excess``: ``columns[0]`` the least
    non-negative value with which each row meets its lower bound; ``latest``: ``columns[0]`` (one
    per row) the latest schedule keeping every row within the column's upper bounds."""

    how: str
    columns: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.how} " + ", ".join(f"`{c}`" for c in self.columns)


def always(d: ModelData) -> bool:
    return True


@dataclass(frozen=True)
class Family:
    """One rule of the model and what every part of the engine does with it (module docstring)."""

    name: str                   # the row-block name (kind "row"), or the rule's name (kind "bound")
    kind: str                   # "row": a block of rows; "bound": folded into the bounds on stock
    title: str                  # in plain words
    add: Callable               # the add_ function that builds it (bounds: add_variables)
    verifier: str               # the verify.py rule that rechecks it (its failures start "<verifier>:")
    doc: str                    # its section heading in docs/model.md
    when: Callable[[ModelData], bool] = always   # rows: whether build_lp builds it; bounds: whether it applies
    lever: Lever | None = None  # the lever that relaxes it in the infeasibility diagnosis
    sides: tuple[str, ...] = ("upper",)   # the bounds of its rows the lever relaxes (and explain checks)
    per: str = "row"            # one slack per "row", per "area" (a cap raised once) or per "area_cohort"
    bound: Callable[[ModelData, CellLimits], tuple[np.ndarray, np.ndarray]] | None = None  # bounds: cells, limit
    describe: Callable | None = None      # words for its relaxation (None: one line per relaxed row)
    reasons: tuple[Reason, ...] = ()
    shadow: bool = False        # the dual of its tight upper rows is the value of one more place
    price_start: PriceStart = LOCAL
    complete: Completion | None = None
    sample_drop: Callable[[ModelData], dict] | None = None   # fields clearing it from a sample of areas
    equity: tuple[str, ...] = ()  # the columns of its equity measure (their costs at equity_weight 1 are its weights)
    follows: bool = False       # its rows only carry another family's limit on: its lever relaxes them free, unreported

    @property
    def links_areas(self) -> bool:
        """Whether a row of the family reaches beyond one area (the price-guided start's linking rows)."""
        return self.price_start.role != "local"

    def present(self, d: ModelData, lp: LinearProgram) -> bool:
        """Whether the family is in ``lp`` (built from ``d``)."""
        return self.name in lp.rows if self.kind == "row" else self.when(d)


# --------------------------------------------------------------------------- explain: a solved plan
@dataclass
class Solved:
    """A solved plan as ``explain`` reads it: the data, the limits and the exact solution."""

    d: ModelData
    lp: LinearProgram
    x: np.ndarray
    row_dual: np.ndarray | None
    limits: CellLimits = field(init=False)
    S: np.ndarray = field(init=False)              # (A,T,H) exact stock
    total: np.ndarray = field(init=False)          # (A,T) area totals
    C: np.ndarray = field(init=False)              # (T,) contingency
    scale: np.ndarray = field(init=False)          # (A,T,H) max(1, |S|): tolerances are relative
    eligible: np.ndarray = field(init=False)       # (A,T,1)
    over_cap: np.ndarray = field(init=False)       # (A,T,1) inherited stock above the cluster cap (on the basis)
    receives: np.ndarray = field(init=False)       # (A,T,1) may take new placements: eligible, not over by inheritance
    over_by_hotels: np.ndarray = field(init=False)  # (A,T,1) over the cap on the basis only by its hotel residents
    over_carried: np.ndarray = field(init=False)   # (A,T,1) over only by the areas column over_cap_until

    def __post_init__(self) -> None:
        n_a, n_t, n_h = self.d.shape
        self.limits = cell_limits(self.d)
        self.S = self.lp.value(self.x, "stock").reshape(n_a, n_t, n_h)
        self.total = self.S.sum(axis=2)
        self.C = self.lp.value(self.x, "contingency").reshape(n_t, n_h).sum(axis=1)
        self.scale = np.maximum(1.0, np.abs(self.S))
        self.eligible = self.d.eligible[:, :, None]
        inherited = self.d.inherited.sum(axis=2)
        self.over_cap = (inherited > self.d.cluster_cap[:, None] + TOL)[:, :, None]
        self.receives = self.eligible
        self.over_by_hotels = self.over_carried = np.zeros((1, 1, 1), bool)
        if self.d.over_basis is not None:                  # over its cap on the pressure basis by inheritance
            self.over_cap = self.d.over_basis[:, :, None]
            self.receives = self.eligible & ~self.over_cap
            position = inherited + self.d.fixed[:, None]
            within = position <= self.d.cluster_cap[:, None] + TOL
            judged = position + self.d.hotel_basis() > self.d.cluster_cap[:, None] + TOL
            self.over_carried = self.over_cap & ~judged[:, :, None]     # only by over_cap_until (a re-plan's)
            self.over_by_hotels = self.over_cap & (within & judged)[:, :, None]   # only by its hotel residents

    def tight(self, name: str, sides: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(A,T,H) masks of cells whose rows of block ``name`` are at one of their ``sides``, and the
        saving per unit (the rows' duals) where they are."""
        n_a, n_t, n_h = self.d.shape
        tight = np.zeros((n_a, n_t, n_h), bool)
        saving = np.full((n_a, n_t, n_h), np.nan)
        block = self.lp.rows.get(name)
        if block is None or "area" not in block.index or "year" not in block.index:
            return tight, saving
        rows = block.slice
        activity = self.lp.A[rows] @ self.x
        a, t = block.index["area"], block.index["year"]
        h = block.index.get("cohort")
        for side in sides:
            bound = (self.lp.row_upper if side == "upper" else self.lp.row_lower)[rows]
            at = np.isfinite(bound) & (np.abs(activity - bound) <= TOL * np.maximum(1.0, np.abs(bound)))
            dual = None if self.row_dual is None else np.abs(self.row_dual[rows][at])
            if h is None:                                   # a row per area and year: every cohort
                tight[a[at], t[at], :] = True
                if dual is not None:
                    saving[a[at], t[at], :] = dual[:, None]
            else:
                tight[a[at], t[at], h[at]] = True
                if dual is not None:
                    saving[a[at], t[at], h[at]] = dual
        return tight, saving

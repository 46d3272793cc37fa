"""The linear program as arrays: named blocks of variables and rows, built as COO and kept as CSR.

Nothing here knows the model: :mod:`allocator.families` adds the variables and rows of each
constraint family through :class:`LPBuilder`, and :func:`allocator.model.build_lp` assembles them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

INF = np.inf


@dataclass(frozen=True)
class Block:
    """A named block of variables or rows: where it starts and what it indexes."""

    name: str
    start: int
    size: int
    index: dict[str, np.ndarray] = field(default_factory=dict)   # e.g. {"area": ..., "year": ...} per entry

    @property
    def slice(self) -> slice:
        return slice(self.start, self.start + self.size)


@dataclass(frozen=True)
class LinearProgram:
    """min c·x + offset  s.t.  row_lower <= A x <= row_upper,  col_lower <= x <= col_upper."""

    c: np.ndarray
    A: sp.csr_matrix
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    variables: dict[str, Block]
    rows: dict[str, Block]
    offset: float = 0.0
    integer: np.ndarray | None = None   # (n_col,) bool: whole-number columns (None: a pure LP; allocator.opening)

    @property
    def num_col(self) -> int:
        return len(self.c)

    @property
    def num_row(self) -> int:
        return self.A.shape[0]

    @property
    def is_mip(self) -> bool:
        """Whether any column must be a whole number (a mixed-integer program)."""
        return self.integer is not None and bool(self.integer.any())

    def value(self, x: np.ndarray, name: str) -> np.ndarray:
        return x[self.variables[name].slice]


class LPBuilder:
    """Collects variable blocks and row blocks as arrays, then assembles CSR once."""

    def __init__(self) -> None:
        self.n_col = 0
        self.n_row = 0
        self._c: list[np.ndarray] = []
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._rl: list[np.ndarray] = []
        self._ru: list[np.ndarray] = []
        self._ri: list[np.ndarray] = []
        self._ci: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self.variables: dict[str, Block] = {}
        self.rows: dict[str, Block] = {}
        self._int: list[tuple[int, int]] = []       # (start, size) of whole-number variable blocks
        self.offset = 0.0                                  # a constant term of the objective
        self._extra_cost: list[tuple[np.ndarray, np.ndarray]] = []

    def add_variables(self, name: str, shape: tuple[int, ...], lower: np.ndarray | float,
                      upper: np.ndarray | float, cost: np.ndarray | float,
                      index: dict[str, np.ndarray] | None = None, integer: bool = False) -> np.ndarray:
        """Add a block of variables (whole numbers with ``integer``); returns their column numbers, shaped ``shape``."""
        size = int(np.prod(shape))
        if integer:
            self._int.append((self.n_col, size))
        cols = np.arange(self.n_col, self.n_col + size).reshape(shape)
        self._c.append(np.broadcast_to(np.asarray(cost, float), shape).ravel())
        self._lb.append(np.broadcast_to(np.asarray(lower, float), shape).ravel())
        self._ub.append(np.broadcast_to(np.asarray(upper, float), shape).ravel())
        self.variables[name] = Block(name, self.n_col, size, index or {})
        self.n_col += size
        return cols

    def add_costs(self, cols: np.ndarray, cost: np.ndarray | float) -> None:
        """Add ``cost`` to the objective coefficients of columns ``cols`` (already added), broadcast."""
        cols, cost = np.broadcast_arrays(np.asarray(cols), np.asarray(cost, float))
        self._extra_cost.append((cols.ravel(), cost.ravel()))

    def add_rows(self, name: str, n: int, terms: list[tuple[np.ndarray, np.ndarray, np.ndarray | float]],
                 lower: np.ndarray | float, upper: np.ndarray | float,
                 index: dict[str, np.ndarray] | None = None) -> None:
        """Add ``n`` rows. Each term is (local row numbers, column numbers, coefficients), broadcast."""
        if n == 0:
            return
        for rows, cols, vals in terms:
            rows, cols, vals = np.broadcast_arrays(np.asarray(rows), np.asarray(cols), np.asarray(vals, float))
            self._ri.append(rows.ravel() + self.n_row)
            self._ci.append(cols.ravel())
            self._v.append(vals.ravel())
        self._rl.append(np.broadcast_to(np.asarray(lower, float), (n,)).copy())
        self._ru.append(np.broadcast_to(np.asarray(upper, float), (n,)).copy())
        self.rows[name] = Block(name, self.n_row, n, index or {})
        self.n_row += n

    def build(self, offset: float = 0.0) -> LinearProgram:
        def cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        c = cat(self._c)
        for cols, cost in self._extra_cost:
            np.add.at(c, cols, cost)
        A = sp.coo_matrix((cat(self._v), (cat(self._ri, np.int64), cat(self._ci, np.int64))),
                          shape=(self.n_row, self.n_col)).tocsr()
        A.sum_duplicates()
        A.eliminate_zeros()
        integer = None
        if self._int:
            integer = np.zeros(self.n_col, bool)
            for start, size in self._int:
                integer[start:start + size] = True
        return LinearProgram(c=c, A=A, col_lower=cat(self._lb), col_upper=cat(self._ub),
                             row_lower=cat(self._rl), row_upper=cat(self._ru),
                             variables=dict(self.variables), rows=dict(self.rows), offset=offset + self.offset,
                             integer=integer)

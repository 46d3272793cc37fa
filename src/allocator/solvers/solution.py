"""What every solver backend returns: :class:`RawSolution`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from allocator.status import Status


@dataclass
class RawSolution:
    status: Status                    # how the solve ended (allocator.status: one map per backend)
    x: np.ndarray | None              # primal values (None when there is no feasible point)
    objective: float | None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    gap: float | None = None          # relative optimality gap to a valid lower bound, when stopped early
    solver: str = ""
    solver_version: str = ""
    seconds: float = 0.0
    message: str = ""
    info: dict = field(default_factory=dict)

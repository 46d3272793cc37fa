"""OR-Tools GLOP (Google's own simplex), run in a separate Python process.

OR-Tools bundles its own, older HiGHS; importing it beside highspy has been seen
to fail with undefined symbols. So the model is handed to a fresh interpreter
running the script :mod:`allocator.solvers._glop_child` (``python -P _glop_child.py IN OUT``,
by its path: it imports numpy, scipy and ortools, never allocator, so highspy is
never loaded there) as a ``.npz`` file of plain arrays, and the solution comes back
the same way. A plain subprocess, rather than multiprocessing, works from scripts,
notebooks and the CLI alike (nothing re-imports the caller's ``__main__``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from allocator.errors import SolverError
from allocator.model import LinearProgram
from allocator.solvers.solution import RawSolution
from allocator.status import from_ortools

#: The script the child interpreter runs.
CHILD = Path(__file__).with_name("_glop_child.py")


def solve_ortools(lp: LinearProgram, time_limit: float | None = None) -> RawSolution:
    """Solve ``lp`` with GLOP in a child interpreter."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="allocator-ortools-") as tmp:
        src, dst = Path(tmp) / "model.npz", Path(tmp) / "solution.npz"
        np.savez(src, c=lp.c, indptr=lp.A.indptr, indices=lp.A.indices, data=lp.A.data,
                 shape=np.array(lp.A.shape), col_lower=lp.col_lower, col_upper=lp.col_upper,
                 row_lower=lp.row_lower, row_upper=lp.row_upper, offset=np.array(lp.offset),
                 time_limit=np.array(time_limit or 0.0))
        proc = subprocess.run([sys.executable, "-P", str(CHILD), str(src), str(dst)],
                              capture_output=True, text=True)
        if proc.returncode != 0 or not dst.exists():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            if "No module named 'ortools'" in proc.stderr:
                raise SolverError("OR-Tools is not installed; pip install ortools")
            raise SolverError(f"the OR-Tools process failed (exit {proc.returncode}): {last}")
        z = np.load(dst)
        name, version = str(z["status"]), str(z["version"])
        x = z["x"] if "x" in z else None
        obj = float(z["objective"]) if "objective" in z else None
        duals = z["row_dual"] if "row_dual" in z else None
    seconds = time.perf_counter() - start
    return RawSolution(from_ortools(name, time_limit), x, obj, row_dual=duals, solver="ortools-glop", solver_version=version,
                       seconds=seconds, message=name)

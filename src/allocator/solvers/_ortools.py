"""OR-Tools GLOP (Google's own simplex), run in a separate Python process.

OR-Tools bundles its own, older HiGHS; importing it beside highspy has been seen
to fail with undefined symbols. So the model is handed to a fresh interpreter
(``python -m allocator.solvers._ortools IN OUT``) as a ``.npz`` file of plain
arrays, and the solution comes back the same way. A plain subprocess, rather than
multiprocessing, works from scripts, notebooks and the CLI alike (nothing
re-imports the caller's ``__main__``).
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
from allocator.status import from_ortools


def _child(src: str, dst: str) -> None:  # pragma: no cover - runs in the child process
    import ortools
    import scipy.sparse as sp
    from ortools.linear_solver.python import model_builder as mb

    z = np.load(src)
    shape = tuple(int(v) for v in z["shape"])
    model = mb.Model()
    A = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
    model.helper.fill_model_from_sparse_data(z["col_lower"], z["col_upper"], z["c"], z["row_lower"], z["row_upper"], A)
    model.helper.set_objective_offset(float(z["offset"]))
    solver = mb.Solver("GLOP")
    limit = float(z["time_limit"])
    if limit > 0:
        solver.set_time_limit_in_seconds(limit)
    status = solver.solve(model)
    out = {"status": np.array(status.name), "version": np.array(ortools.__version__)}
    if status == mb.SolveStatus.OPTIMAL:
        out["x"] = solver.values(model.get_variables()).to_numpy()
        out["objective"] = np.array(solver.objective_value)
        out["row_dual"] = solver.dual_values(model.get_linear_constraints()).to_numpy() if shape[0] else np.zeros(0)
    np.savez(dst, **out)


def solve_ortools(lp: LinearProgram, time_limit: float | None = None) -> "RawSolution":
    from allocator.solvers import RawSolution

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="allocator-ortools-") as tmp:
        src, dst = Path(tmp) / "model.npz", Path(tmp) / "solution.npz"
        np.savez(src, c=lp.c, indptr=lp.A.indptr, indices=lp.A.indices, data=lp.A.data,
                 shape=np.array(lp.A.shape), col_lower=lp.col_lower, col_upper=lp.col_upper,
                 row_lower=lp.row_lower, row_upper=lp.row_upper, offset=np.array(lp.offset),
                 time_limit=np.array(time_limit or 0.0))
        proc = subprocess.run([sys.executable, "-m", "allocator.solvers._ortools", str(src), str(dst)],
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


if __name__ == "__main__":  # pragma: no cover - the child process
    _child(sys.argv[1], sys.argv[2])

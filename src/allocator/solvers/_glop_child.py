"""The OR-Tools child interpreter: solve one model with GLOP (``python -P _glop_child.py IN OUT``).

Run by :func:`allocator.solvers._ortools.solve_ortools` as a script, by its path, never imported:
it imports numpy, scipy and ortools and nothing of allocator, so that highspy (whose HiGHS build
clashes with the one OR-Tools bundles) is never loaded beside ortools.
"""

import sys

import numpy as np
import ortools
import scipy.sparse as sp
from ortools.linear_solver.python import model_builder as mb


def main(src: str, dst: str) -> None:
    """Solve the model in ``src`` (.npz) and write the solution to ``dst`` (.npz)."""
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

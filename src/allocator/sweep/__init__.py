"""Sweeps: solve a scenario over a grid (or a Latin hypercube) of parameter values.

>>> from allocator import load_scenario                                   # doctest: +SKIP
>>> from allocator.sweep import parse_set, grid_points, run_sweep         # doctest: +SKIP
>>> axes = [parse_set("policy.cluster_limit=150,200,250"),
...         parse_set("demand.arrivals_scale=0.8:1.2:5")]                 # doctest: +SKIP
>>> result = run_sweep(load_scenario("scenarios/uk-2025/central.yaml"),
...                    grid_points(axes), "out/sweep")                    # doctest: +SKIP
>>> result.table                                                          # doctest: +SKIP

Each point is a set of parameter values applied to the base scenario: dotted
scenario keys (``policy.cluster_limit``, ``objective.equity_weight``,
``demand.arrivals.2027``) or the *virtual keys* in :data:`VIRTUAL_KEYS`
(``demand.arrivals_scale`` multiplies every year's arrivals, and so on).

How a sweep stays correct when things go wrong:

* every point has a stable id, a hash of its parameter values and of the
  scenario's content (:func:`point_id`);
* the task that solves a point (:func:`solve_point`) is pure: the same point
  gives the same row, wherever and however often it runs, so a task may be
  retried or re-run after a lost worker without harm;
* the driver writes each finished point atomically to ``OUT/points/<id>.json``
  as soon as it arrives; a sweep started again over the same folder skips the
  points already there;
* the table (``results.parquet``, ``results.csv``) is assembled from those files,
  sorted by point id, so local and Dask runs give identical tables (apart from
  the timing columns, which say how long each point took).

The package: :mod:`~allocator.sweep.params` (keys, values, points),
:mod:`~allocator.sweep.point` (solving one point) and :mod:`~allocator.sweep.run` (the driver,
the files and the table). Everything is importable from ``allocator.sweep``.
"""

from allocator.headline import headline
from allocator.sweep.params import (VIRTUAL_KEYS, Axis, VirtualKey, apply_params, grid_points, lhs_points, parse_set,
                                    point_id)
from allocator.sweep.point import TIMING_COLUMNS, _local, flatten, solve_point, structural_keys
from allocator.sweep.run import (STALE, SWEEP_FILES, SweepResult, build_table, preview, read_point, run_sweep, write_point,
                                 write_table)

__all__ = ["STALE", "SWEEP_FILES", "TIMING_COLUMNS", "VIRTUAL_KEYS", "Axis", "SweepResult", "VirtualKey", "_local",
           "apply_params", "build_table", "flatten", "grid_points", "headline", "lhs_points", "parse_set", "point_id",
           "preview", "read_point", "run_sweep", "solve_point", "structural_keys", "write_point", "write_table"]

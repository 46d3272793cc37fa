"""Whole people from an exact plan: largest-remainder rounding under per-cell limits."""

from __future__ import annotations

import numpy as np


def round_keeping_total(x: np.ndarray, limit: np.ndarray | None = None, total: int | None = None) -> np.ndarray:
    """Round each column of ``x`` (cells × groups) to integers that add up to ``total``.

    Each value becomes its floor or its ceiling; the cells with the largest
    fractional parts are rounded up, skipping cells where the ceiling would
    exceed ``limit``. ``total`` defaults to each column's sum rounded to the
    nearest integer. Ties are broken by cell order, so the result is
    deterministic. Works on a 1-d array as one column.
    """
    one_d = x.ndim == 1
    X = np.atleast_2d(x.T).T if one_d else x
    X = np.maximum(X, 0.0)
    base = np.floor(X + 1e-9)
    frac = np.where(X - base > 1e-9, X - base, 0.0)
    cap = np.full_like(X, np.inf) if limit is None else (np.atleast_2d(limit.T).T if one_d else limit)
    can_up = (frac > 0) & (base + 1 <= cap + 1e-9)
    want = np.round(X.sum(axis=0)) if total is None else np.atleast_1d(np.asarray(total, float))
    need = (want - base.sum(axis=0)).astype(np.int64)                 # units to add per column
    up = can_up & largest_first(np.where(can_up, frac, -1.0), need)
    out = (base + up).astype(np.int64)
    return out[:, 0] if one_d else out


def largest_first(key: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(cells × columns) True for the ``count[j]`` cells of each column j with the largest ``key``;
    ties go to the earlier cell (a stable sort), so the choice is the same on every run."""
    order = np.argsort(-key, axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(key.shape[0])[:, None].repeat(key.shape[1], axis=1), axis=0)
    return rank < np.asarray(count)[None, :]

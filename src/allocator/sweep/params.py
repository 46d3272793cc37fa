"""Sweep parameters: the keys a sweep varies, their values, and the points they make.

A point is a dict of parameter values: dotted scenario keys (``policy.cluster_limit``,
``demand.arrivals.2027``), applied with :meth:`allocator.scenario.Scenario.update`, or the
*virtual keys* of :data:`VIRTUAL_KEYS`, which scale something in the scenario.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from allocator.errors import CommandLineError, Issue, ScenarioError, given_issue
from allocator.scales import VIRTUAL_KEYS, VirtualKey, scale_value  # noqa: F401 - VirtualKey: allocator.sweep
from allocator.scenario import Scenario


def apply_params(scenario: Scenario, params: dict[str, Any]) -> Scenario:
    """The scenario with one point's parameter values applied (re-validated).

    Dotted keys go through :meth:`Scenario.update` first, then virtual keys (scales act on the
    result: a scale of settings is an update too, a scale of the areas table a new table).
    Raises :class:`ScenarioError` naming the key when a value is not allowed.
    """
    virtual = {k: v for k, v in params.items() if k in VIRTUAL_KEYS}
    for key, value in virtual.items():
        if scale_value(value) is None:
            raise ScenarioError(Issue("sweep", f"{key} must be a number >= 0, got {value!r}", field=key))
    try:
        sc = scenario.update({k: v for k, v in params.items() if k not in VIRTUAL_KEYS}, source="sweep")
    except ScenarioError as err:
        known = ", ".join(sorted(VIRTUAL_KEYS))
        raise ScenarioError([dataclasses.replace(i, message=f"{i.message}; or use one of the sweep's virtual keys: "
                                                            f"{known}") if "unknown key" in i.message else i
                             for i in err.issues]) from None
    scales: dict[str, Any] = {}
    for key, value in virtual.items():
        if VIRTUAL_KEYS[key].config is not None:
            scales.update(VIRTUAL_KEYS[key].config(sc, float(value)))
    sc = sc.update(scales, source="sweep")
    areas_fns = [(VIRTUAL_KEYS[k].areas, float(v)) for k, v in virtual.items() if VIRTUAL_KEYS[k].areas is not None]
    if areas_fns:
        areas = sc.areas
        for fn, value in areas_fns:
            areas = fn(areas, value)
        sc = sc.with_areas(areas)
    return sc


# --------------------------------------------------------------------------- axes and points
@dataclass(frozen=True)
class Axis:
    """One swept key: a list of values, or a range ``start:stop:count`` (evenly spaced)."""

    key: str
    values: tuple
    low: float | None = None        # set for ranges: the Latin hypercube samples within [low, high]
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None


def _number(part: str, text: str) -> float:
    """``part`` of the range ``text`` (an option --set) as a finite number."""
    try:
        v = float(part)
    except ValueError:
        raise CommandLineError(given_issue("--set", text, f"'{part}' is not a number")) from None
    if not math.isfinite(v):
        raise CommandLineError(given_issue("--set", text, f"'{part}' is not a finite number"))
    return v


def _tidy(v: float) -> float | int:
    """Round away float noise (0.9000000000000001 -> 0.9); whole numbers stay whole."""
    v = float(f"{v:.10g}")
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def parse_set(text: str) -> Axis:
    """``KEY=V1,V2,...`` or ``KEY=START:STOP:COUNT`` -> :class:`Axis`.

    List items are read as YAML scalars: ``250`` is a number, ``l1`` text,
    ``null`` nothing. A range gives COUNT evenly spaced numbers from START to
    STOP inclusive.
    """
    if "=" not in text:
        raise CommandLineError(given_issue("--set", text, "expects KEY=VALUES"))
    key, spec = (s.strip() for s in text.split("=", 1))
    if not key or not spec:
        raise CommandLineError(given_issue("--set", text, "expects KEY=VALUES"))
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise CommandLineError(given_issue("--set", text, "a range is START:STOP:COUNT"))
        lo, hi, n = (_number(part, text) for part in parts)
        if n < 1 or not float(n).is_integer():
            raise CommandLineError(given_issue("--set", text, f"COUNT must be a whole number >= 1, got '{parts[2]}'"))
        values = tuple(_tidy(v) for v in np.linspace(lo, hi, int(n)))
        return Axis(key, values, lo, hi)
    values = []
    for token in spec.split(","):
        token = token.strip()
        try:
            value = yaml.safe_load(token) if token else None
        except yaml.YAMLError:
            value = token
        if isinstance(value, float):
            value = _tidy(value)
        if isinstance(value, (dict, list)):
            raise CommandLineError(given_issue("--set", text, f"'{token}' is not a single value"))
        values.append(value)
    return Axis(key, tuple(values))


def _keys_once(axes: list[Axis]) -> list[str]:
    """The axes' keys, each swept once (a key in two --set options is refused)."""
    keys = [a.key for a in axes]
    twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
    if twice is not None:
        raise CommandLineError(given_issue("--set", None, f"'{twice}' is swept twice: give it once, with all its "
                                                          "values"))
    return keys


def grid_points(axes: list[Axis]) -> list[dict[str, Any]]:
    """Every combination of the axes' values (the cartesian grid)."""
    keys = _keys_once(axes)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(a.values for a in axes))]


def lhs_points(axes: list[Axis], n: int, seed: int) -> list[dict[str, Any]]:
    """A seeded Latin hypercube sample of ``n`` points.

    Each axis's range is cut into ``n`` equal strata and each stratum is used
    once (scipy's ``qmc.LatinHypercube``). A range axis is sampled anywhere in
    [START, STOP]; a list axis picks the value whose slot the sample falls into.
    """
    from scipy.stats import qmc   # lazy on purpose: 0.6-1 s to import, only --lhs needs it (tests/test_imports.py)

    _keys_once(axes)
    if n < 1:
        raise CommandLineError(given_issue("--lhs", n, "needs at least 1 point"))
    u = qmc.LatinHypercube(d=len(axes), rng=np.random.default_rng(seed)).random(n)
    points = []
    for row in u:
        p: dict[str, Any] = {}
        for axis, x in zip(axes, row):
            if axis.is_range:
                p[axis.key] = float(f"{axis.low + x * (axis.high - axis.low):.6g}")
            else:
                p[axis.key] = axis.values[min(int(x * len(axis.values)), len(axis.values) - 1)]
        points.append(p)
    return points


def _canon(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float, np.integer, np.floating)):
        return repr(float(v))
    return str(v)


def point_id(params: dict[str, Any], scenario_sha256: str) -> str:
    """A stable id for a point: hash of the scenario's content and the parameter values.

    Numbers are compared by value (``200`` and ``200.0`` are the same point);
    the order in which keys are given does not matter.
    """
    payload = json.dumps({"scenario": scenario_sha256, "params": {k: _canon(v) for k, v in params.items()}},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]

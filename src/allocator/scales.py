"""The sweep's *scale keys*: settings that are not in the scenario file but scale something in it.

``demand.arrivals_scale=1.2`` multiplies every year's arrivals, and so on (:data:`VIRTUAL_KEYS`).
:func:`allocator.sweep.apply_params` applies them to a sweep's points. They are not scenario keys:
:meth:`allocator.scenario.Scenario.update` (and with it ``allocator solve --set``) refuses them with
:func:`sweep_only`, which names the scenario setting that gives the same point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from allocator.dotted import plain
from allocator.errors import Issue

if TYPE_CHECKING:
    from allocator.scenario import Scenario


def _scale_arrivals(sc: Scenario, s: float) -> dict[str, Any]:
    return {"demand.arrivals": {y: v * s for y, v in sc.config.demand.arrivals.items()}}


def _scale_contingency(sc: Scenario, s: float) -> dict[str, Any]:
    return {"costs.contingency_per_person_year": sc.config.costs.contingency_per_person_year * s}


def _scale_columns(prefix: str, whole: bool = False) -> Callable[[pd.DataFrame, float], pd.DataFrame]:
    def apply(areas: pd.DataFrame, s: float) -> pd.DataFrame:
        out = areas.copy()
        for col in [c for c in out.columns if c == prefix or c.startswith(prefix + "_")]:
            out[col] = np.floor(out[col] * s + 1e-9) if whole else out[col] * s
        return out
    return apply


@dataclass(frozen=True)
class VirtualKey:
    description: str
    config: Callable[[Scenario, float], dict[str, Any]] | None = None      # -> dotted overrides
    areas: Callable[[pd.DataFrame, float], pd.DataFrame] | None = None     # -> new areas table
    column: str = ""                                                       # the areas table's column it scales


#: Keys that are not in the scenario file but scale something in it. Each takes a number >= 0 (1 = unchanged).
VIRTUAL_KEYS: dict[str, VirtualKey] = {
    "demand.arrivals_scale": VirtualKey("multiplies every year's arrivals", config=_scale_arrivals),
    "costs.contingency_scale": VirtualKey("multiplies the cost of a person-year in hotels/contingency",
                                          config=_scale_contingency),
    "costs.place_scale": VirtualKey("multiplies every area's cost_per_place (all cohorts)",
                                    areas=_scale_columns("cost_per_place"), column="cost_per_place"),
    "areas.procurement_scale": VirtualKey("multiplies every area's procurement_per_year (all cohorts), "
                                          "rounded down to whole bed spaces",
                                          areas=_scale_columns("procurement_per_year", whole=True),
                                          column="procurement_per_year"),
}


def scale_value(value: Any) -> float | None:
    """A scale key's value as a number, or None when it is not a number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def sweep_only(sc: Scenario, key: str, value: Any, source: str) -> Issue:
    """Why ``key`` (one of :data:`VIRTUAL_KEYS`) is refused as an override of ``sc``, and what gives the same
    scenario: for a scale of a setting, that setting with its scaled value (``--set`` ready); for a scale of
    the areas table, its column."""
    vk = VIRTUAL_KEYS[key]
    s = scale_value(value)
    if vk.config is not None and s is not None:
        same = "; ".join(f"{k}={_inline(v)}" for k, v in vk.config(sc, s).items())
        instead = f"set {same} for the same scenario"
    elif vk.config is not None:
        instead = f"set the setting it scales ({', '.join(vk.config(sc, 1.0))})"
    else:
        instead = f"change the areas table's {vk.column} column (Scenario.with_areas in Python)"
    return Issue(source, f"a sweep-only key ({vk.description}; allocator sweep --set): {instead}", field=key)


def _inline(value: Any) -> str:
    """``value`` as YAML on one line, as ``--set KEY=VALUE`` reads it (``{2026: 24960.0, 2027: 42000.0}``)."""
    text = yaml.safe_dump(plain(value), default_flow_style=True, width=10**6).strip()
    return text.removesuffix("...").strip()          # a scalar document ends with "..."

"""Honest costing and progressive equity (scenario format v2): their keys, checks and prepared fields.

Everything here is off unless its key is given; a v1 scenario gets none of it.

* ``objective.equity_steps`` (:class:`EquityStep`, checked by :func:`check_equity_steps`): the steps
  of the progressive equity measure (``objective.equity_measure: progressive``).
* ``costs.occupancy`` and ``costs.void_share``: what a year's costs are charged on, and what an
  empty kept bed space costs (the schema fields are in :class:`allocator.scenario.Costs`).
* Preparing (called by :func:`allocator.data.prepare`): :func:`prepare_costing`, their ``ModelData`` fields.

The mathematics is in docs/model.md ("Progressive equity", "Objective": average occupancy and void cost).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from allocator.errors import Issue

#: Keys of the equity and costing options, for messages.
STEPS_KEY = "objective.equity_steps"


class EquityStep(BaseModel):
    """One step of the progressive equity measure (``objective.equity_steps``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: float = Field(alias="from", ge=1.0, le=1e3, allow_inf_nan=False)
    """Multiple of the fair share from which the step's weight applies (the first step: 1.0)."""
    weight: float = Field(gt=0, le=1e6, allow_inf_nan=False)
    """Multiple of equity_weight charged per person-year above ``from`` × the fair share."""


def check_equity_steps(objective: Any, label: str) -> list[Issue]:
    """The progressive measure's steps: given with it, starting at 1.0 (the fair share), ``from``
    strictly increasing and weights never decreasing (a convex cost, so the model stays linear)."""
    steps = objective.equity_steps
    if steps is None:
        if objective.equity_measure == "progressive":
            return [Issue(label, "equity_measure: progressive needs equity_steps, e.g. "
                          "[{from: 1.0, weight: 1}, {from: 1.25, weight: 3}]", field=STEPS_KEY)]
        return []
    issues = []
    if steps[0].from_ != 1.0:
        issues.append(Issue(label, f"the first step must start at the fair share, from: 1.0; got {steps[0].from_:g}",
                            field=f"{STEPS_KEY}.0.from"))
    for k, (before, step) in enumerate(zip(steps, steps[1:]), 1):
        if step.from_ <= before.from_:
            issues.append(Issue(label, f"from must increase from step to step: {step.from_:g} is not above "
                                f"{before.from_:g}", field=f"{STEPS_KEY}.{k}.from"))
        if step.weight < before.weight:
            issues.append(Issue(label, f"weights must not decrease (the measure must be convex to stay a "
                                f"linear program): {step.weight:g} after {before.weight:g}",
                                field=f"{STEPS_KEY}.{k}.weight"))
    return issues


def prepare_costing(cfg: Any) -> dict[str, Any]:
    """The ``ModelData`` fields of honest costing and progressive equity: ``occupancy``, ``void_share``
    and ``equity_steps`` ((K,2) from, weight; None unless the measure is progressive)."""
    steps = None
    if cfg.objective.equity_measure == "progressive":
        steps = np.array([[step.from_, step.weight] for step in cfg.objective.equity_steps])
    return dict(occupancy=cfg.costs.occupancy, void_share=cfg.costs.void_share, equity_steps=steps)

r"""Build: the linear program of a scenario, family by family.

:func:`build_lp` adds the variables and their bounds (:func:`allocator.families.add_variables`),
then the row families of the registry (:data:`allocator.registry.FAMILIES`) in its order, each
by its ``add_<family>`` function in :mod:`allocator.families`, where its mathematics is, in the
notation of ``docs/model.md``. The linear program itself (:class:`LinearProgram`, built through
:class:`LPBuilder`) is in :mod:`allocator.lp`; both are re-exported here.
"""

from __future__ import annotations

from allocator import registry
from allocator.data import ModelData
from allocator.families import (
    Vars,
    add_agreement,
    add_capacity_kept,
    add_cluster_limit,
    add_contingency_ceiling,
    add_dispersed_total,
    add_exit_decay,
    add_fair_share,
    add_fair_share_steps,
    add_max_growth,
    add_national_balance,
    add_procurement,
    add_top_rate,
    add_variables,
)
from allocator.families_open import add_open_variables
from allocator.families_place import add_hotel_variables
from allocator.lp import INF, Block, LinearProgram, LPBuilder
from allocator.opening import opening


def build_lp(d: ModelData) -> LinearProgram:
    """Assemble the whole linear program for prepared data. Pure: no solver involved.

    The row families are those of the registry, in its order, each where its ``when(d)`` holds
    (the equity families only with an equity term, of their measure); each ``add_`` function
    then adds its rows only where there are any (no growth rows without ``policy.max_growth``).
    """
    lp = LPBuilder()
    v = add_variables(lp, d)
    if d.hotel0 is not None:                    # hotels by area (scenario format v2): L, Q and H
        add_hotel_variables(lp, d, v)
    if opening(d) is not None:                  # opening decisions: 0/1 columns (a mixed-integer program)
        add_open_variables(lp, d, v)
    for family in registry.rows():
        if family.when(d):
            family.add(lp, d, v)
    return lp.build()


__all__ = ["INF", "Block", "LPBuilder", "LinearProgram", "Vars", "add_agreement", "add_capacity_kept",
           "add_cluster_limit", "add_contingency_ceiling", "add_dispersed_total", "add_exit_decay", "add_fair_share",
           "add_fair_share_steps", "add_max_growth",
           "add_national_balance", "add_procurement", "add_top_rate", "add_variables", "build_lp"]

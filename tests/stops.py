"""A time limit hit on purpose, without a clock: HiGHS is given an iteration limit of 0, which ends
a run like the time limit does (``allocator.status.HIGHS`` maps ``kIterationLimit`` to
``time_limit``). Tests call these with pytest's ``monkeypatch``; a subprocess runs
:data:`CLI_STOPPED_AFTER_AREA_PLANS` with ``python -c``.
"""

from __future__ import annotations

import pytest

from allocator.solvers import _highs
from allocator.solvers import _price_start as ps

STOP = {"simplex_iteration_limit": 0}


def stop_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``solve_highs`` stops before its first simplex iteration (as a time limit would)."""
    real = _highs.highs_model

    def stopped(lp, *, options=None, **kwargs):
        return real(lp, options={**(options or {}), **STOP}, **kwargs)

    monkeypatch.setattr(_highs, "highs_model", stopped)


def stop_after_area_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The price-guided start runs its sample and its area plans; the last step (HiGHS on the whole
    model) stops before its first iteration: the limit falls after the area plans."""
    real = ps._solve_whole

    def stopped(lp, time_limit, options, basis, areas_x):
        return real(lp, time_limit, {**(options or {}), **STOP}, basis, areas_x)

    monkeypatch.setattr(ps, "_solve_whole", stopped)


#: ``python -c`` this with the CLI's arguments: ``allocator`` with :func:`stop_after_area_plans`.
CLI_STOPPED_AFTER_AREA_PLANS = f"""
from allocator.solvers import _price_start as ps
real = ps._solve_whole
ps._solve_whole = lambda lp, t, o, b, x: real(lp, t, {{**(o or {{}}), **{STOP!r}}}, b, x)
from allocator.cli import main
main()
"""

#: ``python -c`` this with the CLI's arguments: ``allocator`` with :func:`stop_at_once`.
CLI_STOPPED_AT_ONCE = f"""
from allocator.solvers import _highs
real = _highs.highs_model
_highs.highs_model = lambda lp, *, options=None, **kw: real(lp, options={{**(options or {{}}), **{STOP!r}}}, **kw)
from allocator.cli import main
main()
"""

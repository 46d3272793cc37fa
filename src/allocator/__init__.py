"""allocator: an open, checkable engine for year-on-year dispersal change plans.

>>> from allocator import load_scenario, solve                # doctest: +SKIP
>>> scenario = load_scenario("scenarios/example")             # doctest: +SKIP
>>> plan = solve(scenario.with_policy(cluster_limit=250))     # doctest: +SKIP
>>> plan.trajectory                                           # doctest: +SKIP
"""

from allocator.api import solve
from allocator.data import ModelData, prepare
from allocator.errors import (
    AllocatorError,
    CommandLineError,
    InfeasibleError,
    InputError,
    NotOptimalError,
    OutputError,
    ScenarioError,
    SolverError,
    TimeLimitError,
    VerificationError,
)
from allocator.model import LinearProgram, build_lp
from allocator.plan import Plan, read_plan
from allocator.scenario import Scenario, load_scenario
from allocator.status import Status

__version__ = "0.1.0"

__all__ = [
    "AllocatorError", "CommandLineError", "InfeasibleError", "InputError", "LinearProgram", "ModelData", "NotOptimalError", "OutputError", "Plan",
    "Scenario", "ScenarioError", "SolverError", "Status", "TimeLimitError", "VerificationError", "build_lp",
    "load_scenario", "prepare", "read_plan", "solve",
]

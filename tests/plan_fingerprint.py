"""Fingerprints of the national plans and the benchmark plans (issue 12: "byte-identical before and after").

A fingerprint is the SHA-256 of each file a plan writes (allocations.csv, trajectory.csv, regions.csv,
start.csv, and summary.json without its ``versions`` and ``solver_version``, which name the installed
packages; the timings are in timings.json, which is not fingerprinted). The plans are those of every
feasible scenario in ``scenarios/uk-2025/`` and of the scenarios ``make bench-smoke`` generates
(``benchmarks/conftest.SMOKE_SIZES``). ``tests/test_plan_fingerprint.py`` compares them with
:data:`FINGERPRINTS`, committed.

A change that is MEANT to alter plans (a new rule, a different rounding) rewrites the file on purpose:

    .venv/bin/python -m tests.plan_fingerprint --write

and says so in its commit message; ``git diff tests/plan_fingerprints.json`` then shows which plans moved.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

from allocator import InfeasibleError, load_scenario, solve

REPO = Path(__file__).resolve().parents[1]
FINGERPRINTS = REPO / "tests" / "plan_fingerprints.json"
FILES = ("allocations.csv", "trajectory.csv", "regions.csv", "start.csv", "summary.json")
#: summary.json keys that name the installed packages, not the plan.
UNPINNED = ("versions", "solver_version")


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of each plan file in ``folder`` (summary.json without the package versions)."""
    out = {}
    for name in FILES:
        data = (folder / name).read_bytes()
        if name == "summary.json":
            summary = json.loads(data)
            for key in UNPINNED:
                summary.pop(key, None)
            data = json.dumps(summary, indent=2, ensure_ascii=False).encode()
        out[name] = hashlib.sha256(data).hexdigest()
    return out


def plan_fingerprint(scenario_path: Path, work: Path) -> dict[str, str] | str:
    """The hashes of the plan solved from ``scenario_path``, or ``"infeasible"``."""
    try:
        plan = solve(load_scenario(scenario_path))
    except InfeasibleError:
        return "infeasible"
    out = work / f"plan-{len(list(work.iterdir()))}"
    plan.write(out)
    return file_hashes(out)


def scenarios(work: Path) -> dict[str, Path]:
    """Every fingerprinted scenario by a stable name: the national ones, then the generated benchmarks."""
    named = {f"uk-2025/{p.name}": p for p in sorted((REPO / "scenarios" / "uk-2025").glob("*.yaml"))}
    bench = REPO / "benchmarks"
    sys.path.insert(0, str(bench))
    try:
        generate = _module(bench / "generate.py").generate
        sizes = _module(bench / "conftest.py").SMOKE_SIZES
    finally:
        sys.path.remove(str(bench))
    for size in sizes:
        name = "x".join(map(str, size))
        named[f"bench-smoke/{name}"] = generate(work / f"bench-{name}", *size, seed=0)
    return named


def fingerprints() -> dict[str, dict[str, str] | str]:
    with tempfile.TemporaryDirectory(prefix="allocator-fingerprint-") as tmp:
        work = Path(tmp)
        (work / "plans").mkdir()
        return {name: plan_fingerprint(path, work / "plans") for name, path in scenarios(work).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {FINGERPRINTS.relative_to(REPO)}")
    args = parser.parse_args()
    found = fingerprints()
    text = json.dumps(found, indent=2, sort_keys=True) + "\n"
    if args.write:
        FINGERPRINTS.write_text(text, encoding="utf-8")
        print(f"wrote {FINGERPRINTS}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()

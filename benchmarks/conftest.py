"""Benchmarks configuration: make the helpers next to this file importable, and generate
the synthetic scenarios once per session.

``pytest -q benchmarks --benchmark-disable`` (``make bench-smoke``) runs every benchmark
once at small sizes and checks the answers, so the benchmarks cannot rot. Set
``ALLOCATOR_BENCH_SIZES="2000x10x3,9000x10x3"`` to time other sizes with pytest-benchmark;
``make bench`` (``benchmarks/run.py``) measures the full sizes and rewrites RESULTS.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from generate import generate

#: Small sizes (areas, years, cohorts): every phase and every check finishes in seconds.
SMOKE_SIZES = ((40, 4, 1), (120, 5, 3), (361, 4, 1))


def sizes() -> list[tuple[int, int, int]]:
    text = os.environ.get("ALLOCATOR_BENCH_SIZES", "").strip()
    if not text:
        return list(SMOKE_SIZES)
    return [tuple(int(p) for p in item.lower().split("x")) for item in text.split(",") if item.strip()]


def size_id(size: tuple[int, int, int]) -> str:
    return "x".join(str(v) for v in size)


@pytest.fixture(scope="session")
def scenario_dir(tmp_path_factory):
    """``scenario_dir(areas, years, cohorts, seed=0, **kw)`` -> path of a generated scenario (cached)."""
    root = tmp_path_factory.mktemp("bench-scenarios")
    made: dict = {}

    def make(areas: int, years: int, cohorts: int, seed: int = 0, **kw) -> Path:
        key = (areas, years, cohorts, seed, tuple(sorted(kw.items())))
        if key not in made:
            name = f"s{areas}x{years}x{cohorts}-{seed}" + "".join(f"-{k}{v}" for k, v in sorted(kw.items()))
            made[key] = generate(root / name, areas, years, cohorts, seed=seed, **kw)
        return made[key]

    return make

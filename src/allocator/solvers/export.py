"""Write a linear program to MPS or LP files for other solvers (through HiGHS's writer)."""

from __future__ import annotations

from pathlib import Path

import highspy

from allocator.errors import OutputError
from allocator.model import LinearProgram
from allocator.output import write_file
from allocator.solvers._highs import highs_model


def write_model(lp: LinearProgram, target: str | Path) -> Path:
    """Write ``lp`` to ``target``; the format follows the suffix (``.mps`` or ``.lp``).

    Columns are named ``<block>_<n>`` and rows ``<family>_<n>`` after the blocks
    in :attr:`LinearProgram.variables` and :attr:`LinearProgram.rows`. The file is
    written atomically (:func:`allocator.output.write_file`): an earlier model file
    is replaced only by a complete new one.
    """
    target = Path(target)
    h = highs_model(lp)
    for blocks, setter in ((lp.variables, h.passColName), (lp.rows, h.passRowName)):
        for name, block in blocks.items():
            for k in range(block.size):
                setter(block.start + k, f"{name}_{k}")

    def write(tmp: Path) -> None:
        if h.writeModel(str(tmp)) == highspy.HighsStatus.kError:
            raise OutputError(f"HiGHS could not write {target}; nothing was changed")

    return write_file(target, write)

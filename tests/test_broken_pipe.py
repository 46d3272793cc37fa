"""The program reading allocator's output stops early (``allocator sweep ... | head``): allocator stops
quietly with 128 + SIGPIPE, as other command-line tools do, not with "unexpected error ... a bug" (exit 1);
the files it writes are not affected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from allocator.errors import EXIT_BROKEN_PIPE
from tests.conftest import REPO


def test_a_reader_that_goes_away_is_not_a_bug(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    proc = subprocess.Popen([sys.executable, "-c", "from allocator.cli import main; main()", "solve",
                             str(REPO / "scenarios" / "example"), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                       # the reader has gone before the headline is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == EXIT_BROKEN_PIPE, err
    assert "unexpected error" not in err and "Traceback" not in err and "Exception ignored" not in err, err
    assert (out / "summary.json").is_file() and (out / "allocations.csv").is_file()

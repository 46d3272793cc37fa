"""The exit-code table is the same everywhere: errors.EXIT_CODES, README.md, docs/cli.md, docs/api.md,
docs/design.md (issue 12 item 9), and every code in it is one the code uses."""

from __future__ import annotations

import re

import pytest

from allocator import errors
from allocator.cli import ERROR_WORDS
from tests.conftest import REPO

DOCS = ("README.md", "docs/cli.md", "docs/api.md", "docs/design.md")
HEADER = "| Code | Meaning | Raised as | Message starts |"


def tables(text: str) -> list[str]:
    """Every Markdown table in ``text`` whose header is the exit-code table's."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.strip() == HEADER:
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            found.append("\n".join(lines[i:j]))
    return found


@pytest.mark.parametrize("doc", DOCS)
def test_each_document_shows_the_table_of_errors_py(doc: str) -> None:
    found = tables((REPO / doc).read_text(encoding="utf-8"))
    assert found == [errors.exit_code_table()], f"{doc}: the exit-code table differs from errors.EXIT_CODES"


def test_the_table_has_every_exit_code_and_every_error_class() -> None:
    codes = {int(c) for row in errors.EXIT_CODES for c in re.findall(r"\d+", row[0])}
    constants = {v for k, v in vars(errors).items() if k.startswith("EXIT_") and isinstance(v, int)}
    assert constants <= codes
    for cls in (c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.AllocatorError)):
        if cls is errors.AllocatorError:
            continue
        row = next(r for r in errors.EXIT_CODES if r[0] == str(cls.exit_code))
        assert f"`{cls.__name__}`" in row[2], (cls.__name__, row)
        assert f"`allocator: {ERROR_WORDS[cls.__name__]}:`" in row[3].split("; ")[0].split(", "), (cls.__name__, row)

"""Progress for long runs: a spinner while one thing runs, a bar over several.

Everything goes to standard error, so standard output stays clean for the
tables and figures a script may capture; nothing is shown with ``quiet=True``
or when standard error is not a terminal (CI logs, pipes), where an animated
spinner would only add noise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from allocator.output import clean_text

T = TypeVar("T")


def _console(quiet: bool) -> Console | None:
    if quiet:
        return None
    console = Console(stderr=True)
    return console if console.is_terminal else None


@contextmanager
def spinner(message: str, quiet: bool = False) -> Iterator[None]:
    """Show ``message`` with a spinner (on a terminal) while the block runs."""
    console = _console(quiet)
    if console is None:
        yield
        return
    with console.status(escape(clean_text(message)), spinner="dots"):   # names are shown as they are, not as markup
        yield


def track(items: Iterable[T], description: str, total: int | None = None, quiet: bool = False,
          label=None) -> Iterator[T]:
    """Iterate over ``items`` with a progress bar (on a terminal).

    ``label(item)`` names the item being worked on, shown beside the bar.
    """
    items = list(items) if total is None else items
    total = len(items) if total is None else total  # type: ignore[arg-type]
    console = _console(quiet)
    if console is None:
        yield from items
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("[dim]{task.fields[item]}"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total, item="")
        for item in items:
            progress.update(task, item=escape(clean_text(label(item))) if label else "")
            yield item
            progress.advance(task)

"""Optional features and the extras that install them.

``pip install allocator`` brings the engine and every command; three groups of
heavy packages are extras, imported only where a feature needs them:

========================  ==============================  =========================================
extra                     packages                        needed by
========================  ==============================  =========================================
``allocator[excel]``      openpyxl                        ``--format xlsx``, areas in an .xlsx sheet
``allocator[distributed]`` dask, distributed              ``allocator sweep --scheduler``
``allocator[notebook]``   nbclient, nbformat, ipykernel   running the notebooks in docs/notebooks
``allocator[all]``        all of the above
========================  ==============================  =========================================

Without the extra, the feature stops with one message naming it
(:class:`~allocator.errors.MissingExtraError`, exit code 6), never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from allocator.errors import MissingExtraError

#: The import names each extra provides (pyproject.toml's [project.optional-dependencies] installs them).
EXTRAS: dict[str, tuple[str, ...]] = {
    "excel": ("openpyxl",),
    "distributed": ("dask", "distributed"),
    "notebook": ("nbclient", "nbformat", "ipykernel"),
}


@contextmanager
def needs_extra(extra: str, feature: str) -> Iterator[None]:
    """Imports inside this block belong to ``extra``: a missing one raises
    :class:`~allocator.errors.MissingExtraError` saying that ``feature`` needs ``pip install 'allocator[extra]'``.

    Only a missing package of that extra is translated; any other import error is left as it is.
    """
    try:
        yield
    except ModuleNotFoundError as err:
        top = (err.name or "").split(".")[0]
        if top not in EXTRAS[extra]:
            raise
        raise MissingExtraError(f"{feature} needs the optional package '{top}', which is not installed; "
                                f"install it with: pip install 'allocator[{extra}]'") from None

"""``python -m allocator.cli``: the same as the ``allocator`` command."""

from allocator.cli import main

main()

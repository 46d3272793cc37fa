"""Coverage-guided fuzz target for the scenario loader (issue 7), with atheris (libFuzzer).

Run it with ``make fuzz`` (60 s; ``make fuzz FUZZ_SECONDS=600`` for longer), or directly::

    python fuzz/fuzz_loader.py -max_total_time=60 fuzz/work-corpus fuzz/corpus

One input is the bytes of up to three files, separated by the line ``SEPARATOR``::

    <scenario.yaml bytes> SEPARATOR <areas.csv bytes> [SEPARATOR <agreements.csv bytes>]

Without a separator the whole input is ``scenario.yaml`` and ``areas.csv`` is the bundled
example's. The files are written into a fresh temporary folder and
:func:`allocator.load_scenario` reads it. The property: the loader either returns a scenario,
which then prepares and builds into a linear program without error, or raises
:class:`allocator.ScenarioError` whose every issue names a file. Any other exception is a
crash: libFuzzer stops and writes the input as ``crash-<sha1>`` (in the current folder, or
``-artifact_prefix=``). Re-run one input with ``python fuzz/fuzz_loader.py crash-<sha1>``.

atheris is in the optional extra ``[fuzz]`` (``pip install -e ".[fuzz]"``), not in ``[dev]``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

SEPARATOR = b"\n#---- next file ----\n"
NAMES = ("scenario.yaml", "areas.csv", "agreements.csv")
EXAMPLE_AREAS = Path(__file__).resolve().parents[1] / "scenarios" / "example" / "areas.csv"
MAX_INPUT = 64 * 1024          # the loader's own size limits are tested elsewhere; keep each run fast


def split(data: bytes) -> dict[str, bytes]:
    """The files one fuzz input stands for (see the module docstring)."""
    parts = data.split(SEPARATOR, 2)
    if len(parts) == 1:
        parts.append(EXAMPLE_AREAS.read_bytes())
    return dict(zip(NAMES, parts))


def one_input(data: bytes) -> None:
    """Load one fuzzed scenario; raise (a crash) unless it loads or is refused as a ScenarioError."""
    from allocator import ScenarioError, build_lp, load_scenario, prepare

    if len(data) > MAX_INPUT:
        return
    with tempfile.TemporaryDirectory(prefix="fuzz-loader-") as tmp:
        folder = Path(tmp)
        for name, content in split(data).items():
            (folder / name).write_bytes(content)
        try:
            scenario = load_scenario(folder / "scenario.yaml")
        except ScenarioError as err:
            if not err.issues or not all(issue.file and issue.message for issue in err.issues):
                raise AssertionError(f"a ScenarioError without a location: {err!r}") from None
            return
        build_lp(prepare(scenario))          # what the loader lets in must build


def main() -> None:
    import atheris

    with atheris.instrument_imports(include=["allocator", "yaml"]):
        import allocator.scenario  # noqa: F401 - instrumented for coverage feedback
        import allocator.excel  # noqa: F401
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

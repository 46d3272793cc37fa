"""Every command the docs show runs, exits as shown and prints what the docs show (issue 11, D20).

The commands are taken from the documents themselves, so a doc cannot drift from the code:

* README.md: every ``allocator ...`` line of its ```sh blocks (a ``# comment`` after it is left to
  the shell; ``.``/``source`` lines, ``make`` lines and python blocks are not commands to run here);
  the README shows no output, so each must exit 0.
* docs/guide/*.md, docs/cli.md, docs/place-based.md, docs/explain.md and docs/infeasibility.md: every
  ``$ command`` line of their ```text blocks. The lines after it, up to the next ``$`` line or the
  end of the block, are its output: each must appear,
  in order, in what the command prints now (standard output and error together, as a terminal
  shows them), after the volatile parts are masked (:data:`MASKS`). A line that is only ``…`` or
  ``...`` stands for lines left out; ``…`` inside a line stands for any text. A ``[exit code N]``
  line gives the exit code; without one it must be 0. A ``--help`` listing must equal what the
  command prints, line for line.

The commands of one document run in order, as a reader would run them, with the installed
``allocator`` command, in a new working folder holding a copy of ``scenarios/`` (the docs use
relative paths such as ``scenarios/uk-2025/central.yaml`` and ``out/...``). Every
``allocator ... --help`` listing in any other docs/*.md file is checked too.

A command shown only as an example in a ``--help`` epilog is not run. The few commands that
cannot run here are listed in :data:`NOT_RUN`, each with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent                    # the environment's `allocator` (and `python`)
HANG_GUARD = 900                                      # seconds per command: only to stop a hung run

#: Documents whose commands are run, in order, each in its own working folder.
DOCUMENTS = ("README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs" / "guide").glob("*.md")),
             "docs/new-areas.md",
             "docs/cli.md", "docs/place-based.md", "docs/explain.md", "docs/infeasibility.md")

#: Commands shown in the docs that this test does not run: (document, command) -> why.
NOT_RUN: dict[tuple[str, str], str] = {
    # How far HiGHS gets in 0.1 s (and so the gap shown) depends on the machine and its load;
    # tests/test_cli.py checks exit 8 with a deterministic stop instead (tests/stops.py).
    ("docs/cli.md", "allocator solve scenarios/uk-2025/central.yaml --out out/central-stopped --start prices "
                    "--time-limit 0.1 -q"): "the outcome depends on the machine's speed",
    # Needs a full file system mounted at /mnt/full; tests/test_output_rules.py fills one up instead.
    ("docs/cli.md", "allocator solve scenarios/uk-2025/central.yaml --out /mnt/full/central --force"):
        "needs a full disk",
}

#: Volatile parts of an output line, masked in the doc and in the real output alike.
MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b\d+(\.\d+)? ?s\b(?!\w)"), "<seconds>"),                         # build 0.01s, in 4.3 s
    (re.compile(r"\b(highs|highspy|ortools-glop|pulp-cbc) \d+(\.\d+)+"), r"\1 <version>"),  # solver version
    (re.compile(r"\(\d[\d,]*(\.\d+)? points/min\)"), "(<rate> points/min)"),         # sweep throughput
    (re.compile(r"\b\d[\d,]*(\.\d+)? ?[KM]B\b"), "<size>"),                        # file sizes
)

ELISION = {"…", "..."}
EXIT_LINE = re.compile(r"^\[exit code (\d+)\]$")


@dataclass
class Shown:
    """One command a document shows, with the output lines and exit code it shows for it."""

    doc: str
    line: int
    command: str
    output: list[str] = field(default_factory=list)
    exit_code: int = 0

    @property
    def is_help(self) -> bool:
        return self.command.split()[:1] == ["allocator"] and self.command.split()[-1] in ("--help", "-h")


def _blocks(text: str, language: str) -> list[tuple[int, list[str]]]:
    """The fenced blocks of ``language``: (line number of their first line, their lines)."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == f"```{language}":
            start, body = i + 2, []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((start, body))
        i += 1
    return out


def readme_commands(doc: str, text: str) -> list[Shown]:
    """The ``allocator`` lines of the ```sh blocks."""
    return [Shown(doc, start + k, line.strip()) for start, body in _blocks(text, "sh")
            for k, line in enumerate(body) if line.strip().startswith("allocator ")]


def transcript_commands(doc: str, text: str) -> list[Shown]:
    """The ``$ command`` lines of the ```text blocks, each with the output and exit code shown after it."""
    shown: list[Shown] = []
    for start, body in _blocks(text, "text"):
        current: Shown | None = None
        for k, line in enumerate(body):
            if line.startswith("$ "):
                current = Shown(doc, start + k, line[2:].strip())
                shown.append(current)
            elif current is not None and (m := EXIT_LINE.match(line.strip())):
                current.exit_code = int(m.group(1))
            elif current is not None:
                current.output.append(line.rstrip())
    for s in shown:
        while s.output and not s.output[-1]:
            s.output.pop()
    return shown


def commands(doc: str) -> list[Shown]:
    text = (REPO / doc).read_text(encoding="utf-8")
    return readme_commands(doc, text) if doc == "README.md" else transcript_commands(doc, text)


def mask(line: str) -> str:
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def _pattern(doc_line: str) -> re.Pattern[str]:
    """A doc line as a pattern for one real line: masked, with ``…`` inside it standing for any text."""
    return re.compile(".*".join(re.escape(part) for part in mask(doc_line).split("…")) + r"\Z")


def missing_lines(shown: list[str], real: str) -> list[str]:
    """The doc's lines that are not in the real output, in order (elisions and blank lines skipped)."""
    real_lines = [mask(line) for line in real.splitlines()]
    missing, at = [], 0
    for doc_line in shown:
        if not doc_line.strip() or doc_line.strip() in ELISION:
            continue
        pattern = _pattern(doc_line)
        hit = next((j for j in range(at, len(real_lines)) if pattern.match(real_lines[j])), None)
        if hit is None:
            missing.append(doc_line)
        else:
            at = hit + 1
    return missing


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCATOR_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", COLUMNS="100", HOME=str(home),
               PYTHONIOENCODING="utf-8", PYTHONWARNINGS="ignore", LC_ALL="C.UTF-8", TERM="dumb")
    env.pop("NO_COLOR", None)
    return env


def workspace(tmp: Path) -> Path:
    """A new working folder with a copy of scenarios/, as a reader's clone has it."""
    work = tmp / "work"
    shutil.copytree(REPO / "scenarios", work / "scenarios", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp / "home").mkdir()
    return work


def run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, encoding="utf-8", timeout=HANG_GUARD)


def check(s: Shown, proc: subprocess.CompletedProcess) -> list[str]:
    """What is wrong with one command's run, as lines of the failure report (empty: as the doc shows)."""
    problems = []
    if proc.returncode != s.exit_code:
        problems.append(f"exit code {proc.returncode}, the doc shows {s.exit_code}")
    if s.is_help:
        real = [line.rstrip() for line in proc.stdout.rstrip("\n").splitlines()]
        if real != s.output:
            problems.append("the --help listing differs from what the command prints now")
    else:
        problems += [f"not printed: {line!r}" for line in missing_lines(s.output, proc.stdout)]
    if problems:
        problems.append("it printed:\n" + "\n".join(f"    | {line}" for line in proc.stdout.splitlines()))
    return problems


def run_document(doc: str, tmp: Path) -> list[str]:
    """Run a document's commands in order; return the failure report (empty when all are as shown)."""
    work, env, report = workspace(tmp), environment(tmp / "home"), []
    for s in commands(doc):
        if (doc, s.command) in NOT_RUN:
            continue
        problems = check(s, run(s.command, work, env))
        if problems:
            report.append(f"{doc}:{s.line}: $ {s.command}\n  " + "\n  ".join(problems))
    return report


# --------------------------------------------------------------------------- the tests
@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCUMENTS)
def test_every_command_in_the_doc_runs_as_shown(doc: str, tmp_path: Path) -> None:
    shown = commands(doc)
    assert shown, f"{doc} shows no commands: has its format changed?"
    report = run_document(doc, tmp_path)
    assert not report, "\n\n".join(report)


def test_every_help_listing_in_the_docs_is_what_the_cli_prints(tmp_path: Path) -> None:
    """``allocator ... --help`` listings in every docs/*.md (and the guides) equal the real ones."""
    others = [p for p in sorted((REPO / "docs").glob("*.md")) if p.name != "cli.md"]
    shown = [s for p in others for s in transcript_commands(str(p.relative_to(REPO)), p.read_text("utf-8"))
             if s.is_help]
    shown += [s for doc in DOCUMENTS for s in commands(doc) if s.is_help]
    assert any(s.command == "allocator --help" for s in shown)
    env, report = environment(tmp_path), []
    for s in shown:
        problems = check(s, run(s.command, tmp_path, env))
        if problems:
            report.append(f"{s.doc}:{s.line}: $ {s.command}\n  " + "\n  ".join(problems))
    assert not report, "\n\n".join(report)


def test_not_run_lists_only_commands_the_docs_show() -> None:
    """An exclusion whose command is no longer in its doc must go (or be updated with the doc)."""
    for doc, command in NOT_RUN:
        assert command in [s.command for s in commands(doc)], (doc, command)


# --------------------------------------------------------------------------- the reader itself
def test_transcripts_are_read_with_their_output_and_exit_code() -> None:
    text = ("```text\n$ allocator validate typo\nallocator: error\n  * one\n[exit code 2]\n\n"
            "$ ls out\nplan\n```\n\n```sh\nallocator solve x --out y   # a comment\n```\n")
    first, second = transcript_commands("d.md", text)
    assert (first.command, first.output, first.exit_code, first.line) == (
        "allocator validate typo", ["allocator: error", "  * one"], 2, 2)
    assert (second.command, second.output, second.exit_code) == ("ls out", ["plan"], 0)
    assert [s.command for s in readme_commands("README.md", text)] == ["allocator solve x --out y   # a comment"]


def test_doc_lines_must_appear_in_order_after_masking() -> None:
    real = ("Scenario: X   status: optimal   solver: highs 1.16.0   build 0.01s, solve 0.06s\n"
            "Total cost: £3\nWrote r.html (398 KB; opens offline).\n")
    assert missing_lines(["Scenario: X   status: optimal   solver: highs 1.15.2   build 0.00s, solve 1.20s",
                          "…", "Wrote r.html (12 KB; opens offline)."], real) == []
    assert missing_lines(["Total cost: …", "Scenario: X…"], real) == ["Scenario: X…"]   # order counts
    assert missing_lines(["Total cost: £4"], real) == ["Total cost: £4"]                # figures are not masked


# --------------------------------------------------------------------------- what cli.md says a plan holds
def documented(heading: str, doc: str = "docs/cli.md") -> set[str]:
    """The names in the first column of the first table after ``heading`` (several per cell: `a`, `b`)."""
    text = (REPO / doc).read_text(encoding="utf-8")
    lines = text[text.index(heading):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    table = lines[start + 2:end]                               # without the header and the |---| line
    return {name for row in table for name in re.findall(r"`([^`]+)`", row.split("|")[1])}


def test_cli_md_lists_every_column_and_key_a_plan_has(tmp_path: Path) -> None:
    """cli.md's tables of allocations.csv, trajectory.csv, summary.json and timings.json name exactly
    what `solve` writes (issue 11, D20: `limited_by`, `shadow_price`, `solver_start` were missing)."""
    import json

    import pandas as pd

    from allocator import load_scenario, solve

    out = tmp_path / "plan"
    solve(load_scenario(REPO / "scenarios" / "uk-2025" / "central.yaml")).write(out)   # has funding
    place = tmp_path / "place"                    # hotels by area, protection and a pressure basis
    solve(load_scenario(REPO / "scenarios" / "example").with_policy(pressure_basis="supported")).write(place)
    for name in ("allocations.csv", "trajectory.csv"):
        columns = {c for folder in (out, place) for c in pd.read_csv(folder / name, nrows=1).columns}
        assert documented(f"**`{name}`**") == columns
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary.update(json.loads((place / "summary.json").read_text(encoding="utf-8")))
    only_sometimes = {"incumbent", "status_quo_cost", "baseline",   # time_limit plans; --status-quo; --baseline;
                      "new_sites_while_hotel_places_empty"}  # new sites beside empty hotel places (test_new_sites)
    assert documented("**`summary.json`**") == set(summary) | only_sometimes
    timings = json.loads((out / "timings.json").read_text(encoding="utf-8"))
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    paragraph = text[text.index("**`timings.json`**"):].split("\n\n")[0]
    assert set(re.findall(r"`(\w+_seconds)`", paragraph)) == set(timings)

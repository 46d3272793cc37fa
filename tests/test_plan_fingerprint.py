"""The national plans and the benchmark plans are byte-identical to the committed fingerprint
(issue 12: a refactoring changes no plan). How the fingerprint is made, and how to rewrite it when a
change is MEANT to alter plans: tests/plan_fingerprint.py."""

from __future__ import annotations

import json

from tests.plan_fingerprint import FINGERPRINTS, fingerprints

REWRITE = ("if this change is MEANT to alter plans, rewrite the fingerprint deliberately with "
           "`.venv/bin/python -m tests.plan_fingerprint --write`, check `git diff tests/plan_fingerprints.json` "
           "and say why in the commit message")


def test_plans_are_byte_identical_to_the_committed_fingerprint() -> None:
    committed = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))
    found = fingerprints()
    assert sorted(found) == sorted(committed), (
        f"the fingerprinted scenarios changed: {sorted(set(found) ^ set(committed))}; {REWRITE}")
    moved = [f"{name}: {file}" for name in sorted(found)
             for file in sorted(set(_files(found[name])) | set(_files(committed[name])))
             if _files(found[name]).get(file) != _files(committed[name]).get(file)]
    assert not moved, "these plan files are no longer byte-identical:\n  " + "\n  ".join(moved) + f"\n{REWRITE}"


def _files(entry: dict | str) -> dict:
    return entry if isinstance(entry, dict) else {"(status)": entry}

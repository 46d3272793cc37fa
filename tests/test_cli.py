"""The command line, through click's CliRunner and as a real subprocess.

Exit codes (allocator.errors.EXIT_CODES): 0 success, 2 bad scenario, 3 infeasible, 4 time limit
with no plan better than "nobody newly placed", 5 verification failed (test_verifier.py), 8 a plan
written but not proven optimal, 1 unexpected.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from allocator import read_plan
from allocator.cli import cli
from tests.conftest import BAD_INPUTS, EXAMPLE, PLAN_CSVS, UK_CENTRAL, BadInput, area, config, write_scenario
from tests.stops import CLI_STOPPED_AFTER_AREA_PLANS, CLI_STOPPED_AT_ONCE, stop_after_area_plans, stop_at_once

PLAN_FILES = (*PLAN_CSVS, "summary.json")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def run_process(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "allocator.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def infeasible_scenario(folder: Path) -> Path:
    """Capacity 100, need 300 in 2026: at least 200 in hotels, but the ceiling is 50."""
    cfg = config([2026], [300], policy={"contingency_ceiling": {2026: 50}})
    return write_scenario(folder, cfg, [area("A", capacity=100)])


# --------------------------------------------------------------------------- help
@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_examples(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Examples" in result.output
    assert f"allocator {command}" in result.output


def test_top_level_help_lists_the_commands_as_a_subprocess() -> None:
    proc = run_process("--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("validate", "solve", "compare", "export"):
        assert command in proc.stdout
    proc = run_process("solve", "--help")
    assert proc.returncode == 0 and "Examples" in proc.stdout


# --------------------------------------------------------------------------- validate
def test_validate_ok() -> None:
    result = run("validate", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")
    assert "12 areas in 2 regions" in result.output
    proc = run_process("validate", EXAMPLE)
    assert proc.returncode == 0 and proc.stdout.startswith("OK: ") and proc.stderr == ""


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.id)
def test_bad_input_exits_2_with_the_location(tmp_path: Path, bad: BadInput) -> None:
    path = bad.build(tmp_path / "scenario")
    for command in (["validate", path], ["solve", path, "--out", tmp_path / "out"]):
        result = run(*command)
        assert result.exit_code == 2, (command[0], result.output)
        for part in (*bad.where, bad.what):
            assert part in result.stderr, (command[0], part, result.stderr)
        assert "Traceback" not in result.output
        assert result.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.id)
def test_bad_input_exits_2_as_a_subprocess(tmp_path: Path, bad: BadInput) -> None:
    path = bad.build(tmp_path / "scenario")
    proc = run_process("validate", path)
    assert proc.returncode == 2, proc.stderr
    for part in (*bad.where, bad.what):
        assert part in proc.stderr, (part, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""


# --------------------------------------------------------------------------- solve
def test_solve_writes_the_plan_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("solve", EXAMPLE, "--out", out)
    assert result.exit_code == 0, result.output
    assert set(PLAN_FILES) <= {p.name for p in out.iterdir()}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left behind"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["verified"] is True
    assert str(out) in result.output
    # --help lists every file written (trial (c): it named four, leaving out start.csv and timings.json)
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    listed = re.search(r"--out DIRECTORY\s+Folder to write the plan into:(.*?)\(and plan\.xlsx",
                       " ".join(run("solve", "--help").output.split()))
    assert listed and sorted(f.strip() for f in listed.group(1).split(",")) == written


def test_solve_as_a_subprocess(tmp_path: Path) -> None:
    proc = run_process("solve", EXAMPLE, "--out", "plan", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert set(PLAN_FILES) <= {p.name for p in (tmp_path / "plan").iterdir()}
    plan = read_plan(tmp_path / "plan")
    assert len(plan.allocations) == 12 * 5
    assert "Traceback" not in proc.stderr


def test_solve_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    before = snapshot(out)
    result = run("solve", EXAMPLE, "--out", out)
    assert result.exit_code != 0
    assert "not empty" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(out) == before

    proc = run_process("solve", EXAMPLE, "--out", out)
    assert proc.returncode != 0 and "not empty" in proc.stderr
    assert snapshot(out) == before

    # --force replaces only a folder allocator wrote: never one holding someone's notes (issue 11)
    result = run("solve", EXAMPLE, "--out", out, "--force")
    assert result.exit_code == 7 and "was not written by allocator" in result.stderr
    assert snapshot(out) == before

    (out / "notes.txt").unlink()
    assert run("solve", EXAMPLE, "--out", out).exit_code == 0       # empty: no --force needed
    (out / "allocations.csv").write_text("old")
    result = run("solve", EXAMPLE, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert set(PLAN_FILES) <= {p.name for p in out.iterdir()}
    assert (out / "allocations.csv").read_text() != "old"


def test_infeasible_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    """Need 300, capacity 100: at least 200 in hotels against a ceiling of 50 → 150 short in 2026."""
    path = infeasible_scenario(tmp_path / "scenario")
    out = tmp_path / "out"
    result = run("solve", path, "--out", out)
    assert result.exit_code == 3
    assert "contingency_ceiling 2026" in result.stderr and "150 more dispersal places" in result.stderr
    assert not out.exists()

    # with --force over an existing plan: the old plan stays as it was
    assert run("solve", EXAMPLE, "--out", out).exit_code == 0
    before = snapshot(out)
    proc = run_process("solve", path, "--out", out, "--force")
    assert proc.returncode == 3
    assert "contingency_ceiling 2026" in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def run_stopped(code: str, *args: str | Path) -> subprocess.CompletedProcess:
    """``allocator ARGS`` in a subprocess whose solver stops as :mod:`tests.stops` ``code`` says."""
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_the_issues_time_limit_command_exits_4_and_writes_nothing(tmp_path: Path) -> None:
    """Issue 11 A5 as filed: exit 0, silent under -q, with the "nobody newly placed" plan written.
    (No solver finishes the national model in a microsecond, on any machine.)"""
    out = tmp_path / "out"
    proc = run_process("solve", UK_CENTRAL, "--out", out, "--time-limit", "0.000001", "-q")
    assert proc.returncode == 4, proc.stderr
    assert proc.stdout == "" and proc.stderr.startswith("allocator: time limit: ")
    assert not out.exists()


@pytest.mark.parametrize("quiet", [False, True])
def test_time_limit_leaving_only_nobody_newly_placed_exits_4_and_writes_nothing(tmp_path: Path, quiet: bool) -> None:
    """Issue 11 A5: the "nobody newly placed" plan was written with exit 0 (silent under -q)."""
    out = tmp_path / "out"
    proc = run_stopped(CLI_STOPPED_AT_ONCE, "solve", UK_CENTRAL, "--out", out, "--time-limit", "60",
                       *(["-q"] if quiet else []))
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.startswith("allocator: time limit: ") and "--write-incomplete" in proc.stderr
    assert "nobody new" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not out.exists()


def test_write_incomplete_writes_nobody_newly_placed_and_still_exits_4(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_stopped(CLI_STOPPED_AT_ONCE, "solve", UK_CENTRAL, "--out", out, "--time-limit", "60",
                       "--write-incomplete", "-q")
    assert proc.returncode == 4, proc.stderr
    assert proc.stdout == "" and f"was written to {out}" in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "time_limit" and summary["incumbent"] == "nobody_new"
    assert summary["gap"] > 0.5


def test_price_start_incumbent_with_a_void_share_passes_the_verifier(tmp_path: Path) -> None:
    """With a void share and progressive equity (the national central scenario), the price-guided start's
    area plans, repaired, are charged only the empty places their stock needs: exit 8, not 5 (issue 14)."""
    proc = run_stopped(CLI_STOPPED_AFTER_AREA_PLANS, "solve", UK_CENTRAL, "--out", tmp_path / "out", "--start",
                       "prices", "--time-limit", "60", "-q")
    assert proc.returncode == 8, proc.stderr


@pytest.mark.parametrize("quiet", [False, True])
def test_a_plan_not_proven_optimal_is_written_and_exits_8(tmp_path: Path, quiet: bool) -> None:
    """The limit falls after the price-guided start's area plans: they are written, with exit 8 and
    an error-level message on stderr even under -q."""
    out = tmp_path / "out"
    proc = run_stopped(CLI_STOPPED_AFTER_AREA_PLANS, "solve", UK_CENTRAL, "--out", out, "--start", "prices",
                       "--time-limit", "60", *(["-q"] if quiet else []))
    assert proc.returncode == 8, proc.stderr
    assert proc.stderr.startswith("allocator: not proven optimal: ") and "Traceback" not in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "time_limit" and summary["incumbent"] == "price_start"
    assert f"{summary['gap']:.2%}" in proc.stderr
    if quiet:
        assert proc.stdout == ""
    else:
        assert "status: time_limit" in proc.stdout


def test_not_proven_optimal_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stop_after_area_plans(monkeypatch)
    result = run("solve", UK_CENTRAL, "--out", tmp_path / "out", "--start", "prices", "-q")
    assert result.exit_code == 8, result.output
    assert (tmp_path / "out" / "summary.json").exists()
    stop_at_once(monkeypatch)
    result = run("solve", UK_CENTRAL, "--out", tmp_path / "out2", "--time-limit", "5")
    assert result.exit_code == 4, result.output
    assert not (tmp_path / "out2").exists()


def test_time_limit_must_be_positive(tmp_path: Path) -> None:
    result = run("solve", EXAMPLE, "--out", tmp_path / "out", "--time-limit", "0")
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- compare and export
def test_compare_prints_the_trajectory_and_the_areas(tmp_path: Path) -> None:
    """Two plans of the example: the bundled one and one with cluster_limit 250 (tighter caps).
    The comparison names both plans, the trajectory measures, and the area that differs most."""
    a, b = tmp_path / "limit200", tmp_path / "limit250"
    varied = tmp_path / "varied"
    varied.mkdir()
    text = (EXAMPLE / "scenario.yaml").read_text().replace("cluster_limit: 200", "cluster_limit: 250")
    (varied / "scenario.yaml").write_text(text)
    (varied / "areas.csv").write_bytes((EXAMPLE / "areas.csv").read_bytes())
    assert run("solve", EXAMPLE, "--out", a).exit_code == 0
    assert run("solve", varied, "--out", b).exit_code == 0

    def totals(folder: Path) -> pd.DataFrame:
        return read_plan(folder).allocations.groupby(["area_code", "year"])["stock"].sum()

    diff = (totals(b) - totals(a)).abs().groupby("area_code").sum()
    assert diff.max() > 0
    most = diff.idxmax()

    result = run("compare", a, b)
    assert result.exit_code == 0, result.output
    for part in ("Trajectory", "In contingency", "limit200", "limit250", most):
        assert part in result.output, part
    proc = run_process("compare", a, b)
    assert proc.returncode == 0 and most in proc.stdout and "Trajectory" in proc.stdout


def test_compare_needs_two_plans(tmp_path: Path) -> None:
    result = run("compare", EXAMPLE)
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_export_writes_the_model(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"model{suffix}"
    result = run("export", EXAMPLE, target)
    assert result.exit_code == 0, result.output
    text = target.read_text()
    if suffix == ".mps":
        assert "ROWS" in text and "COLUMNS" in text and "RHS" in text
    else:
        assert "min" in text.lower() and "st" in text.lower()
    assert "national_balance_0" in text and "stock_0" in text


def test_export_refuses_other_suffixes(tmp_path: Path) -> None:
    result = run("export", EXAMPLE, tmp_path / "model.txt")
    assert result.exit_code == 2 and ".mps or .lp" in result.stderr
    assert not (tmp_path / "model.txt").exists()


def test_two_processes_write_identical_plans(tmp_path: Path) -> None:
    """Separate processes with different hash seeds write byte-identical CSVs (summary: all but timings)."""
    from tests.conftest import plan_bytes, summary_without_timings

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"plan{seed}"
        proc = subprocess.run([sys.executable, "-m", "allocator.cli", "solve", str(EXAMPLE), "--out", str(out), "-q"],
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONWARNINGS": "ignore"})
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    assert plan_bytes(outs[0]) == plan_bytes(outs[1])
    assert summary_without_timings(outs[0] / "summary.json") == summary_without_timings(outs[1] / "summary.json")


def test_solve_names_the_basis_of_its_regional_rates(tmp_path: Path) -> None:
    """Trial 6 N3: on the supported basis `solve` gave the regional rates of dispersal alone, unlabelled, beside a
    report ranking regions on the basis (North West highest now on it, North East in dispersal). The dispersal
    rates are labelled, and the line on the pressure basis gives its own, from regions.csv (basis_total /
    population), now and at the end."""
    out = tmp_path / "plan"
    result = run("solve", EXAMPLE, "--set", "policy.pressure_basis=supported", "--out", out)
    assert result.exit_code == 0, result.output
    regions = pd.read_csv(out / "regions.csv")
    regions["rate"] = regions["basis_total"] / regions["population"] * 1e4

    def extremes(rows: pd.DataFrame) -> str:
        rate = rows.set_index("region")["rate"]
        return f"highest {rate.idxmax()} {rate.max():.1f}, lowest {rate.idxmin()} {rate.min():.1f}"

    last = int(regions["year"].max())
    now, end = regions[regions["position"] == "start"], regions[(regions["year"] == last) & (regions["position"] != "start")]
    assert f"; regional rates now {extremes(now)}; by {last} {extremes(end)}." in result.output
    assert "Regional rates per 10,000 residents (dispersal only): highest" in result.output
    assert "Regional rates (dispersal only): highest" in result.output

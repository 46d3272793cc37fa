"""Heavy optional features are extras (issue 12 item 7): pyproject.toml declares what the code imports,
and a feature whose extra is missing stops with one message naming it (exit 6), never a traceback.
A missing package is simulated by ``sys.modules[name] = None`` (then ``import name`` fails as if it
were not installed)."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator import load_scenario
from allocator.cli import cli
from allocator.errors import EXIT_SOLVER, MissingExtraError
from allocator.extras import EXTRAS, needs_extra
from allocator.sweep import grid_points, parse_set, run_sweep
from tests.conftest import EXAMPLE, REPO
from tests.test_structure import all_imports, modules

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
OPTIONAL = PYPROJECT["project"]["optional-dependencies"]


def _names(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings (``dask[distributed]>=2024.1`` -> ``dask``), normalised."""
    out = set()
    for req in requirements:
        name = req.split(";")[0].split("[")[0]
        for sep in "<>=!~ ":
            name = name.split(sep)[0]
        out.add(name.strip().lower().replace("_", "-"))
    return out


def _distribution(module: str) -> set[str]:
    top = module.split(".")[0]
    return {d.lower().replace("_", "-") for d in metadata.packages_distributions().get(top, [top])}


def without(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` (and its submodules) fail as if the package were not installed."""
    for loaded in [m for m in sys.modules if m.split(".")[0] in names]:
        monkeypatch.delitem(sys.modules, loaded)
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


# --------------------------------------------------------------------------- pyproject.toml matches the code
def test_every_package_imported_at_the_top_of_a_module_is_a_core_dependency() -> None:
    """`pip install allocator` brings everything a module imports when it is loaded (ortools: in the child)."""
    core = _names(PYPROJECT["project"]["dependencies"])
    stdlib = set(sys.stdlib_module_names)
    missing = {}
    for imp in all_imports():
        top = imp.target.split(".")[0]
        if imp.function is None and top not in stdlib and top != "allocator" and top != "__future__":
            if not _distribution(top) & core:
                missing[imp.target] = imp.module
    assert not missing, f"imported at module level but not in [project] dependencies: {missing}"


def test_the_extras_are_the_ones_the_code_names() -> None:
    """allocator.extras.EXTRAS and pyproject's optional dependencies name the same extras and packages;
    `all` is every one of them; no core dependency is also an extra."""
    for extra, import_names in EXTRAS.items():
        wanted = set().union(*(_distribution(m) for m in import_names))
        # "dask[distributed]" installs both dask and distributed
        assert wanted <= _names(OPTIONAL[extra]) | {"distributed"} and _names(OPTIONAL[extra]) <= wanted, extra
    assert _names(OPTIONAL["all"]) == set().union(*(_names(OPTIONAL[e]) for e in EXTRAS))
    assert not _names(PYPROJECT["project"]["dependencies"]) & _names(OPTIONAL["all"])


def test_every_lazy_import_of_an_extra_package_names_its_extra() -> None:
    """Each import of an extra's package sits inside ``with needs_extra(<that extra>, ...)``."""
    owner = {name: extra for extra, names in EXTRAS.items() for name in names}
    unguarded = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.With) and any(
                    isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "id", "") == "needs_extra"
                    for i in node.items):
                extra = node.items[0].context_expr.args[0].value
                guarded |= {id(n) for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))
                            and owner.get(_top(n)) == extra}
        unguarded += [f"{name}:{n.lineno}" for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                      and _top(n) in owner and id(n) not in guarded]
    assert not unguarded, f"an extra's package imported outside needs_extra(<its extra>): {unguarded}"


def _top(node: ast.Import | ast.ImportFrom) -> str:
    return (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name).split(".")[0]


# --------------------------------------------------------------------------- a missing extra
def test_plan_xlsx_without_openpyxl_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without(monkeypatch, "openpyxl")
    out = tmp_path / "plan"
    result = CliRunner().invoke(cli, ["solve", str(EXAMPLE), "--out", str(out), "--format", "xlsx"])
    assert result.exit_code == EXIT_SOLVER == 6, result.output
    assert result.output.strip().splitlines() == [
        "allocator: missing package: --format xlsx needs the optional package 'openpyxl', which is not installed; "
        "install it with: pip install 'allocator[excel]'"]
    assert not out.exists()                               # checked before solving: nothing written


def test_an_xlsx_areas_sheet_without_openpyxl_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    import openpyxl

    folder = tmp_path / "scenario"
    folder.mkdir()
    sheet = load_scenario(EXAMPLE).areas
    wb = openpyxl.Workbook()
    wb.active.append(list(sheet.columns))
    for row in sheet.itertuples(index=False):
        wb.active.append(["" if v != v else v for v in row])
    wb.save(folder / "areas.xlsx")
    text = (EXAMPLE / "scenario.yaml").read_text(encoding="utf-8").replace("areas: areas.csv", "areas: areas.xlsx")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    assert CliRunner().invoke(cli, ["validate", str(folder)]).exit_code == 0
    without(monkeypatch, "openpyxl")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 6 and "pip install 'allocator[excel]'" in result.output
    assert "Traceback" not in result.output


def test_a_dask_sweep_without_distributed_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without(monkeypatch, "distributed", "dask")
    out = tmp_path / "sweep"
    result = CliRunner().invoke(cli, ["sweep", str(EXAMPLE), "--set", "policy.cluster_limit=150,200",
                                      "--scheduler", "local", "--out", str(out), "-q"])
    assert result.exit_code == 6, result.output
    assert "pip install 'allocator[distributed]'" in result.output and "Traceback" not in result.output
    assert not out.exists()                               # before any point is solved
    with pytest.raises(MissingExtraError, match="allocator\\[distributed\\]"):
        run_sweep(load_scenario(EXAMPLE), grid_points([parse_set("policy.cluster_limit=150")]), tmp_path / "s2",
                  scheduler="local", progress=False)


def test_needs_extra_leaves_other_import_errors_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a missing package of the named extra becomes MissingExtraError: a bug stays a bug."""
    without(monkeypatch, "nonesuch_package")
    with pytest.raises(ModuleNotFoundError):
        with needs_extra("excel", "a test"):
            import nonesuch_package  # noqa: F401
    without(monkeypatch, "openpyxl")
    with pytest.raises(MissingExtraError, match=r"a test needs .*'openpyxl'.*pip install 'allocator\[excel\]'"):
        with needs_extra("excel", "a test"):
            import openpyxl  # noqa: F401

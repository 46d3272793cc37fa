"""The shape of the code (issue 12 items 6 and "what done means"): no import circle among allocator's
modules, no import hidden inside a function (but the optional heavy ones listed below, each with
its reason), ortools only in the GLOP child interpreter, no module over 600 lines and no function
over 80 (but those listed below, each with its reason). Everything is read from the source with
``ast``: nothing is imported."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

SRC = REPO / "src"
PACKAGE = SRC / "allocator"

#: Imports that may stay inside a function, each with its reason. Every other import is at the top
#: of its module, where it is seen: a reader (and this test) knows what a module needs.
LAZY_IMPORTS: dict[str, str] = {
    "matplotlib": "figures only (frontier.png, fan charts); 0.4 s to import",
    "openpyxl": "optional extra allocator[excel] (plan.xlsx, areas in an .xlsx sheet): imported inside "
                "allocator.extras.needs_extra, which names the extra when it is missing",
    "distributed": "optional extra allocator[distributed] (sweep --scheduler), imported inside needs_extra",
    "scipy.stats": "only `sweep --lhs` needs it, and it takes 0.6-1 s to import (more than the rest of the "
                   "command line together): every allocator command would pay that at start-up",
}

#: The GLOP child interpreter's script (run by its path, never imported): the only place ortools is imported.
ORTOOLS_CHILD = "allocator.solvers._glop_child"

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: Functions allowed over MAX_FUNCTION_LINES (counted from ``def`` to the last line; decorators not counted).
LONG_FUNCTIONS: dict[str, str] = {}


@dataclass(frozen=True)
class Import:
    module: str          # the importing module
    line: int
    target: str          # what is imported: a module, or the module a name comes from
    function: str | None  # the enclosing function, None at module level


def modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (getattr(test, "id", None) == "TYPE_CHECKING"
                                         or getattr(test, "attr", None) == "TYPE_CHECKING")


def imports(name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    """Every import in a module, resolved to allocator modules where it names one
    (``from allocator.x import y`` is the module ``allocator.x.y`` when there is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):            # annotations only: never imported at run time
                continue
            if isinstance(child, ast.Import):
                found.extend(Import(name, child.lineno, a.name, function) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:                  # relative: from the package of this module
                    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}".rstrip(".")
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    found.append(Import(name, child.lineno, full if full in known else base, function))
            else:
                inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
                visit(child, inner if not isinstance(child, ast.Lambda) else function or "<lambda>")

    visit(tree, None)
    return found


def all_imports() -> list[Import]:
    known = modules()
    return [imp for name, path in known.items() for imp in imports(name, path, known)]


def _allocator_module(target: str, known: dict[str, Path]) -> str | None:
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def import_edges() -> dict[str, set[str]]:
    """Module-level imports between allocator modules (importing a module runs them)."""
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    for imp in all_imports():
        target = _allocator_module(imp.target, known) if imp.target.startswith("allocator") else None
        if imp.function is None and target is not None and target != imp.module:
            edges[imp.module].add(target)
    return edges


def test_no_import_circle() -> None:
    found = cycles(import_edges())
    assert not found, "import circles among allocator modules (each line: the modules of one circle):\n  " + \
        "\n  ".join(" <-> ".join(c) for c in found)


def test_the_cycle_finder_finds_a_circle() -> None:
    """The check above can fail: a circle of three (and one of a package and its module) is found."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"p": {"p.m"}, "p.m": {"p"}}) == [["p", "p.m"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_inside_a_function_but_the_listed_optional_ones() -> None:
    hidden = [imp for imp in all_imports() if imp.function is not None and imp.module != ORTOOLS_CHILD
              and not any(imp.target == lazy or imp.target.startswith(lazy + ".") for lazy in LAZY_IMPORTS)]
    assert not hidden, ("imports inside functions (move them to the top of the module, or add an optional heavy "
                        "package to LAZY_IMPORTS with its reason):\n  " +
                        "\n  ".join(f"{i.module}:{i.line} imports {i.target} inside {i.function}()" for i in hidden))


def test_each_lazy_import_is_still_used() -> None:
    """The allow-list holds no stale entry: each package in it is imported lazily somewhere."""
    lazy = {lazy for imp in all_imports() if imp.function is not None
            for lazy in LAZY_IMPORTS if imp.target == lazy or imp.target.startswith(lazy + ".")}
    assert lazy == set(LAZY_IMPORTS), f"not imported lazily anywhere any more: {sorted(set(LAZY_IMPORTS) - lazy)}"


def test_ortools_only_in_the_child_interpreter() -> None:
    """OR-Tools and highspy bundle clashing HiGHS builds: ortools is imported only by the GLOP child's
    script, which imports nothing of allocator (so highspy is never loaded beside it), and no module
    imports that script."""
    found = all_imports()
    ortools = {i.module for i in found if i.target == "ortools" or i.target.startswith("ortools.")}
    assert ortools == {ORTOOLS_CHILD}
    assert not [i for i in found if i.module == ORTOOLS_CHILD and i.target.startswith(("allocator", "highspy"))]
    assert not [i for i in found if i.target == ORTOOLS_CHILD]


def test_the_cli_command_modules_do_not_import_each_other() -> None:
    commands = {name for name in modules()
                if name.startswith("allocator.cli.") and name not in ("allocator.cli.common", "allocator.cli.__main__")}
    crossing = [f"{i.module}:{i.line} imports {i.target}" for i in all_imports()
                if i.module in commands and i.target.startswith("allocator.cli")
                and i.target != "allocator.cli.common"]
    assert not crossing, crossing


def _length(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1


def test_no_module_over_600_lines() -> None:
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by responsibility): {long}"


def test_no_function_over_80_lines_but_the_listed_ones() -> None:
    long = {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _length(node) > MAX_FUNCTION_LINES:
                long[f"{name}.{node.name}"] = _length(node)
    unexplained = {k: v for k, v in long.items() if k not in LONG_FUNCTIONS}
    assert not unexplained, (f"functions over {MAX_FUNCTION_LINES} lines (split them, or list one in "
                             f"LONG_FUNCTIONS with the reason): {unexplained}")
    stale = sorted(set(LONG_FUNCTIONS) - set(long))
    assert not stale, f"listed in LONG_FUNCTIONS but no longer over {MAX_FUNCTION_LINES} lines: {stale}"


@pytest.mark.parametrize("source, hidden", [
    ("def f():\n    import numpy\n", ["numpy"]),
    ("def f():\n    from allocator.api import solve\n", ["allocator.api"]),
    ("def f():\n    import matplotlib.pyplot\n", []),
    ("import numpy\nif TYPE_CHECKING:\n    from allocator.api import x\n", []),
    ("class C:\n    def m(self):\n        from rich.table import Table\n", ["rich.table"]),
])
def test_hidden_imports_are_found(tmp_path: Path, source: str, hidden: list[str]) -> None:
    """The function-level check sees an import however deep it is, and only there."""
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    found = [i.target for i in imports("allocator.m", path, {"allocator.api": path})
             if i.function is not None and not any(i.target.startswith(lazy) for lazy in LAZY_IMPORTS)]
    assert found == hidden

"""The package's layout, checked from the source: no import cycle, no oversized module, a short top level.

The import graph is built with :mod:`ast` from every module of ``liushou_core``, with the imports at module
level and inside functions alike (an import moved into a function to dodge a cycle is still a cycle), and
those under ``if TYPE_CHECKING:`` too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import liushou_core

PACKAGE_DIR = Path(liushou_core.__file__).parent
MAX_LINES = 650
MAX_TOP_LEVEL = 15


def modules(package_dir: Path, package: str) -> dict[str, Path]:
    """Every module of the package: dotted name → file (a package is its ``__init__.py``)."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join([package, *parts])] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The module of ``known`` that ``name`` (a module, or a name inside one) belongs to."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(package_dir: Path, package: str) -> dict[str, set[str]]:
    """Module → the package's modules it imports anywhere in its source (not its own parent packages)."""
    known = modules(package_dir, package)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from pkg import sub`` imports the submodule ``pkg.sub``
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                if target.split(".")[0] != package:
                    continue
                module = _resolve(target, known)
                if module and module != name and not name.startswith(module + "."):
                    edges.add(module)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


GRAPH = import_graph(PACKAGE_DIR, "liushou_core")
MODULES = modules(PACKAGE_DIR, "liushou_core")


# ----- the checker itself ---------------------------------------------------------------------------------------


def test_the_checker_finds_a_cycle_hidden_in_a_function_and_a_relative_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.a import f\n", encoding="utf-8")
    (pkg / "a.py").write_text("from pkg.sub import b\n\ndef f():\n    return b\n", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("def g():\n    from ..c import h\n    return h\n", encoding="utf-8")
    (pkg / "c.py").write_text("def h():\n    import pkg.a\n    return pkg.a\n", encoding="utf-8")
    (pkg / "d.py").write_text("import os\nfrom pkg import c\n", encoding="utf-8")
    graph = import_graph(pkg, "pkg")
    assert graph["pkg"] == {"pkg.a"}
    assert graph["pkg.sub.b"] == {"pkg.c"}
    assert graph["pkg.d"] == {"pkg.c"}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.sub.b", "pkg.c"})]
    assert cycles({**graph, "pkg.c": set()}) == []


# ----- the package ------------------------------------------------------------------------------------------------


def _described(found: list[frozenset[str]]) -> str:
    return "; ".join(" ↔ ".join(sorted(c)) for c in found)


def test_no_import_cycle() -> None:
    found = cycles(GRAPH)
    assert not found, f"import cycles: {_described(found)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_650_lines(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PACKAGE_DIR.parent)}: {lines} lines"


def test_at_most_15_modules_flat_at_the_top_of_the_package() -> None:
    top = sorted(p.stem for p in PACKAGE_DIR.glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_TOP_LEVEL, f"{len(top)} modules at the top: {', '.join(top)}"

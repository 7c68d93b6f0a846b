"""Read a package's imports from its source (``ast``), without importing anything."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module that contains the statement
    target: str  # dotted module imported (``from a import b`` gives ``a.b`` when b is a module)
    line: int
    where: str  # "module", "function" (lazy) or "type-checking"
    function: str | None  # the enclosing top-level function, for lazy imports


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(path: Path, root: Path, known: set[str]) -> Iterator[Import]:
    """Every import in ``path``; ``known`` (all module names under ``root``) tells
    ``from pkg import mod`` apart from ``from mod import name``."""
    importer = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))

    def visit(node: ast.AST, where: str, function: str | None) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from visit_stmt(stmt, "type-checking", function)
                for stmt in child.orelse:
                    yield from visit_stmt(stmt, where, function)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from visit(child, "function", function or child.name)
            else:
                yield from visit_stmt(child, where, function)

    def visit_stmt(stmt: ast.AST, where: str, function: str | None) -> Iterator[Import]:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                yield Import(importer, alias.name, stmt.lineno, where, function)
        elif isinstance(stmt, ast.ImportFrom):
            base = _resolve(importer, is_package, stmt)
            for alias in stmt.names:
                sub = f"{base}.{alias.name}"
                target = sub if sub in known else base
                yield Import(importer, target, stmt.lineno, where, function)
        else:
            yield from visit(stmt, where, function)

    yield from visit(tree, "module", None)


def package_imports(root: Path, package: str) -> list[Import]:
    """All imports of the modules of ``package`` found under ``root`` (a source folder)."""
    files = sorted((root / package.replace(".", "/")).rglob("*.py"))
    top = root / package.split(".")[0]
    known = {module_name(f, root) for f in top.rglob("*.py")}
    return [imp for f in files for imp in imports_of(f, root, known)]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in the graph, as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := walk(start)) is not None:
            return found
    return None

"""Who imports whom in a package, read from the source with ``ast`` (nothing is imported).

Every import counts, also those inside functions (a Qt import hidden in a function still
breaks a headless server the moment it runs) and ``importlib.import_module("name")`` calls
with a literal name. The layer tests in ``tests/core/test_layers.py`` use this; its own tests
there plant violations in a throw-away package to show each check can fail.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (a dotted name, possibly outside the package)."""

    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted module name → file for every ``.py`` below ``package_dir`` (itself a package)."""
    root = package_dir.parent
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _absolute(module: str | None, level: int, importer: str, is_package: bool) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _literal_import_module(node: ast.Call) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _targets(node: ast.AST, importer: str, is_package: bool, known: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = _absolute(node.module, node.level, importer, is_package)
        # ``from pkg import name``: the submodule pkg.name when there is one, else pkg itself
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    if isinstance(node, ast.Call):
        literal = _literal_import_module(node)
        return [literal] if literal else []
    return []


def import_edges(package_dir: Path) -> list[Edge]:
    """Every import in every module below ``package_dir``, resolved to absolute names."""
    modules = module_names(package_dir)
    known = set(modules)
    edges = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            edges += [Edge(name, target, getattr(node, "lineno", 0))
                      for target in _targets(node, name, is_package, known) if target]
    return edges


def forbidden(edges: list[Edge], layer: str, banned: set[str]) -> list[str]:
    """Edges from modules in ``layer`` (a dotted prefix) to any name under one in ``banned``."""
    def under(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return [str(e) for e in edges
            if under(e.source, layer) and any(under(e.target, b) for b in banned)]


def cycles(edges: list[Edge], layer: str) -> list[list[str]]:
    """Groups of modules in ``layer`` that import each other, directly or round a loop
    (strongly connected components of two or more, or a module importing itself)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        if e.source.startswith(layer + ".") and e.target.startswith(layer + "."):
            graph.setdefault(e.source, set()).add(e.target)
            graph.setdefault(e.target, set())
    return [sorted(c) for c in _components(graph)
            if len(c) > 1 or next(iter(c)) in graph[next(iter(c))]]


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    found.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found

"""Every path into ultralytics goes through ``core.engine``, which makes it offline first."""

from __future__ import annotations

import ast
from pathlib import Path

import penguin_studio

PACKAGE = Path(penguin_studio.__file__).parent


def _imports_ultralytics(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] == "ultralytics" for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "ultralytics"
    return False


def test_no_module_imports_ultralytics_at_top_level() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{path.relative_to(PACKAGE)}:{n.lineno}" for n in tree.body
                      if _imports_ultralytics(n)]
    assert offenders == []


def test_modules_reaching_into_ultralytics_also_use_the_engine() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "engine.py":
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        if any(_imports_ultralytics(n) for n in ast.walk(tree)) and "engine" not in text:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []

"""Every path into ultralytics goes through ``core.engine``, which makes it offline first."""

from __future__ import annotations

import ast
from pathlib import Path

from import_graph import import_edges

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


def _reaching_without_engine(package: Path) -> list[str]:
    """Modules that import ultralytics (anywhere) but never import ``core.engine``: a word
    "engine" in a comment or string does not count, only an import of the module."""
    edges = import_edges(package)
    engine = f"{package.name}.core.engine"
    reaching = {e.source for e in edges if e.target.split(".")[0] == "ultralytics"}
    using = {e.source for e in edges if e.target == engine}
    return sorted(reaching - using - {engine})


def test_modules_reaching_into_ultralytics_also_use_the_engine() -> None:
    assert _reaching_without_engine(PACKAGE) == []


def test_a_planted_module_mentioning_the_engine_only_in_words_is_caught(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "core").mkdir(parents=True)
    for name in ("__init__.py", "core/__init__.py", "core/engine.py"):
        (package / name).write_text("", encoding="utf-8")
    (package / "core" / "sneaky.py").write_text(
        '"""Uses the engine, honestly."""\n\ndef f():\n    import ultralytics\n',
        encoding="utf-8")
    (package / "core" / "polite.py").write_text(
        "def f():\n    from pkg.core import engine\n    import ultralytics\n", encoding="utf-8")
    assert _reaching_without_engine(package) == ["pkg.core.sneaky"]

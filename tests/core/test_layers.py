"""The layers are a contract: core ← ui ← commands, read from every import in the source.

``core`` never imports ``ui``, ``commands``, Qt, pyqtgraph or superqt (it runs headless on a
GPU server and in the training child process); ``ui`` never imports ``commands`` (a command
is a front-end like the window, not a library); the modules of ``core`` import each other
without cycles (a cycle makes import order matter and hides a concept split in two). The
checks read the source with ``ast``, function-level imports included; the ``planted`` tests
below show each one fails on a violation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from import_graph import cycles, forbidden, import_edges

import penguin_studio

PACKAGE = Path(penguin_studio.__file__).parent
QT = {"PySide6", "shiboken6", "pyqtgraph", "superqt", "PyQt5", "PyQt6", "qtpy"}
CORE_MUST_NOT_IMPORT = {"penguin_studio.ui", "penguin_studio.commands", "penguin_studio.cli",
                        *QT}


@pytest.fixture(scope="module")
def edges():
    return import_edges(PACKAGE)


def test_core_imports_no_ui_commands_or_qt(edges) -> None:
    assert forbidden(edges, "penguin_studio.core", CORE_MUST_NOT_IMPORT) == []


def test_ui_imports_no_commands(edges) -> None:
    banned = {"penguin_studio.commands", "penguin_studio.cli"}
    assert forbidden(edges, "penguin_studio.ui", banned) == []


def test_core_modules_import_each_other_without_cycles(edges) -> None:
    assert cycles(edges, "penguin_studio.core") == []


def test_the_graph_sees_function_level_and_relative_imports(edges) -> None:
    """Guards the checker itself: if it stopped reading imports, every check would pass."""
    seen = {(e.source, e.target) for e in edges}
    assert ("penguin_studio.core.evaluation.validate", "penguin_studio.core.engine") in seen
    assert ("penguin_studio.ui.app", "PySide6.QtWidgets") in seen
    assert len(edges) > 500


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "pkg"
    for name, text in {"__init__.py": "", "core/__init__.py": "", "ui/__init__.py": "",
                       **files}.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    return package


def test_planted_qt_import_inside_a_core_function_is_caught(tmp_path: Path) -> None:
    package = _plant(tmp_path, {"core/a.py": "def f():\n    from PySide6 import QtGui\n",
                                "core/b.py": "import importlib\n"
                                             "importlib.import_module('superqt')\n"})
    found = forbidden(import_edges(package), "pkg.core", QT)
    assert found == ["pkg.core.a:2 imports PySide6", "pkg.core.b:2 imports superqt"]


def test_planted_relative_import_of_ui_from_core_is_caught(tmp_path: Path) -> None:
    package = _plant(tmp_path, {"core/a.py": "from ..ui import panel\n", "ui/panel.py": ""})
    assert forbidden(import_edges(package), "pkg.core", {"pkg.ui"}) == [
        "pkg.core.a:1 imports pkg.ui.panel"]


def test_planted_cycle_through_a_function_import_is_caught(tmp_path: Path) -> None:
    package = _plant(tmp_path, {"core/a.py": "from pkg.core import b\n",
                                "core/b.py": "def g():\n    from pkg.core.c import x\n",
                                "core/c.py": "from . import a\nx = 1\n"})
    assert cycles(import_edges(package), "pkg.core") == [["pkg.core.a", "pkg.core.b",
                                                         "pkg.core.c"]]

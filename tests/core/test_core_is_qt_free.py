"""The core must run where Qt is not installed (a GPU server, a training child process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import penguin_studio.core

BLOCKER = textwrap.dedent(
    """
    import importlib, importlib.abc, pkgutil, sys

    BLOCKED = {"PySide6", "shiboken6", "pyqtgraph", "superqt", "PyQt5", "PyQt6", "qtpy"}

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: core must not import Qt")
            return None

    sys.meta_path.insert(0, Block())
    import penguin_studio.core as core
    names = [m.name for m in pkgutil.walk_packages(core.__path__, "penguin_studio.core.")]
    for name in names:
        importlib.import_module(name)
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print(len(names))
    """
)


def test_every_core_module_imports_without_qt() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCKER], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) >= 5


def test_core_package_is_where_expected() -> None:
    assert penguin_studio.core.__file__.endswith("__init__.py")

"""The core must run where Qt is not installed (a GPU server, a training child process).

This imports every core module with Qt blocked (what runs at import time); the source-level
check of every import, function-level ones too, is ``test_layers.py``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from import_graph import module_names

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
    # every module below core was imported, not just the few a broken walk would find
    core_dir = Path(penguin_studio.core.__file__).parent
    submodules = [n for n in module_names(core_dir) if n != "core"]
    assert int(result.stdout.strip().splitlines()[-1]) == len(submodules)

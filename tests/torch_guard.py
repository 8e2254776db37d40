"""Make any torch call on the GUI thread fail loudly, for tests that exercise the panels.

Torch work on the GUI thread freezes the window and, measured, slows torch in the worker
threads of the same process afterwards: sliders and repaints must stay numpy-only.
A ``TorchFunctionMode`` is per thread, so pushing it on the GUI thread catches every torch
function and tensor method called there while worker threads run torch untouched; the few
entry points the mode does not see (``from_numpy``, thread settings, torchvision's NMS) are
wrapped as well.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import torch
import torchvision
from torch.overrides import TorchFunctionMode


class TorchOnGuiThread(AssertionError):
    """Raised when torch runs on the GUI (main) thread."""


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class _GuardMode(TorchFunctionMode):
    def __init__(self, calls: list[str]) -> None:
        super().__init__()
        self.calls = calls

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if _on_gui_thread():
            self.calls.append(str(getattr(func, "__name__", func)))
            raise TorchOnGuiThread(f"torch call on the GUI thread: {func}")
        return func(*args, **(kwargs or {}))


def _guarded(name: str, fn: Any, calls: list[str]) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _on_gui_thread():
            calls.append(name)
            raise TorchOnGuiThread(f"{name} called on the GUI thread")
        return fn(*args, **kwargs)

    return wrapper


ENTRY_POINTS = [
    (torch, "from_numpy"), (torch, "as_tensor"), (torch, "tensor"),
    (torch, "set_num_threads"), (torch, "get_num_threads"),
    (torchvision.ops, "nms"), (torchvision.ops, "batched_nms"),
    (torchvision.ops.boxes, "nms"), (torchvision.ops.boxes, "batched_nms"),
]


@contextlib.contextmanager
def torch_forbidden_on_gui_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Within the block, torch on the GUI thread raises; yields the list of offending calls."""
    calls: list[str] = []
    for module, name in ENTRY_POINTS:
        monkeypatch.setattr(module, name, _guarded(f"{module.__name__}.{name}",
                                                   getattr(module, name), calls))
    with _GuardMode(calls):
        yield calls

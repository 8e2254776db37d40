"""How many cores one Smart box click may use, and running a click with that many.

The user waits for a click while the window sits idle, so both cores of a 2-core laptop can
decode a SAM click: 64 ms instead of 102 ms (MobileSAM, load 1.5). When other processes
keep the cores busy, a second thread spins waiting for a core: the same click took 2-2.8 s
instead of 0.3 s at load 9. SAM's embedding keeps ultralytics' one thread. GrabCut runs
with one OpenCV thread always (see ``grabcut.GrabCutEngine.propose``), set for each click
because the count is otherwise whatever the process last chose: ultralytics turns OpenCV
threads off when it is imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

SPARE_LOAD = 0.25  # a click uses every core while the 1-minute load stays this far under

T = TypeVar("T")


def click_threads() -> int:
    """Threads for one click: all cores when the machine is otherwise idle, else one."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows): stay safe
        return 1
    return cores if cores > 1 and load < cores - SPARE_LOAD else 1


def with_torch_threads(threads: int, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` with torch using ``threads`` threads, the previous count restored."""
    import torch

    return _with_threads(torch.get_num_threads, torch.set_num_threads, threads, fn, *args)


def with_opencv_threads(threads: int, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` with OpenCV using ``threads`` threads, the previous count restored."""
    import cv2

    return _with_threads(cv2.getNumThreads, cv2.setNumThreads, threads, fn, *args)


def _with_threads(get: Callable[[], int], put: Callable[[int], None], threads: int,
                  fn: Callable[..., T], *args: Any) -> T:
    before = get()
    if threads == before:
        return fn(*args)
    put(threads)
    try:
        return fn(*args)
    finally:
        put(before)

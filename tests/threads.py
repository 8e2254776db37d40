"""Which threads are running: the leaked-thread check in ``conftest.py`` and the live tests.

A thread or QThread left running after a test keeps capturing, training or holding files
while the next test starts; the conftest fixture fails such a test, naming the thread.
"""

from __future__ import annotations

import threading
import time

#: Threads that libraries start once and keep for the life of the process, by name prefix,
#: each with why it is not ours to stop. None is needed today: a run of tests/core and
#: tests/ui found no torch, ultralytics or pyqtgraph thread outliving a test.
LIBRARY_THREADS: dict[str, str] = {}


def live_threads() -> list[threading.Thread]:
    """The Live pipeline's capture/inference/recording threads (all named ``live-…``)."""
    return [t for t in threading.enumerate() if t.name.startswith("live-") and t.is_alive()]


def describe(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    where = getattr(target, "__qualname__", None) or type(thread).__qualname__
    return f"{thread.name} ({where})"


def new_threads(before: set[int], grace_s: float) -> list[threading.Thread]:
    """Python threads alive now that were not in ``before`` (idents), after giving each up to
    ``grace_s`` in all to finish (a stop already asked for may need a moment)."""
    deadline = time.monotonic() + grace_s
    left = []
    for thread in threading.enumerate():
        if thread.ident in before or thread is threading.current_thread():
            continue
        if isinstance(thread, threading._DummyThread):  # a QThread seen from Python
            continue
        if thread.name.startswith(tuple(LIBRARY_THREADS)):
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            left.append(thread)
    return left

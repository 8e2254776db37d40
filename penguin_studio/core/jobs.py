"""Progress and cancellation for long jobs, without any GUI.

A job is a plain function taking a :class:`JobContext`. The CLI passes one that prints; the
GUI's worker passes one whose callbacks emit Qt signals and whose token the Cancel button
sets. Tests pass a bare ``JobContext()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from penguin_studio.core.errors import Cancelled

ProgressFn = Callable[[int, int, str], None]


class CancelToken:
    """Thread-safe flag a job polls between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def _ignore_progress(done: int, total: int, message: str) -> None:
    return None


@dataclass
class JobContext:
    """What a job receives: where to report progress and how to learn it should stop."""

    progress: ProgressFn = _ignore_progress
    token: CancelToken = field(default_factory=CancelToken)

    def step(self, done: int, total: int, message: str = "") -> None:
        """Report progress, then stop here if the user cancelled."""
        self.progress(done, total, message)
        self.token.raise_if_cancelled()

"""One background job at a time behind a Run/Cancel button and a progress bar.

The Evaluate and Detect panels both start core jobs through the shared ``JobRunner``; this
keeps the button text, the progress bar, status messages and error reporting the same in
both, and gives tests one thing to wait on (:attr:`JobControl.busy`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QProgressBar, QPushButton


class JobControl(QObject):
    """Starts jobs, shows their progress, turns the button into Cancel while they run."""

    failed = Signal(str)
    finished = Signal()  # after done, failed or cancelled

    def __init__(self, context, button: QPushButton, progress: QProgressBar, title: str,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context, self.button, self.progress = context, button, progress
        self.title, self.idle_text = title, button.text()
        self.thread = None
        progress.setVisible(False)

    @property
    def busy(self) -> bool:
        return self.thread is not None

    def start(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None],
              label: str, on_error: Callable[[str], None] | None = None) -> None:
        """Run ``fn(ctx, *args)`` off the GUI thread; ``on_done(result)`` back on it, or
        ``on_error(message)`` (after ``failed``) when it raised."""
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.button.setText("Cancel")
        self.context.status_message.emit(label, 0)

        def done(result: Any) -> None:
            self._idle()
            on_done(result)

        def failed(message: str) -> None:
            self._failed(message)
            if on_error is not None:
                on_error(message)

        self.thread = self.context.jobs.start(fn, *args, on_done=done, on_error=failed,
                                              on_cancel=self._cancelled,
                                              on_progress=self._progressed)

    def cancel(self) -> None:
        if self.thread is not None:
            self.thread.cancel()

    def _idle(self) -> None:
        self.thread = None
        self.progress.setVisible(False)
        self.button.setText(self.idle_text)
        self.finished.emit()

    def _progressed(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.context.status_message.emit(message, 0)

    def _failed(self, message: str) -> None:
        self._idle()
        self.failed.emit(message)
        self.context.status_message.emit(f"{self.title} failed", 5000)
        self.context.error.emit(self.title, message)

    def _cancelled(self) -> None:
        self._idle()
        self.context.status_message.emit(f"{self.title} cancelled", 3000)

    def wait_until_idle(self, timeout_s: float = 300.0) -> None:
        """Process events until the job is over (screenshots, tests)."""
        deadline = time.monotonic() + timeout_s
        while self.thread is not None and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.01)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        if self.thread is not None:
            self.thread.cancel()
            self.thread.wait(timeout_ms)

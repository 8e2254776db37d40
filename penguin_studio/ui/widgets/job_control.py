"""One background job at a time behind a Run/Cancel button and a progress bar.

The Evaluate and Detect panels start their jobs through :func:`~penguin_studio.ui.jobs.
start_job` like every panel; this is the view of a job they share: the button turns into
Cancel while it runs and back after, the progress bar follows its steps, and tests have one
thing to wait on (:attr:`JobControl.busy`, the ``finished`` signal). Status-bar texts and
the error dialog are start_job's.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QProgressBar, QPushButton

from penguin_studio.ui.jobs import JobHandle, start_job, wait_until


class JobControl(QObject):
    """Starts jobs, shows their progress, turns the button into Cancel while they run.

    ``run``, when given, is what the button does while no job runs (the panel's Detect or
    Evaluate); while one runs the button cancels it.
    """

    failed = Signal(str)
    finished = Signal()  # after done, failed or cancelled

    def __init__(self, context, button: QPushButton, progress: QProgressBar, title: str,
                 parent: QObject | None = None, run: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.context, self.button, self.progress = context, button, progress
        self.title, self.idle_text = title, button.text()
        self.handle: JobHandle | None = None
        self._strip = SimpleNamespace(start=self._begin, progress=self._progressed,
                                      finish=self._end)
        progress.setVisible(False)
        if run is not None:
            button.clicked.connect(lambda: self.cancel() if self.busy else run())

    @property
    def busy(self) -> bool:
        return self.handle is not None

    def start(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None],
              label: str, on_error: Callable[[str], None] | None = None) -> None:
        """Run ``fn(ctx, *args)`` off the GUI thread; ``on_done(result)`` back on it, or
        ``on_error(message)`` (after ``failed``) when it raised."""

        def failed(message: str) -> None:
            self.failed.emit(message)
            if on_error is not None:
                on_error(message)

        self.handle = start_job(self.context, self.title, fn, *args, on_done=on_done,
                                on_failed=failed, progress_text=label, strip=self._strip)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    # ----- what start_job drives, as it drives the Dataset panel's JobStrip -------------
    def _begin(self, _text: str, _cancel: Callable[[], None]) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.button.setText("Cancel")

    def _progressed(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.context.status_message.emit(message, 0)

    def _end(self) -> None:
        self.handle = None
        self.progress.setVisible(False)
        self.button.setText(self.idle_text)
        self.finished.emit()

    def wait_until_idle(self, timeout_s: float = 300.0) -> bool:
        """Wait (an event loop woken by ``finished``) until the job is over: screenshots."""
        return wait_until(lambda: not self.busy, self.finished, timeout_s=timeout_s)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle.thread.wait(timeout_ms)

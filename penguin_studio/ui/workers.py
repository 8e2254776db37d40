"""Run core jobs off the GUI thread and hand results back as Qt signals.

A core job is a plain function ``fn(ctx: JobContext, *args)``. :class:`JobThread` runs it in a
``QThread``, turns ``ctx.progress`` into the ``progressed`` signal and the Cancel button into
``ctx.token``. Results, errors and cancellation come back on the GUI thread.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from penguin_studio.core.errors import Cancelled, UserError
from penguin_studio.core.jobs import JobContext


class JobThread(QThread):
    """One job in its own thread; emits exactly one of succeeded / failed / cancelled."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, parent: QObject | None = None,
                 **kwargs: Any) -> None:
        super().__init__(parent)
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self.context = JobContext(progress=self._emit_progress)

    def _emit_progress(self, done: int, total: int, message: str) -> None:
        self.progressed.emit(int(done), int(total), str(message))

    def cancel(self) -> None:
        self.context.token.cancel()
        self.requestInterruption()

    def run(self) -> None:  # noqa: D401 - Qt override
        try:
            result = self._fn(self.context, *self._args, **self._kwargs)
        except Cancelled:
            self.cancelled.emit()
        except UserError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: keep the window alive and say what happened
            traceback.print_exc()
            self.failed.emit(f"Unexpected error: {type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(result)


class JobRunner(QObject):
    """Keeps running jobs alive until they finish and stops them all on shutdown."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: set[JobThread] = set()

    def start(self, fn: Callable[..., Any], *args: Any,
              on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[str], None] | None = None,
              on_progress: Callable[[int, int, str], None] | None = None,
              on_cancel: Callable[[], None] | None = None,
              on_finished: Callable[[], None] | None = None, **kwargs: Any) -> JobThread:
        """Start ``fn(ctx, *args, **kwargs)``; ``on_finished`` runs once its thread has ended
        (after the outcome's callback)."""
        thread = JobThread(fn, *args, **kwargs)
        if on_done:
            thread.succeeded.connect(on_done)
        if on_error:
            thread.failed.connect(on_error)
        if on_progress:
            thread.progressed.connect(on_progress)
        if on_cancel:
            thread.cancelled.connect(on_cancel)
        if on_finished:  # connected before start: a quick job cannot end unseen
            thread.finished.connect(on_finished)
        thread.finished.connect(lambda t=thread: self._forget(t))
        self._threads.add(thread)
        thread.start()
        return thread

    def _forget(self, thread: JobThread) -> None:
        self._threads.discard(thread)
        thread.deleteLater()

    @property
    def busy(self) -> bool:
        return bool(self._threads)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel every job and wait for its thread; called when the window closes."""
        for thread in list(self._threads):
            thread.cancel()
        for thread in list(self._threads):
            thread.wait(timeout_ms)

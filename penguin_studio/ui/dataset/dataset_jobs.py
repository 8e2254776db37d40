"""Running the core's dataset-changing tools from the panel: ask, run off-thread, reopen.

Every tool that writes (class changes, split lists, safe fixes, imports) follows the same
path: the user confirms a plain-language summary, the core function runs as a background
job, and the dataset is reopened so every view shows what is now on disk. ``confirm`` and
``ask_text`` are attributes so tests can answer the dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from penguin_studio.core.jobs import JobContext
from penguin_studio.ui.jobs import JobHandle, start_job


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Yes


def ask_line(parent: QWidget, title: str, label: str, value: str = "") -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, text=value)
    return text if ok else None


class DatasetJobs(QObject):
    """The panel's door to background dataset tools; ``idle`` when the last one ended."""

    idle = Signal()

    def __init__(self, panel: QWidget, context) -> None:
        super().__init__(panel)
        self.panel = panel
        self.context = context
        self.confirm: Callable[[str, str], bool] = lambda t, m: ask_yes_no(panel, t, m)
        self.ask_text: Callable[[str, str, str], str | None] = \
            lambda t, label, v="": ask_line(panel, t, label, v)
        self.running: set[Any] = set()
        #: asked before any tool writes; False cancels (the panel's PathChoice.allow_edit)
        self.guard: Callable[[], bool] = lambda: True

    @property
    def busy(self) -> bool:
        return bool(self.running)

    def run(self, title: str, fn: Callable[..., Any], *args: Any,
            on_done: Callable[[Any], None] | None = None, progress: str = "") -> None:
        """Run ``fn(ctx, *args)`` off the GUI thread; errors become one clear message."""
        if not self.guard():
            return
        job: JobHandle | None = None

        def done(result: Any) -> None:
            self._ended(job)
            if on_done is not None:
                on_done(result)

        job = start_job(self.context, title, fn, *args, on_done=done,
                        on_failed=lambda _m: self._ended(job),
                        on_cancelled=lambda: self._ended(job), progress_text=progress)
        self.running.add(job)

    def _ended(self, job: JobHandle | None) -> None:
        self.running.discard(job)
        if not self.running:
            self.idle.emit()

    def reopen(self, yaml_path: Path | None, message: str = "") -> None:
        """Show the dataset as it now is on disk."""
        if yaml_path is None:
            return
        self.context.open_path(yaml_path)
        if message:
            self.context.status_message.emit(message, 8000)


def call(fn: Callable[..., Any], *args: Any) -> Callable[[JobContext], Any]:
    """A job function for a core call that takes no context."""
    def job(_ctx: JobContext) -> Any:
        return fn(*args)
    return job

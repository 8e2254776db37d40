"""A QThread that starts the training child and turns its events into Qt signals.

The thread only plans the run, launches the process and watches it with core's one loop
(:func:`~penguin_studio.core.training.job.follow`, the CLI's too), adapting its events to
signals; the training runs in another process, so neither a busy GIL nor a crash there can
freeze or end the window.
"""

from __future__ import annotations

import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from penguin_studio.core.errors import UserError
from penguin_studio.core.training.config import TrainConfig
from penguin_studio.core.training.job import TrainingProcess, follow


class TrainingSupervisor(QThread):
    """Runs one training session; emits ``launched``, many ``event``, then ``ended``/``failed``."""

    launched = Signal(object)  # run folder (Path)
    event = Signal(dict)
    ended = Signal(object)  # core.training.job.Outcome
    failed = Signal(str)  # could not start: one line for the user

    def __init__(self, config: TrainConfig | None = None, resume_dir: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._config, self._resume_dir = config, resume_dir
        self._lock = threading.Lock()
        self._process: TrainingProcess | None = None
        self._stop_pending = False

    @property
    def process(self) -> TrainingProcess | None:
        return self._process

    def stop(self) -> None:
        """Graceful stop (finish the batch, keep last.pt resumable); safe before launch."""
        with self._lock:
            if self._process is None:
                self._stop_pending = True
            else:
                self._process.stop()

    def kill(self) -> None:
        with self._lock:
            self._stop_pending = True
            if self._process is not None:
                self._process.kill()

    def _start_process(self) -> TrainingProcess:
        """Plan and launch the child (the tuning supervisor launches a search instead)."""
        if self._config is not None:
            return TrainingProcess.start(self._config, background=True)
        return TrainingProcess.resume_run(self._resume_dir, background=True)  # type: ignore[arg-type]

    def run(self) -> None:  # noqa: D401 - Qt override
        try:
            process = self._start_process()
        except UserError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # a bug: say so, keep the window alive
            traceback.print_exc()
            self.failed.emit(f"Unexpected error: {type(exc).__name__}: {exc}")
            return
        with self._lock:
            self._process = process
            if self._stop_pending:
                process.stop()
        self.launched.emit(process.run_dir)
        self.ended.emit(follow(process, on_event=self.event.emit))

"""The live monitor: plots, progress with ETA, log console, Stop/Resume, exports.

It only displays what the supervisor's events say; the panel wires its buttons to the
supervisor. Plots redraw on a 5 Hz timer (only when something changed), so a flood of
batch events never floods the paint loop.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.training.config import MODE_TITLES
from penguin_studio.core.training.curves import Curves
from penguin_studio.core.training.events import ProgressTracker, format_duration
from penguin_studio.ui.train.plots import TrainingPlots

REFRESH_MS = 200
STATE_STYLE = {
    "idle": "color: palette(mid);", "starting": "color: #555;", "running": "color: #1a7f37;",
    "stopping": "color: #9a6700;", "stopped": "color: #9a6700;", "completed": "color: #1a7f37;",
    "failed": "color: #cf222e;",
}


class TrainingMonitor(QWidget):
    """One run's live view; ``stop_clicked``/``resume_clicked`` go to the panel."""

    stop_clicked = Signal()
    resume_clicked = Signal(object)  # run folder

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curves = Curves()
        self.tracker = ProgressTracker()
        self.run_dir: Path | None = None
        self.state = "idle"
        self.learned_nothing = False
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self._set_state("idle", "No training yet: start one from New run, or open a run in "
                                "History.")

    # ----- layout ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel("<b>No run</b>")
        self.state_label = QLabel()
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Finish the current batch, keep a resumable last.pt")
        self.stop_button.clicked.connect(self._on_stop)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(lambda: self.resume_clicked.emit(self.run_dir))
        self.png_button = QPushButton("Save plots…")
        self.png_button.clicked.connect(self._save_png)
        self.csv_button = QPushButton("Save metrics…")
        self.csv_button.clicked.connect(self._save_csv)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(self._open_folder)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.state_label, 1)
        for b in (self.stop_button, self.resume_button, self.png_button, self.csv_button,
                  self.folder_button):
            top.addWidget(b)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("")
        self.progress_label = QLabel("–")
        bar = QHBoxLayout()
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.progress_label)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("QLabel { background: #ffebe9; color: #82071e; "
                                       "border: 1px solid #ff8182; padding: 6px; }")
        self.error_label.setVisible(False)

        self.plots = TrainingPlots()
        self.console = QPlainTextEdit()
        self.console.setReadOnly(True)
        self.console.setMaximumBlockCount(5000)
        self.console.setFont(QFont("monospace", 9))
        self.console.setPlaceholderText("Training log")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plots)
        split.addWidget(self.console)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.error_label)
        layout.addWidget(split, 1)

    # ----- a session ----------------------------------------------------------------------
    def begin(self, title: str, resume_dir: Path | None = None) -> None:
        """A new session starts: clear, or for a resume, replay the run's recorded curves."""
        self.tracker = ProgressTracker()
        self.curves = Curves.from_run(resume_dir) if resume_dir else Curves()
        self.run_dir = resume_dir
        self.learned_nothing = False
        self.console.clear()
        self.error_label.setVisible(False)
        self.title.setText(f"<b>{title}</b>")
        self.progress.setValue(0)
        self.progress_label.setText("starting…")
        self._set_state("starting", "Starting the training process (loading torch)…")
        self.plots.refresh(self.curves, force=True)
        self._timer.start()

    def show_run(self, run_dir: Path) -> None:
        """Display a finished (or interrupted) run from its files."""
        from penguin_studio.core.training import runs

        record = runs.load_run(run_dir)
        self.run_dir = Path(run_dir)
        self.curves = Curves.from_run(run_dir)
        self.title.setText(f"<b>{record.name}</b> — {MODE_TITLES.get(record.recipe, '')}")
        fraction = record.epochs_done / record.epochs_planned if record.epochs_planned else 0
        self.progress.setValue(int(1000 * fraction))
        self.progress_label.setText(f"epoch {record.epochs_done}/{record.epochs_planned}")
        self.error_label.setVisible(bool(record.error) and record.status == "failed")
        self.error_label.setText(record.error)
        self._set_state(record.status if record.status in STATE_STYLE else "stopped",
                        record.status)
        self.resume_button.setEnabled(record.resumable)
        self.plots.refresh(self.curves, force=True)

    def on_launched(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self.title.setText(f"<b>{self.run_dir.name}</b> — {self.title.text()}")
        self._set_state("running", "Training…")

    def on_event(self, event: dict) -> None:
        kind = event.get("type")
        self.tracker.feed(event)
        self.curves.feed(event)
        if kind == "log":
            self.console.appendPlainText(str(event.get("message", "")))
        elif kind == "batch":
            self._show_progress(event)
        elif kind == "start":
            frozen = event.get("frozen") or []
            note = f", layers 0-{frozen[-1]} frozen" if frozen else ""
            self.console.appendPlainText(
                f"▶ {event.get('images')} images, {event.get('batches')} batches per epoch, "
                f"{event.get('threads')} threads on {event.get('device')}{note}")
        elif kind == "epoch":
            done = f"epoch {event.get('epoch')}/{event.get('epochs')} done"
            self.progress_label.setText(done + self._eta())

    def on_ended(self, outcome, resumable_here: bool = True) -> None:
        """The session is over; ``resumable_here`` is False when the run belongs to another
        dataset than the open one (Resume would train something the user is not looking at)."""
        self._timer.stop()
        self._refresh()
        resumable = bool(outcome.resumable) and resumable_here
        self.resume_button.setEnabled(resumable)
        self.progress_label.setText(self._ended_text(outcome.status))
        if outcome.status == "completed":
            self.progress.setValue(1000)
            self._show_completed(Path(outcome.run_dir))
        elif outcome.status == "stopped":
            note = "resumable" if resumable else (
                "stopped before the first checkpoint" if not outcome.resumable
                else "resume it with its own dataset open")
            self._set_state("stopped", f"Stopped ({note}).")
        else:
            self._show_failure(outcome.message, outcome.log_tail, resumable)

    def _ended_text(self, status: str) -> str:
        """The progress line once nothing runs any more: where it got, never an ETA."""
        if status == "completed":
            return "done"
        t = self.tracker
        where = ""
        if t.epochs and t.batches:
            full, partial = divmod(t.done_steps, t.batches)
            where = f" in epoch {full + 1}/{t.epochs}" if partial else \
                f" after epoch {full}/{t.epochs}"
        return f"{'stopped' if status == 'stopped' else 'failed'}{where}"

    def _show_completed(self, run_dir: Path) -> None:
        """Finished: say plainly when the model learned nothing, and what to try."""
        from penguin_studio.core.training import runs, verdict

        record = runs.load_run(run_dir) if run_dir.is_dir() else None
        best = record.best if record is not None else {}
        if record is not None and verdict.learned_nothing(best):
            self.error_label.setText(
                f"<b>Finished, but not usable.</b> "
                f"{_escape(verdict.nothing_learned_message(best, record.config))}")
            self.error_label.setVisible(True)
            self._set_state("completed", "Finished, but the model learned nothing.")
            self.state_label.setStyleSheet(STATE_STYLE["failed"])
            self.learned_nothing = True
            return
        score = best.get(runs.MAP50)
        note = f" (best mAP50 {score:.3f})" if score is not None and score == score else ""
        self._set_state("completed", f"Finished: weights/best.pt is ready{note}.")

    def clear(self, text: str) -> None:
        """Back to no run at all (another dataset was opened): nothing to stop or resume."""
        self._timer.stop()
        self.run_dir = None
        self.tracker = ProgressTracker()
        self.curves = Curves()
        self.console.clear()
        self.error_label.setVisible(False)
        self.title.setText("<b>No run</b>")
        self.progress.setValue(0)
        self.progress_label.setText("–")
        self.resume_button.setEnabled(False)
        self.plots.refresh(self.curves, force=True)
        self._set_state("idle", text)

    def on_failed_to_start(self, message: str) -> None:
        self._timer.stop()
        self._show_failure(message, [], False)

    def _show_failure(self, message: str, tail: list[str], resumable: bool) -> None:
        lines = "<br>".join(_escape(x) for x in tail[-8:])
        more = f"<pre style='margin:4px 0 0 0'>{lines}</pre>" if lines else ""
        hint = "<br>The run is marked failed; Resume continues from its last epoch." \
            if resumable else ""
        self.error_label.setText(f"<b>Training failed:</b> {_escape(message)}{hint}{more}")
        self.error_label.setVisible(True)
        self.resume_button.setEnabled(resumable)
        self._set_state("failed", "Failed")

    # ----- display ----------------------------------------------------------------------------
    def _set_state(self, state: str, text: str) -> None:
        self.state = state
        self.state_label.setText(text)
        self.state_label.setStyleSheet(STATE_STYLE.get(state, ""))
        active = state in ("starting", "running")
        self.stop_button.setEnabled(active)
        if active:
            self.resume_button.setEnabled(False)

    def _show_progress(self, event: dict) -> None:
        self.progress.setValue(int(1000 * self.tracker.fraction))
        self.progress_label.setText(self._progress_text(event))

    def _progress_text(self, event: dict) -> str:
        ips = f" · {self.tracker.ips:.1f} img/s" if self.tracker.ips else ""
        return (f"epoch {int(event['epoch']) + 1}/{self.tracker.epochs} · batch "
                f"{event['batch']}/{event['batches']}{ips}{self._eta()}")

    def _eta(self) -> str:
        """' · ETA 3m 10s' while training runs; nothing once Stop was pressed (the time
        left is then the last batch and a validation, not the planned epochs)."""
        if self.state != "running":
            return ""
        return f" · ETA {format_duration(self.tracker.eta_seconds())}"

    def _refresh(self) -> None:
        self.plots.refresh(self.curves)

    def _on_stop(self) -> None:
        self._set_state("stopping", "Stopping after this batch…")
        self.stop_button.setEnabled(False)
        self.stop_clicked.emit()

    # ----- exports ------------------------------------------------------------------------------
    def _default_path(self, name: str) -> str:
        return str((self.run_dir or Path.home()) / name)

    def _save_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save plots", self._default_path(
            "penguin_results.png"), "PNG image (*.png)")
        if path:
            self.plots.save_png(Path(path))

    def _save_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save metrics", self._default_path(
            "penguin_metrics.csv"), "CSV (*.csv)")
        if path:
            self.curves.to_csv(Path(path))

    def _open_folder(self) -> None:
        if self.run_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.run_dir)))


def _escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))

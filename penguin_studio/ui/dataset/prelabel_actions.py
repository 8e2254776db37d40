""""Pre-label unlabelled images…": pick a model and a confidence, run it in the background.

The core's :func:`~penguin_studio.core.inference.prelabel.prelabel` writes proposals apart
from the labels; this module asks for its two inputs, runs it as a cancellable job with a
progress strip, and tells the panel when it is over so the browser shows the images to
review. ``ask`` is an attribute so tests can answer the dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.dataset.project import Dataset
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.model_files import describe_weights_problem
from penguin_studio.core.training import runs
from penguin_studio.ui import settings
from penguin_studio.ui.dataset.job_strip import JobStrip
from penguin_studio.ui.file_dialogs import start_folder
from penguin_studio.ui.jobs import start_job

DEFAULT_CONF = 0.25


@dataclass(frozen=True)
class PrelabelChoice:
    weights: Path
    conf: float


def default_weights(dataset: Dataset) -> Path | None:
    """The dataset's newest trained model (the weights catalogue's rule), else the model used
    last time."""
    newest = runs.newest_model(dataset.yaml_path or dataset.root, dataset.root)
    if newest is not None:
        return newest
    last = settings.app_settings().value("prelabel/weights", "")
    return Path(str(last)) if last and Path(str(last)).is_file() else None


class PrelabelDialog(QDialog):
    """Model file and confidence for pre-labelling, with what will happen in one line."""

    def __init__(self, dataset: Dataset, unlabelled: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pre-label unlabelled images")
        self._project = dataset
        self.weights = QLineEdit()
        self.weights.setPlaceholderText("best.pt of a model trained on these classes")
        self.weights.setMinimumWidth(380)
        start = default_weights(dataset)
        if start is not None:
            self.weights.setText(str(start))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.conf = QDoubleSpinBox()
        self.conf.setRange(0.01, 0.99)
        self.conf.setSingleStep(0.05)
        self.conf.setDecimals(2)
        self.conf.setValue(DEFAULT_CONF)
        self.conf.setMaximumWidth(90)
        self.conf.setToolTip("Boxes the model is less sure of than this are not proposed.")
        row = QHBoxLayout()
        row.addWidget(self.weights, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Model (.pt):", row)
        form.addRow("Confidence:", self.conf)
        info = QLabel(f"{unlabelled:,} unlabelled images (no label file); those that already "
                      "have proposals are skipped. Proposals stay apart from your labels "
                      "until you accept, adjust or reject each one in the editor.")
        info.setWordWrap(True)
        info.setObjectName("dimLabel")
        self.problem = QLabel()  # what a picked file that is no model is, in one line
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e03131;")
        self.problem.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Pre-label")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.weights.textChanged.connect(self._update_ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(info)
        layout.addWidget(self.buttons)
        self._update_ok()

    def _browse(self) -> None:
        start = start_folder(self._project, self.weights.text())
        path, _ = QFileDialog.getOpenFileName(self, "Model weights", start,
                                              "PyTorch weights (*.pt);;All files (*)")
        if path:
            self.weights.setText(path)

    def _update_ok(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        text = self.weights.text().strip()
        problem = describe_weights_problem(text) if text else None
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        ok.setEnabled(bool(text) and problem is None)

    def choice(self) -> PrelabelChoice:
        return PrelabelChoice(Path(self.weights.text().strip()).expanduser(), self.conf.value())


def ask_prelabel(parent: QWidget, dataset: Dataset, unlabelled: int) -> PrelabelChoice | None:
    dialog = PrelabelDialog(dataset, unlabelled, parent)
    return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None


def _prelabel_job(ctx: JobContext, dataset: Dataset, weights: Path, conf: float):
    from penguin_studio.core.inference.prelabel import prelabel

    return prelabel(dataset, weights, conf, ctx)


def _done_text(report) -> str:
    if not report.images and not report.skipped:
        return "Nothing to pre-label: every unlabelled image already has proposals."
    return report.summary()


class PrelabelActions(QObject):
    """Runs one pre-label job at a time; ``finished(report or None)`` when it stops."""

    finished = Signal(object)  # PrelabelReport, or None when cancelled or failed

    def __init__(self, panel: QWidget, context, strip: JobStrip,
                 dataset_getter: Callable[[], Dataset | None],
                 unlabelled_count: Callable[[], int]) -> None:
        super().__init__(panel)
        self.context = context
        self.strip = strip
        self._dataset = dataset_getter
        self._unlabelled = unlabelled_count
        self.ask: Callable[[Dataset, int], PrelabelChoice | None] = \
            lambda ds, n: ask_prelabel(panel, ds, n)
        self.job = None

    @property
    def busy(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        """Ask for a model and a confidence, then pre-label off the GUI thread."""
        ds = self._dataset()
        if ds is None or self.busy:
            return
        choice = self.ask(ds, self._unlabelled())
        if choice is None:
            return
        settings.app_settings().setValue("prelabel/weights", str(choice.weights))
        self.job = start_job(
            self.context, "Pre-label unlabelled images", _prelabel_job, ds, choice.weights,
            choice.conf, strip=self.strip, progress_text=f"Pre-labelling with "
            f"{choice.weights.name}…", done_text=_done_text,
            cancelled_text="Pre-labelling cancelled; the images already done keep their "
            "proposals.", on_done=self._finished, on_failed=lambda _m: self._finished(None),
            on_cancelled=lambda: self._finished(None))

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _finished(self, report) -> None:
        self.job = None
        self.finished.emit(report)

    def shutdown(self) -> None:
        self.cancel()

"""Choose a model: the open dataset's training runs, recently used files, or any ``.pt``.

The one picker of the Evaluate, Detect and Live panels; what it offers comes from the core's
weights catalogue (:func:`~penguin_studio.core.training.runs.weights_catalogue`). Recently
used weights are remembered in the app's settings; a file that no longer exists is dropped
from the list. A file that is no model (a ``.txt``, a data yaml, a damaged or segmentation
``.pt``) is named for what it is at once, by the core's
:func:`~penguin_studio.core.model_files.describe_weights_problem`, so no job starts on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from penguin_studio.core.model_files import describe_weights_problem
from penguin_studio.core.training import runs
from penguin_studio.ui import settings
from penguin_studio.ui.file_dialogs import start_folder

RECENT_KEY = "models/recent"
MAX_RECENT = 10


def recent_weights() -> list[str]:
    value = settings.app_settings().value(RECENT_KEY, [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or []) if Path(str(v)).is_file()]


def remember_weights(path: str) -> None:
    s = settings.app_settings()
    s.setValue(RECENT_KEY, ([path] + [p for p in recent_weights() if p != path])[:MAX_RECENT])
    s.sync()


def run_weights(dataset) -> list[str]:
    """best.pt (else last.pt) of every training run of ``dataset``, newest first."""
    return [str(entry.path) for entry in _catalogue(dataset, include_models=False)]


def show_problems(picker: WeightsPicker, shown: Callable[[], str],
                  show: Callable[[str], None]) -> None:
    """Say what a picked file is at once (``show(problem)``) and take the line away when a
    good file is picked, unless the panel said something else since (``shown()``)."""
    last = [""]

    def changed(problem: str) -> None:
        if problem or shown() == last[0]:
            show(problem)
        last[0] = problem

    picker.problem_changed.connect(changed)


def _catalogue(dataset, include_models: bool = True) -> list:
    """The core's weights catalogue for ``dataset`` (runs, then imported/downloaded models)."""
    try:
        if dataset is None or dataset.yaml_path is None:
            return runs.model_entries() if include_models else []
        return runs.weights_catalogue(dataset.yaml_path, dataset.root, include_models)
    except Exception:  # the catalogue is a convenience; never block choosing a file
        return []


class WeightsPicker(QWidget):
    """An editable list of checkpoints plus a Browse button; emits ``changed(path)``.

    ``problem_changed(text)`` follows :meth:`problem` ("" when the file looks usable); the
    combo box is outlined in red and its tooltip says why.
    """

    changed = Signal(str)
    problem_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dataset = None  # set by refresh(): Browse… opens in its folder
        self._problems: dict[tuple[str, float, int], str | None] = {}
        self._shown_problem = ""
        self.combo = QComboBox()
        self.combo.setObjectName("weightsCombo")
        self.combo.setEditable(True)
        self.combo.setMinimumContentsLength(28)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.lineEdit().setPlaceholderText("Model weights (.pt)…")
        self.combo.setToolTip("A trained checkpoint: best.pt of a training run, or any .pt")
        self.browse_button = browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(browse)
        self.combo.currentTextChanged.connect(self.changed.emit)
        self.changed.connect(lambda _p: self._show_problem())
        self.refresh(None)

    def path(self) -> str:
        return self.combo.currentText().strip()

    def problem(self) -> str | None:
        """Why the chosen file cannot be used as a model, in one line; None if it can.

        Cached per file version: a checkpoint's class names are read from its zip, which
        takes a few tens of milliseconds.
        """
        text = self.path()
        try:
            stat = Path(text).expanduser().stat()
            key = (text, stat.st_mtime, stat.st_size)
        except OSError:
            key = (text, 0.0, -1)
        if key not in self._problems:
            self._problems[key] = describe_weights_problem(text)
        return self._problems[key]

    def _show_problem(self) -> None:
        """Outline the box in red while the typed or chosen file is no usable model."""
        problem = (self.problem() or "") if self.path() else ""
        if problem == self._shown_problem:
            return
        self._shown_problem = problem
        self.combo.setStyleSheet("QComboBox#weightsCombo { border: 1px solid #e03131; }"
                                 if problem else "")
        self.combo.setToolTip(problem or "A trained checkpoint: best.pt of a training run, "
                              "or any .pt")
        self.problem_changed.emit(problem)

    def set_path(self, path: str) -> None:
        if self.combo.findText(path) < 0:
            self.combo.insertItem(0, path)
        self.combo.setCurrentText(path)

    def refresh(self, dataset) -> None:
        """Offer the dataset's runs first, then recently used files."""
        self._dataset = dataset
        current = self.path()
        catalogue = _catalogue(dataset)
        found = [str(e.path) for e in catalogue if e.source == "run"]
        others = [str(e.path) for e in catalogue if e.source != "run"]
        items = list(dict.fromkeys(found + recent_weights() + others))
        tips = {str(e.path): e.label() for e in catalogue}
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(items)
        for i, item in enumerate(items):  # recipe, date order and best mAP50 on hover
            if item in tips:
                self.combo.setItemData(i, tips[item], Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentText(current or (items[0] if items else ""))
        self.combo.blockSignals(False)
        if self.path() != current:
            self.changed.emit(self.path())

    def remember(self) -> None:
        """Call when the path was used successfully."""
        if Path(self.path()).is_file():
            remember_weights(str(Path(self.path()).resolve()))

    def _browse(self) -> None:
        start = start_folder(self._dataset, self.path())
        path, _ = QFileDialog.getOpenFileName(self, "Model weights", start,
                                              "PyTorch checkpoints (*.pt);;All files (*)")
        if path:
            self.set_path(path)


def model_size_box() -> QSpinBox:
    """Image size the model sees; 0 (shown as "model's size") means the size it trained at."""
    box = QSpinBox()
    box.setRange(0, 4096)
    box.setSingleStep(32)
    box.setSpecialValueText("model's size")
    box.setToolTip("Image size the model sees (0: the size it was trained at)")
    return box

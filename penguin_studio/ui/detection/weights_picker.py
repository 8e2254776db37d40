"""Choose a model: the open dataset's training runs, recently used files, or any ``.pt``.

Shared by the Evaluate and Detect panels. Recently used weights are remembered in the app's
settings; a file that no longer exists is dropped from the list.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QWidget,
)

from penguin_studio.ui import settings

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
    if dataset is None or dataset.yaml_path is None:
        return []
    try:
        from penguin_studio.core.training.runs import run_dirs

        folders = run_dirs(dataset.yaml_path, dataset.root)
    except Exception:  # the run history is a convenience; never block choosing a file
        folders = []
    found = []
    for folder in reversed(folders):
        for name in ("best.pt", "last.pt"):
            candidate = folder / "weights" / name
            if candidate.is_file():
                found.append(str(candidate))
                break
    return found


class WeightsPicker(QWidget):
    """An editable list of checkpoints plus a Browse button; emits ``changed(path)``."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setMinimumContentsLength(28)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.lineEdit().setPlaceholderText("Model weights (.pt)…")
        self.combo.setToolTip("A trained checkpoint: best.pt of a training run, or any .pt")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(browse)
        self.combo.currentTextChanged.connect(self.changed.emit)
        self.refresh(None)

    def path(self) -> str:
        return self.combo.currentText().strip()

    def set_path(self, path: str) -> None:
        if self.combo.findText(path) < 0:
            self.combo.insertItem(0, path)
        self.combo.setCurrentText(path)

    def refresh(self, dataset) -> None:
        """Offer the dataset's runs first, then recently used files."""
        current = self.path()
        items = list(dict.fromkeys(run_weights(dataset) + recent_weights()))
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(items)
        self.combo.setCurrentText(current or (items[0] if items else ""))
        self.combo.blockSignals(False)
        if self.path() != current:
            self.changed.emit(self.path())

    def remember(self) -> None:
        """Call when the path was used successfully."""
        if Path(self.path()).is_file():
            remember_weights(str(Path(self.path()).resolve()))

    def _browse(self) -> None:
        start = str(Path(self.path()).parent) if self.path() else str(Path.home())
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

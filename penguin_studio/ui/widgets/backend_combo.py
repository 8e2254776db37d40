"""The small "runs on" combo beside the Detect and Live model pickers.

One setting drives every copy (Settings, Detect, Live): choosing a backend in one panel
changes the default everywhere, so the figure a user measured in Live is the one Detect
gives too. Backends that cannot run here are listed but disabled, with the reason as tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from penguin_studio.core.inference import backends
from penguin_studio.ui import settings


class _Notifier(QObject):
    changed = Signal(str)


_notifier: _Notifier | None = None


def backend_notifier() -> _Notifier:
    """The one object that tells every combo the setting changed."""
    global _notifier
    if _notifier is None:
        _notifier = _Notifier()
    return _notifier


class BackendCombo(QComboBox):
    """Automatic / PyTorch / OpenVINO / ONNX Runtime, kept equal to the saved setting."""

    def __init__(self, parent: QWidget | None = None, compact: bool = True) -> None:
        super().__init__(parent)
        self.setToolTip("What runs the model. Automatic times each backend once on this "
                        "computer and keeps the fastest; OpenVINO and ONNX Runtime run an "
                        "export made on first use.")
        model = self.model()
        for index, name in enumerate(backends.BACKENDS):
            # beside a model picker "Automatic" is enough; the list says what it means
            text = "Automatic" if compact and name == backends.AUTO else backends.LABELS[name]
            self.addItem(text, name)
            reason = backends.unavailable_reason(name)
            if isinstance(model, QStandardItemModel):
                item = model.item(index)
                item.setToolTip(reason or backends.LABELS[name])
                item.setEnabled(not reason)
        self._select(settings.inference_backend())
        self.currentIndexChanged.connect(self._chosen)
        backend_notifier().changed.connect(self._select)

    def value(self) -> str:
        return str(self.currentData() or backends.AUTO)

    def set_value(self, name: str) -> None:
        """Choose ``name`` (saved as the setting, so every other combo follows)."""
        index = self.findData(name)
        if index >= 0:
            self.setCurrentIndex(index)

    def _select(self, name: str) -> None:
        index = self.findData(name)
        if index >= 0 and index != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(index)
            self.blockSignals(False)

    def _chosen(self, _index: int) -> None:
        value = self.value()
        if value != settings.inference_backend():
            settings.set_inference_backend(value)
            backend_notifier().changed.emit(value)

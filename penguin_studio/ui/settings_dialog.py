"""Settings: what runs the models (and why a backend is missing on this computer)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.core.inference import backends
from penguin_studio.ui.widgets.backend_combo import BackendCombo


class SettingsDialog(QDialog):
    """Inference backend choice, applied at once (the next model loaded uses it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.backend = BackendCombo(compact=False)
        self.explanation = QLabel(backends.settings_explanation())
        self.explanation.setWordWrap(True)
        self.cache_note = QLabel(f"Exported models are cached in "
                                 f"{backends.exports_root()} (safe to delete).")
        self.cache_note.setWordWrap(True)
        self.cache_note.setStyleSheet("color: palette(mid);")
        form = QFormLayout()
        form.addRow("Run models with", self.backend)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.explanation)
        layout.addWidget(self.cache_note)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.resize(520, 220)

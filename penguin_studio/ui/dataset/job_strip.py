"""A slim progress strip with a Cancel button, for a long dataset job the user started."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class JobStrip(QFrame):
    """Says what runs, how far it got, and lets the user stop it; hidden when idle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobStrip")
        self.setStyleSheet("QFrame#jobStrip { background: #1f2f44; border: 1px solid #2b4566;"
                           " border-radius: 4px; } QLabel { color: #a5d8ff; }")
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(260)
        self.bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self._on_cancel: Callable[[], None] | None = None
        self.cancel_button.clicked.connect(self._cancel)
        self.setVisible(False)

    def start(self, text: str, on_cancel: Callable[[], None]) -> None:
        self._on_cancel = on_cancel
        self.label.setText(text)
        self.bar.setRange(0, 0)  # busy until the first step says how many
        self.cancel_button.setEnabled(True)
        self.setVisible(True)

    def progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            self.bar.setFormat(f"{done:,} / {total:,}")
        if message:
            self.label.setText(message)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Stopping after the current image…")
        if self._on_cancel is not None:
            self._on_cancel()

    def finish(self) -> None:
        self._on_cancel = None
        self.setVisible(False)

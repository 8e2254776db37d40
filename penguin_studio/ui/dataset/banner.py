"""A thin coloured message strip with optional buttons, above the canvas."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

STYLES = {
    "error": ("#3d1f22", "#ff8787", "#5c2a2f"),
    "warning": ("#3b3320", "#ffd43b", "#5a4b22"),
    "info": ("#1f2f44", "#a5d8ff", "#2b4566"),
}


class Banner(QFrame):
    """Says one thing that matters about the current image, with what to do about it."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bg, fg, border = STYLES[kind]
        self.setObjectName(f"{kind}Banner")
        self.setStyleSheet(f"QFrame#{kind}Banner {{ background: {bg}; border: 1px solid "
                           f"{border}; border-radius: 4px; }} QLabel {{ color: {fg}; }}")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self.label, 1)
        self.buttons: dict[str, QPushButton] = {}
        self.setVisible(False)

    def add_button(self, text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        self._layout.addWidget(button)
        self.buttons[text] = button
        return button

    def show_text(self, text: str | None) -> None:
        self.label.setText(text or "")
        self.setVisible(bool(text))

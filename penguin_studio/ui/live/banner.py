"""The red banner above the live video that says why a run stopped, with a Reconnect button.

Split out of the Live panel because it is a self-contained widget: the panel only fills it in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class ProblemBanner(QFrame):
    """Hidden until :meth:`show_problem`; the text is selectable so it can be copied."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("liveBanner")
        self.setStyleSheet("#liveBanner { background: #fdecea; border: 1px solid #f5c2bd;"
                           " border-radius: 4px; } #liveBanner QLabel { color: #611a15; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reconnect_button = QPushButton("Reconnect")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.reconnect_button)
        self.hide()

    def show_problem(self, message: str, can_retry: bool) -> None:
        """Show ``message``; offer Reconnect only when the same run can be started again."""
        self.text.setText(message)
        self.reconnect_button.setVisible(can_retry)
        self.show()

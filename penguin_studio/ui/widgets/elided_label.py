"""A one-line label that shortens its text with "…" instead of widening the window.

A plain QLabel asks for the width of its whole text as its *minimum*: one long dataset path
in a header made the main window wider than a 1280-pixel laptop screen. This label asks for
little, shows as much as fits (``QFontMetrics.elidedText``) and keeps the full text in its
tooltip and in ``text()``.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_CHARS = 12  # the least a label shrinks to, in average character widths


class ElidedLabel(QLabel):
    """Plain text on one line, elided in the middle by default (both ends of a path tell)."""

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._full = text
        self.setToolTip(text)
        self._elide()
        self.updateGeometry()

    def text(self) -> str:
        """The full text, not what fits (callers and tests read what was set)."""
        return self._full

    def shown_text(self) -> str:
        """What is painted now: the text, or a shortened copy with "…"."""
        return super().text()

    def is_elided(self) -> bool:
        return self.shown_text() != self._full

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        extra = self._extra_width()
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + extra,
                     super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        least = self.fontMetrics().averageCharWidth() * MIN_CHARS + self._extra_width()
        return QSize(min(least, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _extra_width(self) -> int:
        margins = self.contentsMargins()
        return margins.left() + margins.right() + 2 * self.margin() + 2

    def _elide(self) -> None:
        width = self.width() - self._extra_width()
        shown = self.fontMetrics().elidedText(self._full, self._mode, max(width, 0))
        if shown != super().text():
            QLabel.setText(self, shown)

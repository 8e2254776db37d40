"""The class list: colour, number key and name of each class, plus editing buttons.

Choosing a class (click, or keys 1-9 in the editor) sets the class of the selected box, or
with nothing selected the class of the next box drawn. Rename, reorder and delete only emit
requests: the panel asks for confirmation and runs the core's crash-safe rewrite of every
label file.

Class numbers: everywhere a user picks a class (this list, the browser's class filter) the
number shown is the key that picks it, counted from 1; YOLO label files count from 0, which
each tooltip says (:func:`class_caption`, :func:`class_tooltip`).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.ui.dataset.colors import class_color


def class_caption(class_id: int, name: str) -> str:
    """How a class is named where a user picks it: its key number (from 1), then its name."""
    return f"{class_id + 1}  {name}"


def class_tooltip(class_id: int, name: str) -> str:
    key = f"key {class_id + 1} in the editor" if class_id < 9 else "no key"
    return f"{class_id + 1}: {name} ({key}); written as {class_id} in YOLO label files"


def swatch(color: QColor, size: int = 14) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(color.darker(150))
    painter.setBrush(color)
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    painter.end()
    return QIcon(pix)


class ClassList(QWidget):
    """Numbered, coloured classes; emits the chosen id and editing requests."""

    class_chosen = Signal(int)
    add_requested = Signal()
    rename_requested = Signal(int)
    move_requested = Signal(int, int)  # class id, new position
    delete_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Classes")
        title.setObjectName("sectionTitle")
        title.setToolTip("Press a class's number (1-9) to set the selected box's class, or "
                         "with no box selected the class of the next box drawn.")
        self.key_hint = QLabel("number = key")
        self.key_hint.setObjectName("dimLabel")
        self.key_hint.setToolTip(title.toolTip())
        self.list = QListWidget()
        self.list.setIconSize(QSize(14, 14))
        self.list.setObjectName("classList")
        self.list.itemClicked.connect(lambda item: self.class_chosen.emit(self._id(item)))
        self.list.itemDoubleClicked.connect(lambda item: self.rename_requested.emit(
            self._id(item)))
        self.buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setSpacing(2)
        for key, text, tip in (("add", "+", "Add a class"),
                               ("rename", "✎", "Rename the class (rewrites nothing)"),
                               ("up", "▲", "Move the class up (rewrites label files)"),
                               ("down", "▼", "Move the class down (rewrites label files)"),
                               ("delete", "✕", "Delete the class and its boxes")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            bar.addWidget(button)
            self.buttons[key] = button
        bar.addStretch(1)
        self.buttons["add"].clicked.connect(self.add_requested)
        self.buttons["rename"].clicked.connect(lambda: self._with_current(self.rename_requested))
        self.buttons["delete"].clicked.connect(lambda: self._with_current(self.delete_requested))
        self.buttons["up"].clicked.connect(lambda: self._move(-1))
        self.buttons["down"].clicked.connect(lambda: self._move(+1))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addStretch(1)
        heading.addWidget(self.key_hint)
        layout.addLayout(heading)
        layout.addWidget(self.list, 1)
        layout.addLayout(bar)
        self._names: list[str] = []

    def set_classes(self, names: list[str], counts: dict[int, int] | None = None) -> None:
        current = self.current()
        self._names = list(names)
        self.list.clear()
        for i, name in enumerate(names):
            count = f"   ({counts.get(i, 0)})" if counts is not None else ""
            item = QListWidgetItem(swatch(class_color(i)), f"{class_caption(i, name)}{count}")
            item.setData(Qt.ItemDataRole.UserRole, i)
            item.setToolTip(class_tooltip(i, name))
            self.list.addItem(item)
        if current is not None and current < len(names):
            self.set_current(current)
        elif names:
            self.set_current(0)

    def set_current(self, class_id: int) -> None:
        if 0 <= class_id < self.list.count():
            self.list.setCurrentRow(class_id)

    def current(self) -> int | None:
        item = self.list.currentItem()
        return self._id(item) if item is not None else None

    @staticmethod
    def _id(item: QListWidgetItem) -> int:
        return int(item.data(Qt.ItemDataRole.UserRole))

    def _with_current(self, signal) -> None:
        current = self.current()
        if current is not None:
            signal.emit(current)

    def _move(self, step: int) -> None:
        current = self.current()
        if current is None:
            return
        target = current + step
        if 0 <= target < len(self._names):
            self.move_requested.emit(current, target)

"""Per-class visibility switches with each class's colour and current count.

The one class filter of Detect and Live: a tick per class beside its box colour.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from penguin_studio.core.inference.drawing import class_color


def color_icon(rgb: tuple[int, int, int]) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


class ClassToggles(QListWidget):
    """One checkable row per class: "penguin  3". Emits ``changed`` when a box is ticked."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self.itemChanged.connect(lambda _item: self.changed.emit())
        self.setToolTip("Tick the classes to show; the numbers count the boxes shown.")

    def set_classes(self, names: list[str]) -> None:
        """Rebuild for a model's classes; a class unticked before stays unticked when the
        new model has a class of the same name."""
        if names == self._names:
            return
        hidden = {self._names[i] for i in range(len(self._names))
                  if self.item(i).checkState() != Qt.CheckState.Checked}
        self._names = list(names)
        self.blockSignals(True)
        self.clear()
        for class_id, name in enumerate(names):
            item = QListWidgetItem(color_icon(class_color(class_id)), name)
            item.setData(Qt.ItemDataRole.UserRole, class_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if name in hidden
                               else Qt.CheckState.Checked)
            self.addItem(item)
        self.blockSignals(False)

    def selected(self) -> frozenset[int] | None:
        """Ticked class ids, or None when all are ticked (no filtering needed)."""
        ids = frozenset(self.visible_classes())
        return None if len(ids) == self.count() else ids

    def visible_classes(self) -> set[int]:
        return {self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked}

    def set_visible(self, class_id: int, visible: bool) -> None:
        state = Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked
        self.item(class_id).setCheckState(state)

    def set_counts(self, counts: dict[int, int]) -> None:
        """Show "name  N" per class without emitting ``changed``."""
        self.blockSignals(True)
        for i in range(self.count()):
            item = self.item(i)
            class_id = item.data(Qt.ItemDataRole.UserRole)
            item.setText(f"{self._names[class_id]}  {counts.get(class_id, 0)}")
        self.blockSignals(False)

"""The "Boxes on this image" list beside the canvas: class, colour and size of each box.

Selecting a row selects the box on the canvas and the other way round, so boxes too small
or too crowded to click can still be reached (and deleted) from the keyboard.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from penguin_studio.core.dataset.labels import Box
from penguin_studio.ui.dataset.class_list import swatch
from penguin_studio.ui.dataset.colors import class_color


class BoxList(QListWidget):
    """One row per box; ``box_chosen(index or None)`` when the user picks a row."""

    box_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("boxList")
        self.setIconSize(QSize(12, 12))
        self.currentRowChanged.connect(lambda row: self.box_chosen.emit(row if row >= 0
                                                                        else None))

    def show_boxes(self, boxes: list[Box], names: list[str], size: tuple[int, int] | None,
                   selected: int | None) -> None:
        self.blockSignals(True)
        self.clear()
        for box in boxes:
            name = names[box.cls] if 0 <= box.cls < len(names) else f"class {box.cls}?"
            dims = f"{box.w * size[0]:.0f}×{box.h * size[1]:.0f}" if size else ""
            self.addItem(QListWidgetItem(swatch(class_color(box.cls), 12), f"{name}   {dims}"))
        self.setCurrentRow(-1 if selected is None else selected)
        self.blockSignals(False)

    def show_selected(self, index: int | None) -> None:
        self.blockSignals(True)
        self.setCurrentRow(-1 if index is None else index)
        self.blockSignals(False)

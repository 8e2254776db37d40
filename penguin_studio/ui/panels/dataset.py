"""The Dataset panel (placeholder until its issue lands)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from penguin_studio.ui.panels.placeholder import PlaceholderPanel

TEXT = (
    "Browse your images as thumbnails, draw and edit boxes with the mouse and keyboard, assign "
    "classes and train/val/test splits, import YOLO, Roboflow, COCO and Pascal VOC datasets, "
    "and let the dataset doctor find broken images and labels."
)


class DatasetPanel(PlaceholderPanel):
    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(context, "Dataset", TEXT, parent)

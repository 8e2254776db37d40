"""The Detect panel (placeholder until its issue lands)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from penguin_studio.ui.panels.placeholder import PlaceholderPanel

TEXT = (
    "Run a model on an image, a folder or a video, with instant confidence and IoU sliders, "
    "test-time augmentation and export of annotated results."
)


class DetectPanel(PlaceholderPanel):
    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(context, "Detect", TEXT, parent)

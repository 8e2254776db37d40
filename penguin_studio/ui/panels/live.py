"""The Live panel (placeholder until its issue lands)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from penguin_studio.ui.panels.placeholder import PlaceholderPanel

TEXT = (
    "Live detection from a webcam, a video file or a stream, with recording and snapshots into "
    "the dataset."
)


class LivePanel(PlaceholderPanel):
    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(context, "Live", TEXT, parent)

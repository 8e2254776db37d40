"""The Train panel (placeholder until its issue lands)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from penguin_studio.ui.panels.placeholder import PlaceholderPanel

TEXT = (
    "A wizard with the three classic recipes: from scratch, feature extraction (frozen "
    "backbone) and fine-tuning. Training runs in the background with live loss and metric "
    "plots, and can be stopped and resumed."
)


class TrainPanel(PlaceholderPanel):
    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(context, "Train", TEXT, parent)

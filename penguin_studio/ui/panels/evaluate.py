"""The Evaluate panel (placeholder until its issue lands)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from penguin_studio.ui.panels.placeholder import PlaceholderPanel

TEXT = (
    "Validate a model on the train, val or test split: per-class table, precision-recall "
    "curves, confusion matrix, and the images where the model is wrong, one click from the "
    "editor."
)


class EvaluatePanel(PlaceholderPanel):
    def __init__(self, context, parent: QWidget | None = None) -> None:
        super().__init__(context, "Evaluate", TEXT, parent)

"""Class colours: distinct, readable on the dark canvas and on light thumbnails."""

from __future__ import annotations

from PySide6.QtGui import QColor

_PALETTE = (
    "#ff6b6b", "#4dabf7", "#ffd43b", "#51cf66", "#cc5de8", "#ff922b", "#20c997", "#f06595",
    "#94d82d", "#748ffc", "#fcc419", "#22b8cf", "#e64980", "#82c91e", "#7950f2", "#fd7e14",
)

SPLIT_COLORS = {"train": "#4c8bf5", "val": "#f5a524", "test": "#a855f7"}


def class_color(class_id: int) -> QColor:
    """The colour of a class id; ids beyond the palette cycle with a slight shift."""
    base = QColor(_PALETTE[class_id % len(_PALETTE)])
    turn = class_id // len(_PALETTE)
    if turn:
        base = base.darker(100 + 25 * turn)
    return base


def split_color(split: str) -> QColor:
    return QColor(SPLIT_COLORS.get(split, "#868e96"))

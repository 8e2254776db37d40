"""Class colours as QColor: the Qt view of :mod:`penguin_studio.core.colors`, the palette
Detect, Live and saved images use too; plus the split colours of thumbnails."""

from __future__ import annotations

from PySide6.QtGui import QColor

from penguin_studio.core.colors import class_rgb

SPLIT_COLORS = {"train": "#4c8bf5", "val": "#f5a524", "test": "#a855f7"}


def class_color(class_id: int) -> QColor:
    """The colour of a class id; ids beyond the palette cycle, each turn a little darker."""
    return QColor(*class_rgb(class_id))


def split_color(split: str) -> QColor:
    return QColor(SPLIT_COLORS.get(split, "#868e96"))

"""The Dataset panel's header row: title and subtitle, page tabs, and the tool menus' buttons.

Building these widgets is a page of layout code with no state of its own; kept here, the
panel module reads as what it does (pages, dataset, jobs) rather than how its header looks.
The panel keeps the returned widgets and wires their clicks to its own slots.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from penguin_studio.ui.widgets.elided_label import ElidedLabel


def titles() -> tuple[QLabel, QLabel, QVBoxLayout]:
    """A large bold title over a dim subtitle, stacked tight; both elide with "…" rather
    than widen the window (the subtitle holds the dataset's path)."""
    title = ElidedLabel(mode=Qt.TextElideMode.ElideRight)
    font = QFont(title.font())
    font.setPointSizeF(font.pointSizeF() * 1.35)
    font.setBold(True)
    title.setFont(font)
    subtitle = ElidedLabel()
    subtitle.setStyleSheet("color: palette(mid);")
    column = QVBoxLayout()
    column.setSpacing(0)
    column.addWidget(title)
    column.addWidget(subtitle)
    return title, subtitle, column


def page_tabs(owner: QWidget, pages: dict[str, str],
              show_page: Callable[[str], object]) -> tuple[QHBoxLayout, dict[str, QToolButton]]:
    """Exclusive checkable buttons, one per page (key → title), that call ``show_page``."""
    buttons: dict[str, QToolButton] = {}
    group = QButtonGroup(owner)
    tabs = QHBoxLayout()
    tabs.setSpacing(0)
    for key, title in pages.items():
        button = QToolButton()
        button.setText(title)
        button.setCheckable(True)
        button.setMinimumWidth(80)
        button.clicked.connect(lambda _c=False, k=key: show_page(k))
        group.addButton(button)
        tabs.addWidget(button)
        buttons[key] = button
    return tabs, buttons


def menu_buttons(menus: Iterable[tuple[str, QMenu, str]]) -> list[QToolButton]:
    """A button per (text, menu, tooltip) that pops its menu up at once."""
    buttons = []
    for text, menu, tip in menus:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        buttons.append(button)
    return buttons

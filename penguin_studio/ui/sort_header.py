"""Table headers whose sort arrow points the way the column is sorted: ▼ largest first.

QHeaderView hands the style ``SortUp`` for a descending sort (a Windows convention: the
arrow points at the largest value), so Fusion drew ▲ over a column sorted from most errors
down. Users read ▲ as "ascending"; this proxy style swaps the two for one header.
"""

from __future__ import annotations

from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QHeaderView,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionHeader,
    QWidget,
)

_SWAP = {QStyleOptionHeader.SortIndicator.SortUp: QStyleOptionHeader.SortIndicator.SortDown,
         QStyleOptionHeader.SortIndicator.SortDown: QStyleOptionHeader.SortIndicator.SortUp}


class SortArrowStyle(QProxyStyle):
    """The header's own style, with the sort indicator drawn ▲ ascending, ▼ descending."""

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,  # noqa: N802
                      painter: QPainter, widget: QWidget | None = None) -> None:
        if element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow \
                and isinstance(option, QStyleOptionHeader) and option.sortIndicator in _SWAP:
            option = QStyleOptionHeader(option)
            option.sortIndicator = _SWAP[option.sortIndicator]
        super().drawPrimitive(element, option, painter, widget)


def point_sort_arrows_by_order(header: QHeaderView) -> SortArrowStyle:
    """Give ``header`` the swapped arrows; the style lives as long as the header. Its base
    is Fusion, the app's style (app.py), as the app's style sheet hides the style's name."""
    style = SortArrowStyle(QStyleFactory.create("Fusion"))
    style.setParent(header)
    header.setStyle(style)
    return style

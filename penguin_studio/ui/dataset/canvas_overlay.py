"""What the canvas paints over the image, in screen pixels: boxes, tags, handles, crosshair.

Plain functions on a ``QPainter`` whose transform is the identity (viewport pixels), so
outlines, handles and labels stay the same size at every zoom.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen

from penguin_studio.core.colors import ink_on
from penguin_studio.ui.dataset.canvas_geometry import handle_points

HANDLE_PX = 7


def paint_message(painter: QPainter, area: QRectF, text: str, font: QFont) -> None:
    """A centred sentence where the image would be (nothing open, unreadable image…)."""
    painter.setPen(QColor("#8a919c"))
    big = QFont(font)
    big.setPointSizeF(font.pointSizeF() * 1.15)
    painter.setFont(big)
    painter.drawText(area.adjusted(40, 40, -40, -40),
                     Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)


def paint_box(painter: QPainter, rect: QRectF, color: QColor, name: str, selected: bool,
              known_class: bool, font: QFont) -> None:
    """Outline, light fill and class tag; handles when selected; dashed for unknown ids."""
    fill = QColor(color)
    fill.setAlpha(55 if selected else 22)
    pen = QPen(color, 2.5 if selected else 1.8)
    if not known_class:
        pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.setBrush(fill)
    painter.drawRect(rect)
    paint_tag(painter, rect, name, color, font)
    if selected:
        _paint_handles(painter, rect, color)


def paint_proposal(painter: QPainter, rect: QRectF, color: QColor, text: str,
                   selected: bool, font: QFont) -> None:
    """A model proposal still to review: dashed, translucent, "?" and score on its tag, so it
    never reads as ground truth; handles when selected (drag one to adjust it)."""
    pen = QPen(color, 2.4 if selected else 1.6)
    pen.setDashPattern([4.0, 3.0])
    fill = QColor(color)
    fill.setAlpha(45 if selected else 12)
    painter.setPen(pen)
    painter.setBrush(fill)
    painter.drawRect(rect)
    tag_color = QColor(color)
    tag_color.setAlpha(235 if selected else 150)
    paint_tag(painter, rect, text, tag_color, font, outline=True)
    if selected:
        _paint_handles(painter, rect, color)


def _paint_handles(painter: QPainter, rect: QRectF, color: QColor) -> None:
    painter.setPen(QPen(color.darker(160), 1))
    painter.setBrush(QColor("#ffffff"))
    half = HANDLE_PX / 2
    for p in handle_points(rect).values():
        painter.drawRect(QRectF(p.x() - half, p.y() - half, HANDLE_PX, HANDLE_PX))


def paint_tag(painter: QPainter, rect: QRectF, text: str, color: QColor, font: QFont,
              outline: bool = False) -> None:
    """The class name on a coloured tab above the box (inside it at the image's top edge);
    ``outline``: a dashed border of the opaque colour (proposals)."""
    metrics = QFontMetrics(font)
    width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 2
    top = rect.top() - height if rect.top() - height >= 0 else rect.top()
    tag = QRectF(rect.left() - 1, top, width, height)
    if outline:
        pen = QPen(QColor(color.red(), color.green(), color.blue()), 1)
        pen.setDashPattern([3.0, 2.0])
        painter.setPen(pen)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(tag, 3, 3)
    painter.setFont(font)
    opaque = color.alphaF() > 0.7  # a faint tab shows the image through it: white reads
    ink = ink_on(color.getRgb()[:3]) if opaque else (255, 255, 255)
    painter.setPen(QColor("#111111") if ink == (0, 0, 0) else QColor("#ffffff"))
    painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)


def paint_rubber_band(painter: QPainter, rect: QRectF, color: QColor) -> None:
    """The box being drawn."""
    painter.setPen(QPen(color, 2, Qt.PenStyle.DashLine))
    fill = QColor(color)
    fill.setAlpha(40)
    painter.setBrush(fill)
    painter.drawRect(rect)


def paint_crosshair(painter: QPainter, area: QRectF, pos: QPointF, strong: bool,
                    image_point: QPointF | None, font: QFont) -> None:
    """Full-width guide lines through the cursor; brighter, with pixel coordinates, when
    drawing."""
    painter.setPen(QPen(QColor(255, 255, 255, 170 if strong else 70), 1, Qt.PenStyle.DashLine))
    painter.drawLine(QPointF(area.left(), pos.y()), QPointF(area.right(), pos.y()))
    painter.drawLine(QPointF(pos.x(), area.top()), QPointF(pos.x(), area.bottom()))
    if image_point is not None:
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pos + QPointF(10, -8), f"{image_point.x():.0f}, {image_point.y():.0f}")

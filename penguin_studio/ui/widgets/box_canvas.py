"""An image with boxes on it: the Detect viewer and the Evaluate "what went wrong" view.

Boxes are plain :class:`DrawnBox` values (pixels of the image, colour, label, dashed or
not), so callers decide what to draw and tests can read back exactly what was drawn
(:meth:`BoxCanvas.drawn_boxes`). Labels keep their size whatever the zoom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from penguin_studio.core.colors import ink_on


@dataclass(frozen=True)
class DrawnBox:
    """One box to draw: ``xyxy`` in image pixels, an RGB colour and an optional label."""

    xyxy: tuple[float, float, float, float]
    color: tuple[int, int, int]
    label: str = ""
    dashed: bool = False


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A QImage owning a copy of a BGR (or grey) uint8 array."""
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    rgb = np.ascontiguousarray(image[..., 2::-1])
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class BoxCanvas(QGraphicsView):
    """Shows one image scaled to fit, with boxes and labels drawn over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QColor("#20252b"))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._pixmap = QGraphicsPixmapItem()
        self._pixmap.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._pixmap)
        self._items: list[QGraphicsItem] = []
        self._boxes: list[DrawnBox] = []
        self._placeholder = self.scene().addSimpleText("")
        self._placeholder.setBrush(QColor("#9aa5b1"))
        font = QFont()
        font.setPointSize(12)
        self._placeholder.setFont(font)

    # ----- content ------------------------------------------------------------------------
    def set_image(self, image: np.ndarray | None, message: str = "") -> None:
        """Show ``image`` (BGR pixels); None shows ``message`` instead."""
        if image is None:
            self._pixmap.setPixmap(QPixmap())
            self._placeholder.setText(message)
            self.scene().setSceneRect(self._placeholder.boundingRect())
        else:
            self._placeholder.setText("")
            self._pixmap.setPixmap(QPixmap.fromImage(bgr_to_qimage(image)))
            self.scene().setSceneRect(QRectF(self._pixmap.pixmap().rect()))
        self.set_boxes([])
        self._fit()

    def set_boxes(self, boxes: list[DrawnBox]) -> None:
        """Replace the drawn boxes."""
        for item in self._items:
            self.scene().removeItem(item)
        self._items = []
        self._boxes = list(boxes)
        for box in self._boxes:
            self._items.extend(self._box_items(box))

    def drawn_boxes(self) -> list[DrawnBox]:
        """What is on screen now (for tests and for the counts shown beside)."""
        return list(self._boxes)

    def label_rects(self) -> list[QRectF]:
        """Where each label's background is, in view pixels, in drawing order (for tests)."""
        rects = []
        for item in self._items:
            if isinstance(item, QGraphicsRectItem) and item.flags() \
                    & QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations:
                rects.append(item.rect().translated(self.mapFromScene(item.pos()).toPointF()))
        return rects

    def has_image(self) -> bool:
        return not self._pixmap.pixmap().isNull()

    def _box_items(self, box: DrawnBox) -> list[QGraphicsItem]:
        x1, y1, x2, y2 = box.xyxy
        color = QColor(*box.color)
        pen = QPen(color, 2)
        pen.setCosmetic(True)  # two screen pixels whatever the zoom
        if box.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        rect = QGraphicsRectItem(QRectF(x1, y1, x2 - x1, y2 - y1))
        rect.setPen(pen)
        self.scene().addItem(rect)
        if not box.label:
            return [rect]
        # a ground-truth label hangs under its box, a prediction's sits over it: where both
        # boxes mark one object, neither label covers the other
        return [rect, *self._label_items(box.label, color, x1, y2 if box.dashed else y1,
                                         box.dashed)]

    def _label_items(self, text: str, color: QColor, x: float, y: float,
                     below: bool) -> list[QGraphicsItem]:
        label = QGraphicsSimpleTextItem(text)
        font = QFont()
        font.setPointSize(8)
        label.setFont(font)
        label.setBrush(QColor(*ink_on(color.getRgb()[:3])))  # readable on yellow too
        label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        size = label.boundingRect()
        back = QGraphicsRectItem(QRectF(-2, -1, size.width() + 4, size.height() + 2), None)
        back.setBrush(QBrush(color))
        back.setPen(QPen(Qt.PenStyle.NoPen))
        back.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        back.setOpacity(0.85)
        offset = 0.0 if below else -(size.height() + 2) / max(self._scale(), 1e-6)
        for item in (back, label):
            item.setPos(x, y + offset)
            self.scene().addItem(item)
        return [back, label]

    # ----- fitting ------------------------------------------------------------------------
    def _scale(self) -> float:
        return self.transform().m11() or 1.0

    def _fit(self) -> None:
        """Fit the image to the view; a message keeps its natural size."""
        if not self.has_image():
            self.resetTransform()
            return
        rect = self.scene().sceneRect()
        if rect.width() > 0 and rect.height() > 0:
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()
        if self._boxes:
            self.set_boxes(self._boxes)  # label offsets depend on the scale

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._fit()

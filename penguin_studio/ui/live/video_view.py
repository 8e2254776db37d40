"""The video surface: paints the newest annotated frame, scaled to fit, with a stats overlay.

Only the newest result is kept. Each result is painted at once (``repaint``) and
``displayed`` fires when it is on screen, which is where the pipeline measures
capture-to-display latency and display FPS (a hidden view paints and announces nothing).

Painting is kept lean because the GUI thread shares the GIL with the inference worker
(benchmarks/bench_live.py): the frame is scaled by OpenCV outside the GIL when it arrives,
the overlay is rendered into small cached images only when its text changes, and a paint
is two or three unscaled blits plus the letterbox bars.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from penguin_studio.ui.live.frame_image import fitted_qimage

BACKGROUND = QColor(18, 18, 20)
HUD_BACK = QColor(0, 0, 0, 170)
REC_BACK = QColor(200, 30, 40, 220)
MARGIN = 8


class VideoView(QWidget):
    """Black canvas + newest frame (aspect kept) + overlay lines and a badge."""

    displayed = Signal(object)  # the LiveResult just painted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._source: np.ndarray | None = None  # the newest frame, full size, BGR
        self._image: QImage | None = None  # _source scaled to fit, ready to blit
        self._pixels: np.ndarray | None = None  # keeps the QImage's memory alive
        self._rect = QRect()
        self._result: object | None = None
        self._overlay: list[str] = []
        self._badge = ""
        self._hud: QImage | None = None
        self._badge_image: QImage | None = None
        self._placeholder = "Pick a source and a model, then press Start."
        self.paints = 0

    # ----- content -----------------------------------------------------------------------
    def show_result(self, result: object, pixels: np.ndarray) -> None:
        """Show ``pixels`` (BGR) for ``result``; painted at the next repaint."""
        self._source, self._result = pixels, result
        self._fit()
        painted = self.paints
        self.repaint()  # now, not at the next loop turn: the pipeline may be waiting for it
        if self.paints > painted:  # on screen, backing store flushed: announce it
            self.displayed.emit(result)

    @property
    def source_pixels(self) -> np.ndarray | None:
        """The full-size frame currently shown (as handed to :meth:`show_result`)."""
        return self._source

    @property
    def overlay_lines(self) -> list[str]:
        return list(self._overlay)

    def set_overlay(self, lines: list[str], badge: str = "") -> None:
        """Stats lines bottom-left, ``badge`` ("● REC", "PAUSED") bottom-right: the top is
        where box labels sit. Re-rendered only when the text changes."""
        if lines != self._overlay:
            self._overlay = list(lines)
            self._hud = self._render_label(lines, HUD_BACK) if lines else None
        if badge != self._badge:
            self._badge = badge
            back = REC_BACK if "REC" in badge else HUD_BACK
            self._badge_image = self._render_label([badge], back) if badge else None
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def clear(self) -> None:
        self._source = self._image = self._pixels = self._result = None
        self.set_overlay([], "")

    @property
    def has_frame(self) -> bool:
        return self._source is not None

    # ----- geometry ----------------------------------------------------------------------
    def image_rect(self) -> QRect:
        """Where the frame lands: as large as fits, centred, aspect ratio kept."""
        if self._source is None or self._source.shape[1] == 0:
            return QRect()
        src_h, src_w = self._source.shape[:2]
        scale = min(self.width() / src_w, self.height() / src_h)
        w, h = max(1, int(src_w * scale)), max(1, int(src_h * scale))
        return QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def _fit(self) -> None:
        """Scale the frame to the widget now (GIL-free in OpenCV), so painting only copies."""
        if self._source is None:
            self._image = self._pixels = None
            return
        self._rect = self.image_rect()
        ratio = self.devicePixelRatioF()
        self._image, self._pixels = fitted_qimage(self._source, self._rect.width() * ratio,
                                                  self._rect.height() * ratio)
        self._image.setDevicePixelRatio(ratio)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    # ----- painting ----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        if self._image is None:
            painter.fillRect(self.rect(), BACKGROUND)
            self._paint_placeholder(painter)
        else:
            self._paint_frame(painter)
        painter.end()
        self.paints += 1

    def _paint_frame(self, painter: QPainter) -> None:
        rect = self._rect
        if rect.width() < self.width():  # letterbox bars only, not under the frame
            painter.fillRect(0, 0, rect.left(), self.height(), BACKGROUND)
            painter.fillRect(rect.right() + 1, 0, self.width() - rect.right(), self.height(),
                             BACKGROUND)
        if rect.height() < self.height():
            painter.fillRect(0, 0, self.width(), rect.top(), BACKGROUND)
            painter.fillRect(0, rect.bottom() + 1, self.width(), self.height() - rect.bottom(),
                             BACKGROUND)
        painter.drawImage(rect.topLeft(), self._image)
        bottom = rect.bottom() - MARGIN
        if self._hud is not None:
            painter.drawImage(QPoint(rect.left() + MARGIN, bottom - self._hud.height()),
                              self._hud)
        if self._badge_image is not None:
            corner = QPoint(rect.right() - MARGIN - self._badge_image.width(),
                            bottom - self._badge_image.height())
            painter.drawImage(corner, self._badge_image)

    def _paint_placeholder(self, painter: QPainter) -> None:
        painter.setPen(QColor(170, 170, 175))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        painter.setFont(font)
        painter.drawText(self.rect().adjusted(24, 24, -24, -24),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self._placeholder)

    def _render_label(self, lines: list[str], back: QColor) -> QImage:
        """White bold text on a rounded translucent panel, as a small image to blit."""
        font = QFont(self.font())
        font.setBold(True)
        metrics = QFontMetrics(font)
        width = max(metrics.horizontalAdvance(line) for line in lines) + 16
        height = metrics.height() * len(lines) + 8
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(back)
        painter.drawRoundedRect(0, 0, width, height, 5, 5)
        painter.setPen(QColor(255, 255, 255))
        painter.setFont(font)
        for i, line in enumerate(lines):
            painter.drawText(8, 4 + metrics.ascent() + i * metrics.height(), line)
        painter.end()
        return image

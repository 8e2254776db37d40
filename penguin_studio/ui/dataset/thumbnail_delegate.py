"""Painting one image cell: thumbnail (or why there is none), name, split and label badges.

An image with model proposals still to review gets a "? N" badge on its thumbnail (grid) or
an "N to review" chip (list).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from penguin_studio.ui.dataset.browser_model import ImageListModel, RecordRole
from penguin_studio.ui.dataset.colors import split_color
from penguin_studio.ui.dataset.records import (
    BACKGROUND,
    BROKEN,
    LABELLED,
    UNLABELLED,
    ImageRecord,
)
from penguin_studio.ui.dataset.thumbnails import THUMB_SIDE, ThumbnailLoader

GRID_CELL = QSize(THUMB_SIDE + 20, THUMB_SIDE + 54)
LIST_ROW_HEIGHT = 56
LIST_THUMB = 44

CARD = QColor("#2a2e35")
CARD_HOVER = QColor("#333843")
CARD_SELECTED = QColor("#1f4f8f")
WELL = QColor("#1d2026")
TEXT = QColor("#e6e8eb")
TEXT_DIM = QColor("#9aa1ab")
DANGER = QColor("#ff6b6b")
WARN = QColor("#fcc419")
REVIEW = QColor("#4dabf7")
REVIEW_BADGE = QColor("#1971c2")


class ThumbnailDelegate(QStyledItemDelegate):
    """Grid cards or list rows; asks the loader for a thumbnail only when it paints one."""

    def __init__(self, loader: ThumbnailLoader, model: ImageListModel, parent=None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.model = model
        self.grid = True
        self.cell = QSize(GRID_CELL)  # widened by the browser to fill the row
        self.class_names: list[str] = []

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        if self.grid:
            return self.cell
        return QSize(max(200, option.rect.width()), LIST_ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        record: ImageRecord | None = index.data(RecordRole)
        if record is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(3, 3, -3, -3)
        if self.grid and rect.width() > GRID_CELL.width() - 6:  # centre the card in its cell
            extra = rect.width() - (GRID_CELL.width() - 6)
            rect = rect.adjusted(extra // 2, 0, -(extra - extra // 2), 0)
        self._paint_card(painter, option, rect)
        if self.grid:
            self._paint_grid(painter, rect, record)
        else:
            self._paint_row(painter, rect, record)
        painter.restore()

    # ----- parts --------------------------------------------------------------------------
    def _paint_card(self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect) -> None:
        state = option.state
        color = CARD
        if state & QStyle.StateFlag.State_Selected:
            color = CARD_SELECTED
        elif state & QStyle.StateFlag.State_MouseOver:
            color = CARD_HOVER
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(QRectF(rect), 6, 6)
        if state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor("#4dabf7"), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)

    def _paint_grid(self, painter: QPainter, rect: QRect, record: ImageRecord) -> None:
        well = QRect(rect.left() + 7, rect.top() + 7, rect.width() - 14, THUMB_SIDE + 2)
        self._paint_thumbnail(painter, well, record, detailed=True)
        if record.pending:
            self._review_badge(painter, well, record.pending)
        if record.score is not None and self._informative_first():
            self._score_badge(painter, well, record)
        name_rect = QRect(rect.left() + 8, well.bottom() + 5, rect.width() - 16, 16)
        font = QFont(painter.font())
        painter.setFont(font)
        painter.setPen(TEXT)
        metrics = QFontMetrics(font)
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(record.name, Qt.TextElideMode.ElideMiddle,
                                            name_rect.width()))
        chips_y = name_rect.bottom() + 3
        x = rect.left() + 8
        x = self._chip(painter, x, chips_y, record.split, split_color(record.split))
        self._status_chip(painter, x, chips_y, record)

    def _paint_row(self, painter: QPainter, rect: QRect, record: ImageRecord) -> None:
        well = QRect(rect.left() + 6, rect.top() + (rect.height() - LIST_THUMB) // 2,
                     LIST_THUMB, LIST_THUMB)
        self._paint_thumbnail(painter, well, record, detailed=False)
        left = well.right() + 12
        top = QRect(left, rect.top() + 6, rect.width() - left + rect.left() - 8, 20)
        painter.setPen(TEXT)
        metrics = QFontMetrics(painter.font())
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(record.name, Qt.TextElideMode.ElideMiddle,
                                            top.width()))
        x = self._chip(painter, left, top.bottom() + 4, record.split, split_color(record.split))
        x = self._status_chip(painter, x, top.bottom() + 4, record)
        if record.pending:
            x = self._chip(painter, x, top.bottom() + 4, f"{record.pending} to review", REVIEW)
        problem = self._problem(record)
        detail = problem or self._class_counts(record)
        if detail:
            painter.setPen(DANGER if problem else TEXT_DIM)
            text_rect = QRect(x + 6, top.bottom() + 4, rect.right() - x - 12, 16)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(detail, Qt.TextElideMode.ElideRight,
                                                text_rect.width()))
        painter.setPen(TEXT_DIM)
        folder = QRect(rect.left() + rect.width() // 2, rect.top() + 6,
                       rect.width() // 2 - 10, 20)
        painter.drawText(folder, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(str(record.path.parent), Qt.TextElideMode.ElideLeft,
                                            folder.width()))

    def _class_counts(self, record: ImageRecord) -> str:
        names = self.class_names
        parts = [f"{names[c] if 0 <= c < len(names) else f'class {c}?'} ×{n}"
                 for c, n in sorted(record.summary.counts.items())]
        return "   ".join(parts)

    def _problem(self, record: ImageRecord) -> str:
        return (self.loader.error(record.key) or record.summary.problem
                or self.model.problems.get(record.key, ""))

    def _paint_thumbnail(self, painter: QPainter, well: QRect, record: ImageRecord,
                         detailed: bool) -> None:
        path = QPainterPath()
        path.addRoundedRect(QRectF(well), 4, 4)
        painter.fillPath(path, WELL)
        pixmap = self.loader.pixmap(record.key)
        if pixmap is not None:
            size = pixmap.size().scaled(well.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(well.center())
            painter.save()
            painter.setClipPath(path)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawPixmap(target, pixmap)
            painter.restore()
            return
        error = self.loader.error(record.key)
        if error:
            self._paint_broken(painter, well, error if detailed else "")

    def _paint_broken(self, painter: QPainter, well: QRect, reason: str) -> None:
        painter.save()
        painter.setPen(QPen(DANGER, 1.2, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(well).adjusted(1, 1, -1, -1), 4, 4)
        icon_font = QFont(painter.font())
        icon_font.setPointSizeF(icon_font.pointSizeF() * (2.0 if reason else 1.3))
        icon_font.setBold(True)
        painter.setFont(icon_font)
        painter.setPen(DANGER)
        icon_rect = QRect(well.left(), well.top() + (8 if reason else 0), well.width(),
                          well.height() // 2 if reason else well.height())
        painter.drawText(icon_rect, Qt.AlignmentFlag.AlignCenter, "!")
        if reason:
            small = QFont(painter.font())
            small.setPointSizeF(max(7.0, painter.font().pointSizeF() / 2.0 * 0.9))
            small.setBold(False)
            painter.setFont(small)
            painter.setPen(TEXT_DIM)
            text_rect = well.adjusted(8, well.height() // 2, -8, -6)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap, reason)
        painter.restore()

    def _chip(self, painter: QPainter, x: int, y: int, text: str, color: QColor) -> int:
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.save()
        painter.setFont(font)
        width = QFontMetrics(font).horizontalAdvance(text) + 12
        chip = QRectF(x, y, width, 16)
        fill = QColor(color)
        fill.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(chip, 8, 8)
        painter.setPen(color.lighter(130))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
        return x + width + 4

    def _informative_first(self) -> bool:
        return bool(getattr(self.model, "informative_first", False))

    def _score_badge(self, painter: QPainter, well: QRect, record: ImageRecord) -> None:
        """"#3 · 0.82" in the thumbnail's top-left corner: place and informativeness in the
        label-next queue (shown while the browser is sorted most informative first)."""
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        text = f"#{(record.queue_rank or 0) + 1} · {record.score:.2f}"
        width = QFontMetrics(font).horizontalAdvance(text) + 12
        badge = QRectF(well.left() + 4, well.top() + 4, width, 18)
        painter.save()
        painter.setFont(font)
        painter.setPen(QPen(QColor("#ffe8a3"), 1))
        painter.setBrush(QColor(120, 80, 0, 215))
        painter.drawRoundedRect(badge, 9, 9)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _review_badge(self, painter: QPainter, well: QRect, count: int) -> None:
        """"? N" in the thumbnail's top-right corner: proposals waiting for review."""
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        text = f"? {count}"
        width = QFontMetrics(font).horizontalAdvance(text) + 12
        badge = QRectF(well.right() - width - 4, well.top() + 4, width, 18)
        painter.save()
        painter.setFont(font)
        painter.setPen(QPen(QColor("#d0ebff"), 1))
        painter.setBrush(REVIEW_BADGE)
        painter.drawRoundedRect(badge, 9, 9)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def status_chip(self, record: ImageRecord) -> tuple[str, QColor] | None:
        """The status chip's text and colour: "error" when the image cannot be read (the
        thumbnail failed: missing, corrupt, truncated) or its label file cannot be parsed."""
        summary = record.summary
        if self.loader.error(record.key) or summary.status == BROKEN:
            return "error", DANGER
        if summary.status == LABELLED:
            n = summary.boxes
            return f"{n} box{'es' if n != 1 else ''}", QColor("#51cf66")
        if summary.status == BACKGROUND:
            return "background", TEXT_DIM
        if summary.status == UNLABELLED:
            return "unlabelled", WARN
        return None

    def _status_chip(self, painter: QPainter, x: int, y: int, record: ImageRecord) -> int:
        chip = self.status_chip(record)
        return x if chip is None else self._chip(painter, x, y, *chip)

"""The annotation canvas: the image, its boxes, and the mouse gestures that edit them.

A ``QGraphicsView`` shows the image (scene units are image pixels) and gives zoom, scrolling
and fit. Boxes are painted in ``drawForeground`` in screen pixels, so outlines, handles and
labels keep the same size at every zoom, and hit tests use screen-pixel margins. This module
holds the state and the gestures; ``canvas_paint`` draws that state. Gestures:

- ``W`` arms drawing; drag to draw a box of the current class (``Esc`` cancels);
- drag a box to move it, drag one of its eight handles to resize it;
- drag empty space (or use the middle button) to pan; wheel zooms around the cursor.

Each finished gesture becomes one undo command (one atomic write); drags only preview.

Model proposals still to review are drawn dashed and translucent over the boxes, with a
"?" and their score. They can be selected like boxes; moving, resizing or re-classing one
does not edit it in place but emits ``proposal_adjusted``: the editor turns it into a
ground-truth box (see ``proposal_commands``).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPixmap,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

from penguin_studio.core.dataset.labels import Box
from penguin_studio.ui.dataset import canvas_geometry as geo
from penguin_studio.ui.dataset import canvas_paint, undo_commands
from penguin_studio.ui.dataset.label_document import LabelDocument

BACKGROUND = QColor("#15171b")
HIT_PX = 6
MIN_ZOOM, MAX_ZOOM = 0.02, 40.0

_HANDLE_CURSORS = {
    "tl": Qt.CursorShape.SizeFDiagCursor, "br": Qt.CursorShape.SizeFDiagCursor,
    "tr": Qt.CursorShape.SizeBDiagCursor, "bl": Qt.CursorShape.SizeBDiagCursor,
    "t": Qt.CursorShape.SizeVerCursor, "b": Qt.CursorShape.SizeVerCursor,
    "l": Qt.CursorShape.SizeHorCursor, "r": Qt.CursorShape.SizeHorCursor,
}


class AnnotationCanvas(QGraphicsView):
    """Shows one image with its boxes and turns mouse gestures into undoable edits."""

    selection_changed = Signal(object)  # int | None
    proposal_selected = Signal(object)  # proposal index in its file | None
    proposal_adjusted = Signal(int, object)  # proposal index, Box as the user left it
    drawing_armed = Signal(bool)
    zoom_changed = Signal(float)
    edit_refused = Signal(str)  # why an edit cannot be made (locked label file…)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._pixmap_item = QGraphicsPixmapItem()
        self._pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._pixmap_item)
        self.setBackgroundBrush(BACKGROUND)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.doc: LabelDocument | None = None
        self.image_size: tuple[int, int] | None = None
        self.class_names: list[str] = []
        self.current_class = 0
        self.selected: int | None = None
        #: pending proposals: (index in the proposals file, box, model confidence)
        self.proposals: list[tuple[int, Box, float]] = []
        self.selected_proposal: int | None = None
        self.message = "Double-click an image in the browser to edit its boxes."
        self._armed = False
        self._fit_mode = True
        self._drag: geo.Drag | None = None
        self._mouse: QPointF | None = None
        self._label_font = QFont(self.font())
        self._label_font.setBold(True)
        self._label_font.setPointSizeF(max(8.0, self.font().pointSizeF() * 0.9))
        #: extra painters over the boxes, called with the view's painter (tools' previews)
        self.overlays: list = []

    # ----- content ------------------------------------------------------------------------
    def set_document(self, doc: LabelDocument | None, size: tuple[int, int] | None,
                     preview: QPixmap | None = None, message: str = "") -> None:
        """Show ``doc``'s image at ``size`` (preview pixmap scaled up until the real one)."""
        previous = self.doc
        if self.doc is not None and doc is not self.doc:
            self.doc.boxes_changed.disconnect(self._doc_changed)
        self.doc = doc
        self._drag = None
        self.selected = None
        self.proposals = []
        self.selected_proposal = None
        self.message = message
        if doc is not None and doc is not previous:
            doc.boxes_changed.connect(self._doc_changed)
        self._set_size(size)
        if preview is not None and size is not None and not preview.isNull():
            # stretch the small thumbnail over the image's area (an item transform: no
            # full-size pixmap is made on the GUI thread) until the real pixels arrive
            self._pixmap_item.setPixmap(preview)
            self._pixmap_item.setTransform(QTransform.fromScale(
                size[0] / preview.width(), size[1] / preview.height()))
        else:
            self._pixmap_item.setPixmap(QPixmap())
        self.arm_drawing(False)
        self.fit()
        self.selection_changed.emit(None)
        self.proposal_selected.emit(None)

    def set_proposals(self, items: list[tuple[int, Box, float]]) -> None:
        """The pending proposals to draw; a selected one that was decided is deselected."""
        self.proposals = list(items)
        if self.selected_proposal is not None and all(
                i != self.selected_proposal for i, _b, _c in items):
            self.select_proposal(None)
        self.viewport().update()

    def set_image(self, image: QImage) -> None:
        """The full-resolution pixels arrived; the size may correct the header's guess."""
        size = (image.width(), image.height())
        refit = size != self.image_size
        self._set_size(size)
        self._pixmap_item.setTransform(QTransform())
        self._pixmap_item.setPixmap(QPixmap.fromImage(image))
        if refit or self._fit_mode:
            self.fit()
        self.viewport().update()

    def set_unavailable(self, reason: str) -> None:
        """The image cannot be read: no editing, say why."""
        self._set_size(None)
        self._pixmap_item.setPixmap(QPixmap())
        self.message = reason
        self.viewport().update()

    def _set_size(self, size: tuple[int, int] | None) -> None:
        self.image_size = size
        w, h = size or (1, 1)
        self.scene().setSceneRect(QRectF(0, 0, w, h))

    def set_class_names(self, names: list[str]) -> None:
        self.class_names = list(names)
        self.viewport().update()

    def _doc_changed(self) -> None:
        doc = self.doc
        if doc is None:
            return
        hint = doc.selection_hint
        doc.selection_hint = None
        if hint is not None and 0 <= hint < len(doc.boxes):
            self._select(hint)
        elif self.selected is not None and self.selected >= len(doc.boxes):
            self._select(None)
        self.viewport().update()

    # ----- state --------------------------------------------------------------------------
    @property
    def editable(self) -> bool:
        return self.doc is not None and self.image_size is not None and not self.doc.locked

    def refuse_edit(self) -> bool:
        """True (and says why) when the current image cannot be edited."""
        if self.editable:
            return False
        if self.doc is not None and self.doc.locked:
            self.edit_refused.emit("This label file cannot be read; fix or reset it first.")
        return True

    @property
    def armed(self) -> bool:
        return self._armed

    def arm_drawing(self, on: bool = True) -> None:
        if on and self.refuse_edit():
            on = False
        self._armed = on
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on
                                  else Qt.CursorShape.ArrowCursor)
        self.drawing_armed.emit(on)
        self.viewport().update()

    def _select(self, index: int | None) -> None:
        """Select a ground-truth box (one thing is selected at a time: box or proposal)."""
        if index is not None and self.selected_proposal is not None:
            self.selected_proposal = None
            self.proposal_selected.emit(None)
        if index != self.selected:
            self.selected = index
            self.selection_changed.emit(index)
        self.viewport().update()

    def select(self, index: int | None) -> None:
        self._select(index)

    def select_proposal(self, index: int | None) -> None:
        """Select a pending proposal by its index in the proposals file."""
        if index is not None and self.selected is not None:
            self._select(None)
        if index != self.selected_proposal:
            self.selected_proposal = index
            self.proposal_selected.emit(index)
        self.viewport().update()

    def rects(self) -> list[QRectF]:
        if self.doc is None or self.image_size is None:
            return []
        w, h = self.image_size
        return [geo.box_rect(b, w, h) for b in self.doc.boxes]

    def proposal_rects(self) -> list[QRectF]:
        if self.image_size is None:
            return []
        w, h = self.image_size
        return [geo.box_rect(b, w, h) for _i, b, _c in self.proposals]

    def _proposal_row(self, index: int | None) -> int | None:
        """Position in ``self.proposals`` of the proposal with file index ``index``."""
        return next((row for row, (i, _b, _c) in enumerate(self.proposals) if i == index),
                    None)

    def _selected_target(self) -> tuple[str, int, QRectF] | None:
        """What is selected, as (kind, index, image rect): kind "box" or "proposal"."""
        if self.selected is not None and self.selected < len(self.rects()):
            return "box", self.selected, self.rects()[self.selected]
        row = self._proposal_row(self.selected_proposal)
        if row is not None:
            return "proposal", self.proposals[row][0], self.proposal_rects()[row]
        return None

    # ----- edits from keys and side panels ------------------------------------------------
    def delete_selected(self) -> None:
        if self.selected is None or self.refuse_edit():
            return
        assert self.doc is not None
        undo_commands.delete_box(self.doc, self.selected)
        self._select(None)

    def set_current_class(self, cls: int) -> None:
        """Re-label the selected box (or adjust the selected proposal to that class); with
        nothing selected, set the class of the next box drawn. Only one of the two: fixing
        one box's class must not change what the next box becomes."""
        row = self._proposal_row(self.selected_proposal)
        if row is not None:
            index, box, _conf = self.proposals[row]
            if box.cls != cls and self.editable:
                self.proposal_adjusted.emit(index, Box(cls, box.cx, box.cy, box.w, box.h))
        elif self.selected is not None and self.doc is not None:
            box = self.doc.boxes[self.selected]
            if box.cls != cls and self.editable:
                new = Box(cls, box.cx, box.cy, box.w, box.h)
                undo_commands.replace_box(self.doc, self.selected, new, "Change class")
        else:
            self.current_class = cls
        self.viewport().update()

    def selected_class(self) -> int | None:
        """The class of the selected box or proposal, None when nothing is selected."""
        row = self._proposal_row(self.selected_proposal)
        if row is not None:
            return self.proposals[row][1].cls
        if self.selected is not None and self.doc is not None \
                and self.selected < len(self.doc.boxes):
            return self.doc.boxes[self.selected].cls
        return None

    # ----- zoom ---------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self._fit_mode = True
        if self.image_size is None:
            self.resetTransform()
        else:
            margin = 12
            view = self.viewport().rect().adjusted(margin, margin, -margin, -margin)
            w, h = self.image_size
            scale = min(view.width() / w, view.height() / h) if w and h else 1.0
            self._set_zoom(max(MIN_ZOOM, scale))
            self.centerOn(w / 2, h / 2)
        self.zoom_changed.emit(self.zoom)

    def actual_size(self) -> None:
        self._fit_mode = False
        self._set_zoom(1.0)
        self.zoom_changed.emit(self.zoom)

    def zoom_by(self, factor: float) -> None:
        self._fit_mode = False
        self._set_zoom(min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor)))
        self.zoom_changed.emit(self.zoom)

    def _set_zoom(self, zoom: float) -> None:
        self.setTransform(QTransform.fromScale(zoom, zoom))
        smooth = zoom < 3.0  # past 3× show real pixels, so edges can be placed exactly
        self._pixmap_item.setTransformationMode(
            Qt.TransformationMode.SmoothTransformation if smooth
            else Qt.TransformationMode.FastTransformation)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.2 ** steps)
        event.accept()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()

    # ----- coordinates --------------------------------------------------------------------
    def to_image(self, pos: QPointF) -> QPointF:
        """Image point under a viewport pixel."""
        return self.viewportTransform().inverted()[0].map(pos)

    def to_view(self, rect: QRectF) -> QRectF:
        """Viewport rectangle of an image rectangle."""
        return self.viewportTransform().mapRect(rect)

    def image_to_view(self, x: float, y: float) -> QPoint:
        """Viewport pixel of an image point (tests drive real mouse events with it)."""
        return self.viewportTransform().map(QPointF(x, y)).toPoint()

    def _handle_at(self, pos: QPointF) -> str | None:
        target = self._selected_target()
        if target is None:
            return None
        rect = self.to_view(target[2])
        for name, p in geo.handle_points(rect).items():
            if abs(p.x() - pos.x()) <= HIT_PX and abs(p.y() - pos.y()) <= HIT_PX:
                return name
        return None

    def _hit_at(self, pos: QPointF) -> tuple[str, int] | None:
        """The box or proposal under ``pos`` (the smallest of both kinds wins)."""
        boxes, proposals = self.rects(), self.proposal_rects()
        view_rects = [self.to_view(r) for r in boxes + proposals]
        hit = geo.box_at(view_rects, pos, margin=2)
        if hit is None:
            return None
        if hit < len(boxes):
            return "box", hit
        return "proposal", self.proposals[hit - len(boxes)][0]

    # ----- mouse --------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() == Qt.MouseButton.MiddleButton:
            self._start_pan(pos)
        elif event.button() == Qt.MouseButton.LeftButton:
            self._left_press(pos)
        event.accept()

    def _left_press(self, pos: QPointF) -> None:
        if self._armed and self.editable and self.image_size is not None:
            start = geo.clamp_point(self.to_image(pos), *self.image_size)
            self._drag = geo.Drag("draw", rect=QRectF(start, start), start=start)
            return
        handle = self._handle_at(pos)
        target = self._selected_target()
        if handle is not None and target is not None and self.editable:
            kind, index, rect = target
            self._drag = geo.Drag("resize", rect=rect, orig=rect, handle=handle, target=kind,
                                  index=index)
            return
        hit = self._hit_at(pos)
        if hit is not None:
            kind, index = hit
            if kind == "box":
                self._select(index)
            else:
                self.select_proposal(index)
            target = self._selected_target()
            if self.editable and target is not None:
                rect = target[2]
                self._drag = geo.Drag("move", rect=rect, start=self.to_image(pos), orig=rect,
                                      target=kind, index=index)
            return
        self._select(None)
        self.select_proposal(None)
        self._start_pan(pos)

    def _start_pan(self, pos: QPointF) -> None:
        self._drag = geo.Drag("pan", last=pos)
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        self._mouse = pos
        drag = self._drag
        if drag is None:
            self._update_hover_cursor(pos)
        elif drag.kind == "pan":
            delta = pos - drag.last
            drag.last = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value()
                                                - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value()
                                              - round(delta.y()))
        elif self.image_size is not None:
            self._drag_to(drag, self.to_image(pos))
        self.viewport().update()
        event.accept()

    def _drag_to(self, drag: geo.Drag, p: QPointF) -> None:
        w, h = self.image_size  # type: ignore[misc]
        if drag.kind == "draw":
            drag.rect = QRectF(drag.start, geo.clamp_point(p, w, h)).normalized()
        elif drag.kind == "move":
            drag.rect = geo.moved(drag.orig, p - drag.start, w, h)
        elif drag.kind == "resize":
            drag.rect = geo.resized(drag.orig, drag.handle, p, w, h)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        if drag is not None and drag.kind != "pan" and self.image_size is not None:
            self._drag_to(drag, self.to_image(event.position()))
            self._finish(drag)
        self._update_hover_cursor(event.position())
        self.viewport().update()
        event.accept()

    def _finish(self, drag: geo.Drag) -> None:
        doc, (w, h) = self.doc, self.image_size  # type: ignore[misc]
        assert doc is not None
        rect = drag.rect
        if drag.kind == "draw":
            self.arm_drawing(False)
            if geo.big_enough(rect):
                undo_commands.add_box(doc, geo.rect_box(self.current_class, rect, w, h))
            return
        if rect == drag.orig or not geo.big_enough(rect):
            return
        index = drag.index
        if drag.target == "proposal":
            row = self._proposal_row(index)
            if row is not None:
                cls = self.proposals[row][1].cls
                self.proposal_adjusted.emit(index, geo.rect_box(cls, rect, w, h))
            return
        box = geo.rect_box(doc.boxes[index].cls, rect, w, h)
        text = "Move box" if drag.kind == "move" else "Resize box"
        undo_commands.replace_box(doc, index, box, text)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._mouse = None
        self.viewport().update()
        super().leaveEvent(event)

    def _update_hover_cursor(self, pos: QPointF) -> None:
        if self._armed:
            cursor = Qt.CursorShape.CrossCursor
        elif (handle := self._handle_at(pos)) is not None:
            cursor = _HANDLE_CURSORS[handle]
        elif self._hit_at(pos) is not None:
            cursor = Qt.CursorShape.SizeAllCursor
        else:
            cursor = Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(cursor)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape and (self._armed or self._drag):
            self._drag = None
            self.arm_drawing(False)
            return
        if event.key() == Qt.Key.Key_Escape and self.selected is not None:
            self._select(None)
            return
        if event.key() == Qt.Key.Key_Escape and self.selected_proposal is not None:
            self.select_proposal(None)
            return
        super().keyPressEvent(event)

    # ----- painting (see canvas_paint) -----------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """Boxes, handles, labels and crosshair in screen pixels (same size at any zoom)."""
        canvas_paint.paint_foreground(self, painter)
        for paint in self.overlays:
            paint(painter)

    def box_name(self, cls: int) -> str:
        return self.class_names[cls] if 0 <= cls < len(self.class_names) else f"class {cls}?"

    @property
    def drag(self) -> geo.Drag | None:
        """The gesture in progress (draw, move, resize or pan) with its live rectangle."""
        return self._drag

    @property
    def mouse_pos(self) -> QPointF | None:
        """Where the cursor is over the viewport (None when it left)."""
        return self._mouse

    @property
    def label_font(self) -> QFont:
        return self._label_font

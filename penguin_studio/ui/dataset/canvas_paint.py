"""Rendering of the annotation canvas, kept apart from its state and gestures.

As in labelme, the canvas widget owns the state (document, selection, the live drag) and
turns mouse gestures into undoable edits, while drawing that state is a separate concern.
These functions only read the canvas and paint what it shows in screen pixels (boxes,
proposals, the rubber band of a box being drawn, the crosshair) with the primitives of
:mod:`~penguin_studio.ui.dataset.canvas_overlay`; nothing here changes the canvas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

from penguin_studio.ui.dataset import canvas_geometry as geo
from penguin_studio.ui.dataset import canvas_overlay as overlay
from penguin_studio.ui.dataset.colors import class_color

if TYPE_CHECKING:
    from penguin_studio.ui.dataset.canvas import AnnotationCanvas


def paint_foreground(canvas: AnnotationCanvas, painter: QPainter) -> None:
    """Boxes, handles, labels and crosshair in screen pixels (same size at any zoom)."""
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    area = QRectF(canvas.viewport().rect())
    if canvas.image_size is None:
        overlay.paint_message(painter, area, canvas.message, canvas.font())
    else:
        paint_boxes(canvas, painter)
        paint_crosshair(canvas, painter, area)
    painter.restore()


def dragged_rect(canvas: AnnotationCanvas, kind: str, index: int) -> QRectF | None:
    """The live rectangle of a box or proposal being moved or resized."""
    drag = canvas.drag
    if drag and drag.kind in ("move", "resize") and drag.target == kind \
            and drag.index == index:
        return drag.rect
    return None


def paint_boxes(canvas: AnnotationCanvas, painter: QPainter) -> None:
    """Ground-truth boxes, then pending proposals over them, then the box being drawn."""
    doc = canvas.doc
    if doc is None:
        return
    font = canvas.label_font
    for i, (box, rect) in enumerate(zip(doc.boxes, canvas.rects(), strict=True)):
        rect = dragged_rect(canvas, "box", i) or rect
        known = 0 <= box.cls < len(canvas.class_names)
        overlay.paint_box(painter, canvas.to_view(rect), class_color(box.cls),
                          canvas.box_name(box.cls), i == canvas.selected, known, font)
    for (index, box, conf), rect in zip(canvas.proposals, canvas.proposal_rects(),
                                        strict=True):
        rect = dragged_rect(canvas, "proposal", index) or rect
        overlay.paint_proposal(painter, canvas.to_view(rect), class_color(box.cls),
                               f"? {canvas.box_name(box.cls)} {conf:.2f}",
                               index == canvas.selected_proposal, font)
    drag = canvas.drag
    if drag and drag.kind == "draw":
        overlay.paint_rubber_band(painter, canvas.to_view(drag.rect),
                                  class_color(canvas.current_class))


def paint_crosshair(canvas: AnnotationCanvas, painter: QPainter, area: QRectF) -> None:
    """Guide lines through the cursor; strong (with image coordinates) while drawing."""
    pos = canvas.mouse_pos
    drag = canvas.drag
    if pos is None or (drag and drag.kind == "pan"):
        return
    strong = canvas.armed or (drag is not None and drag.kind == "draw")
    where = None
    if strong and canvas.image_size is not None:
        where = geo.clamp_point(canvas.to_image(pos), *canvas.image_size)
    overlay.paint_crosshair(painter, area, pos, strong, where, canvas.font())

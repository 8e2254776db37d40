"""Box geometry for the canvas: pixel rectangles, handles, hit tests, drags.

Pure functions on ``QRectF``/``QPointF`` in image pixels, kept apart from the widget so the
rules (smallest box wins, handles before bodies, boxes stay inside the image) are easy to
read and test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QPointF, QRectF

from penguin_studio.core.dataset.labels import Box

#: handle name → (x factor, y factor) along the box: 0 = left/top, 1 = right/bottom
HANDLES: dict[str, tuple[float, float]] = {
    "tl": (0, 0), "t": (0.5, 0), "tr": (1, 0), "r": (1, 0.5),
    "br": (1, 1), "b": (0.5, 1), "bl": (0, 1), "l": (0, 0.5),
}
MIN_BOX_PX = 2.0


@dataclass
class Drag:
    """The canvas gesture in progress: what it does and its live rectangle (image pixels).

    ``draw`` starts at ``start``; ``move`` grabbed at ``start`` and ``resize`` pulls ``handle``,
    both of ``orig``, the rectangle of box (or proposal) ``index`` of ``target``; ``pan``
    follows the mouse from ``last`` (view pixels). Only ``rect`` changes while it runs.
    """

    kind: Literal["draw", "move", "resize", "pan"]
    rect: QRectF = field(default_factory=QRectF)
    start: QPointF = field(default_factory=QPointF)
    orig: QRectF = field(default_factory=QRectF)
    handle: str = ""
    target: Literal["box", "proposal", ""] = ""
    index: int = -1
    last: QPointF = field(default_factory=QPointF)


def box_rect(box: Box, width: int, height: int) -> QRectF:
    x1, y1, x2, y2 = box.xyxy
    return QRectF(QPointF(x1 * width, y1 * height), QPointF(x2 * width, y2 * height))


def rect_box(cls: int, rect: QRectF, width: int, height: int) -> Box:
    r = rect.normalized()
    return Box.from_xyxy(cls, r.left() / width, r.top() / height,
                         r.right() / width, r.bottom() / height)


def handle_points(rect: QRectF) -> dict[str, QPointF]:
    return {name: QPointF(rect.left() + fx * rect.width(), rect.top() + fy * rect.height())
            for name, (fx, fy) in HANDLES.items()}


def clamp_point(p: QPointF, width: int, height: int) -> QPointF:
    return QPointF(min(max(p.x(), 0.0), float(width)), min(max(p.y(), 0.0), float(height)))


def moved(rect: QRectF, delta: QPointF, width: int, height: int) -> QRectF:
    """``rect`` shifted by ``delta`` but kept inside the image."""
    dx = min(max(delta.x(), -rect.left()), width - rect.right())
    dy = min(max(delta.y(), -rect.top()), height - rect.bottom())
    return rect.translated(dx, dy)


def resized(rect: QRectF, handle: str, p: QPointF, width: int, height: int) -> QRectF:
    """``rect`` with the edges of ``handle`` dragged to ``p``; may flip, stays in the image."""
    p = clamp_point(p, width, height)
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    if "l" in handle:
        left = p.x()
    if "r" in handle:
        right = p.x()
    if "t" in handle:
        top = p.y()
    if "b" in handle:
        bottom = p.y()
    return QRectF(QPointF(left, top), QPointF(right, bottom)).normalized()


def box_at(rects: list[QRectF], p: QPointF, margin: float) -> int | None:
    """The box under ``p`` (the smallest one when nested, so inner boxes stay reachable)."""
    hits = [(r.width() * r.height(), i) for i, r in enumerate(rects)
            if r.adjusted(-margin, -margin, margin, margin).contains(p)]
    return min(hits)[1] if hits else None


def big_enough(rect: QRectF) -> bool:
    return rect.width() >= MIN_BOX_PX and rect.height() >= MIN_BOX_PX

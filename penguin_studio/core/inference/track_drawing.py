"""Tracks burnt into frames: ID labels, short trails, the counting line or zone and its counts.

Drawn with OpenCV in the class colours of :mod:`penguin_studio.core.colors`, into the frame
itself, so a Live recording shows exactly what was on screen (overlay included).
"""

from __future__ import annotations

import cv2
import numpy as np

from penguin_studio.core.colors import class_bgr
from penguin_studio.core.inference.tracking import CountSummary, TrackBox, TrackCounter

LINE_BGR = (0, 230, 255)  # yellow: reads on ice, water and rock


def draw_tracks(image: np.ndarray, counter: TrackCounter, boxes: list[TrackBox] | None = None,
                summary: CountSummary | None = None) -> np.ndarray:
    """A copy of ``image`` with the counter's current tracks, trails, line/zone and counts."""
    out = image.copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 320))
    scale = max(0.4, min(h, w) / 800)
    boxes = counter.current if boxes is None else boxes
    trails = counter.trails()
    names = counter.names
    for box in boxes:
        cls = counter.track_class(box.track_id)
        cls = box.cls if cls < 0 else cls
        color = class_bgr(cls)
        points = trails.get(box.track_id, [])
        if len(points) > 1:
            cv2.polylines(out, [np.round(np.array(points)).astype(np.int32)], False, color,
                          thick, cv2.LINE_AA)
        x1, y1, x2, y2 = (int(round(v)) for v in box.xyxy)
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thick)
        name = names[cls] if 0 <= cls < len(names) else str(cls)
        _label(out, f"#{box.track_id} {name}", (x1, y1), color, scale)
    summary = summary or counter.summary()
    _draw_line_or_zone(out, counter, summary, thick, scale)
    return out


def _draw_line_or_zone(out: np.ndarray, counter: TrackCounter, summary: CountSummary,
                       thick: int, scale: float) -> None:
    if counter.line is not None:
        (x1, y1), (x2, y2) = counter.line.points
        p1, p2 = (int(round(x1)), int(round(y1))), (int(round(x2)), int(round(y2)))
        cv2.line(out, p1, p2, LINE_BGR, thick + 1, cv2.LINE_AA)
        text = f"in {summary.total('crossed_in')}  out {summary.total('crossed_out')}"
        _label(out, text, (min(p1[0], p2[0]) + 4, max(min(p1[1], p2[1]), 0) + 24), LINE_BGR,
               scale)
    if counter.zone is not None:
        pts = np.round(np.array(counter.zone.points)).astype(np.int32)
        cv2.polylines(out, [pts], True, LINE_BGR, thick + 1, cv2.LINE_AA)
        x, y = int(pts[:, 0].min()), int(pts[:, 1].min())
        _label(out, f"inside {summary.total('inside')}", (x + 4, y + 24), LINE_BGR, scale)


def _label(out: np.ndarray, text: str, corner: tuple[int, int], color: tuple[int, int, int],
           scale: float) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    x = min(max(0, corner[0]), max(0, out.shape[1] - tw - 4))
    y = corner[1]
    top = y - th - base - 2 if y - th - base - 2 >= 0 else y
    cv2.rectangle(out, (x, top), (x + tw + 4, top + th + base + 2), color, -1)
    ink = (0, 0, 0) if sum(color) > 450 else (255, 255, 255)
    cv2.putText(out, text, (x + 2, top + th + 1), font, scale, ink, 1, cv2.LINE_AA)

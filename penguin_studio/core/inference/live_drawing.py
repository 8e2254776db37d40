"""Boxes and labels burnt into live frames with OpenCV (BGR), for display and recording.

Separate from the pipeline so the look of a frame is defined in one short place.
"""

from __future__ import annotations

import cv2
import numpy as np

from penguin_studio.core.inference.filtering import Detections

#: BGR colours per class id (ultralytics' palette order, so boxes look familiar).
PALETTE = ((56, 56, 255), (151, 157, 255), (31, 112, 255), (29, 178, 255), (49, 210, 207),
           (10, 249, 72), (23, 204, 146), (134, 219, 61), (52, 147, 26), (187, 212, 0),
           (168, 153, 44), (255, 194, 0), (147, 69, 52), (255, 115, 100), (236, 24, 0),
           (255, 56, 132), (133, 0, 82), (255, 56, 203), (200, 149, 255), (199, 55, 255))


def class_color(cls: int) -> tuple[int, int, int]:
    return PALETTE[int(cls) % len(PALETTE)]


def draw_detections(image: np.ndarray, dets: Detections, names: list[str]) -> np.ndarray:
    """A copy of ``image`` with boxes and "name 0.87" labels (the frame itself is kept clean)."""
    out = image.copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 320))
    scale = max(0.4, min(h, w) / 800)
    for (x1, y1, x2, y2), conf, cls in zip(dets.xyxy.astype(int), dets.conf, dets.cls,
                                           strict=True):
        color = class_color(cls)
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thick)
        name = names[cls] if 0 <= cls < len(names) else str(cls)
        _draw_label(out, f"{name} {conf:.2f}", (x1, y1), color, scale)
    return out


def _draw_label(out: np.ndarray, text: str, corner: tuple[int, int],
                color: tuple[int, int, int], scale: float) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    x, y = min(max(0, corner[0]), max(0, out.shape[1] - tw - 4)), corner[1]  # keep it inside
    top = y - th - base - 2 if y - th - base - 2 >= 0 else y
    cv2.rectangle(out, (x, top), (x + tw + 4, top + th + base + 2), color, -1)
    ink = (0, 0, 0) if sum(color) > 450 else (255, 255, 255)
    cv2.putText(out, text, (x + 2, top + th + 1), font, scale, ink, 1, cv2.LINE_AA)

"""Boxes and "name 0.87" labels burnt into images with OpenCV (BGR): the one drawing used
by Detect's saved copies, annotated videos, Live's display and its recordings.

Colours come from :mod:`penguin_studio.core.colors`, the palette the editor and the viewers
use too. ``class_color`` (RGB) and ``PALETTE`` stay importable from here for older callers.
"""

from __future__ import annotations

import numpy as np

from penguin_studio.core.colors import PALETTE as PALETTE
from penguin_studio.core.colors import class_bgr, ink_on
from penguin_studio.core.colors import class_rgb as class_color
from penguin_studio.core.inference.filtering import Detections

__all__ = ["PALETTE", "class_color", "draw_detections"]


def draw_detections(image: np.ndarray, dets: Detections, names: list[str]) -> np.ndarray:
    """A copy of a BGR ``image`` with boxes and "name 0.87" labels (the input is kept clean)."""
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 320))
    scale = max(0.4, min(h, w) / 800)
    for box, conf, cls in zip(dets.xyxy, dets.conf, dets.cls, strict=True):
        x1, y1, x2, y2 = (int(round(float(v))) for v in box)
        color = class_bgr(int(cls))
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thick)
        name = names[cls] if 0 <= cls < len(names) else str(int(cls))
        _draw_label(out, f"{name} {float(conf):.2f}", (x1, y1), color, scale)
    return out


def _draw_label(out: np.ndarray, text: str, corner: tuple[int, int],
                color: tuple[int, int, int], scale: float) -> None:
    """A filled tag above the box (inside it at the top edge), kept within the image; dark
    ink on light colours so yellow tags stay readable."""
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, 1)
    x, y = min(max(0, corner[0]), max(0, out.shape[1] - tw - 4)), corner[1]
    top = y - th - base - 2 if y - th - base - 2 >= 0 else y
    cv2.rectangle(out, (x, top), (x + tw + 4, top + th + base + 2), color, -1)
    cv2.putText(out, text, (x + 2, top + th + 1), font, scale, ink_on(color), 1, cv2.LINE_AA)

"""Class colours and boxes drawn on still images, for the detection viewer and saved copies.

Its own module so the viewer's widgets can take a class colour without the prediction
machinery, and so :mod:`.outputs` and the viewer share one palette. (Live video draws with
:mod:`.live_drawing`.)
"""

from __future__ import annotations

import numpy as np

from penguin_studio.core.inference.filtering import Detections

#: One colour per class (RGB), shared by the viewer and the saved images.
PALETTE = ((255, 56, 56), (44, 153, 168), (255, 157, 151), (72, 249, 10), (146, 204, 23),
           (61, 219, 134), (26, 147, 52), (0, 212, 187), (255, 112, 31), (0, 194, 255),
           (52, 69, 147), (100, 115, 255), (0, 24, 236), (132, 56, 255), (82, 0, 133),
           (203, 56, 255), (255, 149, 200), (255, 55, 199), (207, 210, 49), (255, 178, 29))


def class_color(class_id: int) -> tuple[int, int, int]:
    """RGB colour of a class, the same in the viewer and in saved images."""
    return PALETTE[int(class_id) % len(PALETTE)]


def draw_detections(image: np.ndarray, dets: Detections, names: list[str]) -> np.ndarray:
    """A copy of a BGR image with boxes, class names and scores drawn on it."""
    import cv2

    out = image.copy()
    thickness = max(1, round(sum(out.shape[:2]) / 600))
    scale = max(0.4, thickness / 3)
    for box, conf, cls in zip(dets.xyxy, dets.conf, dets.cls, strict=True):
        r, g, b = class_color(int(cls))
        x1, y1, x2, y2 = (int(round(float(v))) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), (b, g, r), thickness, cv2.LINE_AA)
        name = names[cls] if 0 <= cls < len(names) else str(int(cls))
        text = f"{name} {float(conf):.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        top = max(0, y1 - th - base - 2)
        cv2.rectangle(out, (x1, top), (x1 + tw + 4, top + th + base + 2), (b, g, r), -1)
        cv2.putText(out, text, (x1 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return out

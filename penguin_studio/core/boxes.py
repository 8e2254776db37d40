"""Box geometry shared by evaluation (matching predictions to truth) and the dataset doctor
(duplicate boxes): one IoU, computed as ultralytics' ``box_iou`` does; the bounds of a YOLO
label row (box or polygon) that the doctor checks and the safe fixes clip."""

from __future__ import annotations

import numpy as np

EDGE_TOLERANCE = 1e-6  # rounding in 6-decimal label files is not "outside the image"


def yolo_bounds(values: list[float]) -> tuple[float, float, float, float]:
    """x1, y1, x2, y2 of a label row's numbers: ``cx cy w h`` or a polygon ``x y x y…``."""
    if len(values) == 4:
        cx, cy, w, h = values
        return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
    xs, ys = values[0::2], values[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def box_iou(a: np.ndarray, b: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """Pairwise IoU (len(a) × len(b)) of xyxy boxes, in float32 like ultralytics.

    ``eps`` keeps empty unions at 0; ultralytics' 1e-7 suits pixel boxes, normalised
    (0–1) boxes want a much smaller one so a tiny exact duplicate still has IoU ≈ 1.
    """
    a = np.asarray(a, dtype=np.float32).reshape(-1, 4)[:, None, :]
    b = np.asarray(b, dtype=np.float32).reshape(-1, 4)[None, :, :]
    wh = np.clip(np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2]), 0,
                 None)
    inter = wh[..., 0] * wh[..., 1]
    wh1, wh2 = a[..., 2:] - a[..., :2], b[..., 2:] - b[..., :2]
    union = wh1[..., 0] * wh1[..., 1] + wh2[..., 0] * wh2[..., 1] - inter + np.float32(eps)
    return inter / union

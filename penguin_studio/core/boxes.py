"""Box geometry shared by evaluation (matching predictions to truth) and the dataset doctor
(duplicate boxes): one IoU, computed as ultralytics' ``box_iou`` does."""

from __future__ import annotations

import numpy as np


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

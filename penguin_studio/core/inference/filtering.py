"""Re-filter cached raw detections by confidence and IoU without running the model again.

The model runs once at a very low confidence with NMS off (``conf=0.001, iou=1.0``) and the
raw candidates are kept. Moving the confidence or IoU slider then only re-runs this filter:
strict ``conf >`` threshold, class-aware NMS (``torchvision.ops.batched_nms``) and
``max_det``, which is what ultralytics' own ``predict`` does, so the boxes shown equal
``predict(conf=c, iou=i)``. A few thousand candidates filter in about a millisecond.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass
class Detections:
    """Boxes of one image in pixels: ``xyxy`` (N, 4), ``conf`` (N,), ``cls`` (N,) ints."""

    xyxy: np.ndarray
    conf: np.ndarray
    cls: np.ndarray

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        self.conf = np.asarray(self.conf, dtype=np.float32).reshape(-1)
        self.cls = np.asarray(self.cls, dtype=np.int64).reshape(-1)

    def __len__(self) -> int:
        return int(self.conf.shape[0])

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0))

    def take(self, index: np.ndarray) -> Detections:
        return Detections(self.xyxy[index], self.conf[index], self.cls[index])

    def counts(self, names: list[str] | None = None) -> dict[str, int]:
        """Detections per class name (or id as text)."""
        out: dict[str, int] = {}
        for c in self.cls.tolist():
            key = names[c] if names and 0 <= c < len(names) else str(c)
            out[key] = out.get(key, 0) + 1
        return out


def filter_detections(raw: Detections, conf: float, iou: float, max_det: int = 300,
                      classes: Iterable[int] | None = None, nms: bool = True) -> Detections:
    """Apply ultralytics' post-processing to cached raw candidates.

    ``nms=False`` is for end-to-end models (YOLO26), which only take the confidence filter.
    ``classes`` keeps only those class ids (the per-class visibility toggles).
    """
    keep = raw.conf > conf
    if classes is not None:
        keep &= np.isin(raw.cls, np.fromiter(classes, dtype=np.int64))
    candidates = raw.take(np.nonzero(keep)[0])
    if len(candidates) == 0:
        return candidates
    if not nms:
        order = np.argsort(-candidates.conf, kind="stable")[:max_det]
        return candidates.take(order)
    return candidates.take(_batched_nms(candidates, iou)[:max_det])


def _batched_nms(d: Detections, iou: float) -> np.ndarray:
    import torch
    from torchvision.ops import batched_nms

    keep = batched_nms(torch.from_numpy(d.xyxy), torch.from_numpy(d.conf),
                       torch.from_numpy(d.cls), float(iou))
    return keep.numpy()

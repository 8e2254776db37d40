"""Re-filter cached raw detections by confidence and IoU without running the model again.

The model runs once at a very low confidence with NMS off (``conf=0.001, iou=1.0``) and the
raw candidates are kept. Moving the confidence or IoU slider then only re-runs this filter:
strict ``conf >`` threshold, class-aware NMS and ``max_det``, exactly as ultralytics' own
``predict`` does, so the boxes shown equal ``predict(conf=c, iou=i)``.

Two details make "exactly" hold (they are why this is not a plain ``batched_nms`` call):

* ultralytics runs NMS on the boxes in the model's input space (letterboxed, *before* they
  are scaled back and clipped to the image). Boxes that stick out of the image are all
  clipped to the same border, which changes their overlap. Candidates cached by
  :mod:`penguin_studio.core.inference.predict` carry those unclipped boxes in
  ``Detections.nms_xyxy``; without them the displayed boxes are used.
* classes are kept apart by offsetting boxes by ``class * 7680`` and calling
  ``torchvision.ops.nms`` (ultralytics' ``max_wh`` trick), with the same float32 rounding.

A thousand candidates filter in well under a millisecond (``benchmarks/bench_viewer.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: ultralytics' class offset for class-aware NMS (``utils/nms.py`` ``max_wh``).
MAX_WH = 7680.0


@dataclass
class Detections:
    """Boxes of one image in pixels: ``xyxy`` (N, 4), ``conf`` (N,), ``cls`` (N,) ints.

    ``nms_xyxy`` (optional, N × 4) are the same boxes in the space NMS runs in (see the
    module docstring); ``None`` means "use ``xyxy``".
    """

    xyxy: np.ndarray
    conf: np.ndarray
    cls: np.ndarray
    nms_xyxy: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        self.conf = np.asarray(self.conf, dtype=np.float32).reshape(-1)
        self.cls = np.asarray(self.cls, dtype=np.int64).reshape(-1)
        if self.nms_xyxy is not None:
            self.nms_xyxy = np.asarray(self.nms_xyxy, dtype=np.float32).reshape(-1, 4)

    def __len__(self) -> int:
        return int(self.conf.shape[0])

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0))

    def take(self, index: np.ndarray) -> Detections:
        nms = None if self.nms_xyxy is None else self.nms_xyxy[index]
        return Detections(self.xyxy[index], self.conf[index], self.cls[index], nms)

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
    ``classes`` keeps only those class ids (the per-class visibility toggles); like
    ultralytics' ``classes=`` argument it applies before NMS.
    """
    keep = raw.conf > np.float32(conf)
    if classes is not None:
        keep &= np.isin(raw.cls, np.fromiter(classes, dtype=np.int64))
    candidates = raw.take(np.flatnonzero(keep))
    if len(candidates) == 0:
        return candidates
    if not nms:
        order = np.argsort(-candidates.conf, kind="stable")[:max_det]
        return candidates.take(order)
    return candidates.take(class_aware_nms(candidates, iou)[:max_det])


def class_aware_nms(d: Detections, iou: float) -> np.ndarray:
    """Indices kept by NMS within each class, best first (ultralytics' own computation)."""
    import torch
    from torchvision.ops import nms

    boxes = d.xyxy if d.nms_xyxy is None else d.nms_xyxy
    offset = d.cls.astype(np.float32)[:, None] * np.float32(MAX_WH)
    keep = nms(torch.from_numpy(boxes + offset), torch.from_numpy(d.conf), float(iou))
    return keep.numpy()

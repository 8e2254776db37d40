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
* classes are kept apart by offsetting boxes by ``class * 7680`` and running NMS
  (ultralytics' ``max_wh`` trick), with the same float32 rounding. The NMS is
  :func:`nms`, a numpy copy of ``torchvision.ops.nms``: no torch call on the GUI thread.

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
    """Indices kept by NMS within each class, best first (ultralytics' own computation).

    Pure numpy: this runs on the GUI thread when a slider moves, and a torch call there slows
    torch in the worker threads afterwards (see ``nms``).
    """
    boxes = d.xyxy if d.nms_xyxy is None else d.nms_xyxy
    offset = d.cls.astype(np.float32)[:, None] * np.float32(MAX_WH)
    return nms(boxes + offset, d.conf, float(iou))


#: Boxes whose IoU with every later box is computed in one numpy call (see :func:`nms`).
NMS_BLOCK = 128


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """``torchvision.ops.nms`` in numpy: same float32 arithmetic, same order, same ties.

    torchvision sorts by score (stable, descending), then walks the boxes best first and
    drops every later box whose IoU with a kept one is ``> iou_threshold``. The IoU is
    computed exactly as its CPU kernel does (``inter / (area_i + area_j - inter)`` in float32,
    compared to the threshold as a double), so the same boxes survive, including on ties
    and near-threshold overlaps. To keep Python's loop short, the IoUs of a block of boxes
    with every box after them that is still in play come from one vectorised computation;
    the walk then only reads them (4-7x faster than a box at a time on 1,000 candidates).
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    n = len(scores)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = (np.ascontiguousarray(boxes[order, k]) for k in range(4))
    areas = (x2 - x1) * (y2 - y1)
    alive = np.ones(n, dtype=bool)
    keep: list[int] = []
    for start in range(0, n, NMS_BLOCK):
        rows = np.flatnonzero(alive[start:start + NMS_BLOCK]) + start
        if rows.size == 0:
            continue
        cols = np.flatnonzero(alive[start:]) + start
        over = _overlaps(x1, y1, x2, y2, areas, rows, cols, float(iou_threshold))
        for r, i in enumerate(rows.tolist()):
            if not alive[i]:
                continue
            keep.append(i)
            hit = cols[over[r]]
            alive[hit[hit > i]] = False
    return order[np.asarray(keep, dtype=np.int64)]


def _overlaps(x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray,
              areas: np.ndarray, rows: np.ndarray, cols: np.ndarray,
              threshold: float) -> np.ndarray:
    """``IoU(rows × cols) > threshold`` with torchvision's kernel arithmetic (NaN: False)."""
    zero = np.float32(0.0)
    w = np.maximum(zero, np.minimum(x2[rows, None], x2[cols]) - np.maximum(x1[rows, None],
                                                                            x1[cols]))
    h = np.maximum(zero, np.minimum(y2[rows, None], y2[cols]) - np.maximum(y1[rows, None],
                                                                            y1[cols]))
    inter = w * h
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = inter / (areas[rows, None] + areas[cols] - inter)
    return iou.astype(np.float64) > np.float64(threshold)


def batched_nms(boxes: np.ndarray, scores: np.ndarray, idxs: np.ndarray,
                iou_threshold: float) -> np.ndarray:
    """``torchvision.ops.batched_nms`` in numpy (per-category NMS, best first).

    Like torchvision: up to 1,000 boxes use its coordinate trick (offset each category by
    ``idx * (max + 1)``), more boxes run NMS per category and merge by score (stably:
    torchvision's merge is unstable, so equal scores may come in another order there).
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    idxs = np.asarray(idxs).reshape(-1)
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    if boxes.size <= 4000:
        step = boxes.max() + np.float32(1.0)
        offsets = idxs.astype(np.float32) * step
        return nms(boxes + offsets[:, None], scores, iou_threshold)
    kept = []
    for value in np.unique(idxs):
        members = np.flatnonzero(idxs == value)
        kept.append(members[nms(boxes[members], scores[members], iou_threshold)])
    merged = np.sort(np.concatenate(kept))
    return merged[np.argsort(-scores[merged], kind="stable")]

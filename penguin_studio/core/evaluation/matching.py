"""Match one image's predictions to its ground truth at a chosen confidence and IoU.

Pure numpy, no model: the evaluation caches every image's predictions once (at val's
confidence 0.001) and these functions re-count at whatever threshold the user picks.

The matching is ultralytics' own confusion-matrix rule (``ConfusionMatrix.process_batch``),
reproduced step by step so that counts equal ultralytics': keep predictions with
``conf > conf``; visit them best first; each claims its best still-unclaimed ground-truth box
when their IoU is ``> iou``, whatever the classes (so confusions between classes are
counted). A matched pair of the same class is a true positive; of different classes it is a
misclassification, which counts as one false positive *and* one false negative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from penguin_studio.core.boxes import box_iou

#: ultralytics' confusion-matrix matching IoU (a matching threshold, not the NMS IoU).
DEFAULT_MATCH_IOU = 0.45
DEFAULT_CONF = 0.25

__all__ = ["DEFAULT_CONF", "DEFAULT_MATCH_IOU", "ImageErrors", "ImageMatch", "box_iou",
           "confusion_matrix", "image_errors", "match_image"]


@dataclass
class ImageMatch:
    """The pairing of one image: which prediction each ground-truth box got, and how well."""

    kept: np.ndarray  # indices of the predictions above the confidence threshold
    gt_pred: np.ndarray  # (M,) index into ``kept`` of the matched prediction, -1 if missed
    gt_iou: np.ndarray  # (M,) IoU of that pair, 0 if missed
    pred_matched: np.ndarray  # (len(kept),) bool


@dataclass(frozen=True)
class ImageErrors:
    """What a person checks on one image: hits, spurious boxes, misses, worst overlap."""

    tp: int
    fp: int
    fn: int
    misclassified: int
    worst_iou: float | None  # lowest IoU among the true positives; None without any

    @property
    def errors(self) -> int:
        return self.fp + self.fn


def match_image(gt_xyxy: np.ndarray, gt_cls: np.ndarray, pred_xyxy: np.ndarray,
                pred_conf: np.ndarray, pred_cls: np.ndarray, conf: float = DEFAULT_CONF,
                iou: float = DEFAULT_MATCH_IOU) -> ImageMatch:
    """Pair predictions with ground truth exactly as ultralytics' confusion matrix does."""
    gt_cls = np.asarray(gt_cls).reshape(-1)
    pred_conf = np.asarray(pred_conf, dtype=np.float32).reshape(-1)
    kept = np.flatnonzero(pred_conf > np.float32(conf))
    m = len(gt_cls)
    gt_pred, gt_iou = np.full(m, -1), np.zeros(m, dtype=np.float32)
    pred_matched = np.zeros(len(kept), dtype=bool)
    if m == 0 or len(kept) == 0:
        return ImageMatch(kept, gt_pred, gt_iou, pred_matched)
    original = box_iou(gt_xyxy, np.asarray(pred_xyxy).reshape(-1, 4)[kept])
    by_pred = original.T.copy()  # one contiguous row per prediction
    candidates = np.flatnonzero((original > iou).any(0))
    order = candidates[np.argsort(-pred_conf[kept][candidates], kind="stable")]
    for det in order.tolist():
        row = by_pred[det]
        gt = int(row.argmax())
        if row[gt] > iou:
            gt_pred[gt] = det
            by_pred[:, gt] = 0  # that object is taken
    for gt in np.flatnonzero(gt_pred >= 0):
        gt_iou[gt] = original[gt, gt_pred[gt]]
    pred_matched[gt_pred[gt_pred >= 0]] = True
    return ImageMatch(kept, gt_pred, gt_iou, pred_matched)


def image_errors(match: ImageMatch, gt_cls: np.ndarray, pred_cls: np.ndarray) -> ImageErrors:
    """TP / FP / FN / worst IoU of one image from its match."""
    gt_cls = np.asarray(gt_cls).reshape(-1).astype(int)
    kept_cls = np.asarray(pred_cls).reshape(-1).astype(int)[match.kept]
    hit = match.gt_pred >= 0
    same = np.zeros_like(hit)
    same[hit] = kept_cls[match.gt_pred[hit]] == gt_cls[hit]
    tp = int(same.sum())
    wrong_class = int((hit & ~same).sum())
    unmatched_preds = len(match.kept) - int(hit.sum())  # each prediction claims one box
    fp = unmatched_preds + wrong_class
    fn = int((~hit).sum()) + wrong_class
    worst = float(match.gt_iou[same].min()) if tp else None
    return ImageErrors(tp, fp, fn, wrong_class, worst)


def add_to_confusion(matrix: np.ndarray, match: ImageMatch, gt_cls: np.ndarray,
                     pred_cls: np.ndarray) -> None:
    """Add one image to an (nc+1)² matrix [predicted, true], background last."""
    nc = matrix.shape[0] - 1
    gt_cls = np.asarray(gt_cls).reshape(-1).astype(int)
    kept_cls = np.asarray(pred_cls).reshape(-1).astype(int)[match.kept]
    hit = match.gt_pred >= 0
    rows = np.full(len(gt_cls), nc)
    rows[hit] = kept_cls[match.gt_pred[hit]]
    np.add.at(matrix, (rows, gt_cls), 1)  # found (right or wrong class) or missed
    np.add.at(matrix, (kept_cls[~match.pred_matched], nc), 1)  # boxes on background


def confusion_matrix(images: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                            np.ndarray]],
                     nc: int, conf: float = DEFAULT_CONF,
                     iou: float = DEFAULT_MATCH_IOU) -> np.ndarray:
    """Counts over images given as (gt_xyxy, gt_cls, pred_xyxy, pred_conf, pred_cls)."""
    matrix = np.zeros((nc + 1, nc + 1))
    for gt_xyxy, gt_cls, pred_xyxy, pred_conf, pred_cls in images:
        match = match_image(gt_xyxy, gt_cls, pred_xyxy, pred_conf, pred_cls, conf, iou)
        add_to_confusion(matrix, match, gt_cls, pred_cls)
    return matrix


def normalize_columns(matrix: np.ndarray) -> np.ndarray:
    """Each true class's column as fractions (ultralytics' normalized plot)."""
    return matrix / (matrix.sum(0, keepdims=True) + 1e-9)

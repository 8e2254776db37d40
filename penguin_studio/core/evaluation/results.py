"""What an evaluation produces, as plain data: metrics, curves and every image's boxes.

Nothing here refers to ultralytics objects, so a result can be kept, pickled, turned into
JSON (``penguin-studio val --json``) or drawn by the Evaluate panel. The per-image boxes let
the confusion matrix and the "where the model is wrong" table be re-counted at any
confidence and IoU without running the model again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core.evaluation import matching


@dataclass(frozen=True)
class ClassMetrics:
    """One row of the per-class table (``class_id`` -1 is "all")."""

    class_id: int
    name: str
    images: int
    instances: int
    precision: float | None
    recall: float | None
    map50: float | None
    map50_95: float | None

    def to_json(self) -> dict[str, Any]:
        return {"class_id": self.class_id, "name": self.name, "images": self.images,
                "instances": self.instances, "precision": self.precision,
                "recall": self.recall, "mAP50": self.map50, "mAP50-95": self.map50_95}


@dataclass
class Curve:
    """One ultralytics curve: ``x`` (1000,), one ``y`` (1000,) per class present."""

    title: str
    x: np.ndarray
    ys: dict[int, np.ndarray]
    xlabel: str
    ylabel: str

    def mean(self) -> np.ndarray:
        """The "all classes" curve, as ultralytics plots it."""
        if not self.ys:
            return np.zeros_like(self.x)
        return np.mean(np.stack(list(self.ys.values())), axis=0)

    def value_at(self, x: float, class_id: int | None = None) -> float:
        """The curve's value at ``x`` (nearest sample); ``class_id`` None is "all"."""
        y = self.mean() if class_id is None else self.ys.get(class_id, np.zeros_like(self.x))
        return float(np.interp(x, self.x, y))


#: Curve keys, in the order ultralytics lists them in ``DetMetrics.curves``.
CURVE_KEYS = ("pr", "f1", "precision", "recall")


@dataclass
class EvaluatedImage:
    """One image's ground truth and predictions (val's NMS output at conf 0.001).

    ``*_xyxy`` are pixels of the original image (for drawing); ``match_*`` are the same boxes
    in the letterboxed space ultralytics matches in, so counts equal ultralytics' exactly.
    """

    path: Path
    size: tuple[int, int]  # (width, height)
    gt_xyxy: np.ndarray
    gt_cls: np.ndarray
    pred_xyxy: np.ndarray
    pred_conf: np.ndarray
    pred_cls: np.ndarray
    match_gt_xyxy: np.ndarray
    match_pred_xyxy: np.ndarray

    def match(self, conf: float, iou: float) -> matching.ImageMatch:
        return matching.match_image(self.match_gt_xyxy, self.gt_cls, self.match_pred_xyxy,
                                    self.pred_conf, self.pred_cls, conf, iou)

    def errors(self, conf: float, iou: float) -> matching.ImageErrors:
        return matching.image_errors(self.match(conf, iou), self.gt_cls, self.pred_cls)


#: The name this class had (``ImageRecord``, which the Dataset browser's row also used).
ImageRecord = EvaluatedImage


@dataclass
class ImageRow:
    """A row of the "where the model is wrong" table."""

    index: int  # into Evaluation.images
    path: Path
    errors: matching.ImageErrors


@dataclass
class Evaluation:
    """Everything one ``val()`` run tells about a model on one split."""

    weights: Path
    data_yaml: Path
    split: str
    imgsz: int
    names: list[str]
    overall: ClassMetrics
    classes: list[ClassMetrics]
    curves: dict[str, Curve]
    images: list[EvaluatedImage] = field(default_factory=list)
    speed_ms: dict[str, float] = field(default_factory=dict)
    warning: str = ""
    #: ultralytics' own matrix at val's conf (0.001), when run with plots=True; for checks.
    ultralytics_confusion: np.ndarray | None = None
    _matches: tuple[tuple[float, float], list[matching.ImageMatch]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def matches(self, conf: float, iou: float) -> list[matching.ImageMatch]:
        """Every image's match at (conf, iou); the last answer is kept, since the matrix
        and the error table both ask for it on each slider move."""
        key = (float(conf), float(iou))
        if self._matches is None or self._matches[0] != key:
            self._matches = (key, [r.match(conf, iou) for r in self.images])
        return self._matches[1]

    @property
    def nc(self) -> int:
        """Classes counted in matrices: the model's, or more when labels use higher ids."""
        label_max = max((int(r.gt_cls.max()) + 1 for r in self.images if len(r.gt_cls)),
                        default=0)
        return max(len(self.names), label_max)

    def class_name(self, class_id: int) -> str:
        return self.names[class_id] if 0 <= class_id < len(self.names) else f"class {class_id}"

    def confusion(self, conf: float = matching.DEFAULT_CONF,
                  iou: float = matching.DEFAULT_MATCH_IOU) -> np.ndarray:
        """(nc+1)² counts [predicted, true] at ``conf``, background last."""
        matrix = np.zeros((self.nc + 1, self.nc + 1))
        for record, match in zip(self.images, self.matches(conf, iou), strict=True):
            matching.add_to_confusion(matrix, match, record.gt_cls, record.pred_cls)
        return matrix

    def image_rows(self, conf: float = matching.DEFAULT_CONF,
                   iou: float = matching.DEFAULT_MATCH_IOU) -> list[ImageRow]:
        """Per-image TP/FP/FN/worst IoU, worst images (most errors) first."""
        rows = [ImageRow(i, r.path, matching.image_errors(m, r.gt_cls, r.pred_cls))
                for i, (r, m) in enumerate(zip(self.images, self.matches(conf, iou),
                                               strict=True))]
        rows.sort(key=lambda row: (-row.errors.errors, row.path.name))
        return rows

    def to_json(self) -> dict[str, Any]:
        """The document ``penguin-studio val --json`` prints."""
        return {
            "weights": str(self.weights), "data": str(self.data_yaml), "split": self.split,
            "imgsz": self.imgsz, "images": len(self.images),
            "instances": self.overall.instances,
            "metrics": {"precision": self.overall.precision, "recall": self.overall.recall,
                        "mAP50": self.overall.map50, "mAP50-95": self.overall.map50_95},
            "classes": [c.to_json() for c in self.classes],
            "speed_ms": {k: round(v, 3) for k, v in self.speed_ms.items()},
            "warning": self.warning or None,
        }

"""What the Detect panel is showing, without any widget: runs, thresholds, visible classes.

The model runs in a background job (:func:`predict_job`); the result is cached per
(source, TTA on/off), so toggling test-time augmentation back and forth, or moving a slider,
never runs the model again. Loaded models are kept too (loading takes a second or two).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from penguin_studio.core.inference.filtering import Detections
from penguin_studio.core.inference.predict import (
    DEFAULT_CONF,
    DEFAULT_IOU,
    Predictions,
    Predictor,
    class_color,
    predict_source,
)
from penguin_studio.core.jobs import JobContext
from penguin_studio.ui.widgets.box_canvas import DrawnBox

_models: dict[tuple[str, int | None], Predictor] = {}
_models_lock = threading.Lock()


def cached_predictor(weights: str, imgsz: int | None, backend: str = "torch",
                     ctx: JobContext | None = None) -> Predictor:
    """A loaded model, reused across runs (the job thread calls this); a changed file or
    another backend loads again."""
    path = Path(weights).expanduser().resolve()
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    key = (str(path), stamp, imgsz, backend)
    with _models_lock:
        if key not in _models:
            _models.clear()  # keep one model in memory at a time
            _models[key] = Predictor(weights, imgsz, backend, ctx)
        return _models[key]


def predict_job(ctx: JobContext, weights: str, source: str, imgsz: int | None,
                augment: bool, backend: str = "torch") -> Predictions:
    """Background job: predict the source once, caching raw candidates."""
    ctx.step(0, 0, "Loading the model")
    predictor = cached_predictor(weights, imgsz, backend, ctx)
    return predict_source(predictor, source, augment=augment, ctx=ctx)


@dataclass
class DetectionSession:
    """Cached runs of the current source and the filter the sliders set."""

    conf: float = DEFAULT_CONF
    iou: float = DEFAULT_IOU
    hidden: set[int] = field(default_factory=set)
    runs: dict[bool, Predictions] = field(default_factory=dict)  # TTA off/on → run
    augment: bool = False
    index: int = 0

    @property
    def current(self) -> Predictions | None:
        return self.runs.get(self.augment)

    def reset(self) -> None:
        self.runs.clear()
        self.index = 0

    def add_run(self, preds: Predictions) -> None:
        same_source = all(r.source == preds.source and r.model.weights == preds.model.weights
                          for r in self.runs.values())
        if not same_source:
            self.runs.clear()
            self.index = 0
        self.runs[preds.augment] = preds

    def detections(self, index: int | None = None) -> Detections:
        """Boxes of item ``index`` at the current thresholds, all classes."""
        preds = self.current
        if preds is None or not preds.items:
            return Detections.empty()
        i = self.index if index is None else index
        return preds.filtered(i, self.conf, self.iou)

    def counts(self, index: int | None = None) -> dict[int, int]:
        dets = self.detections(index)
        out: dict[int, int] = {}
        for c in dets.cls.tolist():
            out[c] = out.get(c, 0) + 1
        return out

    def shown_count(self, index: int | None = None) -> int:
        """How many boxes item ``index`` shows at the current thresholds and classes."""
        return sum(1 for c in self.detections(index).cls.tolist() if c not in self.hidden)

    def visible_classes(self) -> list[int] | None:
        preds = self.current
        if preds is None or not self.hidden:
            return None
        return [c for c in range(len(preds.model.names)) if c not in self.hidden]

    def drawn_boxes(self, index: int | None = None) -> list[DrawnBox]:
        """The boxes to draw: visible classes only, labelled "name 0.87"."""
        preds = self.current
        if preds is None:
            return []
        names = preds.model.names
        dets = self.detections(index)
        out = []
        for box, conf, cls in zip(dets.xyxy.tolist(), dets.conf.tolist(), dets.cls.tolist(),
                                  strict=True):
            if cls in self.hidden:
                continue
            name = names[cls] if 0 <= cls < len(names) else str(cls)
            out.append(DrawnBox(tuple(box), class_color(cls), f"{name} {conf:.2f}"))
        return out

    def timing_text(self, separator: str = " · ") -> str:
        """"Inference 8.1 ms/image · with TTA 20.3 ms/image (×2.5)" for what has been run."""
        parts = []
        plain, tta = self.runs.get(False), self.runs.get(True)
        if plain is not None:
            from penguin_studio.core.inference.backends import LABELS

            on = LABELS.get(plain.model.backend, plain.model.backend)
            parts.append(f"Inference {plain.median_inference_ms:.1f} ms/image (median, {on})")
        if tta is not None:
            ratio = ""
            if plain is not None and plain.median_inference_ms > 0:
                ratio = f" (×{tta.median_inference_ms / plain.median_inference_ms:.1f})"
            parts.append(f"with TTA {tta.median_inference_ms:.1f} ms/image{ratio}")
        return separator.join(parts)


# ----- background jobs for the panel's output buttons -------------------------------------
def save_job(ctx: JobContext, preds: Predictions, folder: str, conf: float, iou: float,
             classes: list[int] | None, dataset=None) -> list[Path]:
    from penguin_studio.core.inference.outputs import save_annotated

    return save_annotated(preds, folder, conf, iou, classes, ctx=ctx, dataset=dataset)


def labels_job(ctx: JobContext, preds: Predictions, folder: str, conf: float, iou: float,
               classes: list[int] | None, dataset=None) -> list[Path]:
    from penguin_studio.core.inference.outputs import export_yolo_labels

    return export_yolo_labels(preds, folder, conf, iou, classes, dataset=dataset)


def prelabel_job(ctx: JobContext, dataset, weights: str, conf: float, iou: float,
                 backend: str = "torch"):
    from penguin_studio.core.inference.prelabel import prelabel

    return prelabel(dataset, weights, conf, ctx=ctx, iou=iou, backend=backend)

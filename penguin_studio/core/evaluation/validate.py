"""Evaluate a checkpoint on a split through ultralytics' own ``val()``.

The figures (precision, recall, mAP50, mAP50-95, curves) are ultralytics' own, computed by
the very ``val()`` call a user would make, so they equal what ``yolo val`` prints. On top,
a small :class:`DetectionValidator` subclass records every image's ground truth and
predictions as val sees them, so the panel can re-count the confusion matrix and the
per-image errors at any confidence and IoU without running the model again.

ultralytics needs absolute paths (a relative ``path:`` resolves against its own datasets
folder) and a ``train`` and ``val`` key even to evaluate ``test``; :func:`ultralytics_data_yaml`
writes such a copy of the dataset's yaml into the cache, listing exactly the images
:func:`~penguin_studio.core.dataset.project.open_dataset` found.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core import appdirs
from penguin_studio.core.dataset import datayaml
from penguin_studio.core.dataset.project import Dataset, open_dataset, require_classes
from penguin_studio.core.errors import UserError
from penguin_studio.core.evaluation.results import (
    CURVE_KEYS,
    ClassMetrics,
    Curve,
    EvaluatedImage,
    Evaluation,
)
from penguin_studio.core.jobs import JobContext


def evaluate(weights: str | Path, data: str | Path, split: str = "val",
             imgsz: int | None = None, batch: int = 16, ctx: JobContext | None = None,
             plots: bool = False, device: str | None = None) -> Evaluation:
    """Run ``val()`` on ``split`` of ``data`` and collect metrics, curves and images.

    ``plots=True`` also fills ultralytics' own confusion matrix (slower: it draws PNGs);
    the app computes its own from the recorded images either way.
    Cancelling through ``ctx`` raises :class:`~penguin_studio.core.errors.Cancelled`.
    """
    from penguin_studio.core import engine
    from penguin_studio.core.inference.predict import class_mismatch

    ctx = ctx or JobContext()
    ctx.step(0, 0, "Loading the model and the dataset")
    dataset = _dataset_with_split(data, split)
    data_yaml = ultralytics_data_yaml(dataset, split)
    model = engine.load_model(weights)
    if getattr(model, "task", "detect") != "detect":
        raise UserError(f"{Path(weights).name} is a {model.task} model, not a detector.")
    _add_progress_callbacks(model, ctx)
    extra: dict[str, Any] = {"imgsz": imgsz} if imgsz else {}
    if device:
        extra["device"] = device
    try:
        metrics = model.val(validator=_recording_validator(), data=str(data_yaml),
                            split=split, batch=batch, plots=plots, verbose=False,
                            exist_ok=True, project=str(data_yaml.parent), name="val", **extra)
    except (RuntimeError, ValueError) as exc:  # a split ultralytics finds nothing usable in
        known = engine.explain_ultralytics_error(exc)
        if known is None:
            raise
        raise known from exc
    names = [str(model.names[k]) for k in sorted(model.names)]
    result = _build(metrics, names, split)
    result.weights = Path(str(getattr(model, "ckpt_path", None) or weights))
    result.data_yaml = dataset.yaml_path or data_yaml
    result.imgsz = int(imgsz or (model.overrides or {}).get("imgsz", 640))
    result.warning = class_mismatch(names, dataset.names) or ""
    if plots:
        result.ultralytics_confusion = np.array(metrics.confusion_matrix.matrix)
    return result


def _dataset_with_split(data: str | Path, split: str) -> Dataset:
    dataset = open_dataset(data)
    if dataset.yaml_path is None:
        raise UserError(f"{dataset.root} has no data yaml: evaluation needs labelled splits. "
                        "Open or create the project's data.yaml first.")
    require_classes(dataset)
    if not dataset.splits.get(split):
        reason = dataset.problems.get(split, "it is not in the data yaml")
        have = ", ".join(s for s, imgs in dataset.splits.items() if imgs) or "none"
        raise UserError(f"The dataset has no '{split}' images ({reason}). "
                        f"Splits with images: {have}.")
    return dataset


def ultralytics_data_yaml(dataset: Dataset, split: str) -> Path:
    """A copy of the dataset's yaml with absolute paths that ultralytics can always load,
    in the cache (one folder per yaml); ``split`` stands in for a missing train/val."""
    digest = hashlib.sha1(str(dataset.yaml_path).encode()).hexdigest()[:12]
    folder = appdirs.cache_dir() / "evaluation" / f"{dataset.root.name}-{digest}"
    return datayaml.ultralytics_data_yaml(dataset, folder, as_is=False, stand_in=split)


def _add_progress_callbacks(model: Any, ctx: JobContext) -> None:
    from penguin_studio.core import engine

    done = {"batches": 0}

    def on_start(_validator: Any) -> None:
        engine.use_all_cores()
        done["batches"] = 0

    def on_batch_end(validator: Any) -> None:
        done["batches"] += 1
        total = len(validator.dataloader)
        ctx.step(done["batches"], total, f"Evaluating batch {done['batches']}/{total}")

    model.add_callback("on_val_start", on_start)
    model.add_callback("on_val_batch_end", on_batch_end)


@functools.cache
def _recording_validator() -> type:
    """ultralytics' DetectionValidator that also keeps each image's boxes."""
    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.models.yolo.detect import DetectionValidator
    from ultralytics.utils import ops

    class RecordingValidator(DetectionValidator):
        def init_metrics(self, model: Any) -> None:
            super().init_metrics(model)
            self.metrics.penguin_records = []

        def update_metrics(self, preds: list[dict], batch: dict) -> None:
            super().update_metrics(preds, batch)
            for si, pred in enumerate(preds):
                pbatch = self._prepare_batch(si, batch)
                self.metrics.penguin_records.append(_record(pred, pbatch, ops))

    return RecordingValidator


def _record(pred: dict, pbatch: dict, ops: Any) -> EvaluatedImage:
    gt_lb = pbatch["bboxes"].reshape(-1, 4).float()
    pred_lb = pred["bboxes"].reshape(-1, 4).float()

    def native(boxes: Any) -> np.ndarray:
        scaled = ops.scale_boxes(pbatch["imgsz"], boxes.clone(), pbatch["ori_shape"],
                                 ratio_pad=pbatch["ratio_pad"])
        return scaled.cpu().numpy()

    height, width = (int(v) for v in pbatch["ori_shape"])
    return EvaluatedImage(
        path=Path(pbatch["im_file"]), size=(width, height),
        gt_xyxy=native(gt_lb), gt_cls=pbatch["cls"].cpu().numpy().astype(int),
        pred_xyxy=native(pred_lb), pred_conf=pred["conf"].cpu().numpy().astype(np.float32),
        pred_cls=pred["cls"].cpu().numpy().astype(int),
        match_gt_xyxy=gt_lb.cpu().numpy(), match_pred_xyxy=pred_lb.cpu().numpy(),
    )


def _build(metrics: Any, names: list[str], split: str) -> Evaluation:
    records: list[EvaluatedImage] = getattr(metrics, "penguin_records", [])
    box = metrics.box
    present = [int(c) for c in box.ap_class_index]
    nt_class = np.asarray(metrics.nt_per_class)
    nt_image = np.asarray(metrics.nt_per_image)
    n_classes = max(len(names), len(nt_class))

    def name(c: int) -> str:
        return names[c] if c < len(names) else f"class {c}"

    classes = []
    for c in range(n_classes):
        images = int(nt_image[c]) if c < len(nt_image) else 0
        instances = int(nt_class[c]) if c < len(nt_class) else 0
        if c in present:
            p, r, ap50, ap = (float(v) for v in box.class_result(present.index(c)))
            classes.append(ClassMetrics(c, name(c), images, instances, p, r, ap50, ap))
        else:
            classes.append(ClassMetrics(c, name(c), images, instances, None, None, None, None))
    mp, mr, map50, map_ = (float(v) for v in box.mean_results())
    overall = ClassMetrics(-1, "all", len(records), int(nt_class.sum()), mp, mr, map50, map_)
    curves = {}
    for key, (x, y, xlabel, ylabel), title in zip(CURVE_KEYS, metrics.curves_results,
                                                   metrics.curves, strict=False):
        ys = {c: np.asarray(y[i]) for i, c in enumerate(present) if i < len(y)}
        curves[key] = Curve(title.replace("(B)", ""), np.asarray(x), ys, xlabel, ylabel)
    return Evaluation(weights=Path(), data_yaml=Path(), split=split, imgsz=0, names=names,
                      overall=overall, classes=classes, curves=curves, images=records,
                      speed_ms={k: float(v) for k, v in (metrics.speed or {}).items()})

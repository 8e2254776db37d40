"""Run a model once per image (or video frame) and keep every raw candidate.

The detection viewer's sliders must not re-run the model: each image is predicted once at
``conf=0.001, iou=1.0, max_det=10000`` (nothing suppressed) and its candidates are cached as
:class:`~penguin_studio.core.inference.filtering.Detections`, including the unclipped boxes
NMS needs. :func:`~penguin_studio.core.inference.filtering.filter_detections` then gives,
for any (conf, IoU), exactly the boxes ``predict(conf=..., iou=...)`` would.

Sources are an image, a folder of images (an unreadable file is skipped and reported, the
rest go on) or a video file (one clear error when it cannot be decoded). The same cache
feeds the CLI (``penguin-studio predict``), the Detect panel and pre-labelling.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core.dataset.project import is_image
from penguin_studio.core.errors import UserError
from penguin_studio.core.inference.drawing import PALETTE as PALETTE
from penguin_studio.core.inference.drawing import class_color as class_color
from penguin_studio.core.inference.drawing import draw_detections as draw_detections
from penguin_studio.core.inference.filtering import Detections, filter_detections
from penguin_studio.core.inference.thread_chooser import ThreadChooser
from penguin_studio.core.jobs import JobContext

#: The caching run: keep everything, suppress nothing (see the module docstring).
RAW_CONF, RAW_IOU, RAW_MAX_DET = 0.001, 1.0, 10000
DEFAULT_CONF, DEFAULT_IOU = 0.25, 0.7
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".ts", ".asf"}
)


@dataclass(frozen=True)
class ModelInfo:
    """What the viewer needs to know about a loaded checkpoint."""

    weights: Path
    names: list[str]
    end2end: bool  # YOLO26-style heads: no NMS, only the confidence filter
    imgsz: int
    backend: str = "torch"  # what runs it: "torch", "openvino" or "onnxruntime"


@dataclass
class PredictedImage:
    """One image or video frame: its size and all of its raw candidates."""

    path: Path
    frame: int | None  # video frame index, None for images
    size: tuple[int, int]  # (width, height) in pixels
    raw: Detections
    inference_ms: float

    @property
    def label(self) -> str:
        return self.path.name if self.frame is None else f"{self.path.name} #{self.frame}"


@dataclass(frozen=True)
class SkippedImage:
    path: Path
    reason: str


@dataclass
class Predictions:
    """Cached raw candidates for a whole source, filtered on demand."""

    model: ModelInfo
    source: Path
    kind: str  # "image", "folder" or "video"
    augment: bool = False
    items: list[PredictedImage] = field(default_factory=list)
    skipped: list[SkippedImage] = field(default_factory=list)
    fps: float | None = None  # videos only
    backend_note: str = ""  # one line when the backend fell back or its export was rebuilt

    def filtered(self, index: int, conf: float = DEFAULT_CONF, iou: float = DEFAULT_IOU,
                 classes: Iterable[int] | None = None) -> Detections:
        """The boxes ``predict(conf, iou)`` would give for item ``index``."""
        return filter_detections(self.items[index].raw, conf, iou, classes=classes,
                                 nms=not self.model.end2end)

    @property
    def median_inference_ms(self) -> float:
        times = [item.inference_ms for item in self.items]
        return float(np.median(times)) if times else 0.0

    def skipped_message(self) -> str:
        """One line for people: which files were skipped and why."""
        if not self.skipped:
            return ""
        first = self.skipped[0]
        more = f" and {len(self.skipped) - 1} more" if len(self.skipped) > 1 else ""
        return f"Skipped {first.path.name} ({first.reason}){more}."


# ----- model -------------------------------------------------------------------------------
@functools.cache
def _caching_predictor_class() -> type:
    """ultralytics' DetectionPredictor, remembering each image's boxes before scaling.

    ``construct_result`` scales the NMS-space boxes to the image in place; we copy them just
    before, so the re-filter can run NMS on the very same coordinates.
    """
    from penguin_studio.core import engine

    engine.ultralytics_module()
    from ultralytics.models.yolo.detect import DetectionPredictor

    class CachingPredictor(DetectionPredictor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.nms_space: list[np.ndarray] = []

        def construct_result(self, pred, img, orig_img, img_path):  # noqa: D401 - override
            self.nms_space.append(pred[:, :4].detach().cpu().numpy().copy())
            return super().construct_result(pred, img, orig_img, img_path)

    return CachingPredictor


class Predictor:
    """A loaded detection model that returns cached-ready raw candidates for an image.

    ``backend`` (see :mod:`~penguin_studio.core.inference.backends`) picks what runs the
    model: the ``.pt`` through torch, or its OpenVINO / ONNX Runtime export (made and cached
    on first use, progress through ``ctx``). Test-time augmentation always runs on torch.
    ``backend_note`` holds the one status line when the backend fell back or was rebuilt.
    """

    def __init__(self, weights: str | Path, imgsz: int | None = None,
                 backend: str = "torch", ctx: JobContext | None = None) -> None:
        from penguin_studio.core import engine

        self.model = engine.load_model(weights)
        if getattr(self.model, "task", "detect") != "detect":
            raise UserError(f"{Path(weights).name} is a {self.model.task} model; "
                            "pick a detection model (boxes).")
        #: torch threads per image, measured as Live does: every core is fastest on an idle
        #: machine, one fewer when other work keeps the cores busy (measured 2-9x there)
        self.threads = ThreadChooser()
        self._threads_now = self.threads.best()
        self._model_now: Any = self.model
        self.model.add_callback("on_predict_start", self._set_threads)
        names = self.model.names
        self.info = ModelInfo(
            weights=Path(str(getattr(self.model, "ckpt_path", None) or weights)),
            names=[str(names[k]) for k in sorted(names)],
            end2end=bool(getattr(self.model.model, "end2end", False)),
            imgsz=int(imgsz or _trained_imgsz(self.model)),
        )
        self.runner, self.backend, self.backend_note = self.model, "torch", ""
        if backend != "torch":
            from penguin_studio.core.inference import backends

            loaded = backends.resolve(engine.check_weights_file(weights), self.info.imgsz,
                                      backend, self.model, ctx)
            self.runner, self.backend, self.backend_note = (loaded.model, loaded.backend,
                                                            loaded.note)
            self.info = dataclasses.replace(self.info, backend=loaded.backend)
            if self.runner is not self.model:
                self.runner.add_callback("on_predict_start", self._set_threads)

    def raw(self, image: np.ndarray, augment: bool = False) -> tuple[Detections, float]:
        """All candidates above 0.001 for a BGR image, and the inference time in ms."""
        model = self.model if augment else self.runner
        self._threads_now = self.threads.next()
        self._model_now = model
        self._set_threads(None)
        t0 = time.perf_counter()
        raw, inference_ms = raw_candidates(model, image, self.info.imgsz, augment)
        self.threads.record(self._threads_now, (time.perf_counter() - t0) * 1000.0)
        if model is self.model:
            self._note_end2end()
        return raw, inference_ms

    def _set_threads(self, _predictor: Any) -> None:
        """Before each predict, and again at ``on_predict_start``: a new predictor sets
        ultralytics' own count (cores - 1) in between (see :mod:`.backend_threads`)."""
        from penguin_studio.core.inference.backend_threads import set_threads

        model = self._model_now
        set_threads(model, self.backend if model is self.runner else "torch", self._threads_now)

    def take_note(self) -> str:
        """The backend's status line, once (a reused predictor does not repeat it)."""
        note, self.backend_note = self.backend_note, ""
        return note

    def _note_end2end(self) -> None:
        """Whether NMS applies is only known for sure once ultralytics set the model up."""
        e2e = bool(getattr(self.model.predictor.model, "end2end", False))
        if e2e != self.info.end2end:
            self.info = dataclasses.replace(self.info, end2end=e2e)


def raw_candidates(model: Any, image: np.ndarray, imgsz: int,
                   augment: bool = False) -> tuple[Detections, float]:
    """Every candidate of one BGR image (``conf=0.001, iou=1.0``) with its unclipped
    NMS-space boxes, and ultralytics' inference ms.

    The one raw prediction of the app: Detect, pre-labelling and Live all call it, so
    :func:`~penguin_studio.core.inference.filtering.filter_detections` gives each of them
    exactly ``predict(conf=..., iou=...)``. ``model`` is a YOLO object (the ``.pt`` or an
    export); not safe to call on one model from two threads at once (neither is ultralytics).
    """
    result = model.predict(
        image, conf=RAW_CONF, iou=RAW_IOU, max_det=RAW_MAX_DET, imgsz=imgsz,
        augment=augment, verbose=False, predictor=_caching_predictor_class(),
    )[0]
    return _detections(result, model.predictor.nms_space), float(result.speed["inference"])


def _detections(result: Any, nms_space: list[np.ndarray]) -> Detections:
    boxes = result.boxes
    space = nms_space[-1] if nms_space else None
    nms_space.clear()
    return Detections(boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy(),
                      boxes.cls.cpu().numpy(), space)


def _trained_imgsz(model: Any) -> int:
    size = (getattr(model, "overrides", None) or {}).get("imgsz", 640)
    return int(max(size) if isinstance(size, (list, tuple)) else size)


# ----- sources -----------------------------------------------------------------------------
def source_kind(source: str | Path) -> str:
    """``image``, ``folder`` or ``video``; a clear error for anything else."""
    path = Path(source).expanduser()
    if not path.exists():
        raise UserError(f"{path} does not exist.")
    if path.is_dir():
        return "folder"
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return "video"
    if is_image(path):
        return "image"
    raise UserError(f"{path.name} is neither an image, a folder of images nor a video file.")


def folder_images(folder: Path) -> list[Path]:
    """Images under ``folder`` (sub-folders too, hidden ones skipped), sorted."""
    found = [p for p in folder.rglob("*") if p.is_file() and is_image(p)
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    if not found:
        raise UserError(f"{folder} holds no images.")
    return sorted(found)


def read_image(path: Path) -> np.ndarray | None:
    """The image as BGR pixels, or None when the file cannot be decoded.

    Decoded by :func:`penguin_studio.core.dataset.images.load_image_bgr`, the one decoder,
    so Detect, Evaluate's error view and pre-labelling see the pixels the editor shows and
    ultralytics trains on (HEIC/AVIF through Pillow with their orientation, multi-page TIFF).
    """
    from penguin_studio.core.dataset.images import ImageReadError, load_image_bgr

    try:
        image = load_image_bgr(path)
    except ImageReadError:
        return None
    return image if image.size else None


def open_video(path: Path) -> tuple[Any, int, float]:
    """An opened ``cv2.VideoCapture``, its frame count (estimate) and fps; or a UserError."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    ok = capture.isOpened()
    first = capture.read()[0] if ok else False
    if not first:
        capture.release()
        raise UserError(f"Cannot decode the video {path.name}: it is damaged or in a format "
                        "OpenCV cannot read. Convert it to MP4 (H.264) and try again.")
    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
    frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0) or 25.0
    return capture, frames, fps


def video_frames(path: Path) -> Iterator[tuple[int, np.ndarray]]:
    """(index, BGR frame) for every frame that decodes."""
    capture, _frames, _fps = open_video(path)
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield index, frame
            index += 1
    finally:
        capture.release()


def load_pixels(item: PredictedImage) -> np.ndarray | None:
    """The pixels of a predicted image or frame again (for display and saving)."""
    if item.frame is None:
        return read_image(item.path)
    import cv2

    capture = cv2.VideoCapture(str(item.path))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, item.frame)
        ok, frame = capture.read()
        return frame if ok else None
    finally:
        capture.release()


# ----- the job -----------------------------------------------------------------------------
def predict_source(weights: str | Path | Predictor, source: str | Path,
                   imgsz: int | None = None, augment: bool = False,
                   ctx: JobContext | None = None, backend: str = "torch") -> Predictions:
    """Predict every image of ``source`` once and cache its raw candidates.

    ``weights`` may be an already loaded :class:`Predictor` (the viewer keeps one).
    Cancelling (``ctx``) raises :class:`~penguin_studio.core.errors.Cancelled`.
    """
    ctx = ctx or JobContext()
    kind = source_kind(source)
    path = Path(source).expanduser().resolve()
    predictor = weights if isinstance(weights, Predictor) \
        else Predictor(weights, imgsz, backend, ctx)
    out = Predictions(model=predictor.info, source=path, kind=kind, augment=augment)
    if kind == "video":
        _predict_video(predictor, path, out, ctx)
    else:
        files = [path] if kind == "image" else folder_images(path)
        _predict_images(predictor, files, out, ctx)
    out.model = predictor.info
    out.backend_note = predictor.take_note()
    if not out.items:
        detail = f" {out.skipped_message()}" if out.skipped else ""
        raise UserError(f"No image of {path.name} could be read.{detail}")
    return out


def _predict_images(predictor: Predictor, files: list[Path], out: Predictions,
                    ctx: JobContext) -> None:
    for done, file in enumerate(files):
        ctx.step(done, len(files), f"Predicting {file.name}")
        image = read_image(file)
        if image is None:
            out.skipped.append(SkippedImage(file, "cannot be read as an image"))
            continue
        out.items.append(_predict_one(predictor, image, file, None, out.augment))
    ctx.step(len(files), len(files), "Done")


def _predict_video(predictor: Predictor, path: Path, out: Predictions,
                   ctx: JobContext) -> None:
    capture, frames, out.fps = open_video(path)
    capture.release()
    for index, frame in video_frames(path):
        ctx.step(index, max(frames, index + 1), f"Predicting frame {index + 1}")
        out.items.append(_predict_one(predictor, frame, path, index, out.augment))


def _predict_one(predictor: Predictor, image: np.ndarray, path: Path, frame: int | None,
                 augment: bool) -> PredictedImage:
    raw, ms = predictor.raw(image, augment=augment)
    height, width = image.shape[:2]
    return PredictedImage(path, frame, (width, height), raw, ms)


# ----- checks and JSON ----------------------------------------------------------------------
def class_mismatch(model_names: list[str], dataset_names: list[str]) -> str | None:
    """A warning when a checkpoint's classes are not the dataset's (shown, not refused)."""
    if not dataset_names or list(model_names) == list(dataset_names):
        return None
    model_text = ", ".join(model_names[:6]) + ("…" if len(model_names) > 6 else "")
    data_text = ", ".join(dataset_names[:6]) + ("…" if len(dataset_names) > 6 else "")
    return (f"The model's classes ({model_text}) differ from the dataset's ({data_text}); "
            "boxes are named with the model's classes.")


def predictions_to_json(preds: Predictions, conf: float = DEFAULT_CONF,
                        iou: float = DEFAULT_IOU) -> dict[str, Any]:
    """One JSON-ready document: an entry per image (or frame) with its boxes."""
    names = preds.model.names
    images = []
    for index, item in enumerate(preds.items):
        dets = preds.filtered(index, conf, iou)
        entry: dict[str, Any] = {"image": str(item.path), "width": item.size[0],
                                 "height": item.size[1]}
        if item.frame is not None:
            entry["frame"] = item.frame
        entry["inference_ms"] = round(item.inference_ms, 2)
        entry["boxes"] = [
            {"xyxy": [round(float(v), 2) for v in box], "confidence": round(float(c), 4),
             "class_id": int(k), "class_name": names[k] if 0 <= k < len(names) else str(k)}
            for box, c, k in zip(dets.xyxy, dets.conf, dets.cls, strict=True)
        ]
        images.append(entry)
    return {
        "weights": str(preds.model.weights), "source": str(preds.source),
        "conf": conf, "iou": iou, "imgsz": preds.model.imgsz, "augment": preds.augment,
        "backend": preds.model.backend,
        "images": images,
        "skipped": [{"image": str(s.path), "reason": s.reason} for s in preds.skipped],
    }

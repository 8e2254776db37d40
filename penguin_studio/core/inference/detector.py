"""The live model: a loaded YOLO that returns raw candidates, cached across runs.

Lives apart from the pipeline (:mod:`penguin_studio.core.inference.live`) so that loading,
caching and per-frame thread settings can be read and reused without the threading around them.
A frame's candidates come from :func:`~penguin_studio.core.inference.predict.raw_candidates`,
the very call Detect caches its images with (unclipped NMS-space boxes included), so Live's
sliders give exactly ``predict(conf=..., iou=...)`` on that frame.
"""

from __future__ import annotations

import collections
import threading
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core import engine
from penguin_studio.core.inference import backends
from penguin_studio.core.inference.backend_threads import set_threads
from penguin_studio.core.inference.filtering import Detections
from penguin_studio.core.inference.predict import RAW_CONF, RAW_IOU, RAW_MAX_DET, raw_candidates
from penguin_studio.core.inference.thread_chooser import ThreadChooser
from penguin_studio.core.jobs import JobContext

#: The detection viewer's raw-candidate settings (``predict.RAW_*``), so Live's sliders
#: filter the same candidates Detect's do.
RAW_PREDICT = {"conf": RAW_CONF, "iou": RAW_IOU, "max_det": RAW_MAX_DET}


class Detector:
    """A loaded YOLO model that returns raw candidates for one frame."""

    def __init__(self, model: Any, imgsz: int | None = None, threads: int | None = None,
                 chooser: ThreadChooser | None = None, backend: str = "torch",
                 backend_note: str = "", torch_model: Any = None) -> None:
        self.model = model  # what runs predict: the .pt, or its OpenVINO/ONNX export
        info = torch_model if torch_model is not None else model
        #: always a number: an export does not know the size it was trained at (ultralytics
        #: would run it at 640), and the size must be the one Detect predicts at
        self.imgsz = int(imgsz or trained_imgsz(info))
        self.threads = chooser or ThreadChooser(fixed=threads)
        names = getattr(info, "names", None) or {}
        self.names = [str(names[k]) for k in sorted(names)] if isinstance(names, dict) \
            else [str(n) for n in names]
        self.nms = not bool(getattr(getattr(info, "model", None), "end2end", False))
        #: the backend that really runs ("torch", "openvino", "onnxruntime") and, when it is
        #: not the one asked for or something was rebuilt, the one line that says so
        self.backend = backend
        self.backend_note = backend_note

    def raw(self, image: np.ndarray, threads: int | None = None) -> Detections:
        """Raw candidates of one frame, with ``threads`` inference threads (default: the
        best); set per frame, since torch's count is process-wide and other panels change it
        (see :mod:`~penguin_studio.core.inference.backend_threads`)."""
        set_threads(self.model, self.backend, threads or self.threads.best())
        return raw_candidates(self.model, image, self.imgsz)[0]

    def warm_up(self, size: tuple[int, int]) -> None:
        """Throw-away predictions, one per thread count the chooser tries: the first builds
        the predictor (a second or more) and an OpenVINO export compiles once per count,
        neither of which may count as a frame's inference time."""
        width, height = size if size[0] > 0 else (640, 480)
        blank = np.zeros((height, width, 3), dtype=np.uint8)
        for count in self.threads.options:
            self.raw(blank, count)


_MODELS: collections.OrderedDict[tuple[Any, ...], Any] = collections.OrderedDict()
_MODELS_LOCK = threading.Lock()
_CHOOSERS: dict[tuple[Any, ...], ThreadChooser] = {}


def _cached(key: tuple[Any, ...], make: Any) -> Any:
    """One model per key, the three most recent kept (call with ``_MODELS_LOCK`` held)."""
    model = _MODELS.get(key)
    if model is None:
        model = make()
        _MODELS[key] = model
        while len(_MODELS) > 3:
            _MODELS.popitem(last=False)
    return model


def load_detector(weights: str | Path, imgsz: int | None = None,
                  threads: int | None = None, backend: str = "torch",
                  ctx: JobContext | None = None,
                  frames: list[np.ndarray] | None = None) -> Detector:
    """Load (or reuse) a model: restarting or reconnecting must not reload the weights.

    ``backend`` is one of :data:`~penguin_studio.core.inference.backends.BACKENDS`; anything
    but torch may export the model on first use (progress through ``ctx``) and falls back to
    torch with a note in ``Detector.backend_note`` when it cannot run. ``frames`` are what
    ``auto`` times the backends on the first time (default: ultralytics' sample photos).
    """
    path = engine.check_weights_file(weights)
    stamp = path.stat().st_mtime if path.exists() else 0.0
    key = (str(path), stamp)
    with _MODELS_LOCK:
        torch_model = _cached(key, lambda: engine.load_model(path))
    runner, used, note = torch_model, "torch", ""
    if backend != "torch":
        size = int(imgsz or trained_imgsz(torch_model))
        with _MODELS_LOCK:
            loaded = _LOADED.get((key, size, backend))
        if loaded is None:
            loaded = backends.resolve(path, size, backend, torch_model, ctx, frames)
            with _MODELS_LOCK:
                _LOADED[(key, size, backend)] = loaded
                while len(_LOADED) > 4:
                    _LOADED.pop(next(iter(_LOADED)))
        runner, used, note = loaded.model, loaded.backend, loaded.note
    with _MODELS_LOCK:
        # what was learnt about threads carries over to the next run of the same model
        chooser = _CHOOSERS.setdefault((key, imgsz, threads, used),
                                       ThreadChooser(fixed=threads))
    return Detector(runner, imgsz, threads, chooser, backend=used, backend_note=note,
                    torch_model=torch_model)


_LOADED: dict[tuple[Any, ...], backends.LoadedBackend] = {}


def trained_imgsz(model: Any) -> int:
    """The image size a checkpoint was trained at (640 when it does not say)."""
    size = (getattr(model, "overrides", None) or {}).get("imgsz", 640)
    return int(max(size) if isinstance(size, (list, tuple)) else size)

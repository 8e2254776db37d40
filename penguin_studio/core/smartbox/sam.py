"""Segment Anything through ultralytics, with the image embedding computed once per image.

A SAM click has two costs: the image encoder (hundreds of milliseconds to seconds on a
CPU) and the prompt decoder (milliseconds). ultralytics' SAM ``Predictor`` keeps one image's
features (``set_image``) and can decode prompts against features it is handed
(``inference_features``); this engine keeps the features of the last few images in a
bounded LRU, keyed by the caller's image key, so opening an image embeds it once and every
click after that only decodes. Images are scaled to the model's input size before
embedding: an 8000×6000 photo costs what a 1024-pixel one does.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from penguin_studio.core import engine
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult, mask_to_result
from penguin_studio.core.smartbox.weights import ASK, SamModel, identify

MODEL_SIZE = 1024
CACHE_IMAGES = 6   # 4-16 MB of features each (SAM 2 keeps high-resolution maps too)


class SamEngine:
    """MobileSAM / SAM 2.x prompts decoded against cached image features."""

    needs_embedding = True

    def __init__(self, weights: str | Path, cache_images: int = CACHE_IMAGES,
                 device: str = "cpu") -> None:
        path = Path(weights)
        self.model_info: SamModel = identify(path)
        if self.model_info.family not in ("sam", "sam2"):
            raise NotACheckpointError(f"{path.name} is not a SAM or SAM 2 checkpoint: {ASK}.")
        self.name = f"{self.model_info.label} ({path.name})"
        self.cache_images = max(1, cache_images)
        self.encoder_calls = 0
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[Any, tuple[int, int], float]] = OrderedDict()
        self._predictor = _predictor(path, self.model_info, device)
        self._predictor.model.image_encoder.register_forward_hook(self._count)

    def _count(self, *_args: Any) -> None:
        self.encoder_calls += 1

    def cached(self, key: str) -> bool:
        return key in self._cache

    def cached_keys(self) -> list[str]:
        return list(self._cache)

    def embed(self, key: str, image: np.ndarray) -> None:
        """Compute and cache the features of ``image`` (BGR) under ``key``, unless cached."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return
            small, scale = _to_model_size(image)
            self._predictor.set_image(small)
            features = self._predictor.features
            self._predictor.reset_image()
            self._cache[key] = (features, small.shape[:2], scale)
            while len(self._cache) > self.cache_images:
                self._cache.popitem(last=False)

    def propose(self, key: str, image: np.ndarray, prompt: Prompt) -> SmartBoxResult:
        """The box SAM gives for ``prompt``; embeds ``image`` first when it is not cached."""
        start = time.perf_counter()
        h, w = image.shape[:2]
        prompt = prompt.inside(w, h)
        if prompt.is_empty():
            return SmartBoxResult(None, self.name, hint="Click on the object, inside the image.")
        self.embed(key, image)
        with self._lock:
            features, shape, scale = self._cache[key]
            masks, boxes = self._decode(features, shape, scale, prompt)
        result = _best(masks, boxes, self.name, scale, (w, h))
        result.seconds = time.perf_counter() - start
        return result

    def _decode(self, features: Any, shape: tuple[int, int], scale: float,
                prompt: Prompt) -> tuple[Any, Any]:
        points = [(x * scale, y * scale) for x, y in prompt.positive + prompt.negative]
        labels = [1] * len(prompt.positive) + [0] * len(prompt.negative)
        box = None if prompt.box is None else [[v * scale for v in prompt.box]]
        single = len(points) == 1 and box is None  # ambiguous: let SAM offer three masks
        return self._predictor.inference_features(
            features, src_shape=shape, bboxes=box,
            points=[points] if points else None, labels=[labels] if points else None,
            multimask_output=single)


def _best(masks: Any, boxes: Any, name: str, scale: float, size: tuple[int, int]
          ) -> SmartBoxResult:
    if masks is None or len(boxes) == 0:
        return SmartBoxResult(None, name, hint="SAM found no object here: click elsewhere "
                                               "on it, or drag a rough box.")
    scores = boxes[:, 4].float().cpu().numpy()
    i = int(np.argmax(scores))
    mask = masks[i].cpu().numpy()
    result = mask_to_result(mask, name, scale, (0.0, 0.0), size)
    if result is None:
        return SmartBoxResult(None, name, hint="SAM found no object here: click elsewhere "
                                               "on it, or drag a rough box.")
    result.score = float(scores[i])
    return result


def _to_model_size(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The image scaled so its longest side is the model's input size (never enlarged)."""
    h, w = image.shape[:2]
    scale = min(1.0, MODEL_SIZE / max(h, w))
    if scale == 1.0:
        return image, 1.0
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    return small, scale


def _predictor(path: Path, info: SamModel, device: str) -> Any:
    """ultralytics' SAM predictor around the checkpoint, loaded with the ``SAM`` class.

    Torch keeps ultralytics' thread count (one core less than the machine has): the
    embedding runs while the user works, and the spare core keeps the window responsive.
    """
    ul = engine.ultralytics_module()
    source = _named_as(path, info.name)
    try:
        sam = ul.SAM(str(source))
    except Exception as exc:  # a state dict that does not fit the architecture, mostly
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise NotACheckpointError(f"{path.name} looks like {info.label} weights but cannot be "
                                  f"loaded ({first}): it may be damaged; {ASK}.") from exc
    overrides = {"conf": 0.25, "task": "segment", "mode": "predict", "imgsz": MODEL_SIZE,
                 "device": device, "verbose": False, "save": False}
    predictor = sam._smart_load("predictor")(overrides=overrides, _callbacks=sam.callbacks)
    predictor.setup_model(model=sam.model, verbose=False)
    return predictor


def _named_as(path: Path, name: str) -> Path:
    """``path`` itself when ultralytics can tell the architecture from its name, else a link
    under that name (ultralytics chooses the builder by the file name)."""
    if path.name.endswith(name):
        return path.resolve()
    folder = Path(tempfile.mkdtemp(prefix="penguin-sam-"))
    link = folder / name
    try:
        link.symlink_to(path.resolve())
    except OSError:
        import shutil

        shutil.copyfile(path, link)
    return link

"""FastSAM: segment everything once per image, then a click picks among the masks.

FastSAM is a YOLO segmentation model, so its "embedding" is the full set of masks it finds
in the image; they are cached per image like SAM's features, and a click or a rough box
only selects (the smallest mask holding every positive point and no negative one, or the
mask whose box best matches the rough box).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

import numpy as np

from penguin_studio.core import engine
from penguin_studio.core.boxes import box_iou
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult, mask_to_result
from penguin_studio.core.smartbox.sam import CACHE_IMAGES, _to_model_size
from penguin_studio.core.smartbox.weights import ASK, identify

HINT = "FastSAM found no object here: click elsewhere on it, or drag a rough box."


class FastSamEngine:
    needs_embedding = True

    def __init__(self, weights: str | Path, cache_images: int = CACHE_IMAGES,
                 device: str = "cpu") -> None:
        path = Path(weights)
        if identify(path).family != "fastsam":
            raise NotACheckpointError(f"{path.name} is not a FastSAM checkpoint: {ASK}.")
        ul = engine.ultralytics_module()
        try:
            self._model = ul.FastSAM(str(path))
        except Exception as exc:
            raise NotACheckpointError(f"Cannot load {path.name} as FastSAM: {exc}") from exc
        self.name = f"FastSAM ({path.name})"
        self.device = device
        self.cache_images = max(1, cache_images)
        self.encoder_calls = 0
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[np.ndarray, float]] = OrderedDict()

    def cached(self, key: str) -> bool:
        return key in self._cache

    def embed(self, key: str, image: np.ndarray) -> None:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return
            small, scale = _to_model_size(image)
            self.encoder_calls += 1
            result = self._model.predict(small, imgsz=1024, conf=0.4, iou=0.9,
                                         retina_masks=True, device=self.device,
                                         verbose=False)[0]
            masks = (np.zeros((0, *small.shape[:2]), bool) if result.masks is None
                     else result.masks.data.cpu().numpy() > 0.5)
            self._cache[key] = (masks, scale)
            while len(self._cache) > self.cache_images:
                self._cache.popitem(last=False)

    def propose(self, key: str, image: np.ndarray, prompt: Prompt) -> SmartBoxResult:
        start = time.perf_counter()
        h, w = image.shape[:2]
        prompt = prompt.inside(w, h)
        if prompt.is_empty():
            return SmartBoxResult(None, self.name, hint="Click on the object, inside the image.")
        self.embed(key, image)
        masks, scale = self._cache[key]
        mask = select_mask(masks, prompt, scale)
        result = None if mask is None else mask_to_result(mask, self.name, scale, (0, 0), (w, h))
        result = result or SmartBoxResult(None, self.name, hint=HINT)
        result.seconds = time.perf_counter() - start
        return result


def select_mask(masks: np.ndarray, prompt: Prompt, scale: float) -> np.ndarray | None:
    """The mask a prompt means among the masks of the whole image (see module doc)."""
    if len(masks) == 0:
        return None
    n, mh, mw = masks.shape

    def under(point: tuple[float, float]) -> np.ndarray:
        """Which masks cover the image point."""
        px, py = min(mw - 1, int(point[0] * scale)), min(mh - 1, int(point[1] * scale))
        return masks[:, py, px]

    ok = np.ones(n, bool)
    for point in prompt.positive:
        ok &= under(point)
    for point in prompt.negative:
        ok &= ~under(point)
    if prompt.box is not None:
        boxes = np.array([_box(m) for m in masks], np.float32)
        iou = box_iou(np.array(prompt.box, np.float32) * scale, boxes)[0]
        iou[~ok] = -1 if prompt.positive else iou[~ok]
        best = int(np.argmax(iou))
        return masks[best] if iou[best] > 0 else None
    if not ok.any():
        return None
    areas = masks.reshape(n, -1).sum(axis=1).astype(float)
    areas[~ok] = np.inf
    return masks[int(np.argmin(areas))]


def _box(mask: np.ndarray) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))

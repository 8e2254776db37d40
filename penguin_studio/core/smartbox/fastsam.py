"""FastSAM: segment everything once per image, then a click picks among the masks.

FastSAM is a YOLO segmentation model, so its "embedding" is the full set of masks it finds
in the image; they are cached per image like SAM's features, and a click or a rough box
only selects (the smallest mask holding every positive point and no negative one, or the
mask whose box best matches the rough box).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from penguin_studio.core import engine
from penguin_studio.core.boxes import box_iou
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.smartbox.cache import CACHE_IMAGES, CachedEngine
from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult, mask_to_result
from penguin_studio.core.smartbox.sam import MODEL_SIZE, _to_model_size
from penguin_studio.core.smartbox.weights import ASK, identify

HINT = "FastSAM found no object here: click elsewhere on it, or drag a rough box."


class FastSamEngine(CachedEngine):
    def __init__(self, weights: str | Path, cache_images: int = CACHE_IMAGES,
                 device: str = "cpu") -> None:
        super().__init__(cache_images)
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

    def _compute(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        small, scale = _to_model_size(image)
        self.encoder_calls += 1
        result = self._model.predict(small, imgsz=MODEL_SIZE, conf=0.4, iou=0.9,
                                     retina_masks=True, device=self.device, verbose=False)[0]
        masks = (np.zeros((0, *small.shape[:2]), bool) if result.masks is None
                 else result.masks.data.cpu().numpy() > 0.5)
        return masks, scale

    def _answer(self, entry: tuple[np.ndarray, float], prompt: Prompt,
                size: tuple[int, int]) -> SmartBoxResult:
        masks, scale = entry
        mask = select_mask(masks, prompt, scale)
        result = None if mask is None else mask_to_result(mask, self.name, scale, (0, 0), size)
        return result or SmartBoxResult(None, self.name, hint=HINT)


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

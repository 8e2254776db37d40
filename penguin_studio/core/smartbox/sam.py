"""Segment Anything through ultralytics, with the image embedding computed once per image.

A SAM click has two costs: the image encoder (hundreds of milliseconds to seconds on a
CPU) and the prompt decoder (tens of milliseconds). ultralytics' SAM ``Predictor`` computes
one image's features (``set_image``); this engine keeps the features of the last few images
in a bounded LRU (:class:`~.cache.CachedEngine`), keyed by the caller's image key, so
opening an image embeds it once and every click after that only decodes. Images are scaled
to the model's input size before embedding: an 8000×6000 photo costs what a 1024-pixel one
does.

A click runs the prompt encoder and the mask decoder and nothing else: the decoder's
positional encoding (the same for every click) is computed once, and of the three masks
SAM offers for a single point only the best-scored one is upsampled from the decoder's
256×256 to the model size (ultralytics' ``inference_features`` upsamples all three to the
image and measured ~20 ms more a click on 2 loaded cores).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from penguin_studio.core import engine
from penguin_studio.core.errors import NotACheckpointError
from penguin_studio.core.smartbox.cache import CACHE_IMAGES, CachedEngine
from penguin_studio.core.smartbox.click_threads import click_threads, with_torch_threads
from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult, mask_to_result
from penguin_studio.core.smartbox.weights import ASK, SamModel, identify

MODEL_SIZE = 1024
NOTHING = "SAM found no object here: click elsewhere on it, or drag a rough box."


class SamEngine(CachedEngine):
    """MobileSAM / SAM 2.x prompts decoded against cached image features."""

    def __init__(self, weights: str | Path, cache_images: int = CACHE_IMAGES,
                 device: str = "cpu") -> None:
        super().__init__(cache_images)
        path = Path(weights)
        self.model_info: SamModel = identify(path)
        if self.model_info.family not in ("sam", "sam2"):
            raise NotACheckpointError(f"{path.name} is not a SAM or SAM 2 checkpoint: {ASK}.")
        self.name = f"{self.model_info.label} ({path.name})"
        self._predictor = _predictor(path, self.model_info, device)
        self._predictor.model.image_encoder.register_forward_hook(self._count)
        self._watch(self._predictor.model.image_encoder)  # a prefetch gives way to a click
        _cache_dense_pe(self._predictor.model)

    def _count(self, *_args: Any) -> None:
        self.encoder_calls += 1

    def _compute(self, image: np.ndarray) -> tuple[Any, tuple[int, int], float]:
        small, scale = _to_model_size(image)
        try:
            self._predictor.set_image(small)
            features = self._predictor.features
        finally:  # also when a background embedding gave way half-way
            self._predictor.reset_image()
        return features, small.shape[:2], scale

    def _answer(self, entry: tuple[Any, tuple[int, int], float], prompt: Prompt,
                size: tuple[int, int]) -> SmartBoxResult:
        features, shape, scale = entry
        found = with_torch_threads(click_threads(), self._decode, features, shape, scale, prompt)
        if found is None:
            return SmartBoxResult(None, self.name, hint=NOTHING)
        mask, score, gain = found
        result = mask_to_result(mask, self.name, scale * gain, (0.0, 0.0), size)
        if result is None:
            return SmartBoxResult(None, self.name, hint=NOTHING)
        result.score = score
        return result

    def _decode(self, features: Any, shape: tuple[int, int], scale: float, prompt: Prompt
                ) -> tuple[np.ndarray, float, float] | None:
        """The best mask at the model's input size (cropped to the image), its score and the
        gain from the embedded image's pixels to the mask's; None when SAM finds nothing."""
        import torch
        import torch.nn.functional as F  # noqa: N812 - torch's own convention

        predictor = self._predictor
        points = [(x * scale, y * scale) for x, y in prompt.positive + prompt.negative]
        labels = [1] * len(prompt.positive) + [0] * len(prompt.negative)
        box = None if prompt.box is None else [[v * scale for v in prompt.box]]
        single = len(points) == 1 and box is None  # ambiguous: let SAM offer three masks
        dst = (MODEL_SIZE, MODEL_SIZE)
        with torch.inference_mode():
            prompts = predictor._prepare_prompts(dst, shape, box, [points] if points else None,
                                                 [labels] if points else None, None)
            masks, scores = predictor._inference_features(features, *prompts, single)
            if masks.shape[0] == 0:
                return None
            best = int(torch.argmax(scores))
            gain = min(d / s for d, s in zip(dst, shape, strict=True))
            full = F.interpolate(masks[best][None, None].float(), size=dst, mode="bilinear",
                                 align_corners=False)[0, 0]
            crop = full[:round(shape[0] * gain), :round(shape[1] * gain)]
            mask = (crop > predictor.model.mask_threshold).cpu().numpy()
        return mask, float(scores[best]), gain


def _cache_dense_pe(model: Any) -> None:
    """Compute the prompt encoder's dense positional encoding once: it depends on the
    weights only, and ultralytics recomputes it (a 64×64 grid) on every click."""
    import torch

    encoder = getattr(model, "prompt_encoder", None) or model.sam_prompt_encoder
    with torch.inference_mode():
        dense = encoder.get_dense_pe()
    encoder.get_dense_pe = lambda: dense


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
    Two threads made a click 5-7× slower on the shared 2-core machine (spinning threads
    fighting for the cores other processes hold).
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

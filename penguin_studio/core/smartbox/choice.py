"""Choose the smart-box engine from a weights setting, falling back to GrabCut.

The editor and the CLI both call :func:`open_engine`: with weights that work it returns a
SAM engine; with none, ``grabcut`` or weights that cannot be used it returns GrabCut and a
one-line note saying why, so the user always gets a box and knows which engine drew it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from penguin_studio.core.dataset.images import load_image_bgr
from penguin_studio.core.errors import UserError
from penguin_studio.core.smartbox.grabcut import GrabCutEngine
from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult
from penguin_studio.core.smartbox.weights import GRABCUT, identify, resolve


class SmartBoxEngine(Protocol):
    name: str
    needs_embedding: bool

    def cached(self, key: str) -> bool: ...

    def embed(self, key: str, image: np.ndarray, background: bool = False) -> bool: ...

    def give_way(self) -> None: ...

    def propose(self, key: str, image: np.ndarray, prompt: Prompt) -> SmartBoxResult: ...


@dataclass
class Opened:
    engine: SmartBoxEngine
    note: str | None = None  # why the engine asked for was not used


def open_engine(weights: str | Path | None, cache_images: int | None = None) -> Opened:
    """The engine for ``weights`` (a path, a bare name in the weights folder, ``grabcut``
    or None); anything unusable falls back to GrabCut with the reason in ``note``."""
    text = "" if weights is None else str(weights).strip()
    if not text or text.lower() == GRABCUT:
        return Opened(GrabCutEngine())
    path = resolve(text)
    try:
        family = identify(path).family
        kwargs = {} if cache_images is None else {"cache_images": cache_images}
        if family == "fastsam":
            from penguin_studio.core.smartbox.fastsam import FastSamEngine

            return Opened(FastSamEngine(path, **kwargs))
        from penguin_studio.core.smartbox.sam import SamEngine

        return Opened(SamEngine(path, **kwargs))
    except UserError as exc:
        return Opened(GrabCutEngine(), f"{exc} Using GrabCut instead.")


def load_for_smart_box(path: str | Path) -> np.ndarray:
    """The image as the engines want it (BGR, oriented as trained); raises ImageReadError
    (a UserError with the reason) when it cannot be decoded, which disables the tool."""
    return load_image_bgr(path)

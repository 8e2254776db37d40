"""What SAM and FastSAM share: per-image work done once, kept in a bounded LRU, and the
common path of a click (clip the prompt, embed when needed, decode, time it).

An engine subclasses :class:`CachedEngine` and supplies :meth:`_compute` (the per-image
work: SAM's image features, FastSAM's masks of everything) and :meth:`_answer` (what a
prompt gives against that work). One lock guards the cache and the model, which ultralytics'
predictors do not allow to be used from two threads at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import numpy as np

from penguin_studio.core.smartbox.prompt import Prompt, SmartBoxResult

CACHE_IMAGES = 6   # 4-16 MB of features each (SAM 2 keeps high-resolution maps too)
CLICK_INSIDE = "Click on the object, inside the image."


class CachedEngine:
    """Base of the engines that embed an image once and decode every click against it."""

    needs_embedding = True
    name = "cached"

    def __init__(self, cache_images: int = CACHE_IMAGES) -> None:
        self.cache_images = max(1, cache_images)
        self.encoder_calls = 0  # counted by the engine where its encoder really runs
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Any] = OrderedDict()

    def cached(self, key: str) -> bool:
        return key in self._cache

    def cached_keys(self) -> list[str]:
        return list(self._cache)

    def embed(self, key: str, image: np.ndarray) -> None:
        """Compute and cache the per-image work for ``image`` (BGR) under ``key``."""
        with self._lock:
            self._embedded(key, image)

    def propose(self, key: str, image: np.ndarray, prompt: Prompt) -> SmartBoxResult:
        """The box for ``prompt``; embeds ``image`` first when it is not cached."""
        start = time.perf_counter()
        h, w = image.shape[:2]
        prompt = prompt.inside(w, h)
        if prompt.is_empty():
            return SmartBoxResult(None, self.name, hint=CLICK_INSIDE)
        with self._lock:
            result = self._answer(self._embedded(key, image), prompt, (w, h))
        result.seconds = time.perf_counter() - start
        return result

    def _embedded(self, key: str, image: np.ndarray) -> Any:
        """The cached entry of ``key``, computed now when missing (the lock is held)."""
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        entry = self._compute(image)
        self._cache[key] = entry
        while len(self._cache) > self.cache_images:
            self._cache.popitem(last=False)
        return entry

    def _compute(self, image: np.ndarray) -> Any:
        raise NotImplementedError

    def _answer(self, entry: Any, prompt: Prompt, size: tuple[int, int]) -> SmartBoxResult:
        raise NotImplementedError

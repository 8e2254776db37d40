"""What SAM and FastSAM share: per-image work done once, kept in a bounded LRU, and the
common path of a click (clip the prompt, embed when needed, decode, time it).

An engine subclasses :class:`CachedEngine` and supplies :meth:`_compute` (the per-image
work: SAM's image features, FastSAM's masks of everything) and :meth:`_answer` (what a
prompt gives against that work). One lock guards the cache and the model, which ultralytics'
predictors do not allow to be used from two threads at once.

A *background* embedding (the next image of the queue, computed while the user works on
this one) gives way: :meth:`CachedEngine.give_way`, called from any thread when a click
or the image on screen needs the model, makes it stop at the encoder's next layer (the
engine registers its encoder with :meth:`CachedEngine._watch`), cache nothing and return
False, so the caller can queue it again behind the click. Without this a click that came
while the next image was embedded waited for the whole encoder (0.5-3 s on a CPU).
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


class _GaveWay(Exception):
    """Raised inside the encoder of a background embedding that was asked to give way."""


class CachedEngine:
    """Base of the engines that embed an image once and decode every click against it."""

    needs_embedding = True
    name = "cached"

    def __init__(self, cache_images: int = CACHE_IMAGES) -> None:
        self.cache_images = max(1, cache_images)
        self.encoder_calls = 0  # counted by the engine where its encoder really runs
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._give_way = threading.Event()  # foreground work waits for the model
        self._background = False  # the embedding running now may give way (lock held)
        self.gave_way = 0  # background embeddings stopped for a click (tests, status)

    def cached(self, key: str) -> bool:
        return key in self._cache

    def cached_keys(self) -> list[str]:
        return list(self._cache)

    def embed(self, key: str, image: np.ndarray, background: bool = False) -> bool:
        """Compute and cache the per-image work for ``image`` (BGR) under ``key``.

        With ``background`` the work stops when :meth:`give_way` is called (before it
        starts, or at the encoder's next layer) and False is returned with nothing cached.
        """
        with self._lock:
            if not background:
                self._give_way.clear()  # the foreground work asked for is being done
                self._embedded(key, image)
                return True
            self._background = True
            try:
                if self._give_way.is_set():
                    raise _GaveWay
                self._embedded(key, image)
                return True
            except _GaveWay:
                self._give_way.clear()  # one request, one stop: the click runs next
                self.gave_way += 1
                return False
            finally:
                self._background = False

    def give_way(self) -> None:
        """Ask a background embedding, running or about to run, to stop for a click or for
        the image on screen. Safe from any thread; lasts until the engine's next foreground
        call (or one background embedding has stopped for it)."""
        self._give_way.set()

    def _watch(self, encoder: Any) -> None:
        """Check for :meth:`give_way` before every layer of ``encoder`` (a torch module):
        a background embedding then stops within one layer's time."""
        def check(*_args: Any) -> None:
            if self._background and self._give_way.is_set():
                raise _GaveWay

        for module in encoder.modules():
            module.register_forward_pre_hook(check)

    def propose(self, key: str, image: np.ndarray, prompt: Prompt) -> SmartBoxResult:
        """The box for ``prompt``; embeds ``image`` first when it is not cached."""
        start = time.perf_counter()
        h, w = image.shape[:2]
        prompt = prompt.inside(w, h)
        if prompt.is_empty():
            return SmartBoxResult(None, self.name, hint=CLICK_INSIDE)
        with self._lock:
            self._give_way.clear()
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

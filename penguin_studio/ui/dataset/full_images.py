"""Full-resolution images for the editor, decoded off the GUI thread and kept for a moment.

The editor shows a scaled thumbnail at once and swaps in the full image when it arrives; the
next and previous images are decoded ahead (``prefetch``) so ``D``/``A`` feel instant.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage


class _Signals(QObject):
    done = Signal(str, object)


class _Decode(QRunnable):
    def __init__(self, path: str, signals: _Signals) -> None:
        super().__init__()
        self.path, self.signals = path, signals

    def run(self) -> None:  # noqa: D401 - Qt override
        from penguin_studio.ui.dataset.image_io import (  # OpenCV: loaded on first use
            ImageReadError,
            load_image_rgb,
            rgb_to_qimage,
        )

        try:
            result: QImage | str = rgb_to_qimage(load_image_rgb(Path(self.path)))
        except ImageReadError as exc:
            result = exc.reason
        except Exception as exc:  # keep the editor alive whatever the file holds
            result = f"cannot be shown ({type(exc).__name__}: {exc})"
        self.signals.done.emit(self.path, result)


class FullImageLoader(QObject):
    """``loaded(path, QImage | reason)`` once per request; a few recent images cached."""

    loaded = Signal(str, object)

    def __init__(self, parent: QObject | None = None, keep: int = 5,
                 max_bytes: int = 256 * 2**20) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[str, QImage | str] = OrderedDict()
        self._keep = keep
        self._max_bytes = max_bytes  # five 24-megapixel photos would be 360 MB
        self._in_flight: set[str] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)

    def cached(self, path: str) -> QImage | str | None:
        result = self._cache.get(path)
        if result is not None:
            self._cache.move_to_end(path)
        return result

    def request(self, path: str) -> None:
        if path in self._cache or path in self._in_flight:
            return
        self._in_flight.add(path)
        self._pool.start(_Decode(path, self._signals))

    def forget(self, path: str) -> None:
        self._cache.pop(path, None)

    @property
    def busy(self) -> bool:
        return bool(self._in_flight)

    def _on_done(self, path: str, result: object) -> None:
        self._in_flight.discard(path)
        self._cache[path] = result  # type: ignore[assignment]
        while len(self._cache) > 1 and (len(self._cache) > self._keep
                                        or self._cached_bytes() > self._max_bytes):
            self._cache.popitem(last=False)
        self.loaded.emit(path, result)

    def _cached_bytes(self) -> int:
        return sum(v.sizeInBytes() for v in self._cache.values() if isinstance(v, QImage))

    def shutdown(self) -> None:
        self._pool.clear()
        self._pool.waitForDone(5000)

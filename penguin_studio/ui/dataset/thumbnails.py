"""Thumbnails made lazily off the GUI thread, kept in memory (LRU) and on disk.

The browser asks for a thumbnail only when it paints a row, so only visible images are ever
decoded. Requests go to a LIFO queue served by a small thread pool: the rows the user is
looking at now are served first, and rows scrolled away are dropped (``retain``). Results are
cached on disk in ``cache_dir()/thumbnails`` keyed by path, file size and mtime, so a changed
image gets a new thumbnail and a reopened dataset paints from the cache. Failures are cached
too (as a one-line reason), so a corrupt image is not decoded again on every visit.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

from penguin_studio.core import appdirs

THUMB_SIDE = 144
CACHE_VERSION = "2"  # 2: truncated JPEG/PNG files are failures (Qt decoded them anyway)


class ThumbnailDiskCache:
    """JPEG thumbnails (and failure reasons) on disk; safe to delete at any time."""

    def __init__(self, folder: Path | None = None, side: int = THUMB_SIDE) -> None:
        self.folder = folder or appdirs.cache_dir() / "thumbnails"
        self.side = side

    def key(self, path: Path) -> str | None:
        """path + size + mtime (+ thumbnail size); None when the file cannot be stat'ed."""
        try:
            st = path.stat()
        except OSError:
            return None
        raw = f"{CACHE_VERSION}|{os.fspath(path)}|{st.st_size}|{st.st_mtime_ns}|{self.side}"
        return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()

    def _file(self, key: str, suffix: str) -> Path:
        return self.folder / key[:2] / f"{key}{suffix}"

    def load(self, key: str) -> QImage | str | None:
        """A cached image, a cached failure reason, or None when nothing is cached."""
        jpg = self._file(key, ".jpg")
        if jpg.exists():
            image = QImage(str(jpg))
            if not image.isNull():
                return image
        err = self._file(key, ".err")
        if err.exists():
            try:
                return err.read_text(encoding="utf-8").strip() or "cannot be read"
            except OSError:
                return None
        return None

    def store(self, key: str, result: QImage | str) -> None:
        """Best effort: a cache that cannot be written only costs speed."""
        try:
            (self.folder / key[:2]).mkdir(parents=True, exist_ok=True)
            if isinstance(result, QImage):
                tmp = self._file(key, f".{threading.get_ident()}.tmp.jpg")
                if result.save(str(tmp), "JPG", 88):
                    os.replace(tmp, self._file(key, ".jpg"))
            else:
                self._file(key, ".err").write_text(result, encoding="utf-8")
        except OSError:
            pass


def make_thumbnail(path: Path, cache: ThumbnailDiskCache) -> QImage | str:
    """The thumbnail of ``path`` or the reason it has none; runs in a pool thread."""
    key = cache.key(path)
    if key is None:
        return "file not found" if not path.exists() else "cannot be read"
    cached = cache.load(key)
    if cached is not None:
        return cached
    from penguin_studio.ui.dataset.image_io import ImageReadError, read_thumbnail  # OpenCV

    try:
        result: QImage | str = read_thumbnail(path, cache.side)
    except ImageReadError as exc:
        result = exc.reason
    cache.store(key, result)
    return result


class _Signals(QObject):
    done = Signal(str, object)  # path text, QImage | str


class _Worker(QRunnable):
    """Serves the loader's queue until it is empty."""

    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self._loader = loader

    def run(self) -> None:  # noqa: D401 - Qt override
        loader = self._loader
        while True:
            path = loader._next_request()
            if path is None:
                return
            try:
                result = make_thumbnail(Path(path), loader.disk)
            except Exception as exc:  # never let one odd file stop the queue
                result = f"cannot be shown ({type(exc).__name__})"
            loader._finish(path, result)


class ThumbnailLoader(QObject):
    """Memory + disk cached thumbnails; ``changed(path)`` fires when one becomes available."""

    changed = Signal(str)
    idle = Signal()

    def __init__(self, parent: QObject | None = None, memory_items: int = 1200,
                 disk: ThumbnailDiskCache | None = None) -> None:
        super().__init__(parent)
        self.disk = disk or ThumbnailDiskCache()
        self._memory: OrderedDict[str, QPixmap] = OrderedDict()
        self._memory_items = memory_items
        self._errors: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, None] = OrderedDict()  # newest request last
        self._in_flight: set[str] = set()
        self._workers = 0
        self._closed = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(2, min(4, os.cpu_count() or 2)))
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)

    # ----- GUI thread API -----------------------------------------------------------------
    def pixmap(self, path: str) -> QPixmap | None:
        """The thumbnail if ready; otherwise None and it is requested (unless it failed)."""
        pix = self._memory.get(path)
        if pix is not None:
            self._memory.move_to_end(path)
            return pix
        if path not in self._errors:
            self.request(path)
        return None

    def error(self, path: str) -> str | None:
        return self._errors.get(path)

    def request(self, path: str) -> None:
        with self._lock:
            if self._closed or path in self._in_flight:
                return
            self._pending[path] = None
            self._pending.move_to_end(path)
            start = self._workers < self._pool.maxThreadCount()
            if start:
                self._workers += 1
        if start:
            self._pool.start(_Worker(self))

    def retain(self, wanted: set[str]) -> None:
        """Drop queued requests for rows no longer visible (fast scrolling)."""
        with self._lock:
            for path in [p for p in self._pending if p not in wanted]:
                del self._pending[path]

    def forget(self, path: str) -> None:
        """The image changed on disk: make its thumbnail again when next painted."""
        self._memory.pop(path, None)
        self._errors.pop(path, None)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending or self._in_flight)

    def has_result(self, path: str) -> bool:
        return path in self._memory or path in self._errors

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._pending.clear()
        self._pool.waitForDone(5000)

    # ----- worker side --------------------------------------------------------------------
    def _next_request(self) -> str | None:
        with self._lock:
            if self._closed or not self._pending:
                self._workers -= 1
                return None
            path, _ = self._pending.popitem(last=True)  # LIFO: what was just scrolled to
            self._in_flight.add(path)
            return path

    def _finish(self, path: str, result: QImage | str) -> None:
        self._signals.done.emit(path, result)

    def _on_done(self, path: str, result: object) -> None:
        with self._lock:
            self._in_flight.discard(path)
            now_idle = not self._pending and not self._in_flight
        if isinstance(result, QImage):
            self._memory[path] = QPixmap.fromImage(result)
            while len(self._memory) > self._memory_items:
                self._memory.popitem(last=False)
        else:
            self._errors[path] = str(result)
        self.changed.emit(path)
        if now_idle:
            self.idle.emit()

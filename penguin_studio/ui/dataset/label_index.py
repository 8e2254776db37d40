"""The open dataset's label index, read in the background once the first thumbnails are in.

The browser paints its first page from the cheap listing (``records_for``) alone; reading
every label file (``core.dataset.index.build_index``, several threads) would compete for the
GIL with those first thumbnails and the frame that paints them, so it starts once
``first_page_ready()`` holds, looked at after the open (at once when nothing is on screen)
and after each paint of the browser (``painted``), or after ``FALLBACK_MS`` when thumbnails
keep coming (the user scrolls at once). Edits made while it ran are applied to the result
before anyone sees it, and later edits keep it in step (:meth:`label_edited`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from penguin_studio.core.dataset.status import LabelStatus
from penguin_studio.ui.jobs import start_job

#: the longest the index waits for the first page of thumbnails
FALLBACK_MS = 1000


class LabelIndexer(QObject):
    """Runs ``build_index`` for each opened dataset; ``ready(index)`` when it is read."""

    ready = Signal(object)  # DatasetIndex of the open dataset
    failed = Signal(str)
    progress = Signal(int, int)  # label files read, total
    settled = Signal()  # nothing pending or running any more (read, failed or superseded)

    def __init__(self, context, painted: SignalInstance,
                 documents: Callable[[], Iterable[Any]], first_page_ready: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.index = None
        self._documents = documents  # the editor's open label documents
        self._first_page_ready = first_page_ready
        self._dataset = None
        self._pending = None
        self._job = None
        self._timer = QTimer(self, singleShot=True, interval=FALLBACK_MS)
        self._timer.timeout.connect(self._start)
        painted.connect(self._check)

    @property
    def busy(self) -> bool:
        return self._pending is not None or self._job is not None

    def dataset_opened(self, dataset) -> None:
        """Forget the last index; read this dataset's once its first page is painted."""
        self._cancel()
        self.index, self._dataset, self._pending = None, dataset, dataset
        if dataset is None:
            self._pending = None
            self.settled.emit()
            return
        self._timer.start(FALLBACK_MS)
        QTimer.singleShot(0, self, self._check)  # nothing on screen: nothing to wait for

    def _check(self, *_args: Any) -> None:
        if self._pending is not None and self._first_page_ready():
            self._start()

    def _start(self) -> None:
        dataset, self._pending = self._pending, None
        self._timer.stop()
        if dataset is None or dataset is not self._dataset:
            return
        from penguin_studio.core.dataset.index import build_index  # numpy: not at start-up

        # the panel shows the progress (browser note) and the failure (its own status line)
        self._job = start_job(
            self.context, "Reading labels", lambda ctx, ds: build_index(ds, ctx), dataset,
            quiet=True, error_dialog=False, cancelled_text=None,
            on_done=self._done, on_failed=self._failed, owner=self,
            on_progress=lambda n, total, _m: self.progress.emit(n, total))

    def _failed(self, message: str) -> None:
        self._job = None  # (a superseded job is cancelled, so it never fails here)
        self.failed.emit(message)
        self.settled.emit()

    def _done(self, index) -> None:
        if index.dataset is not self._dataset:  # a superseded index that finished anyway
            return
        self._job = None
        for doc in self._documents():  # edits made while the index was being read
            if not doc.locked and index.entry(doc.image) is not None:
                index.update(doc.image, doc.boxes)
        self.index = index
        self.ready.emit(index)
        self.settled.emit()

    def label_edited(self, path: Path, doc) -> bool:
        """Keep the index in step with an edit of ``path``; True when it changed."""
        if self.index is None or self.index.entry(path) is None:
            return False
        if doc.locked:  # not ours to parse: read what is on disk
            self.index.refresh(path)
        else:
            entry = self.index.update(path, doc.boxes)
            if doc.unlabelled:  # an undo took the label file away again
                entry.status = LabelStatus.UNLABELLED
        return True

    def _cancel(self) -> None:
        self._timer.stop()
        self._pending = None
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def shutdown(self) -> None:
        self._cancel()

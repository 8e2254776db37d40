"""The session's label documents: one :class:`LabelDocument` per image, kept until forgotten.

Kept for the whole session so each image keeps its undo history and an edit that could not be
written stays in memory. The editor shows one of them at a time; the dataset panel asks the
same store for the documents edited while the index was read and for unsaved work before the
window closes, so both see one set of documents.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from penguin_studio.ui.dataset.label_document import LabelDocument

#: (action, image, n): where counted edits go (``core/labelling/effort.py``)
EffortSink = Callable[[str, str, int], None]


class DocumentStore(QObject):
    """Documents by image path; re-emits each document's changes with the document."""

    boxes_changed = Signal(object)  # LabelDocument
    save_state_changed = Signal(object)  # LabelDocument

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._docs: dict[str, LabelDocument] = {}
        #: called for every counted edit of any document (None: not counted)
        self.effort_sink: EffortSink | None = None

    def get(self, path: Path | str) -> LabelDocument:
        """The document of an image, made (and read from disk) on first use."""
        key = str(path)
        doc = self._docs.get(key)
        if doc is None:
            doc = LabelDocument(Path(path), self)
            doc.effort_sink = self._count_effort
            doc.boxes_changed.connect(lambda d=doc: self.boxes_changed.emit(d))
            doc.save_state_changed.connect(lambda d=doc: self.save_state_changed.emit(d))
            self._docs[key] = doc
        return doc

    def peek(self, path: Path | str) -> LabelDocument | None:
        """The document of an image if it was opened this session (none is made)."""
        return self._docs.get(str(path))

    def documents(self) -> list[LabelDocument]:
        return list(self._docs.values())

    def unsaved(self) -> list[LabelDocument]:
        """Images whose last edits could not be written (still in memory and undo)."""
        return [d for d in self._docs.values() if not d.saved]

    def clear(self) -> None:
        """Drop every document and its history (label files were rewritten underneath)."""
        for doc in self._docs.values():
            doc.deleteLater()
        self._docs.clear()

    def _count_effort(self, action: str, image: str, n: int) -> None:
        if self.effort_sink is not None:
            self.effort_sink(action, image, n)

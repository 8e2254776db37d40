"""One image's boxes while it is edited: saved on every change, with its own undo history.

A document is made once per image and kept while the app runs, so going back to an image
brings its undo history back. Every change is written at once with the core's atomic
``write_labels``. When the write fails (read-only folder, full disk) the boxes stay in memory,
the change stays on the undo stack, and ``save_state_changed`` tells the editor to say so; the
next change or an explicit retry writes everything again.

A label file that cannot be parsed is never written: the document is ``locked`` with the
parse error until the user resets it (the broken file is kept as a ``.bak`` beside it).

An image with no label file is "unlabelled", which is not the same as an empty file
("background"). Undoing the first edit of an unlabelled image therefore removes the file
again instead of leaving an empty one (``set_boxes(..., absent=True)``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from penguin_studio.core.dataset.labels import (
    Box,
    LabelParseError,
    LabelWriteError,
    read_labels,
    write_labels,
)
from penguin_studio.core.dataset.project import label_path_for


class LabelDocument(QObject):
    """The boxes of one image, their undo stack, and whether they are safely on disk."""

    boxes_changed = Signal()
    save_state_changed = Signal()

    def __init__(self, image: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image = Path(image)
        self.label_path = label_path_for(self.image)
        self.undo_stack = QUndoStack(self)
        self.boxes: list[Box] = []
        self.parse_error: str | None = None
        self.save_error: str | None = None
        #: which box the canvas should select after the next change (set by undo commands)
        self.selection_hint: int | None = None
        #: (action, image, n) → the dataset's effort accounting; set by the editor
        self.effort_sink = None
        self._disk_stamp: tuple[int, int] | None = None
        self._absent = False  # the next save removes the label file instead of writing it
        self.reload()

    # ----- state --------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        """True while the label file on disk cannot be parsed: nothing may be written."""
        return self.parse_error is not None

    @property
    def saved(self) -> bool:
        return self.save_error is None

    @property
    def on_disk(self) -> bool:
        """True when the image has a label file (an unlabelled image has none)."""
        return self.label_path.exists()

    @property
    def unlabelled(self) -> bool:
        """No boxes and no label file (or its removal under way): not annotated yet."""
        return not self.boxes and not self.locked and (self._absent or not self.on_disk)

    def reload(self) -> None:
        """Read the label file again (after an outside fix); clears the history."""
        self.undo_stack.clear()
        self.save_error = None
        self._absent = False
        try:
            self.boxes = read_labels(self.label_path)
            self.parse_error = None
        except LabelParseError as exc:
            self.boxes = []
            self.parse_error = str(exc)
        self._disk_stamp = self._stamp()
        self.boxes_changed.emit()
        self.save_state_changed.emit()

    def changed_on_disk(self) -> bool:
        """The file was changed by someone else since we last read or wrote it."""
        return self.saved and self._stamp() != self._disk_stamp

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.label_path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def writable_problem(self) -> str | None:
        """Why edits could not be saved here, said before any edit is made; None if fine."""
        folder = self.label_path.parent
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not os.access(probe, os.W_OK | os.X_OK):
            return f"The folder {probe} is read-only: edits to this image cannot be saved."
        if self.label_path.exists() and not os.access(self.label_path, os.W_OK):
            return f"{self.label_path.name} is read-only: edits to this image cannot be saved."
        return None

    # ----- changes (called by undo commands) ----------------------------------------------
    def set_boxes(self, boxes: list[Box], absent: bool = False) -> None:
        """Replace all boxes and save at once; a failed save keeps the boxes in memory.

        ``absent`` (with no boxes): remove the label file rather than write an empty one,
        so the image is unlabelled again, as it was before its first edit.
        """
        if self.locked:
            raise RuntimeError("a label file that cannot be parsed must not be overwritten")
        self.boxes = list(boxes)
        self._absent = absent and not self.boxes
        self.boxes_changed.emit()
        self.save()

    def save(self) -> bool:
        try:
            if self._absent:
                self._remove_file()
            else:
                write_labels(self.label_path, self.boxes)
        except LabelWriteError as exc:  # the editor holds the boxes: say the edit is safe
            self.save_error = f"{exc} Your edit is kept; try again."
        else:
            self.save_error = None
            self._disk_stamp = self._stamp()
        self.save_state_changed.emit()
        return self.save_error is None

    def _remove_file(self) -> None:
        try:
            self.label_path.unlink(missing_ok=True)
        except OSError as exc:
            raise LabelWriteError(f"Cannot remove {self.label_path.name}: "
                                  f"{exc.strerror}.") from exc

    def reset_broken_file(self) -> Path | None:
        """The user's explicit reset: keep the broken file as ``.bak``, start empty."""
        backup = None
        if self.label_path.exists():
            backup = self.label_path.with_name(self.label_path.name + ".bak")
            shutil.copy2(self.label_path, backup)
        self.parse_error = None
        self.undo_stack.clear()
        self.set_boxes([])
        return backup

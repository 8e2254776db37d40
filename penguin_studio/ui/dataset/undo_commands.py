"""Undo commands for box edits: each one swaps a whole before/after list of boxes.

Swapping the full list (a few dozen tuples) keeps every command trivially correct — add,
delete, move, resize, class change and "copy from previous image" all undo the same way —
and each redo/undo is one atomic label-file write.

A command can carry an effort count (``effort``: action, n) for the dataset's effort
accounting (``core/labelling/effort.py``): redo adds it through the document's
``effort_sink``, undo takes it back, so the figures always match the labels.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from penguin_studio.core.dataset.labels import Box
from penguin_studio.ui.dataset.label_document import LabelDocument


class SetBoxesCommand(QUndoCommand):
    """Replace the boxes of one image; remembers which box to select after each way.

    Undoing the first edit of an unlabelled image (no label file) removes the file again,
    so the image goes back to "unlabelled" rather than becoming "background".
    """

    def __init__(self, doc: LabelDocument, after: list[Box], text: str,
                 select_after: int | None = None, select_before: int | None = None,
                 effort: tuple[str, int] | None = None) -> None:
        super().__init__(text)
        self.effort = effort
        self.doc = doc
        self.before = list(doc.boxes)
        self.after = list(after)
        self.select_after = select_after
        self.select_before = select_before
        self.had_file = doc.on_disk

    def redo(self) -> None:
        self.doc.selection_hint = self.select_after
        self.doc.set_boxes(self.after)
        self.count_effort(+1)

    def undo(self) -> None:
        self.doc.selection_hint = self.select_before
        self.doc.set_boxes(self.before, absent=not self.had_file)
        self.count_effort(-1)

    def count_effort(self, sign: int) -> None:
        sink = getattr(self.doc, "effort_sink", None)
        if self.effort is not None and sink is not None:
            action, n = self.effort
            sink(action, str(self.doc.image), sign * n)


def add_box(doc: LabelDocument, box: Box, effort: str = "drawn") -> None:
    """Add a box the user made; ``effort`` names how ("drawn" by hand, "smartbox")."""
    doc.undo_stack.push(SetBoxesCommand(doc, [*doc.boxes, box], "Draw box",
                                        select_after=len(doc.boxes), effort=(effort, 1)))


def delete_box(doc: LabelDocument, index: int) -> None:
    after = [b for i, b in enumerate(doc.boxes) if i != index]
    doc.undo_stack.push(SetBoxesCommand(doc, after, "Delete box", select_before=index))


def replace_box(doc: LabelDocument, index: int, box: Box, text: str) -> None:
    if doc.boxes[index] == box:
        return
    after = list(doc.boxes)
    after[index] = box
    doc.undo_stack.push(SetBoxesCommand(doc, after, text, select_after=index,
                                        select_before=index))


def append_boxes(doc: LabelDocument, boxes: list[Box], text: str) -> int:
    """Add boxes not already present (same class and coordinates); returns how many."""
    new = [b for b in boxes if b not in doc.boxes]
    if new:
        doc.undo_stack.push(SetBoxesCommand(doc, [*doc.boxes, *new], text))
    return len(new)

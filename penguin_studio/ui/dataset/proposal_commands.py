"""Undo commands for proposal decisions: accept, adjust and reject are ordinary edits.

Accepting or adjusting adds the box to the image's :class:`LabelDocument` through the same
:class:`SetBoxesCommand` as drawing one (one atomic label write), and records the decision in
the proposals file; undo takes the box out again (on an image that had no label file, the
file goes away again) and puts the proposal back to "unreviewed", where it was. Rejecting
never writes the label file, so an unlabelled image stays unlabelled.
"""

from __future__ import annotations

from pathlib import Path

from penguin_studio.core.dataset.labels import Box
from penguin_studio.core.inference.prelabel import ACCEPTED, ADJUSTED, REJECTED, boxes_to_add
from penguin_studio.ui.dataset.label_document import LabelDocument
from penguin_studio.ui.dataset.proposal_review import Decision, ProposalReview
from penguin_studio.ui.dataset.undo_commands import SetBoxesCommand


class ReviewCommand(SetBoxesCommand):
    """Add ``added`` boxes (maybe none) and record ``forward`` decisions; undo both."""

    def __init__(self, doc: LabelDocument, review: ProposalReview, added: list[Box],
                 forward: list[Decision], backward: list[Decision], text: str,
                 select_after: int | None = None,
                 effort: tuple[str, int] | None = None) -> None:
        super().__init__(doc, [*doc.boxes, *added], text, select_after=select_after,
                         effort=effort)
        self.review = review
        self.image = Path(doc.image)
        self.writes_labels = bool(added)
        self.forward, self.backward = forward, backward

    def redo(self) -> None:
        if self.writes_labels:
            super().redo()
        else:
            self.count_effort(+1)
        self.review.select_hint = ("after", self.forward[-1].index) if self.forward else None
        self.review.record(self.image, self.forward)

    def undo(self) -> None:
        if self.writes_labels:
            super().undo()
        else:
            self.count_effort(-1)
        self.review.select_hint = ("at", self.backward[0].index) if self.backward else None
        self.review.record(self.image, self.backward)


def _restore(review: ProposalReview, indices: list[int]) -> list[Decision]:
    """Decisions that put proposals back exactly as they are now (status and box)."""
    out = []
    for i in indices:
        p = review.proposal(i)
        if p is not None:
            out.append(Decision(i, p.status, p.box))
    return out


def accept(doc: LabelDocument, review: ProposalReview, indices: list[int]) -> int:
    """Accept proposals as they are; returns how many boxes were added to the labels."""
    boxes = [p.box for p in (review.proposal(i) for i in indices) if p is not None]
    new = _new_boxes(doc, boxes)
    text = "Accept proposal" if len(indices) == 1 else f"Accept {len(indices)} proposals"
    doc.undo_stack.push(ReviewCommand(
        doc, review, new, [Decision(i, ACCEPTED) for i in indices],
        _restore(review, indices), text, effort=(ACCEPTED, len(indices))))
    return len(new)


def adjust(doc: LabelDocument, review: ProposalReview, index: int, box: Box) -> None:
    """Accept proposal ``index`` as the user moved, resized or re-classed it."""
    select = doc.boxes.index(box) if box in doc.boxes else len(doc.boxes)
    doc.undo_stack.push(ReviewCommand(
        doc, review, _new_boxes(doc, [box]), [Decision(index, ADJUSTED, box)],
        _restore(review, [index]), "Adjust proposal", select_after=select,
        effort=(ADJUSTED, 1)))


def reject(doc: LabelDocument, review: ProposalReview, indices: list[int]) -> None:
    """Reject proposals: the labels are not touched."""
    text = "Reject proposal" if len(indices) == 1 else f"Reject {len(indices)} proposals"
    doc.undo_stack.push(ReviewCommand(
        doc, review, [], [Decision(i, REJECTED) for i in indices],
        _restore(review, indices), text, effort=(REJECTED, len(indices))))


def _new_boxes(doc: LabelDocument, boxes: list[Box]) -> list[Box]:
    """Boxes not already in the labels (accepting twice never duplicates a box)."""
    return boxes_to_add(doc.boxes, boxes)

"""Reviewing model proposals in the annotation editor: one key per decision.

Keys (editor-wide, shown in tooltips and on the banner above the canvas):

- ``Y`` or ``Enter`` accepts the selected proposal (the next one is selected after it);
- ``N`` or ``X`` rejects it (``Delete`` too, when a proposal is selected);
- drag a proposal or its handles, or press a class number, to adjust it: it becomes a
  ground-truth box where you left it;
- ``Shift+Y`` / ``Shift+N`` accept or reject every proposal left on the image;
- ``Shift+D`` / ``Shift+A`` go to the next / previous image with proposals to review.

Every decision is an undoable edit of the image (``Ctrl+Z`` brings the proposal back to
unreviewed). A label file that cannot be parsed stays locked: nothing can be accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from penguin_studio.core.dataset.labels import Box
from penguin_studio.ui.dataset import proposal_commands
from penguin_studio.ui.dataset.banner import Banner
from penguin_studio.ui.dataset.proposal_review import ProposalReview

if TYPE_CHECKING:
    from penguin_studio.ui.dataset.editor import AnnotationEditor

KEYS_HELP = ("Y/Enter accept · N/X reject · drag or 1-9 to adjust · "
             "⇧D next image to review")


class ProposalEditing(QObject):
    """The editor's proposal review: canvas overlay, keys, banner and browser counts."""

    pending_changed = Signal(object, int)  # image Path, proposals still to review

    def __init__(self, editor: AnnotationEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.canvas = editor.canvas
        self.review = ProposalReview(self)
        self.banner = Banner("info")
        for text, slot, tip in (
                ("Accept  Y", self.accept, "Accept the selected proposal (Y or Enter)"),
                ("Reject  N", self.reject, "Reject the selected proposal (N or X)"),
                ("Accept all  ⇧Y", self.accept_all, "Accept every proposal left (Shift+Y)"),
                ("Reject all  ⇧N", self.reject_all, "Reject every proposal left (Shift+N)")):
            self.banner.add_button(text, slot).setToolTip(tip)
        self.review.changed.connect(self._show)
        self.review.pending_changed.connect(self._pending_changed)
        self.review.failed.connect(lambda msg: self._say(msg, 8000))
        self.canvas.proposal_adjusted.connect(self.adjust)

    def add_actions(self, action: Callable[..., object]) -> None:
        """Register the review keys through the editor's ``_action`` helper."""
        action("accept", "Accept", ["Y", "Return", "Enter"], self.accept,
               "Accept the selected proposal as a box")
        action("reject", "Reject", ["N", "X"], self.reject, "Reject the selected proposal")
        action("accept_all", "Accept all", "Shift+Y", self.accept_all,
               "Accept every proposal left on this image")
        action("reject_all", "Reject all", "Shift+N", self.reject_all,
               "Reject every proposal left on this image")
        action("next_review", "Next to review", "Shift+D", lambda: self.step_image(+1),
               "Next image with proposals to review")
        action("prev_review", "Previous to review", "Shift+A", lambda: self.step_image(-1),
               "Previous image with proposals to review")

    # ----- what is shown ------------------------------------------------------------------
    def set_root(self, root: Path | None) -> None:
        self.review.set_root(root)

    def show(self, image: Path | None) -> None:
        """Load and draw ``image``'s pending proposals (after the canvas got its document)."""
        self.review.select_hint = None
        self.review.load(image)

    def reload(self) -> None:
        """Read the current image's proposals again (after a pre-label run)."""
        self.review.reload()

    def _show(self) -> None:
        review, canvas = self.review, self.canvas
        canvas.set_proposals([(i, review.props.proposals[i].box, review.props.proposals[i].conf)
                              for i in review.pending] if review.props else [])
        hint, review.select_hint = review.select_hint, None
        if hint is not None and hint[0] == "at" and hint[1] in review.pending:
            canvas.select_proposal(hint[1])
        elif canvas.selected is None and canvas.selected_proposal is None:
            canvas.select_proposal(review.next_pending(hint[1] if hint else None))
        self._update_banner()
        self.editor.refresh_status()

    def _update_banner(self) -> None:
        review = self.review
        if review.error:
            self.banner.show_text(f"Proposals not shown: {review.error}")
            self._set_buttons(False)
            return
        n = len(review.pending)
        if not n:
            self.banner.show_text(None)
            return
        props = review.props
        source = f" from {Path(props.weights).name}" if props and props.weights else ""
        conf = f" at confidence ≥ {props.conf:g}" if props and props.conf else ""
        self.banner.show_text(f"<b>{n} proposal{'s' if n != 1 else ''} to review</b>"
                              f"{source}{conf}.  {KEYS_HELP}")
        self._set_buttons(True)

    def _set_buttons(self, on: bool) -> None:
        for button in self.banner.buttons.values():
            button.setVisible(on)

    def _pending_changed(self, image: Path, count: int) -> None:
        for record in self.editor.sequence:
            if record.key == str(image):
                record.pending = count
        self.pending_changed.emit(image, count)

    @property
    def pending_count(self) -> int:
        return len(self.review.pending)

    # ----- decisions ----------------------------------------------------------------------
    def _target(self) -> int | None:
        """The selected proposal, else the first one still to review."""
        selected = self.canvas.selected_proposal
        if selected is not None and selected in self.review.pending:
            return selected
        return self.review.next_pending(None)

    def _ready(self, labels: bool) -> bool:
        """An image with proposals is open (and its labels editable when ``labels``)."""
        doc = self.editor.doc
        if doc is None or doc.image != self.review.image or not self.review.pending:
            self._say("No proposals to review on this image.", 3000)
            return False
        return not (labels and self.canvas.refuse_edit())

    def accept(self) -> None:
        index = self._target()
        if index is not None and self._ready(labels=True):
            proposal_commands.accept(self.editor.doc, self.review, [index])

    def reject(self) -> None:
        index = self._target()
        if index is not None and self._ready(labels=False):
            proposal_commands.reject(self.editor.doc, self.review, [index])

    def accept_all(self) -> None:
        if self._ready(labels=True):
            pending = self.review.pending
            added = proposal_commands.accept(self.editor.doc, self.review, pending)
            self._say(f"Accepted {len(pending)} proposals ({added} new boxes).", 3000)

    def reject_all(self) -> None:
        if self._ready(labels=False):
            pending = self.review.pending
            proposal_commands.reject(self.editor.doc, self.review, pending)
            self._say(f"Rejected {len(pending)} proposals.", 3000)

    def adjust(self, index: int, box: Box) -> None:
        """A proposal was dragged, resized or re-classed: keep it as the user left it."""
        if index in self.review.pending and self._ready(labels=True):
            proposal_commands.adjust(self.editor.doc, self.review, index, box)

    def delete_or_reject(self) -> bool:
        """``Delete`` on a selected proposal rejects it; False when none is selected."""
        if self.canvas.selected_proposal is None:
            return False
        self.reject()
        return True

    # ----- navigation ---------------------------------------------------------------------
    def step_image(self, delta: int) -> None:
        """Open the next (``+1``) or previous (``-1``) image with proposals to review."""
        editor = self.editor
        order = range(editor.index + delta, len(editor.sequence) if delta > 0 else -1, delta)
        target = next((i for i in order if editor.sequence[i].pending > 0), None)
        if target is None:
            where = "after" if delta > 0 else "before"
            self._say(f"No image {where} this one has proposals to review.", 3000)
            return
        editor.open_index(target)

    def _say(self, text: str, ms: int) -> None:
        self.editor.status_message.emit(text, ms)

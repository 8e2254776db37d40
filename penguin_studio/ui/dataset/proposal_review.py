"""Model proposals of the image in the editor, and the decisions taken on them.

The core (:mod:`penguin_studio.core.inference.prelabel`) keeps proposals in one JSON file
per image, apart from the ground truth. The editor adds accepted boxes to its own undoable
:class:`LabelDocument` and records each decision with ``prelabel.mark`` (the JSON file is
the single source of truth: it is re-read after every decision, so undo, redo and the
browser's badges always agree with what is on disk).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from penguin_studio.core.dataset.labels import Box
from penguin_studio.core.dataset.project import Dataset
from penguin_studio.core.errors import UserError
from penguin_studio.core.inference import prelabel
from penguin_studio.core.inference.prelabel import ImageProposals, Proposal


@dataclass(frozen=True)
class Decision:
    """Set proposal ``index`` to ``status``; ``box`` also moves it (adjust, or its undo)."""

    index: int
    status: str
    box: Box | None = None


class ProposalReview(QObject):
    """The proposals of the image on screen; records decisions for any image."""

    changed = Signal()  # the current image's proposals were (re)loaded
    pending_changed = Signal(object, int)  # image Path, proposals still to review
    failed = Signal(str)  # a proposals file could not be read or written

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root: Path | None = None
        self.image: Path | None = None
        self.props: ImageProposals | None = None
        self.error = ""
        #: which proposal to select after the next reload, set by undo commands:
        #: ("at", i) selects proposal i, ("after", i) the next pending one after i
        self.select_hint: tuple[str, int] | None = None

    # ----- what is shown ------------------------------------------------------------------
    def set_root(self, root: Path | None) -> None:
        """The dataset folder whose ``.penguin-studio/proposals`` holds the files."""
        self.root = Path(root) if root is not None else None

    def load(self, image: Path | None) -> None:
        """Read ``image``'s proposals (none, or a damaged file: nothing to review)."""
        self.image = Path(image) if image is not None else None
        self.props, self.error = None, ""
        if self.image is not None:
            try:
                self.props = prelabel.load_proposals(self.image, self.root)
            except UserError as exc:
                self.error = str(exc)
        self.changed.emit()
        if self.image is not None:
            self.pending_changed.emit(self.image, len(self.pending))

    def reload(self) -> None:
        self.load(self.image)

    @property
    def pending(self) -> list[int]:
        """Indices (in the file) of the proposals still waiting for a decision."""
        return self.props.pending if self.props is not None else []

    def proposal(self, index: int) -> Proposal | None:
        props = self.props
        return props.proposals[index] if props and 0 <= index < len(props.proposals) else None

    def next_pending(self, after: int | None) -> int | None:
        """The pending proposal after ``after`` (wrapping round), or the first one."""
        pending = self.pending
        if not pending:
            return None
        if after is None:
            return pending[0]
        return next((i for i in pending if i > after), pending[0])

    # ----- decisions ----------------------------------------------------------------------
    def record(self, image: Path, decisions: list[Decision]) -> bool:
        """Write ``decisions`` to ``image``'s proposals file; False (and ``failed``) if not."""
        try:
            for which, status, box in _grouped(decisions):
                prelabel.mark(image, which, status, box, self.root)
        except UserError as exc:
            self.failed.emit(str(exc))
            return False
        finally:
            if self.image is not None and Path(image) == self.image:
                self.reload()
        return True


def _grouped(decisions: list[Decision]) -> list[tuple[list[int], str, Box | None]]:
    """One ``mark`` call per status for plain decisions (one JSON write for "accept all");
    decisions that move a box go one by one."""
    plain: dict[str, list[int]] = {}
    out: list[tuple[list[int], str, Box | None]] = []
    for d in decisions:
        if d.box is None:
            plain.setdefault(d.status, []).append(d.index)
        else:
            out.append(([d.index], d.status, d.box))
    return [(indices, status, None) for status, indices in plain.items()] + out


def pending_counts(dataset: Dataset) -> tuple[dict[str, int], list[str]]:
    """Proposals to review per image key, and the damaged proposals files (skipped).

    Costs one ``stat`` when the dataset has never been pre-labelled; otherwise reads the
    proposals files that exist, matched to the dataset's images (run it off the GUI thread).
    """
    folder = dataset.root.resolve() / prelabel.PROPOSALS_DIR  # as proposals_path has it
    if not folder.is_dir():
        return {}, []
    present = {os.path.join(d, f) for d, _s, files in os.walk(folder) for f in files
               if f.endswith(".json")}
    counts: dict[str, int] = {}
    damaged: list[str] = []
    for image in dataset.images():
        if str(prelabel.proposals_path(image, dataset.root)) not in present:
            continue
        try:
            props = prelabel.load_proposals(image, dataset.root)
        except UserError as exc:
            damaged.append(str(exc))
            continue
        if props is not None and props.pending:
            counts[str(image)] = len(props.pending)
    return counts, damaged

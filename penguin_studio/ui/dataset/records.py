"""What the browser knows about each image: split, label status, classes, problems.

Records start as "not indexed yet" so the grid can paint at once; the core's
``build_index`` (a background job) then fills in each image's label status and classes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from penguin_studio.core.dataset.project import Dataset
from penguin_studio.core.dataset.status import LabelStatus
from penguin_studio.core.dataset.to_label import TO_LABEL

if TYPE_CHECKING:  # the index module pulls numpy in; the panel imports this at start-up
    from penguin_studio.core.dataset.index import DatasetIndex, ImageEntry

#: the core's label statuses (as the plain strings summaries hold), plus "not indexed yet"
UNKNOWN = "unknown"
LABELLED = LabelStatus.LABELLED.value
BACKGROUND = LabelStatus.BACKGROUND.value
UNLABELLED = LabelStatus.UNLABELLED.value
BROKEN = LabelStatus.ERROR.value

STATUS_TEXT = {
    UNKNOWN: "labels not read yet", LABELLED: "labelled",
    BACKGROUND: "background (empty label file)", UNLABELLED: "unlabelled (no label file)",
    BROKEN: "label file cannot be read",
}


@dataclass(slots=True)
class LabelSummary:
    """One image's labels at a glance: status, boxes per class, why it cannot be read."""

    status: str
    counts: dict[int, int] = field(default_factory=dict)
    problem: str = ""

    @property
    def boxes(self) -> int:
        return sum(self.counts.values())

    @classmethod
    def of_entry(cls, entry: ImageEntry) -> LabelSummary:
        return cls(entry.status.value, dict(Counter(b.cls for b in entry.boxes)), entry.error)


@dataclass(slots=True)
class ImageRecord:
    path: Path
    split: str
    key: str
    summary: LabelSummary = field(default_factory=lambda: LabelSummary(UNKNOWN))
    #: model proposals still waiting for review (see ``core.inference.prelabel``)
    pending: int = 0
    #: place and score in the "label next" queue (``core.labelling.queue``); None: not in it
    queue_rank: int | None = None
    score: float | None = None

    @property
    def name(self) -> str:
        return self.path.name


#: every record's summary until the index is read: one shared (never changed in place)
#: object, not 10,000 new ones (and their dicts) for the collector to walk at open
NOT_READ = LabelSummary(UNKNOWN)


def records_for(dataset: Dataset) -> list[ImageRecord]:
    """One record per image, in split order; an image listed twice shows once (the doctor
    reports the duplicate). Pictures waiting in the "to label" set come last."""
    records = [ImageRecord(path, split, str(path), NOT_READ)
               for path, split in dataset.split_of().items()]
    return records + [ImageRecord(path, TO_LABEL, str(path), NOT_READ)
                      for path in dataset.to_label]


def summaries_from_index(index: DatasetIndex) -> dict[str, LabelSummary]:
    return {str(e.image): LabelSummary.of_entry(e) for e in index}

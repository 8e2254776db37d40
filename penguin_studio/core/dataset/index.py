"""Every image's label status, boxes and the dataset's statistics, without decoding an image.

The browser filters (split, class, labelled / unlabelled / background / broken, name) and the
statistics view (images per split, instances per class, box sizes) all read one
:class:`DatasetIndex`. Building it lists each label folder once with ``os.scandir`` (so a
missing label costs no failed ``open``) and reads the label files in chunks on a few threads
(the reads release the GIL; on a network share that is most of the time). 10,000 images
index in a fraction of a second.

Edits keep the index current with :meth:`DatasetIndex.update` (after a save) or
:meth:`DatasetIndex.refresh` (re-read one file), so statistics never need a rescan.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from penguin_studio.core.dataset.labels import (
    Box,
    LabelParseError,
    decode_label_bytes,
    parse_labels_text,
)
from penguin_studio.core.dataset.parallel import thread_map
from penguin_studio.core.dataset.project import Dataset, label_path_for
from penguin_studio.core.dataset.status import LabelStatus
from penguin_studio.core.dataset.to_label import TO_LABEL
from penguin_studio.core.jobs import JobContext

CHUNK = 512


@dataclass(slots=True)
class ImageEntry:
    """One image of the dataset as the index sees it."""

    image: Path
    label: Path
    split: str
    status: LabelStatus
    boxes: list[Box] = field(default_factory=list)
    error: str = ""  # why the label file cannot be parsed (status ERROR)
    error_line: int = 0

    @property
    def classes(self) -> set[int]:
        return {b.cls for b in self.boxes}

    @property
    def name(self) -> str:
        return self.image.name


@dataclass
class SplitStats:
    """Counts for one split (or ``all``)."""

    images: int = 0
    labelled: int = 0
    background: int = 0
    unlabelled: int = 0
    errors: int = 0
    boxes: int = 0

    def add(self, entry: ImageEntry) -> None:
        self.images += 1
        self.boxes += len(entry.boxes)
        attr = {LabelStatus.LABELLED: "labelled", LabelStatus.BACKGROUND: "background",
                LabelStatus.UNLABELLED: "unlabelled", LabelStatus.ERROR: "errors"}[entry.status]
        setattr(self, attr, getattr(self, attr) + 1)


@dataclass
class DatasetIndex:
    """All images with their labels; statistics computed on demand from ``entries``."""

    dataset: Dataset
    entries: list[ImageEntry]
    #: image → the other splits that also list it (a leak between splits)
    also_in: dict[Path, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_image = {e.image: e for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[ImageEntry]:
        return iter(self.entries)

    def entry(self, image: Path) -> ImageEntry | None:
        return self._by_image.get(Path(image))

    # -- statistics ----------------------------------------------------------------------

    def instances_per_class(self, split: str | None = None) -> dict[int, int]:
        """Box count per class id, every class of the dataset present (zeros included).

        Ids outside the class list (a broken label) appear as extra keys.
        """
        counts = Counter(b.cls for e in self._select(split) for b in e.boxes)
        out = dict.fromkeys(range(self.dataset.nc), 0)
        out.update(counts)
        return dict(sorted(out.items()))

    def images_per_class(self, split: str | None = None) -> dict[int, int]:
        """How many images contain at least one box of each class."""
        counts = Counter(c for e in self._select(split) for c in e.classes)
        out = dict.fromkeys(range(self.dataset.nc), 0)
        out.update(counts)
        return dict(sorted(out.items()))

    def split_stats(self) -> dict[str, SplitStats]:
        """Per split, then ``all``: images, labelled / background / unlabelled / errors, boxes."""
        stats: dict[str, SplitStats] = {s: SplitStats() for s in self.dataset.splits}
        total = SplitStats()
        for e in self.entries:
            stats.setdefault(e.split, SplitStats()).add(e)
            total.add(e)
        stats["all"] = total
        return stats

    def box_sizes(self, split: str | None = None) -> np.ndarray:
        """``(N, 3)`` float array of (class id, normalized width, normalized height)."""
        rows = [(b.cls, b.w, b.h) for e in self._select(split) for b in e.boxes]
        return np.array(rows, dtype=np.float64).reshape(-1, 3)

    def errors(self) -> list[ImageEntry]:
        return [e for e in self.entries if e.status is LabelStatus.ERROR]

    # -- filtering -----------------------------------------------------------------------

    def filter(self, split: str | None = None, classes: Iterable[int] | None = None,
               status: LabelStatus | Iterable[LabelStatus] | None = None,
               name: str = "") -> list[ImageEntry]:
        """Entries matching all given criteria (``classes``: containing any of them)."""
        wanted_cls = set(classes) if classes is not None else None
        if isinstance(status, LabelStatus):
            status = {status}
        wanted_status = set(status) if status is not None else None
        needle = name.casefold()
        out = []
        for e in self._select(split):
            if wanted_status is not None and e.status not in wanted_status:
                continue
            if wanted_cls is not None and not (wanted_cls & e.classes):
                continue
            if needle and needle not in e.image.name.casefold():
                continue
            out.append(e)
        return out

    def _select(self, split: str | None) -> Iterable[ImageEntry]:
        if split is None:
            return self.entries
        return (e for e in self.entries if e.split == split)

    # -- keeping current -----------------------------------------------------------------

    def update(self, image: Path, boxes: list[Box]) -> ImageEntry:
        """Record that ``boxes`` were just saved for ``image`` (no disk access)."""
        entry = self._by_image[Path(image)]
        entry.boxes = list(boxes)
        entry.status = LabelStatus.LABELLED if boxes else LabelStatus.BACKGROUND
        entry.error, entry.error_line = "", 0
        return entry

    def refresh(self, image: Path) -> ImageEntry:
        """Re-read one image's label file (after an outside change or a reset)."""
        entry = self._by_image[Path(image)]
        fresh = _read_entry(entry.image, entry.label, entry.split, None)
        entry.status, entry.boxes = fresh.status, fresh.boxes
        entry.error, entry.error_line = fresh.error, fresh.error_line
        return entry


def build_index(dataset: Dataset, ctx: JobContext | None = None,
                workers: int = 4) -> DatasetIndex:
    """Scan every label file of ``dataset`` (never an image) into a :class:`DatasetIndex`."""
    ctx = ctx or JobContext()
    jobs: list[tuple[Path, Path, str]] = []
    also_in: dict[Path, list[str]] = {}
    seen: set[Path] = set()
    groups = [*dataset.splits.items(), (TO_LABEL, dataset.to_label)]
    for split, images in groups:
        for image in images:
            if image in seen:
                also_in.setdefault(image, []).append(split)
                continue
            seen.add(image)
            jobs.append((image, label_path_for(image), split))
    existing = _existing_files({label.parent for _, label, _ in jobs})
    total = len(jobs)
    entries: list[ImageEntry] = []
    chunks = [jobs[i:i + CHUNK] for i in range(0, total, CHUNK)]

    def read_chunk(chunk: list[tuple[Path, Path, str]]) -> list[bytes | ImageEntry | None]:
        return [_read_raw(img, lbl, split, existing) for img, lbl, split in chunk]

    ctx.step(0, total, "reading labels")
    with thread_map(read_chunk, chunks, workers) as results:
        for chunk, raws in zip(chunks, results, strict=True):
            entries.extend(_parse_raw(img, lbl, split, raw)
                           for (img, lbl, split), raw in zip(chunk, raws, strict=True))
            ctx.step(len(entries), total, "reading labels")
    return DatasetIndex(dataset, entries, also_in)


def _existing_files(folders: Iterable[Path]) -> dict[Path, frozenset[str]]:
    """Folder → names of the files in it, one ``scandir`` per folder."""
    out: dict[Path, frozenset[str]] = {}
    for folder in folders:
        try:
            with os.scandir(folder) as it:
                out[folder] = frozenset(d.name for d in it)
        except OSError:
            out[folder] = frozenset()
    return out


def _read_entry(image: Path, label: Path, split: str,
                existing: dict[Path, frozenset[str]] | None) -> ImageEntry:
    return _parse_raw(image, label, split, _read_raw(image, label, split, existing))


def _read_raw(image: Path, label: Path, split: str,
              existing: dict[Path, frozenset[str]] | None) -> bytes | ImageEntry:
    """The label file's bytes (threads: I/O releases the GIL), or its entry when unreadable."""
    if existing is not None and label.name not in existing.get(label.parent, ()):
        return ImageEntry(image, label, split, LabelStatus.UNLABELLED)
    try:
        return label.read_bytes()
    except FileNotFoundError:
        return ImageEntry(image, label, split, LabelStatus.UNLABELLED)
    except OSError as exc:
        return ImageEntry(image, label, split, LabelStatus.ERROR,
                          error=f"{label.name}: cannot be read ({exc.strerror or exc})")


def _parse_raw(image: Path, label: Path, split: str, raw: bytes | ImageEntry) -> ImageEntry:
    """Parsing stays on the calling thread: it is pure Python, threads would only contend."""
    if isinstance(raw, ImageEntry):
        return raw
    try:
        boxes = parse_labels_text(decode_label_bytes(raw, label), label)
    except LabelParseError as exc:
        return ImageEntry(image, label, split, LabelStatus.ERROR, error=str(exc),
                          error_line=exc.line_no)
    status = LabelStatus.LABELLED if boxes else LabelStatus.BACKGROUND
    return ImageEntry(image, label, split, status, boxes)

"""The image list model: every record of the dataset, filtered without copying records.

Filtering is done here (an index list into the records) rather than in a proxy model: one
pass over 10,000 records in Python is a few milliseconds, and path → row lookups stay O(1)
for thumbnail updates and "open this image" requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from penguin_studio.ui.dataset.records import (
    BROKEN,
    STATUS_TEXT,
    UNKNOWN,
    UNLABELLED,
    ImageRecord,
    LabelSummary,
)

RecordRole = Qt.ItemDataRole.UserRole + 1
ANY = ""
PROBLEMS = "problems"
PROPOSALS = "proposals"  # model proposals still to review
INFORMATIVE = "informative"  # order: the label-next queue first (core.labelling.queue)


@dataclass(frozen=True)
class BrowserFilter:
    """What the filter bar asks for; empty fields match everything."""

    split: str = ANY
    class_id: int | None = None
    status: str = ANY  # labelled | unlabelled | background | problems | proposals
    text: str = ""
    order: str = ANY  # "" dataset order | "informative": most informative first


class ImageListModel(QAbstractListModel):
    """Records of the open dataset, in dataset order, behind the current filter."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._records: list[ImageRecord] = []
        self._rows: list[int] = []  # visible row → record index
        self._row_of: dict[str, int] = {}  # record key → visible row
        self._record_of: dict[str, int] = {}  # record key → record index
        self._filter = BrowserFilter()
        self.problems: dict[str, str] = {}  # key → reason (corrupt image, doctor finding…)

    # ----- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008,N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        record = self._records[self._rows[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            return record.name
        if role == RecordRole:
            return record
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(record)
        return None

    def tooltip(self, record: ImageRecord) -> str:
        lines = [str(record.path), f"split: {record.split}", STATUS_TEXT[record.summary.status]]
        if record.summary.boxes:
            lines.append(f"{record.summary.boxes} boxes")
        if record.pending:
            lines.append(f"{record.pending} model proposals to review")
        if record.queue_rank is not None:
            lines.append(f"label next: #{record.queue_rank + 1}, informativeness "
                         f"{record.score:.2f}")
        problem = record.summary.problem or self.problems.get(record.key)
        if problem:
            lines.append(f"⚠ {problem}")
        return "\n".join(lines)

    # ----- contents -----------------------------------------------------------------------
    def set_records(self, records: list[ImageRecord]) -> None:
        self.beginResetModel()
        self._records = records
        self._record_of = {r.key: i for i, r in enumerate(records)}
        self.problems = {}
        self._apply_filter()
        self.endResetModel()

    def set_summaries(self, summaries: dict[str, LabelSummary]) -> None:
        """Fill in label status after the scan; refilters (status/class filters need it)."""
        for record in self._records:
            summary = summaries.get(record.key)
            if summary is not None:
                record.summary = summary
        self.refresh_rows()

    def update_record(self, key: str, summary: LabelSummary) -> None:
        """One image's labels changed (an edit): repaint its cell, keep the filter as is."""
        index = self._record_of.get(key)
        if index is None:
            return
        self._records[index].summary = summary
        self.changed(key)

    def set_pending(self, counts: dict[str, int]) -> None:
        """Proposals to review per image key (others have none); refilters."""
        for record in self._records:
            record.pending = counts.get(record.key, 0)
        self.refresh_rows()

    def update_pending(self, key: str, count: int) -> None:
        """One image's proposals were reviewed: repaint its badge, keep the filter as is."""
        index = self._record_of.get(key)
        if index is not None and self._records[index].pending != count:
            self._records[index].pending = count
            self.changed(key)

    def set_queue(self, ranks: dict[str, tuple[int, float]]) -> None:
        """The label-next queue (key → rank, score); images not in it have no score."""
        for record in self._records:
            record.queue_rank, record.score = ranks.get(record.key, (None, None))
        self.refresh_rows()

    @property
    def informative_first(self) -> bool:
        return self._filter.order == INFORMATIVE

    def changed(self, key: str) -> None:
        row = self._row_of.get(key)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    # ----- filtering ----------------------------------------------------------------------
    @property
    def filter(self) -> BrowserFilter:
        return self._filter

    def set_filter(self, flt: BrowserFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.refilter()

    def refilter(self) -> None:
        self.beginResetModel()
        self._apply_filter()
        self.endResetModel()

    def refresh_rows(self) -> None:
        """Refilter after the records' contents changed (the index was read, proposals
        counted). When the same rows stay, as they do without a status or class filter, the
        cells are only repainted: a reset would drop the selection and the scroll position
        of someone who started browsing while the labels were being read."""
        rows = self._filtered_rows()
        if rows != self._rows:
            self.beginResetModel()
            self._set_rows(rows)
            self.endResetModel()
        elif rows:
            self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))

    def _apply_filter(self) -> None:
        self._set_rows(self._filtered_rows())

    def _filtered_rows(self) -> list[int]:
        if self._filter == BrowserFilter():  # every record, in dataset order (at open)
            return list(range(len(self._records)))
        keep = self._matcher()
        rows = [i for i, r in enumerate(self._records) if keep(r)]
        if self.informative_first:  # queue order first, then the rest in dataset order
            records, last = self._records, len(self._records)
            rows.sort(key=lambda i: (records[i].queue_rank
                                     if records[i].queue_rank is not None else last, i))
        return rows

    def _set_rows(self, rows: list[int]) -> None:
        self._rows = rows
        if self._shows_all():  # row i is record i: the same mapping, not a second dict
            self._row_of = self._record_of
        else:
            self._row_of = {self._records[i].key: row for row, i in enumerate(rows)}

    def _shows_all(self) -> bool:
        """Every record is a row, in dataset order (no filter hides one, no queue order)."""
        return len(self._rows) == len(self._records) and not self.informative_first

    def _matcher(self):
        f = self._filter
        text = f.text.strip().lower()
        problems = self.problems

        def keep(r: ImageRecord) -> bool:
            s = r.summary
            if f.split and r.split != f.split:
                return False
            if text and text not in r.path.name.lower():
                return False
            if f.class_id is not None and f.class_id not in s.counts:
                return False
            if f.status == PROBLEMS:
                return s.status == BROKEN or r.key in problems
            if f.status == PROPOSALS:
                return r.pending > 0
            if f.status == UNLABELLED:
                return s.status in (UNLABELLED, UNKNOWN)
            return not f.status or s.status == f.status

        return keep

    # ----- lookups ------------------------------------------------------------------------
    def record_at(self, row: int) -> ImageRecord | None:
        return self._records[self._rows[row]] if 0 <= row < len(self._rows) else None

    def row_of(self, path: Path | str) -> int | None:
        return self._row_of.get(str(path))

    def record(self, path: Path | str) -> ImageRecord | None:
        index = self._record_of.get(str(path))
        return None if index is None else self._records[index]

    def all_records(self) -> list[ImageRecord]:
        return self._records

    def visible_records(self) -> list[ImageRecord]:
        if self._shows_all():
            return list(self._records)
        return [self._records[i] for i in self._rows]

"""Folder census: how many of each class on every image, re-counted without the model.

An ecologist's first question about a folder of colony photos is "how many penguins on each
photo, and in all". The model runs once per image (:func:`~.predict.predict_source` caches
every raw candidate), so a census at another confidence or IoU is only a re-filter of those
candidates with :func:`~.filtering.filter_detections`: exactly the boxes ``predict(conf,
iou)`` would give, in milliseconds for a whole folder.

Images are ordered by file name, or by EXIF capture time when the photos carry one
(``DateTimeOriginal``, else ``DateTime``), so a chart of counts reads as a time series of a
camera trap. The CSV has one row per image: ``image, capture_time, <one column per class>,
total``; :func:`read_census_csv` reads it back.

Qt-free: used by the Detect panel's *Counts* tab and by ``penguin-studio count``.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from penguin_studio.core.errors import UserError, unreadable_reason
from penguin_studio.core.inference.predict import Predictions

#: EXIF tags: DateTimeOriginal (in the Exif sub-IFD) and the plain DateTime fallback.
EXIF_IFD, DATETIME_ORIGINAL, DATETIME = 0x8769, 0x9003, 0x0132
EXIF_FORMAT = "%Y:%m:%d %H:%M:%S"
FIXED_COLUMNS = ("image", "capture_time")


@dataclass(frozen=True)
class CensusRow:
    """One image (or video frame): its counts per class id, and when it was taken."""

    image: Path
    label: str  # what people see: the file name, or "clip.mp4 #12" for a frame
    counts: tuple[int, ...]
    captured: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class Census:
    """Counts of a whole source at one (conf, IoU, classes) setting."""

    names: list[str]
    rows: list[CensusRow] = field(default_factory=list)
    conf: float | None = None
    iou: float | None = None

    @property
    def totals(self) -> dict[str, int]:
        """Boxes per class name over every image."""
        sums = [sum(row.counts[c] for row in self.rows) for c in range(len(self.names))]
        return dict(zip(self.names, sums, strict=True))

    @property
    def mean_per_image(self) -> dict[str, float]:
        n = max(1, len(self.rows))
        return {name: total / n for name, total in self.totals.items()}

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def has_times(self) -> bool:
        return any(row.captured is not None for row in self.rows)

    def ordered(self, by: str = "auto") -> list[CensusRow]:
        """Rows by ``name``, by capture ``time`` (images without one last), or ``auto``:
        by time when any image has one."""
        if by == "auto":
            by = "time" if self.has_times else "name"
        if by == "name":
            return sorted(self.rows, key=lambda r: (r.label.lower(), r.label))
        if by == "time":
            return sorted(self.rows, key=lambda r: (r.captured is None,
                                                    r.captured or datetime.min, r.label))
        raise ValueError(f"order by 'name', 'time' or 'auto', not {by!r}")

    def to_json(self) -> dict:
        """A JSON-ready document (``penguin-studio count --json``)."""
        return {
            "conf": self.conf, "iou": self.iou, "images": len(self.rows),
            "totals": self.totals,
            "mean_per_image": {k: round(v, 4) for k, v in self.mean_per_image.items()},
            "rows": [{"image": str(r.image), "label": r.label,
                      "capture_time": r.captured.isoformat() if r.captured else None,
                      "counts": dict(zip(self.names, r.counts, strict=True)),
                      "total": r.total} for r in self.ordered()],
        }


def count_predictions(preds: Predictions, conf: float, iou: float,
                      classes: Iterable[int] | None = None) -> Census:
    """The census of cached predictions at ``conf``/``iou`` (hidden classes count 0)."""
    names = list(preds.model.names)
    wanted = None if classes is None else list(classes)
    census = Census(names=names, conf=conf, iou=iou)
    for index, item in enumerate(preds.items):
        dets = preds.filtered(index, conf, iou, classes=wanted)
        counts = [0] * len(names)
        for c in dets.cls.tolist():
            if 0 <= c < len(names):
                counts[c] += 1
        captured = capture_time(item.path) if item.frame is None else None
        census.rows.append(CensusRow(item.path, item.label, tuple(counts), captured))
    return census


# ----- capture times ----------------------------------------------------------------------
def capture_time(path: Path) -> datetime | None:
    """When the photo was taken (EXIF), or None; cached per file and modification time."""
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return None
    return _capture_time(str(path), stamp)


@functools.lru_cache(maxsize=65536)
def _capture_time(path: str, _stamp: int) -> datetime | None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            exif = image.getexif()
            text = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    except Exception:  # noqa: BLE001 - any unreadable header simply has no time
        return None
    return parse_exif_time(text)


def parse_exif_time(text: object) -> datetime | None:
    """``2024:11:03 14:05:09`` (EXIF) as a datetime; None for anything else."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text.strip().rstrip("\x00"), EXIF_FORMAT)
    except ValueError:
        return None


# ----- CSV --------------------------------------------------------------------------------
def census_csv_text(census: Census, order: str = "auto") -> str:
    """The CSV: ``image, capture_time, <class…>, total``, one row per image."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *census.names, "total"])
    for row in census.ordered(order):
        writer.writerow([row.label if row.label != row.image.name else str(row.image),
                         row.captured.isoformat(sep=" ") if row.captured else "",
                         *row.counts, row.total])
    return out.getvalue()


def write_census_csv(census: Census, path: str | Path, order: str = "auto") -> Path:
    """Write the census CSV atomically; returns the path written."""
    return write_text_atomic(path, census_csv_text(census, order))


def read_census_csv(path: str | Path) -> Census:
    """Read a census CSV written by :func:`write_census_csv` (a clear error otherwise)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"Cannot read {path.name}: {unreadable_reason(exc)}. Pick a census "
                        f"CSV written by counting.") from exc
    rows = list(csv.reader(lines))
    if not rows or tuple(rows[0][:2]) != FIXED_COLUMNS or rows[0][-1] != "total":
        raise UserError(f"{path.name} is not a census CSV (expected the columns "
                        f"{', '.join(FIXED_COLUMNS)}, <classes>, total).")
    names = rows[0][2:-1]
    census = Census(names=names)
    for number, values in enumerate(rows[1:], start=2):
        try:
            counts = tuple(int(v) for v in values[2:-1])
        except ValueError as exc:
            raise UserError(f"{path.name} line {number}: counts must be whole numbers.") \
                from exc
        if len(counts) != len(names):
            raise UserError(f"{path.name} line {number}: expected {len(names)} class columns.")
        captured = datetime.fromisoformat(values[1]) if values[1] else None
        census.rows.append(CensusRow(Path(values[0]), Path(values[0]).name if "#" not in
                                     values[0] else values[0], counts, captured))
    return census


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` under a temporary name, then rename: a crash never leaves half a file."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"{path} is a folder: give a file name such as counts.csv.")
    if not path.parent.is_dir():
        raise UserError(f"Cannot write {path.name}: the folder {path.parent} does not exist.")
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    return path

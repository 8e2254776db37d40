"""YOLO label files: parse strictly, write atomically, never clobber what cannot be read.

A label file that fails to parse raises :class:`LabelParseError` naming the line and why;
callers must then leave the file untouched until the user fixes or resets it. Writes go to a
temporary file in the same folder, are fsync'ed, then ``os.replace``d over the original, so a
crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from penguin_studio.core.errors import UserError
from penguin_studio.core.filemodes import give_mode


@dataclass(frozen=True)
class Box:
    """One YOLO box: class id and normalized centre x, centre y, width, height."""

    cls: int
    cx: float
    cy: float
    w: float
    h: float

    def to_line(self) -> str:
        return f"{self.cls} {self.cx:.6f} {self.cy:.6f} {self.w:.6f} {self.h:.6f}"

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        """Normalized corners (x1, y1, x2, y2)."""
        return (self.cx - self.w / 2, self.cy - self.h / 2,
                self.cx + self.w / 2, self.cy + self.h / 2)

    @classmethod
    def from_xyxy(cls, class_id: int, x1: float, y1: float, x2: float, y2: float) -> Box:
        x1, x2 = sorted((x1, x2))
        y1, y2 = sorted((y1, y2))
        return cls(class_id, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)


class LabelParseError(UserError):
    """A label file that cannot be read as YOLO boxes; it must not be overwritten."""

    def __init__(self, path: Path, line_no: int, reason: str, kind: str = "") -> None:
        #: for a bad line, what is wrong: "fields", "number" or "class-id" (the doctor's checks)
        self.kind = kind
        self.path, self.line_no, self.reason = Path(path), line_no, reason
        where = f"line {line_no}" if line_no else "file"
        super().__init__(f"{Path(path).name}, {where}: {reason}")


class LabelWriteError(UserError):
    """A label file could not be written (read-only folder, full disk…)."""


def parse_line(text: str, path: Path, line_no: int) -> Box:
    """One ``cls cx cy w h`` line; segments (more than 5 numbers) keep their bounding box."""
    class_id, numbers = parse_fields(text, path, line_no)
    if len(numbers) == 4:
        return Box(class_id, *numbers)
    xs, ys = numbers[0::2], numbers[1::2]  # polygon → its bounding box, as ultralytics does
    return Box.from_xyxy(class_id, min(xs), min(ys), max(xs), max(ys))


def parse_fields(text: str, path: Path, line_no: int) -> tuple[int, list[float]]:
    """The class id and the coordinates of one label line as written (4 for a box, an even
    number for a polygon), or a LabelParseError whose ``kind`` says what is wrong. The one
    YOLO line reader: the editor, the index and the doctor all parse through it."""
    fields = text.split()
    if len(fields) < 5 or (len(fields) > 5 and len(fields) % 2 == 0):
        raise LabelParseError(path, line_no, f"expected 5 numbers, found {len(fields)} fields",
                              "fields")
    try:
        cls_value = float(fields[0])
        numbers = [float(f) for f in fields[1:]]
    except ValueError:
        bad = next(f for f in fields if not _is_number(f))
        raise LabelParseError(path, line_no, f"'{bad}' is not a number", "number") from None
    if not cls_value.is_integer() or cls_value < 0:
        raise LabelParseError(path, line_no, f"class id '{fields[0]}' is not a whole number ≥ 0",
                              "class-id")
    if any(not math.isfinite(v) for v in numbers):
        raise LabelParseError(path, line_no, "coordinates must be finite numbers", "number")
    return int(cls_value), numbers


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_labels(path: str | Path) -> list[Box]:
    """Boxes of a label file; a missing file is an unlabelled image (empty list)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise LabelParseError(path, 0, f"cannot be read ({exc.strerror})") from exc
    return parse_labels_text(decode_label_bytes(raw, path), path)


def decode_label_bytes(raw: bytes, path: Path) -> str:
    """UTF-8 text (BOM allowed, as ultralytics reads it) or a LabelParseError."""
    if b"\0" in raw:
        raise LabelParseError(path, 0, "is not a text file (binary data)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelParseError(path, 0, "is not a text file (not UTF-8)") from None


def parse_labels_text(text: str, path: Path) -> list[Box]:
    """Boxes of a label file's text; the first bad line raises :class:`LabelParseError`."""
    return [parse_line(line, path, i) for i, line in enumerate(text.splitlines(), start=1)
            if line.strip()]


def format_labels(boxes: list[Box]) -> str:
    return "".join(box.to_line() + "\n" for box in boxes)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write via a temp file in the same folder, fsync, then ``os.replace``.

    The result keeps the replaced file's mode (a new file gets the umask default), not the
    0600 of ``mkstemp``'s temporary file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except (FileExistsError, NotADirectoryError) as exc:  # a file where a folder should be
        raise LabelWriteError(f"Cannot write in {path.parent}: a file of that name (or above "
                              f"it) is in the way. Pick a folder.") from exc
    except OSError as exc:
        raise LabelWriteError(f"Cannot write in {path.parent}: {exc.strerror}. "
                              "Check the folder is writable.") from exc
    try:
        give_mode(fd, path)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        why = "it is a folder: give a file name" if path.is_dir() else exc.strerror
        raise LabelWriteError(f"Cannot write {path}: {why}.") from exc


def write_labels(path: str | Path, boxes: list[Box]) -> None:
    """Save boxes as normalized YOLO lines, atomically."""
    atomic_write_text(path, format_labels(boxes))

"""Safe fixes of label files: clip boxes to the image, drop exact duplicate lines.

Explicit and reversible: every file to change is first copied into a timestamped backup
folder (``.penguin-studio/backups/<time>/`` next to the yaml), then all are written in one
crash-safe transaction (:class:`~penguin_studio.core.dataset.journal.FileTransaction`).
Which files are safe to fix is the doctor's call
(:func:`~penguin_studio.core.dataset.doctor.apply_safe_fixes`); nothing else is ever changed.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from penguin_studio.core.boxes import EDGE_TOLERANCE, yolo_bounds
from penguin_studio.core.dataset.journal import FileTransaction
from penguin_studio.core.dataset.labels import LabelParseError, decode_label_bytes
from penguin_studio.core.dataset.project import Dataset
from penguin_studio.core.jobs import JobContext


@dataclass
class FixReport:
    files_changed: list[Path] = field(default_factory=list)
    boxes_clipped: int = 0
    duplicates_removed: int = 0
    boxes_dropped: int = 0  # entirely outside the image: nothing left after clipping
    backup_dir: Path | None = None

    def summary(self) -> str:
        if not self.files_changed:
            return "Nothing to fix safely."
        return (f"Fixed {len(self.files_changed)} label files: {self.boxes_clipped} boxes "
                f"clipped, {self.duplicates_removed} exact duplicates removed, "
                f"{self.boxes_dropped} boxes outside the image dropped. "
                f"Originals backed up in {self.backup_dir}.")


def fix_label_files(dataset: Dataset, labels: Iterable[Path],
                    ctx: JobContext | None = None) -> FixReport:
    """Clip and de-duplicate ``labels``, backed up first; unreadable or unparsable files
    are left untouched."""
    ctx = ctx or JobContext()
    report = FixReport()
    new_texts: dict[Path, str] = {}
    for label in labels:
        try:
            text = decode_label_bytes(label.read_bytes(), label)
        except (OSError, LabelParseError):
            continue
        fixed, counts = fix_label_text(text)
        if fixed is None:
            continue
        new_texts[label] = fixed
        report.boxes_clipped += counts[0]
        report.duplicates_removed += counts[1]
        report.boxes_dropped += counts[2]
    if not new_texts:
        return report
    report.backup_dir = _backup(dataset, list(new_texts))
    tx = FileTransaction(dataset.state_dir, "safe fixes")
    for label, text in new_texts.items():
        tx.write(label, text)
    tx.commit(ctx.progress)
    report.files_changed = list(new_texts)
    return report


def fix_label_text(text: str) -> tuple[str | None, tuple[int, int, int]]:
    """Clipped and de-duplicated text, or None when nothing changes (or it cannot parse)."""
    clipped = removed = dropped = 0
    seen: set[tuple[float, ...]] = set()
    out: list[str] = []
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        try:
            values = tuple(float(f) for f in fields)
        except ValueError:
            return None, (0, 0, 0)
        if values in seen:
            removed += 1
            continue
        seen.add(values)
        new_line, state = _clip_line(values)
        if state == "dropped":
            dropped += 1
            continue
        if state == "clipped":
            clipped += 1
            out.append(new_line)
        else:
            out.append(line.strip())
    if not (clipped or removed or dropped):
        return None, (0, 0, 0)
    return "".join(f"{line}\n" for line in out), (clipped, removed, dropped)


def _clip_line(values: tuple[float, ...]) -> tuple[str, str]:
    cls, coords = int(values[0]), list(values[1:])
    x1, y1, x2, y2 = yolo_bounds(coords)
    inside = (min(x1, y1, *coords) >= -EDGE_TOLERANCE
              and max(x2, y2, *coords) <= 1 + EDGE_TOLERANCE)
    if inside:
        return "", "kept"
    if len(coords) == 4:
        cx1, cy1 = min(max(x1, 0.0), 1.0), min(max(y1, 0.0), 1.0)
        cx2, cy2 = min(max(x2, 0.0), 1.0), min(max(y2, 0.0), 1.0)
        if cx2 - cx1 <= 0 or cy2 - cy1 <= 0:
            return "", "dropped"
        nums = ((cx1 + cx2) / 2, (cy1 + cy2) / 2, cx2 - cx1, cy2 - cy1)
    else:
        nums = tuple(min(max(v, 0.0), 1.0) for v in coords)
        px, py = nums[0::2], nums[1::2]
        if max(px) - min(px) <= 0 or max(py) - min(py) <= 0:
            return "", "dropped"
    return f"{cls} " + " ".join(f"{v:.6f}" for v in nums), "clipped"


def _backup(dataset: Dataset, files: list[Path]) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = dataset.state_dir / "backups" / stamp
    n = 1
    while backup.exists():
        n += 1
        backup = dataset.state_dir / "backups" / f"{stamp}-{n}"
    base = dataset.state_dir.parent
    for f in files:
        try:
            rel = f.resolve().relative_to(base.resolve())
        except ValueError:
            rel = Path("_outside", *f.resolve().parts[1:])
        dst = backup / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dst)
    return backup

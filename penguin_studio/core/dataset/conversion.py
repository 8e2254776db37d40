"""What importers and exporters share: their reports and how they land in a project.

An import never overwrites a label file that already exists (unless asked) and writes all its
label files, list file and data yaml in one crash-safe transaction, so an interrupted import
leaves the folder as it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from penguin_studio.core.dataset.datayaml import render_data_yaml, updated_data_yaml
from penguin_studio.core.dataset.journal import FileTransaction
from penguin_studio.core.dataset.labels import Box, format_labels
from penguin_studio.core.dataset.project import (
    SPLITS,
    STATE_DIR,
    label_path_for,
    load_data_yaml,
    read_list_file,
)
from penguin_studio.core.errors import UserError


@dataclass
class Skipped:
    """One thing not converted: why, and where."""

    reason: str  # short and stable: "unknown category", "crowd", "missing image file"…
    detail: str = ""
    source: str = ""  # image file name, annotation id or XML file


@dataclass
class ConversionReport:
    """What an import or export did: counts, everything skipped and why, where it wrote."""

    images: int = 0
    boxes: int = 0
    clipped: int = 0  # boxes partly outside the image, clipped to it
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    added_classes: list[str] = field(default_factory=list)
    output: Path | None = None  # data yaml written (imports) or file/folder written (exports)

    def skip(self, reason: str, detail: str = "", source: str = "") -> None:
        self.skipped.append(Skipped(reason, detail, source))

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(Counter(s.reason for s in self.skipped).most_common())

    def summary(self) -> str:
        text = f"{self.images} images, {self.boxes} boxes"
        if self.clipped:
            text += f" ({self.clipped} clipped to the image)"
        if self.skipped:
            reasons = ", ".join(f"{n} {r}" for r, n in self.skipped_by_reason().items())
            text += f"; skipped: {reasons}"
        if self.added_classes:
            text += f"; new classes: {', '.join(self.added_classes)}"
        return text + "."

    def to_dict(self) -> dict:
        return {"images": self.images, "boxes": self.boxes, "clipped": self.clipped,
                "skipped": self.skipped_by_reason(), "names": self.names,
                "added_classes": self.added_classes, "notes": self.notes,
                "output": str(self.output) if self.output else None,
                "skipped_items": [s.__dict__ for s in self.skipped[:1000]]}


def pixel_box_to_yolo(cls: int, x1: float, y1: float, x2: float, y2: float, width: float,
                      height: float, report: ConversionReport, source: str) -> Box | None:
    """Normalized, clipped box; None (and a skip) for degenerate or outside boxes."""
    if x2 <= x1 or y2 <= y1:
        report.skip("empty box", f"zero or negative size ({x1}, {y1}, {x2}, {y2})", source)
        return None
    cx1, cy1 = max(0.0, x1), max(0.0, y1)
    cx2, cy2 = min(float(width), x2), min(float(height), y2)
    if cx2 <= cx1 or cy2 <= cy1:
        report.skip("box outside image", f"({x1}, {y1}, {x2}, {y2}) in {width}×{height}",
                    source)
        return None
    if (cx1, cy1, cx2, cy2) != (x1, y1, x2, y2):
        report.clipped += 1
    return Box.from_xyxy(cls, cx1 / width, cy1 / height, cx2 / width, cy2 / height)


def resolve_names(found: list[str], dataset_yaml: Path,
                  names: list[str] | None) -> tuple[list[str], list[str]]:
    """Class list to use: the project's (new names appended), else ``names``, else found."""
    if dataset_yaml.exists():
        base = load_data_yaml(dataset_yaml).names
    elif names is not None:
        base = list(names)
    else:
        return list(found), []
    added = [n for n in dict.fromkeys(found) if n not in base]
    return base + added, added


def write_import(dataset_yaml: Path, split: str, labels: dict[Path, list[Box]],
                 names: list[str], overwrite: bool, report: ConversionReport,
                 comment: str) -> None:
    """Write label files, the split's list file and the data yaml in one transaction."""
    if split not in SPLITS:
        raise UserError(f"'{split}' is not a split: use train, val or test.")
    dataset_yaml = dataset_yaml.expanduser().resolve()
    folder = dataset_yaml.parent
    tx = FileTransaction(folder / STATE_DIR, f"import into {split}")
    images: list[Path] = []
    for image, boxes in labels.items():
        label = label_path_for(image)
        if label.exists() and not overwrite:
            report.skip("label file exists (kept)", str(label), image.name)
            continue
        tx.write(label, format_labels(boxes))
        images.append(image)
        report.images += 1
        report.boxes += len(boxes)
    list_path = folder / f"{split}.txt"
    if dataset_yaml.exists():  # keep what the split already holds, whatever its form
        listed = load_data_yaml(dataset_yaml).splits.get(split, [])
    else:
        listed = read_list_file(list_path) if list_path.exists() else []
    all_images = list(dict.fromkeys([*listed, *labels]))
    tx.write(list_path, "".join(f"{_entry(p, folder)}\n" for p in sorted(all_images)))
    if dataset_yaml.exists():
        tx.write(dataset_yaml, updated_data_yaml(dataset_yaml, names=names,
                                                 splits={split: f"{split}.txt"}))
    else:
        tx.write(dataset_yaml, render_data_yaml(names, {split: f"{split}.txt"}, None,
                                                comment=comment))
    tx.commit()
    report.names = names
    report.output = dataset_yaml


def _entry(image: Path, folder: Path) -> str:
    try:
        return "./" + image.resolve().relative_to(folder).as_posix()
    except ValueError:
        return str(image.resolve())


@dataclass
class ExportItem:
    """One image an exporter writes: its index entry and its displayed size."""

    entry: object  # index.ImageEntry
    width: int
    height: int


def exportable_images(dataset, splits: list[str] | None, include_unlabelled: bool,
                      report: ConversionReport, ctx, what: str):
    """The images an exporter writes, skipping (and reporting) those it cannot.

    Unreadable label files, unlabelled images (unless asked for) and images whose size
    cannot be read are recorded in ``report``; progress is reported every 500 images.
    """
    from penguin_studio.core.dataset.images import ImageReadError, image_size
    from penguin_studio.core.dataset.index import build_index
    from penguin_studio.core.dataset.status import LabelStatus

    entries = [e for e in build_index(dataset).entries if splits is None or e.split in splits]
    for done, entry in enumerate(entries, start=1):
        if done % 500 == 0 or done == len(entries):
            ctx.step(done, len(entries), what)
        if entry.status is LabelStatus.ERROR:
            report.skip("unreadable label file", entry.error, entry.image.name)
            continue
        if entry.status is LabelStatus.UNLABELLED and not include_unlabelled:
            report.skip("unlabelled image", "", entry.image.name)
            continue
        try:
            w, h = image_size(entry.image)
        except ImageReadError as exc:
            report.skip("unreadable image", exc.reason, entry.image.name)
            continue
        yield ExportItem(entry, w, h)

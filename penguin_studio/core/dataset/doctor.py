"""Dataset doctor: find what would silently spoil training, each finding pointing at its file.

Checks mirror what ultralytics does with a dataset (``ultralytics/data/utils.py``
``verify_image_label``): an image it cannot verify, or a label row it rejects, makes it drop
the whole image from training without more than a log line. Severity says what happens:

* ``error``: ultralytics skips the image (or the data is plainly wrong: class id ≥ nc);
* ``warning``: it trains, but probably not as the user meant (duplicated boxes, boxes
  poking out of the image, the same picture in train and val…);
* ``info``: worth knowing, not a problem (unlabelled vs background images, EXIF rotation).

Images are not decoded (unless asked): the header is parsed (Pillow, lazily),
``verify()``'d as ultralytics does, and JPEG/PNG files are checked for their end marker
(12 bytes read): ultralytics 8.4 skips a JPEG without it (Pillow reports it truncated).
Content hashes are computed only for files whose size matches a file in another split.

Fixes are separate and explicit: :func:`apply_safe_fixes` picks the files the findings say
are safe to fix, and :mod:`~penguin_studio.core.dataset.fixes` clips boxes to the image and
drops exact duplicates, after copying every file it will change into a timestamped backup
folder, in one crash-safe transaction. Nothing else is ever changed. ``FixReport`` and
``fix_label_text`` are re-exported here under their old names.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np
from PIL import Image

from penguin_studio.core.boxes import EDGE_TOLERANCE, box_iou, yolo_bounds
from penguin_studio.core.dataset.fixes import FixReport, fix_label_files
from penguin_studio.core.dataset.fixes import fix_label_text as fix_label_text  # re-export
from penguin_studio.core.dataset.images import (
    ImageReadError,
    file_is_complete,
    load_image_bgr,
    read_header,
)
from penguin_studio.core.dataset.labels import LabelParseError, decode_label_bytes, parse_fields
from penguin_studio.core.dataset.parallel import thread_map
from penguin_studio.core.dataset.project import SPLITS, Dataset, label_path_for
from penguin_studio.core.errors import unreadable_reason
from penguin_studio.core.jobs import JobContext

#: ultralytics accepts these Pillow formats (IMG_FORMATS plus "jpeg2000").
TRAINABLE_FORMATS = frozenset({"avif", "bmp", "dng", "heic", "heif", "jp2", "jpeg", "jpg",
                               "mpo", "png", "tif", "tiff", "webp", "jpeg2000"})
DUPLICATE_IOU = 0.95
UL_TOLERANCE = 0.01  # ultralytics drops an image whose label values exceed 1.01 / go below -0.01


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: check id → (severity, what it means). The GUI lists these; the CLI's --json uses the ids.
CHECKS: dict[str, tuple[Severity, str]] = {
    "image-missing": (Severity.ERROR, "listed image does not exist"),
    "image-empty": (Severity.ERROR, "zero-byte image file"),
    "image-unreadable": (Severity.ERROR, "not an image / header cannot be read"),
    "image-corrupt": (Severity.ERROR, "image data is corrupt"),
    "image-truncated": (Severity.ERROR, "file ends early (truncated download or copy)"),
    "image-unsupported": (Severity.WARNING, "format ultralytics does not train on"),
    "image-too-small": (Severity.ERROR, "smaller than 10 pixels"),
    "exif-rotated": (Severity.INFO, "EXIF orientation rotates or flips the image"),
    "label-unreadable": (Severity.ERROR, "label file is not readable text"),
    "label-fields": (Severity.ERROR, "label line with a wrong number of fields"),
    "label-not-number": (Severity.ERROR, "label line with a value that is not a number"),
    "label-class-id": (Severity.ERROR, "class id is not a whole number ≥ 0"),
    "label-mixed": (Severity.ERROR, "boxes and polygons mixed in one file"),
    "class-out-of-range": (Severity.ERROR, "class id ≥ number of classes"),
    "coords-outside": (Severity.WARNING, "box coordinates outside [0, 1]"),
    "box-zero-area": (Severity.WARNING, "box with zero width or height"),
    "box-duplicate": (Severity.WARNING, "two boxes of one class overlapping with IoU > 0.95"),
    "unlabelled": (Severity.INFO, "no label file: not annotated yet"),
    "background": (Severity.INFO, "empty label file: an image with nothing to detect"),
    "duplicate-across-splits": (Severity.WARNING, "the same image in two splits"),
    "class-no-instances": (Severity.WARNING, "a class with no boxes at all"),
    "split-missing": (Severity.WARNING, "a split named in the yaml that cannot be loaded"),
}


@dataclass(frozen=True)
class Finding:
    """One thing the doctor found; ``image``/``label`` say where to click."""

    check: str
    severity: Severity
    message: str
    image: Path | None = None
    label: Path | None = None
    line: int = 0
    fixable: bool = False
    split: str = ""

    def to_dict(self) -> dict:
        return {"check": self.check, "severity": self.severity.value, "message": self.message,
                "image": str(self.image) if self.image else None,
                "label": str(self.label) if self.label else None,
                "line": self.line or None, "fixable": self.fixable, "split": self.split or None}


def _finding(check: str, message: str, severity: Severity | None = None, **kw) -> Finding:
    return Finding(check, severity or CHECKS[check][0], message, **kw)


def has_problems(findings: list[Finding]) -> bool:
    """True when anything is an error or a warning (info alone is clean)."""
    return any(f.severity is not Severity.INFO for f in findings)


def count_by_check(findings: list[Finding]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for f in findings:
        out[f.check] += 1
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------


@dataclass
class DatasetDoctor:
    """Runs every check over a dataset; ``hash_images=False`` skips the cross-split test,
    ``decode_images=True`` decodes every image (slow, thorough)."""

    dataset: Dataset
    hash_images: bool = True
    decode_images: bool = False
    workers: int = 4
    findings: list[Finding] = field(default_factory=list)

    def run(self, ctx: JobContext | None = None) -> list[Finding]:
        ctx = ctx or JobContext()
        ds = self.dataset
        self.findings = self._dataset_level()
        jobs = list(ds.split_of().items())
        total = len(jobs)
        ctx.step(0, total, "checking images and labels")
        sizes: dict[Path, int] = {}
        classes_seen: set[int] = set()
        def check(job: tuple[Path, str]) -> tuple[list[Finding], int, set[int]]:
            return check_image_and_label(job[0], job[1], ds.nc, self.decode_images)

        with thread_map(check, jobs, self.workers) as results:
            for done, (found, n_bytes, classes) in enumerate(results, start=1):
                self.findings.extend(found)
                classes_seen |= classes
                if n_bytes:
                    sizes[jobs[done - 1][0]] = n_bytes
                if done % 100 == 0 or done == total:
                    ctx.step(done, total, "checking images and labels")
        self.findings += [_finding("class-no-instances",
                                   f"class {i} '{name}' has no boxes in any image")
                          for i, name in enumerate(ds.names) if i not in classes_seen]
        if self.hash_images:
            self.findings.extend(_duplicates_across_splits(ds, sizes, ctx))
        return self.findings

    def _dataset_level(self) -> list[Finding]:
        ds = self.dataset
        out = [_finding("split-missing", f"{key}: {why}", split=key if key in SPLITS else "")
               for key, why in ds.problems.items()]
        out += [_finding("image-unsupported",
                         f"{p.suffix or p.name} files are not used by ultralytics; "
                         "convert it to JPEG or PNG to train on it", image=p)
                for p in ds.skipped]
        image_split = ds.split_of()
        for split, paths in ds.splits.items():
            for p in paths:
                first = image_split[p]
                if first != split:
                    out.append(_finding("duplicate-across-splits",
                                        f"listed in both {first} and {split}",
                                        image=p, split=split))
        return out


def run_doctor(dataset: Dataset, ctx: JobContext | None = None, hash_images: bool = True,
               decode_images: bool = False) -> list[Finding]:
    """All findings for ``dataset``, dataset-level ones first."""
    return DatasetDoctor(dataset, hash_images=hash_images, decode_images=decode_images).run(ctx)


# --------------------------------------------------------------------------------------
# Per image
# --------------------------------------------------------------------------------------


def check_image_and_label(image: Path, split: str, nc: int,
                          decode: bool = False) -> tuple[list[Finding], int, set[int]]:
    """Findings for one image and its label, the image's byte size and the classes used."""
    found, size_px, n_bytes = check_image(image, split, decode)
    label_found, classes = check_label(image, split, nc, size_px)
    return found + label_found, n_bytes, classes


def check_image(image: Path, split: str = "",
                decode: bool = False) -> tuple[list[Finding], tuple[int, int] | None, int]:
    """(findings, oriented (w, h) or None, file size) for one image file.

    ``decode`` also decodes every pixel (slow): finds damage inside files whose header and
    end marker look fine.
    """
    where = {"image": image, "split": split}
    try:
        n_bytes = image.stat().st_size
    except FileNotFoundError:
        return [_finding("image-missing", "image file not found", **where)], None, 0
    except OSError as exc:
        return [_finding("image-unreadable", f"cannot be read ({exc.strerror})", **where)], \
            None, 0
    if n_bytes == 0:
        return [_finding("image-empty", "empty file (0 bytes)", **where)], None, 0
    try:
        header = read_header(image)
    except ImageReadError as exc:
        return [_finding("image-unreadable", exc.reason, **where)], None, n_bytes
    out: list[Finding] = []
    fmt = header.format.lower()
    if fmt not in TRAINABLE_FORMATS:
        out.append(_finding("image-unsupported",
                            f"a {header.format or 'unknown'} file named {image.suffix}: "
                            "ultralytics will skip it", Severity.ERROR, **where))
        return out, None, n_bytes
    verify_error = _pil_verify(image)
    complete = file_is_complete(image, header.format)
    if verify_error or complete is False:
        out.append(_damaged(header.format, verify_error, complete, where))
    elif decode:
        try:
            load_image_bgr(image)
        except ImageReadError as exc:
            out.append(_finding("image-corrupt", f"{exc.reason}: ultralytics skips it",
                                **where))
    if min(header.width, header.height) < 10:
        out.append(_finding("image-too-small",
                            f"{header.width}×{header.height} px: ultralytics skips images "
                            "under 10 px", **where))
    if header.rotated:
        out.append(_finding("exif-rotated", _rotation_text(header.orientation), **where))
    return out, (header.width, header.height), n_bytes


def _pil_verify(image: Path) -> str:
    """What ultralytics' ``check_image`` runs first: Pillow's structural verify."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(image) as im:
                im.verify()
    except Exception as exc:
        return str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
    return ""


def _damaged(fmt: str, verify_error: str, complete: bool | None, where: dict) -> Finding:
    """A JPEG without its end marker or a PNG without IEND: ultralytics (Pillow) then fails
    to load it and skips the image, as it does for anything ``verify()`` rejects."""
    if complete is False:
        return _finding("image-truncated", f"{fmt} file ends early (truncated download or "
                        "copy): ultralytics skips it", **where)
    return _finding("image-corrupt", f"corrupt {fmt} ({verify_error}): ultralytics skips it",
                    **where)


def _rotation_text(orientation: int) -> str:
    what = {2: "mirrored", 3: "rotated 180°", 4: "flipped vertically",
            5: "transposed", 6: "rotated 90° clockwise", 7: "transversed",
            8: "rotated 90° counter-clockwise"}.get(orientation, "reoriented")
    return (f"EXIF orientation {orientation}: shown and trained {what}; tools that ignore "
            "EXIF see it differently, so check boxes made elsewhere")


def check_label(image: Path, split: str, nc: int,
                size_px: tuple[int, int] | None = None) -> tuple[list[Finding], set[int]]:
    """Findings for the label file of ``image`` (every bad line, not only the first) and
    the class ids it uses."""
    label = label_path_for(image)
    where = {"image": image, "label": label, "split": split}
    try:
        raw = label.read_bytes()
    except FileNotFoundError:
        return [_finding("unlabelled", "no label file: not annotated yet", **where)], set()
    except OSError as exc:
        return [_finding("label-unreadable", f"cannot be read ({unreadable_reason(exc)})",
                         **where)], set()
    try:
        text = decode_label_bytes(raw, label)
    except LabelParseError as exc:
        return [_finding("label-unreadable", exc.reason, **where)], set()
    rows, out = _parse_rows(text, nc, where)
    if not rows and not out:
        return [_finding("background", "empty label file: nothing to detect here",
                         **where)], set()
    kinds = {len(values) == 4 for _, _, values in rows}
    if len(kinds) == 2:
        out.append(_finding("label-mixed", "boxes (5 values) and polygons mixed in one file: "
                            "ultralytics skips the image", **where))
    out += _geometry_findings(rows, size_px, where)
    return out, {cls for _, cls, _ in rows}


Row = tuple[int, int, list[float]]  # (line number, class id, coordinate values)


#: LabelParseError.kind → the doctor's check id
_PARSE_CHECKS = {"fields": "label-fields", "number": "label-not-number",
                 "class-id": "label-class-id"}


def _parse_rows(text: str, nc: int, where: dict) -> tuple[list[Row], list[Finding]]:
    """Every line through :func:`labels.parse_fields`, each bad one a finding (not only the
    first, as reading the file for training would stop at)."""
    rows: list[Row] = []
    out: list[Finding] = []
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.split():
            continue
        try:
            cls, values = parse_fields(line, where["label"], no)
        except LabelParseError as exc:
            out.append(_finding(_PARSE_CHECKS[exc.kind], f"line {no}: {exc.reason}", line=no,
                                **where))
            continue
        if cls >= nc:
            out.append(_finding("class-out-of-range", f"line {no}: class id {cls} but "
                                f"the dataset has {nc} classes (0-{nc - 1})" if nc else
                                f"line {no}: class id {cls} but the dataset has no "
                                "classes", line=no, **where))
        rows.append((no, cls, values))
    return rows, out


def _geometry_findings(rows: list[Row], size_px: tuple[int, int] | None,
                       where: dict) -> list[Finding]:
    out: list[Finding] = []
    for no, _cls, values in rows:
        x1, y1, x2, y2 = yolo_bounds(values)
        lo, hi = min(x1, y1, *values), max(x2, y2, *values)
        if lo < -EDGE_TOLERANCE or hi > 1 + EDGE_TOLERANCE:
            rejected = max(values) > 1 + UL_TOLERANCE or min(values) < -UL_TOLERANCE
            sev = Severity.ERROR if rejected else Severity.WARNING
            note = "ultralytics skips the image" if rejected else "clip to fix"
            out.append(_finding("coords-outside", f"line {no}: box reaches "
                                f"{lo:.4g}…{hi:.4g}, outside the image [0, 1] ({note})",
                                sev, line=no, fixable=True, **where))
        w, h = x2 - x1, y2 - y1
        if w <= 0 or h <= 0:
            out.append(_finding("box-zero-area", f"line {no}: box has zero width or height",
                                line=no, **where))
        elif size_px and (w * size_px[0] < 1 or h * size_px[1] < 1):
            out.append(_finding("box-zero-area", f"line {no}: box is less than one pixel "
                                "wide or high", line=no, **where))
    out += _duplicate_findings(rows, where)
    return out


def _duplicate_findings(rows: list[Row], where: dict) -> list[Finding]:
    """Same class, IoU > 0.95; fixable when the two lines hold exactly the same numbers."""
    by_class: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_class[row[1]].append(row)
    out: list[Finding] = []
    for group in by_class.values():
        if len(group) < 2:
            continue
        boxes = np.array([yolo_bounds(v) for _, _, v in group])
        iou = box_iou(boxes, boxes, eps=1e-12)  # normalised boxes: see box_iou
        reported: set[int] = set()
        for i, j in zip(*np.nonzero(np.triu(iou > DUPLICATE_IOU, k=1)), strict=True):
            if j in reported:
                continue
            reported.add(j)
            exact = group[i][2] == group[j][2]
            kind = "exact duplicate of" if exact else f"IoU {iou[i, j]:.2f} with"
            out.append(_finding("box-duplicate", f"line {group[j][0]}: {kind} line "
                                f"{group[i][0]} (same class)", line=group[j][0],
                                fixable=exact, **where))
    return out


# --------------------------------------------------------------------------------------
# Same picture in two splits
# --------------------------------------------------------------------------------------


def _duplicates_across_splits(ds: Dataset, sizes: dict[Path, int],
                              ctx: JobContext) -> list[Finding]:
    """Hash only files whose byte size also occurs in another split."""
    split_of = ds.split_of()
    by_size: dict[int, list[Path]] = defaultdict(list)
    for path, n in sizes.items():
        by_size[n].append(path)
    candidates = [p for group in by_size.values()
                  if len({split_of[p] for p in group}) > 1 for p in group]
    if not candidates:
        return []
    ctx.step(0, len(candidates), "comparing image contents")
    by_hash: dict[str, list[Path]] = defaultdict(list)
    for path, digest in zip(candidates, map(_file_hash, candidates), strict=True):
        if digest:
            by_hash[digest].append(path)
    out = []
    for group in by_hash.values():
        splits = {split_of[p] for p in group}
        if len(splits) < 2:
            continue
        first = group[0]
        for other in group[1:]:
            if split_of[other] != split_of[first]:
                out.append(_finding("duplicate-across-splits",
                                    f"same content as {first.name} ({split_of[first]}): "
                                    "the model is tested on what it trained on",
                                    image=other, split=split_of[other]))
    return out


def _file_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()


# --------------------------------------------------------------------------------------
# Safe fixes (the fixing itself: fixes.py)
# --------------------------------------------------------------------------------------


def apply_safe_fixes(dataset: Dataset, findings: list[Finding] | None = None,
                     ctx: JobContext | None = None) -> FixReport:
    """Clip boxes to [0, 1] and drop exact duplicates in the files the findings name.

    Every file is backed up first (``.penguin-studio/backups/<time>/`` next to the yaml);
    files with unparsable lines are never touched.
    """
    ctx = ctx or JobContext()
    if findings is None:
        findings = run_doctor(dataset, ctx, hash_images=False)
    return fix_label_files(dataset, safe_fix_labels(findings), ctx)


def safe_fix_labels(findings: list[Finding]) -> list[Path]:
    """The label files :func:`apply_safe_fixes` would change: those with a fixable finding
    and no error a fix cannot mend (an unparsable line). The app's confirmation counts these."""
    labels = sorted({f.label for f in findings if f.fixable and f.label is not None})
    unsafe = {f.label for f in findings if f.label is not None and f.severity is Severity.ERROR
              and f.check not in ("coords-outside", "class-out-of-range")}
    return [label for label in labels if label not in unsafe]


def problems_by_image(findings: list[Finding]) -> dict[str, str]:
    """Image → the first error or warning about it (the browser's "Has problems" filter)."""
    out: dict[str, str] = {}
    for f in findings:
        if f.image is not None and f.severity is not Severity.INFO:
            out.setdefault(str(f.image), f.message)
    return out

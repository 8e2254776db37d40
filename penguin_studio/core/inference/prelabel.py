"""Model-assisted labelling: propose boxes for unlabelled images, let a person decide.

Proposals never touch ground truth until someone accepts them. They live apart, one JSON file
per image under ``<dataset root>/.penguin-studio/proposals/<image path relative to root>.json``
(deleting that folder loses no work), each box marked ``unreviewed`` until it is
``accepted``, ``rejected`` or ``adjusted``. Accepting or adjusting appends the box to the
image's YOLO label file through :func:`~penguin_studio.core.dataset.labels.write_labels`
(atomic); a label file that cannot be parsed is reported and left untouched.

Editor hooks (one key each): :func:`load_proposals` to draw the pending boxes,
:func:`accept` / :func:`reject` with an index or ``"all"``, :func:`adjust` with the box as the
user moved it. An editor that keeps its own undoable label document adds the box there and
calls :func:`mark` to record the decision only.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from penguin_studio.core.dataset.labels import (
    Box,
    atomic_write_text,
    read_labels,
    write_labels,
)
from penguin_studio.core.dataset.project import STATE_DIR, Dataset, label_path_for
from penguin_studio.core.errors import UserError
from penguin_studio.core.jobs import JobContext

PROPOSALS_DIR = Path(STATE_DIR) / "proposals"
UNREVIEWED, ACCEPTED, REJECTED, ADJUSTED = "unreviewed", "accepted", "rejected", "adjusted"
STATUSES = (UNREVIEWED, ACCEPTED, REJECTED, ADJUSTED)
FORMAT_VERSION = 1


@dataclass
class Proposal:
    """One proposed box (normalized YOLO), its model confidence and its review status."""

    cls: int
    cx: float
    cy: float
    w: float
    h: float
    conf: float
    status: str = UNREVIEWED

    @property
    def box(self) -> Box:
        return Box(self.cls, self.cx, self.cy, self.w, self.h)

    @property
    def pending(self) -> bool:
        return self.status == UNREVIEWED


@dataclass
class ImageProposals:
    """All proposals for one image, as stored in its JSON file."""

    image: Path
    path: Path  # the JSON file
    weights: str = ""
    conf: float = 0.0
    created: str = ""
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def pending(self) -> list[int]:
        """Indices still waiting for a decision."""
        return [i for i, p in enumerate(self.proposals) if p.pending]

    def to_json(self) -> str:
        doc = {"version": FORMAT_VERSION, "image": self.image.name, "weights": self.weights,
               "conf": self.conf, "created": self.created,
               "proposals": [asdict(p) for p in self.proposals]}
        return json.dumps(doc, indent=1) + "\n"


@dataclass
class PrelabelReport:
    images: int = 0  # images that received a proposals file
    proposals: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    warning: str = ""

    def summary(self) -> str:
        text = f"Proposed {self.proposals} boxes on {self.images} unlabelled images"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} ({self.skipped[0][0].name}: " \
                    f"{self.skipped[0][1]})"
        return text + "." + (f" {self.warning}" if self.warning else "")


# ----- where proposals live ---------------------------------------------------------------
def proposals_path(image: Path, root: Path) -> Path:
    """The JSON file holding ``image``'s proposals inside dataset ``root``."""
    image, root = Path(image).resolve(), Path(root).resolve()
    try:
        relative = image.relative_to(root)
    except ValueError:  # an image listed from outside the dataset folder
        digest = hashlib.sha1(str(image).encode()).hexdigest()[:12]
        relative = Path("_outside") / f"{digest}_{image.name}"
    return root / PROPOSALS_DIR / f"{relative}.json"


def find_proposals_path(image: Path, root: Path | None = None) -> Path | None:
    """The proposals file of ``image``; without ``root``, look in every parent folder."""
    if root is not None:
        path = proposals_path(image, root)
        return path if path.is_file() else None
    image = Path(image).resolve()
    for parent in image.parents:
        candidate = parent / PROPOSALS_DIR / f"{image.relative_to(parent)}.json"
        if candidate.is_file():
            return candidate
    return None


def load_proposals(image: Path, root: Path | None = None) -> ImageProposals | None:
    """The proposals of ``image`` (None when it has none); a damaged file is a UserError."""
    path = find_proposals_path(image, root)
    if path is None:
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        items = [Proposal(**{k: p[k] for k in ("cls", "cx", "cy", "w", "h", "conf")},
                          status=p.get("status", UNREVIEWED)) for p in doc["proposals"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"The proposals file {path} is damaged ({exc}); delete it and "
                        "pre-label the image again.") from exc
    return ImageProposals(Path(image), path, str(doc.get("weights", "")),
                          float(doc.get("conf", 0.0)), str(doc.get("created", "")), items)


def _save(props: ImageProposals) -> None:
    atomic_write_text(props.path, props.to_json())


def unlabelled_images(dataset: Dataset) -> list[Path]:
    """Images of any split without a label file (an empty file means "nothing there")."""
    return [p for p in dataset.images() if not label_path_for(p).exists()]


def pending_images(dataset: Dataset, damaged: list[Path] | None = None) -> list[Path]:
    """Images with proposals still waiting for review (what the editor should visit).

    A damaged proposals file does not stop the listing: its image is skipped and, when
    ``damaged`` is given, appended there so the caller can report it.
    """
    out = []
    for image in dataset.images():
        if not proposals_path(image, dataset.root).is_file():
            continue
        try:
            props = load_proposals(image, dataset.root)
        except UserError:
            if damaged is not None:
                damaged.append(image)
            continue
        if props is not None and props.pending:
            out.append(image)
    return out


# ----- the job ----------------------------------------------------------------------------
def prelabel(dataset: Dataset, weights: str | Path, conf: float = 0.25,
             ctx: JobContext | None = None, iou: float = 0.7, imgsz: int | None = None,
             images: Iterable[Path] | None = None, overwrite: bool = False) -> PrelabelReport:
    """Propose boxes for the unlabelled images of ``dataset`` (or the ``images`` given).

    Images that already have a proposals file are left alone unless ``overwrite``.
    """
    from penguin_studio.core.inference.predict import Predictor, read_image

    ctx = ctx or JobContext()
    todo = [Path(p) for p in (images if images is not None else unlabelled_images(dataset))]
    if not overwrite:
        todo = [p for p in todo if not proposals_path(p, dataset.root).exists()]
    report = PrelabelReport()
    if not todo:
        return report
    predictor = Predictor(weights, imgsz)
    mapping, report.warning = class_mapping(predictor.info.names, dataset.names)
    for done, image_path in enumerate(todo):
        ctx.step(done, len(todo), f"Pre-labelling {image_path.name}")
        image = read_image(image_path)
        if image is None:
            report.skipped.append((image_path, "cannot be read as an image"))
            continue
        props = _propose(predictor, image, image_path, dataset.root, conf, iou, mapping)
        _save(props)
        report.images += 1
        report.proposals += len(props.proposals)
    ctx.step(len(todo), len(todo), "Done")
    return report


def _propose(predictor, image, image_path: Path, root: Path, conf: float, iou: float,
             mapping: dict[int, int]) -> ImageProposals:
    from penguin_studio.core.inference.filtering import filter_detections

    raw, _ms = predictor.raw(image)
    dets = filter_detections(raw, conf, iou, nms=not predictor.info.end2end)
    return proposals_from_detections(image_path, root, dets, image.shape[:2], mapping,
                                     str(predictor.info.weights), conf)


def proposals_from_detections(image_path: Path, root: Path, dets, shape: tuple[int, ...],
                              mapping: dict[int, int], weights: str = "",
                              conf: float = 0.0) -> ImageProposals:
    """Unreviewed proposals from pixel detections (``Detections``) of an image of ``shape``.

    Boxes of model classes missing from ``mapping`` (classes the dataset does not have) are
    left out; the others get the dataset's class id.
    """
    height, width = shape[:2]
    proposals = []
    for (x1, y1, x2, y2), score, cls in zip(dets.xyxy.tolist(), dets.conf.tolist(),
                                            dets.cls.tolist(), strict=True):
        if cls not in mapping:
            continue
        box = Box.from_xyxy(mapping[cls], max(0.0, x1 / width), max(0.0, y1 / height),
                            min(1.0, x2 / width), min(1.0, y2 / height))
        proposals.append(Proposal(box.cls, box.cx, box.cy, box.w, box.h, round(score, 4)))
    return ImageProposals(image_path, proposals_path(image_path, root), weights, conf,
                          datetime.now(timezone.utc).isoformat(timespec="seconds"), proposals)


def save_proposals(dataset: Dataset, image_path: Path, dets, shape: tuple[int, ...],
                   model_names: list[str], weights: str = "",
                   conf: float = 0.0) -> tuple[ImageProposals, str]:
    """Store detections of a new image as proposals to review; returns them and a class note."""
    mapping, note = class_mapping(model_names, list(dataset.names)) if model_names else \
        ({int(c): int(c) for c in set(dets.cls.tolist())}, "")
    props = proposals_from_detections(image_path, dataset.root, dets, shape, mapping,
                                      weights, conf)
    _save(props)
    return props, note


def class_mapping(model_names: list[str], dataset_names: list[str]) -> tuple[dict[int, int], str]:
    """Model class id → dataset class id, matched by name when the two lists differ."""
    identity = {i: i for i in range(len(model_names))}
    if not dataset_names or list(model_names) == list(dataset_names):
        return identity, ""
    by_name = {n.lower(): i for i, n in enumerate(dataset_names)}
    mapping = {i: by_name[n.lower()] for i, n in enumerate(model_names) if n.lower() in by_name}
    if not mapping:
        raise UserError("None of the model's classes (" + ", ".join(model_names[:6]) +
                        ") are classes of this dataset (" + ", ".join(dataset_names[:6]) +
                        "); pick a model trained on these classes.")
    dropped = [n for i, n in enumerate(model_names) if i not in mapping]
    note = f"Classes not in the dataset are not proposed: {', '.join(dropped[:6])}." \
        if dropped else "Model classes were matched to the dataset's by name."
    return mapping, note


# ----- review: accept, reject, adjust -----------------------------------------------------
Which = int | str | Iterable[int]


def _indices(props: ImageProposals, which: Which) -> list[int]:
    if which == "all":
        return props.pending
    if isinstance(which, str):
        raise UserError(f"Choose a proposal number or 'all', not '{which}'.")
    wanted = [which] if isinstance(which, int) else list(which)  # type: ignore[arg-type]
    for i in wanted:
        if not 0 <= i < len(props.proposals):
            raise UserError(f"{props.image.name} has no proposal number {i}.")
    return wanted


def _require(image: Path, root: Path | None) -> ImageProposals:
    props = load_proposals(image, root)
    if props is None:
        raise UserError(f"{Path(image).name} has no proposals to review.")
    return props


def accept(image: Path, which: Which = "all", root: Path | None = None) -> ImageProposals:
    """Add the chosen proposals to the image's ground truth and mark them accepted."""
    props = _require(image, root)
    chosen = _indices(props, which)
    _append_ground_truth(Path(image), [props.proposals[i].box for i in chosen])
    return mark(image, chosen, ACCEPTED, root=root)


def reject(image: Path, which: Which = "all", root: Path | None = None) -> ImageProposals:
    """Mark the chosen proposals rejected; ground truth is not touched."""
    return mark(image, which, REJECTED, root=root)


def adjust(image: Path, index: int, box: Box, root: Path | None = None) -> ImageProposals:
    """Accept proposal ``index`` as the user corrected it (new position, size or class)."""
    (i,) = _indices(_require(image, root), index)
    _append_ground_truth(Path(image), [box])
    return mark(image, i, ADJUSTED, box, root)


def boxes_to_add(existing: list[Box], boxes: list[Box]) -> list[Box]:
    """The ``boxes`` not already in ``existing`` (the same line in the label file), each
    once: accepting a proposal twice never duplicates a box. The editor's undoable accept
    (``ui/dataset/proposal_commands``) and :func:`accept` both use it."""
    seen = {b.to_line() for b in existing}
    out = []
    for box in boxes:
        line = box.to_line()
        if line not in seen:
            seen.add(line)
            out.append(box)
    return out


def _append_ground_truth(image: Path, boxes: list[Box]) -> None:
    """Append boxes to the label file, skipping ones already there (a repeated accept)."""
    label = label_path_for(image)
    existing = read_labels(label)  # LabelParseError: the file stays untouched
    new = boxes_to_add(existing, boxes)
    if new or not label.exists():
        write_labels(label, existing + new)


def mark(image: Path, which: Which, status: str, box: Box | None = None,
         root: Path | None = None) -> ImageProposals:
    """Record a decision without writing ground truth: the one place a status is set.

    For an editor that adds the accepted box to its own (undoable) label document and
    saves it itself: it calls this only so the proposal stops being "unreviewed";
    :func:`accept`, :func:`reject` and :func:`adjust` end here too.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    props = _require(image, root)
    for i in _indices(props, which):
        p = props.proposals[i]
        if box is not None:
            p.cls, p.cx, p.cy, p.w, p.h = box.cls, box.cx, box.cy, box.w, box.h
        p.status = status
    _save(props)
    return props


def discard(image: Path, root: Path | None = None) -> None:
    """Forget an image's proposals (ground truth unchanged)."""
    path = find_proposals_path(image, root)
    if path is not None:
        os.remove(path)

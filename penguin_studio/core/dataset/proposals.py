"""Proposals: boxes a model suggested for an image, waiting for a person's decision.

Dataset content, like labels: one JSON file per image under
``<dataset root>/.penguin-studio/proposals/<image path relative to root>.json`` (deleting that
folder loses no work), each box marked ``unreviewed`` until it is ``accepted``, ``rejected``
or ``adjusted``. Accepting or adjusting appends the box to the image's YOLO label file
through :func:`~penguin_studio.core.dataset.labels.write_labels` (atomic); a label file that
cannot be parsed is reported and left untouched.

Editor hooks (one key each): :func:`load_proposals` to draw the pending boxes,
:func:`accept` / :func:`reject` with an index or ``"all"``, :func:`adjust` with the box as the
user moved it. An editor that keeps its own undoable label document adds the box there and
calls :func:`mark` to record the decision only. Making proposals (running a model) is
``core.inference.prelabel``'s job; this module is the format, the decisions, and the one
rule on which model may propose (:func:`proposal_class_mapping`, used by every proposal
path: the Pre-label action, ``penguin-studio prelabel``, the label-next queue, auto-train).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from penguin_studio.core.dataset.labels import (
    Box,
    atomic_write_text,
    read_labels,
    write_labels,
)
from penguin_studio.core.dataset.project import STATE_DIR, Dataset, label_path_for
from penguin_studio.core.errors import UserError

PROPOSALS_DIR = Path(STATE_DIR) / "proposals"
UNREVIEWED, ACCEPTED, REJECTED, ADJUSTED = "unreviewed", "accepted", "rejected", "adjusted"
STATUSES = (UNREVIEWED, ACCEPTED, REJECTED, ADJUSTED)
FORMAT_VERSION = 1


# ----- which model may propose ----------------------------------------------------------
def _class_key(name: str) -> str:
    return str(name).strip().casefold()


def _name_list(names: Sequence[str], most: int = 12) -> str:
    shown = ", ".join(str(n) for n in names[:most])
    return shown + (f", … ({len(names)} in all)" if len(names) > most else "") if names \
        else "none"


def proposal_class_mapping(model_names: Sequence[str],
                           dataset_names: Sequence[str]) -> dict[int, int]:
    """Model class id → dataset class id, or a refusal naming both class lists.

    A proposal is a box the user is asked to accept into the labels, so the model must know
    exactly the dataset's classes. The lists *differ* when their sets of names differ
    (compared trimmed and case-insensitively): a model with a class the dataset lacks (a COCO
    model on a two-class project) or without one of the dataset's classes is refused with a
    :class:`UserError` naming both lists and what is missing on each side. The same names in
    another order are not a difference: boxes are mapped by name. A dataset that names no
    classes yet takes the model's ids as they are.
    """
    model, data = list(model_names), list(dataset_names)
    if not data or [_class_key(n) for n in model] == [_class_key(n) for n in data]:
        return {i: i for i in range(len(model))}
    by_name = {_class_key(n): i for i, n in enumerate(data)}
    model_keys = [_class_key(n) for n in model]
    if len(set(model_keys)) == len(model) == len(data) == len(by_name) \
            and set(model_keys) == set(by_name):
        return {i: by_name[key] for i, key in enumerate(model_keys)}
    missing = [n for n in data if _class_key(n) not in set(model_keys)]
    extra = [n for n in model if _class_key(n) not in by_name]
    why = "; ".join(part for part in (
        f"the model lacks {_name_list(missing, 6)}" if missing else "",
        f"the dataset has no {_name_list(extra, 6)}" if extra else "") if part) \
        or "a class name appears twice"
    raise UserError(f"This model's classes ({_name_list(model)}) differ from the dataset's "
                    f"({_name_list(data)}): {why}. Proposals need a model trained on this "
                    "dataset's classes: train one (auto-train does) or pick another.")


def mapping_note(mapping: dict[int, int]) -> str:
    """What a proposal path tells the user when :func:`proposal_class_mapping` matched the
    classes by name, not by id (the same names in another order); "" when ids match."""
    return "" if mapping == {i: i for i in range(len(mapping))} else \
        "Model classes were matched to the dataset's by name."


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


def save(props: ImageProposals) -> None:
    """Write ``props`` to its JSON file (atomic)."""
    atomic_write_text(props.path, props.to_json())


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
    save(props)
    return props


def discard(image: Path, root: Path | None = None) -> None:
    """Forget an image's proposals (ground truth unchanged)."""
    path = find_proposals_path(image, root)
    if path is not None:
        os.remove(path)

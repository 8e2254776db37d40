"""Model-assisted labelling: propose boxes for unlabelled images, let a person decide.

The proposals' file format, their location and the review decisions (accept, reject, adjust,
mark) are dataset content and live in :mod:`penguin_studio.core.dataset.proposals`; they are
re-exported here under their old names, so existing imports keep working. This module runs
the model: :func:`prelabel` (the job) and :func:`proposals_from_detections` (also a live
snapshot's detections, ``core.inference.snapshot``), with the class mapping of the one rule
every proposal path uses, :func:`~penguin_studio.core.dataset.proposals.proposal_class_mapping`
(a model whose classes differ from the dataset's is refused).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from penguin_studio.core.dataset.labels import Box
from penguin_studio.core.dataset.project import Dataset, label_path_for
from penguin_studio.core.dataset.proposals import (
    ACCEPTED,
    ADJUSTED,
    FORMAT_VERSION,
    PROPOSALS_DIR,
    REJECTED,
    STATUSES,
    UNREVIEWED,
    ImageProposals,
    Proposal,
    Which,
    accept,
    adjust,
    boxes_to_add,
    discard,
    find_proposals_path,
    load_proposals,
    mapping_note,
    mark,
    pending_images,
    proposal_class_mapping,
    proposals_path,
    reject,
)
from penguin_studio.core.dataset.proposals import save as _save
from penguin_studio.core.errors import UserError
from penguin_studio.core.jobs import JobContext

__all__ = ["ACCEPTED", "ADJUSTED", "FORMAT_VERSION", "PROPOSALS_DIR", "REJECTED", "STATUSES",
           "UNREVIEWED", "ImageProposals", "PrelabelReport", "Proposal", "UserError", "Which",
           "accept", "adjust", "boxes_to_add", "discard", "find_proposals_path",
           "load_proposals", "mark", "pending_images", "prelabel", "proposal_class_mapping",
           "proposals_from_detections", "proposals_path", "reject", "unlabelled_images"]


@dataclass
class PrelabelReport:
    images: int = 0  # images that received a proposals file
    proposals: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    warning: str = ""
    unlabelled: bool = True  # every image it proposed for had no labels (the usual case)

    def summary(self) -> str:
        which = "unlabelled images" if self.unlabelled else "images"
        text = f"Proposed {self.proposals} boxes on {self.images} {which}"
        if self.skipped:
            text += f"; skipped {len(self.skipped)} ({self.skipped[0][0].name}: " \
                    f"{self.skipped[0][1]})"
        return text + "." + (f" {self.warning}" if self.warning else "")


def unlabelled_images(dataset: Dataset) -> list[Path]:
    """Images of any split without a label file (an empty file means "nothing there")."""
    return [p for p in dataset.images() if not label_path_for(p).exists()]


# ----- the job ----------------------------------------------------------------------------
def prelabel(dataset: Dataset, weights: str | Path, conf: float = 0.25,
             ctx: JobContext | None = None, iou: float = 0.7, imgsz: int | None = None,
             images: Iterable[Path] | None = None, overwrite: bool = False,
             backend: str = "torch") -> PrelabelReport:
    """Propose boxes for the unlabelled images of ``dataset`` (or the ``images`` given).

    Images that already have a proposals file are left alone unless ``overwrite``. A model
    whose classes differ from the dataset's is refused (:class:`UserError` naming both lists)
    before any image is touched.
    ``backend`` runs the model (see :mod:`~penguin_studio.core.inference.backends`).
    """
    from penguin_studio.core.inference.predict import Predictor, read_image

    ctx = ctx or JobContext()
    todo = [Path(p) for p in (images if images is not None else unlabelled_images(dataset))]
    if not overwrite:
        todo = [p for p in todo if not proposals_path(p, dataset.root).exists()]
    report = PrelabelReport(unlabelled=all(not label_path_for(p).exists() for p in todo))
    predictor = Predictor(weights, imgsz, backend, ctx)  # refused below even with nothing to do
    mapping = proposal_class_mapping(predictor.info.names, dataset.names)
    report.warning = mapping_note(mapping)
    if not todo:
        return report
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

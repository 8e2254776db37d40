"""Saving a live frame into the dataset's training images, with proposals never as truth.

Separate from the pipeline because it is file handling (finding the training folder, writing
without clobbering, fsync) rather than live video, and the GUI calls it on its own.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from penguin_studio.core.errors import UserError
from penguin_studio.core.filemodes import give_mode
from penguin_studio.core.inference.filtering import Detections


@dataclass(frozen=True)
class SnapshotReport:
    image: Path
    proposals: Path | None = None
    boxes: int = 0
    notes: list[str] = field(default_factory=list)
    split: str = "to-label"
    #: Why proposals were asked for but not written (the model's classes differ from the
    #: dataset's): the one rule's message, naming both class lists. The image is saved.
    refused: str = ""

    def message(self) -> str:
        where = ("the 'to label' set (not trained on until labelled and assigned)"
                 if self.split == "to-label" else f"the {self.split} split")
        text = f"Saved {self.image.name} to {where}, in {self.image.parent}"
        if self.proposals is not None:
            text += f", with {self.boxes} unreviewed proposal(s) to review"
        elif self.refused:
            text += ", unlabelled and without proposals"
        else:
            text += " (unlabelled)"
        return " ".join([text + ".", *([self.refused] if self.refused else []), *self.notes])


def snapshot_folder(dataset: Any, split: str = "train") -> Path:
    """The folder new pictures of ``split`` go into (``to-label``: the set no split reads).

    A split is the folder its yaml entry names; a split given as a ``.txt`` list has no
    folder a new picture would join, so that is refused with what to do instead.
    """
    from penguin_studio.core.dataset.to_label import TO_LABEL, to_label_folder

    if split == TO_LABEL:
        return to_label_folder(dataset)
    folder = next((Path(p) for p in dataset.sources.get(split, []) if Path(p).is_dir()), None)
    if folder is not None:
        return folder
    raise UserError(f"The {split} split of {dataset.title} is not a folder a picture can be "
                    f"added to: save it to 'to label', then assign it with Splits.")


def save_snapshot(dataset: Any, image: np.ndarray, detections: Detections | None = None,
                  names: list[str] | None = None, weights: str | Path = "",
                  conf: float = 0.0, prefix: str = "live",
                  split: str = "to-label") -> SnapshotReport:
    """Add ``image`` to the dataset as a new, unlabelled picture of ``split``.

    The default, ``to-label``, keeps it out of training until it is labelled and assigned
    (an unlabelled training image teaches "nothing here"); see ``core.dataset.to_label``.

    With ``detections``, they are saved as *unreviewed proposals*, never as ground truth, in
    the format the editor reviews (``core.dataset.proposals``). Which model may propose is
    the one rule of every proposal path,
    :func:`~penguin_studio.core.dataset.proposals.proposal_class_mapping`: a model whose
    ``names`` differ from the dataset's classes proposes nothing, but the frame is still
    saved (a snapshot is the user's picture, not the model's) and the report's ``refused``
    says why. The rule is checked before the image is written, so a refusal never leaves
    half a snapshot behind and arrives with the save confirmation.
    """
    if dataset is None:
        raise UserError("Open a dataset first: snapshots are added to its training images.")
    folder = snapshot_folder(dataset, split)
    mapping, refused = (None, "") if detections is None else \
        _proposal_mapping(names or [], list(dataset.names))
    path = _write_new_image(folder, image, prefix)
    if detections is None or mapping is None:
        return SnapshotReport(path, split=split, refused=refused)
    proposals, boxes, notes = _save_proposals(dataset, path, image.shape, detections, mapping,
                                              str(weights), conf)
    return SnapshotReport(path, proposals, boxes, notes, split=split)


def _write_new_image(folder: Path, image: np.ndarray, prefix: str) -> Path:
    """Encode, write a temp file, fsync, then link it to a name nobody uses (no clobbering)."""
    from penguin_studio.core.dataset.project import label_path_for

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create {folder}: {exc.strerror}.") from exc
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise UserError("This frame could not be encoded as JPEG.")
    tmp = _write_temp(folder, buf.tobytes())
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"
    try:
        for n in range(1000):
            path = folder / f"{prefix}_{stamp}{'' if n == 0 else f'_{n}'}.jpg"
            if label_path_for(path).exists():
                continue  # an old label would silently become this image's boxes
            if _link_exclusive(tmp, path):
                return path
        raise UserError(f"No free file name for a snapshot in {folder}.")
    finally:
        tmp.unlink(missing_ok=True)


def _write_temp(folder: Path, data: bytes) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=".snapshot.", suffix=".tmp", dir=folder)
        give_mode(fd, None)  # a new file: the umask default, not 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise UserError(f"Cannot write a snapshot in {folder}: {exc.strerror}. "
                        "Check the folder is writable and the disk is not full.") from exc
    return Path(name)


def _link_exclusive(tmp: Path, path: Path) -> bool:
    """Give ``tmp`` the name ``path`` only if that name is free; False when it is taken."""
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError:  # file systems without hard links: check, then rename
        if path.exists():
            return False
        os.replace(tmp, path)
        return True


def _proposal_mapping(names: list[str],
                      dataset_names: list[str]) -> tuple[dict[int, int] | None, str]:
    """The rule's class mapping, or None and its refusal (a message, not an exception:
    the snapshot is saved either way)."""
    from penguin_studio.core.dataset.proposals import proposal_class_mapping

    if not names:  # no model ran: say so, rather than "this model's classes (none) differ"
        return None, ("No model was loaded, so there are no detections to keep as proposals: "
                      "start Live with a model trained on this dataset's classes, then take "
                      "the snapshot with proposals again.")
    try:
        return proposal_class_mapping(names, dataset_names), ""
    except UserError as exc:
        return None, str(exc)


def _save_proposals(dataset: Any, image_path: Path, shape: tuple[int, ...], dets: Detections,
                    mapping: dict[int, int], weights: str = "",
                    conf: float = 0.0) -> tuple[Path, int, list[str]]:
    """Unreviewed proposals for a snapshot (their file, how many, a note), reviewed in the
    annotation editor like any pre-labelling; no label file (ground truth) is written."""
    from penguin_studio.core.dataset.proposals import mapping_note, save
    from penguin_studio.core.inference.prelabel import proposals_from_detections

    props = proposals_from_detections(image_path, dataset.root, dets, shape, mapping,
                                      weights, conf)
    save(props)
    note = mapping_note(mapping)
    return props.path, len(props.proposals), [note] if note else []

"""What a prediction run leaves on disk: annotated images or video, and YOLO label files.

Kept apart from :mod:`.predict` (which runs the model and caches candidates) because writing
files is a separate concern; :mod:`.predict` still offers these functions under its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core.errors import UserError
from penguin_studio.core.inference.drawing import draw_detections
from penguin_studio.core.inference.predict import (
    DEFAULT_CONF,
    DEFAULT_IOU,
    Predictions,
    read_image,
    video_frames,
)
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.outputs_guard import check_output_folder


def check_target(preds: Predictions, out_dir: str | Path, dataset: Any = None,
                 what: str = "annotated images") -> Path:
    """``out_dir`` unless it holds (or lies in) the images predicted, the model, or the open
    ``dataset``'s images and labels: :class:`~penguin_studio.core.outputs_guard.
    OutputTargetError` then, before anything is written."""
    sources = [preds.source, preds.model.weights]
    return check_output_folder(out_dir, dataset, sources, what=what)


def save_annotated(preds: Predictions, out_dir: str | Path, conf: float = DEFAULT_CONF,
                   iou: float = DEFAULT_IOU, classes: Iterable[int] | None = None,
                   ctx: JobContext | None = None, dataset: Any = None) -> list[Path]:
    """Write annotated copies (images) or one annotated video into ``out_dir``.

    Refuses a folder holding the source images or any image of ``dataset`` (see
    :mod:`penguin_studio.core.outputs_guard`): the originals are never replaced.
    """
    ctx = ctx or JobContext()
    out_dir = check_target(preds, out_dir, dataset)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create {out_dir}: {exc.strerror}.") from exc
    wanted = None if classes is None else list(classes)
    if preds.kind == "video":
        return [_save_video(preds, out_dir, conf, iou, wanted, ctx)]
    written = []
    for index, item in enumerate(preds.items):
        ctx.step(index, len(preds.items), f"Saving {item.path.name}")
        image = read_image(item.path)
        if image is None:
            continue
        target = _unique_name(out_dir, item.path.name, written)
        drawn = draw_detections(image, preds.filtered(index, conf, iou, wanted),
                                preds.model.names)
        _write_image(target, drawn)
        written.append(target)
    return written


def _unique_name(out_dir: Path, name: str, taken: list[Path]) -> Path:
    """Same-named images from different sub-folders must not overwrite each other."""
    target = out_dir / name
    stem, suffix, n = target.stem, target.suffix, 1
    while target in taken:
        target = out_dir / f"{stem}_{n}{suffix}"
        n += 1
    return target


def _write_image(path: Path, image: np.ndarray) -> None:
    import cv2

    ok, data = cv2.imencode(path.suffix or ".jpg", image)
    if not ok:
        ok, data = cv2.imencode(".png", image)
        path = path.with_suffix(".png")
    try:
        data.tofile(str(path))
    except OSError as exc:
        raise UserError(f"Cannot write {path}: {exc.strerror}.") from exc


def _save_video(preds: Predictions, out_dir: Path, conf: float, iou: float,
                classes: list[int] | None, ctx: JobContext) -> Path:
    import cv2

    target = out_dir / f"{preds.source.stem}_detections.mp4"
    width, height = preds.items[0].size
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"),
                             preds.fps or 25.0, (width, height))
    if not writer.isOpened():
        raise UserError(f"Cannot write the video {target}; check the folder is writable.")
    try:
        by_frame = {item.frame: i for i, item in enumerate(preds.items)}
        for frame_no, frame in video_frames(preds.source):
            ctx.step(frame_no, len(preds.items), f"Writing frame {frame_no + 1}")
            index = by_frame.get(frame_no)
            if index is not None:
                frame = draw_detections(frame, preds.filtered(index, conf, iou, classes),
                                        preds.model.names)
            writer.write(frame)
    finally:
        writer.release()
    return target


def export_yolo_labels(preds: Predictions, out_dir: str | Path, conf: float = DEFAULT_CONF,
                       iou: float = DEFAULT_IOU, classes: Iterable[int] | None = None,
                       dataset: Any = None) -> list[Path]:
    """Write the shown detections as YOLO ``.txt`` files (one per image or frame).

    An image without detections gets an empty file: "looked at, nothing there". A folder
    holding the source's or ``dataset``'s images or labels is refused (ground truth is
    never replaced by predictions).
    """
    from penguin_studio.core.dataset.labels import Box, write_labels

    out_dir = check_target(preds, out_dir, dataset, what="YOLO labels")
    wanted = None if classes is None else list(classes)
    written: list[Path] = []
    for index, item in enumerate(preds.items):
        width, height = item.size
        dets = preds.filtered(index, conf, iou, wanted)
        boxes = [Box.from_xyxy(int(k), x1 / width, y1 / height, x2 / width, y2 / height)
                 for (x1, y1, x2, y2), k in zip(dets.xyxy.tolist(), dets.cls.tolist(), strict=True)]
        stem = item.path.stem if item.frame is None else f"{item.path.stem}_{item.frame:06d}"
        target = _unique_name(out_dir, f"{stem}.txt", written)
        write_labels(target, boxes)
        written.append(target)
    return written

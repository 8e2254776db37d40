"""Export a checkpoint to ONNX and prove the exported file detects the same boxes.

Ultralytics writes ``<weights>.onnx`` beside the ``.pt``. A file that loads is not yet a
file that works, so :func:`export_model` then runs the ONNX file with onnxruntime and the
``.pt`` with torch on the *same* letterboxed tensor of one image, and compares the raw
outputs and the boxes left after NMS. ``onnx``, ``onnxslim`` and ``onnxruntime`` are declared
dependencies and ``YOLO_AUTOINSTALL=0``: nothing is pip-installed at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from penguin_studio.core.errors import UserError, unreadable_reason
from penguin_studio.core.jobs import JobContext

FORMATS = ("onnx",)
#: Largest difference accepted between .pt and .onnx, in input pixels and in score.
BOX_TOLERANCE_PX = 0.5
SCORE_TOLERANCE = 1e-3
CHECK_CONF, CHECK_IOU = 0.25, 0.7


@dataclass
class ExportCheck:
    """How closely the exported model reproduces the checkpoint on one image."""

    image: Path
    boxes_pt: int
    boxes_onnx: int
    max_box_diff_px: float
    max_score_diff: float

    @property
    def passed(self) -> bool:
        return (self.boxes_pt == self.boxes_onnx and self.max_box_diff_px <= BOX_TOLERANCE_PX
                and self.max_score_diff <= SCORE_TOLERANCE)

    def summary(self) -> str:
        verdict = "same boxes" if self.passed else "DIFFERENT boxes"
        return (f"onnxruntime check on {self.image.name}: {verdict} "
                f"({self.boxes_onnx} vs {self.boxes_pt} boxes at conf {CHECK_CONF}; "
                f"max difference {self.max_box_diff_px:.4f} px, score {self.max_score_diff:.2e})")


@dataclass
class ExportReport:
    weights: Path
    exported: Path
    imgsz: int
    check: ExportCheck


def export_model(weights: str | Path, fmt: str = "onnx", imgsz: int | None = None,
                 check_image: str | Path | None = None,
                 ctx: JobContext | None = None) -> ExportReport:
    """Export ``weights`` (the file lands beside it) and check it with onnxruntime."""
    from penguin_studio.core import engine

    ctx = ctx or JobContext()
    if fmt not in FORMATS:
        raise UserError(f"Export format '{fmt}' is not supported; choose one of: "
                        f"{', '.join(FORMATS)}.")
    ctx.step(0, 3, "Loading the checkpoint")
    model = engine.load_model(weights)
    size = int(imgsz or (model.overrides or {}).get("imgsz", 640))
    ctx.step(1, 3, "Exporting to ONNX")
    try:
        exported = Path(model.export(format=fmt, imgsz=size, simplify=True, dynamic=False,
                                     verbose=False, device="cpu"))
    except OSError as exc:  # the .onnx goes beside the weights: that folder is read-only
        target = exc.filename or Path(weights).with_suffix(f".{fmt}")
        raise UserError(f"Cannot write {target}: {unreadable_reason(exc)}. The export goes "
                        f"beside the model: copy the model into a folder you can write to "
                        f"and export the copy.") from exc
    except Exception as exc:  # the exporter raises many kinds; say what failed
        raise UserError(f"ONNX export of {Path(weights).name} failed: {exc}") from exc
    ctx.step(2, 3, "Checking the exported file with onnxruntime")
    image = Path(check_image) if check_image else default_check_image(model)
    check = check_onnx(model, exported, image, size)
    ctx.step(3, 3, "Done")
    return ExportReport(Path(str(model.ckpt_path or weights)), exported, size, check)


def default_check_image(model: Any) -> Path:
    """An image from the model's own dataset when it is here, else ultralytics' bus.jpg."""
    from penguin_studio.core.dataset.project import open_dataset

    data = (getattr(model, "ckpt", None) or {}).get("train_args", {}).get("data")
    if data and Path(str(data)).is_file():
        try:
            dataset = open_dataset(data)
            images = dataset.images("val") or dataset.images()
            if images:
                return images[0]
        except UserError:
            pass
    from ultralytics.utils import ASSETS

    return Path(ASSETS) / "bus.jpg"


def check_onnx(model: Any, onnx_path: Path, image_path: Path, imgsz: int) -> ExportCheck:
    """Run .pt (torch) and .onnx (onnxruntime) on one letterboxed image and compare."""
    from penguin_studio.core.inference.predict import read_image

    image = read_image(image_path)
    if image is None:
        raise UserError(f"Cannot read the check image {image_path}.")
    tensor = _letterbox_tensor(image, imgsz)
    out_pt = _torch_output(model, tensor)
    out_onnx = _onnx_output(onnx_path, tensor)
    if out_pt.shape != out_onnx.shape:
        raise UserError(f"The exported model's output {out_onnx.shape} does not match the "
                        f"checkpoint's {out_pt.shape}.")
    boxes_pt, boxes_onnx = _final_boxes(out_pt, model), _final_boxes(out_onnx, model)
    box_diff, score_diff = _raw_differences(out_pt, out_onnx, model)
    if len(boxes_pt) == len(boxes_onnx) and len(boxes_pt):
        box_diff = max(box_diff, float(np.abs(boxes_pt[:, :4] - boxes_onnx[:, :4]).max()))
    return ExportCheck(image_path, len(boxes_pt), len(boxes_onnx), box_diff, score_diff)


def _letterbox_tensor(image: np.ndarray, imgsz: int) -> np.ndarray:
    from ultralytics.data.augment import LetterBox

    padded = LetterBox(new_shape=(imgsz, imgsz), auto=False, stride=32)(image=image)
    rgb = padded[..., ::-1].transpose(2, 0, 1)
    return np.ascontiguousarray(rgb, dtype=np.float32)[None] / 255.0


def _torch_output(model: Any, tensor: np.ndarray) -> np.ndarray:
    import torch

    net = model.model.float().eval()
    with torch.inference_mode():
        out = net(torch.from_numpy(tensor))
    out = out[0] if isinstance(out, (list, tuple)) else out
    return out.detach().cpu().numpy()


def _onnx_output(onnx_path: Path, tensor: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise UserError(f"onnxruntime cannot load {onnx_path.name}: {exc}") from exc
    name = session.get_inputs()[0].name
    return session.run(None, {name: tensor})[0]


def _is_end2end(output: np.ndarray, model: Any) -> bool:
    return output.ndim == 3 and output.shape[-1] == 6 and len(model.names) + 4 != 6


def _final_boxes(output: np.ndarray, model: Any) -> np.ndarray:
    """Rows (x1, y1, x2, y2, conf, cls) kept at the check thresholds."""
    import torch
    from ultralytics.utils import nms

    if _is_end2end(output, model):
        rows = output[0]
        return rows[rows[:, 4] > CHECK_CONF]
    kept = nms.non_max_suppression(torch.from_numpy(output), CHECK_CONF, CHECK_IOU)[0]
    return kept.numpy()


def _raw_differences(a: np.ndarray, b: np.ndarray, model: Any) -> tuple[float, float]:
    """Largest box and score differences over every candidate (not only the kept ones)."""
    if _is_end2end(a, model):
        boxes, scores = (slice(None), slice(None), slice(0, 4)), (..., 4)
    else:
        boxes, scores = (slice(None), slice(0, 4)), (slice(None), slice(4, None))
    return float(np.abs(a[boxes] - b[boxes]).max()), float(np.abs(a[scores] - b[scores]).max())

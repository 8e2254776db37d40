"""COCO JSON ⇄ YOLO labels.

Import: categories become classes in category-id order (or join an existing project's class
list by name, new ones appended); each image's boxes are written as a YOLO label file where
ultralytics looks for it. Images listed without annotations become background (an empty
label file); images whose annotations were all skipped are left unlabelled for review.
Skipped, with the reason in the report: crowd annotations, unknown categories, malformed
boxes, boxes entirely outside the image, annotations of unlisted images, missing image files,
existing label files (never overwritten unless asked).

Export: one JSON for the chosen splits, ``file_name`` relative to the dataset root (recorded
in ``info.images_root`` so the importer finds the images again), sizes as displayed and
trained (EXIF applied), category ids starting at 1 as most COCO tools expect.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from penguin_studio.core.dataset.conversion import (
    ConversionReport,
    exportable_images,
    pixel_box_to_yolo,
    resolve_names,
    write_import,
)
from penguin_studio.core.dataset.images import ImageReadError, image_size
from penguin_studio.core.dataset.labels import Box, atomic_write_text
from penguin_studio.core.dataset.project import Dataset
from penguin_studio.core.errors import DatasetError, unreadable_reason
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.outputs_guard import check_output_file, check_replaceable_export


def import_coco(json_path: str | Path, images_dir: str | Path | None = None,
                dataset_yaml: str | Path | None = None, split: str = "train",
                names: list[str] | None = None, overwrite: bool = False,
                ctx: JobContext | None = None) -> ConversionReport:
    """Convert a COCO detection JSON into YOLO labels plus a data yaml; returns the report.

    ``images_dir`` is where ``file_name`` paths start (guessed when omitted);
    ``dataset_yaml`` is the project to create or extend (default: ``data.yaml`` beside the
    JSON).
    """
    ctx = ctx or JobContext()
    json_path = Path(json_path).expanduser().resolve()
    doc = _load(json_path)
    images = [im for im in doc.get("images", []) if isinstance(im, dict)]
    base = _images_dir(json_path, images, doc, images_dir)
    dataset_yaml = Path(dataset_yaml) if dataset_yaml else json_path.parent / "data.yaml"
    report = ConversionReport()
    categories = _categories(doc, report)
    all_names, report.added_classes = resolve_names(
        [name for _, name in categories], dataset_yaml, names)
    class_of = {cid: all_names.index(name) for cid, name in categories}
    by_image: dict[object, list[dict]] = defaultdict(list)
    known_ids = {im.get("id") for im in images}
    for ann in doc.get("annotations", []):
        if not isinstance(ann, dict):
            report.skip("malformed annotation", repr(ann)[:80])
        elif ann.get("image_id") not in known_ids:
            report.skip("annotation of an unlisted image", f"image_id {ann.get('image_id')}",
                        f"annotation {ann.get('id')}")
        else:
            by_image[ann.get("image_id")].append(ann)
    labels: dict[Path, list[Box]] = {}
    for done, im in enumerate(images, start=1):
        converted = _convert_image(im, by_image.get(im.get("id"), []), base, class_of, report)
        if converted is not None:
            labels[converted[0]] = converted[1]
        if done % 500 == 0 or done == len(images):
            ctx.step(done, len(images), "converting COCO annotations")
    report.notes.append(f"images resolved against {base}")
    write_import(dataset_yaml, split, labels, all_names, overwrite, report,
                 comment=f"Imported from COCO {json_path.name}")
    return report


def _load(json_path: Path) -> dict:
    try:
        doc = json.loads(json_path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DatasetError(f"{json_path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"Cannot read {json_path}: {unreadable_reason(exc)}. Pick the "
                           f"COCO annotations file (.json); its images folder goes to "
                           f"--images.") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{json_path.name} is not valid JSON (line {exc.lineno}: "
                           f"{exc.msg}).") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise DatasetError(f"{json_path.name} is not a COCO file (no 'images' list).")
    if not isinstance(doc.get("categories", []), list):
        raise DatasetError(f"{json_path.name}: 'categories' must be a list.")
    return doc


def _categories(doc: dict, report: ConversionReport) -> list[tuple[object, str]]:
    out = []
    for cat in doc.get("categories", []):
        if isinstance(cat, dict) and "id" in cat and str(cat.get("name", "")).strip():
            out.append((cat["id"], str(cat["name"]).strip()))
        else:
            report.skip("malformed category", repr(cat)[:80])
    out.sort(key=lambda c: (0, c[0], "") if isinstance(c[0], (int, float)) else (1, 0, str(c[0])))
    return out


def _images_dir(json_path: Path, images: list[dict], doc: dict,
                given: str | Path | None) -> Path:
    if given is not None:
        base = Path(given).expanduser().resolve()
        if base.is_file():
            raise DatasetError(f"{base} is a file: give the folder that holds the COCO "
                               f"images (--images FOLDER).")
        if not base.is_dir():
            raise DatasetError(f"Images folder {base} does not exist.")
        return base
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    stem = json_path.stem.removeprefix("instances_")
    candidates = [Path(str(info["images_root"]))] if info.get("images_root") else []
    candidates += [json_path.parent, json_path.parent / "images",
                   json_path.parent.parent, json_path.parent.parent / "images",
                   json_path.parent.parent / stem, json_path.parent.parent / "images" / stem]
    sample = [str(im.get("file_name", "")) for im in images[:20] if im.get("file_name")]
    for base in candidates:
        if sample and sum((base / name).exists() for name in sample) >= max(1, len(sample) // 2):
            return base.resolve()
    return json_path.parent


def _convert_image(im: dict, anns: list[dict], base: Path, class_of: dict,
                   report: ConversionReport) -> tuple[Path, list[Box]] | None:
    name = str(im.get("file_name", "")).strip()
    if not name:
        report.skip("image without file_name", repr(im)[:80])
        return None
    path = (base / name).resolve()
    if not path.is_file():
        report.skip("missing image file", str(path), name)
        return None
    size = _size(im, path, report)
    if size is None:
        return None
    boxes = []
    for ann in anns:
        box = _convert_annotation(ann, size, class_of, report, name)
        if box is not None:
            boxes.append(box)
    if anns and not boxes:
        report.skip("all annotations skipped (left unlabelled)", "", name)
        return None
    return path, boxes


def _size(im: dict, path: Path, report: ConversionReport) -> tuple[float, float] | None:
    w, h = im.get("width"), im.get("height")
    if isinstance(w, (int, float)) and isinstance(h, (int, float)) and w > 0 and h > 0:
        return float(w), float(h)
    try:
        return tuple(float(v) for v in image_size(path))
    except ImageReadError as exc:
        report.skip("unreadable image", exc.reason, path.name)
        return None


def _convert_annotation(ann: dict, size: tuple[float, float], class_of: dict,
                        report: ConversionReport, name: str) -> Box | None:
    source = f"{name} (annotation {ann.get('id')})"
    if ann.get("iscrowd"):
        report.skip("crowd", "iscrowd annotations are not single objects", source)
        return None
    if ann.get("category_id") not in class_of:
        report.skip("unknown category", f"category_id {ann.get('category_id')}", source)
        return None
    bbox = ann.get("bbox")
    if (not isinstance(bbox, list) or len(bbox) != 4
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in bbox)):
        report.skip("malformed bbox", repr(bbox)[:60], source)
        return None
    x, y, w, h = (float(v) for v in bbox)
    return pixel_box_to_yolo(class_of[ann["category_id"]], x, y, x + w, y + h, *size,
                             report, source)


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------


def export_coco(dataset: Dataset, out_json: str | Path, splits: list[str] | None = None,
                include_unlabelled: bool = False,
                ctx: JobContext | None = None) -> ConversionReport:
    """Write ``dataset`` (the given splits, default all) as one COCO JSON."""
    ctx = ctx or JobContext()
    out_json = check_output_file(Path(out_json).expanduser().resolve(), dataset,
                                 what="the COCO JSON")
    check_replaceable_export(out_json, "the COCO JSON")
    report = ConversionReport(names=list(dataset.names), output=out_json)
    images, annotations = [], []
    for item in exportable_images(dataset, splits, include_unlabelled, report, ctx,
                                  "writing COCO"):
        entry, w, h = item.entry, item.width, item.height
        image_id = len(images) + 1
        images.append({"id": image_id, "file_name": _rel(entry.image, dataset.root),
                       "width": w, "height": h, "split": entry.split})
        for box in entry.boxes:
            if box.cls >= dataset.nc:
                report.skip("class id outside the class list", f"class {box.cls}",
                            entry.image.name)
                continue
            annotations.append(_annotation(len(annotations) + 1, image_id, box, w, h))
            report.boxes += 1
        report.images += 1
    doc = {
        "info": {"description": f"{dataset.title} (exported by Penguin Studio)",
                 "date_created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "images_root": str(dataset.root)},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i + 1, "name": n, "supercategory": ""}
                       for i, n in enumerate(dataset.names)],
    }
    atomic_write_text(out_json, json.dumps(doc, ensure_ascii=False, indent=1))
    return report


def _annotation(ann_id: int, image_id: int, box: Box, w: int, h: int) -> dict:
    x1, y1, x2, y2 = box.xyxy
    bw, bh = (x2 - x1) * w, (y2 - y1) * h
    return {"id": ann_id, "image_id": image_id, "category_id": box.cls + 1,
            "bbox": [round(x1 * w, 3), round(y1 * h, 3), round(bw, 3), round(bh, 3)],
            "area": round(bw * bh, 3), "iscrowd": 0, "segmentation": []}


def _rel(image: Path, root: Path) -> str:
    try:
        return image.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(image.resolve())

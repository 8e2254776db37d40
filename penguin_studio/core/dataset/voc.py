"""Pascal VOC XML ⇄ YOLO labels.

VOC boxes are 1-based pixel corners. The conversion is ultralytics' own (its ``VOC.yaml``):
centre ``(xmin + xmax) / 2 - 1``, width ``xmax - xmin``; export inverts it, so a round trip
moves a box by at most the half pixel lost to VOC's whole-number coordinates.

Import reads every ``*.xml`` of a folder (or the files given); the image is the XML's
``<path>`` when it exists, else ``<filename>`` in ``images_dir`` (default: a ``JPEGImages``
or ``images`` folder beside the annotations, or the annotations folder itself). Classes are
the project's (new names appended) or, for a new project, the names found, sorted. Skipped,
with reasons: malformed XML, missing image file, objects without a name or a usable box,
boxes entirely outside the image, ``difficult`` objects when asked.

Export writes ``Annotations/<name>.xml`` and ``ImageSets/Main/<split>.txt``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
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
from penguin_studio.core.errors import DatasetError
from penguin_studio.core.jobs import JobContext
from penguin_studio.core.outputs_guard import (
    check_output_folder,
    check_replaceable_export,
    protected_inputs,
)

VocObject = tuple[str, float, float, float, float, bool]  # name, xmin, ymin, xmax, ymax, diff


def import_voc(source: str | Path | list[Path], images_dir: str | Path | None = None,
               dataset_yaml: str | Path | None = None, split: str = "train",
               names: list[str] | None = None, skip_difficult: bool = False,
               overwrite: bool = False, ctx: JobContext | None = None) -> ConversionReport:
    """Convert VOC XML files (a folder of them, or a list) into YOLO labels + data yaml."""
    ctx = ctx or JobContext()
    xml_files = _xml_files(source)
    first_dir = xml_files[0].parent
    dataset_yaml = Path(dataset_yaml) if dataset_yaml else first_dir.parent / "data.yaml"
    base = Path(images_dir).expanduser().resolve() if images_dir else _guess_images(first_dir)
    prefer_base = images_dir is not None
    report = ConversionReport()
    parsed: list[tuple[Path, Path, tuple[float, float] | None, list[VocObject]]] = []
    for done, xml in enumerate(xml_files, start=1):
        item = _parse_xml(xml, base, prefer_base, report)
        if item is not None:
            parsed.append(item)
        if done % 500 == 0 or done == len(xml_files):
            ctx.step(done, len(xml_files), "reading VOC annotations")
    found = sorted({obj[0] for *_, objects in parsed for obj in objects})
    all_names, report.added_classes = resolve_names(found, dataset_yaml, names)
    labels: dict[Path, list[Box]] = {}
    for xml, image, size, objects in parsed:
        boxes = _convert(xml, image, size, objects, all_names, skip_difficult, report)
        if boxes is not None:
            labels[image] = boxes
    write_import(dataset_yaml, split, labels, all_names, overwrite, report,
                 comment=f"Imported from Pascal VOC ({first_dir})")
    return report


def _xml_files(source: str | Path | list[Path]) -> list[Path]:
    if isinstance(source, list):
        files = [Path(p).expanduser().resolve() for p in source]
    else:
        folder = Path(source).expanduser().resolve()
        if folder.is_file():
            files = [folder]
        elif folder.is_dir():
            files = sorted(folder.glob("*.xml"))
        else:
            raise DatasetError(f"{folder} does not exist.")
    if not files:
        raise DatasetError(f"No .xml annotation files in {source}.")
    return files


def _guess_images(xml_dir: Path) -> Path:
    for cand in (xml_dir.parent / "JPEGImages", xml_dir.parent / "images", xml_dir):
        if cand.is_dir():
            return cand.resolve()
    return xml_dir


def _parse_xml(xml: Path, base: Path, prefer_base: bool, report: ConversionReport):
    try:
        root = ET.parse(xml).getroot()
    except (ET.ParseError, OSError) as exc:
        report.skip("malformed XML", str(exc)[:100], xml.name)
        return None
    if root.tag != "annotation":
        report.skip("malformed XML", f"root element is <{root.tag}>, not <annotation>",
                    xml.name)
        return None
    image = _find_image(root, xml, base, prefer_base)
    if image is None:
        report.skip("missing image file", (root.findtext("filename") or xml.stem), xml.name)
        return None
    size = _xml_size(root)
    objects = []
    for obj in root.iter("object"):
        parsed = _parse_object(obj)
        if isinstance(parsed, str):
            report.skip(parsed, "", xml.name)
        else:
            objects.append(parsed)
    return xml, image, size, objects


def _find_image(root: ET.Element, xml: Path, base: Path, prefer_base: bool) -> Path | None:
    """``<path>`` first, unless the user named the images folder: then ``<filename>`` there."""
    path_text = (root.findtext("path") or "").strip()
    name = (root.findtext("filename") or "").strip()
    candidates = [base / name] if name else []
    candidates += [base / f"{xml.stem}{s}" for s in (".jpg", ".jpeg", ".png", ".JPG")]
    if path_text:
        candidates.insert(len(candidates) if prefer_base else 0, Path(path_text))
    return next((c.resolve() for c in candidates if c.is_file()), None)


def _xml_size(root: ET.Element) -> tuple[float, float] | None:
    try:
        w = float(root.findtext("size/width") or 0)
        h = float(root.findtext("size/height") or 0)
    except ValueError:
        return None
    return (w, h) if w > 0 and h > 0 else None


def _parse_object(obj: ET.Element) -> VocObject | str:
    name = (obj.findtext("name") or "").strip()
    if not name:
        return "object without a name"
    try:
        coords = [float(obj.findtext(f"bndbox/{k}") or "nan")
                  for k in ("xmin", "ymin", "xmax", "ymax")]
    except ValueError:
        return "malformed bndbox"
    if not all(math.isfinite(v) for v in coords):
        return "malformed bndbox"
    difficult = (obj.findtext("difficult") or "0").strip() in ("1", "true")
    return (name, *coords, difficult)


def _convert(xml: Path, image: Path, size: tuple[float, float] | None,
             objects: list[VocObject], names: list[str], skip_difficult: bool,
             report: ConversionReport) -> list[Box] | None:
    if size is None:
        try:
            size = tuple(float(v) for v in image_size(image))
        except ImageReadError as exc:
            report.skip("unreadable image", exc.reason, xml.name)
            return None
    boxes = []
    for name, xmin, ymin, xmax, ymax, difficult in objects:
        if difficult and skip_difficult:
            report.skip("difficult", name, xml.name)
            continue
        if name not in names:
            report.skip("unknown class", name, xml.name)
            continue
        # ultralytics' VOC conversion: 1-based corners → centre - 1, same width
        box = pixel_box_to_yolo(names.index(name), xmin - 1, ymin - 1, xmax - 1, ymax - 1,
                                *size, report, xml.name)
        if box is not None:
            boxes.append(box)
    if objects and not boxes:
        report.skip("all objects skipped (left unlabelled)", "", xml.name)
        return None
    return boxes


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------


def export_voc(dataset: Dataset, out_dir: str | Path, splits: list[str] | None = None,
               include_unlabelled: bool = False,
               ctx: JobContext | None = None) -> ConversionReport:
    """Write ``Annotations/*.xml`` and ``ImageSets/Main/<split>.txt`` under ``out_dir``."""
    ctx = ctx or JobContext()
    out_dir = Path(out_dir).expanduser().resolve()
    guard = protected_inputs(dataset)
    for sub in ("Annotations", "ImageSets/Main"):
        check_output_folder(out_dir / sub, what="the Pascal VOC files", guard=guard)
    for existing in sorted((out_dir / "Annotations").glob("*.xml")):
        check_replaceable_export(existing, "the Pascal VOC files", "a new, empty folder")
    report = ConversionReport(names=list(dataset.names), output=out_dir)
    used: set[str] = set()
    sets: dict[str, list[str]] = {}
    for item in exportable_images(dataset, splits, include_unlabelled, report, ctx,
                                  "writing Pascal VOC"):
        entry = item.entry
        stem = _unique_stem(entry.image.stem, used)
        xml = _annotation_xml(entry.image, item.width, item.height, entry.boxes,
                              dataset.names, report)
        atomic_write_text(out_dir / "Annotations" / f"{stem}.xml", xml)
        sets.setdefault(entry.split, []).append(stem)
        report.images += 1
    for split, stems in sets.items():
        atomic_write_text(out_dir / "ImageSets" / "Main" / f"{split}.txt",
                          "".join(f"{s}\n" for s in stems))
    return report


def _unique_stem(stem: str, used: set[str]) -> str:
    candidate, n = stem, 1
    while candidate in used:
        n += 1
        candidate = f"{stem}_{n}"
    used.add(candidate)
    return candidate


def _annotation_xml(image: Path, w: int, h: int, boxes: list[Box], names: list[str],
                    report: ConversionReport) -> str:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = image.parent.name
    ET.SubElement(root, "filename").text = image.name
    ET.SubElement(root, "path").text = str(image.resolve())
    ET.SubElement(ET.SubElement(root, "source"), "database").text = "Penguin Studio"
    size = ET.SubElement(root, "size")
    for key, value in (("width", w), ("height", h), ("depth", 3)):
        ET.SubElement(size, key).text = str(value)
    ET.SubElement(root, "segmented").text = "0"
    for box in boxes:
        if box.cls >= len(names):
            report.skip("class id outside the class list", f"class {box.cls}", image.name)
            continue
        x1, y1, x2, y2 = box.xyxy
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = names[box.cls]
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = "0"
        bnd = ET.SubElement(obj, "bndbox")
        corners = (x1 * w + 1, y1 * h + 1, x2 * w + 1, y2 * h + 1)
        for key, value in zip(("xmin", "ymin", "xmax", "ymax"), corners, strict=True):
            ET.SubElement(bnd, key).text = str(round(value))
        report.boxes += 1
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


"""COCO, Pascal VOC and Ultralytics zip: imports report what they skip; exports round-trip."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.coco import export_coco, import_coco
from penguin_studio.core.dataset.index import LabelStatus, build_index
from penguin_studio.core.dataset.labels import read_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.core.dataset.voc import export_voc, import_voc
from penguin_studio.core.dataset.yolozip import export_yolo_zip, import_yolo_zip
from penguin_studio.core.errors import DatasetError, UserError


def _labels_by_name(ds) -> dict[str, list]:
    return {p.name: sorted(read_labels(label_path_for(p)), key=lambda b: (b.cls, b.cx, b.cy))
            for p in ds.unique_images() if label_path_for(p).exists()}


def _assert_same_boxes(a: dict, b: dict, tol: float) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for x, y in zip(a[name], b[name], strict=True):
            assert x.cls == y.cls
            assert (x.cx, x.cy, x.w, x.h) == pytest.approx((y.cx, y.cy, y.w, y.h), abs=tol)


def _images_only_copy(ds_yaml: Path, dest: Path, flat: bool = True) -> Path:
    """The dataset's images alone (no labels), as a COCO/VOC user would have them."""
    ds = open_dataset(ds_yaml)
    for p in ds.unique_images():
        target = dest / (p.name if flat else p.relative_to(ds.root))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, target)
    return dest


def test_coco_round_trip(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = open_dataset(tiny_dataset)
    label_path_for(ds.images()[0]).write_text("")  # a background image survives too
    out = tmp_path / "export" / "instances.json"
    report = export_coco(ds, out)
    assert report.images == 12 and not report.skipped
    doc = json.loads(out.read_text())
    assert [c["name"] for c in doc["categories"]] == ["penguin", "rock"]
    images = _images_only_copy(tiny_dataset, tmp_path / "coco photos", flat=False)
    back = import_coco(out, images_dir=images, dataset_yaml=tmp_path / "coco photos" /
                       "data.yaml")
    assert back.images == 12 and back.boxes == report.boxes and not back.skipped
    imported = open_dataset(back.output)
    assert imported.names == ["penguin", "rock"]
    _assert_same_boxes(_labels_by_name(ds), _labels_by_name(imported), tol=1e-5)
    assert build_index(imported).split_stats()["all"].background == 1


def test_coco_import_reports_every_skip(tmp_path: Path, tiny_dataset: Path) -> None:
    images = _images_only_copy(tiny_dataset, tmp_path / "photos")
    names = sorted(p.name for p in images.iterdir())
    doc = {
        "images": [{"id": 1, "file_name": names[0], "width": 320, "height": 240},
                   {"id": 2, "file_name": "gone.jpg", "width": 10, "height": 10},
                   {"id": 3, "file_name": names[1], "width": 320, "height": 240},
                   {"id": 4, "file_name": names[2]}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "bbox": [10, 10, 50, 40]},
            {"id": 2, "image_id": 1, "category_id": 7, "bbox": [300, 200, 40, 60]},  # clipped
            {"id": 3, "image_id": 1, "category_id": 99, "bbox": [1, 1, 5, 5]},
            {"id": 4, "image_id": 1, "category_id": 7, "bbox": [1, 1, 5, 5], "iscrowd": 1},
            {"id": 5, "image_id": 1, "category_id": 7, "bbox": [500, 500, 5, 5]},
            {"id": 6, "image_id": 1, "category_id": 7, "bbox": [1, 1, "x", 5]},
            {"id": 7, "image_id": 2, "category_id": 7, "bbox": [1, 1, 5, 5]},
            {"id": 8, "image_id": 42, "category_id": 7, "bbox": [1, 1, 5, 5]},
            {"id": 9, "image_id": 3, "category_id": 7, "bbox": [1, 1, 0, 5]},
        ],
        "categories": [{"id": 7, "name": "penguin"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(doc))
    report = import_coco(tmp_path / "ann.json", images_dir=images)
    reasons = report.skipped_by_reason()
    for reason in ("unknown category", "crowd", "box outside image", "malformed bbox",
                   "missing image file", "annotation of an unlisted image", "empty box",
                   "all annotations skipped (left unlabelled)"):
        assert reason in reasons, reason
    assert report.boxes == 2 and report.clipped == 1
    assert len(read_labels(label_path_for(images / names[0]))) == 2
    assert not label_path_for(images / names[1]).exists()  # nothing usable: left unlabelled
    assert read_labels(label_path_for(images / names[2])) == []  # no annotations: background
    (tmp_path / "not.json").write_text("{oops")
    with pytest.raises(DatasetError, match="not valid JSON"):
        import_coco(tmp_path / "not.json")


def test_voc_round_trip_and_skips(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = open_dataset(tiny_dataset)
    out = tmp_path / "voc"
    report = export_voc(ds, out)
    assert report.images == 12
    assert (out / "ImageSets" / "Main" / "train.txt").exists()
    xml_dir = out / "Annotations"
    (xml_dir / "broken.xml").write_text("<annotation><object>")
    (xml_dir / "orphan.xml").write_text(
        "<annotation><filename>nowhere.jpg</filename></annotation>")
    images = _images_only_copy(tiny_dataset, tmp_path / "JPEG images")
    back = import_voc(xml_dir, images_dir=images, names=ds.names,
                      dataset_yaml=images / "data.yaml")
    assert back.skipped_by_reason() == {"malformed XML": 1, "missing image file": 1}
    assert back.boxes == report.boxes
    imported = open_dataset(back.output)
    assert imported.names == ds.names
    original = {p.name: read_labels(label_path_for(p)) for p in ds.unique_images()}
    got = _labels_by_name(imported)
    assert set(got) == set(original)
    tol = 1.0 / 192  # VOC corners are whole pixels: ≤ 1 px off on images ≥ 192 px
    for name, boxes in got.items():
        assert len(boxes) == len(original[name])
        for a, b in zip(sorted(boxes, key=lambda b: (b.cls, b.cx)),
                        sorted(original[name], key=lambda b: (b.cls, b.cx)), strict=True):
            assert a.cls == b.cls
            assert (a.cx, a.cy, a.w, a.h) == pytest.approx((b.cx, b.cy, b.w, b.h), abs=tol)


def test_voc_import_unknown_class_and_new_project(tmp_path: Path, tiny_dataset: Path) -> None:
    images = _images_only_copy(tiny_dataset, tmp_path / "JPEGImages")
    name = sorted(p.name for p in images.iterdir())[0]
    ann = tmp_path / "Annotations"
    ann.mkdir()
    (ann / "a.xml").write_text(
        f"<annotation><filename>{name}</filename><size><width>100</width><height>50"
        "</height></size><object><name>seal</name><bndbox><xmin>11</xmin><ymin>6</ymin>"
        "<xmax>31</xmax><ymax>26</ymax></bndbox></object><object><name>walrus</name>"
        "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>"
        "<object><name>seal</name><bndbox><xmin>a</xmin></bndbox></object></annotation>")
    report = import_voc(ann, names=["seal"])
    assert report.output == tmp_path / "data.yaml"
    assert report.skipped_by_reason() == {"malformed bndbox": 1}
    assert report.added_classes == ["walrus"]  # a new project takes the names it finds
    boxes = read_labels(label_path_for(images / name))
    seal = next(b for b in boxes if b.cls == 0)
    assert (seal.cx, seal.cy, seal.w, seal.h) == pytest.approx((0.2, 0.3, 0.2, 0.4))


def test_yolo_zip_round_trip(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = open_dataset(tiny_dataset)
    first = ds.images()[0]
    label_path_for(first).unlink()  # unlabelled stays unlabelled
    out = tmp_path / "out" / "penguins.zip"
    report = export_yolo_zip(ds, out)
    assert report.images == 12
    with zipfile.ZipFile(out) as zf:
        assert "data.yaml" in zf.namelist()
    back = import_yolo_zip(out, tmp_path / "unzipped")
    assert back.names == ds.names
    assert {k: len(v) for k, v in back.splits.items()} == {k: len(v) for k, v in
                                                             ds.splits.items()}
    _assert_same_boxes(_labels_by_name(ds), _labels_by_name(back), tol=0)
    assert build_index(back).entry(back.images("train")[0]).status is LabelStatus.UNLABELLED
    with pytest.raises(UserError, match="not empty"):
        import_yolo_zip(out, tmp_path / "unzipped")


def test_coco_import_of_the_images_folder_says_which_file_to_pick(tmp_path: Path) -> None:
    """Giving the images folder as the COCO file printed "[Errno 21] Is a directory"."""
    with pytest.raises(DatasetError, match="it is a folder, not a file. Pick the COCO "
                                           "annotations file"):
        import_coco(tmp_path, images_dir=tmp_path)


def test_coco_import_with_a_file_as_the_images_folder_says_so(tmp_path: Path) -> None:
    """``--images`` given a file (the json itself, an image) said the folder "does not
    exist", which sends the user looking for a missing folder."""
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    with pytest.raises(DatasetError, match=r"ann.json is a file: give the folder that holds "
                                           r"the COCO images \(--images FOLDER\)"):
        import_coco(ann, images_dir=ann)


def test_zip_into_an_unusable_folder_is_one_clear_error(tiny_dataset: Path,
                                                        tmp_path: Path) -> None:
    """A destination under a file (or read-only) and a file as destination raised
    NotADirectoryError/PermissionError tracebacks; a folder given as the zip too."""
    out = tmp_path / "penguins.zip"
    export_yolo_zip(open_dataset(tiny_dataset), out)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    with pytest.raises(UserError, match="Cannot extract penguins.zip into .*Pick an empty "
                                        "folder you can write to"):
        import_yolo_zip(out, a_file / "sub")
    with pytest.raises(UserError, match="notes.txt is a file: pick an empty folder"):
        import_yolo_zip(out, a_file)
    assert a_file.read_text() == "mine"
    with pytest.raises(DatasetError, match="is a folder, not a zip file"):
        import_yolo_zip(tmp_path, tmp_path / "dest")


def test_export_to_a_folder_or_under_a_file_says_what_to_give(tiny_dataset: Path,
                                                              tmp_path: Path) -> None:
    """The errors said 'Is a directory' / 'File exists. … your edit is kept' (the label
    editor's words) for an export given a folder, or a path under a file."""
    ds = open_dataset(tiny_dataset)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(UserError, match="exports: it is a folder: give a file name"):
        export_coco(ds, folder)
    with pytest.raises(UserError, match="exports is a folder: give the zip a file name"):
        export_yolo_zip(ds, folder)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    with pytest.raises(UserError, match="a file of that name .*is in the way. Pick a folder"
                       ) as info:
        export_coco(ds, a_file / "out.json")
    assert "edit is kept" not in str(info.value) and a_file.read_text() == "mine"
    assert list(folder.iterdir()) == []


def test_zip_with_unsafe_paths_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.txt", "x")
    with pytest.raises(DatasetError, match="unsafe path"):
        import_yolo_zip(evil, tmp_path / "dest")
    assert not (tmp_path / "outside.txt").exists()
    (tmp_path / "fake.zip").write_text("nope")
    with pytest.raises(DatasetError, match="not a valid zip"):
        import_yolo_zip(tmp_path / "fake.zip", tmp_path / "dest2")

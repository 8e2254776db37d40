"""Outputs never land over, or in among, a user's inputs (issue: Save annotated into
``images/val`` replaced the 60 originals with box-burned copies)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.outputs_guard import (
    DETECTIONS_DIR,
    OutputTargetError,
    check_output_file,
    check_output_folder,
    default_output_folder,
    model_label,
)


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("inside", ["images/val", "labels/val", ".", "images/train/sub"])
def test_folders_holding_or_inside_the_datasets_inputs_are_refused(tiny_dataset: Path,
                                                                   inside: str) -> None:
    ds = open_dataset(tiny_dataset)
    with pytest.raises(OutputTargetError, match="Not saving annotated images in") as err:
        check_output_folder(tiny_dataset.parent / inside, ds, what="annotated images")
    assert "\n" not in str(err.value) and "Choose a new, empty folder" in str(err.value)


def test_a_fresh_folder_beside_the_dataset_is_accepted(tiny_dataset: Path,
                                                       tmp_path: Path) -> None:
    ds = open_dataset(tiny_dataset)
    default = default_output_folder("runs/penguins/weights/best.pt", ds, now=0)
    assert default.parent == tiny_dataset.parent / DETECTIONS_DIR
    assert default.name.startswith("penguins-best-")
    assert not default.exists(), "the default is proposed, not created"
    assert check_output_folder(default, ds) == default
    assert check_output_folder(tmp_path / "elsewhere", ds) == tmp_path / "elsewhere"
    assert check_output_folder(tiny_dataset.parent / "images", ds)  # holds no image itself


def test_a_source_folder_outside_any_dataset_is_protected(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    (photos / "day1").mkdir(parents=True)
    (photos / "day1" / "a.jpg").write_bytes(b"jpeg")
    for target in (photos, photos / "day1", photos / "day1" / "out"):
        with pytest.raises(OutputTargetError, match="the images being detected"):
            check_output_folder(target, sources=[photos])
    default = default_output_folder("yolo11n.pt", source=photos)
    assert default.parent == tmp_path / DETECTIONS_DIR and default.name.startswith("yolo11n-")
    check_output_folder(default, sources=[photos])


def test_a_dataset_reading_its_whole_folder_gets_outputs_beside_it(tmp_path: Path) -> None:
    from penguin_studio.core.dataset.project import create_project

    folder = tmp_path / "birds"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(b"jpeg")
    ds = create_project(folder, ["bird"])  # train: . (the whole folder)
    default = default_output_folder("m.pt", ds)
    assert default.parent == tmp_path / f"birds-{DETECTIONS_DIR}"
    check_output_folder(default, ds)


def test_file_outputs_never_replace_an_input(tiny_dataset: Path, tmp_path: Path) -> None:
    ds = open_dataset(tiny_dataset)
    image = ds.images("val")[0]
    for victim in (image, ds.yaml_path, ds.label_path(image)):
        with pytest.raises(OutputTargetError, match="would be overwritten"):
            check_output_file(victim, ds)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"mp4")
    with pytest.raises(OutputTargetError, match="the files being detected"):
        check_output_file(video, sources=[video])
    assert check_output_file(tmp_path / "clip-recording.mp4", ds, [video])


def test_dataset_exports_refuse_to_overwrite_the_dataset(tiny_dataset: Path) -> None:
    from penguin_studio.core.dataset.coco import export_coco
    from penguin_studio.core.dataset.voc import export_voc
    from penguin_studio.core.dataset.yolozip import export_yolo_zip

    ds = open_dataset(tiny_dataset)
    before = snapshot(tiny_dataset.parent)
    with pytest.raises(OutputTargetError):
        export_coco(ds, ds.yaml_path)
    with pytest.raises(OutputTargetError):
        export_yolo_zip(ds, ds.images("train")[0])
    with pytest.raises(OutputTargetError):
        export_voc(ds, tiny_dataset.parent / "images" / "train")
    assert snapshot(tiny_dataset.parent) == before


def test_exports_never_replace_files_no_export_wrote(tiny_dataset: Path, tmp_path: Path) -> None:
    """Exporting over the COCO json or the VOC annotations a dataset came from replaced the
    user's originals; replacing one's own earlier export stays allowed."""
    from penguin_studio.core.dataset.coco import export_coco
    from penguin_studio.core.dataset.voc import export_voc
    from penguin_studio.core.dataset.yolozip import export_yolo_zip

    ds = open_dataset(tiny_dataset)
    theirs = tmp_path / "instances.json"
    theirs.write_text('{"images": [], "annotations": []}')
    voc = tmp_path / "voc"
    (voc / "Annotations").mkdir(parents=True)
    (voc / "Annotations" / "a.xml").write_text("<annotation><filename>a.jpg</filename>")
    zipped = tmp_path / "theirs.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("data.yaml", "names: [a]\n")
    before = snapshot(tmp_path)
    with pytest.raises(OutputTargetError, match="no Penguin Studio export wrote it"):
        export_coco(ds, theirs)
    with pytest.raises(OutputTargetError, match="Choose a new, empty folder"):
        export_voc(ds, voc)
    with pytest.raises(OutputTargetError, match="Choose a new file name"):
        export_yolo_zip(ds, zipped)
    assert snapshot(tmp_path) == before
    for export, target in ((export_coco, tmp_path / "ours.json"),
                           (export_yolo_zip, tmp_path / "ours.zip"),
                           (export_voc, tmp_path / "ours-voc")):
        export(ds, target)
        export(ds, target)  # again over its own export


def test_model_label_names_the_run() -> None:
    assert model_label("/x/runs/detect/train3/weights/best.pt") == "train3-best"
    assert model_label("yolo11n.pt") == "yolo11n"
    assert model_label(None) == "model"


@pytest.mark.slow
def test_predict_cli_refuses_to_save_over_its_source(tiny_dataset: Path,
                                                     tiny_weights: Path) -> None:
    val = tiny_dataset.parent / "images" / "val"
    labels = tiny_dataset.parent / "labels" / "val"
    before = snapshot(tiny_dataset.parent)
    for flag, target in (("--save", val), ("--labels", labels)):
        proc = subprocess.run([sys.executable, "-m", "penguin_studio", "predict",
                               "--weights", str(tiny_weights), "--source", str(val),
                               flag, str(target)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode != 0
        last = proc.stderr.strip().splitlines()[-1]
        assert "Not saving" in last and "Traceback" not in proc.stderr
    assert snapshot(tiny_dataset.parent) == before


def test_the_model_and_pictures_to_label_are_inputs_too(tiny_dataset: Path,
                                                        tmp_path: Path) -> None:
    import numpy as np

    from penguin_studio.core.inference.snapshot import save_snapshot

    weights = tmp_path / "runs" / "best.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"pt")
    with pytest.raises(OutputTargetError, match="the model"):
        check_output_folder(weights.parent, sources=[weights])
    save_snapshot(open_dataset(tiny_dataset), np.zeros((8, 8, 3), np.uint8))
    ds = open_dataset(tiny_dataset)
    with pytest.raises(OutputTargetError, match="pictures to label"):
        check_output_folder(tiny_dataset.parent / "images" / "to-label" / "x", ds)
    with pytest.raises(OutputTargetError, match="would be overwritten"):
        check_output_file(ds.to_label[0], ds)

"""Opening what people have: yamls in every form, plain folders, exports, broken pointers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import shared_dataset

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.index import LabelStatus, build_index
from penguin_studio.core.dataset.project import create_project, label_path_for, load_data_yaml
from penguin_studio.core.errors import DatasetError


def _write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_yaml_with_folders_lists_and_lists_of_both(tiny_dataset: Path) -> None:
    root = tiny_dataset.parent
    train = sorted((root / "images" / "train").glob("*.jpg"))
    (root / "some train.txt").write_text("".join(f"./images/train/{p.name}\n" for p in train))
    data = {"path": str(root), "train": ["some train.txt", "images/val"],
            "val": "images/val", "names": ["penguin", "rock"]}
    ds = open_dataset(_write_yaml(root / "mixed.yaml", data))
    assert ds.splits["train"][: len(train)] == train
    assert len(ds.splits["train"]) == len(train) + len(ds.splits["val"])
    assert "test" not in ds.splits and not ds.problems
    # without path: entries resolve against the yaml's folder
    data.pop("path")
    assert open_dataset(_write_yaml(root / "nopath.yaml", data)).image_count == ds.image_count


def test_yaml_pointing_nowhere_says_which_path(tmp_path: Path) -> None:
    bad = _write_yaml(tmp_path / "data.yaml", {"path": str(tmp_path), "train": "imgs/train",
                                               "val": "imgs/val", "names": ["a"]})
    with pytest.raises(DatasetError) as info:
        open_dataset(bad)
    message = str(info.value)
    assert "imgs/train" in message and str(tmp_path / "imgs" / "train") in message
    assert "\n" not in message
    (tmp_path / "broken.yaml").write_text("train: [unclosed\nnames: {0: a}\n")
    with pytest.raises(DatasetError, match=r"broken.yaml, line 1: a \[ list \] opened here is "
                                           "not closed"):
        open_dataset(tmp_path / "broken.yaml")
    with pytest.raises(DatasetError, match="does not exist"):
        open_dataset(tmp_path / "absent.yaml")


def test_binary_yaml_and_folder_named_yaml_say_what_they_are(tmp_path: Path) -> None:
    """Once "Cannot read …: 'utf-8' codec can't decode byte 0x80 in position 1" and
    "[Errno 21] Is a directory: '…'": neither says what is wrong nor what to pick."""
    (tmp_path / "data.yaml").write_bytes(bytes(range(128, 256)) * 8)
    with pytest.raises(DatasetError, match="data.yaml: it is not a text file .*Pick the "
                                           "dataset's data.yaml") as info:
        open_dataset(tmp_path / "data.yaml")
    assert "codec" not in str(info.value)
    (tmp_path / "odd.yaml").mkdir()
    with pytest.raises(DatasetError, match="odd.yaml: it is a folder, not a file"):
        load_data_yaml(tmp_path / "odd.yaml")


def test_path_that_does_not_exist_is_reported(tiny_dataset: Path) -> None:
    data = yaml.safe_load(tiny_dataset.read_text())
    data["path"] = "/nowhere/at/all"
    ds = open_dataset(_write_yaml(tiny_dataset, data))
    assert "path" in ds.problems and "/nowhere/at/all" in ds.problems["path"]
    assert ds.image_count == 12


def test_plain_folder_maps_labels_where_ultralytics_reads_them(tmp_path: Path,
                                                              tiny_dataset: Path) -> None:
    folder = tmp_path / "my photos ñ"
    (folder / "day 1").mkdir(parents=True)
    src = sorted((tiny_dataset.parent / "images" / "train").glob("*.jpg"))
    shutil.copy(src[0], folder / "day 1" / "a.jpg")
    shutil.copy(src[1], folder / "b.jpg")
    (folder / ".hidden.jpg").write_bytes(b"")  # ultralytics' glob skips it; so do we
    (folder / "anim.gif").write_bytes(b"GIF89a")
    ds = open_dataset(folder)
    assert not ds.is_project and ds.names == []
    assert [p.name for p in ds.images()] == ["b.jpg", "a.jpg"]
    assert ds.skipped == [folder / "anim.gif"]
    assert label_path_for(folder / "b.jpg") == folder / "b.txt"
    assert label_path_for(folder / "images" / "x" / "c.png") == folder / "labels" / "x" / "c.txt"
    assert not (folder / "data.yaml").exists()  # opening writes nothing
    ds = create_project(folder, ["penguin"])
    assert ds.yaml_path == folder / "data.yaml" and ds.names == ["penguin"]
    again = open_dataset(folder)
    assert again.names == ["penguin"] and again.image_count == 2
    with pytest.raises(DatasetError, match="already exists"):
        create_project(folder)


def test_roboflow_export_resolves_and_reports_missing_splits(tmp_path: Path) -> None:
    src = shared_dataset("aquarium-test")
    ds = open_dataset(src / "data.yaml")
    assert ds.names[:2] == ["fish", "jellyfish"]
    assert ds.splits["test"] and set(ds.problems) >= {"train", "val"}
    index = build_index(ds)
    assert index.split_stats()["test"].labelled > 0
    assert sum(index.instances_per_class().values()) > 0


def test_coco8_opens_with_all_labels() -> None:
    ds = open_dataset(shared_dataset("coco8") / "data.yaml")
    assert len(ds.names) == 80 and ds.image_count == 8
    index = build_index(ds)
    assert index.split_stats()["all"].labelled == 8 - index.split_stats()["all"].background
    assert not index.errors()


def test_index_statuses_filters_and_updates(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    images = ds.images("train")
    label_path_for(images[0]).unlink()
    label_path_for(images[1]).write_text("")
    label_path_for(images[2]).write_text("0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.2 oops\n")
    index = build_index(ds)
    assert index.entry(images[0]).status is LabelStatus.UNLABELLED
    assert index.entry(images[1]).status is LabelStatus.BACKGROUND
    broken = index.entry(images[2])
    assert broken.status is LabelStatus.ERROR and broken.error_line == 2 and "oops" in broken.error
    assert index.filter(status=LabelStatus.ERROR) == [broken]
    assert all(0 in e.classes for e in index.filter(classes=[0]))
    assert index.filter(name=images[3].name.upper())[0].image == images[3]
    stats = index.split_stats()
    assert stats["all"].images == 12 and stats["train"].unlabelled == 1
    sizes = index.box_sizes()
    assert sizes.shape[1] == 3 and ((sizes[:, 1:] > 0) & (sizes[:, 1:] <= 1)).all()
    before = index.instances_per_class()[0]
    from penguin_studio.core.dataset.labels import Box

    index.update(images[0], [Box(0, 0.5, 0.5, 0.2, 0.2)])
    assert index.instances_per_class()[0] == before + 1
    assert index.refresh(images[0]).status is LabelStatus.UNLABELLED

"""Live snapshots wait in a "to label" set, outside every split, until labelled and assigned.

An unlabelled picture in train is trained on as background ("nothing here"), so snapshots no
longer go there by default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.index import build_index
from penguin_studio.core.dataset.labels import Box, write_labels
from penguin_studio.core.dataset.project import create_project, label_path_for
from penguin_studio.core.dataset.splits import assign, split_tool
from penguin_studio.core.dataset.status import LabelStatus
from penguin_studio.core.dataset.to_label import TO_LABEL, to_label_folder
from penguin_studio.core.errors import UserError
from penguin_studio.core.inference.snapshot import save_snapshot

FRAME = np.full((60, 80, 3), 90, np.uint8)


def test_a_snapshot_waits_in_to_label_until_assigned(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    trained_before = set(ds.images())
    report = save_snapshot(ds, FRAME)
    assert report.image.parent == tiny_dataset.parent / "images" / "to-label"
    assert "not trained on" in report.message()

    ds = open_dataset(tiny_dataset)
    assert ds.to_label == [report.image]
    assert set(ds.images()) == trained_before, "a snapshot must not join a split by itself"
    entry = next(e for e in build_index(ds) if e.image == report.image)
    assert entry.split == TO_LABEL and entry.status == LabelStatus.UNLABELLED
    assert report.image not in split_tool(build_index(ds))

    write_labels(label_path_for(report.image), [Box(0, 0.5, 0.5, 0.2, 0.2)])
    ds = assign(ds, [report.image], "train")
    assert report.image in ds.images("train") and ds.to_label == []


def test_a_dataset_reading_its_whole_folder_hides_the_set(tmp_path: Path) -> None:
    folder = tmp_path / "birds"
    folder.mkdir()
    import cv2

    cv2.imwrite(str(folder / "a.jpg"), FRAME)
    ds = create_project(folder, ["bird"])  # train: . reads every visible sub-folder
    assert to_label_folder(ds) == folder / ".to-label"
    report = save_snapshot(ds, FRAME)
    ds = open_dataset(folder)
    assert report.image not in ds.images() and ds.to_label == [report.image]


def test_a_snapshot_can_still_go_to_a_split_folder(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    report = save_snapshot(ds, FRAME, split="val")
    assert report.image.parent == tiny_dataset.parent / "images" / "val"
    assert report.image in open_dataset(tiny_dataset).images("val")


def test_a_split_given_as_a_list_file_says_what_to_do(tiny_dataset: Path) -> None:
    root = tiny_dataset.parent
    listing = root / "val.txt"
    listing.write_text("".join(f"./images/val/{p.name}\n"
                               for p in (root / "images" / "val").iterdir()))
    text = tiny_dataset.read_text().replace("val: images/val", "val: val.txt")
    tiny_dataset.write_text(text)
    ds = open_dataset(tiny_dataset)
    assert ds.sources["val"] == [listing.resolve()]
    with pytest.raises(UserError, match="save it to 'to label'"):
        save_snapshot(ds, FRAME, split="val")

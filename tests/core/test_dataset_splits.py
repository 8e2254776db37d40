"""Splits: by hand, by the split tool (ratios, seed, stratified), as lists ultralytics reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from penguin_studio.core.dataset import open_dataset
from penguin_studio.core.dataset.index import build_index
from penguin_studio.core.dataset.labels import Box, write_labels
from penguin_studio.core.dataset.project import label_path_for
from penguin_studio.core.dataset.splits import (
    assign,
    move_into_split_folders,
    split_dataset,
    split_tool,
    write_split_lists,
)
from penguin_studio.core.errors import UserError


def test_assign_by_hand_writes_lists_and_moves_nothing(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    root = tiny_dataset.parent

    def user_files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for d in ("images", "labels") for p in (root / d).rglob("*")
                if p.is_file()}

    before = user_files()
    chosen = ds.images("train")[:2]
    ds = assign(ds, chosen, "test")
    assert set(chosen) <= set(ds.splits["test"]) and not set(chosen) & set(ds.splits["train"])
    data = yaml.safe_load(tiny_dataset.read_text())
    assert data["train"] == "train.txt" and data["test"] == "test.txt"
    assert data["names"] == {0: "penguin", 1: "rock"}
    listed = (tiny_dataset.parent / "test.txt").read_text().splitlines()
    assert all(line.startswith("./images/") for line in listed)
    assert user_files() == before  # not one image or label moved or changed
    with pytest.raises(UserError, match="not a split"):
        assign(ds, chosen, "holdout")


def test_split_tool_ratios_seed_and_stratification(tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    images = ds.unique_images()
    # make class 1 rare: only 3 images keep it
    for i, image in enumerate(images):
        boxes = [Box(0, 0.5, 0.5, 0.2, 0.2)] + ([Box(1, 0.2, 0.2, 0.1, 0.1)] if i < 3 else [])
        write_labels(label_path_for(image), boxes)
    index = build_index(ds)
    a = split_tool(index, (1, 1, 1), seed=3)
    assert a == split_tool(index, (1, 1, 1), seed=3)
    assert a != split_tool(index, (1, 1, 1), seed=4)
    assert sorted(a.values()).count("train") == 4 and sorted(a.values()).count("val") == 4
    rare = {images[i] for i in range(3)}
    assert {a[p] for p in rare} == {"train", "val", "test"}  # one of each, thanks to strata
    counts = [list(split_tool(index, (0.8, 0.1, 0.1)).values()).count(s)
              for s in ("train", "val", "test")]
    assert sum(counts) == 12 and counts[0] >= 9
    with pytest.raises(UserError):
        split_tool(index, (0, 0, 0))


def test_split_lists_are_what_ultralytics_loads(tiny_dataset: Path) -> None:
    from penguin_studio.core import engine

    ds = split_dataset(open_dataset(tiny_dataset), (0.5, 0.25, 0.25), seed=1)
    engine.ultralytics_module()
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    data = check_det_dataset(str(ds.yaml_path))
    for split in ("train", "val", "test"):
        loaded = YOLODataset(img_path=data[split], data=data, imgsz=64, augment=False)
        assert sorted(Path(p) for p in loaded.im_files) == sorted(ds.splits[split])
        ours = sum(len(build_index(ds).entry(p).boxes) for p in ds.splits[split])
        assert sum(len(lb["cls"]) for lb in loaded.labels) == ours


def test_the_first_split_change_keeps_the_yaml_as_it_was(tiny_dataset: Path, capsys) -> None:
    """A split rewrites the yaml's split entries (a Roboflow export's ``../train/images``
    would be gone): the yaml as it was is copied aside, byte for byte, the first time only,
    and the CLI says where."""
    from penguin_studio.cli import main

    original = tiny_dataset.read_bytes() + b"# the user's own note\n"
    tiny_dataset.write_bytes(original)
    assert main(["dataset", "split", str(tiny_dataset), "--seed", "1"]) == 0
    kept = tiny_dataset.parent / ".penguin-studio" / "original" / tiny_dataset.name
    assert kept.read_bytes() == original and tiny_dataset.read_bytes() != original
    assert f"The data yaml as it was is kept in {kept}" in capsys.readouterr().out
    assert main(["dataset", "split", str(tiny_dataset), "--seed", "2"]) == 0
    assert kept.read_bytes() == original  # the first copy stays
    assert "kept in" not in capsys.readouterr().out


def test_plain_folder_split_makes_a_project(tmp_path: Path, tiny_dataset: Path) -> None:
    folder = tmp_path / "flat"
    folder.mkdir()
    for p in open_dataset(tiny_dataset).unique_images():
        (folder / p.name).write_bytes(p.read_bytes())
    ds = split_dataset(open_dataset(folder), (0.5, 0.5, 0), seed=0)
    assert ds.yaml_path == folder / "data.yaml"
    assert len(ds.splits["train"]) == 6 and len(ds.splits["val"]) == 6
    assert "test" not in ds.splits


def test_existing_foreign_list_is_not_overwritten(tiny_dataset: Path) -> None:
    foreign = tiny_dataset.parent / "train.txt"
    foreign.write_text("my notes, not a list\n")
    ds = open_dataset(tiny_dataset)
    ds = write_split_lists(ds, dict.fromkeys(ds.unique_images(), "train"))
    assert foreign.read_text() == "my notes, not a list\n"
    assert ds.sources["train"] == [tiny_dataset.parent / "train.penguin.txt"]


def test_move_into_split_folders_is_explicit_and_complete(tmp_path: Path,
                                                          tiny_dataset: Path) -> None:
    ds = open_dataset(tiny_dataset)
    moved = ds.images("train")[0]
    boxes = build_index(ds).entry(moved).boxes
    assignment = ds.split_of()
    assignment[moved] = "val"
    ds = move_into_split_folders(ds, assignment)
    new = tiny_dataset.parent / "images" / "val" / moved.name
    assert not moved.exists() and new in ds.splits["val"]
    assert build_index(ds).entry(new).boxes == boxes
